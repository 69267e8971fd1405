//! Dissatisfaction causes: of the respondents dissatisfied on a dimension whose answer was about a
//! ticket, how many had a ticket that met its targets and how many one that breached one.

use super::statistics::SurveyAccumulator;
use super::view::SurveyView;
use serde::Serialize;

/// Dissatisfaction causes (docs/statistics.md#dissatisfaction-causes) on one dimension: of the respondents
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
pub(super) fn dissatisfaction(
    view: &SurveyView,
    met: &SurveyAccumulator,
    breached: &SurveyAccumulator,
) -> Option<Vec<CauseRow>> {
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
    let range = view.survey.kind.dissatisfied_scores();
    match (met, breached, range) {
        (SurveyAccumulator::Scale(m), SurveyAccumulator::Scale(b), Some((lo, hi))) => Some(vec![row(
            "overall".into(),
            m.count_between(i64::from(lo), i64::from(hi)),
            b.count_between(i64::from(lo), i64::from(hi)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::view::{Answers, bare_item};
    use kefu_store::Survey;

    fn view(kind: &str, items: &[(&str, &str)]) -> SurveyView {
        SurveyView {
            survey: Survey {
                id: 1,
                slug: "s".into(),
                kind: kefu_core::SurveyKind::parse(kind).unwrap(),
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
