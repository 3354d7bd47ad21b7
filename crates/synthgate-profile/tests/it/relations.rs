//! The relations of nycflights13's five real tables: keys, references with their real gaps
//! (the counts the shared datasets' README states), sequences, proposals, and bad input refused
//! naming the table, the column and the offending values and rows.

use std::path::{Path, PathBuf};

use synthgate_core::Table;
use synthgate_core::dataset::DatasetSchema;
use synthgate_io::{ReadOptions, read_table};
use synthgate_profile::relations::{LoadedTable, Proposal, check, propose, propose_sequence};

/// The shared datasets folder: `$SYNTHGATE_DATASETS`, or `../shared/datasets` beside the
/// repository. A missing folder fails the test with instructions, never skips it.
fn datasets() -> PathBuf {
    let dir = std::env::var("SYNTHGATE_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    assert!(
        dir.join("nycflights13_flights/data.csv").is_file(),
        "missing {}: put the shared datasets in shared/datasets beside the repository or set \
         SYNTHGATE_DATASETS",
        dir.display()
    );
    dir
}

const NAMES: [&str; 5] = ["airlines", "airports", "planes", "weather", "flights"];

fn dataset_toml(folder: &Path) -> String {
    let path = |name: &str| {
        folder
            .join(format!("nycflights13_{name}/data.csv"))
            .display()
            .to_string()
    };
    format!(
        r#"format_version = 1

[[tables]]
name = "airlines"
path = {airlines:?}
primary_key = ["carrier"]
public = true

[[tables]]
name = "airports"
path = {airports:?}
primary_key = ["faa"]

[[tables]]
name = "planes"
path = {planes:?}
primary_key = ["tailnum"]

[[tables]]
name = "weather"
path = {weather:?}
primary_key = ["origin", "time_hour"]

[[tables]]
name = "flights"
path = {flights:?}

[[references]]
from = "flights"
columns = ["carrier"]
to = "airlines"

[[references]]
from = "flights"
columns = ["tailnum"]
to = "planes"

[[references]]
from = "flights"
columns = ["origin"]
to = "airports"

[[references]]
from = "flights"
columns = ["dest"]
to = "airports"

[[references]]
from = "flights"
columns = ["origin", "time_hour"]
to = "weather"

[[references]]
from = "weather"
columns = ["origin"]
to = "airports"

[[sequences]]
table = "weather"
entity = ["origin"]
order = "time_hour"
"#,
        airlines = path("airlines"),
        airports = path("airports"),
        planes = path("planes"),
        weather = path("weather"),
        flights = path("flights"),
    )
}

fn read(path: &Path) -> Table {
    read_table(path, &ReadOptions::default())
        .expect("table reads")
        .table
}

struct Loaded {
    dataset: DatasetSchema,
    tables: Vec<(String, PathBuf, Table)>,
}

impl Loaded {
    fn new(text: &str) -> Loaded {
        let dataset = DatasetSchema::from_toml(text, Path::new("dataset.toml")).expect("valid");
        let tables = dataset
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.path.clone(), read(&t.path)))
            .collect();
        Loaded { dataset, tables }
    }

    fn views(&self) -> Vec<LoadedTable<'_>> {
        self.tables
            .iter()
            .map(|(name, path, table)| LoadedTable { name, path, table })
            .collect()
    }
}

