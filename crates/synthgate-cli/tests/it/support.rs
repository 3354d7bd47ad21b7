//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared datasets folder: `$SYNTHGATE_DATASETS`, or `../shared/datasets` beside the
/// repository root. A missing folder fails the test with instructions, never skips it.
pub(crate) fn datasets_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SYNTHGATE_DATASETS") {
        return PathBuf::from(dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("../shared/datasets");
    assert!(
        dir.join("adult/data.csv").is_file(),
        "the shared datasets are missing: expected {} (the folder `shared/datasets` beside the \
         repository). Put them there or set SYNTHGATE_DATASETS to their folder.",
        dir.display()
    );
    dir
}

/// The path of a shared dataset's data file.
pub(crate) fn dataset(name: &str) -> PathBuf {
    datasets_dir().join(name).join("data.csv")
}

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compare `actual` with the golden file `tests/it/snapshots/NAME`; with `UPDATE_SNAPSHOTS=1`
/// in the environment, rewrite the file instead (then review the diff before committing).
pub(crate) fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("snapshot written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let first_difference = expected
            .lines()
            .zip(actual.lines())
            .position(|(want, got)| want != got)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "output differs from snapshot {} at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             Run with UPDATE_SNAPSHOTS=1 to accept the new output.",
            path.display(),
            first_difference + 1,
            expected.lines().nth(first_difference),
            actual.lines().nth(first_difference)
        );
    }
}

/// Run `synthgate` with `args`.
pub(crate) fn synthgate<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    synthgate_with_env(args, &[])
}

/// Run `synthgate` with `args` and extra environment variables.
pub(crate) fn synthgate_with_env<I, S>(args: I, env: &[(&str, &str)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        // The audit log and operator key of the tests, shared by every test process (appends
        // are locked), never the repository's working folder; a test may give its own.
        .env(
            "SYNTHGATE_HOME",
            std::env::temp_dir().join("synthgate-tests-home"),
        )
        .envs(env.iter().copied())
        .output()
        .expect("the synthgate binary runs")
}

/// The JSON file at `path`.
pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Standard error as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The names of the entries of `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder lists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Copy the folder `from` (recursively) to `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A new, empty database on the test PostgreSQL server, as a URL. The server is named by
/// `$SYNTHGATE_TEST_POSTGRES` (a URL to its `postgres` database), which `scripts/test` starts and
/// sets; without it the test fails with instructions, it never skips.
pub(crate) fn postgres_database() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let admin = std::env::var("SYNTHGATE_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "this test needs a PostgreSQL server: run scripts/test, which starts one, or start \
             one with `scripts/postgres start /tmp/pg` and set SYNTHGATE_TEST_POSTGRES to the \
             URL it prints"
        )
    });
    let name = format!(
        "sg_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|error| panic!("the test PostgreSQL server {admin}: {error}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a test database");
    let (server, _) = admin.rsplit_once('/').expect("a URL with a database");
    format!("{server}/{name}")
}

/// `output` of `synthgate ARGS`, which must have succeeded (its standard error otherwise).
pub(crate) fn succeeded(output: Output, args: &[&str]) -> Output {
    assert!(
        output.status.success(),
        "synthgate {}: {}",
        args.join(" "),
        stderr(&output)
    );
    output
}

/// The values of `column` in a table file (CSV or Parquet), as text.
pub(crate) fn column(path: &Path, column: &str) -> Vec<Option<String>> {
    let read = synthgate_io::read_table(path, &synthgate_io::ReadOptions::default())
        .unwrap_or_else(|e| panic!("{} reads: {e:?}", path.display()));
    let index = read
        .table
        .column_names()
        .iter()
        .position(|c| *c == column)
        .unwrap_or_else(|| panic!("{} has no column {column}", path.display()));
    read.table.key_texts(index)
}
