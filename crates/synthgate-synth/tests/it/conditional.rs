//! `--where`: every row meets the condition, and the other columns follow the real subgroup.

use std::collections::HashMap;

use synthgate_core::Seed;
use synthgate_synth::codec::CodecKind;

use crate::support::{builtins, column_text, fit_default, load};

/// SDMetrics' KSComplement: 1 − the Kolmogorov–Smirnov statistic of the present values.
fn ks_complement(real: &[f64], synthetic: &[f64]) -> f64 {
    let mut a = real.to_vec();
    let mut b = synthetic.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut statistic) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let value = a[i].min(b[j]);
        while i < a.len() && a[i] <= value {
            i += 1;
        }
        while j < b.len() && b[j] <= value {
            j += 1;
        }
        statistic = statistic.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    1.0 - statistic
}

fn shares(values: &[Option<String>]) -> HashMap<&Option<String>, f64> {
    let mut counts: HashMap<&Option<String>, f64> = HashMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1.0 / values.len() as f64;
    }
    counts
}

/// SDMetrics' TVComplement: 1 − half the summed absolute differences of category shares.
fn tv_complement(real: &[Option<String>], synthetic: &[Option<String>]) -> f64 {
    let (a, b) = (shares(real), shares(synthetic));
    let keys: std::collections::HashSet<_> = a.keys().chain(b.keys()).collect();
    let distance: f64 = keys
        .into_iter()
        .map(|key| (a.get(*key).unwrap_or(&0.0) - b.get(*key).unwrap_or(&0.0)).abs())
        .sum();
    1.0 - distance / 2.0
}

#[test]
fn where_sex_female_follows_the_real_female_rows() {
    let (table, schema) = load("adult");
    let sex = table
        .column_names()
        .iter()
        .position(|n| *n == "sex")
        .expect("sex column");
    let real_sex = column_text(&table, sex);
    let female: Vec<usize> = (0..table.num_rows())
        .filter(|&row| real_sex[row].as_deref() == Some("Female"))
        .collect();
    for synthesizer in builtins() {
        let model = fit_default(&table, &schema, synthesizer.as_ref(), 11);
        let wanted = [("sex".to_string(), "Female".to_string())];
        if !synthesizer.capabilities().conditioning {
            let error = model.conditions(&wanted).expect_err("refused");
            assert_eq!(error.kind().exit_code(), 2, "{}", synthesizer.name());
            continue;
        }
        let conditions = model.conditions(&wanted).expect("valid condition");
        let synthetic = model
            .sample_where(10_000, Seed(12), &conditions)
            .expect("samples");
        let fake_sex = column_text(&synthetic, sex);
        assert!(
            fake_sex
                .iter()
                .all(|value| value.as_deref() == Some("Female")),
            "{}: a row broke the condition",
            synthesizer.name()
        );
        if synthesizer.name() == "independent" {
            continue; // No relations: the other columns follow everyone, not the subgroup.
        }
        let mut scores = Vec::new();
        for (index, codec) in model.codecs().iter().enumerate() {
            if index == sex {
                continue;
            }
            let real: Vec<Option<String>> = {
                let all = column_text(&table, index);
                female.iter().map(|&row| all[row].clone()).collect()
            };
            let fake = column_text(&synthetic, index);
            let score = match codec.kind {
                CodecKind::Numeric { .. } => {
                    let numbers = |values: &[Option<String>]| -> Vec<f64> {
                        values
                            .iter()
                            .flatten()
                            .filter_map(|v| v.parse().ok())
                            .collect()
                    };
                    ks_complement(&numbers(&real), &numbers(&fake))
                }
                _ => tv_complement(&real, &fake),
            };
            scores.push(score);
        }
        let column_shapes = scores.iter().sum::<f64>() / scores.len() as f64;
        assert!(
            column_shapes >= 0.95,
            "{}: column shapes against the real female rows {column_shapes:.4} < 0.95",
            synthesizer.name()
        );
    }
}

#[test]
fn impossible_conditions_are_usage_errors() {
    let (table, schema) = load("adult");
    let model = fit_default(&table, &schema, builtins()[0].as_ref(), 11);
    for (column, value, expected) in [
        ("sex", "Alien", "never produces 'Alien'"),
        ("colour", "red", "does not have"),
        ("age", "30", "only categorical"),
    ] {
        let error = model
            .conditions(&[(column.to_string(), value.to_string())])
            .expect_err("refused");
        assert_eq!(error.kind().exit_code(), 2);
        assert!(error.to_string().contains(expected), "{error}");
    }
}
