//! Issue 12's reproductions, kept as tests: paths a spec or a flag cannot escape, decisions that
//! cannot be reordered or dropped, a bundle that cannot certify itself, an audit log that is
//! checked and agrees with the registry.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use synthgate_release::keys;

use crate::support::{copy_dir, dataset, read_json, stderr, stdout};

/// Run `synthgate` with its workspace at `home` and a fixed clock.
fn synthgate_in(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        .env("SYNTHGATE_HOME", home)
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .output()
        .expect("the synthgate binary runs")
}

fn os(text: &str) -> &std::ffi::OsStr {
    text.as_ref()
}

/// A small, fast pipeline on the heart table (303 rows), written to `dir/pipeline.toml`.
fn small_spec(dir: &Path, release: &str, extra: &str) -> PathBuf {
    let text = format!(
        "[release]\n{release}\n\n[source]\npath = {:?}\nna = [\"?\"]\n\n[split]\nseed = 1\n\n\
         [synthesizer]\nname = \"cart\"\nseed = 2\n\n[evaluation]\nresamples = 10\n\n\
         [[policy.gates]]\nmetric = \"fidelity.column_shapes\"\nmin = 0.5\n\n{extra}",
        dataset("heart_cleveland").display().to_string()
    );
    std::fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).expect("write spec");
    path
}

fn audit_lines(home: &Path) -> usize {
    std::fs::read_to_string(home.join("audit.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).expect("read")
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Case 1: `release.version = "../../../../victim"` used to replace the folder `victim` beside
/// the project with the bundle. The spec is refused (exit 3) and nothing is touched.
#[test]
fn a_release_version_cannot_walk_out_of_the_releases_folder() {
    let dir = tempfile::tempdir().expect("temp");
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).expect("mkdir");
    std::fs::write(victim.join("thesis.tex"), "years of work").expect("write");
    let before = listing(&victim);
    let project = dir.path().join("project");
    let spec = small_spec(
        &project,
        "name = \"x\"\nversion = \"../../../../victim\"",
        "",
    );
    let home = dir.path().join("home");
    let output = synthgate_in(&home, &[os("run"), spec.as_os_str(), os("--quiet")]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("release.version '../../../../victim'"),
        "{}",
        stderr(&output)
    );
    assert_eq!(listing(&victim), before, "the victim folder is untouched");
    assert!(!project.join("releases").exists());
    assert_eq!(audit_lines(&home), 0, "a refused spec records no run");
}

/// Case 2: `--force` used to delete a folder of data, spec and notes when `--out` pointed at
/// it (`.` or its absolute path), and `--out` equal to the source left a temporary bundle and
/// two audit entries behind. Each is refused with exit 2, before any work.
#[test]
fn force_replaces_only_a_bundle_and_never_the_inputs() {
    let dir = tempfile::tempdir().expect("temp");
    let folder = std::fs::canonicalize(dir.path())
        .expect("canonical")
        .join("work");
    std::fs::create_dir(&folder).expect("mkdir");
    let data = folder.join("heart.csv");
    std::fs::copy(dataset("heart_cleveland"), &data).expect("copy");
    std::fs::write(folder.join("notes.txt"), "meeting notes").expect("write");
    let spec_text = "[release]\nname = \"heart\"\n\n[source]\npath = \"heart.csv\"\n\
                     na = [\"?\"]\n\n[evaluation]\nresamples = 10\n";
    std::fs::write(folder.join("pipeline.toml"), spec_text).expect("write");
    let before = listing(&folder);
    let home = dir.path().join("home");
    let in_folder = |out: &std::ffi::OsStr| {
        Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args([
                os("run"),
                os("pipeline.toml"),
                os("--out"),
                out,
                os("--force"),
                os("--quiet"),
            ])
            .current_dir(&folder)
            .env("SYNTHGATE_HOME", &home)
            .output()
            .expect("runs")
    };
    for (out, says) in [
        (os("."), "holds the pipeline spec"),
        (folder.as_os_str(), "holds the pipeline spec"),
        (os("heart.csv"), "is the source"),
        (data.as_os_str(), "is the source"),
        (os("pipeline.toml"), "is the pipeline spec"),
    ] {
        let output = in_folder(out);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{out:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(says),
            "{out:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            listing(&folder),
            before,
            "{out:?}: nothing written or removed"
        );
        assert_eq!(audit_lines(&home), 0, "{out:?}: no audit entry");
    }
    // A non-empty folder of other files is not a bundle: refused even with --force.
    let other = folder.join("reports");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("q3.pdf"), "quarterly").expect("write");
    let output = in_folder(other.as_os_str());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is not a Synthgate bundle"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(other.join("q3.pdf")).expect("kept"),
        b"quarterly"
    );
    // A bundle is replaced with --force.
    let bundle = folder.join("release");
    let output = in_folder(bundle.as_os_str());
    assert!(output.status.success(), "{}", stderr(&output));
    let output = in_folder(bundle.as_os_str());
    assert!(output.status.success(), "{}", stderr(&output));
}

