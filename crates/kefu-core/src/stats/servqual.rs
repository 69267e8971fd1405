//! The SERVQUAL report (docs/statistics.md#item-gaps … #servqual-scores): item gaps, respondent
//! dimension scores and dimension gaps, reliability per dimension, the overall scores
//! (unweighted, mean item gap, manager-weighted, respondent-weighted) and the
//! importance–performance rows. [`servqual_report`] computes it from raw answers;
//! [`super::accumulator::ServqualAccumulator`] computes the same from sufficient statistics.

use super::descriptive::{Interval, MeanSummary, mean, pearson, summarize};
use super::ipa::{Ipa, IpaRow, classify};
use super::reliability::{Reliability, reliability};
use crate::error::Invalid;
use serde::Serialize;

/// The largest number of items in one dimension: respondent dimension scores are kept exactly as
/// integers scaled by lcm(1..=k), which must stay small enough for i128 sums of squares.
pub const MAX_ITEMS_PER_DIMENSION: usize = 20;

/// The lowest and highest answer on the 7-point scale.
pub const SCALE_MIN: u8 = 1;
pub const SCALE_MAX: u8 = 7;

/// A dimension: its code and the indexes of its items in the battery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Dimension {
    pub code: String,
    pub items: Vec<usize>,
}

/// Which items a battery has and how they group into dimensions (dimensions are data, so a survey
/// may add items and dimensions: docs/statistics.md#servqual-answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ServqualLayout {
    pub items: Vec<String>,
    pub dimensions: Vec<Dimension>,
}

impl ServqualLayout {
    /// The 22 items of Parasuraman, Zeithaml & Berry (1991) in the five dimensions
    /// (servqual-items.md): tangibles Q1–Q4, reliability Q5–Q9, responsiveness Q10–Q13,
    /// assurance Q14–Q17, empathy Q18–Q22.
    pub fn standard() -> ServqualLayout {
        let dims = [
            ("tangibles", 0..4),
            ("reliability", 4..9),
            ("responsiveness", 9..13),
            ("assurance", 13..17),
            ("empathy", 17..22),
        ];
        ServqualLayout {
            items: (1..=22).map(|i| format!("Q{i}")).collect(),
            dimensions: dims
                .into_iter()
                .map(|(code, r)| Dimension {
                    code: code.to_owned(),
                    items: r.collect(),
                })
                .collect(),
        }
    }

    /// Checks that every dimension has 1..=[`MAX_ITEMS_PER_DIMENSION`] existing items and that no
    /// item is in two dimensions.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut seen = vec![false; self.items.len()];
        if self.dimensions.is_empty() {
            return Err(Invalid::one("dimensions", "required", "at least one dimension"));
        }
        for d in &self.dimensions {
            if d.items.is_empty() || d.items.len() > MAX_ITEMS_PER_DIMENSION {
                return Err(Invalid::one(
                    "dimensions",
                    "out_of_range",
                    format!("dimension {} must have 1 to {MAX_ITEMS_PER_DIMENSION} items", d.code),
                ));
            }
            for &j in &d.items {
                match seen.get_mut(j) {
                    Some(s) if !*s => *s = true,
                    Some(_) => {
                        return Err(Invalid::one(
                            "dimensions",
                            "duplicate",
                            format!("item {j} is in two dimensions"),
                        ));
                    }
                    None => return Err(Invalid::one("dimensions", "unknown", format!("no item {j}"))),
                }
            }
        }
        Ok(())
    }

    /// lcm(1..=k) for the largest dimension: k·Q_id for every possible count of answered items
    /// becomes an integer when scaled by it.
    pub fn score_scale(&self) -> i128 {
        let k = self.dimensions.iter().map(|d| d.items.len()).max().unwrap_or(1);
        (1..=k as i128).fold(1, |l, m| l / gcd(l, m) * m)
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One respondent's answers: E and P per item (1–7, `None` unanswered), an optional 100-point
/// importance allocation across the dimensions, an optional overall satisfaction (1–7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct ServqualResponse {
    pub expectation: Vec<Option<u8>>,
    pub perception: Vec<Option<u8>>,
    pub allocation: Option<Vec<u32>>,
    pub overall: Option<u8>,
}

