//! Server-rendered pages. Each page fills a template whose layout (`base.html`) draws the
//! navigation for the caller's role, the language switch and the logout form. Askama escapes
//! every value, so complaint text and names are always shown as text.

pub mod account;
pub mod audit;
pub mod campaigns;
pub mod customers;
pub mod dashboard;
pub mod departments;
pub mod gaps;
pub mod home;
pub mod invite;
pub mod login;
pub mod portal;
pub mod public;
pub mod service_levels;
mod sla_view;
pub mod surveys;
pub mod tickets;
pub mod users;
pub mod webhooks;

use crate::WebState;
use crate::auth::Identity;
use axum::response::{IntoResponse, Redirect, Response};
use kefu_app::AppError;
use kefu_app::model::{AuthorKind, TicketMessage};
use serde::Deserialize;

pub use crate::error::{ErrorPage, error_page, too_large};
pub use crate::layout::{Chrome, render, render_status};

/// The query of a page a form redirects back to: `done` names the flash to show (see [`done`]).
#[derive(Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// A form with one text, `body`: a reply or a recovery step.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BodyForm {
    pub body: String,
}

pub async fn not_found(id: Identity) -> Response {
    error_page(&id, AppError::NotFound)
}

/// Redirect after a successful form (POST/redirect/GET), with a flash code.
pub fn done(to: &str, code: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={code}")).into_response()
}

/// The organisation's settings (name, time zone).
pub async fn organisation(state: &WebState) -> serde_json::Value {
    state.app.organisation().await
}

pub async fn time_zone(state: &WebState) -> jiff::tz::TimeZone {
    state.app.time_zone().await
}

pub fn fmt_time(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// One message of a ticket's public conversation as its customer sees it (the follow link and
/// the portal draw these with `ui::conversation`).
pub struct CustomerMessage {
    pub mine: bool,
    pub at: String,
    pub body: String,
}

/// The public messages of a ticket, oldest first, as its customer sees them.
pub fn customer_messages(messages: Vec<TicketMessage>, tz: &jiff::tz::TimeZone) -> Vec<CustomerMessage> {
    messages
        .into_iter()
        .map(|m| CustomerMessage {
            mine: m.author_kind == AuthorKind::Customer,
            at: fmt_time(m.created_at, tz),
            body: m.body,
        })
        .collect()
}
