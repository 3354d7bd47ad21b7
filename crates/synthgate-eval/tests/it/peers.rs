//! Agreement with the peers' own packages on the Adult split and on two anchor outputs the
//! peers generated from its train split (`fixtures/adult_sdv_gaussian_copula.parquet`, SDV 2.0
//! GaussianCopula; `fixtures/adult_mostlyai_argn.parquet`, mostlyai-engine TabularARGN).
//!
//! - `fixtures/mostlyqa_adult.json`: mostlyai-qa 1.10.11's accuracy functions (the ones its
//!   `report()` calls), by `bench/fixtures_mostlyqa.py`, all rows, train as the reference.
//! - `fixtures/sdnist_kmarginal_adult.json`: SDNist 2.4's `KMarginal`, by
//!   `bench/fixtures_kmarginal.py`, numbers pre-binned by Synthgate's rule.
//! - `fixtures/anonymeter_adult.json`: anonymeter 1.1.0's three evaluators, by
//!   `bench/fixtures_anonymeter.py` (train as original, holdout as control, seed 0). Attacks
//!   draw at random, so agreement is statistical: Synthgate's risk lies within anonymeter's
//!   95% confidence interval, on cases where that interval lies above 0.
//! - `fixtures/anonymeter_size_correction_adult.json`: the singling-out size correction
//!   Synthgate ships, refitted from Synthgate's own subsample counts by anonymeter 1.1.0's
//!   fitting function, by `bench/fixtures_anonymeter_correction.py`.

use synthgate_core::{Schema, Seed, Table};
use synthgate_eval::{Prepared, accuracy, anonymeter, kmarginal};

use crate::common::{adult_split, anchor, prepare_all, take};

fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// Train, holdout and the two anchors, prepared together: (schema, [train, holdout, sdv,
/// argn]).
fn tables() -> (Schema, Vec<Prepared>) {
    let (train, holdout, schema) = adult_split();
    let sdv: Table = anchor("adult_sdv_gaussian_copula.parquet", &schema);
    let argn: Table = anchor("adult_mostlyai_argn.parquet", &schema);
    let prepared = prepare_all(&schema, &[&train, &holdout, &sdv, &argn]);
    (schema, prepared)
}

/// The comparisons each fixture case stands for: (case, the synthetic table's position).
const CASES: [(&str, usize); 3] = [
    ("train_vs_holdout", 1),
    ("train_vs_sdv_gaussian_copula", 2),
    ("train_vs_mostlyai_argn", 3),
];

#[test]
fn accuracy_matches_mostlyai_qa() {
    let expected = fixture("mostlyqa_adult.json");
    assert_eq!(expected["mostlyai_qa_version"], "1.10.11");
    let (_, tables) = tables();
    for (case, synthetic) in CASES {
        let want = &expected["cases"][case];
        let got = accuracy::accuracy(&tables[0], &tables[synthetic], Seed(0));
        for (name, value) in [
            ("univariate", Some(got.univariate)),
            ("bivariate", got.bivariate),
            ("trivariate", got.trivariate),
            ("overall", Some(got.overall)),
            ("overall_max", Some(got.overall_max)),
        ] {
            let reference = want[name].as_f64().expect("reference");
            let value = value.expect("computed");
            assert!(
                (value - reference).abs() <= 0.005,
                "{case} {name}: {value} vs mostlyai-qa {reference}"
            );
        }
        // Column by column, the binning is the same, so the numbers agree to rounding.
        for column in &got.columns {
            let name = &column.columns[0];
            let reference = want["columns"][name].as_f64().expect("column");
            assert!(
                (column.accuracy - reference).abs() <= 1e-5,
                "{case} {name}: {} vs mostlyai-qa {reference}",
                column.accuracy
            );
        }
        assert_eq!(got.pairs.len(), 105, "{case}: all pairs");
    }
}

#[test]
fn kway_marginal_matches_sdnist() {
    let expected = fixture("sdnist_kmarginal_adult.json");
    assert_eq!(expected["sdnist_version"], "2.4");
    let (_, tables) = tables();
    for (case, synthetic) in [CASES[0], CASES[1]] {
        let want = expected["cases"][case]["na_as_category"]["score"]
            .as_f64()
            .expect("reference");
        let (score, pairs) = kmarginal::kmarginal(&tables[0], &tables[synthetic]);
        let score = score.expect("score");
        assert_eq!(pairs.len(), 105);
        assert!(
            (score - want).abs() < 1e-6,
            "{case}: {score} vs SDNist {want}"
        );
    }
}

