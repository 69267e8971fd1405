//! Surveys and SERVQUAL measurement (issue 5, SPEC.md C): the item bank, surveys of every kind,
//! tokenised answer links, partial and final answers, opt-out, and reports.
//!
//! A final answer is checked against its survey, recorded, and folded into the sufficient
//! statistics (kefu-core's `ServqualAccumulator` / `AnswerCounts`) of the segments "all" and the
//! customer's value tier for the month of the answer, in one transaction; reports merge those
//! rows and never read the answers. The statistics themselves are kefu-core's.

use crate::auth::{random_secret, sha256_hex};
use crate::{Actor, App, AppError, AppResult, now_ms};
use kefu_core::stats::competitor::{CompetitorReport, CompetitorSums};
use kefu_core::stats::scales::{AnswerCounts, CesReport, CsatReport, NpsReport, ScaleItemReport};
use kefu_core::stats::servqual::Dimension;
use kefu_core::stats::{ServqualAccumulator, ServqualLayout, ServqualReport, ServqualResponse};
use kefu_core::{Invalid, Language, Role};
use kefu_store::{
    BankItem, BankItemPatch, FinalAnswer, NewBankItem, NewDimension, NewSurvey, NewSurveyLink, ResponseWrite,
    StoreError, Survey, SurveyDimension, SurveyItem, SurveyLink, SurveyResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The survey kinds.
pub const KINDS: [&str; 6] = ["servqual", "servperf", "csat", "nps", "ces", "custom"];
pub const STATUSES: [&str; 3] = ["draft", "open", "closed"];
/// The most links one request makes.
pub const MAX_LINKS: usize = 10_000;
const MAX_WORDING: usize = 500;
pub const MAX_COMMENT: usize = 5_000;

/// Who may design surveys, make links and read reports (SPEC.md L: admins and managers).
fn require_survey_manager(actor: &Actor) -> AppResult<()> {
    match actor.role() {
        Role::Admin | Role::Manager => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// The scale of a single-question kind: (lowest, highest).
pub fn score_scale(kind: &str) -> Option<(u8, u8)> {
    match kind {
        "csat" => Some((1, 5)),
        "nps" => Some((0, 10)),
        "ces" => Some((1, 7)),
        _ => None,
    }
}

/// Whether a kind asks the item battery (perception; servqual also expectation).
pub fn has_battery(kind: &str) -> bool {
    matches!(kind, "servqual" | "servperf" | "custom")
}

/// One respondent's answers, as stored (JSON) and as the API and the form send them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Expectation per item code, 1–7 (servqual only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expectation: BTreeMap<String, u8>,
    /// Perception (or the custom item's answer) per item code, 1–7.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub perception: BTreeMap<String, u8>,
    /// The named competitor's performance per item code, 1–7 (benchmarking, servqual and servperf).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub competitor: BTreeMap<String, u8>,
    /// 100 points across the dimensions, per dimension code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<BTreeMap<String, u32>>,
    /// Overall satisfaction, 1–7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<u8>,
    /// The one answer of a csat (1–5), nps (0–10) or ces (1–7) survey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
}

impl Answers {
    pub fn is_empty(&self) -> bool {
        self.expectation.is_empty()
            && self.perception.is_empty()
            && self.competitor.is_empty()
            && self.allocation.is_none()
            && self.overall.is_none()
            && self.score.is_none()
    }
}

/// A survey with the items it asks and the dimensions they belong to (in layout order).
#[derive(Debug, Clone, Serialize)]
pub struct SurveyView {
    pub survey: Survey,
    pub items: Vec<SurveyItem>,
    pub dimensions: Vec<SurveyDimension>,
    pub weights: Option<BTreeMap<String, u32>>,
}

impl SurveyView {
    /// The battery layout for kefu-core: items in order, dimensions in order of first appearance.
    pub fn layout(&self) -> ServqualLayout {
        let mut dims: Vec<Dimension> = Vec::new();
        for (j, it) in self.items.iter().enumerate() {
            match dims.iter_mut().find(|d| d.code == it.dimension) {
                Some(d) => d.items.push(j),
                None => dims.push(Dimension {
                    code: it.dimension.clone(),
                    items: vec![j],
                }),
            }
        }
        ServqualLayout {
            items: self.items.iter().map(|i| i.code.clone()).collect(),
            dimensions: dims,
        }
    }

    /// Manager weights in layout order.
    pub fn weight_vec(&self) -> Option<Vec<u32>> {
        let w = self.weights.as_ref()?;
        self.layout()
            .dimensions
            .iter()
            .map(|d| w.get(&d.code).copied())
            .collect()
    }

    pub fn dimension_name(&self, code: &str, lang: Language) -> String {
        self.dimensions
            .iter()
            .find(|d| d.code == code)
            .map(|d| match lang {
                Language::ZhCn => d.name_zh.clone(),
                Language::En => d.name_en.clone(),
            })
            .unwrap_or_else(|| code.to_owned())
    }

    /// Whether the survey rates a named competitor beside us (SERVQUAL and SERVPERF only).
    pub fn benchmarked(&self) -> bool {
        self.survey.competitor.is_some() && matches!(self.survey.kind.as_str(), "servqual" | "servperf")
    }

    /// The competitor answers by item position.
    pub fn competitor_answers(&self, a: &Answers) -> Vec<Option<u8>> {
        self.items.iter().map(|i| a.competitor.get(&i.code).copied()).collect()
    }

    /// The answers as a kefu-core response over this survey's layout.
    pub fn servqual_response(&self, a: &Answers) -> ServqualResponse {
        let layout = self.layout();
        ServqualResponse {
            expectation: self.items.iter().map(|i| a.expectation.get(&i.code).copied()).collect(),
            perception: self.items.iter().map(|i| a.perception.get(&i.code).copied()).collect(),
            allocation: a.allocation.as_ref().map(|w| {
                layout
                    .dimensions
                    .iter()
                    .map(|d| w.get(&d.code).copied().unwrap_or(0))
                    .collect()
            }),
            overall: a.overall,
        }
    }

    /// Checks answers against the survey: its items and options, the scales, the allocation.
    /// A final answer must say something; an allocation must then sum to 100.
    pub fn check_answers(&self, a: &Answers, comment: &str, final_: bool) -> Result<(), Invalid> {
        let s = &self.survey;
        let kind = s.kind.as_str();
        let known = |code: &str| self.items.iter().any(|i| i.code == code);
        if !a.expectation.is_empty() && kind != "servqual" {
            return Err(Invalid::one(
                "expectation",
                "not_asked",
                "this survey asks no expectations",
            ));
        }
        if !a.perception.is_empty() && !has_battery(kind) {
            return Err(Invalid::one("perception", "not_asked", "this survey asks no items"));
        }
        if !a.competitor.is_empty() && !self.benchmarked() {
            return Err(Invalid::one(
                "competitor",
                "not_asked",
                "this survey rates no competitor",
            ));
        }
        for (field, m) in [
            ("expectation", &a.expectation),
            ("perception", &a.perception),
            ("competitor", &a.competitor),
        ] {
            for (code, v) in m {
                if !known(code) {
                    return Err(Invalid::one(
                        field,
                        "unknown_item",
                        format!("the survey has no item {code}"),
                    ));
                }
                if !(1..=7).contains(v) {
                    return Err(Invalid::one(
                        &format!("{field}.{code}"),
                        "out_of_range",
                        format!("{field} {code}: {v} is not 1 to 7"),
                    ));
                }
            }
        }
        if let Some(w) = &a.allocation {
            if !(s.importance && matches!(kind, "servqual" | "servperf")) {
                return Err(Invalid::one(
                    "allocation",
                    "not_asked",
                    "this survey asks no importance points",
                ));
            }
            let layout = self.layout();
            if let Some(code) = w.keys().find(|c| !layout.dimensions.iter().any(|d| &d.code == *c)) {
                return Err(Invalid::one(
                    "allocation",
                    "unknown_dimension",
                    format!("no dimension {code}"),
                ));
            }
            let sum: u64 = w.values().map(|&x| u64::from(x)).sum();
            if final_ && sum != 100 {
                return Err(Invalid::one(
                    "allocation",
                    "sum",
                    format!("the importance points must add up to 100, not {sum}"),
                ));
            }
            if sum > 100 {
                return Err(Invalid::one(
                    "allocation",
                    "sum",
                    format!("{sum} points are more than 100"),
                ));
            }
        }
        if let Some(o) = a.overall {
            if !s.overall || !has_battery(kind) {
                return Err(Invalid::one(
                    "overall",
                    "not_asked",
                    "this survey asks no overall satisfaction",
                ));
            }
            if !(1..=7).contains(&o) {
                return Err(Invalid::one(
                    "overall",
                    "out_of_range",
                    format!("overall: {o} is not 1 to 7"),
                ));
            }
        }
        match (score_scale(kind), a.score) {
            (None, Some(_)) => return Err(Invalid::one("score", "not_asked", "this survey asks no single score")),
            (Some((lo, hi)), Some(v)) if !(lo..=hi).contains(&v) => {
                return Err(Invalid::one(
                    "score",
                    "out_of_range",
                    format!("score: {v} is not {lo} to {hi}"),
                ));
            }
            (Some(_), None) if final_ => return Err(Invalid::one("score", "required", "the score is required")),
            _ => {}
        }
        if !comment.trim().is_empty() && !s.comment {
            return Err(Invalid::one("comment", "not_asked", "this survey takes no comment"));
        }
        if comment.chars().count() > MAX_COMMENT {
            return Err(Invalid::one(
                "comment",
                "too_long",
                format!("the comment has more than {MAX_COMMENT} characters"),
            ));
        }
        if final_ && has_battery(kind) && a.perception.is_empty() && a.expectation.is_empty() {
            return Err(Invalid::one("perception", "required", "answer at least one item"));
        }
        Ok(())
    }
}

/// An item as a layout needs it (position, codes), without wording.
fn bare_item(index: usize, item_id: i64, code: &str, dimension: &str) -> SurveyItem {
    SurveyItem {
        position: index as i64 + 1,
        item_id,
        code: code.to_owned(),
        dimension: dimension.to_owned(),
        expectation_zh: String::new(),
        expectation_en: String::new(),
        perception_zh: String::new(),
        perception_en: String::new(),
    }
}

/// The sufficient statistics of one survey × segment × period (stored as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SurveyAccumulator {
    Servqual(ServqualAccumulator),
    /// servqual / servperf with a competitor rated beside us.
    Benchmarked(ServqualAccumulator, CompetitorSums),
    /// csat / nps / ces: counts of each answer.
    Scale(AnswerCounts),
    /// custom: counts per item.
    Custom(BTreeMap<String, AnswerCounts>),
}

impl SurveyAccumulator {
    pub fn new(view: &SurveyView) -> Result<SurveyAccumulator, Invalid> {
        Ok(match view.survey.kind.as_str() {
            "servqual" | "servperf" if view.benchmarked() => {
                let layout = view.layout();
                SurveyAccumulator::Benchmarked(ServqualAccumulator::new(layout.clone())?, CompetitorSums::new(&layout))
            }
            "servqual" | "servperf" => SurveyAccumulator::Servqual(ServqualAccumulator::new(view.layout())?),
            "custom" => SurveyAccumulator::Custom(BTreeMap::new()),
            _ => SurveyAccumulator::Scale(AnswerCounts::default()),
        })
    }

    pub fn add(&mut self, view: &SurveyView, a: &Answers) -> Result<(), Invalid> {
        match self {
            SurveyAccumulator::Servqual(acc) => acc.add(&view.servqual_response(a)),
            SurveyAccumulator::Benchmarked(acc, c) => {
                let r = view.servqual_response(a);
                acc.add(&r)?;
                // The competitor answers were checked with the rest (`check_answers`).
                c.add(&acc.layout, &r.perception, &view.competitor_answers(a))
            }
            SurveyAccumulator::Scale(c) => {
                c.add(i64::from(a.score.unwrap_or(0)));
                Ok(())
            }
            SurveyAccumulator::Custom(m) => {
                for (code, v) in &a.perception {
                    m.entry(code.clone()).or_default().add(i64::from(*v));
                }
                Ok(())
            }
        }
    }

    /// How many answers the statistics hold (for custom surveys: the most any item has).
    pub fn respondents(&self) -> u64 {
        match self {
            SurveyAccumulator::Servqual(s) | SurveyAccumulator::Benchmarked(s, _) => s.n_respondents,
            SurveyAccumulator::Scale(c) => c.n(),
            SurveyAccumulator::Custom(m) => m.values().map(AnswerCounts::n).max().unwrap_or(0),
        }
    }

    pub fn merge(&mut self, o: &SurveyAccumulator) -> Result<(), Invalid> {
        match (self, o) {
            (SurveyAccumulator::Servqual(a), SurveyAccumulator::Servqual(b)) => a.merge(b),
            (SurveyAccumulator::Benchmarked(a, ca), SurveyAccumulator::Benchmarked(b, cb)) => {
                ca.merge(cb);
                a.merge(b)
            }
            (SurveyAccumulator::Scale(a), SurveyAccumulator::Scale(b)) => {
                a.merge(b);
                Ok(())
            }
            (SurveyAccumulator::Custom(a), SurveyAccumulator::Custom(b)) => {
                for (k, v) in b {
                    a.entry(k.clone()).or_default().merge(v);
                }
                Ok(())
            }
            _ => Err(Invalid::one("accumulator", "mismatch", "statistics of different kinds")),
        }
    }
}

/// Most final answers written in one transaction.
const ANSWER_BATCH: usize = 128;

/// A final answer on its way to the writer.
pub(crate) struct PendingAnswer {
    answer: FinalAnswer,
    view: Arc<SurveyView>,
    answers: Answers,
}

type AnswerReply = oneshot::Sender<AppResult<SurveyResponse>>;

/// The one task that records final answers: answers given at the same time are written, and
/// folded into the statistics, in one transaction (one commit, one fold per statistics row), while
/// each respondent still gets their own outcome.
#[derive(Clone)]
pub(crate) struct AnswerWriter {
    tx: mpsc::Sender<(PendingAnswer, AnswerReply)>,
}

/// Folds the answers `items` of `pending` into a statistics row's accumulator.
fn fold_pending(pending: &[PendingAnswer], old: Option<&str>, items: &[usize]) -> Result<(String, i64), String> {
    let first = items.first().ok_or("nothing to fold")?;
    let mut acc = match old {
        Some(s) => serde_json::from_str::<SurveyAccumulator>(s).map_err(|e| e.to_string())?,
        None => SurveyAccumulator::new(&pending[*first].view).map_err(|e| e.to_string())?,
    };
    for &i in items {
        acc.add(&pending[i].view, &pending[i].answers)
            .map_err(|e| e.to_string())?;
    }
    let n = acc.respondents() as i64;
    Ok((serde_json::to_string(&acc).map_err(|e| e.to_string())?, n))
}

fn answer_outcome(r: Result<SurveyResponse, StoreError>) -> AppResult<SurveyResponse> {
    match r {
        Ok(r) => Ok(r),
        // The link was answered, opted out or expired between the read and the write.
        Err(StoreError::Conflict { .. }) => Err(AppError::Conflict("this survey has been answered already".into())),
        Err(e) => Err(e.into()),
    }
}

impl AnswerWriter {
    fn start(store: Arc<dyn kefu_store::Store>) -> AnswerWriter {
        let (tx, mut rx) = mpsc::channel::<(PendingAnswer, AnswerReply)>(4 * ANSWER_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(ANSWER_BATCH);
            while rx.recv_many(&mut batch, ANSWER_BATCH).await > 0 {
                let (pending, replies): (Vec<PendingAnswer>, Vec<AnswerReply>) = batch.drain(..).unzip();
                let finals: Vec<FinalAnswer> = pending.iter().map(|p| p.answer.clone()).collect();
                let fold =
                    |_: i64, _: &str, _: &str, old: Option<&str>, items: &[usize]| fold_pending(&pending, old, items);
                match store.submit_final_responses(&finals, &fold).await {
                    Ok(outcomes) => {
                        for (reply, r) in replies.into_iter().zip(outcomes) {
                            let _ = reply.send(answer_outcome(r));
                        }
                    }
                    // The batch failed as a whole: each answer alone, so each gets its own outcome.
                    Err(_) => {
                        for (i, reply) in replies.into_iter().enumerate() {
                            let one = std::slice::from_ref(&pending[i]);
                            let fold = |_: i64, _: &str, _: &str, old: Option<&str>, items: &[usize]| {
                                fold_pending(one, old, items)
                            };
                            let r = store
                                .submit_final_responses(std::slice::from_ref(&finals[i]), &fold)
                                .await
                                .map_err(AppError::from)
                                .and_then(|mut v| answer_outcome(v.remove(0)));
                            let _ = reply.send(r);
                        }
                    }
                }
            }
        });
        AnswerWriter { tx }
    }

    async fn write(&self, p: PendingAnswer) -> Result<SurveyResponse, StoreError> {
        let stopped = || StoreError::Refused("the answer writer stopped".into());
        let (reply, answer) = oneshot::channel();
        self.tx.send((p, reply)).await.map_err(|_| stopped())?;
        match answer.await.map_err(|_| stopped())? {
            Ok(r) => Ok(r),
            Err(AppError::Conflict(_)) => Err(StoreError::Conflict {
                what: "the survey link is answered, opted out or expired".into(),
            }),
            Err(AppError::Store(e)) => Err(e),
            Err(e) => Err(StoreError::Refused(e.to_string())),
        }
    }
}

