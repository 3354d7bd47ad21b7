//! The workspace: one folder holding the hash-chained audit log, the registry, the
//! operator's key, and what prompt-based releases keep out of their bundles (the full
//! generation logs and the key of their row digests).

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use synthgate_core::Result;
use synthgate_release::audit::{AuditStore, FileAudit};
use synthgate_release::keys;
use synthgate_release::llm::FullLogs;
use synthgate_release::registry::{Registry, ReleaseStore};

/// A workspace folder (`.synthgate` by default; the front end decides where).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The folder.
    pub home: PathBuf,
}

impl Workspace {
    /// The workspace in `home`.
    pub fn new(home: impl Into<PathBuf>) -> Workspace {
        Workspace { home: home.into() }
    }

    /// The hash-chained audit log's file.
    pub fn audit_log(&self) -> PathBuf {
        self.home.join("audit.jsonl")
    }

    /// The hash-chained audit log, as the engine appends to and checks it.
    pub fn audit(&self) -> Box<dyn AuditStore> {
        Box::new(FileAudit {
            path: self.audit_log(),
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
        Ok(Box::new(Registry::open(&self.registry_path())?))
    }

    /// The registry, if the workspace has one (never made by a look-up).
    pub fn existing_registry(&self) -> Result<Option<Box<dyn ReleaseStore>>> {
        if self.registry_path().is_file() {
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
