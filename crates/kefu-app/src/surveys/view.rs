//! A survey as it is asked: the scales of the single-question kinds, a respondent's answers, the
//! survey with its items in layout order, and the check of an answer against it.

use super::MAX_COMMENT;
use crate::{AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::Language;
use kefu_core::stats::ServqualLayout;
use kefu_core::stats::ServqualResponse;
use kefu_core::stats::servqual::Dimension;
use kefu_store::{StoreError, Survey, SurveyDimension, SurveyItem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// A survey with its items and dimensions; its stored dimension weights are read here, so a
    /// corrupt weights column is a data error wherever the survey is opened.
    pub(crate) fn new(
        survey: Survey,
        items: Vec<SurveyItem>,
        dimensions: Vec<SurveyDimension>,
    ) -> AppResult<SurveyView> {
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
        self.survey.competitor.is_some() && self.survey.kind.is_battery_of_dimensions()
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
        let kind = s.kind;
        let known = |code: &str| self.items.iter().any(|i| i.code == code);
        if !a.expectation.is_empty() && !kind.asks_expectations() {
            return Err(Invalid::one(
                "expectation",
                "not_asked",
                "this survey asks no expectations",
            ));
        }
        if !a.perception.is_empty() && !kind.has_battery() {
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
            if !(s.importance && kind.is_battery_of_dimensions()) {
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
            if !s.overall || !kind.has_battery() {
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
        match (kind.score_scale(), a.score) {
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
        kefu_core::text::check_optional_text("comment", comment, MAX_COMMENT)?;
        if final_ && kind.has_battery() && a.perception.is_empty() && a.expectation.is_empty() {
            return Err(Invalid::one("perception", "required", "answer at least one item"));
        }
        Ok(())
    }
}

/// An item as a layout needs it (position, codes), without wording.
pub(super) fn bare_item(index: usize, item_id: i64, code: &str, dimension: &str) -> SurveyItem {
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
