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
pub const REGISTRY_VERSION: i64 = 5;

/// The registry's schema, one migration a version, written once for both databases: `{ID}`,
/// `{INT}`, `{REAL}` and `{BOOL}` are the key, 64-bit integer, float and flag types of the
/// database at hand ([`migration`]).
const MIGRATIONS: [&str; 5] = [
    "
CREATE TABLE releases (
    id {ID},
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    bundle TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    synthesizer TEXT NOT NULL,
    seed {INT} NOT NULL,
    rows {INT} NOT NULL,
    releasable {BOOL} NOT NULL,
    created_at TEXT NOT NULL,
    supersedes {INT} REFERENCES releases(id)
);
CREATE INDEX releases_source ON releases(source_sha256);
CREATE INDEX releases_manifest ON releases(manifest_sha256);
CREATE TABLE gates (
    release_id {INT} NOT NULL REFERENCES releases(id),
    metric TEXT NOT NULL,
    outcome TEXT NOT NULL,
    observed {REAL},
    threshold {REAL} NOT NULL
);
CREATE TABLE approvals (
    release_id {INT} NOT NULL REFERENCES releases(id),
    role TEXT NOT NULL,
    decision TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    signed_at TEXT NOT NULL
);
",
    "
ALTER TABLE releases ADD COLUMN operator_fingerprint TEXT;
ALTER TABLE releases ADD COLUMN audit_seq {INT};
ALTER TABLE releases ADD COLUMN audit_hash TEXT;
ALTER TABLE releases ADD COLUMN decision_head TEXT;
ALTER TABLE releases ADD COLUMN decisions {INT} NOT NULL DEFAULT 0;
ALTER TABLE approvals ADD COLUMN decision_sha256 TEXT;
",
    "
CREATE TABLE privacy_ledger (
    id {ID},
    dataset_id TEXT NOT NULL,
    release TEXT NOT NULL,
    rho {REAL} NOT NULL,
    epsilon {REAL} NOT NULL,
    delta {REAL} NOT NULL,
    budget_epsilon {REAL},
    budget_delta {REAL},
    state TEXT NOT NULL,
    release_id {INT} REFERENCES releases(id),
    reserved_at TEXT NOT NULL
);
CREATE INDEX privacy_ledger_dataset ON privacy_ledger(dataset_id);
",
    // A decision's place in its release's chain (1 for the first), so every database lists
    // them in order.
    "
ALTER TABLE approvals ADD COLUMN position {INT};
",
    // A release withdrawn after it was made: when, by whom, why.
    "
ALTER TABLE releases ADD COLUMN withdrawn_at TEXT;
ALTER TABLE releases ADD COLUMN withdrawn_by TEXT;
ALTER TABLE releases ADD COLUMN withdrawn_reason TEXT;
",
];

