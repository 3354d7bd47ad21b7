//! Integration tests of the differential-privacy crate.

mod accountant;
mod audit;
mod mechanisms;
mod mst;
mod pgm;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use synthgate_dp::noise::SeededNoise;

/// Seeded noise, for tests only.
pub(crate) fn seeded(seed: u64) -> SeededNoise<ChaCha20Rng> {
    SeededNoise(ChaCha20Rng::seed_from_u64(seed))
}

/// The chi-square statistic of `observed` counts against `expected` ones.
pub(crate) fn chi_square(observed: &[f64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum()
}

/// The chi-square critical value with `df` degrees of freedom at the upper tail of standard
/// normal quantile `z` (Wilson-Hilferty).
pub(crate) fn chi_square_critical(df: f64, z: f64) -> f64 {
    let h = 2.0 / (9.0 * df);
    df * (1.0 - h + z * h.sqrt()).powi(3)
}
