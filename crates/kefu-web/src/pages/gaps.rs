//! The five-gap page (`/gaps`, docs/statistics.md#five-gaps): for a SERVQUAL survey and a
//! period, each gap's figures per dimension with links to the records behind them, and seed
//! 003's causes as a checklist the manager ticks and annotates, kept with the period.

use super::{Chrome, render};
use crate::WebState;
use crate::auth::Caller;
use crate::charts::{Bar, gap_bars};
use crate::form::enc;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use kefu_app::figure_table::TableFormat;
use kefu_app::gaps::{CauseInput, GapReport, checklist_of, optional_period};
use kefu_core::Language;
use kefu_core::gaps::GAP_NAMES;
use kefu_core::i18n::Tr;
use kefu_core::stats::descriptive::{Interval, MeanSummary};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct GapsQuery {
    survey: Option<String>,
    from: Option<String>,
    to: Option<String>,
    done: Option<String>,
    /// `csv` or `xlsx` (the download only).
    format: Option<String>,
}

/// Gap 1's row: (name, management's E, n, customers' E, n, difference, interval).
pub type ExpectationRow = (String, String, u64, String, u64, String, String);

/// One SLA target under Gap 3: (policy, target, met, breached, attainment, tickets behind).
pub type TargetRow = (String, &'static str, i64, i64, String, Option<String>);

pub struct DeliveryRow {
    pub name: String,
    pub met: i64,
    pub breached: i64,
    pub attainment: String,
    pub targets: Vec<TargetRow>,
}

/// A cause on the checklist: (field key, text, checked, note).
pub type CauseRow = (String, &'static str, bool, String);

pub struct GapSection {
    pub number: u8,
    pub title: &'static str,
    pub causes: Vec<CauseRow>,
}

/// The five gaps as the page shows them.
pub struct GapsView {
    pub survey_id: i64,
    pub covers: String,
    pub sections: Vec<GapSection>,
    pub n_management: u64,
    pub gap1: Vec<ExpectationRow>,
    pub gap1_items: Vec<ExpectationRow>,
    pub gap1_chart: String,
    /// (dimension, importance, weighted highly, standards, flagged)
    pub gap2: Vec<(String, String, bool, String, bool)>,
    pub gap2_basis: &'static str,
    pub gap3: Vec<DeliveryRow>,
    /// (dimension, commitment, promise, answered, attainment, kept)
    pub gap4: Vec<(String, String, String, u64, String, &'static str)>,
    /// (dimension, n, E, P, P − E, interval)
    pub gap5: Vec<(String, u64, String, String, String, String)>,
    pub gap5_chart: String,
    /// Links to the survey report behind Gap 1 (staff answers) and Gap 5 (customers'), for
    /// those who may read it.
    pub staff_report: Option<String>,
    pub customer_report: Option<String>,
}

#[derive(Template)]
#[template(path = "gaps.html")]
pub struct GapsPage {
    pub page: Chrome,
    pub surveys: Vec<(String, String)>,
    pub survey: String,
    pub from: String,
    pub to: String,
    pub errors: Vec<(String, String)>,
    pub gaps: Option<GapsView>,
    /// Managers and admins tick the checklist; the others read it.
    pub may_edit: bool,
}

fn two(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{v:.2}"))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn interval(i: Option<Interval>) -> String {
    i.map_or("–".to_owned(), |i| format!("[{:.2}, {:.2}]", i.lo, i.hi))
}

fn expectation_row(
    name: String,
    m: &MeanSummary,
    c: &MeanSummary,
    d: Option<f64>,
    ci: Option<Interval>,
) -> ExpectationRow {
    (name, two(m.mean), m.n, two(c.mean), c.n, two(d), interval(ci))
}

/// The page's view of a gap report.
fn gaps_view(r: &GapReport, t: Tr, caller: &Caller, drill: (String, String)) -> GapsView {
    let lang = t.lang;
    let dim_name = |code: &str| {
        (r.view.dimensions.iter())
            .find(|d| d.code == code)
            .map(|d| match lang {
                Language::ZhCn => d.name_zh.clone(),
                Language::En => d.name_en.clone(),
            })
            .unwrap_or_else(|| code.to_owned())
    };
    let pick = |en: &'static str, zh: &'static str| if lang == Language::ZhCn { zh } else { en };
    let target_label = |target: &str| match target {
        "first_response" => t.t("dashboard.first_response"),
        "next_response" => t.t("dashboard.next_response"),
        _ => t.t("dashboard.resolution"),
    };
    let g1 = &r.gap1;
    let gap1: Vec<ExpectationRow> = (g1.dimensions.iter())
        .map(|g| expectation_row(dim_name(&g.code), &g.management, &g.customers, g.difference, g.ci95))
        .collect();
    let gap1_items = (g1.items.iter())
        .map(|g| expectation_row(g.code.clone(), &g.management, &g.customers, g.difference, g.ci95))
        .collect();
    let bars = |rows: Vec<(String, Option<f64>, Option<Interval>)>| -> Vec<Bar> {
        rows.into_iter()
            .map(|(label, value, ci)| Bar {
                label,
                value,
                lo: ci.map(|i| i.lo),
                hi: ci.map(|i| i.hi),
            })
            .collect()
    };
    let gap1_chart = if g1.n_management == 0 {
        String::new()
    } else {
        gap_bars(
            "gap1-chart",
            &bars(
                g1.dimensions
                    .iter()
                    .map(|g| (dim_name(&g.code), g.difference, g.ci95))
                    .collect(),
            ),
            t.t("gaps.gap1_chart"),
        )
    };
    let gap2 = (r.gap2.iter())
        .map(|g| {
            let standards = if g.standards.is_empty() {
                t.t("gaps.no_standard").to_owned()
            } else {
                (g.standards.iter())
                    .map(|s| format!("{} · {} {} min", s.name, target_label(&s.target), s.minutes))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let importance = match r.importance_basis {
                Some(kefu_core::stats::ipa::ImportanceBasis::Derived) => two(g.importance),
                _ => g.importance.map_or("–".to_owned(), |v| format!("{v:.1}")),
            };
            (
                dim_name(&g.dimension),
                importance,
                g.weighted_highly,
                standards,
                g.flagged,
            )
        })
        .collect();
    let gap2_basis = match r.importance_basis {
        Some(kefu_core::stats::ipa::ImportanceBasis::Derived) => t.t("gaps.basis_derived"),
        Some(_) => t.t("gaps.basis_stated"),
        None => t.t("gaps.basis_none"),
    };
    let desk = caller.user.role.works_the_desk();
    let gap3 = (r.gap3.iter())
        .map(|g| DeliveryRow {
            name: dim_name(&g.dimension),
            met: g.met,
            breached: g.breached,
            attainment: pct(g.attainment),
            targets: (g.targets.iter())
                .map(|s| {
                    let policy = (r.policies.iter())
                        .find(|p| p.0 == s.policy_id)
                        .map_or_else(|| s.policy_id.to_string(), |p| p.1.clone());
                    let link = (desk && s.breached > 0).then(|| {
                        format!(
                            "/tickets?fact=sla:{}:{}:breached&from={}&to={}",
                            s.policy_id, s.target, drill.0, drill.1
                        )
                    });
                    (
                        policy,
                        target_label(&s.target),
                        s.met,
                        s.breached,
                        pct(s.attainment),
                        link,
                    )
                })
                .collect(),
        })
        .collect();
    let gap4 = (r.gap4.iter())
        .flat_map(|g| {
            g.commitments.iter().map(|c| {
                let title = match lang {
                    Language::ZhCn => c.title_zh.clone(),
                    Language::En => c.title_en.clone(),
                };
                let kept = match c.kept {
                    Some(true) => t.t("gaps.kept"),
                    Some(false) => t.t("gaps.not_kept"),
                    None => t.t("gaps.undecided"),
                };
                (
                    dim_name(&g.dimension),
                    title,
                    format!("{} % ≤ {} min", c.target_percent, c.within_minutes),
                    c.n,
                    pct(c.attainment),
                    kept,
                )
            })
        })
        .collect();
    let gap5: Vec<_> = (r.gap5.iter())
        .map(|g| {
            (
                dim_name(&g.dimension),
                g.n,
                two(g.e_mean),
                two(g.p_mean),
                two(g.gap_mean),
                interval(g.gap_ci95),
            )
        })
        .collect();
    let gap5_chart = gap_bars(
        "gap5-chart",
        &bars(
            r.gap5
                .iter()
                .map(|g| (dim_name(&g.dimension), g.gap_mean, g.gap_ci95))
                .collect(),
        ),
        t.t("gaps.gap5_chart"),
    );
    let sections = (1..=5u8)
        .map(|n| GapSection {
            number: n,
            title: pick(GAP_NAMES[usize::from(n - 1)].0, GAP_NAMES[usize::from(n - 1)].1),
            causes: checklist_of(n, &r.checklist)
                .into_iter()
                .map(|(c, kept)| {
                    (
                        format!("{}:{}", c.gap, c.code),
                        c.text(lang),
                        kept.is_some_and(|e| e.checked),
                        kept.map(|e| e.note.clone()).unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect();
    let months = match &r.survey_months {
        Some((from, to)) => format!("&from={from}&to={to}"),
        None => String::new(),
    };
    let reports = caller.user.role.manages();
    let id = r.view.survey.id;
    GapsView {
        survey_id: id,
        covers: match &r.survey_months {
            Some((from, to)) => t.f("gaps.covers_months", &[("from", from), ("to", to)]),
            None => t.t("gaps.covers_all").to_owned(),
        },
        sections,
        n_management: g1.n_management,
        gap1,
        gap1_items,
        gap1_chart,
        gap2,
        gap2_basis,
        gap3,
        gap4,
        gap5,
        gap5_chart,
        staff_report: reports.then(|| format!("/surveys/{id}?segment=staff{months}")),
        customer_report: reports.then(|| format!("/surveys/{id}?segment=all{months}")),
    }
}

/// `/gaps`: every staff role reads it.
pub async fn show(State(state): State<WebState>, caller: Caller, Query(q): Query<GapsQuery>) -> Response {
    let t = caller.identity.tr();
    let actor = caller.actor();
    let surveys = match state.app.gap_surveys(&actor).await {
        Ok(s) => s,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let mut page = GapsPage {
        page: Chrome::new(&caller.identity, "/gaps", "nav.gaps").with_flash(q.done.as_deref()),
        surveys: surveys.iter().map(|s| (s.id.to_string(), s.title.clone())).collect(),
        survey: q.survey.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        errors: vec![],
        gaps: None,
        may_edit: caller.user.role.manages(),
    };
    let asked = optional_period(&page.from, &page.to).map_err(kefu_app::AppError::from);
    let found = match asked {
        Ok(period) => match state.app.gap_survey(&actor, q.survey.as_deref()).await {
            Ok(view) => Ok((period, view)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (period, view) = match found {
        Ok(v) => v,
        Err(kefu_app::AppError::Invalid(i)) => {
            page.errors = super::account::field_errors(&t, i);
            return render(page);
        }
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let Some(view) = view else {
        return render(page);
    };
    page.survey = view.survey.id.to_string();
    let report = match state.app.gaps(&actor, view, period).await {
        Ok(r) => r,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let today = state.app.default_period().await.to;
    let drill = match period {
        Some(p) => (p.from.to_string(), p.to.to_string()),
        None => (kefu_app::gaps::EARLIEST.to_string(), today.to_string()),
    };
    page.gaps = Some(gaps_view(&report, t, &caller, drill));
    render(page)
}

/// `POST /gaps/diagnosis`: the checklist of a survey and period, replaced (managers and admins).
pub async fn save(
    State(state): State<WebState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (survey, from, to) = (get("survey"), get("from"), get("to"));
    let back = format!("/gaps?survey={}&from={}&to={}", enc(&survey), enc(&from), enc(&to));
    let mut causes: Vec<CauseInput> = Vec::new();
    for (k, v) in &fields {
        let (field, key) = match k.split_once(':') {
            Some(("check", key)) => ("check", key),
            Some(("note", key)) => ("note", key),
            _ => continue,
        };
        let Some((gap, cause)) = key.split_once(':') else {
            continue;
        };
        let gap = gap.parse::<i64>().unwrap_or(0);
        let at = match causes.iter().position(|c| c.gap == gap && c.cause == cause) {
            Some(i) => i,
            None => {
                causes.push(CauseInput {
                    gap,
                    cause: cause.to_owned(),
                    ..Default::default()
                });
                causes.len() - 1
            }
        };
        match field {
            "check" => causes[at].checked = v == "1",
            _ => causes[at].note = v.clone(),
        }
    }
    let result: Result<_, kefu_app::AppError> = async {
        let period = optional_period(&from, &to)?;
        let survey_id = survey
            .trim()
            .parse::<i64>()
            .map_err(|_| kefu_core::Invalid::one("survey", "unknown_survey", "no survey with this id"))?;
        state
            .app
            .save_gap_diagnosis(&caller.actor(), survey_id, period, causes)
            .await
    }
    .await;
    match result {
        Ok(_) => super::done(&back, "gaps_saved"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// `/gaps/download?format=csv|xlsx&survey=…&from=…&to=…`: the five gaps as `GET /api/v1/gaps`
/// gives them, one `figure,value` row each, audited.
pub async fn download(State(state): State<WebState>, caller: Caller, Query(q): Query<GapsQuery>) -> Response {
    let actor = caller.actor();
    let result: Result<_, kefu_app::AppError> = async {
        let format = TableFormat::parse(q.format.as_deref().unwrap_or("csv"))?;
        let period = optional_period(
            q.from.as_deref().unwrap_or_default(),
            q.to.as_deref().unwrap_or_default(),
        )?;
        let view = (state.app.gap_survey(&actor, q.survey.as_deref()).await?)
            .ok_or_else(|| kefu_core::Invalid::one("survey", "unknown_survey", "no SERVQUAL survey has answers yet"))?;
        let id = view.survey.id;
        let dto = crate::GapsDto::from(state.app.gaps(&actor, view, period).await?);
        let json = serde_json::to_value(&dto).map_err(|e| kefu_app::AppError::Refused(e.to_string()))?;
        let bytes = (state.app)
            .download_figures(&actor, "gaps", &json, &dto.title(), &format!("survey:{id}"), format)
            .await?;
        Ok((bytes, format, format!("kefu-gaps-survey-{id}.{}", format.extension())))
    }
    .await;
    match result {
        Ok((bytes, format, name)) => crate::download::attachment(bytes, format.content_type(), &name),
        Err(e) => super::error_page(&caller.identity, e),
    }
}
