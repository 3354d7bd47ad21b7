//! `evaluate` end to end: sanity that cannot be faked, determinism, and bad input.

use std::path::{Path, PathBuf};

use crate::support::{read_json, repo_root, stderr, stdout, synthgate};

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
    evaluate_with(train, holdout, synthetic, out, &[])
}

fn evaluate_with(
    train: &Path,
    holdout: &Path,
    synthetic: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
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
        "--resamples".as_ref(),
        "20".as_ref(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    synthgate(args)
}

fn read_report(out: &Path) -> serde_json::Value {
    read_json(&out.join("report.json"))
}

/// A synthetic nhefs table from the default synthesizer, fitted on `train`.
fn synthesize(dir: &Path, train: &Path) -> PathBuf {
    let model = dir.join("model.json");
    let synthetic = dir.join("synthetic.csv");
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
    synthetic
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
    let report = read_report(&out);
    assert_eq!(report["harness_version"], "0.4");
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
    let synthetic = synthesize(dir.path(), &train);
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    let extra = ["--target", "death", "--sensitive", "sex,race"];
    for out in [&first, &second] {
        let output = evaluate_with(&train, &holdout, &synthetic, out, &extra);
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
    // Every section is there, with the ids the issue names.
    for id in [
        "fidelity.accuracy.overall",
        "fidelity.kway_marginal",
        "fidelity.detection_auc",
        "utility.tstr",
        "utility.trtr",
        "utility.tstr_ratio",
        "utility.mix_curve",
        "utility.real_share_needed",
        "privacy.dcr_share",
        "privacy.nndr",
        "privacy.mia_auc",
        "privacy.singling_out_risk",
        "privacy.linkability_risk",
        "privacy.inference_risk",
        "subgroup.sex.worst_gap",
        "subgroup.race.worst_gap",
    ] {
        let m = metric(&report, id);
        assert!(m["value"].as_f64().is_some(), "{id} has a value");
        assert!(
            m["definition"].as_str().is_some_and(|d| d.len() > 40),
            "{id} is defined"
        );
    }
    let points = metric(&report, "utility.mix_curve")["details"]["points"]
        .as_array()
        .expect("points")
        .len();
    assert_eq!(points, 8, "0, 1, 2, 5, 10, 25, 50 and 100% real rows");
    let needed = metric(&report, "utility.real_share_needed");
    assert!(
        needed["details"]["statement"]
            .as_str()
            .is_some_and(|s| s.contains("significant")),
        "{needed}"
    );
    assert_eq!(report["target"], "death");
    // A different seed changes the resamples, so the intervals move.
    let third = dir.path().join("third");
    let output = evaluate_with(&train, &holdout, &synthetic, &third, &["--seed", "5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let other = read_report(&third);
    assert_ne!(
        metric(&other, "fidelity.column_shapes")["ci_low"],
        shapes["ci_low"],
        "the seed drives the bootstrap"
    );
}

/// report.html renders in a real browser (Debian's chromium, headless): every section and
/// chart is in the rendered page, it loads nothing from outside, and a screenshot is drawn.
#[test]
fn report_html_renders_in_chromium() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let synthetic = synthesize(dir.path(), &train);
    let out = dir.path().join("report");
    let extra = ["--target", "death", "--sensitive", "sex"];
    let output = evaluate_with(&train, &holdout, &synthetic, &out, &extra);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    // Every section opened is closed, and a run without a language model has no such section.
    assert_eq!(
        html.matches("<section").count(),
        html.matches("</section>").count()
    );
    assert!(
        !html.contains("id=\"llm\""),
        "a language-model section without llm metrics"
    );
    for forbidden in ["<script", "src=", "href=", "<link", "@import", "url("] {
        assert!(
            !html.contains(forbidden),
            "self-contained: found {forbidden}"
        );
    }
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            std::process::Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Debian's chromium must be installed (apt-get install chromium); .ci/run does");
    let page = format!("file://{}", out.join("report.html").display());
    let profile = dir.path().join("chromium-profile");
    let run = |extra: &[String]| {
        let mut command = std::process::Command::new(browser);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=5000",
        ]);
        command.args(extra).arg(&page);
        command.output().expect("chromium runs")
    };
    let dom = run(&["--dump-dom".to_string()]);
    assert!(dom.status.success(), "{}", stderr(&dom));
    let dom = stdout(&dom);
    for needle in [
        "id=\"verdict\"",
        "id=\"fidelity\"",
        "id=\"utility\"",
        "id=\"privacy\"",
        "id=\"subgroup\"",
        "Worst columns:",
        "mix curve",
        "Attack success",
        "Worst group",
    ] {
        assert!(dom.contains(needle), "rendered page lacks {needle}");
    }
    assert!(dom.matches("<svg").count() >= 4, "charts are drawn");
    let shot = dir.path().join("report.png");
    let output = run(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1200,4000".to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(png.len() > 20_000, "a page was drawn ({} bytes)", png.len());
}

/// Bad input gets a clear error, names what is wrong, exits 3 and leaves nothing behind.
#[test]
fn bad_targets_attributes_and_inputs_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let synthetic = synthesize(dir.path(), &train);
    let out = dir.path().join("r");
    let refused = |args: &[&str], synthetic: &Path, holdout: &Path, needle: &str| {
        let output = evaluate_with(&train, holdout, synthetic, &out, args);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: expected {needle:?} in {}",
            stderr(&output)
        );
        assert!(
            !out.exists(),
            "{args:?}: a failed evaluation leaves nothing behind"
        );
    };
    refused(&["--target", "nope"], &synthetic, &holdout, "'nope'");
    refused(&["--sensitive", "sex,nope"], &synthetic, &holdout, "'nope'");
    refused(&["--secret", "nope"], &synthetic, &holdout, "'nope'");
    refused(&[], &synthetic, &train, "holdout file is the train file");

    // A target that does not vary in the training rows.
    let with_flag = |path: &Path, name: &str| {
        let text = std::fs::read_to_string(path).expect("read");
        let mut lines = text.lines();
        let header = lines.next().expect("header");
        let body: Vec<String> = lines.map(|line| format!("{line},1")).collect();
        let target = dir.path().join(name);
        std::fs::write(&target, format!("{header},flag\n{}\n", body.join("\n"))).expect("write");
        target
    };
    let (constant_train, flag_holdout, flag_synthetic) = (
        with_flag(&train, "flag-train.csv"),
        with_flag(&holdout, "flag-holdout.csv"),
        with_flag(&synthetic, "flag-synthetic.csv"),
    );
    let header = std::fs::read_to_string(&train)
        .expect("train")
        .lines()
        .next()
        .expect("header")
        .to_string();
    let output = evaluate_with(
        &constant_train,
        &flag_holdout,
        &flag_synthetic,
        &out,
        &["--target", "flag"],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("constant"), "{}", stderr(&output));
    assert!(!out.exists());

    // Empty tables: a header only, and no bytes at all.
    let header_only = dir.path().join("header-only.csv");
    std::fs::write(&header_only, format!("{header}\n")).expect("write");
    refused(&[], &header_only, &holdout, "no data rows");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write");
    let output = evaluate_with(&train, &holdout, &empty, &out, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("empty.csv"), "{}", stderr(&output));
    assert!(!out.exists());
}

