//! The router: one table of routes that both dispatches requests and makes the OpenAPI
//! document, the checks every request goes through (authentication, method, parameters), the
//! JSON handlers, and the headers every response carries.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use synthgate_core::{Error, ErrorKind};
use synthgate_engine::{audit_verify, review};

use crate::Service;
use crate::auth::Caller;
use crate::jobs;
use crate::pages;

/// A response before it is sent.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        let mut body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        body.push(b'\n');
        Reply {
            status,
            content_type: "application/json",
            body,
            headers: Vec::new(),
        }
    }

    pub(crate) fn html(status: u16, html: String) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            body: html.into_bytes(),
            headers: Vec::new(),
        }
    }
}

/// A caller's mistake or a failure, as the JSON error every route answers with.
#[derive(Debug)]
pub(crate) struct Problem {
    status: u16,
    kind: &'static str,
    message: String,
    field: Option<String>,
}

impl Problem {
    pub(crate) fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn field(mut self, field: &str) -> Problem {
        self.field = Some(field.to_string());
        self
    }

    fn reply(&self, browser: bool) -> Reply {
        if browser {
            return Reply::html(self.status, pages::problem(self.status, &self.message));
        }
        Reply::json(
            self.status,
            &json!({"error": {"kind": self.kind, "message": self.message, "field": self.field}}),
        )
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Problem {
        let (status, kind) = crate::status_of(error.kind());
        Problem::new(status, kind, error.message())
    }
}

/// What a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// JSON, described by the named schema of the OpenAPI document.
    Json(&'static str),
    /// An HTML page.
    Page,
    /// A redirect.
    Redirect,
    /// A script.
    Script,
    /// A tar archive.
    Archive,
}

/// A query parameter a route takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    /// Allowed values, when the parameter is one of a few.
    pub(crate) one_of: &'static [&'static str],
    /// A pattern the value must match (documentation; the handler checks it).
    pub(crate) pattern: Option<&'static str>,
    /// For a whole number: its least and greatest values (checked here).
    pub(crate) range: Option<(u64, u64)>,
    pub(crate) required: bool,
}

/// One route: the router matches on it and the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub(crate) method: &'static str,
    /// The path, `{id}` for a release's registry id.
    pub(crate) path: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) query: &'static [Param],
    pub(crate) answer: Answer,
    /// Whether it needs a signed-in caller.
    pub(crate) authenticated: bool,
}

const STATUS: Param = Param {
    name: "status",
    description: "Only releases whose review status is this.",
    one_of: &["approved", "pending", "rejected", "withdrawn"],
    pattern: None,
    range: None,
    required: false,
};
const NAME: Param = Param {
    name: "name",
    description: "Only releases of this name.",
    one_of: &[],
    pattern: None,
    range: None,
    required: false,
};
const RELEASABLE: Param = Param {
    name: "releasable",
    description: "Only releases whose gates all passed (true) or not (false).",
    one_of: &["true", "false"],
    pattern: None,
    range: None,
    required: false,
};
const ROLE: Param = Param {
    name: "role",
    description: "The approver role to decide for.",
    one_of: &[],
    pattern: None,
    range: None,
    required: true,
};
const DECISION: Param = Param {
    name: "decision",
    description: "Approve or reject.",
    one_of: &["approve", "reject"],
    pattern: None,
    range: None,
    required: true,
};
const COMMENT: Param = Param {
    name: "comment",
    description: "Conditions or remarks.",
    one_of: &[],
    pattern: None,
    range: None,
    required: false,
};
const PUBLIC_KEY: Param = Param {
    name: "public_key",
    description: "The signer's Ed25519 public key, 64 hex digits.",
    one_of: &[],
    pattern: Some("^[0-9a-fA-F]{64}$"),
    range: None,
    required: true,
};
/// How many releases a list answers with at most (default 100).
const LIMIT: Param = Param {
    name: "limit",
    description: "At most this many releases (default 100).",
    one_of: &[],
    required: false,
    pattern: None,
    range: Some((1, 1000)),
};
const OFFSET: Param = Param {
    name: "offset",
    description: "Skip this many matching releases first (default 0).",
    one_of: &[],
    required: false,
    pattern: None,
    range: Some((0, 1_000_000_000)),
};
const CODE: Param = Param {
    name: "code",
    description: "The one-time login code `synthgate serve` printed.",
    one_of: &[],
    pattern: None,
    range: None,
    required: true,
};

