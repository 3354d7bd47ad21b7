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
//!   [`evaluate_with_progress`] also names each step as it starts. Every id it reports has a
//!   row in the metric table ([`synthgate_core::metrics`]), which says which way it is better
//!   and how [`html::status`] bands it.
//!
//! Scale: cost grows with pairs of columns at most ([`accuracy::MAX_TRIPLES`] caps the column
//! triples trivariate accuracy counts, by a seeded sample) and a table of more than
//! [`MAX_ROWS`] rows is scored on a seeded sample of that many rows ([`capped_rows`]); the
//! report says what was sampled.

#![warn(missing_docs)]

pub mod accuracy;
pub mod anonymeter;
pub mod augment;
pub mod cells;
pub mod compare;
pub mod coverage;
pub mod dcr;
pub mod detection;
pub mod distributions;
mod duplicates;
pub mod gbdt;
mod harness;
pub mod html;
pub mod kmarginal;
pub mod metric;
pub mod nearest;
pub mod pairs;
pub mod privacy;
pub mod relational;
pub mod sequences;
pub mod shapes;
mod stats;
pub mod subgroups;
pub mod text;
pub mod utility;
mod values;

pub use values::{Column, MISSING, Prepared, category_keys, prepare};

use std::collections::HashSet;

use serde::Serialize;
use synthgate_core::{Error, Result, SemanticType};

use crate::pairs::PairScore;

/// The harness version: scores made by the same version are comparable. 0.2: long tables
/// scored on seeded row samples (`MAX_ROWS`, `MAX_SEARCH_ROWS`), trivariate accuracy on at
/// most `MAX_TRIPLES` column triples, subgroup counts protected by the small-cell rule. 0.3:
/// the density-ratio membership attack, subgroup privacy metrics, `libm` for every
/// transcendental function (utility and attack numbers may differ in the last digits). 0.4:
/// anonymeter linkability and inference break ties between synthetic rows at random (not by
/// row order), the singling-out size correction is fitted to convergence.
pub const HARNESS_VERSION: &str = "0.4";

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
    /// The column's distribution in the training, holdout and synthetic rows, real counts
    /// under small-cell control (the harness's report; `None` elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<distributions::Distribution>,
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
            distribution: None,
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
                distribution: None,
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
pub(crate) fn row_keys(table: &Prepared) -> Vec<Vec<u64>> {
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

pub use harness::{
    EvaluationConfig, Input, InputInfo, MAX_ROWS, Metric, ROWS_STREAM, Report, capped_rows,
    evaluate, evaluate_with_progress, score,
};
