//! `run` and `verify` end to end on the bundled NHEFS table: a releasable bundle that verifies
//! and reproduces byte for byte, tampering caught file by file, a failing gate, and bad specs.

use std::path::{Path, PathBuf};

use crate::support::{copy_dir, read_json, repo_root, stderr, stdout, synthgate};

/// The bundled example spec with fewer resamples (for speed), written into `dir`, with its
/// source path made absolute. Returns the spec's path.
pub(crate) fn spec(dir: &Path, extra: &str) -> PathBuf {
    let example = repo_root().join("examples/nhefs/pipeline.toml");
    let text = std::fs::read_to_string(&example).expect("example spec");
    let data = repo_root().join("examples/nhefs/data.csv");
    let text = text
        .replace(
            "path = \"data.csv\"",
            &format!("path = {:?}", data.display().to_string()),
        )
        .replace(
            "sensitive = [\"sex\", \"race\"]",
            "sensitive = [\"sex\", \"race\"]\nresamples = 10",
        );
    assert!(
        text.contains("resamples = 10"),
        "the example spec changed shape"
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).expect("write spec");
    path
}

pub(crate) fn run(spec: &Path, out: &Path) -> std::process::Output {
    synthgate([
        "run".as_ref(),
        spec.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--force".as_ref(),
        "--quiet".as_ref(),
    ])
}

pub(crate) fn verify(bundle: &Path, reproduce: bool) -> std::process::Output {
    let mut args = vec!["verify".as_ref(), bundle.as_os_str(), "--quiet".as_ref()];
    if reproduce {
        args.push("--reproduce".as_ref());
    }
    synthgate(args)
}

#[test]
fn a_release_verifies_reproduces_and_catches_tampering() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec(dir.path(), "");
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("gate privacy.dcr_share"),
        "{}",
        stdout(&output)
    );
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["releasable"], true);
    assert_eq!(manifest["source"]["rows"], 1629);
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        listed,
        [
            "DATASHEET.md",
            "audit/checkpoint.json",
            "audit/log.jsonl",
            "data/synthetic.parquet",
            "datasheet.json",
            "log/generation.jsonl",
            "monitor/source_profile.json",
            "policy/decision.json",
            "report/report.html",
            "report/report.json"
        ]
    );
    // No real rows in the bundle: no file holds the source's first data line.
    let source = std::fs::read_to_string(repo_root().join("examples/nhefs/data.csv")).expect("src");
    let first_row = source.lines().nth(1).expect("a row");
    for path in &listed {
        let bytes = std::fs::read(bundle.join(path)).expect("file");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(first_row),
            "{path} holds a source row"
        );
    }

    let output = verify(&bundle, true);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("reproduced byte for byte"),
        "{}",
        stdout(&output)
    );

    // Each tampering, on a fresh copy: (what, edit, the message naming it).
    type Edit = fn(&Path);
    let tamperings: [(&str, Edit, &str); 10] = [
        (
            "the datasheet rewritten and its manifest entry updated to match",
            |b| {
                let sheet = b.join("DATASHEET.md");
                let text = std::fs::read_to_string(&sheet).expect("sheet");
                let edited = text.replace("Synthgate demo", "Someone else");
                std::fs::write(&sheet, &edited).expect("write");
                let path = b.join("manifest.json");
                let mut manifest = read_json(&path);
                for file in manifest["files"].as_array_mut().expect("files") {
                    if file["path"] == "DATASHEET.md" {
                        file["sha256"] = synthgate_io::sha256_bytes(edited.as_bytes()).into();
                        file["bytes"] = edited.len().into();
                    }
                }
                let text = serde_json::to_string_pretty(&manifest).expect("json") + "\n";
                std::fs::write(&path, text).expect("write");
            },
            "manifest.json has changed since the operator signed it",
        ),
        (
            "the manifest signature removed",
            |b| std::fs::remove_file(b.join("manifest.sig")).expect("remove"),
            "manifest.sig is missing",
        ),
        (
            "an audit entry deleted",
            |b| {
                let path = b.join("audit/log.jsonl");
                let text = std::fs::read_to_string(&path).expect("audit");
                let first = text.lines().next().expect("an entry");
                std::fs::write(&path, text.replacen(&format!("{first}\n"), "", 1)).expect("write");
            },
            "an entry was deleted",
        ),
        (
            "audit entries reordered",
            |b| {
                let path = b.join("audit/log.jsonl");
                let text = std::fs::read_to_string(&path).expect("audit");
                let lines: Vec<&str> = text.lines().collect();
                std::fs::write(&path, format!("{}\n{}\n", lines[1], lines[0])).expect("write");
            },
            "an entry was deleted or reordered",
        ),
        (
            "one byte of the data",
            |b| {
                let path = b.join("data/synthetic.parquet");
                let mut bytes = std::fs::read(&path).expect("data");
                let middle = bytes.len() / 2;
                bytes[middle] ^= 1;
                std::fs::write(&path, bytes).expect("write");
            },
            "data/synthetic.parquet has changed",
        ),
        (
            "the report",
            |b| {
                let path = b.join("report/report.json");
                let text = std::fs::read_to_string(&path).expect("report");
                std::fs::write(&path, text.replacen("\"value\": 0.", "\"value\": 1.", 1))
                    .expect("write");
            },
            "report/report.json has changed",
        ),
        (
            "a manifest field",
            |b| {
                let path = b.join("manifest.json");
                let text = std::fs::read_to_string(&path).expect("manifest");
                let edited = text.replacen("\"releasable\": true", "\"releasable\": false", 1);
                assert_ne!(edited, text);
                std::fs::write(&path, edited).expect("write");
            },
            "releasable flag disagrees",
        ),
        (
            "a file added",
            |b| std::fs::write(b.join("data/extra.csv"), "a\n1\n").expect("write"),
            "data/extra.csv is in the bundle but not in the manifest",
        ),
        (
            "a file removed",
            |b| std::fs::remove_file(b.join("report/report.html")).expect("remove"),
            "report/report.html is listed in the manifest but missing",
        ),
        (
            "the decision",
            |b| {
                let path = b.join("policy/decision.json");
                let text = std::fs::read_to_string(&path).expect("decision");
                std::fs::write(&path, text.replace("\"fail\"", "\"pass\"") + " ").expect("write");
            },
            "policy/decision.json has changed",
        ),
    ];
    for (what, edit, message) in tamperings {
        let copy = dir.path().join("tampered");
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&bundle, &copy);
        edit(&copy);
        let output = verify(&copy, false);
        assert_eq!(output.status.code(), Some(5), "{what}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(message),
            "{what}: expected {message:?} in {}",
            stderr(&output)
        );
    }
}

