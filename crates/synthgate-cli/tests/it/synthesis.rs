//! `fit`, `sample` and `synthesizers` end to end.

use std::process::Command;

use crate::support::{dataset, entries, stderr, stdout, synthgate};

fn run_with_threads(args: &[&str], threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("runs")
}

/// fit + sample on a real table; the files are byte-identical with 1 and 2 threads.
#[test]
fn fit_then_sample_is_deterministic_across_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dataset("adult").display().to_string();
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let model = dir
            .path()
            .join(format!("model-{threads}.json"))
            .display()
            .to_string();
        let out = dir
            .path()
            .join(format!("synthetic-{threads}.csv"))
            .display()
            .to_string();
        let output = run_with_threads(
            &["fit", &data, "--na", "?", "--seed", "3", "--out", &model],
            threads,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("rarer than 10 rows"),
            "protections are reported: {}",
            stderr(&output)
        );
        let output = run_with_threads(
            &["sample", &model, "--rows", "40000", "--out", &out],
            threads,
        );
        assert!(output.status.success(), "{}", stderr(&output));
        files.push((
            std::fs::read(&model).expect("model"),
            std::fs::read(&out).expect("csv"),
        ));
    }
    assert!(files[0] == files[1], "output depends on the thread count");
    let csv = String::from_utf8(files[0].1.clone()).expect("utf-8");
    assert_eq!(csv.lines().count(), 40_001);
    assert!(csv.starts_with("age,workclass,fnlwgt,"));
}

#[test]
fn synthesizers_are_listed() {
    let output = synthgate(["synthesizers"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("independent"));
    let output = synthgate(["synthesizers", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|entry| entry["default"] == true)
    );
}

#[test]
fn bad_fit_and_sample_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dataset("heart_cleveland").display().to_string();
    let model = dir.path().join("model.json");
    let model_text = model.display().to_string();

    let output = synthgate([
        "fit",
        &data,
        "--synthesizer",
        "gan9000",
        "--out",
        &model_text,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no synthesizer called 'gan9000'"));
    assert!(!model.exists());

    let output = synthgate(["fit", &data, "--na", "?", "--out", &model_text, "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let out = dir.path().join("out.csv").display().to_string();
    for rows in ["0", "-5", "many"] {
        let output = synthgate(["sample", &model_text, "--rows", rows, "--out", &out]);
        assert_eq!(output.status.code(), Some(2), "--rows {rows}");
    }

    let truncated = dir.path().join("truncated.json");
    let bytes = std::fs::read(&model).expect("model");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("write");
    let output = synthgate([
        "sample",
        &truncated.display().to_string(),
        "--rows",
        "5",
        "--out",
        &out,
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("truncated.json") && stderr(&output).contains("truncated"));

    let output = synthgate([
        "sample",
        &dir.path().join("none.json").display().to_string(),
        "--rows",
        "5",
        "--out",
        &out,
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("does not exist"));

    // Nothing was written by the failures: only the model and the truncated copy exist.
    assert_eq!(entries(dir.path()), vec!["model.json", "truncated.json"]);

    // A schema that does not match the data.
    let schema = dir.path().join("schema.toml");
    std::fs::write(
        &schema,
        "format_version = 1\nna_tokens = [\"\"]\n[[columns]]\nname = \"age\"\nstorage = \"float64\"\nsemantic = \"continuous\"\nrole = \"none\"\n",
    )
    .expect("write");
    let output = synthgate([
        "fit",
        &data,
        "--schema",
        &schema.display().to_string(),
        "--out",
        &dir.path().join("m2.json").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("the data has 'sex'"),
        "{}",
        stderr(&output)
    );
}
