//! Accuracy as mostlyai-qa 1.10 defines it (`mostlyai/qa/_accuracy.py`, `reporting.py`): every
//! column is cut into at most 10 bins learnt on the training table, and each column, pair of
//! columns and triple of columns scores `1 − ½ Σ |p_train − p_synthetic|` over its (joint) bins,
//! rounded to 5 decimals. Univariate, bivariate and trivariate accuracy are the means over
//! columns, pairs and triples; overall is the mean of those three, each rounded to 7 decimals.
//!
//! Binning, exactly as mostlyai-qa's `bin_data(ori, 10)`:
//!
//! - **numbers** (columns whose values are all numbers, whatever their semantic type, since
//!   mostlyai-qa goes by storage type): with at most 10 distinct values, each value is a bin;
//!   otherwise the breaks are the distinct values at `numpy.linspace(0, n − 1, i)` positions of
//!   the sorted values, for the first `i` from 10 up that gives 11 distinct breaks; breaks are
//!   floored to the fewest decimals that keep them distinct (all but the last), bins are
//!   left-closed, synthetic values are clipped into the breaks' range, and missing values have
//!   a bin of their own;
//! - **categories**: the 10 most frequent training values (missing competing as `(n/a)`) that
//!   occur at least 5 times are bins; every other value shares `(other)`; missing has its own
//!   bin. Ties at the tenth place go to the value seen first.
//!
//! Triples: every triple while there are at most [`MAX_TRIPLES`] (mostlyai-qa's
//! `MAX_TRIVARIATES`, all triples up to 40 columns); past that, [`MAX_TRIPLES`] distinct triples
//! drawn from the seed stream `evaluate/accuracy/triples` ([`triples`]), so memory and time grow
//! with the number of pairs, not triples, and the same seed counts the same triples. The
//! overall metric's details say how many were counted of how many.
//!
//! Differences, on purpose: datetimes are binned as numbers (mostlyai-qa skips the ≤ 10-value
//! rule and the flooring for them), and the sample of triples past the cap comes from
//! Synthgate's seed streams, not an unseeded shuffle. The `_max` twins (expected accuracy of a
//! same-size holdout) are in the details.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::{Seed, unit_f64};

use crate::Prepared;
use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::values::{Column, MISSING};

/// Bins per column (mostlyai-qa's `bins=10`).
const BINS: usize = 10;

/// Most column triples trivariate accuracy counts (mostlyai-qa's `MAX_TRIVARIATES`).
pub const MAX_TRIPLES: usize = 10_000;

/// The seed stream the sample of triples is drawn from.
pub const TRIPLES_STREAM: &str = "evaluate/accuracy/triples";

/// Categories rarer than this in the training table are not bins of their own.
const MIN_CATEGORY_COUNT: usize = 5;

/// How one column is binned.
#[derive(Debug, Clone)]
enum Cut {
    /// Left-closed bins between `edges`; values clipped into `[low, high]` first.
    Numeric {
        edges: Vec<f64>,
        low: f64,
        high: f64,
    },
    /// Bin of each category code (`None` = `(other)`), and whether missing is a kept top value.
    Categorical { bins: Vec<Option<u8>>, kept: u8 },
}

