//! Evidence that an augmentation helped: every group of the augmented attribute compared
//! before (the synthetic rows as sampled) and after (with the up-sampled groups' added rows),
//! on the holdout the generator never saw.
//!
//! Per group with at least `min_group_rows` training rows (smaller groups are not reported,
//! as in the subgroup section):
//!
//! - its share of the synthetic rows before and after, and the share declared for it;
//! - column shapes (SDMetrics' definition) of its synthetic rows against its training rows,
//!   before and after;
//! - TSTR on its holdout rows of a model trained on the rows before, and of one trained on the
//!   rows after, with a paired-bootstrap interval of the change (the same resampled holdout
//!   rows score both models), and TRTR as the real-data reference.
//!
//! `subgroup.<attribute>.augment_utility_loss` is the largest TSTR drop (before − after) over
//! the groups, with that group's interval: a gate `max = TOLERANCE` fails a release in which
//! augmentation made any group's model worse by more than the tolerance.
//! `.augment_fidelity_loss` is the largest column-shapes drop, and `.augment_share_gap` the
//! largest distance between an up-sampled group's share after and its declared share (the
//! declared target, not the source's share). No count of real rows is published.

use synthgate_core::{Error, Result, Schema, Table};

use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::utility::{Labelled, TargetColumn, fit_predict, take_target, task_score};
use crate::values::{Column, MISSING};
use crate::{Prepared, column_shapes, prepare};

/// One group's numbers, before and after.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupChange {
    /// The group's value.
    pub group: String,
    /// The share declared for it in `[augment]` (`None`: not up-sampled).
    pub declared_share: Option<f64>,
    /// Its share of the synthetic rows before augmentation.
    pub share_before: f64,
    /// Its share after.
    pub share_after: f64,
    /// Column shapes of its synthetic rows against its training rows, before.
    pub column_shapes_before: Option<f64>,
    /// The same after.
    pub column_shapes_after: Option<f64>,
    /// TSTR on its holdout rows, model trained on the rows before.
    pub tstr_before: Option<f64>,
    /// The same, model trained on the rows after.
    pub tstr_after: Option<f64>,
    /// `tstr_after − tstr_before`.
    pub tstr_change: Option<f64>,
    /// Its 95% paired-bootstrap interval.
    pub tstr_change_interval: Option<[f64; 2]>,
    /// TRTR on its holdout rows: what a model trained on the real training rows achieves.
    pub trtr: Option<f64>,
}