/// What creating a survey takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// The survey's short name: 1–64 lowercase letters, digits and `-`; default `survey-<id>`.
    pub slug: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub title: String,
    /// zh-CN | en: the language of links that say none (default zh-CN).
    pub language: Option<String>,
    /// Manager weights per dimension code, summing to 100.
    pub weights: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    pub importance: bool,
    #[serde(default)]
    pub overall: bool,
    #[serde(default = "yes")]
    pub comment: bool,
    pub competitor: Option<String>,
    /// Bank item codes in the order asked; default: every item of the bank (the 22 for SERVQUAL).
    pub items: Option<Vec<String>>,
    /// draft | open | closed (default open).
    pub status: Option<String>,
}

fn default_kind() -> String {
    "servqual".into()
}
fn yes() -> bool {
    true
}

/// What making links takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// One link per customer; empty: one link for nobody in particular.
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// Days until the links expire, 1–365 (default 30).
    pub expires_in_days: Option<u32>,
    /// The respondents' language; default: the customer's primary contact's, else the survey's.
    pub language: Option<String>,
    /// Without customers: how many links for nobody in particular (default 1).
    pub count: Option<u32>,
}

/// A link made, with its plain token (shown once, never stored).
#[derive(Debug, Clone, Serialize)]
pub struct MadeLink {
    pub link: SurveyLink,
    pub token: String,
}

