//! `GET /api/v1/gaps`: the five gaps of a SERVQUAL survey over an optional period, each keyed by
//! dimension code (docs/statistics.md#five-gaps). Every staff role reads it.

use crate::WebState;
use crate::api::ApiQuery;
use crate::api::dashboards::SlaDto;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use kefu_app::gaps::{ExpectationGap, GapReport, optional_period};
use kefu_core::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapsQuery {
    /// A SERVQUAL survey's id or slug; default: the newest SERVQUAL survey with answers
    survey: Option<String>,
    /// First day, YYYY-MM-DD; with `to`. Default: every answer and ticket
    from: Option<String>,
    /// Last day, YYYY-MM-DD, included
    to: Option<String>,
}

fn pair(i: Option<kefu_core::stats::Interval>) -> Option<[f64; 2]> {
    i.map(|i| [i.lo, i.hi])
}

/// Management's mean expectation beside the customers', and the difference with its 95 % Welch
/// interval.
#[derive(Serialize, ToSchema)]
pub struct ExpectationDto {
    pub management_e: Option<f64>,
    pub n_management: u64,
    pub customers_e: Option<f64>,
    pub n_customers: u64,
    /// management_e − customers_e
    pub difference: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

impl From<&ExpectationGap> for ExpectationDto {
    fn from(g: &ExpectationGap) -> ExpectationDto {
        ExpectationDto {
            management_e: g.management.mean,
            n_management: g.management.n,
            customers_e: g.customers.mean,
            n_customers: g.customers.n,
            difference: g.difference,
            ci95: pair(g.ci95),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Gap1Dto {
    /// Staff answers (the managers' view of customers' expectations).
    pub n_management: u64,
    pub n_customers: u64,
    pub dimensions: BTreeMap<String, ExpectationDto>,
    pub items: BTreeMap<String, ExpectationDto>,
}

#[derive(Serialize, ToSchema)]
pub struct StandardDto {
    /// sla | commitment
    pub source: String,
    pub id: i64,
    pub name: String,
    /// first_response | next_response | resolution
    pub target: String,
    /// Business minutes.
    pub minutes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Gap2Dto {
    /// Mean importance points (stated) or r with overall satisfaction (derived): see importance_basis
    pub importance: Option<f64>,
    pub weighted_highly: bool,
    pub standards: Vec<StandardDto>,
    /// Weighted highly, and no standard serves it.
    pub flagged: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Gap3Dto {
    pub met: i64,
    pub breached: i64,
    pub attainment: Option<f64>,
    pub targets: Vec<SlaDto>,
}

#[derive(Serialize, ToSchema)]
pub struct PromiseDto {
    pub commitment_id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub target_percent: i64,
    pub within_minutes: i64,
    /// Replies (or resolutions) that came in the period.
    pub n: u64,
    /// Of those, within the promise.
    pub within: u64,
    pub attainment: Option<f64>,
    pub kept: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Gap4Dto {
    pub commitments: Vec<PromiseDto>,
}

/// The survey report's dimension figures for the same period (segment all).
#[derive(Serialize, ToSchema)]
pub struct Gap5Dto {
    pub n: u64,
    pub e_mean: Option<f64>,
    pub p_mean: Option<f64>,
    pub gap_mean: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

#[derive(Serialize, ToSchema)]
pub struct CauseDto {
    pub gap: i64,
    pub cause: String,
    pub checked: bool,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct GapsDto {
    pub survey_id: i64,
    pub slug: String,
    pub title: String,
    /// YYYY-MM-DD, null: every answer and ticket
    pub from: Option<String>,
    pub to: Option<String>,
    /// The whole months the survey figures cover, [first, last]; null: every answer
    pub survey_months: Option<[String; 2]>,
    pub gap1: Gap1Dto,
    /// stated | derived | null
    pub importance_basis: Option<String>,
    pub gap2: BTreeMap<String, Gap2Dto>,
    pub gap3: BTreeMap<String, Gap3Dto>,
    pub gap4: BTreeMap<String, Gap4Dto>,
    pub gap5: BTreeMap<String, Gap5Dto>,
    /// The causes ticked or annotated for this survey and period.
    pub checklist: Vec<CauseDto>,
}

impl GapsDto {
    /// What the figures cover, as the first line of a download (`kefu report gaps`, the page's
    /// CSV and XLSX).
    pub fn title(&self) -> String {
        let period = match (&self.from, &self.to) {
            (Some(f), Some(t)) => format!("{f} to {t}"),
            _ => "every answer and ticket".to_owned(),
        };
        format!("five gaps of survey {} ({}), {period}", self.slug, self.title)
    }
}

impl From<GapReport> for GapsDto {
    fn from(r: GapReport) -> GapsDto {
        let keyed = |g: &[ExpectationGap]| g.iter().map(|g| (g.code.clone(), g.into())).collect();
        GapsDto {
            survey_id: r.view.survey.id,
            slug: r.view.survey.slug.clone(),
            title: r.view.survey.title.clone(),
            from: r.period.map(|p| p.from.to_string()),
            to: r.period.map(|p| p.to.to_string()),
            survey_months: r.survey_months.clone().map(|(a, b)| [a, b]),
            gap1: Gap1Dto {
                n_management: r.gap1.n_management,
                n_customers: r.gap1.n_customers,
                dimensions: keyed(&r.gap1.dimensions),
                items: keyed(&r.gap1.items),
            },
            importance_basis: r.importance_basis.map(|b| match b {
                kefu_core::stats::ipa::ImportanceBasis::Stated => "stated".to_owned(),
                kefu_core::stats::ipa::ImportanceBasis::Derived => "derived".to_owned(),
            }),
            gap2: (r.gap2.into_iter())
                .map(|g| {
                    let dto = Gap2Dto {
                        importance: g.importance,
                        weighted_highly: g.weighted_highly,
                        flagged: g.flagged,
                        standards: (g.standards.into_iter())
                            .map(|s| StandardDto {
                                source: s.source.to_owned(),
                                id: s.id,
                                name: s.name,
                                target: s.target,
                                minutes: s.minutes,
                            })
                            .collect(),
                    };
                    (g.dimension, dto)
                })
                .collect(),
            gap3: (r.gap3.into_iter())
                .map(|g| {
                    let dto = Gap3Dto {
                        met: g.met,
                        breached: g.breached,
                        attainment: g.attainment,
                        targets: g.targets.into_iter().map(Into::into).collect(),
                    };
                    (g.dimension, dto)
                })
                .collect(),
            gap4: (r.gap4.into_iter())
                .map(|g| {
                    let commitments = (g.commitments.into_iter())
                        .map(|c| PromiseDto {
                            commitment_id: c.commitment_id,
                            title_en: c.title_en,
                            title_zh: c.title_zh,
                            target_percent: c.target_percent,
                            within_minutes: c.within_minutes,
                            n: c.n,
                            within: c.within,
                            attainment: c.attainment,
                            kept: c.kept,
                        })
                        .collect();
                    (g.dimension, Gap4Dto { commitments })
                })
                .collect(),
            gap5: (r.gap5.into_iter())
                .map(|g| {
                    let dto = Gap5Dto {
                        n: g.n,
                        e_mean: g.e_mean,
                        p_mean: g.p_mean,
                        gap_mean: g.gap_mean,
                        ci95: pair(g.gap_ci95),
                    };
                    (g.dimension, dto)
                })
                .collect(),
            checklist: (r.checklist.into_iter())
                .map(|e| CauseDto {
                    gap: e.gap,
                    cause: e.cause,
                    checked: e.checked,
                    note: e.note,
                })
                .collect(),
        }
    }
}

/// The five gaps of a SERVQUAL survey. An unknown survey, one that is not SERVQUAL, a malformed
/// date or `from` after `to` is 422 naming the parameter.
#[utoipa::path(get, path = "/api/v1/gaps", tag = "dashboards", security(("bearer" = [])), params(GapsQuery),
    responses((status = 200, body = GapsDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn gaps(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<GapsQuery>,
) -> Result<Json<GapsDto>, ApiError> {
    let period = optional_period(
        q.from.as_deref().unwrap_or_default(),
        q.to.as_deref().unwrap_or_default(),
    )?;
    let actor = caller.actor();
    let view = state
        .app
        .gap_survey(&actor, q.survey.as_deref())
        .await?
        .ok_or_else(|| {
            Invalid::one(
                "survey",
                "unknown_survey",
                "no SERVQUAL survey has answers yet: name one",
            )
        })?;
    let report = state.app.gaps(&actor, view, period).await?;
    Ok(Json(report.into()))
}
