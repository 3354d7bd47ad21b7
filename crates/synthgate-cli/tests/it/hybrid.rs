//! Hybrid releases (`[hybrid]`): synthetic rows with a declared share of real training rows,
//! governed as real data. On the bundled NHEFS pipeline: the real rows come from the training
//! split only, a separate indexed origin file says which rows they are, the datasheet and the
//! report state the composition, the bundle verifies and reproduces, and a hybrid release is
//! never public.

use std::collections::HashSet;
use std::path::Path;

use synthgate_core::Seed;
use synthgate_io::{ReadOptions, read_table};

use crate::release::{keygen, run, spec, verify};
use crate::support::{read_json, repo_root, stderr};

fn hybrid_spec(dir: &Path, share: f64, extra: &str) -> std::path::PathBuf {
    let (_, print) = keygen(dir, "dpo.key");
    spec(
        dir,
        &format!(
            "[hybrid]\nreal_share = {share}\nlegal_basis = \"Public-use file (NCHS), no consent \
             needed\"\napprover_role = \"dpo\"\nseed = 5\n{extra}\n\n[[policy.approvers]]\nrole \
             = \"dpo\"\nkeys = [\"{print}\"]\n"
        ),
    )
}

/// The columns of `examples/nhefs/data.csv` that profiling calls identifiers.
const IDENTIFIERS: &[&str] = &["seqn", "id"];

/// Each row of the table at `path` as one text (its columns' texts joined, `skip` left out).
fn row_texts(path: &Path, skip: &[&str]) -> Vec<String> {
    let table = read_table(path, &ReadOptions::default())
        .expect("reads")
        .table;
    let names = table.column_names();
    let columns: Vec<Vec<Option<String>>> = (0..table.num_columns())
        .filter(|&c| !skip.contains(&names[c]))
        .map(|c| table.key_texts(c))
        .collect();
    (0..table.num_rows())
        .map(|row| {
            columns
                .iter()
                .map(|c| c[row].clone().unwrap_or_else(|| "<NA>".into()))
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect()
}

#[test]
fn a_hybrid_release_ships_training_rows_with_a_separate_origin_file_and_reproduces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = hybrid_spec(dir.path(), 0.1, "");
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));

    // The origin file is a file of its own, indexed by the manifest, one label per data row.
    let manifest = read_json(&bundle.join("manifest.json"));
    let indexed: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(indexed.contains(&"origin/origin.parquet"), "{indexed:?}");
    // Rows compared without `seqn` and `id`, the two columns profiled as identifiers: every
    // row of the release, real or synthetic, gets fresh keys in them.
    let data = row_texts(&bundle.join("data/synthetic.parquet"), IDENTIFIERS);
    let origin = row_texts(&bundle.join("origin/origin.parquet"), &[]);
    assert_eq!(origin.len(), data.len());
    let real: Vec<usize> = origin
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let (row, label) = text.split_once('\u{1f}').expect("row, origin");
            assert_eq!(row, i.to_string(), "the origin file is indexed by row");
            (i, label)
        })
        .filter(|(_, label)| *label == "real")
        .map(|(i, _)| i)
        .collect();
    // 10% of the release: synthetic rows as many as training rows, real = round(n / 9).
    let source = repo_root().join("examples/nhefs/data.csv");
    let source_rows = row_texts(&source, IDENTIFIERS);
    let (train, holdout) = synthgate_release::run::split_rows(source_rows.len(), 0.2, Seed(1));
    let synthetic = data.len() - real.len();
    assert_eq!(synthetic, train.len());
    assert_eq!(real.len(), (synthetic as f64 / 9.0).round() as usize);
    // Shuffled in: the real rows are not a block at either end.
    assert!(real[0] < data.len() / 2 && *real.last().expect("rows") > data.len() / 2);
    // The identifier column holds the keys 1, 2, ... of the release: no real participant's
    // number, and nothing that tells the real rows apart.
    let released = read_table(
        &bundle.join("data/synthetic.parquet"),
        &ReadOptions::default(),
    )
    .expect("reads")
    .table;
    let expected: HashSet<String> = (1..=data.len()).map(|k| k.to_string()).collect();
    for name in IDENTIFIERS {
        let index = released
            .column_names()
            .iter()
            .position(|c| c == name)
            .expect("identifier column");
        let keys: HashSet<String> = released
            .key_texts(index)
            .into_iter()
            .map(|k| k.expect("a key"))
            .collect();
        assert_eq!(keys, expected, "fresh keys for every row in {name}");
    }
    // Every real row is a training row, and none is a holdout row.
    let training: HashSet<&str> = train
        .iter()
        .map(|&r| source_rows[r as usize].as_str())
        .collect();
    let holdout_only: HashSet<&str> = holdout
        .iter()
        .map(|&r| source_rows[r as usize].as_str())
        .filter(|row| !training.contains(row))
        .collect();
    for &i in &real {
        assert!(
            training.contains(data[i].as_str()),
            "row {i} is not a training row"
        );
        assert!(
            !holdout_only.contains(data[i].as_str()),
            "row {i} is a holdout row"
        );
    }

    // The datasheet and the report state the composition; the privacy metrics score the
    // synthetic rows alone and the real ones are named as real.
    let datasheet = read_json(&bundle.join("datasheet.json"));
    assert_eq!(datasheet["sdg:synthesisType"], "hybrid");
    let composition = datasheet["sdg:composition"].as_str().expect("composition");
    assert!(
        composition.contains(&format!(
            "{} ({:.2}%) are real training rows",
            real.len(),
            100.0 * real.len() as f64 / data.len() as f64
        )),
        "{composition}"
    );
    // The origin file is listed in the datasheet, which MLCommons' validator accepts as it is.
    assert!(
        datasheet["distribution"]
            .as_array()
            .expect("distribution")
            .iter()
            .any(|f| f["contentUrl"] == "origin/origin.parquet"),
        "{}",
        datasheet["distribution"]
    );
    crate::datasheet::validate_croissant(&bundle.join("datasheet.json"));
    let markdown = std::fs::read_to_string(bundle.join("DATASHEET.md")).expect("markdown");
    assert!(markdown.contains("A hybrid release"), "{markdown}");
    assert!(!markdown.contains("Every record in this release is synthetic"));
    let report = read_json(&bundle.join("report/report.json"));
    let share = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["id"] == "hybrid.real_share")
        .expect("hybrid.real_share");
    assert!(
        (share["value"].as_f64().expect("share") - 0.1).abs() < 0.005,
        "{share}"
    );
    let synthetic_input = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .find(|i| i["role"] == "synthetic")
        .expect("synthetic input");
    assert_eq!(
        synthetic_input["rows"], synthetic,
        "the metrics score the synthetic rows"
    );

    let output = verify(&bundle, true);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_hybrid_release_is_never_public_and_names_its_legal_basis_and_approver() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = |spec: &Path, needle: &str| {
        let bundle = spec.parent().expect("dir").join("bundle");
        let output = run(spec, &bundle);
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        assert!(stderr(&output).contains(needle), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("pipeline.toml"),
            "{}",
            stderr(&output)
        );
        assert!(!bundle.exists(), "nothing written");
    };
    let spec = hybrid_spec(dir.path(), 0.05, "");
    let text = std::fs::read_to_string(&spec).expect("spec");
    let public = text.replace(
        "environment = \"controlled_access\"",
        "environment = \"public\"",
    );
    assert_ne!(public, text);
    std::fs::write(&spec, &public).expect("spec");
    refused(&spec, "can never be public");
    std::fs::write(
        &spec,
        text.replace(
            "legal_basis = \"Public-use file (NCHS), no consent needed\"",
            "legal_basis = \" \"",
        ),
    )
    .expect("spec");
    refused(&spec, "legal basis");
    std::fs::write(
        &spec,
        text.replace("approver_role = \"dpo\"", "approver_role = \"janitor\""),
    )
    .expect("spec");
    refused(&spec, "'janitor' is not a role of [[policy.approvers]]");
    std::fs::write(&spec, text.replace("real_share = 0.05", "real_share = 0.8")).expect("spec");
    refused(&spec, "at most 0.5");
    std::fs::write(
        &spec,
        format!(
            "{text}\n[augment]\ncolumn = \"race\"\n\n[[augment.groups]]\nvalue = 1\nshare = 0.2\n"
        ),
    )
    .expect("spec");
    refused(&spec, "[augment] cannot go with [hybrid]");
    // A language model's release with a [hybrid] section: refused, its rows may hold fewer
    // columns than the real ones.
    let example = repo_root().join("examples/llm");
    let llm = std::fs::read_to_string(example.join("pipeline.toml"))
        .expect("llm example")
        .replace(
            "path = \"../nhefs/data.csv\"",
            &format!("path = {:?}", repo_root().join("examples/nhefs/data.csv")),
        );
    assert!(llm.contains("name = \"llm\"") && !llm.contains("../nhefs"));
    let hybrid = &text[text.find("[hybrid]").expect("hybrid section")..];
    std::fs::write(&spec, format!("{llm}\n{hybrid}")).expect("spec");
    refused(&spec, "cannot go with synthesizer.name = \"llm\"");
}

