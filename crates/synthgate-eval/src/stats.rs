//! Small statistics every metric module shares: means, quantiles and seeded shuffles. They
//! depend on nothing in the crate, so any module may use them.

use synthgate_core::{Seed, SeedRng, unit_f64};

/// Shuffle `items` in place (Fisher–Yates, from the last item down) with draws from `rng`.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut SeedRng) {
    for i in (1..items.len()).rev() {
        let j = ((unit_f64(rng) * (i + 1) as f64) as usize).min(i);
        items.swap(i, j);
    }
}

/// A seeded permutation of `0..rows`, from stream (`seed`, `purpose`, 0).
pub(crate) fn permutation(rows: usize, seed: Seed, purpose: &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows).collect();
    shuffle(&mut order, &mut seed.stream(purpose, 0));
    order
}

/// A score as reports print it: four decimals, one at 100 or more (the k-marginal score).
/// Here, below every module that prints one (`html`, `compare`, `distributions`).
pub fn number(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.4}")
    }
}

/// The mean of `values` (0 for none).
pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// The `q`-quantile (linear interpolation) of `values`.
pub(crate) fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let position = q * (sorted.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    Some(sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64))
}
