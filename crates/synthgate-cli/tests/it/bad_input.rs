//! Every bad input gets a message naming the file (and line and column where there is one),
//! the exit code DESIGN.md assigns, and leaves nothing behind.

use std::path::Path;

use crate::support::{entries, stderr, synthgate};

/// Runs `inspect FILE --schema-out OUT` on a file with `content`, and checks the exit code, that
/// stderr contains every `expected` fragment, and that no output (or temporary file) appeared.
fn check_inspect(file_name: &str, content: &[u8], code: i32, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(file_name);
    std::fs::write(&path, content).expect("write input");
    let before = entries(dir.path());
    let out = dir.path().join("schema.toml");
    let output = synthgate([
        "inspect".as_ref(),
        path.as_os_str(),
        "--schema-out".as_ref(),
        out.as_os_str(),
    ]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{file_name}: {message}");
    assert!(
        message.contains(&path.display().to_string()),
        "file not named: {message}"
    );
    for fragment in expected {
        assert!(
            message.contains(fragment),
            "{fragment:?} not in {message:?}"
        );
    }
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(entries(dir.path()), before, "something was left behind");
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nope.csv");
    let output = synthgate(["inspect".as_ref(), path.as_os_str()]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains("does not exist") && message.contains("nope.csv"),
        "{message}"
    );
}

#[test]
fn directory_instead_of_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = synthgate(["inspect".as_ref(), dir.path().as_os_str()]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("folder, not a data file"));
}

#[test]
fn empty_file() {
    check_inspect("empty.csv", b"", 3, &["the file is empty"]);
}

#[test]
fn blank_lines_only() {
    check_inspect("blank.csv", b"\n\n\n", 3, &["no header row"]);
}

#[test]
fn header_only() {
    check_inspect(
        "header.csv",
        b"a,b,c\n",
        3,
        &["header row but no data rows"],
    );
}

#[test]
fn ragged_rows() {
    check_inspect(
        "ragged.csv",
        b"a,b,c\n1,2,3\n4,5\n",
        3,
        &["line 3", "2 fields but the header has 3"],
    );
    check_inspect(
        "long.csv",
        b"a,b\n1,2\n3,4\n5,6,7\n",
        3,
        &["line 4", "3 fields but the header has 2"],
    );
}

#[test]
fn invalid_utf8() {
    check_inspect(
        "latin1.csv",
        b"name,city\nx,M\xfcnchen\n",
        3,
        &["line 2", "column 'city'", "not valid UTF-8"],
    );
}

#[test]
fn binary_file() {
    let mut content = b"PK\x03\x04".to_vec();
    content.extend([0u8, 1, 2, 3, 0, 0, 255, 254]);
    check_inspect("archive.csv", &content, 3, &["looks binary"]);
    check_inspect("utf16.csv", b"\xff\xfea\x00,\x00b\x00", 3, &["UTF-16"]);
}

#[test]
fn duplicate_and_empty_column_names() {
    check_inspect(
        "dup.csv",
        b"id,age,age\n1,2,3\n",
        3,
        &["line 1", "column 'age'", "twice"],
    );
    check_inspect(
        "blank_name.csv",
        b"id,,x\n1,2,3\n",
        3,
        &["column 2 has an empty name"],
    );
}

#[test]
fn unknown_extension() {
    check_inspect("table.xlsx", b"a,b\n1,2\n", 2, &["'.xlsx'", ".csv"]);
    check_inspect("noext", b"a,b\n1,2\n", 2, &["no extension"]);
}

#[test]
fn corrupt_parquet() {
    check_inspect(
        "broken.parquet",
        b"PAR1 this is not really parquet",
        3,
        &["Parquet"],
    );
    check_inspect("empty.parquet", b"", 3, &["empty"]);
}

#[test]
fn unwritable_output_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ok.csv");
    std::fs::write(&data, "a,b\n1,2\n").expect("write");
    let out = dir.path().join("missing-folder").join("schema.toml");
    let output = synthgate([
        "inspect".as_ref(),
        data.as_os_str(),
        "--schema-out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(stderr(&output).contains("output folder does not exist"));

    // A read-only folder (root ignores permissions, so use a path under /proc instead when
    // running as root: it cannot be written by anyone).
    let read_only = Path::new("/proc/synthgate-test/schema.toml");
    let output = synthgate([
        "inspect".as_ref(),
        data.as_os_str(),
        "--schema-out".as_ref(),
        read_only.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
}

#[test]
fn existing_output_is_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ok.csv");
    std::fs::write(&data, "a,b\n1,2\n").expect("write");
    let out = dir.path().join("schema.toml");
    std::fs::write(&out, "my precious notes").expect("write");
    let output = synthgate([
        "inspect".as_ref(),
        data.as_os_str(),
        "--schema-out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "my precious notes"
    );
    let output = synthgate([
        "inspect".as_ref(),
        data.as_os_str(),
        "--schema-out".as_ref(),
        out.as_os_str(),
        "--force".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("format_version")
    );
}

#[test]
fn bad_schema_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ok.csv");
    std::fs::write(&data, "a,b\n1,x\n").expect("write");
    let schema = dir.path().join("schema.toml");
    let run = |text: &str| {
        std::fs::write(&schema, text).expect("write");
        synthgate([
            "inspect".as_ref(),
            data.as_os_str(),
            "--schema".as_ref(),
            schema.as_os_str(),
        ])
    };
    let column = |name: &str, storage: &str, semantic: &str| {
        format!(
            "[[columns]]\nname = \"{name}\"\nstorage = \"{storage}\"\nsemantic = \"{semantic}\"\nrole = \"none\"\n"
        )
    };
    let head = "format_version = 1\nna_tokens = [\"\"]\n";

    // Not TOML at all: line named.
    let output = run("format_version = 1\nna_tokens = [\n");
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("schema.toml, line"),
        "{}",
        stderr(&output)
    );

    // A column the data lacks, and one the schema lacks.
    let output = run(&format!("{head}{}", column("a", "int64", "integer")));
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("the data has 'b' that the schema lacks"),
        "{}",
        stderr(&output)
    );

    // A value that does not fit the declared storage: file, line and column named.
    let output = run(&format!(
        "{head}{}{}",
        column("a", "int64", "integer"),
        column("b", "float64", "continuous")
    ));
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains("ok.csv, line 2, column 'b'") && message.contains("'x' is not a number"),
        "{message}"
    );

    // A schema from a newer Synthgate.
    let output = run(&format!(
        "format_version = 99\nna_tokens = []\n{}",
        column("a", "int64", "integer")
    ));
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("Upgrade Synthgate"));

    // Missing schema file.
    let output = synthgate([
        "inspect".as_ref(),
        data.as_os_str(),
        "--schema".as_ref(),
        dir.path().join("none.toml").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("schema file does not exist"));
}

#[test]
fn usage_errors_exit_2() {
    let output = synthgate(["inspect"]);
    assert_eq!(output.status.code(), Some(2));
    let output = synthgate(["inspect", "x.csv", "--delimiter", "ab"]);
    assert_eq!(output.status.code(), Some(2));
    let output = synthgate(["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
}
