//! Who may do what: users, their roles and API tokens from the server's config (tokens stored
//! only as SHA-256 digests), browser sessions opened by a one-time login link, and the checks
//! every request goes through. No token, session or code is ever written to a log or a page.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::jobs::JobsConfig;
use synthgate_core::{Entropy, Error, Result};

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The user's name.
    pub(crate) name: String,
    /// The session's anti-forgery token, when they came with a browser session (a form or a
    /// script of this origin sends it back; another site cannot read it).
    pub(crate) csrf: Option<String>,
}

/// One user of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The name audit entries record.
    pub name: String,
    /// Whether the user administers the service (sees everything, manages users).
    #[serde(default)]
    pub admin: bool,
    /// The approver roles the user may decide for (as policies name them: `dpo`, `irb`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// SHA-256 (hex) of the user's API token; the token itself is never stored.
    pub token_sha256: String,
}

/// Approver keys the server trusts for a role: a decision is recorded only when signed by one
/// of these (and by a key the release's own policy allows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedApprovers {
    /// The role, as policies name it.
    pub role: String,
    /// Key fingerprints (64 hex digits, as `synthgate keygen` prints).
    pub keys: Vec<String>,
}

/// Who may download the data of releases made for an environment (`licensed` or
/// `controlled_access`): the users holding one of `roles`. A public release's data is open to
/// every signed-in user; a `secure_enclave` release's never leaves through the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The release environment, as a pipeline's `[release] environment` names it.
    pub environment: String,
    /// The roles that may download it.
    pub roles: Vec<String>,
}

/// The environments whose data a role may be given through the service.
const GRANTABLE: [&str; 2] = ["licensed", "controlled_access"];

/// The server's configuration file (`serve.toml` in the workspace unless `--config` names
/// another).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The users.
    #[serde(default)]
    pub users: Vec<User>,
    /// The approver keys trusted per role.
    #[serde(default)]
    pub approvers: Vec<TrustedApprovers>,
    /// Who may download non-public releases' data.
    #[serde(default)]
    pub access: Vec<Access>,
    /// Approver keys revoked from a moment on (`[[revoked]] key, from, reason`, as in a trust
    /// file): the service refuses their decisions from then.
    #[serde(default)]
    pub revoked: Vec<synthgate_engine::types::Revocation>,
    /// What submitted jobs may read, write and call (`[jobs]`).
    #[serde(default, skip_serializing_if = "JobsConfig::is_empty")]
    pub jobs: JobsConfig,
}

/// SHA-256 of `secret`, hex.
pub(crate) fn digest(secret: &str) -> String {
    synthgate_engine::io::sha256_bytes(secret.as_bytes())
}

