//! The form of a numeric column's values as the source writes them: decimal places and point
//! masses. The profiler records them in the schema and the codec makes synthetic values honour
//! them, with the same definitions.

/// Exact powers of ten up to 10^15 (a table, not `powi`, so rounding is the same everywhere).
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Most decimal places learned from data; values with more are treated as real numbers.
pub const MAX_LEARNED_DECIMALS: u32 = 10;

/// Most point masses kept per column (the most frequent first).
pub const MAX_POINT_MASSES: usize = 256;

/// `value` rounded to `decimals` places (at most 15): the float nearest the decimal number, so
/// it prints with no more places than that. Values too large to have that many places stay as
/// they are.
pub fn round_to_decimals(value: f64, decimals: u32) -> f64 {
    let scale = POWERS_OF_TEN[decimals.min(15) as usize];
    let scaled = value * scale;
    if !scaled.is_finite() || scaled.abs() >= 9.007_199_254_740_992e15 {
        return value;
    }
    scaled.round() / scale
}

/// The fewest decimal places (up to [`MAX_LEARNED_DECIMALS`]) that every finite value of
/// `values` has, or `None` when some value has more (real numbers) or there are none.
pub fn decimals_of(values: &[f64]) -> Option<u32> {
    let mut needed = 0;
    let mut any = false;
    for &value in values.iter().filter(|v| v.is_finite()) {
        any = true;
        while round_to_decimals(value, needed) != value {
            needed += 1;
            if needed > MAX_LEARNED_DECIMALS {
                return None;
            }
        }
    }
    any.then_some(needed)
}

/// The values of `sorted` (ascending, no NaN) that at least `min_count` of them hold, at most
/// [`MAX_POINT_MASSES`] of them (the most frequent, ties to the smaller value), ascending.
pub fn point_masses(sorted: &[f64], min_count: usize) -> Vec<f64> {
    let mut runs: Vec<(f64, usize)> = sorted
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= min_count.max(1))
        .map(|run| (run[0], run.len()))
        .collect();
    if runs.len() > MAX_POINT_MASSES {
        runs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)));
        runs.truncate(MAX_POINT_MASSES);
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    runs.into_iter().map(|(value, _)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_the_fewest_that_hold_every_value() {
        assert_eq!(decimals_of(&[742.32, 10.5, 3.0]), Some(2));
        assert_eq!(decimals_of(&[40.0, 356_344.0]), Some(0));
        assert_eq!(decimals_of(&[-73.98656112, 40.7]), Some(8));
        assert_eq!(decimals_of(&[742.322_303_450_586_1]), None);
        assert_eq!(decimals_of(&[f64::NAN]), None);
        // Rounding gives the float that prints with those places.
        assert_eq!(
            round_to_decimals(742.322_303_450_586_1, 2).to_string(),
            "742.32"
        );
        assert_eq!(round_to_decimals(0.1 + 0.2, 1).to_string(), "0.3");
        assert_eq!(round_to_decimals(1e300, 2), 1e300);
    }

    #[test]
    fn point_masses_are_values_many_rows_hold() {
        let mut values = vec![0.0; 12];
        values.extend([1.0, 2.0, 2.0]);
        values.extend(vec![40.0; 10]);
        assert_eq!(point_masses(&values, 10), vec![0.0, 40.0]);
        assert_eq!(point_masses(&values, 2), vec![0.0, 2.0, 40.0]);
        let many: Vec<f64> = (0..1000u32)
            .flat_map(|v| vec![f64::from(v); 2 + v as usize % 3])
            .collect();
        let kept = point_masses(&many, 2);
        assert_eq!(kept.len(), MAX_POINT_MASSES);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
    }
}
