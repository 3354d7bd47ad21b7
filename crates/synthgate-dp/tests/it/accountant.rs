//! The accountant against reference values OpenDP 0.16 computed (`bench/fixtures_opendp.py`
//! writes `tests/fixtures/opendp.json`).

use serde_json::Value;
use synthgate_dp::accountant::{epsilon, gaussian_rho, gaussian_variance, rho_for};

fn fixture() -> Value {
    let text = include_str!("../fixtures/opendp.json");
    serde_json::from_str(text).expect("the fixture is JSON")
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * b.abs().max(1e-300)
}

/// The Gaussian mechanism's ρ for a noise scale and sensitivity is OpenDP's.
#[test]
fn gaussian_rho_matches_opendp() {
    let fixture = fixture();
    let cases = fixture["gaussian"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        let sigma = case["sigma"].as_f64().expect("sigma");
        let sensitivity = case["sensitivity"].as_f64().expect("sensitivity");
        let reference = case["rho"].as_f64().expect("rho");
        let ours = gaussian_rho(sensitivity, sigma * sigma);
        assert!(
            close(ours, reference, 1e-9),
            "σ {sigma}, Δ {sensitivity}: {ours} vs OpenDP {reference}"
        );
        // And back: the variance for that ρ is σ².
        let variance = gaussian_variance(sensitivity, reference);
        assert!(close(variance, sigma * sigma, 1e-9));
    }
}

/// ε at δ of a ρ-zCDP mechanism is OpenDP's `make_zCDP_to_approxDP` (CKS 2020, Corollary 13),
/// and `rho_for` inverts it: the largest ρ whose ε is at most the reference ε.
#[test]
fn conversion_matches_opendp() {
    let fixture = fixture();
    let cases = fixture["conversion"].as_array().expect("cases");
    assert!(cases.len() >= 10);
    for case in cases {
        let rho = case["rho"].as_f64().expect("rho");
        let delta = case["delta"].as_f64().expect("delta");
        let reference = case["epsilon"].as_f64().expect("epsilon");
        let ours = epsilon(rho, delta).expect("epsilon");
        // OpenDP rounds its arithmetic outwards; the two agree to far below any ε that matters.
        assert!(
            close(ours, reference, 1e-6),
            "ρ {rho}, δ {delta}: ε {ours} vs OpenDP {reference}"
        );
        let back = rho_for(reference, delta).expect("rho");
        assert!(
            close(back, rho, 1e-6),
            "ρ for ε {reference}: {back} vs {rho}"
        );
        assert!(epsilon(back, delta).expect("epsilon") <= reference * (1.0 + 1e-12));
    }
}

/// The conversion is tighter than the simple bound ρ + 2·sqrt(ρ·ln(1/δ)) (Bun and Steinke
/// 2016, Proposition 1.3), as CKS 2020 shows, and never below ρ.
#[test]
fn conversion_is_tighter_than_the_simple_bound() {
    for rho in [0.001, 0.01, 0.1, 1.0] {
        for delta in [1e-5, 1e-9] {
            let tight = epsilon(rho, delta).expect("epsilon");
            let simple = rho + 2.0 * (rho * (1.0f64 / delta).ln()).sqrt();
            assert!(tight < simple, "ρ {rho}: {tight} vs {simple}");
            assert!(tight > rho);
        }
    }
}

/// Bad budgets are usage errors, not panics.
#[test]
fn bad_parameters_are_refused() {
    assert!(rho_for(0.0, 1e-9).is_err());
    assert!(rho_for(-1.0, 1e-9).is_err());
    assert!(rho_for(f64::NAN, 1e-9).is_err());
    assert!(rho_for(1.0, 0.0).is_err());
    assert!(rho_for(1.0, 1.0).is_err());
    assert!(epsilon(-0.1, 1e-9).is_err());
}
