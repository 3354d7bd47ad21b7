//! `drift`: a new real snapshot against the aggregates a bundle kept about its source.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
use synthgate_io::{Overwrite, write_bytes_atomically};
use synthgate_release::audit::EntryBody;
use synthgate_release::drift::{DriftReport, drift_bundle};

use crate::{Context, Events};

/// Compare a new snapshot with a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRequest {
    /// The release bundle.
    pub bundle: PathBuf,
    /// The new real snapshot.
    pub new_data: PathBuf,
    /// Also write the report as JSON here.
    #[serde(default)]
    pub json: Option<PathBuf>,
    /// Replace an existing `json` file.
    #[serde(default)]
    pub force: bool,
}

/// Measure drift and record it in the audit log. The report says what exceeded the policy
/// (`exceeded`); deciding what that means for the exit status is the front end's.
pub fn drift(
    ctx: &Context,
    request: &DriftRequest,
    events: &mut dyn Events,
) -> Result<DriftReport> {
    if let Some(path) = &request.json
        && path.exists()
        && !request.force
    {
        return Err(Error::usage(format!(
            "{} exists; pass --force to replace it.",
            path.display()
        )));
    }
    let withheld = ctx.workspace.withheld();
    let report = drift_bundle(
        &request.bundle,
        &request.new_data,
        Some(&withheld),
        &mut |name| crate::step(events, name),
    )?;
    if let Some(path) = &request.json {
        let text = synthgate_core::canonical::to_json_pretty(&report, "the drift report")?;
        let overwrite = if request.force {
            Overwrite::Allow
        } else {
            Overwrite::Refuse
        };
        write_bytes_atomically(path, overwrite, &text)?;
    }
    ctx.workspace.audit()?.append(vec![EntryBody::new(
        ctx.clock.now(),
        "drift",
        &request.bundle.display().to_string(),
        serde_json::json!({ "manifest_sha256": report.manifest_sha256,
                "new_data_sha256": report.new_data["sha256"], "exceeded": report.exceeded }),
    )])?;
    Ok(report)
}

/// One drift measurement of a release, as the audit log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftRun {
    /// The audit entry's sequence number.
    pub seq: u64,
    /// When it was measured.
    pub at: String,
    /// SHA-256 of the snapshot compared.
    pub new_data_sha256: serde_json::Value,
    /// What exceeded the policy's drift limits (empty: nothing).
    pub exceeded: serde_json::Value,
}

/// Every drift measurement of the release whose manifest has digest `manifest_sha256`, oldest
/// first, read from the workspace's audit log (file or server), where `drift` records each.
pub fn drift_history(ctx: &Context, manifest_sha256: &str) -> Result<Vec<DriftRun>> {
    let check = ctx.workspace.audit()?.read()?;
    Ok(check
        .entries
        .iter()
        .filter(|e| {
            e.body.action == "drift" && e.body.details["manifest_sha256"] == manifest_sha256
        })
        .map(|e| DriftRun {
            seq: e.body.seq,
            at: e.body.ts.clone(),
            new_data_sha256: e.body.details["new_data_sha256"].clone(),
            exceeded: e.body.details["exceeded"].clone(),
        })
        .collect())
}
