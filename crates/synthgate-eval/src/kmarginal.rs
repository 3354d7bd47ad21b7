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
use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, resamples};
use crate::pairs::{pair_shares, total_variation};
use crate::values::{Column, MISSING};

const BINS: f64 = 10.0;

/// Each column of `train` and `other` (prepared together) as cell codes, and each column's
/// span: one more than its largest possible code (missing excluded).
fn discretise(train: &Prepared, other: &Prepared) -> (Vec<Vec<u32>>, Vec<Vec<u32>>, Vec<usize>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut spans = Vec::new();
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
                spans.push(BINS as usize);
            }
            _ => {
                if let (Column::Discrete(x), Column::Discrete(y)) =
                    (&train.columns[column], &other.columns[column])
                {
                    a.push(x.clone());
                    b.push(y.clone());
                    spans.push(train.categories(column));
                }
            }
        }
    }
    (a, b, spans)
}

/// Most cells a pair's counts are kept in a dense array for; pairs of larger columns (many
/// categories) keep sorted shares.
const DENSE_CELLS: usize = 4096;

/// A pair's cells in the reference table.
enum Cells {
    /// Counts by `first × (span_second + 1) + second`, missing as the last code of each
    /// column: the packed cells' order, so sums run in the same order as the sorted shares'.
    Dense {
        counts: Vec<u32>,
        spans: (usize, usize),
    },
    /// Shares of each packed cell, sorted.
    Sparse(Vec<(u64, f64)>),
}

/// The dense cell counts of every row, `None` if a code is out of its span.
fn dense_counts(first: &[u32], second: &[u32], spans: (usize, usize)) -> Option<Vec<u32>> {
    let index = |code: u32, span: usize| -> Option<usize> {
        match code {
            MISSING => Some(span),
            code if (code as usize) < span => Some(code as usize),
            _ => None,
        }
    };
    let mut counts = vec![0u32; (spans.0 + 1) * (spans.1 + 1)];
    let add = |r: usize| -> Option<()> {
        let cell = index(first[r], spans.0)? * (spans.1 + 1) + index(second[r], spans.1)?;
        counts[cell] += 1;
        Some(())
    };
    (0..first.len()).try_for_each(add)?;
    Some(counts)
}

/// Per pair, the reference table's cells, computed once.
struct Reference {
    pairs: Vec<(usize, usize, Cells)>,
    rows: usize,
    /// Each column's span.
    spans: Vec<usize>,
}

impl Reference {
    fn new(a: &[Vec<u32>], spans: &[usize]) -> Reference {
        let mut pairs = Vec::new();
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                let pair_spans = (spans[i], spans[j]);
                let dense = ((pair_spans.0 + 1) * (pair_spans.1 + 1) <= DENSE_CELLS)
                    .then(|| dense_counts(&a[i], &a[j], pair_spans))
                    .flatten();
                let cells = match dense {
                    Some(counts) => Cells::Dense {
                        counts,
                        spans: pair_spans,
                    },
                    None => Cells::Sparse(pair_shares(&a[i], &a[j], None)),
                };
                pairs.push((i, j, cells));
            }
        }
        Reference {
            pairs,
            rows: a.first().map_or(0, Vec::len),
            spans: spans.to_vec(),
        }
    }

    /// Per pair `Σ |p_reference − p_other|` over the union of cells, in pair order and, within
    /// a pair, in cell order (dense or sparse, the same terms in the same order). A resample
    /// (`rows`) becomes per-row weights, so dense pairs are counted in one sequential pass.
    fn sums(&self, b: &[Vec<u32>], rows: Option<&[usize]>) -> Vec<f64> {
        let n_full = b.first().map_or(0, Vec::len);
        let n_other = rows.map_or(n_full, <[usize]>::len);
        let weights: Vec<u32> = match rows {
            Some(rows) => {
                let mut weights = vec![0u32; n_full];
                for &row in rows {
                    weights[row] += 1;
                }
                weights
            }
            None => vec![1; n_full],
        };
        // Each column's codes as dense indices (missing last), once per table; `None` when a
        // code lies outside the column's span.
        let indices: Vec<Option<Vec<u16>>> = b
            .iter()
            .zip(&self.spans)
            .map(|(codes, &span)| dense_indices(codes, span))
            .collect();
        self.pairs
            .par_iter()
            .map(|(i, j, cells)| {
                let sparse =
                    |p: &[(u64, f64)]| 2.0 * total_variation(p, &pair_shares(&b[*i], &b[*j], rows));
                let Cells::Dense { counts, spans } = cells else {
                    let Cells::Sparse(p) = cells else {
                        return f64::NAN;
                    };
                    return sparse(p);
                };
                let (Some(x), Some(y)) = (&indices[*i], &indices[*j]) else {
                    return sparse(&dense_shares(counts, *spans, self.rows));
                };
                let width = spans.1 + 1;
                let mut other = vec![0u32; counts.len()];
                for ((&x, &y), &w) in x.iter().zip(y).zip(&weights) {
                    other[x as usize * width + y as usize] += w;
                }
                let (nr, no) = (self.rows as f64, n_other as f64);
                let mut sum = 0.0;
                for (&x, &y) in counts.iter().zip(&other) {
                    if x == 0 && y == 0 {
                        continue;
                    }
                    let p = if x == 0 { 0.0 } else { f64::from(x) / nr };
                    let q = if y == 0 { 0.0 } else { f64::from(y) / no };
                    sum += (p - q).abs();
                }
                2.0 * (sum / 2.0)
            })
            .collect()
    }
}

