//! Per-column statistics, computed in one pass over a column's chunks.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use synthgate_core::{StorageType, Table};

/// How many most frequent values a profile keeps.
pub(crate) const TOP_VALUES: usize = 5;

/// Distinct-value counts up to which numeric columns keep value counts.
const NUMERIC_COUNTS_UP_TO: usize = 50;

/// The raw facts about one column that inference and display need.
#[derive(Debug, Clone)]
pub(crate) struct ColumnStats {
    pub(crate) rows: usize,
    pub(crate) missing: usize,
    pub(crate) distinct: usize,
    /// Numeric or temporal values as f64 (temporal: days or microseconds), sorted.
    pub(crate) sorted: Vec<f64>,
    /// Whether every numeric value is a whole number.
    pub(crate) integral: bool,
    /// Value counts, most frequent first (ties by value): every value for text and booleans,
    /// and for numeric columns with few distinct values.
    pub(crate) counts: Vec<(String, usize)>,
    /// Mean length in characters of text values.
    pub(crate) mean_length: f64,
    /// Share of text values that contain white space.
    pub(crate) with_spaces: f64,
}

impl ColumnStats {
    pub(crate) fn non_missing(&self) -> usize {
        self.rows - self.missing
    }

    /// Distinct values per non-missing value.
    pub(crate) fn distinct_ratio(&self) -> f64 {
        match self.non_missing() {
            0 => 0.0,
            present => self.distinct as f64 / present as f64,
        }
    }

    /// The `q`-quantile by linear interpolation between closest ranks (NumPy's default).
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.sorted.len();
        if n == 0 {
            return None;
        }
        let position = q * (n - 1) as f64;
        let below = position.floor() as usize;
        let above = position.ceil() as usize;
        let fraction = position - below as f64;
        Some(self.sorted[below] + (self.sorted[above] - self.sorted[below]) * fraction)
    }

    pub(crate) fn min(&self) -> Option<f64> {
        self.sorted.first().copied()
    }

    pub(crate) fn max(&self) -> Option<f64> {
        self.sorted.last().copied()
    }

    pub(crate) fn mean(&self) -> Option<f64> {
        (!self.sorted.is_empty())
            .then(|| self.sorted.iter().sum::<f64>() / self.sorted.len() as f64)
    }

    /// The distinct text values (for pattern checks), most frequent first.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.counts.iter().map(|(value, _)| value.as_str())
    }
}

fn sorted_counts(counts: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

fn numeric_counts(sorted: &[f64], distinct: usize, integral: bool) -> Vec<(String, usize)> {
    if distinct > NUMERIC_COUNTS_UP_TO {
        return Vec::new();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for run in sorted.chunk_by(|a, b| a == b) {
        let label = if integral {
            format!("{}", run[0] as i64)
        } else {
            format!("{}", run[0])
        };
        counts.push((label, run.len()));
    }
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    counts
}

/// Statistics of column `index` of `table`.
pub(crate) fn column_stats(table: &Table, index: usize) -> ColumnStats {
    let storage = table.storage_type(index);
    let rows = table.num_rows();
    let missing = table.null_count(index);
    let mut stats = ColumnStats {
        rows,
        missing,
        distinct: 0,
        sorted: Vec::new(),
        integral: false,
        counts: Vec::new(),
        mean_length: 0.0,
        with_spaces: 0.0,
    };
    match storage {
        StorageType::String => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            let mut length = 0usize;
            let mut spaced = 0usize;
            for chunk in table.column_chunks(index) {
                for value in chunk.as_string::<i32>().iter().flatten() {
                    *counts.entry(value).or_default() += 1;
                }
            }
            for (value, count) in &counts {
                length += value.chars().count() * count;
                if value.contains(char::is_whitespace) {
                    spaced += count;
                }
            }
            let present = stats.non_missing().max(1) as f64;
            stats.mean_length = length as f64 / present;
            stats.with_spaces = spaced as f64 / present;
            stats.distinct = counts.len();
            stats.counts = sorted_counts(
                counts
                    .into_iter()
                    .map(|(value, count)| (value.to_string(), count))
                    .collect(),
            );
        }
        StorageType::Boolean => {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for chunk in table.column_chunks(index) {
                for value in chunk.as_boolean().iter().flatten() {
                    *counts.entry(value.to_string()).or_default() += 1;
                }
            }
            stats.distinct = counts.len();
            stats.counts = sorted_counts(counts);
        }
        _ => {
            let mut values: Vec<f64> = Vec::with_capacity(rows - missing);
            for chunk in table.column_chunks(index) {
                match storage {
                    StorageType::Int64 => values.extend(
                        chunk
                            .as_primitive::<Int64Type>()
                            .iter()
                            .flatten()
                            .map(|v| v as f64),
                    ),
                    StorageType::Float64 => {
                        values.extend(chunk.as_primitive::<Float64Type>().iter().flatten())
                    }
                    StorageType::Date => values.extend(
                        chunk
                            .as_primitive::<Date32Type>()
                            .iter()
                            .flatten()
                            .map(f64::from),
                    ),
                    _ => values.extend(
                        chunk
                            .as_primitive::<TimestampMicrosecondType>()
                            .iter()
                            .flatten()
                            .map(|v| v as f64),
                    ),
                }
            }
            values.sort_unstable_by(f64::total_cmp);
            stats.distinct = values.chunk_by(|a, b| a == b).count();
            stats.integral = values.iter().all(|value| value.fract() == 0.0);
            if storage.is_numeric() {
                stats.counts = numeric_counts(&values, stats.distinct, stats.integral);
            }
            stats.sorted = values;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(values: &[f64]) -> ColumnStats {
        ColumnStats {
            rows: values.len(),
            missing: 0,
            distinct: values.len(),
            sorted: values.to_vec(),
            integral: true,
            counts: Vec::new(),
            mean_length: 0.0,
            with_spaces: 0.0,
        }
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
        let stats = stats_of(&[1.0, 2.0, 3.0, 4.0]);
        let got: Vec<f64> = [0.0, 0.25, 0.5, 0.9, 1.0]
            .iter()
            .map(|&q| stats.quantile(q).expect("non-empty"))
            .collect();
        let expected = [1.0, 1.75, 2.5, 3.7, 4.0];
        for (got, expected) in got.iter().zip(expected) {
            assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        }
        assert_eq!(stats_of(&[]).quantile(0.5), None);
    }
}