/// Two runs at once against one audit log: both succeed, their bundles' data and evaluation are
/// byte-identical (same spec, source and clock), and the shared log's chain stays whole.
#[test]
fn concurrent_runs_give_identical_data_and_a_whole_audit_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec(dir.path(), "");
    let home = dir.path().join("home");
    let children: Vec<(PathBuf, std::process::Child)> = ["a", "b"]
        .iter()
        .map(|name| {
            let out = dir.path().join(name);
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_synthgate"))
                .args(["run", spec.to_str().expect("utf-8"), "--quiet", "--out"])
                .arg(&out)
                .env("SOURCE_DATE_EPOCH", "1790000000")
                .env("SYNTHGATE_HOME", &home)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("runs");
            (out, child)
        })
        .collect();
    let mut manifests = Vec::new();
    for (out, mut child) in children {
        assert!(child.wait().expect("waits").success());
        let manifest = read_json(&out.join("manifest.json"));
        manifests.push(manifest);
    }
    assert!(
        manifests[0]["created_at"]
            .as_str()
            .expect("time")
            .starts_with("2026-09-21T"),
        "the injected clock"
    );
    let without_audit = |m: &serde_json::Value| -> Vec<serde_json::Value> {
        m["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|f| !f["path"].as_str().expect("path").starts_with("audit/"))
            .cloned()
            .collect()
    };
    assert_eq!(without_audit(&manifests[0]), without_audit(&manifests[1]));
    assert_eq!(manifests[0]["generator"], manifests[1]["generator"]);
    // The shared log: four entries (run and gate, twice), each linked to the one before.
    let log = std::fs::read_to_string(home.join("audit.jsonl")).expect("log");
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    assert_eq!(entries.len(), 4);
    for (i, pair) in entries.windows(2).enumerate() {
        assert_eq!(pair[1]["prev_hash"], pair[0]["entry_hash"], "link {i}");
        assert_eq!(
            pair[1]["seq"].as_u64(),
            pair[0]["seq"].as_u64().map(|s| s + 1)
        );
    }
    assert!(home.join("operator.key").exists(), "made on first use");
    for name in ["a", "b"] {
        let output = verify(&dir.path().join(name), false);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // The registry has both, the later superseding the earlier, found by their source.
    let registry = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .arg("registry")
            .args(args)
            .env("SYNTHGATE_HOME", &home)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    let list = registry(&["list"]);
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[1].trim_end().ends_with(" 1"),
        "release 2 supersedes 1: {list}"
    );
    let source = manifests[0]["source"]["sha256"].as_str().expect("digest");
    assert_eq!(registry(&["lineage", &source[..10]]).lines().count(), 3);
    let shown: serde_json::Value = serde_json::from_str(&registry(&["show", "2"])).expect("json");
    assert_eq!(shown["release"]["supersedes"], 1);
    assert_eq!(shown["gates"].as_array().expect("gates").len(), 7);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(["registry", "show", "99"])
        .env("SYNTHGATE_HOME", &home)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn an_impossible_gate_writes_a_bundle_marked_not_releasable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec(
        dir.path(),
        "[[policy.gates]]\nmetric = \"fidelity.column_shapes\"\nmin = 1.01\n",
    );
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("fidelity.column_shapes"),
        "{}",
        stderr(&output)
    );
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["releasable"], false);
    let decision = read_json(&bundle.join("policy/decision.json"));
    let failed: Vec<&serde_json::Value> = decision["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .filter(|g| g["outcome"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["metric"], "fidelity.column_shapes");
    // The datasheet says so where readers look for limitations.
    let datasheet = read_json(&bundle.join("datasheet.json"));
    let limitations = datasheet["rai:dataLimitations"].to_string();
    assert!(
        limitations.contains("NOT RELEASABLE") && limitations.contains("fidelity.column_shapes"),
        "{limitations}"
    );
    assert_eq!(datasheet["sdg:policy"]["@value"]["releasable"], false);
    // The bundle is intact; verify says it is not releasable but exits 0 (integrity holds).
    let output = verify(&bundle, false);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("NOT releasable"),
        "{}",
        stdout(&output)
    );
}

