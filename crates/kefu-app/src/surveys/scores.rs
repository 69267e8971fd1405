//! A customer's survey answers as the ticket workspace and the customer's timeline show them: each
//! with its survey and the one number it comes to.

use super::view::Answers;
use crate::{Actor, App, AppResult};
use kefu_core::SurveyKind;
use std::collections::HashMap;

/// One final answer of a customer.
#[derive(Debug, Clone)]
pub struct AnswerSummary {
    pub survey_id: i64,
    pub title: String,
    pub kind: SurveyKind,
    pub at: i64,
    /// [`Answers::headline`].
    pub score: Option<f64>,
}

impl Answers {
    /// The one number an answer comes to: its score for NPS (0–10), CSAT (1–5) and CES (1–7); for
    /// SERVQUAL the mean P − E over the items answered both ways (docs/statistics.md#item-gaps);
    /// for the other batteries the mean perception. `None` when it holds none of them.
    pub fn headline(&self, kind: SurveyKind) -> Option<f64> {
        if let Some(s) = self.score {
            return Some(f64::from(s));
        }
        let values: Vec<f64> = if kind == SurveyKind::Servqual {
            (self.perception.iter())
                .filter_map(|(code, p)| Some(f64::from(*p) - f64::from(*self.expectation.get(code)?)))
                .collect()
        } else {
            self.perception.values().map(|p| f64::from(*p)).collect()
        };
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
}

impl App {
    /// A customer's final answers, newest first, at most `limit` (desk staff: those who read
    /// customers).
    pub async fn customer_answers(&self, actor: &Actor, customer_id: i64, limit: u32) -> AppResult<Vec<AnswerSummary>> {
        actor.require(kefu_core::roles::DESK)?;
        self.answers_of(customer_id, limit).await
    }

    /// [`Self::customer_answers`] for a reader already allowed.
    pub(crate) async fn answers_of(&self, customer_id: i64, limit: u32) -> AppResult<Vec<AnswerSummary>> {
        let rows = self.store.customer_answers(customer_id, limit).await?;
        let mut surveys: HashMap<i64, kefu_store::Survey> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let s = match surveys.entry(r.survey_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(self.store.get_survey(r.survey_id).await?),
            };
            let answers: Answers = serde_json::from_str(&r.answers).unwrap_or_default();
            out.push(AnswerSummary {
                survey_id: s.id,
                title: s.title.clone(),
                kind: s.kind,
                at: r.created_at,
                score: answers.headline(s.kind),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn an_answer_comes_to_one_number() {
        let nps = Answers {
            score: Some(9),
            ..Default::default()
        };
        assert_eq!(nps.headline(SurveyKind::Nps), Some(9.0));
        let e: BTreeMap<String, u8> = [("Q1".to_owned(), 7), ("Q2".to_owned(), 6)].into();
        let p: BTreeMap<String, u8> = [("Q1".to_owned(), 5), ("Q2".to_owned(), 6), ("Q3".to_owned(), 4)].into();
        let servqual = Answers {
            expectation: e,
            perception: p,
            ..Default::default()
        };
        // Q1: −2, Q2: 0; Q3 has no expectation.
        assert_eq!(servqual.headline(SurveyKind::Servqual), Some(-1.0));
        assert_eq!(servqual.headline(SurveyKind::Servperf), Some(5.0));
        assert_eq!(Answers::default().headline(SurveyKind::Servqual), None);
    }
}
