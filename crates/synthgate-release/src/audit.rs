//! The audit log: append-only JSON lines in `.synthgate/audit.jsonl` (beside the registry, in
//! the workspace), each entry carrying the previous entry's hash, so deleting, reordering or
//! editing an entry breaks the chain.
//!
//! Writers go through [`LockedLog`]: it takes an exclusive lock on the file, checks the whole
//! chain before anything is added (a run never appends to a log that does not verify), and
//! treats an unterminated last line as an append that never completed (a kill or a full disk
//! in the middle of a write): an entry is committed only once its newline is on disk, so such a
//! tail was never acknowledged to anyone and is cut off, which the next [`check_log`] reports.
//! A failed write is rolled back to the length the log had, so a full disk leaves no torn line.
//!
//! Each bundle carries its own segment (`audit/log.jsonl`: the entries of its run) and a
//! checkpoint (`audit/checkpoint.json`) signed by the operator's key over the segment's last
//! hash, so a recipient verifies it with the bundle alone.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use synthgate_core::canonical::{to_json, to_json_line};
use synthgate_core::{Error, ErrorKind, Result};
use synthgate_io::{io_error, sha256_bytes};

use crate::keys;

/// One audit entry's content (everything its hash covers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// Position in the whole log, from 1.
    pub seq: u64,
    /// When (RFC 3339, UTC), from the injected clock.
    pub ts: String,
    /// `run`, `gate`, `failed`, `approve`, `verify`, `drift`.
    pub action: String,
    /// What it was about: release name and version, or a bundle's path.
    pub object: String,
    /// Details (digests, outcomes).
    pub details: serde_json::Value,
    /// The previous entry's hash ("" for the first).
    pub prev_hash: String,
}

impl EntryBody {
    /// A new entry's body (seq and prev_hash are filled in when it is appended).
    pub fn new(ts: &str, action: &str, object: &str, details: serde_json::Value) -> EntryBody {
        EntryBody {
            seq: 0,
            ts: ts.to_string(),
            action: action.to_string(),
            object: object.to_string(),
            details,
            prev_hash: String::new(),
        }
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The content.
    #[serde(flatten)]
    pub body: EntryBody,
    /// SHA-256 of the canonical JSON of `body`.
    pub entry_hash: String,
}

fn hash(body: &EntryBody) -> Result<String> {
    Ok(sha256_bytes(&to_json(body, "an audit entry")?))
}

/// How to get going again when the log does not verify.
const RECOVERY: &str = "Run `synthgate audit verify` to see what is wrong. Restore the log from a \
    backup, or, if its history is lost, move it aside (keep it as evidence) and start a new one: \
    nothing is appended to a log whose chain is broken.";

/// Where a workspace's hash-chained audit log is kept: the provenance store the engine appends
/// to and checks. [`FileAudit`] (a JSON-lines file under a file lock) is the implementation
/// every workspace has; a shared server database implements the same trait.
pub trait AuditStore {
    /// Where the log is, for messages.
    fn location(&self) -> String;
    /// Lock the log for appending, after checking its whole chain (an interrupted append is
    /// cut off). A log that does not verify is an error: nothing may be appended to it.
    fn lock(&self) -> Result<Box<dyn AuditLock>>;
    /// Read and check the whole log (writers wait); a missing log is an empty one.
    fn read(&self) -> Result<LogCheck>;
    /// Lock, then append `bodies` as the next entries; returns them as written.
    fn append(&self, bodies: Vec<EntryBody>) -> Result<Vec<Entry>> {
        self.lock()?.append(bodies)
    }
}

/// An audit log held under its exclusive lock, its chain checked; entries are appended through
/// it. The lock is released when it is dropped.
pub trait AuditLock {
    /// How many bytes of an interrupted append were cut off when it was locked.
    fn repaired_tail(&self) -> Option<u64>;
    /// The last entry's seq and hash (0 and "" for an empty log).
    fn head(&self) -> (u64, &str);
    /// Append prepared `entries`, which must continue the chain as it stands; a failed write
    /// leaves the log as it was.
    fn commit(&mut self, entries: &[Entry]) -> Result<()>;

    /// `bodies` as the next entries of the chain (seq and prev_hash filled in), not yet
    /// written: [`AuditLock::commit`] writes them.
    fn prepare(&self, bodies: Vec<EntryBody>) -> Result<Vec<Entry>> {
        let (seq, head) = self.head();
        let (mut seq, mut prev) = (seq, head.to_string());
        let mut entries = Vec::with_capacity(bodies.len());
        for mut body in bodies {
            seq += 1;
            body.seq = seq;
            body.prev_hash = prev;
            let entry_hash = hash(&body)?;
            prev = entry_hash.clone();
            entries.push(Entry { body, entry_hash });
        }
        Ok(entries)
    }

