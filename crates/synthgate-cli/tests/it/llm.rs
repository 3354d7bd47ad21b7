//! Prompt-based generation from the command line, against an in-process fake OpenAI-compatible
//! server: `generate` with its log and summary, its errors and exit codes, and an LLM pipeline
//! through `run` into a bundle that `verify --reproduce` re-derives from the logged responses.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::fake_server::{Answer, FakeServer, Received, chat};
use crate::support::{read_json, repo_root, stderr, stdout, synthgate, synthgate_with_env};

/// A participant record derived from the request's seed.
fn participant(request: &Received) -> String {
    let seed = request.body["seed"].as_u64().expect("seed");
    json!({"age": 25 + seed % 50, "sex": seed % 2, "race": (seed / 2) % 2,
           "sbp": 100 + seed % 80, "smokeintensity": 1 + seed % 40, "qsmk": (seed / 3) % 2})
    .to_string()
}

/// The example LLM pipeline pointed at `base_url` and `model` for `records` records, its source
/// path made absolute and fewer resamples, written into `dir`.
pub(crate) fn pipeline(dir: &Path, base_url: &str, model: &str, records: usize) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("examples/llm/pipeline.toml"))
        .expect("example")
        .replace("http://127.0.0.1:18080", base_url)
        .replace("model = \"gemma-3-270m\"", &format!("model = {model:?}"))
        .replace("records = 60", &format!("records = {records}"))
        .replace(
            "path = \"../nhefs/data.csv\"",
            &format!(
                "path = {:?}",
                repo_root()
                    .join("examples/nhefs/data.csv")
                    .display()
                    .to_string()
            ),
        )
        .replace(
            "sensitive = [\"sex\"]",
            "sensitive = [\"sex\"]\nresamples = 10",
        );
    assert!(text.contains(base_url) && text.contains("resamples = 10"));
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).expect("spec written");
    path
}

#[test]
fn an_llm_pipeline_is_governed_like_any_release() {
    let server = FakeServer::start(&["gemma-3-270m"], |r, _| chat(&participant(r), "stop"));
    let dir = tempfile::tempdir().expect("dir");
    let spec = pipeline(dir.path(), &server.base_url, "gemma-3-270m", 60);
    let bundle = dir.path().join("bundle");
    let output = crate::release::run(&spec, &bundle);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("gate llm.exact_seed_copies"),
        "{}",
        stdout(&output)
    );

    // The prompts showed real training rows (few-shot seed rows).
    let requests = server.completions();
    let asked = requests.len();
    assert!(asked >= 60, "{asked} requests for 60 records");
    let prompt = requests[0].body["messages"][0]["content"]
        .as_str()
        .expect("prompt");
    assert_eq!(prompt.matches("\"age\": ").count(), 3, "{prompt}");

    let manifest = read_json(&bundle.join("manifest.json"));
    let llm = &manifest["generator"]["llm"];
    assert_eq!(llm["provider"], "openai-compatible");
    assert_eq!(llm["model"], "gemma-3-270m");
    assert_eq!(
        llm["base_url_host"],
        server.base_url.trim_start_matches("http://")
    );
    assert_eq!(llm["system_fingerprints"], json!(["fp-test"]));
    assert!(
        manifest["generator"]["reproducibility"]
            .as_str()
            .expect("level")
            .starts_with("archived")
    );
    let report = std::fs::read_to_string(bundle.join("report/report.json")).expect("report");
    let page = std::fs::read_to_string(bundle.join("report/report.html")).expect("page");
    let llm_ids =
        synthgate_core::metrics::of_family(synthgate_core::metrics::Family::Llm).map(|row| row.id);
    for id in llm_ids {
        assert!(report.contains(&format!("\"{id}\"")), "report lacks {id}");
        assert!(page.contains(id), "report.html lacks {id}");
    }
    assert!(page.contains("<section id=\"llm\">"));
    // Every request and response is in the bundle's log.
    let log = std::fs::read_to_string(bundle.join("log/generation.jsonl")).expect("log");
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"type\":\"response\""))
            .count(),
        asked
    );
    // The prompts' real rows are in the bundle only as keyed digests.
    let shown = prompt
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("a seed row");
    assert!(!log.contains(&shown.replace('"', "\\\"")), "{shown}");
    assert_eq!(log.matches("<row hmac-sha256:").count(), 2 * 3 * asked);
    let datasheet = std::fs::read_to_string(bundle.join("datasheet.json")).expect("datasheet");
    assert!(datasheet.contains("llm_generated") && datasheet.contains("pre-training"));

    // verify --reproduce re-derives the data from the log, with the server gone.
    drop(server);
    assert_rederived_from_log(&bundle);

    // A logged response edited: the log's digest no longer matches (exit 5).
    let edited = log.replacen("\\\"qsmk\\\":", "\\\"qsmk\\\": ", 1);
    assert_ne!(edited, log);
    std::fs::write(bundle.join("log/generation.jsonl"), edited).expect("edit");
    let output = synthgate(["verify".as_ref(), bundle.as_os_str()]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("log/generation.jsonl has changed"),
        "{}",
        stderr(&output)
    );
}

