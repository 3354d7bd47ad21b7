//! Reading CSV into a [`Table`].
//!
//! Two passes over the file, both streaming. The first detects the delimiter (comma, semicolon or
//! tab, from a sample), checks every record (UTF-8, field count) and infers each column's
//! storage type from **every** value, so a float in the last row still makes the column float.
//! The second pass parses values into Arrow arrays, [`BATCH_ROWS`] rows per record batch. With a
//! schema the types are known and the first pass is skipped. Memory stays near the size of the
//! Arrow arrays (about the file size) plus one batch of builders.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema as ArrowSchema};
use synthgate_core::{Error, Location, Result, Schema, StorageType, Table};

use crate::Progress;
use crate::na::NaTokens;
use crate::output::io_error;
use synthgate_core::text::{
    is_float_beyond_f64, is_integer_beyond_i64, parse_bool, parse_date, parse_float,
    parse_infinity, parse_int, parse_timestamp,
};

/// Rows per record batch.
pub(crate) const BATCH_ROWS: usize = 65_536;

/// How many bytes the delimiter sniffer and the early binary check look at (every record is
/// checked for NUL bytes again as it is read).
const SNIFF_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a CSV read found out besides the table.
#[derive(Debug, Clone)]
pub(crate) struct CsvRead {
    pub(crate) table: Table,
    pub(crate) delimiter: u8,
}

/// A reader that reports how many bytes went through it.
struct Counting<'a, R> {
    inner: R,
    done: u64,
    reported: u64,
    offset: u64,
    total: u64,
    progress: Option<&'a Progress<'a>>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.done += read as u64;
        if let Some(progress) = self.progress
            && (self.done - self.reported >= 1 << 20 || read == 0)
        {
            self.reported = self.done;
            progress(self.offset + self.done, self.total);
        }
        Ok(read)
    }
}

/// Reads the first bytes and decides: binary or text, which delimiter, whether a BOM is there.
fn sniff(path: &Path, forced: Option<u8>) -> Result<(u8, u64)> {
    let mut file = File::open(path).map_err(|error| open_error(path, &error))?;
    let mut sample = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|error| io_error(path, "read the file", &error))?;
    if sample.is_empty() {
        return Err(Error::input("the file is empty.")
            .at(Location::file(path))
            .hint("A CSV file needs a header row and at least one data row."));
    }
    if sample.starts_with(b"\xFF\xFE") || sample.starts_with(b"\xFE\xFF") {
        return Err(Error::input("the file is encoded as UTF-16, not UTF-8.")
            .at(Location::file(path))
            .hint("Save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8`)."));
    }
    if let Some(nul) = sample.iter().position(|&byte| byte == 0) {
        let line = sample[..nul].iter().filter(|&&byte| byte == b'\n').count() as u64 + 1;
        return Err(Error::input(
            "the file looks binary (it contains NUL bytes), not like CSV text.",
        )
        .at(Location::file(path).line(line))
        .hint("Give a CSV file, or a Parquet file with a .parquet extension."));
    }
    let bom = if sample.starts_with(UTF8_BOM) { 3 } else { 0 };
    let delimiter = forced.unwrap_or_else(|| detect_delimiter(&sample[bom..]));
    Ok((delimiter, bom as u64))
}

/// Counts of each candidate delimiter outside quotes, per complete line of the sample.
fn detect_delimiter(sample: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b'\t', b';'];
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &byte in sample {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                lines.push(counts);
                counts = [0; 3];
                if lines.len() == 50 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(index) = CANDIDATES.iter().position(|&c| c == byte) {
                    counts[index] += 1;
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        // A single line with no newline: the whole sample is the header.
        lines.push(counts);
    }
    let consistent = |index: usize| {
        let first = lines[0][index];
        first > 0 && lines.iter().all(|line| line[index] == first)
    };
    let best_consistent = (0..3)
        .filter(|&index| consistent(index))
        .max_by_key(|&index| (lines[0][index], std::cmp::Reverse(index)));
    if let Some(index) = best_consistent {
        return CANDIDATES[index];
    }
    let best_header = (0..3).max_by_key(|&index| (lines[0][index], std::cmp::Reverse(index)));
    match best_header {
        Some(index) if lines[0][index] > 0 => CANDIDATES[index],
        _ => b',',
    }
}