/// Every route, in the order the OpenAPI document lists them.
pub(crate) const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/health",
        summary: "Whether the service is up (the one route that needs no credentials).",
        query: &[],
        answer: Answer::Json("Health"),
        authenticated: false,
    },
    Route {
        method: "GET",
        path: "/openapi.json",
        summary: "This document.",
        query: &[],
        answer: Answer::Json("OpenApi"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases",
        summary: "Every registered release, oldest first, with its review status.",
        query: &[NAME, RELEASABLE, STATUS, LIMIT, OFFSET],
        answer: Answer::Json("ReleaseList"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}",
        summary: "One release: its registry record, gates, decisions, the roles still to decide.",
        query: &[],
        answer: Answer::Json("Release"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/report",
        summary: "The release's evaluation report (report/report.json of its bundle).",
        query: &[],
        answer: Answer::Json("Document"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/datasheet",
        summary: "The release's Croissant datasheet (datasheet.json of its bundle).",
        query: &[],
        answer: Answer::Json("Document"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/audit",
        summary: "The audit segment the bundle carries (audit/log.jsonl): its run's entries.",
        query: &[],
        answer: Answer::Json("AuditSegment"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/lineage",
        summary: "Every release made from the same source, with which supersedes which.",
        query: &[],
        answer: Answer::Json("ReleaseList"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/drift",
        summary: "Every drift measurement of the release (`synthgate drift` on a new snapshot), \
                  oldest first, as the workspace's audit log recorded them: when, the \
                  snapshot's digest, and what exceeded the policy's limits.",
        query: &[],
        answer: Answer::Json("DriftHistory"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/download",
        summary: "The release's bundle as a tar archive, once it is approved: open to every \
                  signed-in user for a public release, to the roles the server config's \
                  [[access]] grants for a licensed or controlled-access one, to nobody for a \
                  secure-enclave one. Every download and refusal is audited.",
        query: &[],
        answer: Answer::Archive,
        authenticated: true,
    },
    Route {
        method: "POST",
        path: "/api/releases/{id}/withdraw",
        summary: "Withdraw a release (admins only): body {\"reason\": TEXT}; recorded in the \
                  registry and the audit log with the user's name; its status is withdrawn from \
                  then on, and `verify --require-approved` fails wherever the registry is \
                  consulted.",
        query: &[],
        answer: Answer::Json("ReleaseRow"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/releases/{id}/draft",
        summary: "The decision to sign, on the bundle's current head: its body and the bytes \
                  to sign (hex). Sign them where the key lives; the key never comes here.",
        query: &[ROLE, DECISION, COMMENT, PUBLIC_KEY],
        answer: Answer::Json("Draft"),
        authenticated: true,
    },
    Route {
        method: "POST",
        path: "/api/releases/{id}/decisions",
        summary: "Record a decision signed over a draft: checked against the approver keys the \
                  server trusts for the role and the release's policy, the caller's roles and \
                  the chain's current head (a stale one is 409: sign again). Body: \
                  {\"approval\": {...draft body, \"signature\": HEX}}; a browser session also \
                  sends its X-CSRF-Token.",
        query: &[],
        answer: Answer::Json("Decision"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/jobs",
        summary: "Submitted pipeline runs, oldest first: the caller's own (an admin's: \
                  everyone's), each with its status, step, progress and outcome.",
        query: &[],
        answer: Answer::Json("JobList"),
        authenticated: true,
    },
    Route {
        method: "POST",
        path: "/api/jobs",
        summary: "Submit a pipeline run (admins and the server config's [jobs] users): body \
                  {\"spec\": PATH}, a pipeline spec under one of the config's data roots \
                  (relative: to the first). The spec and every file it reads must lie under \
                  them (links followed), a prompt-based run may call only the config's \
                  llm_urls, and the bundle is written to the workspace's releases/ folder. \
                  Answers 202 with the queued job; jobs run one at a time.",
        query: &[],
        answer: Answer::Json("Job"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/jobs/{id}",
        summary: "One job: status (queued, running, succeeded, failed, cancelled), its step \
                  and progress while it runs, its release's registry id once registered, or \
                  its error.",
        query: &[],
        answer: Answer::Json("Job"),
        authenticated: true,
    },
    Route {
        method: "POST",
        path: "/api/jobs/{id}/cancel",
        summary: "Stop a job (its submitter or an admin): a queued one is cancelled at once, a \
                  running one between its steps, writing nothing; an ended one is 409.",
        query: &[],
        answer: Answer::Json("Job"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/static/review.js",
        summary: "The review page's script: signs a decision in the browser with WebCrypto.",
        query: &[],
        answer: Answer::Script,
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/api/audit",
        summary: "The workspace's audit log checked whole and against the registry.",
        query: &[],
        answer: Answer::Json("AuditReport"),
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/",
        summary: "The releases page (HTML).",
        query: &[NAME, RELEASABLE, STATUS, LIMIT, OFFSET],
        answer: Answer::Page,
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/releases/{id}",
        summary: "A release's review page (HTML).",
        query: &[],
        answer: Answer::Page,
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/releases/{id}/report.html",
        summary: "The release's report as its bundle holds it (HTML, sandboxed).",
        query: &[],
        answer: Answer::Page,
        authenticated: true,
    },
    Route {
        method: "GET",
        path: "/login",
        summary: "Spend a one-time login code: a browser session, then the releases page.",
        query: &[CODE],
        answer: Answer::Redirect,
        authenticated: false,
    },
    Route {
        method: "POST",
        path: "/login",
        summary: "Sign in with an API token (a form's token=TOKEN): a browser session, then the \
                  releases page.",
        query: &[],
        answer: Answer::Redirect,
        authenticated: false,
    },
];

/// A request as the handlers see it.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) route: &'static Route,
    pub(crate) id: Option<i64>,
    pub(crate) query: Vec<(String, String)>,
}

impl Incoming {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decode `%XX` escapes and `+` of a query component; `None` when it is not UTF-8 or an
/// escape is broken.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Split a request target into its route, id and query, or the problem with it.
pub(crate) fn route(method: &str, target: &str) -> Result<Incoming, Problem> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.split('/').collect();
    let mut method_mismatch = false;
    for route in ROUTES {
        let pattern: Vec<&str> = route.path.split('/').collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut id = None;
        let mut matched = true;
        for (want, got) in pattern.iter().zip(&segments) {
            if *want == "{id}" {
                match got.parse::<i64>() {
                    Ok(value) if value > 0 => id = Some(value),
                    _ => {
                        return Err(Problem::new(
                            400,
                            "bad_request",
                            format!(
                                "'{got}' is not {} id (a positive whole number).",
                                if path.starts_with("/api/jobs") {
                                    "a job"
                                } else {
                                    "a release"
                                }
                            ),
                        )
                        .field("id"));
                    }
                }
            } else if want != got {
                matched = false;
                break;
            }
        }
        if !matched {
            continue;
        }
        if route.method != method {
            method_mismatch = true;
            continue;
        }
        let mut pairs = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() {
                // An empty form field ("any") is no filter.
                continue;
            }
            let (Some(key), Some(value)) = (percent_decode(key), percent_decode(value)) else {
                return Err(Problem::new(
                    400,
                    "bad_request",
                    "the query is not valid UTF-8 or has a broken escape.",
                ));
            };
            let Some(param) = route.query.iter().find(|p| p.name == key) else {
                let known: Vec<&str> = route.query.iter().map(|p| p.name).collect();
                return Err(Problem::new(
                    400,
                    "bad_request",
                    format!(
                        "unknown query parameter '{key}'; {} takes {}.",
                        route.path,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
                .field(&key));
            };
            if let Some((least, most)) = param.range
                && !value
                    .parse::<u64>()
                    .is_ok_and(|n| (least..=most).contains(&n))
            {
                return Err(Problem::new(
                    400,
                    "bad_request",
                    format!("{key} must be a whole number from {least} to {most}, not '{value}'."),
                )
                .field(&key));
            }
            if !param.one_of.is_empty() && !param.one_of.contains(&value.as_str()) {
                return Err(Problem::new(
                    400,
                    "bad_request",
                    format!(
                        "{key} must be one of {}, not '{value}'.",
                        param.one_of.join(", ")
                    ),
                )
                .field(&key));
            }
            if pairs.iter().any(|(k, _): &(String, String)| *k == key) {
                return Err(
                    Problem::new(400, "bad_request", format!("{key} is given twice.")).field(&key),
                );
            }
            pairs.push((key, value));
        }
        for param in route.query.iter().filter(|p| p.required) {
            if !pairs.iter().any(|(k, _)| k == param.name) {
                return Err(Problem::new(
                    400,
                    "bad_request",
                    format!("the query parameter '{}' is required.", param.name),
                )
                .field(param.name));
            }
        }
        return Ok(Incoming {
            route,
            id,
            query: pairs,
        });
    }
    if method_mismatch {
        return Err(Problem::new(
            405,
            "method_not_allowed",
            format!("{path} does not take {method}."),
        ));
    }
    Err(Problem::new(
        404,
        "not_found",
        format!("no such route: {path}."),
    ))
}

/// Whether errors on `path` are HTML pages (the review pages, and a sign-in form's answer)
/// rather than JSON.
fn html_errors(path: &str, accepts_html: bool) -> bool {
    path == "/" || path.starts_with("/releases/") || (path == "/login" && accepts_html)
}

/// The value of the cookie `name` in a `Cookie` header.
fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// The session cookie's name.
pub(crate) const SESSION: &str = "sg_session";

/// Answer one request and send the answer.
pub(crate) fn handle(service: &Service, mut request: tiny_http::Request) {
    let method = request.method().as_str().to_string();
    let target = request.url().to_string();
    let header = |name: &str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let authorization = header("Authorization");
    let cookies = header("Cookie");
    let accepts_html = header("Accept").is_some_and(|a| a.contains("text/html"));
    let csrf = header("X-CSRF-Token");
    // A body of at most 1 MiB; a larger one is refused.
    let mut body = Vec::new();
    let too_large = request
        .as_reader()
        .take(1 << 20)
        .read_to_end(&mut body)
        .map_or(true, |n| n >= 1 << 20);
    let reply = if too_large {
        Problem::new(413, "too_large", "request bodies are limited to 1 MiB.").reply(false)
    } else {
        answer(
            service,
            &Request {
                method: &method,
                target: &target,
                authorization: authorization.as_deref(),
                cookies: cookies.as_deref(),
                csrf: csrf.as_deref(),
                accepts_html,
                body: &body,
            },
        )
    };
    send(request, reply);
}

/// What a handler needs of a request.
struct Request<'a> {
    method: &'a str,
    target: &'a str,
    authorization: Option<&'a str>,
    cookies: Option<&'a str>,
    csrf: Option<&'a str>,
    accepts_html: bool,
    body: &'a [u8],
}

fn answer(service: &Service, request: &Request<'_>) -> Reply {
    let Request {
        method,
        target,
        authorization,
        cookies,
        accepts_html,
        ..
    } = *request;
    let path = target.split('?').next().unwrap_or(target);
    let page = html_errors(path, accepts_html);
    let incoming = match route(method, target) {
        Ok(incoming) => incoming,
        Err(problem) => return problem.reply(page),
    };
    let caller = if let Some(value) = authorization {
        let token = value.strip_prefix("Bearer ").unwrap_or("");
        match service.config.user_by_token(token.trim()) {
            Some(user) => Some(Caller {
                name: user.name.clone(),
                csrf: None,
            }),
            None => {
                return Problem::new(
                    401,
                    "unauthorized",
                    "the token is not one this server knows.",
                )
                .field("Authorization")
                .reply(page);
            }
        }
    } else {
        cookies
            .and_then(|c| cookie(c, SESSION))
            .and_then(|session| service.sessions.user(session))
            .map(|(name, csrf)| Caller {
                name,
                csrf: Some(csrf),
            })
    };
    if incoming.route.authenticated && caller.is_none() {
        return Problem::new(
            401,
            "unauthorized",
            "sign in: open the login link `synthgate serve` printed, or send an API token as \
             `Authorization: Bearer TOKEN`.",
        )
        .field("Authorization")
        .reply(page);
    }
    let result = match (incoming.route.path, caller) {
        ("/health", _) => Ok(Reply::json(200, &json!({"status": "ok"}))),
        ("/login", _) if method == "POST" => token_login(service, request.body),
        ("/login", _) => login(service, &incoming),
        (_, None) => Err(Problem::new(
            500,
            "internal",
            "an authenticated route without a caller",
        )),
        ("/openapi.json", Some(_)) => Ok(Reply::json(200, &openapi())),
        ("/api/releases", Some(_)) => releases(service, &incoming).map(|v| Reply::json(200, &v)),
        ("/api/releases/{id}", Some(_)) => {
            release(service, id(&incoming)).map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/report", Some(_)) => {
            bundle_json(service, id(&incoming), "report/report.json").map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/datasheet", Some(_)) => {
            bundle_json(service, id(&incoming), "datasheet.json").map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/audit", Some(_)) => {
            segment(service, id(&incoming)).map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/lineage", Some(_)) => {
            lineage(service, id(&incoming)).map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/drift", Some(_)) => release(service, id(&incoming))
            .and_then(|shown| drift_of(service, &shown))
            .map(|v| Reply::json(200, &v)),
        ("/api/audit", Some(_)) => audit_verify(&service.ctx)
            .map_err(Problem::from)
            .and_then(|report| {
                serde_json::to_value(&report)
                    .map_err(|e| Problem::new(500, "internal", e.to_string()))
            })
            .map(|v| Reply::json(200, &v)),
        ("/", Some(caller)) => releases(service, &incoming)
            .map(|list| Reply::html(200, pages::releases(&caller, &list, &incoming.query))),
        ("/releases/{id}", Some(caller)) => {
            let id = id(&incoming);
            release(service, id).and_then(|shown| {
                // One registry look-up for the whole page.
                let lineage = lineage_of(service, &shown)?;
                let bundle = PathBuf::from(shown["release"]["bundle"].as_str().unwrap_or_default());
                let segment = segment_in(&bundle).unwrap_or(Value::Null);
                let drift = drift_of(service, &shown)?;
                let roles = service
                    .config
                    .user(&caller.name)
                    .map_or_else(Vec::new, |u| u.roles.clone());
                let mut reply = Reply::html(
                    200,
                    pages::release(&caller, &roles, &shown, &lineage, &segment, &drift),
                );
                // The one page with a script: the review form's, from this origin only.
                reply.headers.push((
                    "Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src \
                     'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action \
                     'self'; frame-ancestors 'none'; base-uri 'none'"
                        .into(),
                ));
                reply.headers.push(("X-Frame-Options", "DENY".into()));
                Ok(reply)
            })
        }
        ("/releases/{id}/report.html", Some(_)) => report_html(service, id(&incoming)),
        ("/api/releases/{id}/download", Some(caller)) => download(service, &caller, id(&incoming)),
        ("/api/releases/{id}/draft", Some(caller)) => {
            draft(service, &caller, &incoming).map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/withdraw", Some(caller)) => {
            withdraw(service, &caller, id(&incoming), request).map(|v| Reply::json(200, &v))
        }
        ("/api/releases/{id}/decisions", Some(caller)) => {
            decide(service, &caller, id(&incoming), request).map(|v| Reply::json(201, &v))
        }
        ("/api/jobs", Some(caller)) if method == "POST" => {
            submit_job(service, &caller, request).map(|v| Reply::json(202, &v))
        }
        ("/api/jobs", Some(caller)) => list_jobs(service, &caller).map(|v| Reply::json(200, &v)),
        ("/api/jobs/{id}", Some(caller)) => {
            show_job(service, &caller, id(&incoming)).map(|v| Reply::json(200, &v))
        }
        ("/api/jobs/{id}/cancel", Some(caller)) => {
            cancel_job(service, &caller, id(&incoming), request).map(|v| Reply::json(200, &v))
        }
        ("/static/review.js", Some(_)) => Ok(Reply {
            status: 200,
            content_type: "text/javascript; charset=utf-8",
            body: pages::REVIEW_JS.as_bytes().to_vec(),
            headers: Vec::new(),
        }),
        _ => Err(Problem::new(404, "not_found", "no such route.")),
    };
    match result {
        Ok(reply) => reply,
        Err(problem) => problem.reply(page),
    }
}

/// Who may decide for `role` with the key `print`: a user the config gives the role, with a
/// key the server trusts for it. A refusal is recorded in the audit log.
fn may_decide(service: &Service, caller: &Caller, role: &str, print: &str) -> Result<(), Problem> {
    let has_role = service
        .config
        .user(&caller.name)
        .is_some_and(|u| u.roles.iter().any(|r| r == role));
    let refusal = if !has_role {
        Some(format!(
            "{} may not decide for role '{role}': the server config does not give them that role.",
            caller.name
        ))
    } else if !service.config.trusts(role, print) {
        Some(format!(
            "the key {}… is not one the server trusts for role '{role}' (its config's \
             [[approvers]]).",
            print.get(..12).unwrap_or(print)
        ))
    } else {
        let clock = (service.clock)().map_err(Problem::from)?;
        service
            .config
            .revocation(print, clock.now())
            .map(|revocation| {
                format!(
                    "the key {}… was {}: it can no longer decide.",
                    print.get(..12).unwrap_or(print),
                    revocation.said()
                )
            })
    };
    match refusal {
        None => Ok(()),
        Some(message) => {
            record(
                service,
                &caller.name,
                "refused",
                role,
                json!({"request": "decision", "role": role, "key_fingerprint": print,
                       "reason": message}),
            )?;
            Err(Problem::new(403, "forbidden", message).field("role"))
        }
    }
}

fn draft(service: &Service, caller: &Caller, incoming: &Incoming) -> Result<Value, Problem> {
    let role = incoming.param("role").unwrap_or_default();
    let public_key = incoming.param("public_key").unwrap_or_default();
    let key = synthgate_engine::types::parse_public(public_key)
        .map_err(|e| Problem::new(400, "bad_request", e.message()).field("public_key"))?;
    let print = synthgate_engine::types::fingerprint(&key);
    may_decide(service, caller, role, &print)?;
    let bundle = bundle_of(service, id(incoming))?;
    let mut ctx = service.ctx.clone();
    ctx.clock = (service.clock)().map_err(Problem::from)?;
    let outcome = synthgate_engine::decision_draft(
        &ctx,
        &synthgate_engine::DraftRequest {
            bundle,
            role: role.to_string(),
            reject: incoming.param("decision") == Some("reject"),
            comment: incoming.param("comment").unwrap_or_default().to_string(),
            public_key: public_key.to_string(),
        },
    )
    .map_err(decision_problem)?;
    serde_json::to_value(&outcome).map_err(|e| Problem::new(500, "internal", e.to_string()))
}

/// The bundle of an approved release as a tar archive, for a caller the release's environment
/// admits; every download and refusal is audited.
fn download(service: &Service, caller: &Caller, id: i64) -> Result<Reply, Problem> {
    let shown = release(service, id)?;
    let bundle = PathBuf::from(shown["release"]["bundle"].as_str().unwrap_or_default());
    let manifest = read_json(&bundle.join("manifest.json"))?;
    let environment = manifest["pipeline"]["release"]["environment"]
        .as_str()
        .unwrap_or("controlled_access")
        .to_string();
    let roles = service
        .config
        .user(&caller.name)
        .map_or_else(Vec::new, |u| u.roles.clone());
    let object = format!(
        "{} {}",
        shown["release"]["name"].as_str().unwrap_or(""),
        shown["release"]["version"].as_str().unwrap_or("")
    );
    let refusal = if shown["status"] != "approved" {
        Some((
            409,
            "not_approved",
            format!(
                "release {id} is {}: its data is downloadable once every role has approved it.",
                shown["status"].as_str().unwrap_or("pending")
            ),
        ))
    } else if environment == "secure_enclave" {
        Some((
            403,
            "forbidden",
            "a secure-enclave release's data never leaves through the service.".to_string(),
        ))
    } else if !service.config.may_download(&environment, &roles) {
        Some((
            403,
            "forbidden",
            format!(
                "{} may not download a {environment} release: the server config's [[access]] \
                 grants it to none of their roles.",
                caller.name
            ),
        ))
    } else {
        None
    };
    if let Some((status, kind, message)) = refusal {
        record(
            service,
            &caller.name,
            "refused",
            &object,
            json!({"request": "download", "release_id": id, "environment": environment,
                   "reason": message}),
        )?;
        return Err(Problem::new(status, kind, message).field("id"));
    }
    let archive = tar_of(&bundle, &object.replace(' ', "-"))?;
    record(
        service,
        &caller.name,
        "download",
        &object,
        json!({"release_id": id, "environment": environment,
               "manifest_sha256": shown["release"]["manifest_sha256"]}),
    )?;
    Ok(Reply {
        status: 200,
        content_type: "application/x-tar",
        body: archive,
        headers: vec![(
            "Content-Disposition",
            format!("attachment; filename=\"{}.tar\"", object.replace(' ', "-")),
        )],
    })
}

/// The files under `folder` as a tar archive under `root/`, in name order, with fixed times
/// and modes (the same bundle gives the same bytes).
fn tar_of(folder: &Path, root: &str) -> Result<Vec<u8>, Problem> {
    fn walk(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(&path, into)?;
            } else if entry.file_type()?.is_file() {
                into.push(path);
            }
        }
        Ok(())
    }
    let fail = |e: std::io::Error| Problem::new(500, "internal", format!("the bundle: {e}"));
    let mut files = Vec::new();
    walk(folder, &mut files).map_err(fail)?;
    let mut builder = tar::Builder::new(Vec::new());
    for path in files {
        let bytes = std::fs::read(&path).map_err(fail)?;
        let name = path
            .strip_prefix(folder)
            .map_err(|e| Problem::new(500, "internal", e.to_string()))?;
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, Path::new(root).join(name), bytes.as_slice())
            .map_err(fail)?;
    }
    builder.into_inner().map_err(fail)
}

/// An engine error of a decision as the caller should see it: a stale head is 409
/// `stale_head`; a policy's refusal of the role or key is 403.
fn decision_problem(error: Error) -> Problem {
    let message = error.message();
    if message.starts_with("stale") {
        Problem::new(409, "stale_head", message).field("prev_sha256")
    } else if message.contains("policy has no approver role") {
        Problem::new(403, "forbidden", message).field("role")
    } else if message.contains("is not one the policy allows") {
        Problem::new(403, "forbidden", message).field("key_fingerprint")
    } else {
        Problem::from(error)
    }
}

/// The anti-forgery check of a mutating request from a browser session.
fn check_csrf(caller: &Caller, request: &Request<'_>) -> Result<(), Problem> {
    match &caller.csrf {
        Some(expected) if request.csrf.is_none_or(|sent| sent != expected) => Err(Problem::new(
            403,
            "forbidden",
            "a browser session's request must carry its X-CSRF-Token (the review page sends it).",
        )
        .field("X-CSRF-Token")),
        _ => Ok(()),
    }
}

fn withdraw(
    service: &Service,
    caller: &Caller,
    id: i64,
    request: &Request<'_>,
) -> Result<Value, Problem> {
    check_csrf(caller, request)?;
    let parsed: Value = serde_json::from_slice(request.body).map_err(|e| {
        Problem::new(400, "bad_request", format!("the body is not JSON: {e}")).field("body")
    })?;
    let Some(reason) = parsed["reason"].as_str() else {
        return Err(
            Problem::new(400, "bad_request", "the body needs a \"reason\" (text).").field("reason"),
        );
    };
    let admin = service.config.user(&caller.name).is_some_and(|u| u.admin);
    if !admin {
        let message = format!(
            "{} may not withdraw releases: only admins may.",
            caller.name
        );
        record(
            service,
            &caller.name,
            "refused",
            &format!("release {id}"),
            json!({"request": "withdraw", "release_id": id, "reason": message}),
        )?;
        return Err(Problem::new(403, "forbidden", message).field("id"));
    }
    let mut ctx = service.ctx.clone();
    ctx.clock = (service.clock)().map_err(Problem::from)?;
    let row =
        synthgate_engine::registry_withdraw(&ctx, id, &caller.name, reason).map_err(|error| {
            if error.message().contains("has no release") {
                Problem::new(404, "not_found", error.message()).field("id")
            } else if error.message().contains("withdrawn already") {
                Problem::new(409, "already_withdrawn", error.message()).field("id")
            } else if error.message().contains("needs its reason") {
                Problem::new(400, "bad_request", error.message()).field("reason")
            } else {
                Problem::from(error)
            }
        })?;
    serde_json::to_value(&row).map_err(|e| Problem::new(500, "internal", e.to_string()))
}

fn decide(
    service: &Service,
    caller: &Caller,
    id: i64,
    request: &Request<'_>,
) -> Result<Value, Problem> {
    check_csrf(caller, request)?;
    let parsed: Value = serde_json::from_slice(request.body).map_err(|e| {
        Problem::new(400, "bad_request", format!("the body is not JSON: {e}")).field("body")
    })?;
    let approval: synthgate_engine::types::Approval =
        serde_json::from_value(parsed["approval"].clone()).map_err(|e| {
            Problem::new(400, "bad_request", format!("approval: {e}")).field("approval")
        })?;
    may_decide(
        service,
        caller,
        &approval.body.role,
        &approval.body.key_fingerprint,
    )?;
    let bundle = bundle_of(service, id)?;
    let outcome = synthgate_engine::approve_signed(
        &service.ctx,
        &bundle,
        &approval,
        &synthgate_engine::TrustRequest {
            operators: Vec::new(),
            file: None,
            registry: true,
        },
        Some(&caller.name),
    )
    .map_err(decision_problem)?;
    let shown = release(service, id)?;
    Ok(json!({"decision_sha256": outcome.decision_sha256, "status": shown["status"]}))
}

/// Whether `caller` is an admin.
fn is_admin(service: &Service, caller: &Caller) -> bool {
    service.config.user(&caller.name).is_some_and(|u| u.admin)
}

/// A job as JSON.
fn job_json(job: &jobs::Job) -> Result<Value, Problem> {
    serde_json::to_value(job).map_err(|e| Problem::new(500, "internal", e.to_string()))
}

/// Refuse a job request: recorded in the audit log with the caller's name, then the problem.
fn refuse_job(
    service: &Service,
    caller: &Caller,
    object: &str,
    (status, kind, message, field): jobs::Refusal,
) -> Problem {
    if let Err(problem) = record(
        service,
        &caller.name,
        "refused",
        object,
        json!({"request": "job", "reason": message}),
    ) {
        return problem;
    }
    Problem::new(status, kind, message).field(field)
}

fn submit_job(service: &Service, caller: &Caller, request: &Request<'_>) -> Result<Value, Problem> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Submit {
        spec: String,
    }
    check_csrf(caller, request)?;
    let body: Submit = serde_json::from_slice(request.body).map_err(|e| {
        Problem::new(
            400,
            "bad_request",
            format!("the body must be {{\"spec\": PATH}}: {e}"),
        )
        .field("spec")
    })?;
    let config = &service.config.jobs;
    let may = is_admin(service, caller) || config.users.contains(&caller.name);
    if !may {
        let message = format!(
            "{} may not submit jobs: only admins and the server config's [jobs] users may.",
            caller.name
        );
        return Err(refuse_job(
            service,
            caller,
            "job",
            (403, "forbidden", message, "Authorization"),
        ));
    }
    let Some(first) = config.data_roots.first() else {
        let message = "this server runs no jobs: its config names no data roots ([jobs] \
                       data_roots)."
            .to_string();
        return Err(refuse_job(
            service,
            caller,
            "job",
            (403, "forbidden", message, "spec"),
        ));
    };
    if body.spec.trim().is_empty() || body.spec.contains('\0') {
        return Err(
            Problem::new(400, "bad_request", "spec must name a pipeline spec file.").field("spec"),
        );
    }
    let spec = first.join(&body.spec);
    let refused =
        |message: String| refuse_job(service, caller, "job", (403, "forbidden", message, "spec"));
    if !jobs::under_roots(&spec, &config.roots()) {
        return Err(refused(format!(
            "the pipeline spec {} is not under the server's data roots ([jobs] data_roots of \
             its config); a job reads nothing else.",
            body.spec
        )));
    }
    let spec = std::fs::canonicalize(&spec).map_err(|e| {
        Problem::new(
            422,
            "invalid_input",
            format!("the pipeline spec {} cannot be read: {e}.", body.spec),
        )
        .field("spec")
    })?;
    let confined = |read: &synthgate_engine::RunReads| match jobs::confine(config, read) {
        None => Ok(()),
        Some(message) => Err(Error::usage(message)),
    };
    let read = match synthgate_engine::run_reads(&spec, &confined) {
        Ok(read) => read,
        Err(error) if error.kind() == ErrorKind::Usage => {
            return Err(refused(error.message().to_string()));
        }
        Err(error) => return Err(Problem::from(error).field("spec")),
    };
    let (name, version) = &read.release;
    let bundle = service
        .ctx
        .workspace
        .home
        .join("releases")
        .join(format!("{name}-{version}"));
    if bundle.exists() {
        return Err(Problem::new(
            409,
            "conflict",
            format!(
                "release {name} {version} has a bundle folder in the workspace already ({}); \
                 give the spec a new version.",
                bundle.display()
            ),
        )
        .field("spec"));
    }
    let now = (service.clock)().map_err(Problem::from)?.now().to_string();
    let job = service
        .jobs
        .submit(
            &caller.name,
            spec.clone(),
            format!("{name} {version}"),
            bundle,
            &now,
        )
        .map_err(|e| match e.kind() {
            ErrorKind::Usage => Problem::new(409, "conflict", e.message()).field("spec"),
            _ => Problem::from(e),
        })?;
    record(
        service,
        &caller.name,
        "submitted",
        &format!("job {}", job.id),
        json!({"request": "job", "job": job.id, "spec": spec.display().to_string(),
               "release": job.release}),
    )?;
    job_json(&job)
}

fn list_jobs(service: &Service, caller: &Caller) -> Result<Value, Problem> {
    let all = is_admin(service, caller);
    let jobs = service
        .jobs
        .list((!all).then_some(caller.name.as_str()))
        .map_err(Problem::from)?;
    let jobs = jobs.iter().map(job_json).collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "jobs": jobs }))
}

/// Job `id`, if the caller submitted it or is an admin.
fn job_of(service: &Service, caller: &Caller, id: i64) -> Result<jobs::Job, Problem> {
    let job = service.jobs.get(id).map_err(Problem::from)?;
    match job {
        Some(job) if job.user == caller.name || is_admin(service, caller) => Ok(job),
        Some(_) => Err(Problem::new(
            403,
            "forbidden",
            format!("job {id} is another user's; only they and admins may see it."),
        )
        .field("id")),
        None => Err(Problem::new(404, "not_found", format!("no job {id}.")).field("id")),
    }
}

fn show_job(service: &Service, caller: &Caller, id: i64) -> Result<Value, Problem> {
    job_json(&job_of(service, caller, id)?)
}

fn cancel_job(
    service: &Service,
    caller: &Caller,
    id: i64,
    request: &Request<'_>,
) -> Result<Value, Problem> {
    check_csrf(caller, request)?;
    if let Err(problem) = job_of(service, caller, id) {
        if problem.status == 403 {
            return Err(refuse_job(
                service,
                caller,
                &format!("job {id}"),
                (403, "forbidden", problem.message, "id"),
            ));
        }
        return Err(problem);
    }
    let now = (service.clock)().map_err(Problem::from)?.now().to_string();
    let job = service
        .jobs
        .cancel(id, &now)
        .map_err(Problem::from)?
        .map_err(|(status, kind, message, field)| {
            Problem::new(status, kind, message).field(field)
        })?;
    record(
        service,
        &caller.name,
        "cancelled",
        &format!("job {id}"),
        json!({"request": "job", "job": id, "status": job.status}),
    )?;
    job_json(&job)
}

fn id(incoming: &Incoming) -> i64 {
    incoming.id.unwrap_or(0)
}

fn login(service: &Service, incoming: &Incoming) -> Result<Reply, Problem> {
    let code = incoming.param("code").unwrap_or("");
    let Some((user, session)) = service
        .sessions
        .redeem(code, &service.ctx.entropy)
        .map_err(Problem::from)?
    else {
        return Err(Problem::new(
            401,
            "unauthorized",
            "this login link was used already or is not one this server made; restart \
             `synthgate serve` for a new one.",
        )
        .field("code"));
    };
    signed_in(service, &user, &session, "link")
}

/// Sign in with a form's `token=TOKEN`.
fn token_login(service: &Service, body: &[u8]) -> Result<Reply, Problem> {
    let text = std::str::from_utf8(body).unwrap_or("");
    let token = text
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .and_then(percent_decode)
        .unwrap_or_default();
    let Some(user) = service.config.user_by_token(token.trim()) else {
        return Err(Problem::new(
            401,
            "unauthorized",
            "the token is not one this server knows.",
        )
        .field("token"));
    };
    let name = user.name.clone();
    let session = service
        .sessions
        .open_for(&name, &service.ctx.entropy)
        .map_err(Problem::from)?;
    signed_in(service, &name, &session, "token")
}

/// The answer that sets a new session's cookie, the login recorded.
fn signed_in(service: &Service, user: &str, session: &str, with: &str) -> Result<Reply, Problem> {
    record(
        service,
        user,
        "login",
        "synthgate serve",
        json!({"with": with}),
    )?;
    Ok(Reply {
        status: 303,
        content_type: "text/plain; charset=utf-8",
        body: b"signed in\n".to_vec(),
        headers: vec![
            ("Location", "/".to_string()),
            (
                "Set-Cookie",
                format!(
                    "{SESSION}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200{}",
                    if service.secure { "; Secure" } else { "" }
                ),
            ),
        ],
    })
}

/// Append an audit entry naming `user` for a mutating request, at the time it is made.
fn record(
    service: &Service,
    user: &str,
    action: &str,
    object: &str,
    details: Value,
) -> Result<(), Problem> {
    let mut ctx = service.ctx.clone();
    ctx.clock = (service.clock)().map_err(Problem::from)?;
    synthgate_engine::audit_record(&ctx, user, action, object, details).map_err(Problem::from)
}

/// The roles the policy of the bundle at `bundle` names, remembered by its manifest's digest
/// (a manifest never changes under its digest); none when the bundle is gone.
fn required_roles(service: &Service, bundle: &Path, manifest_sha256: &str) -> (Vec<String>, bool) {
    if let Some(roles) = service
        .roles
        .lock()
        .ok()
        .and_then(|cache| cache.get(manifest_sha256).cloned())
    {
        return (roles, true);
    }
    let Ok(manifest) = read_json(&bundle.join("manifest.json")) else {
        return (Vec::new(), false);
    };
    let roles: Vec<String> = manifest["pipeline"]["policy"]["approvers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["role"].as_str().map(str::to_string))
        .collect();
    if let Ok(mut cache) = service.roles.lock() {
        cache.insert(manifest_sha256.to_string(), roles.clone());
    }
    (roles, true)
}

/// The registry's record of release `id` with its gates and decisions, and what the review
/// still needs: the roles its policy names, the ones still to decide, the status.
pub(crate) fn release(service: &Service, id: i64) -> Result<Value, Problem> {
    let mut shown = synthgate_engine::registry_show(&service.ctx, id).map_err(|error| {
        if error.message().contains("has no release") {
            Problem::new(404, "not_found", error.message()).field("id")
        } else {
            Problem::from(error)
        }
    })?;
    let bundle = PathBuf::from(shown["release"]["bundle"].as_str().unwrap_or_default());
    let manifest_sha256 = shown["release"]["manifest_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (required, present) = required_roles(service, &bundle, &manifest_sha256);
    let present = present && bundle.join("manifest.json").is_file();
    let approvals = shown["approvals"].as_array().cloned().unwrap_or_default();
    let review = review(
        shown["release"]["withdrawn_at"].is_string(),
        shown["release"]["releasable"].as_bool().unwrap_or(false),
        required,
        approvals.iter().map(|a| {
            (
                a["role"].as_str().unwrap_or_default(),
                a["decision"].as_str().unwrap_or_default(),
            )
        }),
    );
    if let Value::Object(map) = &mut shown {
        map.insert("status".into(), json!(review.status));
        map.insert("required_roles".into(), json!(review.required));
        map.insert("pending_roles".into(), json!(review.pending));
        map.insert("bundle_present".into(), json!(present));
    }
    Ok(shown)
}

/// The releases, filtered by the query, each with its status: two registry queries however
/// many releases there are.
pub(crate) fn releases(service: &Service, incoming: &Incoming) -> Result<Value, Problem> {
    let rows = synthgate_engine::registry_list(&service.ctx).map_err(Problem::from)?;
    let decisions = synthgate_engine::registry_decisions(&service.ctx).map_err(Problem::from)?;
    let mut by_release: std::collections::HashMap<i64, Vec<(&str, &str)>> =
        std::collections::HashMap::new();
    for d in &decisions {
        by_release
            .entry(d.release_id)
            .or_default()
            .push((d.role.as_str(), d.decision.as_str()));
    }
    let number = |name: &str, default: usize| {
        incoming
            .param(name)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (limit, offset) = (number("limit", 100), number("offset", 0));
    let mut matched = 0;
    let mut out = Vec::new();
    for row in rows {
        if incoming.param("name").is_some_and(|name| name != row.name) {
            continue;
        }
        if let Some(flag) = incoming.param("releasable")
            && (flag == "true") != row.releasable
        {
            continue;
        }
        let (required, _) = required_roles(service, Path::new(&row.bundle), &row.manifest_sha256);
        let review = review(
            row.withdrawn_at.is_some(),
            row.releasable,
            required,
            by_release.get(&row.id).into_iter().flatten().copied(),
        );
        if incoming.param("status").is_some_and(|s| s != review.status) {
            continue;
        }
        matched += 1;
        if matched <= offset || out.len() >= limit {
            continue;
        }
        let mut item =
            serde_json::to_value(&row).map_err(|e| Problem::new(500, "internal", e.to_string()))?;
        if let Value::Object(map) = &mut item {
            map.insert("status".into(), json!(review.status));
            map.insert("pending_roles".into(), json!(review.pending));
        }
        out.push(item);
    }
    Ok(json!({ "releases": out, "total": matched, "offset": offset, "limit": limit }))
}

fn lineage(service: &Service, id: i64) -> Result<Value, Problem> {
    lineage_of(service, &release(service, id)?)
}

/// The releases made from the same source as the release `shown`.
fn lineage_of(service: &Service, shown: &Value) -> Result<Value, Problem> {
    let source = shown["release"]["source_sha256"]
        .as_str()
        .unwrap_or_default();
    let rows = synthgate_engine::registry_lineage(&service.ctx, source).map_err(Problem::from)?;
    Ok(json!({ "source_sha256": source, "releases": rows }))
}

/// The drift measurements of the release `shown`.
fn drift_of(service: &Service, shown: &Value) -> Result<Value, Problem> {
    let manifest = shown["release"]["manifest_sha256"]
        .as_str()
        .unwrap_or_default();
    let runs = synthgate_engine::drift_history(&service.ctx, manifest).map_err(Problem::from)?;
    Ok(json!({ "runs": runs }))
}

fn read_json(path: &Path) -> Result<Value, Problem> {
    let text = std::fs::read_to_string(path).map_err(|_| {
        Problem::new(
            404,
            "not_found",
            format!(
                "the bundle's {} is not where the registry recorded it.",
                path.display()
            ),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Problem::new(
            422,
            "invalid_input",
            format!("{} is not JSON: {e}", path.display()),
        )
    })
}

/// The bundle folder the registry recorded for release `id`.
fn bundle_of(service: &Service, id: i64) -> Result<PathBuf, Problem> {
    let shown = release(service, id)?;
    Ok(PathBuf::from(
        shown["release"]["bundle"].as_str().unwrap_or_default(),
    ))
}

fn bundle_json(service: &Service, id: i64, file: &str) -> Result<Value, Problem> {
    read_json(&bundle_of(service, id)?.join(file))
}

fn segment(service: &Service, id: i64) -> Result<Value, Problem> {
    segment_in(&bundle_of(service, id)?)
}

/// The audit segment `bundle` carries.
fn segment_in(bundle: &Path) -> Result<Value, Problem> {
    let path = bundle.join("audit/log.jsonl");
    let text = std::fs::read_to_string(&path)
        .map_err(|_| Problem::new(404, "not_found", format!("{} is missing.", path.display())))?;
    let entries: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    Ok(json!({ "entries": entries }))
}

fn report_html(service: &Service, id: i64) -> Result<Reply, Problem> {
    let path = bundle_of(service, id)?.join("report/report.html");
    let bytes = std::fs::read(&path)
        .map_err(|_| Problem::new(404, "not_found", format!("{} is missing.", path.display())))?;
    Ok(Reply {
        status: 200,
        content_type: "text/html; charset=utf-8",
        body: bytes,
        // The report is self-contained and needs no script: it runs sandboxed, embeddable by
        // this origin only.
        headers: vec![
            (
                "Content-Security-Policy",
                "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                 frame-ancestors 'self'"
                    .to_string(),
            ),
            ("X-Frame-Options", "SAMEORIGIN".to_string()),
        ],
    })
}

/// The OpenAPI 3.1 document, made from [`ROUTES`].
pub(crate) fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut parameters: Vec<Value> = route
            .query
            .iter()
            .map(|p| {
                let mut schema = match p.range {
                    Some((least, most)) => {
                        json!({"type": "integer", "minimum": least, "maximum": most})
                    }
                    None => json!({"type": "string"}),
                };
                if !p.one_of.is_empty() {
                    schema["enum"] = json!(p.one_of);
                }
                if let Some(pattern) = p.pattern {
                    schema["pattern"] = json!(pattern);
                }
                json!({"name": p.name, "in": "query", "required": p.required,
                       "description": p.description, "schema": schema})
            })
            .collect();
        if route.path.contains("{id}") {
            parameters.push(json!({"name": "id", "in": "path", "required": true,
                "description": if route.path.starts_with("/api/jobs") { "The job's id." } else { "The release's registry id." },
                "schema": {"type": "integer", "minimum": 1}}));
        }
        let json_error = json!({"schema": {"$ref": "#/components/schemas/Error"}});
        let html_error = json!({"schema": {"type": "string"}});
        let error = match route.path {
            "/login" => json!({"description": "An error: JSON, or a page for a browser's form.",
                "content": {"application/json": json_error, "text/html": html_error}}),
            path if html_errors(path, false) => json!({"description": "An error page.",
                "content": {"text/html": html_error}}),
            _ => json!({"description": "An error.", "content": {"application/json": json_error}}),
        };
        let mut responses = serde_json::Map::new();
        match route.answer {
            Answer::Json(schema) => {
                responses.insert("200".into(), json!({"description": "OK", "content":
                    {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}));
            }
            Answer::Page => {
                responses.insert(
                    "200".into(),
                    json!({"description": "An HTML page.",
                    "content": {"text/html": {"schema": {"type": "string"}}}}),
                );
            }
            Answer::Redirect => {
                responses.insert(
                    "303".into(),
                    json!({"description": "Signed in; on to the releases page."}),
                );
            }
            Answer::Archive => {
                responses.insert(
                    "200".into(),
                    json!({"description": "The bundle, a tar archive.",
                        "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}}),
                );
            }
            Answer::Script => {
                responses.insert(
                    "200".into(),
                    json!({"description": "JavaScript.",
                        "content": {"text/javascript": {"schema": {"type": "string"}}}}),
                );
            }
        }
        for status in [
            "400", "401", "403", "404", "405", "409", "413", "422", "500", "503",
        ] {
            responses.insert(status.into(), error.clone());
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": operation_id(route),
            "parameters": parameters,
            "responses": responses,
            "security": if route.authenticated { json!([{"token": []}, {"session": []}]) } else { json!([]) },
        });
        let body = match route.path {
            "/api/releases/{id}/decisions" => Some("DecisionRequest"),
            "/api/releases/{id}/withdraw" => Some("WithdrawRequest"),
            "/api/jobs" if route.method == "POST" => Some("JobRequest"),
            _ => None,
        };
        if let Some(body) = body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json":
                {"schema": {"$ref": format!("#/components/schemas/{body}")}}}});
        }
        if route.path == "/login" && route.method == "POST" {
            operation["requestBody"] = json!({"required": true, "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object",
                    "required": ["token"], "properties": {"token": {"type": "string"}}}}}});
        }
        let success = match (route.path, route.method) {
            ("/api/releases/{id}/decisions", _) => Some("201"),
            ("/api/jobs", "POST") => Some("202"),
            _ => None,
        };
        if let Some(status) = success
            && let Some(map) = operation["responses"].as_object_mut()
            && let Some(answer) = map.remove("200")
        {
            map.insert(status.into(), answer);
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method.to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Synthgate", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The team service over Synthgate's engine: releases, their gates, reports, datasheets, decisions and audit trail."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION}
            },
            "schemas": schemas(),
        }
    })
}

