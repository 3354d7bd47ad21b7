//! Loading the shared datasets for synthesizer tests.

use std::path::{Path, PathBuf};

use synthgate_core::{Schema, Seed, Table};
use synthgate_io::{ReadOptions, read_table};
use synthgate_synth::{FitConfig, Model, Protections, Synthesizer, fit};

/// The shared datasets folder: `$SYNTHGATE_DATASETS`, or `../shared/datasets` beside the
/// repository. A missing folder fails the test with instructions, never skips it.
pub(crate) fn dataset(name: &str) -> PathBuf {
    let dir = std::env::var("SYNTHGATE_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    let path = dir.join(name).join("data.csv");
    assert!(
        path.is_file(),
        "missing {}: put the shared datasets in shared/datasets beside the repository or set \
         SYNTHGATE_DATASETS",
        path.display()
    );
    path
}

/// The NA tokens each shared dataset needs (its README's "missing" column).
pub(crate) fn na_tokens(name: &str) -> Vec<String> {
    match name {
        "adult" | "diabetes130" | "heart_cleveland" => vec!["?".into()],
        "nist_acs_national2019" => vec!["N".into()],
        _ => Vec::new(),
    }
}

/// A shared dataset and its inferred schema.
pub(crate) fn load(name: &str) -> (Table, Schema) {
    let options = ReadOptions {
        extra_na_tokens: na_tokens(name),
        ..ReadOptions::default()
    };
    let dataset = read_table(&dataset(name), &options).expect("dataset reads");
    let schema = synthgate_profile::profile(&dataset.table, None, &dataset.info.na_tokens)
        .to_schema()
        .expect("schema");
    (dataset.table, schema)
}

/// Fit with default protections and `seed`.
pub(crate) fn fit_default(
    table: &Table,
    schema: &Schema,
    synthesizer: &dyn Synthesizer,
    seed: u64,
) -> Model {
    let config = FitConfig {
        seed: Seed(seed),
        protections: Protections::default(),
    };
    fit(table, schema, synthesizer, &config).expect("fits")
}

/// Text values of column `index`, `None` for missing.
pub(crate) fn column_text(table: &Table, index: usize) -> Vec<Option<String>> {
    let storage = table.storage_type(index);
    table
        .column_chunks(index)
        .flat_map(|chunk| {
            (0..chunk.len())
                .map(move |row| synthgate_core::text::format_cell(chunk.as_ref(), storage, row))
        })
        .collect()
}

/// The built-in synthesizers a seeded `fit` takes: all but the differentially private ones,
/// which are fitted only through `fit_dp` with a privacy budget (tested in `dp.rs`).
pub(crate) fn builtins() -> Vec<Box<dyn Synthesizer>> {
    synthgate_synth::builtins()
        .into_iter()
        .filter(|s| !s.capabilities().differential_privacy)
        .collect()
}

/// The dates (month, day) of the rows of `table` whose time (`time_hour`, UTC) is not its
/// parts' (`year`, `month`, `day`, `hour`) on New York's clock: 5 hours behind UTC from
/// December to February, 4 from April to October, either in March and November (the clocks
/// change within them).
pub(crate) fn clock_misses(table: &Table) -> Vec<(i64, i64)> {
    let at = |name: &str| {
        table
            .column_names()
            .iter()
            .position(|n| *n == name)
            .expect("a column")
    };
    let [year, month, day, hour, time] =
        ["year", "month", "day", "hour", "time_hour"].map(|name| table.numbers(at(name)));
    (0..table.num_rows())
        .filter(|&row| {
            let days = synthgate_core::text::days_from_civil(
                year[row] as i64,
                month[row] as i64,
                day[row] as i64,
            );
            let valid = synthgate_core::text::civil_from_days(days)
                == (year[row] as i64, month[row] as i64, day[row] as i64);
            let naive = (days * 24 + hour[row] as i64) as f64 * 3_600e6;
            let behind = (time[row] - naive) / 3_600e6;
            let expected: &[f64] = match month[row] as i64 {
                12 | 1 | 2 => &[5.0],
                4..=10 => &[4.0],
                _ => &[4.0, 5.0],
            };
            !valid || !expected.contains(&behind)
        })
        .map(|row| (month[row] as i64, day[row] as i64))
        .collect()
}
