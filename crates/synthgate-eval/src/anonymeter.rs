//! Re-identification risks following anonymeter 1.1's method (Giomi et al., "A Unified
//! Framework for Quantifying Privacy Risk in Synthetic Data", PoPETs 2023;
//! `anonymeter/evaluators/*.py`, `stats/confidence.py`). Each attack runs against the training
//! rows (attack) and against holdout rows the generator never saw (control); a random-guess
//! baseline checks the attack is meaningful. Rates are Wilson score centres with their errors,
//! and the risk is the residual `(attack − control) / (1 − control)` with the error propagated,
//! clipped to [0, 1]; the interval is risk ± error (anonymeter's, at 95%).
//!
//! - **Singling out** (multivariate, anonymeter's default mode): predicates built from random
//!   synthetic rows on 3 random columns (a number becomes `≥ v` above the column's synthetic
//!   median and `≤ v` otherwise, a category `= v`, missing `is missing`) that match exactly one
//!   deduplicated synthetic row; success when a predicate matches exactly one training row.
//!   The control count is scaled to the training rows' size by anonymeter's singling-out
//!   probability model fitted to the successes on control subsamples ([`SizeCorrection`]);
//!   anonymeter 1.1.0's package fits its model to a constant, which reduces to
//!   `(|control| + 1) / (|train| + 1)`, kept as [`SinglingOut::as_anonymeter`]. Baseline:
//!   random predicates on random synthetic values with random operators.
//! - **Linkability**: an attacker holds two disjoint column sets of the same people; success
//!   when the nearest synthetic row by the first set is the nearest by the second.
//! - **Inference**: an attacker knows every column but a secret one and guesses it from the
//!   nearest synthetic row; success when the guess equals the secret (numbers: within 5% of
//!   it). Baseline: the secret of a random synthetic row.
//!
//! Differences, on purpose and documented in each metric's definition: nearest rows use the one
//! mixed distance every Synthgate privacy metric uses (SDMetrics' range-scaled, missing equals
//! missing) with ties going to a random one of the tied rows (the synthetic rows are shuffled,
//! seeded), where anonymeter's Gower distance counts two missing numbers as different and
//! breaks ties by numba's quicksort; the inference baseline is
//! the intended random guess, not anonymeter 1.1's index-aligned one; numeric inference
//! tolerance is relative to the secret, not to the guess. Draws come from Synthgate's seed
//! streams, so agreement with anonymeter is statistical: within its confidence interval.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::{Seed, SeedRng, unit_f64};

use crate::Prepared;
use crate::metric::{EvaluationConfig, Metric};
use crate::nearest::NearestIndex;
use crate::privacy::Samples;
use crate::values::{Column, MISSING};

/// `scipy.stats.norm.ppf(0.975)`.
const Z: f64 = 1.959_963_984_540_054;

/// Queries the singling-out attack builds.
pub const SINGLING_OUT_ATTACKS: usize = 500;

/// Columns per singling-out query.
pub const SINGLING_OUT_COLUMNS: usize = 3;

/// Attempts to build singling-out queries before giving up (anonymeter: 10,000,000).
const MAX_ATTEMPTS: usize = 500_000;

pub use crate::metric::LINK_ATTACKS;

/// A success rate with its Wilson error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// The Wilson score centre.
    pub value: f64,
    /// Its half-width at 95%.
    pub error: f64,
}

/// anonymeter's `success_rate`: the Wilson score centre and error of `successes` in `trials`.
pub fn wilson(successes: f64, trials: usize) -> Rate {
    let n = trials as f64;
    let z2 = Z * Z;
    let denominator = n + z2;
    let variance = if n > 0.0 {
        successes * (n - successes) / n
    } else {
        0.0
    };
    Rate {
        value: (successes + 0.5 * z2) / denominator,
        error: Z / denominator * (variance + 0.25 * z2).sqrt(),
    }
}

/// An attack's outcome, as anonymeter reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    /// Attacks run (the rates' denominator).
    pub attacks: usize,
    /// Successes against the training rows.
    pub successes: f64,
    /// Successes of the random baseline.
    pub baseline_successes: f64,
    /// Successes against the control (holdout) rows, after any size correction.
    pub control_successes: f64,
    /// Rate against the training rows.
    pub attack_rate: Rate,
    /// Rate of the random baseline.
    pub baseline_rate: Rate,
    /// Rate against the control rows.
    pub control_rate: Rate,
    /// The residual risk, clipped to [0, 1].
    pub risk: f64,
    /// Risk − error, clipped.
    pub ci_low: f64,
    /// Risk + error, clipped.
    pub ci_high: f64,
    /// Whether the attack did no better than random guessing (anonymeter warns: the result
    /// cannot be trusted).
    pub baseline_warning: bool,
}

