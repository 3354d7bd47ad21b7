//! Column pair trends, exactly as SDMetrics 0.32's single-table Quality Report computes them
//! (`sdmetrics/reports/single_table/_properties/column_pair_trends.py` with the report's
//! thresholds from `reports/utils.py`): every pair of scored columns, in schema order, gets
//!
//! - two continuous columns (numerical, datetime): **CorrelationSimilarity**,
//!   `1 − |r_real − r_synthetic| / 2` with Pearson's r over the rows where both are present
//!   (each table on its own); the pair counts only if `|r_real| > 0.5` and neither column is
//!   constant in either table;
//! - otherwise: **ContingencySimilarity**, `1 − ½ Σ |p_real(a, b) − p_synthetic(a, b)|` over
//!   the union of value pairs, missing values a category of their own, proportions of all
//!   rows; a continuous column is first cut into 10 equal-width bins over its own table's range
//!   (`numpy.histogram_bin_edges` + `numpy.digitize`: the maximum and missing values share code
//!   11); the pair counts only if the real table's Cramér's V (no Yates correction) is above
//!   0.3.
//!
//! The property is the mean of the counted pairs' scores. One difference, on purpose: SDMetrics
//! subsamples tables of more than 50,000 rows without a seed for contingency pairs; Synthgate
//! uses every row, so its number is reproducible.

use std::collections::HashMap;

use serde::Serialize;

use crate::values::Column;

/// Correlations at or below this (in absolute value) in the real data do not count.
pub const REAL_CORRELATION_THRESHOLD: f64 = 0.5;

/// Associations (Cramér's V) at or below this in the real data do not count.
pub const REAL_ASSOCIATION_THRESHOLD: f64 = 0.3;

/// Bins a continuous column is cut into for a contingency table.
pub const BINS: usize = 10;

/// One pair's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairScore {
    /// The first column.
    pub first: String,
    /// The second column.
    pub second: String,
    /// `CorrelationSimilarity` or `ContingencySimilarity`.
    pub metric: &'static str,
    /// The score (`None` when it could not be computed).
    pub score: Option<f64>,
    /// Pearson's r or Cramér's V of the real data, the number the threshold applies to.
    pub real_association: Option<f64>,
    /// The same of the synthetic data, for every pair (the report's association heatmaps),
    /// counted or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthetic_association: Option<f64>,
    /// Whether the pair counts towards the property.
    pub counted: bool,
}

/// Pearson's r of the rows where both values are present; `None` for fewer than two rows or
/// a constant side. Clipped to [−1, 1] as SciPy does.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

fn distinct_present(values: &[f64]) -> usize {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_unstable_by(f64::total_cmp);
    present.dedup();
    present.len()
}

/// The codes `numpy.digitize(x, numpy.histogram_bin_edges(present, 10))` gives: 1 to 10 by
/// equal-width bin over this table's own range, 11 for the maximum and for missing values.
pub fn bin_codes(values: &[f64]) -> Vec<u8> {
    let present = values.iter().copied().filter(|v| !v.is_nan());
    let (mut first, mut last) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if first > last {
        return vec![(BINS + 1) as u8; values.len()];
    }
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    // numpy.linspace(first, last, 11): i * step + first, the last edge exactly `last`.
    let step = (last - first) / BINS as f64;
    let mut edges: Vec<f64> = (0..=BINS).map(|i| i as f64 * step + first).collect();
    edges[BINS] = last;
    values
        .iter()
        .map(|&value| {
            if value.is_nan() {
                (BINS + 1) as u8
            } else {
                edges.partition_point(|edge| *edge <= value) as u8
            }
        })
        .collect()
}

/// A column as contingency keys: category codes, or bin codes for numbers.
fn keys(column: &Column) -> Vec<u32> {
    match column {
        Column::Discrete(codes) => codes.clone(),
        Column::Continuous(values) => bin_codes(values).into_iter().map(u32::from).collect(),
    }
}

