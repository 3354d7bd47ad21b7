//! Metrics of sequences (issue 15): the rows of one entity in order (a patient's encounters,
//! a station-day's hourly readings), as a dataset file's `[[sequences]]` declares them. Each is
//! scored against the training table, with the holdout's own score as reference and 95%
//! bootstrap intervals over entities (a sequence is resampled whole, never cut):
//!
//! - `fidelity.sequence_lengths`: 1 − the Kolmogorov–Smirnov statistic between the training
//!   and the synthetic rows per entity;
//! - `fidelity.sequence_gaps`: the same on the differences between consecutive order values
//!   within an entity (time gaps), where the order column is a number, date or time;
//! - `fidelity.sequence_transitions`: for every categorical column, 1 − the total variation
//!   distance between the training and the synthetic distributions of (previous value, value)
//!   pairs of consecutive rows of an entity (lag-1 transitions), averaged over the columns;
//! - `fidelity.sequence_autocorrelation`: for every numeric column, 1 − |r_s − r_t| / 2, with
//!   r the lag-1 autocorrelation (Pearson, pooled over entities) of its changes from one row
//!   to the next within an entity: whether a series moves smoothly, jitters or trends as the
//!   real ones do (SDMetrics' CorrelationSimilarity form), averaged over the columns.
//!
//! Several sequence tables: each metric averages its tables, with one detail row per table.
//! Where the split put rows of one entity on both sides (a table split by its rows, not by
//! entity), the holdout holds no whole sequences: that table has no reference.
//! Entities beyond [`crate::MAX_ROWS`] are scored on a seeded sample of that many.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use synthgate_core::dataset::{DatasetSchema, Sequence};
use synthgate_core::{Error, Result, Schema, SemanticType, Table};

use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::shapes::ks_complement;

/// One table of a dataset as the evaluation sees it: its training, holdout and synthetic rows
/// (a public table copied as it is is the same table three times).
#[derive(Debug, Clone, Copy)]
pub struct DatasetTables<'a> {
    /// Its name in the dataset file.
    pub name: &'a str,
    /// Its schema.
    pub schema: &'a synthgate_core::Schema,
    /// The rows the synthesizer saw.
    pub train: &'a synthgate_core::Table,
    /// The rows it never saw.
    pub holdout: &'a synthgate_core::Table,
    /// The synthetic rows.
    pub synthetic: &'a synthgate_core::Table,
    /// Whether it is public and copied (no metric of its own).
    pub public: bool,
}

/// A categorical column's (previous value, value) pairs, each with its code.
type Dictionary = HashMap<(Option<String>, Option<String>), u32>;

/// One table's sequences, entity by entity.
#[derive(Debug, Default)]
struct Read {
    /// Every entity's key (before any sample).
    keys: HashSet<String>,
    /// Rows per entity.
    lengths: Vec<f64>,
    /// Per entity, the gaps between its consecutive order values (empty for an order column
    /// that is no number).
    gaps: Vec<Vec<f64>>,
    /// Per categorical column, per entity: its (previous, next) pairs as codes of the
    /// column's shared dictionary.
    pairs: Vec<Vec<Vec<u32>>>,
    /// Per numeric column, per entity: (previous change, change) of its consecutive changes.
    changes: Vec<Vec<Vec<(f64, f64)>>>,
}

/// The columns a sequence's metrics read: categorical and numeric ones, keys, the entity
/// and the order column aside.
struct Columns {
    categorical: Vec<String>,
    numeric: Vec<String>,
    /// Whether the order column is data (no identifier, not regenerated).
    order_is_data: bool,
}

