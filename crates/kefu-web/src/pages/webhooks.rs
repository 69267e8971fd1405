//! Admin pages for webhooks: endpoints, their events, a test ping and the delivery log.

use super::{Chrome, DoneQuery, done, fmt_time, render, render_status, time_zone};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::{Delivery, Webhook};
use kefu_app::webhooks::EVENTS;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    pub page: Chrome,
    pub hooks: Vec<Webhook>,
    pub events: Vec<&'static str>,
    pub error: Option<String>,
    pub url: String,
}

async fn list_page(
    state: &WebState,
    caller: &Caller,
    error: Option<String>,
    url: String,
    status: StatusCode,
    code: Option<&str>,
) -> Response {
    let hooks = match state.app.list_webhooks(&caller.actor()).await {
        Ok(h) => h,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    render_status(
        status,
        WebhooksPage {
            page: Chrome::new(&caller.identity, "/admin/webhooks", "webhooks.title").with_flash(code),
            hooks,
            events: EVENTS.to_vec(),
            error,
            url,
        },
    )
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<DoneQuery>) -> Response {
    list_page(&state, &caller, None, String::new(), StatusCode::OK, q.done.as_deref()).await
}

pub async fn create(State(state): State<WebState>, caller: Caller, body: String) -> Response {
    let pairs = crate::form::pairs(body.as_bytes());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let events: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    let url = get("url");
    match state
        .app
        .create_webhook(&caller.actor(), &url, events, &get("description"))
        .await
    {
        Ok(w) => done(&format!("/admin/webhooks/{}", w.id), "webhook_created"),
        Err(AppError::Invalid(i)) => {
            let t = caller.identity.tr();
            let msg = i
                .errors
                .first()
                .map(|e| super::account::field_message(&t, e.code, &e.message))
                .unwrap_or_default();
            list_page(&state, &caller, Some(msg), url, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub struct DeliveryRow {
    pub d: Delivery,
    pub at: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
pub struct WebhookPage {
    pub page: Chrome,
    pub hook: Webhook,
    pub deliveries: Vec<DeliveryRow>,
}

pub async fn show(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let (hook, deliveries) = match state.app.webhook_deliveries(&caller.actor(), id).await {
        Ok(x) => x,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let tz = time_zone(&state).await;
    let deliveries = deliveries
        .into_iter()
        .map(|d| DeliveryRow {
            at: fmt_time(d.at, &tz),
            d,
        })
        .collect();
    render(WebhookPage {
        page: Chrome::new(&caller.identity, "/admin/webhooks", "webhooks.title").with_flash(q.done.as_deref()),
        hook,
        deliveries,
    })
}

pub async fn ping(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.ping_webhook(&caller.actor(), id).await {
        Ok(()) => done(&format!("/admin/webhooks/{id}"), "webhook_pinged"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

pub async fn toggle(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActiveForm>,
) -> Response {
    match state
        .app
        .set_webhook_active(&caller.actor(), id, f.active == "true")
        .await
    {
        Ok(_) => done(&format!("/admin/webhooks/{id}"), "webhook_updated"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub async fn delete(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.delete_webhook(&caller.actor(), id).await {
        Ok(()) => done("/admin/webhooks", "webhook_deleted"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}