/// A link's survey as its respondent sees it.
#[derive(Debug, Clone)]
pub struct LinkSurvey {
    pub link: SurveyLink,
    pub view: SurveyView,
    /// The saved answer, partial or final.
    pub response: Option<(SurveyResponse, Answers)>,
}

impl LinkSurvey {
    pub fn answered(&self) -> bool {
        self.link.answered_at.is_some()
    }
    pub fn opted_out(&self) -> bool {
        self.link.opted_out_at.is_some()
    }
}

/// A report over a survey's statistics for a segment and a range of periods.
#[derive(Debug, Clone)]
pub struct SurveyReport {
    pub view: SurveyView,
    pub segment: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub n_responses: u64,
    pub servqual: Option<ServqualReport>,
    pub nps: Option<NpsReport>,
    pub csat: Option<CsatReport>,
    pub ces: Option<CesReport>,
    pub custom: Vec<(String, ScaleItemReport)>,
    /// The competitor's name and its figures beside ours.
    pub competitor: Option<(String, CompetitorReport)>,
    /// Why dissatisfied respondents of ticket answers were dissatisfied, per dimension (or the
    /// single score): none when no answer was about a ticket.
    pub dissatisfaction: Option<Vec<CauseRow>>,
    /// The headline figure month by month (filled by `survey_report`).
    pub trend: Vec<TrendPoint>,
}

/// Dissatisfaction causes (STATISTICS.md, seed 000) on one dimension: of the respondents
/// dissatisfied on it whose answer was about a ticket, the share whose ticket met every SLA target
/// (value not perceived: a communication problem) and the share whose ticket breached one (value
/// below expectation: a delivery problem), with Wilson intervals.
#[derive(Debug, Clone, Serialize)]
pub struct CauseRow {
    /// A dimension code, or `overall` for csat / nps / ces.
    pub code: String,
    pub dissatisfied: u64,
    pub value_not_perceived: kefu_core::stats::Share,
    pub value_below_expectation: kefu_core::stats::Share,
}

/// The causes from the statistics of the answers whose ticket met its targets and of those whose
/// ticket breached one.
fn dissatisfaction(view: &SurveyView, met: &SurveyAccumulator, breached: &SurveyAccumulator) -> Option<Vec<CauseRow>> {
    use kefu_core::stats::descriptive::wilson;
    if met.respondents() + breached.respondents() == 0 {
        return None;
    }
    let row = |code: String, m: u64, b: u64| CauseRow {
        code,
        dissatisfied: m + b,
        value_not_perceived: wilson(m, m + b),
        value_below_expectation: wilson(b, m + b),
    };
    let servqual = |a: &SurveyAccumulator| match a {
        SurveyAccumulator::Servqual(s) | SurveyAccumulator::Benchmarked(s, _) => Some(s.dissatisfied.clone()),
        _ => None,
    };
    let range = match view.survey.kind.as_str() {
        "csat" => Some((1, 2)),
        "nps" => Some((0, 6)),
        "ces" => Some((1, 3)),
        _ => None,
    };
    match (met, breached, range) {
        (SurveyAccumulator::Scale(m), SurveyAccumulator::Scale(b), Some((lo, hi))) => Some(vec![row(
            "overall".into(),
            m.count_between(lo, hi),
            b.count_between(lo, hi),
        )]),
        _ => {
            let (m, b) = (servqual(met)?, servqual(breached)?);
            let at = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
            Some(
                view.layout()
                    .dimensions
                    .iter()
                    .enumerate()
                    .map(|(i, d)| row(d.code.clone(), at(&m, i), at(&b, i)))
                    .collect(),
            )
        }
    }
}

/// The newest commented answers read for the lowest items' comments.
const LOW_ITEM_SCAN: u32 = 500;
/// Comments shown per low item.
const LOW_ITEM_COMMENTS: usize = 5;

/// A low-scoring item and what respondents who rated it low said.
#[derive(Debug, Clone, Serialize)]
pub struct LowItem {
    pub code: String,
    /// The gap P − E (the mean P for SERVPERF).
    pub score: f64,
    pub comments: Vec<String>,
}

/// The headline figure of each month's statistics: the SERVQUAL score (P − E, unweighted) for
/// item batteries, NPS, CSAT (a share) or the CES mean with their intervals.
fn trend_of(
    view: &SurveyView,
    segment: &str,
    months: &[(String, SurveyAccumulator)],
) -> Result<Vec<TrendPoint>, Invalid> {
    months
        .iter()
        .map(|(period, acc)| {
            let rep = App::report_from(
                view.clone(),
                segment.to_owned(),
                Some(period.clone()),
                Some(period.clone()),
                acc,
            )?;
            let (value, ci95) = if let Some(s) = &rep.servqual {
                (s.servqual.unweighted, None)
            } else if let Some(n) = &rep.nps {
                (n.nps, n.nps_ci95)
            } else if let Some(c) = &rep.csat {
                (c.csat, c.csat_ci95)
            } else if let Some(c) = &rep.ces {
                (c.ces_mean, c.ces_ci95)
            } else {
                (None, None)
            };
            Ok(TrendPoint {
                period: period.clone(),
                n: rep.n_responses,
                value,
                ci95,
            })
        })
        .collect()
}

