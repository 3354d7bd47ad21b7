//! Writing a [`Table`] as CSV: a header row, comma-separated, quoted where needed, missing
//! values as the column's missing-value token (as the source wrote them; an empty field when it
//! has none), floats in a form that reads back as the same float, timestamps in
//! ISO 8601 (`Z` for UTC).
//!
//! CSV cannot tell a missing value from text that spells a missing-value token: a string value
//! `NA` (possible only in a table read from Parquet or built in memory) reads back as missing.
//! Use Parquet where such values matter.

use std::io::Write;
use std::path::Path;

use synthgate_core::text::format_cell;
use synthgate_core::{Error, Result, StorageType, Table};

use crate::output::io_error;

/// Write `table` as CSV into `writer`.
pub(crate) fn write_csv<W: Write>(table: &Table, path: &Path, writer: W) -> Result<()> {
    let mut csv_writer = csv::WriterBuilder::new().from_writer(writer);
    let failed = |error: csv::Error| match error.into_kind() {
        csv::ErrorKind::Io(io) => io_error(path, "write the output file", &io),
        other => Error::internal(format!("writing CSV failed: {other:?}")),
    };
    csv_writer
        .write_record(table.column_names())
        .map_err(failed)?;
    let storage: Vec<StorageType> = (0..table.num_columns())
        .map(|index| table.storage_type(index))
        .collect();
    let missing: Vec<String> = (0..table.num_columns())
        .map(|index| table.missing_token(index).unwrap_or_default().to_string())
        .collect();
    let mut record: Vec<String> = Vec::with_capacity(storage.len());
    for batch in table.batches() {
        for row in 0..batch.num_rows() {
            record.clear();
            for ((column, &storage), missing) in batch.columns().iter().zip(&storage).zip(&missing)
            {
                record.push(
                    format_cell(column.as_ref(), storage, row).unwrap_or_else(|| missing.clone()),
                );
            }
            csv_writer.write_record(&record).map_err(failed)?;
        }
    }
    csv_writer
        .flush()
        .map_err(|error| io_error(path, "write the output file", &error))
}
