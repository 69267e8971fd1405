//! Service levels over the API (managers and admins): business calendars as TOML, SLA policies,
//! and the ordered routing rules (docs/tickets.md, "Service levels and routing").

use super::ApiJson;
use super::ApiPath;
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::model::{SlaPolicy, StoredCalendar};
use kefu_app::service_levels::PolicyInput;
use kefu_core::Invalid;
use kefu_core::routing::RoutingRule;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CalendarDto {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    /// The calendar file (docs/calendars.md).
    pub toml: String,
}

impl From<StoredCalendar> for CalendarDto {
    fn from(c: StoredCalendar) -> Self {
        CalendarDto {
            id: c.id,
            name: c.name,
            is_default: c.is_default,
            toml: c.toml,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalendarList {
    pub items: Vec<CalendarDto>,
}

/// The business calendars, the default first.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = CalendarList)))]
pub async fn calendars(State(state): State<WebState>, caller: Caller) -> Result<Json<CalendarList>, ApiError> {
    let items = state.app.list_calendars(&caller.actor()).await?;
    Ok(Json(CalendarList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Creates the calendar `name` or replaces its rules: the body is the calendar file (TOML,
/// UTF-8). An unknown time zone, overlapping ranges or a bad date is 422 and changes nothing.
#[utoipa::path(put, path = "/api/v1/calendars/{name}", params(("name" = String, Path)), tag = "tickets", security(("bearer" = [])),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 200, body = CalendarDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_calendar(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    body: Bytes,
) -> Result<Json<CalendarDto>, ApiError> {
    let toml = std::str::from_utf8(&body)
        .map_err(|_| Invalid::one("calendar", "not_utf8", "the calendar file must be UTF-8"))?;
    let c = state.app.save_calendar(&caller.actor(), &name, toml).await?;
    Ok(Json(c.into()))
}

#[derive(Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: i64,
    pub name: String,
    /// `{kind, priority, tier}`, each null for any.
    #[schema(value_type = Object)]
    pub scope: kefu_core::sla::PolicyScope,
    /// `{first_response_minutes, next_response_minutes, resolution_minutes, warn_share}`.
    #[schema(value_type = Object)]
    pub targets: kefu_core::sla::SlaTargets,
    /// The SERVQUAL dimension the first and next response targets serve.
    pub dimension: String,
    /// The SERVQUAL dimension the resolution target serves.
    pub resolution_dimension: String,
    pub calendar_id: i64,
    pub raise_priority_on_breach: bool,
    pub reassign_to: Option<i64>,
    pub is_default: bool,
}

impl From<SlaPolicy> for PolicyDto {
    fn from(p: SlaPolicy) -> Self {
        PolicyDto {
            raise_priority_on_breach: p.escalation["raise_priority_on_breach"].as_bool().unwrap_or(false),
            reassign_to: p.escalation["reassign_to"].as_i64(),
            id: p.id,
            name: p.name,
            scope: p.scope,
            targets: p.targets,
            dimension: p.dimension,
            resolution_dimension: p.resolution_dimension,
            calendar_id: p.calendar_id,
            is_default: p.is_default,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyDto>,
}

/// A policy as written: `{name, scope: {kind, priority, tier}, targets: {first_response_minutes,
/// next_response_minutes, resolution_minutes, warn_share}, dimension, resolution_dimension, calendar_id,
/// raise_priority_on_breach, reassign_to}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    name: String,
    /// `{kind, priority, tier}`: each absent or null covers any
    #[serde(default)]
    #[schema(value_type = Object)]
    scope: kefu_core::sla::PolicyScope,
    /// Business minutes, each absent or null for no promise; warn_share defaults to 0.8
    #[schema(value_type = Object)]
    targets: kefu_core::sla::SlaTargets,
    /// The SERVQUAL dimension (code) the first and next response serve (default responsiveness)
    #[serde(default)]
    dimension: String,
    /// The SERVQUAL dimension (code) the resolution serves (default reliability)
    #[serde(default)]
    resolution_dimension: String,
    /// Default: the default calendar
    #[serde(default)]
    calendar_id: Option<i64>,
    #[serde(default)]
    raise_priority_on_breach: bool,
    /// An agent to hand a breached ticket to
    #[serde(default)]
    reassign_to: Option<i64>,
}

impl From<PolicyBody> for PolicyInput {
    fn from(b: PolicyBody) -> Self {
        PolicyInput {
            name: b.name,
            scope: b.scope,
            targets: b.targets,
            dimension: b.dimension,
            resolution_dimension: b.resolution_dimension,
            calendar_id: b.calendar_id,
            raise_priority_on_breach: b.raise_priority_on_breach,
            reassign_to: b.reassign_to,
        }
    }
}

/// The SLA policies.
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = PolicyList)))]
pub async fn policies(State(state): State<WebState>, caller: Caller) -> Result<Json<PolicyList>, ApiError> {
    let items = state.app.list_sla_policies(&caller.actor()).await?;
    Ok(Json(PolicyList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Adds an SLA policy; a ticket takes the most specific policy that covers its kind, priority
/// and customer tier.
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "tickets", security(("bearer" = [])), request_body = PolicyBody,
    responses((status = 201, body = PolicyDto), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_policy(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Response, ApiError> {
    let p = state.app.save_sla_policy(&caller.actor(), None, b.into()).await?;
    Ok((StatusCode::CREATED, Json(PolicyDto::from(p))).into_response())
}

/// Changes an SLA policy; its tickets are measured by the new targets from their history.
#[utoipa::path(put, path = "/api/v1/sla-policies/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = PolicyBody,
    responses((status = 200, body = PolicyDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn replace_policy(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Json<PolicyDto>, ApiError> {
    let p = state.app.save_sla_policy(&caller.actor(), Some(id), b.into()).await?;
    Ok(Json(p.into()))
}

/// Deletes a policy that measures no ticket (the default one stays: 409).
#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_policy(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    state.app.delete_sla_policy(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The routing rules in the order they are tried: `{name, conditions: {kind, category, product,
/// channel, language, tier, customer_kind}, actions: {department, assign, priority, tags}}`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<RoutingRule>,
}

/// The routing rules; the first whose conditions all hold routes a new ticket.
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = RoutingRules)))]
pub async fn routing_rules(State(state): State<WebState>, caller: Caller) -> Result<Json<RoutingRules>, ApiError> {
    let items = state.app.list_routing_rules(&caller.actor()).await?;
    Ok(Json(RoutingRules { items }))
}

/// Replaces the routing rules, in order; an error names the rule (`rules[2].actions.department`)
/// and nothing changes.
#[utoipa::path(put, path = "/api/v1/routing-rules", tag = "tickets", security(("bearer" = [])), request_body = RoutingRules,
    responses((status = 200, body = RoutingRules), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn replace_routing_rules(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<RoutingRules>,
) -> Result<Json<RoutingRules>, ApiError> {
    let items = state.app.set_routing_rules(&caller.actor(), b.items).await?;
    Ok(Json(RoutingRules { items }))
}
