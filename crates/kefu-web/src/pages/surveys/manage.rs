//! The managers' survey pages: the list `/surveys` with the create form, the report
//! `/surveys/{id}` as tables, and the links made from it.

use super::{DoneQuery, fill};
use crate::WebState;
use crate::auth::Caller;
use crate::pages::{Chrome, fmt_time};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use kefu_app::AppError;
use kefu_core::SurveyKind;
use kefu_core::stats::Interval;
use kefu_core::{Invalid, Language};
use serde::Deserialize;

/// The label of a segment field.
fn segment_key(field: &str) -> &'static str {
    match field {
        "tier" => "survey.segment_tier",
        "kind" => "survey.segment_kind",
        "region" => "survey.segment_region",
        "channel" => "survey.segment_channel",
        "product" => "survey.segment_product",
        "product_category" => "survey.segment_product_category",
        "department" => "survey.segment_department",
        "role" => "survey.segment_role",
        _ => "survey.segment_agent",
    }
}

pub struct SurveyRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub answered: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
pub struct ListPage {
    pub page: Chrome,
    pub rows: Vec<SurveyRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub values: CreateForm,
    pub errors: Vec<(String, String)>,
}

/// The create form's fields.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CreateForm {
    pub title: String,
    pub kind: String,
    pub language: String,
    pub importance: String,
    pub overall: String,
    /// Benchmarking: a competitor to rate beside us (servqual and servperf).
    pub competitor: String,
}

pub async fn list(State(state): State<WebState>, c: Caller, Query(q): Query<DoneQuery>) -> Response {
    let values = CreateForm {
        kind: "servqual".into(),
        language: c.identity.lang.code().into(),
        importance: "1".into(),
        overall: "1".into(),
        ..Default::default()
    };
    list_page(&state, &c, values, vec![], q.done.as_deref(), StatusCode::OK).await
}

async fn list_page(
    state: &WebState,
    c: &Caller,
    values: CreateForm,
    errors: Vec<(String, String)>,
    done: Option<&str>,
    status: StatusCode,
) -> Response {
    let id = &c.identity;
    match state.app.list_surveys(&c.actor()).await {
        Ok(surveys) => {
            let tz = crate::pages::time_zone(state).await;
            let t = id.tr();
            let rows = surveys
                .into_iter()
                .map(|(s, n)| SurveyRow {
                    id: s.id,
                    kind: t.t(kind_key(s.kind)).to_owned(),
                    status: t.t(status_key(&s.status)).to_owned(),
                    title: s.title,
                    answered: n,
                    created: fmt_time(s.created_at, &tz),
                })
                .collect();
            let kinds = SurveyKind::ALL
                .iter()
                .map(|k| (k.as_str(), t.t(kind_key(*k))))
                .collect();
            crate::pages::render_status(
                status,
                ListPage {
                    page: Chrome::new(id, "/surveys", "survey.list_title").with_flash(done),
                    rows,
                    kinds,
                    values,
                    errors,
                },
            )
        }
        Err(e) => crate::pages::error_page(id, e),
    }
}

pub(crate) fn kind_key(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Servqual => "survey.kind_servqual",
        SurveyKind::Servperf => "survey.kind_servperf",
        SurveyKind::Csat => "survey.kind_csat",
        SurveyKind::Nps => "survey.kind_nps",
        SurveyKind::Ces => "survey.kind_ces",
        SurveyKind::Custom => "survey.kind_custom",
    }
}

fn status_key(status: &str) -> &'static str {
    match status {
        "draft" => "survey.status_draft",
        "closed" => "survey.status_closed",
        _ => "survey.status_open",
    }
}

fn num(v: Option<f64>, places: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.places$}"),
        _ => "—".into(),
    }
}

fn ci(v: Option<Interval>, places: usize) -> String {
    match v {
        Some(i) => format!("[{:.places$}, {:.places$}]", i.lo, i.hi),
        None => "—".into(),
    }
}

