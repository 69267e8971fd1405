//! The form an agent files a ticket with: a phone call, a walk-in.

use crate::WebState;
use crate::auth::Caller;
use crate::pages::account::field_errors;
use crate::pages::{Chrome, done, render_status};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::Customer;
use kefu_app::tickets::TicketInput;
use kefu_core::ticket::{Kind, Priority};
use serde::Deserialize;

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
        return crate::pages::error_page(&caller.identity, AppError::NotFound);
    };
    let customer = match state.app.visible_customer(&caller.actor(), id).await {
        Ok(c) => c,
        Err(e) => return crate::pages::error_page(&caller.identity, e),
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
        Err(e) => crate::pages::error_page(&caller.identity, e),
    }
}
