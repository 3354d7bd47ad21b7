//! The registry and the audit log on a shared PostgreSQL server, for teams: the same schema
//! and migrations as a workspace's SQLite registry ([`crate::registry`]), the same statements,
//! and the audit log as a table of the very lines the file log holds, checked by the same
//! code. Selected by a `postgres://` URL.
//!
//! Concurrency: every write is one transaction. Writers of the same thing take a table lock
//! first (releases, the privacy ledger, the audit log), so two runs never both supersede the
//! same release, never both take the last of a budget, and never both append seq `n` to the
//! audit chain; a decision locks its release's row, so two approvals never both follow the
//! same head. An audit append is one serialisable transaction that checks the whole chain
//! under the lock before it adds to it, and the chain's `seq` is the table's primary key.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls, Transaction};
use synthgate_core::{Error, Result};

use crate::audit::{AuditLock, AuditStore, Entry, LogCheck, check_continues, check_log};
use crate::bundle::Manifest;
use crate::gates::Decision;
use crate::keys::Approval;
use crate::registry::{
    DecisionRow, Dialect, LedgerRow, Recorded, ReleaseRow, ReleaseStore, Reservation, RunRecord,
    Withdrawal, check_budget, check_follows, lower, migration, not_withdrawn, sql,
};

/// Whether `location` names a PostgreSQL server (`postgres://` or `postgresql://`).
pub fn is_server_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `url` without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The advisory lock key the migrations run under (any constant; "synthgat" in ASCII).
const MIGRATION_LOCK: i64 = 0x7379_6e74_6867_6174;

/// The schema version this Synthgate writes on a server: the registry's migrations with the
/// audit log's table as the fourth ([`server_migration`]).
const SERVER_VERSION: i64 = crate::registry::REGISTRY_VERSION + 1;

/// Where the audit log's table comes among a server's migrations.
const AUDIT_MIGRATION: usize = 3;

/// A server's migration `index`: the registry's, with the audit log's table at
/// [`AUDIT_MIGRATION`] (where it was added).
fn server_migration(index: usize) -> String {
    match index.cmp(&AUDIT_MIGRATION) {
        std::cmp::Ordering::Less => migration(index, Dialect::Postgres),
        std::cmp::Ordering::Equal => AUDIT_TABLE.to_string(),
        std::cmp::Ordering::Greater => migration(index - 1, Dialect::Postgres),
    }
}

const AUDIT_TABLE: &str = "
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    line TEXT NOT NULL
);
";

fn failed(location: &str, error: &postgres::Error) -> Error {
    let detail = match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    };
    Error::environment(format!("the registry server {location} failed: {detail}."))
}

/// A connection to the server at `url`, its schema made and migrated to this version.
fn connect(url: &str, location: &str) -> Result<Client> {
    let mut client = Client::connect(url, NoTls).map_err(|e| {
        failed(location, &e).hint(
            "Check the URL (postgres://user:password@host:port/database), that the server is \
             running and that it accepts this user; Synthgate connects without TLS, so keep \
             the server on a private network or loopback.",
        )
    })?;
    let mut transaction = client.transaction().map_err(|e| failed(location, &e))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| failed(location, &e))?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS synthgate_schema (
                one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                version BIGINT NOT NULL
            )",
        )
        .map_err(|e| failed(location, &e))?;
    let version: i64 = transaction
        .query_opt("SELECT version FROM synthgate_schema", &[])
        .map_err(|e| failed(location, &e))?
        .map_or(0, |row| row.get(0));
    if version > SERVER_VERSION {
        return Err(Error::environment(format!(
            "the registry server {location} has schema version {version}, newer than this \
             Synthgate ({SERVER_VERSION})."
        )));
    }
    if version < SERVER_VERSION {
        for index in (version as usize)..SERVER_VERSION as usize {
            transaction
                .batch_execute(&server_migration(index))
                .map_err(|e| failed(location, &e))?;
        }
        transaction
            .execute(
                "INSERT INTO synthgate_schema (one, version) VALUES (TRUE, $1) \
                 ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version",
                &[&SERVER_VERSION],
            )
            .map_err(|e| failed(location, &e))?;
    }
    transaction.commit().map_err(|e| failed(location, &e))?;
    Ok(client)
}

