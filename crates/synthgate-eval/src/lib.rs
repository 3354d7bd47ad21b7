//! Synthgate's evaluation harness: metrics that compare a synthetic table with real ones.
//!
//! Evaluation never depends on synthesis: it compares tables and does not care how they were
//! made, so it scores any tool's output. Where a peer defines a metric, Synthgate follows the
//! published definition exactly and says so in the metric's docs; tests compare the numbers
//! with the peer's own package on the same files.
//!
//! - [`Prepared`] holds a table's columns as the metrics need them (numbers or category keys,
//!   by the schema's semantic types), so a bootstrap resamples row indices, not tables.
//! - [`column_shapes`] and [`column_pair_trends`] are SDMetrics 0.32's Quality Report
//!   properties ([`shapes`], [`pairs`]); [`missing_rates`], [`category_coverage`] and
//!   [`range_coverage`] average SDMetrics' single-column metrics of those names ([`coverage`]);
//!   [`exact_copy_rate`] counts synthetic rows identical to a training row.
//! - [`evaluate`] runs them all on (train, holdout, synthetic) and returns [`Metric`]s, each with
//!   a bootstrap confidence interval and the holdout's own score as the honest reference.

#![warn(missing_docs)]

pub mod coverage;
pub mod dcr;
pub mod gbdt;
pub mod nearest;
pub mod pairs;
pub mod shapes;
mod values;

pub use values::{Column, MISSING, Prepared, prepare};

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::{Error, Result, Seed, SemanticType, unit_f64};

use crate::pairs::PairScore;

/// The harness version: scores made by the same version are comparable.
pub const HARNESS_VERSION: &str = "0.1";

/// How SDMetrics treats a column, from its semantic type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Numerical and datetime columns: KSComplement.
    Numerical,
    /// Categorical, ordinal, boolean and constant columns: TVComplement.
    Categorical,
    /// Identifiers and free text: not scored.
    Skipped,
}

/// The metric kind of a semantic type.
pub fn metric_kind(semantic: SemanticType) -> MetricKind {
    match semantic {
        SemanticType::Continuous
        | SemanticType::Integer
        | SemanticType::Datetime
        | SemanticType::Date => MetricKind::Numerical,
        SemanticType::Categorical
        | SemanticType::OrdinalCode
        | SemanticType::Boolean
        | SemanticType::Constant => MetricKind::Categorical,
        SemanticType::Identifier | SemanticType::FreeText => MetricKind::Skipped,
    }
}

/// One column's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnScore {
    /// The column.
    pub column: String,
    /// `KSComplement` or `TVComplement`.
    pub metric: &'static str,
    /// The score, or `None` when a side has no present value.
    pub score: Option<f64>,
}

/// SDMetrics' Column Shapes of `synthetic` against `real`: the mean of the per-column scores
/// that could be computed, and the per-column scores.
pub fn column_shapes(real: &Prepared, synthetic: &Prepared) -> Result<(f64, Vec<ColumnScore>)> {
    let mut scores = Vec::new();
    for ((name, r), s) in real.names.iter().zip(&real.columns).zip(&synthetic.columns) {
        let (metric, score) = match (r, s) {
            (Column::Continuous(r), Column::Continuous(s)) => {
                ("KSComplement", shapes::ks_complement(r, s))
            }
            (Column::Discrete(r), Column::Discrete(s)) => {
                ("TVComplement", shapes::tv_complement(r, s))
            }
            _ => {
                return Err(Error::internal(
                    "prepared tables disagree on a column's kind",
                ));
            }
        };
        scores.push(ColumnScore {
            column: name.clone(),
            metric,
            score,
        });
    }
    let present: Vec<f64> = scores.iter().filter_map(|s| s.score).collect();
    if present.is_empty() {
        return Err(Error::input("no column could be scored for column shapes."));
    }
    Ok((present.iter().sum::<f64>() / present.len() as f64, scores))
}

/// SDMetrics' Column Pair Trends: the mean over the counted pairs (`None` when no pair is
/// strongly enough related in the real data to count), and every pair's score.
pub fn column_pair_trends(real: &Prepared, synthetic: &Prepared) -> (Option<f64>, Vec<PairScore>) {
    let mut scores = Vec::new();
    let n = real.columns.len();
    for i in 0..n {
        for j in i + 1..n {
            scores.push(pairs::score_pair(
                (&real.names[i], &real.names[j]),
                (&real.columns[i], &real.columns[j]),
                (&synthetic.columns[i], &synthetic.columns[j]),
            ));
        }
    }
    let counted: Vec<f64> = scores
        .iter()
        .filter(|s| s.counted)
        .filter_map(|s| s.score)
        .collect();
    let mean = (!counted.is_empty()).then(|| counted.iter().sum::<f64>() / counted.len() as f64);
    (mean, scores)
}

