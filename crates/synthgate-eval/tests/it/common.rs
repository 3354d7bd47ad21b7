//! What the harness tests share: the Adult split every issue measures on, the peers' anchor
//! outputs, and preparing tables together.

use std::path::{Path, PathBuf};

use synthgate_core::{Schema, Table};
use synthgate_eval::Prepared;
use synthgate_io::{ReadOptions, read_table};

pub(crate) fn datasets() -> PathBuf {
    let dir = std::env::var("SYNTHGATE_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    assert!(
        dir.join("adult/data.csv").is_file(),
        "missing {}: put the shared datasets beside the repository or set SYNTHGATE_DATASETS",
        dir.display()
    );
    dir
}

pub(crate) fn take(table: &Table, rows: &[u32]) -> Table {
    synthgate_io::take_rows(table, rows).expect("rows taken")
}

/// The Adult train and holdout tables and the inferred schema.
pub(crate) fn adult_split() -> (Table, Table, Schema) {
    let (table, schema) = adult();
    let list = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/adult_train_rows.txt"),
    )
    .expect("row list");
    let train_rows: Vec<u32> = list
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.trim().parse().expect("row number"))
        .collect();
    assert_eq!(train_rows.len(), 26_049);
    let mut in_train = vec![false; table.num_rows()];
    for &row in &train_rows {
        in_train[row as usize] = true;
    }
    let holdout_rows: Vec<u32> = (0..table.num_rows() as u32)
        .filter(|&r| !in_train[r as usize])
        .collect();
    (
        take(&table, &train_rows),
        take(&table, &holdout_rows),
        schema,
    )
}

/// Two tables prepared together (so they share category codes).
pub(crate) fn prepare(real: &Table, synthetic: &Table, schema: &Schema) -> (Prepared, Prepared) {
    let mut both = synthgate_eval::prepare(schema, &[(real, "real"), (synthetic, "synthetic")])
        .expect("prepared");
    let synthetic = both.pop().expect("two");
    (both.pop().expect("two"), synthetic)
}

/// The rows of the full Adult table, with the inferred schema (`?` is missing).
pub(crate) fn adult() -> (Table, Schema) {
    let options = ReadOptions {
        extra_na_tokens: vec!["?".into()],
        ..ReadOptions::default()
    };
    let dataset = read_table(&datasets().join("adult/data.csv"), &options).expect("adult reads");
    let schema = synthgate_profile::profile(&dataset.table, None, &dataset.info.na_tokens)
        .to_schema()
        .expect("schema");
    (dataset.table, schema)
}

/// A peer's synthetic Adult table from `fixtures/` (made by the peer's own package from the
/// Adult train split; see bench/).
pub(crate) fn anchor(name: &str, schema: &Schema) -> Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name);
    let options = ReadOptions {
        schema: Some(schema),
        ..ReadOptions::default()
    };
    read_table(&path, &options).expect("anchor reads").table
}

/// Tables prepared together, in order.
pub(crate) fn prepare_all(schema: &Schema, tables: &[&Table]) -> Vec<Prepared> {
    let named: Vec<(&Table, &str)> = tables.iter().map(|t| (*t, "table")).collect();
    synthgate_eval::prepare(schema, &named).expect("prepared")
}
