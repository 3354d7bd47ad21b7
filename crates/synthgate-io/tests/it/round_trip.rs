//! Reading details: type inference from every row, timestamps, NA tokens, and schema-driven
//! reading of other tools' output.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use synthgate_core::{Schema, StorageType};
use synthgate_io::{ReadOptions, read_table};

fn read(content: &str, options: &ReadOptions<'_>) -> synthgate_io::Dataset {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.csv");
    std::fs::write(&path, content).expect("write");
    read_table(&path, options).expect("reads")
}

#[test]
fn a_late_float_makes_the_column_float() {
    let mut content = String::from("x,y\n");
    for index in 0..100_000 {
        content.push_str(&format!("{index},a\n"));
    }
    content.push_str("0.5,b\n");
    let dataset = read(&content, &ReadOptions::default());
    assert_eq!(dataset.table.storage_type(0), StorageType::Float64);
    assert_eq!(dataset.table.num_rows(), 100_001);
    assert!(dataset.table.batches().len() > 1, "read in batches");
    let last = dataset.table.batches().last().expect("batch");
    let values = last.column(0).as_primitive::<Float64Type>();
    assert_eq!(values.value(values.len() - 1), 0.5);
}

#[test]
fn extra_na_tokens_and_schema_types() {
    let content = "a,b\n1,?\n2,3.0\n";
    let dataset = read(
        content,
        &ReadOptions {
            extra_na_tokens: vec!["?".into()],
            ..ReadOptions::default()
        },
    );
    assert_eq!(dataset.table.storage_type(1), StorageType::Float64);
    assert_eq!(dataset.table.null_count(1), 1);
    assert!(dataset.info.na_tokens.contains(&"?".to_string()));

    // Another tool wrote integers as 3.0: a schema that says int64 reads them as integers.
    let schema = Schema::from_toml(
        "format_version = 1\nna_tokens = [\"\", \"?\"]\n\
         [[columns]]\nname = \"b\"\nstorage = \"int64\"\nsemantic = \"integer\"\nrole = \"none\"\n\
         [[columns]]\nname = \"a\"\nstorage = \"float64\"\nsemantic = \"continuous\"\nrole = \"none\"\n",
        std::path::Path::new("s.toml"),
    )
    .expect("schema");
    let dataset = read(
        content,
        &ReadOptions {
            schema: Some(&schema),
            ..ReadOptions::default()
        },
    );
    assert_eq!(dataset.table.storage_type(0), StorageType::Float64);
    assert_eq!(dataset.table.storage_type(1), StorageType::Int64);
    let b = dataset.table.batches()[0]
        .column(1)
        .as_primitive::<Int64Type>();
    assert!(b.is_null(0));
    assert_eq!(b.value(1), 3);
}

#[test]
fn timestamps_dates_and_mixed_zones() {
    let dataset = read(
        "when,day,mixed\n2020-01-01T00:00:00Z,2020-01-01,2020-01-01T00:00:00Z\n\
         2020-06-01T12:30:00+02:00,2020-02-29,2020-01-01T00:00:00\n",
        &ReadOptions::default(),
    );
    assert_eq!(dataset.table.storage_type(0), StorageType::TimestampUtc);
    assert_eq!(dataset.table.storage_type(1), StorageType::Date);
    // Zoned and naive values in one column cannot share a type: keep the text.
    assert_eq!(dataset.table.storage_type(2), StorageType::String);
}

/// Integers that a float would round keep the column text, digit for digit: one beyond 64
/// bits (the value), and one that fits 64 bits but not a float's 53-bit mantissa in a
/// column that is otherwise float.
#[test]
fn integers_a_float_would_round_keep_the_column_text() {
    for (content, kept) in [
        ("id\n94719271504320872445\n12\n", "94719271504320872445"),
        ("x\n1.5\n9007199254740993\n", "9007199254740993"),
    ] {
        let dataset = read(content, &ReadOptions::default());
        assert_eq!(
            dataset.table.storage_type(0),
            StorageType::String,
            "{content}"
        );
        let values = dataset.table.batches()[0]
            .column(0)
            .as_string::<i32>()
            .clone();
        assert!(values.iter().any(|value| value == Some(kept)), "{content}");
    }
    // Integers within 2^53 still make a float column with a fraction beside them.
    let dataset = read("x\n1.5\n9007199254740992\n", &ReadOptions::default());
    assert_eq!(dataset.table.storage_type(0), StorageType::Float64);
}

/// The error for the bad line of `content` (read with `options`), as text.
fn error_text(content: &[u8], options: &ReadOptions<'_>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, content).expect("write");
    read_table(&path, options)
        .expect_err("must be refused")
        .to_string()
}

