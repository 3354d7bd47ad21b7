//! Sanity that cannot be faked, on real data (UCI Adult): the training rows scored as
//! "synthetic" are caught as copies; a third real sample, disjoint from train and holdout, scores
//! like the holdout on every metric; independent-marginals output keeps the columns but loses
//! the relationships, and is detected and useless for prediction.

use synthgate_core::{Schema, Seed, Table};
use synthgate_eval::{EvaluationConfig, Metric, evaluate};

use crate::common::{adult, adult_split, prepare_all, take};

fn config() -> EvaluationConfig {
    EvaluationConfig {
        target: Some("income".into()),
        sensitive: vec!["sex".into()],
        resamples: 30,
        ..EvaluationConfig::default()
    }
}

fn run(schema: &Schema, train: &Table, holdout: &Table, synthetic: &Table) -> Vec<Metric> {
    let tables = prepare_all(schema, &[train, holdout, synthetic]);
    evaluate(&tables[0], &tables[1], &tables[2], &config())
        .expect("evaluation")
        .0
}

fn metric<'a>(metrics: &'a [Metric], id: &str) -> &'a Metric {
    metrics
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no metric {id}"))
}

#[test]
fn training_rows_scored_as_synthetic_are_caught() {
    let (train, holdout, schema) = adult_split();
    let metrics = run(&schema, &train, &holdout, &train);
    assert_eq!(metric(&metrics, "privacy.exact_copy_rate").value, 1.0);
    let closer = metric(&metrics, "privacy.dcr_closer_to_training").value;
    assert!(closer > 0.97, "closer to training {closer}");
    // A quarter of the synthetic rows are in the equal-size train sample (distance 0); the rest
    // split evenly: 0.25 + 0.75 / 2 = 0.625, pulled a little higher by near-duplicates.
    let share = metric(&metrics, "privacy.dcr_share").value;
    assert!((0.6..0.68).contains(&share), "DCR share {share}");
    let mia = metric(&metrics, "privacy.mia_auc").value;
    assert!(mia > 0.9, "membership AUC {mia}");
    let singling_out = metric(&metrics, "privacy.singling_out_risk").value;
    assert!(singling_out > 0.9, "singling out {singling_out}");
    let inference = metric(&metrics, "privacy.inference_risk").value;
    assert!(inference > 0.9, "inference {inference}");
}

/// A third real sample, the holdout's size and disjoint from train and holdout, scored as
/// synthetic, lands within the interval of the holdout reference on every metric: its own
/// 95% interval overlaps the reference's. (Two independent real samples differ by chance on
/// some of 25 metrics at the 95% level; overlapping intervals is the comparison that holds
/// for every metric at once, about a 99.5% test each.)
#[test]
fn a_third_real_sample_scores_like_the_holdout() {
    let (table, schema) = adult();
    let rows = table.num_rows() as u32;
    let mut order: Vec<u32> = (0..rows).collect();
    let mut rng = Seed(11).stream("test/third-sample", 0);
    for i in (1..order.len()).rev() {
        let j = ((synthgate_core::unit_f64(&mut rng) * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    let third = take(&table, &order[..6512]);
    let holdout = take(&table, &order[6512..13024]);
    let train = take(&table, &order[13024..]);
    let metrics = run(&schema, &train, &holdout, &third);
    let mut failures = Vec::new();
    let mut checked = 0;
    for m in &metrics {
        let (Some(low), Some(high), Some(reference), Some(value_low), Some(value_high)) = (
            m.reference_ci_low,
            m.reference_ci_high,
            m.holdout_reference,
            m.ci_low,
            m.ci_high,
        ) else {
            continue;
        };
        checked += 1;
        if value_high < low - 1e-9 || value_low > high + 1e-9 {
            failures.push(format!(
                "{}: {} [{value_low}, {value_high}], holdout reference {reference} [{low}, {high}]",
                m.id, m.value
            ));
        }
    }
    assert!(checked >= 20, "only {checked} metrics checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn independent_marginals_keep_columns_but_lose_relationships() {
    let (train, holdout, schema) = adult_split();
    let synthesizer = synthgate_synth::builtin("independent").expect("independent");
    let model = synthgate_synth::fit(
        &train,
        &schema,
        synthesizer.as_ref(),
        &synthgate_synth::FitConfig {
            seed: Seed(1),
            protections: synthgate_synth::Protections::default(),
        },
    )
    .expect("fit");
    let synthetic = model.sample(train.num_rows(), Seed(1)).expect("sample");
    let metrics = run(&schema, &train, &holdout, &synthetic);
    let shapes = metric(&metrics, "fidelity.column_shapes").value;
    assert!(shapes > 0.95, "column shapes {shapes}");
    let trends = metric(&metrics, "fidelity.column_pair_trends");
    let reference = trends.holdout_reference.expect("reference");
    assert!(
        trends.value < reference - 0.1,
        "pair trends {} vs holdout {reference}",
        trends.value
    );
    let detection = metric(&metrics, "fidelity.detection_auc").value;
    assert!(detection > 0.9, "detection AUC {detection}");
    let ratio = metric(&metrics, "utility.tstr_ratio").value;
    assert!(ratio < 0.75, "TSTR / TRTR {ratio}");
    let bivariate = metric(&metrics, "fidelity.accuracy.bivariate");
    assert!(bivariate.value < bivariate.holdout_reference.expect("reference") - 0.05);
}
