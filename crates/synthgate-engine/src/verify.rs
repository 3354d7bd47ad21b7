//! `verify`: a bundle's integrity, its origin against trust roots from outside it, its
//! decisions, and optionally its reproduction; recorded in the audit log when there is a
//! workspace.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, ErrorKind, Result};
use synthgate_release::audit::EntryBody;
use synthgate_release::verify::DecisionRecord;
use synthgate_release::{RoleStatus, Trust, Verification, VerifyOptions, verify_with};

use crate::{API_VERSION, Context, Events, Workspace};

/// Trust roots a verifier brings from outside the bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustRequest {
    /// Operator key fingerprints to trust.
    #[serde(default)]
    pub operators: Vec<String>,
    /// A trust file (operators, approvers per role, decision heads) as an organisation
    /// publishes it.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Also trust what the workspace's registry recorded about this bundle (its operator and
    /// its newest decision), when it recorded it.
    #[serde(default = "yes")]
    pub registry: bool,
}

fn yes() -> bool {
    true
}

/// Verify a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The bundle folder.
    pub bundle: PathBuf,
    /// Run the recorded pipeline again and compare the data byte for byte.
    #[serde(default)]
    pub reproduce: bool,
    /// Fail unless releasable and approved by every required role, against a trust root.
    #[serde(default)]
    pub require_approved: bool,
    /// Trust roots.
    #[serde(default)]
    pub trust: TrustRequest,
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The release library's findings.
    pub verification: Verification,
    /// The release's status: `approved`, `rejected`, `pending`, or `withdrawn` when the
    /// workspace's registry says so.
    pub status: &'static str,
    /// Set when the verification could not be recorded in the workspace's audit log (why).
    pub audit_note: Option<String>,
}

/// The trust roots of `request`, from flags, a file and the registry.
fn trust(
    workspace: Option<&Workspace>,
    request: &TrustRequest,
    manifest_sha256: &str,
) -> Result<Trust> {
    let mut trust = Trust::default();
    for print in &request.operators {
        if !synthgate_release::keys::is_fingerprint(print) {
            return Err(Error::usage(format!(
                "--trust-operator '{print}' is not a key fingerprint (64 hex digits, as \
                 `synthgate keygen` prints)."
            )));
        }
        if !trust.operators.contains(print) {
            trust.operators.push(print.to_ascii_lowercase());
        }
    }
    if !trust.operators.is_empty() {
        trust.sources.push("--trust-operator".into());
    }
    if let Some(path) = &request.file {
        trust.merge(Trust::load(path)?);
    }
    if request.registry
        && let Some(workspace) = workspace
        && let Some(registry) = workspace.existing_registry()?
        && let Some(recorded) = registry.recorded(manifest_sha256)?
    {
        let mut from_registry = Trust {
            sources: vec![format!(
                "the registry {} (release {})",
                registry.location(),
                recorded.id
            )],
            bound_to: Some(manifest_sha256.to_string()),
            ..Trust::default()
        };
        if let Some(print) = recorded.operator_fingerprint {
            from_registry.operators.push(print);
        }
        if let Some(head) = recorded.decision_head {
            from_registry.decisions.push(DecisionRecord {
                manifest_sha256: manifest_sha256.to_string(),
                head_sha256: head,
                decisions: recorded.decisions,
            });
        }
        if !from_registry.operators.is_empty() || !from_registry.decisions.is_empty() {
            trust.merge(from_registry);
        }
    }
    Ok(trust)
}

/// The trust roots for `bundle` as a request gives them (used by approve too).
pub(crate) fn trust_for(
    workspace: Option<&Workspace>,
    request: &TrustRequest,
    bundle: &std::path::Path,
) -> Result<Trust> {
    let manifest_sha256 =
        synthgate_io::sha256_file(&bundle.join("manifest.json")).unwrap_or_default();
    trust(workspace, request, &manifest_sha256)
}

