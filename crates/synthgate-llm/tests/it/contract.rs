//! Each test starts a real HTTP server on 127.0.0.1 whose answers are chosen per request, runs
//! `generate` against it, and checks the records, the reject counts, the log and the errors.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use synthgate_core::ErrorKind;
use synthgate_llm::{GenerateSpec, RunOptions, generate};

use crate::fake_server::{Answer, FakeServer, Received, chat};

/// A spec for `records` records of (age, sex, note) against `base_url`, with `server_extra`
/// TOML appended to the [server] section.
fn spec(base_url: &str, server_extra: &str, records: usize) -> GenerateSpec {
    let text = format!(
        r#"
[server]
base_url = "{base_url}"
model = "fake-model"
retries = 2
backoff_seconds = 0.01
timeout_seconds = 5
{server_extra}

[generation]
records = {records}
seed = 11
prompt = "Patient record {{record}} of {{records}} ({{sex_hint}}):"
max_tokens = 60

[[columns]]
name = "age"
type = "integer"
min = 0
max = 110

[[columns]]
name = "sex"
type = "string"
enum = ["F", "M"]

[[columns]]
name = "note"
type = "text"
max_length = 80

[[conditions]]
name = "sex_hint"
values = ["female", "male"]
"#
    );
    let spec: GenerateSpec = toml::from_str(&text).expect("spec parses");
    spec.check(&text, Path::new("test.toml"))
        .expect("spec checks");
    spec
}

/// A valid, distinct record for a request: derived from its seed, so a repeated seed gives a
/// repeated record and different seeds different records.
fn record_for(request: &Received) -> String {
    let seed = request.body["seed"]
        .as_u64()
        .expect("a seed in every request");
    json!({"age": seed % 90, "sex": if seed.is_multiple_of(2) {"F"} else {"M"},
           "note": format!("Seen for follow-up visit number {seed}.")})
    .to_string()
}

fn run(
    spec: &GenerateSpec,
    log: &Path,
    resume: bool,
) -> synthgate_core::Result<synthgate_llm::Generation> {
    generate(
        spec,
        &RunOptions {
            log,
            resume,
            overwrite_log: false,
            replay_only: false,
            seed_rows: None,
        },
        &mut |_, _| Ok(()),
    )
}

fn log_entries(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("log line is JSON"))
        .collect()
}

#[test]
fn valid_records_are_logged_in_full_and_the_key_never_is() {
    let server = FakeServer::start(&["fake-model"], |r, _| chat(&record_for(r), "stop"));
    // The API key comes from the environment: PATH is always set, so it stands in for one
    // here (the CLI tests set a real key variable on the child process).
    let key = std::env::var("PATH").expect("PATH is set");
    let spec = spec(
        &server.base_url,
        "api_key_env = \"PATH\"\n[server.extra]\ncache_prompt = false",
        4,
    );
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("run.jsonl");
    let generation = run(&spec, &log, false).expect("run");
    assert_eq!(generation.records.len(), 4);
    assert_eq!(generation.table.num_rows(), 4);
    assert_eq!(generation.summary.responses, 4);
    assert_eq!(generation.summary.yield_share, 1.0);
    assert_eq!(generation.summary.usage.completion_tokens, 40);
    let requests = server.completions();
    assert_eq!(requests.len(), 4);
    // The request as the API expects it: schema, seed, pass-through field, bearer key.
    let first = &requests[0];
    assert_eq!(first.path, "/v1/chat/completions");
    assert_eq!(first.body["response_format"]["type"], "json_schema");
    assert_eq!(
        first.body["response_format"]["json_schema"]["schema"]["properties"]["sex"]["enum"],
        json!(["F", "M"])
    );
    assert_eq!(first.body["cache_prompt"], false);
    assert_eq!(first.body["max_tokens"], 60);
    assert!(
        first
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && *v == format!("Bearer {key}"))
    );
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(!text.contains(&key), "the API key reached the log");
    let entries = log_entries(&log);
    assert_eq!(entries[0]["type"], "run");
    assert_eq!(
        entries[0]["base_url_host"],
        server.base_url.trim_start_matches("http://")
    );
    let responses: Vec<&Value> = entries.iter().filter(|e| e["type"] == "response").collect();
    assert_eq!(responses.len(), 4);
    for entry in &responses {
        for key in [
            "prompt",
            "request",
            "seed",
            "model",
            "system_fingerprint",
            "usage",
            "content",
            "outcome",
            "wall_ms",
        ] {
            assert!(!entry[key].is_null(), "log entry lacks {key}: {entry}");
        }
        assert_eq!(entry["request"]["seed"], entry["seed"]);
        assert!(
            entry["prompt"]
                .as_str()
                .expect("prompt")
                .starts_with("Patient record ")
        );
    }
    // Every variable is filled: the record number, the count and a drawn condition value.
    for (slot, entry) in responses.iter().enumerate() {
        let prompt = entry["prompt"].as_str().expect("prompt");
        let slot = entry["slot"].as_u64().map_or(slot, |s| s as usize);
        let head = format!("Patient record {} of 4 (", slot + 1);
        assert!(
            prompt.starts_with(&head)
                && (prompt.ends_with("(female):") || prompt.ends_with("(male):")),
            "{prompt}"
        );
    }
}

