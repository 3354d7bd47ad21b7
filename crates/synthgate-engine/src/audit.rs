//! `audit verify`: the whole audit log's chain, and its agreement with the registry and the
//! bundles the registry knows.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use synthgate_core::Result;
use synthgate_release::audit::{Entry, parse_segment};

use crate::{API_VERSION, Context};

/// What checking a workspace's audit log found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The log: the workspace's file, or the server's table (its URL without the password).
    pub log: PathBuf,
    /// Entries in the chain.
    pub entries: usize,
    /// Registered releases cross-checked against the log.
    pub releases_checked: usize,
    /// Bundles whose carried segment was compared with the log.
    pub bundles_checked: usize,
    /// What breaks the chain or contradicts the registry: any one means the log or the registry
    /// was altered.
    pub problems: Vec<String>,
    /// What an interrupted run or approval leaves behind, explained (not problems).
    pub notes: Vec<String>,
}

impl AuditReport {
    /// Whether nothing contradicts the chain or the registry.
    pub fn verified(&self) -> bool {
        self.problems.is_empty()
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Check the workspace's audit log and its agreement with the registry.
pub fn audit_verify(ctx: &Context) -> Result<AuditReport> {
    let check = ctx.workspace.audit()?.read()?;
    let mut problems = check.problems;
    let mut notes = Vec::new();
    if check.unterminated_tail > 0 {
        notes.push(format!(
            "the log ends in {} bytes of an append that never completed (a kill or a full disk \
             mid-write); they were never committed and the next writer cuts them off",
            check.unterminated_tail
        ));
    }
    let by_seq: BTreeMap<u64, &Entry> = check.entries.iter().map(|e| (e.body.seq, e)).collect();
    let mut registered_heads = std::collections::BTreeSet::new();
    let mut releases_checked = 0;
    let mut bundles_checked = 0;
    if let Some(registry) = ctx.workspace.existing_registry()? {
        for recorded in registry.recorded_all()? {
            releases_checked += 1;
            let Some((seq, hash)) = &recorded.audit else {
                notes.push(format!(
                    "release {} was registered before the registry recorded audit positions; \
                     it is not cross-checked",
                    recorded.id
                ));
                continue;
            };
            registered_heads.insert(*seq);
            match by_seq.get(seq) {
                None => problems.push(format!(
                    "release {} says its run ended at audit seq {seq}, but the log has no such \
                     entry: the log was cut short or replaced",
                    recorded.id
                )),
                Some(entry) if entry.entry_hash != *hash => problems.push(format!(
                    "release {} says its run ended at audit seq {seq} with hash {}…, but the \
                     log holds {}… there: the log was rewritten",
                    recorded.id,
                    short(hash),
                    short(&entry.entry_hash)
                )),
                Some(_) => {}
            }
            let bundle = PathBuf::from(&recorded.bundle);
            let Ok(segment) = std::fs::read_to_string(bundle.join("audit/log.jsonl")) else {
                notes.push(format!(
                    "release {}: its bundle {} is no longer there; its segment is not compared",
                    recorded.id, recorded.bundle
                ));
                continue;
            };
            let carried = parse_segment(&segment);
            if carried.last().map(|e| e.body.seq) != Some(*seq) {
                notes.push(format!(
                    "release {}: the folder {} now holds another bundle (replaced by a later \
                     run); its segment is not compared",
                    recorded.id, recorded.bundle
                ));
                continue;
            }
            bundles_checked += 1;
            for entry in &carried {
                if by_seq.get(&entry.body.seq).map(|e| &e.entry_hash) != Some(&entry.entry_hash) {
                    problems.push(format!(
                        "release {}: the bundle {} carries audit seq {} ({}…), which the log \
                         does not hold",
                        recorded.id,
                        recorded.bundle,
                        entry.body.seq,
                        short(&entry.entry_hash)
                    ));
                }
            }
        }
    }
    // Runs the registry does not know: interrupted between their bundle and their row.
    for entry in &check.entries {
        if entry.body.action != "gate" || registered_heads.contains(&entry.body.seq) {
            continue;
        }
        let failed = check.entries.iter().find(|later| {
            later.body.seq > entry.body.seq
                && later.body.action == "failed"
                && later.body.object == entry.body.object
        });
        notes.push(format!(
            "the run of {} that ended at seq {} is not in the registry: {}",
            entry.body.object,
            entry.body.seq,
            match failed {
                Some(f) => format!(
                    "registering it failed (seq {}: {})",
                    f.body.seq,
                    f.body.details["error"].as_str().unwrap_or("?")
                ),
                None => "it was interrupted after its bundle was written, or it was registered \
                         before the registry recorded audit positions"
                    .to_string(),
            }
        ));
    }
    Ok(AuditReport {
        api_version: API_VERSION,
        log: PathBuf::from(ctx.workspace.audit()?.location()),
        entries: check.entries.len(),
        releases_checked,
        bundles_checked,
        problems,
        notes,
    })
}

/// Record that `user` did `action` to `object` (a front end's own event: a service login, a
/// user's request) as the next entry of the workspace's audit log, at the context's time.
pub fn audit_record(
    ctx: &Context,
    user: &str,
    action: &str,
    object: &str,
    details: serde_json::Value,
) -> Result<()> {
    let mut details = details;
    if let serde_json::Value::Object(map) = &mut details {
        map.insert("user".into(), serde_json::Value::String(user.to_string()));
    }
    ctx.workspace
        .audit()?
        .append(vec![synthgate_release::audit::EntryBody::new(
            ctx.clock.now(),
            action,
            object,
            details,
        )])
        .map(|_| ())
}
