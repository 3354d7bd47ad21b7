//! Exact nearest reference rows under SDMetrics' mixed distance (see [`crate::dcr`]): the
//! search every distance-based privacy metric shares.
//!
//! Exact, never approximate: a privacy metric must not understate risk. It is fast because of
//! a lower bound, not a shortcut: reference rows are grouped by their values on a few
//! categorical columns, each mismatching grouping column adds exactly `1 / width` to the
//! distance, so groups are visited in order of mismatches and the search stops once a group's
//! mismatches alone exceed the best distance found. Within a group a row is abandoned as soon
//! as its partial sum exceeds the best. Every distance that is kept is recomputed in column
//! order, so the values never depend on the order rows were visited in.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::Prepared;
use crate::values::{Column, MISSING};

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

/// Most groups the index makes.
const MAX_GROUPS: usize = 8192;

/// One column's per-row values, with how differences are measured.
#[derive(Debug, Clone)]
enum Values {
    /// `min(|a − b| × inverse_range, 1)`; one side missing 1, both 0.
    Scaled { values: Vec<f64> },
    /// 0 when equal (missing equals missing), else 1 (numbers of a constant column compare as
    /// categories, as SDMetrics does for a zero range).
    Exact { values: Vec<u64> },
}

const MISSING_BITS: u64 = u64::MAX;

fn exact_numbers(values: &[f64]) -> Vec<u64> {
    values
        .iter()
        .map(|v| {
            if v.is_nan() {
                MISSING_BITS
            } else {
                (v + 0.0).to_bits()
            }
        })
        .collect()
}

fn exact_codes(codes: &[u32]) -> Vec<u64> {
    codes
        .iter()
        .map(|&c| {
            if c == MISSING {
                MISSING_BITS
            } else {
                u64::from(c)
            }
        })
        .collect()
}

#[inline]
fn scaled(a: f64, b: f64, inverse_range: f64) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0.0,
        (true, false) | (false, true) => 1.0,
        _ => ((a - b).abs() * inverse_range).min(1.0),
    }
}

/// A reference table, ready for nearest-row queries.
#[derive(Debug, Clone)]
pub struct NearestIndex {
    /// Per column: how it is measured (`None` for an unscaled number column with no range,
    /// which contributes 0, as in SDMetrics when the reference column is all missing).
    kinds: Vec<Kind>,
    /// Reference rows, row-major: `rows[row * width + column]`.
    rows: Vec<Cell>,
    width: usize,
    /// Grouping columns and, per group, their values and member rows.
    group_columns: Vec<usize>,
    groups: Vec<(Vec<u64>, Vec<u32>)>,
    /// The non-grouping columns, in column order.
    rest: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Scaled(f64),
    Exact,
    /// A numeric reference column with no present value: every difference counts 0, except
    /// the missing rules (one side missing 1).
    Empty,
}

/// A cell: a number's bits (scaled columns) or a value's bits (exact columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell(u64);

impl Cell {
    fn number(self) -> f64 {
        f64::from_bits(self.0)
    }
    fn bits(self) -> u64 {
        self.0
    }
}

fn column_values(column: &Column, kind: Kind) -> Values {
    match (column, kind) {
        (Column::Continuous(values), Kind::Scaled(_) | Kind::Empty) => Values::Scaled {
            values: values.clone(),
        },
        (Column::Continuous(values), Kind::Exact) => Values::Exact {
            values: exact_numbers(values),
        },
        (Column::Discrete(codes), _) => Values::Exact {
            values: exact_codes(codes),
        },
    }
}

fn cells(values: &[Values], rows: usize) -> Vec<Cell> {
    let mut out = Vec::with_capacity(rows * values.len());
    for row in 0..rows {
        for column in values {
            out.push(Cell(match column {
                Values::Scaled { values } => values[row].to_bits(),
                Values::Exact { values } => values[row],
            }));
        }
    }
    out
}

