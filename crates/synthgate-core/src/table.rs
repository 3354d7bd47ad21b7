//! The in-memory table: Arrow record batches sharing one schema.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{Field, SchemaRef};

use crate::error::{Error, Result};
use crate::schema::{MISSING_TOKEN_KEY, StorageType};
use crate::text::parse_float;

/// A table held as Arrow [`RecordBatch`]es that share one Arrow schema. Every column has one of
/// the [`StorageType`]s; readers convert anything else on the way in.
#[derive(Debug, Clone)]
pub struct Table {
    arrow_schema: SchemaRef,
    batches: Vec<RecordBatch>,
    num_rows: usize,
}

impl Table {
    /// A table from batches. Fails (as a bug) if a batch's schema differs or a column's type is
    /// not a [`StorageType`].
    pub fn new(arrow_schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Table> {
        for field in arrow_schema.fields() {
            if StorageType::from_arrow(field.data_type()).is_none() {
                return Err(Error::internal(format!(
                    "column '{}' has Arrow type {} which Synthgate tables do not hold",
                    field.name(),
                    field.data_type()
                )));
            }
        }
        for batch in &batches {
            if batch.schema().fields() != arrow_schema.fields() {
                return Err(Error::internal(
                    "a record batch's schema differs from its table's schema",
                ));
            }
        }
        let num_rows = batches.iter().map(RecordBatch::num_rows).sum();
        Ok(Table {
            arrow_schema,
            batches,
            num_rows,
        })
    }

    /// Only the columns called `names`, in that order. A name the table lacks is an input
    /// error naming it.
    pub fn select(&self, names: &[String]) -> Result<Table> {
        let indices = names
            .iter()
            .map(|name| {
                self.column_names()
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| Error::input(format!("the table has no column '{name}'.")))
            })
            .collect::<Result<Vec<usize>>>()?;
        let schema = self
            .arrow_schema
            .project(&indices)
            .map_err(|error| Error::internal(format!("projecting columns failed: {error}")))?;
        let batches = self
            .batches
            .iter()
            .map(|batch| {
                batch
                    .project(&indices)
                    .map_err(|error| Error::internal(format!("projecting columns failed: {error}")))
            })
            .collect::<Result<Vec<RecordBatch>>>()?;
        Table::new(std::sync::Arc::new(schema), batches)
    }

    /// The rows at `rows`, in that order, as one batch; `None` gives a row of missing values
    /// in every column. An index past the end is a bug (internal error).
    pub fn take(&self, rows: &[Option<usize>]) -> Result<Table> {
        let failed = |error: arrow_schema::ArrowError| {
            Error::internal(format!("taking rows of a table failed: {error}"))
        };
        if let Some(row) = rows.iter().flatten().find(|row| **row >= self.num_rows) {
            return Err(Error::internal(format!(
                "row {row} taken from a table of {} rows",
                self.num_rows
            )));
        }
        let indices = arrow_array::UInt32Array::from(
            rows.iter()
                .map(|row| row.map(|r| r as u32))
                .collect::<Vec<Option<u32>>>(),
        );
        let columns = (0..self.num_columns())
            .map(|index| {
                let whole = self.whole_column(index)?;
                arrow_select::take::take(whole.as_ref(), &indices, None).map_err(failed)
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        // A table of no columns (a split table of its key alone, the key set aside) still
        // has its rows.
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
        let batch = RecordBatch::try_new_with_options(self.arrow_schema.clone(), columns, &options)
            .map_err(failed)?;
        Table::new(self.arrow_schema.clone(), vec![batch])
    }

    /// This table with column `name` replaced by `values` (one batch; same row count), its
    /// field keeping its name and metadata but taking `values`' type.
    pub fn with_column(&self, name: &str, values: ArrayRef) -> Result<Table> {
        let failed = |error: arrow_schema::ArrowError| {
            Error::internal(format!("replacing a column failed: {error}"))
        };
        let index = self
            .column_names()
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| Error::internal(format!("the table has no column '{name}'")))?;
        if values.len() != self.num_rows {
            return Err(Error::internal(format!(
                "column '{name}' replaced by {} values for {} rows",
                values.len(),
                self.num_rows
            )));
        }
        let mut fields: Vec<Field> = self
            .arrow_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields[index] = fields[index]
            .clone()
            .with_data_type(values.data_type().clone())
            .with_nullable(true);
        let schema = std::sync::Arc::new(arrow_schema::Schema::new_with_metadata(
            fields,
            self.arrow_schema.metadata().clone(),
        ));
        let mut columns = (0..self.num_columns())
            .map(|i| self.whole_column(i))
            .collect::<Result<Vec<ArrayRef>>>()?;
        columns[index] = values;
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(failed)?;
        Table::new(schema, vec![batch])
    }

    /// Column `index` as one array (its batches' chunks joined).
    pub fn whole_column(&self, index: usize) -> Result<ArrayRef> {
        let chunks: Vec<&dyn Array> = self.column_chunks(index).map(|c| c.as_ref()).collect();
        if chunks.is_empty() {
            return Ok(arrow_array::new_empty_array(
                self.arrow_schema.field(index).data_type(),
            ));
        }
        arrow_select::concat::concat(&chunks)
            .map_err(|error| Error::internal(format!("joining a column's chunks failed: {error}")))
    }

    /// This table's columns, then `other`'s (same row count) with `prefix` before each name,
    /// as one batch: a child's rows beside its parent's.
    pub fn beside(&self, other: &Table, prefix: &str) -> Result<Table> {
        let failed = |error: arrow_schema::ArrowError| {
            Error::internal(format!("joining two tables failed: {error}"))
        };
        if other.num_rows != self.num_rows {
            return Err(Error::internal(format!(
                "a table of {} rows put beside one of {}",
                other.num_rows, self.num_rows
            )));
        }
        let mut fields: Vec<Field> = self
            .arrow_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(other.arrow_schema.fields().iter().map(|f| {
            f.as_ref()
                .clone()
                .with_name(format!("{prefix}{}", f.name()))
                .with_nullable(true)
        }));
        let whole = |table: &Table| -> Result<Vec<ArrayRef>> {
            (0..table.num_columns())
                .map(|index| table.whole_column(index))
                .collect()
        };
        let mut columns = whole(self)?;
        columns.extend(whole(other)?);
        let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(failed)?;
        Table::new(schema, vec![batch])
    }

    /// The Arrow schema.
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow_schema
    }