#[test]
fn malformed_invalid_truncated_and_duplicate_answers_are_rejected_and_retried() {
    // Request n (0-based) gets: 0 malformed JSON, 1 a schema violation, 2 a truncation,
    // 3 a valid record, 4 the same record again (duplicate), then valid records.
    let server = FakeServer::start(&["fake-model"], |r, n| match n {
        0 => chat("{\"age\": 40, \"sex\": ", "stop"),
        1 => chat(r#"{"age": 400, "sex": "F", "note": "x"}"#, "stop"),
        2 => chat(r#"{"age": 40, "sex": "F", "no"#, "length"),
        3 | 4 => chat(r#"{"age": 40, "sex": "F", "note": "same"}"#, "stop"),
        _ => chat(&record_for(r), "stop"),
    });
    let spec = spec(&server.base_url, "", 4);
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("run.jsonl");
    let generation = run(&spec, &log, false).expect("run");
    assert_eq!(generation.records.len(), 4, "{:?}", generation.summary);
    let rejects = &generation.summary.rejects;
    assert_eq!(rejects.get("not_json"), Some(&1), "{rejects:?}");
    assert_eq!(rejects.get("schema"), Some(&1), "{rejects:?}");
    assert_eq!(rejects.get("truncated"), Some(&1), "{rejects:?}");
    assert_eq!(rejects.get("duplicate"), Some(&1), "{rejects:?}");
    assert_eq!(
        generation.summary.schema_rejects_by_column.get("age"),
        Some(&1)
    );
    assert_eq!(generation.summary.responses, 8);
    // Each retry used a new derived seed.
    let seeds: std::collections::BTreeSet<u64> = server
        .completions()
        .iter()
        .map(|r| r.body["seed"].as_u64().expect("seed"))
        .collect();
    assert_eq!(seeds.len(), 8);
    let decisions: Vec<String> = log_entries(&log)
        .iter()
        .filter(|e| e["type"] == "decision")
        .map(|e| e["decision"].as_str().expect("decision").to_string())
        .collect();
    assert_eq!(decisions.iter().filter(|d| *d == "accepted").count(), 4);
}

#[test]
fn a_429_then_success_is_retried_and_counted() {
    let server = FakeServer::start(&["fake-model"], |r, n| {
        if n == 0 {
            Answer::Http(
                429,
                vec![("Retry-After".into(), "0".into())],
                "{\"error\": \"slow down\"}".into(),
            )
        } else {
            chat(&record_for(r), "stop")
        }
    });
    let spec = spec(&server.base_url, "", 1);
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("run.jsonl");
    let generation = run(&spec, &log, false).expect("run");
    assert_eq!(generation.records.len(), 1);
    assert_eq!(server.completions().len(), 2);
    let response = log_entries(&log)
        .into_iter()
        .find(|e| e["type"] == "response")
        .expect("entry");
    assert_eq!(response["http_attempts"], 2);
}

#[test]
fn five_hundreds_past_the_retry_limit_fail_and_keep_the_log() {
    // Two good answers, then only 500s.
    let server = FakeServer::start(&["fake-model"], |r, n| {
        if n < 2 {
            chat(&record_for(r), "stop")
        } else {
            Answer::json(500, json!({"error": {"message": "boom"}}))
        }
    });
    let spec = spec(&server.base_url, "", 4);
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("run.jsonl");
    let error = run(&spec, &log, false).expect_err("must fail");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error.message().contains("HTTP 500") && error.message().contains("boom"),
        "{}",
        error.message()
    );
    // 2 good + (1 + retries=2) attempts at the third.
    assert_eq!(server.completions().len(), 5);
    let entries = log_entries(&log);
    assert_eq!(
        entries.iter().filter(|e| e["type"] == "response").count(),
        2
    );
    assert_eq!(entries.last().expect("entry")["type"], "failure");
}

#[test]
fn a_slow_server_hits_the_timeout() {
    let server = FakeServer::start(&["fake-model"], |r, _| {
        Answer::Slow(
            Duration::from_millis(1500),
            Box::new(chat(&record_for(r), "stop")),
        )
    });
    let spec = spec(&server.base_url, "", 1);
    let mut spec = spec;
    spec.server.timeout_seconds = 0.3;
    spec.server.retries = 1;
    let dir = tempfile::tempdir().expect("dir");
    let error = run(&spec, &dir.path().join("run.jsonl"), false).expect_err("timeout");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error.message().contains("did not answer in time"),
        "{}",
        error.message()
    );
    assert_eq!(server.completions().len(), 2);
}

#[test]
fn an_interrupted_run_resumes_without_losing_or_repeating_records() {
    // The reference: an uninterrupted run.
    let healthy = FakeServer::start(&["fake-model"], |r, _| chat(&record_for(r), "stop"));
    let mut reference_spec = spec(&healthy.base_url, "", 6);
    reference_spec.server.concurrency = 3;
    let dir = tempfile::tempdir().expect("dir");
    let reference = run(&reference_spec, &dir.path().join("reference.jsonl"), false).expect("run");

    // The same run against a server that dies after 4 answers.
    let dying = FakeServer::start(&["fake-model"], |r, n| {
        if n < 4 {
            chat(&record_for(r), "stop")
        } else {
            Answer::Hang
        }
    });
    let mut interrupted = reference_spec.clone();
    interrupted.server.base_url = dying.base_url.clone();
    interrupted.server.retries = 0;
    interrupted.server.timeout_seconds = 1.0;
    let log = dir.path().join("run.jsonl");
    assert!(run(&interrupted, &log, false).is_err());
    let answered = log_entries(&log)
        .iter()
        .filter(|e| e["type"] == "response")
        .count();
    assert_eq!(answered, 4);
    // Without --resume the log is not overwritten.
    let error = run(&interrupted, &log, false).expect_err("refuses");
    assert_eq!(error.kind(), ErrorKind::Usage);

    // Resumed against a healthy server: the 4 logged answers are replayed, only the rest asked.
    let resumed_server = FakeServer::start(&["fake-model"], |r, _| chat(&record_for(r), "stop"));
    let mut resumed = interrupted.clone();
    resumed.server.base_url = resumed_server.base_url.clone();
    let generation = run(&resumed, &log, true).expect("resume");
    assert_eq!(resumed_server.completions().len(), 2);
    assert_eq!(generation.summary.replayed, 4);
    assert_eq!(
        generation.records, reference.records,
        "resumed records differ"
    );

    // Replay alone (what verify --reproduce does) re-derives the same records, asking nobody.
    let replayed = generate(
        &resumed,
        &RunOptions {
            log: &log,
            resume: false,
            overwrite_log: false,
            replay_only: true,
            seed_rows: None,
        },
        &mut |_, _| Ok(()),
    )
    .expect("replay");
    assert_eq!(replayed.records, reference.records);
    assert_eq!(resumed_server.completions().len(), 2);
}

#[test]
fn concurrency_does_not_change_the_records() {
    let server = FakeServer::start(&["fake-model"], |r, _| {
        // Requests whose seed is even all get one fixed record: the first of them in
        // slot order is accepted, the rest are duplicates, whatever order they arrive in.
        if r.body["seed"].as_u64().expect("seed").is_multiple_of(2) {
            chat(r#"{"age": 1, "sex": "F", "note": "fixed"}"#, "stop")
        } else {
            chat(&record_for(r), "stop")
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let mut one = spec(&server.base_url, "", 8);
    one.server.concurrency = 1;
    let mut four = one.clone();
    four.server.concurrency = 4;
    let a = run(&one, &dir.path().join("a.jsonl"), false).expect("a");
    let b = run(&four, &dir.path().join("b.jsonl"), false).expect("b");
    assert_eq!(a.records, b.records);
    assert_eq!(a.summary.rejects, b.summary.rejects);
    assert!(
        a.summary.rejects.get("duplicate").copied().unwrap_or(0) > 0,
        "{:?}",
        a.summary
    );
}

#[test]
fn server_side_refusals_are_environment_errors_naming_the_cause() {
    let dir = tempfile::tempdir().expect("dir");
    // Unreachable: nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("a")
        .port();
    let mut unreachable = spec(&format!("http://127.0.0.1:{port}"), "", 4);
    unreachable.server.retries = 1;
    let log = dir.path().join("unreachable.jsonl");
    let error = run(&unreachable, &log, false).expect_err("unreachable");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error.message().contains("cannot be reached"),
        "{}",
        error.message()
    );

    // A model the server does not serve.
    let server = FakeServer::start(&["other-model"], |r, _| chat(&record_for(r), "stop"));
    let error = run(
        &spec(&server.base_url, "", 4),
        &dir.path().join("model.jsonl"),
        false,
    )
    .expect_err("wrong model");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error
            .message()
            .contains("does not serve the model 'fake-model'")
            && error.message().contains("other-model"),
        "{}",
        error.message()
    );
    assert!(server.completions().is_empty());

    // A schema the backend rejects (HTTP 400): the server's message is passed on, the log kept.
    let server = FakeServer::start(&["fake-model"], |_, _| {
        Answer::json(
            400,
            json!({"error": {"message": "JSON schema conversion failed: pattern"}}),
        )
    });
    let log = dir.path().join("schema.jsonl");
    let error = run(&spec(&server.base_url, "", 4), &log, false).expect_err("rejected");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error.message().contains("HTTP 400")
            && error.message().contains("schema conversion failed"),
        "{}",
        error.message()
    );
    assert!(log.exists());
}

#[test]
fn the_completions_endpoint_sends_a_prompt_and_reads_the_text() {
    let server = FakeServer::start(&["fake-model"], |r, _| {
        Answer::json(
            200,
            json!({"id": "cmpl-1", "object": "text_completion", "model": "fake-model",
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "text": format!(" {}\n{{\"age\": 1", record_for(r))}],
                   "usage": {"prompt_tokens": 12, "completion_tokens": 9}}),
        )
    });
    // A base URL given with its /v1 and a trailing slash: requests still go to /v1/completions.
    let mut spec = spec(&format!("{}/v1/", server.base_url), "", 2);
    spec.server.endpoint = synthgate_llm::spec::Endpoint::Completions;
    let dir = tempfile::tempdir().expect("dir");
    let generation = run(&spec, &dir.path().join("run.jsonl"), false).expect("run");
    // The first JSON object of the continuation is the record; the rest of the text is ignored.
    assert_eq!(generation.records.len(), 2);
    let request = &server.completions()[0];
    assert_eq!(request.path, "/v1/completions");
    assert!(
        request.body["prompt"]
            .as_str()
            .expect("prompt")
            .starts_with("Patient record 1 of 2")
    );
    assert!(request.body.get("messages").is_none());
    assert_eq!(
        request.body["json_schema"]["required"],
        json!(["age", "sex", "note"])
    );
}