/// A month of a survey's trend.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    /// `YYYY-MM`
    pub period: String,
    pub n: u64,
    pub value: Option<f64>,
    pub ci95: Option<kefu_core::stats::Interval>,
}

/// Turns every `{lo, hi}` object into `[lo, hi]` (the documented JSON shape of an interval).
fn intervals_as_pairs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.len() == 2
                && let (Some(lo), Some(hi)) = (m.get("lo"), m.get("hi"))
            {
                *v = json!([lo, hi]);
                return;
            }
            m.values_mut().for_each(intervals_as_pairs);
        }
        Value::Array(a) => a.iter_mut().for_each(intervals_as_pairs),
        _ => {}
    }
}

/// Renames key `from` to `to` in an object.
fn rename(v: &mut Value, from: &str, to: &str) {
    if let Value::Object(m) = v
        && let Some(x) = m.remove(from)
    {
        m.insert(to.to_owned(), x);
    }
}

impl SurveyReport {
    /// The report as the API serves it (field names as STATISTICS.md and issue 5 give them).
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "survey_id": self.view.survey.id,
            "kind": self.view.survey.kind,
            "segment": self.segment,
            "from": self.from,
            "to": self.to,
            "n_responses": self.n_responses,
        });
        let mut notes: Vec<Value> = vec![];
        if let Some(r) = &self.servqual {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
                items.iter_mut().for_each(|i| rename(i, "item", "code"));
            }
            if let Some(dims) = v.get_mut("dimensions").and_then(Value::as_array_mut) {
                dims.iter_mut().for_each(|d| rename(d, "dimension", "code"));
            }
            out["items"] = v["items"].take();
            out["dimensions"] = v["dimensions"].take();
            out["servqual"] = v["servqual"].take();
            out["ipa"] = v["ipa"]["rows"].take();
            out["ipa_basis"] = v["ipa"]["basis"].take();
            out["ipa_importance_mean"] = v["ipa"]["importance_mean"].take();
            out["ipa_performance_mean"] = v["ipa"]["performance_mean"].take();
            out["short_planks"] = v["ipa"]["short_planks"].take();
            if let Some(n) = v["notes"].as_array() {
                notes.extend(n.iter().cloned());
            }
        }
        if let Some(n) = &self.nps {
            out["nps"] = json!(n.nps);
            out["nps_se"] = json!(n.nps_se);
            out["nps_ci95"] = json!(n.nps_ci95);
            out["promoters"] = json!(n.promoters);
            out["passives"] = json!(n.passives);
            out["detractors"] = json!(n.detractors);
            if n.nps.is_none() {
                notes.push(json!({"field": "nps", "reason": "no answers"}));
            }
        }
        if let Some(c) = &self.csat {
            out["csat"] = json!(c.csat);
            out["csat_ci95"] = json!(c.csat_ci95);
            if c.csat.is_none() {
                notes.push(json!({"field": "csat", "reason": "no answers"}));
            }
        }
        if let Some(c) = &self.ces {
            out["ces_mean"] = json!(c.ces_mean);
            out["ces_sd"] = json!(c.ces_sd);
            out["ces_ci95"] = json!(c.ces_ci95);
            out["ces_top3"] = json!(c.ces_top3);
            if c.ces_mean.is_none() {
                notes.push(json!({"field": "ces_mean", "reason": "no answers"}));
            }
        }
        if self.view.survey.kind == "custom" {
            out["custom_items"] = self
                .custom
                .iter()
                .map(|(code, r)| {
                    json!({
                        "code": code,
                        "n": r.summary.n,
                        "mean": r.summary.mean,
                        "sd": r.summary.sd,
                        "ci95": r.summary.ci95,
                        "distribution": r.distribution,
                    })
                })
                .collect();
        }
        if let Some((name, c)) = &self.competitor {
            let p_of = |code: &str, list: &Value| {
                list.as_array()
                    .and_then(|l| l.iter().find(|x| x["code"] == code))
                    .map(|x| x["p_mean"].clone())
                    .unwrap_or(Value::Null)
            };
            let pair =
                |m: &kefu_core::stats::MeanSummary| json!({"n": m.n, "mean": m.mean, "sd": m.sd, "ci95": m.ci95});
            out["competitor"] = json!({
                "name": name,
                "items": c.items.iter().map(|i| json!({
                    "code": i.item, "n": i.n, "c_mean": i.c_mean, "p_mean": p_of(&i.item, &out["items"]),
                    "p_minus_c": pair(&i.p_minus_c),
                })).collect::<Vec<_>>(),
                "dimensions": c.dimensions.iter().map(|d| json!({
                    "code": d.dimension, "n": d.n, "c_mean": d.c_mean, "p_mean": p_of(&d.dimension, &out["dimensions"]),
                    "p_minus_c": pair(&d.p_minus_c),
                })).collect::<Vec<_>>(),
            });
        }
        match &self.dissatisfaction {
            Some(rows) => out["dissatisfaction"] = serde_json::to_value(rows).unwrap_or(Value::Null),
            None => {
                out["dissatisfaction"] = Value::Null;
                notes.push(json!({"field": "dissatisfaction", "reason": "no answer was about a ticket"}));
            }
        }
        let scale = self.nps.is_some() || self.csat.is_some() || self.ces.is_some();
        if self.servqual.is_some() && !self.trend.is_empty() {
            notes.push(json!({
                "field": "trend.ci95",
                "reason": "a month's SERVQUAL score is a mean of dimension gaps: it has no interval (each dimension gap has one)",
            }));
        }
        for p in &self.trend {
            if p.value.is_none() {
                notes.push(json!({
                    "field": format!("trend.{}.value", p.period),
                    "reason": "this month has too few answers for the figure",
                }));
            } else if scale && p.ci95.is_none() {
                notes.push(json!({
                    "field": format!("trend.{}.ci95", p.period),
                    "reason": "this month has too few answers for an interval",
                }));
            }
        }
        out["trend"] = serde_json::to_value(&self.trend).unwrap_or(Value::Null);
        out["notes"] = Value::Array(notes);
        intervals_as_pairs(&mut out);
        out
    }
}

/// The attributes a report can be cut by, frozen on each answer when it is given (the period is
/// the month, chosen with `from` / `to`).
pub const SEGMENT_FIELDS: [&str; 7] = ["tier", "kind", "region", "channel", "product", "agent", "role"];

/// A segment as the report takes it: `all`, or `<field>:<value>` (`<field>=<value>` too) with a
/// field of [`SEGMENT_FIELDS`]: `tier:A`, `region=华东`, `channel:email`, `agent:12`.
pub fn parse_segment(s: Option<&str>) -> Result<String, Invalid> {
    let s = s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("all");
    if s == "all" {
        return Ok("all".into());
    }
    let bad = |why: &str| {
        Invalid::one(
            "segment",
            "unknown_segment",
            format!(
                "{why}: a segment is all or <field>=<value>, field one of {}",
                SEGMENT_FIELDS.join(", ")
            ),
        )
    };
    let (field, value) = s.split_once([':', '=']).ok_or_else(|| bad("no field"))?;
    let (field, value) = (field.trim(), value.trim());
    if value.is_empty() || value.chars().count() > 100 {
        return Err(bad("no value"));
    }
    let value = match field {
        "tier" => kefu_core::rfm::ValueTier::parse(value)
            .ok_or_else(|| bad("tier is A to E or none"))?
            .as_str()
            .to_owned(),
        "kind" => match value {
            "end" | "intermediate" | "internal" => value.to_owned(),
            _ => return Err(bad("kind is end, intermediate or internal")),
        },
        "agent" => value.parse::<i64>().map_err(|_| bad("agent is a user id"))?.to_string(),
        "region" | "channel" | "product" => value.to_owned(),
        "role" => match value {
            "admin" | "manager" | "agent" | "technician" => value.to_owned(),
            _ => return Err(bad("role is admin, manager, agent or technician")),
        },
        _ => return Err(bad(&format!("unknown field {field:?}"))),
    };
    Ok(format!("{field}:{value}"))
}