/// The registry on a PostgreSQL server.
pub struct ServerRegistry {
    /// One connection; the store's reads take `&self`, and a client needs `&mut` to query.
    client: Mutex<Client>,
    location: String,
}

impl std::fmt::Debug for ServerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRegistry")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl ServerRegistry {
    /// Connect to the registry at `url` (`postgres://user:password@host:port/database`),
    /// making and migrating its schema on first use.
    pub fn open(url: &str) -> Result<ServerRegistry> {
        let location = redacted(url);
        let client = Mutex::new(connect(url, &location)?);
        Ok(ServerRegistry { client, location })
    }

    fn fail(&self, error: &postgres::Error) -> Error {
        failed(&self.location, error)
    }

    fn client(&self) -> Result<MutexGuard<'_, Client>> {
        self.client
            .lock()
            .map_err(|_| Error::internal("a registry connection was poisoned by a panic"))
    }

    fn recorded_where(
        &self,
        filter: &str,
        value: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Vec<Recorded>> {
        let statement = sql::numbered(&format!("{} {filter}", sql::RECORDED));
        let rows = self
            .client()?
            .query(&statement, &[value])
            .map_err(|e| failed(&self.location, &e))?;
        Ok(rows
            .iter()
            .map(|row| {
                let seq: Option<i64> = row.get(3);
                let hash: Option<String> = row.get(4);
                let decisions: i64 = row.get(6);
                Recorded {
                    id: row.get(0),
                    bundle: row.get(1),
                    operator_fingerprint: row.get(2),
                    audit: seq.zip(hash).map(|(s, h)| (s as u64, h)),
                    decision_head: row.get(5),
                    decisions: decisions as usize,
                    withdrawn: Withdrawal::from_columns(row.get(7), row.get(8), row.get(9)),
                }
            })
            .collect())
    }

    fn rows(
        &self,
        filter: &str,
        value: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Vec<ReleaseRow>> {
        let statement = sql::numbered(&format!("{} {filter} ORDER BY id", sql::ROWS));
        let rows = self
            .client()?
            .query(&statement, &[value])
            .map_err(|e| failed(&self.location, &e))?;
        Ok(rows
            .iter()
            .map(|row| ReleaseRow {
                id: row.get(0),
                name: row.get(1),
                version: row.get(2),
                bundle: row.get(3),
                manifest_sha256: row.get(4),
                source_sha256: row.get(5),
                synthesizer: row.get(6),
                seed: row.get(7),
                rows: row.get(8),
                releasable: row.get(9),
                created_at: row.get(10),
                supersedes: row.get(11),
                withdrawn_at: row.get(12),
                withdrawn_by: row.get(13),
                withdrawn_reason: row.get(14),
            })
            .collect())
    }
}

/// Begin a transaction on `client` and run `lock` (a `LOCK TABLE`, or nothing) first.
fn begin<'a>(client: &'a mut Client, lock: &str, location: &str) -> Result<Transaction<'a>> {
    let mut transaction = client.transaction().map_err(|e| failed(location, &e))?;
    transaction
        .batch_execute(lock)
        .map_err(|e| failed(location, &e))?;
    Ok(transaction)
}

impl ReleaseStore for ServerRegistry {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn record_release(
        &mut self,
        bundle: &Path,
        manifest: &Manifest,
        manifest_sha256: &str,
        decision: &Decision,
        run: &RunRecord,
    ) -> Result<i64> {
        let spec = manifest.spec()?;
        let release = &spec.release;
        // The lock makes "the latest earlier release of the same name" one answer.
        let location = &self.location;
        let mut client = self.client()?;
        let mut transaction = begin(
            &mut client,
            "LOCK TABLE releases IN SHARE ROW EXCLUSIVE MODE",
            location,
        )?;
        let fail = |e: postgres::Error| failed(location, &e);
        let previous: Option<i64> = transaction
            .query_opt(&sql::numbered(sql::PREVIOUS), &[&release.name])
            .map_err(fail)?
            .map(|row| row.get(0));
        let id: i64 = transaction
            .query_one(
                &sql::numbered(sql::RECORD),
                &[
                    &release.name,
                    &release.version,
                    &bundle.display().to_string(),
                    &manifest_sha256,
                    &manifest.source.sha256,
                    &spec.synthesizer.name,
                    &(spec.synthesizer.seed as i64),
                    &(manifest.generator.rows as i64),
                    &manifest.releasable,
                    &manifest.created_at,
                    &previous,
                    &run.operator_fingerprint,
                    &(run.audit_seq as i64),
                    &run.audit_hash,
                ],
            )
            .map_err(fail)?
            .get(0);
        for gate in &decision.gates {
            transaction
                .execute(
                    &sql::numbered(sql::GATE),
                    &[
                        &id,
                        &gate.metric,
                        &lower(&gate.outcome),
                        &gate.observed,
                        &gate.threshold,
                    ],
                )
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)?;
        Ok(id)
    }

