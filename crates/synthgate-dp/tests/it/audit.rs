//! The empirical privacy audit: neighbouring datasets (one row in or out), many runs of a
//! mechanism, a distinguishing test, and a Clopper-Pearson lower bound on ε from its true- and
//! false-positive rates (`TPR ≤ e^ε·FPR + δ` for an (ε, δ)-DP mechanism, so
//! `ε ≥ ln((TPR_low − δ) / FPR_high)` at 95% confidence, Bonferroni over the thresholds tried).
//! The budget is ε = 4 at δ = 1e-5, where the audit has power: the bound must stay below 4,
//! and the same audit must catch the deliberately broken twin (noise calibrated for half the
//! sensitivity, whose true ε is about 9) with a bound above 4.
//!
//! Two audits: the measurement step alone (the discrete Gaussian on a histogram; 10^6 runs per
//! side), and the whole MST fit (a canary row in or out of a real-shaped table; the statistic
//! is the likelihood-ratio sum of the released noisy counts of the canary's cells).

use std::time::Instant;

use synthgate_dp::accountant::rho_for;
use synthgate_dp::mst::{ColumnCells, MstConfig, add_noise, fit, measurement_variance};

use crate::seeded;

const EPSILON: f64 = 4.0;
const DELTA: f64 = 1e-5;

/// ln Γ(x) (Lanczos, g = 7).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes'
/// betacf).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    let fraction = |a: f64, b: f64, x: f64| {
        let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
        let mut c = 1.0;
        let mut d = 1.0 - qab * x / qap;
        if d.abs() < 1e-300 {
            d = 1e-300;
        }
        d = 1.0 / d;
        let mut h = d;
        for m in 1..10_000 {
            let m = m as f64;
            let m2 = 2.0 * m;
            let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1.0 + aa * d;
            d = if d.abs() < 1e-300 { 1e-300 } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < 1e-300 { 1e-300 } else { c };
            d = 1.0 / d;
            h *= d * c;
            let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1.0 + aa * d;
            d = if d.abs() < 1e-300 { 1e-300 } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < 1e-300 { 1e-300 } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-14 {
                break;
            }
        }
        h
    };
    if x < (a + 1.0) / (a + b + 2.0) {
        front * fraction(a, b, x) / a
    } else {
        1.0 - front * fraction(b, a, 1.0 - x) / b
    }
}

