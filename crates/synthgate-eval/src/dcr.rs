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

use crate::Prepared;
use crate::nearest::NearestIndex;

/// The DCR of every `dataset` row against `reference` (both prepared together), by the exact
/// search of [`NearestIndex`].
pub fn distances_to_closest(dataset: &Prepared, reference: &Prepared) -> Vec<f64> {
    NearestIndex::new(reference).closest(dataset)
}

/// SDMetrics' `DCROverfittingProtection` breakdown `closer_to_training`: the share of
/// synthetic rows strictly closer to a training row than to any holdout row (ties count as
/// closer to the holdout).
pub fn closer_to_training(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
) -> (f64, Vec<bool>) {
    let (share, closer, _) = closer_to_training_with_distances(train, holdout, synthetic);
    (share, closer)
}

/// [`closer_to_training`], with each synthetic row's distance to the closest training row.
pub fn closer_to_training_with_distances(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
) -> (f64, Vec<bool>, Vec<f64>) {
    let to_train = distances_to_closest(synthetic, train);
    let to_holdout = distances_to_closest(synthetic, holdout);
    let closer: Vec<bool> = to_train
        .iter()
        .zip(&to_holdout)
        .map(|(t, h)| t < h)
        .collect();
    let share = closer.iter().filter(|&&c| c).count() as f64 / closer.len().max(1) as f64;
    (share, closer, to_train)
}
