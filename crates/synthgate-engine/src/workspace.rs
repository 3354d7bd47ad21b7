//! The workspace: one folder holding the hash-chained audit log, the registry, the
//! operator's key, and what prompt-based releases keep out of their bundles (the full
//! generation logs and the key of their row digests). A team keeps the registry and the audit
//! log on a shared PostgreSQL server instead: named by the front end (`--registry URL`) or by
//! the workspace's `config.toml` (`registry = "postgres://..."`).

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use synthgate_core::{Error, Result};
use synthgate_release::audit::{AuditStore, FileAudit};
use synthgate_release::keys;
use synthgate_release::llm::FullLogs;
use synthgate_release::registry::{Registry, ReleaseStore};
use synthgate_release::server::{ServerAudit, ServerRegistry, is_server_url, redacted};

/// A workspace folder (`.synthgate` by default; the front end decides where).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The folder.
    pub home: PathBuf,
    /// The registry server the front end named (a `postgres://` URL), ahead of the
    /// workspace's `config.toml`.
    pub registry: Option<String>,
}

/// The workspace's `config.toml`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The registry and audit log's server (`postgres://user:password@host:port/database`).
    registry: Option<String>,
}

impl Workspace {
    /// The workspace in `home`.
    pub fn new(home: impl Into<PathBuf>) -> Workspace {
        Workspace {
            home: home.into(),
            registry: None,
        }
    }

    /// The workspace with its registry and audit log on the server at `url` (a `postgres://`
    /// URL), whatever its `config.toml` says; `None` leaves the choice to it.
    pub fn with_registry(mut self, url: Option<String>) -> Workspace {
        self.registry = url;
        self
    }

    /// The workspace's settings file.
    pub fn config_path(&self) -> PathBuf {
        self.home.join("config.toml")
    }

    /// The server holding the registry and the audit log, if any: the one named by the front
    /// end, else the `registry` of `config.toml`; none means the workspace's own files.
    pub fn server(&self) -> Result<Option<String>> {
        let (url, from) = match &self.registry {
            Some(url) => (url.clone(), "--registry".to_string()),
            None => {
                let path = self.config_path();
                if !path.is_file() {
                    return Ok(None);
                }
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| synthgate_io::io_error(&path, "read", &error))?;
                let config: Config = toml::from_str(&text).map_err(|error| {
                    Error::spec(format!("{}: {}", path.display(), error.message()))
                })?;
                match config.registry {
                    Some(url) => (url, format!("{} registry", path.display())),
                    None => return Ok(None),
                }
            }
        };
        if !is_server_url(&url) {
            return Err(Error::usage(format!(
                "{from} must be a PostgreSQL URL (postgres://user:password@host:port/database), \
                 not '{}'; without one, the workspace keeps its own SQLite registry.",
                redacted(&url)
            )));
        }
        Ok(Some(url))
    }

    /// The hash-chained audit log's file.
    pub fn audit_log(&self) -> PathBuf {
        self.home.join("audit.jsonl")
    }

    /// The hash-chained audit log, as the engine appends to and checks it: the workspace's
    /// file, or the server's table.
    pub fn audit(&self) -> Result<Box<dyn AuditStore>> {
        Ok(match self.server()? {
            Some(url) => Box::new(ServerAudit::new(&url)),
            None => Box::new(FileAudit {
                path: self.audit_log(),
            }),
        })
    }

    /// The registry database.
    pub fn registry_path(&self) -> PathBuf {
        self.home.join("registry.sqlite")
    }

    /// The operator key made on first use.
    pub fn operator_key_path(&self) -> PathBuf {
        self.home.join("operator.key")
    }

    /// The full generation logs of prompt-based releases (real seed rows and all) and the key
    /// of the digests that replace those rows in the bundles' logs: `generation-logs/` and
    /// `row-digest.key`.
    pub fn full_logs(&self) -> FullLogs {
        FullLogs::in_workspace(&self.home)
    }

    /// The files computed from real rows that releases' policies kept out of their bundles
    /// (`withheld/`, each named by its digest).
    pub fn withheld(&self) -> synthgate_release::withheld::Withheld {
        synthgate_release::withheld::Withheld::in_workspace(&self.home)
    }

    /// Whether the folder exists (a verifier without one has no registry to consult and no
    /// log to record in).
    pub fn exists(&self) -> bool {
        self.home.is_dir()
    }

    /// Open the registry (made and migrated on first use).
    pub fn registry(&self) -> Result<Box<dyn ReleaseStore>> {
        Ok(match self.server()? {
            Some(url) => Box::new(ServerRegistry::open(&url)?),
            None => Box::new(Registry::open(&self.registry_path())?),
        })
    }

    /// The registry, if the workspace has one (never made by a look-up; a server always has).
    pub fn existing_registry(&self) -> Result<Option<Box<dyn ReleaseStore>>> {
        if self.server()?.is_some() || self.registry_path().is_file() {
            self.registry().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The operator's key: `given`, else the workspace's, made on first use from `entropy`.
    /// Returns the key and, when it was just made, its fingerprint.
    pub fn operator_key(
        &self,
        given: Option<&Path>,
        entropy: &synthgate_core::Entropy,
    ) -> Result<(SigningKey, Option<String>)> {
        if let Some(path) = given {
            return Ok((keys::load(path)?, None));
        }
        let path = self.operator_key_path();
        let mut made = None;
        if !path.exists() {
            std::fs::create_dir_all(&self.home)
                .map_err(|error| synthgate_io::io_error(&self.home, "create the folder", &error))?;
            match keys::generate(&path, entropy) {
                Ok(print) => made = Some(print),
                // Another run made it at the same moment: use that one.
                Err(_) if path.exists() => {}
                Err(error) => return Err(error),
            }
        }
        Ok((keys::load(&path)?, made))
    }
}