fn columns_of(dataset: &DatasetSchema, sequence: &Sequence, schema: &Schema) -> Columns {
    let fresh = dataset.regenerated_columns(&sequence.table);
    let keys: Vec<&str> = dataset
        .references
        .iter()
        .filter(|r| r.from == sequence.table)
        .flat_map(|r| r.columns.iter().map(String::as_str))
        .collect();
    let order_is_data = !fresh.contains(&sequence.order.as_str())
        && schema
            .columns
            .iter()
            .find(|c| c.name == sequence.order)
            .is_some_and(|c| c.semantic != SemanticType::Identifier);
    let mut columns = Columns {
        categorical: Vec::new(),
        numeric: Vec::new(),
        order_is_data,
    };
    for column in &schema.columns {
        let name = column.name.as_str();
        if sequence.entity.iter().any(|e| e == name)
            || sequence.order == name
            || fresh.contains(&name)
            || keys.contains(&name)
        {
            continue;
        }
        match column.semantic {
            SemanticType::Categorical | SemanticType::OrdinalCode | SemanticType::Boolean => {
                columns.categorical.push(column.name.clone());
            }
            SemanticType::Continuous
            | SemanticType::Integer
            | SemanticType::Datetime
            | SemanticType::Date => columns.numeric.push(column.name.clone()),
            SemanticType::Identifier | SemanticType::FreeText | SemanticType::Constant => {}
        }
    }
    columns
}

/// Read `table`'s sequences: entities in order of first appearance (at most
/// [`crate::MAX_ROWS`] of them, a seeded sample under `role`), each entity's rows by the
/// order column. `dictionaries` (one per categorical column) give pairs their codes, shared
/// by every table read with them.
fn read(
    table: &Table,
    sequence: &Sequence,
    columns: &Columns,
    dictionaries: &mut [Dictionary],
    config: &EvaluationConfig,
    role: &str,
) -> Result<Read> {
    let names = table.column_names();
    let index = |name: &str| -> Result<usize> {
        names.iter().position(|n| *n == name).ok_or_else(|| {
            Error::input(format!(
                "sequence table '{}' has no column '{name}'.",
                sequence.table
            ))
        })
    };
    let entity: Vec<usize> = sequence
        .entity
        .iter()
        .map(|e| index(e))
        .collect::<Result<_>>()?;
    let order = index(&sequence.order)?;
    let keys = table.composite_keys(&entity);
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (row, key) in keys.iter().enumerate() {
        let Some(key) = key else { continue };
        let at = *position.entry(key.as_str()).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[at].push(row);
    }
    let kept = crate::capped_rows(members.len(), config.seed, role);
    let mut members: Vec<Vec<usize>> = kept
        .into_iter()
        .map(|e| std::mem::take(&mut members[e]))
        .collect();
    let order_numbers = table.numbers(order);
    let order_texts = table.key_texts(order);
    for rows in &mut members {
        rows.sort_by(|&a, &b| {
            order_numbers[a]
                .total_cmp(&order_numbers[b])
                .then_with(|| order_texts[a].cmp(&order_texts[b]))
                .then(a.cmp(&b))
        });
    }
    // Gaps of an order column that is data (a time, a number), not of an identifier that
    // only labels rows in order (regenerated in synthetic data).
    let numeric_order = columns.order_is_data && order_numbers.iter().any(|v| !v.is_nan());
    let mut read = Read {
        keys: position.keys().map(|k| (*k).to_string()).collect(),
        lengths: members.iter().map(|rows| rows.len() as f64).collect(),
        gaps: members
            .iter()
            .map(|rows| {
                if !numeric_order {
                    return Vec::new();
                }
                rows.windows(2)
                    .map(|w| order_numbers[w[1]] - order_numbers[w[0]])
                    .filter(|g| !g.is_nan())
                    .collect()
            })
            .collect(),
        ..Read::default()
    };
    for (name, dictionary) in columns.categorical.iter().zip(dictionaries.iter_mut()) {
        let texts = table.key_texts(index(name)?);
        read.pairs.push(
            members
                .iter()
                .map(|rows| {
                    rows.windows(2)
                        .map(|w| {
                            let next = dictionary.len() as u32;
                            *dictionary
                                .entry((texts[w[0]].clone(), texts[w[1]].clone()))
                                .or_insert(next)
                        })
                        .collect()
                })
                .collect(),
        );
    }
    for name in &columns.numeric {
        let values = table.numbers(index(name)?);
        read.changes.push(
            members
                .iter()
                .map(|rows| {
                    let changes: Vec<f64> = rows
                        .windows(2)
                        .map(|w| values[w[1]] - values[w[0]])
                        .collect();
                    changes
                        .windows(2)
                        .map(|c| (c[0], c[1]))
                        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
                        .collect()
                })
                .collect(),
        );
    }
    Ok(read)
}

