//! `convert` between CSV and Parquet: values survive, outputs are deterministic, and reading
//! handles the CSV dialects users have (BOM, semicolons, tabs, quotes, NA tokens).

use crate::support::{dataset, stderr, stdout, synthgate};

fn convert(input: &std::path::Path, output: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "convert".to_string(),
        input.display().to_string(),
        "--out".into(),
        output.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let result = synthgate(&args);
    assert!(result.status.success(), "{}", stderr(&result));
}

fn inspect_json(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "inspect".to_string(),
        path.display().to_string(),
        "--json".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = synthgate(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("json")
}

/// CSV -> Parquet -> CSV keeps every value and type of a real dataset with missing values,
/// floats and UTC timestamps; converting twice gives byte-identical files.
#[test]
fn flights_round_trip_through_parquet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let parquet = dir.path().join("flights.parquet");
    let csv = dir.path().join("flights.csv");
    convert(&dataset("nycflights13_flights"), &parquet, &[]);
    convert(&parquet, &csv, &[]);
    let original = inspect_json(&dataset("nycflights13_flights"), &[]);
    let from_parquet = inspect_json(&parquet, &[]);
    let round_tripped = inspect_json(&csv, &[]);
    assert_eq!(original["columns"], from_parquet["columns"]);
    assert_eq!(original["columns"], round_tripped["columns"]);

    let again = dir.path().join("again.parquet");
    convert(&dataset("nycflights13_flights"), &again, &[]);
    assert_eq!(
        std::fs::read(&parquet).expect("read"),
        std::fs::read(&again).expect("read"),
        "Parquet output is not deterministic"
    );
    let first_line = std::fs::read_to_string(&csv).expect("read");
    let mut lines = first_line.lines();
    assert_eq!(
        lines.next(),
        Some(
            "rownames,year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour"
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "1,2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,1545,N14228,EWR,IAH,227.0,1400,5,15,2013-01-01T10:00:00Z"
        )
    );
}

/// Semicolons, a UTF-8 BOM, Windows line ends, quoted fields with delimiters and newlines,
/// and NA tokens in any letter case all read as a person would expect.
#[test]
fn csv_dialects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dialect.csv");
    std::fs::write(
        &path,
        "\u{feff}id;name;score;zip\r\n1;\"Smith; Ann\";1.5;02139\r\n2;\"line\nbreak\";na;10001\r\n3;Bob;N/A;\r\n",
    )
    .expect("write");
    let profile = inspect_json(&path, &[]);
    assert_eq!(profile["delimiter"], ";");
    assert_eq!(profile["rows"], 3);
    let columns = profile["columns"].as_array().expect("columns");
    assert_eq!(
        columns[0]["name"], "id",
        "the BOM must not stick to the first name"
    );
    assert_eq!(columns[2]["storage"], "float64");
    assert_eq!(columns[2]["missing"], 2);
    // Leading zeros keep ZIP codes as text.
    assert_eq!(columns[3]["storage"], "string");
    assert_eq!(columns[3]["missing"], 1);

    let out = dir.path().join("out.csv");
    convert(&path, &out, &[]);
    let written = std::fs::read_to_string(&out).expect("read");
    // Missing values are written as the source writes them, column by column: `na` in the
    // score column, an empty field in the ZIP column.
    assert_eq!(
        written,
        "id,name,score,zip\n1,Smith; Ann,1.5,02139\n2,\"line\nbreak\",na,10001\n3,Bob,na,\n"
    );

    let tsv = dir.path().join("tabs.tsv");
    std::fs::write(&tsv, "a\tb\n1\tx,y\n").expect("write");
    let profile = inspect_json(&tsv, &[]);
    assert_eq!(profile["delimiter"], "\t");
    assert_eq!(profile["columns"][1]["top_values"][0]["value"], "x,y");
}

#[test]
fn convert_refuses_existing_output_and_bad_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "keep me").expect("write");
    let data = dataset("heart_cleveland").display().to_string();
    let output = synthgate(["convert", &data, "--out", &out.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "keep me");
    let output = synthgate([
        "convert",
        &data,
        "--out",
        &dir.path().join("x.json").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("'.json'"));
}
