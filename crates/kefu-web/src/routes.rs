//! Every route of kefu, with who may use it, in one table. The router is built from this table,
//! the access rule of each route is enforced by a layer made from its entry, and the route × role
//! test walks the same table — so a route cannot exist without an access rule.

use crate::{WebState, api, assets, auth, csrf, metrics, pages, security};
use axum::Router;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodRouter, get, post};
use kefu_core::Role;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Only these roles.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Access::Public => true,
            Access::AnyUser => role.is_some(),
            Access::Roles(rs) => role.is_some_and(|r| rs.contains(&r)),
        }
    }
}

/// Pages answer with HTML and redirect to the login; the API answers problem+json and 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Page,
    Api,
    Ops,
}

#[derive(Debug, Clone)]
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub surface: Surface,
}

pub(crate) const ADMIN: &[Role] = &[Role::Admin];
pub(crate) const USER_READERS: &[Role] = &[Role::Admin, Role::Manager];
pub(crate) const CUSTOMER_WRITERS: &[Role] = &[Role::Admin, Role::Manager, Role::Agent];
/// Who may read customer records at all; what each sees is scoped by the app (SPEC section L):
/// a customer user its own record or subtree, a technician those of its visits.
pub(crate) const CUSTOMER_READERS: &[Role] = &[
    Role::Admin,
    Role::Manager,
    Role::Agent,
    Role::Technician,
    Role::Customer,
];
/// Who may file and read tickets; what each sees is scoped by the app (SPEC section L).
pub(crate) const TICKET_USERS: &[Role] = &[Role::Admin, Role::Manager, Role::Agent, Role::Customer];
/// The customer portal's pages.
pub(crate) const PORTAL: &[Role] = &[Role::Customer];
pub(crate) const CUSTOMER_DELETERS: &[Role] = &[Role::Admin, Role::Manager];
/// Who designs surveys, makes their links and reads their reports (SPEC.md L).
pub(crate) const SURVEY_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
pub(crate) const STAFF: &[Role] = &[Role::Admin, Role::Manager, Role::Agent, Role::Technician];

type Handler = MethodRouter<WebState>;