fn open_error(path: &Path, error: &io::Error) -> Error {
    match error.kind() {
        io::ErrorKind::NotFound => Error::input("the file does not exist.")
            .at(Location::file(path))
            .hint("Check the path; relative paths start from the current folder."),
        io::ErrorKind::PermissionDenied => {
            Error::input("the file cannot be read: permission denied.")
                .at(Location::file(path))
                .hint("Check the file's permissions.")
        }
        _ => io_error(path, "open the file", error),
    }
}

fn csv_reader<'a>(
    path: &Path,
    delimiter: u8,
    bom: u64,
    pass: u64,
    total: u64,
    progress: Option<&'a Progress<'a>>,
) -> Result<csv::Reader<Counting<'a, File>>> {
    let mut file = File::open(path).map_err(|error| open_error(path, &error))?;
    if bom > 0 {
        let mut skipped = [0u8; 3];
        file.read_exact(&mut skipped)
            .map_err(|error| io_error(path, "read the file", &error))?;
    }
    let size = total / 2;
    let counting = Counting {
        inner: file,
        done: bom,
        reported: 0,
        offset: pass * size,
        total,
        progress,
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(counting))
}

fn next_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    path: &Path,
) -> Result<bool> {
    reader.read_byte_record(record).map_err(|error| {
        let mut location = Location::file(path);
        if let Some(position) = error.position() {
            location = location.line(position.line());
        }
        match error.kind() {
            csv::ErrorKind::Io(io_failure) => io_error(path, "read the file", io_failure),
            _ => Error::input(format!("the CSV could not be parsed: {error}.")).at(location),
        }
    })
}

/// The file being read: its path, and the length of the byte-order mark skipped before the CSV
/// reader's first byte.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    bom: u64,
}

impl Source<'_> {
    /// The 1-based line `record` starts on. The csv crate reports the line where it began
    /// reading the record, which in a CRLF file is the line before: `\r` ends a record and the
    /// `\n` after it is counted only when the next read begins. So this counts the line feeds
    /// before the record's first byte in the file itself. Only errors ask, so the extra read
    /// costs nothing on a good file.
    fn line(&self, record: &csv::ByteRecord) -> u64 {
        let Some(position) = record.position() else {
            return 0;
        };
        self.line_at(self.bom + position.byte())
            .unwrap_or_else(|| position.line())
    }

    /// The line of the first byte at or after `start` that is not a line end.
    fn line_at(&self, start: u64) -> Option<u64> {
        let file = File::open(self.path).ok()?;
        let mut reader = io::BufReader::with_capacity(1 << 16, file);
        let mut offset = 0u64;
        let mut line = 1u64;
        loop {
            let buffer = reader.fill_buf().ok()?;
            if buffer.is_empty() {
                return Some(line);
            }
            let length = buffer.len();
            for &byte in buffer {
                if offset >= start && byte != b'\r' && byte != b'\n' {
                    return Some(line);
                }
                line += u64::from(byte == b'\n');
                offset += 1;
            }
            reader.consume(length);
        }
    }
}