#[test]
fn weighted_conditions_set_the_composition() {
    // The server writes the sex the prompt asked for, so the output's mix is the draw's.
    let server = FakeServer::start(&["fake-model"], |r, _| {
        let prompt = r.body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default();
        let seed = r.body["seed"].as_u64().expect("seed");
        let sex = if prompt.ends_with("(female):") {
            "F"
        } else {
            "M"
        };
        chat(
            &json!({"age": seed % 100, "sex": sex, "note": format!("visit {seed}")}).to_string(),
            "stop",
        )
    });
    let mut spec = spec(&server.base_url, "", 400);
    spec.conditions[0].weights = Some(vec![3.0, 1.0]);
    spec.server.concurrency = 4;
    let dir = tempfile::tempdir().expect("dir");
    let generation = run(&spec, &dir.path().join("run.jsonl"), false).expect("run");
    let women = generation
        .records
        .iter()
        .filter(|r| r["sex"] == "F")
        .count() as f64
        / generation.records.len() as f64;
    // 400 draws at 0.75: the standard error is 0.022.
    assert!((women - 0.75).abs() < 0.07, "share of women {women}");
}

/// A base URL on `server` carrying a password and a token, as users paste them.
fn credentialed(server: &FakeServer) -> String {
    server
        .base_url
        .replace("http://", "http://user:s3cret-pass@")
        + "/v1?token=s3cret-token"
}

