//! Benchmarking against a competitor (标准跟进, docs/statistics.md#competitor-benchmarking): a SERVQUAL
//! or SERVPERF survey may ask the same respondents to rate a named competitor on the perception
//! items. The report puts our P beside the competitor's C per item and per dimension, with the
//! paired difference P − C (same respondents) and its 95 % t-interval, from exact integer sums as
//! the rest of the report.
//!
//! Per item: C mean over those who rated the competitor; P − C over those who rated both. Per
//! dimension: a respondent's C_d is the mean of their answered C items in the dimension (as P_d is
//! for P); P_d − C_d over respondents with both. Dimension scores are kept scaled by L =
//! lcm(1..=k_max) (ServqualLayout::score_scale) so every sum is an integer.

use super::descriptive::{IntMoments, MeanSummary};
use super::servqual::{ServqualLayout, ServqualResponse};
use crate::error::Invalid;
use serde::{Deserialize, Serialize};

/// The mergeable sums.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompetitorSums {
    pub item_c: Vec<IntMoments>,
    pub item_diff: Vec<IntMoments>,
    /// L·C_d
    pub dim_c: Vec<IntMoments>,
    /// L·(P_d − C_d)
    pub dim_diff: Vec<IntMoments>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetitorItem {
    pub item: String,
    /// Respondents who rated the competitor on the item.
    pub n: u64,
    pub c_mean: Option<f64>,
    /// P − C over respondents who rated both: n, mean, sd, 95 % t-interval.
    pub p_minus_c: MeanSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetitorDimension {
    pub dimension: String,
    pub n: u64,
    pub c_mean: Option<f64>,
    pub p_minus_c: MeanSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetitorReport {
    pub items: Vec<CompetitorItem>,
    pub dimensions: Vec<CompetitorDimension>,
}

impl CompetitorSums {
    pub fn new(layout: &ServqualLayout) -> CompetitorSums {
        let (k, d) = (layout.items.len(), layout.dimensions.len());
        CompetitorSums {
            item_c: vec![IntMoments::default(); k],
            item_diff: vec![IntMoments::default(); k],
            dim_c: vec![IntMoments::default(); d],
            dim_diff: vec![IntMoments::default(); d],
        }
    }

    /// Adds one respondent's P and C answers (by item position; C checked first, a bad one
    /// changes nothing).
    pub fn add(
        &mut self,
        layout: &ServqualLayout,
        perception: &[Option<u8>],
        competitor: &[Option<u8>],
    ) -> Result<(), Invalid> {
        let k = layout.items.len();
        if competitor.len() != k || perception.len() != k {
            return Err(Invalid::one(
                "competitor",
                "length",
                format!("{} competitor answers for {k} items", competitor.len()),
            ));
        }
        if let Some(bad) = competitor.iter().flatten().find(|a| !(1..=7).contains(*a)) {
            return Err(Invalid::one(
                "competitor",
                "out_of_range",
                format!("answer {bad} is not 1 to 7"),
            ));
        }
        for j in 0..k {
            if let Some(c) = competitor[j] {
                self.item_c[j].add(i128::from(c));
                if let Some(p) = perception[j] {
                    self.item_diff[j].add(i128::from(p) - i128::from(c));
                }
            }
        }
        let l = layout.score_scale();
        for (di, d) in layout.dimensions.iter().enumerate() {
            let scaled = |(sum, m): (i64, usize)| (m > 0).then(|| i128::from(sum) * (l / m as i128));
            let c = scaled(ServqualResponse::dimension_sum(competitor, &d.items));
            let p = scaled(ServqualResponse::dimension_sum(perception, &d.items));
            if let Some(c) = c {
                self.dim_c[di].add(c);
                if let Some(p) = p {
                    self.dim_diff[di].add(p - c);
                }
            }
        }
        Ok(())
    }

    pub fn merge(&mut self, o: &CompetitorSums) {
        for (a, b) in [
            (&mut self.item_c, &o.item_c),
            (&mut self.item_diff, &o.item_diff),
            (&mut self.dim_c, &o.dim_c),
            (&mut self.dim_diff, &o.dim_diff),
        ] {
            if a.len() < b.len() {
                a.resize(b.len(), IntMoments::default());
            }
            a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
        }
    }

    pub fn report(&self, layout: &ServqualLayout) -> CompetitorReport {
        let l = layout.score_scale();
        let empty = IntMoments::default();
        CompetitorReport {
            items: layout
                .items
                .iter()
                .enumerate()
                .map(|(j, code)| {
                    let c = self.item_c.get(j).unwrap_or(&empty);
                    CompetitorItem {
                        item: code.clone(),
                        n: c.n,
                        c_mean: c.mean(1),
                        p_minus_c: self.item_diff.get(j).unwrap_or(&empty).summary(1),
                    }
                })
                .collect(),
            dimensions: layout
                .dimensions
                .iter()
                .enumerate()
                .map(|(di, d)| {
                    let c = self.dim_c.get(di).unwrap_or(&empty);
                    CompetitorDimension {
                        dimension: d.code.clone(),
                        n: c.n,
                        c_mean: c.mean(l),
                        p_minus_c: self.dim_diff.get(di).unwrap_or(&empty).summary(l),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::descriptive::summarize;
    use crate::stats::servqual::Dimension;

    fn layout() -> ServqualLayout {
        ServqualLayout {
            items: vec!["Q1".into(), "Q2".into(), "Q3".into()],
            dimensions: vec![
                Dimension {
                    code: "a".into(),
                    items: vec![0, 1],
                },
                Dimension {
                    code: "b".into(),
                    items: vec![2],
                },
            ],
        }
    }

    fn close(a: Option<f64>, b: Option<f64>) {
        match (a, b) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{a} vs {b}"),
            (a, b) => assert_eq!(a, b),
        }
    }

    #[test]
    fn sums_give_the_paired_figures_of_the_raw_answers_and_merge() {
        let l = layout();
        type Answers = Vec<Option<u8>>;
        let rows: Vec<(Answers, Answers)> = vec![
            (vec![Some(5), Some(6), Some(4)], vec![Some(4), Some(4), Some(6)]),
            (vec![Some(3), None, Some(7)], vec![Some(5), Some(2), None]),
            (vec![Some(7), Some(7), Some(2)], vec![None, Some(6), Some(3)]),
            (vec![None, None, None], vec![Some(1), Some(1), Some(1)]),
        ];
        let mut all = CompetitorSums::new(&l);
        let (mut first, mut second) = (CompetitorSums::new(&l), CompetitorSums::new(&l));
        for (i, (p, c)) in rows.iter().enumerate() {
            all.add(&l, p, c).unwrap();
            if i < 2 { &mut first } else { &mut second }.add(&l, p, c).unwrap();
        }
        first.merge(&second);
        assert_eq!(first, all);
        let r = all.report(&l);
        // Item Q1: C = 4, 5, 1; P − C over both = 1, −2.
        assert_eq!(r.items[0].n, 3);
        close(r.items[0].c_mean, Some(10.0 / 3.0));
        let want = summarize(&[1.0, -2.0]);
        assert_eq!(r.items[0].p_minus_c.n, 2);
        close(r.items[0].p_minus_c.mean, want.mean);
        close(r.items[0].p_minus_c.sd, want.sd);
        close(r.items[0].p_minus_c.ci95.map(|i| i.lo), want.ci95.map(|i| i.lo));
        // Dimension a: C_d = 4, 3.5, 6, 1; P_d − C_d = 5.5 − 4, 3 − 3.5, 7 − 6 (the 4th has no P).
        close(r.dimensions[0].c_mean, Some((4.0 + 3.5 + 6.0 + 1.0) / 4.0));
        let want = summarize(&[1.5, -0.5, 1.0]);
        close(r.dimensions[0].p_minus_c.mean, want.mean);
        close(r.dimensions[0].p_minus_c.ci95.map(|i| i.hi), want.ci95.map(|i| i.hi));
        // Dimension b: the pairs 4 − 6 and 2 − 3.
        assert_eq!(r.dimensions[1].p_minus_c.n, 2);
        assert!(all.add(&l, &rows[0].0, &[Some(9), None, None]).is_err());
        assert!(all.add(&l, &rows[0].0, &[Some(1)]).is_err());
    }
}