/// The header row: UTF-8, non-empty and unique names.
fn read_header<R: Read>(reader: &mut csv::Reader<R>, source: Source<'_>) -> Result<Vec<String>> {
    let path = source.path;
    let mut record = csv::ByteRecord::new();
    if !next_record(reader, &mut record, path)? {
        return Err(Error::input("the file has no header row.")
            .at(Location::file(path))
            .hint("A CSV file needs a header row naming the columns, then data rows."));
    }
    if record.as_slice().contains(&0) {
        return Err(nul_error(source, &record, &[]));
    }
    let line = || source.line(&record);
    let mut names = Vec::with_capacity(record.len());
    for (index, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| {
            Error::input(format!(
                "the name of column {} in the header is not valid UTF-8.",
                index + 1
            ))
            .at(Location::file(path).line(line()))
            .hint("Save the file as UTF-8.")
        })?;
        if name.trim().is_empty() {
            return Err(Error::input(format!(
                "column {} has an empty name in the header.",
                index + 1
            ))
            .at(Location::file(path).line(line()))
            .hint("Give every column a name in the header row."));
        }
        if names.iter().any(|existing: &String| existing == name) {
            return Err(Error::input(format!(
                "the header names column '{name}' twice (again as column {}).",
                index + 1
            ))
            .at(Location::file(path).line(line()).column(name))
            .hint("Rename one of the two columns so every name is unique."));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// Every value of a column seen so far fits these storage types.
#[derive(Debug, Clone, Copy)]
struct Guess {
    int: bool,
    float: bool,
    boolean: bool,
    date: bool,
    timestamp: bool,
    any_zoned: bool,
    any_naive: bool,
    seen: bool,
    /// Whether an integer beyond ±2^53 was seen: a float column would round it.
    wide_int: bool,
}

impl Guess {
    fn new() -> Guess {
        Guess {
            int: true,
            float: true,
            boolean: true,
            date: true,
            timestamp: true,
            any_zoned: false,
            any_naive: false,
            seen: false,
            wide_int: false,
        }
    }

    fn is_text(&self) -> bool {
        !(self.int || self.float || self.boolean || self.date || self.timestamp)
    }

    /// Narrows the guess by one present value; returns whether the value is infinite (an
    /// infinity spelled out or a number beyond a 64-bit float), which keeps a float column a
    /// float column so that the reader refuses the value instead of making the column text.
    fn observe(&mut self, value: &str) -> bool {
        self.seen = true;
        let mut infinite = parse_infinity(value).is_some();
        match parse_int(value) {
            Some(number) if number.unsigned_abs() > 1 << 53 => self.wide_int = true,
            Some(_) => {}
            None => {
                self.int = false;
                if is_integer_beyond_i64(value) {
                    // Not an int64, and a float would drop digits: the column is text.
                    self.float = false;
                }
            }
        }
        if self.float && !self.int && !infinite && parse_float(value).is_none() {
            infinite = is_float_beyond_f64(value);
            self.float = infinite;
        }
        if self.boolean && parse_bool(value).is_none() {
            self.boolean = false;
        }
        if self.date && parse_date(value).is_none() {
            self.date = false;
        }
        if self.timestamp {
            match parse_timestamp(value) {
                Some(stamp) if stamp.zoned => self.any_zoned = true,
                Some(_) => self.any_naive = true,
                None => self.timestamp = false,
            }
            if self.any_zoned && self.any_naive {
                self.timestamp = false;
            }
        }
        infinite
    }

    fn storage(&self) -> StorageType {
        if !self.seen {
            StorageType::String
        } else if self.int {
            StorageType::Int64
        } else if self.float && !self.wide_int {
            // A float column would round an integer beyond 2^53, so such a column is text.
            StorageType::Float64
        } else if self.boolean {
            StorageType::Boolean
        } else if self.date {
            StorageType::Date
        } else if self.timestamp && self.any_zoned {
            StorageType::TimestampUtc
        } else if self.timestamp {
            StorageType::Timestamp
        } else {
            StorageType::String
        }
    }
}

fn nul_error(source: Source<'_>, record: &csv::ByteRecord, names: &[String]) -> Error {
    let mut location = Location::file(source.path).line(source.line(record));
    if let Some(column) = record
        .iter()
        .position(|field| field.contains(&0))
        .and_then(|index| names.get(index))
    {
        location = location.column(column);
    }
    Error::input("this line contains a NUL byte, so the file is binary or damaged, not CSV text.")
        .at(location)
        .hint(
            "Remove the NUL bytes (for example `tr -d '\\000'`) or export the file again; give \
             Parquet files a .parquet extension.",
        )
}

fn infinite_error(source: Source<'_>, line: u64, column: &str, value: &str) -> Error {
    Error::input(format!(
        "the value '{}' is infinite or beyond the range of a 64-bit float, and Synthgate holds \
         no infinite numbers.",
        value.chars().take(60).collect::<String>()
    ))
    .at(Location::file(source.path).line(line).column(column))
    .hint("Correct the value, or read infinities as missing values with `--na inf`.")
}

fn ragged_error(path: &Path, line: u64, found: usize, expected: usize) -> Error {
    Error::input(format!(
        "this row has {found} field{} but the header has {expected}.",
        if found == 1 { "" } else { "s" }
    ))
    .at(Location::file(path).line(line))
    .hint(
        "Check for a missing or extra delimiter, or an unclosed quote on this or an earlier \
         line; quote values that contain the delimiter.",
    )
}

fn utf8_error(source: Source<'_>, record: &csv::ByteRecord, names: &[String]) -> Error {
    let column = record
        .iter()
        .position(|field| std::str::from_utf8(field).is_err())
        .and_then(|index| names.get(index));
    let mut location = Location::file(source.path).line(source.line(record));
    if let Some(column) = column {
        location = location.column(column);
    }
    Error::input("a value is not valid UTF-8 text.")
        .at(location)
        .hint("Save the file as UTF-8 (for example `iconv -f LATIN1 -t UTF-8`).")
}

/// The record's fields as one UTF-8 text, after checking it has no NUL byte and the header's
/// field count.
fn checked_text<'r>(
    record: &'r csv::ByteRecord,
    source: Source<'_>,
    names: &[String],
) -> Result<&'r str> {
    if record.as_slice().contains(&0) {
        return Err(nul_error(source, record, names));
    }
    if record.len() != names.len() {
        return Err(ragged_error(
            source.path,
            source.line(record),
            record.len(),
            names.len(),
        ));
    }
    // Each field on its own: the fields joined can be valid UTF-8 while a character is split
    // across a delimiter (found by fuzzing), and the fields are sliced out of the joined text.
    if record
        .iter()
        .any(|field| std::str::from_utf8(field).is_err())
    {
        return Err(utf8_error(source, record, names));
    }
    std::str::from_utf8(record.as_slice()).map_err(|_| utf8_error(source, record, names))
}

