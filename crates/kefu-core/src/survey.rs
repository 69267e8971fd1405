//! The kinds of survey kefu asks (docs/surveys.md) and what each kind is made of. The store keeps a
//! kind as its code (`servqual`, …); everything else reasons with [`SurveyKind`].

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a survey measures, and so which questions it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyKind {
    /// The 22-item battery twice: expectation and perception (P − E gaps).
    Servqual,
    /// The battery's perception half only (performance-only scores).
    Servperf,
    /// Customer satisfaction: one 1–5 score.
    Csat,
    /// Net Promoter Score: one 0–10 likelihood to recommend.
    Nps,
    /// Customer Effort Score: one 1–7 score.
    Ces,
    /// Items of the manager's choosing, each answered 1–7.
    Custom,
}

impl SurveyKind {
    pub const ALL: [SurveyKind; 6] = [
        SurveyKind::Servqual,
        SurveyKind::Servperf,
        SurveyKind::Csat,
        SurveyKind::Nps,
        SurveyKind::Ces,
        SurveyKind::Custom,
    ];

    /// The kind's code, as the store, the API and the CSV files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Servqual => "servqual",
            SurveyKind::Servperf => "servperf",
            SurveyKind::Csat => "csat",
            SurveyKind::Nps => "nps",
            SurveyKind::Ces => "ces",
            SurveyKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Result<SurveyKind, Invalid> {
        SurveyKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            Invalid::one(
                "kind",
                "unknown_kind",
                "kind is servqual, servperf, csat, nps, ces or custom",
            )
        })
    }

    /// SERVQUAL and SERVPERF: the dimensioned battery, with importance points and a competitor's
    /// column possible.
    pub fn is_battery_of_dimensions(self) -> bool {
        matches!(self, SurveyKind::Servqual | SurveyKind::Servperf)
    }

    /// Whether the kind asks expectations as well as perceptions (SERVQUAL alone).
    pub fn asks_expectations(self) -> bool {
        self == SurveyKind::Servqual
    }

    /// Whether the kind asks an item battery (perception; SERVQUAL also expectation).
    pub fn has_battery(self) -> bool {
        matches!(self, SurveyKind::Servqual | SurveyKind::Servperf | SurveyKind::Custom)
    }

    /// The scale of a single-question kind: (lowest, highest).
    pub fn score_scale(self) -> Option<(u8, u8)> {
        match self {
            SurveyKind::Csat => Some((1, 5)),
            SurveyKind::Nps => Some((0, 10)),
            SurveyKind::Ces => Some((1, 7)),
            _ => None,
        }
    }

    /// The scores of a single-question kind that count as dissatisfied (docs/statistics.md#dissatisfaction-causes):
    /// CSAT 1–2, NPS detractors 0–6, CES 1–3.
    pub fn dissatisfied_scores(self) -> Option<(u8, u8)> {
        match self {
            SurveyKind::Csat => Some((1, 2)),
            SurveyKind::Nps => Some((0, 6)),
            SurveyKind::Ces => Some((1, 3)),
            _ => None,
        }
    }
}

impl fmt::Display for SurveyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_is_refused() {
        for k in SurveyKind::ALL {
            assert_eq!(SurveyKind::parse(k.as_str()).unwrap(), k);
        }
        assert_eq!(
            SurveyKind::parse("SERVQUAL").unwrap_err().errors[0].code,
            "unknown_kind"
        );
        assert!(SurveyKind::Servqual.asks_expectations() && !SurveyKind::Servperf.asks_expectations());
        assert_eq!(SurveyKind::Nps.score_scale(), Some((0, 10)));
        assert_eq!(SurveyKind::Custom.score_scale(), None);
    }
}
