//! Distance-based privacy metrics on equal-size seeded samples, with SDMetrics' mixed distance
//! and an exact search ([`crate::nearest`]):
//!
//! Distances scale numbers by the full training table's ranges, so distances to different
//! samples are comparable.
//!
//! - **DCR share**: the share of synthetic rows closer to the train sample than to the holdout
//!   sample, ties counted half (mostlyai-qa's `dcr_share` rule). Train and holdout samples have
//!   the same size, so 0.5 means no memorisation signal.
//! - **NNDR**: per synthetic row, `(d1 + 1e-8) / (d2 + 1e-8)` with `d1`, `d2` its closest and
//!   second-closest train-sample distances (mostlyai-qa's definition); a synthetic row much
//!   nearer one training row than any other sits on that row. The metric is the mean; the
//!   details add the 1st and 5th percentiles and mostlyai-qa's reported statistic, the 10th
//!   smallest.
//! - **Membership inference AUC**: an attacker who holds the synthetic data scores candidate
//!   rows by closeness to the nearest synthetic row, and tries to tell training rows (members)
//!   from holdout rows (non-members); 0.5 means the synthetic data reveals nothing about
//!   membership.
//! - **Density-ratio membership inference** (DOMIAS, van Breugel et al., AISTATS 2023): the
//!   attacker also holds real reference rows from the population and scores a candidate by how
//!   much denser the synthetic data is around it than the population is, so a row in a crowded
//!   region is not mistaken for a member. Densities are nearest-neighbour estimates with the
//!   same distance: the score is `ln(d_ref + ε) − ln(d_syn + ε)`, the log density ratio of a
//!   1-nearest-neighbour estimate up to a constant (which no AUC sees).
//!
//! The holdout is split by a seeded shuffle into halves A and B. Each metric's reference puts
//! half A in the synthetic set's place and uses half B as the holdout, so real data the
//! generator never saw shows what "no leak" looks like at these sizes.

use synthgate_core::Seed;

use crate::stats::{mean, permutation};

/// Added to distances before their logarithm, so an exact copy (distance 0) has a finite score.
const DENSITY_EPSILON: f64 = 1e-6;

use crate::Prepared;
use crate::gbdt::roc_auc;
use crate::nearest::NearestIndex;

/// Most query rows of an exact nearest-row search, and most rows of each of the DCR share's
/// equal-size samples. A search compares every query row with every candidate row on every
/// column, so its cost is the product of two tables' rows: past this size the synthetic rows
/// queried (and the holdout halves of the references) are a seeded sample, while the rows a
/// copy must be found among (the full train and holdout tables of closer-to-training, the full
/// synthetic table the attacks search) are kept whole.
pub const MAX_SEARCH_ROWS: usize = 10_000;

/// The samples every distance metric uses.
#[derive(Debug, Clone)]
pub struct Samples {
    /// `min(train, holdout, MAX_SEARCH_ROWS)` training rows.
    pub train: Prepared,
    /// The same number of holdout rows (all of them when the holdout is the smaller).
    pub holdout: Prepared,
    /// Holdout half A (the reference's stand-in for synthetic rows), of the first
    /// `min(holdout, 2 x MAX_SEARCH_ROWS)` rows of the holdout's seeded order.
    pub half_a: Prepared,
    /// Holdout half B (the reference's holdout), the rest of those rows.
    pub half_b: Prepared,
    /// The first `half_b.rows()` rows of the train sample (the reference's train sample).
    pub train_for_halves: Prepared,
    /// The seeded order of the training rows the samples take their prefixes from.
    pub train_order: Vec<usize>,
    /// The seeded order of the holdout rows the samples take their prefixes from.
    pub holdout_order: Vec<usize>,
    /// The synthetic rows searched: all of them up to [`MAX_SEARCH_ROWS`], else a seeded
    /// sample of that many (stream `evaluate/privacy/synthetic`), in their original order.
    pub synthetic: Prepared,
    /// Which synthetic rows `synthetic` holds, in order.
    pub synthetic_rows: Vec<usize>,
}