    /// Prepare and commit `bodies`; returns them as written.
    fn append(&mut self, bodies: Vec<EntryBody>) -> Result<Vec<Entry>> {
        let entries = self.prepare(bodies)?;
        self.commit(&entries)?;
        Ok(entries)
    }
}

/// The audit log as a JSON-lines file, locked with the operating system's file locks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAudit {
    /// The log file.
    pub path: PathBuf,
}

impl AuditStore for FileAudit {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn lock(&self) -> Result<Box<dyn AuditLock>> {
        Ok(Box::new(LockedLog::open(&self.path)?))
    }

    fn read(&self) -> Result<LogCheck> {
        read_log(&self.path)
    }
}

/// The last entry's seq and hash of a log about to be appended to (0 and "" when it is empty),
/// or the refusal to append to a log at `location` whose chain does not verify.
pub(crate) fn checked_head(check: &LogCheck, location: &str) -> Result<(u64, String)> {
    if !check.problems.is_empty() {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the audit log {location} does not verify, so nothing is appended to it:\n  - {}",
                check.problems.join("\n  - ")
            ),
        )
        .hint(RECOVERY));
    }
    Ok(check
        .entries
        .last()
        .map_or((0, String::new()), |e| (e.body.seq, e.entry_hash.clone())))
}

/// Whether `entries` continue a log whose last entry is `seq` with hash `head`; an error (a
/// bug: entries are prepared under the lock) when not.
pub(crate) fn check_continues(entries: &[Entry], seq: u64, head: &str) -> Result<()> {
    match entries.first() {
        Some(first) if first.body.seq != seq + 1 || first.body.prev_hash != head => {
            Err(Error::internal(format!(
                "audit entries prepared for seq {} do not continue the log at seq {seq}",
                first.body.seq
            )))
        }
        _ => Ok(()),
    }
}

/// The file log under its lock ([`FileAudit::lock`]).
#[derive(Debug)]
pub struct LockedLog {
    file: std::fs::File,
    path: PathBuf,
    seq: u64,
    head: String,
    length: u64,
    repaired: Option<u64>,
}

impl LockedLog {
    /// Open (making it if needed) and lock the log at `path`, and check its whole chain; an
    /// unterminated last line (an interrupted append) is cut off. A log that does not verify
    /// is an error: nothing may be appended to it.
    pub fn open(path: &Path) -> Result<LockedLog> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|error| io_error(parent, "create the folder", &error))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|error| io_error(path, "open the audit log", &error))?;
        file.lock()
            .map_err(|error| io_error(path, "lock the audit log", &error))?;
        let mut bytes = Vec::new();
        file.seek(std::io::SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|error| io_error(path, "read the audit log", &error))?;
        let mut repaired = None;
        if bytes.last().is_some_and(|b| *b != b'\n') {
            let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            file.set_len(keep as u64)
                .and_then(|()| file.sync_all())
                .map_err(|error| {
                    io_error(path, "cut an interrupted append off the audit log", &error)
                })?;
            repaired = Some((bytes.len() - keep) as u64);
            bytes.truncate(keep);
        }
        let (seq, head) = checked_head(&check_log(&bytes), &path.display().to_string())?;
        Ok(LockedLog {
            file,
            path: path.to_path_buf(),
            seq,
            head,
            length: bytes.len() as u64,
            repaired,
        })
    }
}

impl AuditLock for LockedLog {
    fn repaired_tail(&self) -> Option<u64> {
        self.repaired
    }

    fn head(&self) -> (u64, &str) {
        (self.seq, &self.head)
    }

    fn commit(&mut self, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        check_continues(entries, self.seq, &self.head)?;
        let mut text = String::new();
        for entry in entries {
            text.push_str(&to_json_line(entry, "an audit entry")?);
        }
        let written = self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_all());
        if let Err(error) = written {
            // Leave no torn line behind: the chain stays as it was.
            let _ = self
                .file
                .set_len(self.length)
                .and_then(|()| self.file.sync_all());
            return Err(io_error(&self.path, "append to the audit log", &error));
        }
        self.length += text.len() as u64;
        if let Some(last) = entries.last() {
            self.seq = last.body.seq;
            self.head = last.entry_hash.clone();
        }
        Ok(())
    }
}

