//! Every model file `fit` writes reads back and samples, whatever the table: integers of any
//! size, floats of extreme magnitudes and NaN (a missing value), text, booleans and missing
//! values, with each built-in synthesizer.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use proptest::prelude::*;
use synthgate_core::{Seed, StorageType, Table};
use synthgate_synth::{FitConfig, Model, Protections, fit};

use crate::support::builtins;

/// Floats as a table may hold them: ordinary, of any magnitude (subnormal to `f64::MAX`), and
/// NaN.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -1e6f64..1e6,
        2 => prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
        3 => prop::sample::select(vec![f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 1e300, -1e300]),
        1 => Just(f64::NAN),
    ]
}

type Row = (
    Option<i64>,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<bool>,
    Option<f64>,
);

fn row() -> impl Strategy<Value = Row> {
    (
        prop::option::weighted(0.85, prop_oneof![any::<i64>(), -1000i64..1000]),
        prop::option::weighted(0.85, float()),
        // A column of few, extreme values: profiled as categorical or continuous, and with
        // neighbours whose difference overflows (-1e300 and f64::MAX), as interpolation meets.
        prop::option::weighted(
            0.85,
            prop::sample::select(vec![f64::MAX, -f64::MAX, 1e300, -1e300, 0.5, 7.0]),
        ),
        prop::option::weighted(0.85, "[a-d]{1,2}"),
        prop::option::weighted(0.85, any::<bool>()),
        // Whole numbers at both ends of the float range, profiled as numbers: the difference
        // of two neighbours overflows, as quantile interpolation meets it.
        prop::option::weighted(
            0.85,
            prop::sample::select(vec![f64::MAX, -f64::MAX, 1e300, -1e300]),
        ),
    )
}

fn table_of(rows: &[Row]) -> Table {
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "count",
            Arc::new(rows.iter().map(|row| row.0).collect::<Int64Array>()),
        ),
        (
            "amount",
            Arc::new(rows.iter().map(|row| row.1).collect::<Float64Array>()),
        ),
        (
            "level",
            Arc::new(rows.iter().map(|row| row.2).collect::<Float64Array>()),
        ),
        (
            "label",
            Arc::new(
                rows.iter()
                    .map(|row| row.3.clone())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "flag",
            Arc::new(rows.iter().map(|row| row.4).collect::<BooleanArray>()),
        ),
        (
            "edge",
            Arc::new(rows.iter().map(|row| row.5).collect::<Float64Array>()),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).expect("batch");
    Table::new(batch.schema(), vec![batch]).expect("table")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_model_file_fit_writes_reads_back_and_samples(
        rows in prop::collection::vec(row(), 1..80),
        min_category_count in 1usize..12,
        tail_count in 1usize..4,
        seed in any::<u64>(),
    ) {
        let table = table_of(&rows);
        // The readers turn NaN into a missing value before profiling sees it; the codec takes
        // a NaN left in a table built in memory as missing too, so fit the table as it is.
        let read: Vec<Row> = rows
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.1 = row.1.filter(|value| !value.is_nan());
                row
            })
            .collect();
        let mut schema = synthgate_profile::profile(&table_of(&read), None, &[])
            .to_schema()
            .expect("a schema for any table of finite numbers");
        // Model `edge` as numbers (profiling may call so few values categories), as a user's
        // schema may.
        let edge = schema.index_of("edge").expect("edge");
        schema.columns[edge].semantic = synthgate_core::SemanticType::Continuous;
        schema.columns[edge].categories = None;
        let config = FitConfig {
            seed: Seed(seed),
            protections: Protections { min_category_count, tail_count },
        };
        for synthesizer in builtins() {
            let name = synthesizer.name();
            let model = fit(&table, &schema, synthesizer.as_ref(), &config)
                .unwrap_or_else(|error| panic!("{name}: fit failed: {error}"));
            let bytes = model.to_bytes();
            let text = String::from_utf8(bytes.clone()).expect("utf-8");
            let loaded = Model::from_bytes(&bytes, Path::new("model.json"))
                .unwrap_or_else(|error| panic!("{name}: the model file does not read back: {error}\n{text}"));
            prop_assert!(loaded.to_bytes() == bytes, "{}: not the same file after reading", name);
            let sampled = loaded.sample(50, Seed(seed ^ 1))
                .unwrap_or_else(|error| panic!("{name}: sampling failed: {error}"));
            prop_assert_eq!(sampled.num_rows(), 50);
            let from_memory = model.sample(50, Seed(seed ^ 1)).expect("sample");
            prop_assert_eq!(
                from_memory.batches(),
                sampled.batches(),
                "{}: the loaded model samples differently", name
            );
            for index in 0..sampled.num_columns() {
                if sampled.storage_type(index) == StorageType::Float64 {
                    for value in sampled.numbers(index) {
                        prop_assert!(!value.is_infinite(), "{}: sampled an infinity", name);
                    }
                }
            }
        }
    }
}

fn small_table(amount: f64) -> Table {
    let rows: Vec<Row> = (0..60)
        .map(|index| {
            (
                Some(index),
                Some(if index == 7 {
                    amount
                } else {
                    index as f64 * 0.5
                }),
                Some(7.0),
                Some("a".to_string()),
                Some(index % 2 == 0),
                Some(-1e300),
            )
        })
        .collect();
    table_of(&rows)
}

fn fit_error(table: &Table, schema: &synthgate_core::Schema) -> synthgate_core::Error {
    let config = FitConfig {
        seed: Seed(1),
        protections: Protections::default(),
    };
    fit(table, schema, builtins()[0].as_ref(), &config).expect_err("must be refused")
}

/// A table built in memory can hold an infinity, which the readers refuse: fitting refuses it
/// too, naming the column, instead of writing a model file that cannot be read.
#[test]
fn an_infinity_in_a_table_is_refused_by_fit() {
    let schema = synthgate_profile::profile(&small_table(1.0), None, &[])
        .to_schema()
        .expect("schema");
    for value in [f64::INFINITY, f64::NEG_INFINITY] {
        let error = fit_error(&small_table(value), &schema);
        assert_eq!(error.kind().exit_code(), 3, "{error}");
        assert!(error.to_string().contains("column 'amount'"), "{error}");
    }
    // NaN is a missing value: it fits.
    let config = FitConfig {
        seed: Seed(1),
        protections: Protections::default(),
    };
    fit(
        &small_table(f64::NAN),
        &schema,
        builtins()[0].as_ref(),
        &config,
    )
    .expect("fits");
}

/// A non-finite number that reaches the model by another way (here a schema bound set in code,
/// which `Schema::new` would have refused) makes `fit` fail as a bug would, never write `null`.
#[test]
fn a_non_finite_number_in_a_model_is_an_internal_error() {
    let table = small_table(1.0);
    let mut schema = synthgate_profile::profile(&table, None, &[])
        .to_schema()
        .expect("schema");
    let amount = schema.index_of("amount").expect("column");
    schema.columns[amount].max = Some(synthgate_core::Bound::Float(f64::NAN));
    let error = fit_error(&table, &schema);
    assert_eq!(error.kind().exit_code(), 1, "{error}");
    assert!(
        error.to_string().contains("NaN at schema.columns.[1].max"),
        "{error}"
    );
}
