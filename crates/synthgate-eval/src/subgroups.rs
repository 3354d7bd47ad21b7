//! Subgroup fidelity: does the synthetic data serve every group of a sensitive attribute
//! (sex, race, age band) as well as the whole? For each attribute and each group with at least
//! `min_group_rows` training rows (smaller groups are suppressed and listed as such):
//!
//! - the group's share of the training rows and of the synthetic rows;
//! - column shapes (SDMetrics' definition) of the group's synthetic rows against its training
//!   rows, the holdout's group as reference;
//! - with a two-class or numeric target: the target's rate (mean) in the group, real and
//!   synthetic, and the group's TSTR and TRTR on its holdout rows;
//! - the DCR share of the group's synthetic rows.
//!
//! `subgroup.<attribute>.worst_gap` is the largest shortfall `1 − column shapes` over the
//! reported groups and names that group; the reference is the same for the holdout's groups
//! (smaller, so its shortfalls are larger: compare the groups' own references in the details).
//! A numeric attribute is cut into 4 bands at the training quartiles.

use serde::Serialize;
use synthgate_core::{Error, Result};

use crate::harness::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::privacy::{DcrShare, mean};
use crate::utility::{TargetColumn, Utility};
use crate::values::{Column, MISSING};
use crate::{Prepared, column_shapes};

/// How one attribute splits rows into groups.
#[derive(Debug, Clone)]
enum Split {
    Codes { column: usize },
    Bands { column: usize, edges: Vec<f64> },
}

/// The attributes and their groups, checked against the training table.
#[derive(Debug, Clone)]
pub struct Plan {
    attributes: Vec<(String, Split)>,
    min_rows: usize,
}

impl Plan {
    /// Check `names` against `train`'s scored columns.
    pub fn new(train: &Prepared, names: &[String], min_rows: usize) -> Result<Plan> {
        let mut attributes = Vec::new();
        for name in names {
            let column = train.position(name).ok_or_else(|| {
                Error::input(format!(
                    "--sensitive '{name}' is not a scored column of the train table."
                ))
                .hint(format!("Scored columns: {}.", train.names().join(", ")))
            })?;
            let split = match &train.columns[column] {
                Column::Discrete(_) => Split::Codes { column },
                Column::Continuous(values) => {
                    let quartiles: Vec<f64> = [0.25, 0.5, 0.75]
                        .iter()
                        .filter_map(|&q| crate::privacy::quantile(&present(values), q))
                        .collect();
                    let mut edges = quartiles;
                    edges.dedup();
                    Split::Bands { column, edges }
                }
            };
            attributes.push((name.clone(), split));
        }
        Ok(Plan {
            attributes,
            min_rows,
        })
    }
}

fn present(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| !v.is_nan()).collect()
}

impl Split {
    /// Each row's group key (`u32::MAX` = missing).
    fn keys(&self, table: &Prepared) -> Vec<u32> {
        match self {
            Split::Codes { column } => match &table.columns[*column] {
                Column::Discrete(codes) => codes.clone(),
                Column::Continuous(_) => Vec::new(),
            },
            Split::Bands { column, edges } => match &table.columns[*column] {
                Column::Continuous(values) => values
                    .iter()
                    .map(|&v| {
                        if v.is_nan() {
                            MISSING
                        } else {
                            edges.partition_point(|&e| e <= v) as u32
                        }
                    })
                    .collect(),
                Column::Discrete(_) => Vec::new(),
            },
        }
    }

    fn name(&self, table: &Prepared, key: u32) -> String {
        if key == MISSING {
            return "(missing)".to_string();
        }
        match self {
            Split::Codes { column } => table.category(*column, key).unwrap_or("?").to_string(),
            Split::Bands { edges, .. } => {
                let k = key as usize;
                let low = if k == 0 {
                    "-inf".to_string()
                } else {
                    synthgate_core::text::format_float(edges[k - 1])
                };
                let high = edges.get(k).map_or("inf".to_string(), |&e| {
                    synthgate_core::text::format_float(e)
                });
                format!("[{low}, {high})")
            }
        }
    }
}

/// One group's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The group's value (or band).
    pub group: String,
    /// Training rows in the group.
    pub train_rows: usize,
    /// Share of the training rows.
    pub share_real: f64,
    /// Share of the synthetic rows.
    pub share_synthetic: f64,
    /// Column shapes of the group's synthetic rows against its training rows.
    pub column_shapes: Option<f64>,
    /// The same for the group's holdout rows.
    pub column_shapes_reference: Option<f64>,
    /// Target rate (two classes: share of the positive class; numbers: mean), training rows.
    pub target_rate_real: Option<f64>,
    /// Target rate, synthetic rows.
    pub target_rate_synthetic: Option<f64>,
    /// TSTR on the group's holdout rows.
    pub tstr: Option<f64>,
    /// TRTR on the group's holdout rows.
    pub trtr: Option<f64>,
    /// DCR share of the group's synthetic rows.
    pub dcr_share: Option<f64>,
}

fn rows_of(keys: &[u32], key: u32) -> Vec<usize> {
    (0..keys.len()).filter(|&r| keys[r] == key).collect()
}

fn target_rate(table: &Prepared, rows: &[usize], target: &TargetColumn) -> Option<f64> {
    match &table.columns[target.index] {
        Column::Discrete(codes) => {
            let (positive, negative) = target.classes_of_binary()?;
            let labelled: Vec<f64> = rows
                .iter()
                .filter(|&&r| codes[r] == positive || codes[r] == negative)
                .map(|&r| f64::from(u8::from(codes[r] == positive)))
                .collect();
            (!labelled.is_empty()).then(|| mean(&labelled))
        }
        Column::Continuous(values) => {
            let present: Vec<f64> = rows
                .iter()
                .map(|&r| values[r])
                .filter(|v| !v.is_nan())
                .collect();
            (!present.is_empty()).then(|| mean(&present))
        }
    }
}