    fn record_approval(&mut self, approval: &Approval) -> Result<bool> {
        let digest = crate::keys::decision_digest(approval)?;
        let location = &self.location;
        let mut client = self.client()?;
        let mut transaction = begin(&mut client, "", location)?;
        let fail = |e: postgres::Error| failed(location, &e);
        // FOR UPDATE: a second decision on the same release waits here, then sees this one's
        // head and is refused as stale.
        let row = transaction
            .query_opt(
                &format!("{} FOR UPDATE", sql::numbered(sql::HEAD)),
                &[&approval.body.manifest_sha256],
            )
            .map_err(fail)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let (id, head): (i64, Option<String>) = (row.get(0), row.get(1));
        check_follows(head.as_deref(), approval)?;
        transaction
            .execute(
                &sql::numbered(sql::APPROVAL),
                &[
                    &id,
                    &approval.body.role,
                    &lower(&approval.body.decision),
                    &approval.body.key_fingerprint,
                    &approval.body.signed_at,
                    &digest,
                ],
            )
            .map_err(fail)?;
        transaction
            .execute(&sql::numbered(sql::ADVANCE), &[&digest, &id])
            .map_err(fail)?;
        transaction.commit().map_err(fail)?;
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

    fn recorded_all(&self) -> Result<Vec<Recorded>> {
        self.recorded_where("WHERE ?1::BIGINT = 1 ORDER BY id", &1_i64)
    }

    fn list(&self) -> Result<Vec<ReleaseRow>> {
        self.rows("WHERE ?1::BIGINT = 1", &1_i64)
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
        let mut client = self.client()?;
        let gates: Vec<serde_json::Value> = client
            .query(&sql::numbered(sql::GATES), &[&id])
            .map_err(|e| self.fail(&e))?
            .iter()
            .map(|row| {
                serde_json::json!({
                    "metric": row.get::<_, String>(0),
                    "outcome": row.get::<_, String>(1),
                    "observed": row.get::<_, Option<f64>>(2),
                    "threshold": row.get::<_, f64>(3),
                })
            })
            .collect();
        let approvals: Vec<serde_json::Value> = client
            .query(&sql::numbered(sql::APPROVALS), &[&id])
            .map_err(|e| self.fail(&e))?
            .iter()
            .map(|row| {
                serde_json::json!({
                    "role": row.get::<_, String>(0),
                    "decision": row.get::<_, String>(1),
                    "key_fingerprint": row.get::<_, String>(2),
                    "signed_at": row.get::<_, String>(3),
                })
            })
            .collect();
        Ok(serde_json::json!({ "release": release, "gates": gates, "approvals": approvals }))
    }

    fn reserve_privacy(&mut self, reservation: &Reservation) -> Result<i64> {
        // The lock is taken before the total is read: a concurrent run waits, then sees this
        // reservation.
        let location = &self.location;
        let mut client = self.client()?;
        let mut transaction = begin(
            &mut client,
            "LOCK TABLE privacy_ledger IN SHARE ROW EXCLUSIVE MODE",
            location,
        )?;
        let fail = |e: postgres::Error| failed(location, &e);
        let spent: f64 = transaction
            .query_one(&sql::numbered(sql::SPENT), &[&reservation.dataset_id])
            .map_err(fail)?
            .get(0);
        check_budget(reservation, spent)?;
        let id: i64 = transaction
            .query_one(
                &sql::numbered(sql::RESERVE),
                &[
                    &reservation.dataset_id,
                    &reservation.release,
                    &reservation.rho,
                    &reservation.epsilon,
                    &reservation.delta,
                    &reservation.budget.map(|b| b.0),
                    &reservation.budget.map(|b| b.1),
                    &reservation.at,
                ],
            )
            .map_err(fail)?
            .get(0);
        transaction.commit().map_err(fail)?;
        Ok(id)
    }

    fn settle_privacy(&mut self, reservation: i64, release_id: i64) -> Result<()> {
        self.client()?
            .execute(&sql::numbered(sql::SETTLE), &[&reservation, &release_id])
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }

    fn withdraw(&mut self, id: i64, withdrawal: &Withdrawal) -> Result<()> {
        let changed = self
            .client()?
            .execute(
                &sql::numbered(sql::WITHDRAW),
                &[&id, &withdrawal.at, &withdrawal.by, &withdrawal.reason],
            )
            .map_err(|e| self.fail(&e))?;
        if changed == 1 {
            return Ok(());
        }
        Err(not_withdrawn(id, self))
    }

    fn decisions(&self) -> Result<Vec<DecisionRow>> {
        let rows = self
            .client()?
            .query(sql::DECISIONS, &[])
            .map_err(|e| self.fail(&e))?;
        Ok(rows
            .iter()
            .map(|row| DecisionRow {
                release_id: row.get(0),
                role: row.get(1),
                decision: row.get(2),
            })
            .collect())
    }

    fn ledger(&self, dataset_id: &str) -> Result<Vec<LedgerRow>> {
        let rows = self
            .client()?
            .query(&sql::numbered(sql::LEDGER), &[&dataset_id])
            .map_err(|e| self.fail(&e))?;
        Ok(rows
            .iter()
            .map(|row| LedgerRow {
                id: row.get(0),
                release: row.get(1),
                rho: row.get(2),
                epsilon: row.get(3),
                delta: row.get(4),
                budget_epsilon: row.get(5),
                budget_delta: row.get(6),
                state: row.get(7),
                release_id: row.get(8),
                reserved_at: row.get(9),
            })
            .collect())
    }
}

/// The audit log as a table on a PostgreSQL server: one row a line, the line exactly as the
/// file log would hold it.
#[derive(Clone)]
pub struct ServerAudit {
    url: String,
    location: String,
}

impl std::fmt::Debug for ServerAudit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAudit")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl ServerAudit {
    /// The audit log on the server at `url` (connected on use).
    pub fn new(url: &str) -> ServerAudit {
        ServerAudit {
            url: url.to_string(),
            location: redacted(url),
        }
    }

