//! Synthetic values in the source's own form, on every shared dataset and every built-in
//! synthesizer: the decimal places the source writes, its point masses with their shares, and
//! the granularity and range of its dates and timestamps. One test per property.

use synthgate_core::numbers::{decimals_of, round_to_decimals};
use synthgate_core::{Seed, StorageType, Table};
use synthgate_synth::Model;
use synthgate_synth::codec::CodecKind;

use crate::support::{builtins, column_text, fit_default, load};

const DATASETS: [&str; 10] = [
    "adult",
    "diabetes130",
    "heart_cleveland",
    "nhefs",
    "nist_acs_national2019",
    "nycflights13_flights",
    "nycflights13_airports",
    "nycflights13_planes",
    "nycflights13_weather",
    "nycflights13_airlines",
];

/// Rows sampled per model, whatever the training size.
const ROWS: usize = 20_000;

/// Every (dataset, synthesizer) pair: the training table, the fitted model and its sample.
fn each_model(mut check: impl FnMut(&str, &Table, &Model, &Table)) {
    for name in DATASETS {
        let (table, schema) = load(name);
        for synthesizer in builtins() {
            let model = fit_default(&table, &schema, synthesizer.as_ref(), 1);
            let synthetic = model.sample(ROWS, Seed(2)).expect("samples");
            let label = format!("{name}/{}", synthesizer.name());
            // The training table's columns that are in the output (dropped ones are not), in
            // the output's order, so a column index means the same column in both.
            let names: Vec<String> = synthetic
                .column_names()
                .iter()
                .map(|n| n.to_string())
                .collect();
            let kept = table.select(&names).expect("output columns");
            check(&label, &kept, &model, &synthetic);
        }
    }
}