#[inline]
fn difference(kind: Kind, a: Cell, b: Cell) -> f64 {
    match kind {
        Kind::Scaled(inverse_range) => scaled(a.number(), b.number(), inverse_range),
        Kind::Empty => scaled(a.number(), b.number(), 0.0),
        Kind::Exact => f64::from(u8::from(a.bits() != b.bits())),
    }
}

impl NearestIndex {
    /// Index `reference`, scaling numbers by its own ranges, as SDMetrics' `calculate_dcr`
    /// does.
    pub fn new(reference: &Prepared) -> NearestIndex {
        NearestIndex::scaled_by(reference, reference)
    }

    /// Index `reference`, scaling numbers by the ranges of `scale` (so distances to several
    /// references share one scale).
    pub fn scaled_by(reference: &Prepared, scale: &Prepared) -> NearestIndex {
        let kinds: Vec<Kind> = scale
            .columns
            .iter()
            .map(|column| match column {
                Column::Continuous(values) => {
                    let range = value_range(values);
                    if range.is_nan() {
                        Kind::Empty
                    } else if range == 0.0 {
                        Kind::Exact
                    } else {
                        Kind::Scaled(1.0 / range)
                    }
                }
                Column::Discrete(_) => Kind::Exact,
            })
            .collect();
        let values: Vec<Values> = reference
            .columns
            .iter()
            .zip(&kinds)
            .map(|(column, &kind)| column_values(column, kind))
            .collect();
        let width = values.len();
        let rows = cells(&values, reference.rows);
        let group_columns = choose_group_columns(&values, &kinds, reference.rows);
        let mut groups: Vec<(Vec<u64>, Vec<u32>)> = Vec::new();
        let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
        for row in 0..reference.rows {
            let key: Vec<u64> = group_columns
                .iter()
                .map(|&c| rows[row * width + c].bits())
                .collect();
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[slot].1.push(row as u32);
        }
        let rest = (0..width).filter(|c| !group_columns.contains(c)).collect();
        NearestIndex {
            kinds,
            rows,
            width,
            group_columns,
            groups,
            rest,
        }
    }

    /// Number of reference rows.
    pub fn len(&self) -> usize {
        self.rows.len() / self.width.max(1)
    }

    /// Whether the reference has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distance between a query row (cells) and reference row `row`, summed in column
    /// order: the canonical value.
    fn distance(&self, query: &[Cell], row: usize) -> f64 {
        let reference = &self.rows[row * self.width..(row + 1) * self.width];
        let mut total = 0.0;
        for column in 0..self.width {
            total += difference(self.kinds[column], query[column], reference[column]);
        }
        total / self.width as f64
    }

