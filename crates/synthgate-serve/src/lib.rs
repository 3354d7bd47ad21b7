//! `synthgate serve`: the team service. An HTTP JSON API over the engine (its OpenAPI 3.1
//! document served at `/openapi.json` is made from the same route table the router dispatches
//! on) and server-rendered review pages, served by one process on a pool of threads. It is a
//! thin layer like the CLI: every answer comes from the engine's verbs and the bundles the
//! registry names.
//!
//! Every request but `/health` is authenticated: an API token (`Authorization: Bearer`) of a
//! user of the server's config, or a browser session opened by a one-time login link. With no
//! config, the first start makes the workspace's first admin user and prints a login link, as
//! Jupyter does. It binds to loopback only. Responses carry security headers; errors are JSON
//! with a kind, a message and the field at fault, 4xx for the caller's mistakes.

mod api;
mod auth;
mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use synthgate_core::{Error, Result};
use synthgate_engine::Context;

pub use auth::{ServerConfig, User};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen: a loopback address (port 0 picks a free one).
    pub bind: SocketAddr,
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
    /// The config it read or made.
    pub config: PathBuf,
    /// A one-time login link for the config's first admin user, if it has one.
    pub login: Option<String>,
    /// The first admin's API token, when this start made the config: shown once, stored only
    /// as its digest.
    pub first_token: Option<String>,
}

/// The state every request handler shares.
pub(crate) struct Service {
    pub(crate) ctx: Context,
    pub(crate) config: ServerConfig,
    pub(crate) sessions: auth::Sessions,
    pub(crate) address: SocketAddr,
    pub(crate) clock: fn() -> Result<synthgate_engine::Clock>,
    /// The approver roles each release's policy names, by manifest digest.
    pub(crate) roles: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
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
    if !options.bind.ip().is_loopback() {
        return Err(Error::usage(format!(
            "--bind {}: the service listens on loopback only (127.0.0.1 or ::1) in this version; \
             reach it from elsewhere through an SSH tunnel or a TLS-terminating proxy.",
            options.bind
        )));
    }
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
    let server =
        tiny_http::Server::from_listener(listen(options.bind)?, None).map_err(|error| {
            Error::environment(format!("cannot listen on {}: {error}.", options.bind))
        })?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Error::internal("the server has no IP address"))?;
    let service = Arc::new(Service {
        ctx,
        config,
        sessions: auth::Sessions::default(),
        address,
        clock: options.clock,
        roles: std::sync::Mutex::default(),
    });
    let admin = service
        .config
        .users
        .iter()
        .find(|u| u.admin)
        .map(|u| u.name.clone());
    let login = match &admin {
        Some(name) => Some(format!(
            "http://{address}/login?code={}",
            service.sessions.issue_code(name, &service.ctx.entropy)?
        )),
        None => None,
    };
    let started = Started {
        address,
        config: config_path,
        login,
        first_token,
    };
    ready(&started);
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
