//! The REST API `/api/v1`: JSON in and out, bearer tokens, keyset pagination (`limit`,
//! `cursor` → `next_cursor`), errors as problem+json, unknown fields refused. The OpenAPI document
//! is generated from these handlers' annotations.

pub mod attachments;
pub mod campaigns;
pub mod commitments;
pub mod customers;
pub mod dashboards;
pub mod gaps;
pub mod macros;
pub mod ops;
pub mod service_levels;
pub mod surveys;
pub mod tickets;

use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem, problem};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kefu_app::accounts::CreateUser;
use kefu_app::model::{Department, User, UserFilter, Webhook};
use kefu_core::page::{PageRequest, split_page};
use kefu_core::{Language, Role};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// A JSON body whose errors answer problem+json (400 malformed, 415 wrong type, 422 wrong shape).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => {
                let status = match &rej {
                    JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let kind = if status == StatusCode::UNPROCESSABLE_ENTITY {
                    "invalid"
                } else {
                    "bad-request"
                };
                Err(problem(status, kind, Some(rej.body_text()), vec![]))
            }
        }
    }
}

/// A query string read as `T`; one that does not fit answers 422 with the field `query`
/// (`invalid_query`), as every list's filters do.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(q) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| kefu_core::Invalid::one("query", "invalid_query", e.body_text()))?;
        Ok(ApiQuery(q))
    }
}

/// A path parameter read as `T`; one that does not parse (an id that is not a number, or too
/// large) names no record: 404, as a problem like every other.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(v) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|_| kefu_app::AppError::NotFound)?;
        Ok(ApiPath(v))
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin | manager | agent | technician | customer
    pub role: String,
    /// zh-CN | en, or null to follow the browser
    pub language: Option<String>,
    pub disabled: bool,
    pub departments: Vec<DepartmentDto>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentDto {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
}

