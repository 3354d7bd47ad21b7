//! Profiling: what each column of a table holds and what it means.
//!
//! [`profile`] takes a [`Table`] (and optionally a user's [`Schema`]) and returns a [`Profile`]:
//! one [`ColumnProfile`] per column with its storage type, inferred (or given) semantic type
//! and privacy role, missing count and share, cardinality, range, quantiles and most frequent
//! values. [`Profile::to_schema`] turns it into the editable [`Schema`] every later command
//! accepts. The inference rules are documented in the `infer` module and the name
//! vocabularies in `lexicon`; both are plain functions of a column's statistics, so they
//! can be tested without files.
//!
//! [`relations`] checks a dataset of several tables against its data (keys, references and
//! their real gaps, sequences) and proposes keys and references.
//!
//! Columns are profiled in parallel (one task per column); the result does not depend on the
//! thread count.

#![warn(missing_docs)]

pub(crate) mod infer;
mod lexicon;
pub mod relations;
mod stats;

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::numbers;
use synthgate_core::text::{format_date, format_timestamp};
use synthgate_core::{
    Bound, ColumnSchema, PrivacyRole, Result, Schema, SemanticType, StorageType, Table,
};

use crate::stats::{ColumnStats, TOP_VALUES, column_stats};

pub use crate::infer::HIGH_CARDINALITY;

/// Categorical text columns with at most this many levels list them in the written schema.
pub const SCHEMA_CATEGORIES_UP_TO: usize = 100;

/// A value and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueCount {
    /// The value as text.
    pub value: String,
    /// Rows holding it.
    pub count: usize,
    /// Its share of the non-missing rows.
    pub share: f64,
}

/// Quantiles of a numeric or temporal column (linear interpolation, as NumPy's default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    /// 5th percentile.
    pub p05: String,
    /// First quartile.
    pub p25: String,
    /// Median.
    pub p50: String,
    /// Third quartile.
    pub p75: String,
    /// 95th percentile.
    pub p95: String,
}

/// What profiling found out about one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnProfile {
    /// The column's name.
    pub name: String,
    /// How values are stored.
    pub storage: StorageType,
    /// What values mean (inferred, or from the schema).
    pub semantic: SemanticType,
    /// Why the semantic type was chosen.
    pub semantic_reason: String,
    /// The column's part in re-identification risk.
    pub role: PrivacyRole,
    /// Why the role was chosen (empty for no role).
    pub role_reason: String,
    /// Rows with no value.
    pub missing: usize,
    /// `missing` as a share of all rows.
    pub missing_share: f64,
    /// Distinct non-missing values.
    pub distinct: usize,
    /// More than [`HIGH_CARDINALITY`] distinct values in a categorical column.
    pub high_cardinality: bool,
    /// Smallest value (numeric and temporal columns), as text.
    pub min: Option<String>,
    /// Largest value (numeric and temporal columns), as text.
    pub max: Option<String>,
    /// Mean (numeric columns).
    pub mean: Option<f64>,
    /// Quantiles (numeric and temporal columns).
    pub quantiles: Option<Quantiles>,
    /// The most frequent values, most frequent first.
    pub top_values: Vec<ValueCount>,
    #[serde(skip)]
    schema_column: ColumnSchema,
    /// Every value, for a categorical, boolean or coded column of any storage with at most
    /// [`SCHEMA_CATEGORIES_UP_TO`] of them: the category list of a public-domain schema.
    #[serde(skip)]
    all_values: Option<Vec<String>>,
}

/// What profiling found out about a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Number of rows.
    pub rows: usize,
    /// Missing-value tokens the data was read with.
    pub na_tokens: Vec<String>,
    /// One profile per column, in table order.
    pub columns: Vec<ColumnProfile>,
}

impl Profile {
    /// The editable schema for this table: inferred types, roles and bounds, or the user's own
    /// schema entries where one was given to [`profile`].
    pub fn to_schema(&self) -> Result<Schema> {
        Schema::new(
            self.na_tokens.clone(),
            self.columns
                .iter()
                .map(|column| column.schema_column.clone())
                .collect(),
        )
    }

    /// [`Profile::to_schema`] for a user who vouches that the domains are public
    /// (`inspect --public-domains`): marked `public_domains = true`, and every categorical,
    /// boolean or coded column with at most [`SCHEMA_CATEGORIES_UP_TO`] values lists them,
    /// whatever its storage (a differentially private fit reads categories only from the
    /// schema).
    pub fn to_public_schema(&self) -> Result<Schema> {
        let mut schema = self.to_schema()?;
        for (column, profile) in schema.columns.iter_mut().zip(&self.columns) {
            if column.categories.is_none()
                && matches!(
                    column.semantic,
                    SemanticType::Categorical | SemanticType::OrdinalCode | SemanticType::Boolean
                )
                && let Some(values) = &profile.all_values
            {
                column.categories = Some(values.clone());
            }
        }
        schema.public_domains = true;
        Ok(schema)
    }
}

fn format_value(storage: StorageType, value: f64) -> String {
    match storage {
        StorageType::Int64 => format!("{}", value as i64),
        StorageType::Date => format_date(value as i32),
        StorageType::Timestamp | StorageType::TimestampUtc => {
            format_timestamp(value as i64, storage == StorageType::TimestampUtc)
        }
        _ => format_number(value),
    }
}