impl Risk {
    fn new(attacks: (usize, usize, usize), successes: f64, baseline: f64, control: f64) -> Risk {
        // A control count scaled up to the training rows' size can pass its attacks on a
        // small holdout (46 states, 9 held out); no rate passes 1, and one of 1
        // would leave the risk's error infinite.
        let control = control.min(attacks.2 as f64);
        let attack_rate = wilson(successes, attacks.0);
        let baseline_rate = wilson(baseline, attacks.1);
        let control_rate = wilson(control, attacks.2);
        let (a, c) = (attack_rate, control_rate);
        let residual = (a.value - c.value) / (1.0 - c.value);
        let d_attack = 1.0 / (1.0 - c.value).abs();
        let d_control = (a.value - 1.0) / ((1.0 - c.value) * (1.0 - c.value));
        let (x, y) = (a.error * d_attack, c.error * d_control);
        let error = (x * x + y * y).sqrt();
        Risk {
            attacks: attacks.0,
            successes,
            baseline_successes: baseline,
            control_successes: control,
            attack_rate,
            baseline_rate,
            control_rate,
            risk: residual.clamp(0.0, 1.0),
            ci_low: (residual - error).clamp(0.0, 1.0),
            ci_high: (residual + error).clamp(0.0, 1.0),
            baseline_warning: baseline_rate.value >= attack_rate.value,
        }
    }
}

fn draw(rng: &mut SeedRng, below: usize) -> usize {
    ((unit_f64(rng) * below as f64) as usize).min(below.saturating_sub(1))
}

/// `count` distinct indices below `below` (a partial Fisher–Yates shuffle).
fn choose(rng: &mut SeedRng, below: usize, count: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..below).collect();
    let count = count.min(below);
    for i in 0..count {
        let j = i + draw(rng, below - i);
        pool.swap(i, j);
    }
    pool.truncate(count);
    pool
}

/// `table` without repeated rows (first occurrences kept, in order).
fn distinct_rows(table: &Prepared) -> Prepared {
    let mut seen = HashSet::new();
    let keep: Vec<usize> = crate::row_keys(table)
        .into_iter()
        .enumerate()
        .filter(|(_, key)| seen.insert(key.clone()))
        .map(|(row, _)| row)
        .collect();
    table.resample(&keep)
}

/// One column of a singling-out table: numbers or category codes.
#[derive(Debug, Clone)]
enum Values {
    Numbers(Vec<f64>),
    Codes(Vec<u32>),
}

impl Values {
    fn of(table: &Prepared) -> Vec<Values> {
        (0..table.columns.len())
            .map(|c| match crate::accuracy::as_numbers(table, c) {
                Some(numbers) => Values::Numbers(numbers),
                None => match &table.columns[c] {
                    Column::Discrete(codes) => Values::Codes(codes.clone()),
                    Column::Continuous(numbers) => Values::Numbers(numbers.clone()),
                },
            })
            .collect()
    }
}

impl Values {
    /// Every column at `rows`.
    fn take_all(columns: &[Values], rows: &[usize]) -> Vec<Values> {
        columns
            .iter()
            .map(|column| match column {
                Values::Numbers(v) => Values::Numbers(rows.iter().map(|&r| v[r]).collect()),
                Values::Codes(v) => Values::Codes(rows.iter().map(|&r| v[r]).collect()),
            })
            .collect()
    }
}

/// Subsamples per size in the size-correction fit (anonymeter: 5).
const CORRECTION_REPEATS: usize = 5;

/// The control subsample sizes of the fit: `numpy.linspace(min(1000, n), n, 10).astype(int)`
/// as anonymeter's, except that a control of at most 1,000 rows starts at a tenth of its size
/// (anonymeter's sizes would all be equal, and the fit undetermined).
fn subsample_sizes(rows: usize) -> Vec<usize> {
    let low = rows.min(1000).min((rows / 10).max(10)).min(rows) as f64;
    let low = if rows > 1000 { 1000.0 } else { low };
    let high = rows as f64;
    (0..10)
        .map(|k| (low + (high - low) * k as f64 / 9.0) as usize)
        .collect()
}

/// anonymeter's singling-out probability model (`singling_out_probability_integral` with
/// `w_min = 0`), up to its scale: the chance that a query matching each row with a probability
/// uniform in `[0, w]` matches exactly one of `n` rows, times `w`.
fn singling_out_model(n: f64, w: f64) -> f64 {
    (1.0 - (n * w + 1.0) * libm::pow(1.0 - w, n)) / (n + 1.0)
}

