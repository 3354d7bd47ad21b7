//! Tables as the metrics see them: each scored column as numbers (`NaN` for missing) or as
//! category codes shared by every table of one evaluation, so that comparing, counting and
//! resampling never touch strings.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use synthgate_core::text::{format_cell, format_float};
use synthgate_core::{Error, Result, Schema, StorageType, Table};

use crate::{MetricKind, metric_kind};

/// The code of a missing category value.
pub const MISSING: u32 = u32::MAX;

/// One scored column's values.
#[derive(Debug, Clone)]
pub enum Column {
    /// Numbers (dates as days, timestamps as microseconds), `NaN` for missing.
    Continuous(Vec<f64>),
    /// Category codes into the evaluation's dictionary for this column, [`MISSING`] for
    /// missing. Codes follow the categories' sorted order.
    Discrete(Vec<u32>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Continuous(values) => values.len(),
            Column::Discrete(codes) => codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `row` is missing.
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Column::Continuous(values) => values[row].is_nan(),
            Column::Discrete(codes) => codes[row] == MISSING,
        }
    }

    /// The rows at `indices`.
    pub fn take(&self, indices: &[usize]) -> Column {
        match self {
            Column::Continuous(values) => {
                Column::Continuous(indices.iter().map(|&i| values[i]).collect())
            }
            Column::Discrete(codes) => {
                Column::Discrete(indices.iter().map(|&i| codes[i]).collect())
            }
        }
    }
}

/// A table's scored columns (schema order, identifiers and free text left out), ready for the
/// metrics. Tables prepared together by [`prepare`] share their category codes.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) names: Vec<String>,
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: usize,
    /// Per column, the categories in code order (empty for continuous columns).
    pub(crate) dictionaries: Arc<Vec<Vec<String>>>,
}