/// Pearson's correlation of the pairs (`NaN` under two pairs or without spread).
fn correlation<'a>(pairs: impl Iterator<Item = &'a (f64, f64)>) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    let cov = sxy - sx * sy / n;
    let (vx, vy) = (sxx - sx * sx / n, syy - sy * sy / n);
    if n < 2.0 || vx <= 0.0 || vy <= 0.0 {
        return f64::NAN;
    }
    (cov / (vx * vy).sqrt()).clamp(-1.0, 1.0)
}

/// 1 − the total variation distance between two code distributions (`None` when either is
/// empty).
fn tv_complement(real: &[f64], other: &[f64]) -> Option<f64> {
    let (a, b): (f64, f64) = (real.iter().sum(), other.iter().sum());
    if a == 0.0 || b == 0.0 {
        return None;
    }
    let distance: f64 = real
        .iter()
        .zip(other)
        .map(|(x, y)| (x / a - y / b).abs())
        .sum::<f64>()
        / 2.0;
    Some(1.0 - distance)
}

fn mean(values: &[f64]) -> f64 {
    let kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if kept.is_empty() {
        f64::NAN
    } else {
        kept.iter().sum::<f64>() / kept.len() as f64
    }
}

/// One sequence table's four scores of `other` (at `entities`, with repeats for a bootstrap)
/// against `train`, and per column the transitions' and autocorrelations' scores.
struct Scores {
    lengths: f64,
    gaps: f64,
    transitions: f64,
    autocorrelation: f64,
    per_transition: Vec<f64>,
    per_autocorrelation: Vec<f64>,
}

impl Scores {
    /// Not computable (`NaN` everywhere).
    fn forget(&mut self) {
        for value in [
            &mut self.lengths,
            &mut self.gaps,
            &mut self.transitions,
            &mut self.autocorrelation,
        ] {
            *value = f64::NAN;
        }
        self.per_transition.fill(f64::NAN);
        self.per_autocorrelation.fill(f64::NAN);
    }
}

/// The training side, reduced once: lengths, gaps, pair counts, autocorrelations.
struct Reference {
    lengths: Vec<f64>,
    gaps: Vec<f64>,
    counts: Vec<Vec<f64>>,
    autocorrelation: Vec<f64>,
}

fn counts(per_entity: &[Vec<u32>], entities: &[usize], size: usize) -> Vec<f64> {
    let mut counts = vec![0.0; size];
    for &e in entities {
        for &code in &per_entity[e] {
            counts[code as usize] += 1.0;
        }
    }
    counts
}

fn reference(train: &Read, sizes: &[usize]) -> Reference {
    let all: Vec<usize> = (0..train.lengths.len()).collect();
    Reference {
        lengths: train.lengths.clone(),
        gaps: train.gaps.iter().flatten().copied().collect(),
        counts: train
            .pairs
            .iter()
            .zip(sizes)
            .map(|(pairs, &size)| counts(pairs, &all, size))
            .collect(),
        autocorrelation: train
            .changes
            .iter()
            .map(|c| correlation(c.iter().flatten()))
            .collect(),
    }
}

fn scores(train: &Reference, other: &Read, entities: &[usize], sizes: &[usize]) -> Scores {
    let lengths: Vec<f64> = entities.iter().map(|&e| other.lengths[e]).collect();
    let gaps: Vec<f64> = entities
        .iter()
        .flat_map(|&e| other.gaps[e].iter().copied())
        .collect();
    let per_transition: Vec<f64> = other
        .pairs
        .iter()
        .zip(&train.counts)
        .zip(sizes)
        .map(|((pairs, real), &size)| {
            tv_complement(real, &counts(pairs, entities, size)).unwrap_or(f64::NAN)
        })
        .collect();
    let per_autocorrelation: Vec<f64> = other
        .changes
        .iter()
        .zip(&train.autocorrelation)
        .map(|(changes, &real)| {
            let r = correlation(entities.iter().flat_map(|&e| changes[e].iter()));
            1.0 - (r - real).abs() / 2.0
        })
        .collect();
    Scores {
        lengths: ks_complement(&train.lengths, &lengths).unwrap_or(f64::NAN),
        gaps: ks_complement(&train.gaps, &gaps).unwrap_or(f64::NAN),
        transitions: mean(&per_transition),
        autocorrelation: mean(&per_autocorrelation),
        per_transition,
        per_autocorrelation,
    }
}

