//! `synthgate serve`'s jobs end to end (issue 18, items 2, 5 and 7): pipeline runs submitted
//! over HTTP to the real binary, confined to the server config's data roots and language-model
//! servers, followed through their steps to a registered release, cancelled while queued and
//! while running (nothing written), refused for users the config does not allow, and failed,
//! never left running, when the server is killed in the middle of one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{Server, agent, audit, get, json, start, synthgate, team_config, workspace};
use crate::support::{dataset, datasets_dir, repo_root};

/// A heart-disease pipeline spec of `version` at `dir/NAME.toml` reading `source` (and, when
/// given, the dataset file `dataset_file` instead), with `extra` appended.
fn heart_spec(dir: &Path, name: &str, version: &str, source: &Path, extra: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let spec = dir.join(format!("{name}.toml"));
    std::fs::write(
        &spec,
        format!(
            "[release]\nname = \"heart\"\nversion = \"{version}\"\n\n[source]\npath = {:?}\n\
             na = [\"?\"]\n{extra}\n[split]\nseed = 1\n\n[synthesizer]\nname = \"cart\"\nseed = 2\n\n\
             [evaluation]\nresamples = 10\n",
            source.display().to_string()
        ),
    )
    .expect("spec");
    spec
}

/// The team config of [`team_config`] with a `[jobs]` section: `olaf` may submit, reading
/// under `roots`.
fn jobs_config(home: &Path, roots: &[&Path]) -> [(&'static str, &'static str); 3] {
    let tokens = team_config(home, &[]);
    let roots: Vec<String> = roots
        .iter()
        .map(|r| format!("{:?}", r.display().to_string()))
        .collect();
    let path = home.join("serve.toml");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(&format!(
        "\n[jobs]\ndata_roots = [{}]\nllm_urls = [\"http://127.0.0.1:18080\"]\nusers = [\"olaf\"]\n",
        roots.join(", ")
    ));
    std::fs::write(&path, text).expect("config");
    tokens
}

/// POST `body` to `path` as `token`: status and JSON answer.
fn post(server: &Server, path: &str, token: &str, body: &str) -> (u16, Value) {
    let mut response = agent()
        .post(format!("{}{path}", server.base))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("answers");
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (response.status().as_u16(), json(&text))
}

fn submit(server: &Server, token: &str, spec: &Path) -> (u16, Value) {
    let body = serde_json::json!({ "spec": spec.display().to_string() }).to_string();
    post(server, "/api/jobs", token, &body)
}

