//! Every route of kefu, with who may use it, in one table. The router is built from this table,
//! the access rule of each route is enforced by a layer made from its entry, and the route × role
//! test walks the same table — so a route cannot exist without an access rule.

use crate::access::*;
use crate::{WebState, api, assets, auth, csrf, metrics, pages, security};
use axum::Router;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use kefu_app::links;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

type Handler = MethodRouter<WebState>;

/// The table: (route, handler), one line per route: method, path, who may call it, the surface
/// it answers on, the handler.
#[rustfmt::skip]
pub fn route_table() -> Vec<(RouteDef, Handler)> {
    use Access::*;
    use Surface::*;
    const GET: Method = Method::GET;
    const POST: Method = Method::POST;
    const PUT: Method = Method::PUT;
    const PATCH: Method = Method::PATCH;
    const DELETE: Method = Method::DELETE;
    let r = |method: Method, path: &'static str, access: Access, surface: Surface, h: Handler| {
        (RouteDef { method, path, access, surface }, h)
    };
    vec![
        // Operations
        r(GET,    "/healthz",                                     Public,                   Ops,  get(api::ops::healthz)),
        r(GET,    "/readyz",                                      Public,                   Ops,  get(api::ops::readyz)),
        r(GET,    "/metrics",                                     Public,                   Ops,  get(metrics::serve_main)),
        r(GET,    "/api/openapi.json",                            Public,                   Ops,  get(api::openapi_json)),
        r(GET,    "/assets/{file}",                               Public,                   Ops,  get(assets::serve)),
        // Pages
        r(GET,    "/login",                                       Public,                   Page, get(pages::login::show)),
        r(POST,   "/login",                                       Public,                   Page, post(pages::login::submit)),
        r(POST,   "/logout",                                      AnyUser,                  Page, post(pages::login::logout)),
        r(POST,   "/lang",                                        Public,                   Page, post(pages::login::switch_language)),
        r(GET,    "/",                                            AnyUser,                  Page, get(pages::home::show)),
        r(GET,    "/dashboard",                                   Roles(STAFF),             Page, get(pages::dashboard::show)),
        r(GET,    "/dashboard/download",                          Roles(STAFF),             Page, get(pages::dashboard::download)),
        r(GET,    "/gaps",                                        Roles(STAFF),             Page, get(pages::gaps::show)),
        r(GET,    "/gaps/download",                               Roles(STAFF),             Page, get(pages::gaps::download)),
        r(POST,   "/gaps/diagnosis",                              Roles(DIAGNOSTICIANS),    Page, post(pages::gaps::save)),
        r(GET,    "/account",                                     AnyUser,                  Page, get(pages::account::show)),
        r(GET,    "/my/requests",                                 Roles(PORTAL),            Page, get(pages::portal::requests)),
        r(POST,   "/my/requests",                                 Roles(PORTAL),            Page, post(pages::portal::create)),
        r(GET,    links::MY_REQUEST,                              Roles(PORTAL),            Page, get(pages::portal::request)),
        r(POST,   links::MY_REQUEST,                              Roles(PORTAL),            Page, post(pages::portal::reply)),
        r(POST,   "/account/password",                            AnyUser,                  Page, post(pages::account::change_password)),
        r(POST,   "/account/language",                            AnyUser,                  Page, post(pages::account::set_language)),
        r(GET,    "/customers",                                   Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::list)),
        r(GET,    "/customers/new",                               Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::new_form)),
        r(POST,   "/customers",                                   Roles(CUSTOMER_WRITERS),  Page, post(pages::customers::create)),
        r(GET,    "/customers/{id}",                              Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::archive)),
        r(GET,    "/customers/{id}/edit",                         Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::edit_form)),
        r(POST,   "/customers/{id}/edit",                         Roles(CUSTOMER_WRITERS),  Page, post(pages::customers::update)),
        r(POST,   "/customers/{id}/delete",                       Roles(CUSTOMER_DELETERS), Page, post(pages::customers::delete)),
        r(POST,   "/customers/{id}/restore",                      Roles(CUSTOMER_DELETERS), Page, post(pages::customers::restore)),
        r(POST,   "/customers/{id}/merge",                        Roles(CUSTOMER_DELETERS), Page, post(pages::customers::merge)),
        r(POST,   "/customers/{id}/contacts",                     Roles(CUSTOMER_WRITERS),  Page, post(pages::customers::add_contact)),
        r(POST,   "/contacts/{id}/portal",                        Roles(CUSTOMER_WRITERS),  Page, post(pages::customers::create_portal_account)),
        r(GET,    "/customers/tree",                              Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::tree)),
        r(GET,    "/customers/duplicates",                        Roles(CUSTOMER_WRITERS),  Page, get(pages::customers::duplicates)),
        r(GET,    links::INVITATION,                              Public,                   Page, get(pages::invite::show)),
        r(POST,   links::INVITATION,                              Public,                   Page, post(pages::invite::accept)),
        r(GET,    "/complaint",                                   Public,                   Page, get(pages::public::form)),
        r(POST,   "/complaint",                                   Public,                   Page, post(pages::public::submit)),
        r(GET,    links::FOLLOW,                                  Public,                   Page, get(pages::public::follow)),
        r(GET,    links::CONFIRM_REQUESTER,                       Public,                   Page, get(pages::public::confirm_requester_page)),
        r(POST,   links::CONFIRM_REQUESTER,                       Public,                   Page, post(pages::public::confirm_requester)),
        r(GET,    links::SURVEY_ANSWER,                           Public,                   Page, get(pages::surveys::show)),
        r(POST,   links::SURVEY_ANSWER,                           Public,                   Page, post(pages::surveys::submit)),
        r(GET,    links::SURVEY_OPT_OUT,                          Public,                   Page, get(pages::surveys::opt_out_form)),
        r(POST,   links::SURVEY_OPT_OUT,                          Public,                   Page, post(pages::surveys::opt_out)),
        r(GET,    "/surveys",                                     Roles(SURVEY_MANAGERS),   Page, get(pages::surveys::list)),
        r(POST,   "/surveys",                                     Roles(SURVEY_MANAGERS),   Page, post(pages::surveys::create)),
        r(POST,   "/surveys/{id}/links",                          Roles(SURVEY_MANAGERS),   Page, post(pages::surveys::make_links)),
        r(GET,    "/surveys/{id}",                                Roles(SURVEY_MANAGERS),   Page, get(pages::surveys::report)),
        r(GET,    "/surveys/{id}/download",                       Roles(SURVEY_MANAGERS),   Page, get(pages::surveys::download::download)),
        r(POST,   "/surveys/{id}/primary",                        Roles(SURVEY_MANAGERS),   Page, post(pages::surveys::primary::set)),
        r(GET,    "/surveys/{id}/campaigns",                      Roles(SURVEY_MANAGERS),   Page, get(pages::campaigns::list)),
        r(POST,   "/surveys/{id}/campaigns",                      Roles(SURVEY_MANAGERS),   Page, post(pages::campaigns::create)),
        r(POST,   "/surveys/campaigns/{id}/run",                  Roles(SURVEY_MANAGERS),   Page, post(pages::campaigns::run)),
        r(POST,   "/surveys/campaigns/{id}/status",               Roles(SURVEY_MANAGERS),   Page, post(pages::campaigns::set_status)),
        r(POST,   "/surveys/campaigns/{id}/links.csv",            Roles(SURVEY_MANAGERS),   Page, post(pages::campaigns::links)),
        r(POST,   links::FOLLOW,                                  Public,                   Page, post(pages::public::reply)),
        r(GET,    "/qr.svg",                                      Roles(USER_READERS),      Page, get(pages::public::qr_svg)),
        r(GET,    "/tickets",                                     Roles(CUSTOMER_WRITERS),  Page, get(pages::tickets::queue)),
        r(GET,    "/tickets/new",                                 Roles(CUSTOMER_WRITERS),  Page, get(pages::tickets::new_form)),
        r(GET,    "/tickets/download",                            Roles(CUSTOMER_WRITERS),  Page, get(pages::tickets::download)),
        r(POST,   "/tickets",                                     Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::create)),
        r(GET,    links::TICKET,                                  Roles(CUSTOMER_WRITERS),  Page, get(pages::tickets::show)),
        r(POST,   "/tickets/{id}/messages",                       Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::add)),
        r(POST,   "/tickets/{id}/status",                         Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::set_status)),
        r(POST,   "/tickets/{id}/resolution",                     Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::resolution)),
        r(POST,   "/tickets/{id}/attachments",                    Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::attach)),
        r(POST,   "/tickets/{id}/confirm-requester",              Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::confirm_requester)),
        r(POST,   "/tickets/{id}/purchase",                       Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::set_purchase)),
        r(POST,   "/tickets/{id}/fields",                         Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::set_fields)),
        r(POST,   "/tickets/{id}/steps",                          Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::add_step)),
        r(POST,   "/tickets/{id}/share",                          Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::share)),
        r(GET,    "/admin/users",                                 Roles(USER_READERS),      Page, get(pages::users::list)),
        r(GET,    "/admin/users/download",                        Roles(USER_READERS),      Page, get(pages::users::download)),
        r(GET,    "/admin/users/new",                             Roles(ADMIN),             Page, get(pages::users::new_form)),
        r(POST,   "/admin/users",                                 Roles(ADMIN),             Page, post(pages::users::create)),
        r(GET,    "/admin/users/{id}",                            Roles(USER_READERS),      Page, get(pages::users::edit_form)),
        r(POST,   "/admin/users/{id}",                            Roles(ADMIN),             Page, post(pages::users::update)),
        r(POST,   "/admin/users/{id}/password",                   Roles(ADMIN),             Page, post(pages::users::set_password)),
        r(GET,    "/admin/departments",                           Roles(ADMIN),             Page, get(pages::departments::list)),
        r(POST,   "/admin/departments",                           Roles(ADMIN),             Page, post(pages::departments::create)),
        r(POST,   "/admin/departments/{id}",                      Roles(ADMIN),             Page, post(pages::departments::rename)),
        r(POST,   "/admin/departments/{id}/delete",               Roles(ADMIN),             Page, post(pages::departments::delete)),
        r(GET,    "/admin/service-levels",                        Roles(SURVEY_MANAGERS),   Page, get(pages::service_levels::show)),
        r(POST,   "/admin/service-levels/calendars",              Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::save_calendar)),
        r(POST,   "/admin/service-levels/calendars/import",       Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::import_calendar)),
        r(POST,   "/admin/service-levels/commitments",            Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::save_commitment)),
        r(POST,   "/admin/service-levels/policies",               Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::create_policy)),
        r(POST,   "/admin/service-levels/policies/{id}",          Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::update_policy)),
        r(POST,   "/admin/service-levels/policies/{id}/delete",   Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::delete_policy)),
        r(POST,   "/admin/service-levels/rules",                  Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::add_rule)),
        r(POST,   "/admin/service-levels/rules/{index}/move",     Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::move_rule)),
        r(POST,   "/admin/service-levels/rules/{index}/delete",   Roles(SURVEY_MANAGERS),   Page, post(pages::service_levels::delete_rule)),
        r(GET,    "/admin/audit",                                 Roles(ADMIN),             Page, get(pages::audit::list)),
        r(GET,    "/admin/audit/download",                        Roles(ADMIN),             Page, get(pages::audit::download)),
        r(GET,    "/admin/webhooks",                              Roles(ADMIN),             Page, get(pages::webhooks::list)),
        r(POST,   "/admin/webhooks",                              Roles(ADMIN),             Page, post(pages::webhooks::create)),
        r(GET,    "/admin/webhooks/{id}",                         Roles(ADMIN),             Page, get(pages::webhooks::show)),
        r(POST,   "/admin/webhooks/{id}/ping",                    Roles(ADMIN),             Page, post(pages::webhooks::ping)),
        r(POST,   "/admin/webhooks/{id}/active",                  Roles(ADMIN),             Page, post(pages::webhooks::toggle)),
        r(POST,   "/admin/webhooks/{id}/delete",                  Roles(ADMIN),             Page, post(pages::webhooks::delete)),
        // API
        r(GET,    "/api/v1/me",                                   AnyUser,                  Api,  get(api::me)),
        r(GET,    "/api/v1/users",                                Roles(USER_READERS),      Api,  get(api::list_users)),
        r(POST,   "/api/v1/users",                                Roles(ADMIN),             Api,  post(api::create_user)),
        r(GET,    "/api/v1/users/{id}",                           AnyUser,                  Api,  get(api::get_user)),
        r(PATCH,  "/api/v1/users/{id}",                           Roles(ADMIN),             Api,  patch(api::update_user)),
        r(GET,    "/api/v1/departments",                          Roles(STAFF),             Api,  get(api::list_departments)),
        r(POST,   "/api/v1/departments",                          Roles(ADMIN),             Api,  post(api::create_department)),
        r(GET,    "/api/v1/webhooks",                             Roles(ADMIN),             Api,  get(api::list_webhooks)),
        r(POST,   "/api/v1/webhooks",                             Roles(ADMIN),             Api,  post(api::create_webhook)),
        r(GET,    "/api/v1/audit",                                Roles(ADMIN),             Api,  get(api::list_audit)),
        r(GET,    "/api/v1/customers",                            Roles(CUSTOMER_READERS),  Api,  get(api::customers::list)),
        r(POST,   "/api/v1/customers",                            Roles(CUSTOMER_WRITERS),  Api,  post(api::customers::create)),
        r(GET,    "/api/v1/customers/{id}",                       Roles(CUSTOMER_READERS),  Api,  get(api::customers::get)),
        r(PATCH,  "/api/v1/customers/{id}",                       Roles(CUSTOMER_WRITERS),  Api,  patch(api::customers::patch)),
        r(DELETE, "/api/v1/customers/{id}",                       Roles(CUSTOMER_DELETERS), Api,  delete(api::customers::delete)),
        r(GET,    "/api/v1/customers/{id}/tree",                  Roles(CUSTOMER_READERS),  Api,  get(api::customers::tree)),
        r(GET,    "/api/v1/customers/{id}/downstream",            Roles(CUSTOMER_READERS),  Api,  get(api::customers::downstream)),
        r(GET,    "/api/v1/customers/{id}/contacts",              Roles(CUSTOMER_READERS),  Api,  get(api::customers::list_contacts)),
        r(POST,   "/api/v1/customers/{id}/contacts",              Roles(CUSTOMER_WRITERS),  Api,  post(api::customers::add_contact)),
        r(GET,    "/api/v1/customers/{id}/purchases",             Roles(CUSTOMER_READERS),  Api,  get(api::customers::list_purchases)),
        r(POST,   "/api/v1/customers/{id}/purchases",             Roles(CUSTOMER_WRITERS),  Api,  post(api::customers::record_purchase)),
        r(POST,   "/api/v1/customers/{id}/restore",               Roles(CUSTOMER_DELETERS), Api,  post(api::customers::restore)),
        r(POST,   "/api/v1/customers/{id}/merge",                 Roles(CUSTOMER_DELETERS), Api,  post(api::customers::merge)),
        r(GET,    "/api/v1/customers/duplicates",                 Roles(CUSTOMER_WRITERS),  Api,  get(api::customers::duplicates)),
        r(POST,   "/api/v1/tickets",                              Roles(TICKET_USERS),      Api,  post(api::tickets::create)),
        r(GET,    "/api/v1/tickets",                              Roles(TICKET_USERS),      Api,  get(api::tickets::list)),
        r(GET,    "/api/v1/tickets/{id}",                         Roles(TICKET_USERS),      Api,  get(api::tickets::get)),
        r(PATCH,  "/api/v1/tickets/{id}",                         Roles(CUSTOMER_WRITERS),  Api,  patch(api::tickets::patch)),
        r(GET,    "/api/v1/tickets/{id}/messages",                Roles(TICKET_USERS),      Api,  get(api::tickets::messages)),
        r(POST,   "/api/v1/tickets/{id}/messages",                Roles(TICKET_USERS),      Api,  post(api::tickets::add_message)),
        r(POST,   "/api/v1/tickets/{id}/status",                  Roles(CUSTOMER_WRITERS),  Api,  post(api::tickets::set_status)),
        r(GET,    "/api/v1/tickets/{id}/activity",                Roles(CUSTOMER_WRITERS),  Api,  get(api::tickets::activity)),
        r(GET,    "/api/v1/tickets/{id}/notifications",           Roles(CUSTOMER_WRITERS),  Api,  get(api::tickets::notifications)),
        r(POST,   "/api/v1/tickets/{id}/attachments",             Roles(TICKET_USERS),      Api,  post(api::attachments::upload)),
        r(GET,    "/api/v1/tickets/{id}/attachments",             Roles(TICKET_USERS),      Api,  get(api::attachments::list)),
        r(GET,    "/attachments/{id}",                            Roles(TICKET_USERS),      Page, get(api::attachments::download)),
        r(GET,    "/api/v1/categories",                           Roles(TICKET_USERS),      Api,  get(api::tickets::categories)),
        r(POST,   "/api/v1/categories",                           Roles(CUSTOMER_DELETERS), Api,  post(api::tickets::create_category)),
        r(GET,    "/api/v1/tickets/{id}/recovery-steps",          Roles(TICKET_USERS),      Api,  get(api::tickets::recovery_steps)),
        r(POST,   "/api/v1/tickets/{id}/recovery-steps",          Roles(CUSTOMER_WRITERS),  Api,  post(api::tickets::add_recovery_step)),
        r(POST,   "/api/v1/tickets/{id}/share",                   Roles(CUSTOMER_WRITERS),  Api,  post(api::tickets::share)),
        r(DELETE, "/api/v1/tickets/{id}/share",                   Roles(CUSTOMER_WRITERS),  Api,  delete(api::tickets::unshare)),
        r(GET,    "/api/v1/calendars",                            Roles(CUSTOMER_WRITERS),  Api,  get(api::service_levels::calendars)),
        r(PUT,    "/api/v1/calendars/{name}",                     Roles(SURVEY_MANAGERS),   Api,  put(api::service_levels::put_calendar)),
        r(GET,    "/api/v1/sla-policies",                         Roles(CUSTOMER_WRITERS),  Api,  get(api::service_levels::policies)),
        r(POST,   "/api/v1/sla-policies",                         Roles(SURVEY_MANAGERS),   Api,  post(api::service_levels::create_policy)),
        r(PUT,    "/api/v1/sla-policies/{id}",                    Roles(SURVEY_MANAGERS),   Api,  put(api::service_levels::replace_policy)),
        r(DELETE, "/api/v1/sla-policies/{id}",                    Roles(SURVEY_MANAGERS),   Api,  delete(api::service_levels::delete_policy)),
        r(GET,    "/api/v1/routing-rules",                        Roles(CUSTOMER_WRITERS),  Api,  get(api::service_levels::routing_rules)),
        r(PUT,    "/api/v1/routing-rules",                        Roles(SURVEY_MANAGERS),   Api,  put(api::service_levels::replace_routing_rules)),
        r(GET,    "/api/v1/commitments",                          Roles(CUSTOMER_WRITERS),  Api,  get(api::commitments::list)),
        r(POST,   "/api/v1/commitments",                          Roles(CUSTOMER_DELETERS), Api,  post(api::commitments::create)),
        r(PUT,    "/api/v1/commitments/{id}",                     Roles(CUSTOMER_DELETERS), Api,  put(api::commitments::replace)),
        r(DELETE, "/api/v1/commitments/{id}",                     Roles(CUSTOMER_DELETERS), Api,  delete(api::commitments::delete)),
        r(GET,    "/api/v1/macros",                               Roles(CUSTOMER_WRITERS),  Api,  get(api::macros::list)),
        r(POST,   "/api/v1/macros",                               Roles(CUSTOMER_DELETERS), Api,  post(api::macros::create)),
        r(PUT,    "/api/v1/macros/{id}",                          Roles(CUSTOMER_DELETERS), Api,  put(api::macros::replace)),
        r(DELETE, "/api/v1/macros/{id}",                          Roles(CUSTOMER_DELETERS), Api,  delete(api::macros::delete)),
        r(POST,   "/api/v1/tickets/{id}/macros/{macro_id}",       Roles(CUSTOMER_WRITERS),  Api,  post(api::macros::apply)),
        r(GET,    "/api/v1/views",                                Roles(CUSTOMER_WRITERS),  Api,  get(api::macros::views)),
        r(POST,   "/api/v1/views",                                Roles(CUSTOMER_WRITERS),  Api,  post(api::macros::create_view)),
        r(DELETE, "/api/v1/views/{id}",                           Roles(CUSTOMER_WRITERS),  Api,  delete(api::macros::delete_view)),
        r(POST,   "/tickets/views",                               Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::save_view)),
        r(POST,   "/tickets/views/{id}/delete",                   Roles(CUSTOMER_WRITERS),  Page, post(pages::tickets::delete_view)),
        r(GET,    "/commitments",                                 Public,                   Page, get(pages::public::commitments)),
        r(GET,    "/incident/{token}",                            Public,                   Page, get(pages::public::incident)),
        r(GET,    "/api/v1/attachments/{id}",                     Roles(TICKET_USERS),      Api,  get(api::attachments::download)),
        r(GET,    "/api/v1/surveys",                              Roles(SURVEY_MANAGERS),   Api,  get(api::surveys::list)),
        r(POST,   "/api/v1/surveys",                              Roles(SURVEY_MANAGERS),   Api,  post(api::surveys::create)),
        r(GET,    "/api/v1/surveys/{id}",                         Roles(SURVEY_MANAGERS),   Api,  get(api::surveys::get)),
        r(POST,   "/api/v1/surveys/{id}/links",                   Roles(SURVEY_MANAGERS),   Api,  post(api::surveys::links)),
        r(POST,   "/api/v1/surveys/{id}/campaigns",               Roles(SURVEY_MANAGERS),   Api,  post(api::campaigns::create)),
        r(GET,    "/api/v1/surveys/{id}/campaigns",               Roles(SURVEY_MANAGERS),   Api,  get(api::campaigns::list)),
        r(GET,    "/api/v1/campaigns/{id}",                       Roles(SURVEY_MANAGERS),   Api,  get(api::campaigns::get)),
        r(POST,   "/api/v1/campaigns/{id}/run",                   Roles(SURVEY_MANAGERS),   Api,  post(api::campaigns::run)),
        r(GET,    "/api/v1/campaigns/{id}/links",                 Roles(SURVEY_MANAGERS),   Api,  get(api::campaigns::links)),
        r(POST,   "/api/v1/campaigns/{id}/links",                 Roles(SURVEY_MANAGERS),   Api,  post(api::campaigns::reissue_links)),
        r(GET,    "/api/v1/survey-answers/{token}",               Public,                   Api,  get(api::surveys::asked)),
        r(POST,   "/api/v1/survey-answers/{token}",               Public,                   Api,  post(api::surveys::answer)),
        r(GET,    "/api/v1/dashboards/manager",                   Roles(STAFF),             Api,  get(api::dashboards::manager)),
        r(GET,    "/api/v1/gaps",                                 Roles(STAFF),             Api,  get(api::gaps::gaps)),
        r(GET,    "/api/v1/surveys/{id}/report",                  Roles(SURVEY_MANAGERS),   Api,  get(api::surveys::report)),
        r(GET,    "/api/v1/surveys/{id}/lowest-items",            Roles(SURVEY_MANAGERS),   Api,  get(api::surveys::lowest_items)),
        r(GET,    "/api/v1/survey-items",                         Roles(SURVEY_MANAGERS),   Api,  get(api::surveys::bank)),
        r(PATCH,  "/api/v1/survey-items",                         Roles(SURVEY_MANAGERS),   Api,  patch(api::surveys::patch_bank)),
        r(POST,   "/api/v1/survey-items",                         Roles(SURVEY_MANAGERS),   Api,  post(api::surveys::add_item)),
        r(POST,   "/api/v1/survey-dimensions",                    Roles(SURVEY_MANAGERS),   Api,  post(api::surveys::add_dimension)),
        r(GET,    "/api/v1/channel-tree",                         Roles(CUSTOMER_READERS),  Api,  get(api::customers::channel_tree)),
        r(GET,    "/api/v1/contacts/{id}",                        Roles(CUSTOMER_READERS),  Api,  get(api::customers::get_contact)),
        r(PATCH,  "/api/v1/contacts/{id}",                        Roles(CUSTOMER_WRITERS),  Api,  patch(api::customers::patch_contact)),
        r(DELETE, "/api/v1/contacts/{id}",                        Roles(CUSTOMER_DELETERS), Api,  delete(api::customers::delete_contact)),
        r(POST,   "/api/v1/contacts/{id}/portal-account",         Roles(CUSTOMER_WRITERS),  Api,  post(api::customers::create_portal_account)),
        r(GET,    "/api/v1/purchases/{id}",                       Roles(CUSTOMER_READERS),  Api,  get(api::customers::get_purchase)),
        r(PATCH,  "/api/v1/purchases/{id}",                       Roles(CUSTOMER_WRITERS),  Api,  patch(api::customers::patch_purchase)),
        r(DELETE, "/api/v1/purchases/{id}",                       Roles(CUSTOMER_DELETERS), Api,  delete(api::customers::delete_purchase)),
    ]
}

/// Routes that take a file as their body.
fn is_upload(def: &RouteDef) -> bool {
    def.method == Method::POST && def.path.ends_with("/attachments")
}

pub(crate) fn build(state: WebState) -> Router {
    let mut router: Router<WebState> = Router::new();
    let body_limit = state.config.body_limit;
    let upload_limit = state.upload_limit();
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
        .layer(middleware::from_fn(security::known_methods))
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