/// Subgroup privacy gates: `exposed_groups` (a count, compared by value) passes at `max = 0`
/// when no group of race is more exposed than the whole table, and a `worst_dcr_share` gate
/// (compared at its interval's upper end) fails when set below the worst group's value.
#[test]
fn subgroup_privacy_gates_decide_on_the_worst_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec(
        dir.path(),
        "[[policy.gates]]\nmetric = \"subgroup.race.exposed_groups\"\nmax = 0\n\n\
         [[policy.gates]]\nmetric = \"subgroup.sex.worst_dcr_share\"\nmax = 0.4\n",
    );
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let decision = read_json(&bundle.join("policy/decision.json"));
    let gate = |metric: &str| {
        decision["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .find(|g| g["metric"] == metric)
            .unwrap_or_else(|| panic!("no gate {metric}: {decision}"))
            .clone()
    };
    let exposed = gate("subgroup.race.exposed_groups");
    assert_eq!(exposed["outcome"], "pass", "{exposed}");
    assert_eq!(exposed["bound"], "value");
    assert_eq!(exposed["observed"], 0.0);
    let worst = gate("subgroup.sex.worst_dcr_share");
    assert_eq!(worst["outcome"], "fail", "{worst}");
    assert_eq!(worst["bound"], "ci_high");
    let report = read_json(&bundle.join("report/report.json"));
    let metric = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["id"] == "subgroup.sex.worst_dcr_share")
        .expect("metric");
    assert!(metric["details"]["worst_group"].is_string(), "{metric}");
    assert_eq!(worst["observed"], metric["ci_high"]);
}

