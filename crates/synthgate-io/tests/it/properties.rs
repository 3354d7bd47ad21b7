//! Property tests: the CSV reader never panics, and what we write we read back unchanged.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema as ArrowSchema};
use proptest::prelude::*;
use synthgate_core::{StorageType, Table};
use synthgate_io::{Overwrite, ReadOptions, read_table, write_table};

fn read_bytes(bytes: &[u8], name: &str) -> Result<Table, synthgate_core::Error> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    read_table(&path, &ReadOptions::default()).map(|dataset| dataset.table)
}

/// CSV-ish bytes: mostly delimiters, quotes, line ends, digits and letters, with some
/// arbitrary bytes mixed in.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = prop_oneof![
        8 => prop::sample::select(b",;\t\"\n\r0123456789.-+eEabcfinNA ".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(alphabet, 0..300)
}

fn is_na_or_bool(text: &str) -> bool {
    let trimmed = text.trim();
    synthgate_core::DEFAULT_NA_TOKENS
        .iter()
        .any(|token| token.eq_ignore_ascii_case(trimmed))
        || synthgate_core::text::parse_bool(trimmed).is_some()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the bytes, reading returns a table or an error; it never panics, and an error
    /// always names the file.
    #[test]
    fn reader_never_panics(bytes in csvish()) {
        match read_bytes(&bytes, "fuzz.csv") {
            Ok(table) => prop_assert!(table.num_rows() > 0),
            Err(error) => {
                let location = error.location().expect("errors name the file");
                prop_assert!(location.file.ends_with("fuzz.csv"));
                prop_assert_ne!(error.kind().exit_code(), 1, "no internal errors: {}", error);
            }
        }
    }

    /// A table of random values, written as CSV and as Parquet and read back, is the same table:
    /// floats of every magnitude exactly, a NaN as a missing value, integers beyond 64 bits as
    /// the same text. Reading CSV refuses (with the file named) only what CSV text cannot carry:
    /// a NUL byte, or a column of nothing but infinities.
    #[test]
    fn write_then_read_is_identity(
        rows in prop::collection::vec(
            (
                prop::option::weighted(0.9, any::<i64>()),
                prop::option::weighted(0.9, prop_oneof![
                    4 => -1e12f64..1e12,
                    4 => prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
                    1 => Just(f64::NAN),
                ]),
                prop::option::weighted(0.9, any::<bool>()),
                prop::option::weighted(0.9, prop_oneof![
                    8 => "[a-zA-Z][a-zA-Z0-9 ,;\"\r\n]{0,12}",
                    1 => "[a-zA-Z][a-z\u{0}]{0,4}",
                    1 => prop::sample::select(vec!["inf", "-Infinity", "Inf"]).prop_map(String::from),
                ].prop_filter(
                    "CSV reads these back as missing values or booleans, by design",
                    |text| !is_na_or_bool(text),
                )),
                prop::option::weighted(0.9, "-?[1-9][0-9]{19,30}"),
            ),
            1..40,
        )
    ) {
        let ints: Int64Array = rows.iter().map(|row| row.0).collect();
        let floats: Float64Array = rows.iter().map(|row| row.1).collect();
        let flags: BooleanArray = rows.iter().map(|row| row.2).collect();
        let texts: StringArray = rows.iter().map(|row| row.3.clone()).collect();
        let big: StringArray = rows.iter().map(|row| row.4.clone()).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ints), Arc::new(floats), Arc::new(flags), Arc::new(texts), Arc::new(big),
        ];
        let names = ["i", "f", "b", "s", "big"];
        let types = [
            StorageType::Int64, StorageType::Float64, StorageType::Boolean, StorageType::String,
            StorageType::String,
        ];
        let fields: Vec<Field> = names
            .iter()
            .zip(types)
            .map(|(name, storage)| Field::new(*name, storage.arrow_type(), true))
            .collect();
        let schema = Arc::new(ArrowSchema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
        let table = Table::new(schema, vec![batch.clone()]).expect("table");
        // What reading gives back: the same values, with NaN as a missing value.
        let expected_floats: Float64Array =
            rows.iter().map(|row| row.1.filter(|value| !value.is_nan())).collect();
        let has_nul = rows.iter().any(|row| row.3.as_ref().is_some_and(|text| text.contains('\0')));

        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["t.parquet", "t.csv"] {
            let path = dir.path().join(name);
            write_table(&table, &path, Overwrite::Refuse).expect("write");
            let read = match read_table(&path, &ReadOptions::default()) {
                Ok(read) => read,
                Err(error) => {
                    let message = error.to_string();
                    prop_assert!(name.ends_with(".csv"), "Parquet refused: {}", message);
                    prop_assert_eq!(error.kind().exit_code(), 3, "{}", message);
                    prop_assert!(message.contains("t.csv"), "{}", message);
                    prop_assert!(
                        (has_nul && message.contains("NUL byte"))
                            || (message.contains("infinite") && message.contains("column 's'")),
                        "refused for another reason: {}", message
                    );
                    continue;
                }
            };
            prop_assert!(!(has_nul && name.ends_with(".csv")), "a NUL byte was read from CSV");
            prop_assert_eq!(read.table.num_rows(), rows.len());
            for (index, storage) in types.iter().enumerate() {
                let column = read.table.batches()[0].column(index);
                let all_missing = column.null_count() == column.len();
                // CSV cannot tell the type of a column with no values; Parquet can.
                if all_missing && name.ends_with(".csv") {
                    continue;
                }
                prop_assert_eq!(read.table.storage_type(index), *storage, "{} column {}", name, index);
                let expected = if index == 1 {
                    &expected_floats as &dyn arrow_array::Array
                } else {
                    batch.column(index).as_ref()
                };
                prop_assert_eq!(column.as_ref(), expected, "{} column {}", name, index);
            }
        }
    }
}
