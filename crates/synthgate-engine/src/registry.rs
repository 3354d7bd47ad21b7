//! Registry look-ups.

use serde::Serialize;
use synthgate_core::{Error, Result};
use synthgate_release::registry::{LedgerRow, ReleaseRow};

use crate::Context;

/// Every release, oldest first.
pub fn registry_list(ctx: &Context) -> Result<Vec<ReleaseRow>> {
    ctx.workspace.registry()?.list()
}

/// The releases made from the source whose sha256 starts with `source`; none is an error.
pub fn registry_lineage(ctx: &Context, source: &str) -> Result<Vec<ReleaseRow>> {
    let rows = ctx.workspace.registry()?.lineage(source)?;
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "the registry has no release made from a source whose sha256 starts with \
             '{source}'."
        )));
    }
    Ok(rows)
}

/// Withdraw release `id`, as `by`, for `reason` (not empty): recorded in the registry with the
/// context's time and in the audit log; the release's status is `withdrawn` from then on,
/// wherever its registry is consulted. Returns its row.
pub fn registry_withdraw(ctx: &Context, id: i64, by: &str, reason: &str) -> Result<ReleaseRow> {
    if reason.trim().is_empty() {
        return Err(Error::usage(
            "a withdrawal needs its reason (--reason): reviewers and auditors read it.",
        ));
    }
    let mut registry = ctx.workspace.registry()?;
    let withdrawal = synthgate_release::registry::Withdrawal {
        at: ctx.clock.now().to_string(),
        by: by.to_string(),
        reason: reason.trim().to_string(),
    };
    registry.withdraw(id, &withdrawal)?;
    let row = registry
        .list()?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::internal(format!("release {id} vanished after its withdrawal")))?;
    crate::audit_record(
        ctx,
        by,
        "withdraw",
        &format!("{} {}", row.name, row.version),
        serde_json::json!({"release_id": id, "manifest_sha256": row.manifest_sha256,
                           "reason": withdrawal.reason}),
    )?;
    Ok(row)
}

/// Every decision of every release, each release's in chain order.
pub fn registry_decisions(ctx: &Context) -> Result<Vec<synthgate_release::registry::DecisionRow>> {
    ctx.workspace.registry()?.decisions()
}

/// One release with its gates and approvals.
pub fn registry_show(ctx: &Context, id: i64) -> Result<serde_json::Value> {
    ctx.workspace.registry()?.show(id)
}

/// A dataset's privacy ledger and its total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetOutcome {
    /// The dataset.
    pub dataset_id: String,
    /// Every reservation, oldest first.
    pub rows: Vec<LedgerRow>,
    /// ρ (zCDP) spent in all: every reservation counts, since noise may have been drawn.
    pub rho: f64,
    /// δ the total is stated at: the newest reservation's budget δ, else the largest run δ.
    pub delta: f64,
    /// ε of the total at `delta`.
    pub epsilon: f64,
    /// The newest cap recorded (ε), if any, and what is left of it as ε at `delta`.
    pub budget_epsilon: Option<f64>,
    /// ε left under the newest cap, for one more release.
    pub left_epsilon: Option<f64>,
}

/// The privacy ledger of `dataset_id`; a dataset with no spend is an error.
pub fn registry_budget(ctx: &Context, dataset_id: &str) -> Result<BudgetOutcome> {
    let rows = ctx.workspace.registry()?.ledger(dataset_id)?;
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "the registry has no differentially private release of dataset '{dataset_id}'."
        ))
        .hint("Datasets are named by `[source] dataset_id` in a pipeline spec."));
    }
    let rho: f64 = rows.iter().map(|row| row.rho).sum();
    let newest = rows
        .last()
        .and_then(|row| row.budget_epsilon.zip(row.budget_delta));
    let delta = newest
        .map(|(_, delta)| delta)
        .unwrap_or_else(|| rows.iter().map(|row| row.delta).fold(0.0, f64::max));
    let epsilon = synthgate_synth::epsilon_of(rho, delta)?;
    let left_epsilon = match newest {
        Some((cap, cap_delta)) => {
            let left = synthgate_synth::rho_for(cap, cap_delta)? - rho;
            Some(if left > 0.0 {
                synthgate_synth::epsilon_of(left, cap_delta)?
            } else {
                0.0
            })
        }
        None => None,
    };
    Ok(BudgetOutcome {
        dataset_id: dataset_id.to_string(),
        rows,
        rho,
        delta,
        epsilon,
        budget_epsilon: newest.map(|(cap, _)| cap),
        left_epsilon,
    })
}

/// Where a release's review stands, from its registry record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// `approved`, `pending`, `rejected` or `withdrawn`.
    pub status: &'static str,
    /// The approver roles its policy names.
    pub required: Vec<String>,
    /// Those with no decision yet.
    pub pending: Vec<String>,
}

/// The review of a release (withdrawn or not, its gates' verdict `releasable`, the approver
/// roles its policy names) with `decisions` (role, decision) in chain order, as `verify` says
/// it: `withdrawn` once withdrawn; `approved` when releasable and every required role's newest
/// decision approves (a policy naming none needs only its gates); `rejected` when such a role's
/// newest decision rejects; else `pending`.
pub fn review<'a>(
    withdrawn: bool,
    releasable: bool,
    required: Vec<String>,
    decisions: impl Iterator<Item = (&'a str, &'a str)>,
) -> Review {
    let mut latest: Vec<(&str, &str)> = Vec::new();
    for (role, decision) in decisions {
        match latest.iter_mut().find(|(r, _)| *r == role) {
            Some(entry) => entry.1 = decision,
            None => latest.push((role, decision)),
        }
    }
    let newest = |role: &String| latest.iter().find(|(r, _)| r == role).map(|(_, d)| *d);
    let status = if withdrawn {
        "withdrawn"
    } else if releasable && required.iter().all(|role| newest(role) == Some("approve")) {
        "approved"
    } else if required.iter().any(|role| newest(role) == Some("reject")) {
        "rejected"
    } else {
        "pending"
    };
    let pending = required
        .iter()
        .filter(|role| newest(role).is_none())
        .cloned()
        .collect();
    Review {
        status,
        required,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_follows_each_role_s_newest_decision() {
        let roles = || vec!["dpo".to_string(), "irb".to_string()];
        let status = |withdrawn, releasable, decisions: &[(&str, &str)]| {
            review(withdrawn, releasable, roles(), decisions.iter().copied()).status
        };
        assert_eq!(status(false, true, &[("dpo", "approve")]), "pending");
        assert_eq!(
            status(false, true, &[("dpo", "approve"), ("irb", "approve")]),
            "approved"
        );
        assert_eq!(
            status(false, false, &[("dpo", "approve"), ("irb", "approve")]),
            "pending"
        );
        assert_eq!(
            status(false, true, &[("dpo", "reject"), ("irb", "approve")]),
            "rejected"
        );
        assert_eq!(
            status(
                false,
                true,
                &[("dpo", "reject"), ("irb", "approve"), ("dpo", "approve")]
            ),
            "approved",
            "the newest decision counts"
        );
        assert_eq!(
            status(true, true, &[("dpo", "approve"), ("irb", "approve")]),
            "withdrawn"
        );
        assert_eq!(
            review(false, true, Vec::new(), std::iter::empty()).status,
            "approved"
        );
        assert_eq!(
            review(false, true, roles(), [("dpo", "approve")].into_iter()).pending,
            ["irb"]
        );
    }
}
