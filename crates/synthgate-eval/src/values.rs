//! Column values in the two forms metrics compare: numbers (NaN for missing; dates as days and
//! timestamps as microseconds since 1970) and category keys (`None` for missing).

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use synthgate_core::text::{format_cell, format_float};
use synthgate_core::{StorageType, Table};

/// The values of column `index` as numbers, `NaN` for missing (booleans as 0/1; text that is
/// not a number as `NaN`).
pub(crate) fn numbers(table: &Table, index: usize) -> Vec<f64> {
    let storage = table.storage_type(index);
    let mut out = Vec::with_capacity(table.num_rows());
    for chunk in table.column_chunks(index) {
        let chunk = chunk.as_ref();
        match storage {
            StorageType::Int64 => out.extend(
                chunk
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map_or(f64::NAN, |v| v as f64)),
            ),
            StorageType::Float64 => out.extend(
                chunk
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.unwrap_or(f64::NAN)),
            ),
            StorageType::Date => out.extend(
                chunk
                    .as_primitive::<Date32Type>()
                    .iter()
                    .map(|v| v.map_or(f64::NAN, f64::from)),
            ),
            StorageType::Timestamp | StorageType::TimestampUtc => out.extend(
                chunk
                    .as_primitive::<TimestampMicrosecondType>()
                    .iter()
                    .map(|v| v.map_or(f64::NAN, |v| v as f64)),
            ),
            StorageType::Boolean => out.extend(
                chunk
                    .as_boolean()
                    .iter()
                    .map(|v| v.map_or(f64::NAN, |v| f64::from(u8::from(v)))),
            ),
            StorageType::String => out.extend(chunk.as_string::<i32>().iter().map(|v| {
                v.and_then(|text| synthgate_core::text::parse_float(text.trim()))
                    .unwrap_or(f64::NAN)
            })),
        }
    }
    out
}

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
