//! `synthgate drift` on NHEFS: a release made from half the people, then new snapshots: the
//! other half (no drift; the gates re-scored on it still pass), only the over-50s (a real
//! shift in age and everything tied to it: exit 4 naming the columns), and a snapshot with a
//! vanished, an added and a retyped column (exit 4, gates not rechecked). The bundle keeps only
//! aggregates, with small cells withheld.

use std::path::{Path, PathBuf};

use crate::release::{run, spec};
use crate::support::{read_json, repo_root, stderr, stdout, synthgate};

/// A CSV of `rows` under `header`.
fn write_rows(path: &Path, header: &str, rows: &[&str]) {
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(path, text).expect("csv written");
}

fn drift(bundle: &Path, new: &Path, json: &Path) -> std::process::Output {
    synthgate([
        "drift".as_ref(),
        bundle.as_os_str(),
        new.as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
        "--force".as_ref(),
        "--quiet".as_ref(),
    ])
}

fn column<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == name)
        .expect("column reported")
}

#[test]
fn drift_measures_new_snapshots_against_the_release() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source =
        std::fs::read_to_string(repo_root().join("examples/nhefs/data.csv")).expect("nhefs");
    let mut lines = source.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let age = header
        .split(',')
        .position(|c| c == "age")
        .expect("age column");
    let even: Vec<&str> = rows.iter().copied().step_by(2).collect();
    let odd: Vec<&str> = rows.iter().copied().skip(1).step_by(2).collect();
    let released = dir.path().join("first-half.csv");
    write_rows(&released, header, &even);

    // Half of NHEFS leaves about 160 holdout rows to control the inference attack, so its
    // risk's 95% interval is about ±0.2 wide (the real holdout's own reference reaches 0.24):
    // the example's gate on that interval's upper end tests noise here, and this test is about
    // drift, so the gate is waived as an operator would.
    let spec_path: PathBuf = spec(
        dir.path(),
        "\n[[policy.waivers]]\nmetric = \"privacy.inference_risk\"\nrole = \"data_steward\"\n\
         reason = \"half the demo's rows: the interval is as wide as the gate\"\n",
    );
    let text = std::fs::read_to_string(&spec_path).expect("spec");
    let text = text.replace(
        &format!(
            "path = {:?}",
            repo_root()
                .join("examples/nhefs/data.csv")
                .display()
                .to_string()
        ),
        &format!("path = {:?}", released.display().to_string()),
    );
    assert!(
        text.contains("first-half.csv"),
        "the spec's source was not replaced"
    );
    std::fs::write(&spec_path, text).expect("spec written");
    let bundle = dir.path().join("bundle");
    let output = run(&spec_path, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));

    // The profile: aggregates only, every recorded cell at least min_cell, never the oldest
    // age, and the youngest only if at least min_cell people share it.
    let profile = read_json(&bundle.join("monitor/source_profile.json"));
    let min_cell = profile["min_cell"].as_u64().expect("min_cell");
    assert_eq!(min_cell, 10);
    let ages: Vec<f64> = even
        .iter()
        .map(|r| r.split(',').nth(age).expect("age").parse().expect("number"))
        .collect();
    let (youngest, oldest) = ages
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    for column in profile["columns"].as_array().expect("columns") {
        let distribution = &column["distribution"];
        // Withheld counts are null.
        for count in distribution["counts"].as_array().into_iter().flatten() {
            assert!(
                count.is_null() || count.as_u64().expect("count") >= min_cell,
                "{} records a cell under {min_cell}: {distribution}",
                column["name"]
            );
        }
        if column["name"] == "age" {
            let edges: Vec<f64> = distribution["edges"]
                .as_array()
                .expect("age is binned")
                .iter()
                .map(|e| e.as_f64().expect("edge"))
                .collect();
            assert!(edges.len() >= 5, "{edges:?}");
            let sharing_youngest = ages.iter().filter(|a| **a == youngest).count() as u64;
            assert!(
                !edges.contains(&oldest)
                    && (!edges.contains(&youngest) || sharing_youngest >= min_cell),
                "{edges:?}"
            );
        }
        if column["name"] == "seqn" {
            assert_eq!(
                distribution["kind"], "not_recorded",
                "identifiers are not profiled"
            );
        }
    }
    let profile_text =
        std::fs::read_to_string(bundle.join("monitor/source_profile.json")).expect("profile");
    assert!(!profile_text.contains(even[0]), "the profile holds a row");

    // The other half: no column drifts, the gates re-scored on it still pass.
    let other = dir.path().join("second-half.csv");
    write_rows(&other, header, &odd);
    let json = dir.path().join("drift.json");
    let output = drift(&bundle, &other, &json);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("no drift past"),
        "{}",
        stdout(&output)
    );
    let report = read_json(&json);
    for c in report["columns"].as_array().expect("columns") {
        if let Some(psi) = c["psi"].as_f64() {
            assert!(
                psi < 0.25,
                "{} drifts between random halves: {c}",
                c["column"]
            );
        }
    }
    assert!(column(&report, "age")["psi"].as_f64().expect("psi") < 0.1);
    assert_eq!(report["gates"]["rechecked"], true, "{}", report["gates"]);
    assert_eq!(report["gates"]["would_pass"], true, "{}", report["gates"]);
    for gate in report["gates"]["gates"].as_array().expect("gates") {
        let privacy = gate["metric"]
            .as_str()
            .expect("metric")
            .starts_with("privacy.");
        assert_eq!(
            gate["basis"],
            if privacy { "release" } else { "new data" },
            "{gate}"
        );
    }
    assert_eq!(report["schema_changes"].as_array().map(Vec::len), Some(0));

    // Only people over 50: age shifts past the threshold, and the command says so.
    let older: Vec<&str> = odd
        .iter()
        .copied()
        .filter(|r| r.split(',').nth(age).and_then(|a| a.parse::<f64>().ok()) > Some(50.0))
        .collect();
    assert!(older.len() > 100);
    let shifted = dir.path().join("over-50.csv");
    write_rows(&shifted, header, &older);
    let output = drift(&bundle, &shifted, &json);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stderr(&output).contains("age: PSI"), "{}", stderr(&output));
    let report = read_json(&json);
    let age_drift = column(&report, "age");
    assert_eq!(age_drift["status"], "drifted", "{age_drift}");
    assert!(
        age_drift["ks_at_edges"].as_f64().expect("ks") > 0.4,
        "{age_drift}"
    );

    // A vanished, an added and a retyped column.
    let columns: Vec<&str> = header.split(',').collect();
    let dropped = columns
        .iter()
        .position(|c| *c == "smokeyrs")
        .expect("smokeyrs");
    let retyped = columns.iter().position(|c| *c == "wt71").expect("wt71");
    let reshape = |row: &str| -> String {
        let mut cells: Vec<String> = row.split(',').map(str::to_string).collect();
        cells[retyped] = "heavy".into();
        cells.remove(dropped);
        cells.push("site-a".into());
        cells.join(",")
    };
    let mut new_header: Vec<&str> = columns.clone();
    new_header.remove(dropped);
    new_header.push("clinic");
    let reshaped: Vec<String> = odd.iter().map(|r| reshape(r)).collect();
    let reshaped_refs: Vec<&str> = reshaped.iter().map(String::as_str).collect();
    let changed = dir.path().join("reshaped.csv");
    write_rows(&changed, &new_header.join(","), &reshaped_refs);
    let output = drift(&bundle, &changed, &json);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    for expected in [
        "smokeyrs: column vanished",
        "clinic: column added",
        "wt71: column retyped",
    ] {
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    let report = read_json(&json);
    assert_eq!(report["gates"]["rechecked"], false);

    // A bundle that does not verify is not measured.
    let profile_path = bundle.join("monitor/source_profile.json");
    std::fs::write(
        &profile_path,
        profile_text.replace("\"min_cell\": 10", "\"min_cell\": 1"),
    )
    .expect("edit");
    let output = drift(&bundle, &other, &json);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("monitor/source_profile.json has changed"),
        "{}",
        stderr(&output)
    );
}
