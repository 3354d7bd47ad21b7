//! The exact samplers' distributions, by goodness-of-fit tests at fixed sample sizes, each with
//! a twin that must fail: the same test on a sampler with the wrong variance.

use synthgate_dp::noise::{
    Rational, Variance, bernoulli_exp, discrete_gaussian, exponential_mechanism,
};

use crate::{chi_square, chi_square_critical, seeded};

/// Draws of the discrete Gaussian with `variance`, tested against the pmf of `claimed`:
/// returns (statistic, critical value at p = 0.001).
fn gaussian_fit(variance: Variance, claimed: f64, draws: usize, seed: u64) -> (f64, f64) {
    let mut noise = seeded(seed);
    let sigma = claimed.sqrt();
    let support = (12.0 * sigma).ceil() as i64;
    let weight = |x: i64| (-(x as f64).powi(2) / (2.0 * claimed)).exp();
    let normaliser: f64 = (-support..=support).map(weight).sum();
    let mut counts = std::collections::HashMap::<i64, f64>::new();
    for _ in 0..draws {
        let x = discrete_gaussian(&mut noise, variance).expect("draw") as i64;
        *counts.entry(x).or_default() += 1.0;
    }
    // Bins: every integer whose expected count is at least 5, the two tails pooled.
    let expected = |x: i64| draws as f64 * weight(x) / normaliser;
    let edge = (0..support)
        .take_while(|&x| expected(x) >= 5.0)
        .last()
        .unwrap_or(0);
    let mut observed = Vec::new();
    let mut wanted = Vec::new();
    for x in -edge..=edge {
        observed.push(counts.get(&x).copied().unwrap_or(0.0));
        wanted.push(expected(x));
    }
    let tail_observed: f64 = counts
        .iter()
        .filter(|(x, _)| x.abs() > edge)
        .map(|(_, c)| c)
        .sum();
    let tail_expected = draws as f64 - wanted.iter().sum::<f64>();
    observed.push(tail_observed);
    wanted.push(tail_expected);
    let df = (observed.len() - 1) as f64;
    (
        chi_square(&observed, &wanted),
        chi_square_critical(df, 3.09),
    )
}

/// 20,000 draws at σ² = 4.2 and at σ² = 40.3 fit the discrete Gaussian's pmf (CKS 2020,
/// Algorithm 3): chi-square below its 0.1% critical value.
#[test]
fn discrete_gaussian_fits_its_pmf() {
    for (sigma2, seed) in [(4.2, 1), (40.3, 2), (0.7, 3)] {
        let variance = Variance::at_least(sigma2).expect("variance");
        let (statistic, critical) = gaussian_fit(variance, variance.value(), 20_000, seed);
        assert!(
            statistic < critical,
            "σ² {sigma2}: χ² {statistic:.1} >= {critical:.1}"
        );
    }
}

/// The failing twin: a sampler whose variance is 25% too large (a calibration bug of the kind
/// peers shipped), under the same test and sample size, is rejected.
#[test]
fn a_sampler_with_the_wrong_variance_fails_the_same_test() {
    for (sigma2, seed) in [(4.2, 1), (40.3, 2)] {
        let wrong = Variance::at_least(sigma2 * 1.25).expect("variance");
        let claimed = Variance::at_least(sigma2).expect("variance").value();
        let (statistic, critical) = gaussian_fit(wrong, claimed, 20_000, seed);
        assert!(
            statistic > critical,
            "σ² {sigma2}: χ² {statistic:.1} <= {critical:.1}"
        );
    }
}

/// Bernoulli(exp(−γ)) for rational γ below and above 1 hits its probability within 4 standard
/// errors at 40,000 draws.
#[test]
fn bernoulli_exp_has_its_probability() {
    let mut noise = seeded(7);
    for (numerator, denominator) in [(1u128, 3u128), (7, 2), (5, 5), (0, 1), (13, 4)] {
        let p = (-(numerator as f64) / denominator as f64).exp();
        let draws = 40_000;
        let hits = (0..draws)
            .filter(|_| bernoulli_exp(&mut noise, numerator, denominator).expect("draw"))
            .count() as f64;
        let error = (p * (1.0 - p) / draws as f64).sqrt().max(1e-9);
        assert!(
            (hits / draws as f64 - p).abs() <= 4.0 * error,
            "γ = {numerator}/{denominator}: {} vs {p}",
            hits / draws as f64
        );
    }
}

/// The exponential mechanism picks index i with probability ∝ exp(ε·score_i/2).
#[test]
fn exponential_mechanism_has_its_distribution() {
    let scores = [0i64, 3, 5, 5, 9];
    let epsilon = Rational::at_most(0.5).expect("epsilon");
    let weights: Vec<f64> = scores
        .iter()
        .map(|&s| (epsilon.value() * s as f64 / 2.0).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let draws = 30_000;
    let mut noise = seeded(11);
    let mut counts = vec![0.0; scores.len()];
    for _ in 0..draws {
        counts[exponential_mechanism(&mut noise, &scores, epsilon).expect("draw")] += 1.0;
    }
    let expected: Vec<f64> = weights.iter().map(|w| draws as f64 * w / total).collect();
    let statistic = chi_square(&counts, &expected);
    assert!(statistic < chi_square_critical(4.0, 3.09), "χ² {statistic}");
    // Its twin: scores read with ε doubled give another distribution, which the test rejects.
    let doubled: Vec<f64> = scores
        .iter()
        .map(|&s| (epsilon.value() * s as f64).exp())
        .collect();
    let doubled_total: f64 = doubled.iter().sum();
    let doubled_expected: Vec<f64> = doubled
        .iter()
        .map(|w| draws as f64 * w / doubled_total)
        .collect();
    assert!(chi_square(&counts, &doubled_expected) > chi_square_critical(4.0, 3.09));
}

/// Rounding is always on the private side: variances up, ε down.
#[test]
fn rounding_never_spends_more_than_asked() {
    for value in [0.001, 0.3, 1.0, 4.2, 1234.5678] {
        assert!(Variance::at_least(value).expect("variance").value() >= value);
        assert!(Rational::at_most(value).expect("rational").value() <= value);
    }
    assert!(Variance::at_least(0.0).is_err());
    assert!(Variance::at_least(f64::NAN).is_err());
    assert!(Rational::at_most(-1.0).is_err());
}

/// A source that repeats itself (the same word forever) makes the samplers fail with an
/// environment error, not hang.
#[test]
fn a_broken_noise_source_fails_instead_of_hanging() {
    struct Stuck;
    impl synthgate_dp::noise::Noise for Stuck {
        fn next_u64(&mut self) -> synthgate_core::Result<u64> {
            Ok(u64::MAX)
        }
    }
    let error = discrete_gaussian(&mut Stuck, Variance::at_least(4.0).expect("variance"))
        .expect_err("a stuck source");
    assert_eq!(error.kind().exit_code(), 6, "{error}");
}
