//! Macros (canned replies) and saved queue views over the API.

use super::ApiJson;
use super::ApiPath;
use crate::WebState;
use crate::api::tickets::TicketDto;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::macros::MacroInput;
use kefu_app::model::{Macro, SavedView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MacroDto {
    pub id: i64,
    pub title_en: String,
    pub title_zh: String,
    /// May hold {customer}, {reference}, {subject} and {agent}.
    pub body_en: String,
    pub body_zh: String,
    /// A status the ticket moves to after the reply.
    pub status: Option<String>,
    pub tags: Vec<String>,
}

fn dto(m: Macro) -> MacroDto {
    MacroDto {
        status: m.actions["status"].as_str().map(str::to_owned),
        tags: m.actions["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        id: m.id,
        title_en: m.title_en,
        title_zh: m.title_zh,
        body_en: m.body_en,
        body_zh: m.body_zh,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroBody {
    title_en: String,
    title_zh: String,
    body_en: String,
    body_zh: String,
    status: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

impl From<MacroBody> for MacroInput {
    fn from(b: MacroBody) -> Self {
        MacroInput {
            title_en: b.title_en,
            title_zh: b.title_zh,
            body_en: b.body_en,
            body_zh: b.body_zh,
            status: b.status,
            tags: b.tags,
        }
    }
}

/// Every macro (staff).
#[utoipa::path(get, path = "/api/v1/macros", tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Vec<MacroDto>)))]
pub async fn list(State(state): State<WebState>, caller: Caller) -> Result<Json<Vec<MacroDto>>, ApiError> {
    Ok(Json(
        state.app.macros(&caller.actor()).await?.into_iter().map(dto).collect(),
    ))
}

/// Adds a macro (managers and admins).
#[utoipa::path(post, path = "/api/v1/macros", tag = "tickets", security(("bearer" = [])), request_body = MacroBody,
    responses((status = 201, body = MacroDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<MacroBody>,
) -> Result<Response, ApiError> {
    let m = state.app.save_macro(&caller.actor(), None, b.into()).await?;
    Ok((StatusCode::CREATED, Json(dto(m))).into_response())
}

/// Replaces a macro (managers and admins).
#[utoipa::path(put, path = "/api/v1/macros/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = MacroBody,
    responses((status = 200, body = MacroDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MacroBody>,
) -> Result<Json<MacroDto>, ApiError> {
    Ok(Json(dto(state
        .app
        .save_macro(&caller.actor(), Some(id), b.into())
        .await?)))
}

/// Deletes a macro (managers and admins).
#[utoipa::path(delete, path = "/api/v1/macros/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    state.app.delete_macro(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replies to a ticket with a macro (in the ticket's language, placeholders filled) and applies its actions.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/macros/{macro_id}", params(("id" = i64, Path), ("macro_id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = TicketDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn apply(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath((id, macro_id)): ApiPath<(i64, i64)>,
) -> Result<Json<TicketDto>, ApiError> {
    Ok(Json(state.app.apply_macro(&caller.actor(), id, macro_id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ViewDto {
    pub id: i64,
    pub name: String,
    /// The queue's query string: open `/tickets?{query}`.
    pub query: String,
    pub shared: bool,
}

fn view_dto(v: SavedView) -> ViewDto {
    ViewDto {
        id: v.id,
        name: v.name,
        query: v.query,
        shared: v.user_id.is_none(),
    }
}

/// The caller's saved queue views and the shared ones.
#[utoipa::path(get, path = "/api/v1/views", tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Vec<ViewDto>)))]
pub async fn views(State(state): State<WebState>, caller: Caller) -> Result<Json<Vec<ViewDto>>, ApiError> {
    Ok(Json(
        state
            .app
            .saved_views(&caller.actor())
            .await?
            .into_iter()
            .map(view_dto)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewBody {
    name: String,
    query: String,
    /// For everyone (managers and admins only).
    #[serde(default)]
    shared: bool,
}

/// Saves a queue view.
#[utoipa::path(post, path = "/api/v1/views", tag = "tickets", security(("bearer" = [])), request_body = ViewBody,
    responses((status = 201, body = ViewDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_view(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<ViewBody>,
) -> Result<Response, ApiError> {
    let v = state
        .app
        .save_view(&caller.actor(), &b.name, &b.query, b.shared)
        .await?;
    Ok((StatusCode::CREATED, Json(view_dto(v))).into_response())
}

/// Deletes a saved view.
#[utoipa::path(delete, path = "/api/v1/views/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_view(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    state.app.delete_view(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