/// First pass: check every record and infer the storage type of every column.
fn infer_types<R: Read>(
    reader: &mut csv::Reader<R>,
    source: Source<'_>,
    names: &[String],
    na: &NaTokens,
) -> Result<(Vec<StorageType>, u64)> {
    let mut guesses = vec![Guess::new(); names.len()];
    // Each column's first infinite value and the record holding it.
    let mut first_infinite: Vec<Option<(String, csv::ByteRecord)>> = vec![None; names.len()];
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    while next_record(reader, &mut record, source.path)? {
        checked_text(&record, source, names)?;
        rows += 1;
        for ((guess, field), first) in guesses
            .iter_mut()
            .zip(record.iter())
            .zip(&mut first_infinite)
        {
            // The whole record was checked as UTF-8 just above.
            let text = std::str::from_utf8(field).unwrap_or_default().trim();
            if guess.is_text() || na.is_na(text) {
                continue;
            }
            if guess.observe(text) && first.is_none() {
                *first = Some((text.to_string(), record.clone()));
            }
        }
    }
    let storage: Vec<StorageType> = guesses.iter().map(Guess::storage).collect();
    for ((kind, first), name) in storage.iter().zip(&first_infinite).zip(names) {
        // An infinity in a column that is text anyway is just text.
        if let (StorageType::Float64, Some((value, record))) = (kind, first) {
            return Err(infinite_error(source, source.line(record), name, value));
        }
    }
    Ok((storage, rows))
}

/// One column's Arrow builder.
#[derive(Debug)]
enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Boolean(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl Builder {
    fn new(storage: StorageType) -> Builder {
        match storage {
            StorageType::Int64 => Builder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            StorageType::Float64 => Builder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            StorageType::Boolean => Builder::Boolean(BooleanBuilder::with_capacity(BATCH_ROWS)),
            StorageType::Date => Builder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            StorageType::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS))
            }
            StorageType::TimestampUtc => Builder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            ),
            StorageType::String => {
                Builder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))
            }
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Int(builder) => builder.append_null(),
            Builder::Float(builder) => builder.append_null(),
            Builder::Boolean(builder) => builder.append_null(),
            Builder::Date(builder) => builder.append_null(),
            Builder::Timestamp(builder) => builder.append_null(),
            Builder::Text(builder) => builder.append_null(),
        }
    }

    /// Appends `raw` (untrimmed); returns false if it does not parse as this column's type.
    /// Parsing is lenient where a schema asks for a type the text does not spell exactly:
    /// `517.0` is the integer 517, a date is a timestamp at midnight, `1`/`0` are booleans.
    fn append(&mut self, raw: &str) -> bool {
        let text = raw.trim();
        match self {
            Builder::Int(builder) => {
                let value = parse_int(text).or_else(|| {
                    parse_float(text)
                        .filter(|value| value.fract() == 0.0 && value.abs() < 9.0e15)
                        .map(|value| value as i64)
                });
                value.map(|value| builder.append_value(value)).is_some()
            }
            Builder::Float(builder) => parse_float(text)
                .or_else(|| text.parse::<f64>().ok().filter(|value| value.is_finite()))
                .map(|value| builder.append_value(value))
                .is_some(),
            Builder::Boolean(builder) => parse_bool(text)
                .or(match text {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                })
                .map(|value| builder.append_value(value))
                .is_some(),
            Builder::Date(builder) => parse_date(text)
                .map(|value| builder.append_value(value))
                .is_some(),
            Builder::Timestamp(builder) => parse_timestamp(text)
                .map(|stamp| stamp.micros)
                .or_else(|| parse_date(text).map(|days| i64::from(days) * 86_400_000_000))
                .map(|micros| builder.append_value(micros))
                .is_some(),
            Builder::Text(builder) => {
                builder.append_value(raw);
                true
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(builder) => Arc::new(builder.finish()),
            Builder::Float(builder) => Arc::new(builder.finish()),
            Builder::Boolean(builder) => Arc::new(builder.finish()),
            Builder::Date(builder) => Arc::new(builder.finish()),
            Builder::Timestamp(builder) => Arc::new(builder.finish()),
            Builder::Text(builder) => Arc::new(builder.finish()),
        }
    }
}

