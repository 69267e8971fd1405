//! A ticket's page — its SLA targets, conversation and activity — and the forms on it: a reply, a
//! note or a call, status, root cause and remedy, recovery steps, attachments, the purchase.

use super::queue::{Row, row};
use crate::WebState;
use crate::auth::Caller;
use crate::pages::account::field_errors;
use crate::pages::sla_view::{TargetView, target_view};
use crate::pages::{BodyForm, Chrome, done, fmt_time, render_status, time_zone};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::{Customer, TicketMessage};
use kefu_app::tickets::Addition;
use kefu_core::Language;
use kefu_core::ticket::Status;
use serde::Deserialize;

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
    /// The side panel: the customer in brief and the ticket's fields.
    pub workspace: super::workspace::Workspace,
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
            Err(e) => return crate::pages::error_page(&caller.identity, e),
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
    // A failing read shows the error page: an outage must not look like an empty history.
    let record = match state.app.ticket_record(&actor, id).await {
        Ok(r) => r,
        Err(e) => return crate::pages::error_page(ident, e),
    };
    let kefu_app::tickets::TicketRecord {
        view,
        messages,
        history,
        attachments,
        customer,
        requester_unconfirmed,
        author_names: names,
        purchases,
        brief,
    } = record;
    // A deleted customer's purchases are not offered (its tickets still show).
    let purchases = if customer.deleted_at.is_some() {
        vec![]
    } else {
        purchases
    };
    let purchases: Vec<(i64, String, bool)> = purchases
        .iter()
        .map(|p| {
            (
                p.id,
                crate::pages::portal::purchase_label(p),
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
    let Some(brief) = brief else {
        return crate::pages::error_page(ident, AppError::Forbidden);
    };
    let workspace = match super::workspace::workspace(state, caller, &view, customer.clone(), brief).await {
        Ok(w) => w,
        Err(e) => return crate::pages::error_page(ident, e),
    };
    let customer = Some(customer);
    let tz = time_zone(state).await;
    let is_incident = view.ticket.kind == kefu_core::ticket::Kind::Incident;
    let macros = match state.app.macros(&actor).await {
        Ok(macros) => macros
            .into_iter()
            .map(|m| (m.id, if lang == Language::ZhCn { m.title_zh } else { m.title_en }))
            .collect(),
        Err(e) => return crate::pages::error_page(ident, e),
    };
    let steps = if is_incident {
        match state.app.incident_steps(&actor, id).await {
            Ok(steps) => steps.into_iter().map(|s| (fmt_time(s.at, &tz), s.body)).collect(),
            Err(e) => return crate::pages::error_page(ident, e),
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
            workspace,
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
                            return crate::pages::too_large(&caller.identity);
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
        Err(e) => return crate::pages::error_page(&caller.identity, e),
    };
    ticket_page(state, caller, id, None, errors, status).await
}

/// The ticket's fields as the workspace edits them; an empty value clears an optional one.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FieldsForm {
    assignee: String,
    priority: String,
    category: String,
    /// Left as it is when the form carries no touchpoint field.
    touchpoint: Option<String>,
    phase: String,
    nature: String,
    place: String,
    fee: String,
    frequency: String,
}

/// `POST /tickets/{id}/fields`: assignee, priority, category, touchpoint and the five
/// classification axes from the workspace, in one edit (nothing changes when one is refused).
pub async fn set_fields(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<FieldsForm>,
) -> Response {
    let result: Result<(), AppError> = async {
        let id_of = |field: &str, v: &str| -> Result<Option<i64>, kefu_core::Invalid> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .map(Some)
                .map_err(|_| kefu_core::Invalid::one(field, "invalid", format!("{field} is not an id")))
        };
        fn axis<T>(v: &str, parse: fn(&str) -> Result<T, kefu_core::Invalid>) -> Result<Option<T>, kefu_core::Invalid> {
            let v = v.trim();
            if v.is_empty() { Ok(None) } else { parse(v).map(Some) }
        }
        use kefu_core::ticket::{Fee, Frequency, Nature, Phase, Place};
        let classification = kefu_core::ticket::Classification {
            phase: axis(&f.phase, Phase::parse)?,
            nature: axis(&f.nature, Nature::parse)?,
            place: axis(&f.place, Place::parse)?,
            fee: axis(&f.fee, Fee::parse)?,
            frequency: axis(&f.frequency, Frequency::parse)?,
        };
        let edit = kefu_app::ticket_edit::TicketEdit {
            assignee_id: Some(id_of("assignee_id", &f.assignee)?),
            priority: Some(f.priority.trim().to_owned()),
            category_id: Some(id_of("category_id", &f.category)?),
            touchpoint: f.touchpoint,
            classification: Some(classification),
            ..Default::default()
        };
        state.app.edit_ticket(&caller.actor(), id, edit).await.map(|_| ())
    }
    .await;
    after_change(&state, &caller, id, result).await
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
