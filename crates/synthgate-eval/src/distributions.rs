//! The report's per-column distributions: the training, holdout and synthetic rows' shares in
//! the same cells, drawn overlaid in report.html. A number's cells are the training values'
//! deciles (no minimum or maximum is published), a category's are its most common values that
//! hold at least `min_cell` training rows, the rest pooled; missing values are a cell of their
//! own. Real counts pass the small-cell control of [`crate::cells`] for each real table alone:
//! a withheld share is `None` (`null`), so the report never shows a real count under
//! `min_cell` nor one that subtracting the others would recover. Synthetic shares are all
//! shown.

use serde::Serialize;

use crate::cells::{Cell, withhold};
use crate::stats::number;
use crate::{Column, MISSING, Prepared};

/// Cells of a number: its training deciles.
pub const BINS: usize = 10;

/// Most categories listed before the rest are pooled.
pub const MOST_CATEGORIES: usize = 12;

/// One column's distribution in the three tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// The cells' labels: value ranges or categories, then `(other)` and `(missing)` where
    /// they hold rows.
    pub labels: Vec<String>,
    /// The training rows' share in each cell (`None` where withheld).
    pub train: Vec<Option<f64>>,
    /// The holdout rows'.
    pub holdout: Vec<Option<f64>>,
    /// The synthetic rows'.
    pub synthetic: Vec<f64>,
}

