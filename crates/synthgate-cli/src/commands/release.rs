//! `synthgate run` and `synthgate verify`: a release pipeline into a bundle, and its check.

use std::path::PathBuf;

use synthgate_core::{Error, ErrorKind, Result};
use synthgate_release::keys::{self, Verdict};
use synthgate_release::{PipelineSpec, RoleStatus, run_pipeline, verify_bundle, write_bundle};

use crate::args::{
    ApproveArgs, DriftArgs, KeygenArgs, RegistryArgs, RegistryCommand, RunArgs, VerifyArgs,
};
use crate::progress::Spinner;

/// Synthgate's working folder: $SYNTHGATE_HOME, else `.synthgate` in the working directory.
fn home() -> PathBuf {
    std::env::var_os("SYNTHGATE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".synthgate"))
}

/// The operator's key: `given`, else the home's `operator.key`, made on first use.
fn operator_key(given: Option<&std::path::Path>, quiet: bool) -> Result<ed25519_dalek::SigningKey> {
    if let Some(path) = given {
        return keys::load(path);
    }
    let path = home().join("operator.key");
    if !path.exists() {
        std::fs::create_dir_all(home())
            .map_err(|error| synthgate_io::io_error(&home(), "create the folder", &error))?;
        match keys::generate(&path) {
            Ok(print) => {
                if !quiet {
                    eprintln!(
                        "made the operator key {} (fingerprint {print}); it signs the audit \
                         checkpoints",
                        path.display()
                    );
                }
            }
            // Another run made it at the same moment: use that one.
            Err(_) if path.exists() => {}
            Err(error) => return Err(error),
        }
    }
    keys::load(&path)
}

/// The registry in the home folder.
fn open_registry() -> Result<synthgate_release::registry::Registry> {
    synthgate_release::registry::Registry::open(&home().join("registry.sqlite"))
}

pub(crate) fn registry(args: &RegistryArgs) -> Result<()> {
    let registry = open_registry()?;
    let table = |rows: Vec<synthgate_release::registry::ReleaseRow>| {
        println!(
            "{:>4}  {:<24} {:<10} {:<10} {:<14} {:<20} supersedes",
            "id", "name", "version", "releasable", "source", "created"
        );
        for row in rows {
            println!(
                "{:>4}  {:<24} {:<10} {:<10} {:<14} {:<20} {}",
                row.id,
                row.name,
                row.version,
                if row.releasable { "yes" } else { "no" },
                row.source_sha256.get(..12).unwrap_or(""),
                row.created_at,
                row.supersedes.map(|s| s.to_string()).unwrap_or_default()
            );
        }
    };
    match &args.command {
        RegistryCommand::List => table(registry.list()?),
        RegistryCommand::Lineage { source } => {
            let rows = registry.lineage(source)?;
            if rows.is_empty() {
                return Err(Error::usage(format!(
                    "the registry has no release made from a source whose sha256 starts with \
                     '{source}'."
                )));
            }
            table(rows);
        }
        RegistryCommand::Show { id } => {
            let text = serde_json::to_string_pretty(&registry.show(*id)?)
                .map_err(|e| Error::internal(format!("serialising failed: {e}")))?;
            println!("{text}");
        }
    }
    Ok(())
}

/// Record `action` on `object` in the audit log.
fn record(action: &str, object: &str, details: serde_json::Value, ts: &str) -> Result<()> {
    synthgate_release::audit::append(
        &home().join("audit.jsonl"),
        vec![synthgate_release::audit::EntryBody {
            seq: 0,
            ts: ts.to_string(),
            action: action.into(),
            object: object.into(),
            details,
            prev_hash: String::new(),
        }],
    )
    .map(|_| ())
}

/// The one clock of a run: SOURCE_DATE_EPOCH (seconds) when set, else now; RFC 3339, UTC.
fn created_at() -> Result<String> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse::<i64>().map_err(|_| {
            Error::usage(format!(
                "SOURCE_DATE_EPOCH must be whole seconds, not '{text}'."
            ))
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    Ok(synthgate_core::text::format_timestamp(
        seconds * 1_000_000,
        true,
    ))
}

pub(crate) fn run(args: &RunArgs, quiet: bool) -> Result<()> {
    let spec = PipelineSpec::load(&args.spec)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let folder = args.spec.parent().unwrap_or(std::path::Path::new("."));
        folder
            .join("releases")
            .join(format!("{}-{}", spec.release.name, spec.release.version))
    });
    if out.exists() && !args.force {
        return Err(Error::usage(format!(
            "the bundle folder {} exists; pass --force to replace it.",
            out.display()
        )));
    }
    let created_at = created_at()?;
    let key = operator_key(args.key.as_deref(), quiet)?;
    let print = keys::fingerprint(&key.verifying_key());
    if !spec.policy.operators.is_empty() && !spec.policy.operators.contains(&print) {
        return Err(Error::usage(format!(
            "the operator key (fingerprint {print}) is not one of the policy's operators; the \
             bundle would not verify."
        ))
        .hint("Run with --key and a key the spec lists under [policy] operators."));
    }
    let spinner = Spinner::start(quiet, "starting");
    let release = run_pipeline(&spec, None, &mut |step| spinner.set_message(step))?;
    spinner.set_message("writing the bundle");
    let log = home().join("audit.jsonl");
    let sink = synthgate_release::AuditSink {
        log: &log,
        key: &key,
    };
    let manifest = write_bundle(&release, &out, args.force, &created_at, &sink)?;
    let manifest_sha256 = synthgate_io::sha256_file(&out.join("manifest.json"))?;
    let id =
        open_registry()?.record_release(&out, &manifest, &manifest_sha256, &release.decision)?;
    drop(spinner);
    let failures = release.decision.failures();
    println!(
        "{} {} -> {} ({} files and manifest.json; {} synthetic rows; registry id {id})",
        spec.release.name,
        spec.release.version,
        out.display(),
        manifest.files.len(),
        release.synthetic.num_rows()
    );
    for gate in &release.decision.gates {
        println!(
            "  gate {:<34} {:<7} {}",
            gate.metric,
            format!("{:?}", gate.outcome).to_lowercase(),
            gate.reason
        );
    }
    if !failures.is_empty() {
        return Err(Error::new(
            ErrorKind::GateFailed,
            format!(
                "the release is not releasable: {} gate(s) failed: {}. The bundle at {} is \
                 marked so.",
                failures.len(),
                failures.join("; "),
                out.display()
            ),
        )
        .hint("Improve the synthesizer settings, or record a waiver with a role and reason in [[policy.waivers]]."));
    }
    if !quiet {
        eprintln!("releasable: every gate passed or was waived");
    }
    Ok(())
}