/// Job `id` as `token` sees it, polled until `done` holds (two minutes at most).
fn wait_for(server: &Server, token: &str, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, _, _, body) = get(server, &format!("/api/jobs/{id}"), Some(token));
        assert_eq!(status, 200, "{body}");
        let job = json(&body);
        if done(&job) {
            return job;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "job {id} never got there: {job}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A job that runs for a while: a whole diabetes130 release (100,000 encounters).
fn long_spec(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let spec = dir.join("long.toml");
    std::fs::write(
        &spec,
        format!(
            "[release]\nname = \"encounters\"\nversion = \"1.0.0\"\n\n[source]\npath = {:?}\n\
             na = [\"?\"]\n\n[split]\nseed = 1\n\n[synthesizer]\nname = \"cart\"\nseed = 2\n",
            dataset("diabetes130").display().to_string()
        ),
    )
    .expect("spec");
    spec
}

/// Whether a job is at a step the run stops at a later boundary of (past reading, before
/// writing).
fn mid_run(job: &Value) -> bool {
    job["status"] == "running"
        && ["fitting", "profiling"].contains(&job["step"].as_str().unwrap_or(""))
}

fn releases(server: &Server, token: &str) -> usize {
    let (_, _, _, body) = get(server, "/api/releases", Some(token));
    json(&body)["releases"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_submitted_job_runs_confined_to_the_data_roots_and_reports_its_steps() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let root = dir.path().join("data");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::copy(dataset("heart_cleveland"), root.join("heart.csv")).expect("copy");
    std::fs::copy(dataset("heart_cleveland"), outside.join("heart.csv")).expect("copy");
    std::fs::write(outside.join("secret.toml"), "SECRET-LINE = [\n").expect("secret");
    std::os::unix::fs::symlink(outside.join("heart.csv"), root.join("linked.csv")).expect("link");
    let tokens = jobs_config(&home, &[&root]);
    let (admin, dana, olaf) = (tokens[0].1, tokens[1].1, tokens[2].1);
    let server = start(&home);
    let before = releases(&server, admin);

    // A user the config does not let submit: refused, and the refusal audited.
    let good = heart_spec(&root, "good", "3.0.0", &root.join("heart.csv"), "");
    let (status, error) = submit(&server, dana, &good);
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (403, Some("Authorization")),
        "{error}"
    );
    let last = audit(&home).pop().expect("an entry");
    assert_eq!(
        (last["action"].as_str(), last["details"]["user"].as_str()),
        (Some("refused"), Some("dana"))
    );

    // What lies outside the data roots is refused before it is read.
    let cases = [
        (
            heart_spec(&outside, "out", "3.0.0", &outside.join("heart.csv"), ""),
            "pipeline spec",
        ),
        (
            heart_spec(
                &root,
                "escape",
                "3.0.0",
                &root.join("../outside/heart.csv"),
                "",
            ),
            "the source",
        ),
        (
            heart_spec(&root, "linked", "3.0.0", &root.join("linked.csv"), ""),
            "the source",
        ),
        (
            heart_spec(&root, "dataset", "3.0.0", Path::new(""), "").with_file_name("dataset.toml"),
            "the dataset file",
        ),
        (root.join("llm.toml"), "language-model server"),
    ];
    // The LLM example's spec, pointed at a server the config does not list.
    std::fs::copy(dataset("nhefs"), root.join("nhefs.csv")).expect("copy");
    let example = std::fs::read_to_string(repo_root().join("examples/llm/pipeline.toml"))
        .expect("the LLM example");
    let pointed = example
        .replace("../nhefs/data.csv", "nhefs.csv")
        .replace("http://127.0.0.1:18080", "http://169.254.169.254/latest");
    assert_ne!(pointed, example);
    std::fs::write(root.join("llm.toml"), pointed).expect("spec");
    // A spec naming a dataset file outside the roots (whose text must never be shown).
    std::fs::write(
        root.join("dataset.toml"),
        format!(
            "[release]\nname = \"heart\"\nversion = \"3.0.0\"\n\n[source]\ndataset = {:?}\n\n\
             [split]\nseed = 1\n\n[synthesizer]\nname = \"cart\"\nseed = 2\n",
            outside.join("secret.toml").display().to_string()
        ),
    )
    .expect("spec");
    for (spec, named) in &cases {
        let (status, error) = submit(&server, olaf, spec);
        let message = error["error"]["message"].as_str().unwrap_or("");
        assert_eq!(status, 403, "{}: {error}", spec.display());
        assert_eq!(error["error"]["field"], "spec", "{error}");
        assert!(message.contains(named), "{}: {message}", spec.display());
        assert!(!message.contains("SECRET"), "{message}");
        let last = audit(&home).pop().expect("an entry");
        assert_eq!(
            (last["action"].as_str(), last["details"]["user"].as_str()),
            (Some("refused"), Some("olaf"))
        );
    }
    let (status, error) = post(
        &server,
        "/api/jobs",
        olaf,
        "{\"spec\": \"good.toml\", \"out\": \"/tmp/x\"}",
    );
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (400, Some("spec")),
        "{error}"
    );
    assert_eq!(releases(&server, admin), before, "nothing was run");

    // A spec under the root (relative to it): queued, run, registered, its steps seen.
    let (status, job) = post(&server, "/api/jobs", olaf, "{\"spec\": \"good.toml\"}");
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_i64().expect("id");
    assert_eq!(job["status"], "queued");
    let done = wait_for(&server, olaf, id, |j| {
        ["succeeded", "failed", "cancelled"].contains(&j["status"].as_str().unwrap_or(""))
    });
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["releasable"], true, "{done}");
    let registry_id = done["registry_id"].as_i64().expect("registered");
    let (status, _, _, body) = get(&server, &format!("/api/releases/{registry_id}"), Some(olaf));
    assert_eq!(status, 200, "{body}");
    let bundle = PathBuf::from(json(&body)["release"]["bundle"].as_str().expect("bundle"));
    assert!(
        bundle.starts_with(&home),
        "written under the workspace: {}",
        bundle.display()
    );
    assert_eq!(releases(&server, admin), before + 1);
    let submitted = audit(&home)
        .into_iter()
        .find(|e| e["action"] == "submitted")
        .expect("the submission is audited");
    assert_eq!(submitted["details"]["user"], "olaf");
    assert_eq!(submitted["details"]["job"], id);
    let steps = std::fs::read_to_string(home.join(format!("jobs/{id}.json"))).expect("kept");
    assert!(json(&steps)["started_at"].is_string());

    // The same release again: its bundle folder exists, so it is refused before it queues.
    let (status, error) = submit(&server, olaf, &good);
    assert_eq!(
        (status, error["error"]["kind"].as_str()),
        (409, Some("conflict")),
        "{error}"
    );

    // Who sees and stops what.
    let (status, _, _, body) = get(&server, &format!("/api/jobs/{id}"), Some(dana));
    assert_eq!(status, 403, "{body}");
    let (status, _, _, body) = get(&server, "/api/jobs", Some(dana));
    assert_eq!(
        (status, json(&body)["jobs"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (_, _, _, body) = get(&server, "/api/jobs", Some(admin));
    assert_eq!(json(&body)["jobs"].as_array().map(Vec::len), Some(1));
    let (status, error) = post(&server, &format!("/api/jobs/{id}/cancel"), olaf, "");
    assert_eq!(
        (status, error["error"]["kind"].as_str()),
        (409, Some("ended")),
        "{error}"
    );
    let (status, _, _, body) = get(&server, "/api/jobs/x", Some(olaf));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("job id"), "{body}");

    // No token, known or not, is in the audit log or a job's file.
    let (status, _, _, _) = get(&server, "/api/jobs", Some("not-a-token-5150"));
    assert_eq!(status, 401);
    let mut kept = std::fs::read_to_string(home.join("audit.jsonl")).expect("audit log");
    for entry in std::fs::read_dir(home.join("jobs")).expect("jobs") {
        kept.push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("job"));
    }
    for token in [admin, dana, olaf, "not-a-token-5150"] {
        assert!(!kept.contains(token), "{token} was written down");
    }
}