/// Verify `request.bundle`. With a workspace (`ctx` given and its folder existing) its registry
/// is a trust source and the outcome is appended to its audit log.
pub fn verify(
    ctx: Option<&Context>,
    request: &VerifyRequest,
    events: &mut dyn Events,
) -> Result<VerifyOutcome> {
    let workspace = ctx.map(|c| &c.workspace).filter(|w| w.exists());
    let result = verify_inner(workspace, request, events);
    let audit_note = match (ctx, workspace) {
        (Some(ctx), Some(workspace)) => record(ctx, workspace, request, &result).err(),
        _ => None,
    };
    result.map(|(verification, status)| VerifyOutcome {
        api_version: API_VERSION,
        verification,
        status,
        audit_note,
    })
}

fn verify_inner(
    workspace: Option<&Workspace>,
    request: &VerifyRequest,
    events: &mut dyn Events,
) -> Result<(Verification, &'static str)> {
    let trust = trust_for(workspace, &request.trust, &request.bundle)?;
    if request.require_approved && trust.is_empty() {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            "--require-approved needs a trust root from outside the bundle: anyone who can \
             rewrite a bundle can also sign it, and its approvals, with keys of their own.",
        )
        .hint(
            "Name the operator with --trust-operator FINGERPRINT, or give the organisation's \
             trust file with --trust FILE, or verify in the workspace whose registry recorded \
             the release.",
        ));
    }
    let options = VerifyOptions {
        reproduce: request.reproduce,
        trust,
        full_logs: workspace.map(Workspace::full_logs),
        withheld: workspace.map(Workspace::withheld),
    };
    let verification = verify_with(&request.bundle, &options, &mut |name| {
        crate::step(events, name)
    })?;
    // A release its registry says was withdrawn is withdrawn, whatever its bundle says.
    let withdrawn = match workspace {
        Some(workspace) => workspace
            .existing_registry()?
            .map(|registry| registry.recorded(&verification.manifest_sha256))
            .transpose()?
            .flatten()
            .and_then(|recorded| recorded.withdrawn),
        None => None,
    };
    if let Some(withdrawal) = &withdrawn
        && request.require_approved
    {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the release was withdrawn on {} by {}: {}",
                withdrawal.at, withdrawal.by, withdrawal.reason
            ),
        ));
    }
    let status = if withdrawn.is_some() {
        "withdrawn"
    } else if verification.approved() {
        "approved"
    } else if verification
        .roles
        .iter()
        .any(|(_, s)| *s == RoleStatus::Rejected)
    {
        "rejected"
    } else {
        "pending"
    };
    if request.require_approved && !verification.approved() {
        let pending: Vec<&str> = verification
            .roles
            .iter()
            .filter(|(_, s)| *s != RoleStatus::Approved)
            .map(|(r, _)| r.as_str())
            .collect();
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the release is not approved: {}{}.",
                if verification.releasable {
                    ""
                } else {
                    "it is not releasable; "
                },
                if pending.is_empty() {
                    "every role approved".to_string()
                } else {
                    format!("not approved by {}", pending.join(", "))
                }
            ),
        ));
    }
    Ok((verification, status))
}

/// Append the verification's outcome to the workspace's audit log.
fn record(
    ctx: &Context,
    workspace: &Workspace,
    request: &VerifyRequest,
    result: &Result<(Verification, &'static str)>,
) -> std::result::Result<(), String> {
    let manifest_sha256 =
        synthgate_io::sha256_file(&request.bundle.join("manifest.json")).unwrap_or_default();
    let details = match result {
        Ok((verification, status)) => serde_json::json!({
            "manifest_sha256": verification.manifest_sha256,
            "outcome": "verified",
            "status": status,
            "reproduced": verification.reproduced,
            "trusted_by": verification.trusted_by,
            "require_approved": request.require_approved,
        }),
        Err(error) => serde_json::json!({
            "manifest_sha256": manifest_sha256,
            "outcome": "failed",
            "exit_code": error.kind().exit_code(),
            "error": error.message(),
        }),
    };
    workspace
        .audit()
        .and_then(|audit| {
            audit.append(vec![EntryBody::new(
                ctx.clock.now(),
                "verify",
                &request.bundle.display().to_string(),
                details,
            )])
        })
        .map(|_| ())
        .map_err(|error| format!("the verification was not recorded in the audit log: {error}"))
}
