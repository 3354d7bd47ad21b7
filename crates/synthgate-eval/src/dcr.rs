//! Distance to closest record, exactly as SDMetrics 0.32's `calculate_dcr`
//! (`sdmetrics/single_table/privacy/dcr_utils.py`) defines it: the distance between two rows is
//! the mean over the scored columns of
//!
//! - numerical and datetime: `min(|a − b| / range, 1)` with `range = max − min` of the
//!   **reference** table's column (`|a − b| > 0` as 0/1 when the range is 0); 1 when exactly
//!   one side is missing, 0 when both are;
//! - categorical and boolean: 0 when equal (missing equals missing), else 1;
//!
//! and a row's DCR is its smallest distance to any reference row. The search is exact (every
//! reference row is compared), since an approximate search would understate the risk.

use rayon::prelude::*;

use crate::Prepared;
use crate::values::Column;

/// One column of both tables in the form the distance needs.
enum Encoded<'a> {
    Numeric {
        dataset: &'a [f64],
        reference: &'a [f64],
        range: f64,
    },
    Codes {
        dataset: &'a [u32],
        reference: &'a [u32],
    },
}

/// `max − min` of the present values (`NaN` when there are none).
pub(crate) fn value_range(values: &[f64]) -> f64 {
    let (low, high) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if low <= high { high - low } else { f64::NAN }
}

fn encode<'a>(dataset: &'a Prepared, reference: &'a Prepared) -> Vec<Encoded<'a>> {
    dataset
        .columns
        .iter()
        .zip(&reference.columns)
        .map(|(d, r)| match (d, r) {
            (Column::Continuous(d), Column::Continuous(r)) => Encoded::Numeric {
                dataset: d,
                reference: r,
                range: value_range(r),
            },
            (Column::Discrete(d), Column::Discrete(r)) => Encoded::Codes {
                dataset: d,
                reference: r,
            },
            _ => Encoded::Codes {
                dataset: &[],
                reference: &[],
            },
        })
        .collect()
}

pub(crate) fn numeric_difference(a: f64, b: f64, range: f64) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0.0,
        (true, false) | (false, true) => 1.0,
        _ if range.is_nan() => 0.0,
        _ if range == 0.0 => f64::from(u8::from((a - b).abs() > 0.0)),
        _ => ((a - b).abs() / range).min(1.0),
    }
}

/// The DCR of every `dataset` row against `reference` (both prepared under one schema).
pub fn distances_to_closest(dataset: &Prepared, reference: &Prepared) -> Vec<f64> {
    let columns = encode(dataset, reference);
    let width = columns.len().max(1) as f64;
    (0..dataset.rows())
        .into_par_iter()
        .map(|row| {
            let mut best = f64::INFINITY;
            for other in 0..reference.rows() {
                // Sum in column order; stop as soon as this row cannot beat the best.
                let mut total = 0.0;
                for column in &columns {
                    total += match column {
                        Encoded::Numeric {
                            dataset,
                            reference,
                            range,
                        } => numeric_difference(dataset[row], reference[other], *range),
                        Encoded::Codes { dataset, reference } => {
                            f64::from(u8::from(dataset[row] != reference[other]))
                        }
                    };
                    if total / width >= best {
                        break;
                    }
                }
                best = best.min(total / width);
                if best == 0.0 {
                    break;
                }
            }
            best
        })
        .collect()
}

/// SDMetrics' `DCROverfittingProtection` breakdown `closer_to_training`: the share of
/// synthetic rows strictly closer to a training row than to any holdout row (ties count as
/// closer to the holdout).
pub fn closer_to_training(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
) -> (f64, Vec<bool>) {
    let to_train = distances_to_closest(synthetic, train);
    let to_holdout = distances_to_closest(synthetic, holdout);
    let closer: Vec<bool> = to_train
        .iter()
        .zip(&to_holdout)
        .map(|(t, h)| t < h)
        .collect();
    let share = closer.iter().filter(|&&c| c).count() as f64 / closer.len().max(1) as f64;
    (share, closer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_differences_follow_sdmetrics() {
        assert_eq!(numeric_difference(1.0, 3.0, 4.0), 0.5);
        assert_eq!(numeric_difference(1.0, 30.0, 4.0), 1.0);
        assert_eq!(numeric_difference(f64::NAN, 3.0, 4.0), 1.0);
        assert_eq!(numeric_difference(f64::NAN, f64::NAN, 4.0), 0.0);
        assert_eq!(numeric_difference(2.0, 2.0, 0.0), 0.0);
        assert_eq!(numeric_difference(2.0, 3.0, 0.0), 1.0);
    }
}
