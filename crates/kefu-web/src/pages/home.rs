//! The home page of each role: what that role will work on, and an empty state that says where
//! things will appear as the capabilities land.

use super::{Chrome, render};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use kefu_core::Role;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub page: Chrome,
    pub heading: &'static str,
    pub empty_title: &'static str,
    pub empty_body: &'static str,
    pub organisation: String,
    pub stats: Vec<(&'static str, i64)>,
}

pub async fn show(State(state): State<WebState>, caller: Caller) -> Response {
    let id = &caller.identity;
    if caller.user.role == Role::Customer {
        return super::portal::home();
    }
    let t = id.tr();
    let (heading, title, body) = match caller.user.role {
        Role::Admin => ("home.admin.heading", "home.admin.empty_title", "home.admin.empty_body"),
        Role::Manager => (
            "home.manager.heading",
            "home.manager.empty_title",
            "home.manager.empty_body",
        ),
        Role::Agent => ("home.agent.heading", "home.agent.empty_title", "home.agent.empty_body"),
        Role::Technician => (
            "home.technician.heading",
            "home.technician.empty_title",
            "home.technician.empty_body",
        ),
        Role::Customer => (
            "home.customer.heading",
            "home.customer.empty_title",
            "home.customer.empty_body",
        ),
    };
    let organisation = super::organisation(&state).await["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut stats = vec![];
    if caller.user.role == Role::Admin {
        match state.app.admin_figures(&caller.actor()).await {
            Ok(f) => {
                stats.push((t.t("home.admin.users"), f.users));
                stats.push((t.t("home.admin.departments"), f.departments));
            }
            Err(e) => return super::error_page(id, e),
        }
    }
    render(HomePage {
        page: Chrome::new(id, "/", "nav.home"),
        heading: t.t(heading),
        empty_title: t.t(title),
        empty_body: t.t(body),
        organisation,
        stats,
    })
}