fn operation_id(route: &Route) -> String {
    let words: Vec<String> = route
        .path
        .split(['/', '.', '{', '}'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    format!(
        "{}_{}",
        route.method.to_lowercase(),
        if words.is_empty() {
            "root".into()
        } else {
            words.join("_")
        }
    )
}

fn schemas() -> Value {
    let row = json!({"type": "object", "required": ["id", "name", "version", "bundle",
    "manifest_sha256", "source_sha256", "synthesizer", "seed", "rows", "releasable",
    "created_at", "supersedes"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "version": {"type": "string"},
        "bundle": {"type": "string"}, "manifest_sha256": {"type": "string"},
        "source_sha256": {"type": "string"}, "synthesizer": {"type": "string"},
        "seed": {"type": "integer"}, "rows": {"type": "integer"},
        "releasable": {"type": "boolean"}, "created_at": {"type": "string"},
        "supersedes": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": ["approved", "pending", "rejected", "withdrawn"]},
        "pending_roles": {"type": "array", "items": {"type": "string"}}
    }});
    let job = json!({"type": "object", "required": ["id", "user", "spec", "release", "bundle",
        "status", "submitted_at", "notes", "cancel_requested", "failures", "pid"], "properties": {
        "id": {"type": "integer"}, "user": {"type": "string"}, "spec": {"type": "string"},
        "release": {"type": "string"}, "bundle": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
        "submitted_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
        "step": {"type": ["string", "null"]},
        "progress": {"type": ["object", "null"], "required": ["done", "total", "unit"],
            "properties": {"done": {"type": "integer"}, "total": {"type": "integer"},
                           "unit": {"type": "string"}}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "cancel_requested": {"type": "boolean"},
        "registry_id": {"type": ["integer", "null"]}, "releasable": {"type": ["boolean", "null"]},
        "failures": {"type": "array", "items": {"type": "string"}},
        "error": {"type": ["object", "null"], "required": ["kind", "message"], "properties": {
            "kind": {"type": "string"}, "message": {"type": "string"}}},
        "pid": {"type": "integer"}
    }});
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["kind", "message", "field"],
            "properties": {"kind": {"type": "string"}, "message": {"type": "string"},
                           "field": {"type": ["string", "null"]}}}}},
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        "OpenApi": {"type": "object", "required": ["openapi", "paths"]},
        "ReleaseRow": row,
        "ReleaseList": {"type": "object", "required": ["releases"], "properties": {
            "releases": {"type": "array", "items": {"$ref": "#/components/schemas/ReleaseRow"}},
            "total": {"type": "integer", "description": "How many releases match, in all."},
            "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "source_sha256": {"type": "string"}}},
        "Release": {"type": "object", "required": ["release", "gates", "approvals", "status",
            "required_roles", "pending_roles", "bundle_present"], "properties": {
            "release": {"$ref": "#/components/schemas/ReleaseRow"},
            "gates": {"type": "array", "items": {"type": "object", "required": ["metric", "outcome", "threshold"],
                "properties": {"metric": {"type": "string"}, "outcome": {"type": "string"},
                               "observed": {"type": ["number", "null"]}, "threshold": {"type": "number"}}}},
            "approvals": {"type": "array", "items": {"type": "object", "required": ["role", "decision", "key_fingerprint", "signed_at"],
                "properties": {"role": {"type": "string"}, "decision": {"type": "string"},
                               "key_fingerprint": {"type": "string"}, "signed_at": {"type": "string"}}}},
            "status": {"type": "string", "enum": ["approved", "pending", "rejected", "withdrawn"]},
            "required_roles": {"type": "array", "items": {"type": "string"}},
            "pending_roles": {"type": "array", "items": {"type": "string"}},
            "bundle_present": {"type": "boolean"}}},
        "Document": {"type": "object"},
        "ApprovalBody": {"type": "object", "required": ["role", "decision", "comment",
            "manifest_sha256", "public_key", "key_fingerprint", "signed_at"], "properties": {
            "role": {"type": "string"}, "decision": {"type": "string", "enum": ["approve", "reject"]},
            "comment": {"type": "string"}, "manifest_sha256": {"type": "string"},
            "public_key": {"type": "string"}, "key_fingerprint": {"type": "string"},
            "signed_at": {"type": "string"}, "prev_sha256": {"type": "string"}}},
        "Draft": {"type": "object", "required": ["body", "message"], "properties": {
            "body": {"$ref": "#/components/schemas/ApprovalBody"},
            "message": {"type": "string", "description": "The bytes to sign, hex."}}},
        "DecisionRequest": {"type": "object", "required": ["approval"], "properties": {
            "approval": {"type": "object", "description": "The draft's body with \"signature\" (hex) beside its fields."}}},
        "WithdrawRequest": {"type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string"}}},
        "JobRequest": {"type": "object", "required": ["spec"], "additionalProperties": false,
            "properties": {"spec": {"type": "string", "description":
                "A pipeline spec under one of the server's data roots (relative: to the first)."}}},
        "Job": job,
        "JobList": {"type": "object", "required": ["jobs"], "properties": {
            "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}},
        "Decision": {"type": "object", "required": ["decision_sha256", "status"], "properties": {
            "decision_sha256": {"type": "string"},
            "status": {"type": "string", "enum": ["approved", "pending", "rejected", "withdrawn"]}}},
        "DriftHistory": {"type": "object", "required": ["runs"], "properties": {
            "runs": {"type": "array", "items": {"type": "object",
                "required": ["seq", "at", "new_data_sha256", "exceeded"], "properties": {
                    "seq": {"type": "integer"}, "at": {"type": "string"},
                    "new_data_sha256": {}, "exceeded": {}}}}}},
        "AuditSegment": {"type": "object", "required": ["entries"], "properties": {
            "entries": {"type": "array", "items": {"type": "object"}}}},
        "AuditReport": {"type": "object", "required": ["entries", "problems"], "properties": {
            "entries": {"type": "integer"}, "problems": {"type": "array", "items": {"type": "string"}}}},
    })
}

