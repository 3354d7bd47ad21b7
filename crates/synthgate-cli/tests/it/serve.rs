//! `synthgate serve` end to end (issue 18, items 2, 3 and 5 so far): the real binary serving a
//! workspace with two releases, asked over HTTP and opened in a real browser (Debian's
//! chromium, headless): authentication on every route but the health check, JSON errors
//! naming the field, the OpenAPI document, security headers, the releases page and a release's
//! review page rendered, a one-time login link, and the login recorded in the audit log.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::support::{dataset, stderr, stdout, succeeded};

/// A running `synthgate serve`, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) login: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn synthgate(home: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        .env("SYNTHGATE_HOME", home)
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .env_remove("SYNTHGATE_REGISTRY")
        .output()
        .expect("synthgate runs");
    succeeded(output, args)
}

pub(crate) fn start(home: &Path) -> Server {
    start_with(home, &["serve", "--bind", "127.0.0.1:0"].map(OsStr::new))
}

/// `synthgate serve` with `args`, read until it says how to stop it: where it listens (its
/// base URL, http or https), the first admin's token and the login link.
fn start_with(home: &Path, args: &[&OsStr]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(args)
        .env("SYNTHGATE_HOME", home)
        .env_remove("SYNTHGATE_REGISTRY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let (mut base, mut token, mut login) = (String::new(), String::new(), String::new());
    let mut previous = String::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(rest) = line.strip_prefix("synthgate serve: listening on ") {
            base = rest.split_whitespace().next().expect("address").to_string();
        }
        let trimmed = line.trim();
        if previous.contains("API token") {
            token = trimmed.to_string();
        }
        if trimmed.starts_with("http") && trimmed.contains("/login?code=") {
            login = trimmed.to_string();
        }
        if trimmed == "Stop with Ctrl-C." {
            break;
        }
        previous = line;
    }
    assert!(
        !base.is_empty() && !login.is_empty(),
        "serve printed where it listens and a link"
    );
    Server {
        child,
        base,
        token,
        login,
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// GET `path` with `token` (or none): status, headers of interest, body.
pub(crate) fn get(
    server: &Server,
    path: &str,
    token: Option<&str>,
) -> (u16, String, String, String) {
    let mut request = agent().get(format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (csp, nosniff) = (
        header("content-security-policy"),
        header("x-content-type-options"),
    );
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (response.status().as_u16(), csp, nosniff, body)
}

pub(crate) fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Two releases of one source, the second approved by the dpo.
pub(crate) fn workspace(root: &Path) -> PathBuf {
    workspace_with_key(root).0
}

/// [`workspace`], with the dpo's key file and fingerprint.
fn workspace_with_key(root: &Path) -> (PathBuf, PathBuf, String) {
    let home = root.join("home");
    let key = root.join("dpo.key");
    let print = stdout(&synthgate(
        &home,
        &["keygen", "--out", key.to_str().expect("utf-8")],
    ))
    .trim()
    .to_string();
    for version in ["1.0.0", "2.0.0"] {
        let dir = root.join(version);
        std::fs::create_dir_all(&dir).expect("dir");
        let spec = dir.join("pipeline.toml");
        std::fs::write(
            &spec,
            format!(
                "[release]\nname = \"heart\"\nversion = \"{version}\"\n\n[source]\npath = {:?}\n\
                 na = [\"?\"]\n\n[split]\nseed = 1\n\n[synthesizer]\nname = \"cart\"\nseed = 2\n\n\
                 [evaluation]\nresamples = 10\n\n[[policy.gates]]\n\
                 metric = \"fidelity.column_shapes\"\nmin = 0.5\n\n[[policy.approvers]]\n\
                 role = \"dpo\"\nkeys = [{print:?}]\n",
                dataset("heart_cleveland").display().to_string()
            ),
        )
        .expect("spec");
        let bundle = dir.join("bundle");
        synthgate(
            &home,
            &[
                "run",
                spec.to_str().expect("utf-8"),
                "--out",
                bundle.to_str().expect("utf-8"),
                "--quiet",
            ],
        );
        if version == "2.0.0" {
            synthgate(
                &home,
                &[
                    "approve",
                    bundle.to_str().expect("utf-8"),
                    "--role",
                    "dpo",
                    "--key",
                    key.to_str().expect("utf-8"),
                ],
            );
        }
    }
    (home, key, print)
}

/// SHA-256 of `text`, hex (a token's digest, as the server config stores it).
fn sha256(text: &str) -> String {
    synthgate_io::sha256_bytes(text.as_bytes())
}

/// A team's config: an admin, `dana` holding the dpo role, `olaf` holding none; the server
/// trusts `trusted` keys for dpo. Returns each user's token.
pub(crate) fn team_config(home: &Path, trusted: &[&str]) -> [(&'static str, &'static str); 3] {
    let tokens = [
        ("admin", "admin-token-0001"),
        ("dana", "dana-token-0002"),
        ("olaf", "olaf-token-0003"),
    ];
    let keys: Vec<String> = trusted.iter().map(|k| format!("{k:?}")).collect();
    std::fs::create_dir_all(home).expect("home");
    std::fs::write(
        home.join("serve.toml"),
        format!(
            "[[users]]\nname = \"admin\"\nadmin = true\ntoken_sha256 = \"{}\"\n\n\
             [[users]]\nname = \"dana\"\nroles = [\"dpo\"]\ntoken_sha256 = \"{}\"\n\n\
             [[users]]\nname = \"olaf\"\nroles = []\ntoken_sha256 = \"{}\"\n\n\
             [[approvers]]\nrole = \"dpo\"\nkeys = [{}]\n\n\
             [[access]]\nenvironment = \"controlled_access\"\nroles = [\"dpo\"]\n",
            sha256(tokens[0].1),
            sha256(tokens[1].1),
            sha256(tokens[2].1),
            keys.join(", ")
        ),
    )
    .expect("config");
    tokens
}

/// Download release `id` as `token` into `into` (unpacked with the system's tar); the
/// status and the error, if any.
fn download(server: &Server, token: &str, id: i64, into: &Path) -> (u16, Value) {
    let mut response = agent()
        .get(format!("{}/api/releases/{id}/download", server.base))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .expect("answers");
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .expect("body");
    if status != 200 {
        return (status, json(&String::from_utf8_lossy(&bytes)));
    }
    std::fs::create_dir_all(into).expect("into");
    let archive = into.join("bundle.tar");
    std::fs::write(&archive, &bytes).expect("archive");
    let unpacked = Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(into)
        .output()
        .expect("tar runs");
    assert!(unpacked.status.success(), "{}", stderr(&unpacked));
    (status, Value::Null)
}

/// The audit log's entries.
pub(crate) fn audit(home: &Path) -> Vec<Value> {
    std::fs::read_to_string(home.join("audit.jsonl"))
        .expect("audit log")
        .lines()
        .map(json)
        .collect()
}

#[test]
fn the_api_answers_with_credentials_only_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let server = start(&home);
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "{}",
        server.base
    );
    assert!(
        !std::fs::read_to_string(home.join("serve.toml"))
            .expect("config")
            .contains(&server.token),
        "the token is stored only as its digest"
    );

    let (status, _, nosniff, body) = get(&server, "/health", None);
    assert_eq!((status, nosniff.as_str()), (200, "nosniff"), "{body}");

    for token in [None, Some("wrong")] {
        let (status, _, _, body) = get(&server, "/api/releases", token);
        assert_eq!(status, 401, "{body}");
        let error = json(&body);
        assert_eq!(error["error"]["kind"], "unauthorized");
        assert_eq!(error["error"]["field"], "Authorization");
    }
    let token = Some(server.token.as_str());
    let (status, csp, _, body) = get(&server, "/api/releases", token);
    assert_eq!(status, 200, "{body}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let list = json(&body);
    let releases = list["releases"].as_array().expect("releases");
    assert_eq!(releases.len(), 2);
    assert_eq!(releases[0]["status"], "pending");
    assert_eq!(releases[0]["pending_roles"], serde_json::json!(["dpo"]));
    assert_eq!(releases[1]["status"], "approved");
    assert_eq!(releases[1]["supersedes"], 1);
    let (_, _, _, body) = get(&server, "/api/releases?status=approved", token);
    assert_eq!(json(&body)["releases"].as_array().map(Vec::len), Some(1));
    let (_, _, _, body) = get(&server, "/api/releases?name=other", token);
    assert_eq!(json(&body)["releases"].as_array().map(Vec::len), Some(0));
    let (_, _, _, body) = get(&server, "/api/releases?limit=1&offset=1", token);
    let page = json(&body);
    assert_eq!(page["total"], 2);
    assert_eq!(page["releases"][0]["id"], 2, "{page}");

    let (status, _, _, body) = get(&server, "/api/releases?status=maybe", token);
    assert_eq!(status, 400);
    assert_eq!(json(&body)["error"]["field"], "status");
    let (status, _, _, body) = get(&server, "/api/releases/99", token);
    assert_eq!(status, 404);
    assert_eq!(json(&body)["error"]["field"], "id");
    let (status, _, _, body) = get(&server, "/api/releases/x1", token);
    assert_eq!(
        (status, json(&body)["error"]["field"].as_str()),
        (400, Some("id"))
    );
    let posted = agent()
        .post(format!("{}/api/releases", server.base))
        .header("Authorization", format!("Bearer {}", server.token))
        .send_empty()
        .expect("answers");
    assert_eq!(posted.status().as_u16(), 405);

    let (status, _, _, body) = get(&server, "/api/releases/1", token);
    assert_eq!(status, 200, "{body}");
    let shown = json(&body);
    assert_eq!(shown["gates"][0]["metric"], "fidelity.column_shapes");
    assert_eq!(shown["required_roles"], serde_json::json!(["dpo"]));
    assert_eq!(shown["bundle_present"], true);
    let (_, _, _, body) = get(&server, "/api/releases/2/report", token);
    assert!(
        json(&body)["metrics"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (_, _, _, body) = get(&server, "/api/releases/2/datasheet", token);
    assert!(json(&body)["@context"].is_object(), "a Croissant datasheet");
    let (_, _, _, body) = get(&server, "/api/releases/2/audit", token);
    assert!(
        json(&body)["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["action"] == "run"))
    );
    let (_, _, _, body) = get(&server, "/api/releases/1/lineage", token);
    assert_eq!(json(&body)["releases"].as_array().map(Vec::len), Some(2));
    let (status, _, _, body) = get(&server, "/api/audit", token);
    assert_eq!(status, 200);
    assert_eq!(json(&body)["problems"], serde_json::json!([]));

    // The admin withdraws release 1: its status is withdrawn from then on.
    let withdraw = |token: &str, body: &str| {
        let mut response = agent()
            .post(format!("{}/api/releases/1/withdraw", server.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body)
            .expect("answers");
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (response.status().as_u16(), json(&text))
    };
    let (status, body) = withdraw(&server.token, "{}");
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("reason"))
    );
    let (status, body) = withdraw(&server.token, r#"{"reason": "superseded by 2.0.0"}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["withdrawn_by"], "admin");
    let (status, body) = withdraw(&server.token, r#"{"reason": "again"}"#);
    assert_eq!(
        (status, body["error"]["kind"].as_str()),
        (409, Some("already_withdrawn"))
    );
    let (_, _, _, body) = get(&server, "/api/releases?status=withdrawn", token);
    assert_eq!(json(&body)["releases"][0]["id"], 1, "{body}");

    let (status, _, _, body) = get(&server, "/openapi.json", None);
    assert_eq!(status, 401, "{body}");
    let (_, _, _, body) = get(&server, "/openapi.json", token);
    let doc = json(&body);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/releases/{id}"]["get"].is_object());
}

fn browser() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Debian's chromium must be installed (apt-get install chromium); scripts/test does")
}

#[test]
fn a_reviewer_signs_in_with_the_link_and_reads_a_release_in_a_browser() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let server = start(&home);
    let profile = dir.path().join("chromium-profile");
    let chromium = |url: &str, extra: &[String]| {
        let output = Command::new(browser())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &format!("--user-data-dir={}", profile.display()),
                "--virtual-time-budget=5000",
            ])
            .args(extra)
            .arg(url)
            .output()
            .expect("chromium runs");
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let dump = ["--dump-dom".to_string()];
    // Signed out, a page says how to sign in.
    let signed_out = chromium(&format!("{}/", server.base), &dump);
    assert!(signed_out.contains("open the login link"), "{signed_out}");
    // The link signs in (a cookie in the profile) and lands on the releases page.
    let list = chromium(&server.login, &dump);
    assert!(list.contains("<h1>Releases</h1>"), "{list}");
    assert!(list.contains("Signed in as admin"));
    assert_eq!(
        list.matches("href=\"/releases/").count(),
        3,
        "two releases and a supersedes link"
    );
    assert!(list.contains("data-status=\"approved\"") && list.contains("data-status=\"pending\""));
    // A filter from the form's own query.
    let pending = chromium(&format!("{}/?status=pending", server.base), &dump);
    assert!(pending.contains("1 release(s)"), "{pending}");
    // The release page: verdict, gates, decisions, pending roles, lineage, audit trail, the
    // report embedded.
    let page = chromium(&format!("{}/releases/2", server.base), &dump);
    for needle in [
        "id=\"verdict\"",
        "data-status=\"approved\"",
        "data-metric=\"fidelity.column_shapes\"",
        "<td>dpo</td>",
        "id=\"lineage\"",
        "supersedes #1",
        "<td>run</td>",
        "src=\"/releases/2/report.html\"",
    ] {
        assert!(page.contains(needle), "the release page lacks {needle}");
    }
    let first = chromium(&format!("{}/releases/1", server.base), &dump);
    assert!(
        first.contains("Still to decide: <span id=\"pending\">dpo</span>"),
        "{first}"
    );
    let shot = dir.path().join("release.png");
    chromium(
        &format!("{}/releases/2", server.base),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    // The link works once.
    let again = chromium(&server.login, &dump);
    assert!(again.contains("used already"), "{again}");
    // The login is in the audit log, with the user's name, and the chain still verifies.
    drop(server);
    let log = std::fs::read_to_string(home.join("audit.jsonl")).expect("audit log");
    assert!(
        log.lines()
            .any(|l| l.contains("\"action\":\"login\"") && l.contains("\"user\":\"admin\"")),
        "{log}"
    );
    synthgate(&home, &["audit", "verify"]);
}

#[test]
fn serve_refuses_an_address_beyond_loopback_and_a_missing_config() {
    let dir = tempfile::tempdir().expect("temp");
    let home = dir.path().join("home");
    for (args, needle) in [
        (vec!["serve", "--bind", "0.0.0.0:0"], "loopback only"),
        (
            vec![
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--config",
                "/nonexistent/team.toml",
            ],
            "no such file",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args(&args)
            .env("SYNTHGATE_HOME", &home)
            .env_remove("SYNTHGATE_REGISTRY")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(needle), "{}", stderr(&output));
    }
    assert!(!home.join("serve.toml").exists());
}

/// A draft from the API, signed here with `key` (as a browser would), sent back after `tamper`.
fn sign_and_send(
    server: &Server,
    token: &str,
    id: i64,
    key: &Path,
    tamper: impl FnOnce(&mut synthgate_release::keys::Approval),
) -> (u16, Value) {
    let secret = synthgate_release::keys::load(key).expect("key");
    let public = synthgate_release::keys::hex(secret.verifying_key().as_bytes());
    let (status, _, _, body) = get(
        server,
        &format!("/api/releases/{id}/draft?role=dpo&decision=approve&public_key={public}"),
        Some(token),
    );
    if status != 200 {
        return (status, json(&body));
    }
    let draft = json(&body);
    let body: synthgate_release::keys::ApprovalBody =
        serde_json::from_value(draft["body"].clone()).expect("a draft body");
    assert_eq!(
        synthgate_release::keys::hex(&synthgate_release::keys::message(&body).expect("message")),
        draft["message"].as_str().expect("message"),
        "the bytes to sign are the body's canonical JSON"
    );
    let mut approval = synthgate_release::keys::sign(body, &secret).expect("sign");
    tamper(&mut approval);
    let mut response = agent()
        .post(format!("{}/api/releases/{id}/decisions", server.base))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(serde_json::to_string(&serde_json::json!({ "approval": approval })).expect("json"))
        .expect("answers");
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (response.status().as_u16(), json(&text))
}

/// Authorisation: a wrong token, a user without the role, a key the server does not trust, a
/// key the policy does not allow, a forged signature, a stale head: each refused with its
/// status, the refusals of the server's own checks recorded in the audit log naming the user;
/// nothing refused reaches the bundle; then the right user with the right key is recorded.
#[test]
fn decisions_are_refused_unless_the_user_role_and_key_all_fit() {
    let dir = tempfile::tempdir().expect("temp");
    let (home, key, print) = workspace_with_key(dir.path());
    // A second key the server trusts for dpo but the release's policy does not name, and one
    // nobody trusts.
    let other = dir.path().join("other.key");
    let other_print = stdout(&synthgate(
        &home,
        &["keygen", "--out", other.to_str().expect("utf-8")],
    ))
    .trim()
    .to_string();
    let stranger = dir.path().join("stranger.key");
    synthgate(
        &home,
        &["keygen", "--out", stranger.to_str().expect("utf-8")],
    );
    let tokens = team_config(&home, &[&print, &other_print]);
    let server = start(&home);
    let (dana, olaf) = (tokens[1].1, tokens[2].1);

    let (status, body) = sign_and_send(&server, "forged-token", 1, &key, |_| {});
    assert_eq!(
        (status, body["error"]["kind"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = sign_and_send(&server, olaf, 1, &key, |_| {});
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (403, Some("role")),
        "{body}"
    );
    let (status, body) = sign_and_send(&server, dana, 1, &stranger, |_| {});
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not one the server trusts")),
        "{body}"
    );
    let (status, body) = sign_and_send(&server, dana, 1, &other, |_| {});
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (403, Some("key_fingerprint")),
        "{body}"
    );
    let (status, body) = sign_and_send(&server, dana, 1, &key, |a| {
        a.body.comment = "edited after signing".into();
    });
    assert_eq!(
        (status, body["error"]["kind"].as_str()),
        (409, Some("verification_failed")),
        "{body}"
    );
    let (status, body) = sign_and_send(&server, dana, 1, &key, |a| {
        a.body.prev_sha256 = Some("0".repeat(64));
        let secret = synthgate_release::keys::load(&key).expect("key");
        *a = synthgate_release::keys::sign(a.body.clone(), &secret).expect("re-sign");
    });
    assert_eq!(
        (status, body["error"]["kind"].as_str()),
        (409, Some("stale_head")),
        "{body}"
    );

    let refusals: Vec<Value> = audit(&home)
        .into_iter()
        .filter(|e| e["action"] == "refused")
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(
        refusals
            .iter()
            .all(|r| r["details"]["request"] == "decision")
    );
    assert_eq!(refusals[0]["details"]["user"], "olaf");
    assert_eq!(refusals[1]["details"]["user"], "dana");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("1.0.0/bundle/approvals.jsonl"))
            .unwrap_or_default(),
        "",
        "nothing refused reached the bundle"
    );

    // Not approved yet: nobody downloads it.
    let (status, body) = download(&server, dana, 1, &dir.path().join("early"));
    assert_eq!(
        (status, body["error"]["kind"].as_str()),
        (409, Some("not_approved")),
        "{body}"
    );

    let (status, body) = sign_and_send(&server, dana, 1, &key, |_| {});
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "approved");
    // A controlled-access release: refused to a user the config grants it to through none of
    // their roles (audited), given to the dpo.
    let (status, body) = download(&server, olaf, 1, &dir.path().join("olaf"));
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (403, Some("id")),
        "{body}"
    );
    assert!(
        audit(&home).iter().any(|e| e["action"] == "refused"
            && e["details"]["request"] == "download"
            && e["details"]["user"] == "olaf"),
        "the refused download is audited"
    );
    let (status, _) = download(&server, dana, 1, &dir.path().join("dana"));
    assert_eq!(status, 200);
    assert!(dir.path().join("dana/heart-1.0.0/manifest.json").is_file());
    assert!(
        audit(&home)
            .iter()
            .any(|e| e["action"] == "download" && e["details"]["user"] == "dana")
    );
    let approve = audit(&home)
        .into_iter()
        .rfind(|e| e["action"] == "approve")
        .expect("an approve entry");
    assert_eq!(approve["details"]["user"], "dana");
    // Only an admin withdraws a release; the refusal is audited.
    let mut response = agent()
        .post(format!("{}/api/releases/1/withdraw", server.base))
        .header("Authorization", format!("Bearer {dana}"))
        .header("Content-Type", "application/json")
        .send(r#"{"reason": "not hers to withdraw"}"#)
        .expect("answers");
    assert_eq!(response.status().as_u16(), 403);
    let _ = response.body_mut().read_to_string();
    assert!(audit(&home).iter().any(|e| e["action"] == "refused"
        && e["details"]["request"] == "withdraw"
        && e["details"]["user"] == "dana"));
    synthgate(&home, &["audit", "verify"]);
}

/// The issue's browser test: sign in, open a release, read its gates, sign an approval with a
/// key file opened in the page (WebCrypto Ed25519; the key never leaves the browser), see the
/// status become approved; the bundle then verifies offline with `--require-approved` against
/// the operator alone.
#[test]
fn a_reviewer_signs_an_approval_in_the_browser_and_the_bundle_verifies_offline() {
    let playwright = std::env::var("SYNTHGATE_PLAYWRIGHT").unwrap_or_else(|_| {
        panic!(
            "this test drives chromium with Playwright: run scripts/test, which installs \
             playwright-core from npm, or set SYNTHGATE_PLAYWRIGHT to a node_modules folder \
             holding it"
        )
    });
    let dir = tempfile::tempdir().expect("temp");
    let (home, key, print) = workspace_with_key(dir.path());
    let tokens = team_config(&home, &[&print]);
    let server = start(&home);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/review.cjs");
    let shots = dir.path().join("shots");
    std::fs::create_dir_all(&shots).expect("shots");
    let output = Command::new("node")
        .arg(&script)
        .args([
            server.base.as_str(),
            tokens[1].1,
            "1",
            key.to_str().expect("utf-8"),
            shots.to_str().expect("utf-8"),
        ])
        .env("NODE_PATH", &playwright)
        .output()
        .expect("node runs (Node.js is on the machine)");
    assert!(output.status.success(), "{}", stderr(&output));
    let seen = json(stdout(&output).trim());
    assert_eq!(seen["list"], 2, "{seen}");
    assert!(
        seen["gates"].as_array().is_some_and(|g| g
            .iter()
            .any(|x| x["metric"] == "fidelity.column_shapes" && x["outcome"] == "pass")),
        "{seen}"
    );
    assert_eq!(seen["before"], "pending", "{seen}");
    assert_eq!(seen["pending_before"], "dpo");
    // Both releases of the source are drawn in the lineage graph, and it has a size.
    assert_eq!(seen["lineage_boxes"], 2, "{seen}");
    assert!(
        seen["lineage_height"].as_f64().is_some_and(|h| h > 50.0),
        "{seen}"
    );
    assert!(
        seen["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Recorded")),
        "{seen}"
    );
    assert_eq!(seen["after"], "approved", "{seen}");
    assert_eq!(seen["reloaded"], "approved", "{seen}");
    assert_eq!(
        seen["without_csrf"], 403,
        "a session's POST needs its token: {seen}"
    );
    assert!(seen["requests"].as_u64().is_some_and(|n| n > 5), "{seen}");
    assert_eq!(
        seen["key_sent"], false,
        "the secret key left the page: {seen}"
    );
    assert!(
        seen["decisions"][0][0] == "dpo" && seen["decisions"][0][1] == "approve",
        "{seen}"
    );
    for shot in ["releases.png", "release-before.png", "release-after.png"] {
        let png = std::fs::read(shots.join(shot)).expect("screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{shot}: {} bytes",
            png.len()
        );
    }
    drop(server);
    // The decision is in the bundle, signed by the dpo's key, and the audit log names dana.
    let bundle = dir.path().join("1.0.0/bundle");
    let line = std::fs::read_to_string(bundle.join("approvals.jsonl")).expect("approvals");
    let approval: Value = json(line.trim());
    assert_eq!(approval["key_fingerprint"], print.as_str());
    assert_eq!(approval["comment"], "Reviewed in the browser");
    assert!(
        audit(&home)
            .iter()
            .any(|e| e["action"] == "approve" && e["details"]["user"] == "dana")
    );
    // Downloaded from the service and verified elsewhere with nothing but the operator's
    // fingerprint.
    let operator = json(&std::fs::read_to_string(bundle.join("manifest.sig")).expect("sig"))
        ["key_fingerprint"]
        .as_str()
        .expect("operator")
        .to_string();
    let server = start(&home);
    let elsewhere = dir.path().join("elsewhere");
    let (status, body) = download(&server, tokens[1].1, 1, &elsewhere);
    assert_eq!(status, 200, "{body}");
    drop(server);
    let copy = elsewhere.join("heart-1.0.0");
    let verified = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args([
            "verify",
            copy.to_str().expect("utf-8"),
            "--require-approved",
            "--trust-operator",
            &operator,
            "--quiet",
        ])
        .env("SYNTHGATE_HOME", elsewhere.join("no-workspace"))
        .env_remove("SYNTHGATE_REGISTRY")
        .output()
        .expect("verify runs");
    assert!(
        verified.status.success(),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );
}