/// Cramér's V of two columns of keys (missing a category of its own), without Yates'
/// correction; `None` when either column has fewer than two categories.
pub fn cramers_v(first: &[u32], second: &[u32]) -> Option<f64> {
    let mut rows: HashMap<u32, usize> = HashMap::new();
    let mut columns: HashMap<u32, usize> = HashMap::new();
    for &value in first {
        let next = rows.len();
        rows.entry(value).or_insert(next);
    }
    for &value in second {
        let next = columns.len();
        columns.entry(value).or_insert(next);
    }
    let (r, c) = (rows.len(), columns.len());
    if r < 2 || c < 2 {
        return None;
    }
    let mut observed = vec![0.0f64; r * c];
    for (a, b) in first.iter().zip(second) {
        observed[rows[a] * c + columns[b]] += 1.0;
    }
    let total: f64 = observed.iter().sum();
    let row_sums: Vec<f64> = (0..r)
        .map(|i| observed[i * c..(i + 1) * c].iter().sum())
        .collect();
    let column_sums: Vec<f64> = (0..c)
        .map(|j| (0..r).map(|i| observed[i * c + j]).sum())
        .collect();
    let mut chi2 = 0.0;
    for i in 0..r {
        for j in 0..c {
            let expected = row_sums[i] * column_sums[j] / total;
            if expected > 0.0 {
                let difference = observed[i * c + j] - expected;
                chi2 += difference * difference / expected;
            }
        }
    }
    Some((chi2 / total / (r.min(c) - 1) as f64).sqrt())
}

/// The shares of each key pair (of the rows at `rows`, or all), sorted by pair (packed as
/// `first << 32 | second`).
pub(crate) fn pair_shares(
    first: &[u32],
    second: &[u32],
    rows: Option<&[usize]>,
) -> Vec<(u64, f64)> {
    let pack = |r: usize| (u64::from(first[r]) << 32) | u64::from(second[r]);
    let mut packed: Vec<u64> = match rows {
        Some(rows) => rows.iter().map(|&r| pack(r)).collect(),
        None => (0..first.len()).map(pack).collect(),
    };
    packed.sort_unstable();
    let n = packed.len() as f64;
    let mut shares: Vec<(u64, f64)> = Vec::new();
    let mut start = 0;
    while start < packed.len() {
        let end = start + packed[start..].partition_point(|&k| k == packed[start]);
        shares.push((packed[start], (end - start) as f64 / n));
        start = end;
    }
    shares
}

/// `½ Σ |p_real − p_synthetic|` over the union of two sorted share lists, summed in key order.
pub(crate) fn total_variation(real: &[(u64, f64)], synthetic: &[(u64, f64)]) -> f64 {
    let (mut i, mut j, mut distance) = (0, 0, 0.0);
    while i < real.len() || j < synthetic.len() {
        let term = match (real.get(i), synthetic.get(j)) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                i += 1;
                j += 1;
                (a.1 - b.1).abs()
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                i += 1;
                a.1
            }
            (Some(a), None) => {
                i += 1;
                a.1
            }
            (_, Some(b)) => {
                j += 1;
                b.1
            }
            (None, None) => break,
        };
        distance += term;
    }
    distance / 2.0
}

/// `1 − ½ Σ |p_real − p_synthetic|` over the union of key pairs, proportions of all rows.
pub fn contingency_similarity(real: (&[u32], &[u32]), synthetic: (&[u32], &[u32])) -> Option<f64> {
    if real.0.is_empty() || synthetic.0.is_empty() {
        return None;
    }
    let real = pair_shares(real.0, real.1, None);
    let synthetic = pair_shares(synthetic.0, synthetic.1, None);
    Some(1.0 - total_variation(&real, &synthetic))
}

