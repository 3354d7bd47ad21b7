//! Gradient-boosted decision trees on binned features: the model behind utility (TSTR, TRTR,
//! the mix curve), the detection test and the membership attack. Deterministic (no sampling,
//! features scanned in order, ties broken by the lower feature and bin), so every score it
//! feeds is reproducible.
//!
//! It follows scikit-learn's `HistGradientBoosting*` defaults where they matter: numbers cut
//! into at most 255 quantile bins learnt on the training rows (missing values a bin of their
//! own, which a split may send either way), categories as bins (the 254 most frequent, the rest
//! pooled) split by ordering them by gradient ratio, 100 rounds at learning rate 0.1, leaves of
//! at least 20 rows, an L2 penalty of 1 on leaf values. Trees grow depth-first to depth 6
//! (at most 64 leaves) rather than by best leaf.

use rayon::prelude::*;

use crate::values::{Column, MISSING};

/// Bins per feature, the missing bin included.
const MAX_BINS: usize = 256;

/// How a model is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Boosting rounds.
    pub rounds: usize,
    /// Shrinkage of each tree's values.
    pub learning_rate: f64,
    /// Maximum tree depth.
    pub max_depth: usize,
    /// Fewest rows in a leaf.
    pub min_leaf: usize,
    /// L2 penalty on leaf values.
    pub l2: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rounds: 100,
            learning_rate: 0.1,
            max_depth: 6,
            min_leaf: 20,
            l2: 1.0,
        }
    }
}

/// What a model predicts.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Two classes, as 0 or 1.
    Binary(Vec<u8>),
    /// Several classes.
    Classes {
        /// Each row's class, `0..classes`.
        labels: Vec<u32>,
        /// Number of classes.
        classes: usize,
    },
    /// A number.
    Regression(Vec<f64>),
}

impl Target {
    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Target::Binary(y) => y.len(),
            Target::Classes { labels, .. } => labels.len(),
            Target::Regression(y) => y.len(),
        }
    }

    /// Number of raw scores per row.
    fn outputs(&self) -> usize {
        match self {
            Target::Classes { classes, .. } => *classes,
            _ => 1,
        }
    }
}

/// How one feature is cut into bins, learnt on training rows.
#[derive(Debug, Clone)]
enum Cut {
    /// Bin = number of edges below the value; missing is the last bin.
    Numeric { edges: Vec<f64> },
    /// Bin of each code (codes beyond the map, and rare ones, share the pooled bin); missing is
    /// the last bin.
    Categorical { bins: Vec<u16>, pooled: u16 },
}

/// The cuts of every feature.
#[derive(Debug, Clone)]
pub struct Binner {
    cuts: Vec<Cut>,
}

impl Binner {
    /// Learn bins from `columns` (all of the same length).
    pub fn fit(columns: &[&Column]) -> Binner {
        let cuts = columns
            .iter()
            .map(|column| match column {
                Column::Continuous(values) => Cut::Numeric {
                    edges: quantile_edges(values, MAX_BINS - 1),
                },
                Column::Discrete(codes) => {
                    let span = crate::values::code_span(&[codes]);
                    let counts = crate::values::code_counts(codes, span);
                    let mut order: Vec<usize> = (0..span).filter(|&c| counts[c] > 0).collect();
                    // Most frequent first; ties by code.
                    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
                    let keep = order.len().min(MAX_BINS - 2);
                    let pooled = keep as u16;
                    let mut bins = vec![pooled; span];
                    for (bin, &code) in order[..keep].iter().enumerate() {
                        bins[code] = bin as u16;
                    }
                    Cut::Categorical { bins, pooled }
                }
            })
            .collect();
        Binner { cuts }
    }

