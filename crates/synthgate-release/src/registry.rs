//! The registry: an embedded SQLite database (`.synthgate/registry.sqlite`, made on first use)
//! recording releases, their source digests, lineage (which source produced which releases;
//! which release supersedes which: a later release of the same name), gate outcomes and
//! approvals. Its schema is versioned (`PRAGMA user_version`) and migrated forward on open;
//! writers wait for each other (busy timeout), so concurrent runs never corrupt it.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use synthgate_core::{Error, Result};

use crate::bundle::Manifest;
use crate::gates::Decision;
use crate::keys::Approval;

/// The schema version this Synthgate writes.
pub const REGISTRY_VERSION: i64 = 1;

const MIGRATIONS: [&str; 1] = ["
CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    bundle TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    synthesizer TEXT NOT NULL,
    seed INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    releasable INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES releases(id)
);
CREATE INDEX releases_source ON releases(source_sha256);
CREATE INDEX releases_manifest ON releases(manifest_sha256);
CREATE TABLE gates (
    release_id INTEGER NOT NULL REFERENCES releases(id),
    metric TEXT NOT NULL,
    outcome TEXT NOT NULL,
    observed REAL,
    threshold REAL NOT NULL
);
CREATE TABLE approvals (
    release_id INTEGER NOT NULL REFERENCES releases(id),
    role TEXT NOT NULL,
    decision TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    signed_at TEXT NOT NULL
);
"];

fn db_error(path: &Path, error: &rusqlite::Error) -> Error {
    Error::environment(format!("the registry {} failed: {error}.", path.display()))
}

/// An open registry.
#[derive(Debug)]
pub struct Registry {
    connection: Connection,
    path: std::path::PathBuf,
}

/// One release as the registry lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseRow {
    /// Registry id.
    pub id: i64,
    /// Release name.
    pub name: String,
    /// Release version.
    pub version: String,
    /// Where the bundle was written.
    pub bundle: String,
    /// SHA-256 of its manifest.json.
    pub manifest_sha256: String,
    /// SHA-256 of its source.
    pub source_sha256: String,
    /// Synthesizer and seed.
    pub synthesizer: String,
    /// The seed.
    pub seed: i64,
    /// Synthetic rows.
    pub rows: i64,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// When.
    pub created_at: String,
    /// The release this one supersedes.
    pub supersedes: Option<i64>,
}

