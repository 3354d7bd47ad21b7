//! `synthgate run`: a release pipeline into a bundle.

use synthgate_core::{Error, ErrorKind, Result};
use synthgate_engine::RunRequest;

use crate::args::RunArgs;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &RunArgs, quiet: bool, registry: Option<&str>) -> Result<()> {
    let request = RunRequest {
        spec: args.spec.clone(),
        out: args.out.clone(),
        force: args.force,
        operator_key: args.key.clone(),
    };
    let mut events = SpinnerEvents::start(quiet, "starting");
    let outcome =
        synthgate_engine::run(&super::workspace::context(registry)?, &request, &mut events);
    drop(events);
    let outcome = outcome?;
    println!(
        "{} {} -> {} ({} files and manifest.json; {} synthetic rows; registry id {})",
        outcome.name,
        outcome.version,
        outcome.bundle.display(),
        outcome.files,
        outcome.synthetic_rows,
        outcome.registry_id
    );
    if outcome.real_rows > 0 {
        println!(
            "  hybrid: {} real training rows released with the synthetic ones, shuffled in; \
             which is which is in origin/origin.parquet (or withheld) ([hybrid])",
            outcome.real_rows
        );
    }
    if outcome.withheld > 0 {
        println!(
            "  withheld: {} file(s) computed from real rows (the report, the source profile) \
             stay in the workspace's withheld/ folder, listed in the manifest by digest \
             ([policy] real_data_files)",
            outcome.withheld
        );
    }
    for gate in &outcome.gates {
        println!(
            "  gate {:<34} {:<7} {}",
            gate.metric,
            format!("{:?}", gate.outcome).to_lowercase(),
            gate.reason
        );
    }
    if !outcome.releasable {
        return Err(Error::new(
            ErrorKind::GateFailed,
            format!(
                "the release is not releasable: {} gate(s) failed: {}. The bundle at {} is \
                 marked so.",
                outcome.failures.len(),
                outcome.failures.join("; "),
                outcome.bundle.display()
            ),
        )
        .hint("Improve the synthesizer settings, or record a waiver with a role and reason in [[policy.waivers]]."));
    }
    if !quiet {
        eprintln!("releasable: every gate passed or was waived");
    }
    Ok(())
}
