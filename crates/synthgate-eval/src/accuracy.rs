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
//! Differences, on purpose: datetimes are binned as numbers (mostlyai-qa skips the ≤ 10-value
//! rule and the flooring for them), and above 40 columns every triple is used instead of a
//! random 10,000. The `_max` twins (expected accuracy of a same-size holdout) are in the
//! details.

use rayon::prelude::*;
use serde::Serialize;

use crate::Prepared;
use crate::harness::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::values::{Column, MISSING};

/// Bins per column (mostlyai-qa's `bins=10`).
const BINS: usize = 10;

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
    let scale = 10f64.powi(precision);
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
    let scale = 10f64.powi(decimals);
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
}

fn units(width: usize, order: usize) -> Vec<Vec<usize>> {
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
        _ => {
            for a in 0..width {
                for b in a + 1..width {
                    for c in b + 1..width {
                        out.push(vec![a, b, c]);
                    }
                }
            }
        }
    }
    out
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
    fn new(binned: &Binned) -> Plan {
        let width = binned.sizes.len();
        let levels = (1..=3)
            .map(|order| {
                units(width, order)
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

/// Score `other` against `train` on binned columns; `rows` resamples `other`'s rows.
fn score(binned: &Binned, plan: &Plan, names: &[String], rows: Option<&[usize]>) -> Accuracy {
    let n_train = binned.train.first().map_or(0, Vec::len);
    let n_other = rows.map_or_else(|| binned.other.first().map_or(0, Vec::len), <[usize]>::len);
    let levels: Vec<Vec<ScoredUnit>> = plan
        .levels
        .iter()
        .map(|units| {
            units
                .iter()
                .map(|(unit_columns, train_counts)| {
                    let sizes: Vec<usize> = unit_columns.iter().map(|&c| binned.sizes[c]).collect();
                    let b: Vec<&[u8]> =
                        unit_columns.iter().map(|&c| &binned.other[c][..]).collect();
                    let result = unit(
                        train_counts,
                        &joint_counts(&b, &sizes, rows),
                        n_train,
                        n_other,
                    );
                    (unit_columns.clone(), result)
                })
                .collect()
        })
        .collect();
    let level = |k: usize, max: bool| {
        mean_of(levels[k].iter().map(|(_, r)| if max { r.1 } else { r.0 })).map(|v| round_to(v, 7))
    };
    let named = |k: usize| -> Vec<UnitAccuracy> {
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
    }
}

/// mostlyai-qa's accuracy of `other` against `train` (prepared together).
pub fn accuracy(train: &Prepared, other: &Prepared) -> Accuracy {
    let binned = bin(train, other);
    score(&binned, &Plan::new(&binned), &train.names, None)
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
    let plan = Plan::new(&binned);
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
             (all column triples) accuracy, rounded to 7 decimals; synthetic vs train. \
             Reference: the holdout.",
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
