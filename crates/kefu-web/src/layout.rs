//! The frame of every page: `Chrome` (the layout's navigation for the caller's role, the language
//! switch, the CSRF secret, the flash message after a redirect) and rendering a template into a
//! response. Pages and the error pages both stand on it; it knows no route and no handler.

use crate::assets;
use crate::i18n::Tr;
use crate::identity::Identity;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kefu_app::model::User;
use kefu_core::{Role, RoleSet, roles};

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's layout needs.
pub struct Chrome {
    pub t: Tr,
    pub user: Option<User>,
    pub csrf: String,
    pub path: String,
    pub css: String,
    pub js: String,
    pub nav: Vec<NavItem>,
    pub flash: Option<&'static str>,
    pub title: String,
    /// A banner for admins and managers: a calendar in use runs out of holidays soon.
    pub calendar_warnings: Vec<String>,
}

impl Chrome {
    pub fn new(id: &Identity, path: &str, title_key: &'static str) -> Chrome {
        let t = id.tr();
        let role = id.user.as_ref().map(|u| u.role);
        let items: &[(&'static str, &'static str, RoleSet)] = &[
            ("/", "nav.home", roles::EVERYONE),
            ("/dashboard", "nav.dashboard", roles::STAFF),
            ("/gaps", "nav.gaps", roles::STAFF),
            ("/tickets", "nav.tickets", roles::DESK),
            ("/my/requests", "nav.my_requests", roles::CUSTOMERS),
            ("/customers", "nav.customers", roles::DESK),
            ("/surveys", "nav.surveys", roles::MANAGERS),
            ("/admin/users", "nav.users", roles::MANAGERS),
            ("/admin/departments", "nav.departments", roles::ADMINS),
            ("/admin/service-levels", "nav.service_levels", roles::MANAGERS),
            ("/admin/webhooks", "nav.webhooks", roles::ADMINS),
            ("/admin/audit", "nav.audit", roles::ADMINS),
            ("/account", "nav.account", roles::EVERYONE),
        ];
        let nav = match role {
            None => vec![],
            Some(r) => items
                .iter()
                .filter(|(_, _, set)| set.contains(r))
                .map(|(href, key, _)| NavItem {
                    href,
                    label: t.t(key),
                    current: if *href == "/" {
                        path == "/"
                    } else {
                        path.starts_with(href)
                    },
                })
                .collect(),
        };
        Chrome {
            t,
            user: id.user.clone(),
            csrf: id.session.as_ref().map(|(_, c)| c.clone()).unwrap_or_default(),
            path: path.to_owned(),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            nav,
            flash: None,
            title: t.t(title_key).to_owned(),
            calendar_warnings: id
                .calendar_gaps
                .iter()
                .map(|g| {
                    t.f(
                        "calendar.gap_banner",
                        &[
                            ("calendar", &g.calendar),
                            ("through", &g.covered.last().map(i16::to_string).unwrap_or_default()),
                            ("from", &g.from),
                            ("year", &g.from.year()),
                        ],
                    )
                })
                .collect(),
        }
    }

    /// A flash message chosen by a `?done=` code after a redirect; unknown codes show nothing.
    pub fn with_flash(mut self, done: Option<&str>) -> Chrome {
        self.flash = done
            .and_then(|d| FLASHES.iter().find(|(code, _)| *code == d))
            .map(|(_, key)| self.t.t(key));
        self
    }

    pub fn role_label(&self, role: &Role) -> &'static str {
        self.t.t(role_key(*role))
    }
}

/// The `?done=` codes a redirect may carry, and the message each shows.
const FLASHES: &[(&str, &str)] = &[
    ("view_saved", "flash.view_saved"),
    ("gaps_saved", "flash.gaps_saved"),
    ("view_deleted", "flash.view_deleted"),
    ("user_created", "flash.user_created"),
    ("user_updated", "flash.user_updated"),
    ("password_set", "flash.password_set"),
    ("password_changed", "flash.password_changed"),
    ("language_saved", "flash.language_saved"),
    ("department_created", "flash.department_created"),
    ("department_renamed", "flash.department_renamed"),
    ("department_deleted", "flash.department_deleted"),
    ("webhook_created", "flash.webhook_created"),
    ("webhook_updated", "flash.webhook_updated"),
    ("webhook_deleted", "flash.webhook_deleted"),
    ("webhook_pinged", "flash.webhook_pinged"),
    ("customer_created", "flash.customer_created"),
    ("customer_saved", "flash.customer_saved"),
    ("customer_deleted", "flash.customer_deleted"),
    ("customer_restored", "flash.customer_restored"),
    ("customers_merged", "flash.customers_merged"),
    ("contact_added", "flash.contact_added"),
    ("password_chosen", "flash.password_chosen"),
    ("ticket_created", "flash.ticket_created"),
    ("ticket_updated", "flash.ticket_updated"),
    ("follow_replied", "flash.follow_replied"),
    ("survey_saved", "flash.survey_saved"),
    ("survey_created", "flash.survey_created"),
    ("survey_primary", "flash.survey_primary"),
    ("campaign_created", "flash.campaign_created"),
    ("campaign_ran", "flash.campaign_ran"),
    ("campaign_saved", "flash.campaign_saved"),
    ("calendar_saved", "flash.calendar_saved"),
    ("calendar_imported", "flash.calendar_imported"),
    ("commitment_saved", "flash.commitment_saved"),
    ("policy_saved", "flash.policy_saved"),
    ("policy_deleted", "flash.policy_deleted"),
    ("rule_added", "flash.rule_added"),
    ("rules_saved", "flash.rules_saved"),
];

pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Manager => "role.manager",
        Role::Agent => "role.agent",
        Role::Technician => "role.technician",
        Role::Customer => "role.customer",
    }
}

pub fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn render_status(status: StatusCode, t: impl Template) -> Response {
    let mut r = render(t);
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flash_code_has_a_message_in_both_languages() {
        for (code, key) in FLASHES {
            for lang in [kefu_core::Language::En, kefu_core::Language::ZhCn] {
                assert_ne!(Tr::new(lang).t(key), *key, "{code} has no {lang:?} text");
            }
        }
    }
}