/// A fresh secret (32 random bytes, hex) from `entropy`.
pub(crate) fn secret(entropy: &Entropy) -> Result<String> {
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether two strings are equal, in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl ServerConfig {
    /// Read the config at `path`, checked: names unique, digests 64 hex digits.
    pub fn load(path: &Path) -> Result<ServerConfig> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::usage(format!(
                "cannot read the server config {}: {error}.",
                path.display()
            ))
        })?;
        let config: ServerConfig = toml::from_str(&text)
            .map_err(|error| Error::spec(format!("{}: {}", path.display(), error.message())))?;
        let mut names = std::collections::BTreeSet::new();
        for user in &config.users {
            if user.name.trim().is_empty() || !names.insert(user.name.as_str()) {
                return Err(Error::spec(format!(
                    "{}: user names must be present and unique ('{}').",
                    path.display(),
                    user.name
                )));
            }
            let hex = user.token_sha256.len() == 64
                && user.token_sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex {
                return Err(Error::spec(format!(
                    "{}: user '{}': token_sha256 must be the SHA-256 of the token (64 hex \
                     digits), never the token itself.",
                    path.display(),
                    user.name
                )));
            }
        }
        for approvers in &config.approvers {
            if let Some(bad) = approvers
                .keys
                .iter()
                .find(|k| k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(Error::spec(format!(
                    "{}: approvers for role '{}': '{bad}' is not a key fingerprint (64 hex \
                     digits, as `synthgate keygen` prints).",
                    path.display(),
                    approvers.role
                )));
            }
        }
        for revocation in &config.revoked {
            let fingerprint =
                revocation.key.len() == 64 && revocation.key.bytes().all(|b| b.is_ascii_hexdigit());
            if !fingerprint {
                return Err(Error::spec(format!(
                    "{}: [[revoked]] key '{}' is not a key fingerprint (64 hex digits, as \
                     `synthgate keygen` prints).",
                    path.display(),
                    revocation.key
                )));
            }
            revocation
                .from_micros()
                .map_err(|message| Error::spec(format!("{}: {message}.", path.display())))?;
        }
        if let Some(bad) = config
            .access
            .iter()
            .find(|a| !GRANTABLE.contains(&a.environment.as_str()))
        {
            return Err(Error::spec(format!(
                "{}: [[access]] environment '{}': only {} data can be granted to roles (public \
                 data is open to every user; a secure enclave's never leaves through the service).",
                path.display(),
                bad.environment,
                GRANTABLE.join(" and ")
            )));
        }
        let mut config = config;
        let names: Vec<String> = config.users.iter().map(|u| u.name.clone()).collect();
        config.jobs.check(path, &names)?;
        if config.users.is_empty() {
            return Err(Error::spec(format!(
                "{}: no users; add one [[users]] (name, token_sha256, admin or roles).",
                path.display()
            )));
        }
        Ok(config)
    }

    /// The config of a workspace's first start: one admin user with a fresh token, written to
    /// `path` (refusing to replace a file). Returns the config and the token.
    pub fn first_start(path: &Path, entropy: &Entropy) -> Result<(ServerConfig, String)> {
        let token = secret(entropy)?;
        let config = ServerConfig {
            users: vec![User {
                name: "admin".into(),
                admin: true,
                roles: Vec::new(),
                token_sha256: digest(&token),
            }],
            approvers: Vec::new(),
            access: Vec::new(),
            revoked: Vec::new(),
            jobs: JobsConfig::default(),
        };
        let text = format!(
            "# Users of `synthgate serve`: each one's API token is stored as its SHA-256 only.\n\
             # Add [[users]] with name, roles (approver roles, as policies name them) and\n\
             # token_sha256 (printf %s TOKEN | sha256sum), and per role the approver keys the\n\
             # server trusts: [[approvers]] role = \"dpo\" keys = [\"FINGERPRINT\"]. A key that\n\
             # must stop deciding: [[revoked]] key = \"FINGERPRINT\" from = \"2026-12-01\"\n\
             # reason = \"...\" (its decisions from then on are refused). Pipeline runs users\n\
             # submit (POST /api/jobs) read only under [jobs] data_roots = [\"/abs/folder\"],\n\
             # call only [jobs] llm_urls, and are open to admins and [jobs] users = [\"name\"].\n{}",
            toml::to_string(&config)
                .map_err(|error| Error::internal(format!("the server config: {error}")))?
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| {
                Error::environment(format!("cannot create {}: {error}.", parent.display()))
            })?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|error| {
                Error::environment(format!("cannot write {}: {error}.", path.display()))
            })?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| {
                Error::environment(format!("cannot write {}: {error}.", path.display()))
            })?;
        Ok((config, token))
    }

    /// The user whose API token is `token`.
    pub fn user_by_token(&self, token: &str) -> Option<&User> {
        let wanted = digest(token);
        self.users.iter().find(|u| same(&u.token_sha256, &wanted))
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether a user holding `roles` may download the data of a release made for
    /// `environment`.
    pub fn may_download(&self, environment: &str, roles: &[String]) -> bool {
        environment == "public"
            || self
                .access
                .iter()
                .any(|a| a.environment == environment && a.roles.iter().any(|r| roles.contains(r)))
    }

    /// Whether the server trusts the key with fingerprint `print` to decide for `role`.
    pub fn trusts(&self, role: &str, print: &str) -> bool {
        self.approvers
            .iter()
            .any(|a| a.role == role && a.keys.iter().any(|k| k.eq_ignore_ascii_case(print)))
    }

    /// The revocation that voids a decision by key `print` at `now`, if any.
    pub fn revocation(
        &self,
        print: &str,
        now: &str,
    ) -> Option<&synthgate_engine::types::Revocation> {
        synthgate_engine::types::Revocation::voiding(&self.revoked, print, now)
    }
}

/// Sessions of logged-in browsers and one-time login codes, in memory (a restart logs
/// everyone out): each stored by its digest.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// Session digest → user name and the session's anti-forgery token.
    open: Mutex<HashMap<String, (String, String)>>,
    /// Login code digest → user name; a code works once.
    codes: Mutex<HashMap<String, String>>,
}

impl Sessions {
    /// A one-time login code for `user`.
    pub(crate) fn issue_code(&self, user: &str, entropy: &Entropy) -> Result<String> {
        let code = secret(entropy)?;
        self.codes
            .lock()
            .map_err(|_| Error::internal("the login codes were poisoned"))?
            .insert(digest(&code), user.to_string());
        Ok(code)
    }

