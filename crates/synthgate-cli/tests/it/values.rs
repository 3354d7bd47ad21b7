//! Values round-trip through every verb or are refused clearly: integers beyond 64 bits stay
//! exact, NaN is a missing value and an infinity is refused (or missing with `--na inf`), a NUL
//! byte anywhere in a CSV is refused, and errors in CRLF files name the right line.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use synthgate_core::Table;
use synthgate_io::{Overwrite, write_table};

use crate::support::{stderr, synthgate};

/// The integer of the issue: 67 bits, which an f64 rounds to `9.471927150432087e19`.
const BIG: &str = "94719271504320872445";

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    synthgate(args.iter().map(|arg| arg.as_ref()))
}

fn succeeds(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

/// Checks exit code 3 and that stderr names `file` and holds every fragment.
fn refused(output: &Output, file: &Path, fragments: &[&str]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(3), "{message}");
    assert!(
        message.contains(&file.display().to_string()),
        "file not named: {message}"
    );
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "{fragment:?} not in {message:?}"
        );
    }
    assert!(!message.contains("panicked"), "{message}");
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write input");
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read output")
}

/// A schema written by `inspect` for `content` (read from a CSV named `name`).
fn schema_for(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let data = write(dir, name, content);
    let schema = dir.join(format!("{name}.toml"));
    succeeds(&run(&[&"inspect", &data, &"--schema-out", &schema]));
    schema
}

#[test]
fn integers_beyond_64_bits_are_kept_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = write(
        dir.path(),
        "ids.csv",
        format!("id,n\n{BIG},1\n12,2\n-{BIG}7,3\n").as_bytes(),
    );
    let schema = dir.path().join("schema.toml");
    succeeds(&run(&[&"inspect", &data, &"--schema-out", &schema]));
    let text = read(&schema);
    assert!(
        text.contains("name = \"id\"\nstorage = \"string\""),
        "{text}"
    );
    for (name, out) in [("csv", "out.csv"), ("parquet", "out.parquet")] {
        let out = dir.path().join(out);
        succeeds(&run(&[&"convert", &data, &"--out", &out]));
        let back = dir.path().join(format!("back-{name}.csv"));
        succeeds(&run(&[&"convert", &out, &"--out", &back]));
        let written = read(&back);
        assert!(
            written.contains(&format!("\n{BIG},1\n"))
                && written.contains(&format!("\n-{BIG}7,3\n")),
            "{name}: {written}"
        );
        assert!(!written.contains("e19"), "{name}: {written}");
    }
}

#[test]
fn integers_beyond_64_bits_under_an_integer_schema_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = schema_for(dir.path(), "small.csv", b"id,n\n1,1\n2,2\n");
    assert!(read(&schema).contains("storage = \"int64\""));
    for content in [
        format!("id,n\n5,1\n{BIG},2\n"),
        format!("id,n\r\n5,1\r\n{BIG},2\r\n"),
    ] {
        let data = write(dir.path(), "big.csv", content.as_bytes());
        let out = dir.path().join("out.csv");
        let output = run(&[&"convert", &data, &"--schema", &schema, &"--out", &out]);
        refused(
            &output,
            &data,
            &[
                &format!("'{BIG}'"),
                "line 3",
                "column 'id'",
                "64-bit integer",
                "\"string\"",
            ],
        );
        assert!(!out.exists());
    }
}

/// A Parquet file with a float column `x` holding `special` every tenth row, and a text
/// column, 200 rows.
fn parquet_with(dir: &Path, name: &str, special: f64) -> PathBuf {
    let x: Float64Array = (0..200)
        .map(|row| {
            Some(if row % 10 == 3 {
                special
            } else {
                f64::from(row) * 0.5
            })
        })
        .collect();
    let g: StringArray = (0..200)
        .map(|row| Some(if row % 3 == 0 { "a" } else { "b" }))
        .collect();
    let batch = RecordBatch::try_from_iter([
        ("x", Arc::new(x) as ArrayRef),
        ("g", Arc::new(g) as ArrayRef),
    ])
    .expect("batch");
    let table = Table::new(batch.schema(), vec![batch]).expect("table");
    let path = dir.join(name);
    write_table(&table, &path, Overwrite::Refuse).expect("write parquet");
    path
}