    /// The `k` (1 or 2) smallest distances of one query row, ascending (`INFINITY` when the
    /// reference has fewer rows), and the closest row. With `first_row`, the closest row is the
    /// first of equally close ones (the search then cannot stop at a distance of 0).
    fn nearest_row(&self, query: &[Cell], k: usize, first_row: bool) -> ([f64; 2], u32) {
        let width = self.width as f64;
        let mut best = [f64::INFINITY; 2];
        let mut best_row = u32::MAX;
        // Mismatches of each group on the grouping columns, bucketed by count.
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); self.group_columns.len() + 1];
        for (group, (key, _)) in self.groups.iter().enumerate() {
            let mismatches = self
                .group_columns
                .iter()
                .zip(key)
                .filter(|(c, bits)| query[**c].bits() != **bits)
                .count();
            buckets[mismatches].push(group as u32);
        }
        let slack = 1e-12;
        for (mismatches, groups) in buckets.iter().enumerate() {
            let bound = mismatches as f64 / width;
            if bound > best[k - 1] + slack {
                break;
            }
            for &group in groups {
                for &row in &self.groups[group as usize].1 {
                    let row = row as usize;
                    let reference = &self.rows[row * self.width..(row + 1) * self.width];
                    let limit = (best[k - 1] + slack) * width;
                    let mut total = mismatches as f64;
                    let mut pruned = false;
                    for &column in &self.rest {
                        total += difference(self.kinds[column], query[column], reference[column]);
                        if total > limit {
                            pruned = true;
                            break;
                        }
                    }
                    if pruned {
                        continue;
                    }
                    let exact = self.distance(query, row);
                    if exact < best[0] || (exact == best[0] && (row as u32) < best_row) {
                        best_row = row as u32;
                    }
                    if exact < best[0] {
                        best[1] = best[0];
                        best[0] = exact;
                    } else if k == 2 && exact < best[1] {
                        best[1] = exact;
                    }
                }
            }
            if k == 1 && best[0] == 0.0 && !first_row {
                break;
            }
        }
        (best, best_row)
    }

    /// For each row of `query`, its closest reference row (the first of equally close ones)
    /// and the distance.
    pub fn closest_rows(&self, query: &Prepared) -> Vec<(f64, u32)> {
        let cells = self.query_cells(query);
        let width = self.width.max(1);
        (0..query.rows)
            .into_par_iter()
            .map(|row| {
                let (best, first) =
                    self.nearest_row(&cells[row * width..(row + 1) * width], 1, true);
                (best[0], first)
            })
            .collect()
    }

    /// The query table's rows as cells under this index's column kinds.
    fn query_cells(&self, query: &Prepared) -> Vec<Cell> {
        let values: Vec<Values> = query
            .columns
            .iter()
            .zip(&self.kinds)
            .map(|(column, &kind)| column_values(column, kind))
            .collect();
        cells(&values, query.rows)
    }

    /// For each row of `query`, the distance to its closest reference row.
    pub fn closest(&self, query: &Prepared) -> Vec<f64> {
        self.search(query, 1).into_iter().map(|d| d[0]).collect()
    }

    /// For each row of `query`, the distances to its closest and second-closest reference rows.
    pub fn two_closest(&self, query: &Prepared) -> Vec<[f64; 2]> {
        self.search(query, 2)
    }

    fn search(&self, query: &Prepared, k: usize) -> Vec<[f64; 2]> {
        let cells = self.query_cells(query);
        let width = self.width.max(1);
        (0..query.rows)
            .into_par_iter()
            .map(|row| {
                self.nearest_row(&cells[row * width..(row + 1) * width], k, false)
                    .0
            })
            .collect()
    }
}