/// The least-squares fit of `norm · model(x, w)` to `points` for a given `w`: the best `norm`
/// (in closed form) and the squared error, or `None` when the model is 0 at every point.
fn fit_at(points: &[(f64, f64)], w: f64) -> Option<(f64, f64)> {
    let model: Vec<f64> = points
        .iter()
        .map(|&(x, _)| singling_out_model(x, w))
        .collect();
    let denominator: f64 = model.iter().map(|m| m * m).sum();
    if denominator <= 0.0 {
        return None;
    }
    let norm = points.iter().zip(&model).map(|(p, m)| p.1 * m).sum::<f64>() / denominator;
    let error = points
        .iter()
        .zip(&model)
        .map(|(p, m)| (p.1 - norm * m) * (p.1 - norm * m))
        .sum();
    Some((error, norm))
}

/// Steps of the grid over `log10 w` in the size-correction fit, from −8 to 0.
const CORRECTION_GRID: usize = 600;

/// The fitted size correction: `norm · model(x, w)` fitted to the measured `(size, successes)`
/// points by least squares (the best `norm` in closed form for each `w`; `log10 w` by a grid
/// from −8 to 0, then golden-section search between the best point's neighbours), as
/// `(w, norm)`, and the factor that scales control successes at `control` rows to `original`
/// rows, the model's ratio at the two sizes. `bench/fixtures_anonymeter_correction.py` fits the
/// same points with scipy's `curve_fit`, as anonymeter does, for the test that checks this.
fn size_correction(points: &[(f64, f64)], control: f64, original: f64) -> ((f64, f64), f64) {
    let error_at = |g: f64| fit_at(points, libm::pow(10.0, g)).map_or(f64::INFINITY, |f| f.0);
    let step = 8.0 / CORRECTION_GRID as f64;
    let grid = |k: usize| -8.0 + step * k as f64;
    let best = (0..=CORRECTION_GRID)
        .map(|k| (error_at(grid(k)), k))
        .fold((f64::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a })
        .1;
    // The squared error is unimodal between the grid's neighbours of its best point.
    let (mut low, mut high) = (
        grid(best.saturating_sub(1)),
        grid((best + 1).min(CORRECTION_GRID)),
    );
    let ratio = (libm::sqrt(5.0) - 1.0) / 2.0;
    let (mut a, mut b) = (high - ratio * (high - low), low + ratio * (high - low));
    let (mut error_a, mut error_b) = (error_at(a), error_at(b));
    for _ in 0..100 {
        if error_a <= error_b {
            high = b;
            (b, error_b) = (a, error_a);
            a = high - ratio * (high - low);
            error_a = error_at(a);
        } else {
            low = a;
            (a, error_a) = (b, error_b);
            b = low + ratio * (high - low);
            error_b = error_at(b);
        }
    }
    let w = libm::pow(10.0, (low + high) / 2.0);
    let norm = fit_at(points, w).map_or(0.0, |f| f.1);
    let at_control = singling_out_model(control, w);
    let factor = if at_control > 0.0 {
        singling_out_model(original, w) / at_control
    } else {
        (control + 1.0) / (original + 1.0)
    };
    ((w, norm), factor)
}

/// One column's condition in a query. Comparisons never match a missing value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Condition {
    Missing,
    Present,
    Equal(f64),
    NotEqual(f64),
    AtLeast(f64),
    AtMost(f64),
    Above(f64),
    Below(f64),
    Code(u32),
    NotCode(u32),
}

impl Condition {
    fn matches(self, values: &Values, row: usize) -> bool {
        match values {
            Values::Numbers(numbers) => {
                let v = numbers[row];
                match self {
                    Condition::Missing => v.is_nan(),
                    Condition::Present => !v.is_nan(),
                    _ if v.is_nan() => false,
                    Condition::Equal(x) => v == x,
                    Condition::NotEqual(x) => v != x,
                    Condition::AtLeast(x) => v >= x,
                    Condition::AtMost(x) => v <= x,
                    Condition::Above(x) => v > x,
                    Condition::Below(x) => v < x,
                    Condition::Code(_) | Condition::NotCode(_) => false,
                }
            }
            Values::Codes(codes) => {
                let c = codes[row];
                match self {
                    Condition::Missing => c == MISSING,
                    Condition::Present => c != MISSING,
                    _ if c == MISSING => false,
                    Condition::Code(x) => c == x,
                    Condition::NotCode(x) => c != x,
                    _ => false,
                }
            }
        }
    }

