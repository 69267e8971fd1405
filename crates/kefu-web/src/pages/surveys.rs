//! Survey pages: the public answer page `/s/{token}` (no account; a pre-session CSRF value like
//! the complaint form; the link's language unless the respondent switched; partial save; a
//! thank-you state; opt-out at `/s/{token}/opt-out`), and for managers the list `/surveys` and
//! the report `/surveys/{id}` as tables.

use super::login::{pre_session_csrf, with_pre_session_csrf};
use super::{Chrome, fmt_time};
use crate::WebState;
use crate::auth::{Caller, Identity, LANG_COOKIE, cookie, cookies_secure};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kefu_app::AppError;
use kefu_app::surveys::{Answers, LinkSurvey, SurveyView, has_battery, score_scale};
use kefu_core::stats::Interval;
use kefu_core::{Invalid, Language};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One question: its form field name, its text, and the chosen value.
pub struct Question {
    pub name: String,
    pub code: String,
    pub text: String,
    pub value: Option<u8>,
}

impl Question {
    pub fn is(&self, v: &u8) -> bool {
        self.value == Some(*v)
    }
}

pub struct PointsField {
    pub name: String,
    pub label: String,
    pub hint: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "survey_answer.html")]
pub struct AnswerPage {
    pub page: Chrome,
    pub token: String,
    pub title: String,
    pub kind: String,
    pub expectations: Vec<Question>,
    pub perceptions: Vec<Question>,
    /// The competitor's battery (benchmarked surveys): its name and the perception items about it.
    pub competitor_name: String,
    pub competitor: Vec<Question>,
    pub points: Vec<PointsField>,
    pub overall: Option<Question>,
    pub score: Option<Question>,
    /// The values of the single score's scale.
    pub score_values: Vec<u8>,
    pub comment_asked: bool,
    pub comment: String,
    pub errors: Vec<(String, String)>,
    pub scale7: Vec<u8>,
}

#[derive(Template)]
#[template(path = "survey_done.html")]
pub struct DonePage {
    pub page: Chrome,
    pub token: String,
    pub title: String,
    /// thanks | opted_out | confirm_opt_out
    pub state: &'static str,
}

/// The respondent's language: the switch's cookie if they used it, else the link's.
fn respondent(id: &Identity, headers: &HeaderMap, link_lang: &str) -> Identity {
    let mut id = id.clone();
    id.lang = cookie(headers, LANG_COOKIE)
        .and_then(Language::parse)
        .or_else(|| Language::parse(link_lang))
        .unwrap_or(id.lang);
    id
}

/// The wording with the bank's placeholders filled: the organisation's name for XYZ, and the
/// business type left out.
/// The label of a segment field.
fn segment_key(field: &str) -> &'static str {
    match field {
        "tier" => "survey.segment_tier",
        "kind" => "survey.segment_kind",
        "region" => "survey.segment_region",
        "channel" => "survey.segment_channel",
        "product" => "survey.segment_product",
        "role" => "survey.segment_role",
        _ => "survey.segment_agent",
    }
}

fn fill(text: &str, org: &str) -> String {
    text.replace("XYZ", org)
        .replace("excellent [type] companies", "excellent companies")
        .replace("Excellent [type] companies", "Excellent companies")
        .replace("an excellent [type] company", "an excellent company")
        .replace(" [type]", "")
        .replace("[行业]", "")
}

/// A page before sign-in: the pre-session CSRF value rides along, and nothing is cached.
fn public(state: &WebState, headers: &HeaderMap, pre: &str, status: StatusCode, page: impl Template) -> Response {
    let mut r = super::render_status(status, page);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    with_pre_session_csrf(r, pre, cookies_secure(state, headers))
}

/// The page's chrome; `pre` is the pre-session CSRF value, drawn once per request (a fresh one
/// when the browser has none yet), which both the form and the cookie must carry.
fn chrome(id: &Identity, pre: &str, token: &str, title: &str, done: Option<&str>) -> Chrome {
    let mut c = Chrome::new(id, &format!("/s/{token}"), "survey.answer_title").with_flash(done);
    c.csrf = match &id.session {
        Some((_, csrf)) => csrf.clone(),
        None => pre.to_owned(),
    };
    c.title = title.to_owned();
    c
}