/// inspect, fit, sample and convert on `data` (with `extra` reading options) all succeed; the
/// schema has no `nan`/`inf`, the model file no `null` number and reads back; `x` has missing
/// values where the specials were.
fn every_verb_reads(dir: &Path, data: &Path, extra: &[&str]) {
    let schema = dir.join("schema.toml");
    let model = dir.join("model.json");
    let synthetic = dir.join("synthetic.csv");
    let converted = dir.join("converted.csv");
    for path in [&schema, &model, &synthetic, &converted] {
        let _ = std::fs::remove_file(path);
    }
    let with = |args: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = args.to_vec();
        for token in extra {
            all.push(token);
        }
        run(&all)
    };
    succeeds(&with(&[&"inspect", &data, &"--schema-out", &schema]));
    let schema_text = read(&schema);
    for line in schema_text.lines() {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("min") || lower.starts_with("max") {
            assert!(
                !lower.contains("nan") && !lower.contains("inf"),
                "{schema_text}"
            );
        }
    }
    succeeds(&with(&[&"fit", &data, &"--out", &model]));
    let model_text = read(&model);
    for null in [":null", "[null", ",null"] {
        assert!(
            !model_text.contains(null),
            "the model file holds a null number"
        );
    }
    succeeds(&run(&[
        &"sample", &model, &"--rows", &"300", &"--out", &synthetic,
    ]));
    let sampled = read(&synthetic);
    assert_eq!(sampled.lines().count(), 301);
    assert!(!sampled.to_ascii_lowercase().contains("nan"), "{sampled}");
    assert!(!sampled.to_ascii_lowercase().contains("inf"), "{sampled}");
    succeeds(&with(&[&"convert", &data, &"--out", &converted]));
    let lines: Vec<String> = read(&converted).lines().map(str::to_string).collect();
    assert_eq!(lines[0], "x,g");
    // Row 3 held the special value: it is a missing value now.
    assert_eq!(lines[4], ",a");
    assert_eq!(lines[5], "2.0,b");
}

#[test]
fn parquet_nan_is_a_missing_value_in_every_verb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = parquet_with(dir.path(), "nan.parquet", f64::NAN);
    every_verb_reads(dir.path(), &data, &[]);
}

#[test]
fn parquet_infinities_are_refused_or_missing_with_na_inf() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, value, shown) in [
        ("pos.parquet", f64::INFINITY, "value inf"),
        ("neg.parquet", f64::NEG_INFINITY, "value -inf"),
    ] {
        let data = parquet_with(dir.path(), name, value);
        let model = dir.path().join(format!("{name}.model.json"));
        let out = dir.path().join(format!("{name}.out.csv"));
        let schema = dir.path().join(format!("{name}.schema.toml"));
        let holdout = parquet_with(dir.path(), &format!("holdout-{name}"), 1.0);
        for output in [
            run(&[&"inspect", &data, &"--schema-out", &schema]),
            run(&[&"fit", &data, &"--out", &model]),
            run(&[&"convert", &data, &"--out", &out]),
            run(&[
                &"evaluate",
                &"--train",
                &data,
                &"--holdout",
                &holdout,
                &"--synthetic",
                &holdout,
                &"--out",
                &dir.path().join("report"),
            ]),
        ] {
            refused(&output, &data, &["row 4", "column 'x'", shown, "--na inf"]);
        }
        for path in [&model, &out, &schema] {
            assert!(!path.exists(), "{} was written", path.display());
        }
        every_verb_reads(dir.path(), &data, &["--na", "inf"]);
    }
}