/// Schemathesis (PyPI) fuzzes the API from its own OpenAPI document: every operation, with
/// valid and invalid inputs, signed in; no answer is a 5xx, and every answer has a status,
/// content type and body the document declares.
#[test]
fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let schemathesis = std::env::var("SYNTHGATE_SCHEMATHESIS").unwrap_or_else(|_| {
        panic!(
            "this test runs schemathesis: run scripts/test, which installs it from PyPI, or set \
             SYNTHGATE_SCHEMATHESIS to its command"
        )
    });
    let dir = tempfile::tempdir().expect("temp");
    let (home, _, print) = workspace_with_key(dir.path());
    let tokens = team_config(&home, &[&print]);
    // Jobs open to the fuzzing user, over an empty data root: every spec it makes up is
    // looked for there and refused, none run.
    let root = dir.path().join("data");
    std::fs::create_dir_all(&root).expect("root");
    let config = home.join("serve.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!(
        "\n[jobs]\ndata_roots = [{:?}]\nusers = [\"dana\"]\n",
        root.display().to_string()
    ));
    std::fs::write(&config, text).expect("config");
    let server = start(&home);
    let output = Command::new(&schemathesis)
        .args([
            "run",
            &format!("{}/openapi.json", server.base),
            "--header",
            &format!("Authorization: Bearer {}", tokens[1].1),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
        ])
        .current_dir(dir.path())
        .output()
        .expect("schemathesis runs");
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    drop(server);
    synthgate(&home, &["audit", "verify"]);
}

