//! Metrics of a reference between two tables (issue 15), as SDMetrics 0.32 defines them, on
//! key texts (`synthgate_core::Table::composite_keys`: one text per row, `None` when missing).
//!
//! - [`cardinality_shape`] is SDMetrics' `CardinalityShapeSimilarity` for one relationship
//!   (`sdmetrics/multi_table/statistical/cardinality_shape_similarity.py` with
//!   `sdmetrics/utils.py: get_cardinality_distribution`): for every parent row, the number of
//!   child rows whose key equals its key (0 for none), in the real tables and in the synthetic
//!   ones; the score is `1 − D`, D the two-sample Kolmogorov–Smirnov statistic of the two
//!   distributions. SDMetrics' `compute` averages relationships keyed by (parent, child) table
//!   pair, so of two references between the same two tables it keeps the last; Synthgate
//!   reports every reference.
//! - [`referential_integrity`] is SDMetrics' `ReferentialIntegrity`
//!   (`sdmetrics/column_pairs/statistical/referential_integrity.py`): the share of synthetic
//!   child rows whose key names a synthetic parent row; rows with a missing key are left out
//!   when the real child column has missing values too (a single-column key), else they count
//!   as unresolved.

use std::collections::{HashMap, HashSet};

use crate::shapes::ks_complement;

/// For every parent row, how many child rows carry its key.
pub fn cardinality(parent: &[Option<String>], child: &[Option<String>]) -> Vec<f64> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for key in child.iter().flatten() {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    parent
        .iter()
        .map(|key| {
            key.as_deref()
                .and_then(|key| counts.get(key))
                .copied()
                .unwrap_or(0) as f64
        })
        .collect()
}

/// `1 − D` between the real and the synthetic children-per-parent distributions; `None` when
/// either side has no parent row.
pub fn cardinality_shape(
    (real_parent, real_child): (&[Option<String>], &[Option<String>]),
    (synthetic_parent, synthetic_child): (&[Option<String>], &[Option<String>]),
) -> Option<f64> {
    ks_complement(
        &cardinality(real_parent, real_child),
        &cardinality(synthetic_parent, synthetic_child),
    )
}

/// The share of synthetic child rows whose key names a synthetic parent row (see the module
/// docs for missing keys); `None` when no child row counts. `columns` is the key's width.
pub fn referential_integrity(
    real_child: &[Option<String>],
    (synthetic_parent, synthetic_child): (&[Option<String>], &[Option<String>]),
    columns: usize,
) -> Option<f64> {
    let parents: HashSet<&str> = synthetic_parent
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let drop_missing = columns == 1 && real_child.iter().any(Option::is_none);
    let mut counted = 0usize;
    let mut resolved = 0usize;
    for key in synthetic_child {
        match key {
            None if drop_missing => {}
            None => counted += 1,
            Some(key) => {
                counted += 1;
                resolved += usize::from(parents.contains(key.as_str()));
            }
        }
    }
    (counted > 0).then(|| resolved as f64 / counted as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn counts_and_integrity_on_hand_computed_cases() {
        let parent = keys(&[Some("a"), Some("b"), Some("c")]);
        let child = keys(&[Some("a"), Some("a"), Some("b"), Some("x"), None]);
        assert_eq!(cardinality(&parent, &child), [2.0, 1.0, 0.0]);
        // Same shape: 1; counts {2, 1, 0} against {0, 0, 0}: D = 2/3.
        assert_eq!(
            cardinality_shape((&parent, &child), (&parent, &child)),
            Some(1.0)
        );
        let none: Vec<Option<String>> = Vec::new();
        let shape = cardinality_shape((&parent, &child), (&parent, &none)).expect("score");
        assert!((shape - 1.0 / 3.0).abs() < 1e-12, "{shape}");
        // 'x' dangles and the missing key is left out (the real column has missing keys too).
        assert_eq!(
            referential_integrity(&child, (&parent, &child), 1),
            Some(3.0 / 4.0)
        );
        // Without missing real keys, a missing synthetic key counts as unresolved.
        let complete = keys(&[Some("a")]);
        assert_eq!(
            referential_integrity(&complete, (&parent, &child), 1),
            Some(3.0 / 5.0)
        );
    }
}
