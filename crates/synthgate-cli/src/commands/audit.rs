//! `synthgate audit verify`: the workspace's whole audit log and its agreement with the
//! registry.

use synthgate_core::{Error, ErrorKind, Result};

use crate::args::{AuditArgs, AuditCommand};

pub(crate) fn run(args: &AuditArgs, quiet: bool, registry: Option<&str>) -> Result<()> {
    match args.command {
        AuditCommand::Verify => {}
    }
    let report = synthgate_engine::audit_verify(&super::workspace::context(registry)?)?;
    println!(
        "{}: {} entries; {} registered release(s) cross-checked, {} bundle segment(s) compared",
        report.log.display(),
        report.entries,
        report.releases_checked,
        report.bundles_checked
    );
    if !quiet {
        for note in &report.notes {
            println!("  note: {note}");
        }
    }
    if !report.verified() {
        return Err(Error::new(
            ErrorKind::VerificationFailed,
            format!(
                "the audit log does not verify:\n  - {}",
                report.problems.join("\n  - ")
            ),
        )
        .hint("Restore the log and the registry from a backup; nothing is appended to a log whose chain is broken."));
    }
    println!("the audit log verifies");
    Ok(())
}
