//! The other survey kinds: NPS, CSAT, CES, custom scales (docs/statistics.md#nps, #csat, #ces,
//! #custom-scales), and the split of dissatisfied answers into value not perceived and value below
//! expectation (docs/statistics.md#dissatisfaction-causes).

use super::descriptive::{Interval, MeanSummary, Share, summarize, wilson};
use super::distributions::Z95;
use crate::error::Invalid;
use serde::Serialize;
use std::collections::BTreeMap;

fn check_range(field: &str, answers: &[u8], lo: u8, hi: u8) -> Result<(), Invalid> {
    match answers.iter().find(|a| !(lo..=hi).contains(a)) {
        Some(bad) => Err(Invalid::one(
            field,
            "out_of_range",
            format!("answer {bad} is not {lo} to {hi}"),
        )),
        None => Ok(()),
    }
}

/// Net Promoter Score (0–10 answers): promoters 9–10, detractors 0–6.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NpsReport {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// 100·(pP − pD).
    pub nps: Option<f64>,
    /// 100·√((pP + pD − (pP − pD)²)/n).
    pub nps_se: Option<f64>,
    /// nps ± z·nps_se.
    pub nps_ci95: Option<Interval>,
}

/// NPS from its three counts (what an incremental report keeps).
pub fn nps_from_counts(promoters: u64, passives: u64, detractors: u64) -> NpsReport {
    let n = promoters + passives + detractors;
    let mut out = NpsReport {
        n,
        promoters,
        passives,
        detractors,
        nps: None,
        nps_se: None,
        nps_ci95: None,
    };
    if n == 0 {
        return out;
    }
    let nf = n as f64;
    let pp = promoters as f64 / nf;
    let pd = detractors as f64 / nf;
    let nps = 100.0 * (pp - pd);
    let var = (pp + pd - (pp - pd) * (pp - pd)).max(0.0);
    let se = 100.0 * (var / nf).sqrt();
    out.nps = Some(nps);
    out.nps_se = Some(se);
    out.nps_ci95 = Some(Interval {
        lo: nps - Z95 * se,
        hi: nps + Z95 * se,
    });
    out
}

/// NPS of raw 0–10 answers.
pub fn nps(answers: &[u8]) -> Result<NpsReport, Invalid> {
    check_range("answers", answers, 0, 10)?;
    let count = |r: std::ops::RangeInclusive<u8>| answers.iter().filter(|a| r.contains(a)).count() as u64;
    Ok(nps_from_counts(count(9..=10), count(7..=8), count(0..=6)))
}

/// CSAT (1–5 answers): `csat` the share of 4 and 5 (a proportion 0–1), `csat_ci95` its Wilson
/// interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CsatReport {
    pub n: u64,
    pub satisfied: u64,
    pub csat: Option<f64>,
    pub csat_ci95: Option<Interval>,
}

/// CSAT from its counts (what an incremental report keeps).
pub fn csat_from_counts(satisfied: u64, n: u64) -> CsatReport {
    let Share { share, ci95, .. } = wilson(satisfied, n);
    CsatReport {
        n,
        satisfied,
        csat: share,
        csat_ci95: ci95,
    }
}

pub fn csat(answers: &[u8]) -> Result<CsatReport, Invalid> {
    check_range("answers", answers, 1, 5)?;
    let satisfied = answers.iter().filter(|&&a| a >= 4).count() as u64;
    Ok(csat_from_counts(satisfied, answers.len() as u64))
}

/// CES (1–7 answers): `ces_mean` with its t-interval `ces_ci95` (and n, sd), `ces_top3` the share
/// of 5–7 (a proportion 0–1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CesReport {
    pub n: u64,
    pub ces_mean: Option<f64>,
    pub ces_sd: Option<f64>,
    pub ces_ci95: Option<Interval>,
    pub ces_top3: Option<f64>,
}

pub fn ces(answers: &[u8]) -> Result<CesReport, Invalid> {
    check_range("answers", answers, 1, 7)?;
    let values: Vec<f64> = answers.iter().map(|&a| f64::from(a)).collect();
    let top = answers.iter().filter(|&&a| a >= 5).count() as f64;
    let MeanSummary { n, mean, sd, ci95 } = summarize(&values);
    Ok(CesReport {
        n,
        ces_mean: mean,
        ces_sd: sd,
        ces_ci95: ci95,
        ces_top3: (!answers.is_empty()).then(|| top / answers.len() as f64),
    })
}

/// One item of a custom scale: mean, sd, t-interval and the distribution of answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleItemReport {
    pub summary: MeanSummary,
    pub distribution: BTreeMap<i64, u64>,
}

