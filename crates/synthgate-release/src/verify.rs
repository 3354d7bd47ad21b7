//! Verifying a bundle: the manifest parses, every file it lists is there with the recorded
//! size and digest, no file is there that it does not list, the report inside is the one the
//! manifest summarises, and the decision's releasable flag matches the manifest's. With
//! `reproduce`, the recorded pipeline runs again from its source and the synthetic data must
//! come out byte for byte.

use std::path::Path;

use serde::Serialize;
use synthgate_core::{Error, ErrorKind, Result};
use synthgate_io::sha256_file;

use crate::bundle::{DATA_FILE, Manifest, index};
use crate::keys::{self, Approval, ApprovalBody, Verdict};

/// Where a required role stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleStatus {
    /// An allowed key approved (its latest decision).
    Approved,
    /// An allowed key rejected (its latest decision).
    Rejected,
    /// No decision yet.
    Pending,
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// Files checked.
    pub files: usize,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// Each required role's status, in the policy's order.
    pub roles: Vec<(String, RoleStatus)>,
    /// Valid approvals read.
    pub approvals: usize,
    /// With `reproduce`: whether the data came out byte for byte.
    pub reproduced: Option<bool>,
    /// With `reproduce` on a prompt-based release: the data was re-derived from the logged
    /// responses (re-parsed, re-validated, re-deduplicated); the model was not queried.
    pub replayed_llm: bool,
}

impl Verification {
    /// Releasable and every required role approved.
    pub fn approved(&self) -> bool {
        self.releasable && self.roles.iter().all(|(_, s)| *s == RoleStatus::Approved)
    }
}

/// The approvals file, beside the manifest (not indexed by it: approvals come after).
pub const APPROVALS_FILE: &str = "approvals.jsonl";

fn failed(message: String) -> Error {
    Error::new(ErrorKind::VerificationFailed, message)
}

/// Check every approval: it parses, its signature verifies, it is bound to this manifest, its
/// role is a required one and its key is allowed for that role. Returns each role's status
/// and the number of approvals.
fn check_approvals(
    bundle: &Path,
    manifest: &Manifest,
    problems: &mut Vec<String>,
) -> Result<(Vec<(String, RoleStatus)>, usize)> {
    let approvers = &manifest.pipeline.policy.approvers;
    let mut roles: Vec<(String, RoleStatus)> = approvers
        .iter()
        .map(|a| (a.role.clone(), RoleStatus::Pending))
        .collect();
    let path = bundle.join(APPROVALS_FILE);
    if !path.exists() {
        return Ok((roles, 0));
    }
    let manifest_sha256 = sha256_file(&bundle.join("manifest.json"))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|error| failed(format!("{APPROVALS_FILE} cannot be read: {error}.")))?;
    let mut count = 0;
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
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
        count += 1;
        if let Some(slot) = roles.iter_mut().find(|(role, _)| *role == approver.role) {
            slot.1 = match approval.body.decision {
                Verdict::Approve => RoleStatus::Approved,
                Verdict::Reject => RoleStatus::Rejected,
            };
        }
    }
    Ok((roles, count))
}

/// Record a signed decision on `bundle` by `role`: the bundle must verify, the role must be
/// one the policy requires and the key one it allows for that role.
pub fn approve(
    bundle: &Path,
    role: &str,
    key: &ed25519_dalek::SigningKey,
    decision: Verdict,
    comment: &str,
    signed_at: &str,
) -> Result<Approval> {
    verify_bundle(bundle, false, &mut |_| {})?;
    let manifest = read_manifest(bundle)?;
    let approvers = &manifest.pipeline.policy.approvers;
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
    let print = keys::fingerprint(&key.verifying_key());
    if !approver.keys.contains(&print) {
        return Err(Error::usage(format!(
            "this key (fingerprint {print}) is not one the policy allows for role '{role}'."
        )));
    }
    let body = ApprovalBody {
        role: role.to_string(),
        decision,
        comment: comment.to_string(),
        manifest_sha256: sha256_file(&bundle.join("manifest.json"))?,
        public_key: String::new(),
        key_fingerprint: String::new(),
        signed_at: signed_at.to_string(),
    };
    let approval = keys::sign(body, key);
    let path = bundle.join(APPROVALS_FILE);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&serde_json::to_string(&approval).unwrap_or_default());
    text.push('\n');
    synthgate_io::write_bytes_atomically(&path, synthgate_io::Overwrite::Allow, text.as_bytes())?;
    Ok(approval)
}

/// Read `bundle/manifest.json`.
pub fn read_manifest(bundle: &Path) -> Result<Manifest> {
    let path = bundle.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| failed(format!("{} cannot be read: {error}.", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        failed(format!(
            "{} is not a valid manifest (line {}): {error}.",
            path.display(),
            error.line()
        ))
    })
}