#[test]
fn nycflights13_references_and_their_real_gaps() {
    let loaded = Loaded::new(&dataset_toml(&datasets()));
    let report = check(&loaded.dataset, &loaded.views()).expect("the real tables check");
    let order: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        order,
        ["airlines", "airports", "planes", "weather", "flights"]
    );
    let reference = |columns: &[&str], to: &str| {
        report
            .references
            .iter()
            .find(|r| r.columns == columns && r.to == to)
            .expect("reference")
    };
    // The README's counts: 50,094 flights name an aircraft missing from planes and 2,512 have
    // none; 7,602 go to four dest codes missing from airports; 1,556 have no weather row.
    let tailnum = reference(&["tailnum"], "planes");
    assert_eq!((tailnum.dangling, tailnum.missing), (50_094, 2_512));
    assert!(!tailnum.resolves_none, "most tail numbers resolve");
    assert_eq!(tailnum.rows, 336_776);
    let dest = reference(&["dest"], "airports");
    assert_eq!(
        (dest.dangling, dest.dangling_values, dest.missing),
        (7_602, 4, 0)
    );
    let codes: Vec<&str> = dest
        .dangling_examples
        .iter()
        .map(|(code, _)| code.as_str())
        .collect();
    for code in ["'BQN'", "'SJU'", "'STT'", "'PSE'"] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    let weather = reference(&["origin", "time_hour"], "weather");
    assert_eq!(weather.dangling + weather.missing, 1_556);
    // A station-hour missing from weather is shown as the file writes it, not as a count of
    // microseconds.
    let (hour, _) = &weather.dangling_examples[0];
    assert!(
        hour.starts_with("'EWR', '2013-") && hour.ends_with(":00:00Z'"),
        "{:?}",
        weather.dangling_examples
    );
    let carrier = reference(&["carrier"], "airlines");
    assert_eq!(
        (carrier.dangling, carrier.missing, carrier.childless_parents),
        (0, 0, 0)
    );
    assert!(carrier.max_children > 50_000, "{}", carrier.max_children);
    let sequence = &report.sequences[0];
    assert_eq!(sequence.entities, 3);
    assert!(sequence.length_min > 8_000, "{sequence:?}");
}

#[test]
fn keys_and_references_are_proposed_from_the_values() {
    let folder = datasets();
    let tables: Vec<(String, PathBuf, Table)> = NAMES
        .iter()
        .map(|name| {
            let path = folder.join(format!("nycflights13_{name}/data.csv"));
            (name.to_string(), path.clone(), read(&path))
        })
        .collect();
    let views: Vec<LoadedTable<'_>> = tables
        .iter()
        .map(|(name, path, table)| LoadedTable { name, path, table })
        .collect();
    let proposals = propose(&views);
    let key = |table: &str, columns: &[&str]| {
        proposals.iter().any(
            |p| matches!(p, Proposal::Key { table: t, columns: c } if t == table && c == columns),
        )
    };
    assert!(key("airlines", &["carrier"]), "{proposals:#?}");
    assert!(key("airports", &["faa"]), "{proposals:#?}");
    assert!(key("planes", &["tailnum"]), "{proposals:#?}");
    let reference = |from: &str, column: &str, to: &str| {
        proposals.iter().find_map(|p| match p {
            Proposal::Reference {
                from: f,
                columns,
                to: t,
                inclusion,
                ..
            } if f == from && columns == &[column.to_string()] && t == to => Some(*inclusion),
            _ => None,
        })
    };
    assert_eq!(reference("flights", "carrier", "airlines"), Some(1.0));
    let tailnum = reference("flights", "tailnum", "planes").expect("tailnum proposed");
    assert!((0.8..1.0).contains(&tailnum), "{tailnum}");
    assert!(
        reference("flights", "dest", "airports").is_some(),
        "{proposals:#?}"
    );
    // flights' row index is unique but names nothing: no reference points at it.
    assert!(
        !proposals
            .iter()
            .any(|p| matches!(p, Proposal::Reference { to, .. } if to == "flights")),
        "{proposals:#?}"
    );
}

/// `text` with data row `row` (0-based, after the header) appended again at the end.
fn with_repeated_row(text: &str, row: usize) -> String {
    let line = text.lines().nth(row + 1).expect("row");
    format!("{text}{line}\n")
}