/// A column's values as numbers, if every present value is one: numeric columns, and
/// categorical columns of numbers (codes whose categories all parse).
pub(crate) fn as_numbers(table: &Prepared, column: usize) -> Option<Vec<f64>> {
    match &table.columns[column] {
        Column::Continuous(values) => Some(values.clone()),
        Column::Discrete(codes) => {
            let dictionary = table.dictionaries.get(column)?;
            if dictionary.is_empty() {
                return None;
            }
            let parsed: Vec<f64> = dictionary
                .iter()
                .map(|text| synthgate_core::text::parse_float(text))
                .collect::<Option<Vec<f64>>>()?;
            Some(
                codes
                    .iter()
                    .map(|&c| {
                        if c == MISSING {
                            f64::NAN
                        } else {
                            parsed[c as usize]
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// `numpy.linspace(0, last, count).astype(int)`.
fn linspace_indices(last: usize, count: usize) -> Vec<usize> {
    if count == 1 {
        return vec![0];
    }
    let step = last as f64 / (count - 1) as f64;
    let mut out: Vec<usize> = (0..count).map(|k| (k as f64 * step) as usize).collect();
    out[count - 1] = last;
    out
}

fn floor_to(value: f64, precision: i32) -> f64 {
    let scale = libm::pow(10.0, f64::from(precision));
    (value * scale).floor() / scale
}

fn numeric_cut(values: &[f64]) -> Cut {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    let mut breaks = if distinct.is_empty() {
        vec![-1e10, 1e10]
    } else if distinct.len() <= BINS {
        let top = distinct[distinct.len() - 1] + 1.0;
        let mut breaks = distinct.clone();
        breaks.push(top);
        breaks
    } else {
        let end = (BINS + 1).max((sorted.len() + 1).min(1000));
        let mut breaks = Vec::new();
        for count in BINS..end {
            breaks = linspace_indices(sorted.len() - 1, count)
                .into_iter()
                .map(|i| sorted[i])
                .collect();
            breaks.dedup();
            if breaks.len() > BINS {
                break;
            }
        }
        breaks
    };
    breaks.dedup();
    for precision in 0..20 {
        let mut floored: Vec<f64> = breaks.iter().map(|&b| floor_to(b, precision)).collect();
        floored.sort_unstable_by(f64::total_cmp);
        floored.dedup();
        if floored.len() == breaks.len() {
            let last = breaks.len() - 1;
            for b in &mut breaks[..last] {
                *b = floor_to(*b, precision);
            }
            break;
        }
    }
    let low = breaks[0];
    let high = breaks[breaks.len() - 1];
    let mut edges = breaks;
    let last = edges.len() - 1;
    edges[last] += 1.0;
    Cut::Numeric { edges, low, high }
}

fn categorical_cut(codes: &[u32], categories: usize) -> Cut {
    // Counts in order of first appearance, missing as one more value.
    let mut counts = vec![0usize; categories + 1];
    let mut first_seen = vec![usize::MAX; categories + 1];
    for (row, &code) in codes.iter().enumerate() {
        let slot = if code == MISSING {
            categories
        } else {
            code as usize
        };
        counts[slot] += 1;
        first_seen[slot] = first_seen[slot].min(row);
    }
    let mut order: Vec<usize> = (0..=categories).filter(|&s| counts[s] > 0).collect();
    order.sort_by(|&a, &b| {
        counts[b]
            .cmp(&counts[a])
            .then(first_seen[a].cmp(&first_seen[b]))
    });
    let mut bins = vec![None; categories];
    let mut kept = 0u8;
    for &slot in order.iter().take(BINS) {
        if counts[slot] >= MIN_CATEGORY_COUNT && slot < categories {
            bins[slot] = Some(kept);
            kept += 1;
        }
    }
    Cut::Categorical { bins, kept }
}

impl Cut {
    /// Number of bins (the missing bin and, for categories, `(other)` included).
    fn bins(&self) -> usize {
        match self {
            Cut::Numeric { edges, .. } => edges.len(),
            Cut::Categorical { kept, .. } => *kept as usize + 2,
        }
    }

    fn bin_numbers(&self, values: &[f64]) -> Vec<u8> {
        let Cut::Numeric { edges, low, high } = self else {
            return Vec::new();
        };
        let missing = (edges.len() - 1) as u8;
        values
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    missing
                } else {
                    let v = v.clamp(*low, *high);
                    (edges.partition_point(|&e| e <= v).max(1) - 1) as u8
                }
            })
            .collect()
    }

    fn bin_codes(&self, codes: &[u32]) -> Vec<u8> {
        let Cut::Categorical { bins, kept } = self else {
            return Vec::new();
        };
        codes
            .iter()
            .map(|&c| {
                if c == MISSING {
                    kept + 1
                } else {
                    bins.get(c as usize).copied().flatten().unwrap_or(*kept)
                }
            })
            .collect()
    }
}

/// Both tables' columns as bin indices under the training table's cuts.
#[derive(Debug, Clone)]
pub struct Binned {
    /// Bins per column.
    sizes: Vec<usize>,
    train: Vec<Vec<u8>>,
    other: Vec<Vec<u8>>,
}

/// Bin `train` and `other` (prepared together) as mostlyai-qa does, cuts learnt on `train`.
pub fn bin(train: &Prepared, other: &Prepared) -> Binned {
    let mut sizes = Vec::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for column in 0..train.columns.len() {
        let (cut, x, y) = match (as_numbers(train, column), as_numbers(other, column)) {
            (Some(x), Some(y)) => {
                let cut = numeric_cut(&x);
                let (x, y) = (cut.bin_numbers(&x), cut.bin_numbers(&y));
                (cut, x, y)
            }
            _ => {
                let (Column::Discrete(x), Column::Discrete(y)) =
                    (&train.columns[column], &other.columns[column])
                else {
                    continue;
                };
                let cut = categorical_cut(x, train.categories(column));
                let (x, y) = (cut.bin_codes(x), cut.bin_codes(y));
                (cut, x, y)
            }
        };
        sizes.push(cut.bins());
        a.push(x);
        b.push(y);
    }
    Binned {
        sizes,
        train: a,
        other: b,
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = libm::pow(10.0, f64::from(decimals));
    (value * scale).round_ties_even() / scale
}

/// Accuracy and expected ("max") accuracy of one unit from joint cell counts.
fn unit(train: &[u32], other: &[u32], n_train: usize, n_other: usize) -> (f64, f64) {
    let (nt, no) = (n_train as f64, n_other as f64);
    let mut l1 = 0.0;
    let mut expected = 0.0;
    for (&a, &b) in train.iter().zip(other) {
        if a == 0 && b == 0 {
            continue;
        }
        let (p, q) = (f64::from(a) / nt, f64::from(b) / no);
        l1 += (p - q).abs();
        expected += (2.0 / std::f64::consts::PI * p * (1.0 - p) * (1.0 / nt + 1.0 / no)).sqrt();
    }
    (
        round_to(1.0 - l1 / 2.0, 5),
        round_to(1.0 - expected / 2.0, 5),
    )
}

fn joint_counts(columns: &[&[u8]], sizes: &[usize], rows: Option<&[usize]>) -> Vec<u32> {
    let cells: usize = sizes.iter().product();
    let mut counts = vec![0u32; cells];
    let n = columns.first().map_or(0, |c| c.len());
    let mut add = |row: usize| {
        let mut cell = 0usize;
        for (column, &size) in columns.iter().zip(sizes) {
            cell = cell * size + column[row] as usize;
        }
        counts[cell] += 1;
    };
    match rows {
        Some(rows) => rows.iter().for_each(|&r| add(r)),
        None => (0..n).for_each(add),
    }
    counts
}

/// One unit's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitAccuracy {
    /// The column names.
    pub columns: Vec<String>,
    /// `round(1 − TVD, 5)`.
    pub accuracy: f64,
    /// The expected accuracy of a same-size holdout.
    pub accuracy_max: f64,
}

/// Univariate, bivariate, trivariate and overall accuracy (each with its `_max`), and the
/// per-column and per-pair units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accuracy {
    /// Mean over columns.
    pub univariate: f64,
    /// Mean over pairs (`None` with fewer than 2 columns).
    pub bivariate: Option<f64>,
    /// Mean over triples (`None` with fewer than 3 columns).
    pub trivariate: Option<f64>,
    /// Mean of the three.
    pub overall: f64,
    /// The `_max` twins, in the same order.
    pub univariate_max: f64,
    /// Expected bivariate accuracy of a same-size holdout.
    pub bivariate_max: Option<f64>,
    /// Expected trivariate accuracy of a same-size holdout.
    pub trivariate_max: Option<f64>,
    /// Expected overall accuracy of a same-size holdout.
    pub overall_max: f64,
    /// Per column.
    pub columns: Vec<UnitAccuracy>,
    /// Per pair.
    pub pairs: Vec<UnitAccuracy>,
    /// Column triples counted in the trivariate mean.
    pub triples_counted: usize,
    /// Column triples there are.
    pub triples_total: u64,
}

fn units(width: usize, order: usize, seed: Seed) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    match order {
        1 => (0..width).for_each(|a| out.push(vec![a])),
        2 => {
            for a in 0..width {
                for b in a + 1..width {
                    out.push(vec![a, b]);
                }
            }
        }
        _ => out = triples(width, seed).into_iter().map(Vec::from).collect(),
    }
    out
}

/// `n` choose `k` (k ≤ 3), saturating.
fn choose(n: u64, k: u64) -> u64 {
    match k {
        0 => 1,
        1 => n,
        2 => n.saturating_mul(n.saturating_sub(1)) / 2,
        _ => {
            // n (n − 1) (n − 2) / 6 without overflow for any width a table can have.
            let n = u128::from(n);
            u64::try_from(n * n.saturating_sub(1) * n.saturating_sub(2) / 6).unwrap_or(u64::MAX)
        }
    }
}

/// The number of column triples among `width` columns.
pub fn triple_count(width: usize) -> u64 {
    choose(width as u64, 3)
}

/// The triple at position `index` of the lexicographic order of all triples of `width`
/// columns.
fn unrank(width: usize, mut index: u64) -> [usize; 3] {
    let mut triple = [0usize; 3];
    let mut first = 0usize;
    for (slot, remaining) in [(0usize, 2u64), (1, 1), (2, 0)] {
        let mut column = first;
        // Triples (or pairs, or single columns) that start at `column` with larger columns after.
        while column < width {
            let block = choose((width - column - 1) as u64, remaining);
            if index < block {
                break;
            }
            index -= block;
            column += 1;
        }
        triple[slot] = column;
        first = column + 1;
    }
    triple
}

/// The column triples trivariate accuracy counts among `width` columns, in lexicographic order:
/// all of them up to [`MAX_TRIPLES`]; past that, [`MAX_TRIPLES`] distinct triples drawn from
/// stream (`seed`, [`TRIPLES_STREAM`], 0) by Floyd's algorithm (uniform without replacement,
/// one draw each, never listing every triple), so memory grows with the cap, not the width.
pub fn triples(width: usize, seed: Seed) -> Vec<[usize; 3]> {
    let total = triple_count(width);
    if total <= MAX_TRIPLES as u64 {
        return (0..total).map(|i| unrank(width, i)).collect();
    }
    let mut rng = seed.stream(TRIPLES_STREAM, 0);
    let mut chosen: HashSet<u64> = HashSet::with_capacity(MAX_TRIPLES);
    for j in total - MAX_TRIPLES as u64..total {
        let t = ((unit_f64(&mut rng) * (j + 1) as f64) as u64).min(j);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut indices: Vec<u64> = chosen.into_iter().collect();
    indices.sort_unstable();
    indices.into_iter().map(|i| unrank(width, i)).collect()
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A unit's columns and its (accuracy, expected accuracy).
type ScoredUnit = (Vec<usize>, (f64, f64));

/// Every unit (columns, pairs, triples) with its training table's joint counts, computed once.
struct Plan {
    levels: Vec<Vec<(Vec<usize>, Vec<u32>)>>,
}

impl Plan {
    fn new(binned: &Binned, seed: Seed) -> Plan {
        let width = binned.sizes.len();
        let levels = (1..=3)
            .map(|order| {
                units(width, order, seed)
                    .into_par_iter()
                    .map(|columns| {
                        let sizes: Vec<usize> = columns.iter().map(|&c| binned.sizes[c]).collect();
                        let a: Vec<&[u8]> = columns.iter().map(|&c| &binned.train[c][..]).collect();
                        let counts = joint_counts(&a, &sizes, None);
                        (columns, counts)
                    })
                    .collect()
            })
            .collect();
        Plan { levels }
    }
}

/// The joint counts of one unit's bins in `columns`, each row counted `weights[row]` times
/// (once without weights). Counting is order-free, so a bootstrap resample becomes per-row
/// weights and every unit is counted in one sequential pass over its columns.
fn unit_counts(
    columns: &[Vec<u8>],
    sizes: &[usize],
    unit: &[usize],
    weights: Option<&[u32]>,
) -> Vec<u32> {
    let cells: usize = unit.iter().map(|&c| sizes[c]).product();
    let mut counts = vec![0u32; cells];
    let ones;
    let weights = match weights {
        Some(weights) => weights,
        None => {
            ones = vec![1u32; columns.first().map_or(0, Vec::len)];
            &ones
        }
    };
    match *unit {
        [a] => {
            for (&x, &w) in columns[a].iter().zip(weights) {
                counts[x as usize] += w;
            }
        }
        [a, b] => {
            let size_b = sizes[b];
            for ((&x, &y), &w) in columns[a].iter().zip(&columns[b]).zip(weights) {
                counts[x as usize * size_b + y as usize] += w;
            }
        }
        [a, b, c] => {
            let (size_b, size_c) = (sizes[b], sizes[c]);
            for (((&x, &y), &z), &w) in columns[a]
                .iter()
                .zip(&columns[b])
                .zip(&columns[c])
                .zip(weights)
            {
                counts[(x as usize * size_b + y as usize) * size_c + z as usize] += w;
            }
        }
        _ => {
            let bins: Vec<&[u8]> = unit.iter().map(|&c| &columns[c][..]).collect();
            let unit_sizes: Vec<usize> = unit.iter().map(|&c| sizes[c]).collect();
            let rows: Vec<usize> = weights
                .iter()
                .enumerate()
                .flat_map(|(row, &w)| std::iter::repeat_n(row, w as usize))
                .collect();
            counts = joint_counts(&bins, &unit_sizes, Some(&rows));
        }
    }
    counts
}

/// Score `other` against `train` on binned columns; `rows` resamples `other`'s rows. Per-unit
/// results are named only for the full table (a resample needs the means alone).
fn score(binned: &Binned, plan: &Plan, names: &[String], rows: Option<&[usize]>) -> Accuracy {
    let n_train = binned.train.first().map_or(0, Vec::len);
    let n_full = binned.other.first().map_or(0, Vec::len);
    let n_other = rows.map_or(n_full, <[usize]>::len);
    let weights: Option<Vec<u32>> = rows.map(|rows| {
        let mut weights = vec![0u32; n_full];
        for &row in rows {
            weights[row] += 1;
        }
        weights
    });
    let levels: Vec<Vec<ScoredUnit>> = plan
        .levels
        .iter()
        .map(|units| {
            units
                .iter()
                .map(|(unit_columns, train_counts)| {
                    let other = unit_counts(
                        &binned.other,
                        &binned.sizes,
                        unit_columns,
                        weights.as_deref(),
                    );
                    let result = unit(train_counts, &other, n_train, n_other);
                    let named = if rows.is_none() && unit_columns.len() < 3 {
                        unit_columns.clone()
                    } else {
                        Vec::new()
                    };
                    (named, result)
                })
                .collect()
        })
        .collect();
    let level = |k: usize, max: bool| {
        mean_of(levels[k].iter().map(|(_, r)| if max { r.1 } else { r.0 })).map(|v| round_to(v, 7))
    };
    let named = |k: usize| -> Vec<UnitAccuracy> {
        if rows.is_some() {
            return Vec::new();
        }
        levels[k]
            .iter()
            .map(|(columns, (accuracy, accuracy_max))| UnitAccuracy {
                columns: columns.iter().map(|&c| names[c].clone()).collect(),
                accuracy: *accuracy,
                accuracy_max: *accuracy_max,
            })
            .collect()
    };
    let overall = |max: bool| {
        mean_of((0..3).filter_map(|k| level(k, max))).map_or(f64::NAN, |v| round_to(v, 7))
    };
    Accuracy {
        univariate: level(0, false).unwrap_or(f64::NAN),
        bivariate: level(1, false),
        trivariate: level(2, false),
        overall: overall(false),
        univariate_max: level(0, true).unwrap_or(f64::NAN),
        bivariate_max: level(1, true),
        trivariate_max: level(2, true),
        overall_max: overall(true),
        columns: named(0),
        pairs: named(1),
        triples_counted: levels[2].len(),
        triples_total: triple_count(binned.sizes.len()),
    }
}

/// mostlyai-qa's accuracy of `other` against `train` (prepared together); `seed` draws the
/// triples when there are more than [`MAX_TRIPLES`].
pub fn accuracy(train: &Prepared, other: &Prepared, seed: Seed) -> Accuracy {
    let binned = bin(train, other);
    score(&binned, &Plan::new(&binned, seed), &train.names, None)
}

/// The three accuracy metrics, with bootstrap intervals over synthetic rows and the holdout's
/// accuracy as reference.
pub(crate) fn metrics(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
) -> Vec<Metric> {
    let binned = bin(train, synthetic);
    let plan = Plan::new(&binned, config.seed);
    let result = score(&binned, &plan, &train.names, None);
    let binned_holdout = bin(train, holdout);
    let reference = score(&binned_holdout, &plan, &train.names, None);
    let boot_of = |binned: &Binned, rows: usize, purpose: &str| -> Vec<Accuracy> {
        resamples(rows, config, purpose)
            .par_iter()
            .map(|rows| score(binned, &plan, &train.names, Some(rows)))
            .collect()
    };
    let boot = boot_of(&binned, synthetic.rows(), "evaluate/accuracy");
    let boot_reference = boot_of(
        &binned_holdout,
        holdout.rows(),
        "evaluate/accuracy/reference",
    );
    let mut metrics = Vec::new();
    type Pick = fn(&Accuracy) -> Option<f64>;
    let levels: [(&str, Pick, Pick, &str); 3] = [
        (
            "fidelity.accuracy.univariate",
            |a| Some(a.univariate),
            |a| Some(a.univariate_max),
            "mostlyai-qa 1.10 univariate accuracy: mean over columns of round(1 - TVD, 5) \
             over 10 bins learnt on train (quantile-like breaks for numbers, top-10 categories \
             with at least 5 rows plus '(other)', missing a bin of its own); synthetic vs \
             train. Reference: the holdout in the synthetic set's place.",
        ),
        (
            "fidelity.accuracy.bivariate",
            |a| a.bivariate,
            |a| a.bivariate_max,
            "mostlyai-qa 1.10 bivariate accuracy: mean over all column pairs of round(1 - TVD, \
             5) of their joint bins; synthetic vs train. Reference: the holdout.",
        ),
        (
            "fidelity.accuracy.overall",
            |a| Some(a.overall),
            |a| Some(a.overall_max),
            "mostlyai-qa 1.10 overall accuracy: mean of univariate, bivariate and trivariate \
             accuracy, rounded to 7 decimals; synthetic vs train. Trivariate: every column \
             triple up to 10,000, past that 10,000 triples drawn by a seeded sample (stream \
             'evaluate/accuracy/triples'; mostlyai-qa samples 10,000 unseeded); the details say \
             how many were counted of how many. Reference: the holdout.",
        ),
    ];
    for (id, pick, pick_max, definition) in levels {
        let Some(value) = pick(&result) else {
            continue;
        };
        let values = boot.iter().map(|a| pick(a).unwrap_or(f64::NAN)).collect();
        let reference_interval = match pick(&reference) {
            Some(r) => bootstrap_interval(
                r,
                boot_reference
                    .iter()
                    .map(|a| pick(a).unwrap_or(f64::NAN))
                    .collect(),
            ),
            None => (None, None),
        };
        let mut details = serde_json::json!({
            "expected_max": pick_max(&result),
        });
        if id.ends_with("univariate") {
            details["columns"] = serde_json::to_value(&result.columns).unwrap_or_default();
        } else if id.ends_with("bivariate") {
            details["pairs"] = serde_json::to_value(&result.pairs).unwrap_or_default();
        } else {
            details["trivariate"] = serde_json::json!(result.trivariate);
            details["triples"] = serde_json::json!({
                "counted": result.triples_counted,
                "of": result.triples_total,
                "sampled": (result.triples_counted as u64) < result.triples_total,
                "seed_stream": TRIPLES_STREAM,
            });
        }
        metrics.push(
            Metric::new(id, value, definition)
                .interval(bootstrap_interval(value, values))
                .reference(pick(&reference))
                .reference_interval(reference_interval)
                .clip(0.0, 1.0)
                .details(details),
        );
    }
    metrics
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Every triple of `width` columns by nested loops: the order `triples` must keep.
    fn all_triples(width: usize) -> Vec<[usize; 3]> {
        let mut out = Vec::new();
        for a in 0..width {
            for b in a + 1..width {
                for c in b + 1..width {
                    out.push([a, b, c]);
                }
            }
        }
        out
    }

    #[test]
    fn below_the_cap_every_triple_is_counted_in_order() {
        // C(40, 3) = 9,880: mostlyai-qa keeps every triple up to 40 columns, and so do we.
        for width in [0, 1, 2, 3, 4, 17, 40] {
            assert_eq!(triples(width, Seed(7)), all_triples(width), "width {width}");
            assert_eq!(triple_count(width), all_triples(width).len() as u64);
        }
        assert_eq!(triple_count(41), 10_660);
        assert_eq!(triple_count(300), 4_455_100);
    }

    #[test]
    fn past_the_cap_a_seeded_sample_of_distinct_triples_is_counted() {
        for width in [41, 60, 300, 2000] {
            let sample = triples(width, Seed(3));
            assert_eq!(sample.len(), MAX_TRIPLES, "width {width}");
            // Distinct, valid and in lexicographic order.
            assert!(sample.windows(2).all(|w| w[0] < w[1]), "width {width}");
            assert!(
                sample
                    .iter()
                    .all(|t| t[0] < t[1] && t[1] < t[2] && t[2] < width)
            );
            // The same seed draws the same triples; another seed others.
            assert_eq!(sample, triples(width, Seed(3)));
            assert_ne!(sample, triples(width, Seed(4)));
        }
        // Spread over the whole range, not a prefix: some triple starts past the middle.
        let sample = triples(300, Seed(3));
        assert!(sample.iter().any(|t| t[0] > 150));
        assert!(sample.iter().filter(|t| t[0] == 0).count() < 1000);
    }

    #[test]
    fn unranking_walks_every_triple_in_order() {
        let width = 23;
        let all: Vec<[usize; 3]> = (0..triple_count(width)).map(|i| unrank(width, i)).collect();
        assert_eq!(all, all_triples(width));
    }

    /// A table of `width` categorical columns with `rows` rows of varied codes.
    fn wide(width: usize, rows: usize, shift: usize) -> Prepared {
        let columns = (0..width)
            .map(|c| {
                Column::Discrete(
                    (0..rows)
                        .map(|r| ((r * (c + 1) + shift) % 7) as u32)
                        .collect(),
                )
            })
            .collect();
        Prepared {
            names: (0..width).map(|c| format!("c{c}")).collect(),
            columns,
            rows,
            dictionaries: Arc::new(
                (0..width)
                    .map(|_| (0..7).map(|k| format!("v{k}")).collect())
                    .collect(),
            ),
        }
    }

    #[test]
    fn accuracy_counts_at_most_the_cap_of_triples_and_says_so() {
        let config = EvaluationConfig {
            resamples: 10,
            ..EvaluationConfig::default()
        };
        for (width, counted) in [(12, 220), (60, MAX_TRIPLES)] {
            let (train, holdout, synthetic) =
                (wide(width, 40, 0), wide(width, 40, 1), wide(width, 40, 2));
            let result = accuracy(&train, &synthetic, Seed(0));
            assert_eq!(result.triples_counted, counted, "width {width}");
            assert_eq!(result.triples_total, triple_count(width));
            let metrics = metrics(&train, &holdout, &synthetic, &config);
            let overall = metrics
                .iter()
                .find(|m| m.id == "fidelity.accuracy.overall")
                .expect("overall accuracy");
            assert_eq!(overall.details["triples"]["counted"], counted);
            assert_eq!(overall.details["triples"]["of"], triple_count(width));
            assert_eq!(overall.details["triples"]["sampled"], width > 40);
        }
    }
}
