//! `synthgate verify`: a bundle's integrity, origin, decisions and reproduction.

use synthgate_core::Result;
use synthgate_engine::types::History;
use synthgate_engine::{TrustRequest, VerifyRequest};

use crate::args::VerifyArgs;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &VerifyArgs, quiet: bool, registry: Option<&str>) -> Result<()> {
    let request = VerifyRequest {
        bundle: args.bundle.clone(),
        reproduce: args.reproduce,
        require_approved: args.require_approved,
        trust: TrustRequest {
            operators: args.trust_operator.clone(),
            file: args.trust.clone(),
            registry: !args.no_registry,
        },
    };
    let context = super::workspace::context(registry)?;
    let mut events = SpinnerEvents::start(quiet, "verifying");
    let outcome = synthgate_engine::verify(Some(&context), &request, &mut events);
    drop(events);
    let outcome = outcome?;
    let result = &outcome.verification;
    println!(
        "{}: {} files match the manifest; {}{}",
        args.bundle.display(),
        result.files,
        if result.releasable {
            "releasable (every gate passed or was waived)"
        } else {
            "NOT releasable (a gate failed; see policy/decision.json)"
        },
        match (result.reproduced, result.replayed_llm) {
            (Some(true), false) if result.resampled_dp => {
                "; re-sampled byte for byte from the bundled differentially private model \
                 (model/dp-model.json is the DP release; its noise was not redrawn, by design)"
            }
            (Some(true), false) => "; reproduced byte for byte from the source",
            (Some(true), true) => {
                "; re-derived byte for byte from the logged model responses (re-parsed, \
                 re-validated, re-deduplicated; the model was not queried)"
            }
            _ => "",
        }
    );
    if result.withheld > 0 {
        println!(
            "withheld: {} file(s) computed from real rows (the report, the source profile) were \
             kept out of the bundle by its policy (real_data_files); {}",
            result.withheld,
            if result.withheld_checked == result.withheld {
                "this workspace's copies match the manifest's digests".to_string()
            } else {
                format!(
                    "{} of them are in this workspace (the rest stay with the operator who made \
                     the release)",
                    result.withheld_checked
                )
            }
        );
    }
    if result.origin_authenticated() {
        println!(
            "origin: signed by operator {} (trusted by {})",
            result.operator_fingerprint,
            result.trusted_by.join(", ")
        );
    } else {
        println!(
            "origin: integrity checked, origin not authenticated (signed by key {}; name a \
             trusted operator with --trust-operator or --trust)",
            result.operator_fingerprint
        );
    }
    for (role, status) in &result.roles {
        println!(
            "  approval {role:<24} {}",
            format!("{status:?}").to_lowercase()
        );
    }
    println!(
        "decisions: {}",
        match result.history {
            History::Complete =>
                "the decision history is complete (it ends at the newest decision on record)"
                    .to_string(),
            History::BeyondRecord { extra } => format!(
                "{extra} decision(s) past the newest one on record (signed and linked, not vouched for by the record)"
            ),
            History::NotAuthenticated => {
                "signed and linked in order; the completeness of the decision history is not authenticated (no record of the newest decision: use the registry or a trust file)".to_string()
            }
            History::Unchained => {
                "approvals from before the decision chain: their order and completeness are not authenticated".to_string()
            }
        }
    );
    let status = if outcome.status == "approved" && result.roles.is_empty() {
        "approved (its policy requires no approver roles)"
    } else {
        outcome.status
    };
    println!("release status: {status}");
    if let Some(note) = &outcome.audit_note
        && !quiet
    {
        eprintln!("note: {note}");
    }
    Ok(())
}