/// A column's codes as dense indices (`MISSING` as `span`), or `None` when the span is too
/// large for dense counts or a code lies outside it.
fn dense_indices(codes: &[u32], span: usize) -> Option<Vec<u16>> {
    if span >= DENSE_CELLS {
        return None;
    }
    codes
        .iter()
        .map(|&code| match code {
            MISSING => Some(span as u16),
            code if (code as usize) < span => Some(code as u16),
            _ => None,
        })
        .collect()
}

/// Dense counts back as sorted shares of packed cells (for a table with a code out of span).
fn dense_shares(counts: &[u32], spans: (usize, usize), rows: usize) -> Vec<(u64, f64)> {
    let code = |index: usize, span: usize| -> u64 {
        if index == span {
            u64::from(MISSING)
        } else {
            index as u64
        }
    };
    counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(cell, &c)| {
            let (x, y) = (cell / (spans.1 + 1), cell % (spans.1 + 1));
            (
                (code(x, spans.0) << 32) | code(y, spans.1),
                f64::from(c) / rows as f64,
            )
        })
        .collect()
}

fn score_of(sums: &[f64]) -> Option<f64> {
    (!sums.is_empty()).then(|| (2.0 - sums.iter().sum::<f64>() / sums.len() as f64) * 500.0)
}

/// The k-marginal score of `other` against `train` (prepared together) and each pair's sum of
/// absolute density differences.
pub fn kmarginal(train: &Prepared, other: &Prepared) -> (Option<f64>, Vec<(String, String, f64)>) {
    let (a, b, spans) = discretise(train, other);
    Reference::new(&a, &spans).score(train, &b)
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
    let (a, b, spans) = discretise(train, synthetic);
    let (_, b_holdout, _) = discretise(train, holdout);
    let reference = Reference::new(&a, &spans);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A column of codes below 5 with some missing, varied by `step`.
    fn codes(rows: usize, step: usize) -> Vec<u32> {
        (0..rows)
            .map(|r| {
                if (r * step) % 11 == 3 {
                    MISSING
                } else {
                    ((r * step + r / 7) % 5) as u32
                }
            })
            .collect()
    }

    #[test]
    fn dense_counts_give_the_sorted_shares_sums_bit_for_bit() {
        let a: Vec<Vec<u32>> = (1..=4).map(|s| codes(300, s)).collect();
        let mut b: Vec<Vec<u32>> = (2..=5).map(|s| codes(170, s)).collect();
        let rows: Vec<usize> = (0..170).map(|r| (r * 37 + 5) % 170).collect();
        let dense = Reference::new(&a, &[5; 4]);
        assert!(
            dense
                .pairs
                .iter()
                .all(|p| matches!(p.2, Cells::Dense { .. }))
        );
        // Spans too large for dense counts: every pair keeps sorted shares.
        let sparse = Reference::new(&a, &[5000; 4]);
        assert!(sparse.pairs.iter().all(|p| matches!(p.2, Cells::Sparse(_))));
        let bits = |sums: Vec<f64>| sums.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        for rows in [None, Some(&rows[..])] {
            assert_eq!(bits(dense.sums(&b, rows)), bits(sparse.sums(&b, rows)));
        }
        // A code outside its column's span falls back to sorted shares, same sums.
        b[1][0] = 9;
        assert_eq!(bits(dense.sums(&b, None)), bits(sparse.sums(&b, None)));
    }
}