#[allow(clippy::too_many_arguments)]
async fn answer_page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    token: &str,
    ls: &LinkSurvey,
    answers: &Answers,
    comment: &str,
    errors: Vec<(String, String)>,
    done: Option<&str>,
    status: StatusCode,
) -> Response {
    let org = super::organisation(state).await;
    let t = id.tr();
    let org = org["name"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or(t.t("survey.our_company"));
    let v: &SurveyView = &ls.view;
    let zh = id.lang == Language::ZhCn;
    let kind = v.survey.kind.as_str();
    let expectations = if kind == "servqual" {
        v.items
            .iter()
            .map(|i| Question {
                name: format!("e_{}", i.code),
                code: i.code.clone(),
                text: fill(if zh { &i.expectation_zh } else { &i.expectation_en }, org),
                value: answers.expectation.get(&i.code).copied(),
            })
            .collect()
    } else {
        vec![]
    };
    let perceptions = if has_battery(kind) {
        v.items
            .iter()
            .map(|i| Question {
                name: format!("p_{}", i.code),
                code: i.code.clone(),
                text: fill(if zh { &i.perception_zh } else { &i.perception_en }, org),
                value: answers.perception.get(&i.code).copied(),
            })
            .collect()
    } else {
        vec![]
    };
    let competitor_name = if v.benchmarked() {
        v.survey.competitor.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let competitor = if v.benchmarked() {
        v.items
            .iter()
            .map(|i| Question {
                name: format!("c_{}", i.code),
                code: i.code.clone(),
                text: fill(if zh { &i.perception_zh } else { &i.perception_en }, &competitor_name),
                value: answers.competitor.get(&i.code).copied(),
            })
            .collect()
    } else {
        vec![]
    };
    let points = if v.survey.importance && matches!(kind, "servqual" | "servperf") {
        v.dimensions
            .iter()
            .map(|d| PointsField {
                name: format!("w_{}", d.code),
                label: if zh { d.name_zh.clone() } else { d.name_en.clone() },
                hint: if zh {
                    d.description_zh.clone()
                } else {
                    d.description_en.clone()
                },
                value: answers
                    .allocation
                    .as_ref()
                    .and_then(|w| w.get(&d.code))
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
            })
            .collect()
    } else {
        vec![]
    };
    let overall = (v.survey.overall && has_battery(kind)).then(|| Question {
        name: "overall".into(),
        code: String::new(),
        text: t.t("survey.overall_question").replace("XYZ", org),
        value: answers.overall,
    });
    let score = score_scale(kind).map(|_| Question {
        name: "score".into(),
        code: String::new(),
        text: t
            .t(match kind {
                "nps" => "survey.nps_question",
                "csat" => "survey.csat_question",
                _ => "survey.ces_question",
            })
            .replace("XYZ", org),
        value: answers.score,
    });
    let score_values = score_scale(kind)
        .map(|(lo, hi)| (lo..=hi).collect())
        .unwrap_or_default();
    let pre = pre_session_csrf(headers);
    let page = AnswerPage {
        page: chrome(id, &pre, token, &v.survey.title, done),
        token: token.to_owned(),
        title: v.survey.title.clone(),
        kind: kind.to_owned(),
        expectations,
        perceptions,
        competitor_name,
        competitor,
        points,
        overall,
        score,
        score_values,
        comment_asked: v.survey.comment,
        comment: comment.to_owned(),
        errors,
        scale7: (1..=7).collect(),
    };
    public(state, headers, &pre, status, page)
}

fn done_page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    token: &str,
    title: &str,
    s: &'static str,
) -> Response {
    let pre = pre_session_csrf(headers);
    let page = DonePage {
        page: chrome(id, &pre, token, title, None),
        token: token.to_owned(),
        title: title.to_owned(),
        state: s,
    };
    public(state, headers, &pre, StatusCode::OK, page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let ls = match state.app.survey_for_token(&token).await {
        Ok(ls) => ls,
        Err(e) => return super::error_page(&id, e),
    };
    let id = respondent(&id, &headers, &ls.link.language);
    if ls.answered() {
        return done_page(&state, &id, &headers, &token, &ls.view.survey.title, "thanks");
    }
    if ls.opted_out() {
        return done_page(&state, &id, &headers, &token, &ls.view.survey.title, "opted_out");
    }
    let (answers, comment) = match &ls.response {
        Some((r, a)) => (a.clone(), r.comment.clone()),
        None => (Answers::default(), String::new()),
    };
    answer_page(
        &state,
        &id,
        &headers,
        &token,
        &ls,
        &answers,
        &comment,
        vec![],
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// The form's fields as answers, the comment, whether it is the final answer, and the first
/// value that is no number.
fn parse_form(fields: &[(String, String)]) -> (Answers, String, bool, Option<Invalid>) {
    let mut a = Answers::default();
    let mut comment = String::new();
    let mut final_ = false;
    let mut bad: Option<Invalid> = None;
    let mut points: BTreeMap<String, u32> = BTreeMap::new();
    for (k, v) in fields {
        let v = v.trim();
        if k == "comment" {
            comment = v.to_owned();
            continue;
        }
        if k == "action" {
            final_ = v == "submit";
            continue;
        }
        if v.is_empty() {
            continue;
        }
        let small = || v.parse::<u8>().ok();
        let mut fail = |field: &str| {
            bad.get_or_insert_with(|| Invalid::one(field, "not_a_number", format!("{field}: {v:?} is not a number")));
        };
        if let Some(code) = k.strip_prefix("e_") {
            match small() {
                Some(x) => {
                    a.expectation.insert(code.to_owned(), x);
                }
                None => fail(k),
            }
        } else if let Some(code) = k.strip_prefix("p_") {
            match small() {
                Some(x) => {
                    a.perception.insert(code.to_owned(), x);
                }
                None => fail(k),
            }
        } else if let Some(code) = k.strip_prefix("c_") {
            match small() {
                Some(x) => {
                    a.competitor.insert(code.to_owned(), x);
                }
                None => fail(k),
            }
        } else if let Some(code) = k.strip_prefix("w_") {
            match v.parse::<u32>() {
                Ok(x) => {
                    points.insert(code.to_owned(), x);
                }
                Err(_) => fail("allocation"),
            }
        } else if k == "overall" {
            match small() {
                Some(x) => a.overall = Some(x),
                None => fail(k),
            }
        } else if k == "score" {
            match small() {
                Some(x) => a.score = Some(x),
                None => fail(k),
            }
        }
    }
    if !points.is_empty() {
        a.allocation = Some(points);
    }
    (a, comment, final_, bad)
}

fn messages(id: &Identity, i: Invalid) -> Vec<(String, String)> {
    let t = id.tr();
    i.errors
        .into_iter()
        .map(|e| {
            let msg = match e.code {
                "out_of_range" => t.t("survey.error_range").to_owned(),
                "sum" => t.t("survey.error_points").to_owned(),
                "required" => t.t("survey.error_required").to_owned(),
                "not_a_number" => t.t("survey.error_number").to_owned(),
                "too_long" => t.t("survey.error_too_long").to_owned(),
                _ => e.message,
            };
            (e.field, msg)
        })
        .collect()
}

pub async fn submit(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let ls = match state.app.survey_for_token(&token).await {
        Ok(ls) => ls,
        Err(e) => return super::error_page(&id, e),
    };
    let id = respondent(&id, &headers, &ls.link.language);
    let (answers, comment, final_) = match parse_form(&fields) {
        (a, c, f, None) => (a, c, f),
        (a, c, _, Some(i)) => {
            let errors = messages(&id, i);
            return answer_page(
                &state,
                &id,
                &headers,
                &token,
                &ls,
                &a,
                &c,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match state.app.answer_survey(&token, answers.clone(), &comment, final_).await {
        Ok(_) if final_ => Redirect::to(&format!("/s/{token}")).into_response(),
        Ok(_) => super::done(&format!("/s/{token}"), "survey_saved"),
        Err(AppError::Invalid(i)) => {
            let errors = messages(&id, i);
            answer_page(
                &state,
                &id,
                &headers,
                &token,
                &ls,
                &answers,
                &comment,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => super::error_page(&id, e),
    }
}

pub async fn opt_out_form(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let ls = match state.app.survey_for_token(&token).await {
        Ok(ls) => ls,
        Err(e) => return super::error_page(&id, e),
    };
    let id = respondent(&id, &headers, &ls.link.language);
    let s = if ls.opted_out() { "opted_out" } else { "confirm_opt_out" };
    done_page(&state, &id, &headers, &token, &ls.view.survey.title, s)
}

pub async fn opt_out(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    if let Err(e) = state.app.opt_out_survey(&token).await {
        return super::error_page(&id, e);
    }
    let title = match state.app.survey_for_token(&token).await {
        Ok(ls) => ls.view.survey.title,
        Err(_) => String::new(),
    };
    done_page(&state, &id, &headers, &token, &title, "opted_out")
}

// ----- staff pages -----

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
            let tz = super::time_zone(state).await;
            let t = id.tr();
            let rows = surveys
                .into_iter()
                .map(|(s, n)| SurveyRow {
                    id: s.id,
                    kind: t.t(kind_key(&s.kind)).to_owned(),
                    status: t.t(status_key(&s.status)).to_owned(),
                    title: s.title,
                    answered: n,
                    created: fmt_time(s.created_at, &tz),
                })
                .collect();
            let kinds = kefu_app::surveys::KINDS
                .iter()
                .map(|k| (*k, t.t(kind_key(k))))
                .collect();
            super::render_status(
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
        Err(e) => super::error_page(id, e),
    }
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "servqual" => "survey.kind_servqual",
        "servperf" => "survey.kind_servperf",
        "csat" => "survey.kind_csat",
        "nps" => "survey.kind_nps",
        "ces" => "survey.kind_ces",
        _ => "survey.kind_custom",
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
        Err(e) => return super::error_page(id, e),
    };
    let comments = match state.app.survey_comments(&actor, survey_id, 50).await {
        Ok(c) => c,
        Err(e) => return super::error_page(id, e),
    };
    let tz = super::time_zone(&state).await;
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
    let percent = v.survey.kind == "csat";
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
        Err(e) => return super::error_page(id, e),
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
        Err(e) => return super::error_page(id, e),
    };
    let segments: Vec<(String, String)> = present
        .into_iter()
        .chain((r.segment != "all").then(|| r.segment.clone()))
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .map(|code| {
            let label = match code.split_once(':') {
                None => t.t("survey.segment_all").to_owned(),
                Some((field, value)) => format!("{} {value}", t.t(segment_key(field))),
            };
            (code, label)
        })
        .collect();
    super::render(ReportPage {
        page: Chrome::new(id, "/surveys", "survey.report_title").with_flash(q.done.as_deref()),
        id: survey_id,
        title: v.survey.title.clone(),
        kind: t.t(kind_key(&v.survey.kind)).to_owned(),
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
    let input = kefu_app::surveys::SurveyInput {
        kind: f.kind.clone(),
        title: f.title.clone(),
        language: Some(f.language.clone()).filter(|l| !l.is_empty()),
        importance: !f.importance.is_empty() && matches!(f.kind.as_str(), "servqual" | "servperf"),
        overall: !f.overall.is_empty() && has_battery(&f.kind),
        comment: true,
        competitor: Some(f.competitor.trim().to_owned()).filter(|c| !c.is_empty()),
        ..Default::default()
    };
    match state.app.create_survey(&c.actor(), input).await {
        Ok(v) => super::done(&format!("/surveys/{}", v.survey.id), "survey_created"),
        Err(AppError::Invalid(i)) => {
            let errors = super::account::field_errors(&c.identity.tr(), i);
            list_page(&state, &c, f, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&c.identity, e),
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
        Err(e) => return super::error_page(id, e),
    };
    let title = match state.app.get_survey(&c.actor(), survey_id).await {
        Ok(v) => v.survey.title,
        Err(e) => return super::error_page(id, e),
    };
    let tz = super::time_zone(&state).await;
    let expires = made
        .first()
        .map(|m| fmt_time(m.link.expires_at, &tz))
        .unwrap_or_default();
    let mut r = super::render(LinksPage {
        page: Chrome::new(id, "/surveys", "survey.links_title"),
        id: survey_id,
        title,
        expires,
        links: made
            .into_iter()
            .map(|m| MadeLinkRow {
                path: format!("/s/{}", m.token),
                customer: m.link.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                language: m.link.language,
            })
            .collect(),
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}
