//! `/api/v1/surveys` and the item bank `/api/v1/survey-items` (admins and managers): create and
//! read surveys, make tokenised answer links, and the report (its JSON as
//! docs/survey-report.schema.json names the fields; docs/statistics.md defines them). Respondents
//! answer on the public page `/s/{token}`, not through the API.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::model::{BankItem, BankItemPatch, Survey, SurveyDimension};
use kefu_app::surveys::{BankItemInput, DimensionInput, LinkRequest, SurveyInput, SurveyView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SurveyItemDto {
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyDto {
    pub id: i64,
    /// Short name; `/api/v1/surveys/{slug}` works wherever the id does.
    pub slug: String,
    /// servqual | servperf | csat | nps | ces | custom
    pub kind: String,
    pub title: String,
    pub language: String,
    /// Manager weights per dimension code (sum 100), or null.
    #[schema(value_type = Option<Object>)]
    pub weights: Option<BTreeMap<String, u32>>,
    pub importance: bool,
    pub overall: bool,
    pub comment: bool,
    pub competitor: Option<String>,
    /// draft | open | closed
    pub status: String,
    /// Final answers so far (in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<i64>,
    /// The items asked, in order (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<SurveyItemDto>>,
    pub created_at: i64,
}

fn survey_dto(s: Survey, answered: Option<i64>, view: Option<SurveyView>) -> SurveyDto {
    let weights = match &view {
        Some(v) => v.weights.clone(),
        None => s.weights.as_deref().and_then(|w| serde_json::from_str(w).ok()),
    };
    SurveyDto {
        id: s.id,
        slug: s.slug,
        kind: s.kind.as_str().to_owned(),
        title: s.title,
        language: s.language,
        weights,
        importance: s.importance,
        overall: s.overall,
        comment: s.comment,
        competitor: s.competitor,
        status: s.status,
        answered,
        items: view.map(|v| {
            v.items
                .into_iter()
                .map(|i| SurveyItemDto {
                    code: i.code,
                    dimension: i.dimension,
                    expectation_zh: i.expectation_zh,
                    expectation_en: i.expectation_en,
                    perception_zh: i.perception_zh,
                    perception_en: i.perception_en,
                })
                .collect()
        }),
        created_at: s.created_at,
    }
}

fn view_dto(v: SurveyView) -> SurveyDto {
    survey_dto(v.survey.clone(), None, Some(v))
}

#[derive(Serialize, ToSchema)]
pub struct SurveyList {
    pub items: Vec<SurveyDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurveyBody {
    /// Short name: 1–64 lowercase letters, digits and -, not only digits (default `survey-<id>`)
    slug: Option<String>,
    /// servqual (default) | servperf | csat | nps | ces | custom
    kind: Option<String>,
    title: String,
    /// zh-CN (default) | en
    language: Option<String>,
    /// {dimension code: points}, summing to 100
    #[schema(value_type = Option<Object>)]
    weights: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    importance: bool,
    #[serde(default)]
    overall: bool,
    comment: Option<bool>,
    competitor: Option<String>,
    /// Bank item codes in order; default the whole bank (servqual, servperf, custom)
    items: Option<Vec<String>>,
    /// draft | open (default) | closed
    status: Option<String>,
}

/// Creates a survey; SERVQUAL with all the bank's items unless told otherwise.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", security(("bearer" = [])), request_body = CreateSurveyBody,
    responses((status = 201, body = SurveyDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateSurveyBody>,
) -> Result<Response, ApiError> {
    let v = state
        .app
        .create_survey(
            &caller.actor(),
            SurveyInput {
                slug: b.slug,
                kind: b.kind.unwrap_or_else(|| "servqual".into()),
                title: b.title,
                language: b.language,
                weights: b.weights,
                importance: b.importance,
                overall: b.overall,
                comment: b.comment.unwrap_or(true),
                competitor: b.competitor,
                items: b.items,
                status: b.status,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view_dto(v))).into_response())
}

/// Every survey, newest first, with its number of final answers.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", security(("bearer" = [])),
    responses((status = 200, body = SurveyList)))]
pub async fn list(State(state): State<WebState>, caller: Caller) -> Result<Json<SurveyList>, ApiError> {
    let items = state
        .app
        .list_surveys(&caller.actor())
        .await?
        .into_iter()
        .map(|(s, n)| survey_dto(s, Some(n), None))
        .collect();
    Ok(Json(SurveyList { items }))
}

/// A survey with its items.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", security(("bearer" = [])), params(("id" = String, Path, description = "The survey's id or slug")),
    responses((status = 200, body = SurveyDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<SurveyDto>, ApiError> {
    let id = state.app.survey_id_of(&caller.actor(), &key).await?;
    Ok(Json(view_dto(state.app.get_survey(&caller.actor(), id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinksBody {
    /// One link per customer; empty or absent: one link for nobody in particular
    #[serde(default)]
    customer_ids: Vec<i64>,
    /// 1–365, default 30
    expires_in_days: Option<u32>,
    /// zh-CN | en; default the customer's primary contact's language, else the survey's
    language: Option<String>,
    /// Without customer_ids: how many links for nobody in particular, 1–10000 (default 1)
    count: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkDto {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub language: String,
    pub expires_at: i64,
    /// The plain token: shown in this answer only, stored hashed.
    pub token: String,
    /// The answer page, relative to the server: `/s/{token}`.
    pub path: String,
}

#[derive(Serialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<LinkDto>,
}

/// Makes tokenised answer links for customers.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/links", tag = "surveys", security(("bearer" = [])), params(("id" = String, Path, description = "The survey's id or slug")), request_body = LinksBody,
    responses((status = 201, body = LinkList), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn links(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<LinksBody>,
) -> Result<Response, ApiError> {
    let id = state.app.survey_id_of(&caller.actor(), &key).await?;
    let made = state
        .app
        .make_survey_links(
            &caller.actor(),
            id,
            LinkRequest {
                customer_ids: b.customer_ids,
                expires_in_days: b.expires_in_days,
                language: b.language,
                count: b.count,
            },
        )
        .await?;
    let links = made
        .into_iter()
        .map(|m| LinkDto {
            id: m.link.id,
            customer_id: m.link.customer_id,
            contact_id: m.link.contact_id,
            language: m.link.language,
            expires_at: m.link.expires_at,
            path: kefu_app::links::survey_answer(&m.token),
            token: m.token,
        })
        .collect();
    Ok((StatusCode::CREATED, Json(LinkList { links })).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// all (default: the customers), staff, or field:value (field=value) with field tier, kind, region, channel, product, product_category, department, agent or role
    segment: Option<String>,
    /// First month, YYYY-MM
    from: Option<String>,
    /// Last month, YYYY-MM
    to: Option<String>,
}

/// The survey's report from its sufficient statistics: `n_responses`, `items`, `dimensions`,
/// `servqual`, `ipa`, `short_planks`, `notes`; NPS / CSAT / CES surveys `nps`, `nps_se`,
/// `nps_ci95`, `csat`, `csat_ci95`, `ces_mean`, `ces_ci95`. Intervals are `[lo, hi]`; a figure
/// that cannot be computed is null with a note.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/report", tag = "surveys", security(("bearer" = [])), params(("id" = String, Path, description = "The survey's id or slug"), ReportQuery),
    responses((status = 200, body = Object), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = state.app.survey_id_of(&caller.actor(), &key).await?;
    let r = state
        .app
        .survey_report(
            &caller.actor(),
            id,
            q.segment.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
        )
        .await?;
    Ok(Json(r.to_json()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LowItemsQuery {
    /// all (default), or field:value (field=value) as for the report
    segment: Option<String>,
    /// First month, YYYY-MM
    from: Option<String>,
    /// Last month, YYYY-MM
    to: Option<String>,
    /// How many items, 1–22 (default 3)
    n: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct LowItemDto {
    /// The item's code
    pub code: String,
    /// The gap P − E (the mean P for SERVPERF)
    pub score: f64,
    /// What respondents who rated it low (P below E; P of 3 or less without E) said, newest first
    pub comments: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LowItemList {
    pub items: Vec<LowItemDto>,
}

/// The lowest-scoring items of the report (most negative gap first) with the comments given
/// alongside them by respondents who rated them low. Empty for CSAT / NPS / CES surveys.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/lowest-items", tag = "surveys", security(("bearer" = [])), params(("id" = String, Path, description = "The survey's id or slug"), LowItemsQuery),
    responses((status = 200, body = LowItemList), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn lowest_items(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiQuery(q): ApiQuery<LowItemsQuery>,
) -> Result<Json<LowItemList>, ApiError> {
    let n = q.n.unwrap_or(3);
    if !(1..=22).contains(&n) {
        return Err(kefu_core::Invalid::one("n", "out_of_range", "n is 1 to 22").into());
    }
    let actor = caller.actor();
    let id = state.app.survey_id_of(&actor, &key).await?;
    let r = state
        .app
        .survey_report(&actor, id, q.segment.as_deref(), q.from.as_deref(), q.to.as_deref())
        .await?;
    let items = state.app.lowest_items(&actor, &r, n).await?;
    Ok(Json(LowItemList {
        items: items
            .into_iter()
            .map(|l| LowItemDto {
                code: l.code,
                score: l.score,
                comments: l.comments,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BankDto {
    #[schema(value_type = Vec<Object>)]
    pub dimensions: Vec<SurveyDimension>,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<BankItem>,
}

/// The item bank: dimensions and items in both languages.
#[utoipa::path(get, path = "/api/v1/survey-items", tag = "surveys", security(("bearer" = [])),
    responses((status = 200, body = BankDto)))]
pub async fn bank(State(state): State<WebState>, caller: Caller) -> Result<Json<BankDto>, ApiError> {
    let (dimensions, items) = state.app.item_bank(&caller.actor()).await?;
    Ok(Json(BankDto { dimensions, items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemEdit {
    code: String,
    expectation_zh: Option<String>,
    expectation_en: Option<String>,
    perception_zh: Option<String>,
    perception_en: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankPatchBody {
    /// Wording changes by item code; every code must exist (else nothing changes)
    items: Vec<ItemEdit>,
}

/// Edits the wording of bank items (codes and dimensions stay).
#[utoipa::path(patch, path = "/api/v1/survey-items", tag = "surveys", security(("bearer" = [])), request_body = BankPatchBody,
    responses((status = 200, body = BankDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn patch_bank(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<BankPatchBody>,
) -> Result<Json<BankDto>, ApiError> {
    let actor = caller.actor();
    let edits = b.items.into_iter().map(|e| {
        let patch = BankItemPatch {
            expectation_zh: e.expectation_zh,
            expectation_en: e.expectation_en,
            perception_zh: e.perception_zh,
            perception_en: e.perception_en,
        };
        (e.code, patch)
    });
    state.app.update_bank_items(&actor, edits.collect()).await?;
    let (dimensions, items) = state.app.item_bank(&actor).await?;
    Ok(Json(BankDto { dimensions, items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItemBody {
    code: String,
    dimension: String,
    expectation_zh: String,
    expectation_en: String,
    perception_zh: String,
    perception_en: String,
}

/// Adds an item to the bank.
#[utoipa::path(post, path = "/api/v1/survey-items", tag = "surveys", security(("bearer" = [])), request_body = NewItemBody,
    responses((status = 201, body = Object), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_item(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewItemBody>,
) -> Result<Response, ApiError> {
    let i = state
        .app
        .add_bank_item(
            &caller.actor(),
            BankItemInput {
                code: b.code,
                dimension: b.dimension,
                expectation_zh: b.expectation_zh,
                expectation_en: b.expectation_en,
                perception_zh: b.perception_zh,
                perception_en: b.perception_en,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(i)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDimensionBody {
    code: String,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    description_en: String,
}

/// Adds a dimension to the bank.
#[utoipa::path(post, path = "/api/v1/survey-dimensions", tag = "surveys", security(("bearer" = [])), request_body = NewDimensionBody,
    responses((status = 201, body = Object), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn add_dimension(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewDimensionBody>,
) -> Result<Response, ApiError> {
    let d = state
        .app
        .add_survey_dimension(
            &caller.actor(),
            DimensionInput {
                code: b.code,
                name_zh: b.name_zh,
                name_en: b.name_en,
                description_zh: b.description_zh,
                description_en: b.description_en,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// `{expectation: {Q1: 6, …}, perception: {Q1: 5, …}, allocation: {tangibles: 20, …},
    /// overall: 6}` for an item battery, `{score: 9}` for csat / nps / ces
    #[schema(value_type = Object)]
    answers: kefu_app::surveys::Answers,
    #[serde(default)]
    comment: String,
    /// true (default): the final answer, counted in the report; false: saved, to go on later
    #[serde(default = "yes", rename = "final")]
    final_: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AnsweredDto {
    pub id: i64,
    pub partial: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AskedItem {
    pub code: String,
    pub dimension: String,
    /// The expectation statement in the link's language (SERVQUAL surveys), else null
    pub expectation: Option<String>,
    pub perception: String,
}

#[derive(Serialize, ToSchema)]
pub struct AskedSurvey {
    pub title: String,
    /// servqual | servperf | csat | nps | ces | custom
    pub kind: String,
    /// The respondent's language: zh-CN | en
    pub language: String,
    /// A staff member's link to a SERVQUAL survey asks only the expectations (management's view
    /// of what customers expect: Gap 1); perceptions, points and overall are then refused.
    pub expectations_only: bool,
    pub importance: bool,
    pub overall: bool,
    pub comment: bool,
    /// A competitor to rate on the perception items too (`answers.competitor`), or null
    pub competitor: Option<String>,
    pub items: Vec<AskedItem>,
    /// {dimension code: name in the respondent's language}
    #[schema(value_type = Object)]
    pub dimensions: BTreeMap<String, String>,
    pub answered: bool,
    pub opted_out: bool,
    /// What was saved so far (partial or final), or null
    #[schema(value_type = Option<Object>)]
    pub saved: Option<kefu_app::surveys::Answers>,
}

/// A survey as its respondent sees it, through the link's token (no sign-in: the token is the
/// credential): for apps and mini-programs that show the questions themselves.
#[utoipa::path(get, path = "/api/v1/survey-answers/{token}", tag = "surveys", params(("token" = String, Path)),
    responses((status = 200, body = AskedSurvey), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn asked(
    State(state): State<WebState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<AskedSurvey>, ApiError> {
    let ls = state.app.survey_for_token(&token).await?;
    let lang = kefu_core::Language::parse(&ls.link.language).unwrap_or(kefu_core::Language::ZhCn);
    let zh = lang == kefu_core::Language::ZhCn;
    let management = ls.management_view();
    let v = &ls.view;
    Ok(Json(AskedSurvey {
        title: v.survey.title.clone(),
        kind: v.survey.kind.as_str().to_owned(),
        language: lang.code().into(),
        expectations_only: management,
        importance: v.survey.importance && !management,
        overall: v.survey.overall && !management,
        comment: v.survey.comment,
        competitor: (v.benchmarked() && !management)
            .then(|| v.survey.competitor.clone())
            .flatten(),
        items: v
            .items
            .iter()
            .map(|i| AskedItem {
                code: i.code.clone(),
                dimension: i.dimension.clone(),
                expectation: v.survey.kind.asks_expectations().then(|| {
                    if zh {
                        i.expectation_zh.clone()
                    } else {
                        i.expectation_en.clone()
                    }
                }),
                perception: if zh {
                    i.perception_zh.clone()
                } else {
                    i.perception_en.clone()
                },
            })
            .collect(),
        dimensions: v
            .dimensions
            .iter()
            .map(|d| (d.code.clone(), v.dimension_name(&d.code, lang)))
            .collect(),
        answered: ls.answered(),
        opted_out: ls.opted_out(),
        saved: ls.response.as_ref().map(|(_, a)| a.clone()),
    }))
}

/// Answers a survey through its link's token (no sign-in): checked as the answer page checks it;
/// a final answer is counted in the report at once. A second final answer is 409, an unknown or
/// expired token 404.
#[utoipa::path(post, path = "/api/v1/survey-answers/{token}", tag = "surveys", params(("token" = String, Path)), request_body = AnswerBody,
    responses((status = 201, body = AnsweredDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn answer(
    State(state): State<WebState>,
    id: crate::identity::Identity,
    ApiPath(token): ApiPath<String>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Response, ApiError> {
    state
        .app
        .public_rate_limit(kefu_app::public::PublicAction::SurveyAnswer, id.ip.as_deref())
        .await?;
    let r = state.app.answer_survey(&token, b.answers, &b.comment, b.final_).await?;
    Ok((
        StatusCode::CREATED,
        Json(AnsweredDto {
            id: r.id,
            partial: r.partial,
        }),
    )
        .into_response())
}
