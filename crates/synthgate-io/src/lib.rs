//! Reading and writing tables: CSV and Parquet in, CSV and Parquet out.
//!
//! - [`read_table`] reads a file into a [`Dataset`] (the [`Table`] plus [`SourceInfo`]: format,
//!   delimiter, missing-value tokens, size). [`ReadOptions`] carries extra missing-value tokens
//!   (`--na`), an optional [`Schema`] that fixes every column's storage type, a forced
//!   delimiter and a progress callback.
//! - [`write_table`] writes a [`Table`] as CSV or Parquet, chosen by the file extension, through
//!   [`write_atomically`]: a temporary file renamed into place, never a half-written file, never
//!   over an existing file unless [`Overwrite::Allow`].
//! - [`write_secret_atomically`] writes a secret (a private key) the same way, readable by its
//!   owner only from the first byte.
//! - [`Format`] maps file extensions to formats.
//!
//! Every failure is a [`synthgate_core::Error`] that names the file, and the line and column
//! where there is one.

#![warn(missing_docs)]

mod csv_read;
mod csv_write;
mod na;
mod output;
mod parquet_io;
pub use parquet_io::table_from_arrow;

use std::path::{Path, PathBuf};

use synthgate_core::{Error, Location, Result, Schema, Table};

pub use na::NaTokens;
pub use output::{
    Overwrite, check_output_path, io_error, write_atomically, write_bytes_atomically,
    write_secret_atomically,
};

/// A progress callback: (units done, units in all). Units are bytes for CSV and rows for
/// Parquet.
pub type Progress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// A table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-, semicolon- or tab-separated text.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format of `path` by its extension: `.csv`, `.tsv`, `.tab` and `.txt` are CSV;
    /// `.parquet` and `.pq` are Parquet.
    pub fn from_path(path: &Path) -> Result<Format> {
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "csv" | "tsv" | "tab" | "txt" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(Error::usage(if extension.is_empty() {
                "the file name has no extension, so its format is unknown.".to_string()
            } else {
                format!("the extension '.{extension}' is not a table format Synthgate knows.")
            })
            .at(Location::file(path))
            .hint("Use a .csv, .tsv or .parquet file (rename the file if its content is one).")),
        }
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// How to read a table.
#[derive(Default)]
pub struct ReadOptions<'a> {
    /// Missing-value tokens to add to the schema's (or the defaults without a schema).
    pub extra_na_tokens: Vec<String>,
    /// A schema that fixes each column's storage type (columns may be in any order).
    pub schema: Option<&'a Schema>,
    /// A delimiter to use instead of detecting one (CSV only).
    pub delimiter: Option<u8>,
    /// Called as reading progresses.
    pub progress: Option<&'a Progress<'a>>,
}

impl std::fmt::Debug for ReadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("extra_na_tokens", &self.extra_na_tokens)
            .field("schema", &self.schema.is_some())
            .field("delimiter", &self.delimiter)
            .finish_non_exhaustive()
    }
}

/// Where a table came from and how it was read.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// The file read.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The delimiter used (CSV only).
    pub delimiter: Option<u8>,
    /// The missing-value tokens in force.
    pub na_tokens: Vec<String>,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// A table read from a file.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The data.
    pub table: Table,
    /// How it was read.
    pub info: SourceInfo,
}

fn check_input_path(path: &Path) -> Result<u64> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => {
            Err(Error::input("this is a folder, not a data file.")
                .at(Location::file(path))
                .hint("Give the path of a .csv or .parquet file inside it."))
        }
        Ok(metadata) => Ok(metadata.len()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::input("the file does not exist.")
                .at(Location::file(path))
                .hint("Check the path; relative paths start from the current folder."))
        }
        Err(error) => Err(io_error(path, "read the file's metadata", &error)),
    }
}