/// The before/after metrics of an augmentation of `attribute`: `tables` are the training
/// rows, the holdout, the synthetic rows before and after; `declared` the up-sampled groups
/// with their declared shares. Needs `config.target`.
pub fn augmentation(
    schema: &Schema,
    [train, holdout, before, after]: [&Table; 4],
    attribute: &str,
    declared: &[(String, f64)],
    config: &EvaluationConfig,
) -> Result<Vec<Metric>> {
    let prepared = prepare(
        schema,
        &[
            (train, "train"),
            (holdout, "holdout"),
            (before, "synthetic before augmentation"),
            (after, "synthetic"),
        ],
    )?;
    let capped: Vec<std::borrow::Cow<'_, Prepared>> = prepared
        .iter()
        .zip(["train", "holdout", "before", "after"])
        .map(|(table, role)| crate::harness::cap(table, config.seed, role).0)
        .collect();
    let [train, holdout, before, after] = [&*capped[0], &*capped[1], &*capped[2], &*capped[3]];
    // Shares are counted on every row, not on the capped samples.
    let (whole_before, whole_after) = (&prepared[2], &prepared[3]);
    let column = train.position(attribute).ok_or_else(|| {
        Error::input(format!(
            "the augmented column '{attribute}' is not a scored column."
        ))
    })?;
    if !matches!(train.columns[column], Column::Discrete(_)) {
        return Err(Error::input(format!(
            "the augmented column '{attribute}' is numeric; only a categorical column's groups \
             can be up-sampled."
        )));
    }
    let target_name = config.target.as_deref().ok_or_else(|| {
        Error::usage("an augmentation's evidence needs a target column to score utility.")
    })?;
    let target = TargetColumn::new(train, target_name)?;
    let scored = Labelled::new(holdout, &target);
    let ((predict_before, predict_after), predict_real) = rayon::join(
        || {
            rayon::join(
                || fit_predict(&Labelled::new(before, &target), &scored),
                || fit_predict(&Labelled::new(after, &target), &scored),
            )
        },
        || fit_predict(&Labelled::new(train, &target), &scored),
    );
    let keys = |table: &Prepared| match &table.columns[column] {
        Column::Discrete(codes) => codes.clone(),
        Column::Continuous(_) => Vec::new(),
    };
    let (train_keys, holdout_keys, before_keys, after_keys) =
        (keys(train), keys(holdout), keys(before), keys(after));
    let (all_before_keys, all_after_keys) = (keys(whole_before), keys(whole_after));
    let name = |key: u32| {
        if key == MISSING {
            "(missing)".to_string()
        } else {
            train.category(column, key).unwrap_or("?").to_string()
        }
    };
    let count = |keys: &[u32], key: u32| keys.iter().filter(|&&k| k == key).count();
    let share = |keys: &[u32], key: u32| count(keys, key) as f64 / keys.len().max(1) as f64;
    let rows_of = |keys: &[u32], key: u32| -> Vec<usize> {
        (0..keys.len()).filter(|&r| keys[r] == key).collect()
    };
    let mut codes: Vec<u32> = train_keys.clone();
    codes.sort_unstable();
    codes.dedup();
    let mut groups = Vec::new();
    for key in codes {
        let train_rows = rows_of(&train_keys, key);
        if train_rows.len() < config.min_group_rows {
            continue;
        }
        let group = name(key);
        let real = train.resample(&train_rows);
        let shapes = |table: &Prepared, keys: &[u32]| {
            let rows = rows_of(keys, key);
            (!rows.is_empty())
                .then(|| column_shapes(&real, &table.resample(&rows)).ok())
                .flatten()
                .map(|s| s.0)
        };
        // The group's labelled holdout rows.
        let positions: Vec<usize> = (0..scored.source_rows.len())
            .filter(|&i| holdout_keys[scored.source_rows[i]] == key)
            .collect();
        let score = |predictions: &[f64], at: &[usize]| {
            let truth = take_target(&scored.target, at);
            let picked: Vec<f64> = at.iter().map(|&i| predictions[i]).collect();
            task_score(&picked, &truth)
        };
        let (tstr_before, tstr_after, trtr) = if positions.is_empty() {
            (None, None, None)
        } else {
            (
                score(&predict_before, &positions),
                score(&predict_after, &positions),
                score(&predict_real, &positions),
            )
        };
        let tstr_change = tstr_after.zip(tstr_before).map(|(a, b)| a - b);
        let tstr_change_interval = tstr_change.and_then(|change| {
            let changes: Vec<f64> = resamples(
                positions.len(),
                config,
                &format!("evaluate/augment/{attribute}/{group}"),
            )
            .iter()
            .map(|indices| {
                let at: Vec<usize> = indices.iter().map(|&i| positions[i]).collect();
                match (score(&predict_after, &at), score(&predict_before, &at)) {
                    (Some(a), Some(b)) => a - b,
                    _ => f64::NAN,
                }
            })
            .collect();
            match bootstrap_interval(change, changes) {
                (Some(low), Some(high)) => Some([low, high]),
                _ => None,
            }
        });
        groups.push(GroupChange {
            declared_share: declared
                .iter()
                .find(|(value, _)| *value == group)
                .map(|(_, share)| *share),
            share_before: share(&all_before_keys, key),
            share_after: share(&all_after_keys, key),
            column_shapes_before: shapes(before, &before_keys),
            column_shapes_after: shapes(after, &after_keys),
            tstr_before,
            tstr_after,
            tstr_change,
            tstr_change_interval,
            trtr,
            group,
        });
    }
    let mut metrics = Vec::new();
    let details = |worst: &str| {
        serde_json::json!({
            "attribute": attribute,
            "worst_group": worst,
            "min_group_rows": config.min_group_rows,
            "before_after": groups,
        })
    };
    // The worst group by utility: the largest drop.
    if let Some(worst) = groups
        .iter()
        .filter(|g| g.tstr_change.is_some())
        .min_by(|a, b| {
            a.tstr_change
                .unwrap_or(0.0)
                .total_cmp(&b.tstr_change.unwrap_or(0.0))
        })
    {
        let loss = -worst.tstr_change.unwrap_or(0.0);
        let [low, high] = worst
            .tstr_change_interval
            .map_or([None, None], |[low, high]| [Some(-high), Some(-low)]);
        metrics.push(
            Metric::new(
                &format!("subgroup.{attribute}.augment_utility_loss"),
                loss,
                &format!(
                    "Augmentation of '{attribute}': the largest drop, over its groups with at \
                     least {} training rows, in the group's TSTR on its holdout rows from a \
                     model trained on the synthetic rows before augmentation to one trained on \
                     the rows after (negative: every group gained), with that group's 95% \
                     paired-bootstrap interval. Details: every group's shares, shapes and \
                     TSTR before and after, and its TRTR.",
                    config.min_group_rows
                ),
            )
            .interval((low, high))
            .details(details(&worst.group)),
        );
    }
    if let Some(worst) = groups
        .iter()
        .filter_map(|g| {
            let change = g.column_shapes_before? - g.column_shapes_after?;
            Some((g, change))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        metrics.push(
            Metric::new(
                &format!("subgroup.{attribute}.augment_fidelity_loss"),
                worst.1,
                &format!(
                    "Augmentation of '{attribute}': the largest drop in a group's column shapes \
                     against its training rows from before augmentation to after (negative: \
                     every group gained); worst group '{}'.",
                    worst.0.group
                ),
            )
            .details(serde_json::json!({ "attribute": attribute, "worst_group": worst.0.group })),
        );
    }
    // Every declared group, reported or not: its share after against its declared share.
    let gaps: Vec<(String, f64, f64)> = declared
        .iter()
        .map(|(value, wanted)| {
            let after_share = all_after_keys
                .iter()
                .filter(|&&key| {
                    key != MISSING && whole_after.category(column, key) == Some(value.as_str())
                })
                .count() as f64
                / all_after_keys.len().max(1) as f64;
            (value.clone(), after_share, *wanted)
        })
        .collect();
    if let Some((group, got, wanted)) = gaps
        .iter()
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()))
    {
        metrics.push(
            Metric::new(
                &format!("subgroup.{attribute}.augment_share_gap"),
                (got - wanted).abs(),
                &format!(
                    "Augmentation of '{attribute}': the largest distance between an up-sampled \
                     group's share of the release and the share declared for it; worst group \
                     '{group}' ({got:.4} against {wanted:.4})."
                ),
            )
            .details(serde_json::json!({
                "attribute": attribute,
                "worst_group": group,
                "shares": gaps.iter().map(|(g, got, wanted)| serde_json::json!({
                    "group": g, "share": got, "declared_share": wanted })).collect::<Vec<_>>(),
            })),
        );
    }
    Ok(metrics)
}
