//! The source profile: the aggregates a release keeps about its source, written at release time
//! to `monitor/source_profile.json` so drift can be measured later without the source's rows.
//! Small cells are never published; the rule is in [`crate::drift`]'s documentation and
//! `synthgate_eval::cells`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use synthgate_core::{ColumnSchema, PrivacyRole, Result, Schema, SemanticType, StorageType, Table};
use synthgate_eval::cells::{Cell, withhold};
use synthgate_eval::{MetricKind, category_keys, metric_kind};

use crate::spec::DriftPolicy;

/// The profile format this version writes: 2, which may withhold counts as `null`. Version 1
/// (every count present) reads the same way.
pub const PROFILE_FORMAT_VERSION: u32 = 2;

/// The aggregates a release keeps about its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceProfile {
    /// The profile format version.
    pub format_version: u32,
    /// Rows of the source.
    pub rows: usize,
    /// The smallest count recorded.
    pub min_cell: usize,
    /// The missing-value tokens the source was read with.
    pub na_tokens: Vec<String>,
    /// The columns, in source order.
    pub columns: Vec<ColumnProfile>,
}

/// One source column's aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnProfile {
    /// The column's name.
    pub name: String,
    /// How it was stored.
    pub storage: StorageType,
    /// What it means.
    pub semantic: SemanticType,
    /// Its privacy role.
    pub role: PrivacyRole,
    /// Rows where it is missing; `None` (`null`) when withheld.
    pub missing: Option<usize>,
    /// Its distribution over the present values.
    pub distribution: Distribution,
}

/// A column's recorded distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Distribution {
    /// Quantile bins: bin `k` holds the values in `(edges[k-1], edges[k]]`, the first bin
    /// everything up to `edges[0]`, the last everything above the last edge. Dates count in
    /// days and timestamps in microseconds.
    Numeric {
        /// Interior bin edges, increasing.
        edges: Vec<f64>,
        /// Rows per bin (`edges.len() + 1` of them), each at least `min_cell`; `None` (`null`)
        /// when withheld.
        counts: Vec<Option<usize>>,
    },
    /// Category counts of at least `min_cell`, the rest pooled.
    Categorical {
        /// The recorded categories, sorted.
        categories: Vec<String>,
        /// Rows per recorded category (each at least `min_cell`); `None` (`null`) when withheld.
        counts: Vec<Option<usize>>,
        /// Rows in categories too rare to record, pooled (0 or at least `min_cell`); `None`
        /// (`null`) when withheld.
        other: Option<usize>,
    },
    /// Not recorded: identifiers, free text, fewer present values than `min_cell`, or small
    /// cells that could not be protected.
    NotRecorded {
        /// Why.
        reason: String,
    },
}

/// Interior quantile edges of sorted `values` for `bins` bins, merged until every bin holds at
/// least `min_cell` values. Returns (edges, counts).
pub(crate) fn quantile_bins(
    sorted: &[f64],
    bins: usize,
    min_cell: usize,
) -> (Vec<f64>, Vec<usize>) {
    let n = sorted.len();
    let mut edges: Vec<f64> = Vec::new();
    for i in 1..bins {
        let at = (i * n).div_ceil(bins).saturating_sub(1);
        let edge = sorted[at.min(n - 1)];
        // An edge at the maximum leaves the bin above it empty.
        if edge < sorted[n - 1] && edges.last().is_none_or(|last| edge > *last) {
            edges.push(edge);
        }
    }
    let mut counts = bin_counts(&edges, sorted.iter().copied());
    while !edges.is_empty() {
        let Some(small) = counts.iter().position(|&c| c < min_cell) else {
            break;
        };
        // Merge the small bin with its smaller neighbour by dropping the edge between them.
        let edge = if small == 0 {
            0
        } else if small == counts.len() - 1 || counts[small - 1] <= counts[small + 1] {
            small - 1
        } else {
            small
        };
        edges.remove(edge);
        let merged = counts.remove(edge + 1);
        counts[edge] += merged;
    }
    (edges, counts)
}

/// Values per bin of `edges` (see [`Distribution::Numeric`]); `NaN`s are skipped.
pub(crate) fn bin_counts(edges: &[f64], values: impl Iterator<Item = f64>) -> Vec<usize> {
    let mut counts = vec![0; edges.len() + 1];
    for value in values.filter(|v| !v.is_nan()) {
        counts[edges.partition_point(|e| *e < value)] += 1;
    }
    counts
}

pub(crate) fn category_counts(keys: &[Option<String>]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for key in keys.iter().flatten() {
        *counts.entry(key.as_str()).or_insert(0) += 1;
    }
    counts
}

