//! Portable sampling primitives: only integer and basic floating-point operations, so draws
//! are identical on every platform.

use serde::{Deserialize, Serialize};

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

/// A numeric distribution in which the values many training rows hold (point masses) are drawn
/// exactly, with their share, and the values between them by linear interpolation between
/// quantiles, so a value such as 40 hours a week or a capital gain of 0 is not smeared into its
/// neighbours. Its quantile function is monotone, so a copula can use it as a marginal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Mixed {
    /// The cumulative probability at the end of each part (the last is 1).
    ends: Vec<f64>,
    /// The parts, in value order.
    parts: Vec<Part>,
}

/// One part of a [`Mixed`] distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Part {
    /// A point mass, drawn exactly.
    Point(f64),
    /// Values between point masses: quantiles at equally spaced probabilities.
    Spread(Vec<f64>),
}

/// Quantiles of `sorted` at `count` equally spaced probabilities from 0 to 1 (all of them when
/// there are no more than `count`).
pub(crate) fn quantiles_of(sorted: &[f64], count: usize) -> Vec<f64> {
    if sorted.len() <= count {
        return sorted.to_vec();
    }
    (0..count)
        .map(|k| {
            let position = k as f64 / (count - 1) as f64 * (sorted.len() - 1) as f64;
            let below = position.floor() as usize;
            let above = position.ceil() as usize;
            between(sorted[below], sorted[above], position - below as f64)
        })
        .collect()
}

impl Mixed {
    /// The distribution of `sorted` (present values, ascending) in which the values listed in
    /// `masses` (ascending) are point masses; the rest keep about `budget` quantiles in all,
    /// shared between the stretches between point masses by their number of values. A stretch
    /// of one value spreads to the midpoints towards its neighbouring point masses, so a value
    /// few rows hold is not copied.
    pub(crate) fn new(sorted: &[f64], masses: &[f64], budget: usize) -> Mixed {
        let is_mass = |value: f64| masses.binary_search_by(|m| m.total_cmp(&value)).is_ok();
        // Runs of equal values, then stretches: a point mass, or the values between two.
        let mut stretches: Vec<(bool, usize, usize)> = Vec::new();
        let mut start = 0;
        while start < sorted.len() {
            let mut end = start + 1;
            while end < sorted.len() && sorted[end] == sorted[start] {
                end += 1;
            }
            let mass = is_mass(sorted[start]);
            match stretches.last_mut() {
                Some((false, _, last_end)) if !mass => *last_end = end,
                _ => stretches.push((mass, start, end)),
            }
            start = end;
        }
        let spread_rows: usize = stretches
            .iter()
            .filter(|(mass, _, _)| !mass)
            .map(|(_, start, end)| end - start)
            .sum();
        let total = sorted.len() as f64;
        let mut ends = Vec::with_capacity(stretches.len());
        let mut parts = Vec::with_capacity(stretches.len());
        for (index, &(mass, start, end)) in stretches.iter().enumerate() {
            let values = &sorted[start..end];
            let part = if mass {
                Part::Point(values[0])
            } else if values.len() == 1 || values[0] == values[values.len() - 1] {
                let value = values[0];
                let neighbour = |at: Option<&(bool, usize, usize)>| match at {
                    Some(&(true, start, _)) => between(value, sorted[start], 0.5),
                    _ => value,
                };
                let low = neighbour(index.checked_sub(1).and_then(|i| stretches.get(i)));
                let high = neighbour(stretches.get(index + 1));
                Part::Spread(vec![low, high])
            } else {
                let share = budget as f64 * values.len() as f64 / spread_rows.max(1) as f64;
                Part::Spread(quantiles_of(values, (share.round() as usize).max(2)))
            };
            ends.push(end as f64 / total);
            parts.push(part);
        }
        if let Some(last) = ends.last_mut() {
            *last = 1.0;
        }
        Mixed { ends, parts }
    }

    /// The value at uniform `u` in `[0, 1)` (NaN when empty).
    pub(crate) fn quantile(&self, u: f64) -> f64 {
        let Some(index) = self.part_at(u) else {
            return f64::NAN;
        };
        let start = self.start_of(index);
        let width = self.ends[index] - start;
        let within = if width > 0.0 {
            ((u - start) / width).clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.value_in(index, within)
    }

    /// The value of the part that uniform `part` in `[0, 1)` falls in, at `within` (in 0..=1)
    /// of that part's quantiles: the part (a point mass, or the values between two) chosen by
    /// one uniform and the value between quantiles by another, so the parts can be drawn on
    /// stratified uniforms while the values between masses stay independent draws.
    pub(crate) fn in_part(&self, part: f64, within: f64) -> f64 {
        match self.part_at(part) {
            Some(index) => self.value_in(index, within),
            None => f64::NAN,
        }
    }

    fn part_at(&self, u: f64) -> Option<usize> {
        (!self.parts.is_empty()).then(|| {
            self.ends
                .partition_point(|&end| end <= u)
                .min(self.parts.len() - 1)
        })
    }

    fn start_of(&self, index: usize) -> f64 {
        if index == 0 {
            0.0
        } else {
            self.ends[index - 1]
        }
    }

    fn value_in(&self, index: usize, within: f64) -> f64 {
        match &self.parts[index] {
            Part::Point(value) => *value,
            Part::Spread(quantiles) => interpolate(quantiles, within),
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

    #[test]
    fn point_masses_are_drawn_exactly_with_their_share() {
        // 40 is held by 6 of 10 values, 0 by 2; 35 and 50 by one each.
        let sorted = [0.0, 0.0, 35.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 50.0];
        let mixed = Mixed::new(&sorted, &[0.0, 40.0], 65);
        let draws: Vec<f64> = (0..1000)
            .map(|i| mixed.quantile(i as f64 / 1000.0))
            .collect();
        let share = |v: f64| draws.iter().filter(|d| **d == v).count();
        assert_eq!(share(0.0), 200);
        assert_eq!(share(40.0), 600);
        // 35 spreads between the masses' midpoints, 50 from the midpoint to itself: neither is
        // copied more than by chance, and nothing falls outside the training range.
        assert!(draws.iter().all(|d| (0.0..=50.0).contains(d)));
        assert!(draws.iter().any(|d| *d > 17.5 && *d < 37.5 && *d != 35.0));
        // Monotone, so a copula can use it.
        assert!(draws.windows(2).all(|w| w[0] <= w[1]));
        // Drawn by part and then within it: the same masses, the values between from `within`.
        assert_eq!(mixed.in_part(0.1, 0.9), 0.0);
        assert_eq!(mixed.in_part(0.5, 0.3), 40.0);
        assert!((mixed.in_part(0.25, 0.5) - mixed.quantile(0.25)).abs() < 1e-9);
        assert_eq!(mixed.in_part(0.2, 0.0), mixed.quantile(0.2));
        // Without masses it is the plain quantile function.
        let plain = Mixed::new(&sorted, &[], 65);
        assert_eq!(plain.quantile(0.5), interpolate(&sorted, 0.5));
    }
}
