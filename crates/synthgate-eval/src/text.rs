//! Free-text columns, scored as text rather than by exact-value TV (which a column of mostly
//! unique values fails whatever the generator does):
//!
//! - **pooled TV complement** (the value): shares of the values at least [`TEXT_POOL_ROWS`]
//!   training rows hold, each on its own, and one bucket for every other value (a synthetic
//!   `_RARE_` among them), compared by TV complement, so a generator that keeps the frequent
//!   values' shares and the rare values' total share scores 1;
//! - in the details: the KS complement of the values' lengths in characters, the mean number
//!   of words, real and synthetic, and the share of synthetic values that are a training value
//!   fewer than [`TEXT_POOL_ROWS`] rows hold (a rare real value reproduced: 0 is right).
//!
//! No embedding model is available offline, so no semantic similarity is computed; the details
//! say which measures were used. `fidelity.text` is the mean pooled TV complement over the
//! free-text columns, with the holdout's as reference and a bootstrap interval over synthetic
//! rows; tables without free text do not report it.

use std::collections::{HashMap, HashSet};

use synthgate_core::{RARE_TOKEN, Schema, SemanticType, Table};

use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::stats::mean;

/// Rows that must hold a value for it to be scored on its own: the default rare-category
/// threshold.
pub const TEXT_POOL_ROWS: usize = 10;

fn values(table: &Table, name: &str) -> Option<Vec<String>> {
    let index = table.column_names().iter().position(|n| *n == name)?;
    let storage = table.storage_type(index);
    Some(
        table
            .column_chunks(index)
            .flat_map(|chunk| {
                (0..chunk.len()).filter_map(move |row| {
                    synthgate_core::text::format_cell(chunk.as_ref(), storage, row)
                })
            })
            .collect(),
    )
}

/// One column's training side: the frequent values and the rare ones.
struct Training {
    frequent: HashSet<String>,
    rare: HashSet<String>,
    shares: HashMap<Option<String>, f64>,
    lengths: Vec<f64>,
    words: f64,
}

fn pooled(values: &[&String], frequent: &HashSet<String>) -> HashMap<Option<String>, f64> {
    let mut shares = HashMap::new();
    for value in values {
        let key =
            (frequent.contains(*value) && value.as_str() != RARE_TOKEN).then(|| (*value).clone());
        *shares.entry(key).or_insert(0.0) += 1.0 / values.len() as f64;
    }
    shares
}

fn tv_complement(p: &HashMap<Option<String>, f64>, q: &HashMap<Option<String>, f64>) -> f64 {
    let keys: HashSet<&Option<String>> = p.keys().chain(q.keys()).collect();
    let mut keys: Vec<&Option<String>> = keys.into_iter().collect();
    keys.sort();
    1.0 - keys
        .iter()
        .map(|key| (p.get(*key).unwrap_or(&0.0) - q.get(*key).unwrap_or(&0.0)).abs())
        .sum::<f64>()
        / 2.0
}

fn words(values: &[String]) -> f64 {
    mean(
        &values
            .iter()
            .map(|v| v.split_whitespace().count() as f64)
            .collect::<Vec<_>>(),
    )
}

fn lengths(values: &[String]) -> Vec<f64> {
    values.iter().map(|v| v.chars().count() as f64).collect()
}

fn training(values: &[String]) -> Training {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    let held = |frequent: bool| -> HashSet<String> {
        counts
            .iter()
            .filter(|(_, count)| (**count >= TEXT_POOL_ROWS) == frequent)
            .map(|(value, _)| value.to_string())
            .collect()
    };
    let (frequent, rare) = (held(true), held(false));
    let all: Vec<&String> = values.iter().collect();
    Training {
        shares: pooled(&all, &frequent),
        frequent,
        rare,
        lengths: lengths(values),
        words: words(values),
    }
}

/// `fidelity.text` for the free-text columns of `schema` present in all three tables, if any.
pub fn metrics(
    schema: &Schema,
    [train, holdout, synthetic]: [&Table; 3],
    config: &EvaluationConfig,
) -> Option<Metric> {
    let mut columns = Vec::new();
    for column in schema
        .columns
        .iter()
        .filter(|c| c.semantic == SemanticType::FreeText)
    {
        let (Some(real), Some(other), Some(fake)) = (
            values(train, &column.name),
            values(holdout, &column.name),
            values(synthetic, &column.name),
        ) else {
            continue;
        };
        if real.is_empty() || fake.is_empty() {
            continue;
        }
        columns.push((column.name.clone(), training(&real), other, fake));
    }
    if columns.is_empty() {
        return None;
    }
    let score = |side: &[&String], train: &Training| {
        tv_complement(&train.shares, &pooled(side, &train.frequent))
    };
    let mut details = Vec::new();
    let mut value = Vec::new();
    let mut reference = Vec::new();
    for (name, train, other, fake) in &columns {
        let fake_refs: Vec<&String> = fake.iter().collect();
        let other_refs: Vec<&String> = other.iter().collect();
        let (tv, tv_reference) = (score(&fake_refs, train), score(&other_refs, train));
        value.push(tv);
        reference.push(tv_reference);
        let reproduced =
            fake.iter().filter(|v| train.rare.contains(*v)).count() as f64 / fake.len() as f64;
        details.push(serde_json::json!({
            "column": name,
            "pooled_tv_complement": tv,
            "pooled_tv_complement_holdout": tv_reference,
            "values_kept_on_their_own": train.frequent.len(),
            "length_ks_complement": crate::shapes::ks_complement(&train.lengths, &lengths(fake)),
            "mean_words_real": train.words,
            "mean_words_synthetic": words(fake),
            "rare_real_values_reproduced": reproduced,
        }));
    }
    let estimate = mean(&value);
    // The mean over columns, recomputed on resamples: resample k of each column draws from
    // that column's own present values (their counts differ with missingness).
    let per_column: Vec<Vec<f64>> = columns
        .iter()
        .map(|(name, train, _, fake)| {
            resamples(fake.len(), config, &format!("evaluate/text/{name}"))
                .iter()
                .map(|indices| {
                    let picked: Vec<&String> = indices.iter().map(|&i| &fake[i]).collect();
                    score(&picked, train)
                })
                .collect()
        })
        .collect();
    let boot: Vec<f64> = (0..config.resamples)
        .map(|k| {
            mean(
                &per_column
                    .iter()
                    .map(|scores| scores[k])
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Some(
        Metric::new(
            "fidelity.text",
            estimate,
            &format!(
                "Free-text columns scored as text: the mean over them of the TV complement of \
                 pooled shares (each value at least {TEXT_POOL_ROWS} training rows hold on its \
                 own, every other value in one bucket). Details per column: that score for the \
                 holdout, the KS complement of value lengths, mean words, and the share of \
                 synthetic values that are a rare training value. Measures used: pooled values, \
                 lengths, words; no embedding similarity (no model offline)."
            ),
        )
        .interval(bootstrap_interval(estimate, boot))
        .reference(Some(mean(&reference)))
        .clip(0.0, 1.0)
        .details(serde_json::json!({ "columns": details })),
    )
}