    /// Bin `columns` (the same features as fitted, any number of rows).
    pub fn transform(&self, columns: &[&Column]) -> Binned {
        let features = self
            .cuts
            .par_iter()
            .zip(columns.par_iter())
            .map(|(cut, column)| match (cut, column) {
                (Cut::Numeric { edges }, Column::Continuous(values)) => {
                    let missing = (MAX_BINS - 1) as u16;
                    values
                        .iter()
                        .map(|&v| {
                            if v.is_nan() {
                                missing
                            } else {
                                edges.partition_point(|&e| e < v) as u16
                            }
                        })
                        .collect()
                }
                (Cut::Categorical { bins, pooled }, Column::Discrete(codes)) => codes
                    .iter()
                    .map(|&code| {
                        if code == MISSING {
                            (MAX_BINS - 1) as u16
                        } else {
                            bins.get(code as usize).copied().unwrap_or(*pooled)
                        }
                    })
                    .collect(),
                _ => vec![(MAX_BINS - 1) as u16; column.len()],
            })
            .collect::<Vec<Vec<u16>>>();
        let kinds = self
            .cuts
            .iter()
            .map(|cut| matches!(cut, Cut::Categorical { .. }))
            .collect();
        Binned {
            rows: columns.first().map_or(0, |c| c.len()),
            features,
            categorical: kinds,
        }
    }
}

/// Up to `count` split points between distinct present values: midpoints of the distinct
/// values when there are few enough, else midpoints at evenly spaced quantiles.
fn quantile_edges(values: &[f64], count: usize) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_unstable_by(f64::total_cmp);
    let mut distinct = present.clone();
    distinct.dedup();
    if distinct.len() <= count + 1 {
        return distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    let mut edges: Vec<f64> = (1..=count)
        .map(|i| {
            let position = i * (present.len() - 1) / (count + 1);
            let (a, b) = (
                present[position],
                present[(position + 1).min(present.len() - 1)],
            );
            (a + b) / 2.0
        })
        .collect();
    edges.dedup();
    edges
}

/// Binned features, column-major.
#[derive(Debug, Clone)]
pub struct Binned {
    rows: usize,
    features: Vec<Vec<u16>>,
    categorical: Vec<bool>,
}

impl Binned {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows at `indices`.
    pub fn take(&self, indices: &[usize]) -> Binned {
        Binned {
            rows: indices.len(),
            features: self
                .features
                .iter()
                .map(|f| indices.iter().map(|&i| f[i]).collect())
                .collect(),
            categorical: self.categorical.clone(),
        }
    }

    /// These rows followed by `other`'s.
    pub fn concat(&self, other: &Binned) -> Binned {
        Binned {
            rows: self.rows + other.rows,
            features: self
                .features
                .iter()
                .zip(&other.features)
                .map(|(a, b)| a.iter().chain(b).copied().collect())
                .collect(),
            categorical: self.categorical.clone(),
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(f64),
    Split {
        feature: usize,
        /// Per bin, whether it goes left.
        left_bins: Vec<bool>,
        left: usize,
        right: usize,
    },
}

#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn predict(&self, data: &Binned, row: usize) -> f64 {
        let mut at = 0;
        loop {
            match &self.nodes[at] {
                Node::Leaf(value) => return *value,
                Node::Split {
                    feature,
                    left_bins,
                    left,
                    right,
                } => {
                    let bin = data.features[*feature][row] as usize;
                    at = if left_bins[bin] { *left } else { *right };
                }
            }
        }
    }
}

/// A trained model.
#[derive(Debug, Clone)]
pub struct Model {
    outputs: usize,
    base: Vec<f64>,
    /// Per round, one tree per output.
    trees: Vec<Vec<Tree>>,
    target: TargetKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    Binary,
    Classes,
    Regression,
}