    /// A hashable form, for deduplicating queries.
    fn key(self) -> (u8, u64) {
        match self {
            Condition::Missing => (0, 0),
            Condition::Present => (1, 0),
            Condition::Equal(x) => (2, x.to_bits()),
            Condition::NotEqual(x) => (3, x.to_bits()),
            Condition::AtLeast(x) => (4, x.to_bits()),
            Condition::AtMost(x) => (5, x.to_bits()),
            Condition::Above(x) => (6, x.to_bits()),
            Condition::Below(x) => (7, x.to_bits()),
            Condition::Code(x) => (8, u64::from(x)),
            Condition::NotCode(x) => (9, u64::from(x)),
        }
    }
}

type Query = Vec<(usize, Condition)>;

/// Rows of `table` matching `query`, counting no further than 2.
fn matches_up_to_two(table: &[Values], rows: usize, query: &Query) -> usize {
    let mut found = 0;
    for row in 0..rows {
        if query
            .iter()
            .all(|(c, condition)| condition.matches(&table[*c], row))
        {
            found += 1;
            if found == 2 {
                break;
            }
        }
    }
    found
}

/// The median of the present values (mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return None;
    }
    present.sort_unstable_by(f64::total_cmp);
    let middle = present.len() / 2;
    Some(if present.len().is_multiple_of(2) {
        (present[middle - 1] + present[middle]) / 2.0
    } else {
        present[middle]
    })
}

/// The singling-out attack's outcome, with the size correction of its control count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinglingOut {
    /// The risk with the fitted size correction: the one Synthgate reports.
    pub risk: Risk,
    /// The risk anonymeter 1.1.0's package reports from the same counts (its fit sees a
    /// constant, so its correction reduces to `(|control| + 1) / (|train| + 1)`;
    /// `bench/notes/anonymeter.md` §2.6).
    pub as_anonymeter: Risk,
    /// Queries singling out one deduplicated control row, before the size correction.
    pub control_uncorrected: usize,
    /// How the control count was scaled to the training rows' size.
    pub correction: SizeCorrection,
}

/// The fitted size correction of the singling-out control count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeCorrection {
    /// The measurements fitted: per control subsample (5 per size, sizes ascending as
    /// anonymeter's `numpy.linspace(min(1000, n), n, 10)`), its rows and how many of the
    /// attack's queries single out one of them. Empty when the control has as many
    /// deduplicated rows as the training set (no correction).
    pub subsamples: Vec<(usize, usize)>,
    /// The fitted `(w, norm)` of `norm · (1 − (x·w + 1)(1 − w)^x) / (x + 1)` (anonymeter's
    /// `w_eff` and `norm`), or `None` without subsamples.
    pub fit: Option<(f64, f64)>,
    /// The deduplicated rows of the control and of the training set: the sizes the factor
    /// scales between.
    pub rows: (usize, usize),
    /// The factor applied to the control count: the model at the training rows over the model
    /// at the control rows; 1 without subsamples.
    pub factor: f64,
}