#[test]
fn csv_infinities_are_refused_or_missing_with_na_inf() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut content = String::from("x,g\n");
    for row in 0..200 {
        let value = match row % 10 {
            3 => "inf".to_string(),
            7 => "-Infinity".to_string(),
            _ => format!("{:?}", f64::from(row) * 0.5),
        };
        content.push_str(&format!(
            "{value},{}\n",
            if row % 3 == 0 { "a" } else { "b" }
        ));
    }
    for (name, content) in [
        ("lf.csv", content.clone()),
        (
            "crlf.csv",
            String::from_utf8(crlf(content.as_bytes())).expect("utf-8"),
        ),
    ] {
        let data = write(dir.path(), name, content.as_bytes());
        let schema = dir.path().join(format!("{name}.schema.toml"));
        let output = run(&[&"inspect", &data, &"--schema-out", &schema]);
        refused(
            &output,
            &data,
            &["'inf'", "line 5", "column 'x'", "--na inf"],
        );
        assert!(!schema.exists());
        every_verb_reads(dir.path(), &data, &["--na", "inf"]);
    }
    // With a schema that says float, the second pass refuses the infinity too.
    let schema = schema_for(dir.path(), "floats.csv", b"x,g\n1.5,a\n2.5,b\n");
    let data = write(dir.path(), "big.csv", b"x,g\n1.5,a\n1e400,b\n");
    let out = dir.path().join("out.csv");
    let output = run(&[&"convert", &data, &"--schema", &schema, &"--out", &out]);
    refused(
        &output,
        &data,
        &["'1e400'", "line 3", "column 'x'", "--na inf"],
    );
}

#[test]
fn nul_bytes_anywhere_in_a_csv_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut content = b"id,name\n".to_vec();
    let mut lines = 1;
    while content.len() < 100 * 1024 {
        lines += 1;
        content.extend(format!("{lines},name number {lines}\n").as_bytes());
    }
    // Line `lines + 1`, well past the first 64 KiB that the sniffer reads.
    content.extend(b"999999,bad\x00name\n");
    content.extend(b"1000000,fine\n");
    let nul_line = format!("line {}", lines + 1);
    let data = write(dir.path(), "late_nul.csv", &content);
    let schema = dir.path().join("schema.toml");
    let output = run(&[&"inspect", &data, &"--schema-out", &schema]);
    refused(&output, &data, &["NUL byte", &nul_line, "column 'name'"]);
    assert!(!schema.exists());
    // With a schema the first pass is skipped: the second pass refuses it too.
    let schema = schema_for(dir.path(), "clean.csv", b"id,name\n1,a\n2,b\n");
    let model = dir.path().join("model.json");
    let output = run(&[&"fit", &data, &"--schema", &schema, &"--out", &model]);
    refused(&output, &data, &["NUL byte", &nul_line, "column 'name'"]);
    assert!(!model.exists());
}

/// `content` with every LF made CRLF.
fn crlf(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() * 2);
    for &byte in content {
        if byte == b'\n' {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

/// The same bad file with LF and with CRLF line ends names the same line.
fn check_line(name: &str, content: &[u8], schema: Option<&[u8]>, fragments: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = schema.map(|schema| schema_for(dir.path(), "schema_source.csv", schema));
    for (variant, bytes) in [("lf", content.to_vec()), ("crlf", crlf(content))] {
        let data = write(dir.path(), &format!("{variant}-{name}"), &bytes);
        let out = dir.path().join("out.csv");
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"convert", &data, &"--out", &out];
        if let Some(schema) = &schema {
            args.push(&"--schema");
            args.push(schema);
        }
        let output = run(&args);
        refused(&output, &data, fragments);
    }
}

#[test]
fn errors_in_crlf_files_name_the_right_line() {
    // A type error under a schema, on line 4 (after a blank line, and a quoted field that spans
    // two lines, so the count cannot be the record number).
    check_line(
        "type.csv",
        b"a,b\n1,\"x\ny\"\n\n7,z\nseven,w\n8,v\n",
        Some(b"a,b\n1,x\n2,y\n"),
        &["line 6", "column 'a'", "'seven'"],
    );
    check_line(
        "type_early.csv",
        b"a,b\n1,x\nbad,y\n",
        Some(b"a,b\n1,x\n2,y\n"),
        &["line 3", "column 'a'"],
    );
    check_line(
        "ragged.csv",
        b"a,b\n1,x\n2,y\n3\n4,z\n",
        None,
        &["line 4", "1 field but the header has 2"],
    );
    check_line(
        "latin1.csv",
        b"a,b\n1,x\n2,M\xfcnchen\n",
        None,
        &["line 3", "column 'b'", "not valid UTF-8"],
    );
}
