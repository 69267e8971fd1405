//! The five-gap diagnosis of a SERVQUAL survey (docs/statistics.md#five-gaps; seed 003): each gap's
//! figures per dimension, from the survey's kept statistics and the kept ticket facts, and the
//! manager's checklist of causes kept with the period.
//!
//! Every staff role reads the page (aggregates, no records: docs/roles.md); managers and admins
//! tick the checklist.

use crate::dashboard::{Period, SlaFigure, ticket_figures};
use crate::surveys::{SurveyAccumulator, SurveyView};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::SurveyKind;
use kefu_core::facts::{FIRST_RESPONSE_BINS, RESOLUTION_BINS, histogram};
use kefu_core::gaps::{CAUSES, NOTE_MAX, check_cause, weighted_highly};
use kefu_core::stats::ServqualAccumulator;
use kefu_core::stats::descriptive::{Interval, MeanSummary, welch_difference};
use kefu_core::stats::ipa::ImportanceBasis;
use kefu_store::{Commitment, GapDiagnosisEntry, StoreError};
use serde::Serialize;

/// Where the ticket figures start when no period is given (every answer, every ticket).
pub const EARLIEST: jiff::civil::Date = jiff::civil::date(2000, 1, 1);

/// Management's expectations beside the customers' for one item or dimension (Gap 1).
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationGap {
    pub code: String,
    pub management: MeanSummary,
    pub customers: MeanSummary,
    /// Management's mean E minus the customers'.
    pub difference: Option<f64>,
    /// The 95 % Welch interval of the difference.
    pub ci95: Option<Interval>,
}

/// A standard that serves a dimension: an SLA policy's target or a commitment.
#[derive(Debug, Clone, Serialize)]
pub struct Standard {
    /// `sla` or `commitment`.
    pub source: &'static str,
    pub id: i64,
    pub name: String,
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    /// The promise in business minutes.
    pub minutes: i64,
}

/// Gap 2 for one dimension: the weight customers give it and the standards that serve it.
#[derive(Debug, Clone, Serialize)]
pub struct StandardsGap {
    pub dimension: String,
    /// The mean of the 100 importance points (stated) or the correlation of its perceptions with
    /// overall satisfaction (derived), as [`GapReport::importance_basis`] says.
    pub importance: Option<f64>,
    pub weighted_highly: bool,
    pub standards: Vec<Standard>,
    /// Weighted highly, and no standard serves it.
    pub flagged: bool,
}

/// Gap 3 for one dimension: the attainment of the SLA targets that serve it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryGap {
    pub dimension: String,
    pub targets: Vec<SlaFigure>,
    pub met: i64,
    pub breached: i64,
    pub attainment: Option<f64>,
}

/// One commitment's promise against what was delivered in the period (Gap 4).
#[derive(Debug, Clone, Serialize)]
pub struct PromiseKept {
    pub commitment_id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub dimension: String,
    pub target_percent: i64,
    pub within_minutes: i64,
    /// Tickets whose reply or resolution came in the period.
    pub n: u64,
    /// Of those, within the promise (the histogram's bin of the bound counts in: within 2 %).
    pub within: u64,
    pub attainment: Option<f64>,
    pub kept: Option<bool>,
}

/// Gap 4 for one dimension.
#[derive(Debug, Clone, Serialize)]
pub struct PromiseGap {
    pub dimension: String,
    pub commitments: Vec<PromiseKept>,
}

/// Gap 5 for one dimension: the customers' P − E.
#[derive(Debug, Clone, Serialize)]
pub struct PerceptionGap {
    pub dimension: String,
    pub n: u64,
    pub e_mean: Option<f64>,
    pub p_mean: Option<f64>,
    pub gap_mean: Option<f64>,
    pub gap_ci95: Option<Interval>,
}

/// Gap 1: per item and per dimension.
#[derive(Debug, Clone, Serialize)]
pub struct ManagementGap {
    /// Staff answers to the survey (the managers' view).
    pub n_management: u64,
    pub n_customers: u64,
    pub items: Vec<ExpectationGap>,
    pub dimensions: Vec<ExpectationGap>,
}

