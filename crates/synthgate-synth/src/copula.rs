//! `gaussian_copula`: every column mapped to a standard normal score through its own
//! distribution, the scores' correlation matrix learned, and new rows drawn from the
//! multivariate normal and mapped back, as SDV's `GaussianCopulaSynthesizer` does.
//!
//! Numeric columns map by their empirical distribution (mid-ranks, so ties share a score) and
//! come back through 1,001 quantiles with linear interpolation; categorical columns map each
//! category to the middle of its interval of cumulative frequency (SDV's "uniform encoding",
//! without its noise) and come back by the interval a draw falls in. A numeric column with
//! missing values gets a second, two-category dimension for "missing or not", so structural
//! missingness follows the other columns. All maths on the sampling path uses the `libm`
//! crate, so draws are identical on every platform.

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, Seed, SeedRng, unit_f64};

use crate::codec::{CodecKind, ColumnCodec, Encoded, EncodedColumn, MISSING_CODE};
use crate::sampling::{Mixed, between, cumulative, draw, interpolate};
use crate::{Capabilities, Condition, Fitted, Synthesizer};

/// Quantiles kept per numeric column.
const QUANTILES: usize = 1001;

/// The `gaussian_copula` synthesizer.
#[derive(Debug, Clone, Copy, Default)]
pub struct GaussianCopula;

/// One dimension of the copula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Dimension {
    /// The present values of numeric column `column` (for a column with point masses, their
    /// distribution with the masses drawn exactly).
    Values {
        column: usize,
        quantiles: Vec<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mixed: Option<Mixed>,
    },
    /// Whether numeric column `column` is missing: probability of missing.
    Missing { column: usize, missing: f64 },
    /// Categorical column `column`: codes and cumulative probabilities (missing last).
    Categories {
        column: usize,
        codes: Vec<u32>,
        cumulative: Vec<f64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CopulaModel {
    columns: usize,
    /// Which columns are numeric (the rest of the modelled ones are categorical).
    numeric: Vec<bool>,
    dimensions: Vec<Dimension>,
    /// Lower-triangular Cholesky factor of the scores' correlation matrix, row-major.
    cholesky: Vec<f64>,
}

/// The standard normal CDF, Φ(z) = erfc(−z/√2)/2.
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The standard normal quantile function, by Acklam's rational approximation refined with one
/// Halley step (relative error below 1e-15).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let low = 0.02425;
    let x = if p < low {
        let q = libm::sqrt(-2.0 * libm::log(p));
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = libm::sqrt(-2.0 * libm::log(1.0 - p));
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let error = normal_cdf(x) - p;
    let u = error * libm::sqrt(2.0 * std::f64::consts::PI) * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// Normal scores of `values` by mid-rank: ties share the score of their average rank.
fn rank_scores(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut scores = vec![0.0; values.len()];
    let n = values.len() as f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let middle = (start + end) as f64 / 2.0;
        let score = normal_quantile(middle / n);
        for &index in &order[start..end] {
            scores[index] = score;
        }
        start = end;
    }
    scores
}

fn quantiles_of(sorted: &[f64]) -> Vec<f64> {
    if sorted.is_empty() {
        return Vec::new();
    }
    (0..QUANTILES)
        .map(|k| {
            let position = k as f64 / (QUANTILES - 1) as f64 * (sorted.len() - 1) as f64;
            let below = position.floor() as usize;
            let above = position.ceil() as usize;
            between(sorted[below], sorted[above], position - below as f64)
        })
        .collect()
}

/// Scores of a categorical dimension: each code maps to the normal score of the middle of its
/// cumulative-frequency interval.
fn category_scores(codes: &[u32]) -> (Vec<u32>, Vec<f64>, Vec<f64>) {
    let mut sorted = codes.to_vec();
    sorted.sort_unstable();
    let mut distinct = Vec::new();
    let mut weights = Vec::new();
    for run in sorted.chunk_by(|a, b| a == b) {
        distinct.push(run[0]);
        weights.push(run.len() as f64);
    }
    let cumulative = cumulative(&weights);
    let middles: Vec<f64> = cumulative
        .iter()
        .enumerate()
        .map(|(index, &upper)| {
            let lower = if index == 0 {
                0.0
            } else {
                cumulative[index - 1]
            };
            normal_quantile((lower + upper) / 2.0)
        })
        .collect();
    let scores = codes
        .iter()
        .map(|code| middles[distinct.binary_search(code).unwrap_or(0)])
        .collect();
    (distinct, cumulative, scores)
}

/// The Cholesky factor of a correlation matrix, with the diagonal nudged until it is positive
/// definite.
fn cholesky(matrix: &[f64], size: usize) -> Vec<f64> {
    let mut jitter = 0.0;
    loop {
        let mut factor = vec![0.0; size * size];
        let mut ok = true;
        'rows: for i in 0..size {
            for j in 0..=i {
                let mut sum = matrix[i * size + j] + if i == j { jitter } else { 0.0 };
                for k in 0..j {
                    sum -= factor[i * size + k] * factor[j * size + k];
                }
                if i == j {
                    if sum <= 1e-12 {
                        ok = false;
                        break 'rows;
                    }
                    factor[i * size + i] = libm::sqrt(sum);
                } else {
                    factor[i * size + j] = sum / factor[j * size + j];
                }
            }
        }
        if ok {
            return factor;
        }
        jitter = if jitter == 0.0 { 1e-9 } else { jitter * 10.0 };
    }
}