/// Every form of the secrets a server could echo: the key, the URL's password and token, and
/// the Basic credential the client makes of `user:s3cret-pass`.
fn assert_no_secret(what: &str, text: &str, key: &str) {
    for secret in [key, "s3cret", "dXNlcjpzM2NyZXQtcGFzcw=="] {
        assert!(
            !text.contains(secret),
            "a secret ({}...) reached the {what}: {}",
            &secret[..4],
            text.replace(key, "<the key>")
        );
    }
}

#[test]
fn credentials_echoed_by_the_server_never_reach_the_log_records_or_errors() {
    // Answers the record with the request's path and Authorization header in its note and in
    // the fingerprint, as a careless proxy might; the fifth request fails, echoing them in
    // the error body.
    let server = FakeServer::start(&["fake-model"], |r, n| {
        if n == 4 {
            return Answer::json(
                400,
                json!({"error": {"message": format!("bad: {}", r.echo())}}),
            );
        }
        let seed = r.body["seed"].as_u64().expect("seed");
        let content = json!({"age": seed % 90, "sex": "F", "note": format!("{seed} {}", r.echo())})
            .to_string();
        Answer::json(
            200,
            json!({"model": "fake-model", "system_fingerprint": r.echo(),
                   "choices": [{"finish_reason": "stop",
                                "message": {"role": "assistant", "content": content}}]}),
        )
    });
    let key = std::env::var("PATH").expect("PATH is set");
    let dir = tempfile::tempdir().expect("dir");
    for (name, server_extra) in [("bearer", "api_key_env = \"PATH\""), ("basic", "")] {
        let mut spec = spec(&credentialed(&server), server_extra, 2);
        spec.columns[2].max_length = Some(400);
        // The notes differ only in their seeds.
        spec.generation.near_duplicate_threshold = 1.0;
        let log = dir.path().join(format!("{name}.jsonl"));
        let generation = run(&spec, &log, false).expect("run");
        // The secrets were sent: the server saw the token and the credential it echoed.
        let last = server.completions().pop().expect("a request");
        assert!(last.path.ends_with("?token=s3cret-token"), "{}", last.path);
        let expected = match name {
            "bearer" => format!("Bearer {key}"),
            _ => "Basic dXNlcjpzM2NyZXQtcGFzcw==".to_string(),
        };
        assert_eq!(last.authorization(), expected);
        // ... and came back redacted, in the records as in the log.
        assert_eq!(generation.records.len(), 2);
        let records = serde_json::to_string(&generation.records).expect("json");
        assert_no_secret("records", &records, &key);
        assert!(records.contains("[REDACTED]"), "{records}");
        let summary = serde_json::to_string(&generation.summary).expect("json");
        assert_no_secret("summary", &summary, &key);
        let text = std::fs::read_to_string(&log).expect("log");
        assert_no_secret("log", &text, &key);
        assert!(text.contains("[REDACTED]"), "{text}");
    }

    // The refused request: the server's message is passed on, without the secrets.
    let spec = spec(&credentialed(&server), "api_key_env = \"PATH\"", 2);
    let log = dir.path().join("refused.jsonl");
    let error = run(&spec, &log, false).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Environment);
    assert!(
        error
            .message()
            .contains("bad: /v1/chat/completions?token=[REDACTED] Bearer [REDACTED]"),
        "{}",
        error.message()
    );
    assert_no_secret("error", &error.to_string(), &key);
    assert_no_secret("log", &std::fs::read_to_string(&log).expect("log"), &key);
}