impl ServqualResponse {
    /// Checks lengths and ranges against the layout; an allocation must sum to 100.
    pub fn validate(&self, layout: &ServqualLayout) -> Result<(), Invalid> {
        let k = layout.items.len();
        for (field, v) in [("expectation", &self.expectation), ("perception", &self.perception)] {
            if v.len() != k {
                return Err(Invalid::one(
                    field,
                    "length",
                    format!("{} answers for {k} items", v.len()),
                ));
            }
            if let Some(bad) = v.iter().flatten().find(|a| !(SCALE_MIN..=SCALE_MAX).contains(a)) {
                return Err(Invalid::one(
                    field,
                    "out_of_range",
                    format!("answer {bad} is not 1 to 7"),
                ));
            }
        }
        if let Some(o) = self.overall
            && !(SCALE_MIN..=SCALE_MAX).contains(&o)
        {
            return Err(Invalid::one(
                "overall",
                "out_of_range",
                format!("answer {o} is not 1 to 7"),
            ));
        }
        if let Some(w) = &self.allocation {
            if w.len() != layout.dimensions.len() {
                return Err(Invalid::one("allocation", "length", "one weight per dimension"));
            }
            if w.iter().map(|&x| u64::from(x)).sum::<u64>() != 100 {
                return Err(Invalid::one("allocation", "sum", "the allocation must sum to 100"));
            }
        }
        Ok(())
    }

    /// Σ of the answered values in `items` and their count.
    pub(crate) fn dimension_sum(answers: &[Option<u8>], items: &[usize]) -> (i64, usize) {
        let mut sum = 0i64;
        let mut m = 0usize;
        for &j in items {
            if let Some(a) = answers[j] {
                sum += i64::from(a);
                m += 1;
            }
        }
        (sum, m)
    }

    /// Σ of the gaps P − E over the pairs in `items` and their count.
    pub(crate) fn dimension_gap_sum(&self, items: &[usize]) -> (i64, usize) {
        let mut sum = 0i64;
        let mut m = 0usize;
        for &j in items {
            if let (Some(e), Some(p)) = (self.expectation[j], self.perception[j]) {
                sum += i64::from(p) - i64::from(e);
                m += 1;
            }
        }
        (sum, m)
    }
}

/// Per-item figures of a dimension, in the dimension's item order, serialized as the JSON object
/// `{item: value}` of the report (`item_total_p`, `alpha_if_deleted_p`:
/// docs/statistics.md#reliability).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemMap(pub Vec<(String, Option<f64>)>);

impl ItemMap {
    pub fn get(&self, item: &str) -> Option<Option<f64>> {
        self.0.iter().find(|(k, _)| k == item).map(|(_, v)| *v)
    }
}