/// What checking a whole log found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogCheck {
    /// The entries that parsed, in file order.
    pub entries: Vec<Entry>,
    /// Every problem: an edited, deleted, reordered or unparseable entry.
    pub problems: Vec<String>,
    /// Bytes after the last newline: an append that never completed (not a problem: it was
    /// never committed; the next writer cuts it off).
    pub unterminated_tail: usize,
}

/// Check the chain of a whole log (`bytes`): it starts at seq 1 with no previous hash, every
/// entry's hash is its content's, and each links to the one before.
pub fn check_log(bytes: &[u8]) -> LogCheck {
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut check = LogCheck {
        unterminated_tail: bytes.len() - complete,
        ..LogCheck::default()
    };
    let Ok(text) = std::str::from_utf8(&bytes[..complete]) else {
        check.problems.push("the log is not UTF-8 text".into());
        return check;
    };
    let (entries, problems) = check_chain(text, "the audit log", Some((1, "")));
    check.entries = entries;
    check.problems = problems;
    check
}

/// Check the entries of `text` (JSON lines) as a chain: parse, hash, links; when `start` is
/// given, the first entry must have that seq and previous hash.
fn check_chain(text: &str, label: &str, start: Option<(u64, &str)>) -> (Vec<Entry>, Vec<String>) {
    let mut problems = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        if line.trim().is_empty() {
            problems.push(format!("{label} line {line_number} is empty"));
            continue;
        }
        let entry: Entry = match serde_json::from_str(line) {
            Ok(entry) => entry,
            Err(error) => {
                problems.push(format!(
                    "{label} line {line_number} is not an entry: {error}"
                ));
                return (entries, problems);
            }
        };
        match hash(&entry.body) {
            Ok(digest) if digest == entry.entry_hash => {}
            _ => problems.push(format!(
                "{label} line {line_number} (seq {}) was edited: its hash does not match",
                entry.body.seq
            )),
        }
        match entries.last() {
            Some(previous) => {
                if entry.body.prev_hash != previous.entry_hash
                    || entry.body.seq != previous.body.seq + 1
                {
                    problems.push(format!(
                        "{label} line {line_number} (seq {}) does not follow seq {}: an entry \
                         was deleted or reordered",
                        entry.body.seq, previous.body.seq
                    ));
                }
            }
            None => {
                if let Some((seq, prev)) = start
                    && (entry.body.seq != seq || entry.body.prev_hash != prev)
                {
                    problems.push(format!(
                        "{label} starts at seq {} but a log starts at seq {seq}: its first \
                         entries were deleted",
                        entry.body.seq
                    ));
                }
            }
        }
        entries.push(entry);
    }
    (entries, problems)
}

/// Read and check the whole log at `path` under a shared lock (writers wait). A missing log is
/// an empty one.
pub fn read_log(path: &Path) -> Result<LogCheck> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LogCheck::default());
        }
        Err(error) => return Err(io_error(path, "open the audit log", &error)),
    };
    file.lock_shared()
        .map_err(|error| io_error(path, "lock the audit log", &error))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|error| io_error(path, "read the audit log", &error))?;
    Ok(check_log(&bytes))
}

/// The operator's signature over a segment's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The segment's first entry's seq.
    pub first_seq: u64,
    /// The last entry's seq.
    pub seq: u64,
    /// The last entry's hash.
    pub head_hash: String,
    /// When it was signed.
    pub signed_at: String,
    /// The operator's public key, hex.
    pub public_key: String,
    /// Its fingerprint.
    pub key_fingerprint: String,
    /// Signature over `first_seq`, `seq`, `head_hash` and `signed_at` (canonical JSON), hex.
    pub signature: String,
}

fn checkpoint_message(first: u64, seq: u64, head: &str, signed_at: &str) -> Result<Vec<u8>> {
    to_json(
        &serde_json::json!({ "first_seq": first, "seq": seq, "head_hash": head,
        "signed_at": signed_at }),
        "an audit checkpoint",
    )
}

/// Sign a checkpoint over the last of `entries`.
pub fn checkpoint(entries: &[Entry], key: &SigningKey, signed_at: &str) -> Result<Checkpoint> {
    let (seq, head) = entries
        .last()
        .map_or((0, String::new()), |e| (e.body.seq, e.entry_hash.clone()));
    let first = entries.first().map_or(0, |e| e.body.seq);
    let (public_key, key_fingerprint, signature) =
        keys::sign_bytes(key, &checkpoint_message(first, seq, &head, signed_at)?);
    Ok(Checkpoint {
        first_seq: first,
        seq,
        head_hash: head,
        signed_at: signed_at.to_string(),
        public_key,
        key_fingerprint,
        signature,
    })
}