/// The registry's statements, written once for both databases (`?N` parameters; PostgreSQL's
/// `$N` by [`numbered`]).
pub(crate) mod sql {
    pub(crate) const SPENT: &str =
        "SELECT COALESCE(SUM(rho), 0.0) FROM privacy_ledger WHERE dataset_id = ?1";
    pub(crate) const RESERVE: &str = "INSERT INTO privacy_ledger (dataset_id, release, rho, \
        epsilon, delta, budget_epsilon, budget_delta, state, release_id, reserved_at) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reserved', NULL, ?8) RETURNING id";
    pub(crate) const SETTLE: &str =
        "UPDATE privacy_ledger SET state = 'spent', release_id = ?2 WHERE id = ?1";
    pub(crate) const LEDGER: &str = "SELECT id, release, rho, epsilon, delta, budget_epsilon, \
        budget_delta, state, release_id, reserved_at FROM privacy_ledger WHERE dataset_id = ?1 \
        ORDER BY id";
    pub(crate) const PREVIOUS: &str =
        "SELECT id FROM releases WHERE name = ?1 ORDER BY id DESC LIMIT 1";
    pub(crate) const RECORD: &str = "INSERT INTO releases (name, version, bundle, \
        manifest_sha256, source_sha256, synthesizer, seed, rows, releasable, created_at, \
        supersedes, operator_fingerprint, audit_seq, audit_hash, decision_head, decisions) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?4, 0) RETURNING id";
    pub(crate) const GATE: &str = "INSERT INTO gates (release_id, metric, outcome, observed, \
        threshold) VALUES (?1, ?2, ?3, ?4, ?5)";
    pub(crate) const HEAD: &str = "SELECT id, decision_head FROM releases \
        WHERE manifest_sha256 = ?1 ORDER BY id DESC LIMIT 1";
    pub(crate) const APPROVAL: &str = "INSERT INTO approvals (release_id, role, decision, \
        key_fingerprint, signed_at, decision_sha256, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
        (SELECT decisions + 1 FROM releases WHERE id = ?1))";
    pub(crate) const ADVANCE: &str =
        "UPDATE releases SET decision_head = ?1, decisions = decisions + 1 WHERE id = ?2";
    pub(crate) const RECORDED: &str = "SELECT id, bundle, operator_fingerprint, audit_seq, \
        audit_hash, decision_head, decisions, withdrawn_at, withdrawn_by, withdrawn_reason \
        FROM releases";
    pub(crate) const ROWS: &str = "SELECT id, name, version, bundle, manifest_sha256, \
        source_sha256, synthesizer, seed, rows, releasable, created_at, supersedes, \
        withdrawn_at, withdrawn_by, withdrawn_reason FROM releases";
    pub(crate) const WITHDRAW: &str = "UPDATE releases SET withdrawn_at = ?2, withdrawn_by = ?3, \
        withdrawn_reason = ?4 WHERE id = ?1 AND withdrawn_at IS NULL";
    pub(crate) const GATES: &str =
        "SELECT metric, outcome, observed, threshold FROM gates WHERE release_id = ?1";
    pub(crate) const APPROVALS: &str = "SELECT role, decision, key_fingerprint, signed_at \
        FROM approvals WHERE release_id = ?1 ORDER BY position";
    pub(crate) const DECISIONS: &str = "SELECT release_id, role, decision FROM approvals \
        ORDER BY release_id, position";

    /// `statement` with PostgreSQL's `$N` parameters for `?N`.
    pub(crate) fn numbered(statement: &str) -> String {
        statement.replace('?', "$")
    }
}

/// The refusal of a reservation that would take a dataset past its budget, with what is left;
/// none when `spent` plus the reservation stays within it.
pub(crate) fn check_budget(reservation: &Reservation, spent: f64) -> Result<()> {
    let Some((epsilon, delta, cap)) = reservation.budget else {
        return Ok(());
    };
    if spent + reservation.rho <= cap * (1.0 + 1e-12) {
        return Ok(());
    }
    let left_rho = (cap - spent).max(0.0);
    let left = if left_rho > 0.0 {
        synthgate_synth::epsilon_of(left_rho, delta).unwrap_or(0.0)
    } else {
        0.0
    };
    Err(Error::new(
        synthgate_core::ErrorKind::GateFailed,
        format!(
            "the privacy budget of dataset '{}' would be exceeded: its releases have spent \
             ρ = {spent:.6} of the ρ = {cap:.6} that ε = {epsilon} at δ = {delta:e} allows, and \
             this run needs ρ = {:.6} (ε = {} at δ = {:e}). Left: ρ = {left_rho:.6}, about \
             ε = {left:.4} at δ = {delta:e} for one more release. Nothing was measured.",
            reservation.dataset_id, reservation.rho, reservation.epsilon, reservation.delta
        ),
    )
    .hint(format!(
        "Lower [synthesizer] epsilon, or raise [policy] privacy_budget if your governance \
         allows it; `synthgate registry budget {}` shows the ledger.",
        reservation.dataset_id
    )))
}

/// The refusal of a decision signed on a stale chain: one whose previous decision is not the
/// `head` recorded for its release.
pub(crate) fn check_follows(head: Option<&str>, approval: &Approval) -> Result<()> {
    match (head, &approval.body.prev_sha256) {
        (Some(head), Some(prev)) if head != prev => Err(Error::new(
            synthgate_core::ErrorKind::VerificationFailed,
            format!(
                "the decision follows {}…, but the registry's newest decision for this release \
                 is {}…: it was signed on a stale chain.",
                prev.get(..12).unwrap_or(prev),
                head.get(..12).unwrap_or(head)
            ),
        )),
        _ => Ok(()),
    }
}

/// A gate outcome or a decision as the registry stores it (`pass`, `approve`, ...).
pub(crate) fn lower(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}").to_lowercase()
}

