//! `approve` (a signed decision by role, on the bundle's decision chain, recorded in the
//! registry and the audit log) and `keygen`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::Result;
use synthgate_release::audit::EntryBody;
use synthgate_release::keys::{self, Approval, Verdict};
use synthgate_release::verify::Decision;

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
    let mut registry = ctx.workspace.registry()?;
    let mut registered = false;
    let approval = synthgate_release::approve(
        &request.bundle,
        &key,
        &Decision {
            role: &request.role,
            verdict: if request.reject {
                Verdict::Reject
            } else {
                Verdict::Approve
            },
            comment: &request.comment,
            signed_at: ctx.clock.now(),
        },
        &mut || trust_for(Some(&ctx.workspace), &request.trust, &request.bundle),
        &mut |approval| {
            registered = registry.record_approval(approval)?;
            Ok(())
        },
    )?;
    let decision_sha256 = keys::decision_digest(&approval)?;
    ctx.workspace.audit().append(vec![EntryBody::new(
        &approval.body.signed_at,
        "approve",
        &request.bundle.display().to_string(),
        serde_json::json!({
            "role": approval.body.role,
            "decision": approval.body.decision,
            "manifest_sha256": approval.body.manifest_sha256,
            "key_fingerprint": approval.body.key_fingerprint,
            "decision_sha256": decision_sha256,
        }),
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