fn finish_batch(schema: &Arc<ArrowSchema>, builders: &mut [Builder]) -> Result<RecordBatch> {
    let columns = builders.iter_mut().map(Builder::finish).collect();
    RecordBatch::try_new(schema.clone(), columns)
        .map_err(|error| Error::internal(format!("building a record batch failed: {error}")))
}

/// Second pass: parse every value into Arrow arrays.
fn build_batches<R: Read>(
    reader: &mut csv::Reader<R>,
    source: Source<'_>,
    names: &[String],
    storage: &[StorageType],
    na: &NaTokens,
) -> Result<Table> {
    let fields: Vec<Field> = names
        .iter()
        .zip(storage)
        .map(|(name, storage)| Field::new(name, storage.arrow_type(), true))
        .collect();
    let schema = Arc::new(ArrowSchema::new(fields));
    let mut builders: Vec<Builder> = storage.iter().map(|&s| Builder::new(s)).collect();
    let mut batches = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut in_batch = 0;
    // Per column, how often each missing-value text occurs, so the table can say how the
    // source writes a missing value.
    let mut missing: Vec<Vec<(String, usize)>> = vec![Vec::new(); names.len()];
    while next_record(reader, &mut record, source.path)? {
        let text = checked_text(&record, source, names)?;
        let mut start = 0;
        for (index, builder) in builders.iter_mut().enumerate() {
            let end = record.range(index).map_or(start, |range| range.end);
            let value = &text[start..end];
            start = end;
            if na.is_na(value.trim()) {
                builder.append_null();
                let seen = &mut missing[index];
                match seen.iter_mut().find(|(token, _)| token == value.trim()) {
                    Some((_, count)) => *count += 1,
                    None => seen.push((value.trim().to_string(), 1)),
                }
            } else if !builder.append(value) {
                return Err(value_error(
                    source,
                    source.line(&record),
                    &names[index],
                    value.trim(),
                    storage[index],
                ));
            }
        }
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            batches.push(finish_batch(&schema, &mut builders)?);
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        batches.push(finish_batch(&schema, &mut builders)?);
    }
    let table = Table::new(schema, batches)?;
    let tokens: Vec<Option<String>> = missing
        .into_iter()
        .map(|mut seen| {
            // The most frequent text wins, the first seen on a tie; an empty field needs no
            // token.
            seen.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
            seen.into_iter()
                .next()
                .map(|(token, _)| token)
                // An infinity read as missing (`--na inf`) is not written back: it would read
                // as a number.
                .filter(|token| !token.is_empty() && parse_infinity(token).is_none())
        })
        .collect();
    table.with_missing_tokens(&tokens)
}

/// A value that does not parse as the storage type the schema gives its column.
fn value_error(
    source: Source<'_>,
    line: u64,
    column: &str,
    value: &str,
    storage: StorageType,
) -> Error {
    let shown: String = value.chars().take(60).collect();
    let location = Location::file(source.path).line(line).column(column);
    if storage.is_numeric() && (parse_infinity(value).is_some() || is_float_beyond_f64(value)) {
        return infinite_error(source, line, column, value);
    }
    if storage == StorageType::Int64 && is_integer_beyond_i64(value) {
        return Error::spec(format!(
            "the value '{shown}' does not fit a 64-bit integer, as the schema says this column \
             is (int64 holds -9223372036854775808 to 9223372036854775807)."
        ))
        .at(location)
        .hint(
            "Set the column's storage to \"string\" in the schema to keep such values exactly \
             (they are usually identifiers).",
        );
    }
    Error::spec(format!(
        "the value '{shown}' is not {} as the schema says this column is.",
        storage_phrase(storage)
    ))
    .at(location)
    .hint(
        "Correct the value, add it as a missing-value token with --na, or change the column's \
         storage type in the schema.",
    )
}