/// The table: (route, handler).
pub fn route_table() -> Vec<(RouteDef, Handler)> {
    use Access::*;
    use Surface::*;
    let r = |method: Method, path: &'static str, access: Access, surface: Surface, h: Handler| {
        (
            RouteDef {
                method,
                path,
                access,
                surface,
            },
            h,
        )
    };
    vec![
        // Operations
        r(Method::GET, "/healthz", Public, Ops, get(api::ops::healthz)),
        r(Method::GET, "/readyz", Public, Ops, get(api::ops::readyz)),
        r(Method::GET, "/metrics", Public, Ops, get(metrics::serve)),
        r(Method::GET, "/api/openapi.json", Public, Ops, get(api::openapi_json)),
        r(Method::GET, "/assets/{file}", Public, Ops, get(assets::serve)),
        // Pages
        r(Method::GET, "/login", Public, Page, get(pages::login::show)),
        r(Method::POST, "/login", Public, Page, post(pages::login::submit)),
        r(Method::POST, "/logout", AnyUser, Page, post(pages::login::logout)),
        r(Method::POST, "/lang", Public, Page, post(pages::login::switch_language)),
        r(Method::GET, "/", AnyUser, Page, get(pages::home::show)),
        r(Method::GET, "/account", AnyUser, Page, get(pages::account::show)),
        r(
            Method::GET,
            "/my/requests",
            Roles(PORTAL),
            Page,
            get(pages::portal::requests),
        ),
        r(
            Method::POST,
            "/my/requests",
            Roles(PORTAL),
            Page,
            post(pages::portal::create),
        ),
        r(
            Method::GET,
            "/my/requests/{id}",
            Roles(PORTAL),
            Page,
            get(pages::portal::request),
        ),
        r(
            Method::POST,
            "/my/requests/{id}",
            Roles(PORTAL),
            Page,
            post(pages::portal::reply),
        ),
        r(
            Method::POST,
            "/account/password",
            AnyUser,
            Page,
            post(pages::account::change_password),
        ),
        r(
            Method::POST,
            "/account/language",
            AnyUser,
            Page,
            post(pages::account::set_language),
        ),
        r(
            Method::GET,
            "/customers",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::list),
        ),
        r(
            Method::GET,
            "/customers/new",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::new_form),
        ),
        r(
            Method::POST,
            "/customers",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::customers::create),
        ),
        r(
            Method::GET,
            "/customers/{id}",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::archive),
        ),
        r(
            Method::GET,
            "/customers/{id}/edit",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::edit_form),
        ),
        r(
            Method::POST,
            "/customers/{id}/edit",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::customers::update),
        ),
        r(
            Method::POST,
            "/customers/{id}/delete",
            Roles(CUSTOMER_DELETERS),
            Page,
            post(pages::customers::delete),
        ),
        r(
            Method::POST,
            "/customers/{id}/restore",
            Roles(CUSTOMER_DELETERS),
            Page,
            post(pages::customers::restore),
        ),
        r(
            Method::POST,
            "/customers/{id}/merge",
            Roles(CUSTOMER_DELETERS),
            Page,
            post(pages::customers::merge),
        ),
        r(
            Method::POST,
            "/customers/{id}/contacts",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::customers::add_contact),
        ),
        r(
            Method::POST,
            "/contacts/{id}/portal",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::customers::create_portal_account),
        ),
        r(
            Method::GET,
            "/customers/tree",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::tree),
        ),
        r(
            Method::GET,
            "/customers/duplicates",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::customers::duplicates),
        ),
        r(Method::GET, "/invite/{token}", Public, Page, get(pages::invite::show)),
        r(
            Method::POST,
            "/invite/{token}",
            Public,
            Page,
            post(pages::invite::accept),
        ),
        r(Method::GET, "/complaint", Public, Page, get(pages::public::form)),
        r(Method::POST, "/complaint", Public, Page, post(pages::public::submit)),
        r(Method::GET, "/follow/{token}", Public, Page, get(pages::public::follow)),
        r(Method::GET, "/s/{token}", Public, Page, get(pages::surveys::show)),
        r(Method::POST, "/s/{token}", Public, Page, post(pages::surveys::submit)),
        r(
            Method::GET,
            "/s/{token}/opt-out",
            Public,
            Page,
            get(pages::surveys::opt_out_form),
        ),
        r(
            Method::POST,
            "/s/{token}/opt-out",
            Public,
            Page,
            post(pages::surveys::opt_out),
        ),
        r(
            Method::GET,
            "/surveys",
            Roles(SURVEY_MANAGERS),
            Page,
            get(pages::surveys::list),
        ),
        r(
            Method::POST,
            "/surveys",
            Roles(SURVEY_MANAGERS),
            Page,
            post(pages::surveys::create),
        ),
        r(
            Method::POST,
            "/surveys/{id}/links",
            Roles(SURVEY_MANAGERS),
            Page,
            post(pages::surveys::make_links),
        ),
        r(
            Method::GET,
            "/surveys/{id}",
            Roles(SURVEY_MANAGERS),
            Page,
            get(pages::surveys::report),
        ),
        r(
            Method::GET,
            "/surveys/{id}/campaigns",
            Roles(SURVEY_MANAGERS),
            Page,
            get(pages::campaigns::list),
        ),
        r(
            Method::POST,
            "/surveys/{id}/campaigns",
            Roles(SURVEY_MANAGERS),
            Page,
            post(pages::campaigns::create),
        ),
        r(
            Method::POST,
            "/surveys/campaigns/{id}/run",
            Roles(SURVEY_MANAGERS),
            Page,
            post(pages::campaigns::run),
        ),
        r(
            Method::POST,
            "/surveys/campaigns/{id}/status",
            Roles(SURVEY_MANAGERS),
            Page,
            post(pages::campaigns::set_status),
        ),
        r(
            Method::GET,
            "/surveys/campaigns/{id}/links.csv",
            Roles(SURVEY_MANAGERS),
            Page,
            get(pages::campaigns::links),
        ),
        r(
            Method::POST,
            "/follow/{token}",
            Public,
            Page,
            post(pages::public::reply),
        ),
        r(
            Method::GET,
            "/qr.svg",
            Roles(USER_READERS),
            Page,
            get(pages::public::qr_svg),
        ),
        r(
            Method::GET,
            "/tickets",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::tickets::queue),
        ),
        r(
            Method::GET,
            "/tickets/new",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::tickets::new_form),
        ),
        r(
            Method::POST,
            "/tickets",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::create),
        ),
        r(
            Method::GET,
            "/tickets/{id}",
            Roles(CUSTOMER_WRITERS),
            Page,
            get(pages::tickets::show),
        ),
        r(
            Method::POST,
            "/tickets/{id}/messages",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::add),
        ),
        r(
            Method::POST,
            "/tickets/{id}/status",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::set_status),
        ),
        r(
            Method::POST,
            "/tickets/{id}/resolution",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::resolution),
        ),
        r(
            Method::POST,
            "/tickets/{id}/steps",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::add_step),
        ),
        r(
            Method::POST,
            "/tickets/{id}/share",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::share),
        ),
        r(
            Method::GET,
            "/admin/users",
            Roles(USER_READERS),
            Page,
            get(pages::users::list),
        ),
        r(
            Method::GET,
            "/admin/users/new",
            Roles(ADMIN),
            Page,
            get(pages::users::new_form),
        ),
        r(
            Method::POST,
            "/admin/users",
            Roles(ADMIN),
            Page,
            post(pages::users::create),
        ),
        r(
            Method::GET,
            "/admin/users/{id}",
            Roles(USER_READERS),
            Page,
            get(pages::users::edit_form),
        ),
        r(
            Method::POST,
            "/admin/users/{id}",
            Roles(ADMIN),
            Page,
            post(pages::users::update),
        ),
        r(
            Method::POST,
            "/admin/users/{id}/password",
            Roles(ADMIN),
            Page,
            post(pages::users::set_password),
        ),
        r(
            Method::GET,
            "/admin/departments",
            Roles(ADMIN),
            Page,
            get(pages::departments::list),
        ),
        r(
            Method::POST,
            "/admin/departments",
            Roles(ADMIN),
            Page,
            post(pages::departments::create),
        ),
        r(
            Method::POST,
            "/admin/departments/{id}",
            Roles(ADMIN),
            Page,
            post(pages::departments::rename),
        ),
        r(
            Method::POST,
            "/admin/departments/{id}/delete",
            Roles(ADMIN),
            Page,
            post(pages::departments::delete),
        ),
        r(Method::GET, "/admin/audit", Roles(ADMIN), Page, get(pages::audit::list)),
        r(
            Method::GET,
            "/admin/webhooks",
            Roles(ADMIN),
            Page,
            get(pages::webhooks::list),
        ),
        r(
            Method::POST,
            "/admin/webhooks",
            Roles(ADMIN),
            Page,
            post(pages::webhooks::create),
        ),
        r(
            Method::GET,
            "/admin/webhooks/{id}",
            Roles(ADMIN),
            Page,
            get(pages::webhooks::show),
        ),
        r(
            Method::POST,
            "/admin/webhooks/{id}/ping",
            Roles(ADMIN),
            Page,
            post(pages::webhooks::ping),
        ),
        r(
            Method::POST,
            "/admin/webhooks/{id}/active",
            Roles(ADMIN),
            Page,
            post(pages::webhooks::toggle),
        ),
        r(
            Method::POST,
            "/admin/webhooks/{id}/delete",
            Roles(ADMIN),
            Page,
            post(pages::webhooks::delete),
        ),
        // API
        r(Method::GET, "/api/v1/me", AnyUser, Api, get(api::me)),
        r(
            Method::GET,
            "/api/v1/users",
            Roles(USER_READERS),
            Api,
            get(api::list_users),
        ),
        r(Method::POST, "/api/v1/users", Roles(ADMIN), Api, post(api::create_user)),
        r(Method::GET, "/api/v1/users/{id}", AnyUser, Api, get(api::get_user)),
        r(
            Method::PATCH,
            "/api/v1/users/{id}",
            Roles(ADMIN),
            Api,
            axum::routing::patch(api::update_user),
        ),
        r(
            Method::GET,
            "/api/v1/departments",
            Roles(STAFF),
            Api,
            get(api::list_departments),
        ),
        r(
            Method::POST,
            "/api/v1/departments",
            Roles(ADMIN),
            Api,
            post(api::create_department),
        ),
        r(
            Method::GET,
            "/api/v1/webhooks",
            Roles(ADMIN),
            Api,
            get(api::list_webhooks),
        ),
        r(
            Method::POST,
            "/api/v1/webhooks",
            Roles(ADMIN),
            Api,
            post(api::create_webhook),
        ),
        r(Method::GET, "/api/v1/audit", Roles(ADMIN), Api, get(api::list_audit)),
        r(
            Method::GET,
            "/api/v1/customers",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::list),
        ),
        r(
            Method::POST,
            "/api/v1/customers",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::customers::create),
        ),
        r(
            Method::GET,
            "/api/v1/customers/{id}",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::get),
        ),
        r(
            Method::PATCH,
            "/api/v1/customers/{id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::patch(api::customers::patch),
        ),
        r(
            Method::DELETE,
            "/api/v1/customers/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::delete(api::customers::delete),
        ),
        r(
            Method::GET,
            "/api/v1/customers/{id}/tree",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::tree),
        ),
        r(
            Method::GET,
            "/api/v1/customers/{id}/downstream",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::downstream),
        ),
        r(
            Method::GET,
            "/api/v1/customers/{id}/contacts",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::list_contacts),
        ),
        r(
            Method::POST,
            "/api/v1/customers/{id}/contacts",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::customers::add_contact),
        ),
        r(
            Method::GET,
            "/api/v1/customers/{id}/purchases",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::list_purchases),
        ),
        r(
            Method::POST,
            "/api/v1/customers/{id}/purchases",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::customers::record_purchase),
        ),
        r(
            Method::POST,
            "/api/v1/customers/{id}/restore",
            Roles(CUSTOMER_DELETERS),
            Api,
            post(api::customers::restore),
        ),
        r(
            Method::POST,
            "/api/v1/customers/{id}/merge",
            Roles(CUSTOMER_DELETERS),
            Api,
            post(api::customers::merge),
        ),
        r(
            Method::GET,
            "/api/v1/customers/duplicates",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::customers::duplicates),
        ),
        r(
            Method::POST,
            "/api/v1/tickets",
            Roles(TICKET_USERS),
            Api,
            post(api::tickets::create),
        ),
        r(
            Method::GET,
            "/api/v1/tickets",
            Roles(TICKET_USERS),
            Api,
            get(api::tickets::list),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}",
            Roles(TICKET_USERS),
            Api,
            get(api::tickets::get),
        ),
        r(
            Method::PATCH,
            "/api/v1/tickets/{id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::patch(api::tickets::patch),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}/messages",
            Roles(TICKET_USERS),
            Api,
            get(api::tickets::messages),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/messages",
            Roles(TICKET_USERS),
            Api,
            post(api::tickets::add_message),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/status",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::tickets::set_status),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}/activity",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::tickets::activity),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}/notifications",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::tickets::notifications),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/attachments",
            Roles(TICKET_USERS),
            Api,
            post(api::attachments::upload),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}/attachments",
            Roles(TICKET_USERS),
            Api,
            get(api::attachments::list),
        ),
        r(
            Method::GET,
            "/attachments/{id}",
            Roles(TICKET_USERS),
            Page,
            get(api::attachments::download),
        ),
        r(
            Method::GET,
            "/api/v1/categories",
            Roles(TICKET_USERS),
            Api,
            get(api::tickets::categories),
        ),
        r(
            Method::POST,
            "/api/v1/categories",
            Roles(CUSTOMER_DELETERS),
            Api,
            post(api::tickets::create_category),
        ),
        r(
            Method::GET,
            "/api/v1/tickets/{id}/recovery-steps",
            Roles(TICKET_USERS),
            Api,
            get(api::tickets::recovery_steps),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/recovery-steps",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::tickets::add_recovery_step),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/share",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::tickets::share),
        ),
        r(
            Method::DELETE,
            "/api/v1/tickets/{id}/share",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::delete(api::tickets::unshare),
        ),
        r(
            Method::GET,
            "/api/v1/commitments",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::commitments::list),
        ),
        r(
            Method::POST,
            "/api/v1/commitments",
            Roles(CUSTOMER_DELETERS),
            Api,
            post(api::commitments::create),
        ),
        r(
            Method::PUT,
            "/api/v1/commitments/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::put(api::commitments::replace),
        ),
        r(
            Method::DELETE,
            "/api/v1/commitments/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::delete(api::commitments::delete),
        ),
        r(
            Method::GET,
            "/api/v1/macros",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::macros::list),
        ),
        r(
            Method::POST,
            "/api/v1/macros",
            Roles(CUSTOMER_DELETERS),
            Api,
            post(api::macros::create),
        ),
        r(
            Method::PUT,
            "/api/v1/macros/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::put(api::macros::replace),
        ),
        r(
            Method::DELETE,
            "/api/v1/macros/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::delete(api::macros::delete),
        ),
        r(
            Method::POST,
            "/api/v1/tickets/{id}/macros/{macro_id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::macros::apply),
        ),
        r(
            Method::GET,
            "/api/v1/views",
            Roles(CUSTOMER_WRITERS),
            Api,
            get(api::macros::views),
        ),
        r(
            Method::POST,
            "/api/v1/views",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::macros::create_view),
        ),
        r(
            Method::DELETE,
            "/api/v1/views/{id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::delete(api::macros::delete_view),
        ),
        r(
            Method::POST,
            "/tickets/views",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::save_view),
        ),
        r(
            Method::POST,
            "/tickets/views/{id}/delete",
            Roles(CUSTOMER_WRITERS),
            Page,
            post(pages::tickets::delete_view),
        ),
        r(
            Method::GET,
            "/commitments",
            Public,
            Page,
            get(pages::public::commitments),
        ),
        r(
            Method::GET,
            "/incident/{token}",
            Public,
            Page,
            get(pages::public::incident),
        ),
        r(
            Method::GET,
            "/api/v1/attachments/{id}",
            Roles(TICKET_USERS),
            Api,
            get(api::attachments::download),
        ),
        r(
            Method::GET,
            "/api/v1/surveys",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::surveys::list),
        ),
        r(
            Method::POST,
            "/api/v1/surveys",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::surveys::create),
        ),
        r(
            Method::GET,
            "/api/v1/surveys/{id}",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::surveys::get),
        ),
        r(
            Method::POST,
            "/api/v1/surveys/{id}/links",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::surveys::links),
        ),
        r(
            Method::POST,
            "/api/v1/surveys/{id}/campaigns",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::campaigns::create),
        ),
        r(
            Method::GET,
            "/api/v1/surveys/{id}/campaigns",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::campaigns::list),
        ),
        r(
            Method::GET,
            "/api/v1/campaigns/{id}",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::campaigns::get),
        ),
        r(
            Method::POST,
            "/api/v1/campaigns/{id}/run",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::campaigns::run),
        ),
        r(
            Method::GET,
            "/api/v1/campaigns/{id}/links",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::campaigns::links),
        ),
        r(
            Method::GET,
            "/api/v1/survey-answers/{token}",
            Public,
            Api,
            get(api::surveys::asked),
        ),
        r(
            Method::POST,
            "/api/v1/survey-answers/{token}",
            Public,
            Api,
            post(api::surveys::answer),
        ),
        r(
            Method::GET,
            "/api/v1/surveys/{id}/report",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::surveys::report),
        ),
        r(
            Method::GET,
            "/api/v1/surveys/{id}/lowest-items",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::surveys::lowest_items),
        ),
        r(
            Method::GET,
            "/api/v1/survey-items",
            Roles(SURVEY_MANAGERS),
            Api,
            get(api::surveys::bank),
        ),
        r(
            Method::PATCH,
            "/api/v1/survey-items",
            Roles(SURVEY_MANAGERS),
            Api,
            axum::routing::patch(api::surveys::patch_bank),
        ),
        r(
            Method::POST,
            "/api/v1/survey-items",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::surveys::add_item),
        ),
        r(
            Method::POST,
            "/api/v1/survey-dimensions",
            Roles(SURVEY_MANAGERS),
            Api,
            post(api::surveys::add_dimension),
        ),
        r(
            Method::GET,
            "/api/v1/channel-tree",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::channel_tree),
        ),
        r(
            Method::GET,
            "/api/v1/contacts/{id}",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::get_contact),
        ),
        r(
            Method::PATCH,
            "/api/v1/contacts/{id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::patch(api::customers::patch_contact),
        ),
        r(
            Method::DELETE,
            "/api/v1/contacts/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::delete(api::customers::delete_contact),
        ),
        r(
            Method::POST,
            "/api/v1/contacts/{id}/portal-account",
            Roles(CUSTOMER_WRITERS),
            Api,
            post(api::customers::create_portal_account),
        ),
        r(
            Method::GET,
            "/api/v1/purchases/{id}",
            Roles(CUSTOMER_READERS),
            Api,
            get(api::customers::get_purchase),
        ),
        r(
            Method::PATCH,
            "/api/v1/purchases/{id}",
            Roles(CUSTOMER_WRITERS),
            Api,
            axum::routing::patch(api::customers::patch_purchase),
        ),
        r(
            Method::DELETE,
            "/api/v1/purchases/{id}",
            Roles(CUSTOMER_DELETERS),
            Api,
            axum::routing::delete(api::customers::delete_purchase),
        ),
    ]
}

