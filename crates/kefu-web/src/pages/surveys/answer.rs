//! The respondents' pages: the public answer page `/s/{token}` (no account; a pre-session CSRF
//! value like the complaint form; the link's language unless the respondent switched; partial
//! save; a thank-you state; opt-out at `/s/{token}/opt-out`).

use super::{DoneQuery, fill};
use crate::WebState;
use crate::auth::{Identity, LANG_COOKIE, cookie, cookies_secure};
use crate::pages::Chrome;
use crate::pages::account::worded_errors;
use crate::pages::login::{form_csrf, pre_session_csrf, unlisted, with_pre_session_csrf};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kefu_app::AppError;
use kefu_app::model::SurveyItem;
use kefu_app::surveys::{Answers, LinkSurvey, SurveyView};
use kefu_core::SurveyKind;
use kefu_core::{Invalid, Language};
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
    /// Management's view: the expectations only, with a word on why.
    pub management: bool,
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

/// A page before sign-in: the pre-session CSRF value rides along, and nothing is cached.
fn public(state: &WebState, headers: &HeaderMap, pre: &str, status: StatusCode, page: impl Template) -> Response {
    let r = unlisted(crate::pages::render_status(status, page));
    with_pre_session_csrf(r, pre, cookies_secure(state, headers))
}

/// The page's chrome; `pre` is the pre-session CSRF value, drawn once per request (a fresh one
/// when the browser has none yet), which both the form and the cookie must carry.
fn chrome(id: &Identity, pre: &str, token: &str, title: &str, done: Option<&str>) -> Chrome {
    let mut c = Chrome::new(id, &kefu_app::links::survey_answer(token), "survey.answer_title").with_flash(done);
    c.csrf = form_csrf(id, pre);
    c.title = title.to_owned();
    c
}

/// One question per item of a battery the survey `asks` (none otherwise): `part` starts the
/// fields' names (`e`, `p`, `c`), `given` holds what the respondent answered so far, `text` words
/// an item.
fn battery(
    asks: bool,
    items: &[SurveyItem],
    part: &str,
    given: &BTreeMap<String, u8>,
    text: impl Fn(&SurveyItem) -> String,
) -> Vec<Question> {
    if !asks {
        return vec![];
    }
    items
        .iter()
        .map(|i| Question {
            name: format!("{part}_{}", i.code),
            code: i.code.clone(),
            text: text(i),
            value: given.get(&i.code).copied(),
        })
        .collect()
}

/// A request on a survey link: the survey it opens and who answers it (in the link's language
/// unless they switched), with what every page drawn for it needs.
struct Visit<'a> {
    state: &'a WebState,
    headers: &'a HeaderMap,
    token: &'a str,
    id: Identity,
    ls: LinkSurvey,
}

impl<'a> Visit<'a> {
    /// Opens the link; an unknown or expired one answers the error page.
    async fn open(
        state: &'a WebState,
        id: &Identity,
        headers: &'a HeaderMap,
        token: &'a str,
    ) -> Result<Self, Response> {
        let ls = match state.app.survey_for_token(token).await {
            Ok(ls) => ls,
            Err(e) => return Err(crate::pages::error_page(id, e)),
        };
        let id = respondent(id, headers, &ls.link.language);
        Ok(Visit {
            state,
            headers,
            token,
            id,
            ls,
        })
    }

    /// The link's page once there is nothing to answer (`s`: see [`DonePage`]).
    fn done_page(&self, s: &'static str) -> Response {
        done_page(
            self.state,
            &self.id,
            self.headers,
            self.token,
            &self.ls.view.survey.title,
            s,
        )
    }
}

