//! Every built-in on every shared dataset keeps each column's type, domain and missing rate,
//! applies the privacy protections, and is deterministic across thread counts.

use std::collections::{HashMap, HashSet};

use synthgate_core::{RARE_TOKEN, Seed, SemanticType};
use synthgate_synth::Protections;
use synthgate_synth::codec::CodecKind;

use crate::support::{builtins, column_text, fit_default, load};

const DATASETS: [&str; 6] = [
    "adult",
    "diabetes130",
    "heart_cleveland",
    "nhefs",
    "nist_acs_national2019",
    "nycflights13_flights",
];

fn numeric(values: &[Option<String>]) -> Vec<f64> {
    values
        .iter()
        .flatten()
        .filter_map(|text| {
            text.parse::<f64>().ok().or_else(|| {
                synthgate_core::text::parse_timestamp(text)
                    .map(|stamp| stamp.micros as f64)
                    .or_else(|| synthgate_core::text::parse_date(text).map(f64::from))
            })
        })
        .collect()
}

#[test]
fn output_keeps_types_domains_and_missing_rates() {
    let k = Protections::default().min_category_count;
    for name in DATASETS {
        let (table, schema) = load(name);
        for synthesizer in builtins() {
            let model = fit_default(&table, &schema, synthesizer.as_ref(), 1);
            // 20,000 rows whatever the training size, so sampling noise in rates stays small
            // (a missing rate's standard error is at most 0.0035).
            let rows = 20_000;
            let synthetic = model.sample(rows, Seed(2)).expect("samples");
            let label = format!("{name}/{}", synthesizer.name());
            assert_eq!(synthetic.num_rows(), rows, "{label}");
            assert_eq!(synthetic.column_names(), table.column_names(), "{label}");
            for (index, column) in schema.columns.iter().enumerate() {
                assert_eq!(
                    synthetic.storage_type(index),
                    table.storage_type(index),
                    "{label} {}",
                    column.name
                );
                let real = column_text(&table, index);
                let fake = column_text(&synthetic, index);
                let real_missing =
                    real.iter().filter(|v| v.is_none()).count() as f64 / real.len() as f64;
                let fake_missing =
                    fake.iter().filter(|v| v.is_none()).count() as f64 / fake.len() as f64;
                assert!(
                    (real_missing - fake_missing).abs() < 0.02,
                    "{label} {}: missing {real_missing:.3} vs {fake_missing:.3}",
                    column.name
                );
                match &model.codecs()[index].kind {
                    CodecKind::Identifier => {
                        let distinct: HashSet<&Option<String>> = fake.iter().collect();
                        assert_eq!(
                            distinct.len(),
                            fake.len(),
                            "{label} {}: keys unique",
                            column.name
                        );
                    }
                    CodecKind::Categorical { .. } => {
                        let mut counts: HashMap<&str, usize> = HashMap::new();
                        for value in real.iter().flatten() {
                            *counts.entry(value.as_str()).or_default() += 1;
                        }
                        // Rare values of a text column are pooled into one token, which no
                        // training row holds; every other value is held by at least k rows.
                        for value in fake.iter().flatten().filter(|v| *v != RARE_TOKEN) {
                            let count = counts.get(value.as_str()).copied().unwrap_or(0);
                            assert!(
                                count >= k,
                                "{label} {}: value {value:?} held by {count} training rows (< {k}) appeared",
                                column.name
                            );
                        }
                    }
                    CodecKind::Numeric { .. } => {
                        let mut real_values = numeric(&real);
                        real_values.sort_by(f64::total_cmp);
                        let fake_values = numeric(&fake);
                        let (min, max) = (real_values[0], real_values[real_values.len() - 1]);
                        let held =
                            |extreme: f64| real_values.iter().filter(|&&v| v == extreme).count();
                        for value in &fake_values {
                            assert!(
                                *value >= min && *value <= max,
                                "{label} {}: {value} outside [{min}, {max}]",
                                column.name
                            );
                        }
                        // Privacy: an extreme held by fewer than k rows is never reproduced.
                        for extreme in [min, max] {
                            if held(extreme) < k {
                                assert!(
                                    !fake_values.contains(&extreme),
                                    "{label} {}: rare extreme {extreme} reproduced",
                                    column.name
                                );
                            }
                        }
                        if column.semantic == SemanticType::Integer {
                            assert!(
                                fake_values.iter().all(|v| v.fract() == 0.0),
                                "{label} {}",
                                column.name
                            );
                        }
                    }
                    CodecKind::Dropped { reason } => {
                        panic!("{label} {}: dropped: {reason}", column.name)
                    }
                }
            }
        }
    }
}

/// Byte-identical output with one thread and with four, and the same rows for the same seed.
#[test]
fn sampling_is_identical_across_thread_counts() {
    let (table, schema) = load("nycflights13_flights");
    for synthesizer in builtins() {
        let model = fit_default(&table, &schema, synthesizer.as_ref(), 5);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut outputs = Vec::new();
        for threads in [1, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let sample = pool
                .install(|| model.sample(50_000, Seed(9)))
                .expect("samples");
            let path = dir.path().join(format!("{threads}.parquet"));
            synthgate_io::write_table(&sample, &path, synthgate_io::Overwrite::Refuse)
                .expect("write");
            let csv = dir.path().join(format!("{threads}.csv"));
            synthgate_io::write_table(&sample, &csv, synthgate_io::Overwrite::Refuse)
                .expect("write");
            outputs.push((
                std::fs::read(&path).expect("read"),
                std::fs::read(&csv).expect("read"),
            ));
        }
        assert!(
            outputs[0] == outputs[1],
            "{}: output depends on the thread count",
            synthesizer.name()
        );
        let other_seed = model.sample(1000, Seed(10)).expect("samples");
        let same_seed = model.sample(1000, Seed(9)).expect("samples");
        assert_ne!(column_text(&other_seed, 3), column_text(&same_seed, 3));
    }
}

/// Fitting is deterministic too: same data, schema, seed give the same model file.
#[test]
fn fitting_is_deterministic() {
    let (table, schema) = load("adult");
    for synthesizer in builtins() {
        let first = fit_default(&table, &schema, synthesizer.as_ref(), 3).to_bytes();
        let second = fit_default(&table, &schema, synthesizer.as_ref(), 3).to_bytes();
        assert!(first == second, "{}", synthesizer.name());
    }
}