impl From<Department> for DepartmentDto {
    fn from(d: Department) -> Self {
        DepartmentDto {
            id: d.id,
            name: d.name,
            is_default: d.is_default,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn user_dto(u: User, departments: Vec<Department>) -> UserDto {
    UserDto {
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role.as_str().to_owned(),
        language: u.language.map(|l| l.code().to_owned()),
        disabled: u.disabled,
        departments: departments.into_iter().map(Into::into).collect(),
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

async fn with_departments(state: &WebState, u: User) -> Result<UserDto, ApiError> {
    let d = state.app.user_departments(u.id).await?;
    Ok(user_dto(u, d))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<WebState>, caller: Caller) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(with_departments(&state, caller.user).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListUsersQuery {
    /// 1–200, default 50
    limit: Option<String>,
    cursor: Option<String>,
    role: Option<String>,
}

/// Users, oldest first (admins and managers).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])), params(ListUsersQuery),
    responses((status = 200, body = UserPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_users(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListUsersQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let role = q.role.as_deref().map(str::parse::<Role>).transpose()?;
    let users = state
        .app
        .list_users(
            &caller.actor(),
            UserFilter {
                after: page.after,
                limit: page.limit + 1,
                role,
            },
        )
        .await?;
    let (users, next_cursor) = split_page(users, page.limit, |u| u.id);
    let mut items = Vec::with_capacity(users.len());
    for u in users {
        items.push(with_departments(&state, u).await?);
    }
    Ok(Json(UserPage { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    email: String,
    name: Option<String>,
    /// admin | manager | agent | technician | customer
    role: String,
    /// At least 12 characters (configurable). Without one the user cannot log in until an admin sets it.
    password: Option<String>,
    language: Option<String>,
    #[serde(default)]
    departments: Vec<i64>,
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])), request_body = CreateUserBody,
    responses((status = 201, body = UserDto), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_user(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateUserBody>,
) -> Result<Response, ApiError> {
    let role = b.role.parse::<Role>()?;
    let language =
        match b.language.as_deref() {
            None => None,
            Some(l) => Some(Language::parse(l).ok_or_else(|| {
                kefu_core::Invalid::one("language", "unknown_language", "language must be zh-CN or en")
            })?),
        };
    let u = state
        .app
        .create_user(
            &caller.actor(),
            CreateUser {
                email: b.email,
                name: b.name,
                role,
                password: b.password,
                language,
                departments: b.departments,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(with_departments(&state, u).await?)).into_response())
}

/// A user: admins and managers see anyone; others only themselves (anyone else is 404).
#[utoipa::path(get, path = "/api/v1/users/{id}", params(("id" = i64, Path)), tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_user(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserDto>, ApiError> {
    let u = state.app.get_user(&caller.actor(), id).await?;
    Ok(Json(with_departments(&state, u).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    name: Option<String>,
    role: Option<String>,
    disabled: Option<bool>,
    departments: Option<Vec<i64>>,
}

/// Changes a user (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", params(("id" = i64, Path)), tag = "accounts", security(("bearer" = [])), request_body = UpdateUserBody,
    responses((status = 200, body = UserDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_user(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> Result<Json<UserDto>, ApiError> {
    let role = b.role.as_deref().map(str::parse::<Role>).transpose()?;
    let u = state
        .app
        .update_user(&caller.actor(), id, b.name, role, b.disabled, b.departments)
        .await?;
    Ok(Json(with_departments(&state, u).await?))
}

/// Departments (staff).
#[utoipa::path(get, path = "/api/v1/departments", tag = "accounts", security(("bearer" = [])), responses((status = 200, body = Vec<DepartmentDto>)))]
pub async fn list_departments(
    State(state): State<WebState>,
    caller: Caller,
) -> Result<Json<Vec<DepartmentDto>>, ApiError> {
    Ok(Json(
        state
            .app
            .list_departments(&caller.actor())
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartmentBody {
    name: String,
}

/// Creates a department (admins).
#[utoipa::path(post, path = "/api/v1/departments", tag = "accounts", security(("bearer" = [])), request_body = CreateDepartmentBody,
    responses((status = 201, body = DepartmentDto), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create_department(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateDepartmentBody>,
) -> Result<Response, ApiError> {
    let d = state.app.create_department(&caller.actor(), &b.name).await?;
    Ok((StatusCode::CREATED, Json(DepartmentDto::from(d))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub active: bool,
    /// Only in the answer to its creation: the HMAC-SHA256 signing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_dto(w: Webhook, with_secret: bool) -> WebhookDto {
    WebhookDto {
        id: w.id,
        url: w.url,
        events: w.events,
        description: w.description,
        active: w.active,
        secret: with_secret.then_some(w.secret),
    }
}

/// Webhook endpoints (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses((status = 200, body = Vec<WebhookDto>)))]
pub async fn list_webhooks(State(state): State<WebState>, caller: Caller) -> Result<Json<Vec<WebhookDto>>, ApiError> {
    Ok(Json(
        state
            .app
            .list_webhooks(&caller.actor())
            .await?
            .into_iter()
            .map(|w| webhook_dto(w, false))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookBody {
    url: String,
    /// Event names, or "*" for all: ping, user.created, ticket.created, ticket.updated, survey.answered, visit.signed
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

/// Registers a webhook endpoint (admins); the answer carries its signing secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = CreateWebhookBody,
    responses((status = 201, body = WebhookDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_webhook(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateWebhookBody>,
) -> Result<Response, ApiError> {
    let w = state
        .app
        .create_webhook(&caller.actor(), &b.url, b.events, &b.description)
        .await?;
    Ok((StatusCode::CREATED, Json(webhook_dto(w, true))).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<kefu_app::model::AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "accounts", security(("bearer" = [])), params(AuditQuery), responses((status = 200, body = AuditPage)))]
pub async fn list_audit(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let items = state.app.audit_log(&caller.actor(), page.after, page.limit).await?;
    let next_cursor = (items.len() == page.limit as usize)
        .then(|| items.last().map(|e| kefu_core::page::encode_cursor(e.id)))
        .flatten();
    Ok(Json(AuditPage { items, next_cursor }))
}

pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            Some("this route does not take that method".into()),
            vec![],
        )
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

pub async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        Some("no such API route".into()),
        vec![],
    )
}

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers any operation may give besides its own, documented on every one of them: a
/// request that is not JSON or a query that does not parse (400), no or a bad token (401), a role
/// that may not (403), a record that is not there or not the caller's (404), a body of another
/// type (415), a field that is refused (422), a rate limit (429). All are problems.
struct StandardProblems;
impl utoipa::Modify for StandardProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        let standard = [
            ("400", "the body is not JSON, or a query parameter does not parse"),
            ("401", "no API token, or one that is not valid"),
            ("403", "not allowed for the caller's role"),
            ("404", "no such record, or not the caller's"),
            (
                "409",
                "the change conflicts with the record as it is now, or with another one",
            ),
            ("415", "the body is not of the type this operation takes"),
            ("422", "a field is refused: `errors` names it"),
            ("429", "too many requests: `Retry-After` says when to come back"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for (code, what) in standard {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(what));
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kefu API", description = "kefu (客服): customer service quality platform. Errors are application/problem+json."),
    paths(customers::list, customers::create, customers::get, customers::patch, customers::delete, customers::tree, customers::downstream, customers::list_contacts, customers::add_contact, customers::list_purchases, customers::record_purchase, customers::restore, customers::merge, customers::duplicates, customers::channel_tree, customers::get_contact, customers::patch_contact, customers::delete_contact, customers::create_portal_account, customers::get_purchase, customers::patch_purchase, customers::delete_purchase, tickets::create, tickets::list, tickets::get, tickets::messages, tickets::add_message, tickets::set_status, tickets::patch, tickets::activity, tickets::notifications, attachments::upload, attachments::list, attachments::download, surveys::create, surveys::list, surveys::get, surveys::links, surveys::report, surveys::lowest_items, dashboards::manager, gaps::gaps, campaigns::create, campaigns::list, campaigns::get, campaigns::run, campaigns::links, campaigns::reissue_links, surveys::asked, surveys::answer, surveys::bank, surveys::patch_bank, surveys::add_item, surveys::add_dimension, tickets::categories, tickets::create_category, tickets::recovery_steps, tickets::add_recovery_step, tickets::share, tickets::unshare, service_levels::calendars, service_levels::put_calendar, service_levels::policies, service_levels::create_policy, service_levels::replace_policy, service_levels::delete_policy, service_levels::routing_rules, service_levels::replace_routing_rules, commitments::list, commitments::create, commitments::replace, commitments::delete, macros::list, macros::create, macros::replace, macros::delete, macros::apply, macros::views, macros::create_view, macros::delete_view, me, list_users, create_user, get_user, update_user, list_departments, create_department, list_webhooks, create_webhook, list_audit, ops::healthz, ops::readyz),
    components(schemas(gaps::GapsDto, gaps::Gap1Dto, gaps::ExpectationDto, gaps::Gap2Dto, gaps::StandardDto, gaps::Gap3Dto, gaps::Gap4Dto, gaps::PromiseDto, gaps::Gap5Dto, gaps::CauseDto, dashboards::DashboardDto, dashboards::TicketCountsDto, dashboards::SlaDto, dashboards::TailDto, dashboards::SurveyFigureDto, dashboards::GapDto, dashboards::WordOfMouthDto, dashboards::QueueNowDto, dashboards::TimesInDto, customers::CustomerDto, customers::CustomerPage, customers::CreateBody, customers::PatchBody, customers::TreeDto, customers::ContactDto, customers::ContactBody, customers::PurchaseDto, customers::PurchaseBody, customers::MergeBody, customers::DuplicateDto, customers::TreeNodeDto, customers::ContactPatchBody, customers::PortalAccountBody, customers::PortalAccountDto, customers::PurchasePatchBody, tickets::TicketDto, tickets::CreateTicketBody, tickets::TicketPage, tickets::MessageDto, tickets::MessageBody, tickets::AddedDto, tickets::StatusBody, tickets::TicketPatchBody, tickets::ActivityDto, tickets::NotificationDto, attachments::AttachmentDto, surveys::SurveyDto, surveys::SurveyItemDto, surveys::SurveyList, surveys::CreateSurveyBody, surveys::LinksBody, surveys::LinkDto, surveys::LinkList, campaigns::CampaignDto, campaigns::CampaignList, surveys::AnswerBody, surveys::LowItemDto, surveys::LowItemList, surveys::AnsweredDto, surveys::AskedItem, surveys::AskedSurvey, surveys::BankDto, surveys::ItemEdit, surveys::BankPatchBody, surveys::NewItemBody, surveys::NewDimensionBody, tickets::RemedyBody, tickets::CategoryDto, tickets::CategoryBody, tickets::StepDto, tickets::StepBody, tickets::ShareDto, service_levels::CalendarDto, service_levels::CalendarList, service_levels::PolicyDto, service_levels::PolicyList, service_levels::PolicyBody, service_levels::RoutingRules, commitments::CommitmentDto, commitments::CommitmentBody, macros::MacroDto, macros::MacroBody, macros::ViewDto, macros::ViewBody, UserDto, DepartmentDto, UserPage, CreateUserBody, UpdateUserBody, CreateDepartmentBody, WebhookDto, CreateWebhookBody, AuditPage, Problem, ops::Ready)),
    modifiers(&BearerAuth, &StandardProblems)
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    Json(doc).into_response()
}
