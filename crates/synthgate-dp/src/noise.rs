//! Exact samplers for differential-privacy noise, in integer arithmetic only (Canonne, Kamath
//! and Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020, Algorithms 1-3):
//! no floating-point value ever decides a draw, so the output distribution is exactly the one
//! the privacy proof assumes (floating-point samplers leak through their rounding; Mironov,
//! CCS 2012).
//!
//! - [`Noise`] is where random bits come from. Releases use [`EntropyNoise`], which reads the
//!   operating system's CSPRNG through the front end's [`Entropy`]; only tests pass a seeded
//!   generator ([`SeededNoise`]). A public seed never reaches a noise draw.
//! - [`bernoulli_exp`] draws `Bernoulli(exp(-n/d))` for a rational exponent (Algorithm 1).
//! - [`discrete_laplace`] and [`discrete_gaussian`] (Algorithms 2 and 3).
//! - [`exponential_mechanism`] samples index `i` with probability proportional to
//!   `exp(ε·score_i/2)` for integer scores and a rational `ε`, by rejection with exact
//!   Bernoulli draws (at most as many expected rounds as candidates).

use synthgate_core::{Entropy, Error, Result};

/// A source of uniformly random 64-bit words.
pub trait Noise {
    /// The next uniformly random word.
    fn next_u64(&mut self) -> Result<u64>;
}

/// Random words from the operating system's CSPRNG (through the front end's [`Entropy`]), read
/// 512 bytes at a time.
#[derive(Debug)]
pub struct EntropyNoise {
    entropy: Entropy,
    buffer: [u8; 512],
    used: usize,
}

impl EntropyNoise {
    /// Noise read from `entropy`.
    pub fn new(entropy: Entropy) -> EntropyNoise {
        EntropyNoise {
            entropy,
            buffer: [0; 512],
            used: 512,
        }
    }
}

impl Noise for EntropyNoise {
    fn next_u64(&mut self) -> Result<u64> {
        if self.used + 8 > self.buffer.len() {
            self.entropy.fill(&mut self.buffer)?;
            self.used = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buffer[self.used..self.used + 8]);
        self.used += 8;
        Ok(u64::from_le_bytes(word))
    }
}

/// Random words from a seeded generator: for tests and audits only, never for a release
/// (whoever knows the seed could subtract the noise).
#[derive(Debug)]
pub struct SeededNoise<R>(pub R);

impl<R: rand_core::Rng> Noise for SeededNoise<R> {
    fn next_u64(&mut self) -> Result<u64> {
        Ok(self.0.next_u64())
    }
}

/// Rounds any one rejection loop may take before the noise source is called broken: each
/// round succeeds with probability at least about 1/(2e) for every input these samplers get
/// (at least 1/candidates for the exponential mechanism), so a sound source never comes near
/// it, and a source that repeats itself fails instead of hanging.
const MAX_ROUNDS: u64 = 50_000_000;

fn broken_source() -> Error {
    Error::environment(
        "the noise source gave no usable randomness (a rejection sampler ran 50 million \
         rounds without success): it repeats itself or is not random.",
    )
    .hint("Differential-privacy noise must come from the operating system's CSPRNG.")
}

fn overflow(what: &str) -> Error {
    Error::internal(format!(
        "an exact noise draw overflowed 128-bit integers ({what}); the noise scale is far \
         outside the supported range"
    ))
}

/// A uniform integer in `[0, n)`, `n > 0`, by rejection (no modulo bias).
pub fn uniform_below(noise: &mut dyn Noise, n: u128) -> Result<u128> {
    if n == 0 {
        return Err(Error::internal("uniform_below(0)"));
    }
    if n == 1 {
        return Ok(0);
    }
    // Accept draws below the largest multiple of n that fits.
    let limit = u128::MAX - (u128::MAX % n + 1) % n;
    for _ in 0..MAX_ROUNDS {
        let word = (u128::from(noise.next_u64()?) << 64) | u128::from(noise.next_u64()?);
        if word <= limit {
            return Ok(word % n);
        }
    }
    Err(broken_source())
}

