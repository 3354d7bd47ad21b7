//! Portable sampling primitives: only integer and basic floating-point operations, so draws
//! are identical on every platform.

/// Cumulative sums of `weights`, normalised so the last is 1.
pub(crate) fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut running = 0.0;
    let mut out = Vec::with_capacity(weights.len());
    for weight in weights {
        running += weight;
        out.push(if total > 0.0 { running / total } else { 0.0 });
    }
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

/// The index drawn by uniform `u` in `[0, 1)` from a cumulative distribution.
pub(crate) fn draw(cumulative: &[f64], u: f64) -> usize {
    let index = cumulative.partition_point(|&edge| edge <= u);
    index.min(cumulative.len().saturating_sub(1))
}

/// The point a fraction `t` (in 0..=1) of the way from `a` to `b`: `a + (b - a) * t`, the
/// formula the models were fitted and sampled with, unless `b - a` overflows (values near
/// ±`f64::MAX` on both sides), where the form that cannot overflow is used instead, so a model
/// never holds or draws an infinity or NaN from finite data.
pub(crate) fn between(a: f64, b: f64, t: f64) -> f64 {
    let step = b - a;
    if step.is_finite() {
        a + step * t
    } else {
        a * (1.0 - t) + b * t
    }
}

/// The value at uniform `u` of a piecewise-linear quantile function through `quantiles`
/// (equally spaced probabilities from 0 to 1).
pub(crate) fn interpolate(quantiles: &[f64], u: f64) -> f64 {
    match quantiles.len() {
        0 => f64::NAN,
        1 => quantiles[0],
        n => {
            let position = u * (n - 1) as f64;
            let below = (position as usize).min(n - 2);
            let fraction = position - below as f64;
            between(quantiles[below], quantiles[below + 1], fraction)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_weights() {
        let cumulative = cumulative(&[1.0, 0.0, 3.0]);
        assert_eq!(cumulative, vec![0.25, 0.25, 1.0]);
        assert_eq!(draw(&cumulative, 0.0), 0);
        assert_eq!(draw(&cumulative, 0.2499), 0);
        assert_eq!(draw(&cumulative, 0.25), 2);
        assert_eq!(draw(&cumulative, 0.9999), 2);
    }

    #[test]
    fn interpolation_is_piecewise_linear() {
        let quantiles = [0.0, 10.0, 30.0];
        assert_eq!(interpolate(&quantiles, 0.0), 0.0);
        assert_eq!(interpolate(&quantiles, 0.25), 5.0);
        assert_eq!(interpolate(&quantiles, 0.75), 20.0);
        assert!((interpolate(&quantiles, 0.999_999) - 30.0).abs() < 1e-3);
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(between(-f64::MAX, f64::MAX, 0.5), 0.0);
        assert_eq!(between(-f64::MAX, f64::MAX, 0.0), -f64::MAX);
        assert_eq!(between(-f64::MAX, f64::MAX, 1.0), f64::MAX);
        assert!(interpolate(&[-f64::MAX, f64::MAX], 0.3).is_finite());
        assert_eq!(between(1.0, 3.0, 0.25), 1.0 + 2.0 * 0.25);
    }
}
