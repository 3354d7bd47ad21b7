//! Column shapes, exactly as SDMetrics 0.32 computes its Quality Report property: the mean over
//! columns of KSComplement (numerical and datetime columns) and TVComplement (categorical,
//! ordinal and boolean columns). Identifiers and free text are not scored (SDMetrics skips its
//! `id` and `text` sdtypes).
//!
//! - `KSComplement = 1 − D`, where D is the two-sample Kolmogorov–Smirnov statistic
//!   (`scipy.stats.ks_2samp`, two-sided) of the present values
//!   (`sdmetrics/single_column/statistical/kscomplement.py`).
//! - `TVComplement = 1 − ½ Σ |f_synthetic(v) − f_real(v)|` over the present real values, where a
//!   value found only in the synthetic column is added to the real counts with weight 1e-6
//!   before normalising (`sdmetrics/utils.py: get_frequencies`).

use crate::values::{code_counts, code_span};

/// `1 − D` of the two-sample Kolmogorov–Smirnov test on the present (non-NaN) values; `None`
/// when either side has none.
pub fn ks_complement(real: &[f64], synthetic: &[f64]) -> Option<f64> {
    let mut a: Vec<f64> = real.iter().copied().filter(|v| !v.is_nan()).collect();
    let mut b: Vec<f64> = synthetic.iter().copied().filter(|v| !v.is_nan()).collect();
    if a.is_empty() || b.is_empty() {
        return None;
    }
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut statistic = 0.0f64;
    // Walk the pooled sorted values; after consuming every copy of a value on both sides, the
    // gap between the two empirical CDFs is a candidate for D.
    while i < a.len() || j < b.len() {
        let value = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.min(*y),
            (Some(x), None) => *x,
            (None, Some(y)) => *y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= value {
            i += 1;
        }
        while j < b.len() && b[j] <= value {
            j += 1;
        }
        statistic = statistic.max((i as f64 / n - j as f64 / m).abs());
    }
    Some(1.0 - statistic)
}

/// `1 − ½ Σ |f_synthetic − f_real|` with SDMetrics' regularisation, on category codes
/// ([`MISSING`] ignored); `None` when either side has no present value.
pub fn tv_complement(real: &[u32], synthetic: &[u32]) -> Option<f64> {
    let span = code_span(&[real, synthetic]);
    let real_counts = code_counts(real, span);
    let synthetic_counts = code_counts(synthetic, span);
    let real_present: usize = real_counts[..span].iter().sum();
    let synthetic_present: usize = synthetic_counts[..span].iter().sum();
    if real_present == 0 || synthetic_present == 0 {
        return None;
    }
    // A category only the synthetic side has counts 1e-6 on the real side.
    let regularised: Vec<f64> = (0..span)
        .map(|code| match (real_counts[code], synthetic_counts[code]) {
            (0, 0) => 0.0,
            (0, _) => 1e-6,
            (count, _) => count as f64,
        })
        .collect();
    let real_total = real_present as f64
        + regularised
            .iter()
            .zip(&real_counts)
            .filter(|(_, count)| **count == 0)
            .map(|(r, _)| r)
            .sum::<f64>();
    let synthetic_total = synthetic_present as f64;
    let distance: f64 = (0..span)
        .filter(|&code| regularised[code] > 0.0)
        .map(|code| {
            let observed = synthetic_counts[code] as f64 / synthetic_total;
            (observed - regularised[code] / real_total).abs()
        })
        .sum();
    Some(1.0 - 0.5 * distance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::MISSING;

    #[test]
    fn ks_matches_scipy_on_small_samples() {
        // scipy.stats.ks_2samp([1, 2, 3, 4], [3, 4, 5, 6, 7]).statistic = 0.6
        let score =
            ks_complement(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0, 7.0]).expect("score");
        assert!((score - 0.4).abs() < 1e-12, "{score}");
        // Ties across samples: ks_2samp([1, 1, 2], [1, 2, 2]).statistic = 1/3
        let score = ks_complement(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]).expect("score");
        assert!((score - 2.0 / 3.0).abs() < 1e-12, "{score}");
        assert_eq!(ks_complement(&[f64::NAN], &[1.0]), None);
    }

    #[test]
    fn tv_follows_sdmetrics_regularisation() {
        // Codes a=0, b=1, c=2. Real a,a,b; synthetic a,c: real counts a=2, b=1, c=1e-6.
        let real = [0, 0, 1, MISSING];
        let synthetic = [0, 2];
        let total: f64 = 3.0 + 1e-6;
        let expected = 1.0
            - 0.5
                * ((0.5 - 2.0 / total).abs()
                    + (0.0 - 1.0 / total).abs()
                    + (0.5 - 1e-6 / total).abs());
        let score = tv_complement(&real, &synthetic).expect("score");
        assert!((score - expected).abs() < 1e-15, "{score} vs {expected}");
        assert_eq!(tv_complement(&[MISSING], &[0]), None);
    }
}