/// The questions, filled in with `answers` and `comment`.
async fn answer_page(
    v: &Visit<'_>,
    answers: &Answers,
    comment: &str,
    errors: Vec<(String, String)>,
    done: Option<&str>,
    status: StatusCode,
) -> Response {
    let &Visit {
        state,
        headers,
        token,
        ref id,
        ref ls,
    } = v;
    let org = crate::pages::organisation(state).await;
    let t = id.tr();
    let org = org["name"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or(t.t("survey.our_company"));
    let v: &SurveyView = &ls.view;
    let zh = id.lang == Language::ZhCn;
    let kind = v.survey.kind;
    let perception = |i: &SurveyItem, of: &str| fill(if zh { &i.perception_zh } else { &i.perception_en }, of);
    let expectations = battery(kind.asks_expectations(), &v.items, "e", &answers.expectation, |i| {
        fill(if zh { &i.expectation_zh } else { &i.expectation_en }, org)
    });
    // A staff member's SERVQUAL link asks only the expectations (management's view, Gap 1).
    let management = ls.management_view();
    let perceptions = battery(
        kind.has_battery() && !management,
        &v.items,
        "p",
        &answers.perception,
        |i| perception(i, org),
    );
    let competitor_name = if v.benchmarked() && !management {
        v.survey.competitor.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let competitor = battery(
        v.benchmarked() && !management,
        &v.items,
        "c",
        &answers.competitor,
        |i| perception(i, &competitor_name),
    );
    let points = if v.survey.importance && kind.is_battery_of_dimensions() && !management {
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
    let overall = (v.survey.overall && kind.has_battery() && !management).then(|| Question {
        name: "overall".into(),
        code: String::new(),
        text: t.t("survey.overall_question").replace("XYZ", org),
        value: answers.overall,
    });
    let score = kind.score_scale().map(|_| Question {
        name: "score".into(),
        code: String::new(),
        text: t
            .t(match kind {
                SurveyKind::Nps => "survey.nps_question",
                SurveyKind::Csat => "survey.csat_question",
                _ => "survey.ces_question",
            })
            .replace("XYZ", org),
        value: answers.score,
    });
    let score_values = kind
        .score_scale()
        .map(|(lo, hi)| (lo..=hi).collect())
        .unwrap_or_default();
    let pre = pre_session_csrf(headers);
    let page = AnswerPage {
        page: chrome(id, &pre, token, &v.survey.title, done),
        token: token.to_owned(),
        title: v.survey.title.clone(),
        kind: kind.as_str().to_owned(),
        expectations,
        management,
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

pub async fn show(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let v = match Visit::open(&state, &id, &headers, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if v.ls.answered() {
        return v.done_page("thanks");
    }
    if v.ls.opted_out() {
        return v.done_page("opted_out");
    }
    let (answers, comment) = match &v.ls.response {
        Some((r, a)) => (a.clone(), r.comment.clone()),
        None => (Answers::default(), String::new()),
    };
    answer_page(&v, &answers, &comment, vec![], q.done.as_deref(), StatusCode::OK).await
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
    let own = [
        ("out_of_range", "survey.error_range"),
        ("sum", "survey.error_points"),
        ("required", "survey.error_required"),
        ("not_a_number", "survey.error_number"),
        ("too_long", "survey.error_too_long"),
    ];
    worded_errors(&id.tr(), i, &own, |_, detail| detail)
}

pub async fn submit(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = state
        .app
        .public_rate_limit(kefu_app::public::PublicAction::SurveyAnswer, id.ip.as_deref())
        .await
    {
        return crate::pages::error_page(&id, e);
    }
    let v = match Visit::open(&state, &id, &headers, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (answers, comment, final_, bad) = parse_form(&fields);
    let invalid = match bad {
        Some(i) => i,
        None => match state.app.answer_survey(&token, answers.clone(), &comment, final_).await {
            Ok(_) if final_ => return Redirect::to(&kefu_app::links::survey_answer(&token)).into_response(),
            Ok(_) => return crate::pages::done(&kefu_app::links::survey_answer(&token), "survey_saved"),
            Err(AppError::Invalid(i)) => i,
            Err(e) => return crate::pages::error_page(&v.id, e),
        },
    };
    let errors = messages(&v.id, invalid);
    answer_page(&v, &answers, &comment, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn opt_out_form(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let v = match Visit::open(&state, &id, &headers, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let s = if v.ls.opted_out() {
        "opted_out"
    } else {
        "confirm_opt_out"
    };
    v.done_page(s)
}

pub async fn opt_out(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    if let Err(e) = state.app.opt_out_survey(&token).await {
        return crate::pages::error_page(&id, e);
    }
    let title = match state.app.survey_for_token(&token).await {
        Ok(ls) => ls.view.survey.title,
        Err(_) => String::new(),
    };
    done_page(&state, &id, &headers, &token, &title, "opted_out")
}
