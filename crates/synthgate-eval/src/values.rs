//! Column values as category keys (`None` for missing), the form categorical metrics compare.
//! Numbers come from [`Table::numbers`].

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use synthgate_core::text::{format_cell, format_float};
use synthgate_core::{StorageType, Table};

/// The values of column `index` as category keys, `None` for missing. Numbers are keyed by
/// value, so `1` written by one tool and `1.0` by another are the same category, as they are
/// for pandas.
pub(crate) fn categories(table: &Table, index: usize) -> Vec<Option<String>> {
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
