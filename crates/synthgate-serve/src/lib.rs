//! `synthgate serve`: the team service. An HTTP JSON API over the engine (its OpenAPI 3.1
//! document served at `/openapi.json` is made from the same route table the router dispatches
//! on) and server-rendered review pages, served by one process on a pool of threads. It is a
//! thin layer like the CLI: every answer comes from the engine's verbs and the bundles the
//! registry names.
//!
//! Every request but `/health` is authenticated: an API token (`Authorization: Bearer`) of a
//! user of the server's config, or a browser session opened by a one-time login link. With no
//! config, the first start makes the workspace's first admin user and prints a login link, as
//! Jupyter does. It binds to loopback only unless it speaks TLS (`tls`: a certificate and key
//! the operator gives; the review page's WebCrypto signing needs a secure context). Responses
//! carry security headers; errors are JSON with a kind, a message and the field at fault, 4xx
//! for the caller's mistakes.

mod api;
mod auth;
mod jobs;
mod pages;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use synthgate_core::{Error, Result};
use synthgate_engine::Context;

pub use auth::{ServerConfig, User};
pub use jobs::JobsConfig;
pub use tls::TlsFiles;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen: a loopback address, or any with `tls` (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Speak HTTPS with this certificate and key (required beyond loopback).
    pub tls: Option<TlsFiles>,
    /// The server's config (users, roles, token digests); default `serve.toml` in the
    /// workspace, made on first start.
    pub config: Option<PathBuf>,
    /// Worker threads.
    pub threads: usize,
    /// The clock each record of a request carries, read when it is made (the front end's).
    pub clock: fn() -> Result<synthgate_engine::Clock>,
}

/// What a started server tells its operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Its base URL (`http://` or, with TLS, `https://`, then the address).
    pub base: String,
    /// The config it read or made.
    pub config: PathBuf,
    /// A one-time login link for the config's first admin user, if it has one.
    pub login: Option<String>,
    /// The first admin's API token, when this start made the config: shown once, stored only
    /// as its digest.
    pub first_token: Option<String>,
}

/// The HTTP status and error kind of an engine error's kind (a request's answer, a job's
/// error).
pub(crate) fn status_of(kind: synthgate_core::ErrorKind) -> (u16, &'static str) {
    use synthgate_core::ErrorKind;
    match kind {
        ErrorKind::Usage => (400, "bad_request"),
        ErrorKind::InputData | ErrorKind::Spec => (422, "invalid_input"),
        ErrorKind::GateFailed => (409, "gate_failed"),
        ErrorKind::VerificationFailed => (409, "verification_failed"),
        ErrorKind::Environment => (503, "unavailable"),
        _ => (500, "internal"),
    }
}

/// The state every request handler shares.
pub(crate) struct Service {
    pub(crate) ctx: Context,
    pub(crate) config: ServerConfig,
    pub(crate) sessions: auth::Sessions,
    pub(crate) address: SocketAddr,
    /// Whether clients reach it over TLS (session cookies are then `Secure`).
    pub(crate) secure: bool,
    pub(crate) clock: fn() -> Result<synthgate_engine::Clock>,
    /// The approver roles each release's policy names, by manifest digest.
    pub(crate) roles: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// Submitted pipeline runs.
    pub(crate) jobs: jobs::Jobs,
}

impl Service {
    /// The time now, as records carry it.
    fn now(&self) -> Result<String> {
        Ok((self.clock)()?.now().to_string())
    }