/// `Bernoulli(numerator / denominator)`, `0 <= numerator <= denominator`, `denominator > 0`.
pub fn bernoulli(noise: &mut dyn Noise, numerator: u128, denominator: u128) -> Result<bool> {
    if denominator == 0 || numerator > denominator {
        return Err(Error::internal("bernoulli: not a probability"));
    }
    Ok(uniform_below(noise, denominator)? < numerator)
}

/// `Bernoulli(exp(-γ))` for `γ = numerator / denominator` in `[0, 1]` (Algorithm 1, first case).
fn bernoulli_exp_unit(noise: &mut dyn Noise, numerator: u128, denominator: u128) -> Result<bool> {
    for k in 1..=u128::from(MAX_ROUNDS) {
        let scaled = denominator
            .checked_mul(k)
            .ok_or_else(|| overflow("Bernoulli(exp)"))?;
        if !bernoulli(noise, numerator, scaled)? {
            return Ok(k % 2 == 1);
        }
    }
    Err(broken_source())
}

/// `Bernoulli(exp(-γ))` for a rational `γ = numerator / denominator >= 0` (Algorithm 1).
pub fn bernoulli_exp(noise: &mut dyn Noise, numerator: u128, denominator: u128) -> Result<bool> {
    if denominator == 0 {
        return Err(Error::internal("bernoulli_exp: zero denominator"));
    }
    let mut remaining = numerator;
    while remaining > denominator {
        if !bernoulli_exp_unit(noise, 1, 1)? {
            return Ok(false);
        }
        remaining -= denominator;
    }
    bernoulli_exp_unit(noise, remaining, denominator)
}

/// A draw of the discrete Laplace distribution with scale `t / s`: `P(x) ∝ exp(-|x|·s/t)`
/// (Algorithm 2), `s, t >= 1`.
pub fn discrete_laplace(noise: &mut dyn Noise, s: u128, t: u128) -> Result<i128> {
    if s == 0 || t == 0 {
        return Err(Error::internal("discrete_laplace: zero parameter"));
    }
    for _ in 0..MAX_ROUNDS {
        let u = uniform_below(noise, t)?;
        if !bernoulli_exp(noise, u, t)? {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(noise, 1, 1)? {
            v += 1;
            if v > u128::from(MAX_ROUNDS) {
                return Err(broken_source());
            }
        }
        let x = v
            .checked_mul(t)
            .and_then(|x| x.checked_add(u))
            .ok_or_else(|| overflow("discrete Laplace"))?;
        let y = x / s;
        let negative = bernoulli(noise, 1, 2)?;
        if negative && y == 0 {
            continue;
        }
        let y = i128::try_from(y).map_err(|_| overflow("discrete Laplace"))?;
        return Ok(if negative { -y } else { y });
    }
    Err(broken_source())
}

/// A variance as an exact fraction: `numerator / denominator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variance {
    /// The numerator.
    pub numerator: u128,
    /// The denominator.
    pub denominator: u128,
}

/// Denominator of the variances [`Variance::at_least`] makes.
const VARIANCE_DENOMINATOR: u128 = 1 << 16;

impl Variance {
    /// The smallest fraction with denominator 2^16 that is at least `sigma2` (rounded up, and up
    /// once more to absorb any floating-point error in `sigma2` itself), so the noise is never
    /// smaller than the privacy analysis asked for.
    pub fn at_least(sigma2: f64) -> Result<Variance> {
        if !sigma2.is_finite() || sigma2 <= 0.0 || sigma2 > 1e12 {
            return Err(Error::internal(format!(
                "noise variance {sigma2} is outside the supported range (0, 1e12]"
            )));
        }
        let scaled = libm::ceil(sigma2 * VARIANCE_DENOMINATOR as f64) as u128 + 1;
        Ok(Variance {
            numerator: scaled,
            denominator: VARIANCE_DENOMINATOR,
        })
    }

