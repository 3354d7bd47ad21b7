//! `fidelity.duplicate_rate`: the share of rows that repeat an earlier row of the same table
//! on every scored column (identifiers and free text not compared; missing equals missing). A
//! generator that collapses onto a few modes repeats rows far more often than real data does;
//! one that copies training rows is caught by `privacy.exact_copy_rate` instead.
//!
//! Repeats grow with a table's size, so the synthetic rate is measured on a seeded sample of
//! the holdout's size (stream `evaluate/duplicate_rate/rows`), and the reference is the
//! holdout's own rate. Intervals: bootstrap over the per-row flags (resampling rows themselves
//! would make repeats).

use std::collections::HashSet;

use crate::metric::{EvaluationConfig, Metric, flags, mean_interval};
use crate::stats::{mean, permutation};
use crate::{Prepared, row_keys};

/// Per row, whether it repeats an earlier row of `table`.
fn repeats(table: &Prepared) -> Vec<bool> {
    let mut seen = HashSet::new();
    row_keys(table)
        .into_iter()
        .map(|key| !seen.insert(key))
        .collect()
}

/// The metric, or `None` for an empty holdout or synthetic table.
pub(crate) fn metric(
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
) -> Option<Metric> {
    if holdout.rows() == 0 || synthetic.rows() == 0 {
        return None;
    }
    let size = holdout.rows().min(synthetic.rows());
    let mut rows = permutation(
        synthetic.rows(),
        config.seed,
        "evaluate/duplicate_rate/rows",
    );
    rows.truncate(size);
    rows.sort_unstable();
    let synthetic_flags = flags(&repeats(&synthetic.resample(&rows)));
    let holdout_flags = flags(&repeats(holdout));
    Some(
        Metric::new(
            "fidelity.duplicate_rate",
            mean(&synthetic_flags),
            "Share of synthetic rows repeating an earlier synthetic row on every scored column \
             (identifiers and free text not compared; missing equals missing), on a seeded \
             sample of the holdout's size. Reference: the holdout's own rate.",
        )
        .interval(mean_interval(
            &synthetic_flags,
            config,
            "evaluate/duplicate_rate",
        ))
        .reference(Some(mean(&holdout_flags)))
        .reference_interval(mean_interval(
            &holdout_flags,
            config,
            "evaluate/duplicate_rate/reference",
        ))
        .clip(0.0, 1.0)
        .details(serde_json::json!({ "rows_compared": size })),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Column;

    fn table(codes: Vec<u32>) -> Prepared {
        let rows = codes.len();
        Prepared {
            names: vec!["a".into()],
            columns: vec![Column::Discrete(codes)],
            rows,
            dictionaries: Arc::new(vec![(0..10).map(|k| format!("a{k}")).collect()]),
        }
    }

    #[test]
    fn repeats_are_counted_against_the_holdout_at_its_size() {
        let config = EvaluationConfig {
            resamples: 10,
            ..EvaluationConfig::default()
        };
        // A collapsed generator: every synthetic row is one of two values.
        let synthetic = table((0..400).map(|r| r % 2).collect());
        // The holdout: 100 rows over 10 values, 90 of them repeats.
        let holdout = table((0..100).map(|r| r % 10).collect());
        let scored = metric(&holdout, &synthetic, &config).expect("metric");
        // 100 of the synthetic rows compared: all but the first of each value repeat.
        assert_eq!(scored.value, 98.0 / 100.0);
        assert_eq!(scored.holdout_reference, Some(0.9));
        assert_eq!(scored.details["rows_compared"], 100);
        // Distinct rows: nothing repeats.
        let distinct = table((0..10).collect());
        let scored = metric(&holdout, &distinct, &config).expect("metric");
        assert_eq!(scored.value, 0.0);
    }
}
