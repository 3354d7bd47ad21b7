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

use std::collections::HashMap;

use rayon::prelude::*;

use crate::Prepared;
use crate::pairs::PairColumn;

const MISSING: u32 = u32::MAX;

/// One column of both tables in the form the distance needs.
enum Encoded {
    Numeric {
        dataset: Vec<f64>,
        reference: Vec<f64>,
        range: f64,
    },
    Codes {
        dataset: Vec<u32>,
        reference: Vec<u32>,
    },
}

fn encode(dataset: &Prepared, reference: &Prepared) -> Vec<Encoded> {
    dataset
        .columns
        .iter()
        .zip(&reference.columns)
        .map(|(d, r)| match (d, r) {
            (PairColumn::Continuous(d), PairColumn::Continuous(r)) => {
                let present = r.iter().filter(|v| !v.is_nan());
                let (low, high) = present
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    });
                Encoded::Numeric {
                    dataset: d.clone(),
                    reference: r.clone(),
                    range: if low <= high { high - low } else { f64::NAN },
                }
            }
            (d, r) => {
                let (d, r) = (discrete(d), discrete(r));
                let mut codes: HashMap<&str, u32> = HashMap::new();
                Encoded::Codes {
                    dataset: d.iter().map(|value| code_of(&mut codes, value)).collect(),
                    reference: r.iter().map(|value| code_of(&mut codes, value)).collect(),
                }
            }
        })
        .collect()
}

/// The code of a category, assigned in order of first appearance ([`MISSING`] for missing).
fn code_of<'a>(codes: &mut HashMap<&'a str, u32>, value: &'a Option<String>) -> u32 {
    match value {
        None => MISSING,
        Some(text) => {
            let next = codes.len() as u32;
            *codes.entry(text.as_str()).or_insert(next)
        }
    }
}

fn discrete(column: &PairColumn) -> &[Option<String>] {
    match column {
        PairColumn::Discrete(values) => values,
        PairColumn::Continuous(_) => &[],
    }
}

fn numeric_difference(a: f64, b: f64, range: f64) -> f64 {
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
