//! The home page of each role: what that role works on. The desk (admins, managers, agents) sees
//! the newest tickets waiting in its scope, or an empty state when none waits; technicians an
//! empty state that says where their visits will appear.

use super::{Chrome, render};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use kefu_core::Role;
use kefu_core::ticket::Status;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub page: Chrome,
    pub heading: &'static str,
    pub empty_title: &'static str,
    pub empty_body: &'static str,
    pub organisation: String,
    pub stats: Vec<(&'static str, i64)>,
    /// The desk's home: the newest tickets waiting in the caller's scope (id, reference, subject,
    /// status), and whether there are more than shown. Empty: nothing waits.
    pub waiting: Vec<(i64, String, String, &'static str)>,
    pub more_waiting: bool,
    pub works_desk: bool,
}

/// How many waiting tickets the home page lists.
const WAITING_SHOWN: u32 = 5;

pub async fn show(State(state): State<WebState>, caller: Caller) -> Response {
    let id = &caller.identity;
    if caller.user.role == Role::Customer {
        return super::portal::home();
    }
    let t = id.tr();
    let heading = match caller.user.role {
        Role::Admin => "home.admin.heading",
        Role::Manager => "home.manager.heading",
        Role::Agent => "home.agent.heading",
        Role::Technician => "home.technician.heading",
        Role::Customer => "home.customer.heading",
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
    // What waits in this person's scope, read from the queue itself: the page states nothing
    // the queue does not show.
    let works_desk = caller.user.role.works_the_desk();
    let (mut waiting, mut more_waiting) = (vec![], false);
    if works_desk {
        let filter = kefu_app::model::TicketFilter {
            limit: WAITING_SHOWN + 1,
            statuses: vec![Status::New, Status::Open, Status::Pending],
            ..Default::default()
        };
        match state.app.list_tickets(&caller.actor(), filter).await {
            Ok(views) => {
                more_waiting = views.len() > WAITING_SHOWN as usize;
                waiting = views
                    .into_iter()
                    .take(WAITING_SHOWN as usize)
                    .map(|v| {
                        (
                            v.ticket.id,
                            v.reference.to_string(),
                            v.ticket.subject.clone(),
                            v.ticket.status.label(id.lang),
                        )
                    })
                    .collect();
            }
            Err(e) => return super::error_page(id, e),
        }
    }
    let (title, body) = if works_desk {
        ("home.desk.empty_title", "home.desk.empty_body")
    } else {
        ("home.technician.empty_title", "home.technician.empty_body")
    };
    render(HomePage {
        page: Chrome::new(id, "/", "nav.home"),
        heading: t.t(heading),
        empty_title: t.t(title),
        empty_body: t.t(body),
        organisation,
        stats,
        waiting,
        more_waiting,
        works_desk,
    })
}