impl Samples {
    /// Draw the samples.
    pub fn new(train: &Prepared, holdout: &Prepared, synthetic: &Prepared, seed: Seed) -> Samples {
        let size = train.rows().min(holdout.rows()).min(MAX_SEARCH_ROWS);
        let train_order = permutation(train.rows(), seed, "evaluate/privacy/train");
        let holdout_order = permutation(holdout.rows(), seed, "evaluate/privacy/holdout");
        let split = holdout.rows().min(2 * MAX_SEARCH_ROWS);
        let half = split / 2;
        let b_rows = split - half;
        let synthetic_rows = if synthetic.rows() <= MAX_SEARCH_ROWS {
            (0..synthetic.rows()).collect()
        } else {
            let mut kept = permutation(synthetic.rows(), seed, "evaluate/privacy/synthetic");
            kept.truncate(MAX_SEARCH_ROWS);
            kept.sort_unstable();
            kept
        };
        Samples {
            train: train.resample(&train_order[..size]),
            holdout: holdout.resample(&holdout_order[..size]),
            half_a: holdout.resample(&holdout_order[..half]),
            half_b: holdout.resample(&holdout_order[half..split]),
            train_for_halves: train.resample(&train_order[..b_rows.min(size)]),
            synthetic: if synthetic_rows.len() == synthetic.rows() {
                synthetic.clone()
            } else {
                synthetic.resample(&synthetic_rows)
            },
            synthetic_rows,
            train_order,
            holdout_order,
        }
    }
}

/// Per-row outcomes of the DCR share and NNDR for one set of query rows.
#[derive(Debug, Clone)]
pub struct DcrShare {
    /// Per query row: 1 closer to train, 0.5 tied, 0 closer to holdout.
    pub outcomes: Vec<f64>,
    /// Per query row: NNDR against the train sample.
    pub nndr: Vec<f64>,
}

impl DcrShare {
    /// The share of query rows closer to train (ties half).
    pub fn share(&self) -> f64 {
        mean(&self.outcomes)
    }
}

/// The DCR share and NNDR of `query` rows against a train sample and a holdout sample, with
/// numbers scaled by the ranges of `scale` (the full training table) for both.
pub fn dcr_share(
    train: &Prepared,
    holdout: &Prepared,
    query: &Prepared,
    scale: &Prepared,
) -> DcrShare {
    let to_train = NearestIndex::scaled_by(train, scale).two_closest(query);
    let to_holdout = NearestIndex::scaled_by(holdout, scale).closest(query);
    let outcomes = to_train
        .iter()
        .zip(&to_holdout)
        .map(|(t, &h)| {
            if t[0] < h {
                1.0
            } else if t[0] == h {
                0.5
            } else {
                0.0
            }
        })
        .collect();
    let nndr = to_train
        .iter()
        .map(|d| {
            let second = if d[1].is_finite() { d[1] } else { d[0] };
            (d[0] + 1e-8) / (second + 1e-8)
        })
        .collect();
    DcrShare { outcomes, nndr }
}

/// Bins of [`dcr_histogram`].
pub const DCR_BINS: usize = 20;

/// The distances to the closest training row of two sets of rows (the synthetic rows and
/// the holdout's, as the report draws them) as shares in [`DCR_BINS`] equal bins from 0 to
/// the larger set's 99th percentile (the last bin also holds everything beyond): the bin
/// edges, then each set's shares. Only distances, never a value of a row.
pub fn dcr_histogram(synthetic: &[f64], holdout: &[f64]) -> serde_json::Value {
    let mut all: Vec<f64> = synthetic
        .iter()
        .chain(holdout)
        .copied()
        .filter(|d| d.is_finite())
        .collect();
    all.sort_unstable_by(f64::total_cmp);
    let top = if all.is_empty() {
        1.0
    } else {
        all[((all.len() - 1) as f64 * 0.99) as usize]
    };
    let top = if top > 0.0 { top } else { 1.0 };
    let width = top / DCR_BINS as f64;
    let shares = |distances: &[f64]| {
        let mut counts = [0usize; DCR_BINS];
        let mut total = 0usize;
        for &d in distances.iter().filter(|d| d.is_finite()) {
            counts[((d / width) as usize).min(DCR_BINS - 1)] += 1;
            total += 1;
        }
        counts
            .iter()
            .map(|&c| c as f64 / total.max(1) as f64)
            .collect::<Vec<f64>>()
    };
    serde_json::json!({
        "edges": (0..=DCR_BINS).map(|i| i as f64 * width).collect::<Vec<f64>>(),
        "synthetic": shares(synthetic),
        "holdout": shares(holdout),
    })
}

