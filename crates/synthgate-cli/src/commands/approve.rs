//! `synthgate approve`: a signed decision by role.

use synthgate_core::Result;
use synthgate_engine::{ApproveRequest, TrustRequest};

use crate::args::ApproveArgs;

pub(crate) fn run(args: &ApproveArgs, registry: Option<&str>) -> Result<()> {
    let request = ApproveRequest {
        bundle: args.bundle.clone(),
        role: args.role.clone(),
        key: args.key.clone(),
        reject: args.reject,
        comment: args.comment.clone(),
        trust: TrustRequest {
            operators: args.trust_operator.clone(),
            file: args.trust.clone(),
            registry: true,
        },
    };
    let outcome = synthgate_engine::approve(&super::workspace::context(registry)?, &request)?;
    let body = &outcome.approval.body;
    println!(
        "{} {} {} for role {} (key {}; decision {})",
        args.bundle.display(),
        if args.reject { "rejected" } else { "approved" },
        body.manifest_sha256.get(..12).unwrap_or(""),
        body.role,
        body.key_fingerprint.get(..12).unwrap_or(""),
        outcome.decision_sha256.get(..12).unwrap_or("")
    );
    Ok(())
}
