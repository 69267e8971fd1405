//! The heat map laid over a blueprint (docs/blueprints.md#heat-map): each step's figures for a
//! period and the rule that ranks the steps by their complaints.

use crate::Language;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a step's complaints rank among the blueprint's steps ([`heat_levels`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatLevel {
    Cool,
    Warm,
    Hot,
    /// No complaints.
    None,
}

impl HeatLevel {
    pub const ALL: [HeatLevel; 4] = [HeatLevel::Hot, HeatLevel::Warm, HeatLevel::Cool, HeatLevel::None];

    pub fn as_str(self) -> &'static str {
        match self {
            HeatLevel::Cool => "cool",
            HeatLevel::Warm => "warm",
            HeatLevel::Hot => "hot",
            HeatLevel::None => "none",
        }
    }

    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (HeatLevel::Hot, Language::En) => "Hot",
            (HeatLevel::Hot, Language::ZhCn) => "高",
            (HeatLevel::Warm, Language::En) => "Warm",
            (HeatLevel::Warm, Language::ZhCn) => "中",
            (HeatLevel::Cool, Language::En) => "Cool",
            (HeatLevel::Cool, Language::ZhCn) => "低",
            (HeatLevel::None, Language::En) => "No complaints",
            (HeatLevel::None, Language::ZhCn) => "无投诉",
        }
    }

    /// The box's fill and stroke.
    pub(super) fn colours(self) -> (&'static str, &'static str) {
        match self {
            HeatLevel::Hot => ("#fee2e2", "#b91c1c"),
            HeatLevel::Warm => ("#ffedd5", "#c2410c"),
            HeatLevel::Cool => ("#e0f2fe", "#0369a1"),
            HeatLevel::None => ("#f8fafc", "#94a3b8"),
        }
    }
}

/// The complaint counts from which a step is hot or warm; see [`heat_rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeatRule {
    pub hot_from: u64,
    pub warm_from: u64,
}

impl HeatRule {
    /// 0 complaints: [`HeatLevel::None`]; at least `hot_from`: hot; at least `warm_from`: warm;
    /// fewer: cool.
    pub fn level(self, complaints: u64) -> HeatLevel {
        if complaints == 0 {
            HeatLevel::None
        } else if complaints >= self.hot_from {
            HeatLevel::Hot
        } else if complaints >= self.warm_from {
            HeatLevel::Warm
        } else {
            HeatLevel::Cool
        }
    }
}

/// The rule of docs/blueprints.md#heat-map: rank the steps with at least one complaint by their
/// count, most first; with `n` of them, the count of the ⌈n/3⌉-th is where hot starts and the count
/// of the ⌈2n/3⌉-th where warm starts. The top third is hot, the next third warm, the rest cool;
/// ties take the higher level, so equal counts always look the same. `None` when no step has a
/// complaint.
pub fn heat_rule(counts: &[u64]) -> Option<HeatRule> {
    let mut positive: Vec<u64> = counts.iter().copied().filter(|&c| c > 0).collect();
    if positive.is_empty() {
        return None;
    }
    positive.sort_unstable_by(|a, b| b.cmp(a));
    let n = positive.len();
    Some(HeatRule {
        hot_from: positive[n.div_ceil(3) - 1],
        warm_from: positive[(2 * n).div_ceil(3) - 1],
    })
}

/// Each count's level by [`heat_rule`], in the same order.
pub fn heat_levels(counts: &[u64]) -> Vec<HeatLevel> {
    match heat_rule(counts) {
        Some(rule) => counts.iter().map(|&c| rule.level(c)).collect(),
        None => vec![HeatLevel::None; counts.len()],
    }
}

/// A step's figures, before its level is known.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct StepFigures {
    pub complaints: u64,
    /// A share or a mean on 0..=1.
    pub satisfaction: Option<f64>,
    /// The share of the step's standards met, 0..=1.
    pub attainment: Option<f64>,
}

/// A step's figures on the heat map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepHeat {
    pub complaints: u64,
    /// A share or a mean on 0..=1.
    pub satisfaction: Option<f64>,
    /// The share of the step's standards met, 0..=1.
    pub attainment: Option<f64>,
    pub level: HeatLevel,
}

/// What the legend says of the figures.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HeatLegend {
    /// What the figures cover, e.g. the period ("2025-01-01 – 2025-03-31"); shown as it is.
    pub caption: Option<String>,
    /// The thresholds the levels were given by, shown beside the colours.
    pub rule: Option<HeatRule>,
}

/// The figures by step id; steps not in it are drawn without heat.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HeatMap {
    pub steps: BTreeMap<String, StepHeat>,
    pub legend: HeatLegend,
}

impl HeatMap {
    /// The heat map of these figures, levels by [`heat_rule`] over all of them.
    pub fn from_figures(figures: BTreeMap<String, StepFigures>, caption: Option<String>) -> HeatMap {
        let counts: Vec<u64> = figures.values().map(|f| f.complaints).collect();
        let rule = heat_rule(&counts);
        let steps = figures
            .into_iter()
            .map(|(id, f)| {
                let level = rule.map_or(HeatLevel::None, |r| r.level(f.complaints));
                let heat = StepHeat {
                    complaints: f.complaints,
                    satisfaction: f.satisfaction,
                    attainment: f.attainment,
                    level,
                };
                (id, heat)
            })
            .collect();
        HeatMap {
            steps,
            legend: HeatLegend { caption, rule },
        }
    }
}
