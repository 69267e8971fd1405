//! The customer portal: a customer user sees its own requests — and an intermediate customer also
//! those filed for the customers beneath it — files new ones, follows the public conversation
//! (never internal notes) and answers. What it may see is decided by the app's scoping
//! (docs/roles.md#scope); these pages only show it.

use super::account::field_errors;
use super::{
    BodyForm, Chrome, CustomerMessage, DoneQuery, customer_messages, done, fmt_time, render_status, time_zone,
};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::TicketFilter;
use kefu_app::portal::CustomerScope;
use kefu_app::tickets::{Addition, TicketInput};
use kefu_core::ticket::Kind;
use serde::Deserialize;

/// One request in the list.
pub struct RequestRow {
    pub id: i64,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub created: String,
}

#[derive(Template)]
#[template(path = "my_requests.html")]
pub struct RequestsPage {
    pub page: Chrome,
    pub rows: Vec<RequestRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub errors: Vec<(String, String)>,
    pub subject: String,
    pub body: String,
    /// The customer's own purchases to choose the one the request is about: (id, label).
    pub purchases: Vec<(i64, String)>,
}

/// A purchase as a choice: the product, its serial and its date.
pub(crate) fn purchase_label(p: &kefu_app::model::Purchase) -> String {
    let name = if p.product_name.is_empty() {
        p.sku.as_str()
    } else {
        p.product_name.as_str()
    };
    let serial = if p.serial.is_empty() {
        String::new()
    } else {
        format!(" · {}", p.serial)
    };
    format!("{name}{serial} · {}", p.purchased_on)
}

async fn requests_page(
    state: &WebState,
    caller: &Caller,
    flash: Option<&str>,
    errors: Vec<(String, String)>,
    form: NewRequest,
    status: StatusCode,
) -> Response {
    let ident = &caller.identity;
    let lang = ident.lang;
    let filter = TicketFilter {
        limit: 100,
        ..Default::default()
    };
    let views = match state.app.list_tickets(&caller.actor(), filter).await {
        Ok(v) => v,
        Err(e) => return super::error_page(ident, e),
    };
    let purchases = match state.app.customer_scope(&caller.actor()).await {
        Ok(CustomerScope::Within(c)) => match state.app.purchases_of(&caller.actor(), c, 100).await {
            Ok(p) => p.iter().map(|p| (p.id, purchase_label(p))).collect(),
            Err(e) => return super::error_page(ident, e),
        },
        Ok(_) => vec![],
        Err(e) => return super::error_page(ident, e),
    };
    let tz = time_zone(state).await;
    render_status(
        status,
        RequestsPage {
            page: Chrome::new(ident, "/my/requests", "portal.title").with_flash(flash),
            rows: views
                .into_iter()
                .map(|v| RequestRow {
                    id: v.ticket.id,
                    reference: v.reference.to_string(),
                    subject: v.ticket.subject.clone(),
                    status: v.ticket.status.label(lang),
                    created: fmt_time(v.ticket.created_at, &tz),
                })
                .collect(),
            kinds: [
                Kind::Complaint,
                Kind::Request,
                Kind::Inquiry,
                Kind::Suggestion,
                Kind::Praise,
            ]
            .iter()
            .map(|k| (k.as_str(), k.label(lang)))
            .collect(),
            errors,
            subject: form.subject,
            body: form.body,
            purchases,
        },
    )
}

/// The customer's requests, newest first, and the form for a new one.
pub async fn requests(State(state): State<WebState>, caller: Caller, Query(q): Query<DoneQuery>) -> Response {
    requests_page(
        &state,
        &caller,
        q.done.as_deref(),
        vec![],
        NewRequest::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewRequest {
    kind: String,
    subject: String,
    body: String,
    /// The purchase it is about, or empty.
    purchase: String,
}

/// Files a request for the customer's own record.
pub async fn create(State(state): State<WebState>, caller: Caller, axum::Form(f): axum::Form<NewRequest>) -> Response {
    let actor = caller.actor();
    let customer_id = match state.app.customer_scope(&actor).await {
        Ok(CustomerScope::Within(c)) => c,
        // A customer user not linked to a customer record has nothing to file for.
        Ok(_) => return super::error_page(&caller.identity, AppError::NotFound),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let input = TicketInput {
        customer_id,
        kind: f.kind.clone(),
        subject: f.subject.clone(),
        body: f.body.clone(),
        language: Some(caller.identity.lang.code().to_owned()),
        purchase_id: match f.purchase.trim() {
            "" => None,
            p => match p.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    let e = kefu_core::Invalid::one("purchase_id", "unknown_purchase", "choose one of your purchases");
                    let errors = field_errors(&caller.identity.tr(), e);
                    return requests_page(&state, &caller, None, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            },
        },
        ..Default::default()
    };
    match state.app.create_ticket(&actor, input).await {
        Ok(v) => done(&kefu_app::links::my_request(v.ticket.id), "ticket_created"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&caller.identity.tr(), i);
            requests_page(&state, &caller, None, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[derive(Template)]
#[template(path = "my_request.html")]
pub struct RequestPage {
    pub page: Chrome,
    pub id: i64,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub messages: Vec<CustomerMessage>,
    /// (id, file name)
    pub attachments: Vec<(i64, String)>,
    pub errors: Vec<(String, String)>,
}

async fn request_page(
    state: &WebState,
    caller: &Caller,
    id: i64,
    flash: Option<&str>,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let ident = &caller.identity;
    let actor = caller.actor();
    let view = match state.app.get_ticket(&actor, id).await {
        Ok(v) => v,
        Err(e) => return super::error_page(ident, e),
    };
    let messages = match state.app.ticket_messages(&actor, id).await {
        Ok(m) => m,
        Err(e) => return super::error_page(ident, e),
    };
    let attachments = match state.app.ticket_attachments(&actor, id).await {
        Ok(a) => a.into_iter().map(|a| (a.id, a.filename)).collect(),
        Err(e) => return super::error_page(ident, e),
    };
    let tz = time_zone(state).await;
    render_status(
        status,
        RequestPage {
            page: Chrome::new(ident, "/my/requests", "portal.request").with_flash(flash),
            id,
            reference: view.reference.to_string(),
            subject: view.ticket.subject.clone(),
            status: view.ticket.status.label(ident.lang),
            messages: customer_messages(messages, &tz),
            attachments,
            errors,
        },
    )
}

/// A request with its public conversation.
pub async fn request(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    request_page(&state, &caller, id, q.done.as_deref(), vec![], StatusCode::OK).await
}

/// The customer answers (a resolved request reopens, as the workflow says).
pub async fn reply(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BodyForm>,
) -> Response {
    match state
        .app
        .add_to_ticket(&caller.actor(), id, Addition::Reply { body: f.body })
        .await
    {
        Ok(_) => done(&kefu_app::links::my_request(id), "follow_replied"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&caller.identity.tr(), i);
            request_page(&state, &caller, id, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// For a customer, home is the list of requests.
pub fn home() -> Response {
    axum::response::IntoResponse::into_response(axum::response::Redirect::to("/my/requests"))
}