pub struct ItemRow {
    pub code: String,
    pub dimension: String,
    pub text: String,
    pub n: u64,
    pub e: String,
    pub p: String,
    pub gap: String,
    pub sd: String,
    pub ci: String,
    pub negative: bool,
}

pub struct DimensionRow {
    pub code: String,
    pub name: String,
    pub n: u64,
    pub e: String,
    pub p: String,
    pub gap: String,
    pub ci: String,
    pub alpha_e: String,
    pub alpha_p: String,
    pub alpha_p_ci: String,
    pub alpha_p_std: String,
    pub n_complete_p: u64,
}

pub struct IpaRow {
    pub name: String,
    pub stated: String,
    pub derived: String,
    pub performance: String,
    pub gap: String,
    pub quadrant: String,
}

#[derive(Template)]
#[template(path = "survey_report.html")]
pub struct ReportPage {
    pub page: Chrome,
    pub id: i64,
    /// For a kind with a dashboard headline: (whether this survey is the kind's primary, whether
    /// a manager picked it).
    pub primary: Option<(bool, bool)>,
    /// The download of the report's figures for the filters shown, without its format.
    pub download: String,
    pub title: String,
    pub kind: String,
    pub n: u64,
    pub segment: String,
    pub from: String,
    pub to: String,
    pub scores: Vec<(String, String)>,
    pub dimensions: Vec<DimensionRow>,
    pub items: Vec<ItemRow>,
    pub ipa: Vec<IpaRow>,
    pub short_planks: Vec<String>,
    pub figures: Vec<(String, String)>,
    pub comments: Vec<(String, String)>,
    pub notes: Vec<(String, String)>,
    pub segments: Vec<(String, String)>,
    /// Inline SVG, drawn by `crate::charts` with every label escaped; empty when there is nothing to draw.
    pub gap_chart: String,
    pub ipa_chart: String,
    pub trend_chart: String,
    /// (month, n, headline figure, its interval)
    pub trend: Vec<(String, u64, String, String)>,
    /// The competitor's name, and per dimension then item: (label, n, P, C, P − C, its interval).
    pub benchmark_name: String,
    /// P − C per dimension with intervals (SVG), empty without answers.
    pub benchmark_chart: String,
    pub benchmark: Vec<(String, u64, String, String, String, String)>,
    /// Dissatisfaction causes: (dimension, dissatisfied, value not perceived, value below expectation).
    pub causes: Vec<(String, u64, String, String)>,
    /// The lowest-scoring items: (code, wording, score, comments of those who rated it low).
    pub lowest: Vec<(String, String, String, Vec<String>)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    segment: String,
    from: String,
    to: String,
    done: Option<String>,
}