/// Errors name the line the bad record starts on, with LF and CRLF line ends alike, after a
/// BOM, blank lines and a quoted value spanning two lines.
#[test]
fn errors_name_the_same_line_with_lf_and_crlf() {
    let schema = Schema::from_toml(
        "format_version = 1\nna_tokens = [\"\"]\n\
         [[columns]]\nname = \"a\"\nstorage = \"int64\"\nsemantic = \"integer\"\nrole = \"none\"\n\
         [[columns]]\nname = \"b\"\nstorage = \"string\"\nsemantic = \"free_text\"\nrole = \"none\"\n",
        std::path::Path::new("s.toml"),
    )
    .expect("schema");
    let with_schema = ReadOptions {
        schema: Some(&schema),
        ..ReadOptions::default()
    };
    let cases: [(&[u8], &ReadOptions<'_>, &str); 4] = [
        (
            b"\xEF\xBB\xBFa,b\n1,\"x\ny\"\n\n7,z\nseven,w\n",
            &with_schema,
            "line 6, column 'a'",
        ),
        (b"a,b\n1,x\n2\n", &ReadOptions::default(), "line 3"),
        (
            b"a,b\n1,x\n2,M\xfcnchen\n",
            &ReadOptions::default(),
            "line 3, column 'b'",
        ),
        // Within the sniffed first 64 KiB: the binary check names the line.
        (b"a,b\n1,x\n\n2,y\x00\n", &ReadOptions::default(), "line 4"),
    ];
    for (content, options, expected) in cases {
        let crlf: Vec<u8> = content
            .iter()
            .flat_map(|&byte| {
                if byte == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![byte]
                }
            })
            .collect();
        for bytes in [content.to_vec(), crlf] {
            let message = error_text(&bytes, options);
            assert!(
                message.contains(expected),
                "{expected:?} not in {message:?}"
            );
        }
    }
}

/// An unsigned 64-bit Parquet column reads as int64, exactly; a value beyond int64 is refused
/// with the column named, never rounded to a float. NaN in a float column is missing.
#[test]
fn parquet_unsigned_integers_are_exact_or_refused() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt64Array};

    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, values: Vec<u64>| {
        let path = dir.path().join(name);
        let ids: ArrayRef = Arc::new(UInt64Array::from(values));
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![f64::NAN, 1.5]));
        let batch = RecordBatch::try_from_iter([("id", ids), ("f", floats)]).expect("batch");
        let file = std::fs::File::create(&path).expect("create");
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");
        path
    };
    let fits = write("fits.parquet", vec![9_007_199_254_740_993, 2]);
    let dataset = read_table(&fits, &ReadOptions::default()).expect("reads");
    assert_eq!(dataset.table.storage_type(0), StorageType::Int64);
    let ids = dataset.table.batches()[0]
        .column(0)
        .as_primitive::<Int64Type>();
    assert_eq!(ids.value(0), 9_007_199_254_740_993);
    let floats = dataset.table.batches()[0]
        .column(1)
        .as_primitive::<Float64Type>();
    assert!(floats.is_null(0) && floats.value(1) == 1.5);

    let beyond = write("beyond.parquet", vec![u64::MAX, 2]);
    let message = read_table(&beyond, &ReadOptions::default())
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("beyond.parquet") && message.contains("column 'id'"),
        "{message}"
    );
    assert!(message.contains("\"string\""), "{message}");
}

/// A NUL byte past the first 64 KiB (which the binary check reads) is refused with its line and
/// column, with and without a schema, never carried into the table.
#[test]
fn a_late_nul_byte_is_refused() {
    let mut content = b"id,name\n".to_vec();
    let mut line = 1;
    while content.len() < 70 * 1024 {
        line += 1;
        content.extend(format!("{line},someone\n").as_bytes());
    }
    content.extend(b"0,some\x00one\n");
    let schema = Schema::from_toml(
        "format_version = 1\nna_tokens = [\"\"]\n\
         [[columns]]\nname = \"id\"\nstorage = \"int64\"\nsemantic = \"integer\"\nrole = \"none\"\n\
         [[columns]]\nname = \"name\"\nstorage = \"string\"\nsemantic = \"free_text\"\nrole = \"none\"\n",
        std::path::Path::new("s.toml"),
    )
    .expect("schema");
    let expected = format!("line {}, column 'name'", line + 1);
    for options in [
        ReadOptions::default(),
        ReadOptions {
            schema: Some(&schema),
            ..ReadOptions::default()
        },
    ] {
        let message = error_text(&content, &options);
        assert!(
            message.contains(&expected) && message.contains("NUL byte"),
            "{message}"
        );
    }
}
