//! Differential privacy end to end: the three commands of the issue on the bundled NHEFS table
//! (inspect --public-domains, fit --synthesizer mst --epsilon, sample), the refusal of a schema
//! whose domains were inferred, noise that differs fit to fit while sampling stays seeded, and
//! a DP pipeline: its bundle carries the model and re-samples under verify --reproduce, its
//! spend is charged to the dataset's ledger even when a gate fails, and a run past the budget
//! is refused with exit 4 before anything is measured.

use std::path::{Path, PathBuf};

use crate::support::{read_json, repo_root, stderr, stdout, synthgate_with_env};

fn data() -> PathBuf {
    repo_root().join("examples/nhefs/data.csv")
}

/// `synthgate ARGS` with its own workspace (audit log, registry, ledger) in `home`.
fn sg(home: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    synthgate_with_env(
        args,
        &[("SYNTHGATE_HOME", home.to_str().expect("utf-8 path"))],
    )
}

fn os(text: &str) -> &std::ffi::OsStr {
    text.as_ref()
}

#[test]
fn fit_refuses_inferred_domains_and_the_public_schema_gives_a_dp_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let inferred = dir.path().join("inferred.toml");
    let public = dir.path().join("public.toml");
    let model = dir.path().join("dp.model.json");
    let data = data();
    let output = sg(
        &home,
        &[
            os("inspect"),
            data.as_os_str(),
            os("--schema-out"),
            inferred.as_os_str(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // A schema whose domains came from the data: refused, with how to mark them public.
    let output = sg(
        &home,
        &[
            os("fit"),
            data.as_os_str(),
            os("--schema"),
            inferred.as_os_str(),
            os("--synthesizer"),
            os("mst"),
            os("--epsilon"),
            os("1"),
            os("--out"),
            model.as_os_str(),
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("public_domains = true"), "{message}");
    assert!(message.contains("--public-domains"), "{message}");
    assert!(!model.exists(), "a refused fit writes no model");
    // No schema at all: refused too (one would be inferred from the data).
    let output = sg(
        &home,
        &[
            os("fit"),
            data.as_os_str(),
            os("--synthesizer"),
            os("mst"),
            os("--epsilon"),
            os("1"),
            os("--out"),
            model.as_os_str(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--public-domains"),
        "{}",
        stderr(&output)
    );
    // mst without a budget, and a budget without a DP synthesizer: usage errors.
    let output = sg(
        &home,
        &[
            os("fit"),
            data.as_os_str(),
            os("--synthesizer"),
            os("mst"),
            os("--out"),
            model.as_os_str(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = sg(
        &home,
        &[
            os("fit"),
            data.as_os_str(),
            os("--epsilon"),
            os("1"),
            os("--out"),
            model.as_os_str(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let output = sg(
        &home,
        &[
            os("inspect"),
            data.as_os_str(),
            os("--public-domains"),
            os("--schema-out"),
            public.as_os_str(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        std::fs::read_to_string(&public)
            .expect("schema")
            .contains("public_domains = true")
    );
    let fit = |out: &Path| {
        sg(
            &home,
            &[
                os("fit"),
                data.as_os_str(),
                os("--schema"),
                public.as_os_str(),
                os("--synthesizer"),
                os("mst"),
                os("--epsilon"),
                os("1"),
                os("--delta"),
                os("1e-9"),
                os("--out"),
                out.as_os_str(),
            ],
        )
    };
    let output = fit(&model);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("differential privacy: ε = "),
        "{}",
        stderr(&output)
    );
    let file = read_json(&model);
    let privacy = &file["privacy"];
    assert_eq!(file["format_version"], 2);
    let epsilon = privacy["epsilon"].as_f64().expect("epsilon");
    // At most the ε asked; less when a selected pair was not measured (its share unspent).
    assert!(epsilon <= 1.0 && epsilon > 0.5, "ε {epsilon}");
    assert_eq!(privacy["delta"], 1e-9);
    assert!(privacy["unit"].as_str().expect("unit").contains("one row"));
    assert!(
        privacy["noise_source"]
            .as_str()
            .expect("source")
            .contains("operating system")
    );
    // The noise is the operating system's: a second fit of the same data, schema and seed
    // measures other counts.
    let again = dir.path().join("again.model.json");
    assert!(fit(&again).status.success());
    assert_ne!(
        read_json(&again)["parameters"]["release"]["measurements"],
        file["parameters"]["release"]["measurements"]
    );
    // Sampling is post-processing: the same model and seed give the same bytes.
    let sample = |out: &Path| {
        sg(
            &home,
            &[
                os("sample"),
                model.as_os_str(),
                os("--rows"),
                os("500"),
                os("--seed"),
                os("1"),
                os("--out"),
                out.as_os_str(),
            ],
        )
    };
    let (first, second) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    assert!(sample(&first).status.success());
    assert!(sample(&second).status.success());
    assert_eq!(
        std::fs::read(&first).expect("a"),
        std::fs::read(&second).expect("b")
    );
    let text = std::fs::read_to_string(&first).expect("a");
    assert_eq!(text.lines().count(), 501);
    // The identifier is regenerated, never a real one.
    assert!(
        text.lines().nth(1).expect("row").starts_with("1,"),
        "{}",
        text.lines().nth(1).unwrap_or("")
    );
}

/// The nhefs-dp example with absolute paths, fewer resamples and `budget` as the ledger's cap.
fn dp_spec(dir: &Path, name: &str, budget: f64) -> PathBuf {
    let example = repo_root().join("examples/nhefs-dp/pipeline.toml");
    let text = std::fs::read_to_string(&example).expect("example spec");
    let text = text
        .replace(
            "path = \"../nhefs/data.csv\"",
            &format!("path = {:?}", data().display().to_string()),
        )
        .replace(
            "schema = \"nhefs.schema.toml\"",
            &format!(
                "schema = {:?}",
                repo_root()
                    .join("examples/nhefs-dp/nhefs.schema.toml")
                    .display()
                    .to_string()
            ),
        )
        .replace(
            "privacy_budget = 6.0",
            &format!("privacy_budget = {budget}"),
        )
        .replace("name = \"nhefs-dp-demo\"", &format!("name = \"{name}\""))
        .replace(
            "sensitive = [\"sex\", \"race\"]",
            "sensitive = [\"sex\", \"race\"]\nresamples = 10",
        );
    assert!(
        text.contains("resamples = 10") && text.contains(&format!("privacy_budget = {budget}"))
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!("{text}\n[[policy.gates]]\nmetric = \"fidelity.column_shapes\"\nmin = 0.9999\n"),
    )
    .expect("write spec");
    path
}

/// `synthgate run SPEC --out BUNDLE --quiet` in the workspace `home`.
fn run_spec(home: &Path, spec: &Path, bundle: &Path) -> std::process::Output {
    sg(
        home,
        &[
            os("run"),
            spec.as_os_str(),
            os("--out"),
            bundle.as_os_str(),
            os("--quiet"),
        ],
    )
}

#[test]
fn a_dp_pipeline_is_charged_resampled_and_refused_past_its_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    // ε = 2 per run against a budget of 2.5: the first run fits, the second would pass it (two
    // ε = 2 runs compose in zCDP to about ε = 2.9 at δ = 1e-9, not 4).
    let spec = dp_spec(dir.path(), "nhefs-dp-one", 2.5);
    let bundle = dir.path().join("one");
    let output = run_spec(&home, &spec, &bundle);
    // The extra gate (column shapes >= 0.9999) fails after measuring: exit 4, and still charged.
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["releasable"], false);
    let statement = &manifest["generator"]["differential_privacy"];
    assert!(statement["epsilon"].as_f64().expect("ε") <= 2.0);
    assert!(bundle.join("model/dp-model.json").exists());
    // The datasheet states the guarantee and what it does not cover, file by file; the report
    // says which guarantee is formal and which figures are empirical.
    let datasheet = read_json(&bundle.join("datasheet.json"));
    assert_eq!(datasheet["sdg:differentialPrivacy"], true);
    let guarantee = &datasheet["sdg:privacyGuarantee"]["@value"];
    assert_eq!(guarantee["epsilon"], statement["epsilon"]);
    assert_eq!(guarantee["dataset_id"], "nhefs");
    assert!(guarantee["not_covered_files"]["report/report.json"].is_string());
    let sheet = std::fs::read_to_string(bundle.join("DATASHEET.md")).expect("datasheet");
    assert!(sheet.contains("## Differential privacy"), "{sheet}");
    let html = std::fs::read_to_string(bundle.join("report/report.html")).expect("report");
    assert!(html.contains("Guarantees: formal and empirical"));
    assert!(read_json(&bundle.join("report/report.json"))["formal_guarantee"].is_string());
    assert!(
        manifest["generator"]["reproducibility"]
            .as_str()
            .expect("text")
            .contains("re-sampled"),
        "{}",
        manifest["generator"]["reproducibility"]
    );
    let ledger = sg(
        &home,
        &[os("registry"), os("budget"), os("nhefs"), os("--json")],
    );
    assert!(ledger.status.success(), "{}", stderr(&ledger));
    let ledger: serde_json::Value = serde_json::from_str(&stdout(&ledger)).expect("json");
    let rows = ledger["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "spent");
    assert_eq!(rows[0]["release_id"], 1);
    let spent = ledger["rho"].as_f64().expect("ρ");
    assert!(spent > 0.0);

    // verify --reproduce re-samples from the bundled model, byte for byte, and says so.
    let output = sg(
        &home,
        &[os("verify"), bundle.as_os_str(), os("--reproduce")],
    );
    assert!(
        output.status.success() || output.status.code() == Some(4),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("re-sampled byte for byte"),
        "{}",
        stdout(&output)
    );

    // A second release of the same dataset (another name, same dataset_id) would pass ε = 2.5:
    // refused with exit 4 before any measurement; no bundle, no new ledger row.
    let spec = dp_spec(dir.path(), "nhefs-dp-two", 2.5);
    let second = dir.path().join("two");
    let output = run_spec(&home, &spec, &second);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("would be exceeded") && message.contains("Nothing was measured"),
        "{message}"
    );
    assert!(message.contains("Left:"), "{message}");
    assert!(!second.exists());
    let ledger = sg(
        &home,
        &[os("registry"), os("budget"), os("nhefs"), os("--json")],
    );
    let ledger: serde_json::Value = serde_json::from_str(&stdout(&ledger)).expect("json");
    assert_eq!(ledger["rows"].as_array().expect("rows").len(), 1);
    assert_eq!(ledger["rho"].as_f64(), Some(spent));
}

/// A DP release to a public environment keeps the files computed from real rows (the report,
/// the source profile) in the operator's workspace, listed in the signed manifest by digest:
/// verify checks the workspace's copies (and fails on a changed one), drift reads them there,
/// and elsewhere both say what is missing. `real_data_files = "ship"` puts them back in.
#[test]
fn a_public_dp_release_keeps_its_real_data_files_in_the_workspace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let real_data = [
        "report/report.json",
        "report/report.html",
        "monitor/source_profile.json",
    ];
    let public = |name: &str, extra_policy: &str| -> PathBuf {
        let spec = dp_spec(dir.path(), name, 100.0);
        let text = std::fs::read_to_string(&spec).expect("spec");
        let text = text
            .replace(
                "environment = \"controlled_access\"",
                "environment = \"public\"",
            )
            .replace(
                "privacy_delta = 1e-9",
                &format!("privacy_delta = 1e-9\n{extra_policy}"),
            );
        assert!(text.contains("environment = \"public\""));
        std::fs::write(&spec, text).expect("write spec");
        spec
    };
    let run = |spec: &Path, bundle: &Path| {
        let output = run_spec(&home, spec, bundle);
        // dp_spec adds a gate that fails (column shapes >= 0.9999): exit 4, bundle written.
        assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
        stdout(&output)
    };

    let bundle = dir.path().join("public");
    let said = run(&public("nhefs-dp-public", ""), &bundle);
    assert!(said.contains("withheld: 3 file(s)"), "{said}");
    let manifest = read_json(&bundle.join("manifest.json"));
    let withheld = manifest["withheld"].as_array().expect("withheld files");
    let listed: Vec<&str> = withheld
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    for path in real_data {
        assert!(
            !bundle.join(path).exists(),
            "{path} shipped in a public bundle"
        );
        assert!(listed.contains(&path), "{path} is not listed as withheld");
    }
    assert!(
        manifest["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| !real_data.contains(&f["path"].as_str().expect("path"))),
        "{}",
        manifest["files"]
    );
    // The workspace holds each one under its digest, readable by its owner only.
    let mut report_copy = None;
    for file in withheld {
        let sha256 = file["sha256"].as_str().expect("digest");
        let copy = home.join("withheld").join(sha256);
        let bytes = std::fs::read(&copy).expect("the workspace's copy");
        assert_eq!(
            synthgate_io::sha256_bytes(&bytes),
            sha256,
            "{}",
            file["path"]
        );
        if file["path"] == "report/report.json" {
            let report: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert!(report["metrics"].as_array().is_some_and(|m| !m.is_empty()));
            report_copy = Some(copy.clone());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", copy.display());
        }
    }
    let sheet = read_json(&bundle.join("datasheet.json"));
    assert_eq!(
        sheet["sdg:withheldFiles"]["@value"]["files"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let text = std::fs::read_to_string(bundle.join("DATASHEET.md")).expect("datasheet");
    assert!(
        text.contains("`report/report.json` (withheld: not in this bundle)"),
        "{text}"
    );

    // verify, in the workspace that made it: the copies are checked.
    let verify = |home: &Path| sg(home, &[os("verify"), bundle.as_os_str()]);
    let output = verify(&home);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("withheld: 3 file(s)")
            && stdout(&output).contains("this workspace's copies match"),
        "{}",
        stdout(&output)
    );
    // Elsewhere the bundle is whole without them, and verify says where they are.
    let elsewhere = dir.path().join("elsewhere");
    let output = verify(&elsewhere);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("0 of them are in this workspace"),
        "{}",
        stdout(&output)
    );
    // drift reads the withheld profile and report from the workspace, and only there.
    let output = sg(
        &home,
        &[os("drift"), bundle.as_os_str(), data().as_os_str()],
    );
    assert!(
        output.status.code() != Some(5) && !stderr(&output).contains("withheld"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("PSI"), "{}", stdout(&output));
    let output = sg(
        &elsewhere,
        &[os("drift"), bundle.as_os_str(), data().as_os_str()],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("monitor/source_profile.json was withheld"),
        "{}",
        stderr(&output)
    );
    // A changed copy in the workspace fails verification, named.
    let copy = report_copy.expect("the report's copy");
    let original = std::fs::read(&copy).expect("copy");
    std::fs::write(&copy, b"{\"metrics\": []}").expect("tamper");
    let output = verify(&home);
    assert_eq!(output.status.code(), Some(5), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("withheld report/report.json")
            && stderr(&output).contains("does not match"),
        "{}",
        stderr(&output)
    );
    std::fs::write(&copy, original).expect("restore");
    // A report put back into the bundle by hand is a file the manifest does not list.
    std::fs::create_dir_all(bundle.join("report")).expect("mkdir");
    std::fs::write(bundle.join("report/report.json"), b"{}").expect("add");
    let output = verify(&home);
    assert_eq!(output.status.code(), Some(5), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("report/report.json is in the bundle but not in the manifest"),
        "{}",
        stderr(&output)
    );

    // The policy can ship them: then they are in the bundle, and nothing is withheld.
    let shipped = dir.path().join("shipped");
    let said = run(
        &public("nhefs-dp-shipped", "real_data_files = \"ship\""),
        &shipped,
    );
    assert!(!said.contains("withheld"), "{said}");
    for path in real_data {
        assert!(shipped.join(path).is_file(), "{path} did not ship");
    }
    let manifest = read_json(&shipped.join("manifest.json"));
    assert!(manifest.get("withheld").is_none(), "{manifest}");
}
