//! Reports over a survey's statistics: the figures of each kind for a segment and a range of
//! months, the competitor beside us, the trend, the lowest items with their comments, and the
//! report as the API serves it.

use super::causes::{CauseRow, dissatisfaction};
use super::require_survey_manager;
use super::statistics::{SurveyAccumulator, parse_segment};
use super::view::{Answers, SurveyView};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::stats::ServqualReport;
use kefu_core::stats::competitor::CompetitorReport;
use kefu_core::stats::scales::{AnswerCounts, CesReport, CsatReport, NpsReport, ScaleItemReport};
use kefu_store::StoreError;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Parsed statistics of the kept months: (survey, segment, first month or none, last kept month)
/// → (the survey statistics' epoch they were read at, the months).
pub(crate) type SurveyStatsCache =
    std::collections::HashMap<(i64, String, Option<String>, String), (i64, Arc<Vec<(String, SurveyAccumulator)>>)>;

/// At most this many ranges are kept (each up to a few hundred months); past it the cache starts afresh.
const SURVEY_STATS_CACHE_ENTRIES: usize = 500;

/// The month before `YYYY-MM`.
fn previous_month(month: &str) -> String {
    let (y, m) = month.split_once('-').unwrap_or(("1970", "01"));
    let (y, m) = (y.parse::<i32>().unwrap_or(1970), m.parse::<u32>().unwrap_or(1));
    if m <= 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
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
            let (value, ci95) = rep.headline();
            Ok(TrendPoint {
                period: period.clone(),
                n: rep.n_responses,
                value,
                ci95,
            })
        })
        .collect()
}