/// A holdout that repeats the training rows is flagged in the report and on stderr.
#[test]
fn a_holdout_overlapping_train_is_flagged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, _) = split(dir.path());
    let text = std::fs::read_to_string(&train).expect("train");
    // The same rows in another file (a different order, so not the same bytes).
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let copy = dir.path().join("copy.csv");
    std::fs::write(&copy, lines.join("\n") + "\n").expect("write");
    let out = dir.path().join("r");
    let synthetic = synthesize(dir.path(), &train);
    let output = evaluate_with(&train, &copy, &synthetic, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning:"), "{}", stderr(&output));
    let report = read_report(&out);
    let warning = report["warnings"][0].as_str().expect("a warning");
    assert!(warning.contains("100.0% of the holdout"), "{warning}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(
        html.contains("class=\"warn\""),
        "the page shows the warning"
    );
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

/// Another tool's way of writing the same table scores the same: columns in another order,
/// whole numbers written as `517.0`, missing values as `NULL` / `nan` in any letter case, and
/// Parquet instead of CSV.
#[test]
fn any_tools_formatting_scores_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let synthetic = synthesize(dir.path(), &train);
    let text = std::fs::read_to_string(&synthetic).expect("synthetic");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let mut rewritten = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .rev()
            .enumerate()
            .map(|(j, cell)| {
                if i == 0 {
                    cell.to_string()
                } else if cell.is_empty() {
                    ["NULL", "nan", "Na", "n/a"][j % 4].to_string()
                } else if cell.parse::<i64>().is_ok() {
                    format!("{cell}.0")
                } else {
                    cell.to_string()
                }
            })
            .collect();
        rewritten.push_str(&cells.join(","));
        rewritten.push('\n');
    }
    let other = dir.path().join("other-tool.csv");
    std::fs::write(&other, rewritten).expect("write");
    let parquet = dir.path().join("other-tool.parquet");
    let output = synthgate([
        "convert".as_ref(),
        other.as_os_str(),
        "--out".as_ref(),
        parquet.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let reports: Vec<serde_json::Value> = [&synthetic, &other, &parquet]
        .iter()
        .enumerate()
        .map(|(k, input)| {
            let out = dir.path().join(format!("r{k}"));
            let output = evaluate_with(&train, &holdout, input, &out, &["--target", "death"]);
            assert!(output.status.success(), "{}", stderr(&output));
            read_report(&out)
        })
        .collect();
    for report in &reports[1..] {
        assert_eq!(
            report["metrics"], reports[0]["metrics"],
            "the same table, the same scores"
        );
    }
}

/// `evaluate` with several named synthetic tables and `--resamples 20`.
fn compare(train: &Path, holdout: &Path, named: &[String], out: &Path) -> std::process::Output {
    let mut args: Vec<std::ffi::OsString> = vec![
        "evaluate".into(),
        "--train".into(),
        train.into(),
        "--holdout".into(),
        holdout.into(),
        "--out".into(),
        out.into(),
        "--quiet".into(),
        "--resamples".into(),
        "20".into(),
    ];
    for value in named {
        args.push("--synthetic".into());
        args.push(value.into());
    }
    synthgate(args)
}

/// Two tools' tables compared in one run: `cart`'s output and a copier's (the training rows
/// themselves). Each table's report is byte for byte the one `evaluate` writes for it alone
/// (same schema, seed, folds and resamples); the comparison names the copier's privacy as
/// significantly worse on metrics whose intervals part (the DCR share among them) and writes
/// the table as Markdown and LaTeX with the harness version; a name given twice is refused
/// before anything is written.
#[test]
fn several_synthetic_tables_are_compared_side_by_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (train, holdout) = split(dir.path());
    let synthetic = synthesize(dir.path(), &train);
    let copier = dir.path().join("copier.csv");
    std::fs::copy(&train, &copier).expect("copy");
    let out = dir.path().join("compared");
    let named = [
        format!("cart={}", synthetic.display()),
        format!("copier={}", copier.display()),
    ];
    let output = compare(&train, &holdout, &named, &out);
    assert!(output.status.success(), "{}", stderr(&output));

    let alone = dir.path().join("alone");
    let output_alone = evaluate(&train, &holdout, &synthetic, &alone);
    assert!(output_alone.status.success(), "{}", stderr(&output_alone));
    assert_eq!(
        std::fs::read(alone.join("report.json")).expect("alone"),
        std::fs::read(out.join("cart").join("report.json")).expect("compared"),
        "a table's report in a comparison is the report it gets alone"
    );
    assert!(out.join("copier").join("report.html").is_file());
    // The distance-to-closest-record histogram: the copier's rows all sit on training rows
    // (the first bin, from distance 0), the holdout's and cart's mostly do not.
    let histogram = |name: &str| {
        let report = read_json(&out.join(name).join("report.json"));
        report["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == "privacy.dcr_closer_to_training")
            .expect("dcr_closer_to_training")["details"]["histogram"]
            .clone()
    };
    let first_bin = |h: &serde_json::Value, set: &str| h[set][0].as_f64().expect("a share");
    let (copied, drawn) = (histogram("copier"), histogram("cart"));
    assert_eq!(first_bin(&copied, "synthetic"), 1.0, "{copied}");
    assert!(first_bin(&copied, "holdout") < 0.5, "{copied}");
    assert!(first_bin(&drawn, "synthetic") < 0.5, "{drawn}");
    let page = std::fs::read_to_string(out.join("cart").join("report.html")).expect("html");
    assert!(
        page.contains("<svg id=\"associations\"")
            && page.contains("<svg id=\"dcr-histogram\"")
            && page.contains("<svg id=\"distribution-0\""),
        "report.html draws the association heatmaps, the distance histogram and each \
         column's distribution"
    );
    // Every column's distribution, no real count under the smallest group size (100 by
    // default) shown.
    let report = read_json(&out.join("cart").join("report.json"));
    let shapes = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["id"] == "fidelity.column_shapes")
        .expect("column shapes")["details"]
        .as_array()
        .expect("columns")
        .clone();
    let rows = |role: &str| {
        report["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["role"] == role)
            .expect("input")["rows"]
            .as_f64()
            .expect("rows")
    };
    let mut withheld = 0;
    for column in &shapes {
        let d = &column["distribution"];
        for (set, role) in [("train", "train"), ("holdout", "holdout")] {
            for share in d[set].as_array().expect("shares") {
                match share.as_f64() {
                    None => withheld += 1,
                    Some(share) => {
                        let count = (share * rows(role)).round();
                        assert!(count == 0.0 || count >= 100.0, "{column}");
                    }
                }
            }
        }
    }
    assert!(withheld > 0, "nhefs has real cells under 100 rows");

    let comparison = read_json(&out.join("comparison.json"));
    assert_eq!(comparison["tables"], serde_json::json!(["cart", "copier"]));
    assert_eq!(comparison["harness_version"], "0.4");
    let row = |id: &str| {
        comparison["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let dcr = row("privacy.dcr_share");
    assert_eq!(
        dcr["differences"],
        serde_json::json!([{"higher": "copier", "lower": "cart", "better": "cart"}]),
        "{dcr}"
    );
    let value =
        |row: &serde_json::Value, at: usize| row["scores"][at]["value"].as_f64().expect("a value");
    assert!(value(&dcr, 1) > value(&dcr, 0), "{dcr}");
    let copies = row("privacy.exact_copy_rate");
    assert_eq!(copies["scores"][1]["value"], 1.0);

    let markdown = std::fs::read_to_string(out.join("comparison.md")).expect("md");
    assert!(markdown.contains("Synthgate harness 0.4, seed 0, 20 bootstrap resamples"));
    assert!(
        markdown
            .contains("| metric | direction | holdout | cart | copier | significant differences |")
    );
    assert!(
        markdown
            .lines()
            .any(|l| l.starts_with("| privacy.dcr_share |")
                && l.ends_with("| cart better than copier |")),
        "{markdown}"
    );
    let latex = std::fs::read_to_string(out.join("comparison.tex")).expect("tex");
    assert!(
        latex.contains("\\begin{tabular}") && latex.contains("metric & holdout & cart & copier")
    );
    assert!(latex.contains("privacy.dcr\\_share &"), "{latex}");
    let html = std::fs::read_to_string(out.join("comparison.html")).expect("html");
    assert!(html.contains("<a href=\"cart/report.html\">cart</a>"));
    assert!(stdout(&output).contains("cart > copier") || stdout(&output).contains("cart < copier"));

    let twice = dir.path().join("twice");
    let output = compare(
        &train,
        &holdout,
        &[
            format!("a={}", synthetic.display()),
            format!("a={}", copier.display()),
        ],
        &twice,
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("'a' is given twice"),
        "{}",
        stderr(&output)
    );
    assert!(!twice.exists(), "a refused comparison wrote nothing");
    let output = compare(
        &train,
        &holdout,
        &[
            format!("a b={}", synthetic.display()),
            format!("c={}", copier.display()),
        ],
        &twice,
    );
    assert!(!output.status.success());
    assert!(!twice.exists());
}