/// A key the config revokes from a date on decides nothing from then: its decision is refused
/// (403, naming the date and the reason), the refusal audited with the user, and nothing
/// reaches the bundle. A revocation whose date is no moment keeps the server from starting,
/// the file named. Broken twin run: without the revocation check in `may_decide` the decision
/// is recorded (201) and this fails.
#[test]
fn a_key_revoked_from_a_date_on_is_refused() {
    let dir = tempfile::tempdir().expect("temp");
    let (home, key, print) = workspace_with_key(dir.path());
    let tokens = team_config(&home, &[&print]);
    let config = home.join("serve.toml");
    let trusted = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        format!(
            "{trusted}\n[[revoked]]\nkey = \"{print}\"\nfrom = \"2000-01-01\"\n\
             reason = \"left the team\"\n"
        ),
    )
    .expect("config");
    let server = start(&home);
    let (status, body) = sign_and_send(&server, tokens[1].1, 1, &key, |_| {});
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked from 2000-01-01 (left the team)")),
        "{body}"
    );
    assert!(
        audit(&home).iter().any(|e| e["action"] == "refused"
            && e["details"]["user"] == "dana"
            && e["details"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("revoked"))),
        "the refusal is audited"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("1.0.0/bundle/approvals.jsonl"))
            .unwrap_or_default(),
        "",
        "nothing refused reached the bundle"
    );
    drop(server);

    std::fs::write(
        &config,
        format!("{trusted}\n[[revoked]]\nkey = \"{print}\"\nfrom = \"2026-12-01T09:00:00\"\n"),
    )
    .expect("config");
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("SYNTHGATE_HOME", &home)
        .env_remove("SYNTHGATE_REGISTRY")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("serve.toml") && stderr(&output).contains("a time with its zone"),
        "{}",
        stderr(&output)
    );
}