/// The operator's signatures: `manifest.sig` over the manifest's digest and the audit
/// checkpoint must be by one key, and by a key the policy lists when it lists operators.
fn check_signatures(bundle: &Path, manifest: &Manifest, problems: &mut Vec<String>) {
    use crate::bundle::{MANIFEST_SIGNATURE_FILE, ManifestSignature, manifest_message};
    let text = match std::fs::read_to_string(bundle.join(MANIFEST_SIGNATURE_FILE)) {
        Ok(text) => text,
        Err(_) => {
            problems.push(format!("{MANIFEST_SIGNATURE_FILE} is missing"));
            return;
        }
    };
    let signature: ManifestSignature = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(error) => {
            problems.push(format!(
                "{MANIFEST_SIGNATURE_FILE} is not a signature: {error}"
            ));
            return;
        }
    };
    match sha256_file(&bundle.join("manifest.json")) {
        Ok(digest) if digest != signature.manifest_sha256 => problems
            .push("manifest.json has changed since the operator signed it (manifest.sig)".into()),
        _ => {}
    }
    if let Some(problem) = crate::keys::check_bytes(
        &signature.public_key,
        &signature.key_fingerprint,
        &signature.signature,
        &manifest_message(&signature.manifest_sha256),
    ) {
        problems.push(format!("{MANIFEST_SIGNATURE_FILE}: {problem}"));
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
    let operators = &manifest.pipeline.policy.operators;
    if !operators.is_empty() {
        for (what, print) in [
            (MANIFEST_SIGNATURE_FILE, Some(&signature.key_fingerprint)),
            (
                "audit/checkpoint.json",
                checkpoint.as_ref().map(|c| &c.key_fingerprint),
            ),
        ] {
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
}

/// Verify the bundle at `bundle`; every problem found is named (exit code 5).
pub fn verify_bundle(
    bundle: &Path,
    reproduce: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Verification> {
    if !bundle.join("manifest.json").is_file() {
        return Err(failed(format!(
            "{} is not a release bundle: it has no manifest.json.",
            bundle.display()
        )));
    }
    let manifest = read_manifest(bundle)?;
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
    // The manifest's own statements must agree with the files it indexes.
    if let Some(data) = manifest.files.iter().find(|f| f.path == DATA_FILE)
        && manifest.generator["data_sha256"].as_str() != Some(data.sha256.as_str())
    {
        problems.push(format!(
            "the manifest's generator.data_sha256 does not match {DATA_FILE}"
        ));
    }
    if let Some(data) = manifest.files.iter().find(|f| f.path == DATA_FILE)
        && let Ok(text) = std::fs::read_to_string(bundle.join("datasheet.json"))
        && let Ok(sheet) = serde_json::from_str::<serde_json::Value>(&text)
        && sheet["distribution"][0]["sha256"].as_str() != Some(data.sha256.as_str())
    {
        problems.push(format!(
            "datasheet.json describes a data file other than {DATA_FILE} (its sha256 differs)"
        ));
    }
    if let Ok(text) = std::fs::read_to_string(bundle.join("policy/decision.json"))
        && let Ok(decision) = serde_json::from_str::<serde_json::Value>(&text)
        && decision["releasable"].as_bool() != Some(manifest.releasable)
    {
        problems.push("the manifest's releasable flag disagrees with policy/decision.json".into());
    }
    if let Ok(text) = std::fs::read_to_string(bundle.join("report/report.json"))
        && let Ok(report) = serde_json::from_str::<serde_json::Value>(&text)
    {
        for metric in report["metrics"].as_array().into_iter().flatten() {
            let id = metric["id"].as_str().unwrap_or("");
            if manifest.evaluation["metrics"][id]["value"] != metric["value"] {
                problems.push(format!(
                    "the manifest's evaluation summary disagrees with report/report.json on {id}"
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
    check_signatures(bundle, &manifest, &mut problems);
    let (roles, approvals) = check_approvals(bundle, &manifest, &mut problems)?;
    if !problems.is_empty() {
        return Err(failed(format!(
            "the bundle {} does not verify:\n  - {}",
            bundle.display(),
            problems.join("\n  - ")
        )));
    }
    let mut verification = Verification {
        files: manifest.files.len(),
        releasable: manifest.releasable,
        roles,
        approvals,
        reproduced: None,
        replayed_llm: false,
    };
    if reproduce {
        let spec = &manifest.pipeline;
        let source = sha256_file(&spec.source.path).map_err(|error| {
            failed(format!(
                "the source {} cannot be read to reproduce the release: {}",
                spec.source.path.display(),
                error.message()
            ))
        })?;
        if manifest.source["sha256"].as_str() != Some(source.as_str()) {
            return Err(failed(format!(
                "the source {} has changed since the release (sha256 {source}, the manifest \
                 says {}): it cannot be reproduced.",
                spec.source.path.display(),
                manifest.source["sha256"].as_str().unwrap_or("?")
            )));
        }
        // A prompt-based release cannot be re-derived from the model: its logged responses are
        // re-parsed, re-validated and re-deduplicated instead.
        let replay = spec
            .llm
            .is_some()
            .then(|| bundle.join(crate::bundle::LOG_FILE));
        let release = crate::run::run_pipeline(spec, replay.as_deref(), progress)?;
        let scratch = std::env::temp_dir().join(format!(
            "synthgate-reproduce-{}.parquet",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&scratch);
        synthgate_io::write_table(&release.synthetic, &scratch, synthgate_io::Overwrite::Allow)?;
        let digest = sha256_file(&scratch);
        let _ = std::fs::remove_file(&scratch);
        let digest = digest?;
        let recorded = manifest.generator["data_sha256"].as_str().unwrap_or("");
        if digest != recorded {
            return Err(failed(format!(
                "reproduction gave different data: sha256 {digest}, the bundle has {recorded}."
            )));
        }
        verification.reproduced = Some(true);
        verification.replayed_llm = replay.is_some();
    }
    Ok(verification)
}