impl Prepared {
    /// The rows at `indices` (with repeats: a bootstrap resample).
    pub fn resample(&self, indices: &[usize]) -> Prepared {
        Prepared {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.take(indices)).collect(),
            rows: indices.len(),
            dictionaries: Arc::clone(&self.dictionaries),
        }
    }

    /// Only the columns at `columns` (indices into [`Prepared::names`]), in that order.
    pub fn select(&self, columns: &[usize]) -> Prepared {
        Prepared {
            names: columns.iter().map(|&c| self.names[c].clone()).collect(),
            columns: columns.iter().map(|&c| self.columns[c].clone()).collect(),
            rows: self.rows,
            dictionaries: Arc::new(
                columns
                    .iter()
                    .map(|&c| self.dictionaries.get(c).cloned().unwrap_or_default())
                    .collect(),
            ),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The scored columns' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The scored columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The index of the column called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The category a code stands for in column `column` (`None` for missing).
    pub fn category(&self, column: usize, code: u32) -> Option<&str> {
        self.dictionaries
            .get(column)
            .and_then(|d| d.get(code as usize))
            .map(String::as_str)
    }

    /// Number of categories of column `column` over all tables prepared together.
    pub fn categories(&self, column: usize) -> usize {
        self.dictionaries.get(column).map_or(0, Vec::len)
    }

    /// The value of row `row` in column `column` as text (missing as `None`), for reports.
    pub fn text(&self, column: usize, row: usize) -> Option<String> {
        match &self.columns[column] {
            Column::Continuous(values) => {
                (!values[row].is_nan()).then(|| format_float(values[row]))
            }
            Column::Discrete(codes) => self.category(column, codes[row]).map(str::to_string),
        }
    }
}

/// Check that every table has exactly the schema's columns (in any order), naming the ones
/// that are missing or extra.
fn check_columns(schema: &Schema, table: &Table, which: &str) -> Result<()> {
    let names = table.column_names();
    let missing: Vec<&str> = schema
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|name| !names.iter().any(|n| n == name))
        .collect();
    let extra: Vec<&str> = names
        .iter()
        .map(|n| &**n)
        .filter(|name| !schema.columns.iter().any(|c| c.name == *name))
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut message = format!("the {which} table's columns do not match the train table's:");
    if !missing.is_empty() {
        message.push_str(&format!(" missing {}", quoted(&missing)));
    }
    if !extra.is_empty() {
        if !missing.is_empty() {
            message.push(';');
        }
        message.push_str(&format!(" not in train {}", quoted(&extra)));
    }
    message.push('.');
    Err(Error::input(message)
        .hint("Evaluate tables with the same columns (any order); rename or drop columns first."))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prepare `tables` (each with a name for errors) under one `schema`, with shared category
/// codes. Every table must have the schema's columns, in any order, and no others.
pub fn prepare(schema: &Schema, tables: &[(&Table, &str)]) -> Result<Vec<Prepared>> {
    for (table, which) in tables {
        check_columns(schema, table, which)?;
    }
    let mut names = Vec::new();
    let mut per_table: Vec<Vec<Column>> = vec![Vec::new(); tables.len()];
    let mut dictionaries = Vec::new();
    for column in &schema.columns {
        let kind = metric_kind(column.semantic);
        if kind == MetricKind::Skipped {
            continue;
        }
        names.push(column.name.clone());
        let indices: Vec<usize> = tables
            .iter()
            .map(|(table, _)| {
                table
                    .column_names()
                    .iter()
                    .position(|n| *n == column.name)
                    .unwrap_or_default()
            })
            .collect();
        if kind == MetricKind::Numerical {
            for (slot, ((table, _), &index)) in tables.iter().zip(&indices).enumerate() {
                per_table[slot].push(Column::Continuous(table.numbers(index)));
            }
            dictionaries.push(Vec::new());
            continue;
        }
        let keys: Vec<Vec<Option<String>>> = tables
            .iter()
            .zip(&indices)
            .map(|((table, _), &index)| category_keys(table, index))
            .collect();
        let dictionary: Vec<String> = keys
            .iter()
            .flatten()
            .flatten()
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        for (slot, keys) in keys.iter().enumerate() {
            let codes = keys
                .iter()
                .map(|key| match key {
                    None => MISSING,
                    Some(key) => dictionary
                        .binary_search(key)
                        .map_or(MISSING, |code| code as u32),
                })
                .collect();
            per_table[slot].push(Column::Discrete(codes));
        }
        dictionaries.push(dictionary);
    }
    let dictionaries = Arc::new(dictionaries);
    Ok(per_table
        .into_iter()
        .zip(tables)
        .map(|(columns, (table, _))| Prepared {
            names: names.clone(),
            columns,
            rows: table.num_rows(),
            dictionaries: Arc::clone(&dictionaries),
        })
        .collect())
}

/// The values of column `index` as category keys, `None` for missing. Numbers are keyed by
/// value, so `1` written by one tool and `1.0` by another are the same category, as they are
/// for pandas.
pub fn category_keys(table: &Table, index: usize) -> Vec<Option<String>> {
    let storage = table.storage_type(index);
    let mut out = Vec::with_capacity(table.num_rows());
    for chunk in table.column_chunks(index) {
        let chunk = chunk.as_ref();
        for row in 0..chunk.len() {
            out.push(match storage {
                StorageType::Int64 | StorageType::Float64 => {
                    let value = numbers_at(chunk, storage, row);
                    (!value.is_nan()).then(|| format_float(value))
                }
                _ => format_cell(chunk, storage, row),
            });
        }
    }
    out
}

fn numbers_at(chunk: &dyn Array, storage: StorageType, row: usize) -> f64 {
    if chunk.is_null(row) {
        return f64::NAN;
    }
    match storage {
        StorageType::Int64 => chunk.as_primitive::<Int64Type>().value(row) as f64,
        _ => chunk.as_primitive::<Float64Type>().value(row),
    }
}

/// Counts of each code in `codes`, indexed by code, with missing values counted at index
/// `categories` (the last slot).
pub(crate) fn code_counts(codes: &[u32], categories: usize) -> Vec<usize> {
    let mut counts = vec![0usize; categories + 1];
    for &code in codes {
        let slot = if code == MISSING {
            categories
        } else {
            code as usize
        };
        counts[slot] += 1;
    }
    counts
}

/// One more than the largest present code among `columns` (the dictionary size they need).
pub(crate) fn code_span(columns: &[&[u32]]) -> usize {
    columns
        .iter()
        .flat_map(|codes| codes.iter())
        .filter(|&&c| c != MISSING)
        .max()
        .map_or(0, |&c| c as usize + 1)
}