/// Decimal places of a value as written (0 for whole numbers).
fn places(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// Float columns the source writes with a fixed number of decimal places (prices with two,
/// coordinates with five, whole numbers stored as floats with none) come out with no more, in
/// value and as written.
#[test]
fn numeric_precision_matches_the_source() {
    let mut checked = 0;
    each_model(|label, table, _model, synthetic| {
        for index in 0..table.num_columns() {
            if table.storage_type(index) != StorageType::Float64 {
                continue;
            }
            let Some(decimals) = decimals_of(&table.numbers(index)) else {
                continue;
            };
            checked += 1;
            let name = table.column_names()[index];
            let bad = synthetic
                .numbers(index)
                .into_iter()
                .find(|v| !v.is_nan() && round_to_decimals(*v, decimals) != *v);
            assert!(
                bad.is_none(),
                "{label} {name}: the source has {decimals} decimal places, a synthetic value \
                 is {bad:?}"
            );
            // As written: no more places than the source's values show (`63.0` is one).
            let shown = |t: &Table| {
                column_text(t, index)
                    .iter()
                    .flatten()
                    .map(|text| places(text))
                    .max()
                    .unwrap_or(0)
            };
            let (real, fake) = (shown(table), shown(synthetic));
            assert!(
                fake <= real,
                "{label} {name}: synthetic values are written with {fake} places, the source's \
                 with at most {real}"
            );
        }
    });
    // Adult and NHEFS hold whole numbers stored as floats, weather and airports fixed places.
    assert!(
        checked >= 30,
        "only {checked} fixed-precision columns were checked"
    );
}

/// Values many training rows hold (40 hours a week, a capital gain of 0) are drawn exactly, not
/// smeared into their neighbours. Each point mass the codec lists (values held by at least the
/// rare-category threshold of rows) that holds at least 2% of a column's present values:
/// - from `independent`, whose marginals are the training marginals, has its real share within
///   three standard errors of the sample plus 0.005;
/// - from every synthesizer, is produced (at least a third of its real share), and all the
///   column's point masses together hold their real total share within 0.05: a model's own
///   error in a conditional distribution moves single values (cart's sequential trees move a
///   flight distance with its destination), not the mass that sits on exact values.
#[test]
fn point_masses_keep_their_shares() {
    let mut checked = 0;
    each_model(|label, table, model, synthetic| {
        for codec in model.codecs() {
            let CodecKind::Numeric { masses, .. } = &codec.kind else {
                continue;
            };
            let Some(index) = table.column_names().iter().position(|n| *n == codec.name) else {
                continue;
            };
            let present = |t: &Table| -> Vec<f64> {
                t.numbers(index)
                    .into_iter()
                    .filter(|v| !v.is_nan())
                    .collect()
            };
            let (real, fake) = (present(table), present(synthetic));
            if real.is_empty() || fake.is_empty() || masses.is_empty() {
                continue;
            }
            let share = |values: &[f64], mass: f64| {
                values.iter().filter(|v| **v == mass).count() as f64 / values.len() as f64
            };
            let total = |values: &[f64]| masses.iter().map(|&m| share(values, m)).sum::<f64>();
            let (real_total, fake_total) = (total(&real), total(&fake));
            assert!(
                (real_total - fake_total).abs() <= 0.05,
                "{label} {}: point masses hold {real_total:.4} of the real values and \
                 {fake_total:.4} of the synthetic ones",
                codec.name
            );
            for &mass in masses {
                let (real_share, fake_share) = (share(&real, mass), share(&fake, mass));
                if real_share < 0.02 {
                    continue;
                }
                checked += 1;
                let error = (real_share * (1.0 - real_share) / fake.len() as f64).sqrt();
                let close = if label.ends_with("/independent") {
                    (fake_share - real_share).abs() <= 3.0 * error + 0.005
                } else {
                    fake_share >= real_share / 3.0
                };
                assert!(
                    close,
                    "{label} {}: value {mass} holds {real_share:.4} of the real values and \
                     {fake_share:.4} of the synthetic ones",
                    codec.name
                );
            }
        }
    });
    assert!(checked >= 100, "only {checked} point masses were checked");
}

/// Dates and timestamps come out at the source's granularity (the largest of a day, an hour, a
/// minute, a second that divides every real value) and within its range.
#[test]
fn date_granularity_and_range_match_the_source() {
    const UNITS: [(f64, &str); 4] = [
        (86_400e6, "day"),
        (3_600e6, "hour"),
        (60e6, "minute"),
        (1e6, "second"),
    ];
    let mut checked = 0;
    each_model(|label, table, _model, synthetic| {
        for index in 0..table.num_columns() {
            let storage = table.storage_type(index);
            if !storage.is_temporal() {
                continue;
            }
            checked += 1;
            let name = table.column_names()[index];
            let real: Vec<f64> = table
                .numbers(index)
                .into_iter()
                .filter(|v| !v.is_nan())
                .collect();
            let fake: Vec<f64> = synthetic
                .numbers(index)
                .into_iter()
                .filter(|v| !v.is_nan())
                .collect();
            let (low, high) = real
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
            assert!(
                fake.iter().all(|v| (low..=high).contains(v)),
                "{label} {name}: a value outside the source's range"
            );
            // Dates are whole days already; timestamps are microseconds.
            if storage == StorageType::Date {
                assert!(fake.iter().all(|v| v.fract() == 0.0), "{label} {name}");
                continue;
            }
            let (unit, unit_name) = UNITS
                .into_iter()
                .find(|(unit, _)| real.iter().all(|v| v % unit == 0.0))
                .unwrap_or((1.0, "microsecond"));
            let bad = fake.iter().find(|v| *v % unit != 0.0);
            assert!(
                bad.is_none(),
                "{label} {name}: the source's values are whole {unit_name}s, a synthetic value \
                 ({bad:?} µs) is not"
            );
        }
    });
    // time_hour in flights and weather, for each built-in.
    assert!(checked >= 6, "only {checked} temporal columns were checked");
}
