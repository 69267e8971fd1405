//! Ticket pages for staff: the agent queue (a list with filters, or the four urgency × importance
//! quadrants: docs/statistics.md#queue-quadrants), a ticket with its SLA targets, conversation
//! and activity, and the form an agent files a ticket with (a phone call, a walk-in). Every text a
//! customer wrote is shown escaped.

use super::account::field_errors;
use super::sla_view::{TargetView, target_view};
use super::{BodyForm, Chrome, done, fmt_time, render, render_status, time_zone};
use crate::WebState;
use crate::auth::Caller;
use crate::form::enc;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::{Customer, TicketFilter, TicketMessage};
use kefu_app::tickets::{Addition, TicketInput, TicketView};
use kefu_core::Language;
use kefu_core::page::{PageRequest, split_page};
use kefu_core::queue::Quadrant;
use kefu_core::sla::SlaState;
use kefu_core::ticket::{Kind, Priority, Status};
use serde::Deserialize;

pub struct Row {
    pub v: TicketView,
    pub kind: &'static str,
    pub status: &'static str,
    pub priority: &'static str,
    pub sla: TargetView,
    pub created: String,
}

fn row(v: TicketView, lang: Language, tz: &jiff::tz::TimeZone, t: &crate::i18n::Tr) -> Row {
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

/// The agent queue: active tickets by default, newest first; `view=quadrants` groups them.
pub async fn queue(State(state): State<WebState>, caller: Caller, Query(q): Query<QueueQuery>) -> Response {
    let ident = &caller.identity;
    let t = ident.tr();
    let lang = t.lang;
    let page = match PageRequest::parse(None, q.cursor.as_deref()) {
        Ok(p) => p,
        Err(e) => return super::error_page(ident, e.into()),
    };
    let drill = match drill_down(&q) {
        Ok(d) => d,
        Err(e) => return super::error_page(ident, e.into()),
    };
    let default_status = if drill.is_some() { "all" } else { "active" };
    let status = q.status.clone().unwrap_or_else(|| default_status.into());
    let statuses = match status.as_str() {
        "active" => vec![Status::New, Status::Open, Status::Pending],
        "all" => vec![],
        s => match Status::parse(s) {
            Ok(s) => vec![s],
            Err(e) => return super::error_page(ident, e.into()),
        },
    };
    let mine = q.mine.as_deref() == Some("1");
    let filter = TicketFilter {
        before: page.after,
        limit: page.limit + 1,
        statuses,
        assignee_id: mine.then_some(caller.user.id),
        fact_on: drill.as_ref().map(|(f, p)| (f.clone(), p.day_patterns())),
        ..Default::default()
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
        Err(e) => return super::error_page(ident, e),
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
        Err(e) => return super::error_page(&caller.identity, e),
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

pub struct MessageView {
    pub m: TicketMessage,
    pub author: String,
    pub at: String,
    pub internal: bool,
    pub call: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub page: Chrome,
    pub row: Row,
    pub customer: Option<Customer>,
    pub targets: Vec<TargetView>,
    pub messages: Vec<MessageView>,
    pub moves: Vec<(&'static str, &'static str)>,
    pub errors: Vec<(String, String)>,
    pub activity: Vec<(String, String, String)>,
    /// Escalation steps taken (`first_response#1:warn`, ...).
    pub escalations: Vec<String>,
    /// Root-cause choices: (code, label, chosen).
    pub root_causes: Vec<(&'static str, &'static str, bool)>,
    /// Remedy choices: (code, label, chosen).
    pub remedies: Vec<(&'static str, &'static str, bool)>,
    /// The refund or compensation in yuan, as typed back into the form.
    pub amount: String,
    /// An incident's recovery log: (when, what).
    pub steps: Vec<(String, String)>,
    pub is_incident: bool,
    /// A share link just made (shown once).
    pub shared_link: Option<String>,
    /// Macros to pick from: (id, title).
    pub macros: Vec<(i64, String)>,
    /// The reply box's text (a picked macro, filled in).
    pub draft: String,
    /// Files: (id, name, size in KiB).
    /// Id, name, size, shared with the customer.
    pub attachments: Vec<(i64, String, String, bool)>,
    /// What the upload form takes (the size limit).
    pub attach_hint: String,
    /// Filed on the public form with a known contact's details, not confirmed yet.
    pub requester_unconfirmed: bool,
    /// The customer's purchases to choose the one the ticket is about: (id, label, chosen).
    pub purchases: Vec<(i64, String, bool)>,
    /// Mail sent about it: (when, to, what, status, why).
    pub notifications: Vec<(String, String, String, String, String)>,
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
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub async fn delete_view(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.delete_view(&caller.actor(), id).await {
        Ok(()) => done("/tickets", "view_deleted"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// `812 B`, `3.4 KiB`, `2.1 MiB`.
fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
    /// A macro to put into the reply box.
    #[serde(rename = "macro")]
    macro_id: Option<i64>,
}

pub async fn show(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let draft = match q.macro_id {
        Some(m) => match state.app.macro_text(&caller.actor(), id, m).await {
            Ok(text) => text,
            Err(e) => return super::error_page(&caller.identity, e),
        },
        None => String::new(),
    };
    ticket_page_with(
        &state,
        &caller,
        id,
        q.done.as_deref(),
        vec![],
        StatusCode::OK,
        Extra {
            draft,
            ..Default::default()
        },
    )
    .await
}

async fn ticket_page(
    state: &WebState,
    caller: &Caller,
    id: i64,
    flash: Option<&str>,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    ticket_page_with(state, caller, id, flash, errors, status, Extra::default()).await
}

/// What a ticket page may show besides the ticket: a share link just made, a reply drafted from a macro.
#[derive(Default)]
struct Extra {
    shared_link: Option<String>,
    draft: String,
}

async fn ticket_page_with(
    state: &WebState,
    caller: &Caller,
    id: i64,
    flash: Option<&str>,
    errors: Vec<(String, String)>,
    status: StatusCode,
    extra: Extra,
) -> Response {
    let Extra { shared_link, draft } = extra;
    let ident = &caller.identity;
    let t = ident.tr();
    let lang = t.lang;
    let actor = caller.actor();
    let view = match state.app.get_ticket(&actor, id).await {
        Ok(v) => v,
        Err(e) => return super::error_page(ident, e),
    };
    let messages = match state.app.ticket_messages(&actor, id).await {
        Ok(m) => m,
        Err(e) => return super::error_page(ident, e),
    };
    // A failing read shows the error page: an outage must not look like an empty history.
    let (history, attachments, customer, requester_unconfirmed, purchases) = match tokio::try_join!(
        state.app.ticket_history(&actor, id),
        state.app.ticket_attachments(&actor, id),
        state.app.ticket_customer(&actor, id),
        state.app.requester_unconfirmed(&actor, id),
        state.app.purchases_of(&actor, view.ticket.customer_id, 100),
    ) {
        Ok(x) => x,
        Err(e) => return super::error_page(ident, e),
    };
    let purchases: Vec<(i64, String, bool)> = purchases
        .iter()
        .map(|p| {
            (
                p.id,
                super::portal::purchase_label(p),
                Some(p.id) == view.ticket.purchase_id,
            )
        })
        .collect();
    let kefu_app::ticket_history::TicketHistory {
        activity,
        escalations,
        notifications,
    } = history;
    let attachments = attachments
        .into_iter()
        .map(|a| (a.id, a.filename, human_size(a.size), a.shared))
        .collect();
    let customer = Some(customer);
    let tz = time_zone(state).await;
    let is_incident = view.ticket.kind == kefu_core::ticket::Kind::Incident;
    let macros = match state.app.macros(&actor).await {
        Ok(macros) => macros
            .into_iter()
            .map(|m| (m.id, if lang == Language::ZhCn { m.title_zh } else { m.title_en }))
            .collect(),
        Err(e) => return super::error_page(ident, e),
    };
    let steps = if is_incident {
        match state.app.incident_steps(&actor, id).await {
            Ok(steps) => steps.into_iter().map(|s| (fmt_time(s.at, &tz), s.body)).collect(),
            Err(e) => return super::error_page(ident, e),
        }
    } else {
        vec![]
    };
    let root_causes = kefu_core::ticket::RootCause::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                r.label(lang),
                view.ticket.root_cause.as_deref() == Some(r.as_str()),
            )
        })
        .collect();
    let remedies = kefu_core::ticket::Remedy::ALL
        .iter()
        .map(|r| (r.as_str(), r.label(lang), view.ticket.remedy == Some(*r)))
        .collect();
    let amount = view
        .ticket
        .compensation_minor
        .map(|m| format!("{}.{:02}", m / 100, m % 100))
        .unwrap_or_default();
    let authors: Vec<i64> = messages.iter().filter_map(|m| m.author_user_id).collect();
    let names = match state.app.message_author_names(&actor, id, &authors).await {
        Ok(n) => n,
        Err(e) => return super::error_page(ident, e),
    };
    let targets = vec![
        target_view(t.t("tickets.first_response"), &view.sla.first_response, lang, &tz),
        target_view(t.t("tickets.next_response"), &view.sla.next_response, lang, &tz),
        target_view(t.t("tickets.resolution"), &view.sla.resolution, lang, &tz),
    ];
    let current = view.ticket.status;
    let moves = Status::ALL
        .iter()
        .filter(|s| current.can_move_to(**s))
        .map(|s| (s.as_str(), s.label(lang)))
        .collect();
    let customer_label = customer.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let messages = messages
        .into_iter()
        .map(|m| MessageView {
            author: match (m.author_kind, m.author_user_id.and_then(|u| names.get(&u))) {
                (kefu_app::model::AuthorKind::Customer, _) => customer_label.clone(),
                (_, Some(n)) => n.clone(),
                _ => t.t("tickets.system").to_owned(),
            },
            at: fmt_time(m.created_at, &tz),
            internal: m.kind == kefu_app::model::MessageKind::Internal,
            call: m.kind == kefu_app::model::MessageKind::Call,
            m,
        })
        .collect();
    let activity = activity
        .into_iter()
        .map(|a| {
            (
                fmt_time(a.at, &tz),
                a.actor,
                format!(
                    "{}: {} → {}",
                    a.field,
                    a.old_value.unwrap_or_else(|| "—".into()),
                    a.new_value.unwrap_or_else(|| "—".into())
                ),
            )
        })
        .collect();
    render_status(
        status,
        TicketPage {
            page: Chrome::new(ident, "/tickets", "tickets.ticket").with_flash(flash),
            row: row(view, lang, &tz, &t),
            customer,
            targets,
            messages,
            moves,
            errors,
            activity,
            escalations,
            root_causes,
            remedies,
            amount,
            steps,
            is_incident,
            shared_link,
            macros,
            draft,
            attachments,
            requester_unconfirmed,
            purchases,
            attach_hint: t.t("tickets.attach_hint").replace(
                "{max}",
                &human_size(i64::try_from(state.app.config.attachments.max_bytes).unwrap_or(i64::MAX)),
            ),
            notifications: notifications
                .into_iter()
                .map(|n| {
                    let status = match n.status.as_str() {
                        "sent" => t.t("tickets.notice_sent"),
                        "failed" => t.t("tickets.notice_failed"),
                        _ => t.t("tickets.notice_skipped"),
                    };
                    (
                        fmt_time(n.created_at, &tz),
                        n.recipient,
                        n.subject,
                        status.to_owned(),
                        n.detail,
                    )
                })
                .collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    minutes: String,
}

/// A reply, an internal note or a call log from the ticket page.
pub async fn add(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<AddForm>,
) -> Response {
    let addition = match f.kind.as_str() {
        "note" => Addition::Note { body: f.body },
        "call" => Addition::Call {
            body: f.body,
            inbound: f.direction != "outbound",
            seconds: f
                .minutes
                .trim()
                .parse::<f64>()
                .map(|m| (m * 60.0).round() as i64)
                .unwrap_or(-1),
        },
        _ => Addition::Reply { body: f.body },
    };
    let result = state.app.add_to_ticket(&caller.actor(), id, addition).await.map(|_| ());
    after_change(&state, &caller, id, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolutionForm {
    root_cause: String,
    remedy: String,
    /// Yuan, e.g. `200` or `199.50`.
    amount: String,
}

/// `199.5` yuan → 19950 fen; `None` when empty.
fn yuan_to_fen(s: &str) -> Result<Option<i64>, kefu_core::Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || {
        kefu_core::Invalid::one(
            "amount",
            "invalid_amount",
            "the amount is a number of yuan, e.g. 200 or 199.50",
        )
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .map(Some)
        .ok_or_else(bad)
}

/// Root cause and remedy from the ticket page.
pub async fn resolution(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ResolutionForm>,
) -> Response {
    let edit = yuan_to_fen(&f.amount).map(|amount| kefu_app::ticket_edit::TicketEdit {
        root_cause: Some(Some(f.root_cause.clone()).filter(|c| !c.is_empty())),
        remedy: Some(Some((f.remedy.clone(), amount)).filter(|(c, _)| !c.is_empty())),
        ..Default::default()
    });
    let result = match edit {
        Ok(edit) => state.app.edit_ticket(&caller.actor(), id, edit).await.map(|_| ()),
        Err(i) => Err(AppError::Invalid(i)),
    };
    after_change(&state, &caller, id, result).await
}

/// A step into an incident's recovery log from the ticket page.
pub async fn add_step(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    let result = state
        .app
        .add_incident_step(&caller.actor(), id, &f.body, None)
        .await
        .map(|_| ());
    after_change(&state, &caller, id, result).await
}

/// A private link to the recovery log, shown once on the page.
pub async fn share(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.share_incident(&caller.actor(), id).await {
        Ok(token) => {
            ticket_page_with(
                &state,
                &caller,
                id,
                None,
                vec![],
                StatusCode::OK,
                Extra {
                    shared_link: Some(format!("/incident/{token}")),
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => after_change(&state, &caller, id, Err(e)).await,
    }
}

/// A file attached from the ticket page (a multipart form: `file`, `share` to show it to the
/// customer — internal otherwise — and the `csrf` token the CSRF layer checked).
pub async fn attach(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let required = || kefu_core::Invalid::one("file", "required", "choose a file to attach");
    let mut upload = None;
    let mut visibility = kefu_app::attachments::Visibility::Internal;
    if let Ok(mut form) = form {
        loop {
            match form.next_field().await {
                Ok(Some(field)) if field.name() == Some("file") => {
                    let filename = field.file_name().unwrap_or_default().to_owned();
                    let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                    match field.bytes().await {
                        Ok(bytes) if !filename.is_empty() => {
                            upload = Some(kefu_app::attachments::Upload {
                                filename,
                                content_type,
                                bytes: bytes.to_vec(),
                                ..Default::default()
                            });
                        }
                        Ok(_) => {}
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return super::too_large(&caller.identity);
                        }
                        Err(_) => break,
                    }
                }
                Ok(Some(field)) if field.name() == Some("share") => {
                    if field.text().await.is_ok_and(|v| v == "1") {
                        visibility = kefu_app::attachments::Visibility::Shared;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    let result = match upload {
        Some(u) => state
            .app
            .attach(&caller.actor(), id, None, Some(visibility), vec![u])
            .await
            .map(|_| ()),
        None => Err(AppError::Invalid(required())),
    };
    after_change(&state, &caller, id, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PurchaseForm {
    purchase: String,
}

/// Sets the purchase a ticket is about (empty: none).
pub async fn set_purchase(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PurchaseForm>,
) -> Response {
    let purchase_id = match f.purchase.trim() {
        "" => Ok(None),
        p => p.parse().map(Some).map_err(|_| {
            kefu_core::Invalid::one(
                "purchase_id",
                "unknown_purchase",
                "choose one of the customer's purchases",
            )
        }),
    };
    let result = match purchase_id {
        Ok(p) => state
            .app
            .edit_ticket(
                &caller.actor(),
                id,
                kefu_app::ticket_edit::TicketEdit {
                    purchase_id: Some(p),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        Err(e) => Err(AppError::Invalid(e)),
    };
    after_change(&state, &caller, id, result).await
}

/// An agent confirms, after a call, that the requester is the customer whose details they typed.
pub async fn confirm_requester(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    let result = state.app.confirm_requester(&caller.actor(), id).await;
    after_change(&state, &caller, id, result).await
}

/// Back to the ticket after a form: its page with the flash, or with the errors.
async fn after_change(state: &WebState, caller: &Caller, id: i64, result: Result<(), AppError>) -> Response {
    let (errors, status) = match result {
        Ok(()) => return done(&kefu_app::links::ticket(id), "ticket_updated"),
        Err(AppError::Invalid(i)) => (field_errors(&caller.identity.tr(), i), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e @ AppError::Conflict(_)) => (vec![("status".into(), e.to_string())], StatusCode::CONFLICT),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    ticket_page(state, caller, id, None, errors, status).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<StatusForm>,
) -> Response {
    let result = state
        .app
        .set_ticket_status(&caller.actor(), id, &f.status)
        .await
        .map(|_| ());
    after_change(&state, &caller, id, result).await
}

#[derive(Template)]
#[template(path = "ticket_form.html")]
pub struct FormPage {
    pub page: Chrome,
    pub customer: Customer,
    pub values: NewForm,
    pub errors: Vec<(String, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub priorities: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub channel: String,
}

async fn new_page(
    state: &WebState,
    caller: &Caller,
    values: NewForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let lang = caller.identity.tr().lang;
    let Ok(id) = values.customer_id.trim().parse::<i64>() else {
        return super::error_page(&caller.identity, AppError::NotFound);
    };
    let customer = match state.app.visible_customer(&caller.actor(), id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    render_status(
        status,
        FormPage {
            page: Chrome::new(&caller.identity, "/tickets", "tickets.new"),
            customer,
            values,
            errors,
            kinds: Kind::ALL.iter().map(|k| (k.as_str(), k.label(lang))).collect(),
            priorities: Priority::ALL.iter().map(|p| (p.as_str(), p.label(lang))).collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct NewQuery {
    customer_id: Option<String>,
}

pub async fn new_form(State(state): State<WebState>, caller: Caller, Query(q): Query<NewQuery>) -> Response {
    let values = NewForm {
        customer_id: q.customer_id.unwrap_or_default(),
        kind: "complaint".into(),
        priority: "normal".into(),
        channel: "phone".into(),
        ..Default::default()
    };
    new_page(&state, &caller, values, vec![], StatusCode::OK).await
}

pub async fn create(State(state): State<WebState>, caller: Caller, axum::Form(v): axum::Form<NewForm>) -> Response {
    let t = caller.identity.tr();
    let input = TicketInput {
        customer_id: v.customer_id.trim().parse().unwrap_or(0),
        kind: v.kind.clone(),
        subject: v.subject.clone(),
        body: v.body.clone(),
        priority: Some(v.priority.clone()),
        channel: Some(v.channel.clone()),
        language: Some(t.code().to_owned()),
        ..Default::default()
    };
    match state.app.create_ticket(&caller.actor(), input).await {
        Ok(view) => done(&kefu_app::links::ticket(view.ticket.id), "ticket_created"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            new_page(&state, &caller, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[cfg(test)]
mod tests {
    use super::yuan_to_fen;

    #[test]
    fn yuan_become_fen() {
        assert_eq!(yuan_to_fen("").unwrap(), None);
        assert_eq!(yuan_to_fen("200").unwrap(), Some(20_000));
        assert_eq!(yuan_to_fen("199.5").unwrap(), Some(19_950));
        assert_eq!(yuan_to_fen(" 0.05 ").unwrap(), Some(5));
        for bad in ["-1", "1.234", "1e3", "abc", ".5", "99999999999999999999"] {
            assert!(yuan_to_fen(bad).is_err(), "{bad}");
        }
    }
}
