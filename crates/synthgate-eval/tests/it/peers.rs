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
//!   95% confidence interval.

use synthgate_core::{Schema, Seed, Table};
use synthgate_eval::{Prepared, accuracy, anonymeter, kmarginal};

use crate::common::{adult_split, anchor, prepare_all};

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

/// Synthgate's risk lies within anonymeter's 95% interval.
fn assert_agrees(what: &str, ours: &anonymeter::Risk, theirs: &serde_json::Value) {
    let value = theirs["risk"]["value"].as_f64().expect("risk");
    let ci = theirs["risk"]["ci"].as_array().expect("ci");
    let (low, high) = (ci[0].as_f64().expect("low"), ci[1].as_f64().expect("high"));
    assert!(
        ours.risk >= low && ours.risk <= high,
        "{what}: Synthgate {} [{}, {}] outside anonymeter's {value} [{low}, {high}]",
        ours.risk,
        ours.ci_low,
        ours.ci_high
    );
}

#[test]
fn anonymeter_risks_agree_within_their_intervals() {
    let expected = fixture("anonymeter_adult.json");
    assert_eq!(expected["anonymeter_version"], "1.1.0");
    let (_, tables) = tables();
    let (train, holdout) = (&tables[0], &tables[1]);
    let position = |name: &str| train.position(name).expect("column");
    let link = &expected["cases"]["sdv_gaussian_copula"]["linkability"]["parameters"]["aux_cols"];
    let columns = |k: usize| -> Vec<usize> {
        link[k]
            .as_array()
            .expect("aux cols")
            .iter()
            .map(|n| position(n.as_str().expect("name")))
            .collect()
    };
    let (first, second) = (columns(0), columns(1));
    let seed = Seed(0);
    for (case, synthetic) in [
        ("sdv_gaussian_copula", &tables[2]),
        ("mostlyai_argn", &tables[3]),
        ("train_as_synthetic", train),
    ] {
        let want = &expected["cases"][case];
        // anonymeter 1.1.0's size correction (the closed form its fit reduces to), as its
        // package computes; Synthgate's own value fits the correction to the data instead.
        let (fitted, as_anonymeter) =
            anonymeter::singling_out(train, holdout, synthetic, seed).expect("risk");
        assert_agrees(
            &format!("{case} singling out"),
            &as_anonymeter,
            &want["singling_out_multivariate"],
        );
        assert!(
            fitted.risk <= as_anonymeter.risk + 1e-12,
            "{case}: a fitted correction never lowers the control below the closed form's"
        );
        let risk = anonymeter::inference(train, holdout, synthetic, position("income"), seed)
            .expect("risk");
        assert_agrees(&format!("{case} inference"), &risk, &want["inference"]);
        let risk = anonymeter::linkability(train, holdout, synthetic, (&first, &second), seed)
            .expect("risk");
        assert_agrees(
            &format!("{case} linkability"),
            &risk,
            &want["linkability"]["n_neighbors_1"],
        );
    }
}
