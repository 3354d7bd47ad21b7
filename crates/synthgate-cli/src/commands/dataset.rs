//! `synthgate dataset`: check, propose and synthesize a dataset of several tables.

use synthgate_core::{Error, Result};

use crate::args::{DatasetArgs, DatasetCommand};
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &DatasetArgs, quiet: bool) -> Result<()> {
    let (dataset, json) = match &args.command {
        DatasetCommand::Check { dataset, json } => (dataset, json),
        DatasetCommand::Entities {
            dataset,
            entity,
            from,
            out,
            force,
        } => {
            let request = synthgate_engine::DatasetEntitiesRequest {
                dataset: dataset.clone(),
                entity: entity.clone(),
                from: from.clone(),
                out: out.clone(),
                force: *force,
            };
            let mut events = SpinnerEvents::start(quiet, "reading");
            let outcome = synthgate_engine::dataset_entities(&request, &mut events);
            drop(events);
            let outcome = outcome?;
            println!(
                "{} entities, {} columns: {}",
                outcome.rows,
                outcome.columns,
                outcome.out.display()
            );
            return Ok(());
        }
        DatasetCommand::Synth {
            dataset,
            out,
            seed,
            format,
            min_category_count,
            tail_count,
            min_leaf,
            force,
            json,
        } => {
            let request = synthgate_engine::DatasetSynthRequest {
                dataset: dataset.clone(),
                out: out.clone(),
                format: format.clone(),
                seed: *seed,
                protections: synthgate_engine::ProtectionOptions {
                    min_category_count: *min_category_count,
                    tail_count: *tail_count,
                },
                min_leaf: *min_leaf,
                force: *force,
            };
            return synth(&request, *json, quiet);
        }
        DatasetCommand::Propose {
            tables,
            na,
            out,
            force,
        } => return propose(tables, na, out, *force, quiet),
    };
    let mut events = SpinnerEvents::start(quiet, "reading");
    let outcome = synthgate_engine::dataset_check(dataset, &mut events);
    drop(events);
    let outcome = outcome?;
    if *json {
        let text = serde_json::to_string_pretty(&outcome)
            .map_err(|error| Error::internal(format!("the check does not serialise: {error}")))?;
        println!("{text}");
        return Ok(());
    }
    let report = &outcome.report;
    println!(
        "{}: {} tables, parents first",
        dataset.display(),
        report.tables.len()
    );
    for table in &report.tables {
        println!(
            "  {:<24} {:>10} rows  key {}",
            table.name,
            table.rows,
            if table.primary_key.is_empty() {
                "(none)".to_string()
            } else {
                format!("({}): unique, never missing", table.primary_key.join(", "))
            }
        );
    }
    for note in &outcome.notes {
        println!("  note: {note}");
    }
    println!("references (real gaps are facts to synthesize at their rate, not errors):");
    for reference in &report.references {
        println!(
            "  {} ({}) -> {}: {} rows, {} missing, {} dangling ({:.2}%{}); children per parent: \
             median {}, max {}, {} parents with none",
            reference.from,
            reference.columns.join(", "),
            reference.to,
            reference.rows,
            reference.missing,
            reference.dangling,
            100.0 * reference.dangling_rate(),
            if reference.dangling_examples.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} distinct values, most often {}",
                    reference.dangling_values,
                    reference
                        .dangling_examples
                        .iter()
                        .map(|(value, rows)| format!("{value} ({rows})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            reference.median_children,
            reference.max_children,
            reference.childless_parents
        );
    }
    for reference in &report.references {
        if reference.resolves_none {
            println!(
                "  warning: no reference from {} ({}) resolves in {}: check that both sides \
                 hold the same values (the same codes, the same type)",
                reference.from,
                reference.columns.join(", "),
                reference.to
            );
        }
    }
    for sequence in &report.sequences {
        println!(
            "sequence {}: {} entities, rows per entity min {}, median {}, max {}",
            sequence.table,
            sequence.entities,
            sequence.length_min,
            sequence.length_median,
            sequence.length_max
        );
    }
    Ok(())
}

fn synth(request: &synthgate_engine::DatasetSynthRequest, json: bool, quiet: bool) -> Result<()> {
    let mut events = SpinnerEvents::start(quiet, "reading");
    let outcome = synthgate_engine::dataset_synth(request, &mut events);
    drop(events);
    let outcome = outcome?;
    if json {
        let text = serde_json::to_string_pretty(&outcome)
            .map_err(|error| Error::internal(format!("the outcome does not serialise: {error}")))?;
        println!("{text}");
        return Ok(());
    }
    for table in &outcome.tables {
        println!(
            "  {:<24} {:>10} rows (real {:>10})  {}",
            table.name,
            table.rows,
            table.real_rows,
            table.path.display()
        );
    }
    if !quiet {
        for note in &outcome.notes {
            println!("  note: {note}");
        }
    }
    Ok(())
}

fn propose(
    tables: &[String],
    na: &[String],
    out: &Option<std::path::PathBuf>,
    force: bool,
    quiet: bool,
) -> Result<()> {
    let request = synthgate_engine::DatasetProposeRequest {
        tables: tables
            .iter()
            .map(|table| match table.split_once('=') {
                Some((name, path)) if !name.is_empty() && !name.contains(['/', '\\']) => {
                    (Some(name.to_string()), path.into())
                }
                _ => (None, table.into()),
            })
            .collect(),
        na: na.to_vec(),
        out: out.clone(),
        force,
    };
    let mut events = SpinnerEvents::start(quiet, "reading");
    let outcome = synthgate_engine::dataset_propose(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    match &outcome.written {
        Some(path) => println!(
            "wrote {}: a draft to confirm ({} candidate keys and references, {} sequence(s) \
             found)",
            path.display(),
            outcome.proposals.len(),
            outcome.sequences.len()
        ),
        None => print!("{}", outcome.dataset_toml),
    }
    Ok(())
}