/// Synthgate's risk lies within anonymeter's 95% interval, and that interval lies above 0 (so
/// an attack that never succeeds, risk 0, cannot agree).
fn assert_agrees(what: &str, ours: &anonymeter::Risk, theirs: &serde_json::Value) {
    let value = theirs["risk"]["value"].as_f64().expect("risk");
    let ci = theirs["risk"]["ci"].as_array().expect("ci");
    let (low, high) = (ci[0].as_f64().expect("low"), ci[1].as_f64().expect("high"));
    assert!(
        low > 0.0,
        "{what}: anonymeter's own risk {value} [{low}, {high}] touches 0, so agreeing with it \
         proves nothing: compare on a case where the attack succeeds"
    );
    assert!(
        ours.risk >= low && ours.risk <= high,
        "{what}: Synthgate {} [{}, {}] outside anonymeter's {value} [{low}, {high}]",
        ours.risk,
        ours.ci_low,
        ours.ci_high
    );
}

/// The Adult split with the synthetic table of one anonymeter fixture case, prepared together:
/// [train, holdout, synthetic]. The cases: the two anchors, the train split itself, and the
/// train split partly leaked into the ARGN anchor (`leak()` in `bench/fixtures_anonymeter.py`:
/// train rows `0..copied`, then ARGN rows `copied..`, `copied` recorded in the fixture as
/// `train_rows_copied`).
fn anonymeter_case(
    case: &str,
    expected: &serde_json::Value,
    (train, holdout, schema): &(Table, Table, Schema),
) -> [Prepared; 3] {
    let argn = || anchor("adult_mostlyai_argn.parquet", schema);
    let synthetic = match case {
        "sdv_gaussian_copula" => anchor("adult_sdv_gaussian_copula.parquet", schema),
        "mostlyai_argn" => argn(),
        "train_as_synthetic" => train.clone(),
        _ => {
            let copied = expected["cases"][case]["train_rows_copied"]
                .as_u64()
                .unwrap_or_else(|| panic!("{case}: no train_rows_copied in the fixture"))
                as u32;
            let argn = argn();
            assert_eq!(
                argn.num_rows(),
                train.num_rows(),
                "the leak keeps |train| rows"
            );
            let head = take(train, &(0..copied).collect::<Vec<_>>());
            let tail = take(&argn, &(copied..argn.num_rows() as u32).collect::<Vec<_>>());
            // The anchor's columns carry no missing-value token; take the train split's.
            let tokens: Vec<Option<String>> = (0..head.num_columns())
                .map(|c| head.missing_token(c).map(str::to_owned))
                .collect();
            let tail = tail.with_missing_tokens(&tokens).expect("tokens");
            let batches = [head.batches(), tail.batches()].concat();
            Table::new(head.arrow_schema().clone(), batches).expect("same columns")
        }
    };
    prepare_all(schema, &[train, holdout, &synthetic])
        .try_into()
        .expect("three tables")
}

/// Per anonymeter evaluator (its fixture entry), the cases it is compared on; on every one
/// anonymeter's own interval lies above 0 (`assert_agrees` checks). The copying case is the
/// extreme; the cases leaking 10% and 25% of the train rows into ARGN's output sit between
/// the anchors (whose linkability and inference risks are 0) and the copy.
const AGREEMENT: [(&str, &[&str]); 3] = [
    (
        "singling_out_multivariate",
        &[
            "mostlyai_argn",
            "train_10pct_mostlyai_argn",
            "train_25pct_mostlyai_argn",
            "train_as_synthetic",
        ],
    ),
    (
        "linkability",
        &[
            "train_10pct_mostlyai_argn",
            "train_25pct_mostlyai_argn",
            "train_as_synthetic",
        ],
    ),
    (
        "inference",
        &["train_25pct_mostlyai_argn", "train_as_synthetic"],
    ),
];