    /// The variance as a float (for reports and the accountant).
    pub fn value(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// A draw of the discrete Gaussian `N_Z(0, σ²)`: `P(x) ∝ exp(-x²/(2σ²))` on the integers
/// (Algorithm 3).
pub fn discrete_gaussian(noise: &mut dyn Noise, variance: Variance) -> Result<i128> {
    let Variance {
        numerator: n,
        denominator: d,
    } = variance;
    if n == 0 || d == 0 {
        return Err(Error::internal("discrete_gaussian: zero variance"));
    }
    // t = floor(σ) + 1, σ = sqrt(n / d): the largest k with k²·d <= n, plus one.
    let mut k = libm::floor(libm::sqrt(n as f64 / d as f64)) as u128;
    while k > 0 && k * k * d > n {
        k -= 1;
    }
    while (k + 1) * (k + 1) * d <= n {
        k += 1;
    }
    let t = k + 1;
    for _ in 0..MAX_ROUNDS {
        let y = discrete_laplace(noise, 1, t)?;
        // Accept with probability exp(-(|y| - σ²/t)² / (2σ²)) = exp(-(|y|·t·d - n)² / (2·n·d·t²)).
        let magnitude = y.unsigned_abs();
        let scaled = magnitude
            .checked_mul(t)
            .and_then(|v| v.checked_mul(d))
            .ok_or_else(|| overflow("discrete Gaussian"))?;
        let difference = scaled.abs_diff(n);
        let numerator = difference
            .checked_mul(difference)
            .ok_or_else(|| overflow("discrete Gaussian"))?;
        let denominator = 2u128
            .checked_mul(n)
            .and_then(|v| v.checked_mul(d))
            .and_then(|v| v.checked_mul(t))
            .and_then(|v| v.checked_mul(t))
            .ok_or_else(|| overflow("discrete Gaussian"))?;
        if bernoulli_exp(noise, numerator, denominator)? {
            return Ok(y);
        }
    }
    Err(broken_source())
}

/// A positive rational number `numerator / denominator`, such as an ε for the exponential
/// mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rational {
    /// The numerator.
    pub numerator: u128,
    /// The denominator.
    pub denominator: u128,
}

impl Rational {
    /// The largest fraction with denominator 2^20 that is at most `value` (rounded down, and
    /// down once more for floating-point error): a privacy parameter rounded this way never
    /// spends more than asked.
    pub fn at_most(value: f64) -> Result<Rational> {
        if !value.is_finite() || value <= 0.0 || value > 1e6 {
            return Err(Error::internal(format!(
                "privacy parameter {value} is outside the supported range (0, 1e6]"
            )));
        }
        let denominator: u128 = 1 << 20;
        let numerator = (libm::floor(value * denominator as f64) as u128).saturating_sub(1);
        if numerator == 0 {
            return Err(Error::internal(format!(
                "privacy parameter {value} is too small"
            )));
        }
        Ok(Rational {
            numerator,
            denominator,
        })
    }

    /// The value as a float.
    pub fn value(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// The exponential mechanism (McSherry and Talwar 2007) for integer `scores` of sensitivity 1:
/// index `i` with probability proportional to `exp(epsilon·scores[i]/2)`. It is
/// `epsilon`-DP and `epsilon²/8`-zCDP (Cesar and Rogers 2021, bounded range). Sampled exactly:
/// a uniform candidate is accepted with probability `exp(-epsilon·(max - score)/2)`.
pub fn exponential_mechanism(
    noise: &mut dyn Noise,
    scores: &[i64],
    epsilon: Rational,
) -> Result<usize> {
    let Some(&best) = scores.iter().max() else {
        return Err(Error::internal("exponential mechanism over no candidates"));
    };
    for _ in 0..MAX_ROUNDS {
        let index = uniform_below(noise, scores.len() as u128)? as usize;
        let gap = u128::try_from(best - scores[index])
            .map_err(|_| Error::internal("exponential mechanism: negative gap"))?;
        let numerator = epsilon
            .numerator
            .checked_mul(gap)
            .ok_or_else(|| overflow("exponential mechanism"))?;
        let denominator = epsilon
            .denominator
            .checked_mul(2)
            .ok_or_else(|| overflow("exponential mechanism"))?;
        if bernoulli_exp(noise, numerator, denominator)? {
            return Ok(index);
        }
    }
    Err(broken_source())
}