pub async fn report(
    State(state): State<WebState>,
    c: Caller,
    Path(survey_id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let id = &c.identity;
    let actor = c.actor();
    let t = id.tr();
    let lang = id.lang;
    let nonempty = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let (seg, from, to) = (nonempty(&q.segment), nonempty(&q.from), nonempty(&q.to));
    let r = match state
        .app
        .survey_report(&actor, survey_id, seg.as_deref(), from.as_deref(), to.as_deref())
        .await
    {
        Ok(r) => r,
        Err(e) => return crate::pages::error_page(id, e),
    };
    let comments = match state.app.survey_comments(&actor, survey_id, 50).await {
        Ok(c) => c,
        Err(e) => return crate::pages::error_page(id, e),
    };
    let tz = crate::pages::time_zone(&state).await;
    let v = &r.view;
    let zh = lang == Language::ZhCn;
    let mut scores = vec![];
    let mut dimensions = vec![];
    let mut items = vec![];
    let mut ipa = vec![];
    let mut short_planks = vec![];
    let mut notes = vec![];
    let (mut gap_chart, mut ipa_chart) = (String::new(), String::new());
    let trend_points = &r.trend;
    let percent = v.survey.kind == SurveyKind::Csat;
    let shown = |x: f64| if percent { x * 100.0 } else { x };
    let trend: Vec<(String, u64, String, String)> = trend_points
        .iter()
        .map(|p| {
            (
                p.period.clone(),
                p.n,
                num(p.value.map(shown), 2),
                ci(
                    p.ci95.map(|i| Interval {
                        lo: shown(i.lo),
                        hi: shown(i.hi),
                    }),
                    2,
                ),
            )
        })
        .collect();
    let trend_chart = if trend_points.len() >= 2 {
        let pts: Vec<(String, Option<f64>)> = trend_points
            .iter()
            .map(|p| (p.period.clone(), p.value.map(shown)))
            .collect();
        crate::charts::trend_line("trend-chart", &pts, t.t("survey.trend"))
    } else {
        String::new()
    };
    if let Some(sq) = &r.servqual {
        let s = &sq.servqual;
        scores = vec![
            (t.t("survey.unweighted").to_owned(), num(s.unweighted, 3)),
            (t.t("survey.weighted_manager").to_owned(), num(s.weighted_manager, 3)),
            (
                format!(
                    "{} (n = {})",
                    t.t("survey.weighted_respondent"),
                    s.n_weighted_respondent
                ),
                num(s.weighted_respondent, 3),
            ),
            (t.t("survey.mean_item_gap").to_owned(), num(s.mean_item_gap, 3)),
        ];
        dimensions = sq
            .dimensions
            .iter()
            .map(|d| DimensionRow {
                code: d.dimension.clone(),
                name: v.dimension_name(&d.dimension, lang),
                n: d.n,
                e: num(d.e_mean, 2),
                p: num(d.p_mean, 2),
                gap: num(d.gap_mean, 2),
                ci: ci(d.gap_ci95, 2),
                alpha_e: num(d.alpha_e, 3),
                alpha_p: num(d.alpha_p, 3),
                alpha_p_ci: ci(d.alpha_p_ci95, 3),
                alpha_p_std: num(d.alpha_p_std, 3),
                n_complete_p: d.n_complete_p,
            })
            .collect();
        items = sq
            .items
            .iter()
            .map(|i| {
                let text = v
                    .items
                    .iter()
                    .find(|x| x.code == i.item)
                    .map(|x| fill(if zh { &x.perception_zh } else { &x.perception_en }, "XYZ"))
                    .unwrap_or_default();
                ItemRow {
                    code: i.item.clone(),
                    dimension: i
                        .dimension
                        .as_deref()
                        .map(|d| v.dimension_name(d, lang))
                        .unwrap_or_default(),
                    text,
                    n: i.n,
                    e: num(i.e_mean, 2),
                    p: num(i.p_mean, 2),
                    gap: num(i.gap_mean, 2),
                    sd: num(i.gap_sd, 2),
                    ci: ci(i.gap_ci95, 2),
                    negative: i.gap_mean.is_some_and(|g| g < 0.0),
                }
            })
            .collect();
        ipa = sq
            .ipa
            .rows
            .iter()
            .map(|row| IpaRow {
                name: v.dimension_name(&row.dimension, lang),
                stated: num(row.importance_stated, 1),
                derived: num(row.importance_derived, 3),
                performance: num(row.performance_p, 2),
                gap: num(row.performance_gap, 2),
                quadrant: row
                    .quadrant
                    .map(|q| {
                        let code = serde_json::to_value(q)
                            .ok()
                            .and_then(|x| x.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        t.t(match code.as_str() {
                            "concentrate_here" => "survey.q_concentrate_here",
                            "keep_up_the_good_work" => "survey.q_keep_up",
                            "low_priority" => "survey.q_low_priority",
                            _ => "survey.q_possible_overkill",
                        })
                        .to_owned()
                    })
                    .unwrap_or_else(|| "—".into()),
            })
            .collect();
        short_planks = sq.ipa.short_planks.iter().map(|d| v.dimension_name(d, lang)).collect();
        notes = sq.notes.iter().map(|n| (n.field.clone(), n.reason.clone())).collect();
        if r.n_responses > 0 {
            let bars: Vec<crate::charts::Bar> = sq
                .dimensions
                .iter()
                .map(|d| crate::charts::Bar {
                    label: v.dimension_name(&d.dimension, lang),
                    value: d.gap_mean,
                    lo: d.gap_ci95.map(|i| i.lo),
                    hi: d.gap_ci95.map(|i| i.hi),
                })
                .collect();
            gap_chart = crate::charts::gap_bars("gap-chart", &bars, t.t("survey.gap_chart"));
        }
        let stated = sq.ipa.basis == Some(kefu_core::stats::ipa::ImportanceBasis::Stated);
        let points: Vec<crate::charts::IpaPoint> = sq
            .ipa
            .rows
            .iter()
            .filter_map(|row| {
                let importance = if stated {
                    row.importance_stated
                } else {
                    row.importance_derived
                }?;
                Some(crate::charts::IpaPoint {
                    label: v.dimension_name(&row.dimension, lang),
                    performance: row.performance_p?,
                    importance,
                    plank: sq.ipa.short_planks.contains(&row.dimension),
                })
            })
            .collect();
        if let (Some(pm), Some(im), false) = (sq.ipa.performance_mean, sq.ipa.importance_mean, points.is_empty()) {
            ipa_chart = crate::charts::ipa_scatter(
                "ipa-chart",
                &points,
                (pm, im),
                (
                    t.t("survey.ipa_axis_performance"),
                    t.t(if stated {
                        "survey.importance_stated"
                    } else {
                        "survey.importance_derived"
                    }),
                ),
                [
                    t.t("survey.q_concentrate_here"),
                    t.t("survey.q_keep_up"),
                    t.t("survey.q_low_priority"),
                    t.t("survey.q_possible_overkill"),
                ],
                t.t("survey.ipa_chart"),
            );
        }
    }
    let mut benchmark = vec![];
    let mut benchmark_name = String::new();
    let mut benchmark_chart = String::new();
    if let (Some((name, c)), Some(sq)) = (&r.competitor, &r.servqual) {
        benchmark_name = name.clone();
        if r.n_responses > 0 {
            let bars: Vec<crate::charts::Bar> = c
                .dimensions
                .iter()
                .map(|d| crate::charts::Bar {
                    label: v.dimension_name(&d.dimension, lang),
                    value: d.p_minus_c.mean,
                    lo: d.p_minus_c.ci95.map(|i| i.lo),
                    hi: d.p_minus_c.ci95.map(|i| i.hi),
                })
                .collect();
            benchmark_chart = crate::charts::gap_bars("benchmark-chart", &bars, t.t("survey.benchmark_chart"));
        }
        for (d, ours) in c.dimensions.iter().zip(&sq.dimensions) {
            benchmark.push((
                v.dimension_name(&d.dimension, lang),
                d.p_minus_c.n,
                num(ours.p_mean, 2),
                num(d.c_mean, 2),
                num(d.p_minus_c.mean, 2),
                ci(d.p_minus_c.ci95, 2),
            ));
        }
        for (i, ours) in c.items.iter().zip(&sq.items) {
            benchmark.push((
                i.item.clone(),
                i.p_minus_c.n,
                num(ours.p_mean, 2),
                num(i.c_mean, 2),
                num(i.p_minus_c.mean, 2),
                ci(i.p_minus_c.ci95, 2),
            ));
        }
    }
    let share = |s: &kefu_core::stats::Share| {
        format!(
            "{} / {} = {} % {}",
            s.count,
            s.n,
            num(s.share.map(|x| x * 100.0), 0),
            ci(
                s.ci95.map(|i| Interval {
                    lo: i.lo * 100.0,
                    hi: i.hi * 100.0
                }),
                0
            )
        )
    };
    let causes: Vec<(String, u64, String, String)> = r
        .dissatisfaction
        .iter()
        .flatten()
        .map(|c| {
            (
                if c.code == "overall" {
                    t.t("survey.overall_score").to_owned()
                } else {
                    v.dimension_name(&c.code, lang)
                },
                c.dissatisfied,
                share(&c.value_not_perceived),
                share(&c.value_below_expectation),
            )
        })
        .collect();
    let lowest = match state.app.lowest_items(&actor, &r, 3).await {
        Ok(l) => l
            .into_iter()
            .map(|i| {
                let text = v
                    .items
                    .iter()
                    .find(|x| x.code == i.code)
                    .map(|x| {
                        if zh {
                            x.perception_zh.clone()
                        } else {
                            x.perception_en.clone()
                        }
                    })
                    .unwrap_or_default();
                (i.code, text, num(Some(i.score), 2), i.comments)
            })
            .collect(),
        Err(e) => return crate::pages::error_page(id, e),
    };
    let mut figures = vec![];
    if let Some(n) = &r.nps {
        figures.push(("NPS".to_owned(), num(n.nps, 1)));
        figures.push((t.t("survey.se").to_owned(), num(n.nps_se, 2)));
        figures.push((t.t("survey.ci95").to_owned(), ci(n.nps_ci95, 1)));
    }
    if let Some(c) = &r.csat {
        figures.push(("CSAT".to_owned(), num(c.csat.map(|x| x * 100.0), 1) + " %"));
        figures.push((
            t.t("survey.ci95").to_owned(),
            ci(
                c.csat_ci95.map(|i| Interval {
                    lo: i.lo * 100.0,
                    hi: i.hi * 100.0,
                }),
                1,
            ),
        ));
    }
    if let Some(c) = &r.ces {
        figures.push(("CES".to_owned(), num(c.ces_mean, 2)));
        figures.push((t.t("survey.ci95").to_owned(), ci(c.ces_ci95, 2)));
    }
    for (code, s) in &r.custom {
        figures.push((
            code.clone(),
            format!(
                "{} (n = {}, {})",
                num(s.summary.mean, 2),
                s.summary.n,
                ci(s.summary.ci95, 2)
            ),
        ));
    }
    let present = match state.app.survey_segments(&actor, survey_id).await {
        Ok(s) => s,
        Err(e) => return crate::pages::error_page(id, e),
    };
    let segments: Vec<(String, String)> = present
        .into_iter()
        .chain((r.segment != "all").then(|| r.segment.clone()))
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .map(|code| {
            let label = match code.split_once(':') {
                None if code == "staff" => t.t("survey.segment_staff").to_owned(),
                None => t.t("survey.segment_all").to_owned(),
                Some((field, value)) => format!("{} {value}", t.t(segment_key(field))),
            };
            (code, label)
        })
        .collect();
    let primary = if kefu_app::surveys::HEADLINE_KINDS.contains(&v.survey.kind) {
        match state.app.primary_state(&actor, survey_id).await {
            Ok(p) => Some(p),
            Err(e) => return crate::pages::error_page(id, e),
        }
    } else {
        None
    };
    crate::pages::render(ReportPage {
        page: Chrome::new(id, "/surveys", "survey.report_title").with_flash(q.done.as_deref()),
        id: survey_id,
        primary,
        download: format!(
            "/surveys/{survey_id}/download?segment={}&from={}&to={}",
            crate::form::enc(&q.segment),
            crate::form::enc(&q.from),
            crate::form::enc(&q.to)
        ),
        title: v.survey.title.clone(),
        kind: t.t(kind_key(v.survey.kind)).to_owned(),
        n: r.n_responses,
        segment: r.segment.clone(),
        from: q.from,
        to: q.to,
        scores,
        dimensions,
        items,
        ipa,
        short_planks,
        figures,
        comments: comments.into_iter().map(|(c, at)| (c, fmt_time(at, &tz))).collect(),
        notes,
        segments,
        gap_chart,
        ipa_chart,
        trend_chart,
        trend,
        benchmark_name,
        benchmark_chart,
        benchmark,
        causes,
        lowest,
    })
}

pub async fn create(State(state): State<WebState>, c: Caller, Form(f): Form<CreateForm>) -> Response {
    // An unknown kind is refused by the use case, which names the field.
    let form_kind = SurveyKind::parse(&f.kind).ok();
    let input = kefu_app::surveys::SurveyInput {
        kind: f.kind.clone(),
        title: f.title.clone(),
        language: Some(f.language.clone()).filter(|l| !l.is_empty()),
        importance: !f.importance.is_empty() && form_kind.is_some_and(SurveyKind::is_battery_of_dimensions),
        overall: !f.overall.is_empty() && form_kind.is_some_and(SurveyKind::has_battery),
        comment: true,
        competitor: Some(f.competitor.trim().to_owned()).filter(|c| !c.is_empty()),
        ..Default::default()
    };
    match state.app.create_survey(&c.actor(), input).await {
        Ok(v) => crate::pages::done(&format!("/surveys/{}", v.survey.id), "survey_created"),
        Err(AppError::Invalid(i)) => {
            let errors = crate::pages::account::field_errors(&c.identity.tr(), i);
            list_page(&state, &c, f, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => crate::pages::error_page(&c.identity, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinksForm {
    count: String,
    customer_ids: String,
    expires_in_days: String,
    language: String,
}

pub struct MadeLinkRow {
    pub path: String,
    pub customer: String,
    pub language: String,
}

#[derive(Template)]
#[template(path = "survey_links.html")]
pub struct LinksPage {
    pub page: Chrome,
    pub id: i64,
    pub title: String,
    pub expires: String,
    pub links: Vec<MadeLinkRow>,
}

/// Makes links from the report page and shows them once (only their hashes are kept).
pub async fn make_links(
    State(state): State<WebState>,
    c: Caller,
    Path(survey_id): Path<i64>,
    Form(f): Form<LinksForm>,
) -> Response {
    let id = &c.identity;
    let number = |field: &str, v: &str| -> Result<Option<u32>, Invalid> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u32>()
            .map(Some)
            .map_err(|_| Invalid::one(field, "not_a_number", format!("{field}: {v:?} is not a number")))
    };
    let parsed =
        (|| -> Result<kefu_app::surveys::LinkRequest, Invalid> {
            let mut customer_ids = vec![];
            for part in f
                .customer_ids
                .split([',', ' ', '\n', '，'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                customer_ids.push(part.parse::<i64>().map_err(|_| {
                    Invalid::one("customer_ids", "not_a_number", format!("{part:?} is not a customer id"))
                })?);
            }
            let count = if customer_ids.is_empty() {
                number("count", &f.count)?
            } else {
                None
            };
            Ok(kefu_app::surveys::LinkRequest {
                customer_ids,
                expires_in_days: number("expires_in_days", &f.expires_in_days)?,
                language: Some(f.language.clone()).filter(|l| !l.trim().is_empty()),
                count,
            })
        })();
    let made = match parsed {
        Ok(req) => state.app.make_survey_links(&c.actor(), survey_id, req).await,
        Err(i) => Err(AppError::Invalid(i)),
    };
    let made = match made {
        Ok(m) => m,
        Err(e) => return crate::pages::error_page(id, e),
    };
    let title = match state.app.get_survey(&c.actor(), survey_id).await {
        Ok(v) => v.survey.title,
        Err(e) => return crate::pages::error_page(id, e),
    };
    let tz = crate::pages::time_zone(&state).await;
    let expires = made
        .first()
        .map(|m| fmt_time(m.link.expires_at, &tz))
        .unwrap_or_default();
    let mut r = crate::pages::render(LinksPage {
        page: Chrome::new(id, "/surveys", "survey.links_title"),
        id: survey_id,
        title,
        expires,
        links: made
            .into_iter()
            .map(|m| MadeLinkRow {
                path: kefu_app::links::survey_answer(&m.token),
                customer: m.link.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                language: m.link.language,
            })
            .collect(),
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}
