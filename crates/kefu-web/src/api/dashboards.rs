//! `GET /api/v1/dashboards/manager`: the manager's dashboard as JSON — the period's ticket
//! figures from the kept ticket facts and each survey kind's figure over the whole months the
//! period touches (docs/statistics.md#ticket-facts, #headlines). Every staff role reads it.

use crate::WebState;
use crate::api::ApiQuery;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use kefu_app::dashboard::{Dashboard, Period, SlaFigure, TailFigure};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// First day, YYYY-MM-DD (in the organisation's time zone)
    from: String,
    /// Last day, YYYY-MM-DD, included
    to: String,
    /// all (default), or one segment field:value with field tier, region, channel, department,
    /// product_category, agent or touchpoint
    segment: Option<String>,
}

/// Durations in business minutes: how many, and p50 / p90 / p99 from the kept histogram (within
/// 1 % of the exact nearest rank); null when none.
#[derive(Serialize, ToSchema)]
pub struct TailDto {
    pub n: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

impl From<TailFigure> for TailDto {
    fn from(t: TailFigure) -> TailDto {
        TailDto {
            n: t.n,
            p50: t.p50,
            p90: t.p90,
            p99: t.p99,
        }
    }
}

/// One policy's target in the period: cycles met and breached (each on the day it settled),
/// and met / (met + breached).
#[derive(Serialize, ToSchema)]
pub struct SlaDto {
    pub policy_id: i64,
    /// first_response | next_response | resolution
    pub target: String,
    pub met: i64,
    pub breached: i64,
    pub attainment: Option<f64>,
}

impl From<SlaFigure> for SlaDto {
    fn from(s: SlaFigure) -> SlaDto {
        SlaDto {
            policy_id: s.policy_id,
            target: s.target,
            met: s.met,
            breached: s.breached,
            attainment: s.attainment,
        }
    }
}

/// Tickets created in the period, and their breakdowns (each an object: value → count).
#[derive(Serialize, ToSchema)]
pub struct TicketCountsDto {
    pub created: i64,
    /// kind → tickets created
    pub by_kind: BTreeMap<String, i64>,
    /// channel code, as the ticket API spells it → tickets created (merged tickets included)
    pub by_channel: BTreeMap<String, i64>,
    /// category id (the ticket's own, a leaf) → tickets created
    pub by_category: BTreeMap<String, i64>,
    pub by_touchpoint: BTreeMap<String, i64>,
    pub by_product_category: BTreeMap<String, i64>,
    /// Tickets whose latest resolution fell in the period.
    pub resolved: i64,
    /// Of those, the share that had been reopened; null when none was resolved.
    pub reopen_rate: Option<f64>,
    /// Of those, the share resolved at the first contact.
    pub fcr_rate: Option<f64>,
}

/// A survey kind's figure: the kind's primary survey (picked by a manager; by default the newest
/// of that kind with answers), over `survey_months`.
#[derive(Serialize, ToSchema)]
pub struct SurveyFigureDto {
    pub survey_id: i64,
    pub title: String,
    /// Answers counted.
    pub n: u64,
    /// NPS (−100…100), CSAT (share satisfied), CES (mean) or the SERVQUAL score (mean P − E)
    pub value: Option<f64>,
    /// 95 % interval `[lo, hi]`; for SERVQUAL see `dimensions`
    pub ci95: Option<[f64; 2]>,
    /// SERVQUAL only: dimension code → mean gap P − E with its 95 % interval
    pub dimensions: Option<BTreeMap<String, GapDto>>,
}

#[derive(Serialize, ToSchema)]
pub struct GapDto {
    pub gap: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

/// One month (`YYYY-MM`) or year (`YYYY`) of the period: the durations settled on its days.
#[derive(Serialize, ToSchema)]
pub struct TimesInDto {
    pub part: String,
    pub first_response_minutes: TailDto,
    pub resolution_minutes: TailDto,
}

/// The segment's open tickets (new, open, pending) now, whatever the period, counted from the
/// SLA marks kept on them (docs/statistics.md#queue-now).
#[derive(Serialize, ToSchema)]
pub struct QueueNowDto {
    pub open: u64,
    /// quadrant (urgent_important, important_not_urgent, urgent_not_important, neither) → open
    /// tickets; all four present
    pub by_quadrant: BTreeMap<String, u64>,
    /// Open tickets with an SLA target past due.
    pub breached: u64,
    /// Open tickets with none past due and a running target due within the next hour.
    pub due_within_hour: u64,
}

/// Word-of-mouth exposure — an estimate with seed 001's coefficients (configurable:
/// `word_of_mouth_unhappy`, `word_of_mouth_happy`).
#[derive(Serialize, ToSchema)]
pub struct WordOfMouthDto {
    /// Complaints filed in the period.
    pub complaints: i64,
    /// People who may have heard of bad service: complaints × word_of_mouth_unhappy.
    pub unhappy_reach: i64,
    /// Satisfied answers of the CSAT figure; null without one.
    pub satisfied: Option<i64>,
    /// satisfied × word_of_mouth_happy.
    pub happy_reach: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DashboardDto {
    /// YYYY-MM-DD
    pub from: String,
    /// YYYY-MM-DD
    pub to: String,
    pub segment: String,
    /// The whole months the survey figures cover, [first, last] as YYYY-MM.
    pub survey_months: [String; 2],
    pub tickets: TicketCountsDto,
    pub sla: Vec<SlaDto>,
    pub first_response_minutes: TailDto,
    pub resolution_minutes: TailDto,
    /// The two durations per month of the period (per year past 36 months), in order.
    pub times_trend: Vec<TimesInDto>,
    pub queue: QueueNowDto,
    pub nps: Option<SurveyFigureDto>,
    pub csat: Option<SurveyFigureDto>,
    pub ces: Option<SurveyFigureDto>,
    pub servqual: Option<SurveyFigureDto>,
    pub word_of_mouth: WordOfMouthDto,
}

impl DashboardDto {
    /// What the figures cover, as the first line of a download (`kefu report dashboard`, the
    /// page's CSV and XLSX).
    pub fn title(&self) -> String {
        format!(
            "dashboard {} to {}, segment {} (survey months {} to {})",
            self.from, self.to, self.segment, self.survey_months[0], self.survey_months[1]
        )
    }
}

fn pair(i: Option<kefu_core::stats::Interval>) -> Option<[f64; 2]> {
    i.map(|i| [i.lo, i.hi])
}

impl From<Dashboard> for DashboardDto {
    fn from(d: Dashboard) -> DashboardDto {
        let mut figures: BTreeMap<&'static str, SurveyFigureDto> = BTreeMap::new();
        for h in d.quality {
            let r = &h.report;
            let (value, ci95) = r.headline();
            let kind = r.view.survey.kind;
            figures.insert(
                kind.as_str(),
                SurveyFigureDto {
                    survey_id: r.view.survey.id,
                    title: r.view.survey.title.clone(),
                    n: r.n_responses,
                    value,
                    ci95: pair(ci95),
                    dimensions: r.servqual.as_ref().map(|s| {
                        s.dimensions
                            .iter()
                            .map(|g| {
                                (
                                    g.dimension.clone(),
                                    GapDto {
                                        gap: g.gap_mean,
                                        ci95: pair(g.gap_ci95),
                                    },
                                )
                            })
                            .collect()
                    }),
                },
            );
        }
        let t = d.tickets;
        let w = d.word_of_mouth;
        DashboardDto {
            from: d.period.from.to_string(),
            to: d.period.to.to_string(),
            segment: d.segment,
            survey_months: [d.survey_months.0, d.survey_months.1],
            tickets: TicketCountsDto {
                created: t.created,
                by_kind: t.by_kind,
                by_channel: t.by_channel,
                by_category: t.by_category,
                by_touchpoint: t.by_touchpoint,
                by_product_category: t.by_product_category,
                resolved: t.resolved,
                reopen_rate: t.reopen_rate,
                fcr_rate: t.fcr_rate,
            },
            sla: t.sla.into_iter().map(Into::into).collect(),
            first_response_minutes: t.first_response_minutes.into(),
            resolution_minutes: t.resolution_minutes.into(),
            times_trend: (d.times_trend.into_iter())
                .map(|p| TimesInDto {
                    part: p.part,
                    first_response_minutes: p.first_response_minutes.into(),
                    resolution_minutes: p.resolution_minutes.into(),
                })
                .collect(),
            queue: QueueNowDto {
                open: d.queue.open,
                by_quadrant: (d.queue.quadrants.iter())
                    .map(|(q, n)| (q.as_str().to_owned(), *n))
                    .collect(),
                breached: d.queue.breached,
                due_within_hour: d.queue.due_within_hour,
            },
            nps: figures.remove("nps"),
            csat: figures.remove("csat"),
            ces: figures.remove("ces"),
            servqual: figures.remove("servqual"),
            word_of_mouth: WordOfMouthDto {
                complaints: w.complaints,
                unhappy_reach: w.unhappy_reach,
                satisfied: w.satisfied,
                happy_reach: w.happy_reach,
            },
        }
    }
}

/// The manager's dashboard for a period of days and one segment. A malformed or impossible date,
/// `from` after `to`, or an unknown segment is 422 naming the parameter.
#[utoipa::path(get, path = "/api/v1/dashboards/manager", tag = "dashboards", security(("bearer" = [])), params(DashboardQuery),
    responses((status = 200, body = DashboardDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn manager(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<DashboardDto>, ApiError> {
    let period = Period::parse(&q.from, &q.to)?;
    let d = state
        .app
        .manager_dashboard(&caller.actor(), period, q.segment.as_deref().unwrap_or("all"))
        .await?;
    Ok(Json(d.into()))
}