impl Serialize for ItemMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A null figure and why (`{"field": "dimensions[reliability].alpha_p", "reason": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    pub item: String,
    pub dimension: Option<String>,
    /// Number of pairs (both E and P answered).
    pub n: u64,
    pub n_e: u64,
    pub n_p: u64,
    pub e_mean: Option<f64>,
    pub p_mean: Option<f64>,
    pub gap_mean: Option<f64>,
    pub gap_sd: Option<f64>,
    pub gap_ci95: Option<Interval>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionStats {
    pub dimension: String,
    /// Respondents with Q_id defined.
    pub n: u64,
    pub e_mean: Option<f64>,
    pub p_mean: Option<f64>,
    pub gap_mean: Option<f64>,
    pub gap_sd: Option<f64>,
    pub gap_ci95: Option<Interval>,
    pub n_complete_p: u64,
    pub alpha_p: Option<f64>,
    pub alpha_p_std: Option<f64>,
    pub alpha_p_ci95: Option<Interval>,
    pub n_complete_e: u64,
    pub alpha_e: Option<f64>,
    pub alpha_e_ci95: Option<Interval>,
    /// Corrected item–total r of each P item.
    pub item_total_p: ItemMap,
    /// Alpha of the dimension's P items without each item.
    pub alpha_if_deleted_p: ItemMap,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServqualScores {
    pub unweighted: Option<f64>,
    pub mean_item_gap: Option<f64>,
    pub weighted_manager: Option<f64>,
    pub weighted_respondent: Option<f64>,
    pub n_weighted_respondent: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServqualReport {
    pub n_respondents: u64,
    pub items: Vec<ItemStats>,
    pub dimensions: Vec<DimensionStats>,
    pub servqual: ServqualScores,
    pub ipa: Ipa,
    pub notes: Vec<Note>,
}

/// Checks manager weights: one per dimension, summing to 100.
pub fn validate_manager_weights(layout: &ServqualLayout, weights: &[u32]) -> Result<(), Invalid> {
    if weights.len() != layout.dimensions.len() {
        return Err(Invalid::one("weights", "length", "one weight per dimension"));
    }
    if weights.iter().map(|&w| u64::from(w)).sum::<u64>() != 100 {
        return Err(Invalid::one("weights", "sum", "the weights must sum to 100"));
    }
    Ok(())
}

/// Per-dimension figures the report needs, however they were obtained (raw or from sums).
pub(crate) struct DimensionParts {
    pub gap: MeanSummary,
    pub e_mean: Option<f64>,
    pub p_mean: Option<f64>,
    pub rel_p: Reliability,
    pub rel_e: Reliability,
    pub importance_stated: Option<f64>,
    pub importance_derived: Option<f64>,
}

/// One item's raw figures: (n_e, e_mean, n_p, p_mean, gap summary).
pub(crate) type ItemParts = (u64, Option<f64>, u64, Option<f64>, MeanSummary);

/// A respondent's (Q_id, P_id, E_id) per dimension.
type RespondentScores = Vec<(Option<f64>, Option<f64>, Option<f64>)>;

/// Everything the report is assembled from.
pub(crate) struct ReportParts {
    pub n_respondents: u64,
    pub items: Vec<ItemParts>,
    pub dimensions: Vec<DimensionParts>,
    pub weighted_respondent: Option<f64>,
    pub n_weighted_respondent: u64,
}

/// Assembles the report and its notes from the parts (shared by the raw and incremental paths).
pub(crate) fn assemble(layout: &ServqualLayout, parts: ReportParts, manager_weights: Option<&[u32]>) -> ServqualReport {
    let mut notes = Vec::new();
    let mut note = |field: String, reason: &str| {
        notes.push(Note {
            field,
            reason: reason.to_owned(),
        })
    };
    let dim_of = |j: usize| {
        layout
            .dimensions
            .iter()
            .find(|d| d.items.contains(&j))
            .map(|d| d.code.clone())
    };
    let items: Vec<ItemStats> = parts
        .items
        .iter()
        .enumerate()
        .map(|(j, &(n_e, e_mean, n_p, p_mean, gap))| {
            let code = &layout.items[j];
            if gap.n == 0 {
                note(format!("items[{code}].gap_mean"), "no respondent answered both E and P");
            } else if gap.n < 2 {
                note(format!("items[{code}].gap_sd"), "fewer than 2 pairs");
            }
            ItemStats {
                item: code.clone(),
                dimension: dim_of(j),
                n: gap.n,
                n_e,
                n_p,
                e_mean,
                p_mean,
                gap_mean: gap.mean,
                gap_sd: gap.sd,
                gap_ci95: gap.ci95,
            }
        })
        .collect();
    let mut dimensions = Vec::new();
    let mut ipa_rows = Vec::new();
    for (d, p) in layout.dimensions.iter().zip(&parts.dimensions) {
        let code = &d.code;
        if p.gap.n == 0 {
            note(
                format!("dimensions[{code}].gap_mean"),
                "no respondent with a pair in the dimension",
            );
        } else if p.gap.n < 2 {
            note(format!("dimensions[{code}].gap_sd"), "fewer than 2 respondents");
        }
        for (field, rel) in [("alpha_p", &p.rel_p), ("alpha_e", &p.rel_e)] {
            if let Some(reason) = rel.reason {
                note(format!("dimensions[{code}].{field}"), reason);
            }
        }
        let names = |v: &[Option<f64>]| -> ItemMap {
            ItemMap(
                d.items
                    .iter()
                    .zip(v)
                    .map(|(&j, &r)| (layout.items[j].clone(), r))
                    .collect(),
            )
        };
        dimensions.push(DimensionStats {
            dimension: code.clone(),
            n: p.gap.n,
            e_mean: p.e_mean,
            p_mean: p.p_mean,
            gap_mean: p.gap.mean,
            gap_sd: p.gap.sd,
            gap_ci95: p.gap.ci95,
            n_complete_p: p.rel_p.n_complete,
            alpha_p: p.rel_p.alpha,
            alpha_p_std: p.rel_p.alpha_std,
            alpha_p_ci95: p.rel_p.alpha_ci95,
            n_complete_e: p.rel_e.n_complete,
            alpha_e: p.rel_e.alpha,
            alpha_e_ci95: p.rel_e.alpha_ci95,
            item_total_p: names(&p.rel_p.item_total),
            alpha_if_deleted_p: names(&p.rel_p.alpha_if_deleted),
        });
        if p.importance_stated.is_none() {
            note(
                format!("ipa[{code}].importance_stated"),
                "no respondent gave an allocation",
            );
        }
        if p.importance_derived.is_none() {
            note(
                format!("ipa[{code}].importance_derived"),
                "fewer than 2 respondents with both a perception score and overall satisfaction, or no variance",
            );
        }
        ipa_rows.push(IpaRow {
            dimension: code.clone(),
            importance_stated: p.importance_stated,
            importance_derived: p.importance_derived,
            performance_p: p.p_mean,
            performance_gap: p.gap.mean,
            quadrant: None,
        });
    }
    let dim_gaps: Option<Vec<f64>> = dimensions.iter().map(|d| d.gap_mean).collect();
    let item_gaps: Option<Vec<f64>> = items.iter().map(|i| i.gap_mean).collect();
    let unweighted = dim_gaps.as_deref().and_then(mean);
    if unweighted.is_none() {
        note("servqual.unweighted".to_owned(), "a dimension has no gap");
    }
    let mean_item_gap = item_gaps.as_deref().and_then(mean);
    if mean_item_gap.is_none() {
        note("servqual.mean_item_gap".to_owned(), "an item has no gap");
    }
    let weighted_manager = match (manager_weights, &dim_gaps) {
        (Some(w), Some(g)) => Some(w.iter().zip(g).map(|(&w, g)| f64::from(w) / 100.0 * g).sum()),
        _ => None,
    };
    if weighted_manager.is_none() {
        let reason = if manager_weights.is_none() {
            "no manager weights"
        } else {
            "a dimension has no gap"
        };
        note("servqual.weighted_manager".to_owned(), reason);
    }
    if parts.weighted_respondent.is_none() {
        note(
            "servqual.weighted_respondent".to_owned(),
            "no respondent with an allocation and a gap in every dimension",
        );
    }
    let ipa = classify(ipa_rows);
    if ipa.basis.is_none() {
        note("ipa.quadrant".to_owned(), "no importance for every dimension");
    } else if ipa.performance_mean.is_none() {
        note("ipa.quadrant".to_owned(), "a dimension has no perception mean");
    }
    ServqualReport {
        n_respondents: parts.n_respondents,
        items,
        dimensions,
        servqual: ServqualScores {
            unweighted,
            mean_item_gap,
            weighted_manager,
            weighted_respondent: parts.weighted_respondent,
            n_weighted_respondent: parts.n_weighted_respondent,
        },
        ipa,
        notes,
    }
}

/// The SERVQUAL report from raw answers (two-pass arithmetic throughout). Every response and the
/// manager weights (one per dimension, sum 100) are checked first; a bad one is an error and
/// nothing is computed.
pub fn servqual_report(
    layout: &ServqualLayout,
    responses: &[ServqualResponse],
    manager_weights: Option<&[u32]>,
) -> Result<ServqualReport, Invalid> {
    layout.validate()?;
    if let Some(w) = manager_weights {
        validate_manager_weights(layout, w)?;
    }
    for r in responses {
        r.validate(layout)?;
    }
    let f = |a: u8| f64::from(a);
    let items = (0..layout.items.len())
        .map(|j| {
            let e: Vec<f64> = responses.iter().filter_map(|r| r.expectation[j]).map(f).collect();
            let p: Vec<f64> = responses.iter().filter_map(|r| r.perception[j]).map(f).collect();
            let q: Vec<f64> = responses
                .iter()
                .filter_map(|r| Some(f(r.perception[j]?) - f(r.expectation[j]?)))
                .collect();
            (e.len() as u64, mean(&e), p.len() as u64, mean(&p), summarize(&q))
        })
        .collect();
    // Respondent dimension scores Q_id, P_id, E_id (None where undefined).
    let score = |(sum, m): (i64, usize)| (m > 0).then(|| sum as f64 / m as f64);
    let per_resp: Vec<RespondentScores> = responses
        .iter()
        .map(|r| {
            layout
                .dimensions
                .iter()
                .map(|d| {
                    (
                        score(r.dimension_gap_sum(&d.items)),
                        score(ServqualResponse::dimension_sum(&r.perception, &d.items)),
                        score(ServqualResponse::dimension_sum(&r.expectation, &d.items)),
                    )
                })
                .collect()
        })
        .collect();
    let complete = |battery: fn(&ServqualResponse) -> &Vec<Option<u8>>, items: &[usize]| -> Vec<Vec<f64>> {
        responses
            .iter()
            .filter_map(|r| {
                items
                    .iter()
                    .map(|&j| battery(r)[j].map(f))
                    .collect::<Option<Vec<f64>>>()
            })
            .collect()
    };
    let dimensions = layout
        .dimensions
        .iter()
        .enumerate()
        .map(|(di, d)| {
            let gaps: Vec<f64> = per_resp.iter().filter_map(|s| s[di].0).collect();
            let ps: Vec<f64> = per_resp.iter().filter_map(|s| s[di].1).collect();
            let es: Vec<f64> = per_resp.iter().filter_map(|s| s[di].2).collect();
            let k = d.items.len();
            let alloc: Vec<f64> = responses
                .iter()
                .filter_map(|r| r.allocation.as_ref().map(|w| f64::from(w[di])))
                .collect();
            let (px, oy): (Vec<f64>, Vec<f64>) = responses
                .iter()
                .zip(&per_resp)
                .filter_map(|(r, s)| Some((s[di].1?, f(r.overall?))))
                .unzip();
            DimensionParts {
                gap: summarize(&gaps),
                e_mean: mean(&es),
                p_mean: mean(&ps),
                rel_p: reliability(&complete(|r| &r.perception, &d.items), k),
                rel_e: reliability(&complete(|r| &r.expectation, &d.items), k),
                importance_stated: mean(&alloc),
                importance_derived: pearson(&px, &oy),
            }
        })
        .collect();
    let weighted: Vec<f64> = responses
        .iter()
        .zip(&per_resp)
        .filter_map(|(r, s)| {
            let w = r.allocation.as_ref()?;
            let mut total = 0.0;
            for (di, &wd) in w.iter().enumerate() {
                total += f64::from(wd) / 100.0 * s[di].0?;
            }
            Some(total)
        })
        .collect();
    let parts = ReportParts {
        n_respondents: responses.len() as u64,
        items,
        dimensions,
        weighted_respondent: mean(&weighted),
        n_weighted_respondent: weighted.len() as u64,
    };
    Ok(assemble(layout, parts, manager_weights))
}

/// Dissatisfaction causes per dimension for a transactional SERVQUAL survey
/// (docs/statistics.md#dissatisfaction-causes): a respondent is dissatisfied on d when Q_id < 0;
/// `sla_met[i]` says whether the ticket behind `responses[i]` met every SLA target (`None`: no
/// ticket, left out).
pub fn servqual_dissatisfaction(
    layout: &ServqualLayout,
    responses: &[ServqualResponse],
    sla_met: &[Option<bool>],
) -> Result<Vec<(String, super::scales::DissatisfactionCauses)>, Invalid> {
    layout.validate()?;
    if sla_met.len() != responses.len() {
        return Err(Invalid::one("sla_met", "length", "one SLA outcome per response"));
    }
    for r in responses {
        r.validate(layout)?;
    }
    Ok(layout
        .dimensions
        .iter()
        .map(|d| {
            let flags: Vec<(bool, bool)> = responses
                .iter()
                .zip(sla_met)
                .filter_map(|(r, met)| {
                    let met = (*met)?;
                    let (sum, m) = r.dimension_gap_sum(&d.items);
                    // Q_id < 0 exactly when the sum of the gaps is negative.
                    Some((m > 0 && sum < 0, met))
                })
                .collect();
            (d.code.clone(), super::scales::dissatisfaction_causes(&flags))
        })
        .collect())
}
