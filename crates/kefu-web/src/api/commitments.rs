//! Public service commitments over the API (managers write; staff read with attainment).

use super::ApiJson;
use super::ApiPath;
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::commitments::CommitmentInput;
use kefu_app::model::Commitment;
use kefu_core::commitment::Attainment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CommitmentDto {
    pub id: i64,
    pub title_en: String,
    pub title_zh: String,
    /// first_response | resolution
    pub metric: String,
    /// A ticket kind, or null for all.
    pub kind: Option<String>,
    /// Business minutes.
    pub within_minutes: i64,
    pub target_percent: i64,
    /// The SERVQUAL dimension the promise serves (its metric's default when none was named).
    pub dimension: String,
    pub published: bool,
    pub position: i64,
    /// Over the last 30 days: `{met, missed, running, share}` (share null when nothing is decided).
    #[schema(value_type = Object)]
    pub attainment: Attainment,
}

fn dto((c, a): (Commitment, Attainment)) -> CommitmentDto {
    CommitmentDto {
        dimension: kefu_app::commitments::dimension_of(&c).to_owned(),
        id: c.id,
        title_en: c.title_en,
        title_zh: c.title_zh,
        metric: c.metric.as_str().to_owned(),
        kind: c.kind.map(|k| k.as_str().to_owned()),
        within_minutes: c.within_minutes,
        target_percent: c.target_percent,
        published: c.published,
        position: c.position,
        attainment: a,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentBody {
    title_en: String,
    title_zh: String,
    /// first_response | resolution
    metric: String,
    kind: Option<String>,
    within_minutes: i64,
    target_percent: i64,
    /// A SERVQUAL dimension code; absent or null: responsiveness for a first reply, reliability
    /// for a resolution
    #[serde(default)]
    dimension: Option<String>,
    #[serde(default)]
    published: bool,
    #[serde(default)]
    position: i64,
}

impl From<CommitmentBody> for CommitmentInput {
    fn from(b: CommitmentBody) -> Self {
        CommitmentInput {
            title_en: b.title_en,
            title_zh: b.title_zh,
            metric: b.metric,
            kind: b.kind,
            within_minutes: b.within_minutes,
            target_percent: b.target_percent,
            dimension: b.dimension,
            published: b.published,
            position: b.position,
        }
    }
}

/// Every commitment with its attainment over the last 30 days (staff).
#[utoipa::path(get, path = "/api/v1/commitments", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<CommitmentDto>)))]
pub async fn list(State(state): State<WebState>, caller: Caller) -> Result<Json<Vec<CommitmentDto>>, ApiError> {
    let all = state.app.commitments(&caller.actor()).await?;
    Ok(Json(all.into_iter().map(dto).collect()))
}

/// Adds a commitment (managers and admins).
#[utoipa::path(post, path = "/api/v1/commitments", tag = "tickets", security(("bearer" = [])), request_body = CommitmentBody,
    responses((status = 201, body = CommitmentDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CommitmentBody>,
) -> Result<Response, ApiError> {
    let c = state.app.save_commitment(&caller.actor(), None, b.into()).await?;
    Ok((StatusCode::CREATED, Json(dto((c, Attainment::default())))).into_response())
}

/// Replaces a commitment (managers and admins).
#[utoipa::path(put, path = "/api/v1/commitments/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = CommitmentBody,
    responses((status = 200, body = CommitmentDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CommitmentBody>,
) -> Result<Json<CommitmentDto>, ApiError> {
    let c = state.app.save_commitment(&caller.actor(), Some(id), b.into()).await?;
    Ok(Json(dto((c, Attainment::default()))))
}

/// Deletes a commitment (managers and admins).
#[utoipa::path(delete, path = "/api/v1/commitments/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    state.app.delete_commitment(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
