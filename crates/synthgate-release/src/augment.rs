//! Augmented releases (`[augment]`): groups of one sensitive attribute up-sampled by sampling
//! the fitted model conditionally. Every added row is synthetic, drawn from the model's own
//! conditional distribution given the group (and any `where` values), from a seed stream of
//! its own, so the rows sampled before augmentation are the same with or without it: the
//! evaluation compares the release before and after on the same base rows.
//!
//! The number of rows added solves for the declared targets: a group with a `share` holds
//! that share of the release after augmentation, a group with `rows` that many rows. A group
//! that already holds its target gets no rows (a warning says so). The added rows are shuffled
//! in, and identifier columns get fresh keys 1, 2, ... over the whole release.

use synthgate_core::{Error, Result, Schema, Seed, Table};
use synthgate_io::{append_rows, take_rows};
use synthgate_synth::Model;
use synthgate_synth::codec::CodecKind;

use crate::spec::{AugmentSpec, value_text};

/// A release after augmentation.
#[derive(Debug)]
pub struct Augmented {
    /// The synthetic rows with the added ones shuffled in.
    pub table: Table,
    /// Per up-sampled group: its value, the rows it had before, the rows added, and its
    /// declared share of the release (for a `rows` target, those rows over the release).
    pub groups: Vec<AddedRows>,
    /// Warnings (a group already at its target).
    pub warnings: Vec<String>,
}

/// One up-sampled group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AddedRows {
    /// The group's value.
    pub group: String,
    /// Its rows among the synthetic rows before augmentation.
    pub rows_before: usize,
    /// The rows added.
    pub rows_added: usize,
    /// Its declared share of the release.
    pub declared_share: f64,
}

/// Whether a table's text `value` is the model's category `category` (numbers compared as
/// numbers, so `1` is `1.0`).
fn same_value(value: &str, category: &str) -> bool {
    value == category
        || matches!(
            (value.trim().parse::<f64>(), category.trim().parse::<f64>()),
            (Ok(a), Ok(b)) if a == b
        )
}

/// `synthetic` with the groups of `spec` up-sampled from `model`, drawn from `seed`'s streams.
pub fn augment(
    model: &Model,
    synthetic: &Table,
    schema: &Schema,
    spec: &AugmentSpec,
    seed: Seed,
) -> Result<Augmented> {
    let names = synthetic.column_names();
    let Some(index) = names.iter().position(|name| *name == spec.column) else {
        return Err(Error::spec(format!(
            "[augment] column '{}' is not among the synthetic columns.",
            spec.column
        )));
    };
    let texts = synthetic.key_texts(index);
    // Each group's conditions, its category as the model writes it, and its rows before.
    let mut planned = Vec::new();
    for group in &spec.groups {
        let value = group.value_text();
        let mut wanted = vec![(spec.column.clone(), value.clone())];
        wanted.extend(
            group
                .conditions
                .iter()
                .map(|(column, v)| (column.clone(), value_text(v))),
        );
        let conditions = model.conditions(&wanted).map_err(|error| {
            let message = error.message().replace("--where ", "where ");
            let mut refused = Error::spec(format!("[augment] group '{value}': {message}"));
            if let Some(hint) = error.suggestion() {
                refused = refused.hint(hint.to_string());
            }
            refused
        })?;
        let category = match &model.codecs()[conditions[0].column].kind {
            CodecKind::Categorical { categories } => categories
                .get(conditions[0].code as usize)
                .cloned()
                .unwrap_or_default(),
            _ => value.clone(),
        };
        let before = texts
            .iter()
            .filter(|t| t.as_deref().is_some_and(|t| same_value(t, &category)))
            .count();
        planned.push((group, value, conditions, before));
    }
    // Rows added: a `rows` group up to its rows; then the `share` groups so that each holds
    // its share of the final total T = (N + added for rows − their rows before) / (1 − shares).
    let n = synthetic.num_rows() as f64;
    let fixed: f64 = planned
        .iter()
        .filter_map(|(group, _, _, before)| group.rows.map(|rows| rows.saturating_sub(*before)))
        .sum::<usize>() as f64;
    let (shares, share_before): (f64, f64) = planned
        .iter()
        .filter_map(|(group, _, _, before)| group.share.map(|s| (s, *before as f64)))
        .fold((0.0, 0.0), |(s, b), (share, before)| {
            (s + share, b + before)
        });
    let total = ((n + fixed - share_before) / (1.0 - shares)).max(n + fixed);
    let mut warnings = Vec::new();
    let mut added_tables = Vec::new();
    let mut counts = Vec::new();
    for (group, value, conditions, before) in &planned {
        let target = match (group.share, group.rows) {
            (Some(share), _) => (share * total).round() as usize,
            (None, Some(rows)) => rows,
            (None, None) => *before,
        };
        let add = target.saturating_sub(*before);
        if add == 0 {
            warnings.push(format!(
                "[augment] group '{value}' already has {before} of the {} synthetic rows, at or \
                 above its target: no rows were added.",
                synthetic.num_rows()
            ));
        } else {
            let rows = model
                .sample_where(add, seed.derive(&format!("augment/{value}")), conditions)
                .map_err(|error| {
                    Error::spec(format!("[augment] group '{value}': {}", error.message()))
                })?;
            added_tables.push(rows);
        }
        counts.push((group, value.clone(), *before, add));
    }
    let mut all = synthetic.clone();
    for rows in &added_tables {
        all = append_rows(&all, rows)?;
    }
    let final_rows = all.num_rows();
    let order = crate::hybrid::permutation(final_rows, seed, "augment/shuffle");
    let table = crate::hybrid::fresh_identifiers(take_rows(&all, &order)?, schema)?;
    let groups = counts
        .into_iter()
        .map(|(group, value, before, add)| AddedRows {
            group: value,
            rows_before: before,
            rows_added: add,
            declared_share: group
                .share
                .unwrap_or_else(|| group.rows.unwrap_or(0) as f64 / final_rows.max(1) as f64),
        })
        .collect();
    Ok(Augmented {
        table,
        groups,
        warnings,
    })
}

/// The datasheet's and report's sentence on what was added.
pub fn statement(groups: &[AddedRows], spec: &AugmentSpec) -> String {
    let parts: Vec<String> = groups
        .iter()
        .map(|g| {
            format!(
                "'{}' up-sampled to {:.1}% of the release ({} synthetic rows added to {})",
                g.group,
                100.0 * g.declared_share,
                g.rows_added,
                g.rows_before
            )
        })
        .collect();
    format!(
        "Augmented release: groups of '{}' were up-sampled by sampling the fitted model \
         conditionally; every added row is synthetic. {}. Group shares in this release follow \
         the declared targets, not the source's shares; subgroup.{}.augment_* compare every \
         group before and after.",
        spec.column,
        parts.join("; "),
        spec.column
    )
}