/// A per-column metric over the scored columns: the mean of the computable scores and every
/// column's score. `score` returns `None` for columns it does not apply to.
fn per_column<F>(
    real: &Prepared,
    synthetic: &Prepared,
    metric: &'static str,
    score: F,
) -> (Option<f64>, Vec<ColumnScore>)
where
    F: Fn(&Column, &Column) -> Option<Option<f64>>,
{
    let mut scores = Vec::new();
    for ((name, r), s) in real.names.iter().zip(&real.columns).zip(&synthetic.columns) {
        if let Some(value) = score(r, s) {
            scores.push(ColumnScore {
                column: name.clone(),
                metric,
                score: value,
            });
        }
    }
    let present: Vec<f64> = scores.iter().filter_map(|s| s.score).collect();
    let mean = (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64);
    (mean, scores)
}

fn missing(column: &Column) -> (usize, usize) {
    match column {
        Column::Continuous(values) => (values.iter().filter(|v| v.is_nan()).count(), values.len()),
        Column::Discrete(codes) => (codes.iter().filter(|&&c| c == MISSING).count(), codes.len()),
    }
}

/// SDMetrics' MissingValueSimilarity per column, and its mean.
pub fn missing_rates(real: &Prepared, synthetic: &Prepared) -> (Option<f64>, Vec<ColumnScore>) {
    per_column(real, synthetic, "MissingValueSimilarity", |r, s| {
        let ((rm, rn), (sm, sn)) = (missing(r), missing(s));
        Some(coverage::missing_value_similarity(rm, rn, sm, sn))
    })
}

/// SDMetrics' CategoryCoverage per categorical column, and its mean.
pub fn category_coverage(real: &Prepared, synthetic: &Prepared) -> (Option<f64>, Vec<ColumnScore>) {
    per_column(real, synthetic, "CategoryCoverage", |r, s| match (r, s) {
        (Column::Discrete(r), Column::Discrete(s)) => Some(coverage::category_coverage(r, s)),
        _ => None,
    })
}

/// SDMetrics' RangeCoverage per numerical or datetime column, and its mean.
pub fn range_coverage(real: &Prepared, synthetic: &Prepared) -> (Option<f64>, Vec<ColumnScore>) {
    per_column(real, synthetic, "RangeCoverage", |r, s| match (r, s) {
        (Column::Continuous(r), Column::Continuous(s)) => Some(coverage::range_coverage(r, s)),
        _ => None,
    })
}

/// Column Pair Trends through a [`pairs::PairPlan`] of `real`, as the bootstrap computes it.
pub fn pair_trends_with_plan(real: &Prepared, synthetic: &Prepared) -> Option<f64> {
    pairs::PairPlan::new(&real.columns).mean(&synthetic.columns)
}

/// Each row's values as bits (numbers by value with one `NaN`, categories by code), the key
/// row identity compares.
fn row_keys(table: &Prepared) -> Vec<Vec<u64>> {
    (0..table.rows)
        .map(|row| {
            table
                .columns
                .iter()
                .map(|column| match column {
                    Column::Continuous(values) => {
                        let value = values[row];
                        if value.is_nan() {
                            f64::NAN.to_bits()
                        } else {
                            // +0.0 and -0.0 are the same value.
                            (value + 0.0).to_bits()
                        }
                    }
                    Column::Discrete(codes) => u64::from(codes[row]),
                })
                .collect()
        })
        .collect()
}

/// For each row of `candidate`, whether it equals some row of `train` on every scored column
/// (identifiers and free text are not compared; missing equals missing).
pub fn copies_of_training_rows(train: &Prepared, candidate: &Prepared) -> Vec<bool> {
    let keys: HashSet<Vec<u64>> = row_keys(train).into_iter().collect();
    row_keys(candidate)
        .into_iter()
        .map(|key| keys.contains(&key))
        .collect()
}

/// The share of `candidate` rows identical to a training row.
pub fn exact_copy_rate(train: &Prepared, candidate: &Prepared) -> f64 {
    let copies = copies_of_training_rows(train, candidate);
    copies.iter().filter(|&&copy| copy).count() as f64 / copies.len().max(1) as f64
}

