//! Verifying a bundle: the manifest parses, every file it lists is there with the recorded
//! size and digest, no file is there that it does not list, the report inside is the one the
//! manifest summarises, and the decision's releasable flag matches the manifest's. With
//! `reproduce`, the recorded pipeline runs again from its source and the synthetic data must
//! come out byte for byte.

use std::path::Path;

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, ErrorKind, Result};

use crate::bundle::{Manifest, REPORT_FILE, data_digest, index, pipeline_digest};
use crate::keys::{self, Approval, ApprovalBody, Verdict};

/// Where a required role stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleStatus {
    /// An allowed key approved (its newest decision in the chain).
    Approved,
    /// An allowed key rejected (its newest decision in the chain).
    Rejected,
    /// No decision yet.
    Pending,
}

/// What is known about the completeness of a bundle's decision history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum History {
    /// A trusted record of the newest decision (the registry, a trust file) matches the chain's
    /// head: no decision was cut off.
    Complete,
    /// The chain holds decisions past the trusted record's head (made where that record was not
    /// updated); those are signed and linked, but the record does not vouch for them.
    BeyondRecord {
        /// Decisions after the recorded head.
        extra: usize,
    },
    /// No trusted record of the newest decision: the chain proves order and that nothing was
    /// removed from its middle, not that its newest decision was not cut off.
    NotAuthenticated,
    /// Approvals written before the decision chain: neither order nor completeness is
    /// authenticated.
    Unchained,
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// SHA-256 of `manifest.json` as read once and checked (what an approval signs).
    pub manifest_sha256: String,
    /// Files checked.
    pub files: usize,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// Each required role's status, in the policy's order.
    pub roles: Vec<(String, RoleStatus)>,
    /// Valid approvals read.
    pub approvals: usize,
    /// The key that signed the manifest and the audit checkpoint.
    pub operator_fingerprint: String,
    /// Whether that key is one a trust root from outside the bundle names (and from where);
    /// empty: integrity checked, origin not authenticated.
    pub trusted_by: Vec<String>,
    /// Digest of the newest decision ([`keys::decision_digest`]), or the manifest's digest
    /// when there is none.
    pub decision_head: String,
    /// What is known about the completeness of the decision history.
    pub history: History,
    /// With `reproduce`: whether the data came out byte for byte.
    pub reproduced: Option<bool>,
    /// With `reproduce` on a prompt-based release: the data was re-derived from the logged
    /// responses (re-parsed, re-validated, re-deduplicated); the model was not queried.
    pub replayed_llm: bool,
    /// With `reproduce` on a differentially private release: the data was sampled again from
    /// the bundled model; the fit (and its noise) was not redone.
    pub resampled_dp: bool,
    /// Files computed from real rows that the policy kept out of the bundle (listed in the
    /// manifest by digest).
    pub withheld: usize,
    /// How many of them this workspace holds, each matching its digest.
    pub withheld_checked: usize,
}

impl Verification {
    /// Releasable and every required role approved.
    pub fn approved(&self) -> bool {
        self.releasable && self.roles.iter().all(|(_, s)| *s == RoleStatus::Approved)
    }

    /// Whether a trust root from outside the bundle vouches for its operator.
    pub fn origin_authenticated(&self) -> bool {
        !self.trusted_by.is_empty()
    }
}

/// A role and the approver keys an organisation trusts for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedRole {
    /// The role, as policies name it.
    pub role: String,
    /// Key fingerprints.
    pub keys: Vec<String>,
}

/// An approver key withdrawn from a moment on (a lost or leaked key, a person who left):
/// decisions it signed at or after `from` count for nothing, wherever the trust that lists it
/// is used; its earlier ones stand. A decision's time is its signer's claim, which the chain
/// keeps in order: a decision following one signed after `from` cannot be dated before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The key's fingerprint.
    pub key: String,
    /// From when: a date (`2026-12-01`, midnight UTC) or a time with its zone
    /// (`2026-12-01T09:30:00Z`).
    pub from: String,
    /// Why, as shown beside every decision it voids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Revocation {
    /// `from` in microseconds since 1970 (UTC), or why it is no moment.
    pub fn from_micros(&self) -> std::result::Result<i64, String> {
        moment(&self.from).ok_or_else(|| {
            format!(
                "revoked key {}…: from = '{}' is not a date (2026-12-01) or a time with its \
                 zone (2026-12-01T09:30:00Z)",
                self.key.get(..12).unwrap_or(&self.key),
                self.from
            )
        })
    }

    /// The revocation in `revoked` that voids a decision by key `key` (a fingerprint, any
    /// case) at `at`, if any.
    pub fn voiding<'a>(revoked: &'a [Revocation], key: &str, at: &str) -> Option<&'a Revocation> {
        revoked
            .iter()
            .find(|r| r.key.eq_ignore_ascii_case(key) && r.voids(at))
    }

    /// "revoked from FROM (REASON)", as messages say it.
    pub fn said(&self) -> String {
        match &self.reason {
            Some(reason) => format!("revoked from {} ({reason})", self.from),
            None => format!("revoked from {}", self.from),
        }
    }

    /// Whether it voids a decision signed at `signed_at` (a time the chain checks; one that
    /// does not read as a time is voided too).
    pub fn voids(&self, signed_at: &str) -> bool {
        match (self.from_micros(), moment(signed_at)) {
            (Ok(from), Some(at)) => at >= from,
            _ => true,
        }
    }
}