/// What the subgroup metrics reuse from the rest of the evaluation.
pub(crate) struct Shared<'a> {
    pub(crate) target: Option<&'a TargetColumn>,
    pub(crate) utility: Option<&'a Utility>,
    pub(crate) shares: &'a DcrShare,
}

impl Plan {
    /// The `subgroup.<attribute>.worst_gap` metrics.
    pub(crate) fn metrics(
        &self,
        train: &Prepared,
        holdout: &Prepared,
        synthetic: &Prepared,
        shared: &Shared<'_>,
        config: &EvaluationConfig,
    ) -> Result<Vec<Metric>> {
        let mut metrics = Vec::new();
        for (name, split) in &self.attributes {
            let (train_keys, holdout_keys, synthetic_keys) = (
                split.keys(train),
                split.keys(holdout),
                split.keys(synthetic),
            );
            let mut keys: Vec<u32> = train_keys.clone();
            keys.sort_unstable();
            keys.dedup();
            let mut groups = Vec::new();
            let mut suppressed = Vec::new();
            let mut plans = Vec::new();
            for key in keys {
                let train_rows = rows_of(&train_keys, key);
                let group_name = split.name(train, key);
                if train_rows.len() < self.min_rows {
                    suppressed.push(group_name);
                    continue;
                }
                let holdout_rows = rows_of(&holdout_keys, key);
                let synthetic_rows = rows_of(&synthetic_keys, key);
                let real = train.resample(&train_rows);
                let shapes = |other: &Prepared, rows: &[usize]| {
                    (!rows.is_empty())
                        .then(|| {
                            column_shapes(&real, &other.resample(rows))
                                .ok()
                                .map(|s| s.0)
                        })
                        .flatten()
                };
                let (tstr, trtr) = shared
                    .utility
                    .map(|u| u.on_holdout_rows(&holdout_rows))
                    .unwrap_or((None, None));
                groups.push(Group {
                    group: group_name,
                    train_rows: train_rows.len(),
                    share_real: train_rows.len() as f64 / train.rows() as f64,
                    share_synthetic: synthetic_rows.len() as f64 / synthetic.rows() as f64,
                    column_shapes: shapes(synthetic, &synthetic_rows),
                    column_shapes_reference: shapes(holdout, &holdout_rows),
                    target_rate_real: shared
                        .target
                        .and_then(|t| target_rate(train, &train_rows, t)),
                    target_rate_synthetic: shared
                        .target
                        .and_then(|t| target_rate(synthetic, &synthetic_rows, t)),
                    tstr,
                    trtr,
                    dcr_share: (!synthetic_rows.is_empty()).then(|| {
                        mean(
                            &synthetic_rows
                                .iter()
                                .map(|&r| shared.shares.outcomes[r])
                                .collect::<Vec<_>>(),
                        )
                    }),
                });
                plans.push((real, key));
            }
            // The worst group: the largest column-shapes shortfall (a group with no synthetic
            // row at all falls short by 1).
            let gaps: Vec<f64> = groups
                .iter()
                .map(|g| 1.0 - g.column_shapes.unwrap_or(0.0))
                .collect();
            let Some(worst) = (0..gaps.len()).max_by(|&a, &b| gaps[a].total_cmp(&gaps[b])) else {
                continue;
            };
            let reference = groups
                .iter()
                .filter_map(|g| g.column_shapes_reference.map(|s| 1.0 - s))
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            // The worst gap over groups, recomputed on a resample of `table`'s rows.
            let boot = |table: &Prepared, purpose: &str| -> Vec<f64> {
                resamples(table.rows(), config, purpose)
                    .iter()
                    .map(|indices| {
                        let sample = table.resample(indices);
                        let keys = split.keys(&sample);
                        plans
                            .iter()
                            .map(|(real, key)| {
                                let rows = rows_of(&keys, *key);
                                if rows.is_empty() {
                                    return 1.0;
                                }
                                column_shapes(real, &sample.resample(&rows))
                                    .map_or(1.0, |s| 1.0 - s.0)
                            })
                            .fold(f64::NEG_INFINITY, f64::max)
                    })
                    .collect()
            };
            let reference_interval = match reference {
                Some(r) => bootstrap_interval(
                    r,
                    boot(holdout, &format!("evaluate/subgroup/{name}/reference")),
                ),
                None => (None, None),
            };
            metrics.push(
                Metric::new(
                    &format!("subgroup.{name}.worst_gap"),
                    gaps[worst],
                    &format!(
                        "Subgroup fidelity for '{name}': the largest 1 - column shapes \
                         (SDMetrics' definition) of a group's synthetic rows against its \
                         training rows, over groups with at least {} training rows (smaller \
                         groups suppressed). Reference: the same for the holdout's groups, \
                         which are smaller and so score lower. Details: every group's shares, \
                         shapes, target rates, TSTR/TRTR and DCR share.",
                        self.min_rows
                    ),
                )
                .interval(bootstrap_interval(
                    gaps[worst],
                    boot(synthetic, &format!("evaluate/subgroup/{name}")),
                ))
                .reference(reference)
                .reference_interval(reference_interval)
                .clip(0.0, 1.0)
                .details(serde_json::json!({
                    "attribute": name,
                    "worst_group": groups[worst].group,
                    "min_group_rows": self.min_rows,
                    "groups": groups,
                    "suppressed_groups": suppressed,
                })),
            );
        }
        Ok(metrics)
    }
}
