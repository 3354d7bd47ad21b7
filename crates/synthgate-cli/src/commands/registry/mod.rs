//! `synthgate registry`: look-ups in the workspace's registry, one module per subcommand.

mod budget;
mod lineage;
mod list;
mod show;

use synthgate_core::Result;
use synthgate_engine::types::ReleaseRow;

use crate::args::{RegistryArgs, RegistryCommand};

pub(crate) fn run(args: &RegistryArgs, registry: Option<&str>) -> Result<()> {
    let context = super::workspace::context(registry)?;
    match &args.command {
        RegistryCommand::List => list::run(&context),
        RegistryCommand::Lineage { source } => lineage::run(&context, source),
        RegistryCommand::Show { id } => show::run(&context, *id),
        RegistryCommand::Budget { dataset_id, json } => budget::run(&context, dataset_id, *json),
        RegistryCommand::Withdraw { id, reason, by } => {
            let by = by
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "operator".to_string());
            let row = synthgate_engine::registry_withdraw(&context, *id, &by, reason)?;
            println!(
                "withdrew release {} ({} {}) as {by}: {}",
                row.id,
                row.name,
                row.version,
                reason.trim()
            );
            Ok(())
        }
    }
}

/// Releases as a table.
fn print_table(rows: &[ReleaseRow]) {
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
}
