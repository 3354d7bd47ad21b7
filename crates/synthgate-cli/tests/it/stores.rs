//! The registry and the audit log on both backends, through the real binary: a workspace's own
//! SQLite registry and `audit.jsonl`, and a team's PostgreSQL server (issue 18, item 1). The
//! same suite runs on each: releases, supersession, lineage, gates, approvals and rejections,
//! verification against the registry, the audit chain; then parallel writers (processes
//! running, approving and verifying at once) leave the chain unforked and every approval kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{dataset, postgres_database, read_json, stderr, stdout, succeeded};

/// Where the registry and the audit log live.
#[derive(Debug, Clone)]
enum Backend {
    /// The workspace's files.
    Sqlite,
    /// A database on the test server, named by `SYNTHGATE_REGISTRY`, or by the workspace's
    /// `config.toml` when `config` is set.
    Postgres { url: String, config: bool },
}

/// A workspace and a scratch folder on one backend.
struct Team {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    backend: Backend,
}

impl Team {
    fn new(backend: Backend) -> Team {
        let dir = tempfile::tempdir().expect("temp");
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        if let Backend::Postgres { url, config: true } = &backend {
            std::fs::create_dir_all(&home).expect("home");
            std::fs::write(home.join("config.toml"), format!("registry = {url:?}\n"))
                .expect("config");
        }
        Team {
            _dir: dir,
            root,
            home,
            backend,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_synthgate"));
        command
            .args(args)
            .env("SYNTHGATE_HOME", &self.home)
            .env("SOURCE_DATE_EPOCH", "1790000000")
            .env_remove("SYNTHGATE_REGISTRY");
        if let Backend::Postgres { url, config: false } = &self.backend {
            command.env("SYNTHGATE_REGISTRY", url);
        }
        command
    }

    fn synthgate(&self, args: &[&str]) -> Output {
        succeeded(self.command(args).output().expect("synthgate runs"), args)
    }

    /// A small pipeline (the heart table) for release `name` `version`, approved by `dpo`.
    fn spec(&self, name: &str, version: &str, dpo: &str) -> PathBuf {
        let dir = self.root.join(format!("{name}-{version}"));
        std::fs::create_dir_all(&dir).expect("spec folder");
        let text = format!(
            "[release]\nname = {name:?}\nversion = {version:?}\n\n[source]\npath = {:?}\n\
             na = [\"?\"]\n\n[split]\nseed = 1\n\n[synthesizer]\nname = \"cart\"\nseed = 2\n\n\
             [evaluation]\nresamples = 10\n\n[[policy.gates]]\n\
             metric = \"fidelity.column_shapes\"\nmin = 0.5\n\n[[policy.approvers]]\n\
             role = \"dpo\"\nkeys = [{dpo:?}]\n",
            dataset("heart_cleveland").display().to_string()
        );
        let path = dir.join("pipeline.toml");
        std::fs::write(&path, text).expect("spec");
        path
    }

    fn keygen(&self, name: &str) -> (PathBuf, String) {
        let key = self.root.join(name);
        let output = self.synthgate(&["keygen", "--out", path(&key)]);
        (key, stdout(&output).trim().to_string())
    }

    fn show(&self, id: i64) -> Value {
        let output = self.synthgate(&["registry", "show", &id.to_string()]);
        serde_json::from_str(&stdout(&output)).expect("registry show prints JSON")
    }

    /// Every audit entry, from wherever the backend keeps them.
    fn audit_entries(&self) -> Vec<Value> {
        let lines: Vec<String> = match &self.backend {
            Backend::Sqlite => std::fs::read_to_string(self.home.join("audit.jsonl"))
                .expect("the workspace's audit log")
                .lines()
                .map(str::to_string)
                .collect(),
            Backend::Postgres { url, .. } => {
                let mut client =
                    postgres::Client::connect(url, postgres::NoTls).expect("the test database");
                client
                    .query("SELECT line FROM audit_log ORDER BY seq", &[])
                    .expect("the audit table")
                    .iter()
                    .map(|row| row.get::<_, String>(0))
                    .collect()
            }
        };
        lines
            .iter()
            .map(|line| serde_json::from_str(line).expect("an entry"))
            .collect()
    }

    /// The workspace holds its own registry and log on SQLite, and neither on a server.
    fn check_where_things_are(&self) {
        let local = matches!(self.backend, Backend::Sqlite);
        assert_eq!(self.home.join("registry.sqlite").exists(), local);
        assert_eq!(self.home.join("audit.jsonl").exists(), local);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn postgres(config: bool) -> Backend {
    Backend::Postgres {
        url: postgres_database(),
        config,
    }
}

fn the_registry_suite(backend: Backend) {
    let team = Team::new(backend);
    let (dpo, dpo_print) = team.keygen("dpo.key");
    let first = team.root.join("first");
    let second = team.root.join("second");
    let spec = team.spec("team", "1.0.0", &dpo_print);
    team.synthgate(&["run", path(&spec), "--out", path(&first), "--quiet"]);
    let spec = team.spec("team", "2.0.0", &dpo_print);
    team.synthgate(&["run", path(&spec), "--out", path(&second), "--quiet"]);
    team.check_where_things_are();

    // Two releases; the second supersedes the first; gates are recorded.
    let listed = stdout(&team.synthgate(&["registry", "list"]));
    assert_eq!(listed.matches("team").count(), 2, "{listed}");
    let shown = team.show(2);
    assert_eq!(shown["release"]["supersedes"], 1, "{shown}");
    assert_eq!(shown["release"]["version"], "2.0.0");
    assert!(shown["release"]["releasable"].as_bool().expect("a flag"));
    let gates = shown["gates"].as_array().expect("gates");
    assert_eq!(gates.len(), 1);
    assert_eq!(gates[0]["metric"], "fidelity.column_shapes");
    assert_eq!(gates[0]["outcome"], "pass");
    assert!(gates[0]["observed"].as_f64().expect("observed") > 0.5);
    assert_eq!(shown["approvals"], serde_json::json!([]));

    // Lineage by a prefix of the source's digest.
    let source = read_json(&second.join("manifest.json"))["source"]["sha256"]
        .as_str()
        .expect("source digest")
        .to_string();
    let lineage = stdout(&team.synthgate(&["registry", "lineage", &source[..12]]));
    assert_eq!(lineage.matches("team").count(), 2, "{lineage}");
    let none = team
        .command(&["registry", "lineage", "ffffffffffff"])
        .output()
        .expect("runs");
    assert!(
        stderr(&none).contains("no release made from a source"),
        "{}",
        stderr(&none)
    );

    // Not yet approved: verification that requires approval fails; after the dpo signs, it
    // passes against the registry's record.
    let pending = team
        .command(&["verify", path(&second), "--require-approved", "--quiet"])
        .output()
        .expect("verify runs");
    assert!(!pending.status.success(), "{}", stdout(&pending));
    team.synthgate(&[
        "approve",
        path(&second),
        "--role",
        "dpo",
        "--key",
        path(&dpo),
    ]);
    team.synthgate(&[
        "approve",
        path(&first),
        "--role",
        "dpo",
        "--key",
        path(&dpo),
        "--reject",
        "--comment",
        "superseded",
    ]);
    team.synthgate(&["verify", path(&second), "--require-approved", "--quiet"]);
    let approvals = team.show(2)["approvals"].clone();
    assert_eq!(approvals.as_array().map(Vec::len), Some(1), "{approvals}");
    assert_eq!(approvals[0]["role"], "dpo");
    assert_eq!(approvals[0]["decision"], "approve");
    assert_eq!(team.show(1)["approvals"][0]["decision"], "reject");
    let missing = team
        .command(&["registry", "show", "3"])
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no release 3"),
        "{}",
        stderr(&missing)
    );

    // A withdrawal: recorded, refused twice, shown; the release then fails
    // `verify --require-approved` wherever this registry is consulted, and takes no decision.
    team.synthgate(&[
        "registry",
        "withdraw",
        "2",
        "--reason",
        "a column was mislabelled",
        "--by",
        "alice",
    ]);
    let again = team
        .command(&["registry", "withdraw", "2", "--reason", "twice"])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("withdrawn already"),
        "{}",
        stderr(&again)
    );
    let shown = team.show(2);
    assert_eq!(shown["release"]["withdrawn_by"], "alice", "{shown}");
    assert_eq!(
        shown["release"]["withdrawn_reason"],
        "a column was mislabelled"
    );
    let refused = team
        .command(&["verify", path(&second), "--require-approved", "--quiet"])
        .output()
        .expect("verify runs");
    assert_eq!(refused.status.code(), Some(5), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("withdrawn on"),
        "{}",
        stderr(&refused)
    );
    let late = team
        .command(&[
            "approve",
            path(&second),
            "--role",
            "dpo",
            "--key",
            path(&dpo),
        ])
        .output()
        .expect("approve runs");
    assert!(!late.status.success());
    assert!(stderr(&late).contains("was withdrawn"), "{}", stderr(&late));

    // The audit chain verifies and holds every step, in order; the report names where it is.
    let verified = stdout(&team.synthgate(&["audit", "verify"]));
    let expected = match &team.backend {
        Backend::Sqlite => team.home.join("audit.jsonl").display().to_string(),
        Backend::Postgres { url, .. } => url.clone(),
    };
    assert!(verified.starts_with(&expected), "{verified}");
    let actions: Vec<String> = team
        .audit_entries()
        .iter()
        .map(|entry| entry["action"].as_str().expect("action").to_string())
        .collect();
    for action in ["run", "approve", "verify", "withdraw"] {
        assert!(actions.iter().any(|a| a == action), "{actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "approve").count(), 2);
    team.check_where_things_are();
}

#[test]
fn the_registry_suite_on_sqlite() {
    the_registry_suite(Backend::Sqlite);
}

#[test]
fn the_registry_suite_on_postgres() {
    the_registry_suite(postgres(false));
}

#[test]
fn the_registry_suite_on_postgres_named_by_the_workspace_config() {
    the_registry_suite(postgres(true));
}

/// Releases run at once, then all approved (twice each) and verified at once, each by its own
/// process: every run is registered once, every approval is kept in order, and the audit
/// chain is one unbroken chain with every entry.
fn parallel_writers(backend: Backend) {
    const WRITERS: usize = 6;
    let team = Team::new(backend);
    let (dpo, dpo_print) = team.keygen("dpo.key");
    let bundles: Vec<PathBuf> = (0..WRITERS)
        .map(|i| team.root.join(format!("bundle-{i}")))
        .collect();
    let specs: Vec<PathBuf> = (0..WRITERS)
        .map(|i| team.spec(&format!("team-{i}"), "1.0.0", &dpo_print))
        .collect();
    let at_once = |commands: Vec<Vec<String>>| {
        let children: Vec<_> = commands
            .iter()
            .map(|args| {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                team.command(&args)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for (child, args) in children.into_iter().zip(&commands) {
            let output = child.wait_with_output().expect("wait");
            assert!(
                output.status.success(),
                "synthgate {}: {}",
                args.join(" "),
                stderr(&output)
            );
        }
    };
    at_once(
        (0..WRITERS)
            .map(|i| {
                vec![
                    "run".into(),
                    path(&specs[i]).into(),
                    "--out".into(),
                    path(&bundles[i]).into(),
                    "--quiet".into(),
                ]
            })
            .collect(),
    );
    // Two decisions on each bundle at once (each must follow the other in the bundle's chain
    // and in the registry), and a verification.
    let mut decisions: Vec<Vec<String>> = Vec::new();
    for bundle in &bundles {
        for comment in ["first look", "second look"] {
            decisions.push(vec![
                "approve".into(),
                path(bundle).into(),
                "--role".into(),
                "dpo".into(),
                "--key".into(),
                path(&dpo).into(),
                "--comment".into(),
                comment.into(),
            ]);
        }
        decisions.push(vec!["verify".into(), path(bundle).into(), "--quiet".into()]);
    }
    at_once(decisions);

    team.synthgate(&["audit", "verify"]);
    let entries = team.audit_entries();
    for (k, entry) in entries.iter().enumerate() {
        assert_eq!(
            entry["seq"],
            k as u64 + 1,
            "the chain forked or skipped at {k}"
        );
    }
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("run"), WRITERS);
    assert_eq!(count("approve"), 2 * WRITERS);
    assert_eq!(count("verify"), WRITERS);
    let mut names = Vec::new();
    for id in 1..=WRITERS as i64 {
        let shown = team.show(id);
        assert_eq!(
            shown["approvals"].as_array().map(Vec::len),
            Some(2),
            "{shown}"
        );
        names.push(shown["release"]["name"].as_str().expect("name").to_string());
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), WRITERS, "each run registered once: {names:?}");
    team.check_where_things_are();
}

#[test]
fn parallel_writers_keep_the_chain_and_every_approval_on_sqlite() {
    parallel_writers(Backend::Sqlite);
}

#[test]
fn parallel_writers_keep_the_chain_and_every_approval_on_postgres() {
    parallel_writers(postgres(false));
}

/// A URL that is not a PostgreSQL server's is refused before anything is written; a server
/// that does not answer is an environment error naming it without its password.
#[test]
fn a_bad_registry_url_is_refused_and_a_password_is_never_shown() {
    let team = Team::new(Backend::Sqlite);
    let spec = team.spec("team", "1.0.0", &"0".repeat(64));
    let out = team.root.join("bundle");
    let refused = team
        .command(&[
            "run",
            path(&spec),
            "--out",
            path(&out),
            "--registry",
            "mysql://x@y/z",
        ])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("must be a PostgreSQL URL"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.exists());
    // Port 9 on loopback: nothing listens there.
    let down = team
        .command(&[
            "registry",
            "list",
            "--registry",
            "postgres://alice:s3cret@127.0.0.1:9/registry",
        ])
        .output()
        .expect("runs");
    assert_eq!(down.status.code(), Some(6), "{}", stderr(&down));
    let text = stderr(&down);
    assert!(
        text.contains("postgres://alice@127.0.0.1:9/registry"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
    std::fs::create_dir_all(&team.home).expect("home");
    std::fs::write(team.home.join("config.toml"), "registry = 'file:///x'\n").expect("config");
    let configured = team.command(&["registry", "list"]).output().expect("runs");
    assert_eq!(configured.status.code(), Some(2), "{}", stderr(&configured));
    assert!(
        stderr(&configured).contains("config.toml"),
        "{}",
        stderr(&configured)
    );
}