/// A custom scale item's answers (`None` unanswered, counted nowhere).
pub fn scale_item(answers: &[Option<i64>]) -> ScaleItemReport {
    let values: Vec<f64> = answers.iter().flatten().map(|&a| a as f64).collect();
    let mut distribution = BTreeMap::new();
    for a in answers.iter().flatten() {
        *distribution.entry(*a).or_insert(0) += 1;
    }
    ScaleItemReport {
        summary: summarize(&values),
        distribution,
    }
}

/// Whether an answer of a transactional survey is dissatisfied
/// (docs/statistics.md#dissatisfaction-causes).
pub fn dissatisfied_csat(answer: u8) -> bool {
    (1..=2).contains(&answer)
}
pub fn dissatisfied_nps(answer: u8) -> bool {
    answer <= 6
}
pub fn dissatisfied_ces(answer: u8) -> bool {
    (1..=3).contains(&answer)
}
/// SERVQUAL: dissatisfied on a dimension when the respondent gap Q_id < 0.
pub fn dissatisfied_gap(q_id: f64) -> bool {
    q_id < 0.0
}

/// Dissatisfied respondents split by whether their ticket met every SLA target: met → "value not
/// perceived" (a communication problem), breached → "value below expectation" (delivery). Each
/// share is of the dissatisfied, with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DissatisfactionCauses {
    pub n_dissatisfied: u64,
    pub value_not_perceived: Share,
    pub value_below_expectation: Share,
}

/// `respondents`: (dissatisfied, every SLA target met) per respondent.
pub fn dissatisfaction_causes(respondents: &[(bool, bool)]) -> DissatisfactionCauses {
    let n = respondents.iter().filter(|r| r.0).count() as u64;
    let met = respondents.iter().filter(|r| r.0 && r.1).count() as u64;
    DissatisfactionCauses {
        n_dissatisfied: n,
        value_not_perceived: wilson(met, n),
        value_below_expectation: wilson(n - met, n),
    }
}

/// The sufficient statistic of a single-question scale (NPS, CSAT, CES, a custom item): how many
/// times each answer was given. Every figure above follows exactly from it (n, Σ, Σ² are sums
/// over the counts), and two merge by adding counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AnswerCounts {
    pub counts: BTreeMap<i64, u64>,
}

impl AnswerCounts {
    pub fn add(&mut self, answer: i64) {
        *self.counts.entry(answer).or_insert(0) += 1;
    }

    /// Answers within `lo..=hi` (the dissatisfied answers of a scale: 1–2 of CSAT, 0–6 of NPS,
    /// 1–3 of CES).
    pub fn count_between(&self, lo: i64, hi: i64) -> u64 {
        self.counts.range(lo..=hi).map(|(_, c)| c).sum()
    }

    pub fn merge(&mut self, other: &AnswerCounts) {
        for (&a, &c) in &other.counts {
            *self.counts.entry(a).or_insert(0) += c;
        }
    }

    pub fn n(&self) -> u64 {
        self.counts.values().sum()
    }

    fn count_in(&self, r: std::ops::RangeInclusive<i64>) -> u64 {
        self.counts.range(r).map(|(_, c)| c).sum()
    }

    fn check(&self, lo: i64, hi: i64) -> Result<(), Invalid> {
        match self.counts.keys().find(|a| !(lo..=hi).contains(*a)) {
            Some(bad) => Err(Invalid::one(
                "answers",
                "out_of_range",
                format!("answer {bad} is not {lo} to {hi}"),
            )),
            None => Ok(()),
        }
    }

    /// n, mean, sd, t-interval from exact integer sums.
    pub fn summary(&self) -> MeanSummary {
        let mut m = super::descriptive::IntMoments::default();
        for (&a, &c) in &self.counts {
            let (a, c) = (i128::from(a), i128::from(c));
            m.n += c as u64;
            m.sum += a * c;
            m.sum_sq += a * a * c;
        }
        m.summary(1)
    }

    pub fn nps(&self) -> Result<NpsReport, Invalid> {
        self.check(0, 10)?;
        Ok(nps_from_counts(
            self.count_in(9..=10),
            self.count_in(7..=8),
            self.count_in(0..=6),
        ))
    }

    pub fn csat(&self) -> Result<CsatReport, Invalid> {
        self.check(1, 5)?;
        Ok(csat_from_counts(self.count_in(4..=5), self.n()))
    }

    pub fn ces(&self) -> Result<CesReport, Invalid> {
        self.check(1, 7)?;
        let MeanSummary { n, mean, sd, ci95 } = self.summary();
        Ok(CesReport {
            n,
            ces_mean: mean,
            ces_sd: sd,
            ces_ci95: ci95,
            ces_top3: (n > 0).then(|| self.count_in(5..=7) as f64 / n as f64),
        })
    }

    /// The custom-scale item report.
    pub fn scale_item(&self) -> ScaleItemReport {
        ScaleItemReport {
            summary: self.summary(),
            distribution: self.counts.clone(),
        }
    }
}