/// Train on `data` (binned) to predict `target`.
pub fn train(data: &Binned, target: &Target, settings: &Settings) -> Model {
    let rows = data.rows;
    debug_assert_eq!(rows, target.len());
    let outputs = target.outputs();
    let kind = match target {
        Target::Binary(_) => TargetKind::Binary,
        Target::Classes { .. } => TargetKind::Classes,
        Target::Regression(_) => TargetKind::Regression,
    };
    let base: Vec<f64> = match target {
        Target::Binary(y) => {
            let p = (y.iter().map(|&v| f64::from(v)).sum::<f64>() / rows.max(1) as f64)
                .clamp(1e-6, 1.0 - 1e-6);
            vec![libm::log(p / (1.0 - p))]
        }
        Target::Classes { labels, classes } => {
            let mut counts = vec![0.0; *classes];
            for &label in labels {
                counts[label as usize] += 1.0;
            }
            counts
                .iter()
                .map(|c| libm::log((c / rows.max(1) as f64).max(1e-6)))
                .collect()
        }
        Target::Regression(y) => vec![y.iter().sum::<f64>() / rows.max(1) as f64],
    };
    let mut raw: Vec<Vec<f64>> = base.iter().map(|&b| vec![b; rows]).collect();
    let mut trees = Vec::with_capacity(settings.rounds);
    let all: Vec<u32> = (0..rows as u32).collect();
    for _ in 0..settings.rounds {
        let gradients = gradients(target, &raw);
        let round: Vec<Tree> = gradients
            .iter()
            .map(|(g, h)| grow(data, g, h, &all, settings))
            .collect();
        for (output, tree) in round.iter().enumerate() {
            let scores = &mut raw[output];
            scores
                .par_iter_mut()
                .enumerate()
                .for_each(|(row, score)| *score += tree.predict(data, row));
        }
        trees.push(round);
    }
    Model {
        outputs,
        base,
        trees,
        target: kind,
    }
}

