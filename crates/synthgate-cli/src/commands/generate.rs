//! `synthgate generate`: records from a language model, checked, deduplicated and logged.

use synthgate_core::Result;
use synthgate_engine::GenerateRequest;

use crate::args::GenerateArgs;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &GenerateArgs, quiet: bool) -> Result<()> {
    let request = GenerateRequest {
        spec: args.spec.clone(),
        out: args.out.clone(),
        log: args.log.clone(),
        resume: args.resume,
        force: args.force,
        summary: args.summary.clone(),
    };
    let mut events = SpinnerEvents::start(quiet, "generating");
    let outcome = synthgate_engine::generate(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    let summary = &outcome.summary;
    let log = &outcome.log;
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
            outcome.max_attempts
        );
    }
    Ok(())
}