/// The p with I_p(a, b) = target, by bisection.
fn beta_quantile(a: f64, b: f64, target: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if incomplete_beta(a, b, middle) < target {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

/// Clopper-Pearson two-sided (1 − alpha) interval of k successes in n.
fn clopper_pearson(k: u64, n: u64, alpha: f64) -> (f64, f64) {
    let (k, n) = (k as f64, n as f64);
    let low = if k == 0.0 {
        0.0
    } else {
        beta_quantile(k, n - k + 1.0, alpha / 2.0)
    };
    let high = if k == n {
        1.0
    } else {
        beta_quantile(k + 1.0, n - k, 1.0 - alpha / 2.0)
    };
    (low, high)
}

/// The largest ε lower bound over thresholds: `with` and `without` are the statistic's values
/// with the canary in and out; the test says "in" when the statistic is at least a threshold.
fn epsilon_lower_bound(with: &[f64], without: &[f64], thresholds: &[f64]) -> f64 {
    let alpha = 0.05 / thresholds.len() as f64;
    thresholds
        .iter()
        .map(|&t| {
            let tp = with.iter().filter(|&&s| s >= t).count() as u64;
            let fp = without.iter().filter(|&&s| s >= t).count() as u64;
            let (tpr_low, _) = clopper_pearson(tp, with.len() as u64, alpha);
            let (_, fpr_high) = clopper_pearson(fp, without.len() as u64, alpha);
            if tpr_low - DELTA <= 0.0 {
                f64::NEG_INFINITY
            } else {
                ((tpr_low - DELTA) / fpr_high).ln()
            }
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn clopper_pearson_matches_scipy() {
    // scipy 1.x: beta.ppf(0.025, 7, 94) = 0.0286052889, beta.ppf(0.975, 8, 93) = 0.1389197285:
    // the exact interval of 7 successes in 100.
    let (low, high) = clopper_pearson(7, 100, 0.05);
    assert!((low - 0.028_605_289).abs() < 1e-8, "{low}");
    assert!((high - 0.138_919_728).abs() < 1e-8, "{high}");
}

/// Runs of the measurement step on a histogram whose audited cell holds 37 rows without the
/// canary and 38 with it; returns the noisy cell minus 37 per run.
fn measurement_runs(runs: usize, sensitivity: f64, seed: u64, canary: bool) -> Vec<f64> {
    let rho = rho_for(EPSILON, DELTA).expect("ρ");
    let variance = measurement_variance(rho, sensitivity).expect("variance");
    let mut noise = seeded(seed);
    (0..runs)
        .map(|_| {
            let mut counts = [37 + i64::from(canary), 120];
            add_noise(&mut counts, variance, &mut noise).expect("noise");
            (counts[0] - 37) as f64
        })
        .collect()
}

#[test]
fn the_measurement_step_passes_the_audit_and_its_broken_twin_does_not() {
    let runs = 1_000_000;
    let thresholds = [2.0, 3.0, 4.0, 5.0, 6.0];
    let start = Instant::now();
    let sound = epsilon_lower_bound(
        &measurement_runs(runs, 1.0, 1, true),
        &measurement_runs(runs, 1.0, 2, false),
        &thresholds,
    );
    let broken = epsilon_lower_bound(
        &measurement_runs(runs, 0.5, 3, true),
        &measurement_runs(runs, 0.5, 4, false),
        &thresholds,
    );
    println!(
        "measurement audit: {runs} runs per side, ε ≥ {sound:.3} (sound), ε ≥ {broken:.3} \
         (sensitivity halved), claimed ε = {EPSILON} at δ = {DELTA:e}, {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(
        sound < EPSILON,
        "the sound mechanism's lower bound {sound} reaches ε = {EPSILON}"
    );
    assert!(
        broken > EPSILON,
        "the broken twin's lower bound {broken} does not pass ε = {EPSILON}"
    );
}

/// A table of 300 rows and three columns (4, 3 and 6 cells) with dependent pairs, and a canary
/// row (0, 0, 0): in cells common enough to keep states of their own, so every measurement
/// sees it undiluted (the strongest position for the attacker).
fn table(canary: bool) -> Vec<Vec<u32>> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut c = Vec::new();
    for i in 0..300u32 {
        a.push(i % 3);
        b.push((i / 3) % 2);
        c.push((i % 3 + (i / 7) % 2) % 5);
    }
    if canary {
        a.push(0);
        b.push(0);
        c.push(0);
    }
    vec![a, b, c]
}

/// The whole fit's release, scored for the canary: `Σ_m (y_m − x_m) / σ_m²` over the released
/// measurements' cells holding the canary (x: the counts without it, which the auditor
/// knows), divided by its standard deviation `sqrt(Σ 1/σ_m²)`.
fn fit_runs(runs: usize, sensitivity: f64, seed: u64, canary: bool) -> Vec<f64> {
    let columns = vec![
        ColumnCells {
            cells: 4,
            ordered: 0..0,
        },
        ColumnCells {
            cells: 3,
            ordered: 0..0,
        },
        ColumnCells {
            cells: 6,
            ordered: 0..0,
        },
    ];
    let data = table(canary);
    let base = table(false);
    let cell = [0u32, 0, 0];
    let rho = rho_for(EPSILON, DELTA).expect("ρ");
    let mut config = MstConfig::new(rho);
    config.iterations = 5;
    config.sensitivity = sensitivity;
    let mut noise = seeded(seed);
    (0..runs)
        .map(|_| {
            let release = fit(&data, &columns, &config, &mut noise).expect("fit");
            let state_of = |column: usize, value: u32| {
                release.columns[column]
                    .states
                    .iter()
                    .position(|cells| cells.contains(&value))
                    .expect("every cell has a state") as u32
            };
            let (mut sum, mut weight) = (0.0, 0.0);
            for m in &release.measurements {
                // The canary's cell in this measurement, and the count without it.
                let mut index = 0usize;
                let mut stride = 1usize;
                let sizes: Vec<usize> = m
                    .columns
                    .iter()
                    .map(|&c| release.columns[c].states.len())
                    .collect();
                for (position, &column) in m.columns.iter().enumerate().rev() {
                    index += state_of(column, cell[column]) as usize * stride;
                    stride *= sizes[position];
                }
                let without = (0..base[0].len())
                    .filter(|&row| {
                        m.columns.iter().all(|&column| {
                            state_of(column, base[column][row]) == state_of(column, cell[column])
                        })
                    })
                    .count() as f64;
                let sigma2 = m.sigma[index] * m.sigma[index];
                sum += (m.counts[index] - without) / sigma2;
                weight += 1.0 / sigma2;
            }
            sum / weight.sqrt()
        })
        .collect()
}

#[test]
fn the_whole_fit_passes_the_audit_and_its_broken_twin_does_not() {
    let runs = 50_000;
    let thresholds = [2.0, 2.5, 3.0, 3.5, 4.0];
    let start = Instant::now();
    let sound = epsilon_lower_bound(
        &fit_runs(runs, 1.0, 11, true),
        &fit_runs(runs, 1.0, 12, false),
        &thresholds,
    );
    let broken = epsilon_lower_bound(
        &fit_runs(runs, 0.5, 13, true),
        &fit_runs(runs, 0.5, 14, false),
        &thresholds,
    );
    println!(
        "whole-fit audit: {runs} fits per side, ε ≥ {sound:.3} (sound), ε ≥ {broken:.3} \
         (sensitivity halved), claimed ε = {EPSILON} at δ = {DELTA:e}, {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(
        sound < EPSILON,
        "the sound fit's lower bound {sound} reaches ε = {EPSILON}"
    );
    assert!(
        broken > EPSILON,
        "the broken twin's lower bound {broken} does not pass ε = {EPSILON}"
    );
}