    fn lines(&self, client: &mut Client) -> Result<LogCheck> {
        let rows = client
            .query("SELECT line FROM audit_log ORDER BY seq", &[])
            .map_err(|e| failed(&self.location, &e))?;
        let mut bytes = Vec::new();
        for row in &rows {
            bytes.extend_from_slice(row.get::<_, &str>(0).as_bytes());
        }
        Ok(check_log(&bytes))
    }
}

impl AuditStore for ServerAudit {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn lock(&self) -> Result<Box<dyn AuditLock>> {
        let client = connect(&self.url, &self.location)?;
        let mut lock = ServerLock {
            client,
            audit: self.clone(),
            seq: 0,
            head: String::new(),
            open: false,
        };
        let (seq, head) = lock.begin()?;
        (lock.seq, lock.head) = (seq, head);
        Ok(Box::new(lock))
    }

    fn read(&self) -> Result<LogCheck> {
        let mut client = connect(&self.url, &self.location)?;
        self.lines(&mut client)
    }
}

/// The server log under its table lock: an open serialisable transaction that has checked the
/// whole chain. Dropped without a commit, the server rolls it back.
struct ServerLock {
    client: Client,
    audit: ServerAudit,
    seq: u64,
    head: String,
    /// Whether the transaction holding the lock is open.
    open: bool,
}