/// Bounded load on loopback: 50 clients at once, half reading (the list, a release, its
/// report's gates) and half approving release 1 with the dpo's key, each signing on the head
/// the server gives it and signing again when another approval got there first (409
/// `stale_head`), as the review page does. No answer is a 5xx, and every approval is kept
/// exactly once: the bundle's chain holds one decision per approving client (its comment names
/// the client), `verify --require-approved` accepts it, and the audit log has one approve entry
/// per client, each naming dana.
#[test]
fn concurrent_readers_and_approvers_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().expect("temp");
    let (home, key, print) = workspace_with_key(dir.path());
    let tokens = team_config(&home, &[&print]);
    let server = start(&home);
    let dana = tokens[1].1;
    let secret = synthgate_release::keys::load(&key).expect("key");
    let public = synthgate_release::keys::hex(secret.verifying_key().as_bytes());
    const CLIENTS: usize = 25;
    let (server_errors, recorded) = std::thread::scope(|scope| {
        let mut readers = Vec::new();
        for client in 0..CLIENTS {
            let server = &server;
            readers.push(scope.spawn(move || {
                let mut errors = 0;
                for round in 0..10 {
                    let path = match (client + round) % 3 {
                        0 => "/api/releases?limit=10".to_string(),
                        1 => "/api/releases/1".to_string(),
                        _ => "/api/releases/2/lineage".to_string(),
                    };
                    let (status, _, _, _) = get(server, &path, Some(dana));
                    if status >= 500 {
                        errors += 1;
                    }
                }
                errors
            }));
        }
        let mut approvers = Vec::new();
        for client in 0..CLIENTS {
            let (server, secret, public) = (&server, &secret, &public);
            approvers.push(scope.spawn(move || {
                let mut errors = 0;
                for _attempt in 0..200 {
                    let (status, _, _, body) = get(
                        server,
                        &format!(
                            "/api/releases/1/draft?role=dpo&decision=approve&comment=client-{client}\
                             &public_key={public}"
                        ),
                        Some(dana),
                    );
                    if status >= 500 {
                        errors += 1;
                    }
                    assert_eq!(status, 200, "{body}");
                    let draft = json(&body);
                    let body: synthgate_release::keys::ApprovalBody =
                        serde_json::from_value(draft["body"].clone()).expect("a draft body");
                    let approval = synthgate_release::keys::sign(body, secret).expect("sign");
                    let mut response = agent()
                        .post(format!("{}/api/releases/1/decisions", server.base))
                        .header("Authorization", format!("Bearer {dana}"))
                        .header("Content-Type", "application/json")
                        .send(
                            serde_json::to_string(&serde_json::json!({ "approval": approval }))
                                .expect("json"),
                        )
                        .expect("answers");
                    let status = response.status().as_u16();
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    match status {
                        201 => return (errors, true),
                        409 if json(&text)["error"]["kind"] == "stale_head" => continue,
                        s if s >= 500 => errors += 1,
                        _ => panic!("client {client}: {status} {text}"),
                    }
                }
                (errors, false)
            }));
        }
        let mut errors: usize = readers.into_iter().map(|r| r.join().expect("reader")).sum();
        let mut recorded = 0;
        for approver in approvers {
            let (e, kept) = approver.join().expect("approver");
            errors += e;
            recorded += usize::from(kept);
        }
        (errors, recorded)
    });
    assert_eq!(server_errors, 0, "answers with a 5xx status");
    assert_eq!(
        recorded, CLIENTS,
        "every approver got its decision recorded"
    );
    drop(server);

    let bundle = dir.path().join("1.0.0/bundle");
    let chain = std::fs::read_to_string(bundle.join("approvals.jsonl")).expect("approvals");
    let mut comments: Vec<String> = chain
        .lines()
        .map(|line| json(line)["comment"].as_str().expect("comment").to_string())
        .collect();
    assert_eq!(comments.len(), CLIENTS, "one decision per client:\n{chain}");
    comments.sort();
    comments.dedup();
    assert_eq!(
        comments.len(),
        CLIENTS,
        "no client's decision twice:\n{chain}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args([
            "verify",
            bundle.to_str().expect("utf-8"),
            "--require-approved",
        ])
        .env("SYNTHGATE_HOME", &home)
        .env_remove("SYNTHGATE_REGISTRY")
        .output()
        .expect("verify runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let approvals = audit(&home)
        .into_iter()
        .filter(|e| e["action"] == "approve" && e["details"]["user"] == "dana")
        .count();
    assert_eq!(approvals, CLIENTS, "one approve entry per client");
    synthgate(&home, &["audit", "verify"]);
}