#[test]
fn anonymeter_risks_agree_within_their_intervals() {
    let expected = fixture("anonymeter_adult.json");
    assert_eq!(expected["anonymeter_version"], "1.1.0");
    let split = adult_split();
    let link = &expected["cases"]["train_as_synthetic"]["linkability"]["parameters"]["aux_cols"];
    let seed = Seed(0);
    let mut cases: Vec<&str> = AGREEMENT
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .collect();
    cases.sort_unstable();
    cases.dedup();
    for case in cases {
        let [train, holdout, synthetic] = anonymeter_case(case, &expected, &split);
        let want = &expected["cases"][case];
        let compared = |evaluator: &str| {
            AGREEMENT
                .iter()
                .any(|(e, on)| *e == evaluator && on.contains(&case))
        };
        if compared("singling_out_multivariate") {
            // anonymeter 1.1.0's size correction (the closed form its fit reduces to), as its
            // package computes; Synthgate's own risk fits the correction to the data instead
            // (checked against anonymeter's fitting function below).
            let result =
                anonymeter::singling_out(&train, &holdout, &synthetic, seed).expect("risk");
            assert_agrees(
                &format!("{case} singling out"),
                &result.as_anonymeter,
                &want["singling_out_multivariate"],
            );
            assert!(
                result.risk.risk <= result.as_anonymeter.risk + 1e-12,
                "{case}: a fitted correction never lowers the control below the closed form's"
            );
        }
        if compared("inference") {
            let secret = train.position("income").expect("income");
            let risk = anonymeter::inference(&train, &holdout, &synthetic, secret, 2000, seed)
                .expect("risk");
            assert_agrees(&format!("{case} inference"), &risk, &want["inference"]);
        }
        if compared("linkability") {
            let columns = |k: usize| -> Vec<usize> {
                link[k]
                    .as_array()
                    .expect("aux cols")
                    .iter()
                    .map(|n| train.position(n.as_str().expect("name")).expect("column"))
                    .collect()
            };
            let (first, second) = (columns(0), columns(1));
            let risk = anonymeter::linkability(
                &train,
                &holdout,
                &synthetic,
                (&first, &second),
                2000,
                seed,
            )
            .expect("risk");
            assert_agrees(
                &format!("{case} linkability"),
                &risk,
                &want["linkability"]["n_neighbors_1"],
            );
        }
    }
}

/// The cases of `fixtures/anonymeter_size_correction_adult.json` (synthetic tables as in
/// `anonymeter_case`).
const CORRECTION_CASES: [&str; 4] = [
    "sdv_gaussian_copula",
    "mostlyai_argn",
    "train_25pct_mostlyai_argn",
    "train_as_synthetic",
];

/// Largest relative difference allowed between Synthgate's fitted size correction and the
/// reference's: scipy's `curve_fit` stops at its default tolerances (`ftol = xtol = 1e-8`),
/// which leaves the reference's correction uncertain by about 1e-6 (the script checks it
/// against a second solver to 1e-5). A grid of `w` alone (1.3% steps) was off by 0.75%.
const CORRECTION_TOLERANCE: f64 = 1e-5;

/// Largest difference allowed between Synthgate's risk and interval ends and the reference's
/// (the control count moves by at most `CORRECTION_TOLERANCE` of itself).
const RISK_TOLERANCE: f64 = 1e-5;