/// Scores of a membership-inference attack.
#[derive(Debug, Clone)]
pub struct Membership {
    /// Attack score per candidate (minus the distance to the closest released row).
    pub scores: Vec<f64>,
    /// 1 for members (training rows), 0 for non-members.
    pub labels: Vec<u8>,
}

impl Membership {
    /// The attack's ROC AUC.
    pub fn auc(&self) -> Option<f64> {
        roc_auc(&self.scores, &self.labels)
    }

    /// The AUC of resampled candidates.
    pub fn resampled(&self, indices: &[usize]) -> f64 {
        let scores: Vec<f64> = indices.iter().map(|&i| self.scores[i]).collect();
        let labels: Vec<u8> = indices.iter().map(|&i| self.labels[i]).collect();
        roc_auc(&scores, &labels).unwrap_or(f64::NAN)
    }
}

/// An attack that scores candidates with `score`: the first `n` rows of `members` and of
/// `non_members` (`n` the smaller count), labelled 1 and 0.
fn attack(
    members: &Prepared,
    non_members: &Prepared,
    score: impl Fn(&Prepared) -> Vec<f64>,
) -> Membership {
    let count = members.rows().min(non_members.rows());
    let rows: Vec<usize> = (0..count).collect();
    let mut scores = score(&members.resample(&rows));
    scores.extend(score(&non_members.resample(&rows)));
    let mut labels = vec![1u8; count];
    labels.extend(vec![0u8; count]);
    Membership { scores, labels }
}

/// The distance attack: `members` and `non_members` (the same number of each is used) scored
/// by closeness to the nearest row of `released`, numbers scaled by the ranges of `scale`.
pub fn membership_attack(
    members: &Prepared,
    non_members: &Prepared,
    released: &Prepared,
    scale: &Prepared,
) -> Membership {
    let index = NearestIndex::scaled_by(released, scale);
    attack(members, non_members, |candidates| {
        index.closest(candidates).into_iter().map(|d| -d).collect()
    })
}

/// The density-ratio attack (DOMIAS-style): `members` and `non_members` (the same number of
/// each) scored by `ln(d_ref + ε) − ln(d_released + ε)`, their distances to the nearest row of
/// `population` (real rows the attacker holds, disjoint from the candidates) and of
/// `released`, numbers scaled by the ranges of `scale`.
pub fn density_attack(
    members: &Prepared,
    non_members: &Prepared,
    released: &Prepared,
    population: &Prepared,
    scale: &Prepared,
) -> Membership {
    let released = NearestIndex::scaled_by(released, scale);
    let population = NearestIndex::scaled_by(population, scale);
    attack(members, non_members, |candidates| {
        let near_released = released.closest(candidates);
        let near_population = population.closest(candidates);
        near_released
            .iter()
            .zip(&near_population)
            .map(|(s, p)| libm::log(p + DENSITY_EPSILON) - libm::log(s + DENSITY_EPSILON))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance histogram: shares per set that add up to 1, bins from 0 to the 99th
    /// percentile of both sets' distances, anything beyond in the last bin.
    #[test]
    fn the_distance_histogram_bins_both_sets_alike() {
        let synthetic = [0.0, 0.0, 0.0, 0.0];
        let holdout: Vec<f64> = (1..=100).map(f64::from).collect();
        let histogram = dcr_histogram(&synthetic, &holdout);
        let shares = |set: &str| -> Vec<f64> {
            histogram[set]
                .as_array()
                .expect("shares")
                .iter()
                .map(|v| v.as_f64().expect("a share"))
                .collect()
        };
        let (s, h) = (shares("synthetic"), shares("holdout"));
        assert_eq!((s.len(), h.len()), (DCR_BINS, DCR_BINS));
        assert_eq!(s[0], 1.0);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let edges = histogram["edges"].as_array().expect("edges");
        assert_eq!(edges[0], 0.0);
        // 104 distances: the 99th percentile is the sorted value at index 101 (103 x 0.99),
        // 98; bins of 4.9, the last from 93.1 holding 94 to 98 and the two beyond.
        assert_eq!(edges[DCR_BINS].as_f64(), Some(98.0));
        assert!((h[DCR_BINS - 1] - 0.07).abs() < 1e-12, "{h:?}");
    }
}