/// Routes that take a file as their body.
fn is_upload(def: &RouteDef) -> bool {
    def.method == Method::POST && def.path.ends_with("/attachments")
}

pub(crate) fn build(state: WebState) -> Router {
    let mut router: Router<WebState> = Router::new();
    let body_limit = state.config.body_limit;
    // An upload may be as large as an attachment may be (plus room for the request around it);
    // every other route keeps the general limit.
    let upload_limit = body_limit.max(
        usize::try_from(state.app.config.attachments.max_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 << 10),
    );
    for (def, handler) in route_table() {
        let path = def.path;
        let upload = is_upload(&def);
        let h = handler.route_layer(middleware::from_fn(move |req, next| {
            auth::enforce(def.clone(), req, next)
        }));
        // An upload reads its body itself and answers an oversize one with problem+json.
        let h = if upload {
            h.layer(axum::extract::DefaultBodyLimit::max(upload_limit))
        } else {
            h.layer(tower_http::limit::RequestBodyLimitLayer::new(body_limit))
        };
        router = router.route(path, h);
    }
    router
        .route("/api/v1/{*rest}", axum::routing::any(api::not_found))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(middleware::from_fn_with_state(state.clone(), auth::identify))
        .layer(middleware::from_fn(security::detach_writes))
        .layer(middleware::from_fn(security::headers))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(CatchPanicLayer::custom(security::panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(security::make_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