impl Synthesizer for GaussianCopula {
    fn name(&self) -> &'static str {
        "gaussian_copula"
    }

    fn summary(&self) -> &'static str {
        "Gaussian copula over per-column distributions (as SDV's); fast, keeps correlations"
    }

    fn version(&self) -> u32 {
        1
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            relations: true,
            ..Capabilities::default()
        }
    }

    fn fit(&self, data: &Encoded, codecs: &[ColumnCodec], _seed: Seed) -> Result<Box<dyn Fitted>> {
        let mut dimensions = Vec::new();
        let mut scores: Vec<Vec<f64>> = Vec::new();
        let mut numeric = vec![false; codecs.len()];
        for (column, (codec, encoded)) in codecs.iter().zip(&data.columns).enumerate() {
            match (&codec.kind, encoded) {
                (CodecKind::Numeric { masses, .. }, EncodedColumn::Numeric(values)) => {
                    numeric[column] = true;
                    let mut present: Vec<f64> =
                        values.iter().copied().filter(|v| !v.is_nan()).collect();
                    present.sort_unstable_by(f64::total_cmp);
                    let missing = 1.0 - present.len() as f64 / values.len().max(1) as f64;
                    // Present values are scored by their rank among the present values, so the
                    // value dimension's marginal is theirs; missing rows get the neutral score
                    // 0 (their values are dropped by the missing dimension when sampled).
                    let rows: Vec<usize> = (0..values.len())
                        .filter(|&row| !values[row].is_nan())
                        .collect();
                    let ranked =
                        rank_scores(&rows.iter().map(|&row| values[row]).collect::<Vec<_>>());
                    let mut adjusted = vec![0.0; values.len()];
                    for (&row, &score) in rows.iter().zip(&ranked) {
                        adjusted[row] = score;
                    }
                    dimensions.push(if masses.is_empty() || present.is_empty() {
                        Dimension::Values {
                            column,
                            quantiles: quantiles_of(&present),
                            mixed: None,
                        }
                    } else {
                        Dimension::Values {
                            column,
                            quantiles: Vec::new(),
                            mixed: Some(Mixed::new(&present, masses, QUANTILES)),
                        }
                    });
                    scores.push(adjusted);
                    if missing > 0.0 {
                        let flags: Vec<u32> =
                            values.iter().map(|v| u32::from(v.is_nan())).collect();
                        let (_, _, flag_scores) = category_scores(&flags);
                        dimensions.push(Dimension::Missing { column, missing });
                        scores.push(flag_scores);
                    }
                }
                (CodecKind::Categorical { .. }, EncodedColumn::Categorical(codes)) => {
                    let (distinct, cumulative, category) = category_scores(codes);
                    dimensions.push(Dimension::Categories {
                        column,
                        codes: distinct,
                        cumulative,
                    });
                    scores.push(category);
                }
                _ => {}
            }
        }
        let size = dimensions.len();
        let rows = data.rows.max(1) as f64;
        let means: Vec<f64> = scores
            .iter()
            .map(|s| s.iter().sum::<f64>() / rows)
            .collect();
        let deviations: Vec<f64> = scores
            .iter()
            .zip(&means)
            .map(|(s, mean)| {
                libm::sqrt(s.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / rows)
            })
            .collect();
        let mut correlation = vec![0.0; size * size];
        for i in 0..size {
            for j in 0..=i {
                let value = if i == j {
                    1.0
                } else if deviations[i] == 0.0 || deviations[j] == 0.0 {
                    0.0
                } else {
                    let covariance = scores[i]
                        .iter()
                        .zip(&scores[j])
                        .map(|(a, b)| (a - means[i]) * (b - means[j]))
                        .sum::<f64>()
                        / rows;
                    covariance / (deviations[i] * deviations[j])
                };
                correlation[i * size + j] = value;
                correlation[j * size + i] = value;
            }
        }
        Ok(Box::new(CopulaModel {
            columns: codecs.len(),
            numeric,
            dimensions,
            cholesky: cholesky(&correlation, size),
        }))
    }

    fn load(&self, parameters: &serde_json::Value, _version: u32) -> Result<Box<dyn Fitted>> {
        crate::load_parameters::<CopulaModel>(parameters)
    }
}

