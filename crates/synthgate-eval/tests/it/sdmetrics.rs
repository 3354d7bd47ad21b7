//! Column shapes, pair trends, coverage and DCR agree with SDMetrics 0.32.0's own package on
//! the Adult split and on the peers' anchor outputs (SDV's Gaussian copula, MOSTLY AI's
//! TabularARGN, both fitted on the train split).
//!
//! The reference numbers in `fixtures/sdmetrics_adult.json` were computed by the `sdmetrics`
//! package, version 0.32.0, with `bench/fixtures_sdmetrics.py` on the same tables this test
//! builds: the Adult train split (rows listed in `bench/adult_train_rows.txt`) and its holdout.

use synthgate_core::{Schema, Table};
use synthgate_eval::{column_pair_trends, column_shapes};

use crate::common::{adult_split, anchor, prepare, prepare_all, take};

/// The SDMetrics reference numbers and the two fixed cases they were computed on:
/// (name, real, synthetic).
fn fixture_cases() -> (serde_json::Value, Schema, Vec<(&'static str, Table, Table)>) {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sdmetrics_adult.json")).expect("fixture");
    let (train, holdout, schema) = adult_split();
    let head = take(&train, &(0..5000).collect::<Vec<u32>>());
    let sdv = anchor("adult_sdv_gaussian_copula.parquet", &schema);
    let argn = anchor("adult_mostlyai_argn.parquet", &schema);
    let cases = vec![
        ("train_vs_holdout", train.clone(), holdout.clone()),
        ("holdout_vs_train_head", holdout, head),
        ("train_vs_sdv_gaussian_copula", train.clone(), sdv),
        ("train_vs_mostlyai_argn", train, argn),
    ];
    (fixture, schema, cases)
}

#[test]
fn column_shapes_match_sdmetrics() {
    let (fixture, schema, cases) = fixture_cases();
    assert_eq!(fixture["sdmetrics_version"], "0.32.0");
    for (case, real, synthetic) in &cases {
        let expected = &fixture["cases"][case];
        let (real, synthetic) = prepare(real, synthetic, &schema);
        let (score, columns) = column_shapes(&real, &synthetic).expect("scores");
        for column in &columns {
            let want = expected["columns"][&column.column]
                .as_f64()
                .expect("reference score");
            let got = column.score.expect("computed");
            assert!(
                (got - want).abs() < 1e-9,
                "{case} {}: {} {got} vs SDMetrics {want}",
                column.column,
                column.metric
            );
        }
        assert_eq!(columns.len(), 15, "{case}: every Adult column is scored");
        let want = expected["column_shapes"].as_f64().expect("reference");
        assert!(
            (score - want).abs() < 1e-9,
            "{case}: {score} vs SDMetrics {want}"
        );
    }
}

#[test]
fn column_pair_trends_match_sdmetrics() {
    let (fixture, schema, cases) = fixture_cases();
    for (case, real, synthetic) in &cases {
        let want = fixture["cases"][case]["column_pair_trends"]
            .as_f64()
            .expect("reference");
        let (real, synthetic) = prepare(real, synthetic, &schema);
        let (score, pairs) = column_pair_trends(&real, &synthetic);
        assert_eq!(pairs.len(), 15 * 14 / 2, "{case}: every pair is looked at");
        assert!(pairs.iter().any(|p| p.counted), "{case}: some pairs count");
        let score = score.expect("a score");
        assert!(
            (score - want).abs() < 1e-9,
            "{case}: {score} vs SDMetrics {want}"
        );
    }
}

/// The same inputs give bit-identical scores, run after run (no hash-order sums).
#[test]
fn scores_are_deterministic() {
    let (train, holdout, schema) = adult_split();
    let (train, holdout) = prepare(&train, &holdout, &schema);
    let first = (
        column_shapes(&train, &holdout).expect("shapes"),
        column_pair_trends(&train, &holdout),
    );
    for _ in 0..3 {
        let again = (
            column_shapes(&train, &holdout).expect("shapes"),
            column_pair_trends(&train, &holdout),
        );
        assert_eq!(first.0.0.to_bits(), again.0.0.to_bits());
        assert_eq!(first.1.0.map(f64::to_bits), again.1.0.map(f64::to_bits));
        assert_eq!(first.1.1, again.1.1);
    }
}

/// The plan used for bootstrap resamples gives the same mean as scoring every pair.
#[test]
fn pair_plan_agrees_with_full_scoring() {
    let (train, holdout, schema) = adult_split();
    let (train, holdout) = prepare(&train, &holdout, &schema);
    let (full, _) = column_pair_trends(&train, &holdout);
    let planned = synthgate_eval::pair_trends_with_plan(&train, &holdout);
    let (full, planned) = (full.expect("score"), planned.expect("score"));
    assert!((full - planned).abs() < 1e-12, "{full} vs {planned}");
}

/// Missing rates, category coverage and range coverage agree with SDMetrics' single-column
/// metrics (MissingValueSimilarity, CategoryCoverage, RangeCoverage) column by column.
#[test]
fn coverage_metrics_match_sdmetrics() {
    let (fixture, schema, cases) = fixture_cases();
    for (case, real, synthetic) in &cases {
        let (real, synthetic) = prepare(real, synthetic, &schema);
        let expected = &fixture["cases"][case];
        for (key, (_, columns)) in [
            (
                "missing_value_similarity",
                synthgate_eval::missing_rates(&real, &synthetic),
            ),
            (
                "category_coverage",
                synthgate_eval::category_coverage(&real, &synthetic),
            ),
            (
                "range_coverage",
                synthgate_eval::range_coverage(&real, &synthetic),
            ),
        ] {
            let reference = expected[key].as_object().expect("reference columns");
            assert_eq!(
                columns.len(),
                reference.len(),
                "{case} {key}: the same columns are scored"
            );
            for column in &columns {
                let want = reference[&column.column].as_f64().expect("reference score");
                let got = column.score.expect("computed");
                assert!(
                    (got - want).abs() < 1e-12,
                    "{case} {key} {}: {got} vs SDMetrics {want}",
                    column.column
                );
            }
        }
    }
}

/// `closer_to_training` agrees with SDMetrics' DCROverfittingProtection on fixed real tables
/// (reference numbers in the fixture's `dcr_closer_to_training`, no subsampling).
#[test]
fn dcr_closer_to_training_matches_sdmetrics() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sdmetrics_adult.json")).expect("fixture");
    let (train, holdout, schema) = adult_split();
    let sdv = anchor("adult_sdv_gaussian_copula.parquet", &schema);
    let mut tables = prepare_all(&schema, &[&train, &holdout, &sdv]);
    let sdv = tables.pop().expect("three");
    let holdout = tables.pop().expect("three");
    let train = tables.pop().expect("three");
    let rows = |from: usize, to: usize| (from..to).collect::<Vec<usize>>();
    let training = train.resample(&rows(0, 2000));
    let validation = holdout.resample(&rows(1000, 3000));
    for (case, synthetic) in [
        ("holdout_head", holdout.resample(&rows(0, 1000))),
        ("train_copies", train.resample(&rows(0, 1000))),
        ("sdv_head", sdv.resample(&rows(0, 1000))),
    ] {
        let want = fixture["dcr_closer_to_training"][case]
            .as_f64()
            .expect("reference");
        let (got, _) = synthgate_eval::dcr::closer_to_training(&training, &validation, &synthetic);
        assert!(
            (got - want).abs() <= 0.005,
            "{case}: {got} vs SDMetrics {want}"
        );
    }
}