/// One metric of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Stable id, e.g. `fidelity.column_shapes`.
    pub id: &'static str,
    /// The score.
    pub value: f64,
    /// Lower end of the 95% bootstrap interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval.
    pub ci_high: Option<f64>,
    /// What real data the generator never saw scores on the same metric.
    pub holdout_reference: Option<f64>,
    /// The definition followed, with its source.
    pub definition: &'static str,
    /// Per-column or per-pair scores.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvaluationConfig {
    /// Seed of the bootstrap resamples.
    pub seed: Seed,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
}

impl Default for EvaluationConfig {
    fn default() -> EvaluationConfig {
        EvaluationConfig {
            seed: Seed(0),
            resamples: 100,
        }
    }
}

/// The 95% bootstrap interval of `estimate` from the resampled `values` (NaNs ignored): the
/// 2.5th and 97.5th percentiles, shifted by the bootstrap's estimated bias (mean of the
/// resamples minus the estimate). Resampling rows with replacement repeats rows, which lowers
/// distance-based fidelity scores; without the shift the interval would sit below the score.
fn bootstrap_interval(estimate: f64, mut values: Vec<f64>) -> (Option<f64>, Option<f64>) {
    values.retain(|v| !v.is_nan());
    if values.is_empty() {
        return (None, None);
    }
    let bias = values.iter().sum::<f64>() / values.len() as f64 - estimate;
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let position = q * (values.len() - 1) as f64;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        values[below] + (values[above] - values[below]) * (position - below as f64)
    };
    (Some(at(0.025) - bias), Some(at(0.975) - bias))
}

/// Bootstrap resamples of `rows` row indices, each from its own seed stream.
fn resamples(rows: usize, config: &EvaluationConfig, purpose: &str) -> Vec<Vec<usize>> {
    (0..config.resamples)
        .map(|index| {
            let mut rng = config.seed.stream(purpose, index as u64);
            (0..rows)
                .map(|_| ((unit_f64(&mut rng) * rows as f64) as usize).min(rows.saturating_sub(1)))
                .collect()
        })
        .collect()
}