#[test]
fn a_job_is_cancelled_while_queued_or_running_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let root = dir.path().join("data");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::copy(dataset("heart_cleveland"), root.join("heart.csv")).expect("copy");
    let datasets = std::fs::canonicalize(datasets_dir()).expect("datasets");
    let tokens = jobs_config(&home, &[&root, &datasets]);
    let (admin, dana, olaf) = (tokens[0].1, tokens[1].1, tokens[2].1);
    let server = start(&home);
    let before = releases(&server, admin);

    let (status, long) = submit(&server, olaf, &long_spec(&root));
    assert_eq!(status, 202, "{long}");
    let long = long["id"].as_i64().expect("id");
    let queued = heart_spec(&root, "queued", "4.0.0", &root.join("heart.csv"), "");
    let (status, behind) = submit(&server, olaf, &queued);
    assert_eq!(status, 202, "{behind}");
    let behind = behind["id"].as_i64().expect("id");

    // Another user may not stop it; the refusal is audited.
    let (status, error) = post(&server, &format!("/api/jobs/{behind}/cancel"), dana, "");
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (403, Some("id")),
        "{error}"
    );
    let last = audit(&home).pop().expect("an entry");
    assert_eq!(
        (last["action"].as_str(), last["details"]["user"].as_str()),
        (Some("refused"), Some("dana"))
    );

    // Queued behind the long one: cancelled at once, never run.
    let (status, job) = post(&server, &format!("/api/jobs/{behind}/cancel"), olaf, "");
    assert_eq!(
        (status, job["status"].as_str()),
        (200, Some("cancelled")),
        "{job}"
    );
    assert!(job["started_at"].is_null());

    // Running: stopped between its steps, nothing written.
    let running = wait_for(&server, olaf, long, mid_run);
    assert!(running["started_at"].is_string());
    let (status, job) = post(&server, &format!("/api/jobs/{long}/cancel"), admin, "");
    assert_eq!(
        (status, job["cancel_requested"].as_bool()),
        (200, Some(true)),
        "{job}"
    );
    let ended = wait_for(&server, olaf, long, |j| j["status"] != "running");
    assert_eq!(ended["status"], "cancelled", "{ended}");
    assert!(ended["registry_id"].is_null());
    assert_eq!(releases(&server, admin), before);
    for job in [&ended, &wait_for(&server, olaf, behind, |_| true)] {
        let bundle = PathBuf::from(job["bundle"].as_str().expect("bundle"));
        assert!(!bundle.exists(), "{} was written", bundle.display());
    }
    let cancels = audit(&home)
        .into_iter()
        .filter(|e| e["action"] == "cancelled")
        .map(|e| e["details"]["user"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>();
    assert_eq!(cancels, ["olaf", "admin"]);
}

#[test]
fn a_server_killed_mid_job_leaves_it_failed_and_nothing_registered() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let root = dir.path().join("data");
    let datasets = std::fs::canonicalize(datasets_dir()).expect("datasets");
    std::fs::create_dir_all(&root).expect("root");
    let tokens = jobs_config(&home, &[&root, &datasets]);
    let (admin, olaf) = (tokens[0].1, tokens[2].1);
    let mut server = start(&home);
    let before = releases(&server, admin);
    let spec = long_spec(&root);
    let (status, job) = submit(&server, olaf, &spec);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_i64().expect("id");
    wait_for(&server, olaf, id, mid_run);
    server.child.kill().expect("killed");
    server.child.wait().expect("ended");

    let server = start(&home);
    let (status, _, _, body) = get(&server, &format!("/api/jobs/{id}"), Some(olaf));
    assert_eq!(status, 200, "{body}");
    let job = json(&body);
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["kind"], "interrupted", "{job}");
    assert!(job["step"].is_null());
    assert_eq!(releases(&server, admin), before, "nothing half-registered");
    let bundle = PathBuf::from(job["bundle"].as_str().expect("bundle"));
    assert!(!bundle.exists(), "{}", bundle.display());
    let failed = audit(&home).pop().expect("an entry");
    assert_eq!(
        (failed["action"].as_str(), failed["details"]["job"].as_i64()),
        (Some("failed"), Some(id))
    );
    assert_eq!(failed["details"]["user"], "olaf");
    let checked = synthgate(&home, &["audit", "verify"]);
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains("the audit log verifies"), "{said}");
    assert!(!said.contains("not in the registry"), "{said}");
}