/// A database the registry lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// The embedded SQLite file of a workspace.
    Sqlite,
    /// A shared PostgreSQL server.
    Postgres,
}

/// Migration `index` (to version `index + 1`) in `dialect`'s types.
pub(crate) fn migration(index: usize, dialect: Dialect) -> String {
    let (id, int, real, flag) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "INTEGER", "REAL", "INTEGER"),
        Dialect::Postgres => (
            "BIGSERIAL PRIMARY KEY",
            "BIGINT",
            "DOUBLE PRECISION",
            "BOOLEAN",
        ),
    };
    MIGRATIONS[index]
        .replace("{ID}", id)
        .replace("{INT}", int)
        .replace("{REAL}", real)
        .replace("{BOOL}", flag)
}

/// A differentially private run's claim on its dataset's budget, made before its first
/// measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// The protected dataset (`[source] dataset_id`).
    pub dataset_id: String,
    /// The release, as `name version`.
    pub release: String,
    /// ρ (zCDP) the fit may spend.
    pub rho: f64,
    /// Its ε at `delta`.
    pub epsilon: f64,
    /// Its δ.
    pub delta: f64,
    /// The policy's cap: ε, δ and the ρ they allow (`rho_for(ε, δ)`), if any.
    pub budget: Option<(f64, f64, f64)>,
    /// When (RFC 3339).
    pub at: String,
}

/// One line of a dataset's privacy ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerRow {
    /// Ledger id.
    pub id: i64,
    /// The release, as `name version`.
    pub release: String,
    /// ρ charged.
    pub rho: f64,
    /// The run's ε at its δ.
    pub epsilon: f64,
    /// The run's δ.
    pub delta: f64,
    /// The cap in force when it was reserved (ε, δ), if any.
    pub budget_epsilon: Option<f64>,
    /// Its δ.
    pub budget_delta: Option<f64>,
    /// `reserved` (measuring began; the run did not register a release) or `spent`.
    pub state: String,
    /// The registered release, once spent.
    pub release_id: Option<i64>,
    /// When it was reserved.
    pub reserved_at: String,
}

/// What a run adds to its registry row beyond the manifest: who signed it and where its
/// entries end in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The operator key's fingerprint.
    pub operator_fingerprint: String,
    /// The seq of the run's last audit entry.
    pub audit_seq: u64,
    /// Its hash.
    pub audit_hash: String,
}

/// What the registry vouches for about one bundle: a trust source for `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// Registry id.
    pub id: i64,
    /// The bundle's folder when it was recorded.
    pub bundle: String,
    /// The operator that signed it (absent for rows recorded before registry version 2).
    pub operator_fingerprint: Option<String>,
    /// The run's last audit entry (seq, hash), when recorded.
    pub audit: Option<(u64, String)>,
    /// The newest decision's digest (the manifest's digest before any).
    pub decision_head: Option<String>,
    /// How many decisions.
    pub decisions: usize,
    /// Whether, when, by whom and why it was withdrawn.
    pub withdrawn: Option<Withdrawal>,
}

/// A release's withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

impl Withdrawal {
    /// The withdrawal the three columns record, if any.
    pub(crate) fn from_columns(
        at: Option<String>,
        by: Option<String>,
        reason: Option<String>,
    ) -> Option<Withdrawal> {
        at.map(|at| Withdrawal {
            at,
            by: by.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
        })
    }
}

fn db_error(path: &Path, error: &rusqlite::Error) -> Error {
    Error::environment(format!("the registry {} failed: {error}.", path.display()))
}