impl ServerLock {
    /// Start the transaction, take the lock, check the chain; returns its head.
    fn begin(&mut self) -> Result<(u64, String)> {
        let location = self.audit.location.clone();
        // The lock comes before any read, so the transaction's snapshot is taken after every
        // earlier writer committed.
        self.client
            .batch_execute(
                "BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE audit_log IN EXCLUSIVE MODE",
            )
            .map_err(|e| failed(&location, &e))?;
        self.open = true;
        let check = self.audit.lines(&mut self.client)?;
        crate::audit::checked_head(&check, &location)
    }
}

impl AuditLock for ServerLock {
    fn repaired_tail(&self) -> Option<u64> {
        None
    }

    fn head(&self) -> (u64, &str) {
        (self.seq, &self.head)
    }

    fn commit(&mut self, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        if !self.open {
            // A second commit under the same lock object: lock again, and refuse if another
            // writer appended in between (the entries were prepared on the old head).
            let head = self.begin()?;
            if head != (self.seq, self.head.clone()) {
                return Err(Error::internal(
                    "the audit log moved on between two commits under one lock",
                ));
            }
        }
        check_continues(entries, self.seq, &self.head)?;
        let location = self.audit.location.clone();
        let mut lines = Vec::with_capacity(entries.len());
        for entry in entries {
            lines.push((
                entry.body.seq as i64,
                synthgate_core::canonical::to_json_line(entry, "an audit entry")?,
            ));
        }
        let written: std::result::Result<(), postgres::Error> = (|| {
            for (seq, line) in &lines {
                self.client.execute(
                    "INSERT INTO audit_log (seq, line) VALUES ($1, $2)",
                    &[seq, line],
                )?;
            }
            self.client.batch_execute("COMMIT")
        })();
        self.open = false;
        if let Err(error) = written {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(failed(&location, &error));
        }
        if let Some(last) = entries.last() {
            self.seq = last.body.seq;
            self.head = last.entry_hash.clone();
        }
        Ok(())
    }
}