/// Gradients and hessians of the loss at the current raw scores, per output.
fn gradients(target: &Target, raw: &[Vec<f64>]) -> Vec<(Vec<f64>, Vec<f64>)> {
    match target {
        Target::Binary(y) => {
            let (g, h) = raw[0]
                .iter()
                .zip(y)
                .map(|(&score, &label)| {
                    let p = sigmoid(score);
                    (p - f64::from(label), (p * (1.0 - p)).max(1e-12))
                })
                .unzip();
            vec![(g, h)]
        }
        Target::Regression(y) => {
            let g = raw[0].iter().zip(y).map(|(&s, &v)| s - v).collect();
            vec![(g, vec![1.0; y.len()])]
        }
        Target::Classes { labels, classes } => {
            let rows = labels.len();
            let mut out = vec![(vec![0.0; rows], vec![0.0; rows]); *classes];
            for row in 0..rows {
                let probabilities = softmax((0..*classes).map(|k| raw[k][row]));
                for (k, p) in probabilities.into_iter().enumerate() {
                    let y = f64::from(u8::from(labels[row] as usize == k));
                    out[k].0[row] = p - y;
                    out[k].1[row] = (p * (1.0 - p)).max(1e-12);
                }
            }
            out
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

fn softmax(scores: impl Iterator<Item = f64>) -> Vec<f64> {
    let scores: Vec<f64> = scores.collect();
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = scores.iter().map(|s| libm::exp(s - top)).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

/// Per-bin sums of one feature over a node's rows.
#[derive(Clone, Copy, Default)]
struct Bin {
    g: f64,
    h: f64,
    n: usize,
}

struct Candidate {
    gain: f64,
    feature: usize,
    left_bins: Vec<bool>,
}

fn leaf_weight(g: f64, h: f64, settings: &Settings) -> f64 {
    -g / (h + settings.l2) * settings.learning_rate
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// The best split of one feature's histogram, if any beats no split.
fn best_split(bins: &[Bin], categorical: bool, settings: &Settings) -> Option<(f64, Vec<bool>)> {
    let total = bins.iter().fold(Bin::default(), |a, b| Bin {
        g: a.g + b.g,
        h: a.h + b.h,
        n: a.n + b.n,
    });
    let parent = score(total.g, total.h, settings.l2);
    let missing = bins.len() - 1;
    // The order bins are scanned in; a split sends a prefix left.
    let mut order: Vec<usize> = (0..missing).filter(|&b| bins[b].n > 0).collect();
    if categorical {
        order.sort_by(|&a, &b| {
            let ra = bins[a].g / (bins[a].h + settings.l2);
            let rb = bins[b].g / (bins[b].h + settings.l2);
            ra.total_cmp(&rb).then(a.cmp(&b))
        });
    }
    let mut best: Option<(f64, usize, bool)> = None;
    for missing_left in [false, true] {
        if missing_left && bins[missing].n == 0 {
            continue;
        }
        let mut left = if missing_left {
            bins[missing]
        } else {
            Bin::default()
        };
        for (position, &bin) in order.iter().enumerate() {
            left.g += bins[bin].g;
            left.h += bins[bin].h;
            left.n += bins[bin].n;
            let right_n = total.n - left.n;
            if left.n < settings.min_leaf || right_n < settings.min_leaf {
                continue;
            }
            let gain = score(left.g, left.h, settings.l2)
                + score(total.g - left.g, total.h - left.h, settings.l2)
                - parent;
            if gain > 1e-9 && best.is_none_or(|(b, _, _)| gain > b) {
                best = Some((gain, position, missing_left));
            }
        }
    }
    let (gain, position, missing_left) = best?;
    let mut left_bins = vec![false; bins.len()];
    for &bin in &order[..=position] {
        left_bins[bin] = true;
    }
    left_bins[missing] = missing_left;
    Some((gain, left_bins))
}

fn histogram(feature: &[u16], rows: &[u32], g: &[f64], h: &[f64]) -> Vec<Bin> {
    let mut bins = vec![Bin::default(); MAX_BINS];
    for &row in rows {
        let row = row as usize;
        let bin = &mut bins[feature[row] as usize];
        bin.g += g[row];
        bin.h += h[row];
        bin.n += 1;
    }
    bins
}

/// Per feature, the per-bin sums over a node's rows.
type Histograms = Vec<Vec<Bin>>;

fn histograms(data: &Binned, rows: &[u32], g: &[f64], h: &[f64]) -> Histograms {
    data.features
        .par_iter()
        .map(|feature| histogram(feature, rows, g, h))
        .collect()
}

/// The sibling's histograms: the parent's minus the child's (the subtraction trick: only the
/// smaller child is counted).
fn subtract(parent: &Histograms, child: &Histograms) -> Histograms {
    parent
        .iter()
        .zip(child)
        .map(|(p, c)| {
            p.iter()
                .zip(c)
                .map(|(p, c)| Bin {
                    g: p.g - c.g,
                    h: p.h - c.h,
                    n: p.n - c.n,
                })
                .collect()
        })
        .collect()
}

fn grow(data: &Binned, g: &[f64], h: &[f64], rows: &[u32], settings: &Settings) -> Tree {
    let mut nodes = Vec::new();
    let node = Growing {
        rows: rows.to_vec(),
        histograms: None,
    };
    grow_node(data, (g, h), node, 0, settings, &mut nodes);
    Tree { nodes }
}

/// A node being grown: its rows, and its histograms when its parent already has them.
struct Growing {
    rows: Vec<u32>,
    histograms: Option<Histograms>,
}

fn splits(rows: usize, depth: usize, settings: &Settings) -> bool {
    depth < settings.max_depth && rows >= 2 * settings.min_leaf
}

fn grow_node(
    data: &Binned,
    (g, h): (&[f64], &[f64]),
    node: Growing,
    depth: usize,
    settings: &Settings,
    nodes: &mut Vec<Node>,
) -> usize {
    let at = nodes.len();
    let rows = node.rows;
    let (sum_g, sum_h) = rows.iter().fold((0.0, 0.0), |(a, b), &r| {
        (a + g[r as usize], b + h[r as usize])
    });
    nodes.push(Node::Leaf(leaf_weight(sum_g, sum_h, settings)));
    if !splits(rows.len(), depth, settings) {
        return at;
    }
    let hist = node
        .histograms
        .unwrap_or_else(|| histograms(data, &rows, g, h));
    let candidates: Vec<Option<Candidate>> = (0..data.features.len())
        .into_par_iter()
        .map(|feature| {
            best_split(&hist[feature], data.categorical[feature], settings).map(
                |(gain, left_bins)| Candidate {
                    gain,
                    feature,
                    left_bins,
                },
            )
        })
        .collect();
    let Some(best) = candidates
        .into_iter()
        .flatten()
        .reduce(|a, b| if b.gain > a.gain { b } else { a })
    else {
        return at;
    };
    let column = &data.features[best.feature];
    let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = rows
        .iter()
        .partition(|&&r| best.left_bins[column[r as usize] as usize]);
    drop(rows);
    // Count the smaller child; the larger one's histograms are the parent's minus it.
    let (left_hist, right_hist) = if splits(left_rows.len(), depth + 1, settings)
        || splits(right_rows.len(), depth + 1, settings)
    {
        if left_rows.len() <= right_rows.len() {
            let small = histograms(data, &left_rows, g, h);
            let large = subtract(&hist, &small);
            (Some(small), Some(large))
        } else {
            let small = histograms(data, &right_rows, g, h);
            let large = subtract(&hist, &small);
            (Some(large), Some(small))
        }
    } else {
        (None, None)
    };
    drop(hist);
    let left = grow_node(
        data,
        (g, h),
        Growing {
            rows: left_rows,
            histograms: left_hist,
        },
        depth + 1,
        settings,
        nodes,
    );
    let right = grow_node(
        data,
        (g, h),
        Growing {
            rows: right_rows,
            histograms: right_hist,
        },
        depth + 1,
        settings,
        nodes,
    );
    nodes[at] = Node::Split {
        feature: best.feature,
        left_bins: best.left_bins,
        left,
        right,
    };
    at
}

impl Model {
    /// Raw scores of every row of `data`, per output.
    fn raw(&self, data: &Binned) -> Vec<Vec<f64>> {
        (0..self.outputs)
            .map(|output| {
                (0..data.rows)
                    .into_par_iter()
                    .map(|row| {
                        self.base[output]
                            + self
                                .trees
                                .iter()
                                .map(|round| round[output].predict(data, row))
                                .sum::<f64>()
                    })
                    .collect()
            })
            .collect()
    }

    /// Predictions for every row of `data`: the probability of class 1 (binary), the most
    /// likely class (classes), or the value (regression).
    pub fn predict(&self, data: &Binned) -> Vec<f64> {
        let raw = self.raw(data);
        match self.target {
            TargetKind::Binary => raw[0].iter().map(|&s| sigmoid(s)).collect(),
            TargetKind::Regression => raw.into_iter().next().unwrap_or_default(),
            TargetKind::Classes => (0..data.rows)
                .map(|row| {
                    let mut best = 0;
                    for k in 1..self.outputs {
                        if raw[k][row] > raw[best][row] {
                            best = k;
                        }
                    }
                    best as f64
                })
                .collect(),
        }
    }
}

/// ROC AUC of `scores` for `labels` (1 = positive), ties counted half (the Mann-Whitney U
/// statistic); `None` when a class is absent.
pub fn roc_auc(scores: &[f64], labels: &[u8]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l == 1).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the positives' average ranks.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0;
        let tied_positives = order[start..end]
            .iter()
            .filter(|&&i| labels[i] == 1)
            .count();
        rank_sum += average_rank * tied_positives as f64;
        start = end;
    }
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives as f64 * negatives as f64))
}

/// Macro-averaged F1 over the classes present in `truth` or `predicted`.
pub fn macro_f1(predicted: &[f64], truth: &[u32], classes: usize) -> Option<f64> {
    if truth.is_empty() {
        return None;
    }
    let mut tp = vec![0usize; classes];
    let mut fp = vec![0usize; classes];
    let mut fn_ = vec![0usize; classes];
    for (&p, &t) in predicted.iter().zip(truth) {
        let (p, t) = (p as usize, t as usize);
        if p == t {
            tp[t] += 1;
        } else {
            fp[p] += 1;
            fn_[t] += 1;
        }
    }
    let scores: Vec<f64> = (0..classes)
        .filter(|&k| tp[k] + fp[k] + fn_[k] > 0)
        .map(|k| 2.0 * tp[k] as f64 / (2 * tp[k] + fp[k] + fn_[k]) as f64)
        .collect();
    Some(scores.iter().sum::<f64>() / scores.len().max(1) as f64)
}

/// The coefficient of determination R² of `predicted` for `truth`; `None` for a constant truth.
pub fn r2(predicted: &[f64], truth: &[f64]) -> Option<f64> {
    let mean = truth.iter().sum::<f64>() / truth.len().max(1) as f64;
    let total: f64 = truth.iter().map(|t| (t - mean) * (t - mean)).sum();
    if total == 0.0 {
        return None;
    }
    let residual: f64 = predicted
        .iter()
        .zip(truth)
        .map(|(p, t)| (t - p) * (t - p))
        .sum();
    Some(1.0 - residual / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
        let auc = roc_auc(&[0.1, 0.4, 0.35, 0.8], &[0, 0, 1, 1]).expect("auc");
        assert!((auc - 0.75).abs() < 1e-12);
        // All tied: 0.5.
        assert_eq!(roc_auc(&[1.0; 4], &[0, 1, 0, 1]), Some(0.5));
        assert_eq!(roc_auc(&[1.0, 2.0], &[1, 1]), None);
    }

    #[test]
    fn f1_and_r2_on_hand_computed_cases() {
        // sklearn.metrics.f1_score([0, 1, 2, 2], [0, 2, 2, 2], average="macro") = 0.6
        let f1 = macro_f1(&[0.0, 2.0, 2.0, 2.0], &[0, 1, 2, 2], 3).expect("f1");
        assert!((f1 - 0.6).abs() < 1e-12, "{f1}");
        // Perfect predictions: 1; predicting the mean: 0.
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), Some(1.0));
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]), Some(0.0));
    }

    #[test]
    fn learns_an_interaction_and_a_category() {
        // y = 1 when x > 0.5 and the colour is "red" (code 2) or missing; noise-free.
        let rows = 2000;
        let x: Vec<f64> = (0..rows)
            .map(|i| (i * 7919 % rows) as f64 / rows as f64)
            .collect();
        let colour: Vec<u32> = (0..rows)
            .map(|i| if i % 11 == 0 { MISSING } else { (i % 4) as u32 })
            .collect();
        let y: Vec<u8> = (0..rows)
            .map(|i| u8::from(x[i] > 0.5 && (colour[i] == 2 || colour[i] == MISSING)))
            .collect();
        let columns = [Column::Continuous(x), Column::Discrete(colour)];
        let refs: Vec<&Column> = columns.iter().collect();
        let binner = Binner::fit(&refs);
        let data = binner.transform(&refs);
        let model = train(&data, &Target::Binary(y.clone()), &Settings::default());
        let predictions = model.predict(&data);
        let auc = roc_auc(&predictions, &y).expect("auc");
        assert!(auc > 0.999, "{auc}");
        let errors = predictions
            .iter()
            .zip(&y)
            .filter(|(p, l)| (**p > 0.5) != (**l == 1))
            .count();
        assert!(errors < rows / 100, "{errors} errors");
    }

    #[test]
    fn regression_and_classes_fit_simple_signals() {
        let rows = 1000;
        let x: Vec<f64> = (0..rows).map(|i| i as f64).collect();
        let columns = [Column::Continuous(x.clone())];
        let refs: Vec<&Column> = columns.iter().collect();
        let data = Binner::fit(&refs).transform(&refs);
        let y: Vec<f64> = x.iter().map(|v| (v / 100.0).floor()).collect();
        let model = train(&data, &Target::Regression(y.clone()), &Settings::default());
        let fit = r2(&model.predict(&data), &y).expect("r2");
        assert!(fit > 0.99, "{fit}");
        let labels: Vec<u32> = x.iter().map(|v| (*v as u32 / 250) % 3).collect();
        let target = Target::Classes {
            labels: labels.clone(),
            classes: 3,
        };
        let model = train(&data, &target, &Settings::default());
        let f1 = macro_f1(&model.predict(&data), &labels, 3).expect("f1");
        assert!(f1 > 0.99, "{f1}");
    }
}