    /// The batches, in row order.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.arrow_schema.fields().len()
    }

    /// Column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.arrow_schema
            .fields()
            .iter()
            .map(|field| field.name().as_str())
            .collect()
    }

    /// The storage type of column `index`.
    pub fn storage_type(&self, index: usize) -> StorageType {
        // `Table::new` checked every field's type, so this lookup cannot fail.
        StorageType::from_arrow(self.arrow_schema.field(index).data_type())
            .unwrap_or(StorageType::String)
    }

    /// The chunks of column `index`, one per batch, in row order.
    pub fn column_chunks(&self, index: usize) -> impl Iterator<Item = &ArrayRef> + '_ {
        self.batches.iter().map(move |batch| batch.column(index))
    }

    /// Column `index` as numbers, `NaN` for missing: integers and floats as they are, dates as
    /// days and timestamps as microseconds since 1970-01-01, booleans as 0 and 1, text that
    /// reads as a number as that number (else `NaN`).
    pub fn numbers(&self, index: usize) -> Vec<f64> {
        let storage = self.storage_type(index);
        let mut values = Vec::with_capacity(self.num_rows);
        for chunk in self.column_chunks(index) {
            let chunk = chunk.as_ref();
            match storage {
                StorageType::Int64 => values.extend(
                    chunk
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map_or(f64::NAN, |v| v as f64)),
                ),
                StorageType::Float64 => values.extend(
                    chunk
                        .as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.unwrap_or(f64::NAN)),
                ),
                StorageType::Date => values.extend(
                    chunk
                        .as_primitive::<Date32Type>()
                        .iter()
                        .map(|v| v.map_or(f64::NAN, f64::from)),
                ),
                StorageType::Timestamp | StorageType::TimestampUtc => values.extend(
                    chunk
                        .as_primitive::<TimestampMicrosecondType>()
                        .iter()
                        .map(|v| v.map_or(f64::NAN, |v| v as f64)),
                ),
                StorageType::Boolean => values.extend(
                    chunk
                        .as_boolean()
                        .iter()
                        .map(|v| v.map_or(f64::NAN, |v| f64::from(u8::from(v)))),
                ),
                StorageType::String => values.extend(chunk.as_string::<i32>().iter().map(|v| {
                    v.and_then(|text| parse_float(text.trim()))
                        .unwrap_or(f64::NAN)
                })),
            }
        }
        values
    }

    /// Column `index` as key values, `None` for missing: text as it is, integers in decimal,
    /// floats holding a whole number as that integer (a key column with missing values is
    /// often written as `517.0`), other floats in their shortest round-trip form, booleans as
    /// `true` / `false`, dates as days and timestamps as microseconds since 1970-01-01. Two
    /// columns of one key type give equal texts exactly for equal values.
    pub fn key_texts(&self, index: usize) -> Vec<Option<String>> {
        let storage = self.storage_type(index);
        let mut values = Vec::with_capacity(self.num_rows);
        for chunk in self.column_chunks(index) {
            let chunk = chunk.as_ref();
            match storage {
                StorageType::String => values.extend(
                    chunk
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.map(str::to_string)),
                ),
                StorageType::Boolean => {
                    values.extend(chunk.as_boolean().iter().map(|v| v.map(|v| v.to_string())))
                }
                StorageType::Int64 => values.extend(
                    chunk
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|v| v.to_string())),
                ),
                StorageType::Float64 => {
                    values.extend(chunk.as_primitive::<Float64Type>().iter().map(|v| {
                        v.filter(|v| !v.is_nan()).map(|v| {
                            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                                format!("{}", v as i64)
                            } else {
                                format!("{v}")
                            }
                        })
                    }))
                }
                StorageType::Date => values.extend(
                    chunk
                        .as_primitive::<Date32Type>()
                        .iter()
                        .map(|v| v.map(|v| v.to_string())),
                ),
                StorageType::Timestamp | StorageType::TimestampUtc => values.extend(
                    chunk
                        .as_primitive::<TimestampMicrosecondType>()
                        .iter()
                        .map(|v| v.map(|v| v.to_string())),
                ),
            }
        }
        values
    }

    /// The key of every row over the columns `indices` ([`Table::key_texts`] joined by U+001F),
    /// `None` when any part is missing (SQL's MATCH SIMPLE).
    pub fn composite_keys(&self, indices: &[usize]) -> Vec<Option<String>> {
        let parts: Vec<Vec<Option<String>>> =
            indices.iter().map(|&index| self.key_texts(index)).collect();
        (0..self.num_rows)
            .map(|row| {
                let mut key = String::new();
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        key.push('\u{1f}');
                    }
                    key.push_str(part[row].as_deref()?);
                }
                Some(key)
            })
            .collect()
    }

    /// The text the source writes for a missing value in column `index`, if it is not an
    /// empty field (the field's [`MISSING_TOKEN_KEY`] metadata).
    pub fn missing_token(&self, index: usize) -> Option<&str> {
        self.arrow_schema
            .field(index)
            .metadata()
            .get(MISSING_TOKEN_KEY)
            .map(String::as_str)
    }

    /// The same table with each column's missing-value token set (`None`: an empty field),
    /// one entry per column.
    pub fn with_missing_tokens(&self, tokens: &[Option<String>]) -> Result<Table> {
        let fields: Vec<Field> = self
            .arrow_schema
            .fields()
            .iter()
            .zip(tokens)
            .map(|(field, token)| {
                let mut metadata = field.metadata().clone();
                match token {
                    Some(token) => metadata.insert(MISSING_TOKEN_KEY.to_string(), token.clone()),
                    None => metadata.remove(MISSING_TOKEN_KEY),
                };
                field.as_ref().clone().with_metadata(metadata)
            })
            .collect();
        if fields.len() != self.num_columns() {
            return Err(Error::internal(
                "missing-value tokens given for the wrong columns",
            ));
        }
        let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
        let batches = self
            .batches
            .iter()
            .map(|batch| {
                RecordBatch::try_new(schema.clone(), batch.columns().to_vec()).map_err(|error| {
                    Error::internal(format!("relabelling columns failed: {error}"))
                })
            })
            .collect::<Result<Vec<RecordBatch>>>()?;
        Table::new(schema, batches)
    }

    /// Number of missing values in column `index`.
    pub fn null_count(&self, index: usize) -> usize {
        self.column_chunks(index)
            .map(|chunk| chunk.null_count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn select_reorders_drops_and_names_a_missing_column() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec!["x", "y"])),
                Arc::new(Int64Array::from(vec![5, 6])),
            ],
        )
        .expect("batch");
        let table = Table::new(schema, vec![batch]).expect("table");
        let picked = table
            .select(&["c".to_string(), "a".to_string()])
            .expect("select");
        assert_eq!(picked.column_names(), ["c", "a"]);
        assert_eq!(picked.numbers(0), [5.0, 6.0]);
        assert_eq!(picked.num_rows(), 2);
        let error = table.select(&["z".to_string()]).expect_err("no column z");
        assert!(error.message().contains("'z'"), "{}", error.message());
        // No columns at all (a split table of its key alone, the key set aside) still has
        // rows to take.
        let none = table.select(&[]).expect("no columns");
        assert_eq!(none.num_rows(), 2);
        let taken = none.take(&[Some(1), None, Some(0)]).expect("rows taken");
        assert_eq!((taken.num_rows(), taken.num_columns()), (3, 0));
    }
}