/// The singling-out attack (multivariate) of `synthetic` on `train`, with `control`.
pub fn singling_out(
    train: &Prepared,
    control: &Prepared,
    synthetic: &Prepared,
    seed: Seed,
) -> Option<SinglingOut> {
    let (train, control, synthetic) = (
        distinct_rows(train),
        distinct_rows(control),
        distinct_rows(synthetic),
    );
    let width = synthetic.columns.len();
    if width == 0 || synthetic.rows() < 2 {
        return None;
    }
    let columns = SINGLING_OUT_COLUMNS.min(width);
    let (t, c, s) = (
        Values::of(&train),
        Values::of(&control),
        Values::of(&synthetic),
    );
    let medians: Vec<Option<f64>> = s
        .iter()
        .map(|v| match v {
            Values::Numbers(numbers) => median(numbers),
            Values::Codes(_) => None,
        })
        .collect();
    let mut rng = seed.stream("evaluate/singling_out", 0);
    let mut queries: Vec<Query> = Vec::new();
    let mut seen: HashSet<Vec<(usize, (u8, u64))>> = HashSet::new();
    let mut attempts = 0;
    while queries.len() < SINGLING_OUT_ATTACKS && attempts < MAX_ATTEMPTS {
        // Build a batch sequentially (one random stream), test it in parallel.
        let batch: Vec<Query> = (0..1000)
            .map(|_| {
                let row = draw(&mut rng, synthetic.rows());
                let mut chosen = choose(&mut rng, width, columns);
                chosen.sort_unstable();
                chosen
                    .into_iter()
                    .map(|column| {
                        let condition = match &s[column] {
                            Values::Numbers(numbers) => {
                                let v = numbers[row];
                                if v.is_nan() {
                                    Condition::Missing
                                } else if medians[column].is_some_and(|m| v > m) {
                                    Condition::AtLeast(v)
                                } else {
                                    Condition::AtMost(v)
                                }
                            }
                            Values::Codes(codes) => match codes[row] {
                                MISSING => Condition::Missing,
                                code => Condition::Code(code),
                            },
                        };
                        (column, condition)
                    })
                    .collect()
            })
            .collect();
        attempts += batch.len();
        let unique: Vec<bool> = batch
            .par_iter()
            .map(|q| matches_up_to_two(&s, synthetic.rows(), q) == 1)
            .collect();
        for (query, single) in batch.into_iter().zip(unique) {
            if queries.len() == SINGLING_OUT_ATTACKS {
                break;
            }
            let key: Vec<(usize, (u8, u64))> = query.iter().map(|(c, q)| (*c, q.key())).collect();
            if single && seen.insert(key) {
                queries.push(query);
            }
        }
    }
    let singles = |table: &[Values], rows: usize, queries: &[Query]| -> usize {
        queries
            .par_iter()
            .filter(|q| matches_up_to_two(table, rows, q) == 1)
            .count()
    };
    let successes = singles(&t, train.rows(), &queries);
    let control_raw = singles(&c, control.rows(), &queries);
    let correction = if control.rows() == train.rows() {
        SizeCorrection {
            subsamples: Vec::new(),
            fit: None,
            rows: (control.rows(), train.rows()),
            factor: 1.0,
        }
    } else {
        // anonymeter's size correction as its paper and code intend: count the successes on
        // subsamples of the control, fit the singling-out probability model to them and scale
        // by the model's ratio at the two sizes.
        let mut subsamples = Vec::new();
        for (k, &size) in subsample_sizes(control.rows()).iter().enumerate() {
            for repeat in 0..CORRECTION_REPEATS {
                let mut rng =
                    seed.stream("evaluate/singling_out/correction", (k * 16 + repeat) as u64);
                let rows = choose(&mut rng, control.rows(), size);
                let sample = Values::take_all(&c, &rows);
                subsamples.push((size, singles(&sample, size, &queries)));
            }
        }
        let points: Vec<(f64, f64)> = subsamples
            .iter()
            .map(|&(size, found)| (size as f64, found as f64))
            .collect();
        let (fit, factor) = size_correction(&points, control.rows() as f64, train.rows() as f64);
        SizeCorrection {
            subsamples,
            fit: Some(fit),
            rows: (control.rows(), train.rows()),
            factor,
        }
    };
    let control_successes = control_raw as f64 * correction.factor;

    // The baseline: random values of random columns with random operators.
    let baseline: Vec<Query> = (0..SINGLING_OUT_ATTACKS)
        .map(|_| {
            let mut chosen = choose(&mut rng, width, columns);
            chosen.sort_unstable();
            chosen
                .into_iter()
                .map(|column| (column, random_condition(&mut rng, &s[column])))
                .collect()
        })
        .collect();
    let baseline_successes = singles(&t, train.rows(), &baseline);
    let attacks = (
        SINGLING_OUT_ATTACKS,
        SINGLING_OUT_ATTACKS,
        SINGLING_OUT_ATTACKS,
    );
    let anonymeter_correction = (control.rows() + 1) as f64 / (train.rows() + 1) as f64;
    Some(SinglingOut {
        risk: Risk::new(
            attacks,
            successes as f64,
            baseline_successes as f64,
            control_successes,
        ),
        as_anonymeter: Risk::new(
            attacks,
            successes as f64,
            baseline_successes as f64,
            control_raw as f64 * anonymeter_correction,
        ),
        control_uncorrected: control_raw,
        correction,
    })
}

/// A random condition on a column: a value drawn from its distinct synthetic values (missing
/// included) and an operator drawn from those its type allows.
fn random_condition(rng: &mut SeedRng, values: &Values) -> Condition {
    match values {
        Values::Numbers(numbers) => {
            let mut distinct: Vec<u64> = numbers
                .iter()
                .map(|v| {
                    if v.is_nan() {
                        u64::MAX
                    } else {
                        (v + 0.0).to_bits()
                    }
                })
                .collect();
            distinct.sort_unstable();
            distinct.dedup();
            let pick = distinct[draw(rng, distinct.len())];
            let operator = draw(rng, 6);
            if pick == u64::MAX {
                return if operator == 0 {
                    Condition::Missing
                } else {
                    Condition::Present
                };
            }
            let v = f64::from_bits(pick);
            match operator {
                0 => Condition::Equal(v),
                1 => Condition::NotEqual(v),
                2 => Condition::Above(v),
                3 => Condition::Below(v),
                4 => Condition::AtLeast(v),
                _ => Condition::AtMost(v),
            }
        }
        Values::Codes(codes) => {
            let mut distinct = codes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let pick = distinct[draw(rng, distinct.len())];
            let equal = draw(rng, 2) == 0;
            match (pick == MISSING, equal) {
                (true, true) => Condition::Missing,
                (true, false) => Condition::Present,
                (false, true) => Condition::Code(pick),
                (false, false) => Condition::NotCode(pick),
            }
        }
    }
}