    /// Run `job` through the engine, confined by the server config's `[jobs]` again on the
    /// spec the run reads.
    fn run_job(
        &self,
        job: &jobs::Job,
        events: &mut dyn synthgate_engine::Events,
    ) -> Result<synthgate_engine::RunOutcome> {
        let config = &self.config.jobs;
        if !jobs::under_roots(&job.spec, &config.roots()) {
            return Err(Error::usage(format!(
                "the pipeline spec {} is no longer under the server's data roots.",
                job.spec.display()
            )));
        }
        let mut ctx = self.ctx.clone();
        ctx.clock = (self.clock)()?;
        let admit = |read: &synthgate_engine::RunReads| match jobs::confine(config, read) {
            None => Ok(()),
            Some(message) => Err(Error::usage(message)),
        };
        synthgate_engine::run_admitted(
            &ctx,
            &synthgate_engine::RunRequest {
                spec: job.spec.clone(),
                out: Some(job.bundle.clone()),
                force: false,
                operator_key: None,
            },
            &admit,
            events,
        )
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// A listening socket at `bind` with Nagle's algorithm off (accepted connections inherit it on
/// Linux): an answer's last small segment is sent at once, not held for the client's delayed
/// acknowledgement (40 ms stalls otherwise).
fn listen(bind: SocketAddr) -> Result<std::net::TcpListener> {
    let fail =
        |error: std::io::Error| Error::environment(format!("cannot listen on {bind}: {error}."));
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(bind),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    socket.set_tcp_nodelay(true).map_err(fail)?;
    socket.bind(&bind.into()).map_err(fail)?;
    socket.listen(1024).map_err(fail)?;
    Ok(socket.into())
}

/// Serve until the process ends: read or make the config, bind, tell `ready` where, then
/// answer requests on `options.threads` threads.
pub fn serve(mut ctx: Context, options: &ServeOptions, ready: impl FnOnce(&Started)) -> Result<()> {
    if !options.bind.ip().is_loopback() && options.tls.is_none() {
        return Err(Error::usage(format!(
            "--bind {}: without TLS the service listens on loopback only (127.0.0.1 or ::1): \
             reviewers sign in the browser, which needs a secure context. Give --tls-cert and \
             --tls-key (PEM files) to listen beyond it, or reach it through an SSH tunnel.",
            options.bind
        )));
    }
    let tls = options.tls.as_ref().map(tls::config).transpose()?;
    let config_path = options
        .config
        .clone()
        .unwrap_or_else(|| auth::default_config(&ctx.workspace.home));
    let (config, first_token) = if config_path.exists() {
        (ServerConfig::load(&config_path)?, None)
    } else if options.config.is_some() {
        return Err(Error::usage(format!(
            "--config {}: no such file.",
            config_path.display()
        )));
    } else {
        let (config, token) = ServerConfig::first_start(&config_path, &ctx.entropy)?;
        (config, Some(token))
    };
    // Where the registry is, decided once (not the workspace's config.toml read again on every
    // request), and checked reachable before taking the port.
    let server = ctx.workspace.server()?;
    ctx.workspace = ctx.workspace.with_registry(server);
    ctx.workspace.registry()?;
    // With TLS the HTTP server listens on a loopback port of its own, behind the terminator
    // that listens where the operator asked.
    let public = listen(options.bind)?;
    let (server, front) = match tls {
        None => (public, None),
        Some(config) => (
            listen(SocketAddr::from(([127, 0, 0, 1], 0)))?,
            Some((public, config)),
        ),
    };
    let server = tiny_http::Server::from_listener(server, None).map_err(|error| {
        Error::environment(format!("cannot listen on {}: {error}.", options.bind))
    })?;
    let inner = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Error::internal("the server has no IP address"))?;
    let address = match &front {
        Some((public, _)) => public
            .local_addr()
            .map_err(|e| Error::environment(format!("cannot read the bound address: {e}.")))?,
        None => inner,
    };
    let scheme = if front.is_some() { "https" } else { "http" };
    let now = (options.clock)()?.now().to_string();
    let (jobs, interrupted) = jobs::Jobs::open(&ctx.workspace.home.join("jobs"), &now)?;
    let service = Arc::new(Service {
        ctx,
        config,
        sessions: auth::Sessions::default(),
        address,
        secure: front.is_some(),
        clock: options.clock,
        roles: std::sync::Mutex::default(),
        jobs,
    });
    // A job a process that is gone left running ends failed, in the audit log too.
    for job in &interrupted {
        let mut ctx = service.ctx.clone();
        ctx.clock = (service.clock)()?;
        synthgate_engine::audit_record(
            &ctx,
            &job.user,
            "failed",
            &job.release,
            serde_json::json!({
                "step": "job",
                "job": job.id,
                "error": job.error.as_ref().map(|e| e.message.clone()),
            }),
        )?;
    }
    let admin = service
        .config
        .users
        .iter()
        .find(|u| u.admin)
        .map(|u| u.name.clone());
    let login = match &admin {
        Some(name) => Some(format!(
            "{scheme}://{address}/login?code={}",
            service.sessions.issue_code(name, &service.ctx.entropy)?
        )),
        None => None,
    };
    let started = Started {
        address,
        base: format!("{scheme}://{address}"),
        config: config_path,
        login,
        first_token,
    };
    ready(&started);
    if let Some((public, config)) = front {
        std::thread::spawn(move || tls::terminate(public, inner, config));
    }
    {
        let service = service.clone();
        std::thread::spawn(move || {
            let now = || service.now().unwrap_or_default();
            service
                .jobs
                .work(&now, &|job, events| service.run_job(job, events));
        });
    }
    let server = Arc::new(server);
    let workers: Vec<_> = (0..options.threads.max(1))
        .map(|_| {
            let (server, service) = (server.clone(), service.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    api::handle(&service, request);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}