/// The singling-out risk Synthgate ships scales the control count by a size correction fitted
/// to the successes on control subsamples (`anonymeter::SizeCorrection`). The reference in
/// `fixtures/anonymeter_size_correction_adult.json` is computed without Synthgate's code by
/// `bench/fixtures_anonymeter_correction.py`: from the subsample counts recorded there
/// (Synthgate's own, checked below to be what this code measures), anonymeter 1.1.0's own
/// `_fit_model` (scipy's `curve_fit`, as its `fit_correction_term` calls it) gives the
/// correction, and anonymeter's `EvaluationResults` the risk. With `UPDATE_SNAPSHOTS=1`, a case
/// whose counts changed is rewritten without its reference; then rerun the script.
#[test]
fn singling_out_size_correction_matches_anonymeters_fit() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/anonymeter_size_correction_adult.json");
    let mut expected = fixture("anonymeter_size_correction_adult.json");
    let cases = fixture("anonymeter_adult.json");
    let split = adult_split();
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut changed = Vec::new();
    for case in CORRECTION_CASES {
        let [train, holdout, synthetic] = anonymeter_case(case, &cases, &split);
        let result = anonymeter::singling_out(&train, &holdout, &synthetic, Seed(0)).expect("risk");
        let correction = &result.correction;
        let measured = serde_json::json!({
            "seed": 0,
            "attacks": result.risk.attacks,
            "successes": result.risk.successes as u64,
            "baseline_successes": result.risk.baseline_successes as u64,
            "control_uncorrected": result.control_uncorrected,
            "control_rows": correction.rows.0,
            "train_rows": correction.rows.1,
            "subsamples": correction.subsamples,
        });
        let entry = &mut expected["cases"][case];
        if entry["measured"] != measured {
            if update {
                *entry = serde_json::json!({ "measured": measured });
                changed.push(case);
                continue;
            }
            panic!(
                "{case}: Synthgate's singling-out counts differ from those the reference was \
                 fitted to; rerun with UPDATE_SNAPSHOTS=1, then \
                 bench/fixtures_anonymeter_correction.py"
            );
        }
        let reference = &entry["reference"];
        let want = reference["correction"].as_f64().unwrap_or_else(|| {
            panic!("{case}: no reference: run bench/fixtures_anonymeter_correction.py")
        });
        assert!(
            correction.subsamples.len() == 50 && correction.fit.is_some(),
            "{case}: the holdout is smaller than train, so the correction is fitted"
        );
        assert!(
            (correction.factor - want).abs() <= CORRECTION_TOLERANCE * want,
            "{case}: Synthgate's size correction {} (w {:?}) vs anonymeter's fit {want} (w {})",
            correction.factor,
            correction.fit,
            reference["w_eff"]
        );
        let risk = reference["risk"]["value"].as_f64().expect("risk");
        let ci = reference["risk"]["ci"].as_array().expect("ci");
        for (what, ours, theirs) in [
            ("risk", result.risk.risk, risk),
            ("ci low", result.risk.ci_low, ci[0].as_f64().expect("low")),
            (
                "ci high",
                result.risk.ci_high,
                ci[1].as_f64().expect("high"),
            ),
        ] {
            assert!(
                (ours - theirs).abs() <= RISK_TOLERANCE,
                "{case} {what}: Synthgate {ours} vs the reference {theirs}"
            );
        }
    }
    if !changed.is_empty() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&expected).expect("json") + "\n",
        )
        .expect("fixture written");
        panic!(
            "{changed:?}: new counts written to {}; run bench/fixtures_anonymeter_correction.py \
             for their reference",
            path.display()
        );
    }
}

/// The singling-out risk the harness reports catches a table that copies a quarter of the
/// training rows: it lies within anonymeter 1.1.0's own interval for that table (its package's
/// risk 0.31), where the fitted size correction alone would report 0 (it extrapolates the
/// control count to the training rows' size and swallows the leak; see
/// `bench/notes/anonymeter.md`), so the report never falls below the reference package.
#[test]
fn the_reported_singling_out_risk_catches_a_quarter_of_the_rows_copied() {
    let expected = fixture("anonymeter_adult.json");
    let split = adult_split();
    let case = "train_25pct_mostlyai_argn";
    let [train, holdout, synthetic] = anonymeter_case(case, &expected, &split);
    let config = synthgate_eval::EvaluationConfig {
        resamples: 10,
        ..synthgate_eval::EvaluationConfig::default()
    };
    let (metrics, _) =
        synthgate_eval::evaluate(&train, &holdout, &synthetic, &config).expect("evaluation");
    let metric = metrics
        .iter()
        .find(|m| m.id == "privacy.singling_out_risk")
        .expect("singling out reported");
    let theirs = &expected["cases"][case]["singling_out_multivariate"]["risk"];
    let ci = theirs["ci"].as_array().expect("ci");
    let (low, high) = (ci[0].as_f64().expect("low"), ci[1].as_f64().expect("high"));
    assert!(
        (low..=high).contains(&metric.value),
        "reported singling-out risk {} outside anonymeter's [{low}, {high}] ({})",
        metric.value,
        metric.details
    );
    assert_eq!(metric.details["reported"], "anonymeter_1_1");
    assert!(metric.details["fitted_risk"].as_f64().expect("fitted") < low);
}