/// Column `column`'s distribution in `train`, `holdout` and `synthetic` (prepared together),
/// real counts under `min_cell` withheld as the module says.
pub fn distribution(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    column: usize,
    min_cell: usize,
) -> Distribution {
    // The kind, the cells' labels, which cell a table's row falls in, how many categories
    // are listed by name.
    type Cells = (
        &'static str,
        Vec<String>,
        Box<dyn Fn(&Column, usize) -> usize>,
        usize,
    );
    let (kind, labels, cell_of, listed): Cells = match &train.columns[column] {
        Column::Continuous(values) => {
            let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            present.sort_unstable_by(f64::total_cmp);
            let mut edges: Vec<f64> = if present.is_empty() {
                Vec::new()
            } else {
                (1..BINS)
                    .map(|k| present[(k * (present.len() - 1)) / BINS])
                    .collect()
            };
            edges.dedup();
            let mut labels = Vec::with_capacity(edges.len() + 2);
            for k in 0..=edges.len() {
                labels.push(match (k.checked_sub(1).map(|i| edges[i]), edges.get(k)) {
                    (None, Some(&high)) => format!("≤ {}", number(high)),
                    (Some(low), Some(&high)) => format!("{} – {}", number(low), number(high)),
                    (Some(low), None) => format!("> {}", number(low)),
                    (None, None) => "all".to_string(),
                });
            }
            let bins = labels.len();
            labels.push("(missing)".to_string());
            let cell = move |column: &Column, row: usize| match column {
                Column::Continuous(values) if !values[row].is_nan() => {
                    edges.partition_point(|e| *e < values[row])
                }
                _ => bins,
            };
            ("numeric", labels, Box::new(cell), 0)
        }
        Column::Discrete(codes) => {
            let dictionary = &train.dictionaries[column];
            let mut counts = vec![0usize; dictionary.len()];
            for &code in codes.iter().filter(|&&c| c != MISSING) {
                if let Some(count) = counts.get_mut(code as usize) {
                    *count += 1;
                }
            }
            let mut order: Vec<usize> = (0..counts.len())
                .filter(|&c| counts[c] >= min_cell.max(1))
                .collect();
            order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
            order.truncate(MOST_CATEGORIES);
            let mut position = vec![order.len(); dictionary.len()];
            for (at, &code) in order.iter().enumerate() {
                position[code] = at;
            }
            let mut labels: Vec<String> = order.iter().map(|&c| dictionary[c].clone()).collect();
            let listed = labels.len();
            labels.push("(other)".to_string());
            labels.push("(missing)".to_string());
            let cell = move |column: &Column, row: usize| match column {
                Column::Discrete(codes) if codes[row] == MISSING => listed + 1,
                Column::Discrete(codes) => {
                    position.get(codes[row] as usize).copied().unwrap_or(listed)
                }
                _ => listed + 1,
            };
            ("categorical", labels, Box::new(cell), listed)
        }
    };
    let counts = |table: &Prepared| {
        let mut counts = vec![0usize; labels.len()];
        for row in 0..table.rows {
            counts[cell_of(&table.columns[column], row)] += 1;
        }
        counts
    };
    let (train_counts, holdout_counts, synthetic_counts) =
        (counts(train), counts(holdout), counts(synthetic));
    // A category is listed only when it holds `min_cell` training rows: a reader knows that
    // much of it even withheld. Nothing else is promised.
    let protect = |counts: &[usize], floors: bool, rows: usize| -> Vec<Option<f64>> {
        let cells: Vec<Cell> = counts
            .iter()
            .enumerate()
            .map(|(k, &count)| Cell::new(count, if floors && k < listed { min_cell } else { 1 }))
            .collect();
        let withheld = withhold(&cells, min_cell).unwrap_or_else(|| vec![true; cells.len()]);
        counts
            .iter()
            .zip(&withheld)
            .map(|(&count, &w)| (!w).then(|| count as f64 / rows.max(1) as f64))
            .collect()
    };
    let mut result = Distribution {
        kind,
        train: protect(&train_counts, true, train.rows),
        holdout: protect(&holdout_counts, false, holdout.rows),
        synthetic: synthetic_counts
            .iter()
            .map(|&c| c as f64 / synthetic.rows.max(1) as f64)
            .collect(),
        labels,
    };
    // `(other)` and `(missing)` are drawn only where some table has rows there.
    for k in (listed.max(result.labels.len().saturating_sub(2))..result.labels.len()).rev() {
        let empty = train_counts[k] == 0 && holdout_counts[k] == 0 && synthetic_counts[k] == 0;
        let pooled = result.labels[k] == "(other)" || result.labels[k] == "(missing)";
        if empty && pooled {
            result.labels.remove(k);
            result.train.remove(k);
            result.holdout.remove(k);
            result.synthetic.remove(k);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(columns: Vec<Column>, dictionaries: Vec<Vec<String>>) -> Prepared {
        let rows = columns[0].len();
        Prepared {
            names: (0..columns.len()).map(|i| format!("c{i}")).collect(),
            columns,
            rows,
            dictionaries: std::sync::Arc::new(dictionaries),
        }
    }

    /// A category under `min_cell` training rows is pooled, never named; a real cell of 1 to
    /// `min_cell - 1` rows is withheld (with another, so it cannot be recovered from the
    /// rest); synthetic shares are all shown; a number's cells are its training deciles.
    #[test]
    fn small_real_counts_are_never_shown() {
        let names: Vec<String> = ["a", "b", "rare"].iter().map(|s| s.to_string()).collect();
        let mut train_codes = vec![0u32; 60];
        train_codes.extend(vec![1u32; 35]);
        train_codes.extend(vec![2u32; 5]);
        let mut holdout_codes = vec![0u32; 40];
        holdout_codes.extend(vec![1u32; 3]);
        holdout_codes.extend(vec![MISSING; 17]);
        let synthetic_codes: Vec<u32> = (0..50).map(|i| (i % 3) as u32).collect();
        let dictionaries = vec![names];
        let train = prepared(vec![Column::Discrete(train_codes)], dictionaries.clone());
        let holdout = prepared(vec![Column::Discrete(holdout_codes)], dictionaries.clone());
        let synthetic = prepared(vec![Column::Discrete(synthetic_codes)], dictionaries);
        let d = distribution(&train, &holdout, &synthetic, 0, 10);
        assert_eq!(d.labels, vec!["a", "b", "(other)", "(missing)"]);
        // Training: a 60, b 35, other 5 (withheld, with at least one more so it cannot be
        // recovered from the total); holdout: b's 3 rows withheld likewise.
        assert_eq!(d.train[2], None, "{:?}", d.train);
        assert!(
            d.train.iter().filter(|s| s.is_none()).count() >= 2,
            "{:?}",
            d.train
        );
        assert_eq!(d.holdout[1], None, "{:?}", d.holdout);
        assert!(
            d.holdout.iter().filter(|s| s.is_none()).count() >= 2,
            "{:?}",
            d.holdout
        );
        for (shares, rows) in [(&d.train, 100.0), (&d.holdout, 60.0)] {
            for share in shares.iter().flatten() {
                let count = (share * rows).round();
                assert!(count == 0.0 || count >= 10.0, "{shares:?}");
            }
        }
        assert!((d.synthetic.iter().sum::<f64>() - 1.0).abs() < 1e-12);

        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let train = prepared(vec![Column::Continuous(values.clone())], vec![Vec::new()]);
        let d = distribution(&train, &train, &train, 0, 5);
        assert_eq!(d.kind, "numeric");
        assert_eq!(d.labels.len(), BINS, "{:?}", d.labels);
        assert!(
            d.train
                .iter()
                .all(|s| s.is_some_and(|s| (s - 0.1).abs() < 0.011))
        );
        assert_eq!(d.labels[0], "≤ 9.0000");
    }
}
