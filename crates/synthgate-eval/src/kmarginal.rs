//! NIST SDNist's k-marginal score (`sdnist/metrics/kmarginal.py`, SDNist 2.4): for every pair
//! of columns (k = 2), the densities of each cell (counts over each table's own row count) are
//! compared, `Σ |p_train − p_synthetic|` over the union of cells (0 to 2); the score is
//! `(2 − mean over pairs) × 500`, from 0 to 1000 (1000 = identical pair distributions).
//!
//! SDNist needs binned data and leaves the binning to its pipeline; Synthgate's rule: a column
//! whose values are all numbers is cut into 10 equal-width bins over the training range
//! (`clip(floor((x − min) × 10 / (max − min)), 0, 9)`, values outside the range clipped),
//! other columns keep their categories, and missing is a category of its own (SDNist's
//! pipeline codes it as bin −1).

use rayon::prelude::*;

use crate::Prepared;
use crate::harness::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::pairs::{pair_shares, total_variation};
use crate::values::{Column, MISSING};

const BINS: f64 = 10.0;

/// Each column of `train` and `other` (prepared together) as cell codes.
fn discretise(train: &Prepared, other: &Prepared) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for column in 0..train.columns.len() {
        match (
            crate::accuracy::as_numbers(train, column),
            crate::accuracy::as_numbers(other, column),
        ) {
            (Some(x), Some(y)) => {
                // No present value: every value is missing, or lands in bin 0.
                let (low, high) = crate::coverage::min_max(&x).unwrap_or((0.0, 0.0));
                let code = |v: f64| -> u32 {
                    if v.is_nan() {
                        MISSING
                    } else if high > low {
                        ((v - low) * BINS / (high - low))
                            .floor()
                            .clamp(0.0, BINS - 1.0) as u32
                    } else {
                        0
                    }
                };
                a.push(x.iter().map(|&v| code(v)).collect());
                b.push(y.iter().map(|&v| code(v)).collect());
            }
            _ => {
                if let (Column::Discrete(x), Column::Discrete(y)) =
                    (&train.columns[column], &other.columns[column])
                {
                    a.push(x.clone());
                    b.push(y.clone());
                }
            }
        }
    }
    (a, b)
}

/// Two columns and the reference table's shares of their cells, sorted by cell.
type PairShares = (usize, usize, Vec<(u64, f64)>);

/// Per pair, the cell shares of the reference table (sorted by packed cell), computed once.
struct Reference {
    pairs: Vec<PairShares>,
}

impl Reference {
    fn new(a: &[Vec<u32>]) -> Reference {
        let mut pairs = Vec::new();
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                pairs.push((i, j, pair_shares(&a[i], &a[j], None)));
            }
        }
        Reference { pairs }
    }

    /// Per pair `Σ |p_reference − p_other|` over the union of cells, in pair order.
    fn sums(&self, b: &[Vec<u32>], rows: Option<&[usize]>) -> Vec<f64> {
        self.pairs
            .iter()
            .map(|(i, j, p)| 2.0 * total_variation(p, &pair_shares(&b[*i], &b[*j], rows)))
            .collect()
    }
}

fn score_of(sums: &[f64]) -> Option<f64> {
    (!sums.is_empty()).then(|| (2.0 - sums.iter().sum::<f64>() / sums.len() as f64) * 500.0)
}

/// The k-marginal score of `other` against `train` (prepared together) and each pair's sum of
/// absolute density differences.
pub fn kmarginal(train: &Prepared, other: &Prepared) -> (Option<f64>, Vec<(String, String, f64)>) {
    let (a, b) = discretise(train, other);
    Reference::new(&a).score(train, &b)
}

impl Reference {
    /// The score of `b` and each pair's sum, named by `train`'s columns.
    fn score(&self, train: &Prepared, b: &[Vec<u32>]) -> (Option<f64>, Vec<(String, String, f64)>) {
        let sums = self.sums(b, None);
        let named = self
            .pairs
            .iter()
            .zip(&sums)
            .map(|((i, j, _), sum)| (train.names[*i].clone(), train.names[*j].clone(), *sum))
            .collect();
        (score_of(&sums), named)
    }
}

pub(crate) fn metric(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
) -> Option<Metric> {
    let (a, b) = discretise(train, synthetic);
    let (_, b_holdout) = discretise(train, holdout);
    let reference = Reference::new(&a);
    let (value, pairs) = reference.score(train, &b);
    let value = value?;
    let boot = |b: &[Vec<u32>], rows: usize, purpose: &str| -> Vec<f64> {
        resamples(rows, config, purpose)
            .par_iter()
            .map(|rows| score_of(&reference.sums(b, Some(rows))).unwrap_or(f64::NAN))
            .collect()
    };
    let reference_value = score_of(&reference.sums(&b_holdout, None));
    let reference_interval = match reference_value {
        Some(r) => bootstrap_interval(
            r,
            boot(
                &b_holdout,
                holdout.rows(),
                "evaluate/kway_marginal/reference",
            ),
        ),
        None => (None, None),
    };
    let worst: Vec<serde_json::Value> = {
        let mut sorted = pairs.clone();
        sorted.sort_by(|x, y| y.2.total_cmp(&x.2));
        sorted
            .iter()
            .take(10)
            .map(|(x, y, s)| serde_json::json!({ "first": x, "second": y, "abs_density_sum": s }))
            .collect()
    };
    Some(
        Metric::new(
            "fidelity.kway_marginal",
            value,
            "NIST SDNist 2.4 k-marginal score, k = 2, every pair of columns: (2 - mean over \
             pairs of sum |p_train - p_synthetic| over cells) x 500, 0-1000. Numbers cut into \
             10 equal-width bins over the training range, missing a category of its own. \
             Reference: the holdout in the synthetic set's place.",
        )
        .interval(bootstrap_interval(
            value,
            boot(&b, synthetic.rows(), "evaluate/kway_marginal"),
        ))
        .reference(reference_value)
        .reference_interval(reference_interval)
        .clip(0.0, 1000.0)
        .details(serde_json::json!({ "pairs": pairs.len(), "worst_pairs": worst })),
    )
}