/// The origin file withheld, and the share chosen by the marginal value of real data: the
/// real rows are the training rows `utility.real_share_needed` names, at most 20% of the
/// release.
#[test]
fn a_withheld_origin_file_stays_in_the_workspace() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = hybrid_spec(
        dir.path(),
        0.2,
        "origin = \"withhold\"\nchoose_share = \"marginal_value\"",
    );
    let bundle = dir.path().join("bundle");
    let output = run(&spec, &bundle);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!bundle.join("origin").exists());
    let manifest = read_json(&bundle.join("manifest.json"));
    let withheld: Vec<&str> = manifest["withheld"]
        .as_array()
        .expect("withheld")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(withheld.contains(&"origin/origin.parquet"), "{withheld:?}");
    let datasheet = read_json(&bundle.join("datasheet.json"));
    assert!(
        datasheet["sdg:composition"]
            .as_str()
            .is_some_and(|c| c.contains("withheld")),
        "{}",
        datasheet["sdg:composition"]
    );
    let report = read_json(&bundle.join("report/report.json"));
    let value = |id: &str| {
        report["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == id)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let train = manifest["split"]["train_rows"]
        .as_f64()
        .expect("train rows");
    let needed = (value("utility.real_share_needed") * train).ceil();
    let cap = (train * 0.2 / 0.8).round();
    assert_eq!(value("hybrid.real_rows"), needed.min(cap));
    assert!(
        datasheet["sdg:composition"]
            .as_str()
            .is_some_and(|c| c.contains("marginal value of real data")),
        "{}",
        datasheet["sdg:composition"]
    );
    let output = verify(&bundle, true);
    assert!(output.status.success(), "{}", stderr(&output));
}