#[test]
fn bad_specs_name_file_line_and_key_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("colour = \"red\"\n", "unknown field `colour`"),
        (
            "[[policy.gates]]\nmetric = \"privacy.nope\"\nmax = 1\n",
            "'privacy.nope'",
        ),
        (
            "[[policy.gates]]\nmetric = \"privacy.dcr_share\"\n",
            "exactly one of min or max",
        ),
    ];
    for (extra, needle) in cases {
        let spec = spec(dir.path(), extra);
        let bundle = dir.path().join("never");
        let output = run(&spec, &bundle);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{extra}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.contains(needle), "{extra}: {message}");
        assert!(
            message.contains("pipeline.toml, line "),
            "{extra}: {message}"
        );
        assert!(!bundle.exists(), "{extra}: nothing written");
    }
    // A missing source names the file.
    let text = std::fs::read_to_string(spec(dir.path(), "")).expect("spec");
    let missing = dir.path().join("missing.toml");
    let data = repo_root().join("examples/nhefs/data.csv");
    std::fs::write(
        &missing,
        text.replace(&format!("{:?}", data.display().to_string()), "\"nope.csv\""),
    )
    .expect("write");
    let output = run(&missing, &dir.path().join("never"));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("nope.csv"), "{}", stderr(&output));
}

