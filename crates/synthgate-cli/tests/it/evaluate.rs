//! `evaluate` end to end: sanity that cannot be faked, determinism, and bad input.

use std::path::{Path, PathBuf};

use crate::support::{repo_root, stderr, stdout, synthgate};

/// Splits the bundled nhefs table into train (first 1,100 rows) and holdout (the rest).
fn split(dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(repo_root().join("examples/nhefs/data.csv")).expect("nhefs");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let write = |name: &str, part: &[&str]| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{header}\n{}\n", part.join("\n"))).expect("write");
        path
    };
    (
        write("train.csv", &rows[..1100]),
        write("holdout.csv", &rows[1100..]),
    )
}

fn evaluate(train: &Path, holdout: &Path, synthetic: &Path, out: &Path) -> std::process::Output {
    synthgate([
        "evaluate".as_ref(),
        "--train".as_ref(),
        train.as_os_str(),
        "--holdout".as_ref(),
        holdout.as_os_str(),
        "--synthetic".as_ref(),
        synthetic.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ])
}

fn metric<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|metric| metric["id"] == id)
        .unwrap_or_else(|| panic!("no metric {id}"))
}

#[test]
fn train_scored_as_synthetic_is_a_perfect_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let out = dir.path().join("report");
    let output = evaluate(&train, &holdout, &train, &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(report["harness_version"], "0.1");
    assert_eq!(report["inputs"][0]["rows"], 1100);
    assert_eq!(report["inputs"][1]["rows"], 529);
    assert_eq!(
        report["inputs"][0]["sha256"]
            .as_str()
            .expect("digest")
            .len(),
        64
    );
    assert_eq!(metric(&report, "privacy.exact_copy_rate")["value"], 1.0);
    assert_eq!(metric(&report, "fidelity.column_shapes")["value"], 1.0);
    let reference = metric(&report, "privacy.exact_copy_rate")["holdout_reference"]
        .as_f64()
        .expect("ref");
    assert!(
        reference < 0.01,
        "real people are not copies of each other: {reference}"
    );
    assert!(stdout(&output).contains("fidelity.column_shapes"));
}

#[test]
fn synthetic_output_scores_between_floor_and_copy_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let model = dir.path().join("model.json");
    let synthetic = dir.path().join("synthetic.csv");
    let output = synthgate([
        "fit".as_ref(),
        train.as_os_str(),
        "--out".as_ref(),
        model.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = synthgate([
        "sample".as_ref(),
        model.as_os_str(),
        "--rows".as_ref(),
        "1100".as_ref(),
        "--out".as_ref(),
        synthetic.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    for out in [&first, &second] {
        let output = evaluate(&train, &holdout, &synthetic, out);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let a = std::fs::read_to_string(first.join("report.json")).expect("report");
    let b = std::fs::read_to_string(second.join("report.json")).expect("report");
    assert_eq!(
        a, b,
        "report.json must be byte-identical for the same inputs and seed"
    );
    let report: serde_json::Value = serde_json::from_str(&a).expect("json");
    let shapes = metric(&report, "fidelity.column_shapes");
    let value = shapes["value"].as_f64().expect("value");
    assert!(value > 0.85 && value < 1.0, "column shapes {value}");
    let (low, high) = (
        shapes["ci_low"].as_f64().expect("low"),
        shapes["ci_high"].as_f64().expect("high"),
    );
    assert!(low <= value && value <= high, "{low} <= {value} <= {high}");
    assert_eq!(metric(&report, "privacy.exact_copy_rate")["value"], 0.0);
}

#[test]
fn mismatched_columns_and_bad_out_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let text = std::fs::read_to_string(&holdout).expect("holdout");
    // Drop the last column from the "synthetic" table.
    let cut: String = text
        .lines()
        .map(|line| {
            line.rsplit_once(',')
                .map_or(line, |(head, _)| head)
                .to_string()
                + "\n"
        })
        .collect();
    let synthetic = dir.path().join("cut.csv");
    std::fs::write(&synthetic, cut).expect("write");
    let output = evaluate(&train, &holdout, &synthetic, &dir.path().join("r"));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("'older'"), "{}", stderr(&output));
    assert!(
        !dir.path().join("r").exists(),
        "a failed evaluation leaves nothing behind"
    );

    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let output = evaluate(&train, &holdout, &holdout, &file);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