/// The statistics rows (segment, period) an answer with these frozen attributes folds into:
/// `all`, and `<field>:<value>` for each segment field it has.
pub fn stats_keys(segment: &Value) -> Vec<(String, String)> {
    let period = segment["period"].as_str().unwrap_or("1970-01").to_owned();
    let mut keys = vec![("all".to_owned(), period.clone())];
    for f in SEGMENT_FIELDS {
        let v = match &segment[f] {
            Value::String(v) if !v.is_empty() => v.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        keys.push((format!("{f}:{v}"), period.clone()));
    }
    // A ticket's answer also counts under "<segment>|sla:met" or "…|sla:breached", for the
    // dissatisfaction causes of every segment.
    if let Some(sla) = segment["sla"].as_str().filter(|s| matches!(*s, "met" | "breached")) {
        let with: Vec<(String, String)> = keys
            .iter()
            .map(|(k, p)| (format!("{k}|sla:{sla}"), p.clone()))
            .collect();
        keys.extend(with);
    }
    keys
}

/// A survey's short name as given: 1–64 lowercase letters, digits and `-`, not only digits (a
/// number names a survey by id).
pub fn check_slug(v: &str) -> Result<String, Invalid> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(v.to_owned())
    } else {
        Err(Invalid::one(
            "slug",
            "invalid_slug",
            "slug is 1 to 64 lowercase letters, digits and -, not only digits",
        ))
    }
}

/// A period bound `YYYY-MM`.
pub fn parse_period(field: &str, s: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok = s.len() == 7
        && s.as_bytes()[4] == b'-'
        && s[..4].bytes().all(|b| b.is_ascii_digit())
        && s[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Ok(Some(s.to_owned()))
    } else {
        Err(Invalid::one(
            field,
            "invalid_period",
            format!("{field} must be a month, YYYY-MM"),
        ))
    }
}

fn check_text(field: &str, v: &str, max: usize) -> Result<String, Invalid> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(Invalid::one(
            field,
            "required",
            format!("{field} is required (at most {max} characters)"),
        ));
    }
    Ok(v.to_owned())
}

fn check_code(field: &str, v: &str) -> Result<String, Invalid> {
    let v = v.trim();
    if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(Invalid::one(
            field,
            "invalid_code",
            format!("{field} must be 1 to 32 letters, digits, - or _"),
        ));
    }
    Ok(v.to_owned())
}

fn parse_language(field: &str, v: Option<&str>) -> Result<Option<Language>, Invalid> {
    v.map(|l| Language::parse(l).ok_or_else(|| Invalid::one(field, "unknown_language", "language is zh-CN or en")))
        .transpose()
}

/// What adding an item to the bank takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankItemInput {
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
}

/// What adding a dimension takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
}

impl App {
    /// The item bank: dimensions and items.
    pub async fn item_bank(&self, actor: &Actor) -> AppResult<(Vec<SurveyDimension>, Vec<BankItem>)> {
        require_survey_manager(actor)?;
        Ok((self.store.survey_dimensions().await?, self.store.bank_items().await?))
    }

    pub async fn add_survey_dimension(&self, actor: &Actor, d: DimensionInput) -> AppResult<SurveyDimension> {
        require_survey_manager(actor)?;
        let d = NewDimension {
            code: check_code("code", &d.code)?,
            name_zh: check_text("name_zh", &d.name_zh, 100)?,
            name_en: check_text("name_en", &d.name_en, 100)?,
            description_zh: d.description_zh.trim().chars().take(MAX_WORDING).collect(),
            description_en: d.description_en.trim().chars().take(MAX_WORDING).collect(),
            now: now_ms(),
        };
        let out = self
            .store
            .add_survey_dimension(d)
            .await
            .map_err(crate::error::conflict_says("a dimension with this code exists".into()))?;
        self.audit(
            actor,
            "survey.dimension.add",
            out.code.clone(),
            json!({"code": out.code}),
        )
        .await?;
        Ok(out)
    }

    pub async fn add_bank_item(&self, actor: &Actor, i: BankItemInput) -> AppResult<BankItem> {
        require_survey_manager(actor)?;
        let item = NewBankItem {
            code: check_code("code", &i.code)?,
            dimension: check_code("dimension", &i.dimension)?,
            expectation_zh: check_text("expectation_zh", &i.expectation_zh, MAX_WORDING)?,
            expectation_en: check_text("expectation_en", &i.expectation_en, MAX_WORDING)?,
            perception_zh: check_text("perception_zh", &i.perception_zh, MAX_WORDING)?,
            perception_en: check_text("perception_en", &i.perception_en, MAX_WORDING)?,
            now: now_ms(),
        };
        let out = match self.store.add_bank_item(item).await {
            Err(StoreError::Refused(_)) => {
                return Err(Invalid::one("dimension", "unknown_dimension", "no such dimension").into());
            }
            other => other.map_err(crate::error::conflict_says("an item with this code exists".into()))?,
        };
        self.audit(actor, "survey.item.add", out.code.clone(), json!({"code": out.code}))
            .await?;
        Ok(out)
    }

    /// Edits an item's wording (its code and dimension stay: surveys' statistics depend on them).
    pub async fn update_bank_item(&self, actor: &Actor, code: &str, p: BankItemPatch) -> AppResult<BankItem> {
        require_survey_manager(actor)?;
        let check = |field: &str, v: Option<String>| -> Result<Option<String>, Invalid> {
            v.map(|v| check_text(field, &v, MAX_WORDING)).transpose()
        };
        let p = BankItemPatch {
            expectation_zh: check("expectation_zh", p.expectation_zh)?,
            expectation_en: check("expectation_en", p.expectation_en)?,
            perception_zh: check("perception_zh", p.perception_zh)?,
            perception_en: check("perception_en", p.perception_en)?,
        };
        let out = self.store.update_bank_item(code, p, now_ms()).await?;
        self.audit(actor, "survey.item.edit", out.code.clone(), json!({"code": out.code}))
            .await?;
        Ok(out)
    }

