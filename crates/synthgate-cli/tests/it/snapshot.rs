//! Golden outputs of real CLI runs: what a person sees.

use std::process::Command;

use crate::support::{check_snapshot, repo_root, stderr, stdout};

/// The README's main command: `inspect` on the bundled demo table.
#[test]
fn inspect_bundled_nhefs() {
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(["inspect", "examples/nhefs/data.csv"])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    check_snapshot("inspect_nhefs.txt", &stdout(&output));
}

/// The written schema of the bundled table.
#[test]
fn schema_of_bundled_nhefs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("schema.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args([
            "inspect",
            "examples/nhefs/data.csv",
            "--quiet",
            "--schema-out",
        ])
        .arg(&schema)
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    check_snapshot(
        "nhefs.schema.toml",
        &std::fs::read_to_string(&schema).expect("schema written"),
    );
}