/// Targets of an attack: `count` distinct rows of `table`, seeded.
fn targets(table: &Prepared, count: usize, seed: Seed, purpose: &str) -> Prepared {
    let mut rng = seed.stream(purpose, 0);
    table.resample(&choose(&mut rng, table.rows(), count))
}

/// `synthetic`'s rows in a seeded random order. The nearest-row search gives a tie to the first
/// row, and ties are common (Adult's demographic columns repeat across many rows): shuffled,
/// a tie goes to a random one of the tied rows, so the risk does not depend on the order the
/// generator wrote its rows in (a table that lists its copied training rows first would
/// otherwise link about twice as often as anonymeter finds).
fn shuffled(synthetic: &Prepared, seed: Seed, purpose: &str) -> Prepared {
    let mut rng = seed.stream(purpose, 0);
    synthetic.resample(&choose(&mut rng, synthetic.rows(), synthetic.rows()))
}

/// The linkability attack: columns `first` and `second` (indices) are the attacker's two
/// datasets.
pub fn linkability(
    train: &Prepared,
    control: &Prepared,
    synthetic: &Prepared,
    (first, second): (&[usize], &[usize]),
    attacks: usize,
    seed: Seed,
) -> Option<Risk> {
    let attacks = attacks.min(train.rows()).min(control.rows());
    if attacks == 0 || first.is_empty() || second.is_empty() || synthetic.rows() == 0 {
        return None;
    }
    let synthetic = &shuffled(synthetic, seed, "evaluate/linkability/order");
    let index_first = NearestIndex::new(&synthetic.select(first));
    let index_second = NearestIndex::new(&synthetic.select(second));
    let linked = |targets: &Prepared| -> usize {
        let a = index_first.closest_rows(&targets.select(first));
        let b = index_second.closest_rows(&targets.select(second));
        a.iter().zip(&b).filter(|(x, y)| x.1 == y.1).count()
    };
    let successes = linked(&targets(train, attacks, seed, "evaluate/linkability/train"));
    let control_successes = linked(&targets(
        control,
        attacks,
        seed,
        "evaluate/linkability/control",
    ));
    let mut rng = seed.stream("evaluate/linkability/baseline", 0);
    let baseline = (0..attacks)
        .filter(|_| draw(&mut rng, synthetic.rows()) == draw(&mut rng, synthetic.rows()))
        .count();
    Some(Risk::new(
        (attacks, attacks, attacks),
        successes as f64,
        baseline as f64,
        control_successes as f64,
    ))
}

/// Whether a guessed secret counts as right: equal (missing equals missing), or for numbers
/// within 5% of the secret.
fn correct(column: &Column, guess: (&Column, usize), row: usize) -> bool {
    match (column, guess.0) {
        (Column::Discrete(truth), Column::Discrete(guesses)) => truth[row] == guesses[guess.1],
        (Column::Continuous(truth), Column::Continuous(guesses)) => {
            let (t, g) = (truth[row], guesses[guess.1]);
            (t.is_nan() && g.is_nan()) || (g - t).abs() <= 0.05 * t.abs()
        }
        _ => false,
    }
}

/// The inference attack on column `secret` (index), knowing every other column.
pub fn inference(
    train: &Prepared,
    control: &Prepared,
    synthetic: &Prepared,
    secret: usize,
    attacks: usize,
    seed: Seed,
) -> Option<Risk> {
    let aux: Vec<usize> = (0..train.columns.len()).filter(|&c| c != secret).collect();
    let (attacks, control_attacks) = (attacks.min(train.rows()), attacks.min(control.rows()));
    if aux.is_empty() || attacks == 0 || control_attacks == 0 || synthetic.rows() == 0 {
        return None;
    }
    let synthetic = &shuffled(synthetic, seed, "evaluate/inference/order");
    let index = NearestIndex::new(&synthetic.select(&aux));
    let guessed = |targets: &Prepared| -> usize {
        let nearest = index.closest_rows(&targets.select(&aux));
        nearest
            .iter()
            .enumerate()
            .filter(|(row, (_, found))| {
                correct(
                    &targets.columns[secret],
                    (&synthetic.columns[secret], *found as usize),
                    *row,
                )
            })
            .count()
    };
    let successes = guessed(&targets(train, attacks, seed, "evaluate/inference/train"));
    let control_successes = guessed(&targets(
        control,
        control_attacks,
        seed,
        "evaluate/inference/control",
    ));
    let baseline_targets = targets(train, attacks, seed, "evaluate/inference/baseline");
    let mut rng = seed.stream("evaluate/inference/guesses", 0);
    let baseline = (0..attacks)
        .filter(|&row| {
            let guess = draw(&mut rng, synthetic.rows());
            correct(
                &baseline_targets.columns[secret],
                (&synthetic.columns[secret], guess),
                row,
            )
        })
        .count();
    Some(Risk::new(
        (attacks, attacks, control_attacks),
        successes as f64,
        baseline as f64,
        control_successes as f64,
    ))
}

