//! Missing-value similarity, category coverage and range coverage, per column, exactly as
//! SDMetrics 0.32's single-column metrics define them:
//!
//! - `MissingValueSimilarity = 1 − |missing share real − missing share synthetic|`
//!   (`sdmetrics/single_column/statistical/missing_value_similarity.py`);
//! - `CategoryCoverage = |present synthetic categories ∩ present real categories| / |present
//!   real categories|` (`category_coverage.py`);
//! - `RangeCoverage = max(0, 1 − (max(0, (min_s − min_r) / (max_r − min_r)) + max(0, (max_r −
//!   max_s) / (max_r − min_r))))`, undefined when `min_r = max_r` (`range_coverage.py`).

use crate::values::{code_counts, code_span};

/// `1 − |real missing share − synthetic missing share|`; `None` for an empty side.
pub fn missing_value_similarity(
    real_missing: usize,
    real_rows: usize,
    synthetic_missing: usize,
    synthetic_rows: usize,
) -> Option<f64> {
    if real_rows == 0 || synthetic_rows == 0 {
        return None;
    }
    let real = real_missing as f64 / real_rows as f64;
    let synthetic = synthetic_missing as f64 / synthetic_rows as f64;
    Some(1.0 - (real - synthetic).abs())
}

/// The share of the real column's present categories that the synthetic column has, on
/// category codes; `None` when the real column has none.
pub fn category_coverage(real: &[u32], synthetic: &[u32]) -> Option<f64> {
    let span = code_span(&[real, synthetic]);
    let (real, synthetic) = (code_counts(real, span), code_counts(synthetic, span));
    let present = real[..span].iter().filter(|&&c| c > 0).count();
    if present == 0 {
        return None;
    }
    let covered = (0..span)
        .filter(|&c| real[c] > 0 && synthetic[c] > 0)
        .count();
    Some(covered as f64 / present as f64)
}

pub(crate) fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    values
        .iter()
        .filter(|v| !v.is_nan())
        .fold(None, |range, &v| match range {
            None => Some((v, v)),
            Some((low, high)) => Some((f64::min(low, v), f64::max(high, v))),
        })
}

/// How much of the real column's range the synthetic column spans; `None` when the real
/// column is constant or either side has no value.
pub fn range_coverage(real: &[f64], synthetic: &[f64]) -> Option<f64> {
    let (min_r, max_r) = min_max(real)?;
    let (min_s, max_s) = min_max(synthetic)?;
    if min_r == max_r {
        return None;
    }
    let span = max_r - min_r;
    let low = ((min_s - min_r) / span).max(0.0);
    let high = ((max_r - max_s) / span).max(0.0);
    Some((1.0 - (low + high)).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_on_hand_computed_cases() {
        assert_eq!(missing_value_similarity(1, 4, 0, 2), Some(0.75));
        // Codes a=0, b=1, c=2: real a, b, missing; synthetic a, c.
        assert_eq!(
            category_coverage(&[0, 1, crate::values::MISSING], &[0, 2]),
            Some(0.5)
        );
        // Real 0..10, synthetic 2..9: 1 − (0.2 + 0.1).
        let score = range_coverage(&[0.0, 10.0, f64::NAN], &[2.0, 9.0]).expect("score");
        assert!((score - 0.7).abs() < 1e-12);
        assert_eq!(range_coverage(&[3.0, 3.0], &[1.0]), None);
        assert_eq!(range_coverage(&[0.0, 1.0], &[5.0, 6.0]), Some(0.0));
    }
}