/// Evaluate `synthetic` against `train` and `holdout` (all [`Prepared`] under one schema).
pub fn evaluate(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
) -> Result<Vec<Metric>> {
    if synthetic.rows == 0 || train.rows == 0 || holdout.rows == 0 {
        return Err(Error::input("a table to evaluate has no rows."));
    }
    let mut metrics = Vec::new();

    let (shapes, columns) = column_shapes(train, synthetic)?;
    let boot: Vec<f64> = resamples(synthetic.rows, config, "evaluate/column_shapes")
        .par_iter()
        .map(|indices| column_shapes(train, &synthetic.resample(indices)).map_or(f64::NAN, |s| s.0))
        .collect();
    let (ci_low, ci_high) = bootstrap_interval(shapes, boot);
    metrics.push(Metric {
        id: "fidelity.column_shapes",
        value: shapes,
        ci_low,
        ci_high,
        holdout_reference: column_shapes(train, holdout).ok().map(|s| s.0),
        definition: "SDMetrics 0.32 Quality Report 'Column Shapes': mean of KSComplement \
                     (numerical, datetime) and TVComplement (categorical) per column; synthetic \
                     vs train. Reference: the holdout in the synthetic set's place, at its own \
                     size.",
        details: serde_json::to_value(&columns).unwrap_or_default(),
    });

    let (trends, pair_scores) = column_pair_trends(train, synthetic);
    if let Some(trends) = trends {
        let plan = pairs::PairPlan::new(&train.columns);
        let boot: Vec<f64> = resamples(synthetic.rows, config, "evaluate/column_pair_trends")
            .par_iter()
            .map(|indices| {
                plan.mean(&synthetic.resample(indices).columns)
                    .unwrap_or(f64::NAN)
            })
            .collect();
        let (ci_low, ci_high) = bootstrap_interval(trends, boot);
        metrics.push(Metric {
            id: "fidelity.column_pair_trends",
            value: trends,
            ci_low,
            ci_high,
            holdout_reference: column_pair_trends(train, holdout).0,
            definition: "SDMetrics 0.32 Quality Report 'Column Pair Trends': mean of \
                         CorrelationSimilarity (Pearson, pairs with real |r| > 0.5) and \
                         ContingencySimilarity (10 equal-width bins for numbers, pairs with real \
                         Cramer's V > 0.3); synthetic vs train. Reference: the holdout in the \
                         synthetic set's place, at its own size.",
            details: serde_json::to_value(&pair_scores).unwrap_or_default(),
        });
    }

    type PerColumn = fn(&Prepared, &Prepared) -> (Option<f64>, Vec<ColumnScore>);
    let per_column_metrics: [(&'static str, &'static str, PerColumn); 3] = [
        (
            "fidelity.missing_rates",
            "Mean over columns of SDMetrics 0.32 MissingValueSimilarity: 1 - |missing share \
             real - missing share synthetic|; synthetic vs train. Reference: the holdout.",
            missing_rates,
        ),
        (
            "fidelity.category_coverage",
            "Mean over categorical columns of SDMetrics 0.32 CategoryCoverage: the share of the \
             training data's categories that appear in the synthetic data. Reference: the \
             holdout, at its own size.",
            category_coverage,
        ),
        (
            "fidelity.range_coverage",
            "Mean over numerical and datetime columns of SDMetrics 0.32 RangeCoverage: how much \
             of the training range [min, max] the synthetic values span. Reference: the \
             holdout, at its own size.",
            range_coverage,
        ),
    ];
    for (id, definition, metric) in per_column_metrics {
        let (Some(value), details) = metric(train, synthetic) else {
            continue;
        };
        let boot: Vec<f64> = resamples(synthetic.rows, config, &format!("evaluate/{id}"))
            .par_iter()
            .map(|indices| {
                metric(train, &synthetic.resample(indices))
                    .0
                    .unwrap_or(f64::NAN)
            })
            .collect();
        let (ci_low, ci_high) = bootstrap_interval(value, boot);
        metrics.push(Metric {
            id,
            value,
            ci_low: ci_low.map(|v| v.min(1.0)),
            ci_high: ci_high.map(|v| v.min(1.0)),
            holdout_reference: metric(train, holdout).0,
            definition,
            details: serde_json::to_value(&details).unwrap_or_default(),
        });
    }

    // Exact DCR against the full train and holdout sets, SDMetrics' breakdown. The interval
    // bootstraps the fixed per-row outcomes; the reference puts half the holdout in the
    // synthetic set's place and the other half in the holdout's.
    let (closer, per_row) = dcr::closer_to_training(train, holdout, synthetic);
    let share =
        |flags: &[bool]| flags.iter().filter(|&&c| c).count() as f64 / flags.len().max(1) as f64;
    let boot: Vec<f64> = resamples(synthetic.rows, config, "evaluate/dcr_closer_to_training")
        .iter()
        .map(|indices| share(&indices.iter().map(|&i| per_row[i]).collect::<Vec<_>>()))
        .collect();
    let (ci_low, ci_high) = bootstrap_interval(closer, boot);
    let half = holdout.rows / 2;
    let reference = (half > 0).then(|| {
        let first: Vec<usize> = (0..half).collect();
        let second: Vec<usize> = (half..holdout.rows).collect();
        dcr::closer_to_training(train, &holdout.resample(&second), &holdout.resample(&first)).0
    });
    metrics.push(Metric {
        id: "privacy.dcr_closer_to_training",
        value: closer,
        ci_low,
        ci_high,
        holdout_reference: reference,
        definition: "SDMetrics 0.32 DCROverfittingProtection breakdown 'closer_to_training': \
                     share of synthetic rows whose distance to the closest training row (mean \
                     over columns of range-scaled absolute difference or category mismatch) is \
                     below their distance to the closest holdout row; exact search, full sets. \
                     Reference: the first half of the holdout scored against train and the \
                     second half.",
        details: serde_json::Value::Null,
    });

    let copies = copies_of_training_rows(train, synthetic);
    let rate =
        |flags: &[bool]| flags.iter().filter(|&&c| c).count() as f64 / flags.len().max(1) as f64;
    let boot: Vec<f64> = resamples(synthetic.rows, config, "evaluate/exact_copy_rate")
        .iter()
        .map(|indices| rate(&indices.iter().map(|&i| copies[i]).collect::<Vec<_>>()))
        .collect();
    let (ci_low, ci_high) = bootstrap_interval(rate(&copies), boot);
    metrics.push(Metric {
        id: "privacy.exact_copy_rate",
        value: rate(&copies),
        ci_low,
        ci_high,
        holdout_reference: Some(exact_copy_rate(train, holdout)),
        definition: "Share of synthetic rows equal to some training row on every scored column \
                     (identifiers and free text not compared; missing equals missing). Reference: \
                     the holdout's own rate.",
        details: serde_json::Value::Null,
    });
    Ok(metrics)
}

/// One input of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputInfo {
    /// `train`, `holdout` or `synthetic`.
    pub role: &'static str,
    /// The file as given.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows read.
    pub rows: usize,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The report file format version.
    pub format_version: u32,
    /// The harness version that made the scores.
    pub harness_version: &'static str,
    /// The bootstrap seed.
    pub seed: u64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// The inputs.
    pub inputs: Vec<InputInfo>,
    /// The metrics.
    pub metrics: Vec<Metric>,
}