/// Score one pair as the report does.
pub fn score_pair(
    names: (&str, &str),
    real: (&Column, &Column),
    synthetic: (&Column, &Column),
) -> PairScore {
    let mut result = PairScore {
        first: names.0.to_string(),
        second: names.1.to_string(),
        metric: "ContingencySimilarity",
        score: None,
        real_association: None,
        synthetic_association: None,
        counted: false,
    };
    if let (
        (Column::Continuous(rx), Column::Continuous(ry)),
        (Column::Continuous(sx), Column::Continuous(sy)),
    ) = (real, synthetic)
    {
        result.metric = "CorrelationSimilarity";
        if [rx, ry, sx, sy]
            .iter()
            .any(|values| distinct_present(values) == 1)
        {
            return result;
        }
        result.synthetic_association = pearson(sx, sy);
        let Some(r_real) = pearson(rx, ry) else {
            return result;
        };
        result.real_association = Some(r_real);
        if r_real.abs() <= REAL_CORRELATION_THRESHOLD {
            return result;
        }
        result.counted = true;
        result.score = result
            .synthetic_association
            .map(|r_synthetic| 1.0 - (r_real - r_synthetic).abs() / 2.0);
        return result;
    }
    let (real_first, real_second) = (keys(real.0), keys(real.1));
    let (synthetic_first, synthetic_second) = (keys(synthetic.0), keys(synthetic.1));
    result.synthetic_association = cramers_v(&synthetic_first, &synthetic_second);
    let Some(association) = cramers_v(&real_first, &real_second) else {
        return result;
    };
    result.real_association = Some(association);
    if association <= REAL_ASSOCIATION_THRESHOLD {
        return result;
    }
    result.score = contingency_similarity(
        (&real_first, &real_second),
        (&synthetic_first, &synthetic_second),
    );
    result.counted = result.score.is_some();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_follow_numpy() {
        // numpy.digitize([0, 1, 5, 9.99, 10, nan], numpy.histogram_bin_edges([0, 10], 10))
        // = [1, 2, 6, 10, 11, 11]
        let codes = bin_codes(&[0.0, 1.0, 5.0, 9.99, 10.0, f64::NAN]);
        assert_eq!(codes, vec![1, 2, 6, 10, 11, 11]);
        // A constant column: edges from 4.5 to 5.5, so 5.0 lands in bin 6.
        assert_eq!(bin_codes(&[5.0, 5.0]), vec![6, 6]);
    }

    /// Every pair carries the synthetic data's association, counted or not (the report's
    /// heatmaps draw them all): Pearson's r for two numbers, Cramér's V otherwise.
    #[test]
    fn every_pair_carries_its_synthetic_association() {
        let real_x = Column::Continuous(vec![1.0, 2.0, 3.0, 4.0]);
        let real_y = Column::Continuous(vec![1.0, -1.0, -1.0, 1.0]);
        let fake_x = Column::Continuous(vec![1.0, 2.0, 3.0, 4.0]);
        let fake_y = Column::Continuous(vec![1.0, 2.0, 3.0, 5.0]);
        let pair = score_pair(("x", "y"), (&real_x, &real_y), (&fake_x, &fake_y));
        assert!(!pair.counted, "real r 0 is under the threshold");
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 5.0]).expect("r");
        assert_eq!(pair.synthetic_association, Some(r));
        assert_eq!(pair.real_association, Some(0.0));
    }

    #[test]
    fn pearson_and_cramers_v() {
        let r = pearson(&[1.0, 2.0, 3.0, f64::NAN], &[2.0, 4.0, 7.0, 1.0]).expect("r");
        // scipy.stats.pearsonr([1, 2, 3], [2, 4, 7]).statistic = 0.9933992677987828
        assert!((r - 0.993_399_267_798_782_8).abs() < 1e-12, "{r}");
        // A perfect association has V = 1; independence has V = 0.
        let a = [0, 0, 1, 1];
        let b = [5, 5, 7, 7];
        assert!((cramers_v(&a, &b).expect("v") - 1.0).abs() < 1e-12);
        let c = [5, 7, 5, 7];
        assert!(cramers_v(&a, &c).expect("v").abs() < 1e-12);
        assert_eq!(cramers_v(&a, &[5; 4]), None);
        // Half the rows agree: ½ (|½ − ¼| + |0 − ¼| + |½ − ¼| + |0 − ¼|) = ½.
        let score = contingency_similarity((&a, &b), (&a, &c)).expect("score");
        assert!((score - 0.5).abs() < 1e-12);
    }
}

/// What scoring a pair needs from the real table, computed once: which pairs count, and their
/// real-side numbers. Bootstrap resamples of the synthetic table reuse it.
#[derive(Debug, Clone)]
pub struct PairPlan {
    pairs: Vec<PlannedPair>,
}

#[derive(Debug, Clone)]
enum PlannedPair {
    Correlation {
        first: usize,
        second: usize,
        r_real: f64,
    },
    Contingency {
        first: usize,
        second: usize,
        /// Real shares of each key pair, sorted by key.
        real: Vec<(u64, f64)>,
    },
}