/// Where releases, their gate outcomes and their decisions are recorded: the registry as the
/// engine uses it. [`Registry`] (SQLite, one file per workspace) is the implementation every
/// workspace has; a shared server database (PostgreSQL, for teams) implements the same trait.
/// Every method either records all it was given or nothing.
pub trait ReleaseStore {
    /// Where the store is, for messages (a file path or a server address without credentials).
    fn location(&self) -> String;
    /// Record a release written to `bundle`; it supersedes the latest earlier release of the
    /// same name. Returns its id.
    fn record_release(
        &mut self,
        bundle: &Path,
        manifest: &Manifest,
        manifest_sha256: &str,
        decision: &Decision,
        run: &RunRecord,
    ) -> Result<i64>;
    /// Record a decision on the release whose manifest it names, refusing one that does not
    /// follow the recorded head. Returns whether the release is registered.
    fn record_approval(&mut self, approval: &Approval) -> Result<bool>;
    /// What was recorded about the bundle whose manifest has `manifest_sha256`.
    fn recorded(&self, manifest_sha256: &str) -> Result<Option<Recorded>>;
    /// Every release with what it recorded for trust and the audit log, oldest first.
    fn recorded_all(&self) -> Result<Vec<Recorded>>;
    /// Every release, oldest first.
    fn list(&self) -> Result<Vec<ReleaseRow>>;
    /// The releases made from the source whose digest starts with `prefix`.
    fn lineage(&self, prefix: &str) -> Result<Vec<ReleaseRow>>;
    /// One release with its gates and approvals.
    fn show(&self, id: i64) -> Result<serde_json::Value>;
    /// Reserve a differentially private run's spend on its dataset's ledger, atomically: the
    /// ledger's total ρ plus this one must stay within the budget, or the reservation is
    /// refused (a gate failure, exit 4) and nothing is recorded. Two runs can never both take
    /// the last of a budget. A reservation is never refunded. Returns its id.
    fn reserve_privacy(&mut self, reservation: &Reservation) -> Result<i64>;
    /// Mark a reservation spent by the release registered as `release_id`.
    fn settle_privacy(&mut self, reservation: i64, release_id: i64) -> Result<()>;
    /// A dataset's ledger, oldest first.
    fn ledger(&self, dataset_id: &str) -> Result<Vec<LedgerRow>>;
    /// Every decision of every release, each release's in chain order.
    fn decisions(&self) -> Result<Vec<DecisionRow>>;
    /// Withdraw release `id` (at, by, reason); one not registered, or already withdrawn, is an
    /// error and nothing changes.
    fn withdraw(&mut self, id: i64, withdrawal: &Withdrawal) -> Result<()>;
}

/// Why a withdrawal changed nothing: release `id` is not registered in `store`, or was
/// withdrawn before.
pub(crate) fn not_withdrawn(id: i64, store: &dyn ReleaseStore) -> Error {
    let existing = match store.recorded_all() {
        Ok(all) => all.into_iter().find(|r| r.id == id).map(|r| r.withdrawn),
        Err(error) => return error,
    };
    match existing {
        None => Error::usage(format!("the registry has no release {id}.")),
        Some(Some(before)) => Error::usage(format!(
            "release {id} was withdrawn already, on {} by {}: {}",
            before.at, before.by, before.reason
        )),
        Some(None) => Error::internal(format!("release {id} could not be withdrawn")),
    }
}

/// One decision as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    /// The release's registry id.
    pub release_id: i64,
    /// The role.
    pub role: String,
    /// `approve` or `reject`.
    pub decision: String,
}