fn keygen_in(home: &Path, dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let output = synthgate_in(home, &[os("keygen"), os("--out"), key.as_os_str()]);
    assert!(output.status.success(), "{}", stderr(&output));
    (key, stdout(&output).trim().to_string())
}

/// A released bundle with one approver role (`dpo`), its workspace, the dpo key and the
/// operator's fingerprint.
struct Approved {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    bundle: PathBuf,
    dpo: PathBuf,
    operator: String,
}

fn approved_release() -> Approved {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path().to_path_buf();
    let home = root.join("home");
    let (dpo, dpo_print) = keygen_in(&home, &root, "dpo.key");
    let spec = small_spec(
        &root.join("project"),
        "name = \"heart\"",
        &format!("[[policy.approvers]]\nrole = \"dpo\"\nkeys = [\"{dpo_print}\"]\n"),
    );
    let bundle = root.join("bundle");
    let output = synthgate_in(
        &home,
        &[
            os("run"),
            spec.as_os_str(),
            os("--out"),
            bundle.as_os_str(),
            os("--quiet"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let operator = read_json(&bundle.join("manifest.sig"))["key_fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();
    Approved {
        _dir: dir,
        root,
        home,
        bundle,
        dpo,
        operator,
    }
}

fn decide(release: &Approved, bundle: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        os("approve"),
        bundle.as_os_str(),
        os("--role"),
        os("dpo"),
        os("--key"),
        release.dpo.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| os(a)));
    synthgate_in(&release.home, &args)
}

fn verify_in(release: &Approved, bundle: &Path, extra: &[&str]) -> Output {
    let mut args = vec![os("verify"), bundle.as_os_str(), os("--quiet")];
    args.extend(extra.iter().map(|a| os(a)));
    synthgate_in(&release.home, &args)
}

/// Case 3: after an approval and a rejection by `dpo`, deleting the rejection (or appending the
/// earlier approval again) used to make the release "approved" again. The decisions are a
/// signed chain: a re-appended decision breaks it wherever it is checked, and a cut-off newest
/// decision is caught against the registry's record of the chain's head.
#[test]
fn a_revocation_stays_revoked() {
    let release = approved_release();
    let output = decide(&release, &release.bundle, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = decide(
        &release,
        &release.bundle,
        &["--reject", "--comment", "revoked"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = verify_in(&release, &release.bundle, &["--require-approved"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not approved by dpo"),
        "{}",
        stderr(&output)
    );

    let approvals = std::fs::read_to_string(release.bundle.join("approvals.jsonl")).expect("read");
    let lines: Vec<&str> = approvals.lines().collect();
    assert_eq!(lines.len(), 2);

    // The rejection deleted: the registry knows the chain had two decisions.
    let cut = release.root.join("cut");
    copy_dir(&release.bundle, &cut);
    std::fs::write(cut.join("approvals.jsonl"), format!("{}\n", lines[0])).expect("write");
    let output = verify_in(&release, &cut, &["--require-approved"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the decision chain is broken")
            && stderr(&output).contains("a decision was removed"),
        "{}",
        stderr(&output)
    );
    // Without any record of the head, the cut is invisible, and verify says so.
    let output = verify_in(
        &release,
        &cut,
        &["--no-registry", "--trust-operator", &release.operator],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("the completeness of the decision history is not authenticated"),
        "{}",
        stdout(&output)
    );
    // Nobody may sign onto the cut chain: the registry's newest decision is missing.
    let output = decide(&release, &cut, &[]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));

    // The earlier approval re-appended after the rejection: broken with or without a record.
    let replayed = release.root.join("replayed");
    copy_dir(&release.bundle, &replayed);
    std::fs::write(
        replayed.join("approvals.jsonl"),
        format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]),
    )
    .expect("write");
    for extra in [
        vec!["--require-approved"],
        vec![
            "--require-approved",
            "--no-registry",
            "--trust-operator",
            &release.operator,
        ],
    ] {
        let output = verify_in(&release, &replayed, &extra);
        assert_eq!(
            output.status.code(),
            Some(5),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("approvals.jsonl line 3")
                && stderr(&output).contains("the decision chain is broken"),
            "{extra:?}: {}",
            stderr(&output)
        );
    }
    // Reordered: the rejection first.
    std::fs::write(
        replayed.join("approvals.jsonl"),
        format!("{}\n{}\n", lines[1], lines[0]),
    )
    .expect("write");
    let output = verify_in(&release, &replayed, &["--no-registry"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the decision chain is broken"),
        "{}",
        stderr(&output)
    );
}

/// Case 4: a forger changes the data, recomputes every digest, puts a key of their own in the
/// policy and re-signs the checkpoint, the manifest and the approvals. The bundle is whole and
/// signed, but not by a trusted operator: with the real operator named (or the registry), it
/// fails naming the forger's key; with no trust root, `--require-approved` refuses to answer.
#[test]
fn a_bundle_cannot_certify_itself() {
    let release = approved_release();
    let output = decide(&release, &release.bundle, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let forged = release.root.join("forged");
    copy_dir(&release.bundle, &forged);
    let forger_key = release.root.join("forger.key");
    // The forger's key: any fixed bytes do (it only has to differ from the operator's).
    let entropy = synthgate_core::Entropy::new(|bytes| {
        bytes.fill(0x42);
        Ok(())
    });
    let forger = keys::generate(&forger_key, &entropy).expect("key");
    let key = keys::load(&forger_key).expect("load");
    // New data.
    let data = forged.join("data/synthetic.parquet");
    let mut bytes = std::fs::read(&data).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, &bytes).expect("write");
    let data_sha = synthgate_io::sha256_file(&data).expect("digest");
    let mut sheet = read_json(&forged.join("datasheet.json"));
    sheet["distribution"][0]["sha256"] = data_sha.clone().into();
    std::fs::write(forged.join("datasheet.json"), sheet.to_string()).expect("write");
    // The checkpoint re-signed by the forger over the same segment.
    let segment = std::fs::read_to_string(forged.join("audit/log.jsonl")).expect("segment");
    let entries = synthgate_release::audit::parse_segment(&segment);
    let checkpoint = synthgate_release::audit::checkpoint(&entries, &key, "2026-12-01T00:00:00Z")
        .expect("checkpoint");
    std::fs::write(
        forged.join("audit/checkpoint.json"),
        serde_json::to_string_pretty(&checkpoint).expect("json"),
    )
    .expect("write");
    // Every digest, the policy's keys, the operator pin.
    let mut manifest = read_json(&forged.join("manifest.json"));
    manifest["generator"]["data_sha256"] = data_sha.into();
    for file in manifest["files"].as_array_mut().expect("files") {
        let path = forged.join(file["path"].as_str().expect("path"));
        file["sha256"] = synthgate_io::sha256_file(&path).expect("digest").into();
        file["bytes"] = std::fs::metadata(&path).expect("meta").len().into();
    }
    manifest["pipeline"]["policy"]["approvers"][0]["keys"] = serde_json::json!([forger]);
    manifest["pipeline"]["policy"]["operators"] = serde_json::json!([forger]);
    manifest["pipeline_sha256"] = synthgate_release::bundle::pipeline_digest(&manifest["pipeline"])
        .expect("digest")
        .into();
    std::fs::write(
        forged.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("write");
    let manifest_sha = synthgate_io::sha256_file(&forged.join("manifest.json")).expect("digest");
    let (public_key, key_fingerprint, signature) = keys::sign_bytes(
        &key,
        &synthgate_release::bundle::manifest_message(&manifest_sha).expect("message"),
    );
    std::fs::write(
        forged.join("manifest.sig"),
        serde_json::json!({ "format_version": 1, "manifest_sha256": manifest_sha,
            "public_key": public_key, "key_fingerprint": key_fingerprint,
            "signature": signature })
        .to_string(),
    )
    .expect("write");
    // The approval re-signed by the forger as the dpo, on a chain of its own.
    let approval = keys::sign(
        keys::ApprovalBody {
            role: "dpo".into(),
            decision: keys::Verdict::Approve,
            comment: String::new(),
            manifest_sha256: manifest_sha.clone(),
            public_key: String::new(),
            key_fingerprint: String::new(),
            signed_at: "2026-12-01T00:00:00Z".into(),
            prev_sha256: Some(manifest_sha),
        },
        &key,
    )
    .expect("sign");
    std::fs::write(
        forged.join("approvals.jsonl"),
        format!("{}\n", serde_json::to_string(&approval).expect("json")),
    )
    .expect("write");

    // The forgery is whole and self-consistent: only a trust root tells it apart.
    let output = verify_in(&release, &forged, &["--no-registry"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("integrity checked, origin not authenticated"),
        "{}",
        stdout(&output)
    );
    let output = verify_in(&release, &forged, &["--require-approved", "--no-registry"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("needs a trust root"),
        "{}",
        stderr(&output)
    );
    let output = verify_in(
        &release,
        &forged,
        &[
            "--require-approved",
            "--no-registry",
            "--trust-operator",
            &release.operator,
        ],
    );
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "signed by key {forger}, which is not a trusted operator"
        )),
        "{}",
        stderr(&output)
    );
    // The registry recorded the real bundle, not this manifest: no root, so no answer.
    let output = verify_in(&release, &forged, &["--require-approved"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("needs a trust root"),
        "{}",
        stderr(&output)
    );
    // A trust file naming the real operator and dpo key.
    let dpo_print = keys::fingerprint(&keys::load(&release.dpo).expect("dpo").verifying_key());
    let trust = release.root.join("trust.toml");
    std::fs::write(
        &trust,
        format!(
            "operators = [\"{}\"]\n\n[[approvers]]\nrole = \"dpo\"\nkeys = [\"{dpo_print}\"]\n",
            release.operator
        ),
    )
    .expect("write");
    let trust_arg = trust.to_str().expect("utf-8");
    let output = verify_in(
        &release,
        &forged,
        &["--require-approved", "--trust", trust_arg],
    );
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not a trusted operator"),
        "{}",
        stderr(&output)
    );
    // The real bundle passes against each root.
    for extra in [
        vec!["--require-approved"],
        vec![
            "--require-approved",
            "--no-registry",
            "--trust-operator",
            &release.operator,
        ],
        vec!["--require-approved", "--no-registry", "--trust", trust_arg],
    ] {
        let output = verify_in(&release, &release.bundle, &extra);
        assert!(output.status.success(), "{extra:?}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("release status: approved"),
            "{}",
            stdout(&output)
        );
        assert!(
            stdout(&output).contains("origin: signed by operator"),
            "{}",
            stdout(&output)
        );
    }
}

/// Two `approve` processes on one bundle at once: both decisions are kept, in one chain, and
/// the bundle verifies with both.
#[test]
fn concurrent_approvals_are_both_recorded() {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    let home = root.join("home");
    let (dpo, dpo_print) = keygen_in(&home, root, "dpo.key");
    let (steward, steward_print) = keygen_in(&home, root, "steward.key");
    let spec = small_spec(
        &root.join("project"),
        "name = \"race\"",
        &format!(
            "[[policy.approvers]]\nrole = \"dpo\"\nkeys = [\"{dpo_print}\"]\n\n\
             [[policy.approvers]]\nrole = \"steward\"\nkeys = [\"{steward_print}\"]\n"
        ),
    );
    let bundle = root.join("bundle");
    let output = synthgate_in(
        &home,
        &[
            os("run"),
            spec.as_os_str(),
            os("--out"),
            bundle.as_os_str(),
            os("--quiet"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for round in 0..3 {
        let children: Vec<std::process::Child> = [("dpo", &dpo), ("steward", &steward)]
            .iter()
            .map(|(role, key)| {
                Command::new(env!("CARGO_BIN_EXE_synthgate"))
                    .args([
                        os("approve"),
                        bundle.as_os_str(),
                        os("--role"),
                        os(role),
                        os("--key"),
                    ])
                    .arg(key)
                    .env("SYNTHGATE_HOME", &home)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("runs")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("waits");
            assert!(
                output.status.success(),
                "round {round}: {}",
                stderr(&output)
            );
        }
        let lines = std::fs::read_to_string(bundle.join("approvals.jsonl"))
            .expect("read")
            .lines()
            .count();
        assert_eq!(lines, 2 * (round + 1), "every decision kept");
    }
    let output = synthgate_in(
        &home,
        &[os("verify"), bundle.as_os_str(), os("--require-approved")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("decision history is complete"),
        "{}",
        stdout(&output)
    );
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Case 5: the audit log is checked (an edited entry is found, and blocks later runs with a way
/// out), a torn last line no longer blocks every run, a NaN gate is a spec error before any
/// work, `verify` records itself, and the log agrees with the registry.
#[test]
fn the_audit_log_is_checked_and_agrees_with_the_registry() {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path();
    let home = root.join("home");
    let spec = small_spec(&root.join("project"), "name = \"audited\"", "");
    let run = |out: &str| {
        let out = root.join(out);
        synthgate_in(
            &home,
            &[
                os("run"),
                spec.as_os_str(),
                os("--out"),
                out.as_os_str(),
                os("--quiet"),
            ],
        )
    };
    let output = run("one");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(audit_lines(&home), 2, "run and gate");

    // verify records itself when it has a workspace.
    let output = synthgate_in(&home, &[os("verify"), root.join("one").as_os_str()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let log = std::fs::read_to_string(home.join("audit.jsonl")).expect("log");
    let last: serde_json::Value =
        serde_json::from_str(log.lines().last().expect("line")).expect("json");
    assert_eq!(last["action"], "verify");
    assert_eq!(last["details"]["outcome"], "verified");

    // A torn last line (a kill mid-append) is cut off by the next run, not an error.
    let mut bytes = std::fs::read(home.join("audit.jsonl")).expect("read");
    bytes.extend_from_slice(b"{\"seq\": 4, \"ts\": \"2026");
    std::fs::write(home.join("audit.jsonl"), &bytes).expect("write");
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("never completed"),
        "{}",
        stdout(&output)
    );
    let output = run("two");
    assert!(output.status.success(), "{}", stderr(&output));
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("2 registered release(s) cross-checked, 2 bundle"),
        "{}",
        stdout(&output)
    );

    // A NaN threshold is a spec error (exit 3) and records nothing.
    let lines = audit_lines(&home);
    let nan = small_spec(
        &root.join("nan"),
        "name = \"nan\"",
        "[[policy.gates]]\nmetric = \"fidelity.column_shapes\"\nmax = nan\n",
    );
    let output = synthgate_in(&home, &[os("run"), nan.as_os_str(), os("--quiet")]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("finite number"),
        "{}",
        stderr(&output)
    );
    assert_eq!(audit_lines(&home), lines);

    // A failed run (an unreadable source) records one `failed` entry.
    let broken = small_spec(&root.join("broken"), "name = \"broken\"", "");
    let text = std::fs::read_to_string(&broken).expect("read");
    let missing = text.replace(
        &dataset("heart_cleveland").display().to_string(),
        &root.join("gone.csv").display().to_string(),
    );
    std::fs::write(&broken, missing).expect("write");
    let output = synthgate_in(&home, &[os("run"), broken.as_os_str(), os("--quiet")]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(audit_lines(&home), lines + 1);
    let log = std::fs::read_to_string(home.join("audit.jsonl")).expect("log");
    let last: serde_json::Value =
        serde_json::from_str(log.lines().last().expect("line")).expect("json");
    assert_eq!(last["action"], "failed");

    // An edited entry: audit verify names it, and runs refuse to append, saying how to recover.
    let edited = log.replacen("\"action\":\"gate\"", "\"action\":\"gates\"", 1);
    assert_ne!(edited, log);
    std::fs::write(home.join("audit.jsonl"), &edited).expect("write");
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("(seq 2) was edited"),
        "{}",
        stderr(&output)
    );
    let output = run("three");
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("synthgate audit verify"),
        "{}",
        stderr(&output)
    );
    assert!(!root.join("three").exists(), "no work was done");
    assert_eq!(
        std::fs::read_to_string(home.join("audit.jsonl")).expect("log"),
        edited
    );

    // The log cut short: the registry's record of the runs finds it.
    let cut: String = log.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(home.join("audit.jsonl"), cut).expect("write");
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("has no such entry"),
        "{}",
        stderr(&output)
    );
}

/// An approver key revoked from a moment on (a trust file's `[[revoked]]`): a decision it
/// signed from then counts for nothing wherever that trust is used, with the date and reason
/// said; one it signed before stands. A `from` that is no moment is refused, the file named.
/// Broken twin run: without the revocation check in the chain the first verify passes and
/// this fails.
#[test]
fn a_key_revoked_from_a_date_decides_nothing_from_then() {
    let release = approved_release();
    let output = decide(&release, &release.bundle, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dpo_print = keys::fingerprint(&keys::load(&release.dpo).expect("dpo").verifying_key());
    let trust = release.root.join("trust.toml");
    let write = |revoked: &str| {
        std::fs::write(
            &trust,
            format!(
                "operators = [\"{}\"]\n\n[[approvers]]\nrole = \"dpo\"\nkeys = [\"{dpo_print}\"]\n\n\
                 [[revoked]]\nkey = \"{dpo_print}\"\n{revoked}",
                release.operator
            ),
        )
        .expect("write")
    };
    let trust_arg = trust.to_str().expect("utf-8");
    let check = || {
        verify_in(
            &release,
            &release.bundle,
            &["--require-approved", "--no-registry", "--trust", trust_arg],
        )
    };
    write("from = \"2000-01-01\"\nreason = \"key file lost\"\n");
    let output = check();
    assert_eq!(output.status.code(), Some(5), "{}", stdout(&output));
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        said.contains("with a key revoked from 2000-01-01 (key file lost)"),
        "{said}"
    );
    write("from = \"2999-01-01T00:00:00Z\"\n");
    let output = check();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("release status: approved"),
        "{}",
        stdout(&output)
    );
    write("from = \"2026-12-01T09:00:00\"\n");
    let output = check();
    assert!(!output.status.success(), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("trust.toml") && stderr(&output).contains("with its zone"),
        "{}",
        stderr(&output)
    );
}