fn storage_phrase(storage: StorageType) -> &'static str {
    match storage {
        StorageType::Int64 => "an integer",
        StorageType::Float64 => "a number",
        StorageType::Boolean => "a boolean (true/false)",
        StorageType::String => "text",
        StorageType::Date => "a date (YYYY-MM-DD)",
        StorageType::Timestamp | StorageType::TimestampUtc => "a timestamp (YYYY-MM-DDTHH:MM:SS)",
    }
}

/// Storage types for the header's columns from a schema, which must name the same columns
/// (in any order).
fn storage_from_schema(path: &Path, names: &[String], schema: &Schema) -> Result<Vec<StorageType>> {
    let missing: Vec<&str> = schema
        .columns
        .iter()
        .map(|column| column.name.as_str())
        .filter(|name| !names.iter().any(|header| header == name))
        .collect();
    let extra: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| schema.column(name).is_none())
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!(
                "the schema lists {} that the data lacks",
                quoted(&missing)
            ));
        }
        if !extra.is_empty() {
            parts.push(format!(
                "the data has {} that the schema lacks",
                quoted(&extra)
            ));
        }
        return Err(Error::spec(format!(
            "the schema does not match the data's columns: {}.",
            parts.join("; ")
        ))
        .at(Location::file(path))
        .hint(
            "Use the schema written for this data, or edit its [[columns]] to match the header.",
        ));
    }
    Ok(names
        .iter()
        .map(|name| {
            schema
                .column(name)
                .map_or(StorageType::String, |c| c.storage)
        })
        .collect())
}

fn quoted(names: &[&str]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(5)
        .map(|name| format!("'{name}'"))
        .collect();
    let more = names.len().saturating_sub(5);
    let mut text = shown.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Read a CSV file.
pub(crate) fn read_csv(
    path: &Path,
    na: &NaTokens,
    schema: Option<&Schema>,
    delimiter: Option<u8>,
    progress: Option<&Progress<'_>>,
) -> Result<CsvRead> {
    let (delimiter, bom) = sniff(path, delimiter)?;
    let size = std::fs::metadata(path)
        .map_err(|error| open_error(path, &error))?
        .len();
    let passes = if schema.is_some() { 1 } else { 2 };
    let total = size * passes;
    let header_only = |path: &Path| {
        Error::input("the file has a header row but no data rows.")
            .at(Location::file(path))
            .hint("Add data rows below the header.")
    };
    let source = Source { path, bom };
    let mut first = csv_reader(path, delimiter, bom, 0, size * 2, progress)?;
    let names = read_header(&mut first, source)?;
    let storage = match schema {
        Some(schema) => storage_from_schema(path, &names, schema)?,
        None => {
            let (storage, rows) = infer_types(&mut first, source, &names, na)?;
            if rows == 0 {
                return Err(header_only(path));
            }
            storage
        }
    };
    let mut second = if schema.is_some() {
        first
    } else {
        let mut reader = csv_reader(path, delimiter, bom, passes - 1, total, progress)?;
        read_header(&mut reader, source)?;
        reader
    };
    let table = build_batches(&mut second, source, &names, &storage, na)?;
    if table.num_rows() == 0 {
        return Err(header_only(path));
    }
    Ok(CsvRead { table, delimiter })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2,5;3\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n\"x,y\"\t2\n"), b'\t');
        assert_eq!(detect_delimiter(b"single\n1\n2\n"), b',');
        assert_eq!(detect_delimiter(b"a;b"), b';');
    }

    #[test]
    fn a_character_split_by_a_delimiter_is_a_utf8_error_not_a_panic() {
        // The fuzzer's input: "1\xde" and "\x92nter3" are each invalid, joined they are
        // "1\u{792}nter3".
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("split.csv");
        std::fs::write(&path, b"$,SPy\n1\xde,\x92nter3\n").expect("write");
        let error = crate::read_table(&path, &crate::ReadOptions::default()).expect_err("refused");
        assert_eq!(error.kind().exit_code(), 3);
        assert!(error.to_string().contains("not valid UTF-8"), "{error}");
        assert!(
            error.to_string().contains("$"),
            "the column is named: {error}"
        );
    }
}