fn risk_metric(
    id: &str,
    (risk, reference): (&Risk, Option<&Risk>),
    definition: &str,
    details: serde_json::Value,
) -> Metric {
    let mut all = serde_json::to_value(risk).unwrap_or_default();
    if let (Some(all), Some(extra)) = (all.as_object_mut(), details.as_object()) {
        all.extend(extra.clone());
        all.insert(
            "reference".into(),
            serde_json::to_value(reference).unwrap_or_default(),
        );
    }
    Metric::new(id, risk.risk, definition)
        .interval((Some(risk.ci_low), Some(risk.ci_high)))
        .reference(reference.map(|r| r.risk))
        .reference_interval((reference.map(|r| r.ci_low), reference.map(|r| r.ci_high)))
        .details(all)
}

/// The two column sets of the linkability attack when none are given: the scored columns in
/// schema order, first half and second half.
pub fn default_link_columns(columns: usize) -> (Vec<usize>, Vec<usize>) {
    let half = columns.div_ceil(2);
    ((0..half).collect(), (half..columns).collect())
}

/// The three anonymeter metrics: the training rows attacked, the holdout as control; the
/// reference runs the same attacks with holdout half A released instead of the synthetic
/// data and half B as the control.
pub(crate) fn metrics(
    train: &Prepared,
    samples: &Samples,
    synthetic: &Prepared,
    config: &EvaluationConfig,
    progress: &mut dyn FnMut(&str) -> synthgate_core::Result<()>,
) -> synthgate_core::Result<Vec<Metric>> {
    let seed = config.seed;
    let attack = (train, &samples.holdout, synthetic);
    let reference = (train, &samples.half_b, &samples.half_a);
    let mut metrics = Vec::new();
    let (risk, reference_risk) = crate::metric::step(progress, "singling out", || {
        (
            singling_out(attack.0, attack.1, attack.2, seed),
            singling_out(reference.0, reference.1, reference.2, seed),
        )
    })?;
    // The larger of the fitted-correction risk and anonymeter 1.1.0's package risk is
    // reported: the fitted model extrapolates the control count from the holdout's size to the
    // training rows', and on a table that copies a quarter of its rows that extrapolation
    // swallows the whole attack (risk 0 where the package finds 0.31; bench/notes/anonymeter.md),
    // so a privacy number never falls below what the reference package reports.
    let larger = |outcome: &SinglingOut| {
        if outcome.as_anonymeter.risk > outcome.risk.risk {
            (outcome.as_anonymeter.clone(), "anonymeter_1_1")
        } else {
            (outcome.risk.clone(), "fitted")
        }
    };
    if let Some(outcome) = risk {
        let (shipped, which) = larger(&outcome);
        let reference = reference_risk.as_ref().map(|r| larger(r).0);
        let SinglingOut {
            risk: fitted,
            as_anonymeter,
            ..
        } = outcome;
        metrics.push(risk_metric(
            "privacy.singling_out_risk",
            (&shipped, reference.as_ref()),
            "anonymeter 1.1's singling-out attack (multivariate): 500 predicates on 3 random \
             columns, each built from a random synthetic row and matching exactly one \
             deduplicated synthetic row, tried on the training rows (attack) and the holdout \
             (control, scaled to the training rows' size by anonymeter's singling-out \
             probability model fitted to control subsamples); risk = (attack - control) / (1 - \
             control) on Wilson rates, interval = risk +/- its propagated 95% error. \
             anonymeter 1.1.0's package fits its model to a constant, which scales the control \
             count by the size ratio alone; the larger of the two risks is reported (the \
             fitted extrapolation can swallow a real leak), both are in the details. \
             Reference: the same attack with holdout half A released, half B as control.",
            serde_json::json!({
                "columns_per_query": SINGLING_OUT_COLUMNS,
                "reported": which,
                "fitted_risk": fitted.risk,
                "fitted_ci": [fitted.ci_low, fitted.ci_high],
                "anonymeter_1_1_risk": as_anonymeter.risk,
                "anonymeter_1_1_ci": [as_anonymeter.ci_low, as_anonymeter.ci_high],
            }),
        ));
    }
    let width = train.columns.len();
    let (first, second) = match &config.link_columns {
        Some((a, b)) => (
            a.iter().filter_map(|n| train.position(n)).collect(),
            b.iter().filter_map(|n| train.position(n)).collect(),
        ),
        None => default_link_columns(width),
    };
    let columns = (first.as_slice(), second.as_slice());
    let (risk, reference_risk) = crate::metric::step(progress, "linkability", || {
        (
            linkability(attack.0, attack.1, attack.2, columns, config.attacks, seed),
            linkability(
                reference.0,
                reference.1,
                reference.2,
                columns,
                config.attacks,
                seed,
            ),
        )
    })?;
    if let Some(risk) = risk {
        let names = |c: &[usize]| {
            c.iter()
                .map(|&i| train.names[i].clone())
                .collect::<Vec<_>>()
        };
        metrics.push(risk_metric(
            "privacy.linkability_risk",
            (&risk, reference_risk.as_ref()),
            &format!(
                "anonymeter 1.1's linkability attack: for up to {} training rows (attack) and \
                 as many holdout rows (control), the attacker finds the nearest synthetic row \
                 by each of two disjoint column sets; success when both are the same row \
                 (n_neighbors = 1). Nearest by Synthgate's mixed distance, ties to a random \
                 tied row. Risk and reference as for singling out.",
                config.attacks
            ),
            serde_json::json!({ "first_columns": names(&first), "second_columns": names(&second) }),
        ));
    }
    let secret = config
        .secret
        .as_deref()
        .and_then(|name| train.position(name))
        .or_else(|| {
            config
                .target
                .as_deref()
                .and_then(|name| train.position(name))
        })
        .unwrap_or(width.saturating_sub(1));
    let (risk, reference_risk) = crate::metric::step(progress, "inference", || {
        (
            inference(attack.0, attack.1, attack.2, secret, config.attacks, seed),
            inference(
                reference.0,
                reference.1,
                reference.2,
                secret,
                config.attacks,
                seed,
            ),
        )
    })?;
    if let Some(risk) = risk {
        metrics.push(risk_metric(
            "privacy.inference_risk",
            (&risk, reference_risk.as_ref()),
            &format!(
                "anonymeter 1.1's inference attack: for up to {} training rows (attack) and \
                 holdout rows (control), the attacker knows every other column and guesses the \
                 secret column from the nearest synthetic row; success when equal (numbers: \
                 within 5% of the secret). Baseline: a random synthetic row's secret. Risk and \
                 reference as for singling out.",
                config.attacks
            ),
            serde_json::json!({ "secret": train.names[secret] }),
        ));
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_and_residual_follow_anonymeter() {
        // anonymeter.stats.confidence: 0 successes of 2000 gives a rate of 0.000959.
        let rate = wilson(0.0, 2000);
        assert!((rate.value - 0.000_959).abs() < 1e-6, "{rate:?}");
        // Attack 91 of 500 and control 14.756 of 500 (anonymeter_adult.json, SDV Gaussian
        // copula, singling out multivariate): risk 0.156505, CI [0.119137, 0.193874].
        let risk = Risk::new((500, 500, 500), 91.0, 10.0, 14.756_232_474_167_403);
        assert!((risk.attack_rate.value - 0.184_424_540_266_773_6).abs() < 1e-12);
        assert!((risk.control_rate.value - 0.033_099_622_098_485_194).abs() < 1e-12);
        assert!((risk.risk - 0.156_505_180_499_269_45).abs() < 1e-12);
        assert!((risk.ci_low - 0.119_136_831_005_215_87).abs() < 1e-12);
        assert!((risk.ci_high - 0.193_873_529_993_323_02).abs() < 1e-12);
        // A control better than the attack clips to 0.
        let risk = Risk::new((2000, 2000, 2000), 1375.0, 100.0, 1423.0);
        assert_eq!(risk.risk, 0.0);
        // A control count scaled past its attacks counts as all of them: a finite interval.
        let risk = Risk::new((20, 20, 20), 20.0, 1.0, 28.0);
        assert!(
            risk.ci_low.is_finite() && risk.ci_high.is_finite(),
            "{risk:?}"
        );
        assert_eq!(risk, Risk::new((20, 20, 20), 20.0, 1.0, 20.0));
    }
}