    /// Spend login `code`: a new session for its user, or none if the code is unknown or
    /// spent.
    pub(crate) fn redeem(&self, code: &str, entropy: &Entropy) -> Result<Option<(String, String)>> {
        let user = self
            .codes
            .lock()
            .map_err(|_| Error::internal("the login codes were poisoned"))?
            .remove(&digest(code));
        let Some(user) = user else {
            return Ok(None);
        };
        let session = self.open_for(&user, entropy)?;
        Ok(Some((user, session)))
    }

    /// A new session for `user` (who signed in with their API token).
    pub(crate) fn open_for(&self, user: &str, entropy: &Entropy) -> Result<String> {
        let session = secret(entropy)?;
        let csrf = secret(entropy)?;
        self.open
            .lock()
            .map_err(|_| Error::internal("the sessions were poisoned"))?
            .insert(digest(&session), (user.to_string(), csrf));
        Ok(session)
    }

    /// The user of session `session` and its anti-forgery token.
    pub(crate) fn user(&self, session: &str) -> Option<(String, String)> {
        self.open.lock().ok()?.get(&digest(session)).cloned()
    }
}

/// Where a workspace keeps its server config by default.
pub(crate) fn default_config(home: &Path) -> PathBuf {
    home.join("serve.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter_entropy(bytes: &mut [u8]) -> Result<()> {
        static NEXT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);
        for b in bytes {
            *b = NEXT.fetch_add(7, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    #[test]
    fn a_jobs_section_naming_what_is_not_there_is_refused() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("serve.toml");
        let user = format!(
            "[[users]]\nname = \"ann\"\nadmin = true\ntoken_sha256 = \"{}\"\n\n",
            "a".repeat(64)
        );
        let root = dir.path().display().to_string();
        for (jobs, says) in [
            (
                "data_roots = [\"data\"]".to_string(),
                "not an absolute path",
            ),
            (
                format!("data_roots = [{:?}]", format!("{root}/missing")),
                "not a folder",
            ),
            ("llm_urls = [\"file:///etc\"]".to_string(), "not an http"),
            ("users = [\"bob\"]".to_string(), "not one of the [[users]]"),
        ] {
            std::fs::write(&path, format!("{user}[jobs]\n{jobs}\n")).expect("config");
            let error = ServerConfig::load(&path).expect_err(&jobs);
            assert!(
                error.message().contains(says),
                "{jobs}: {}",
                error.message()
            );
        }
        std::fs::write(
            &path,
            format!("{user}[jobs]\ndata_roots = [{root:?}]\nusers = [\"ann\"]\n"),
        )
        .expect("config");
        let loaded = ServerConfig::load(&path).expect("load");
        assert!(
            loaded
                .jobs
                .roots()
                .contains(&std::fs::canonicalize(dir.path()).expect("real"))
        );
    }

    #[test]
    fn a_token_is_stored_as_its_digest_and_found_by_it() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("serve.toml");
        let entropy = Entropy::new(counter_entropy);
        let (config, token) = ServerConfig::first_start(&path, &entropy).expect("first start");
        let text = std::fs::read_to_string(&path).expect("config");
        assert!(!text.contains(&token), "the token itself is never stored");
        assert!(text.contains(&digest(&token)));
        let loaded = ServerConfig::load(&path).expect("load");
        assert_eq!(loaded, config);
        assert_eq!(
            loaded.user_by_token(&token).map(|u| u.name.as_str()),
            Some("admin")
        );
        assert!(loaded.user_by_token("wrong").is_none());
        assert!(
            ServerConfig::first_start(&path, &entropy).is_err(),
            "never replaced"
        );
    }

    #[test]
    fn a_login_code_works_once() {
        let entropy = Entropy::new(counter_entropy);
        let sessions = Sessions::default();
        let code = sessions.issue_code("admin", &entropy).expect("code");
        let (user, session) = sessions
            .redeem(&code, &entropy)
            .expect("redeem")
            .expect("a session");
        assert_eq!(user, "admin");
        assert_eq!(
            sessions.user(&session).map(|u| u.0).as_deref(),
            Some("admin")
        );
        assert!(sessions.redeem(&code, &entropy).expect("again").is_none());
        assert!(sessions.user("forged").is_none());
    }

    #[test]
    fn a_plain_token_in_the_config_is_refused() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("serve.toml");
        std::fs::write(
            &path,
            "[[users]]\nname = \"a\"\ntoken_sha256 = \"hunter2\"\n",
        )
        .expect("w");
        let error = ServerConfig::load(&path).expect_err("not a digest");
        assert!(
            error.message().contains("never the token itself"),
            "{error}"
        );
    }
}
