//! Synthgate's evaluation harness: metrics that compare a synthetic table with real ones.
//!
//! Evaluation never depends on synthesis: it compares tables and does not care how they were
//! made, so it scores any tool's output. Where a peer defines a metric, Synthgate follows the
//! published definition exactly and says so in the metric's docs; tests compare the numbers
//! with the peer's own package on the same files.
//!
//! So far: [`column_shapes`] (SDMetrics 0.32's Quality Report property, with per-column
//! [`ColumnScore`]s), built on [`shapes::ks_complement`] and [`shapes::tv_complement`], and
//! [`column_pair_trends`] (the same report's property, with per-pair [`pairs::PairScore`]s).

#![warn(missing_docs)]

pub mod pairs;
pub mod shapes;
mod values;

use serde::Serialize;
use synthgate_core::{Error, Result, Schema, SemanticType, Table};

/// The harness version: scores with the same version are comparable.
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

fn column_index(table: &Table, name: &str, which: &str) -> Result<usize> {
    table
        .column_names()
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| {
            Error::input(format!(
                "the {which} table has no column '{name}', which the schema lists."
            ))
            .hint("Evaluate tables with the same columns (in any order).")
        })
}

/// SDMetrics' Column Shapes: the mean of the per-column scores that could be computed, and
/// the per-column scores. `schema` decides each column's metric.
pub fn column_shapes(
    real: &Table,
    synthetic: &Table,
    schema: &Schema,
) -> Result<(f64, Vec<ColumnScore>)> {
    let mut scores = Vec::new();
    for column in &schema.columns {
        let kind = metric_kind(column.semantic);
        if kind == MetricKind::Skipped {
            continue;
        }
        let (r, s) = (
            column_index(real, &column.name, "real")?,
            column_index(synthetic, &column.name, "synthetic")?,
        );
        let (metric, score) = match kind {
            MetricKind::Numerical => (
                "KSComplement",
                shapes::ks_complement(&values::numbers(real, r), &values::numbers(synthetic, s)),
            ),
            _ => (
                "TVComplement",
                shapes::tv_complement(
                    &values::categories(real, r),
                    &values::categories(synthetic, s),
                ),
            ),
        };
        scores.push(ColumnScore {
            column: column.name.clone(),
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

/// SDMetrics' Column Pair Trends: the mean over the counted pairs, and every pair's score.
/// `None` as the mean when no pair counts (no real correlation or association is strong
/// enough).
pub fn column_pair_trends(
    real: &Table,
    synthetic: &Table,
    schema: &Schema,
) -> Result<(Option<f64>, Vec<pairs::PairScore>)> {
    let mut columns = Vec::new();
    for column in &schema.columns {
        let kind = metric_kind(column.semantic);
        if kind == MetricKind::Skipped {
            continue;
        }
        let (r, s) = (
            column_index(real, &column.name, "real")?,
            column_index(synthetic, &column.name, "synthetic")?,
        );
        let pick = |table: &Table, index: usize| match kind {
            MetricKind::Numerical => pairs::PairColumn::Continuous(values::numbers(table, index)),
            _ => pairs::PairColumn::Discrete(values::categories(table, index)),
        };
        columns.push((column.name.as_str(), pick(real, r), pick(synthetic, s)));
    }
    let mut scores = Vec::new();
    for (i, first) in columns.iter().enumerate() {
        for second in &columns[i + 1..] {
            scores.push(pairs::score_pair(
                (first.0, second.0),
                (&first.1, &second.1),
                (&first.2, &second.2),
            ));
        }
    }
    let counted: Vec<f64> = scores
        .iter()
        .filter(|s| s.counted)
        .filter_map(|s| s.score)
        .collect();
    let mean = (!counted.is_empty()).then(|| counted.iter().sum::<f64>() / counted.len() as f64);
    Ok((mean, scores))
}
