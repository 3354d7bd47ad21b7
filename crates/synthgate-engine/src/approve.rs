//! `approve` (a signed decision by role, on the bundle's decision chain, recorded in the
//! registry and the audit log) and `keygen`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::Result;
use synthgate_release::audit::EntryBody;
use synthgate_release::keys::{self, Approval, Verdict};
use synthgate_release::verify::{Decision, Signer};

use crate::verify::{TrustRequest, trust_for};
use crate::{API_VERSION, Context};

/// Sign a decision on a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The bundle folder.
    pub bundle: PathBuf,
    /// The approver role, as the policy names it.
    pub role: String,
    /// The approver's secret key file.
    pub key: PathBuf,
    /// Reject instead of approve.
    #[serde(default)]
    pub reject: bool,
    /// Conditions or remarks.
    #[serde(default)]
    pub comment: String,
    /// Trust roots the bundle must meet before anyone signs it (the registry's record is used
    /// where the workspace has one).
    #[serde(default)]
    pub trust: TrustRequest,
}

/// The recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApproveOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The signed decision, as `approvals.jsonl` holds it.
    pub approval: Approval,
    /// Its digest: the bundle's new decision head.
    pub decision_sha256: String,
    /// Whether the workspace's registry knows the release (and moved its head).
    pub registered: bool,
}

/// Sign and record a decision: the bundle must verify (against the registry's record of its
/// operator and newest decision where there is one), the decision is appended to the bundle's
/// chain under its lock, the registry's head moves to it, and the audit log records it.
pub fn approve(ctx: &Context, request: &ApproveRequest) -> Result<ApproveOutcome> {
    let key = keys::load(&request.key)?;
    let decision = decision(&request.role, request.reject, &request.comment, ctx);
    decide(
        ctx,
        &request.bundle,
        &Signer::Key(&key, decision),
        &request.trust,
        None,
    )
}

/// A decision by `role` at the context's time.
fn decision<'a>(role: &'a str, reject: bool, comment: &'a str, ctx: &'a Context) -> Decision<'a> {
    Decision {
        role,
        verdict: if reject {
            Verdict::Reject
        } else {
            Verdict::Approve
        },
        comment,
        signed_at: ctx.clock.now(),
    }
}

/// A decision to be signed where the key lives: the bundle, the decision, and the signer's
/// public key (64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The bundle folder.
    pub bundle: PathBuf,
    /// The approver role.
    pub role: String,
    /// Reject instead of approve.
    #[serde(default)]
    pub reject: bool,
    /// Conditions or remarks.
    #[serde(default)]
    pub comment: String,
    /// The signer's Ed25519 public key, hex.
    pub public_key: String,
}

/// What the signer signs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The decision's body, on the bundle's current head.
    pub body: keys::ApprovalBody,
    /// The bytes to sign (the body's canonical JSON), hex.
    pub message: String,
}

/// Draft a decision on the bundle's current head for a signer whose key is elsewhere.
pub fn decision_draft(ctx: &Context, request: &DraftRequest) -> Result<DraftOutcome> {
    let body = synthgate_release::draft_decision(
        &request.bundle,
        &decision(&request.role, request.reject, &request.comment, ctx),
        &request.public_key,
    )?;
    let message = keys::hex(&keys::message(&body)?);
    Ok(DraftOutcome {
        api_version: API_VERSION,
        body,
        message,
    })
}

/// Record a decision signed elsewhere (a reviewer's browser) over a [`decision_draft`]: checked
/// as `approve` checks its own (the bundle verifies under `trust`, the role and key are the
/// policy's), refused as stale unless it follows the current head; `user` is named in the
/// audit entry.
pub fn approve_signed(
    ctx: &Context,
    bundle: &std::path::Path,
    approval: &Approval,
    trust: &TrustRequest,
    user: Option<&str>,
) -> Result<ApproveOutcome> {
    decide(ctx, bundle, &Signer::Signed(approval), trust, user)
}

/// Append a decision to the bundle's chain under its lock, move the registry's head, and
/// record it in the audit log.
fn decide(
    ctx: &Context,
    bundle: &std::path::Path,
    signer: &Signer<'_>,
    trust: &TrustRequest,
    user: Option<&str>,
) -> Result<ApproveOutcome> {
    let mut registry = ctx.workspace.registry()?;
    // A withdrawn release takes no more decisions.
    if let Ok(digest) = synthgate_io::sha256_file(&bundle.join("manifest.json"))
        && let Some(withdrawal) = registry.recorded(&digest)?.and_then(|r| r.withdrawn)
    {
        return Err(synthgate_core::Error::usage(format!(
            "the release was withdrawn on {} by {}: {}; no decision is recorded on it.",
            withdrawal.at, withdrawal.by, withdrawal.reason
        )));
    }
    let mut registered = false;
    let approval = synthgate_release::approve(
        bundle,
        signer,
        &mut || trust_for(Some(&ctx.workspace), trust, bundle),
        &mut |approval| {
            registered = registry.record_approval(approval)?;
            Ok(())
        },
    )?;
    let decision_sha256 = keys::decision_digest(&approval)?;
    let mut details = serde_json::json!({
        "role": approval.body.role,
        "decision": approval.body.decision,
        "manifest_sha256": approval.body.manifest_sha256,
        "key_fingerprint": approval.body.key_fingerprint,
        "decision_sha256": decision_sha256,
    });
    if let Some(user) = user {
        details["user"] = serde_json::Value::String(user.to_string());
    }
    ctx.workspace.audit()?.append(vec![EntryBody::new(
        &approval.body.signed_at,
        "approve",
        &bundle.display().to_string(),
        details,
    )])?;
    Ok(ApproveOutcome {
        api_version: API_VERSION,
        approval,
        decision_sha256,
        registered,
    })
}

/// A new key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeygenOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The secret key file (mode 0600).
    pub secret: PathBuf,
    /// The public key file.
    pub public: PathBuf,
    /// The key's fingerprint.
    pub fingerprint: String,
}

/// Make a key pair at `out` and `out.pub`; never overwrites.
pub fn keygen(ctx: &Context, out: &std::path::Path) -> Result<KeygenOutcome> {
    let fingerprint = keys::generate(out, &ctx.entropy)?;
    Ok(KeygenOutcome {
        api_version: API_VERSION,
        secret: out.to_path_buf(),
        public: keys::public_path(out),
        fingerprint,
    })
}
