//! Reading and writing Parquet.
//!
//! Reading converts every column to one of the [`StorageType`]s: narrower integers widen to
//! `int64` (an unsigned value beyond it is refused, naming the column), `float32` and decimals become `float64`, large and view strings and dictionaries
//! become `string`, every timestamp becomes microseconds (zoned ones in UTC). Parquet has real
//! missing values, so the default tokens (`NA`, `null`, ...) are not applied to its text: only
//! tokens the user names explicitly (`--na`) turn text into missing values. Nested and binary
//! columns are refused with a message naming them.
//!
//! A float NaN is a missing value, as everywhere in Synthgate. An infinite float is refused with
//! its row and column, unless `inf` is a missing-value token (`--na inf`), which reads it as
//! missing.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::{DataType, Field, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use synthgate_core::{Error, Location, Result, Schema, StorageType, Table};

use crate::Progress;
use crate::na::NaTokens;
use crate::output::io_error;

/// The storage type a Parquet column's Arrow type converts to, if any.
fn target_storage(data_type: &DataType) -> Option<StorageType> {
    use DataType as D;
    Some(match data_type {
        // An unsigned 64-bit value beyond int64 is refused by the cast, never rounded to a float.
        D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => {
            StorageType::Int64
        }
        D::Float16 | D::Float32 | D::Float64 => StorageType::Float64,
        D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => {
            StorageType::Float64
        }
        D::Boolean => StorageType::Boolean,
        D::Utf8 | D::LargeUtf8 | D::Utf8View => StorageType::String,
        D::Dictionary(_, value) => return target_storage(value),
        D::Date32 | D::Date64 => StorageType::Date,
        D::Timestamp(_, None) => StorageType::Timestamp,
        D::Timestamp(_, Some(_)) => StorageType::TimestampUtc,
        D::Null => StorageType::String,
        _ => return None,
    })
}

/// Convert one column of a batch whose first row is row `first_row` (0-based) of the file.
fn convert_column(
    path: &Path,
    name: &str,
    column: &ArrayRef,
    storage: StorageType,
    na: &NaTokens,
    first_row: u64,
) -> Result<ArrayRef> {
    let target = storage.arrow_type();
    let text = matches!(
        column.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    if text
        && matches!(
            storage,
            StorageType::Date | StorageType::Timestamp | StorageType::TimestampUtc
        )
    {
        return parse_times(path, name, column, storage, na, first_row);
    }
    let column = if let DataType::Timestamp(unit, Some(_)) = column.data_type() {
        // A zoned timestamp is stored as UTC already; relabel it before changing the unit.
        let relabelled = DataType::Timestamp(*unit, Some("UTC".into()));
        cast(path, name, column, &relabelled)?
    } else {
        column.clone()
    };
    let converted = if column.data_type() == &target {
        column
    } else {
        cast(path, name, &column, &target)?
    };
    if storage == StorageType::Float64 {
        return finite_or_missing(path, name, converted, na, first_row);
    }
    if storage != StorageType::String {
        return Ok(converted);
    }
    // Text equal to a missing-value token becomes missing, as when reading CSV.
    let Some(strings) = converted.as_any().downcast_ref::<StringArray>() else {
        return Err(Error::internal("a string column did not cast to Utf8"));
    };
    if !strings.iter().flatten().any(|value| na.is_na(value.trim())) {
        return Ok(converted);
    }
    let cleaned: StringArray = strings
        .iter()
        .map(|value| value.filter(|text| !na.is_na(text.trim())))
        .collect();
    Ok(Arc::new(cleaned))
}

/// A text column read as dates or timestamps, as the CSV reader reads them (`YYYY-MM-DD`,
/// `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM]`; a zoned text is converted to UTC, and
/// `timestamp_utc` takes zoned texts only). Text that is not one is refused with its row.
fn parse_times(
    path: &Path,
    name: &str,
    column: &ArrayRef,
    storage: StorageType,
    na: &NaTokens,
    first_row: u64,
) -> Result<ArrayRef> {
    let strings = cast(path, name, column, &DataType::Utf8)?;
    let Some(strings) = strings.as_any().downcast_ref::<StringArray>() else {
        return Err(Error::internal("a string column did not cast to Utf8"));
    };
    let refuse = |index: usize, value: &str| {
        let kind = match storage {
            StorageType::Date => "a date (YYYY-MM-DD)",
            StorageType::TimestampUtc => "a timestamp with a zone (Z or an offset)",
            _ => "a timestamp (YYYY-MM-DD HH:MM:SS)",
        };
        Error::input(format!(
            "row {} holds '{value}', which is not {kind}.",
            first_row + index as u64 + 1
        ))
        .at(Location::file(path).column(name))
        .hint("Give the column another storage type with --schema (\"string\" keeps any value exactly).")
    };
    fn present<'a>(value: Option<&'a str>, na: &NaTokens) -> Option<&'a str> {
        value.filter(|text| !na.is_na(text.trim()))
    }
    Ok(match storage {
        StorageType::Date => {
            let mut days = Vec::with_capacity(strings.len());
            for (index, value) in strings.iter().enumerate() {
                days.push(match present(value, na) {
                    None => None,
                    Some(text) => Some(
                        synthgate_core::text::parse_date(text.trim())
                            .ok_or_else(|| refuse(index, text))?,
                    ),
                });
            }
            Arc::new(arrow_array::Date32Array::from(days))
        }
        _ => {
            let utc = storage == StorageType::TimestampUtc;
            let mut micros = Vec::with_capacity(strings.len());
            for (index, value) in strings.iter().enumerate() {
                micros.push(match present(value, na) {
                    None => None,
                    Some(text) => {
                        let parsed = synthgate_core::text::parse_timestamp(text.trim())
                            .filter(|t| t.zoned == utc)
                            .ok_or_else(|| refuse(index, text))?;
                        Some(parsed.micros)
                    }
                });
            }
            let array = arrow_array::TimestampMicrosecondArray::from(micros);
            Arc::new(if utc {
                array.with_timezone("UTC")
            } else {
                array
            })
        }
    })
}