impl PairPlan {
    /// The counted pairs among `columns` (real) and their real-side numbers.
    pub fn new(real: &[Column]) -> PairPlan {
        PairPlan::of_pairs(real, |_, _| true)
    }

    /// The counted pairs of a column before `boundary` with one from `boundary` on: the pairs
    /// across two tables joined side by side (a child's columns, then its parent's), as
    /// SDMetrics' multi-table Quality Report counts them for Intertable Trends (related in the
    /// real data; its bare InterTableTrends property would average every pair).
    pub fn across(real: &[Column], boundary: usize) -> PairPlan {
        PairPlan::of_pairs(real, |first, second| first < boundary && second >= boundary)
    }

    fn of_pairs(real: &[Column], wanted: impl Fn(usize, usize) -> bool) -> PairPlan {
        let mut pairs = Vec::new();
        for first in 0..real.len() {
            for second in first + 1..real.len() {
                if !wanted(first, second) {
                    continue;
                }
                match (&real[first], &real[second]) {
                    (Column::Continuous(x), Column::Continuous(y)) => {
                        if distinct_present(x) == 1 || distinct_present(y) == 1 {
                            continue;
                        }
                        if let Some(r_real) = pearson(x, y)
                            && r_real.abs() > REAL_CORRELATION_THRESHOLD
                        {
                            pairs.push(PlannedPair::Correlation {
                                first,
                                second,
                                r_real,
                            });
                        }
                    }
                    (a, b) => {
                        let (ka, kb) = (keys(a), keys(b));
                        if !cramers_v(&ka, &kb).is_some_and(|v| v > REAL_ASSOCIATION_THRESHOLD) {
                            continue;
                        }
                        let real = pair_shares(&ka, &kb, None);
                        pairs.push(PlannedPair::Contingency {
                            first,
                            second,
                            real,
                        });
                    }
                }
            }
        }
        PairPlan { pairs }
    }

    /// The Column Pair Trends mean of `synthetic` under this plan (`None` when no pair counts
    /// or none could be scored). Equal to [`score_pair`]'s counted scores averaged.
    pub fn mean(&self, synthetic: &[Column]) -> Option<f64> {
        let (total, count) = self.total(synthetic);
        (count > 0).then(|| total / count as f64)
    }

    /// The sum of the scored pairs' scores and how many were scored (a mean pooled over
    /// several plans adds these up).
    pub fn total(&self, synthetic: &[Column]) -> (f64, usize) {
        // Each column's contingency keys and whether it is constant, once per table, not once
        // per pair: wide tables have many pairs per column.
        let mut used = vec![false; synthetic.len()];
        for pair in &self.pairs {
            let (PlannedPair::Correlation { first, second, .. }
            | PlannedPair::Contingency { first, second, .. }) = pair;
            used[*first] = true;
            used[*second] = true;
        }
        let column_keys: Vec<Option<Vec<u32>>> = synthetic
            .iter()
            .zip(&used)
            .map(|(column, &used)| used.then(|| keys(column)))
            .collect();
        let constant: Vec<bool> = synthetic
            .iter()
            .zip(&used)
            .map(|(column, &used)| {
                used && matches!(column, Column::Continuous(x) if distinct_present(x) == 1)
            })
            .collect();
        let mut total = 0.0;
        let mut count = 0usize;
        for pair in &self.pairs {
            let score = match pair {
                PlannedPair::Correlation {
                    first,
                    second,
                    r_real,
                } => {
                    let (Column::Continuous(x), Column::Continuous(y)) =
                        (&synthetic[*first], &synthetic[*second])
                    else {
                        continue;
                    };
                    if constant[*first] || constant[*second] {
                        continue;
                    }
                    pearson(x, y).map(|r| 1.0 - (r_real - r).abs() / 2.0)
                }
                PlannedPair::Contingency {
                    first,
                    second,
                    real,
                } => {
                    let (Some(ka), Some(kb)) = (&column_keys[*first], &column_keys[*second]) else {
                        continue;
                    };
                    let n = ka.len();
                    let distance = total_variation(real, &pair_shares(ka, kb, None));
                    (n > 0).then_some(1.0 - distance)
                }
            };
            if let Some(score) = score {
                total += score;
                count += 1;
            }
        }
        (total, count)
    }
}