impl Drop for ServerLock {
    fn drop(&mut self) {
        if self.open {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::EntryBody;
    use crate::registry::Registry;

    /// A new, empty database on the test server (`$SYNTHGATE_TEST_POSTGRES`, which
    /// `scripts/test` starts and sets); without it the test fails, it never skips.
    fn database() -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let admin = std::env::var("SYNTHGATE_TEST_POSTGRES").unwrap_or_else(|_| {
            panic!(
                "this test needs a PostgreSQL server: run scripts/test, or `scripts/postgres \
                 start /tmp/pg` and set SYNTHGATE_TEST_POSTGRES to the URL it prints"
            )
        });
        let name = format!(
            "sg_unit_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let mut client = Client::connect(&admin, NoTls).expect("the test server");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        let (server, _) = admin.rsplit_once('/').expect("a URL with a database");
        format!("{server}/{name}")
    }

    fn body(action: &str) -> EntryBody {
        EntryBody::new(
            "2026-12-03T00:00:00Z",
            action,
            "test",
            serde_json::json!({}),
        )
    }

    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(
            redacted("postgres://alice:s3cret@db.example:5432/registry?sslmode=disable"),
            "postgres://alice@db.example:5432/registry?sslmode=disable"
        );
        assert_eq!(
            redacted("postgres://alice@db.example/registry"),
            "postgres://alice@db.example/registry"
        );
        assert_eq!(redacted("postgresql://h/db"), "postgresql://h/db");
    }

    /// A writer holding the audit log's lock makes a second one wait; the second then
    /// continues the chain from the first's last entry. (Without the table lock both read
    /// the same head and the second append collides with the first: the PostgreSQL twin of
    /// the parallel-writers test fails that way.)
    #[test]
    fn a_second_writer_waits_for_the_lock_and_continues_the_chain() {
        let url = database();
        let audit = ServerAudit::new(&url);
        let mut first = audit.lock().expect("first lock");
        let (sender, receiver) = std::sync::mpsc::channel();
        let second = {
            let audit = audit.clone();
            std::thread::spawn(move || {
                let mut lock = audit.lock().expect("second lock");
                let head = (lock.head().0, lock.head().1.to_string());
                lock.append(vec![body("second")]).expect("second append");
                sender.send(head).expect("send");
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(
            receiver.try_recv().is_err(),
            "the second writer went ahead while the first held the lock"
        );
        let written = first.append(vec![body("first")]).expect("first append");
        drop(first);
        let head = receiver.recv().expect("the second writer's head");
        second.join().expect("second thread");
        assert_eq!(head, (1, written[0].entry_hash.clone()));
        let check = audit.read().expect("read");
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        let actions: Vec<&str> = check
            .entries
            .iter()
            .map(|e| e.body.action.as_str())
            .collect();
        assert_eq!(actions, ["first", "second"]);
    }

    /// An edited row breaks the chain, and nothing more is appended to it.
    #[test]
    fn an_edited_entry_is_found_and_stops_appends() {
        let url = database();
        let audit = ServerAudit::new(&url);
        audit
            .append(vec![body("run"), body("gate")])
            .expect("append");
        let mut client = Client::connect(&url, NoTls).expect("connect");
        client
            .execute(
                "UPDATE audit_log SET line = replace(line, '\"gate\"', '\"waived\"') WHERE seq = 2",
                &[],
            )
            .expect("edit");
        let check = audit.read().expect("read");
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.contains("seq 2") && p.contains("edited")),
            "{:?}",
            check.problems
        );
        let refused = audit.append(vec![body("run")]).expect_err("a broken chain");
        assert_eq!(refused.kind().exit_code(), 5);
        assert!(refused.message().contains("does not verify"), "{refused}");
    }

    /// The schema is made once and migrated under a lock (many first connections at once are
    /// safe); a server with a newer schema is refused.
    #[test]
    fn the_schema_is_made_once_and_a_newer_one_is_refused() {
        let url = database();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || ServerRegistry::open(&url).map(|_| ()))
            })
            .collect();
        for handle in handles {
            handle.join().expect("thread").expect("open");
        }
        let mut client = Client::connect(&url, NoTls).expect("connect");
        let version: i64 = client
            .query_one("SELECT version FROM synthgate_schema", &[])
            .expect("version")
            .get(0);
        assert_eq!(version, SERVER_VERSION);
        client
            .execute("UPDATE synthgate_schema SET version = version + 1", &[])
            .expect("bump");
        let refused = ServerRegistry::open(&url).expect_err("newer schema");
        assert_eq!(refused.kind().exit_code(), 6);
        assert!(
            refused.message().contains("newer than this Synthgate"),
            "{refused}"
        );
    }

    fn reservation(release: &str, rho: f64) -> Reservation {
        Reservation {
            dataset_id: "patients".into(),
            release: release.into(),
            rho,
            epsilon: 1.0,
            delta: 1e-9,
            budget: Some((3.0, 1e-9, 1.0)),
            at: "2026-12-03T00:00:00Z".into(),
        }
    }

    /// Concurrent reservations on the last of a budget, each on its own connection: exactly
    /// one gets it, on SQLite and on the server alike.
    fn one_takes_the_last_of_a_budget(open: impl Fn() -> Box<dyn ReleaseStore> + Sync) {
        open()
            .reserve_privacy(&reservation("a 1", 0.6))
            .expect("first");
        let barrier = std::sync::Barrier::new(4);
        let won = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let (open, barrier) = (&open, &barrier);
                    scope.spawn(move || {
                        let mut store = open();
                        barrier.wait();
                        store
                            .reserve_privacy(&reservation(&format!("b {i}"), 0.3))
                            .is_ok()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .filter(|&ok| ok)
                .count()
        });
        assert_eq!(won, 1);
        let ledger = open().ledger("patients").expect("ledger");
        assert_eq!(ledger.len(), 2);
        let total: f64 = ledger.iter().map(|row| row.rho).sum();
        assert!(total <= 1.0 + 1e-12, "{total}");
    }

    #[test]
    fn one_run_takes_the_last_of_a_budget_on_sqlite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.sqlite");
        one_takes_the_last_of_a_budget(|| Box::new(Registry::open(&path).expect("open")));
    }

    #[test]
    fn one_run_takes_the_last_of_a_budget_on_postgres() {
        let url = database();
        one_takes_the_last_of_a_budget(|| Box::new(ServerRegistry::open(&url).expect("open")));
    }
}
