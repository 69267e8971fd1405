//! Survey campaigns over the API (admins and managers): create one for a survey, see who a run
//! would ask, run it, and fetch its links (JSON, or CSV for an SMS or messaging tool).

use super::{ApiJson, ApiPath, ApiQuery};
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::model::{Campaign, CampaignLink};
use kefu_app::survey_campaigns::{CampaignInput, CampaignPlan, CampaignRun, LINK_COLUMNS, link_rows, links_csv};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CampaignDto {
    #[schema(value_type = Object)]
    pub campaign: Campaign,
    /// Who a run would ask now: `{frame, excluded_recent, excluded_opted_out, eligible, answers_needed, invitations}`
    #[schema(value_type = Object)]
    pub plan: CampaignPlan,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Campaign>,
}

/// Creates a campaign for a survey (by id or slug).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/campaigns", tag = "surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "The survey's id or slug")), request_body(content = Object, description = "`{name, frame: {kinds, tiers, regions, tags}, sample_size | margin, response_rate, fatigue_days, expires_in_days, recurrence: once|monthly|quarterly|ticket_resolved, invite_by_email, seed}`"),
    responses((status = 201, body = CampaignDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(survey): ApiPath<String>,
    ApiJson(b): ApiJson<CampaignInput>,
) -> Result<Response, ApiError> {
    let actor = caller.actor();
    let campaign = state.app.create_campaign(&actor, &survey, b).await?;
    let plan = state.app.campaign_plan(&actor, campaign.id).await?;
    Ok((StatusCode::CREATED, Json(CampaignDto { campaign, plan })).into_response())
}

/// A survey's campaigns, newest first.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/campaigns", tag = "surveys", security(("bearer" = [])),
    params(("id" = String, Path, description = "The survey's id or slug")), responses((status = 200, body = CampaignList)))]
pub async fn list(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(survey): ApiPath<String>,
) -> Result<Json<CampaignList>, ApiError> {
    let actor = caller.actor();
    let id = state.app.survey_id_of(&actor, &survey).await?;
    Ok(Json(CampaignList {
        items: state.app.list_campaigns(&actor, Some(id)).await?,
    }))
}

/// A campaign and who a run would ask now.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "surveys", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CampaignDto>, ApiError> {
    let actor = caller.actor();
    Ok(Json(CampaignDto {
        campaign: state.app.get_campaign(&actor, id).await?,
        plan: state.app.campaign_plan(&actor, id).await?,
    }))
}

/// Runs a campaign now: draws the sample, makes the links, sends the e-mail invitations. The
/// answer carries the run's links with their URLs (`items`, as the link list has them): kefu keeps
/// only their hashes, so this is the one time they are handed out (a later `POST …/links` issues
/// new ones).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/run", tag = "surveys", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn run(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let r: CampaignRun = state.app.run_campaign(&caller.actor(), id).await?;
    let items = link_items(&state, &r.issued).await;
    let mut body = serde_json::to_value(&r).map_err(|e| kefu_app::AppError::Refused(e.to_string()))?;
    body["items"] = serde_json::Value::Array(items);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinksQuery {
    /// One run's links (default: all)
    run: Option<i64>,
    /// json (default) or csv
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// A campaign's links with whom they are for and what became of them: JSON objects, or CSV
/// (`format=csv`) with a BOM. `url` is empty: kefu keeps no plain token (`POST` issues new links).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/links", tag = "surveys", security(("bearer" = [])), params(("id" = i64, Path), LinksQuery),
    responses((status = 200, content((Object = "application/json"), (String = "text/csv"))), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn links(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LinksQuery>,
) -> Result<Response, ApiError> {
    let format = ListFormat::parse(q.format.as_deref())?;
    let links = state.app.campaign_links(&caller.actor(), id, q.run).await?;
    link_list(&state, id, &links, format).await
}

/// The link list to send again (by SMS or a messaging tool): every link still open gets a new
/// token and URL, and the one sent before stops working. JSON, or CSV (`format=csv`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/links", tag = "surveys", security(("bearer" = [])), params(("id" = i64, Path), LinksQuery),
    responses((status = 200, content((Object = "application/json"), (String = "text/csv"))), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reissue_links(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LinksQuery>,
) -> Result<Response, ApiError> {
    let format = ListFormat::parse(q.format.as_deref())?;
    let links = state.app.reissue_campaign_links(&caller.actor(), id, q.run).await?;
    link_list(&state, id, &links, format).await
}

#[derive(Clone, Copy)]
enum ListFormat {
    Json,
    Csv,
}

impl ListFormat {
    fn parse(s: Option<&str>) -> Result<Self, kefu_core::Invalid> {
        match s.unwrap_or("json") {
            "json" => Ok(ListFormat::Json),
            "csv" => Ok(ListFormat::Csv),
            _ => Err(kefu_core::Invalid::one(
                "format",
                "unknown_format",
                "format is json or csv",
            )),
        }
    }
}

/// The link list as JSON objects keyed by [`LINK_COLUMNS`].
async fn link_items(state: &WebState, links: &[CampaignLink]) -> Vec<serde_json::Value> {
    link_rows(
        links,
        state.app.config.public_url.as_deref(),
        &state.app.time_zone().await,
    )
    .into_iter()
    .map(|r| {
        serde_json::Value::Object(
            LINK_COLUMNS
                .iter()
                .map(|k| (*k).to_owned())
                .zip(r.into_iter().map(Into::into))
                .collect(),
        )
    })
    .collect()
}

async fn link_list(
    state: &WebState,
    id: i64,
    links: &[CampaignLink],
    format: ListFormat,
) -> Result<Response, ApiError> {
    match format {
        ListFormat::Json => Ok(Json(serde_json::json!({ "items": link_items(state, links).await })).into_response()),
        ListFormat::Csv => {
            let rows = link_rows(
                links,
                state.app.config.public_url.as_deref(),
                &state.app.time_zone().await,
            );
            let body = links_csv(&rows).map_err(|e| kefu_app::AppError::Refused(e.to_string()))?;
            Ok(crate::download::attachment(
                body,
                "text/csv; charset=utf-8",
                &format!("campaign-{id}-links.csv"),
            ))
        }
    }
}