/// The five gaps of a survey over a period.
#[derive(Debug, Clone)]
pub struct GapReport {
    pub view: SurveyView,
    /// The period asked for, `None`: every answer and every ticket.
    pub period: Option<Period>,
    /// The months the survey figures cover (`YYYY-MM`), `None`: every answer.
    pub survey_months: Option<(String, String)>,
    /// The dimensions, in the survey's order.
    pub dimensions: Vec<String>,
    pub gap1: ManagementGap,
    pub importance_basis: Option<ImportanceBasis>,
    pub gap2: Vec<StandardsGap>,
    pub gap3: Vec<DeliveryGap>,
    pub gap4: Vec<PromiseGap>,
    pub gap5: Vec<PerceptionGap>,
    /// The checklist kept for this survey and period.
    pub checklist: Vec<GapDiagnosisEntry>,
    /// The SLA policies' names: (id, name).
    pub policies: Vec<(i64, String)>,
}

impl GapReport {
    /// The key the checklist is kept under: `all`, or `from..to`.
    pub fn period_key(&self) -> String {
        period_key(self.period)
    }
}

/// A period from optional ends: none when both are empty, else both must be dates.
pub fn optional_period(from: &str, to: &str) -> Result<Option<Period>, Invalid> {
    if from.trim().is_empty() && to.trim().is_empty() {
        return Ok(None);
    }
    Period::parse(from, to).map(Some)
}

fn period_key(period: Option<Period>) -> String {
    match period {
        None => "all".to_owned(),
        Some(p) => format!("{}..{}", p.from, p.to),
    }
}

/// A cause as the manager ticks and annotates it.
#[derive(Debug, Clone, Default)]
pub struct CauseInput {
    pub gap: i64,
    pub cause: String,
    pub checked: bool,
    pub note: String,
}

fn servqual_of(acc: &SurveyAccumulator) -> Option<&ServqualAccumulator> {
    match acc {
        SurveyAccumulator::Servqual(a) | SurveyAccumulator::Benchmarked(a, _) => Some(a),
        _ => None,
    }
}

/// Gap 1 from the two groups' sums: management's E (staff answers) against the customers'.
fn management_gap(management: &ServqualAccumulator, customers: &ServqualAccumulator) -> ManagementGap {
    let row = |code: &str, m: MeanSummary, c: MeanSummary| {
        let (difference, ci95) = welch_difference(&m, &c);
        ExpectationGap {
            code: code.to_owned(),
            management: m,
            customers: c,
            difference,
            ci95,
        }
    };
    let items = (customers.layout.items.iter().enumerate())
        .map(|(j, code)| row(code, management.item_e[j].summary(1), customers.item_e[j].summary(1)))
        .collect();
    let dimensions = (customers.layout.dimensions.iter().enumerate())
        .map(|(d, dim)| {
            row(
                &dim.code,
                management.dimensions[d].expectation.summary(management.scale),
                customers.dimensions[d].expectation.summary(customers.scale),
            )
        })
        .collect();
    ManagementGap {
        n_management: management.n_respondents,
        n_customers: customers.n_respondents,
        items,
        dimensions,
    }
}

impl App {
    /// The SERVQUAL surveys a gap page may be about, newest first (every staff role).
    pub async fn gap_surveys(&self, actor: &Actor) -> AppResult<Vec<kefu_store::Survey>> {
        actor.require(kefu_core::roles::STAFF)?;
        let mut out: Vec<kefu_store::Survey> = (self.list_surveys(&Actor::System("gaps")).await?.into_iter())
            .filter(|(s, _)| s.kind == SurveyKind::Servqual)
            .map(|(s, _)| s)
            .collect();
        out.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        Ok(out)
    }

    /// The SERVQUAL survey a gap page is about: the one named (id or slug), else the newest with
    /// customer answers. An unknown one, or one that asks no expectations, is refused naming
    /// `survey`.
    pub async fn gap_survey(&self, actor: &Actor, survey: Option<&str>) -> AppResult<Option<SurveyView>> {
        actor.require(kefu_core::roles::STAFF)?;
        let reader = Actor::System("gaps");
        let unknown = || Invalid::one("survey", "unknown_survey", "no survey with this id or slug");
        let id = match survey.map(str::trim).filter(|s| !s.is_empty()) {
            Some(key) => match self.survey_id_of(&reader, key).await {
                Ok(id) => id,
                Err(AppError::NotFound | AppError::Store(StoreError::NotFound)) => return Err(unknown().into()),
                Err(e) => return Err(e),
            },
            None => match self.primary_survey(SurveyKind::Servqual).await? {
                Some(s) => s.id,
                None => return Ok(None),
            },
        };
        let view = self.get_survey(&reader, id).await?;
        if view.survey.kind != SurveyKind::Servqual {
            return Err(Invalid::one(
                "survey",
                "not_servqual",
                "the five gaps need a SERVQUAL survey (expectations and perceptions)",
            )
            .into());
        }
        Ok(Some(view))
    }