/// A date (midnight UTC) or a zoned time, in microseconds since 1970.
fn moment(text: &str) -> Option<i64> {
    if let Some(stamp) = synthgate_core::text::parse_timestamp(text) {
        return stamp.zoned.then_some(stamp.micros);
    }
    let days = synthgate_core::text::parse_date(text)?;
    Some(i64::from(days) * synthgate_core::text::MICROS_PER_DAY)
}

/// A trusted record of a bundle's newest decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// The bundle's manifest digest.
    pub manifest_sha256: String,
    /// [`keys::decision_digest`] of its newest decision.
    pub head_sha256: String,
    /// How many decisions the chain held then.
    pub decisions: usize,
}

/// Trust roots from outside the bundle: who may sign releases and decisions, and the newest
/// decision per bundle, as an organisation publishes them (`--trust FILE`), as given on the
/// command line (`--trust-operator`) or as a workspace's registry recorded them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// Operator key fingerprints trusted to sign bundles.
    #[serde(default)]
    pub operators: Vec<String>,
    /// Approver keys trusted per role; a role listed here accepts only these keys (in addition
    /// to the bundle's own policy).
    #[serde(default)]
    pub approvers: Vec<TrustedRole>,
    /// Newest decisions per bundle.
    #[serde(default)]
    pub decisions: Vec<DecisionRecord>,
    /// Approver keys revoked from a moment on.
    #[serde(default)]
    pub revoked: Vec<Revocation>,
    /// Where the trusted operators came from (for messages); not part of the file.
    #[serde(skip)]
    pub sources: Vec<String>,
    /// The manifest digest roots looked up by digest (the registry's) are for: a check that
    /// reads another manifest (it changed in between) is refused. Not part of the file.
    #[serde(skip)]
    pub bound_to: Option<String>,
}

impl Trust {
    /// Read a trust file (TOML: `operators`, `[[approvers]] role, keys`, `[[decisions]]`,
    /// `[[revoked]] key, from, reason`).
    pub fn load(path: &Path) -> Result<Trust> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::usage(format!("the trust file cannot be read: {error}."))
                .at(synthgate_core::Location::file(path))
        })?;
        let mut trust: Trust = synthgate_core::text::parse_toml(
            &text,
            path,
            "trust file",
            "A trust file lists operators = [\"FINGERPRINT\", ...] and, per role, [[approvers]] \
             role = \"...\" keys = [\"FINGERPRINT\", ...].",
        )?;
        for revocation in &trust.revoked {
            revocation
                .from_micros()
                .map_err(|message| Error::spec(message).at(synthgate_core::Location::file(path)))?;
        }
        for print in trust
            .operators
            .iter()
            .chain(trust.approvers.iter().flat_map(|r| &r.keys))
            .chain(trust.revoked.iter().map(|r| &r.key))
        {
            if !crate::keys::is_fingerprint(print) {
                return Err(Error::spec(format!(
                    "'{print}' is not a key fingerprint (64 hex digits, as `synthgate keygen` \
                     prints)."
                ))
                .at(synthgate_core::Location::file(path)));
            }
        }
        trust.sources = vec![format!("trust file {}", path.display())];
        Ok(trust)
    }

    /// Whether it names any operator or approver (a root to authenticate against).
    pub fn is_empty(&self) -> bool {
        self.operators.is_empty() && self.approvers.is_empty()
    }

    /// Add `other`'s roots to these.
    pub fn merge(&mut self, other: Trust) {
        for print in other.operators {
            if !self.operators.contains(&print) {
                self.operators.push(print);
            }
        }
        self.approvers.extend(other.approvers);
        self.decisions.extend(other.decisions);
        self.revoked.extend(other.revoked);
        if other.bound_to.is_some() {
            self.bound_to = other.bound_to;
        }
        for source in other.sources {
            if !self.sources.contains(&source) {
                self.sources.push(source);
            }
        }
    }
}

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Run the recorded pipeline again and compare the data byte for byte.
    pub reproduce: bool,
    /// Trust roots from outside the bundle.
    pub trust: Trust,
    /// Where the operator's workspace keeps full generation logs and the row-digest key: what
    /// `reproduce` needs for a prompt-based bundle whose log had real rows replaced.
    pub full_logs: Option<crate::llm::FullLogs>,
    /// Where the operator's workspace keeps the files a policy withheld from its bundles.
    pub withheld: Option<crate::withheld::Withheld>,
}

/// The approvals file, beside the manifest (not indexed by it: approvals come after).
pub const APPROVALS_FILE: &str = "approvals.jsonl";

fn failed(message: String) -> Error {
    Error::new(ErrorKind::VerificationFailed, message)
}

/// The decisions of `approvals.jsonl` as a chain: each line parsed, checked and linked.
struct Chain {
    roles: Vec<(String, RoleStatus)>,
    valid: usize,
    lines: usize,
    head: String,
    digests: Vec<String>,
    unchained: bool,
}