/// `verify --reproduce` accepts `bundle` by replaying its logged responses, and says the model
/// was not queried.
pub(crate) fn assert_rederived_from_log(bundle: &Path) {
    let output = crate::release::verify(bundle, true);
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(
        said.contains("re-derived byte for byte from the logged model responses")
            && said.contains("the model was not queried"),
        "{said}"
    );
}

fn generate_spec(dir: &Path, base_url: &str, prompt: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("examples/llm/generate.toml"))
        .expect("example")
        .replace("http://127.0.0.1:18080", base_url)
        .replace("records = 20", "records = 5")
        .replace(
            "retries = 4",
            "retries = 1\nbackoff_seconds = 0.01\napi_key_env = \"SYNTHGATE_TEST_API_KEY\"",
        )
        .replace("A new record for a {sex} patient aged {age_band}:", prompt);
    let path = dir.join("generate.toml");
    std::fs::write(&path, text).expect("spec written");
    path
}

fn visit(request: &Received) -> String {
    let seed = request.body["seed"].as_u64().expect("seed");
    json!({"age": 18 + seed % 70, "sex": if seed % 2 == 1 {"M"} else {"F"}, "reason": "check-up",
           "note": format!("Annual review {seed}; no new complaints, bloods requested.")})
    .to_string()
}

#[test]
fn generate_writes_records_log_and_summary_and_refuses_bad_input() {
    let server = FakeServer::start(&["gemma-3-270m"], |r, _| chat(&visit(r), "stop"));
    let dir = tempfile::tempdir().expect("dir");
    let spec = generate_spec(
        dir.path(),
        &server.base_url,
        "A new record for a {sex} patient aged {age_band}:",
    );
    let out = dir.path().join("visits.csv");
    let summary = dir.path().join("summary.json");
    let key = [("SYNTHGATE_TEST_API_KEY", "sk-test-not-logged")];
    let args = |extra: &[&str]| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec![
            "generate".into(),
            spec.clone().into(),
            "--out".into(),
            out.clone().into(),
            "--summary".into(),
            summary.clone().into(),
        ];
        a.extend(extra.iter().map(|s| s.into()));
        a
    };
    let output = synthgate_with_env(args(&[]), &key);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("5 of 5 records"),
        "{}",
        stdout(&output)
    );
    let csv = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.starts_with("age,sex,reason,note"));
    let log_path = dir.path().join("visits.csv.generation.jsonl");
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        !log.contains("sk-test-not-logged"),
        "the API key reached the log"
    );
    let summary_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary")).expect("json");
    assert_eq!(summary_json["records_produced"], 5);
    assert_eq!(summary_json["leakage"]["real_rows"], 2);

    // An existing output is not replaced without --force.
    let output = synthgate_with_env(args(&[]), &key);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    // A template naming an unknown variable: exit 3, the file and line named, nothing written.
    let bad = generate_spec(dir.path(), &server.base_url, "A record for {patient_type}:");
    let fresh = dir.path().join("fresh.csv");
    let output = synthgate_with_env(
        [
            "generate".as_ref(),
            bad.as_os_str(),
            "--out".as_ref(),
            fresh.as_os_str(),
        ],
        &key,
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("{patient_type}") && message.contains("generate.toml, line"),
        "{message}"
    );
    assert!(!fresh.exists());

    // The API key variable unset: exit 6, naming it.
    let spec_good = generate_spec(
        dir.path(),
        &server.base_url,
        "A new record for a {sex} patient aged {age_band}:",
    );
    let output = synthgate([
        "generate".as_ref(),
        spec_good.as_os_str(),
        "--out".as_ref(),
        fresh.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("SYNTHGATE_TEST_API_KEY"),
        "{}",
        stderr(&output)
    );

    // An unreachable server: exit 6; the log is kept and the message says how to resume.
    drop(server);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("a")
        .port();
    let gone = generate_spec(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        "A new record for a {sex} patient aged {age_band}:",
    );
    let output = synthgate_with_env(
        [
            "generate".as_ref(),
            gone.as_os_str(),
            "--out".as_ref(),
            fresh.as_os_str(),
        ],
        &key,
    );
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot be reached"),
        "{}",
        stderr(&output)
    );
    assert!(!fresh.exists());
}