/// The sequence metrics of `dataset`'s synthesized sequence tables (none without one).
pub fn sequence_metrics(
    dataset: &DatasetSchema,
    tables: &[DatasetTables<'_>],
    config: &EvaluationConfig,
) -> Result<Vec<Metric>> {
    struct SequenceTable<'a> {
        name: &'a str,
        /// Whether the split cut entities (some on both sides): the holdout's sequences are
        /// then no whole sequences, and no reference.
        cut: bool,
        columns: Columns,
        sizes: Vec<usize>,
        train: Reference,
        holdout: Read,
        synthetic: Read,
    }
    let mut read_tables: Vec<SequenceTable<'_>> = Vec::new();
    for sequence in &dataset.sequences {
        let Some(t) = tables
            .iter()
            .find(|t| t.name == sequence.table && !t.public)
        else {
            continue;
        };
        let columns = columns_of(dataset, sequence, t.schema);
        let mut dictionaries = vec![HashMap::new(); columns.categorical.len()];
        let role = format!("sequences/{}", t.name);
        let train = read(
            t.train,
            sequence,
            &columns,
            &mut dictionaries,
            config,
            &format!("{role}/train"),
        )?;
        let holdout = read(
            t.holdout,
            sequence,
            &columns,
            &mut dictionaries,
            config,
            &format!("{role}/holdout"),
        )?;
        let synthetic = read(
            t.synthetic,
            sequence,
            &columns,
            &mut dictionaries,
            config,
            &format!("{role}/synthetic"),
        )?;
        let sizes: Vec<usize> = dictionaries.iter().map(HashMap::len).collect();
        read_tables.push(SequenceTable {
            name: t.name,
            cut: !train.keys.is_disjoint(&holdout.keys),
            train: reference(&train, &sizes),
            columns,
            sizes,
            holdout,
            synthetic,
        });
    }
    if read_tables.is_empty() {
        return Ok(Vec::new());
    }

    // Every table's scores of one side at its entities (all, or one bootstrap resample).
    let side = |holdout: bool, draws: &[Vec<usize>]| -> Vec<Scores> {
        read_tables
            .iter()
            .zip(draws)
            .map(|(t, entities)| {
                let other = if holdout { &t.holdout } else { &t.synthetic };
                let mut scores = scores(&t.train, other, entities, &t.sizes);
                if holdout && t.cut {
                    scores.forget();
                }
                scores
            })
            .collect()
    };
    let everyone = |holdout: bool| -> Vec<Vec<usize>> {
        read_tables
            .iter()
            .map(|t| {
                let other = if holdout { &t.holdout } else { &t.synthetic };
                (0..other.lengths.len()).collect()
            })
            .collect()
    };
    let (synthetic, holdout) = (side(false, &everyone(false)), side(true, &everyone(true)));
    // Bootstrap: per resample, every table's scores on its resampled entities.
    let boot = |holdout: bool| -> Vec<Vec<Scores>> {
        let streams: Vec<Vec<Vec<usize>>> = read_tables
            .iter()
            .map(|t| {
                let other = if holdout { &t.holdout } else { &t.synthetic };
                let purpose = format!(
                    "evaluate/sequences/{}/{}",
                    t.name,
                    if holdout { "reference" } else { "synthetic" }
                );
                resamples(other.lengths.len(), config, &purpose)
            })
            .collect();
        (0..config.resamples)
            .into_par_iter()
            .map(|b| {
                let draws: Vec<Vec<usize>> = streams.iter().map(|s| s[b].clone()).collect();
                side(holdout, &draws)
            })
            .collect()
    };
    let (synthetic_boot, holdout_boot) = (boot(false), boot(true));

    type Pick = fn(&Scores) -> f64;
    let kinds: [(&str, Pick, &str); 4] = [
        (
            "fidelity.sequence_lengths",
            |s| s.lengths,
            "1 - the KS statistic between the training and the synthetic rows per entity of \
             each sequence table, averaged over the tables.",
        ),
        (
            "fidelity.sequence_gaps",
            |s| s.gaps,
            "1 - the KS statistic between the training and the synthetic gaps between \
             consecutive order values (times, numbers) within an entity, averaged over the \
             sequence tables.",
        ),
        (
            "fidelity.sequence_transitions",
            |s| s.transitions,
            "1 - the total variation distance between the training and the synthetic lag-1 \
             transitions (previous value, value) of consecutive rows of an entity, per \
             categorical column, averaged over the columns and the sequence tables.",
        ),
        (
            "fidelity.sequence_autocorrelation",
            |s| s.autocorrelation,
            "1 - |difference| / 2 between the training and the synthetic lag-1 autocorrelation \
             of each numeric column's changes from row to row within an entity (Pearson, pooled \
             over entities), averaged over the columns and the sequence tables.",
        ),
    ];
    let mut metrics = Vec::new();
    for (id, pick, definition) in kinds {
        let over = |scores: &[Scores]| mean(&scores.iter().map(pick).collect::<Vec<f64>>());
        let value = over(&synthetic);
        if value.is_nan() {
            continue;
        }
        let reference = over(&holdout);
        let details: Vec<serde_json::Value> = read_tables
            .iter()
            .zip(synthetic.iter().zip(&holdout))
            .map(|(t, (s, h))| {
                let per_column = |names: &[String], s: &[f64], h: &[f64]| {
                    names
                        .iter()
                        .zip(s.iter().zip(h))
                        .map(|(name, (s, h))| {
                            serde_json::json!({ "column": name,
                                "score": finite(*s), "holdout": finite(*h) })
                        })
                        .collect::<Vec<_>>()
                };
                let columns = match id {
                    "fidelity.sequence_transitions" => {
                        per_column(&t.columns.categorical, &s.per_transition, &h.per_transition)
                    }
                    "fidelity.sequence_autocorrelation" => per_column(
                        &t.columns.numeric,
                        &s.per_autocorrelation,
                        &h.per_autocorrelation,
                    ),
                    _ => Vec::new(),
                };
                serde_json::json!({ "table": t.name, "score": finite(pick(s)),
                    "holdout": finite(pick(h)), "entities_cut_by_split": t.cut,
                    "columns": columns })
            })
            .collect();
        metrics.push(
            Metric::new(id, value, definition)
                .interval(bootstrap_interval(
                    value,
                    synthetic_boot.iter().map(|s| over(s)).collect(),
                ))
                .reference((!reference.is_nan()).then_some(reference))
                .reference_interval(bootstrap_interval(
                    reference,
                    holdout_boot.iter().map(|s| over(s)).collect(),
                ))
                .details(details)
                .clip(0.0, 1.0),
        );
    }
    Ok(metrics)
}

/// A score for the details (`None` when not computable).
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_of_a_line_is_one_and_of_a_mirror_minus_one() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        assert!((correlation(line.iter()) - 1.0).abs() < 1e-12);
        let mirror: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, -(i as f64))).collect();
        assert!((correlation(mirror.iter()) + 1.0).abs() < 1e-12);
        assert!(correlation([(1.0, 1.0)].iter()).is_nan());
    }

    #[test]
    fn total_variation_of_disjoint_distributions_is_one() {
        assert_eq!(tv_complement(&[1.0, 0.0], &[0.0, 3.0]), Some(0.0));
        assert_eq!(tv_complement(&[1.0, 1.0], &[2.0, 2.0]), Some(1.0));
        assert_eq!(tv_complement(&[0.0, 0.0], &[2.0, 2.0]), None);
    }
}