/// Parse a bundle's segment (`audit/log.jsonl`) into its entries, if it parses.
pub fn parse_segment(segment: &str) -> Vec<Entry> {
    segment
        .lines()
        .map_while(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Check a bundle's segment and checkpoint; returns every problem found.
pub fn check_segment(segment: &str, checkpoint: &Checkpoint) -> Vec<String> {
    let (entries, mut problems) = check_chain(segment, "audit/log.jsonl", None);
    if let Some(first) = entries.first()
        && first.body.seq != checkpoint.first_seq
    {
        problems.push(format!(
            "audit/log.jsonl starts at seq {} but the checkpoint covers seq {} to {}: an \
             entry was deleted",
            first.body.seq, checkpoint.first_seq, checkpoint.seq
        ));
    }
    match entries.last() {
        None => problems.push("audit/log.jsonl is empty".into()),
        Some(last) => {
            if last.body.seq != checkpoint.seq || last.entry_hash != checkpoint.head_hash {
                problems.push(format!(
                    "audit/checkpoint.json covers seq {} but the segment ends at seq {}",
                    checkpoint.seq, last.body.seq
                ));
            }
        }
    }
    match checkpoint_message(
        checkpoint.first_seq,
        checkpoint.seq,
        &checkpoint.head_hash,
        &checkpoint.signed_at,
    ) {
        Ok(message) => {
            if let Some(problem) = keys::check_bytes(
                &checkpoint.public_key,
                &checkpoint.key_fingerprint,
                &checkpoint.signature,
                &message,
            ) {
                problems.push(format!("audit/checkpoint.json: {problem}"));
            }
        }
        Err(error) => problems.push(format!("audit/checkpoint.json: {}", error.message())),
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(action: &str) -> EntryBody {
        EntryBody::new("2026-12-01T00:00:00Z", action, "x 1", serde_json::json!({}))
    }

    #[test]
    fn an_interrupted_append_is_cut_off_and_an_edit_blocks_appending() {
        let folder = tempfile::tempdir().expect("temp");
        let path = folder.path().join("audit.jsonl");
        FileAudit { path: path.clone() }
            .append(vec![body("run"), body("gate")])
            .expect("append");
        // A torn write: half an entry, no newline.
        let mut bytes = std::fs::read(&path).expect("read");
        let whole = bytes.len();
        bytes.extend_from_slice(b"{\"seq\":3,\"ts\":\"20");
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(check_log(&bytes).unterminated_tail, 17);
        assert!(check_log(&bytes).problems.is_empty());
        let mut log = LockedLog::open(&path).expect("a torn tail is repaired, not refused");
        assert_eq!(log.repaired_tail(), Some(17));
        let written = log.append(vec![body("approve")]).expect("append");
        assert_eq!(written[0].body.seq, 3);
        drop(log);
        let check = read_log(&path).expect("read");
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(check.entries.len(), 3);
        assert!(std::fs::read(&path).expect("read").len() > whole);

        // An edited entry: the log no longer verifies and nothing is appended.
        let text = std::fs::read_to_string(&path).expect("read");
        let edited = text.replacen("\"approve\"", "\"verify\"", 1);
        std::fs::write(&path, &edited).expect("write");
        let error = FileAudit { path: path.clone() }
            .append(vec![body("run")])
            .expect_err("an edited log is refused");
        assert_eq!(error.kind(), ErrorKind::VerificationFailed);
        assert!(error.to_string().contains("seq 3) was edited"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), edited);

        // A deleted first entry.
        let rest: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let check = check_log(rest.as_bytes());
        assert!(
            check.problems[0].contains("first entries were deleted"),
            "{:?}",
            check.problems
        );
    }

    #[test]
    fn prepared_entries_must_continue_the_chain() {
        let folder = tempfile::tempdir().expect("temp");
        let path = folder.path().join("audit.jsonl");
        let mut log = LockedLog::open(&path).expect("open");
        let stale = log.prepare(vec![body("run")]).expect("prepare");
        log.append(vec![body("gate")]).expect("append");
        assert!(
            log.commit(&stale).is_err(),
            "a stale preparation is refused"
        );
    }
}