/// Read the table in `path` (CSV or Parquet, by extension).
pub fn read_table(path: &Path, options: &ReadOptions<'_>) -> Result<Dataset> {
    let bytes = check_input_path(path)?;
    let format = Format::from_path(path)?;
    let na = NaTokens::new(options.schema, &options.extra_na_tokens);
    let is_tsv = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("tsv"));
    let forced_delimiter = options.delimiter.or(is_tsv.then_some(b'\t'));
    let (table, delimiter) = match format {
        Format::Csv => {
            let read = csv_read::read_csv(
                path,
                &na,
                options.schema,
                forced_delimiter,
                options.progress,
            )?;
            (read.table, Some(read.delimiter))
        }
        Format::Parquet => {
            if bytes == 0 {
                return Err(Error::input("the file is empty.").at(Location::file(path)));
            }
            (
                parquet_io::read_parquet(path, &na, options.schema, options.progress)?,
                None,
            )
        }
    };
    Ok(Dataset {
        table,
        info: SourceInfo {
            path: path.to_path_buf(),
            format,
            delimiter,
            na_tokens: na.tokens().to_vec(),
            bytes,
        },
    })
}

/// The SHA-256 of a file's bytes, in lower-case hex, read in blocks.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).map_err(|error| io_error(path, "open the file", &error))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|error| io_error(path, "read the file", &error))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Write `table` to `path` as CSV or Parquet (by extension), atomically.
pub fn write_table(table: &Table, path: &Path, overwrite: Overwrite) -> Result<()> {
    let format = Format::from_path(path)?;
    write_atomically(path, overwrite, |writer| match format {
        Format::Csv => csv_write::write_csv(table, path, writer),
        Format::Parquet => parquet_io::write_parquet(table, path, writer),
    })
}

/// `table` as the bytes of the Parquet file [`write_table`] would write (for a digest, without
/// a file).
pub fn parquet_bytes(table: &Table) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    parquet_io::write_parquet(table, Path::new("(in memory)"), &mut bytes)?;
    Ok(bytes)
}

/// The rows of `first`, then those of `second`, in `first`'s schema: `second` must have the
/// same column names in the same order; its values are cast to `first`'s types.
pub fn append_rows(first: &Table, second: &Table) -> Result<Table> {
    let schema = first.arrow_schema().clone();
    if first.column_names() != second.column_names() {
        return Err(Error::internal(format!(
            "appending rows of columns ({}) to a table of columns ({})",
            second.column_names().join(", "),
            first.column_names().join(", ")
        )));
    }
    let mut batches = first.batches().to_vec();
    for batch in second.batches() {
        let columns = batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(column, field)| {
                arrow_cast::cast(column, field.data_type()).map_err(|error| {
                    Error::internal(format!("casting column '{}' failed: {error}", field.name()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        batches.push(
            arrow_array::RecordBatch::try_new(schema.clone(), columns)
                .map_err(|error| Error::internal(format!("appending rows failed: {error}")))?,
        );
    }
    Table::new(schema, batches)
}

/// A table of two columns: `row` (0, 1, ...) and `name`, one text label per row.
pub fn labels_table(name: &str, labels: &[&str]) -> Result<Table> {
    let fields = vec![
        arrow_schema::Field::new("row", arrow_schema::DataType::Int64, false),
        arrow_schema::Field::new(name, arrow_schema::DataType::Utf8, false),
    ];
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    let rows: arrow_array::ArrayRef = std::sync::Arc::new(
        arrow_array::Int64Array::from_iter_values(0..labels.len() as i64),
    );
    let values: arrow_array::ArrayRef =
        std::sync::Arc::new(arrow_array::StringArray::from_iter_values(labels.iter()));
    let batch = arrow_array::RecordBatch::try_new(schema.clone(), vec![rows, values])
        .map_err(|error| Error::internal(format!("building the '{name}' table failed: {error}")))?;
    Table::new(schema, vec![batch])
}

/// The rows of `table` at `rows` (in that order), as one batch.
pub fn take_rows(table: &Table, rows: &[u32]) -> Result<Table> {
    let batch = arrow_select::concat::concat_batches(table.arrow_schema(), table.batches())
        .map_err(|error| Error::internal(format!("concatenating batches failed: {error}")))?;
    let indices = arrow_array::UInt32Array::from(rows.to_vec());
    let taken = arrow_select::take::take_record_batch(&batch, &indices)
        .map_err(|error| Error::internal(format!("taking rows failed: {error}")))?;
    Table::new(table.arrow_schema().clone(), vec![taken])
}