#[test]
fn errors_naming_the_server_show_its_url_without_credentials() {
    let dir = tempfile::tempdir().expect("dir");
    // Exhausted retries on 500s whose bodies echo the request.
    let failing = FakeServer::start(&["fake-model"], |r, _| {
        Answer::Http(500, Vec::new(), format!("upstream said no to {}", r.echo()))
    });
    // Nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("a")
        .port();
    let closed = format!("http://user:s3cret-pass@127.0.0.1:{port}/v1?token=s3cret-token");
    // A model the server does not serve.
    let other = FakeServer::start(&["other-model"], |r, _| chat(&record_for(r), "stop"));
    for (base_url, says) in [
        (credentialed(&failing), "answered HTTP 500"),
        (closed, "cannot be reached"),
        (credentialed(&other), "does not serve the model"),
    ] {
        let mut spec = spec(&base_url, "", 1);
        spec.server.retries = 1;
        let log = dir.path().join(format!("{says}.jsonl"));
        let error = run(&spec, &log, false).expect_err("fails");
        let message = error.to_string();
        assert!(message.contains(says), "{message}");
        assert!(
            message.contains("127.0.0.1") && message.contains("?token=REDACTED"),
            "the server is named: {message}"
        );
        assert_no_secret("error", &message, "no key");
        if log.exists() {
            assert_no_secret(
                "log",
                &std::fs::read_to_string(&log).expect("log"),
                "no key",
            );
        }
    }
}