impl Fitted for CopulaModel {
    fn sample_shard(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        conditions: &[Condition],
    ) -> Result<Encoded> {
        if !conditions.is_empty() {
            return Err(Error::usage("gaussian_copula cannot sample conditionally."));
        }
        let size = self.dimensions.len();
        let mut columns: Vec<EncodedColumn> =
            (0..self.columns)
                .map(|column| {
                    if self.numeric[column] {
                        EncodedColumn::Numeric(vec![f64::NAN; rows])
                    } else if self.dimensions.iter().any(
                        |d| matches!(d, Dimension::Categories { column: c, .. } if *c == column),
                    ) {
                        EncodedColumn::Categorical(vec![MISSING_CODE; rows])
                    } else {
                        EncodedColumn::Generated
                    }
                })
                .collect();
        let mut normals = vec![0.0; size];
        let mut correlated = vec![0.0; size];
        for row in 0..rows {
            // Independent standard normals by inverse CDF, then correlated through L.
            for value in normals.iter_mut() {
                *value = normal_quantile(unit_f64(rng).max(f64::MIN_POSITIVE));
            }
            for (i, value) in correlated.iter_mut().enumerate() {
                let factor_row = &self.cholesky[i * size..=i * size + i];
                *value = factor_row.iter().zip(&normals).map(|(l, n)| l * n).sum();
            }
            for (dimension, &z) in self.dimensions.iter().zip(&correlated) {
                let u = normal_cdf(z);
                match (dimension,) {
                    (Dimension::Values {
                        column,
                        quantiles,
                        mixed,
                    },) => {
                        if let EncodedColumn::Numeric(values) = &mut columns[*column]
                            && values[row].is_nan()
                        {
                            values[row] = match mixed {
                                Some(mixed) => mixed.quantile(u),
                                None => interpolate(quantiles, u),
                            };
                        }
                    }
                    (Dimension::Missing { column, missing },) => {
                        // The missing flag's categories are ordered present (0), missing (1).
                        if u >= 1.0 - missing
                            && let EncodedColumn::Numeric(values) = &mut columns[*column]
                        {
                            values[row] = f64::NAN;
                        }
                    }
                    (Dimension::Categories {
                        column,
                        codes,
                        cumulative,
                    },) => {
                        if let EncodedColumn::Categorical(out) = &mut columns[*column] {
                            out[row] = codes[draw(cumulative, u)];
                        }
                    }
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
    use super::*;

    #[test]
    fn normal_functions_agree_with_known_values() {
        // Φ(1.959963984540054) = 0.975 and Φ⁻¹(0.975) = 1.959963984540054 (standard tables).
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-9);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        for p in [1e-10, 0.01, 0.3, 0.7, 0.99, 1.0 - 1e-10] {
            assert!(
                (normal_cdf(normal_quantile(p)) - p).abs() < 1e-12 * p.max(1e-3),
                "{p}"
            );
        }
    }

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let matrix = [1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0];
        let factor = cholesky(&matrix, 3);
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3).map(|k| factor[i * 3 + k] * factor[j * 3 + k]).sum();
                assert!((product - matrix[i * 3 + j]).abs() < 1e-12);
            }
        }
    }
}
