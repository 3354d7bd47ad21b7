//! The metric table (`synthgate_core::metrics`) against what the harness reports: a full
//! evaluation of real data (UCI Adult, with a target, two sensitive attributes and occupation read
//! as free text) reports only
//! ids that have exactly one row, and every row of the harness's families is reported, so no
//! row is orphaned and no metric goes without its direction, bands, gate bound and drift rule.

use synthgate_core::SemanticType;
use synthgate_core::metrics::{Family, Needs, TABLE};
use synthgate_eval::{EvaluationConfig, Input, InputInfo, score};

use crate::common::{adult, take};

#[test]
fn every_reported_metric_has_one_row_and_every_row_is_reported() {
    let (table, mut schema) = adult();
    // Occupation read as free text, so the text metric is reported too.
    let occupation = schema.index_of("occupation").expect("occupation");
    schema.columns[occupation].semantic = SemanticType::FreeText;
    let rows: Vec<u32> = (0..6000).collect();
    let (train, holdout, synthetic) = (
        take(&table, &rows[..3000]),
        take(&table, &rows[3000..4500]),
        take(&table, &rows[4500..]),
    );
    let config = EvaluationConfig {
        target: Some("income".into()),
        sensitive: vec!["sex".into(), "race".into()],
        resamples: 10,
        ..EvaluationConfig::default()
    };
    let input = |table, label: &'static str| Input {
        table,
        label,
        info: InputInfo {
            role: label,
            path: label.to_string(),
            sha256: String::new(),
            rows: 0,
        },
    };
    let metrics = score(
        &schema,
        [
            input(&train, "train"),
            input(&holdout, "holdout"),
            input(&synthetic, "synthetic"),
        ],
        &config,
        &mut |_| Ok(()),
    )
    .expect("report")
    .metrics;

    for metric in &metrics {
        let rows: Vec<&str> = TABLE
            .iter()
            .filter(|row| row.matches(&metric.id))
            .map(|row| row.id)
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "the reported metric {} matches the table rows {rows:?}; it needs exactly one",
            metric.id
        );
    }
    // Prompt-based, dataset, hybrid and augmentation metrics come from their own pipelines
    // (tested there: the hybrid and augmentation ones in synthgate-cli's tests/it/hybrid.rs
    // and tests/it/augment.rs).
    for row in TABLE.iter().filter(|row| {
        row.family != Family::Llm
            && !matches!(row.needs, Needs::Dataset | Needs::Hybrid | Needs::Augment)
    }) {
        let reported = metrics.iter().filter(|m| row.matches(&m.id)).count();
        let expected = if row.is_pattern() { 2 } else { 1 };
        assert_eq!(
            reported, expected,
            "the row {} is reported {reported} times by a full evaluation",
            row.id
        );
    }
}