    /// Creates a survey (SERVQUAL with the whole bank unless told otherwise).
    pub async fn create_survey(&self, actor: &Actor, input: SurveyInput) -> AppResult<SurveyView> {
        require_survey_manager(actor)?;
        let kind = input.kind.trim().to_owned();
        if !KINDS.contains(&kind.as_str()) {
            return Err(Invalid::one(
                "kind",
                "unknown_kind",
                "kind is servqual, servperf, csat, nps, ces or custom",
            )
            .into());
        }
        let title = check_text("title", &input.title, 200)?;
        let slug = input.slug.as_deref().map(check_slug).transpose()?;
        let language = parse_language("language", input.language.as_deref())?.unwrap_or(Language::ZhCn);
        let status = input.status.unwrap_or_else(|| "open".into());
        if !STATUSES.contains(&status.as_str()) {
            return Err(Invalid::one("status", "unknown_status", "status is draft, open or closed").into());
        }
        let competitor = input
            .competitor
            .map(|c| check_text("competitor", &c, 100))
            .transpose()?;
        if competitor.is_some() && !matches!(kind.as_str(), "servqual" | "servperf") {
            return Err(Invalid::one(
                "competitor",
                "not_asked",
                "a competitor is rated in servqual and servperf surveys",
            )
            .into());
        }
        let bank = self.store.bank_items().await?;
        let items: Vec<&BankItem> = if !has_battery(&kind) {
            if input.items.as_ref().is_some_and(|i| !i.is_empty()) {
                return Err(Invalid::one("items", "not_asked", "this kind asks no items").into());
            }
            vec![]
        } else {
            match &input.items {
                None => bank.iter().collect(),
                Some(codes) => {
                    let mut out = Vec::new();
                    for c in codes {
                        let it = bank
                            .iter()
                            .find(|b| b.code == *c)
                            .ok_or_else(|| Invalid::one("items", "unknown_item", format!("no item {c} in the bank")))?;
                        if out.iter().any(|o: &&BankItem| o.id == it.id) {
                            return Err(Invalid::one("items", "duplicate", format!("item {c} twice")).into());
                        }
                        out.push(it);
                    }
                    out
                }
            }
        };
        if has_battery(&kind) && items.is_empty() {
            return Err(Invalid::one("items", "required", "choose at least one item").into());
        }
        let draft = SurveyView {
            survey: Survey {
                id: 0,
                slug: String::new(),
                kind: kind.clone(),
                title: title.clone(),
                language: language.code().into(),
                weights: None,
                importance: input.importance,
                overall: input.overall,
                comment: input.comment,
                competitor: competitor.clone(),
                status: status.clone(),
                created_by: actor.user_id(),
                created_at: 0,
                updated_at: 0,
            },
            items: items
                .iter()
                .enumerate()
                .map(|(i, b)| bare_item(i, b.id, &b.code, &b.dimension))
                .collect(),
            dimensions: vec![],
            weights: None,
        };
        if has_battery(&kind) {
            draft.layout().validate()?;
        }
        let weights = match &input.weights {
            None => None,
            Some(w) => {
                if !matches!(kind.as_str(), "servqual" | "servperf") {
                    return Err(Invalid::one(
                        "weights",
                        "not_asked",
                        "only servqual and servperf surveys take weights",
                    )
                    .into());
                }
                let layout = draft.layout();
                if w.len() != layout.dimensions.len() || layout.dimensions.iter().any(|d| !w.contains_key(&d.code)) {
                    return Err(Invalid::one(
                        "weights",
                        "dimensions",
                        "give one weight for each dimension of the survey",
                    )
                    .into());
                }
                let sum: u64 = w.values().map(|&x| u64::from(x)).sum();
                if sum != 100 {
                    return Err(
                        Invalid::one("weights", "sum", format!("the weights must add up to 100, not {sum}")).into(),
                    );
                }
                Some(serde_json::to_string(w).map_err(|e| AppError::Refused(e.to_string()))?)
            }
        };
        if (input.importance || input.overall) && !has_battery(&kind) {
            return Err(Invalid::one(
                "importance",
                "not_asked",
                "importance points and overall satisfaction go with an item battery",
            )
            .into());
        }
        let s = self
            .store
            .create_survey(NewSurvey {
                slug,
                kind,
                title,
                language: language.code().into(),
                weights,
                importance: input.importance,
                overall: input.overall,
                comment: input.comment,
                competitor,
                status,
                created_by: actor.user_id(),
                items: items.iter().map(|b| b.id).collect(),
                now: now_ms(),
            })
            .await
            .map_err(crate::error::conflict_says("a survey with this slug exists".into()))?;
        self.audit(
            actor,
            "survey.create",
            s.id.to_string(),
            json!({"kind": s.kind, "title": s.title}),
        )
        .await?;
        self.survey_view(s).await
    }

