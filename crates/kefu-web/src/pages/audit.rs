//! The audit log of admin actions, newest first.

use super::{Chrome, fmt_time, render, time_zone};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kefu_app::model::AuditEntry;
use kefu_core::page::decode_cursor;
use serde::Deserialize;

pub struct AuditRow {
    pub entry: AuditEntry,
    pub at: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub page: Chrome,
    pub rows: Vec<AuditRow>,
    pub older: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<AuditQuery>) -> Response {
    let before = q.before.as_deref().and_then(decode_cursor).unwrap_or(0);
    let limit = 100;
    let entries = match state.app.audit_log(&caller.actor(), before, limit).await {
        Ok(e) => e,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let tz = time_zone(&state).await;
    let older = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| kefu_core::page::encode_cursor(e.id)))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            at: fmt_time(e.at, &tz),
            detail: e.detail.to_string(),
            entry: e,
        })
        .collect();
    render(AuditPage {
        page: Chrome::new(&caller.identity, "/admin/audit", "audit.title"),
        rows,
        older,
    })
}

/// `/admin/audit/download?format=csv|xlsx`: the whole audit log, newest first, audited itself.
pub async fn download(
    State(state): State<WebState>,
    caller: Caller,
    Query(q): Query<crate::download::FormatQuery>,
) -> Response {
    let actor = caller.actor();
    let columns = kefu_app::tables::AUDIT_COLUMNS;
    crate::download::records(
        &state,
        &caller,
        q.format.as_deref(),
        "audit",
        "",
        columns,
        move |app, before| {
            let actor = actor.clone();
            async move { app.audit_table_page(&actor, before).await }
        },
    )
    .await
}