/// Drift in the service: each `synthgate drift` of a release (recorded in the audit log) is
/// listed by `GET /api/releases/{id}/drift`, oldest first, with its snapshot's digest and
/// verdict, and shown on the release's page; a release never measured says how to measure it.
#[test]
fn a_release_lists_its_drift_measurements() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let bundle = dir.path().join("1.0.0/bundle");
    let snapshot = dataset("heart_cleveland");
    // Twice: the same snapshot, then one with its rows halved (another digest).
    let half = dir.path().join("half.csv");
    let text = std::fs::read_to_string(&snapshot).expect("snapshot");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&half, lines[..lines.len() / 2].join("\n") + "\n").expect("half");
    for data in [snapshot.as_path(), half.as_path()] {
        let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args([
                "drift",
                bundle.to_str().expect("utf-8"),
                data.to_str().expect("utf-8"),
            ])
            .env("SYNTHGATE_HOME", &home)
            .env_remove("SYNTHGATE_REGISTRY")
            .output()
            .expect("drift runs");
        assert!(
            matches!(output.status.code(), Some(0) | Some(4)),
            "{}",
            stderr(&output)
        );
    }
    let server = start(&home);
    let (status, _, _, body) = get(&server, "/api/releases/1/drift", Some(&server.token));
    assert_eq!(status, 200, "{body}");
    let runs = json(&body)["runs"].as_array().expect("runs").clone();
    assert_eq!(runs.len(), 2, "{body}");
    assert_eq!(
        runs[0]["new_data_sha256"],
        synthgate_io::sha256_file(&snapshot).expect("digest")
    );
    assert_eq!(
        runs[1]["new_data_sha256"],
        synthgate_io::sha256_file(&half).expect("digest")
    );
    assert!(runs[0]["seq"].as_u64() < runs[1]["seq"].as_u64());
    // Release 2 was never measured.
    let (_, _, _, body) = get(&server, "/api/releases/2/drift", Some(&server.token));
    assert_eq!(json(&body)["runs"], serde_json::json!([]));
    // The pages: a table of two rows on release 1, the sentence on release 2.
    let page = |id: i64| {
        let mut response = agent()
            .get(format!("{}/releases/{id}", server.base))
            .header("Authorization", format!("Bearer {}", server.token))
            .call()
            .expect("answers");
        response.body_mut().read_to_string().expect("page")
    };
    let one = page(1);
    let table = one
        .split("<table id=\"drift\">")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no drift table:\n{one}"));
    assert_eq!(table.matches("<tr><td>").count(), 2, "{table}");
    assert!(page(2).contains("No drift measured yet"));
}