    /// The five gaps of a SERVQUAL survey over a period (`None`: every answer and ticket).
    pub async fn gaps(&self, actor: &Actor, view: SurveyView, period: Option<Period>) -> AppResult<GapReport> {
        actor.require(kefu_core::roles::STAFF)?;
        let month = |d: jiff::civil::Date| d.strftime("%Y-%m").to_string();
        let survey_months = period.map(|p| (month(p.from), month(p.to)));
        let (from, to) = match &survey_months {
            Some((f, t)) => (Some(f.as_str()), Some(t.as_str())),
            None => (None, None),
        };
        let customers = self.merged_stats(&view, "all", from, to).await?;
        let management = self.merged_stats(&view, "staff", from, to).await?;
        let (Some(customers), Some(management)) = (servqual_of(&customers), servqual_of(&management)) else {
            return Err(AppError::Refused("the survey keeps no SERVQUAL statistics".into()));
        };
        let report = customers.report(view.weight_vec().as_deref())?;
        let dimensions: Vec<String> = customers.layout.dimensions.iter().map(|d| d.code.clone()).collect();

        // The standards, and what the tickets delivered against them.
        let today = self.now_ts().to_zoned(self.time_zone().await).date();
        let ticket_period = period.unwrap_or(Period {
            from: EARLIEST,
            to: today,
        });
        let rows = self.fact_sums("all", ticket_period).await?;
        let figures = ticket_figures(&rows);
        let policies = self.store.sla_policies().await?;
        let commitments = self.store.commitments().await?;
        let serving = |dim: &str| -> Vec<Standard> {
            let mut out = Vec::new();
            for p in &policies {
                let t = &p.targets;
                for (target, minutes, serves) in [
                    ("first_response", t.first_response_minutes, &p.dimension),
                    ("next_response", t.next_response_minutes, &p.dimension),
                    ("resolution", t.resolution_minutes, &p.resolution_dimension),
                ] {
                    if let Some(minutes) = minutes.filter(|_| serves == dim) {
                        out.push(Standard {
                            source: "sla",
                            id: p.id,
                            name: p.name.clone(),
                            target: target.to_owned(),
                            minutes,
                        });
                    }
                }
            }
            for c in commitments
                .iter()
                .filter(|c| crate::commitments::dimension_of(c) == dim)
            {
                out.push(Standard {
                    source: "commitment",
                    id: c.id,
                    name: c.title_en.clone(),
                    target: c.metric.as_str().to_owned(),
                    minutes: c.within_minutes,
                });
            }
            out
        };
        let importance: Vec<Option<f64>> = report
            .ipa
            .rows
            .iter()
            .map(|r| match report.ipa.basis {
                Some(ImportanceBasis::Derived) => r.importance_derived,
                _ => r.importance_stated,
            })
            .collect();
        let high = weighted_highly(&importance);
        let gap2 = (dimensions.iter().enumerate())
            .map(|(d, dim)| {
                let standards = serving(dim);
                StandardsGap {
                    dimension: dim.clone(),
                    importance: importance[d],
                    weighted_highly: high[d],
                    flagged: high[d] && standards.is_empty(),
                    standards,
                }
            })
            .collect();
        let gap3 = dimensions
            .iter()
            .map(|dim| {
                let targets: Vec<SlaFigure> = (figures.sla.iter())
                    .filter(|f| {
                        policies.iter().any(|p| {
                            p.id == f.policy_id
                                && dim
                                    == if f.target == "resolution" {
                                        &p.resolution_dimension
                                    } else {
                                        &p.dimension
                                    }
                        })
                    })
                    .cloned()
                    .collect();
                let met: i64 = targets.iter().map(|t| t.met).sum();
                let breached: i64 = targets.iter().map(|t| t.breached).sum();
                DeliveryGap {
                    dimension: dim.clone(),
                    targets,
                    met,
                    breached,
                    attainment: (met + breached > 0).then(|| met as f64 / (met + breached) as f64),
                }
            })
            .collect();
        let gap4 = dimensions
            .iter()
            .map(|dim| PromiseGap {
                dimension: dim.clone(),
                commitments: (commitments.iter())
                    .filter(|c| crate::commitments::dimension_of(c) == dim)
                    .map(|c| promise_kept(c, &rows))
                    .collect(),
            })
            .collect();
        let gap5 = report
            .dimensions
            .iter()
            .map(|d| PerceptionGap {
                dimension: d.dimension.clone(),
                n: d.n,
                e_mean: d.e_mean,
                p_mean: d.p_mean,
                gap_mean: d.gap_mean,
                gap_ci95: d.gap_ci95,
            })
            .collect();
        let checklist = self.store.gap_diagnosis(view.survey.id, &period_key(period)).await?;
        Ok(GapReport {
            gap1: management_gap(management, customers),
            importance_basis: report.ipa.basis,
            view,
            period,
            survey_months,
            dimensions,
            gap2,
            gap3,
            gap4,
            gap5,
            checklist,
            policies: policies.iter().map(|p| (p.id, p.name.clone())).collect(),
        })
    }