impl ReleaseStore for Registry {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn reserve_privacy(&mut self, reservation: &Reservation) -> Result<i64> {
        let path = self.path.clone();
        // IMMEDIATE: the write lock is taken before the total is read, so a concurrent run
        // waits and then sees this reservation.
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, &e))?;
        let spent: f64 = transaction
            .query_row(sql::SPENT, params![reservation.dataset_id], |row| {
                row.get(0)
            })
            .map_err(|e| db_error(&path, &e))?;
        check_budget(reservation, spent)?;
        let id: i64 = transaction
            .query_row(
                sql::RESERVE,
                params![
                    reservation.dataset_id,
                    reservation.release,
                    reservation.rho,
                    reservation.epsilon,
                    reservation.delta,
                    reservation.budget.map(|b| b.0),
                    reservation.budget.map(|b| b.1),
                    reservation.at,
                ],
                |row| row.get(0),
            )
            .map_err(|e| db_error(&path, &e))?;
        transaction.commit().map_err(|e| db_error(&path, &e))?;
        Ok(id)
    }

    fn settle_privacy(&mut self, reservation: i64, release_id: i64) -> Result<()> {
        self.connection
            .execute(sql::SETTLE, params![reservation, release_id])
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }

    fn ledger(&self, dataset_id: &str) -> Result<Vec<LedgerRow>> {
        let mut statement = self
            .connection
            .prepare(sql::LEDGER)
            .map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map([dataset_id], |row| {
                Ok(LedgerRow {
                    id: row.get(0)?,
                    release: row.get(1)?,
                    rho: row.get(2)?,
                    epsilon: row.get(3)?,
                    delta: row.get(4)?,
                    budget_epsilon: row.get(5)?,
                    budget_delta: row.get(6)?,
                    state: row.get(7)?,
                    release_id: row.get(8)?,
                    reserved_at: row.get(9)?,
                })
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    fn record_release(
        &mut self,
        bundle: &Path,
        manifest: &Manifest,
        manifest_sha256: &str,
        decision: &Decision,
        run: &RunRecord,
    ) -> Result<i64> {
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, &e))?;
        let spec = manifest.spec()?;
        let release = &spec.release;
        let previous: Option<i64> = transaction
            .query_row(sql::PREVIOUS, params![release.name], |row| row.get(0))
            .optional()
            .map_err(|e| db_error(&path, &e))?;
        let id: i64 = transaction
            .query_row(
                sql::RECORD,
                params![
                    release.name,
                    release.version,
                    bundle.display().to_string(),
                    manifest_sha256,
                    manifest.source.sha256,
                    spec.synthesizer.name,
                    spec.synthesizer.seed as i64,
                    manifest.generator.rows as i64,
                    manifest.releasable,
                    manifest.created_at,
                    previous,
                    run.operator_fingerprint,
                    run.audit_seq as i64,
                    run.audit_hash,
                ],
                |row| row.get(0),
            )
            .map_err(|e| db_error(&path, &e))?;
        for gate in &decision.gates {
            transaction
                .execute(
                    sql::GATE,
                    params![
                        id,
                        gate.metric,
                        lower(&gate.outcome),
                        gate.observed,
                        gate.threshold
                    ],
                )
                .map_err(|e| db_error(&path, &e))?;
        }
        transaction.commit().map_err(|e| db_error(&path, &e))?;
        Ok(id)
    }

    fn record_approval(&mut self, approval: &Approval) -> Result<bool> {
        let digest = crate::keys::decision_digest(approval)?;
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, &e))?;
        let row: Option<(i64, Option<String>)> = transaction
            .query_row(sql::HEAD, params![approval.body.manifest_sha256], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|e| db_error(&path, &e))?;
        let Some((id, head)) = row else {
            return Ok(false);
        };
        check_follows(head.as_deref(), approval)?;
        transaction
            .execute(
                sql::APPROVAL,
                params![
                    id,
                    approval.body.role,
                    lower(&approval.body.decision),
                    approval.body.key_fingerprint,
                    approval.body.signed_at,
                    digest
                ],
            )
            .map_err(|e| db_error(&path, &e))?;
        transaction
            .execute(sql::ADVANCE, params![digest, id])
            .map_err(|e| db_error(&path, &e))?;
        transaction.commit().map_err(|e| db_error(&path, &e))?;
        Ok(true)
    }

    fn recorded(&self, manifest_sha256: &str) -> Result<Option<Recorded>> {
        Ok(self
            .recorded_where(
                "WHERE manifest_sha256 = ?1 ORDER BY id DESC LIMIT 1",
                &manifest_sha256,
            )?
            .into_iter()
            .next())
    }

    fn withdraw(&mut self, id: i64, withdrawal: &Withdrawal) -> Result<()> {
        let changed = self
            .connection
            .execute(
                sql::WITHDRAW,
                params![id, withdrawal.at, withdrawal.by, withdrawal.reason],
            )
            .map_err(|e| self.fail(&e))?;
        if changed == 1 {
            return Ok(());
        }
        Err(not_withdrawn(id, self))
    }

    fn decisions(&self) -> Result<Vec<DecisionRow>> {
        let mut statement = self
            .connection
            .prepare(sql::DECISIONS)
            .map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(DecisionRow {
                    release_id: row.get(0)?,
                    role: row.get(1)?,
                    decision: row.get(2)?,
                })
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    fn recorded_all(&self) -> Result<Vec<Recorded>> {
        self.recorded_where("WHERE ?1 = ?1 ORDER BY id", &1)
    }

    fn list(&self) -> Result<Vec<ReleaseRow>> {
        self.rows("WHERE ?1 = ?1", &1)
    }

    fn lineage(&self, prefix: &str) -> Result<Vec<ReleaseRow>> {
        self.rows("WHERE source_sha256 LIKE ?1", &format!("{prefix}%"))
    }

    fn show(&self, id: i64) -> Result<serde_json::Value> {
        let release = self
            .rows("WHERE id = ?1", &id)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::usage(format!("the registry has no release {id}.")))?;
        let gates = self.objects(
            sql::GATES,
            &["metric", "outcome", "observed", "threshold"],
            id,
        )?;
        let approvals = self.objects(
            sql::APPROVALS,
            &["role", "decision", "key_fingerprint", "signed_at"],
            id,
        )?;
        Ok(serde_json::json!({ "release": release, "gates": gates, "approvals": approvals }))
    }
}