pub(crate) fn verify(args: &VerifyArgs, quiet: bool) -> Result<()> {
    let bundle: PathBuf = args.bundle.clone();
    let spinner = Spinner::start(quiet, "verifying");
    let result = verify_bundle(&bundle, args.reproduce, &mut |step| {
        spinner.set_message(step)
    })?;
    drop(spinner);
    println!(
        "{}: {} files match the manifest; {}{}",
        bundle.display(),
        result.files,
        if result.releasable {
            "releasable (every gate passed or was waived)"
        } else {
            "NOT releasable (a gate failed; see policy/decision.json)"
        },
        match (result.reproduced, result.replayed_llm) {
            (Some(true), false) => "; reproduced byte for byte from the source",
            (Some(true), true) => {
                "; re-derived byte for byte from the logged model responses (re-parsed, \
                 re-validated, re-deduplicated; the model was not queried)"
            }
            _ => "",
        }
    );
    for (role, status) in &result.roles {
        println!(
            "  approval {role:<24} {}",
            format!("{status:?}").to_lowercase()
        );
    }
    let status = if result.approved() && result.roles.is_empty() {
        "approved (its policy requires no approver roles)"
    } else if result.approved() {
        "approved"
    } else if result.roles.iter().any(|(_, s)| *s == RoleStatus::Rejected) {
        "rejected"
    } else {
        "pending"
    };
    println!("release status: {status}");
    if args.require_approved && !result.approved() {
        let pending: Vec<&str> = result
            .roles
            .iter()
            .filter(|(_, s)| *s != RoleStatus::Approved)
            .map(|(r, _)| r.as_str())
            .collect();
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the release is not approved: {}{}.",
                if result.releasable {
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
    Ok(())
}

pub(crate) fn drift(args: &DriftArgs, quiet: bool) -> Result<()> {
    if let Some(path) = &args.json
        && path.exists()
        && !args.force
    {
        return Err(Error::usage(format!(
            "{} exists; pass --force to replace it.",
            path.display()
        )));
    }
    let spinner = Spinner::start(quiet, "starting");
    let report =
        synthgate_release::drift::drift_bundle(&args.bundle, &args.new_data, &mut |step| {
            spinner.set_message(step)
        })?;
    drop(spinner);
    if let Some(path) = &args.json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::internal(format!("serialising failed: {e}")))?;
        text.push('\n');
        let overwrite = if args.force {
            synthgate_io::Overwrite::Allow
        } else {
            synthgate_io::Overwrite::Refuse
        };
        synthgate_io::write_bytes_atomically(path, overwrite, text.as_bytes())?;
    }
    println!(
        "{} against {} ({} rows); PSI threshold {}",
        report.release,
        args.new_data.display(),
        report.new_data["rows"],
        report.policy.max_psi
    );
    let mut order: Vec<&synthgate_release::drift::ColumnDrift> = report.columns.iter().collect();
    // Largest PSI first; columns without one (vanished, retyped, not recorded) last.
    order.sort_by(|a, b| b.psi.unwrap_or(-1.0).total_cmp(&a.psi.unwrap_or(-1.0)));
    println!(
        "  {:<24} {:<12} {:>8} {:>8} {:>9}  categories",
        "column", "status", "PSI", "KS≥", "missing"
    );
    for column in &order {
        let number = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.3}"));
        let mut categories = Vec::new();
        if !column.new_categories.is_empty() {
            categories.push(format!(
                "{}: {}",
                if column.source_pooled_rare {
                    "new or rare in the source"
                } else {
                    "new"
                },
                column.new_categories.join(", ")
            ));
        }
        if column.rare_unlisted_categories > 0 {
            categories.push(format!("{} rare unlisted", column.rare_unlisted_categories));
        }
        if !column.vanished_categories.is_empty() {
            categories.push(format!(
                "vanished: {}",
                column.vanished_categories.join(", ")
            ));
        }
        println!(
            "  {:<24} {:<12} {:>8} {:>8} {:>9}  {}",
            column.column,
            column.status,
            number(column.psi),
            number(column.ks_at_edges),
            column
                .missing_share_new
                .map_or_else(|| "-".into(), |m| format!("{:.1}%", 100.0 * m)),
            categories.join("; ")
        );
    }
    for change in &report.schema_changes {
        println!(
            "  schema: column {} {} ({} -> {})",
            change.column,
            change.change,
            change.source.as_deref().unwrap_or("-"),
            change.new.as_deref().unwrap_or("-")
        );
    }
    println!("gates: {}", report.gates.note);
    for gate in &report.gates.gates {
        println!(
            "  gate {:<34} {:<7} {:<9} {}",
            gate.gate.metric,
            format!("{:?}", gate.gate.outcome).to_lowercase(),
            gate.basis,
            gate.gate.reason
        );
    }
    record(
        "drift",
        &args.bundle.display().to_string(),
        serde_json::json!({ "manifest_sha256": report.manifest_sha256,
            "new_data_sha256": report.new_data["sha256"], "exceeded": report.exceeded }),
        &created_at()?,
    )?;
    if !report.exceeded.is_empty() {
        return Err(Error::new(
            ErrorKind::GateFailed,
            format!(
                "drift exceeds the release's policy: {}.",
                report.exceeded.join("; ")
            ),
        )
        .hint("Review the release against the new data; a new release from the new snapshot may be due."));
    }
    println!("no drift past the policy's threshold");
    Ok(())
}