/// One column's recorded distribution and missing count with small cells withheld (see the
/// module docs): `distribution` has every count present, `missing` and `present` are the rows
/// where the column is missing and present.
fn withhold_small_cells(
    distribution: Distribution,
    missing: usize,
    present: usize,
    min_cell: usize,
) -> (Distribution, Option<usize>) {
    let listed = |counts: &[Option<usize>]| -> Vec<Cell> {
        counts
            .iter()
            .map(|c| Cell::new(c.unwrap_or(0), min_cell))
            .collect()
    };
    let mut cells = match &distribution {
        Distribution::Numeric { counts, .. } => listed(counts),
        Distribution::Categorical { counts, other, .. } => {
            let mut cells = listed(counts);
            cells.push(Cell::new(other.unwrap_or(0), 1));
            cells
        }
        // The present values are a cell too: the rows minus the missing count.
        Distribution::NotRecorded { .. } => vec![Cell::new(present, 1)],
    };
    cells.push(Cell::new(missing, 1));
    let Some(withheld) = withhold(&cells, min_cell) else {
        return match distribution {
            Distribution::NotRecorded { .. } => {
                // Fewer rows than can be protected: withhold every non-empty count.
                (distribution, (missing == 0).then_some(0))
            }
            _ => withhold_small_cells(
                Distribution::NotRecorded {
                    reason: format!(
                        "its counts could not be published without a recoverable count under \
                         {min_cell}"
                    ),
                },
                missing,
                present,
                min_cell,
            ),
        };
    };
    let keep = |count: usize, withheld: bool| (!withheld).then_some(count);
    let missing = keep(missing, withheld[withheld.len() - 1]);
    let distribution = match distribution {
        Distribution::Numeric { edges, counts } => Distribution::Numeric {
            counts: counts
                .iter()
                .zip(&withheld)
                .map(|(c, w)| c.and_then(|c| keep(c, *w)))
                .collect(),
            edges,
        },
        Distribution::Categorical {
            categories,
            counts,
            other,
        } => Distribution::Categorical {
            counts: counts
                .iter()
                .zip(&withheld)
                .map(|(c, w)| c.and_then(|c| keep(c, *w)))
                .collect(),
            other: other.and_then(|o| keep(o, withheld[withheld.len() - 2])),
            categories,
        },
        not_recorded @ Distribution::NotRecorded { .. } => not_recorded,
    };
    (distribution, missing)
}

/// The aggregates of `table` (read under `schema` with `na_tokens`) that a bundle keeps, small
/// cells withheld (see the module docs).
pub fn profile_source(
    table: &Table,
    schema: &Schema,
    na_tokens: &[String],
    policy: &DriftPolicy,
) -> SourceProfile {
    let names = table.column_names();
    let columns = schema
        .columns
        .iter()
        .filter_map(|column| {
            let index = names.iter().position(|n| *n == column.name)?;
            let missing = table.null_count(index);
            let present = table.num_rows() - missing;
            let distribution = if present < policy.min_cell {
                Distribution::NotRecorded {
                    reason: format!("fewer than {} present values", policy.min_cell),
                }
            } else {
                match metric_kind(column.semantic) {
                    MetricKind::Skipped => Distribution::NotRecorded {
                        reason: format!("{} column", column.semantic.name()),
                    },
                    MetricKind::Numerical => {
                        let mut values: Vec<f64> = table
                            .numbers(index)
                            .into_iter()
                            .filter(|v| !v.is_nan())
                            .collect();
                        values.sort_by(f64::total_cmp);
                        let (edges, counts) = quantile_bins(&values, policy.bins, policy.min_cell);
                        Distribution::Numeric {
                            edges,
                            counts: counts.into_iter().map(Some).collect(),
                        }
                    }
                    MetricKind::Categorical => {
                        let keys = category_keys(table, index);
                        let mut categories = Vec::new();
                        let mut counts = Vec::new();
                        let mut other = 0;
                        for (key, count) in category_counts(&keys) {
                            if count >= policy.min_cell {
                                categories.push(key.to_string());
                                counts.push(Some(count));
                            } else {
                                other += count;
                            }
                        }
                        Distribution::Categorical {
                            categories,
                            counts,
                            other: Some(other),
                        }
                    }
                }
            };
            let (distribution, missing) =
                withhold_small_cells(distribution, missing, present, policy.min_cell);
            Some(ColumnProfile {
                name: column.name.clone(),
                storage: column.storage,
                semantic: column.semantic,
                role: column.role,
                missing,
                distribution,
            })
        })
        .collect();
    SourceProfile {
        format_version: PROFILE_FORMAT_VERSION,
        rows: table.num_rows(),
        min_cell: policy.min_cell,
        na_tokens: na_tokens.to_vec(),
        columns,
    }
}

impl SourceProfile {
    /// The schema the source was read with, without categories, bounds or rules (which the
    /// profile does not keep): enough to read a new snapshot the same way.
    pub fn schema(&self) -> Result<Schema> {
        Schema::new(
            self.na_tokens.clone(),
            self.columns
                .iter()
                .map(|c| ColumnSchema {
                    name: c.name.clone(),
                    storage: c.storage,
                    semantic: c.semantic,
                    role: c.role,
                    min: None,
                    max: None,
                    categories: None,
                    missing_token: None,
                    decimals: None,
                    point_masses: None,
                    rare: None,
                })
                .collect(),
        )
    }
}