/// A float column with NaN read as missing and infinities refused, or read as missing when their
/// text (`inf`, `-inf`) is a missing-value token.
fn finite_or_missing(
    path: &Path,
    name: &str,
    column: ArrayRef,
    na: &NaTokens,
    first_row: u64,
) -> Result<ArrayRef> {
    let Some(floats) = column.as_any().downcast_ref::<Float64Array>() else {
        return Err(Error::internal("a float column did not cast to Float64"));
    };
    if floats.iter().flatten().all(f64::is_finite) {
        return Ok(column);
    }
    let mut values = Vec::with_capacity(floats.len());
    for (index, value) in floats.iter().enumerate() {
        values.push(match value {
            Some(value) if value.is_nan() => None,
            Some(value) if value.is_infinite() => {
                let text = if value > 0.0 { "inf" } else { "-inf" };
                if !na.is_na(text) {
                    return Err(Error::input(format!(
                        "row {} holds the value {text}, and Synthgate holds no infinite numbers.",
                        first_row + index as u64 + 1
                    ))
                    .at(Location::file(path).column(name))
                    .hint(
                        "Correct the value, or read infinities as missing values with `--na inf`.",
                    ));
                }
                None
            }
            other => other,
        });
    }
    Ok(Arc::new(Float64Array::from(values)))
}

fn cast(path: &Path, name: &str, column: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    cast_with_options(column, target, &options).map_err(|error| {
        Error::input(format!(
            "the column's values could not be converted from {} to {target}: {error}.",
            column.data_type()
        ))
        .at(Location::file(path).column(name))
        .hint(
            "Give the column another storage type with --schema (\"string\" keeps any value \
             exactly).",
        )
    })
}

/// Read a Parquet file.
pub(crate) fn read_parquet(
    path: &Path,
    na: &NaTokens,
    schema: Option<&Schema>,
    progress: Option<&Progress<'_>>,
) -> Result<Table> {
    let file = File::open(path).map_err(|error| io_error(path, "open the file", &error))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|error| {
        Error::input(format!("this is not a readable Parquet file: {error}."))
            .at(Location::file(path))
            .hint("Check that the file is complete and really Parquet.")
    })?;
    let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let source_schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(crate::csv_read::BATCH_ROWS)
        .build()
        .map_err(|error| parquet_error(path, &error))?;
    let batches = reader.map(|batch| {
        batch.map_err(|error| {
            Error::input(format!("the Parquet data could not be decoded: {error}."))
                .at(Location::file(path))
        })
    });
    let table = convert_batches(path, &source_schema, batches, na, schema, &|done| {
        if let Some(progress) = progress {
            progress(done, total_rows);
        }
    })?;
    if table.num_rows() == 0 {
        return Err(Error::input("the file has no data rows.").at(Location::file(path)));
    }
    Ok(table)
}