/// Grouping columns: exact columns by decreasing number of distinct values, added while the
/// number of groups stays at most a quarter of the rows (and [`MAX_GROUPS`]).
fn choose_group_columns(values: &[Values], kinds: &[Kind], rows: usize) -> Vec<usize> {
    let limit = (rows / 4).clamp(1, MAX_GROUPS);
    let mut candidates: Vec<(usize, usize)> = values
        .iter()
        .enumerate()
        .filter(|(c, _)| matches!(kinds[*c], Kind::Exact))
        .filter_map(|(c, v)| match v {
            Values::Exact { values } => {
                let mut distinct = values.clone();
                distinct.sort_unstable();
                distinct.dedup();
                (distinct.len() > 1).then_some((c, distinct.len()))
            }
            Values::Scaled { .. } => None,
        })
        .collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen = Vec::new();
    for (column, _) in candidates {
        let mut trial = chosen.clone();
        trial.push(column);
        let mut keys: Vec<Vec<u64>> = (0..rows)
            .map(|row| {
                trial
                    .iter()
                    .map(|&c| match &values[c] {
                        Values::Exact { values } => values[row],
                        Values::Scaled { .. } => 0,
                    })
                    .collect()
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() <= limit {
            chosen = trial;
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use synthgate_core::unit_f64;

    use super::*;

    /// Every pair compared, in column order: the definition the index must reproduce.
    fn brute_force(query: &Prepared, reference: &Prepared) -> Vec<[f64; 2]> {
        let index = NearestIndex::new(reference);
        let cells = index.query_cells(query);
        (0..query.rows)
            .map(|row| {
                let q = &cells[row * index.width..(row + 1) * index.width];
                let mut all: Vec<f64> = (0..reference.rows).map(|r| index.distance(q, r)).collect();
                all.sort_unstable_by(f64::total_cmp);
                [all[0], all.get(1).copied().unwrap_or(f64::INFINITY)]
            })
            .collect()
    }

    fn random_table(rng: &mut synthgate_core::SeedRng, rows: usize) -> Prepared {
        let mut numbers = |scale: f64| -> Vec<f64> {
            (0..rows)
                .map(|_| {
                    if unit_f64(rng) < 0.05 {
                        f64::NAN
                    } else {
                        (unit_f64(rng) * scale).round()
                    }
                })
                .collect()
        };
        let (a, b) = (numbers(50.0), numbers(3.0));
        let mut codes = |k: u32| -> Vec<u32> {
            (0..rows)
                .map(|_| {
                    if unit_f64(rng) < 0.05 {
                        MISSING
                    } else {
                        (unit_f64(rng) * f64::from(k)) as u32
                    }
                })
                .collect()
        };
        let columns = vec![
            Column::Continuous(a),
            Column::Discrete(codes(3)),
            Column::Discrete(codes(5)),
            Column::Continuous(b),
            Column::Discrete(codes(2)),
            Column::Continuous(vec![7.0; rows]),
        ];
        Prepared {
            names: (0..columns.len()).map(|c| format!("c{c}")).collect(),
            columns,
            rows,
            dictionaries: Arc::new(vec![Vec::new(); 6]),
        }
    }

    #[test]
    fn differences_follow_sdmetrics() {
        let number = |v: f64| Cell(v.to_bits());
        let quarter = Kind::Scaled(1.0 / 4.0);
        assert_eq!(difference(quarter, number(1.0), number(3.0)), 0.5);
        assert_eq!(difference(quarter, number(1.0), number(30.0)), 1.0);
        assert_eq!(difference(quarter, number(f64::NAN), number(3.0)), 1.0);
        assert_eq!(difference(quarter, number(f64::NAN), number(f64::NAN)), 0.0);
        // A zero range compares exactly; missing equals missing.
        let exact = |v: f64| Cell(exact_numbers(&[v])[0]);
        assert_eq!(difference(Kind::Exact, exact(2.0), exact(2.0)), 0.0);
        assert_eq!(difference(Kind::Exact, exact(2.0), exact(3.0)), 1.0);
        assert_eq!(
            difference(Kind::Exact, exact(f64::NAN), exact(f64::NAN)),
            0.0
        );
        assert_eq!(difference(Kind::Exact, exact(f64::NAN), exact(2.0)), 1.0);
    }

    #[test]
    fn index_agrees_with_brute_force() {
        let mut rng = synthgate_core::Seed(7).stream("test", 0);
        for round in 0..5 {
            let reference = random_table(&mut rng, 300 + round * 50);
            let query = random_table(&mut rng, 120);
            let index = NearestIndex::new(&reference);
            assert!(!index.group_columns.is_empty(), "the index groups rows");
            let expected = brute_force(&query, &reference);
            assert_eq!(index.two_closest(&query), expected);
            let closest: Vec<f64> = expected.iter().map(|d| d[0]).collect();
            assert_eq!(index.closest(&query), closest);
            // The closest row is the first of the equally close ones.
            let cells = index.query_cells(&query);
            for (row, (distance, found)) in index.closest_rows(&query).into_iter().enumerate() {
                let q = &cells[row * index.width..(row + 1) * index.width];
                let first = (0..reference.rows)
                    .find(|&r| index.distance(q, r) == closest[row])
                    .expect("a closest row");
                assert_eq!((distance, found as usize), (closest[row], first));
            }
        }
    }
}