pub(crate) fn keygen(args: &KeygenArgs) -> Result<()> {
    let print = keys::generate(&args.out)?;
    println!("{print}");
    eprintln!(
        "wrote {} (secret: keep it private) and {}",
        args.out.display(),
        keys::public_path(&args.out).display()
    );
    Ok(())
}

pub(crate) fn approve(args: &ApproveArgs) -> Result<()> {
    let key = keys::load(&args.key)?;
    let decision = if args.reject {
        Verdict::Reject
    } else {
        Verdict::Approve
    };
    let approval = synthgate_release::approve(
        &args.bundle,
        &args.role,
        &key,
        decision,
        &args.comment,
        &created_at()?,
    )?;
    open_registry()?.record_approval(&approval)?;
    record(
        "approve",
        &args.bundle.display().to_string(),
        serde_json::json!({ "role": approval.body.role, "decision": approval.body.decision,
            "manifest_sha256": approval.body.manifest_sha256,
            "key_fingerprint": approval.body.key_fingerprint }),
        &approval.body.signed_at,
    )?;
    println!(
        "{} {} {} for role {} (key {})",
        args.bundle.display(),
        if args.reject { "rejected" } else { "approved" },
        approval.body.manifest_sha256.get(..12).unwrap_or(""),
        approval.body.role,
        approval.body.key_fingerprint.get(..12).unwrap_or("")
    );
    Ok(())
}
