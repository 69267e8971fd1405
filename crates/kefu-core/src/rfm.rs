//! Value tiers from purchases (RFM): recency (days since the last purchase), frequency (number of
//! purchases) and monetary value (sum of amounts) each scored 1–5 by quintile among the customers
//! who have purchases (recency reversed: recent is better); the sum of the three scores (3–15) is
//! ranked again and cut into quintiles: `A` the best fifth, … `E` the lowest. Customers without
//! purchases are `none`. Ties share the same (average) rank, so equal customers get equal tiers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValueTier {
    A,
    B,
    C,
    D,
    E,
    #[serde(rename = "none")]
    None,
}

impl ValueTier {
    /// Best first, `none` last.
    pub const ALL: [ValueTier; 6] = [
        ValueTier::A,
        ValueTier::B,
        ValueTier::C,
        ValueTier::D,
        ValueTier::E,
        ValueTier::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueTier::A => "A",
            ValueTier::B => "B",
            ValueTier::C => "C",
            ValueTier::D => "D",
            ValueTier::E => "E",
            ValueTier::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<ValueTier> {
        Self::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// One customer's purchase summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rfm {
    pub days_since_last: f64,
    pub purchases: u64,
    pub amount: f64,
}

/// Quintile scores 1..=5 of `values` (higher value → higher score), by mid-rank so ties agree.
fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut scores = vec![0u8; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        // Mid-rank of the tie group, as a fraction of n in (0, 1].
        let mid = (i + j) as f64 / 2.0 + 1.0;
        let q = ((mid / n as f64) * 5.0).ceil().clamp(1.0, 5.0) as u8;
        for k in i..=j {
            scores[idx[k]] = q;
        }
        i = j + 1;
    }
    scores
}

/// Tiers for customers in the order given; `None` input means no purchases.
pub fn value_tiers(customers: &[Option<Rfm>]) -> Vec<ValueTier> {
    let with: Vec<(usize, Rfm)> = customers
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|r| (i, r)))
        .collect();
    let mut out = vec![ValueTier::None; customers.len()];
    if with.is_empty() {
        return out;
    }
    let r = quintile_scores(&with.iter().map(|(_, x)| -x.days_since_last).collect::<Vec<_>>());
    let f = quintile_scores(&with.iter().map(|(_, x)| x.purchases as f64).collect::<Vec<_>>());
    let m = quintile_scores(&with.iter().map(|(_, x)| x.amount).collect::<Vec<_>>());
    let total: Vec<f64> = (0..with.len()).map(|k| f64::from(r[k] + f[k] + m[k])).collect();
    let t = quintile_scores(&total);
    for (k, (i, _)) in with.iter().enumerate() {
        out[*i] = match t[k] {
            5 => ValueTier::A,
            4 => ValueTier::B,
            3 => ValueTier::C,
            2 => ValueTier::D,
            _ => ValueTier::E,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_split_evenly_and_ties_agree() {
        assert_eq!(
            quintile_scores(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(quintile_scores(&[7.0; 6]), vec![3; 6]);
        assert_eq!(quintile_scores(&[]), Vec::<u8>::new());
        assert_eq!(quintile_scores(&[42.0]), vec![5]);
    }

    #[test]
    fn best_customers_are_a_and_no_purchases_none() {
        let c = |d: f64, n: u64, a: f64| {
            Some(Rfm {
                days_since_last: d,
                purchases: n,
                amount: a,
            })
        };
        let input = vec![
            c(3.0, 40, 90_000.0),
            None,
            c(700.0, 1, 99.0),
            c(30.0, 10, 8_000.0),
            c(200.0, 3, 900.0),
            c(90.0, 5, 2_000.0),
        ];
        // R, F and M order the five buyers alike, so their sums (3, 6, 9, 12, 15) rank them E..A.
        let t = value_tiers(&input);
        assert_eq!(
            t,
            vec![
                ValueTier::A,
                ValueTier::None,
                ValueTier::E,
                ValueTier::B,
                ValueTier::D,
                ValueTier::C
            ]
        );
        let same = value_tiers(&[c(10.0, 2, 50.0), c(10.0, 2, 50.0)]);
        assert_eq!(same[0], same[1]);
    }

    #[test]
    fn tier_codes() {
        for s in ["A", "b", "none", "E"] {
            assert!(ValueTier::parse(s).is_some());
        }
        assert_eq!(ValueTier::parse("F"), None);
    }
}
