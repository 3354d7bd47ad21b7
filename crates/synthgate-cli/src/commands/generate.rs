//! `synthgate generate`: records from a language model, checked, deduplicated and logged.

use std::path::PathBuf;

use synthgate_core::{Error, Result};
use synthgate_io::{Overwrite, write_bytes_atomically, write_table};
use synthgate_llm::{GenerateSpec, RunOptions, generate};

use crate::args::GenerateArgs;
use crate::progress::Progress;

/// The default log path: OUT with `.generation.jsonl` appended.
fn default_log(out: &std::path::Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".generation.jsonl");
    PathBuf::from(name)
}

pub(crate) fn run(args: &GenerateArgs, quiet: bool) -> Result<()> {
    let spec = GenerateSpec::load(&args.spec)?;
    let overwrite = if args.force || args.resume {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    if args.out.exists() && overwrite == Overwrite::Refuse {
        return Err(Error::usage(format!(
            "{} exists; pass --force to replace it (or --resume to continue its run).",
            args.out.display()
        )));
    }
    let log = args.log.clone().unwrap_or_else(|| default_log(&args.out));
    if args.resume && !log.exists() {
        return Err(Error::usage(format!(
            "--resume needs the log of the run to continue, and {} does not exist.",
            log.display()
        )));
    }
    let progress = Progress::new(quiet, "records", false);
    let result = generate(
        &spec,
        &RunOptions {
            log: &log,
            resume: args.resume,
            overwrite_log: args.force,
            replay_only: false,
            seed_rows: None,
        },
        &mut |done, total| progress.update(done as u64, total as u64),
    );
    progress.finish();
    let generation = result.map_err(|error| {
        if log.exists() {
            let hint = format!(
                "The log {} keeps every response received; fix the cause and rerun with \
                 --resume to continue without asking again.",
                log.display()
            );
            error.hint(hint)
        } else {
            error
        }
    })?;
    let summary = &generation.summary;
    if generation.records.is_empty() {
        return Err(Error::input(format!(
            "no response passed the checks ({} responses; rejects: {:?}); nothing was written.",
            summary.responses, summary.rejects
        ))
        .hint(format!(
            "Read the log {} for the raw responses; a larger max_tokens, a clearer prompt or \
             examples usually help.",
            log.display()
        )));
    }
    write_table(&generation.table, &args.out, overwrite)?;
    if let Some(path) = &args.summary {
        let mut text = serde_json::to_string_pretty(summary)
            .map_err(|e| Error::internal(format!("serialising failed: {e}")))?;
        text.push('\n');
        write_bytes_atomically(path, overwrite, text.as_bytes())?;
    }
    println!(
        "{} of {} records -> {} ({} responses, {} replayed from the log; yield {:.2}; \
         tokens {} prompt + {} completion)",
        summary.records_produced,
        summary.records_requested,
        args.out.display(),
        summary.responses,
        summary.replayed,
        summary.yield_share,
        summary.usage.prompt_tokens,
        summary.usage.completion_tokens
    );
    if !summary.rejects.is_empty() {
        let rejects: Vec<String> = summary
            .rejects
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        println!("  rejected: {}", rejects.join(", "));
    }
    let distinct: Vec<String> = summary
        .diversity
        .distinct_values
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!("  distinct values: {}", distinct.join(", "));
    for (column, share) in &summary.diversity.distinct_bigram_share {
        println!("  {column}: distinct word bigrams {share:.2}");
    }
    if let Some(leak) = &summary.leakage {
        println!(
            "  leakage vs {} real rows: {} exact copies, {} near copies, longest verbatim \
             overlap {} characters, {} records with PII patterns",
            leak.real_rows,
            leak.exact_copies,
            leak.near_copies,
            leak.max_verbatim_overlap,
            leak.pii_records
        );
    }
    println!("  log: {}", log.display());
    if summary.records_produced < summary.records_requested {
        eprintln!(
            "warning: {} records could not be produced within max_attempts = {}",
            summary.records_requested - summary.records_produced,
            spec.generation.max_attempts
        );
    }
    Ok(())
}