/// Check every decision: it parses, its signature verifies, it is bound to this manifest, it
/// links to the decision before it (the first to the manifest) and is not older than it, its
/// role is a required one and its key is allowed for that role by the policy and by `trust`.
fn check_approvals(
    bundle: &Path,
    manifest: &Manifest,
    manifest_sha256: &str,
    trust: &Trust,
    problems: &mut Vec<String>,
) -> Result<Chain> {
    let spec = manifest.spec()?;
    let approvers = &spec.policy.approvers;
    let mut chain = Chain {
        roles: approvers
            .iter()
            .map(|a| (a.role.clone(), RoleStatus::Pending))
            .collect(),
        valid: 0,
        lines: 0,
        head: manifest_sha256.to_string(),
        digests: Vec::new(),
        unchained: false,
    };
    let path = bundle.join(APPROVALS_FILE);
    if !path.exists() {
        return Ok(chain);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|error| failed(format!("{APPROVALS_FILE} cannot be read: {error}.")))?;
    let mut previous_time = String::new();
    let mut chained = 0;
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        chain.lines += 1;
        let approval: Approval = match serde_json::from_str(line) {
            Ok(approval) => approval,
            Err(error) => {
                problems.push(format!(
                    "{APPROVALS_FILE} line {line_number} is not an approval: {error}"
                ));
                continue;
            }
        };
        let who = format!(
            "{APPROVALS_FILE} line {line_number} ({} by key {}…)",
            approval.body.role,
            approval.body.key_fingerprint.get(..12).unwrap_or("?")
        );
        let expected = chain.head.clone();
        match keys::decision_digest(&approval) {
            Ok(digest) => {
                chain.head = digest.clone();
                chain.digests.push(digest);
            }
            Err(error) => {
                problems.push(format!("{who}: {}", error.message()));
                continue;
            }
        }
        if let Some(problem) = keys::check(&approval) {
            problems.push(format!("{who}: {problem}"));
            continue;
        }
        if approval.body.manifest_sha256 != manifest_sha256 {
            problems.push(format!(
                "{who}: it approves another manifest (sha256 {}), not this one ({manifest_sha256})",
                approval.body.manifest_sha256
            ));
            continue;
        }
        match &approval.body.prev_sha256 {
            Some(prev) => {
                chained += 1;
                if *prev != expected {
                    problems.push(format!(
                        "{who}: the decision chain is broken here: this decision does not follow \
                         the one before it (a decision was removed, reordered or re-appended)"
                    ));
                    continue;
                }
                if approval.body.signed_at < previous_time {
                    problems.push(format!(
                        "{who}: the decision chain is broken here: it was signed at {}, before \
                         the decision it follows ({previous_time})",
                        approval.body.signed_at
                    ));
                    continue;
                }
            }
            None => {
                chain.unchained = true;
                if chained > 0 {
                    problems.push(format!(
                        "{who}: the decision chain is broken here: a decision without a chain \
                         link after chained ones"
                    ));
                    continue;
                }
            }
        }
        previous_time = approval.body.signed_at.clone();
        let Some(approver) = approvers.iter().find(|a| a.role == approval.body.role) else {
            problems.push(format!(
                "{who}: the policy has no role '{}'",
                approval.body.role
            ));
            continue;
        };
        if !approver.keys.contains(&approval.body.key_fingerprint) {
            problems.push(format!(
                "{who}: this key is not one the policy allows for role '{}'",
                approver.role
            ));
            continue;
        }
        if let Some(trusted) = trust.approvers.iter().find(|r| r.role == approver.role)
            && !trusted.keys.contains(&approval.body.key_fingerprint)
        {
            problems.push(format!(
                "{who}: this key is not one the trust root allows for role '{}'",
                approver.role
            ));
            continue;
        }
        if let Some(revocation) = Revocation::voiding(
            &trust.revoked,
            &approval.body.key_fingerprint,
            &approval.body.signed_at,
        ) {
            problems.push(format!(
                "{who}: signed at {} with a key {}",
                approval.body.signed_at,
                revocation.said()
            ));
            continue;
        }
        chain.valid += 1;
        if let Some(slot) = chain
            .roles
            .iter_mut()
            .find(|(role, _)| *role == approver.role)
        {
            slot.1 = match approval.body.decision {
                Verdict::Approve => RoleStatus::Approved,
                Verdict::Reject => RoleStatus::Rejected,
            };
        }
    }
    Ok(chain)
}

/// Compare the chain with a trusted record of its newest decision.
fn history(chain: &Chain, record: Option<&DecisionRecord>, problems: &mut Vec<String>) -> History {
    if chain.unchained {
        return History::Unchained;
    }
    let Some(record) = record else {
        return History::NotAuthenticated;
    };
    let found = record
        .decisions
        .checked_sub(1)
        .and_then(|i| chain.digests.get(i))
        .is_some_and(|digest| *digest == record.head_sha256)
        || (record.decisions == 0 && record.head_sha256 == record.manifest_sha256);
    if !found {
        problems.push(format!(
            "the decision chain is broken: the newest decision on record ({} decision(s), head \
             {}…) is not in {APPROVALS_FILE}, which holds {}: a decision was removed",
            record.decisions,
            record.head_sha256.get(..12).unwrap_or("?"),
            chain.lines
        ));
        return History::NotAuthenticated;
    }
    match chain.lines - record.decisions {
        0 => History::Complete,
        extra => History::BeyondRecord { extra },
    }
}

/// A decision to sign.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// The approver role.
    pub role: &'a str,
    /// Approve or reject.
    pub verdict: Verdict,
    /// Conditions or remarks.
    pub comment: &'a str,
    /// When (RFC 3339, UTC).
    pub signed_at: &'a str,
}

/// Who signs a decision.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// Sign `decision` here, with this key (`synthgate approve`).
    Key(&'a ed25519_dalek::SigningKey, Decision<'a>),
    /// Signed elsewhere, where the key lives (a reviewer's browser), over a body drafted by
    /// [`draft_decision`]: it must follow the chain's current head, or it is refused as stale
    /// (sign again on the new head).
    Signed(&'a Approval),
}

