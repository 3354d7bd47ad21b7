//! The audit log: append-only JSON lines in `.synthgate/audit.jsonl` (beside the registry, in
//! the working directory), each entry carrying the previous entry's hash, so deleting,
//! reordering or editing an entry breaks the chain. Appends take an exclusive file lock, so
//! concurrent runs never interleave.
//!
//! Each bundle carries its own segment (`audit/log.jsonl`: the entries of its run) and a
//! checkpoint (`audit/checkpoint.json`) signed by the operator's key over the segment's last
//! hash, so a recipient verifies it with the bundle alone.

use std::io::{BufRead, Write};
use std::path::Path;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
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
    /// `run`, `gate`, `approve`, `verify`.
    pub action: String,
    /// What it was about: release name and version.
    pub object: String,
    /// Details (digests, outcomes).
    pub details: serde_json::Value,
    /// The previous entry's hash ("" for the first).
    pub prev_hash: String,
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

fn hash(body: &EntryBody) -> String {
    sha256_bytes(&serde_json::to_vec(body).unwrap_or_default())
}

/// Append entries (seq and prev_hash filled in) to the log at `path`, under an exclusive lock;
/// returns them as written.
pub fn append(path: &Path, bodies: Vec<EntryBody>) -> Result<Vec<Entry>> {
    if let Some(parent) = path.parent() {
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
    let mut last: Option<Entry> = None;
    for line in std::io::BufReader::new(&file).lines() {
        let line = line.map_err(|error| io_error(path, "read the audit log", &error))?;
        if line.trim().is_empty() {
            continue;
        }
        last = Some(serde_json::from_str(&line).map_err(|error| {
            Error::spec(format!(
                "the audit log has a line that is not an entry: {error}."
            ))
            .at(synthgate_core::Location::file(path))
        })?);
    }
    let (mut seq, mut prev) = last.map_or((0, String::new()), |e| (e.body.seq, e.entry_hash));
    let mut written = Vec::new();
    let mut text = String::new();
    for mut body in bodies {
        seq += 1;
        body.seq = seq;
        body.prev_hash = prev.clone();
        let entry = Entry {
            entry_hash: hash(&body),
            body,
        };
        prev = entry.entry_hash.clone();
        text.push_str(&serde_json::to_string(&entry).unwrap_or_default());
        text.push('\n');
        written.push(entry);
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| io_error(path, "append to the audit log", &error))?;
    Ok(written)
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

fn checkpoint_message(first: u64, seq: u64, head: &str, signed_at: &str) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({ "first_seq": first, "seq": seq, "head_hash": head,
        "signed_at": signed_at }),
    )
    .unwrap_or_default()
}

/// Sign a checkpoint over the last of `entries`.
pub fn checkpoint(entries: &[Entry], key: &SigningKey, signed_at: &str) -> Checkpoint {
    let (seq, head) = entries
        .last()
        .map_or((0, String::new()), |e| (e.body.seq, e.entry_hash.clone()));
    let first = entries.first().map_or(0, |e| e.body.seq);
    let (public_key, key_fingerprint, signature) =
        keys::sign_bytes(key, &checkpoint_message(first, seq, &head, signed_at));
    Checkpoint {
        first_seq: first,
        seq,
        head_hash: head,
        signed_at: signed_at.to_string(),
        public_key,
        key_fingerprint,
        signature,
    }
}

/// Check a bundle's segment and checkpoint; returns every problem found.
pub fn check_segment(segment: &str, checkpoint: &Checkpoint) -> Vec<String> {
    let mut problems = Vec::new();
    let mut previous: Option<Entry> = None;
    let mut first: Option<u64> = None;
    for (number, line) in segment.lines().enumerate() {
        let line_number = number + 1;
        let entry: Entry = match serde_json::from_str(line) {
            Ok(entry) => entry,
            Err(error) => {
                problems.push(format!(
                    "audit/log.jsonl line {line_number} is not an entry: {error}"
                ));
                return problems;
            }
        };
        first.get_or_insert(entry.body.seq);
        if hash(&entry.body) != entry.entry_hash {
            problems.push(format!(
                "audit/log.jsonl line {line_number} (seq {}) was edited: its hash does not match",
                entry.body.seq
            ));
        }
        if let Some(previous) = &previous
            && (entry.body.prev_hash != previous.entry_hash
                || entry.body.seq != previous.body.seq + 1)
        {
            problems.push(format!(
                "audit/log.jsonl line {line_number} (seq {}) does not follow seq {}: an entry \
                 was deleted or reordered",
                entry.body.seq, previous.body.seq
            ));
        }
        previous = Some(entry);
    }
    if let Some(first) = first
        && first != checkpoint.first_seq
    {
        problems.push(format!(
            "audit/log.jsonl starts at seq {first} but the checkpoint covers seq {} to {}: an \
             entry was deleted",
            checkpoint.first_seq, checkpoint.seq
        ));
    }
    match previous {
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
    let message = checkpoint_message(
        checkpoint.first_seq,
        checkpoint.seq,
        &checkpoint.head_hash,
        &checkpoint.signed_at,
    );
    if let Some(problem) = keys::check_bytes(
        &checkpoint.public_key,
        &checkpoint.key_fingerprint,
        &checkpoint.signature,
        &message,
    ) {
        problems.push(format!("audit/checkpoint.json: {problem}"));
    }
    problems
}