/// Send `reply` with the headers every response carries.
fn send(request: tiny_http::Request, reply: Reply) {
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers: Vec<(&str, String)> = vec![
        ("Content-Type", reply.content_type.to_string()),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("Cache-Control", "no-store".into()),
    ];
    let framed = reply
        .headers
        .iter()
        .any(|(k, _)| *k == "Content-Security-Policy");
    if !framed {
        headers.push((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src \
             'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
                .into(),
        ));
        headers.push(("X-Frame-Options", "DENY".into()));
    }
    headers.extend(reply.headers);
    for (name, value) in headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_their_ids_and_checked_queries() {
        let hit = route("GET", "/api/releases/12/report").expect("route");
        assert_eq!(hit.route.path, "/api/releases/{id}/report");
        assert_eq!(hit.id, Some(12));
        let listed = route("GET", "/api/releases?status=pending&name=a%20b").expect("route");
        assert_eq!(listed.param("name"), Some("a b"));
        let bad = route("GET", "/api/releases/x").expect_err("not an id");
        assert_eq!((bad.status, bad.field.as_deref()), (400, Some("id")));
        let bad = route("GET", "/api/releases?status=maybe").expect_err("not a status");
        assert_eq!((bad.status, bad.field.as_deref()), (400, Some("status")));
        let bad = route("GET", "/api/releases?colour=red").expect_err("unknown");
        assert_eq!(bad.field.as_deref(), Some("colour"));
        assert_eq!(
            route("POST", "/api/releases").expect_err("method").status,
            405
        );
        assert_eq!(route("GET", "/nope").expect_err("missing").status, 404);
        assert_eq!(
            route("GET", "/login").expect_err("code").field.as_deref(),
            Some("code")
        );
        assert!(route("GET", "/api/releases?name=%zz").is_err());
        // The filter form's "any" sends empty fields: no filter.
        assert!(route("GET", "/?name=&status=&releasable=").is_ok_and(|i| i.query.is_empty()));
        let bad = route("GET", "/api/releases?limit=0").expect_err("out of range");
        assert_eq!((bad.status, bad.field.as_deref()), (400, Some("limit")));
        assert!(route("GET", "/api/releases?limit=1000&offset=5").is_ok());
    }

    #[test]
    fn the_document_lists_every_route() {
        let doc = openapi();
        for route in ROUTES {
            assert!(
                doc["paths"][route.path][route.method.to_lowercase()].is_object(),
                "{} {}",
                route.method,
                route.path
            );
        }
    }
}