/// The body of a decision on `bundle`'s current head, for a signer elsewhere: what
/// [`keys::message`] of it gives is what they sign. The head may move before the signature
/// comes back; [`approve`] then refuses it as stale.
pub fn draft_decision(
    bundle: &Path,
    decision: &Decision<'_>,
    public_key: &str,
) -> Result<ApprovalBody> {
    let key = keys::parse_public(public_key)?;
    let verification = verify_with(
        bundle,
        &VerifyOptions {
            reproduce: false,
            trust: Trust::default(),
            full_logs: None,
            withheld: None,
        },
        &mut |_| Ok(()),
    )?;
    Ok(ApprovalBody {
        role: decision.role.to_string(),
        decision: decision.verdict,
        comment: decision.comment.to_string(),
        manifest_sha256: verification.manifest_sha256,
        public_key: keys::hex(key.as_bytes()),
        key_fingerprint: keys::fingerprint(&key),
        signed_at: decision.signed_at.to_string(),
        prev_sha256: Some(verification.decision_head),
    })
}

/// Record a signed decision on `bundle` by `role`: the bundle must verify, the role must be
/// one the policy requires and the key one it allows for that role. The decision is signed
/// onto the chain's current head and appended under an exclusive lock on `approvals.jsonl`, so
/// concurrent decisions are all kept, in one order. When `expected_head` (a trusted record of
/// the newest decision) is given and the file's head differs, nothing is signed: a decision
/// on a stale or cut-off chain is refused. `trust` gives the trust roots, read once the lock is
/// held. `record` is called with the new decision while the
/// lock is still held (the registry moves its head there); if it fails, the decision is taken
/// off the file again.
pub fn approve(
    bundle: &Path,
    signer: &Signer<'_>,
    trust: &mut dyn FnMut() -> Result<Trust>,
    record: &mut dyn FnMut(&Approval) -> Result<()>,
) -> Result<Approval> {
    use std::io::Write;
    let role = match signer {
        Signer::Key(_, decision) => decision.role,
        Signer::Signed(approval) => approval.body.role.as_str(),
    };
    let path = bundle.join(APPROVALS_FILE);
    if !bundle.join("manifest.json").is_file() {
        return Err(failed(format!(
            "{} is not a release bundle: it has no manifest.json.",
            bundle.display()
        )));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|error| synthgate_io::io_error(&path, "open the approvals", &error))?;
    file.lock()
        .map_err(|error| synthgate_io::io_error(&path, "lock the approvals", &error))?;
    // Under the lock: the chain read here is the one the new decision extends.
    // The trust roots (the registry's record of the chain's head) are read under the lock too,
    // so a decision another process just recorded is seen.
    let verification = verify_with(
        bundle,
        &VerifyOptions {
            reproduce: false,
            trust: trust()?,
            full_logs: None,
            withheld: None,
        },
        &mut |_| Ok(()),
    )?;
    let manifest = read_manifest(bundle)?;
    let spec = manifest.spec()?;
    let approvers = &spec.policy.approvers;
    let Some(approver) = approvers.iter().find(|a| a.role == role) else {
        let known: Vec<&str> = approvers.iter().map(|a| a.role.as_str()).collect();
        return Err(Error::usage(format!(
            "the release's policy has no approver role '{role}'; its roles: {}.",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let print = match signer {
        Signer::Key(key, _) => keys::fingerprint(&key.verifying_key()),
        Signer::Signed(approval) => approval.body.key_fingerprint.clone(),
    };
    if !approver.keys.contains(&print) {
        return Err(Error::usage(format!(
            "this key (fingerprint {print}) is not one the policy allows for role '{role}'."
        )));
    }
    if let History::BeyondRecord { extra } = verification.history {
        return Err(failed(format!(
            "{APPROVALS_FILE} holds {extra} decision(s) past the newest one on record; nothing \
             was signed. Decide on the chain the record knows, or bring the record up to date."
        )));
    }
    let approval = match signer {
        Signer::Key(key, decision) => {
            let body = ApprovalBody {
                role: role.to_string(),
                decision: decision.verdict,
                comment: decision.comment.to_string(),
                manifest_sha256: verification.manifest_sha256.clone(),
                public_key: String::new(),
                key_fingerprint: String::new(),
                signed_at: decision.signed_at.to_string(),
                prev_sha256: Some(verification.decision_head.clone()),
            };
            keys::sign(body, key)?
        }
        Signer::Signed(approval) => {
            if let Some(problem) = keys::check(approval) {
                return Err(failed(format!(
                    "the decision's signature does not verify: {problem}"
                )));
            }
            if approval.body.manifest_sha256 != verification.manifest_sha256 {
                return Err(failed(format!(
                    "the decision was signed for manifest {}…, not this bundle's {}….",
                    approval.body.manifest_sha256.get(..12).unwrap_or(""),
                    verification.manifest_sha256.get(..12).unwrap_or("")
                )));
            }
            if approval.body.prev_sha256.as_deref() != Some(verification.decision_head.as_str()) {
                return Err(failed(format!(
                    "stale: the decision was signed on {}…, but the bundle's newest decision is \
                     now {}…; nothing was recorded.",
                    approval
                        .body
                        .prev_sha256
                        .as_deref()
                        .and_then(|p| p.get(..12))
                        .unwrap_or("nothing"),
                    verification.decision_head.get(..12).unwrap_or("")
                ))
                .hint("Sign again on the current head (reload the page)."));
            }
            (*approval).clone()
        }
    };
    let line = synthgate_core::canonical::to_json_line(&approval, "an approval")?;
    let length = file
        .metadata()
        .map_err(|error| synthgate_io::io_error(&path, "read the approvals", &error))?
        .len();
    if let Err(error) = file
        .write_all(line.as_bytes())
        .and_then(|()| file.sync_all())
    {
        let _ = file.set_len(length);
        return Err(synthgate_io::io_error(&path, "append the decision", &error));
    }
    if let Err(error) = record(&approval) {
        let _ = file.set_len(length).and_then(|()| file.sync_all());
        return Err(error);
    }
    Ok(approval)
}

/// The full generation log a replay needs, when the bundle's has real rows replaced.
struct FullLog {
    path: std::path::PathBuf,
    text: String,
    key: synthgate_llm::redact::RowKey,
    bundle_log: String,
}

/// The full log of a prompt-based bundle whose `log/generation.jsonl` had real rows replaced,
/// from the operator's workspace (`full_logs`), with its key; `None` when the bundle's log is
/// the full log. What is missing is named, with where it was looked for.
fn full_log(
    bundle: &Path,
    manifest: &Manifest,
    full_logs: Option<&crate::llm::FullLogs>,
) -> Result<Option<FullLog>> {
    let log = crate::layout::LOG_FILE;
    let bundle_log = std::fs::read_to_string(bundle.join(log))
        .map_err(|error| failed(format!("{log} cannot be read: {error}.")))?;
    let Some(replaced) = synthgate_llm::redact::replaced_rows(&bundle_log) else {
        return Ok(None);
    };
    let sha256 = manifest
        .files
        .iter()
        .find(|f| f.path == log)
        .map(|f| f.sha256.clone())
        .ok_or_else(|| failed(format!("the manifest does not list {log}.")))?;
    let needs = format!(
        "This release showed real training rows to the language model; its {log} keeps them \
         only as keyed digests ({} rows, key id {}), so its data is re-derived from the full \
         log, which stays in the operator's workspace: {}/{sha256}.jsonl, with the key {}.",
        replaced["rows"],
        replaced["key_id"].as_str().unwrap_or("?"),
        crate::llm::FullLogs::FOLDER,
        crate::llm::FullLogs::KEY_FILE,
    );
    let Some(full_logs) = full_logs else {
        return Err(failed(format!(
            "{needs} No workspace was given: run `synthgate verify --reproduce` where \
             SYNTHGATE_HOME is the workspace that made the release. Its integrity and \
             signatures verified."
        )));
    };
    let path = full_logs.path(&sha256);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        failed(format!(
            "{needs} It is not at {} ({error}): run `synthgate verify --reproduce` where \
             SYNTHGATE_HOME is the workspace that made the release, or copy that file there. \
             Its integrity and signatures verified.",
            path.display()
        ))
    })?;
    let key = full_logs.load_key().map_err(|error| {
        failed(format!(
            "{needs} The key cannot be had: {} Its integrity and signatures verified.",
            error
        ))
    })?;
    if replaced["key_id"].as_str() != Some(key.id().as_str()) {
        return Err(failed(format!(
            "{needs} The workspace's key {} has id {}, not the one the log names.",
            full_logs.key.display(),
            key.id()
        )));
    }
    Ok(Some(FullLog {
        path,
        text,
        key,
        bundle_log,
    }))
}

/// Read `bundle/manifest.json`.
pub fn read_manifest(bundle: &Path) -> Result<Manifest> {
    read_manifest_and_digest(bundle).map(|(manifest, _)| manifest)
}

/// The bundle's manifest and the SHA-256 of the very bytes it was parsed from (read once, so
/// what is checked is what is signed).
pub fn read_manifest_and_digest(bundle: &Path) -> Result<(Manifest, String)> {
    let path = bundle.join("manifest.json");
    let bytes = std::fs::read(&path)
        .map_err(|error| failed(format!("{} cannot be read: {error}.", path.display())))?;
    let digest = synthgate_io::sha256_bytes(&bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| failed(format!("{} is not UTF-8 text.", path.display())))?;
    serde_json::from_str(&text)
        .map(|manifest| (manifest, digest))
        .map_err(|error| {
            failed(format!(
                "{} is not a valid manifest (line {}): {error}.",
                path.display(),
                error.line()
            ))
        })
}

/// The operator's signatures: `manifest.sig` over the manifest's digest and the audit
/// checkpoint must be by one key, by a key the policy lists when it lists operators, and by a
/// key `trust` names when it names operators. Returns the key's fingerprint and, when trusted,
/// where the trust came from.
fn check_signatures(
    bundle: &Path,
    manifest: &Manifest,
    manifest_sha256: &str,
    trust: &Trust,
    problems: &mut Vec<String>,
) -> (String, Vec<String>) {
    use crate::bundle::{MANIFEST_SIGNATURE_FILE, ManifestSignature, manifest_message};
    let untrusted = (String::new(), Vec::new());
    let text = match std::fs::read_to_string(bundle.join(MANIFEST_SIGNATURE_FILE)) {
        Ok(text) => text,
        Err(_) => {
            problems.push(format!("{MANIFEST_SIGNATURE_FILE} is missing"));
            return untrusted;
        }
    };
    let signature: ManifestSignature = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(error) => {
            problems.push(format!(
                "{MANIFEST_SIGNATURE_FILE} is not a signature: {error}"
            ));
            return untrusted;
        }
    };
    if manifest_sha256 != signature.manifest_sha256 {
        problems
            .push("manifest.json has changed since the operator signed it (manifest.sig)".into());
    }
    match manifest_message(&signature.manifest_sha256) {
        Ok(message) => {
            if let Some(problem) = crate::keys::check_bytes(
                &signature.public_key,
                &signature.key_fingerprint,
                &signature.signature,
                &message,
            ) {
                problems.push(format!("{MANIFEST_SIGNATURE_FILE}: {problem}"));
            }
        }
        Err(error) => problems.push(format!("{MANIFEST_SIGNATURE_FILE}: {}", error.message())),
    }
    let checkpoint: Option<crate::audit::Checkpoint> =
        std::fs::read_to_string(bundle.join("audit/checkpoint.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    if let Some(checkpoint) = &checkpoint
        && checkpoint.key_fingerprint != signature.key_fingerprint
    {
        problems.push("manifest.sig and audit/checkpoint.json are signed by different keys".into());
    }
    let signers = [
        (MANIFEST_SIGNATURE_FILE, Some(&signature.key_fingerprint)),
        (
            "audit/checkpoint.json",
            checkpoint.as_ref().map(|c| &c.key_fingerprint),
        ),
    ];
    let operators = match manifest.spec() {
        Ok(spec) => spec.policy.operators,
        Err(error) => {
            problems.push(error.message().to_string());
            Vec::new()
        }
    };
    if !operators.is_empty() {
        for (what, print) in signers {
            if let Some(print) = print
                && !operators.contains(print)
            {
                problems.push(format!(
                    "{what} is signed by key {}…, which the policy does not list among its \
                     operators",
                    print.get(..12).unwrap_or(print)
                ));
            }
        }
    }
    if trust.operators.is_empty() {
        return (signature.key_fingerprint, Vec::new());
    }
    let mut trusted = true;
    for (what, print) in signers {
        if let Some(print) = print
            && !trust.operators.contains(print)
        {
            trusted = false;
            problems.push(format!(
                "{what} is signed by key {print}, which is not a trusted operator (trusted: {}; \
                 from {})",
                trust
                    .operators
                    .iter()
                    .map(|p| format!("{}…", p.get(..12).unwrap_or(p)))
                    .collect::<Vec<_>>()
                    .join(", "),
                trust.sources.join(", ")
            ));
        }
    }
    let by = if trusted {
        trust.sources.clone()
    } else {
        Vec::new()
    };
    (signature.key_fingerprint, by)
}

/// Verify the bundle at `bundle` with no trust root from outside it: its integrity, not its
/// origin. Every problem found is named (exit code 5).
pub fn verify_bundle(
    bundle: &Path,
    reproduce: bool,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Verification> {
    verify_with(
        bundle,
        &VerifyOptions {
            reproduce,
            trust: Trust::default(),
            full_logs: None,
            withheld: None,
        },
        progress,
    )
}

/// Read a bundle file that a check needs as JSON; a missing or unparseable one is a problem
/// named, never a check skipped.
/// A file computed from real rows, read from the bundle when it ships there, else from the
/// workspace's `withheld` folder when the manifest lists it as withheld. The error says which,
/// and where to run instead.
pub fn real_data_file(
    bundle: &Path,
    manifest: &Manifest,
    path: &str,
    withheld: Option<&crate::withheld::Withheld>,
) -> Result<Vec<u8>> {
    let Some(entry) = manifest.withheld.iter().find(|f| f.path == path) else {
        return std::fs::read(bundle.join(path))
            .map_err(|error| synthgate_io::io_error(&bundle.join(path), "read", &error));
    };
    let Some(withheld) = withheld else {
        return Err(Error::usage(format!(
            "{path} was withheld from the bundle {} by its policy (real_data_files): it is \
             computed from real rows and stays in the operator's workspace.",
            bundle.display()
        ))
        .hint("Run this where SYNTHGATE_HOME is the workspace that made the release."));
    };
    withheld.read(&entry.path, &entry.sha256).map_err(|error| {
        if error.kind() == ErrorKind::VerificationFailed {
            return error;
        }
        Error::usage(format!(
            "{path} was withheld from the bundle {} by its policy (real_data_files) and this \
             workspace does not have it: {}",
            bundle.display(),
            error.message()
        ))
        .hint("Run this where SYNTHGATE_HOME is the workspace that made the release.")
    })
}

/// The withheld files (how many; how many the workspace holds, matching; the report's bytes
/// when it is one of them and is held). A copy that differs from its digest is a problem; a
/// missing copy is not (the bundle is whole without it).
fn check_withheld(
    manifest: &Manifest,
    withheld: Option<&crate::withheld::Withheld>,
    problems: &mut Vec<String>,
) -> (usize, usize, Option<Vec<u8>>) {
    let mut checked = 0;
    let mut report = None;
    for entry in &manifest.withheld {
        let Some(folder) = withheld else { continue };
        match folder.read(&entry.path, &entry.sha256) {
            Ok(bytes) => {
                checked += 1;
                if entry.path == REPORT_FILE {
                    report = Some(bytes);
                }
            }
            Err(error) if error.kind() == ErrorKind::VerificationFailed => {
                problems.push(error.message().trim_end_matches('.').to_string());
            }
            Err(_) => {}
        }
    }
    (manifest.withheld.len(), checked, report)
}

fn read_json(
    bundle: &Path,
    relative: &str,
    problems: &mut Vec<String>,
) -> Option<serde_json::Value> {
    let text = match std::fs::read_to_string(bundle.join(relative)) {
        Ok(text) => text,
        Err(error) => {
            problems.push(format!("{relative} cannot be read: {error}"));
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(error) => {
            problems.push(format!("{relative} is not valid JSON: {error}"));
            None
        }
    }
}

/// Verify the bundle at `bundle` against `options.trust`; every problem found is named (exit
/// code 5).
pub fn verify_with(
    bundle: &Path,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Verification> {
    let reproduce = options.reproduce;
    let trust = &options.trust;
    if !bundle.join("manifest.json").is_file() {
        return Err(failed(format!(
            "{} is not a release bundle: it has no manifest.json.",
            bundle.display()
        )));
    }
    let (manifest, manifest_sha256) = read_manifest_and_digest(bundle)?;
    if let Some(bound) = &trust.bound_to
        && *bound != manifest_sha256
    {
        return Err(failed(format!(
            "manifest.json changed while it was being verified: the trust roots were looked up \
             for sha256 {bound}, and it now has {manifest_sha256}. Verify it again."
        )));
    }
    if manifest.format != "synthgate-release" {
        return Err(failed(format!(
            "the manifest's format is '{}', not synthgate-release.",
            manifest.format
        )));
    }
    if manifest.format_version > crate::BUNDLE_FORMAT_VERSION {
        return Err(failed(format!(
            "the bundle's format version {} is newer than this Synthgate reads ({}).",
            manifest.format_version,
            crate::BUNDLE_FORMAT_VERSION
        )));
    }
    let on_disk = index(bundle)?;
    let mut problems = Vec::new();
    for listed in &manifest.files {
        match on_disk.iter().find(|f| f.path == listed.path) {
            None => problems.push(format!(
                "{} is listed in the manifest but missing",
                listed.path
            )),
            Some(found) if found.bytes != listed.bytes || found.sha256 != listed.sha256 => {
                problems.push(format!(
                    "{} has changed: sha256 {} ({} bytes), the manifest says {} ({} bytes)",
                    listed.path, found.sha256, found.bytes, listed.sha256, listed.bytes
                ));
            }
            Some(_) => {}
        }
    }
    for found in &on_disk {
        if found.path != APPROVALS_FILE && !manifest.files.iter().any(|f| f.path == found.path) {
            problems.push(format!(
                "{} is in the bundle but not in the manifest",
                found.path
            ));
        }
    }
    // The manifest's own statements must agree with each other and with the files it indexes.
    match (
        &manifest.pipeline_sha256,
        pipeline_digest(&manifest.pipeline),
    ) {
        (Some(recorded), Ok(digest)) if *recorded != digest => problems.push(format!(
            "the manifest's pipeline_sha256 ({recorded}) is not the digest of its pipeline \
             ({digest})"
        )),
        (None, _) if manifest.format_version >= 2 => {
            problems.push("the manifest (format 2) has no pipeline_sha256".into());
        }
        (_, Err(error)) => problems.push(error.message().to_string()),
        _ => {}
    }
    // The data files: one (`data/synthetic.parquet`) or a dataset's tables.
    let data_files: Vec<(String, String)> = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("data/") && f.path.ends_with(".parquet"))
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect();
    if !data_files.is_empty() && manifest.generator.data_sha256 != data_digest(&data_files) {
        problems.push(format!(
            "the manifest's generator.data_sha256 does not match its data files ({})",
            data_files
                .iter()
                .map(|(path, _)| path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !data_files.is_empty()
        && let Some(sheet) = read_json(bundle, "datasheet.json", &mut problems)
    {
        for (path, sha256) in &data_files {
            let described = sheet["distribution"].as_array().and_then(|files| {
                files
                    .iter()
                    .find(|f| f["contentUrl"].as_str() == Some(path.as_str()))
            });
            if described.and_then(|f| f["sha256"].as_str()) != Some(sha256.as_str()) {
                problems.push(format!(
                    "datasheet.json describes a data file other than {path} (its sha256 \
                     differs, or it is not described)"
                ));
            }
        }
    }
    if let Some(decision) = read_json(bundle, "policy/decision.json", &mut problems)
        && decision["releasable"].as_bool() != Some(manifest.releasable)
    {
        problems.push("the manifest's releasable flag disagrees with policy/decision.json".into());
    }
    // The files computed from real rows: in the bundle, or (withheld by the policy) listed by
    // digest and checked against the workspace's copies when this workspace has them.
    let (withheld, withheld_checked, withheld_report) =
        check_withheld(&manifest, options.withheld.as_ref(), &mut problems);
    let report = if manifest.withheld.iter().any(|f| f.path == REPORT_FILE) {
        withheld_report.and_then(|bytes| serde_json::from_slice(&bytes).ok())
    } else {
        read_json(bundle, REPORT_FILE, &mut problems)
    };
    if let Some(report) = report {
        for metric in report["metrics"].as_array().into_iter().flatten() {
            let id = metric["id"].as_str().unwrap_or("");
            let recorded = manifest.evaluation.metrics.get(id).and_then(|m| m.value);
            if recorded != metric["value"].as_f64() {
                problems.push(format!(
                    "the manifest's evaluation summary disagrees with {REPORT_FILE} on {id}"
                ));
                break;
            }
        }
    }
    match (
        std::fs::read_to_string(bundle.join("audit/log.jsonl")),
        std::fs::read_to_string(bundle.join("audit/checkpoint.json")),
    ) {
        (Ok(segment), Ok(checkpoint)) => {
            match serde_json::from_str::<crate::audit::Checkpoint>(&checkpoint) {
                Ok(checkpoint) => {
                    problems.extend(crate::audit::check_segment(&segment, &checkpoint));
                }
                Err(error) => {
                    problems.push(format!(
                        "audit/checkpoint.json is not a checkpoint: {error}"
                    ));
                }
            }
        }
        _ => problems.push("the bundle's audit segment or checkpoint is missing".into()),
    }
    let (operator_fingerprint, trusted_by) =
        check_signatures(bundle, &manifest, &manifest_sha256, trust, &mut problems);
    let chain = check_approvals(bundle, &manifest, &manifest_sha256, trust, &mut problems)?;
    let record = trust
        .decisions
        .iter()
        .find(|d| d.manifest_sha256 == manifest_sha256);
    let history = history(&chain, record, &mut problems);
    if !problems.is_empty() {
        return Err(failed(format!(
            "the bundle {} does not verify:\n  - {}",
            bundle.display(),
            problems.join("\n  - ")
        )));
    }
    let mut verification = Verification {
        manifest_sha256: manifest_sha256.clone(),
        files: manifest.files.len(),
        releasable: manifest.releasable,
        roles: chain.roles,
        approvals: chain.valid,
        operator_fingerprint,
        trusted_by,
        decision_head: chain.head,
        history,
        reproduced: None,
        replayed_llm: false,
        resampled_dp: false,
        withheld,
        withheld_checked,
    };
    if reproduce {
        let spec = &manifest.spec()?;
        let shown = spec
            .source
            .dataset
            .as_ref()
            .unwrap_or(&spec.source.path)
            .display()
            .to_string();
        let source = crate::dataset::source_sha256(spec).map_err(|error| {
            failed(format!(
                "the source {shown} cannot be read to reproduce the release: {}",
                error.message()
            ))
        })?;
        if manifest.source.sha256 != source {
            return Err(failed(format!(
                "the source {shown} has changed since the release (sha256 {source}, the \
                 manifest says {}): it cannot be reproduced.",
                manifest.source.sha256
            )));
        }
        // The algorithm must be the one that made the data: a different version refuses,
        // naming both, rather than report a mismatch that is no tampering.
        let recorded_version = manifest.generator.version.as_str();
        let current_version = if spec.llm.is_some() {
            crate::llm::generator_version()
        } else if spec.source.dataset.is_some() {
            synthgate_synth::Synthesizers::builtin()
                .get(&spec.synthesizer.name)
                .map(synthgate_synth::dataset_generator_version)
                .unwrap_or_default()
        } else {
            synthgate_synth::Synthesizers::builtin()
                .get(&spec.synthesizer.name)
                .map(synthgate_synth::generator_version)
                .unwrap_or_default()
        };
        if recorded_version != current_version {
            return Err(failed(format!(
                "the release was made by synthesizer version '{recorded_version}', and this \
                 Synthgate has '{current_version}': it cannot be reproduced byte for byte here. \
                 Its integrity and signatures verified; reproduce it with the Synthgate version \
                 that made it."
            )));
        }
        // A prompt-based release cannot be re-derived from the model: its logged responses are
        // re-parsed, re-validated and re-deduplicated instead, from the full log when the
        // bundle's has real rows replaced.
        let full = match &spec.llm {
            Some(_) => full_log(bundle, &manifest, options.full_logs.as_ref())?,
            None => None,
        };
        let replay = match &full {
            Some(full) => full.path.clone(),
            None => bundle.join(crate::layout::LOG_FILE),
        };
        let log = spec
            .llm
            .is_some()
            .then_some(crate::llm::GenerationLog::Replay(&replay));
        // A differentially private release is re-sampled from its bundled model (whose digest
        // the manifest check above covered): the noise is never redrawn.
        let dp_bytes = match spec.synthesizer.epsilon {
            Some(_) => Some(
                std::fs::read(bundle.join(crate::layout::DP_MODEL_FILE)).map_err(|error| {
                    failed(format!(
                        "the bundle's differentially private model {} cannot be read: {error}",
                        crate::layout::DP_MODEL_FILE
                    ))
                })?,
            ),
            None => None,
        };
        let dp = dp_bytes.as_deref().map(crate::run::DpSource::Bundled);
        let release = crate::pipeline::run_pipeline(spec, log, dp, progress)?;
        if let (Some(full), Some(run)) = (&full, &release.llm) {
            let published = synthgate_llm::redact::redact_log(
                &full.text,
                spec.llm.as_ref().map_or(&[][..], |l| &l.columns[..]),
                &run.generation.real_rows,
                &full.key,
            )?;
            if published.text != full.bundle_log {
                return Err(failed(format!(
                    "the full generation log {} is not this bundle's: with the real rows \
                     replaced under the workspace's key it does not give the bundle's {}.",
                    full.path.display(),
                    crate::layout::LOG_FILE
                )));
            }
        }
        let mut files = Vec::with_capacity(release.data.len());
        for file in &release.data {
            let digest = synthgate_io::sha256_bytes(&synthgate_io::parquet_bytes(&file.table)?);
            let recorded = manifest.files.iter().find(|f| f.path == file.path);
            if recorded.is_none_or(|r| r.sha256 != digest) {
                return Err(failed(format!(
                    "reproduction gave different data for {}: sha256 {digest}, the bundle has \
                     {}.",
                    file.path,
                    recorded.map_or("no such file", |r| r.sha256.as_str())
                )));
            }
            files.push((file.path.clone(), digest));
        }
        if let Some((origin, _)) = &release.origin {
            let digest = synthgate_io::sha256_bytes(&synthgate_io::parquet_bytes(origin)?);
            let path = crate::hybrid::ORIGIN_FILE;
            let recorded = manifest
                .files
                .iter()
                .chain(&manifest.withheld)
                .find(|f| f.path == path);
            if recorded.is_none_or(|r| r.sha256 != digest) {
                return Err(failed(format!(
                    "reproduction gave a different origin file {path}: sha256 {digest}, the \
                     bundle has {}.",
                    recorded.map_or("no such file", |r| r.sha256.as_str())
                )));
            }
        }
        let digest = data_digest(&files);
        let recorded = manifest.generator.data_sha256.as_str();
        if digest != recorded {
            return Err(failed(format!(
                "reproduction gave different data: sha256 {digest}, the bundle has {recorded}."
            )));
        }
        verification.reproduced = Some(true);
        verification.replayed_llm = spec.llm.is_some();
        verification.resampled_dp = spec.synthesizer.epsilon.is_some();
    }
    Ok(verification)
}
