//! The agent queue: a list with filters and saved views, or the four urgency × importance quadrants
//! (docs/statistics.md#queue-quadrants), and the drill-down from a dashboard figure.

use crate::WebState;
use crate::auth::Caller;
use crate::form::enc;
use crate::pages::sla_view::{TargetView, target_view};
use crate::pages::{Chrome, done, fmt_time, render, time_zone};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kefu_app::model::TicketFilter;
use kefu_app::tickets::TicketView;
use kefu_core::Language;
use kefu_core::page::{PageRequest, split_page};
use kefu_core::queue::Quadrant;
use kefu_core::sla::SlaState;
use kefu_core::ticket::Status;
use serde::Deserialize;

pub struct Row {
    pub v: TicketView,
    pub kind: &'static str,
    pub status: &'static str,
    pub priority: &'static str,
    pub sla: TargetView,
    pub created: String,
}

pub(super) fn row(v: TicketView, lang: Language, tz: &jiff::tz::TimeZone, t: &crate::i18n::Tr) -> Row {
    // The target that matters now: the first running (or breached) one, else resolution.
    let sla = v
        .sla
        .targets()
        .into_iter()
        .find(|x| matches!(x.state, SlaState::Running | SlaState::Breached))
        .unwrap_or(&v.sla.resolution);
    Row {
        kind: v.ticket.kind.label(lang),
        status: v.ticket.status.label(lang),
        priority: v.ticket.priority.label(lang),
        sla: target_view(t.t(metric_key(sla.metric)), sla, lang, tz),
        created: fmt_time(v.ticket.created_at, tz),
        v,
    }
}

fn metric_key(m: kefu_core::sla::Metric) -> &'static str {
    match m {
        kefu_core::sla::Metric::FirstResponse => "tickets.first_response",
        kefu_core::sla::Metric::NextResponse => "tickets.next_response",
        kefu_core::sla::Metric::Resolution => "tickets.resolution",
    }
}

