//! `synthgate drift`: a new real snapshot against a release's source profile.

use synthgate_core::{Error, ErrorKind, Result};
use synthgate_engine::DriftRequest;

use crate::args::DriftArgs;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &DriftArgs, quiet: bool, registry: Option<&str>) -> Result<()> {
    let request = DriftRequest {
        bundle: args.bundle.clone(),
        new_data: args.new_data.clone(),
        json: args.json.clone(),
        force: args.force,
    };
    let mut events = SpinnerEvents::start(quiet, "starting");
    let report =
        synthgate_engine::drift(&super::workspace::context(registry)?, &request, &mut events);
    drop(events);
    let report = report?;
    println!(
        "{} against {} ({} rows); PSI threshold {}",
        report.release,
        args.new_data.display(),
        report.new_data["rows"],
        report.policy.max_psi
    );
    let mut order: Vec<&synthgate_engine::types::ColumnDrift> = report.columns.iter().collect();
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