#[test]
fn generate_resumes_an_interrupted_run_from_its_log() {
    let dir = tempfile::tempdir().expect("dir");
    let dying = FakeServer::start(&["gemma-3-270m"], |r, n| {
        if n < 3 {
            chat(&visit(r), "stop")
        } else {
            Answer::json(503, json!({"error": "overloaded"}))
        }
    });
    let spec = generate_spec(
        dir.path(),
        &dying.base_url,
        "A new record for a {sex} patient aged {age_band}:",
    );
    let out = dir.path().join("visits.parquet");
    let key = [("SYNTHGATE_TEST_API_KEY", "k")];
    let output = synthgate_with_env(
        [
            "generate".as_ref(),
            spec.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        &key,
    );
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    assert!(stderr(&output).contains("--resume"), "{}", stderr(&output));
    assert!(!out.exists());

    let healthy = FakeServer::start(&["gemma-3-270m"], |r, _| chat(&visit(r), "stop"));
    let text = std::fs::read_to_string(&spec)
        .expect("spec")
        .replace(&dying.base_url, &healthy.base_url);
    std::fs::write(&spec, text).expect("spec");
    let output = synthgate_with_env(
        [
            "generate".as_ref(),
            spec.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--resume".as_ref(),
        ],
        &key,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("5 of 5 records"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("3 replayed from the log"),
        "{}",
        stdout(&output)
    );
    assert_eq!(healthy.completions().len(), 2);
}

/// The privacy protections hold for a language model's rows as for any synthesizer's: a model
/// that answers every record with the source's largest blood pressure (229, one person's) has
/// it clipped to at most the 10th largest training value (`tail_count` 10; the source's 10th
/// largest, 189, bounds the training split's), and the run log says how many values moved.
/// The bundle still re-derives from its log.
#[test]
fn an_llm_pipeline_applies_the_privacy_protections() {
    let extreme = |request: &Received| {
        let seed = request.body["seed"].as_u64().expect("seed");
        json!({"age": 25 + seed % 50, "sex": seed % 2, "race": (seed / 2) % 2,
               "sbp": 229, "smokeintensity": 1 + seed % 40, "qsmk": (seed / 3) % 2})
        .to_string()
    };
    let server = FakeServer::start(&["gemma-3-270m"], move |r, _| chat(&extreme(r), "stop"));
    let dir = tempfile::tempdir().expect("dir");
    let spec = pipeline(dir.path(), &server.base_url, "gemma-3-270m", 30);
    let bundle = dir.path().join("bundle");
    let output = crate::release::run(&spec, &bundle);
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(4),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let csv = dir.path().join("synthetic.csv");
    let output = synthgate([
        "convert".as_ref(),
        bundle.join("data/synthetic.parquet").as_os_str(),
        "--out".as_ref(),
        csv.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&csv).expect("csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let sbp = header.iter().position(|&c| c == "sbp").expect("sbp column");
    let values: Vec<f64> = lines
        .filter_map(|line| line.split(',').nth(sbp)?.parse().ok())
        .collect();
    assert!(values.len() >= 20, "{} rows with sbp", values.len());
    assert!(
        values.iter().all(|&v| v <= 189.0),
        "an sbp above the protected bound: {values:?}"
    );
    let log = std::fs::read_to_string(bundle.join("log/generation.jsonl")).expect("log");
    let protect = log
        .lines()
        .find(|l| l.contains("\"step\":\"protect\""))
        .unwrap_or_else(|| panic!("no protect step in the run log"));
    assert!(protect.contains("\"column\":\"sbp\""), "{protect}");
    drop(server);
    assert_rederived_from_log(&bundle);
}