/// `openssl` makes a throwaway CA and a certificate for 127.0.0.1 signed by it, in `dir`:
/// (CA certificate, server certificate, server key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs (Debian's openssl package)");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            stderr(&output)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=test-ca",
        "-days",
        "2",
    ]);
    run(&ca);
    let mut request = vec!["req"];
    request.extend(ec);
    request.extend([
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&request);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

/// With a certificate and key the service speaks HTTPS and may listen beyond loopback: a
/// client trusting the certificate's CA gets the health check, the API with a token, and a
/// login whose session cookie is `Secure`; a plain-HTTP request to the same port gets no
/// answer. A missing certificate file is refused, the flag and file named; a key without a
/// certificate is a usage error.
#[test]
fn with_a_certificate_it_speaks_https_beyond_loopback() {
    let dir = tempfile::tempdir().expect("temp");
    let home = workspace(dir.path());
    let (ca, cert, key) = certificates(dir.path());
    let server = start_with(
        &home,
        &[
            OsStr::new("serve"),
            OsStr::new("--bind"),
            OsStr::new("0.0.0.0:0"),
            OsStr::new("--tls-cert"),
            cert.as_os_str(),
            OsStr::new("--tls-key"),
            key.as_os_str(),
        ],
    );
    let port = server
        .base
        .strip_prefix("https://0.0.0.0:")
        .expect("it says where it listens, over https")
        .to_string();
    let base = format!("https://127.0.0.1:{port}");
    assert!(
        server.login.starts_with("https://"),
        "and its login link is https"
    );
    let pem = std::fs::read(&ca).expect("ca");
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
            ureq::tls::Certificate::from_pem(&pem).expect("a PEM certificate"),
        ])))
        .build();
    let https: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut health = https
        .get(format!("{base}/health"))
        .call()
        .expect("an HTTPS answer");
    assert_eq!(health.status().as_u16(), 200);
    let _ = health.body_mut().read_to_string();
    let mut list = https
        .get(format!("{base}/api/releases"))
        .header("Authorization", format!("Bearer {}", server.token))
        .call()
        .expect("an HTTPS answer");
    assert_eq!(list.status().as_u16(), 200);
    let body = json(&list.body_mut().read_to_string().expect("body"));
    assert_eq!(body["releases"].as_array().map(Vec::len), Some(2), "{body}");
    let signed_in = https
        .get(server.login.replace("0.0.0.0", "127.0.0.1"))
        .call()
        .expect("an HTTPS answer");
    assert_eq!(signed_in.status().as_u16(), 303);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP on the TLS port: no HTTP answer.
    let plain = agent()
        .get(format!("http://127.0.0.1:{port}/health"))
        .call();
    assert!(
        plain.as_ref().map_or(true, |r| r.status().as_u16() != 200),
        "plain HTTP was answered"
    );
    drop(server);

    for (args, needle) in [
        (
            vec![
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--tls-cert",
                "/nonexistent/cert.pem",
                "--tls-key",
                key.to_str().expect("utf-8"),
            ],
            "--tls-cert",
        ),
        (
            vec![
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--tls-key",
                key.to_str().expect("utf-8"),
            ],
            "--tls-cert",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
            .args(&args)
            .env("SYNTHGATE_HOME", &home)
            .env_remove("SYNTHGATE_REGISTRY")
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(needle), "{}", stderr(&output));
    }
}