impl SurveyReport {
    /// The report's headline figure and its 95 % interval: the unweighted SERVQUAL score (no
    /// interval), NPS, CSAT (a share) or the CES mean; none for custom batteries.
    pub fn headline(&self) -> (Option<f64>, Option<kefu_core::stats::Interval>) {
        if let Some(s) = &self.servqual {
            (s.servqual.unweighted, None)
        } else if let Some(n) = &self.nps {
            (n.nps, n.nps_ci95)
        } else if let Some(c) = &self.csat {
            (c.csat, c.csat_ci95)
        } else if let Some(c) = &self.ces {
            (c.ces_mean, c.ces_ci95)
        } else {
            (None, None)
        }
    }
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
    /// The report as the API serves it (field names as docs/survey-report.schema.json gives them).
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
        if self.view.survey.kind == kefu_core::SurveyKind::Custom {
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

impl App {
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
        // One epoch for the report's reads, read before any of them.
        let epoch = self.store.survey_stats_epoch().await?;
        self.report_under(survey_id, segment, from, to, epoch).await
    }

    /// [`Self::survey_report`] of a checked segment and months, under a survey-statistics epoch
    /// read before it (the dashboard reads one for all its headlines).
    pub(crate) async fn report_under(
        &self,
        survey_id: i64,
        segment: String,
        from: Option<String>,
        to: Option<String>,
        epoch: i64,
    ) -> AppResult<SurveyReport> {
        let view = self.survey_view(self.store.get_survey(survey_id).await?).await?;
        let (from_, to_) = (from.as_deref(), to.as_deref());
        // The segment and its two SLA-outcome segments, in one read of the live months.
        let segments = [
            segment.clone(),
            format!("{segment}|sla:met"),
            format!("{segment}|sla:breached"),
        ];
        let mut each = self.period_stats_each(&view, &segments, from_, to_, epoch).await?;
        let merged = |parts: Vec<(String, SurveyAccumulator)>| -> AppResult<SurveyAccumulator> {
            let mut acc = SurveyAccumulator::new(&view)?;
            for (_, part) in &parts {
                acc.merge(part)?;
            }
            Ok(acc)
        };
        let breached = merged(each.pop().unwrap_or_default())?;
        let met = merged(each.pop().unwrap_or_default())?;
        let months = each.pop().unwrap_or_default();
        let mut acc = SurveyAccumulator::new(&view)?;
        for (_, part) in &months {
            acc.merge(part)?;
        }
        let trend = trend_of(&view, &segment, &months)?;
        let mut r = Self::report_from(view, segment, from, to, &acc)?;
        r.dissatisfaction = dissatisfaction(&r.view, &met, &breached);
        r.trend = trend;
        Ok(r)
    }

    /// The statistics of a survey for one segment, month by month within `from..=to`. The months
    /// before [`kefu_core::facts::month_kept_before`] are read and parsed once per survey
    /// statistics epoch and kept — a write into one of them bumps the epoch in its transaction —;
    /// the months from there on are read each time (docs/statistics.md, "Read fast").
    async fn period_stats(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
        epoch: i64,
    ) -> AppResult<Vec<(String, SurveyAccumulator)>> {
        let segments = [segment.to_owned()];
        Ok(self
            .period_stats_each(view, &segments, from, to, epoch)
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// [`Self::period_stats`] of several segments, in their order: each one's kept past, and
    /// the live months of all of them in one read.
    async fn period_stats_each(
        &self,
        view: &SurveyView,
        segments: &[String],
        from: Option<&str>,
        to: Option<&str>,
        epoch: i64,
    ) -> AppResult<Vec<Vec<(String, SurveyAccumulator)>>> {
        let boundary = kefu_core::facts::month_kept_before(crate::now_ms());
        if from.is_some_and(|f| f >= boundary.as_str()) {
            return self.read_period_stats(view.survey.id, segments, from, to).await;
        }
        let mut out = Vec::with_capacity(segments.len());
        for segment in segments {
            out.push(
                self.kept_period_stats(view, segment, from, to, &boundary, epoch)
                    .await?,
            );
        }
        if to.is_none_or(|t| t >= boundary.as_str()) {
            let live = self
                .read_period_stats(view.survey.id, segments, Some(&boundary), to)
                .await?;
            for (parts, more) in out.iter_mut().zip(live) {
                parts.extend(more);
            }
        }
        Ok(out)
    }

    /// The months of a segment before `boundary`, kept under the statistics `epoch`.
    async fn kept_period_stats(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
        boundary: &str,
        epoch: i64,
    ) -> AppResult<Vec<(String, SurveyAccumulator)>> {
        let id = view.survey.id;
        let closed_to = previous_month(boundary);
        let closed_to = match to {
            Some(t) if t < closed_to.as_str() => t.to_owned(),
            _ => closed_to,
        };
        // `epoch` was read before the rows: a write that lands in between is in them or bumps
        // the epoch past what they are kept under.
        let key = (id, segment.to_owned(), from.map(str::to_owned), closed_to.clone());
        let kept = (self.survey_stats_cache.lock().ok())
            .and_then(|c| c.get(&key).filter(|(e, _)| *e == epoch).map(|(_, rows)| rows.clone()));
        let past = match kept {
            Some(rows) => rows,
            None => {
                let segments = [segment.to_owned()];
                let rows = self.read_period_stats(id, &segments, from, Some(&closed_to)).await?;
                let rows = Arc::new(rows.into_iter().next().unwrap_or_default());
                if let Ok(mut c) = self.survey_stats_cache.lock() {
                    if c.len() >= SURVEY_STATS_CACHE_ENTRIES {
                        c.clear();
                    }
                    c.insert(key, (epoch, rows.clone()));
                }
                rows
            }
        };
        Ok((*past).clone())
    }

    /// The months `from..=to` of each segment, in their order, in one read.
    async fn read_period_stats(
        &self,
        survey_id: i64,
        segments: &[String],
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Vec<Vec<(String, SurveyAccumulator)>>> {
        let rows = self.store.survey_stats_each(survey_id, segments, from, to).await?;
        let mut out = vec![Vec::new(); segments.len()];
        for r in rows {
            let (Some(i), Some(s)) = (segments.iter().position(|x| *x == r.segment), r.accumulator) else {
                continue;
            };
            let acc: SurveyAccumulator =
                serde_json::from_str(&s).map_err(|e| AppError::Store(StoreError::Data(e.to_string())))?;
            out[i].push((r.period, acc));
        }
        Ok(out)
    }

    /// The statistics rows of a survey for one segment and months `from..=to`, merged.
    pub(crate) async fn merged_stats(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<SurveyAccumulator> {
        let epoch = self.store.survey_stats_epoch().await?;
        self.merged_at(view, segment, from, to, epoch).await
    }

    /// [`Self::merged_stats`] under a survey-statistics epoch read before it.
    async fn merged_at(
        &self,
        view: &SurveyView,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
        epoch: i64,
    ) -> AppResult<SurveyAccumulator> {
        let mut acc = SurveyAccumulator::new(view)?;
        for (_, part) in self.period_stats(view, segment, from, to, epoch).await? {
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
                match r.view.survey.kind {
                    kefu_core::SurveyKind::Nps => r.nps = Some(c.nps()?),
                    kefu_core::SurveyKind::Csat => r.csat = Some(c.csat()?),
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
            i.gap_mean.or(if report.view.survey.kind.asks_expectations() {
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