pub(crate) fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let output = synthgate(["keygen".as_ref(), "--out".as_ref(), key.as_os_str()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let print = stdout(&output).trim().to_string();
    assert_eq!(print.len(), 64, "a fingerprint: {print}");
    (key, print)
}

fn approve(bundle: &Path, role: &str, key: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "approve".as_ref(),
        bundle.as_os_str(),
        "--role".as_ref(),
        role.as_ref(),
        "--key".as_ref(),
        key.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    synthgate(args)
}

fn require_approved(bundle: &Path) -> std::process::Output {
    synthgate([
        "verify".as_ref(),
        bundle.as_os_str(),
        "--require-approved".as_ref(),
        "--quiet".as_ref(),
    ])
}

#[test]
fn approvals_by_role_are_signed_checked_and_required() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (dpo, dpo_print) = keygen(dir.path(), "dpo.key");
    let (steward, steward_print) = keygen(dir.path(), "steward.key");
    let (intruder, _) = keygen(dir.path(), "intruder.key");
    let output = synthgate(["keygen".as_ref(), "--out".as_ref(), dpo.as_os_str()]);
    assert_eq!(output.status.code(), Some(2), "keygen never overwrites");

    let spec = spec(
        dir.path(),
        &format!(
            "[[policy.approvers]]\nrole = \"dpo\"\nkeys = [\"{dpo_print}\"]\n\n\
             [[policy.approvers]]\nrole = \"data_steward\"\nkeys = [\"{steward_print}\"]\n"
        ),
    );
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = require_approved(&bundle);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not approved by dpo, data_steward"),
        "{}",
        stderr(&output)
    );

    // Refused: a key the policy does not allow for the role, and a role it does not have.
    let output = approve(&bundle, "dpo", &intruder, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not one the policy allows"),
        "{}",
        stderr(&output)
    );
    let output = approve(&bundle, "janitor", &dpo, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no approver role 'janitor'"),
        "{}",
        stderr(&output)
    );

    let output = approve(
        &bundle,
        "dpo",
        &dpo,
        &["--comment", "controlled access only"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = require_approved(&bundle);
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("not approved by data_steward"),
        "{}",
        stderr(&output)
    );
    let output = approve(&bundle, "data_steward", &steward, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = require_approved(&bundle);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("release status: approved"),
        "{}",
        stdout(&output)
    );

    let approvals = std::fs::read_to_string(bundle.join("approvals.jsonl")).expect("approvals");
    let lines: Vec<&str> = approvals.lines().collect();
    assert_eq!(lines.len(), 2);

    // An approval removed: the decision chain no longer holds (the second decision was signed
    // onto the first), and the registry's record of two decisions finds the cut.
    let removed = dir.path().join("removed");
    copy_dir(&bundle, &removed);
    std::fs::write(removed.join("approvals.jsonl"), format!("{}\n", lines[1])).expect("write");
    let output = require_approved(&removed);
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("the decision chain is broken"),
        "{}",
        stderr(&output)
    );

    // An approval forged: its decision or role edited, or re-signed by another key.
    let forged = dir.path().join("forged");
    copy_dir(&bundle, &forged);
    let edited = lines[0].replace("controlled access only", "no conditions");
    std::fs::write(
        forged.join("approvals.jsonl"),
        format!("{edited}\n{}\n", lines[1]),
    )
    .expect("write");
    let output = require_approved(&forged);
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("signature does not verify"),
        "{}",
        stderr(&output)
    );
    let mut entry: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    let intruder_public = std::fs::read_to_string(format!("{}.pub", intruder.display()))
        .expect("pub")
        .lines()
        .last()
        .expect("key")
        .to_string();
    entry["public_key"] = serde_json::Value::String(intruder_public);
    std::fs::write(
        forged.join("approvals.jsonl"),
        format!("{entry}\n{}\n", lines[1]),
    )
    .expect("write");
    let output = require_approved(&forged);
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("fingerprint is not its public key's"),
        "{}",
        stderr(&output)
    );

    // An approval does not carry over to an edited bundle: approve refuses, verify fails.
    let edited_bundle = dir.path().join("edited");
    copy_dir(&bundle, &edited_bundle);
    let log = edited_bundle.join("log/generation.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    std::fs::write(&log, text + "{}\n").expect("write");
    let output = approve(&edited_bundle, "dpo", &dpo, &[]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("log/generation.jsonl has changed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn only_a_pinned_operator_key_may_sign_a_release() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (allowed, print) = keygen(dir.path(), "operator");
    let (other, _) = keygen(dir.path(), "intruder");
    let spec = spec(
        dir.path(),
        &format!("[policy]\noperators = [\"{print}\"]\n"),
    );
    let bundle = dir.path().join("bundle");
    let run_with = |key: &Path| {
        synthgate([
            "run".as_ref(),
            spec.as_os_str(),
            "--out".as_ref(),
            bundle.as_os_str(),
            "--force".as_ref(),
            "--quiet".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
        ])
    };
    let output = run_with(&other);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not one of the policy's operators"),
        "{}",
        stderr(&output)
    );
    assert!(!bundle.exists());
    let output = run_with(&allowed);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = verify(&bundle, false);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// A pipeline sets the protections `fit` exposes: `[synthesizer] tail_count = 100` clips every
/// numeric column to the 100th smallest and largest training value, and the manifest records
/// it. The bound used is the whole source's 100th largest `wt71`, which is at least the
/// training split's. With the default (10), the synthetic maximum is above that bound, so the
/// setting, not chance, is what holds the values under it.
#[test]
fn a_pipeline_sets_the_protections_fit_can() {
    let source =
        std::fs::read_to_string(repo_root().join("examples/nhefs/data.csv")).expect("example data");
    let mut lines = source.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let column = header.iter().position(|&c| c == "wt71").expect("wt71");
    let mut values: Vec<f64> = lines
        .filter_map(|line| line.split(',').nth(column)?.parse().ok())
        .collect();
    values.sort_unstable_by(|a, b| b.total_cmp(a));
    let bound = values[99];

    let synthetic_max = |extra: &str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec_path = spec(dir.path(), "");
        let text = std::fs::read_to_string(&spec_path).expect("spec");
        let text = text.replacen("seed = 7\n", &format!("seed = 7\n{extra}"), 1);
        // The inference risk's gate is beside the point here, and on nhefs's 326 holdout rows
        // (the attack's control) its interval reaches about 0.16 above the risk, so another
        // tail setting can move its upper end across the gate's 0.2 by chance alone.
        let gate = "[[policy.gates]]\nmetric = \"privacy.inference_risk\"\nmax = 0.2\n";
        assert!(text.contains(gate), "the example's gates changed shape");
        let text = text.replacen(gate, "", 1);
        std::fs::write(&spec_path, text).expect("spec");
        let bundle = dir.path().join("bundle");
        let output = run(&spec_path, &bundle);
        assert!(output.status.success(), "{}", stderr(&output));
        let manifest = read_json(&bundle.join("manifest.json"));
        let output = synthgate([
            "inspect".as_ref(),
            bundle.join("data/synthetic.parquet").as_os_str(),
            "--json".as_ref(),
            "--quiet".as_ref(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let profile: serde_json::Value =
            serde_json::from_str(&stdout(&output)).expect("profile json");
        let wt71 = profile["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["name"] == "wt71")
            .expect("wt71 profiled")
            .clone();
        let max = wt71["max"]
            .as_str()
            .map(|m| m.parse::<f64>().expect("a number"))
            .or_else(|| wt71["max"].as_f64())
            .expect("max");
        (max, manifest)
    };
    let (clipped, manifest) = synthetic_max("tail_count = 100\n");
    assert!(clipped <= bound, "max {clipped} above the bound {bound}");
    let synthesizer = &manifest["pipeline"]["synthesizer"];
    assert_eq!(synthesizer["tail_count"], 100, "{synthesizer}");
    assert_eq!(synthesizer["min_category_count"], 10, "{synthesizer}");
    let (default, _) = synthetic_max("");
    assert!(
        default > bound,
        "default max {default} is not above {bound}"
    );
}

/// The manifest is a typed record of its own: it carries the digest of the pipeline it
/// recorded, so an edited pipeline is named even where the signature would be redone, and a
/// field a later format adds does not make it unreadable (only the signature then differs).
#[test]
fn the_manifest_records_its_pipeline_digest_and_reads_later_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = spec(dir.path(), "");
    let bundle = dir.path().join("bundle");
    let output = run(&spec_path, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["format_version"], 2);
    let digest = manifest["pipeline_sha256"]
        .as_str()
        .expect("pipeline digest");
    assert_eq!(digest.len(), 64);

    // The pipeline edited (a gate loosened) without its digest.
    let mut edited = manifest.clone();
    edited["pipeline"]["policy"]["gates"][0]["min"] = serde_json::json!(0.1);
    std::fs::write(
        bundle.join("manifest.json"),
        serde_json::to_string_pretty(&edited).expect("json"),
    )
    .expect("write");
    let output = verify(&bundle, false);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("pipeline_sha256"),
        "{}",
        stderr(&output)
    );

    // A field a later format might add: still a manifest, only no longer the signed one.
    let mut later = manifest.clone();
    later["added_by_a_later_format"] = serde_json::json!({"x": 1});
    std::fs::write(
        bundle.join("manifest.json"),
        serde_json::to_string_pretty(&later).expect("json"),
    )
    .expect("write");
    let output = verify(&bundle, false);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("not a valid manifest")
            && !stderr(&output).contains("pipeline_sha256"),
        "{}",
        stderr(&output)
    );
}

/// Integrity fails closed on numbers JSON cannot hold: an infinity in a synthesizer parameter
/// (which serde_json would record as `null`, so the manifest would say something else than was
/// run) is refused before any work, naming the key and its line, and nothing is written.
#[test]
fn an_infinite_setting_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = spec(dir.path(), "[synthesizer.params]\nmin_gain = inf\n");
    let bundle = dir.path().join("bundle");
    let output = synthgate([
        "run".as_ref(),
        spec_path.as_os_str(),
        "--out".as_ref(),
        bundle.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("synthesizer.params.min_gain is not a finite number"),
        "{message}"
    );
    assert!(message.contains("pipeline.toml, line"), "{message}");
    assert!(!bundle.exists());
}

/// `[split] entity`: the split names the entity column in the run log and the manifest's
/// pipeline, and a column the source lacks is refused (exit 3), naming it, with nothing written.
#[test]
fn an_entity_split_is_recorded_and_an_unknown_entity_column_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let with_entity = |column: &str| {
        let path = spec(dir.path(), "");
        let text = std::fs::read_to_string(&path).expect("spec");
        let text = text.replacen(
            "holdout_fraction = 0.2\nseed = 1\n",
            &format!("holdout_fraction = 0.2\nseed = 1\nentity = [\"{column}\"]\n"),
            1,
        );
        assert!(
            text.contains("entity = ["),
            "the example spec changed shape"
        );
        std::fs::write(&path, text).expect("write");
        path
    };
    let bundle = dir.path().join("entity");
    let output = run(&with_entity("seqn"), &bundle);
    assert!(
        output.status.success() || output.status.code() == Some(4),
        "{}",
        stderr(&output)
    );
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["pipeline"]["split"]["entity"][0], "seqn");
    let log = std::fs::read_to_string(bundle.join("log/generation.jsonl")).expect("log");
    assert!(log.contains("\"entity\":[\"seqn\"]"), "{log}");

    let never = dir.path().join("never");
    let output = run(&with_entity("patient"), &never);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("split.entity names column 'patient'"),
        "{}",
        stderr(&output)
    );
    assert!(!never.exists());
}