/// The SQLite registry of one workspace.
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
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<String>,
    /// By whom.
    pub withdrawn_by: Option<String>,
    /// Why.
    pub withdrawn_reason: Option<String>,
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
        // A registry already at this version is opened without taking the write lock (readers
        // never queue behind each other); only one that needs migrating takes it, and checks
        // again under it.
        let current: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| db_error(path, &e))?;
        if current == REGISTRY_VERSION {
            return Ok(Registry {
                connection,
                path: path.to_path_buf(),
            });
        }
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
        for index in (version as usize)..MIGRATIONS.len() {
            transaction
                .execute_batch(&migration(index, Dialect::Sqlite))
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

    fn recorded_where(&self, filter: &str, value: &dyn rusqlite::ToSql) -> Result<Vec<Recorded>> {
        let statement = format!("{} {filter}", sql::RECORDED);
        let mut statement = self
            .connection
            .prepare(&statement)
            .map_err(|e| self.fail(&e))?;
        let rows = statement
            .query_map([value], |row| {
                let seq: Option<i64> = row.get(3)?;
                let hash: Option<String> = row.get(4)?;
                let decisions: i64 = row.get(6)?;
                Ok(Recorded {
                    id: row.get(0)?,
                    bundle: row.get(1)?,
                    operator_fingerprint: row.get(2)?,
                    audit: seq.zip(hash).map(|(s, h)| (s as u64, h)),
                    decision_head: row.get(5)?,
                    decisions: decisions as usize,
                    withdrawn: Withdrawal::from_columns(row.get(7)?, row.get(8)?, row.get(9)?),
                })
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    fn rows(&self, filter: &str, value: &dyn rusqlite::ToSql) -> Result<Vec<ReleaseRow>> {
        let statement = format!("{} {filter} ORDER BY id", sql::ROWS);
        let mut statement = self
            .connection
            .prepare(&statement)
            .map_err(|e| self.fail(&e))?;
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
                    withdrawn_at: row.get(12)?,
                    withdrawn_by: row.get(13)?,
                    withdrawn_reason: row.get(14)?,
                })
            })
            .map_err(|e| self.fail(&e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    /// The rows `statement` selects for release `id`, as JSON objects of `columns`.
    fn objects(
        &self,
        statement: &str,
        columns: &[&str],
        id: i64,
    ) -> Result<Vec<serde_json::Value>> {
        use rusqlite::types::Value;
        let mut statement = self
            .connection
            .prepare(statement)
            .map_err(|e| self.fail(&e))?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reservation(release: &str, rho: f64, cap: Option<f64>) -> Reservation {
        Reservation {
            dataset_id: "patients".into(),
            release: release.into(),
            rho,
            epsilon: 1.0,
            delta: 1e-9,
            budget: cap.map(|cap| (3.0, 1e-9, cap)),
            at: "2026-12-02T00:00:00Z".into(),
        }
    }

    /// Spends add up per dataset; a reservation past the cap is refused with exit 4 and
    /// records nothing; another dataset has its own ledger.
    #[test]
    fn the_ledger_adds_up_and_refuses_past_the_cap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut registry = Registry::open(&dir.path().join("r.sqlite")).expect("open");
        registry
            .reserve_privacy(&reservation("a 1", 0.4, Some(1.0)))
            .expect("first");
        registry
            .reserve_privacy(&reservation("a 2", 0.5, Some(1.0)))
            .expect("second");
        let refused = registry
            .reserve_privacy(&reservation("a 3", 0.2, Some(1.0)))
            .expect_err("past the cap");
        assert_eq!(refused.kind().exit_code(), 4);
        assert!(
            refused.message().contains("Left: ρ = 0.100000"),
            "{refused}"
        );
        assert_eq!(registry.ledger("patients").expect("ledger").len(), 2);
        let mut other = reservation("b 1", 0.9, Some(1.0));
        other.dataset_id = "claims".into();
        registry.reserve_privacy(&other).expect("another dataset");
    }
}
