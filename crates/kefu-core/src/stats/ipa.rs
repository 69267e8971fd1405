//! Importance–performance analysis (docs/statistics.md#importance-performance): one row per
//! dimension, quadrants by cross-hairs at the means over the dimensions; the `concentrate_here`
//! rows are the short planks (短木条: the shortest stave limits the barrel).

use serde::Serialize;

/// Where a dimension falls against the cross-hairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Importance ≥ mean, performance < mean: the short planks.
    ConcentrateHere,
    /// ≥, ≥.
    KeepUpTheGoodWork,
    /// <, <.
    LowPriority,
    /// <, ≥.
    PossibleOverkill,
}

/// Which importance the quadrants use: stated when every dimension has it, else derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceBasis {
    Stated,
    Derived,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpaRow {
    pub dimension: String,
    /// Mean 100-point allocation to the dimension over respondents who gave one.
    pub importance_stated: Option<f64>,
    /// Pearson r of the respondent perception score P_id with overall satisfaction.
    pub importance_derived: Option<f64>,
    pub performance_p: Option<f64>,
    pub performance_gap: Option<f64>,
    pub quadrant: Option<Quadrant>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ipa {
    pub basis: Option<ImportanceBasis>,
    pub importance_mean: Option<f64>,
    pub performance_mean: Option<f64>,
    pub rows: Vec<IpaRow>,
    /// The dimensions in `concentrate_here`, in layout order.
    pub short_planks: Vec<String>,
}

/// Classifies the rows (their importance and performance already filled in). Quadrants stay
/// `None` unless every dimension has the chosen importance and a performance.
pub fn classify(mut rows: Vec<IpaRow>) -> Ipa {
    let basis = if !rows.is_empty() && rows.iter().all(|r| r.importance_stated.is_some()) {
        Some(ImportanceBasis::Stated)
    } else if !rows.is_empty() && rows.iter().all(|r| r.importance_derived.is_some()) {
        Some(ImportanceBasis::Derived)
    } else {
        None
    };
    let importance = |r: &IpaRow| match basis {
        Some(ImportanceBasis::Stated) => r.importance_stated,
        Some(ImportanceBasis::Derived) => r.importance_derived,
        None => None,
    };
    let imp: Option<Vec<f64>> = rows.iter().map(importance).collect();
    let perf: Option<Vec<f64>> = rows.iter().map(|r| r.performance_p).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let importance_mean = imp.as_deref().filter(|v| !v.is_empty()).map(mean);
    let performance_mean = perf.as_deref().filter(|v| !v.is_empty()).map(mean);
    let mut short_planks = Vec::new();
    if let (Some(imp), Some(perf), Some(im), Some(pm)) = (&imp, &perf, importance_mean, performance_mean) {
        for (i, row) in rows.iter_mut().enumerate() {
            let q = match (imp[i] >= im, perf[i] >= pm) {
                (true, false) => Quadrant::ConcentrateHere,
                (true, true) => Quadrant::KeepUpTheGoodWork,
                (false, false) => Quadrant::LowPriority,
                (false, true) => Quadrant::PossibleOverkill,
            };
            if q == Quadrant::ConcentrateHere {
                short_planks.push(row.dimension.clone());
            }
            row.quadrant = Some(q);
        }
    }
    Ipa {
        basis,
        importance_mean,
        performance_mean,
        rows,
        short_planks,
    }
}