#[test]
fn bad_relations_are_refused_naming_table_column_values_and_rows() {
    let folder = datasets();
    let dir = tempfile::tempdir().expect("dir");
    // Copies of the real tables, one changed at a time.
    for name in NAMES {
        let target = dir.path().join(format!("nycflights13_{name}"));
        std::fs::create_dir_all(&target).expect("mkdir");
        let source = folder.join(format!("nycflights13_{name}/data.csv"));
        if name == "flights" {
            // The first 2,000 flights keep the test quick.
            let text = std::fs::read_to_string(&source).expect("flights");
            let head: String = text.lines().take(2_001).map(|l| format!("{l}\n")).collect();
            std::fs::write(target.join("data.csv"), head).expect("write");
        } else {
            std::fs::copy(&source, target.join("data.csv")).expect("copy");
        }
    }
    let good = dataset_toml(dir.path());
    check(&Loaded::new(&good).dataset, &Loaded::new(&good).views()).expect("the copies check");
    let planes = dir.path().join("nycflights13_planes/data.csv");
    let original = std::fs::read_to_string(&planes).expect("planes");

    // A planes row repeated: its key is named with both rows.
    std::fs::write(&planes, with_repeated_row(&original, 4)).expect("write");
    let loaded = Loaded::new(&good);
    let error = check(&loaded.dataset, &loaded.views()).expect_err("duplicate key");
    let message = error.message();
    let tail = original
        .lines()
        .nth(5)
        .expect("row")
        .split(',')
        .next()
        .expect("tailnum");
    assert!(
        message.contains("table 'planes': its primary key (tailnum) is not unique")
            && message.contains(&format!("'{tail}' in rows 5, 3323")),
        "{message}"
    );
    assert_eq!(
        error.location().map(|l| (l.file.clone(), l.column.clone())),
        Some((planes.clone(), Some("tailnum".to_string())))
    );
    std::fs::write(&planes, &original).expect("restore");

    // A key column that the table does not have.
    let error = check(
        &Loaded::new(&good.replace("primary_key = [\"tailnum\"]", "primary_key = [\"tailnm\"]"))
            .dataset,
        &loaded.views(),
    )
    .expect_err("missing column");
    assert!(
        error
            .message()
            .contains("table 'planes' has no column 'tailnm' (named by its primary_key)"),
        "{}",
        error.message()
    );

    // A sequence whose order column has a missing value.
    let weather = dir.path().join("nycflights13_weather/data.csv");
    let text = std::fs::read_to_string(&weather).expect("weather");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let row = 10;
    let cut = lines[row + 1].rfind(',').expect("last field");
    lines[row + 1].truncate(cut + 1);
    std::fs::write(&weather, lines.join("\n") + "\n").expect("write");
    // (The weather key, which would refuse the missing value first, and its reference are
    // left out.)
    let text = good
        .replace("primary_key = [\"origin\", \"time_hour\"]\n", "")
        .replace(
            "[[references]]\nfrom = \"flights\"\ncolumns = [\"origin\", \"time_hour\"]\nto = \"weather\"\n",
            "",
        );
    assert!(!text.contains("\"time_hour\"]\nto"), "{text}");
    let loaded = Loaded::new(&text);
    let error = check(&loaded.dataset, &loaded.views()).expect_err("missing order value");
    assert!(
        error.message().contains(
            "table 'weather': the order column 'time_hour' of its sequence is missing in 1 \
             row(s): rows 11"
        ),
        "{}",
        error.message()
    );
    assert_eq!(
        error.location().and_then(|l| l.column.clone()),
        Some("time_hour".to_string())
    );
}