pub struct QuadrantView {
    pub title: &'static str,
    pub advice: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
pub struct QueuePage {
    pub page: Chrome,
    pub rows: Vec<Row>,
    pub quadrants: Vec<QuadrantView>,
    pub view: String,
    pub status: String,
    pub mine: bool,
    pub q: String,
    pub next_cursor: Option<String>,
    pub statuses: Vec<(&'static str, &'static str)>,
    /// Saved views: (id, name, query string, shared).
    pub views: Vec<(i64, String, String, bool)>,
    /// This page's filters as a query string, to save as a view.
    pub current_query: String,
    /// What a drill-down shows, in words.
    pub drill: Option<String>,
    /// The drill-down's parameters (`&fact=…&from=…&to=…`), kept by the filters and next page.
    pub drill_query: String,
    pub drill_fields: Vec<(&'static str, String)>,
    pub may_share: bool,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    q: Option<String>,
    status: Option<String>,
    mine: Option<String>,
    view: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    /// A drill-down from a dashboard or gap figure: the tickets that hold `fact` on a day from
    /// `from` to `to`.
    fact: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `csv` or `xlsx` (the download only).
    format: Option<String>,
}

/// A drill-down's figure and period, checked; `None` when the query names no figure.
fn drill_down(q: &QueueQuery) -> Result<Option<(String, kefu_app::dashboard::Period)>, kefu_core::Invalid> {
    let Some(fact) = q.fact.as_deref().filter(|f| !f.trim().is_empty()) else {
        return Ok(None);
    };
    let figure = kefu_app::dashboard::check_figure(fact)?;
    let period = kefu_app::dashboard::Period::parse(
        q.from.as_deref().unwrap_or_default(),
        q.to.as_deref().unwrap_or_default(),
    )?;
    Ok(Some((figure, period)))
}

/// The queue's filter from its query: the status (`active` by default, `all` for a drill-down),
/// mine, the drill-down's figure and days; with the status and `mine` as asked.
fn queue_filter(
    q: &QueueQuery,
    caller: &Caller,
    drill: Option<&(String, kefu_app::dashboard::Period)>,
    before: i64,
    limit: u32,
) -> Result<(TicketFilter, String, bool), kefu_core::Invalid> {
    let default_status = if drill.is_some() { "all" } else { "active" };
    let status = q.status.clone().unwrap_or_else(|| default_status.into());
    let statuses = match status.as_str() {
        "active" => vec![Status::New, Status::Open, Status::Pending],
        "all" => vec![],
        s => vec![Status::parse(s)?],
    };
    let mine = q.mine.as_deref() == Some("1");
    let filter = TicketFilter {
        before,
        limit,
        statuses,
        assignee_id: mine.then_some(caller.user.id),
        fact_on: drill.map(|(f, p)| (f.clone(), p.day_patterns())),
        ..Default::default()
    };
    Ok((filter, status, mine))
}

/// `/tickets/download?format=csv|xlsx&…`: every ticket the queue (or its search) finds with these
/// filters that the caller may see — not only one page —, as CSV streamed a page at a time, or as
/// one XLSX sheet (past 1,048,575 rows it says so and offers CSV); audited.
pub async fn download(State(state): State<WebState>, caller: Caller, Query(q): Query<QueueQuery>) -> Response {
    let ident = &caller.identity;
    let format = q.format.as_deref().unwrap_or("csv");
    let asked = drill_down(&q).and_then(|drill| queue_filter(&q, &caller, drill.as_ref(), 0, 0));
    let (filter, ..) = match asked {
        Ok(x) => x,
        Err(e) => return crate::pages::error_page(ident, e.into()),
    };
    let actor = caller.actor();
    let text = q.q.clone().unwrap_or_default();
    let query = format!(
        "status={}&mine={}&q={}&fact={}&from={}&to={}",
        q.status.as_deref().unwrap_or_default(),
        q.mine.as_deref().unwrap_or_default(),
        text,
        q.fact.as_deref().unwrap_or_default(),
        q.from.as_deref().unwrap_or_default(),
        q.to.as_deref().unwrap_or_default()
    );
    let columns = kefu_app::tables::TICKET_COLUMNS;
    crate::download::records(
        &state,
        &caller,
        Some(format),
        "tickets",
        &query,
        columns,
        move |app, before| {
            let (actor, text, filter) = (actor.clone(), text.clone(), filter.clone());
            async move { app.ticket_table_page(&actor, &text, &filter, before).await }
        },
    )
    .await
}

/// The agent queue: active tickets by default, newest first; `view=quadrants` groups them.
pub async fn queue(State(state): State<WebState>, caller: Caller, Query(q): Query<QueueQuery>) -> Response {
    let ident = &caller.identity;
    let t = ident.tr();
    let lang = t.lang;
    let page = match PageRequest::parse(None, q.cursor.as_deref()) {
        Ok(p) => p,
        Err(e) => return crate::pages::error_page(ident, e.into()),
    };
    let drill = match drill_down(&q) {
        Ok(d) => d,
        Err(e) => return crate::pages::error_page(ident, e.into()),
    };
    let (filter, status, mine) = match queue_filter(&q, &caller, drill.as_ref(), page.after, page.limit + 1) {
        Ok(x) => x,
        Err(e) => return crate::pages::error_page(ident, e.into()),
    };
    let actor = caller.actor();
    let text = q.q.clone().unwrap_or_default();
    let found = if text.trim().is_empty() {
        state.app.list_tickets(&actor, filter).await
    } else {
        state.app.search_tickets(&actor, &text, filter).await
    };
    let views = match found {
        Ok(v) => v,
        Err(e) => return crate::pages::error_page(ident, e),
    };
    let (views, next_cursor) = split_page(views, page.limit, |v| v.ticket.id);
    let tz = time_zone(&state).await;
    let view = if q.view.as_deref() == Some("quadrants") {
        "quadrants"
    } else {
        "list"
    }
    .to_owned();
    let mut rows: Vec<Row> = views.into_iter().map(|v| row(v, lang, &tz, &t)).collect();
    let mut quadrants = Vec::new();
    if view == "quadrants" {
        for quad in [
            Quadrant::UrgentImportant,
            Quadrant::ImportantNotUrgent,
            Quadrant::UrgentNotImportant,
            Quadrant::Neither,
        ] {
            let (mut these, rest): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.v.quadrant == quad);
            rows = rest;
            these.sort_by_key(|r| r.v.sla.next_check_at().map(|x| x.as_millisecond()).unwrap_or(i64::MAX));
            quadrants.push(QuadrantView {
                title: quad.label(lang),
                advice: quad.advice(lang),
                rows: these,
            });
        }
    }
    let saved = match state.app.saved_views(&caller.actor()).await {
        Ok(views) => views
            .into_iter()
            .map(|v| (v.id, v.name, v.query, v.user_id.is_none()))
            .collect(),
        Err(e) => return crate::pages::error_page(&caller.identity, e),
    };
    let mut current = vec![format!("status={}", enc(&status)), format!("view={view}")];
    if mine {
        current.push("mine=1".into());
    }
    if !text.is_empty() {
        current.push(format!("q={}", enc(&text)));
    }
    let drill_fields: Vec<(&'static str, String)> = match &drill {
        Some((f, p)) => vec![
            ("fact", f.clone()),
            ("from", p.from.to_string()),
            ("to", p.to.to_string()),
        ],
        None => vec![],
    };
    let drill_query: String = drill_fields.iter().map(|(k, v)| format!("&{k}={}", enc(v))).collect();
    current.push(drill_query.trim_start_matches('&').to_owned());
    current.retain(|c| !c.is_empty());
    let drill = drill.map(|(f, p)| {
        t.t("tickets.drill_down")
            .replace("{figure}", &f)
            .replace("{from}", &p.from.to_string())
            .replace("{to}", &p.to.to_string())
    });
    render(QueuePage {
        drill,
        drill_query,
        drill_fields,
        views: saved,
        current_query: current.join("&"),
        may_share: caller.user.role.manages(),
        page: Chrome::new(ident, "/tickets", "tickets.title").with_flash(q.done.as_deref()),
        rows,
        quadrants,
        view,
        status,
        mine,
        q: text,
        next_cursor,
        statuses: vec![
            ("active", t.t("tickets.active")),
            ("new", Status::New.label(lang)),
            ("open", Status::Open.label(lang)),
            ("pending", Status::Pending.label(lang)),
            ("resolved", Status::Resolved.label(lang)),
            ("closed", Status::Closed.label(lang)),
            ("all", t.t("common.all")),
        ],
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewForm {
    name: String,
    query: String,
    shared: Option<String>,
}

/// Saves the queue's current filters as a view.
pub async fn save_view(State(state): State<WebState>, caller: Caller, axum::Form(f): axum::Form<ViewForm>) -> Response {
    match state
        .app
        .save_view(&caller.actor(), &f.name, &f.query, f.shared.is_some())
        .await
    {
        Ok(_) => done(&format!("/tickets?{}", f.query.trim_start_matches('?')), "view_saved"),
        Err(e) => crate::pages::error_page(&caller.identity, e),
    }
}

pub async fn delete_view(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.delete_view(&caller.actor(), id).await {
        Ok(()) => done("/tickets", "view_deleted"),
        Err(e) => crate::pages::error_page(&caller.identity, e),
    }
}
