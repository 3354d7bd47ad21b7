//! Format compatibility: a bundle, a workspace and model files written before the engine and
//! security changes (tests/fixtures/format-v1, see its README) still verify, migrate and load;
//! reproducing one is refused with both generator versions named (the codec has changed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{copy_dir, dataset, stderr, stdout};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v1")
}

fn synthgate_in(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        .env("SYNTHGATE_HOME", home)
        .output()
        .expect("runs")
}

fn os(text: &str) -> &std::ffi::OsStr {
    text.as_ref()
}

/// The operator that signed the fixture bundle.
fn operator() -> String {
    let text = std::fs::read_to_string(fixture().join("bundle/manifest.sig")).expect("sig");
    let sig: serde_json::Value = serde_json::from_str(&text).expect("json");
    sig["key_fingerprint"].as_str().expect("print").to_string()
}

/// The v1 bundle verifies (its pre-chain approval read as before, its order said to be
/// unauthenticated), against its operator as a trust root; reproducing it is refused with both
/// generator versions named, as it was made under an older codec.
#[test]
fn a_v1_bundle_verifies_and_its_reproduction_names_both_versions() {
    let dir = tempfile::tempdir().expect("temp");
    let home = dir.path().join("no-workspace");
    let bundle = dir.path().join("bundle");
    copy_dir(&fixture().join("bundle"), &bundle);
    let operator = operator();
    let output = synthgate_in(
        &home,
        &[
            os("verify"),
            bundle.as_os_str(),
            os("--require-approved"),
            os("--trust-operator"),
            os(&operator),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(shown.contains("release status: approved"), "{shown}");
    assert!(
        shown.contains("approvals from before the decision chain"),
        "{shown}"
    );
    // The manifest records the source as `source.csv`, relative to where it was run.
    std::fs::copy(dataset("heart_cleveland"), dir.path().join("source.csv")).expect("copy");
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args([os("verify"), bundle.as_os_str(), os("--reproduce")])
        .current_dir(dir.path())
        .env("SYNTHGATE_HOME", &home)
        .output()
        .expect("runs");
    // It was made under codec 1 (before decimals, point masses and missing-value tokens) and
    // cart's first sampler, so this version refuses to re-derive it, naming both versions,
    // instead of reporting a mismatch that is no tampering.
    assert!(!output.status.success(), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("synthesizer version '1'") && message.contains("'3 codec-4'"),
        "{message}"
    );
    assert!(
        message.contains("Its integrity and signatures verified"),
        "{message}"
    );
}

/// The v1 workspace: its registry is migrated forward, its log is appended to (the chain goes
/// on), the v1 bundle it registered is still trusted through it, a new decision chains onto the
/// old approval, and `audit verify` passes.
#[test]
fn a_v1_workspace_is_migrated_forward() {
    let dir = tempfile::tempdir().expect("temp");
    let home = dir.path().join("home");
    copy_dir(&fixture().join("home"), &home);
    let bundle = dir.path().join("bundle");
    copy_dir(&fixture().join("bundle"), &bundle);
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("registered before the registry recorded audit positions"),
        "{}",
        stdout(&output)
    );
    // A new release in the old workspace.
    let spec = dir.path().join("pipeline.toml");
    let text = std::fs::read_to_string(fixture().join("pipeline.toml")).expect("spec");
    std::fs::write(
        &spec,
        text.replace(
            "path = \"source.csv\"",
            &format!(
                "path = {:?}",
                dataset("heart_cleveland").display().to_string()
            ),
        )
        .replace("version = \"1.0.0\"", "version = \"2.0.0\""),
    )
    .expect("write");
    let output = synthgate_in(
        &home,
        &[
            os("run"),
            spec.as_os_str(),
            os("--out"),
            dir.path().join("v2").as_os_str(),
            os("--quiet"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = synthgate_in(&home, &[os("registry"), os("list")]);
    assert_eq!(stdout(&output).lines().count(), 3, "{}", stdout(&output));
    // A second decision on the v1 bundle chains onto its pre-chain approval.
    let key = fixture().join("dpo.key");
    let output = synthgate_in(
        &home,
        &[
            os("approve"),
            bundle.as_os_str(),
            os("--role"),
            os("dpo"),
            os("--key"),
            key.as_os_str(),
            os("--trust-operator"),
            os(&operator()),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = synthgate_in(
        &home,
        &[
            os("verify"),
            bundle.as_os_str(),
            os("--require-approved"),
            os("--trust-operator"),
            os(&operator()),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = synthgate_in(&home, &[os("audit"), os("verify")]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Model files written by v1 load, and sample the same rows they sampled then.
#[test]
fn v1_model_files_load_and_sample_the_same_rows() {
    let dir = tempfile::tempdir().expect("temp");
    for (model, sample) in [
        ("model-v1.json", "sample-v1.csv"),
        ("copula-v1.json", "copula-sample-v1.csv"),
    ] {
        let out = dir.path().join(sample);
        let output = synthgate_in(
            dir.path(),
            &[
                os("sample"),
                fixture().join(model).as_os_str(),
                os("--rows"),
                os("300"),
                os("--out"),
                out.as_os_str(),
                os("--quiet"),
            ],
        );
        assert!(output.status.success(), "{model}: {}", stderr(&output));
        assert_eq!(
            std::fs::read(&out).expect("sampled"),
            std::fs::read(fixture().join(sample)).expect("fixture"),
            "{model} samples what it sampled when it was written"
        );
    }
}

/// Trust looked up by a manifest's digest (the registry's) holds for that manifest only: a check
/// that reads another one (the file changed between the look-up and the check) is refused.
#[test]
fn trust_bound_to_one_manifest_refuses_another() {
    use synthgate_release::{Trust, VerifyOptions, verify_with};
    let bundle = fixture().join("bundle");
    let digest = synthgate_io::sha256_file(&bundle.join("manifest.json")).expect("manifest digest");
    let options = |bound: &str| VerifyOptions {
        reproduce: false,
        trust: Trust {
            operators: vec![operator()],
            bound_to: Some(bound.to_string()),
            ..Trust::default()
        },
        full_logs: None,
        withheld: None,
    };
    let checked = verify_with(&bundle, &options(&digest), &mut |_| Ok(())).expect("verifies");
    assert_eq!(checked.manifest_sha256, digest);
    let error = verify_with(&bundle, &options(&"0".repeat(64)), &mut |_| Ok(()))
        .expect_err("another manifest");
    assert!(
        error
            .to_string()
            .contains("changed while it was being verified"),
        "{error}"
    );
}