impl Registry {
    /// Open (making and migrating it if needed) the registry at `path`.
    pub fn open(path: &Path) -> Result<Registry> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| synthgate_io::io_error(parent, "create the folder", &error))?;
        }
        let mut connection = Connection::open(path).map_err(|e| db_error(path, &e))?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| db_error(path, &e))?;
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(path, &e))?;
        let version: i64 = transaction
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| db_error(path, &e))?;
        if version > REGISTRY_VERSION {
            return Err(Error::environment(format!(
                "the registry {} has schema version {version}, newer than this Synthgate \
                 ({REGISTRY_VERSION}).",
                path.display()
            )));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            transaction
                .execute_batch(migration)
                .map_err(|e| db_error(path, &e))?;
            transaction
                .pragma_update(None, "user_version", index as i64 + 1)
                .map_err(|e| db_error(path, &e))?;
        }
        transaction.commit().map_err(|e| db_error(path, &e))?;
        Ok(Registry {
            connection,
            path: path.to_path_buf(),
        })
    }

    fn fail(&self, error: &rusqlite::Error) -> Error {
        db_error(&self.path, error)
    }

    /// Record a release written to `bundle`; it supersedes the latest earlier release of the
    /// same name. Returns its id.
    pub fn record_release(
        &mut self,
        bundle: &Path,
        manifest: &Manifest,
        manifest_sha256: &str,
        decision: &Decision,
    ) -> Result<i64> {
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, &e))?;
        let release = &manifest.pipeline.release;
        let previous: Option<i64> = transaction
            .query_row(
                "SELECT id FROM releases WHERE name = ?1 ORDER BY id DESC LIMIT 1",
                params![release.name],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_error(&path, &e))?;
        transaction
            .execute(
                "INSERT INTO releases (name, version, bundle, manifest_sha256, source_sha256, \
                 synthesizer, seed, rows, releasable, created_at, supersedes) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    release.name,
                    release.version,
                    bundle.display().to_string(),
                    manifest_sha256,
                    manifest.source["sha256"].as_str().unwrap_or(""),
                    manifest.pipeline.synthesizer.name,
                    manifest.pipeline.synthesizer.seed as i64,
                    manifest.generator["rows"].as_i64().unwrap_or(0),
                    manifest.releasable,
                    manifest.created_at,
                    previous,
                ],
            )
            .map_err(|e| db_error(&path, &e))?;
        let id = transaction.last_insert_rowid();
        for gate in &decision.gates {
            transaction
                .execute(
                    "INSERT INTO gates (release_id, metric, outcome, observed, threshold) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        id,
                        gate.metric,
                        format!("{:?}", gate.outcome).to_lowercase(),
                        gate.observed,
                        gate.threshold
                    ],
                )
                .map_err(|e| db_error(&path, &e))?;
        }
        transaction.commit().map_err(|e| db_error(&path, &e))?;
        Ok(id)
    }

    /// Record an approval of the release whose manifest has `manifest_sha256` (if registered).
    pub fn record_approval(&mut self, approval: &Approval) -> Result<bool> {
        let id: Option<i64> = self
            .connection
            .query_row(
                "SELECT id FROM releases WHERE manifest_sha256 = ?1 ORDER BY id DESC LIMIT 1",
                params![approval.body.manifest_sha256],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.fail(&e))?;
        let Some(id) = id else {
            return Ok(false);
        };
        self.connection
            .execute(
                "INSERT INTO approvals (release_id, role, decision, key_fingerprint, signed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    approval.body.role,
                    format!("{:?}", approval.body.decision).to_lowercase(),
                    approval.body.key_fingerprint,
                    approval.body.signed_at
                ],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(true)
    }

    fn rows(&self, filter: &str, value: &dyn rusqlite::ToSql) -> Result<Vec<ReleaseRow>> {
        let sql = format!(
            "SELECT id, name, version, bundle, manifest_sha256, source_sha256, synthesizer, \
             seed, rows, releasable, created_at, supersedes FROM releases {filter} ORDER BY id"
        );
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map([value], |row| {
                Ok(ReleaseRow {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    version: row.get(2)?,
                    bundle: row.get(3)?,
                    manifest_sha256: row.get(4)?,
                    source_sha256: row.get(5)?,
                    synthesizer: row.get(6)?,
                    seed: row.get(7)?,
                    rows: row.get(8)?,
                    releasable: row.get(9)?,
                    created_at: row.get(10)?,
                    supersedes: row.get(11)?,
                })
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    /// Every release, oldest first.
    pub fn list(&self) -> Result<Vec<ReleaseRow>> {
        self.rows("WHERE ?1 = ?1", &1)
    }

    /// The releases made from the source whose digest starts with `prefix`.
    pub fn lineage(&self, prefix: &str) -> Result<Vec<ReleaseRow>> {
        self.rows("WHERE source_sha256 LIKE ?1", &format!("{prefix}%"))
    }

    /// The rows of `table` belonging to release `id`, as JSON objects of `columns`.
    fn objects(&self, table: &str, columns: &[&str], id: i64) -> Result<Vec<serde_json::Value>> {
        use rusqlite::types::Value;
        let sql = format!(
            "SELECT {} FROM {table} WHERE release_id = ?1",
            columns.join(", ")
        );
        let mut statement = self.connection.prepare(&sql).map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map([id], |row| {
                let mut object = serde_json::Map::new();
                for (k, column) in columns.iter().enumerate() {
                    let value = match row.get::<_, Value>(k)? {
                        Value::Null | Value::Blob(_) => serde_json::Value::Null,
                        Value::Integer(i) => i.into(),
                        Value::Real(r) => r.into(),
                        Value::Text(t) => t.into(),
                    };
                    object.insert((*column).to_string(), value);
                }
                Ok(serde_json::Value::Object(object))
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.fail(&e))
    }

    /// One release with its gates and approvals.
    pub fn show(&self, id: i64) -> Result<serde_json::Value> {
        let release = self
            .rows("WHERE id = ?1", &id)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::usage(format!("the registry has no release {id}.")))?;
        let gates = self.objects("gates", &["metric", "outcome", "observed", "threshold"], id)?;
        let approvals = self.objects(
            "approvals",
            &["role", "decision", "key_fingerprint", "signed_at"],
            id,
        )?;
        Ok(serde_json::json!({ "release": release, "gates": gates, "approvals": approvals }))
    }
}