/// Patients numbered 1..n (as survival's pbc: a row index `rownames` and an `id` with the same
/// values) and visits naming them by `id`, several each, with an age that also falls inside
/// 1..n: `id` is the patients' key and the visits point at it; neither row index nor the age
/// is taken for a key or a reference, though their values fall inside 1..n too.
#[test]
fn a_row_index_is_a_key_where_a_column_of_its_name_points_at_it() {
    let dir = tempfile::tempdir().expect("dir");
    let mut patients = String::from("rownames,id,age\n");
    for id in 1..=200 {
        patients.push_str(&format!("{id},{id},{}\n", 20 + id % 60));
    }
    let mut visits = String::from("rownames,id,day,age\n");
    let mut row = 0;
    for id in (1..=200).filter(|id| id % 4 != 0) {
        for visit in 0..(1 + id % 5) {
            row += 1;
            visits.push_str(&format!("{row},{id},{},{}\n", 30 * visit, 20 + id % 60));
        }
    }
    let tables: Vec<(String, PathBuf, Table)> = [("patients", patients), ("visits", visits)]
        .into_iter()
        .map(|(name, text)| {
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, text).expect("write");
            let table = read(&path);
            (name.to_string(), path, table)
        })
        .collect();
    let views: Vec<LoadedTable<'_>> = tables
        .iter()
        .map(|(name, path, table)| LoadedTable { name, path, table })
        .collect();
    let proposals = propose(&views);
    let keys: Vec<(&str, &[String])> = proposals
        .iter()
        .filter_map(|p| match p {
            Proposal::Key { table, columns } => Some((table.as_str(), columns.as_slice())),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        [("patients", &["id".to_string()][..])],
        "{proposals:#?}"
    );
    let references: Vec<(&str, &str, &str)> = proposals
        .iter()
        .filter_map(|p| match p {
            Proposal::Reference {
                from, columns, to, ..
            } => Some((from.as_str(), columns[0].as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(references, [("visits", "id", "patients")], "{proposals:#?}");
}

/// The sequence a table holds, proposed from its values alone, on real tables: the patients
/// of diabetes130's encounters (ordered by encounter number, the race and sex of each patient
/// moved to a table of patients), the three stations of nycflights13's hourly weather, and
/// NOAA's storm tracks (`SYNTHGATE_STORMS`, written by `scripts/test`), whose storms are named
/// by a name and a year: a name reused in another year is split at the years between. Flat
/// tables of one row per person (Adult, NHEFS, Cleveland heart disease, nycflights13's planes
/// and airports) get none: a column of repeated values there (an age, an aircraft model) with
/// columns that follow it (an `older` flag, the model's engine) is no entity.
#[test]
fn the_sequence_of_one_table_is_proposed_from_its_values() {
    let folder = datasets();
    let propose_one = |name: &str, path: PathBuf| {
        let table = read(&path);
        let view = LoadedTable {
            name,
            path: &path,
            table: &table,
        };
        propose_sequence(&view, &[])
    };
    let diabetes = propose_one("encounters", folder.join("diabetes130/data.csv"))
        .expect("diabetes130's patients found");
    assert_eq!(diabetes.entity, ["patient_nbr"], "{diabetes:?}");
    assert_eq!(diabetes.order, "encounter_id", "{diabetes:?}");
    assert_eq!(diabetes.entities, 71_518);
    for column in ["race", "gender"] {
        assert!(
            diabetes.attributes.iter().any(|a| a == column),
            "{diabetes:?}"
        );
    }
    // A patient's age band, admission and diagnoses change between encounters; a drug given
    // in a handful of encounters ('No' in nearly every row) keeps its 'No' by chance.
    for column in [
        "age",
        "admission_type_id",
        "diag_1",
        "readmitted",
        "acetohexamide",
        "metformin-rosiglitazone",
    ] {
        assert!(
            !diabetes.attributes.iter().any(|a| a == column),
            "{diabetes:?}"
        );
    }
    let weather = propose_one("weather", folder.join("nycflights13_weather/data.csv"))
        .expect("the weather's stations found");
    assert_eq!(
        (weather.entity.as_slice(), weather.order.as_str()),
        (&["origin".to_string()][..], "time_hour"),
        "{weather:?}"
    );
    // A month holds one value over a station's long runs of hours, yet is no attribute.
    assert!(weather.attributes.is_empty(), "{weather:?}");
    let storms = std::env::var("SYNTHGATE_STORMS").expect(
        "SYNTHGATE_STORMS: the storm tracks, written by scripts/storm_tracks.py (scripts/test \
         makes them)",
    );
    let storms = propose_one("storms", PathBuf::from(storms)).expect("the storms found");
    assert_eq!(storms.entity, ["name", "year"], "{storms:?}");
    assert_eq!(storms.order, "time", "{storms:?}");
    assert_eq!(storms.entities, 655, "{storms:?}");
    for (name, file) in [
        ("adult", "adult/data.csv"),
        ("nhefs", "nhefs/data.csv"),
        ("heart", "heart_cleveland/data.csv"),
        ("planes", "nycflights13_planes/data.csv"),
        ("airports", "nycflights13_airports/data.csv"),
    ] {
        let found = propose_one(name, folder.join(file));
        assert!(found.is_none(), "{name}: {found:?}");
    }
    // Adult written sorted by `fnlwgt` with a row number first (as ggplot2's diamonds come
    // sorted by price, with R's row names): each weight's rows stand together in the file, and
    // the row number is unique and rises, yet orders nothing but the file.
    let text = std::fs::read_to_string(folder.join("adult/data.csv")).expect("adult");
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let weight = |line: &str| -> i64 {
        line.split(',')
            .nth(2)
            .and_then(|v| v.parse().ok())
            .expect("fnlwgt")
    };
    lines.sort_by_key(|line| weight(line));
    let mut sorted = format!("row,{header}\n");
    for (k, line) in lines.iter().enumerate() {
        sorted.push_str(&format!("{},{line}\n", k + 1));
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("adult_by_weight.csv");
    std::fs::write(&path, sorted).expect("write");
    let found = propose_one("adult_by_weight", path);
    assert!(found.is_none(), "adult sorted by fnlwgt: {found:?}");
}

/// A cohort's subjects and their dated diagnoses, real (survival's `nafld1` and `nafld3`,
/// written by scripts/nafld_tables.py; `$SYNTHGATE_NAFLD`, set by scripts/test). Both files
/// hold R's row names, numbers with gaps, and the subjects an `id` of 1..17,566 with gaps: every
/// whole number of the subjects (their ages, days of follow-up, row names) falls inside the
/// diagnoses' row names 88-90% of the time by chance alone. Only the diagnoses' `id`, which
/// names the subjects' key, points at it. The diagnoses are a sequence of days. Red with only gapless numberings held to their
/// names: the subjects' rownames, id, age and futime were proposed as references to the
/// diagnoses' row names.
#[test]
fn a_numbering_with_gaps_is_referenced_only_by_a_column_that_names_it_and_orders_nothing() {
    let folder = std::env::var("SYNTHGATE_NAFLD").unwrap_or_else(|_| {
        panic!(
            "SYNTHGATE_NAFLD is not set: scripts/test writes the real cohort tables \
             (scripts/nafld_tables.py DIR) and names their folder"
        )
    });
    let folder = PathBuf::from(folder);
    let tables: Vec<(String, PathBuf, Table)> = ["subjects", "events"]
        .into_iter()
        .map(|name| {
            let path = folder.join(format!("{name}.csv"));
            let table = read(&path);
            (name.to_string(), path, table)
        })
        .collect();
    let views: Vec<LoadedTable<'_>> = tables
        .iter()
        .map(|(name, path, table)| LoadedTable { name, path, table })
        .collect();
    let proposals = propose(&views);
    let keys: Vec<(&str, &str)> = proposals
        .iter()
        .filter_map(|p| match p {
            Proposal::Key { table, columns } => Some((table.as_str(), columns[0].as_str())),
            _ => None,
        })
        .collect();
    let references: Vec<(&str, &str, &str, &str)> = proposals
        .iter()
        .filter_map(|p| match p {
            Proposal::Reference {
                from,
                columns,
                to,
                to_columns,
                ..
            } => Some((
                from.as_str(),
                columns[0].as_str(),
                to.as_str(),
                to_columns[0].as_str(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        references,
        [("events", "id", "subjects", "id")],
        "{proposals:#?}"
    );
    assert!(keys.contains(&("subjects", "id")), "{proposals:#?}");
    assert!(!keys.iter().any(|(t, _)| *t == "events"), "{proposals:#?}");

    // The diagnoses are a sequence per subject in the order of their days, though 7.6% of the
    // steps repeat a day (several diagnoses at once): never the row names, a numbering that
    // rises with the file as any row number does. Red with gapless numberings alone taken for
    // row numbers (the row names were proposed), or with ties refused (none was).
    let (_, path, events) = &tables[1];
    let view = LoadedTable {
        name: "events",
        path,
        table: events,
    };
    let sequence = propose_sequence(&view, &[vec!["id".to_string()]]).expect("a sequence");
    assert_eq!(sequence.entity, ["id"], "{sequence:?}");
    assert_eq!(sequence.order, "days", "{sequence:?}");
    assert_eq!(sequence.entities, 12_454, "{sequence:?}");
}
