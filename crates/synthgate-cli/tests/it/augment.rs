//! Augmented releases (`[augment]`): groups of a sensitive attribute up-sampled by sampling
//! the fitted model conditionally. On `examples/adult-augment` (Asian-Pac-Islander to 10% of
//! the release): the group reaches its declared share, the rows sampled before augmentation
//! are all still there and every added row is the group's, the report compares every group
//! before and after, the datasheet states the augmentation, the bundle verifies and
//! reproduces. A harmful augmentation (only the group's low-income married members) fails its
//! utility gate; specs that cannot work are refused before anything is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use synthgate_core::Seed;
use synthgate_io::{ReadOptions, read_table};

use crate::datasheet::validate_croissant;
use crate::release::{run, spec, verify};
use crate::support::{dataset, read_json, stderr};

const GROUP: &str = "Asian-Pac-Islander";

/// `examples/adult-augment/pipeline.toml` with the shared Adult path and 10 resamples, its
/// `[[augment.groups]]` replaced by `groups` when given, written into `dir` as `name`.
fn adult_spec(dir: &Path, name: &str, groups: Option<&str>) -> PathBuf {
    let example = crate::support::repo_root().join("examples/adult-augment/pipeline.toml");
    let mut text = std::fs::read_to_string(example)
        .expect("example spec")
        .replace(
            "path = \"../../../shared/datasets/adult/data.csv\"",
            &format!("path = {:?}", dataset("adult").display().to_string()),
        )
        .replace(
            "sensitive = [\"sex\", \"race\"]",
            "sensitive = [\"sex\", \"race\"]\nresamples = 10",
        );
    assert!(text.contains("resamples = 10") && !text.contains("../../../shared"));
    let example_group = "[[augment.groups]]\nvalue = \"Asian-Pac-Islander\"\nshare = 0.10\n";
    assert!(text.contains(example_group), "the example changed shape");
    if let Some(groups) = groups {
        text = text.replace(example_group, groups);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("spec");
    path
}

/// Each row of the table at `path` as one text, with how often it occurs, and the rows'
/// `race` values.
fn rows(path: &Path) -> (HashMap<String, usize>, Vec<String>) {
    let table = read_table(path, &ReadOptions::default())
        .expect("reads")
        .table;
    let columns: Vec<Vec<Option<String>>> = (0..table.num_columns())
        .map(|c| table.key_texts(c))
        .collect();
    let race = table
        .column_names()
        .iter()
        .position(|n| *n == "race")
        .expect("race");
    let mut counts = HashMap::new();
    for row in 0..table.num_rows() {
        let text: Vec<&str> = columns
            .iter()
            .map(|c| c[row].as_deref().unwrap_or("<NA>"))
            .collect();
        *counts.entry(text.join("\u{1f}")).or_insert(0) += 1;
    }
    let races = columns[race]
        .iter()
        .map(|v| v.clone().unwrap_or_default())
        .collect();
    (counts, races)
}

#[test]
fn the_adult_augment_example_reaches_its_share_keeps_its_base_rows_and_reproduces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = adult_spec(dir.path(), "augment.toml", None);
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // The group holds 10% of the release (to the nearest row).
    let (augmented, races) = rows(&bundle.join("data/synthetic.parquet"));
    let total = races.len();
    let in_group = races.iter().filter(|r| *r == GROUP).count();
    assert!(
        (in_group as f64 / total as f64 - 0.10).abs() <= 1.0 / total as f64,
        "{in_group} of {total}"
    );

    // The same spec without [augment]: its rows are all in the augmented release, and every
    // row the augmentation added is the group's.
    let text = std::fs::read_to_string(&spec).expect("spec");
    let cut = text.find("[augment]").expect("augment section");
    let end = text.find("# Gates for controlled access").expect("gates");
    let plain_spec = dir.path().join("plain.toml");
    std::fs::write(&plain_spec, format!("{}{}", &text[..cut], &text[end..])).expect("spec");
    let plain_bundle = dir.path().join("plain");
    let output = run(&plain_spec, &plain_bundle);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (plain, plain_races) = rows(&plain_bundle.join("data/synthetic.parquet"));
    let mut added = augmented.clone();
    for (row, count) in &plain {
        let left = added
            .get_mut(row)
            .unwrap_or_else(|| panic!("base row lost: {row}"));
        assert!(*left >= *count, "base row lost: {row}");
        *left -= count;
    }
    let added_rows: usize = added.values().sum();
    assert_eq!(added_rows, total - plain_races.len());
    let group_before = plain_races.iter().filter(|r| *r == GROUP).count();
    assert_eq!(
        added_rows,
        in_group - group_before,
        "only the group's rows were added"
    );
    assert!(
        group_before * 2 < in_group,
        "{group_before} before, {in_group} after"
    );

    // The report compares every race group before and after.
    let report = read_json(&bundle.join("report/report.json"));
    let metric = |id: &str| {
        report["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let loss = metric("subgroup.race.augment_utility_loss");
    let groups = loss["details"]["before_after"].as_array().expect("groups");
    assert_eq!(groups.len(), 5, "{groups:?}");
    let group = groups
        .iter()
        .find(|g| g["group"] == GROUP)
        .expect("the group");
    assert_eq!(group["declared_share"], 0.1);
    let share_before = group_description(group, "share_before");
    assert!(
        (share_before - group_before as f64 / plain_races.len() as f64).abs() < 1e-9,
        "{share_before}"
    );
    for key in ["tstr_before", "tstr_after", "trtr", "column_shapes_after"] {
        assert!(group[key].as_f64().is_some(), "{key}: {group}");
    }
    assert!(loss["value"].as_f64().expect("loss") <= 0.02, "{loss}");
    let gap = metric("subgroup.race.augment_share_gap");
    assert!(gap["value"].as_f64().expect("gap") <= 1.0 / total as f64);
    let html = std::fs::read_to_string(bundle.join("report/report.html")).expect("html");
    assert!(html.contains("Augmentation of race: before and after"));

    // The datasheet says what was added, and stays valid Croissant.
    let datasheet = read_json(&bundle.join("datasheet.json"));
    let statement = datasheet["sdg:augmentation"]
        .as_str()
        .expect("augmentation");
    assert!(
        statement.contains(&format!(
            "'{GROUP}' up-sampled to 10.0% of the release ({} synthetic rows added to \
             {group_before})",
            in_group - group_before
        )),
        "{statement}"
    );
    assert_eq!(datasheet["sdg:synthesisType"], "fully_synthetic");
    validate_croissant(&bundle.join("datasheet.json"));
    let markdown = std::fs::read_to_string(bundle.join("DATASHEET.md")).expect("markdown");
    assert!(markdown.contains(statement));

    // The floor: the group has at least 200 holdout rows to score it on.
    let source = read_table(&dataset("adult"), &ReadOptions::default())
        .expect("adult")
        .table;
    let race = source
        .column_names()
        .iter()
        .position(|n| *n == "race")
        .expect("race");
    let values = source.key_texts(race);
    let (_, holdout) = synthgate_release::run::split_rows(source.num_rows(), 0.2, Seed(1));
    let held = holdout
        .iter()
        .filter(|&&r| values[r as usize].as_deref() == Some(GROUP))
        .count();
    assert!(held >= 200, "{held} holdout rows");

    let output = verify(&bundle, true);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

fn group_description(group: &serde_json::Value, key: &str) -> f64 {
    group[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: {group}"))
}

/// Up-sampling the group with only its low-income married members teaches a model that the
/// group's married people earn little: the group's TSTR falls well beyond the tolerance, the
/// interval of the loss lies above 0, and the gate fails the release (exit 4).
#[test]
fn a_harmful_augmentation_fails_its_utility_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = adult_spec(
        dir.path(),
        "harmful.toml",
        Some(
            "[[augment.groups]]\nvalue = \"Asian-Pac-Islander\"\nshare = 0.3\nwhere = { income \
             = \"<=50K\", marital-status = \"Married-civ-spouse\" }\n",
        ),
    );
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("subgroup.race.augment_utility_loss"),
        "{}",
        stderr(&output)
    );
    let report = read_json(&bundle.join("report/report.json"));
    let loss = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["id"] == "subgroup.race.augment_utility_loss")
        .expect("loss")
        .clone();
    assert_eq!(loss["details"]["worst_group"], GROUP);
    assert!(loss["value"].as_f64().expect("value") > 0.05, "{loss}");
    assert!(loss["ci_low"].as_f64().expect("interval") > 0.0, "{loss}");
    let decision = read_json(&bundle.join("policy/decision.json"));
    let failed: Vec<&str> = decision["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .filter(|g| g["outcome"] == "fail")
        .filter_map(|g| g["metric"].as_str())
        .collect();
    assert!(
        failed.contains(&"subgroup.race.augment_utility_loss"),
        "{failed:?}"
    );
}

/// Specs that cannot work are refused with the key named, and nothing is written.
#[test]
fn augment_specs_that_cannot_work_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = |extra: &str, needle: &str| {
        let spec = spec(dir.path(), extra);
        let bundle = dir.path().join("bundle");
        let output = run(&spec, &bundle);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{extra}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{extra}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("pipeline.toml") || stderr(&output).contains("[augment]"),
            "{}",
            stderr(&output)
        );
        assert!(!bundle.exists(), "nothing written");
    };
    let group = |column: &str, body: &str| {
        format!("[augment]\ncolumn = \"{column}\"\n\n[[augment.groups]]\n{body}\n")
    };
    refused(
        &group("age", "value = 40\nshare = 0.2"),
        "augment.column 'age' must be one of [evaluation] sensitive",
    );
    refused(
        &group("race", "value = 1\nshare = 0.2\nrows = 100"),
        "needs exactly one of share",
    );
    refused(&group("race", "value = 1\nshare = 0.95"), "at most 0.9");
    refused(
        &format!(
            "{}\n[[augment.groups]]\nvalue = 0\nshare = 0.6\n",
            group("race", "value = 1\nshare = 0.5")
        ),
        "leaves no room",
    );
    refused(
        &group("race", "value = 1\nshare = 0.2\nwhere = { race = 0 }"),
        "the augmented column itself",
    );
    // A value the model never produces: refused when the model is asked, with the group named.
    refused(
        &group("race", "value = 7\nshare = 0.2"),
        "[augment] group '7': where race=7: the model never produces '7'",
    );
    // A synthesizer that cannot sample conditionally.
    let copula = spec(dir.path(), &group("race", "value = 1\nshare = 0.2"));
    let text = std::fs::read_to_string(&copula).expect("spec");
    std::fs::write(
        &copula,
        text.replace("name = \"cart\"", "name = \"gaussian_copula\""),
    )
    .expect("spec");
    let output = run(&copula, &dir.path().join("bundle"));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("synthesizer 'gaussian_copula' cannot"),
        "{}",
        stderr(&output)
    );
}