    /// A survey with its items and dimensions as answering needs them: a survey's items are fixed
    /// when it is created, so they are read once and kept (the wording is not: pages read it).
    async fn answer_view(&self, survey: Survey) -> AppResult<SurveyView> {
        let cached = self.survey_layouts.lock().ok().and_then(|m| m.get(&survey.id).cloned());
        let parts = match cached {
            Some(p) => p,
            None => {
                let v = self.survey_view(survey.clone()).await?;
                let p = Arc::new((v.items, v.dimensions));
                if let Ok(mut m) = self.survey_layouts.lock() {
                    if m.len() > 1_000 {
                        m.clear();
                    }
                    m.insert(survey.id, p.clone());
                }
                p
            }
        };
        let weights = survey
            .weights
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Store(StoreError::Data(e.to_string())))?;
        Ok(SurveyView {
            survey,
            items: parts.0.clone(),
            dimensions: parts.1.clone(),
            weights,
        })
    }

    fn answer_writer(&self) -> AnswerWriter {
        self.answer_writer
            .get_or_init(|| AnswerWriter::start(self.store.clone()))
            .clone()
    }

    async fn survey_view(&self, survey: Survey) -> AppResult<SurveyView> {
        let items = self.store.survey_items(survey.id).await?;
        let all = self.store.survey_dimensions().await?;
        let mut dimensions: Vec<SurveyDimension> = Vec::new();
        for it in &items {
            if !dimensions.iter().any(|d| d.code == it.dimension)
                && let Some(d) = all.iter().find(|d| d.code == it.dimension)
            {
                dimensions.push(d.clone());
            }
        }
        let weights = survey
            .weights
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| AppError::Store(StoreError::Data(e.to_string())))?;
        Ok(SurveyView {
            survey,
            items,
            dimensions,
            weights,
        })
    }

    pub async fn get_survey(&self, actor: &Actor, id: i64) -> AppResult<SurveyView> {
        require_survey_manager(actor)?;
        let s = self.store.get_survey(id).await?;
        self.survey_view(s).await
    }

    /// The id of the survey a key names: its id (digits) or its slug. Unknown → `NotFound`.
    pub async fn survey_id_of(&self, actor: &Actor, key: &str) -> AppResult<i64> {
        require_survey_manager(actor)?;
        let key = key.trim();
        match key.parse::<i64>() {
            Ok(id) => Ok(self.store.get_survey(id).await?.id),
            Err(_) => Ok(self.store.survey_by_slug(key).await?.id),
        }
    }

    /// Every survey, newest first, with its number of final answers.
    pub async fn list_surveys(&self, actor: &Actor) -> AppResult<Vec<(Survey, i64)>> {
        require_survey_manager(actor)?;
        Ok(self.store.list_surveys().await?)
    }

    /// Makes tokenised links (the plain tokens are in the answer only).
    pub async fn make_survey_links(&self, actor: &Actor, survey_id: i64, req: LinkRequest) -> AppResult<Vec<MadeLink>> {
        require_survey_manager(actor)?;
        let survey = self.store.get_survey(survey_id).await?;
        if survey.status != "open" {
            return Err(AppError::Refused(format!("the survey is {}, not open", survey.status)));
        }
        let days = req.expires_in_days.unwrap_or(30);
        if !(1..=365).contains(&days) {
            return Err(Invalid::one("expires_in_days", "out_of_range", "expires_in_days is 1 to 365").into());
        }
        if req.customer_ids.len() > MAX_LINKS {
            return Err(Invalid::one(
                "customer_ids",
                "too_many",
                format!("at most {MAX_LINKS} links at a time"),
            )
            .into());
        }
        let lang = parse_language("language", req.language.as_deref())?;
        let default_lang = Language::parse(&survey.language).unwrap_or(Language::ZhCn);
        let now = now_ms();
        let expires_at = now + i64::from(days) * 86_400_000;
        let mut rows = Vec::new();
        let mut tokens = Vec::new();
        let count = req.count.unwrap_or(1) as usize;
        if !(1..=MAX_LINKS).contains(&count) || (req.count.is_some() && !req.customer_ids.is_empty()) {
            return Err(Invalid::one(
                "count",
                "out_of_range",
                format!("count is 1 to {MAX_LINKS}, and only without customer_ids"),
            )
            .into());
        }
        let targets: Vec<Option<i64>> = if req.customer_ids.is_empty() {
            vec![None; count]
        } else {
            req.customer_ids.iter().copied().map(Some).collect()
        };
        for (n, c) in targets.into_iter().enumerate() {
            let (contact, language) = match c {
                None => (None, lang.unwrap_or(default_lang)),
                Some(id) => {
                    match self.store.get_customer(id).await {
                        Ok(c) if c.deleted_at.is_none() => {}
                        Ok(_) | Err(StoreError::NotFound) => {
                            return Err(Invalid::one(
                                &format!("customer_ids[{n}]"),
                                "unknown_customer",
                                format!("no customer {id}"),
                            )
                            .into());
                        }
                        Err(e) => return Err(e.into()),
                    }
                    let contacts = self.store.list_contacts(id).await?;
                    let primary = contacts.iter().find(|c| c.is_primary).or(contacts.first());
                    (
                        primary.map(|c| c.id),
                        lang.or(primary.and_then(|c| c.language)).unwrap_or(default_lang),
                    )
                }
            };
            let token = random_secret();
            rows.push(NewSurveyLink {
                survey_id,
                token_hash: sha256_hex(&token),
                customer_id: c,
                contact_id: contact,
                ticket_id: None,
                language: language.code().into(),
                expires_at,
                now,
                campaign_id: None,
                token: None,
                user_id: None,
            });
            tokens.push(token);
        }
        let links = self.store.create_survey_links(&rows).await?;
        self.audit(
            actor,
            "survey.links",
            survey_id.to_string(),
            json!({"count": links.len()}),
        )
        .await?;
        Ok(links
            .into_iter()
            .zip(tokens)
            .map(|(link, token)| MadeLink { link, token })
            .collect())
    }

    /// The link behind a token: unknown, expired (unless answered) or of a survey not open → `NotFound`.
    async fn live_link(&self, token: &str) -> AppResult<SurveyLink> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let link = self.store.survey_link_by_token(&sha256_hex(token)).await?;
        if link.answered_at.is_none() && link.expires_at <= now_ms() {
            return Err(AppError::NotFound);
        }
        Ok(link)
    }

    /// A link's survey in its respondent's language, with what was saved so far.
    pub async fn survey_for_token(&self, token: &str) -> AppResult<LinkSurvey> {
        let link = self.live_link(token).await?;
        let survey = self.store.get_survey(link.survey_id).await?;
        if survey.status == "draft" {
            return Err(AppError::NotFound);
        }
        let view = self.survey_view(survey).await?;
        let response = match self.store.survey_response_of(link.id).await? {
            Some(r) => {
                let a: Answers = serde_json::from_str(&r.answers).unwrap_or_default();
                Some((r, a))
            }
            None => None,
        };
        Ok(LinkSurvey { link, view, response })
    }

    /// Saves (`final_` false) or submits an answer through a link. A bad answer changes nothing;
    /// a second final answer is `Conflict`; an unknown or expired token `NotFound`.
    pub async fn answer_survey(
        &self,
        token: &str,
        answers: Answers,
        comment: &str,
        final_: bool,
    ) -> AppResult<SurveyResponse> {
        // What answering needs, without the wording: the link, the survey, its (fixed) layout.
        let link = self.live_link(token).await?;
        let survey = self.store.get_survey(link.survey_id).await?;
        if survey.status == "draft" {
            return Err(AppError::NotFound);
        }
        let ls = LinkSurvey {
            view: self.answer_view(survey).await?,
            link,
            response: None,
        };
        if ls.answered() {
            return Err(AppError::Conflict("this survey has been answered already".into()));
        }
        if ls.opted_out() {
            return Err(AppError::Conflict("this link was opted out".into()));
        }
        if ls.view.survey.status != "open" {
            return Err(AppError::Refused("the survey is closed".into()));
        }
        ls.view.check_answers(&answers, comment, final_)?;
        let now = now_ms();
        let tz = self.time_zone().await;
        let period = jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_zoned(tz).strftime("%Y-%m").to_string())
            .unwrap_or_else(|_| "1970-01".into());
        let customer = match ls.link.customer_id {
            Some(id) => Some(self.store.get_customer(id).await?),
            None => None,
        };
        let ticket = match ls.link.ticket_id {
            Some(id) => Some(self.store.get_ticket(id).await?),
            None => None,
        };
        // Whether the ticket answered about met every SLA target (dissatisfaction causes).
        let sla = match &ticket {
            Some(t) => {
                let v = self.view_tickets(vec![t.clone()]).await?.remove(0);
                let breached = [&v.sla.first_response, &v.sla.next_response, &v.sla.resolution]
                    .iter()
                    .any(|s| s.state == kefu_core::sla::SlaState::Breached);
                Some(if breached { "breached" } else { "met" })
            }
            None => None,
        };
        // Employee surveys: the staff member's role.
        let role = match ls.link.user_id {
            Some(id) => Some(self.store.get_user(id).await?.role.to_string()),
            None => None,
        };
        let segment = json!({
            "role": role,
            "tier": customer.as_ref().map(|c| c.value_tier.as_str()),
            "kind": customer.as_ref().map(|c| c.kind.as_str()),
            "region": customer.as_ref().map(|c| c.region.clone()).filter(|r| !r.is_empty()),
            "channel": ticket.as_ref().map(|t| t.channel.as_str()),
            "agent": ticket.as_ref().and_then(|t| t.assignee_id),
            "product": ticket.as_ref().map(|t| t.product.clone()).filter(|p| !p.is_empty()),
            "sla": sla,
            "period": period,
        });
        let write = ResponseWrite {
            link_id: ls.link.id,
            answers: serde_json::to_string(&answers).map_err(|e| AppError::Refused(e.to_string()))?,
            comment: comment.trim().to_owned(),
            segment: segment.to_string(),
            now,
        };
        let stored = if final_ {
            let pending = PendingAnswer {
                answer: FinalAnswer {
                    write,
                    keys: stats_keys(&segment),
                },
                view: Arc::new(ls.view),
                answers,
            };
            self.answer_writer().write(pending).await
        } else {
            self.store.save_partial_response(write).await
        };
        match stored {
            Ok(r) => Ok(r),
            // The link was answered, opted out or expired between the read and the write.
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict("this survey has been answered already".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Opts a link out (the fatigue rule honours it). Unknown token → `NotFound`.
    pub async fn opt_out_survey(&self, token: &str) -> AppResult<SurveyLink> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let link = self.store.survey_link_by_token(&sha256_hex(token)).await?;
        Ok(self.store.opt_out_survey_link(link.id, now_ms()).await?)
    }

    /// The report of a survey from its sufficient statistics, for a segment and months `from..=to`.
    pub async fn survey_report(
        &self,
        actor: &Actor,
        survey_id: i64,
        segment: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<SurveyReport> {
        require_survey_manager(actor)?;
        let segment = parse_segment(segment)?;
        let from = parse_period("from", from)?;
        let to = parse_period("to", to)?;
        let view = self.get_survey(actor, survey_id).await?;
        let (from_, to_) = (from.as_deref(), to.as_deref());
        let months = self.period_stats(&view, &segment, from_, to_).await?;
        let mut acc = SurveyAccumulator::new(&view)?;
        for (_, part) in &months {
            acc.merge(part)?;
        }
        let trend = trend_of(&view, &segment, &months)?;
        let met = self
            .merged_stats(&view, &format!("{segment}|sla:met"), from_, to_)
            .await?;
        let breached = self
            .merged_stats(&view, &format!("{segment}|sla:breached"), from_, to_)
            .await?;
        let mut r = Self::report_from(view, segment, from, to, &acc)?;
        r.dissatisfaction = dissatisfaction(&r.view, &met, &breached);
        r.trend = trend;
        Ok(r)
    }

    /// The statistics of a survey for one segment, month by month within `from..=to`.
    async fn period_stats(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Vec<(String, SurveyAccumulator)>> {
        let rows = self.store.survey_stats(view.survey.id, segment, from, to).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(s) = r.accumulator {
                let acc: SurveyAccumulator =
                    serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Data(e.to_string())))?;
                out.push((r.period, acc));
            }
        }
        Ok(out)
    }

    /// The statistics rows of a survey for one segment and months `from..=to`, merged.
    async fn merged_stats(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<SurveyAccumulator> {
        let mut acc = SurveyAccumulator::new(view)?;
        for (_, part) in self.period_stats(view, segment, from, to).await? {
            acc.merge(&part)?;
        }
        Ok(acc)
    }

    /// The report of an accumulator (also what a rebuild from raw answers is checked with).
    pub fn report_from(
        view: SurveyView,
        segment: String,
        from: Option<String>,
        to: Option<String>,
        acc: &SurveyAccumulator,
    ) -> Result<SurveyReport, Invalid> {
        let mut r = SurveyReport {
            view,
            segment,
            from,
            to,
            n_responses: 0,
            servqual: None,
            nps: None,
            csat: None,
            ces: None,
            custom: vec![],
            competitor: None,
            dissatisfaction: None,
            trend: vec![],
        };
        match acc {
            SurveyAccumulator::Servqual(a) => {
                r.n_responses = a.n_respondents;
                r.servqual = Some(a.report(r.view.weight_vec().as_deref())?);
            }
            SurveyAccumulator::Benchmarked(a, c) => {
                r.n_responses = a.n_respondents;
                r.servqual = Some(a.report(r.view.weight_vec().as_deref())?);
                r.competitor = Some((
                    r.view.survey.competitor.clone().unwrap_or_default(),
                    c.report(&a.layout),
                ));
            }
            SurveyAccumulator::Scale(c) => {
                r.n_responses = c.n();
                match r.view.survey.kind.as_str() {
                    "nps" => r.nps = Some(c.nps()?),
                    "csat" => r.csat = Some(c.csat()?),
                    _ => r.ces = Some(c.ces()?),
                }
            }
            SurveyAccumulator::Custom(m) => {
                r.n_responses = m.values().map(AnswerCounts::n).max().unwrap_or(0);
                r.custom = r
                    .view
                    .items
                    .iter()
                    .map(|i| (i.code.clone(), m.get(&i.code).cloned().unwrap_or_default().scale_item()))
                    .collect();
            }
        }
        Ok(r)
    }

    /// The segments a survey's report can be cut by now (those its answers have), `all` first.
    pub async fn survey_segments(&self, actor: &Actor, survey_id: i64) -> AppResult<Vec<String>> {
        require_survey_manager(actor)?;
        let mut out = vec!["all".to_owned()];
        out.extend(
            self.store
                .survey_segments(survey_id)
                .await?
                .into_iter()
                .filter(|s| s != "all" && !s.contains('|')),
        );
        Ok(out)
    }

    /// The lowest-scoring items of a report (the most negative gap; for SERVPERF the lowest P),
    /// each with the comments of respondents who rated it low (P below E; P of 3 or less without
    /// E), from the newest answers that came with a comment.
    pub async fn lowest_items(&self, actor: &Actor, report: &SurveyReport, items: usize) -> AppResult<Vec<LowItem>> {
        require_survey_manager(actor)?;
        let Some(sq) = &report.servqual else {
            return Ok(vec![]);
        };
        let score = |i: &kefu_core::stats::servqual::ItemStats| {
            i.gap_mean.or(if report.view.survey.kind == "servqual" {
                None
            } else {
                i.p_mean
            })
        };
        let mut ranked: Vec<(&str, f64)> = sq
            .items
            .iter()
            .filter_map(|i| Some((i.item.as_str(), score(i)?)))
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        ranked.truncate(items);
        let answers = self
            .store
            .commented_answers(report.view.survey.id, LOW_ITEM_SCAN)
            .await?;
        let parsed: Vec<(Answers, String)> = answers
            .into_iter()
            .filter_map(|(a, c)| Some((serde_json::from_str::<Answers>(&a).ok()?, c)))
            .collect();
        Ok(ranked
            .into_iter()
            .map(|(code, score)| {
                let low = |a: &Answers| match (a.expectation.get(code), a.perception.get(code)) {
                    (Some(e), Some(p)) => p < e,
                    (None, Some(p)) => *p <= 3,
                    _ => false,
                };
                LowItem {
                    code: code.to_owned(),
                    score,
                    comments: parsed
                        .iter()
                        .filter(|(a, _)| low(a))
                        .take(LOW_ITEM_COMMENTS)
                        .map(|(_, c)| c.clone())
                        .collect(),
                }
            })
            .collect())
    }

    /// Final comments of a survey, newest first.
    pub async fn survey_comments(&self, actor: &Actor, survey_id: i64, limit: u32) -> AppResult<Vec<(String, i64)>> {
        require_survey_manager(actor)?;
        Ok(self.store.survey_comments(survey_id, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(kind: &str, items: &[(&str, &str)]) -> SurveyView {
        SurveyView {
            survey: Survey {
                id: 1,
                slug: "s".into(),
                kind: kind.into(),
                title: "t".into(),
                language: "zh-CN".into(),
                weights: None,
                importance: false,
                overall: false,
                comment: true,
                competitor: None,
                status: "open".into(),
                created_by: None,
                created_at: 0,
                updated_at: 0,
            },
            items: items
                .iter()
                .enumerate()
                .map(|(i, (code, dim))| bare_item(i, i as i64 + 1, code, dim))
                .collect(),
            dimensions: vec![],
            weights: None,
        }
    }

    #[test]
    fn a_ticket_answer_also_counts_under_its_sla_outcome() {
        let keys = stats_keys(&json!({"tier": "A", "channel": "email", "sla": "breached", "period": "2026-12"}));
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "all",
                "tier:A",
                "channel:email",
                "all|sla:breached",
                "tier:A|sla:breached",
                "channel:email|sla:breached"
            ]
        );
        assert!(keys.iter().all(|(_, p)| p == "2026-12"));
        assert_eq!(stats_keys(&json!({"period": "2026-12"})).len(), 1);
    }

    #[test]
    fn dissatisfaction_splits_by_whether_the_ticket_met_its_targets() {
        use kefu_core::stats::descriptive::wilson;
        let v = view("servqual", &[("Q1", "a"), ("Q2", "b")]);
        let (mut met, mut breached) = (SurveyAccumulator::new(&v).unwrap(), SurveyAccumulator::new(&v).unwrap());
        let answer = |e: [u8; 2], p: [u8; 2]| Answers {
            expectation: [("Q1".to_owned(), e[0]), ("Q2".to_owned(), e[1])].into(),
            perception: [("Q1".to_owned(), p[0]), ("Q2".to_owned(), p[1])].into(),
            ..Default::default()
        };
        // Met: two dissatisfied on a (P < E), one on b. Breached: one on a, none on b.
        met.add(&v, &answer([6, 5], [4, 5])).unwrap();
        met.add(&v, &answer([7, 6], [5, 3])).unwrap();
        met.add(&v, &answer([3, 3], [5, 5])).unwrap();
        breached.add(&v, &answer([7, 2], [1, 6])).unwrap();
        let rows = dissatisfaction(&v, &met, &breached).unwrap();
        assert_eq!(rows[0].code, "a");
        assert_eq!((rows[0].dissatisfied, rows[0].value_not_perceived.count), (3, 2));
        assert_eq!(rows[0].value_below_expectation, wilson(1, 3));
        assert_eq!((rows[1].dissatisfied, rows[1].value_below_expectation.count), (1, 0));
        // NPS: 0–6 are dissatisfied.
        let v = view("nps", &[]);
        let (mut met, mut breached) = (SurveyAccumulator::new(&v).unwrap(), SurveyAccumulator::new(&v).unwrap());
        for s in [0, 6, 7, 10] {
            met.add(
                &v,
                &Answers {
                    score: Some(s),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        breached
            .add(
                &v,
                &Answers {
                    score: Some(3),
                    ..Default::default()
                },
            )
            .unwrap();
        let rows = dissatisfaction(&v, &met, &breached).unwrap();
        assert_eq!((rows[0].code.as_str(), rows[0].dissatisfied), ("overall", 3));
        assert_eq!(rows[0].value_not_perceived, wilson(2, 3));
        let empty = SurveyAccumulator::new(&v).unwrap();
        assert!(dissatisfaction(&v, &empty, &empty).is_none(), "no ticket answers");
    }
}