/// A number rounded for people: at most four decimals, no trailing zeros.
fn format_number(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn bound(storage: StorageType, value: Option<f64>) -> Option<Bound> {
    let value = value?;
    Some(match storage {
        StorageType::Int64 => Bound::Int(value as i64),
        StorageType::Float64 => Bound::Float(value),
        StorageType::Date | StorageType::Timestamp | StorageType::TimestampUtc => {
            Bound::Text(format_value(storage, value))
        }
        StorageType::Boolean | StorageType::String => return None,
    })
}

fn inferred_schema_column(
    name: &str,
    storage: StorageType,
    semantic: SemanticType,
    role: PrivacyRole,
    stats: &ColumnStats,
    missing_token: Option<&str>,
) -> ColumnSchema {
    let bounded = matches!(
        semantic,
        SemanticType::Continuous
            | SemanticType::Integer
            | SemanticType::OrdinalCode
            | SemanticType::Date
            | SemanticType::Datetime
    );
    let listed = storage == StorageType::String
        && matches!(
            semantic,
            SemanticType::Categorical | SemanticType::OrdinalCode | SemanticType::Boolean
        )
        && stats.distinct <= SCHEMA_CATEGORIES_UP_TO;
    ColumnSchema {
        name: name.to_string(),
        storage,
        semantic,
        role,
        min: if bounded {
            bound(storage, stats.min())
        } else {
            None
        },
        max: if bounded {
            bound(storage, stats.max())
        } else {
            None
        },
        categories: listed.then(|| {
            let mut values: Vec<String> = stats.values().map(str::to_string).collect();
            values.sort();
            values
        }),
        missing_token: missing_token.map(str::to_string),
        decimals: (storage == StorageType::Float64 && semantic == SemanticType::Continuous)
            .then(|| numbers::decimals_of(&stats.sorted))
            .flatten(),
        point_masses: (storage.is_numeric()
            && matches!(semantic, SemanticType::Continuous | SemanticType::Integer))
        .then(|| numbers::point_masses(&stats.sorted, POINT_MASS_ROWS))
        .filter(|masses| !masses.is_empty()),
        rare: None,
    }
}

/// Rows that must hold a value for the profiler to record it as a point mass: the default
/// rare-category threshold (a fit keeps only those its own threshold allows).
pub const POINT_MASS_ROWS: usize = 10;

fn profile_column(table: &Table, index: usize, given: Option<&ColumnSchema>) -> ColumnProfile {
    let name = table.column_names()[index].to_string();
    let storage = table.storage_type(index);
    let stats = column_stats(table, index);
    let (semantic, semantic_reason, role, role_reason, schema_column) = match given {
        Some(column) => (
            column.semantic,
            "from the schema".to_string(),
            column.role,
            "from the schema".to_string(),
            column.clone(),
        ),
        None => {
            let (semantic, semantic_reason) = infer::semantic_type(&name, storage, &stats);
            let (role, role_reason) = infer::privacy_role(&name, storage, semantic, &stats);
            let schema_column = inferred_schema_column(
                &name,
                storage,
                semantic,
                role,
                &stats,
                table.missing_token(index),
            );
            (semantic, semantic_reason, role, role_reason, schema_column)
        }
    };
    let present = stats.non_missing().max(1) as f64;
    let numeric_or_temporal = storage.is_numeric() || storage.is_temporal();
    let quantile = |q: f64| {
        stats
            .quantile(q)
            .map(|value| format_value(storage, value))
            .unwrap_or_default()
    };
    ColumnProfile {
        name,
        storage,
        semantic,
        semantic_reason,
        role,
        role_reason,
        missing: stats.missing,
        missing_share: if stats.rows == 0 {
            0.0
        } else {
            stats.missing as f64 / stats.rows as f64
        },
        distinct: stats.distinct,
        high_cardinality: semantic == SemanticType::Categorical
            && stats.distinct > HIGH_CARDINALITY,
        min: stats.min().map(|value| format_value(storage, value)),
        max: stats.max().map(|value| format_value(storage, value)),
        mean: if storage.is_numeric() {
            stats.mean()
        } else {
            None
        },
        quantiles: (numeric_or_temporal && !stats.sorted.is_empty()).then(|| Quantiles {
            p05: quantile(0.05),
            p25: quantile(0.25),
            p50: quantile(0.5),
            p75: quantile(0.75),
            p95: quantile(0.95),
        }),
        top_values: stats
            .counts
            .iter()
            .take(TOP_VALUES)
            .map(|(value, count)| ValueCount {
                value: value.clone(),
                count: *count,
                share: *count as f64 / present,
            })
            .collect(),
        schema_column,
        all_values: (stats.distinct <= SCHEMA_CATEGORIES_UP_TO).then(|| {
            let mut values: Vec<String> = stats.values().map(str::to_string).collect();
            natural_sort(&mut values);
            values
        }),
    }
}

/// Profile every column of `table`. With a `schema`, each column's semantic type, role, bounds
/// and categories come from it (matched by name) instead of being inferred; `na_tokens` are the
/// tokens the table was read with, recorded in the schema.
pub fn profile(table: &Table, schema: Option<&Schema>, na_tokens: &[String]) -> Profile {
    let names = table.column_names();
    let columns = (0..table.num_columns())
        .into_par_iter()
        .map(|index| {
            let given = schema.and_then(|schema| schema.column(names[index]));
            profile_column(table, index, given)
        })
        .collect();
    Profile {
        rows: table.num_rows(),
        na_tokens: na_tokens.to_vec(),
        columns,
    }
}

/// Numbers in numeric order, other text in text order.
fn natural_sort(values: &mut [String]) {
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    match numeric {
        Some(_) => values.sort_by(|a, b| {
            let key = |t: &str| t.parse::<f64>().unwrap_or(0.0);
            key(a).total_cmp(&key(b))
        }),
        None => values.sort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_for_people() {
        assert_eq!(format_number(37.0), "37");
        assert_eq!(format_number(0.123456), "0.1235");
        assert_eq!(format_number(-0.00001), "0");
        assert_eq!(format_number(2.5), "2.5");
    }
}