    /// Replaces the checklist of a survey for a period (managers and admins): every cause given
    /// is checked first, and a bad one changes nothing.
    pub async fn save_gap_diagnosis(
        &self,
        actor: &Actor,
        survey_id: i64,
        period: Option<Period>,
        causes: Vec<CauseInput>,
    ) -> AppResult<Vec<GapDiagnosisEntry>> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let view = self.get_survey(actor, survey_id).await?;
        let now = self.now();
        let mut entries: Vec<GapDiagnosisEntry> = Vec::new();
        for c in causes {
            let cause = check_cause(c.gap, c.cause.trim())?;
            let note = kefu_core::text::check_optional_text("note", &c.note, NOTE_MAX)?;
            if !c.checked && note.is_empty() {
                continue;
            }
            if entries.iter().any(|e| e.gap == c.gap && e.cause == cause.code) {
                return Err(Invalid::one("cause", "duplicate", format!("{} is given twice", cause.code)).into());
            }
            entries.push(GapDiagnosisEntry {
                gap: c.gap,
                cause: cause.code.to_owned(),
                checked: c.checked,
                note: note.to_owned(),
                updated_by: actor.user_id(),
                updated_at: now,
            });
        }
        let key = period_key(period);
        self.store.save_gap_diagnosis(view.survey.id, &key, &entries).await?;
        self.audit(
            actor,
            "gaps.diagnose",
            format!("survey:{}", view.survey.id),
            serde_json::json!({
                "period": key,
                "checked": entries.iter().filter(|e| e.checked).map(|e| &e.cause).collect::<Vec<_>>(),
            }),
        )
        .await?;
        Ok(entries)
    }
}

/// A commitment's attainment over the summed fact rows `(kind, figure, sum)`: of the replies (or
/// resolutions) that came in the period, the share within the promise.
pub(crate) fn promise_kept(c: &Commitment, rows: &[(String, String, i64)]) -> PromiseKept {
    let prefix = match c.metric {
        kefu_core::commitment::CommitmentMetric::FirstResponse => FIRST_RESPONSE_BINS,
        kefu_core::commitment::CommitmentMetric::Resolution => RESOLUTION_BINS,
    };
    let kind = c.kind.map(|k| k.as_str());
    let h = histogram(
        prefix,
        rows.iter()
            .filter(|(k, ..)| kind.is_none_or(|want| want == k))
            .map(|(_, f, v)| (f.as_str(), *v)),
    );
    let (n, within) = (h.n(), h.at_most(c.within_minutes as f64));
    let attainment = (n > 0).then(|| within as f64 / n as f64);
    PromiseKept {
        commitment_id: c.id,
        title_en: c.title_en.clone(),
        title_zh: c.title_zh.clone(),
        dimension: crate::commitments::dimension_of(c).to_owned(),
        target_percent: c.target_percent,
        within_minutes: c.within_minutes,
        n,
        within,
        attainment,
        kept: attainment.map(|a| a * 100.0 + 1e-9 >= c.target_percent as f64),
    }
}

/// The causes of one gap, in seed 003's order, each with what the checklist keeps for it.
pub fn checklist_of(
    gap: u8,
    kept: &[GapDiagnosisEntry],
) -> Vec<(&'static kefu_core::gaps::GapCause, Option<&GapDiagnosisEntry>)> {
    CAUSES
        .iter()
        .filter(|c| c.gap == gap)
        .map(|c| {
            let entry = kept.iter().find(|e| e.gap == i64::from(gap) && e.cause == c.code);
            (c, entry)
        })
        .collect()
}
