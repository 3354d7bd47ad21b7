//! Zero-concentrated DP accounting (Bun and Steinke, TCC 2016): measurements compose by adding
//! their ρ, and a total ρ converts to (ε, δ)-DP by the tight conversion of Canonne, Kamath and
//! Steinke (NeurIPS 2020, Corollary 13), the one OpenDP's `make_zCDP_to_approxDP` uses:
//!
//! `ε(ρ, δ) = inf over α > 1 of  αρ + (ln(1/δ) + (α−1)·ln(1−1/α) − ln α) / (α−1)`.
//!
//! The infimum sits where the derivative `ρ + ln(αδ)/(α−1)²` changes sign, found by bisection.
//! [`rho_for`] inverts it: the largest ρ whose ε at δ is at most the asked ε.
//!
//! The Gaussian mechanism on an integer query of L2 sensitivity Δ with discrete Gaussian noise
//! of variance σ² is `Δ²/(2σ²)`-zCDP (CKS 2020, Theorem 4); [`gaussian_rho`] and
//! [`gaussian_variance`] convert between the two.

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};

/// ε at `delta` of a `rho`-zCDP mechanism (CKS 2020, Corollary 13).
pub fn epsilon(rho: f64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if !rho.is_finite() || rho < 0.0 {
        return Err(Error::usage(format!(
            "ρ must be a finite number >= 0, not {rho}."
        )));
    }
    if rho == 0.0 {
        return Ok(0.0);
    }
    let log_inverse_delta = -libm::log(delta);
    let value = |alpha: f64| {
        alpha * rho
            + (log_inverse_delta + (alpha - 1.0) * libm::log1p(-1.0 / alpha) - libm::log(alpha))
                / (alpha - 1.0)
    };
    // The derivative is positive past the minimum.
    let rising =
        |alpha: f64| rho + libm::log(alpha * delta) / ((alpha - 1.0) * (alpha - 1.0)) > 0.0;
    let mut low = 1.0 + 1e-9;
    let mut high = 2.0;
    while !rising(high) {
        high *= 2.0;
        if high > 1e15 {
            break;
        }
    }
    for _ in 0..200 {
        let middle = low + (high - low) / 2.0;
        if middle <= low || middle >= high {
            break;
        }
        if rising(middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    // Any α gives a valid ε; the bisection's two ends bracket the best one.
    Ok(value(low).min(value(high)).max(0.0))
}

/// The largest ρ whose ε at `delta` is at most `epsilon`.
pub fn rho_for(epsilon_wanted: f64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if !epsilon_wanted.is_finite() || epsilon_wanted <= 0.0 {
        return Err(Error::usage(format!(
            "ε must be a finite number > 0, not {epsilon_wanted}."
        ))
        .hint("Typical values are 0.1 to 10; smaller is more private."));
    }
    // ε(ρ) >= ρ, so ρ = ε is an upper end.
    let mut low = 0.0;
    let mut high = epsilon_wanted;
    for _ in 0..200 {
        let middle = low + (high - low) / 2.0;
        if middle <= low || middle >= high {
            break;
        }
        if epsilon(middle, delta)? <= epsilon_wanted {
            low = middle;
        } else {
            high = middle;
        }
    }
    if low <= 0.0 {
        return Err(Error::usage(format!(
            "ε = {epsilon_wanted} at δ = {delta} leaves no budget to spend."
        )));
    }
    Ok(low)
}

fn check_delta(delta: f64) -> Result<()> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(
            Error::usage(format!("δ must be strictly between 0 and 1, not {delta}."))
                .hint("Choose δ far below 1/rows, such as 1e-9."),
        );
    }
    Ok(())
}

/// ρ of the Gaussian mechanism with noise variance `variance` on a query of L2 `sensitivity`.
pub fn gaussian_rho(sensitivity: f64, variance: f64) -> f64 {
    sensitivity * sensitivity / (2.0 * variance)
}

/// The noise variance the Gaussian mechanism needs for `rho`-zCDP at L2 `sensitivity`.
pub fn gaussian_variance(sensitivity: f64, rho: f64) -> f64 {
    sensitivity * sensitivity / (2.0 * rho)
}

/// One charge against a fit's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spend {
    /// What was measured or selected, in words.
    pub what: String,
    /// The mechanism: `discrete_gaussian` or `exponential`.
    pub mechanism: String,
    /// Its ρ (zCDP).
    pub rho: f64,
}

/// Adds up the ρ of every measurement of one fit and refuses any that would pass the limit.
#[derive(Debug, Clone)]
pub struct Accountant {
    limit: f64,
    spends: Vec<Spend>,
}

impl Accountant {
    /// An accountant that allows `limit` ρ in all.
    pub fn new(limit: f64) -> Accountant {
        Accountant {
            limit,
            spends: Vec::new(),
        }
    }

    /// Record a spend; refused (an internal error: the mechanism planned its budget wrongly)
    /// when it would take the total past the limit.
    pub fn charge(&mut self, what: &str, mechanism: &str, rho: f64) -> Result<()> {
        if !(rho.is_finite() && rho > 0.0) {
            return Err(Error::internal(format!("a spend of ρ = {rho} for {what}")));
        }
        let total = self.spent() + rho;
        if total > self.limit * (1.0 + 1e-12) {
            return Err(Error::internal(format!(
                "{what} would spend ρ = {rho}, taking the fit's total to {total}, past its \
                 budget of {}",
                self.limit
            )));
        }
        self.spends.push(Spend {
            what: what.to_string(),
            mechanism: mechanism.to_string(),
            rho,
        });
        Ok(())
    }

    /// ρ spent so far.
    pub fn spent(&self) -> f64 {
        self.spends.iter().map(|spend| spend.rho).sum()
    }

    /// Every spend, in order.
    pub fn spends(&self) -> &[Spend] {
        &self.spends
    }
}

/// What a differentially private release guarantees, as every file that describes it states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyStatement {
    /// The mechanism, with the paper it follows.
    pub mechanism: String,
    /// ε at `delta` of the ρ spent (CKS 2020, Corollary 13).
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
    /// ρ (zCDP) spent by every measurement together.
    pub rho: f64,
    /// ρ the fit was allowed (from the asked ε and δ); `rho` is at most this.
    pub rho_budget: f64,
    /// The ε the user asked for.
    pub epsilon_budget: f64,
    /// The unit of privacy.
    pub unit: String,
    /// Where the noise came from.
    pub noise_source: String,
    /// What the statement covers and what it does not.
    pub scope: String,
    /// Every spend, in order.
    pub spends: Vec<Spend>,
}

/// The unit of privacy every fit protects.
pub const UNIT_OF_PRIVACY: &str = "one row of the training table, under add/remove neighbours (a table with several rows per \
     person protects each row, not each person)";

/// What the statement covers.
pub const SCOPE: &str = "the model file (noisy measurements and the graphical model) and every \
     row sampled from it; not the evaluation report's real-data values, the drift profile or \
     anything else computed from the real rows";