/// A table of Arrow record batches in memory (a data frame handed over through the Arrow C
/// interface), converted as a Parquet file's columns are: every column to one of the
/// [`StorageType`]s, or to the storage `schema` gives it. `label` names the table in errors
/// where a file's path would (e.g. `the DataFrame 'train'`). Only `na`'s tokens turn text
/// into missing values. A field's `synthgate.missing_token` metadata is kept.
pub fn table_from_arrow(
    label: &Path,
    source_schema: &arrow_schema::SchemaRef,
    batches: Vec<RecordBatch>,
    na: &NaTokens,
    schema: Option<&Schema>,
) -> Result<Table> {
    let table = convert_batches(
        label,
        source_schema,
        batches.into_iter().map(Ok),
        na,
        schema,
        &|_| {},
    )?;
    if table.num_rows() == 0 {
        return Err(Error::input("the table has no rows.").at(Location::file(label)));
    }
    // A column's missing-value token (how its source wrote a missing value) survives the trip
    // through the frame, so the table writes as the source would.
    let tokens: Vec<Option<String>> = source_schema
        .fields()
        .iter()
        .map(|field| {
            field
                .metadata()
                .get(synthgate_core::MISSING_TOKEN_KEY)
                .cloned()
        })
        .collect();
    if tokens.iter().any(Option::is_some) {
        return table.with_missing_tokens(&tokens);
    }
    Ok(table)
}

/// Convert `batches` of `source_schema` (read from `path`) to Synthgate's storage types.
fn convert_batches(
    path: &Path,
    source_schema: &arrow_schema::SchemaRef,
    batches: impl Iterator<Item = Result<RecordBatch>>,
    na: &NaTokens,
    schema: Option<&Schema>,
    progress: &dyn Fn(u64),
) -> Result<Table> {
    let mut storage = Vec::with_capacity(source_schema.fields().len());
    for field in source_schema.fields() {
        let from_schema = match schema {
            Some(schema) => Some(schema.column(field.name()).map(|c| c.storage).ok_or_else(
                || {
                    Error::spec("the schema has no column of this name.")
                        .at(Location::file(path).column(field.name()))
                        .hint("Use the schema written for this data, or add the column to it.")
                },
            )?),
            None => None,
        };
        let inferred = target_storage(field.data_type()).ok_or_else(|| {
            Error::input(format!(
                "the column has Parquet/Arrow type {}, which Synthgate cannot hold.",
                field.data_type()
            ))
            .at(Location::file(path).column(field.name()))
            .hint("Drop or flatten the column (nested and binary columns are not supported).")
        })?;
        storage.push(from_schema.unwrap_or(inferred));
    }
    if let Some(schema) = schema
        && let Some(column) = schema
            .columns
            .iter()
            .find(|column| source_schema.field_with_name(&column.name).is_err())
    {
        return Err(
            Error::spec("the schema lists a column that the data lacks.")
                .at(Location::file(path).column(&column.name))
                .hint("Use the schema written for this data."),
        );
    }
    let fields: Vec<Field> = source_schema
        .fields()
        .iter()
        .zip(&storage)
        .map(|(field, storage)| Field::new(field.name(), storage.arrow_type(), true))
        .collect();
    let arrow_schema = Arc::new(ArrowSchema::new(fields));
    let mut converted_batches = Vec::new();
    let mut rows_done = 0u64;
    for batch in batches {
        let batch = batch?;
        let columns = batch
            .columns()
            .iter()
            .zip(source_schema.fields())
            .zip(&storage)
            .map(|((column, field), &storage)| {
                convert_column(path, field.name(), column, storage, na, rows_done)
            })
            .collect::<Result<Vec<_>>>()?;
        let converted = RecordBatch::try_new(arrow_schema.clone(), columns)
            .map_err(|error| Error::internal(format!("building a record batch failed: {error}")))?;
        rows_done += converted.num_rows() as u64;
        progress(rows_done);
        converted_batches.push(converted);
    }
    Table::new(arrow_schema, converted_batches)
}

fn parquet_error(path: &Path, error: &parquet::errors::ParquetError) -> Error {
    Error::input(format!("the Parquet file could not be read: {error}.")).at(Location::file(path))
}

/// Write `table` as Parquet (zstd-compressed) into `writer`.
pub(crate) fn write_parquet<W: std::io::Write + Send>(
    table: &Table,
    path: &Path,
    writer: W,
) -> Result<()> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("synthgate {}", env!("CARGO_PKG_VERSION")))
        .build();
    let write_error = |error: parquet::errors::ParquetError| match error {
        parquet::errors::ParquetError::External(inner) => {
            let io = std::io::Error::other(inner.to_string());
            io_error(path, "write the output file", &io)
        }
        other => Error::internal(format!("writing Parquet failed: {other}")),
    };
    let mut arrow_writer =
        ArrowWriter::try_new(writer, table.arrow_schema().clone(), Some(properties))
            .map_err(write_error)?;
    for batch in table.batches() {
        arrow_writer.write(batch).map_err(write_error)?;
    }
    arrow_writer.close().map_err(write_error)?;
    Ok(())
}
