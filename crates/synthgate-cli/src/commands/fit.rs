//! `synthgate fit`: read a table, fit a synthesizer, save the model file.

use synthgate_core::Result;
use synthgate_engine::{FitRequest, ProtectionOptions};

use crate::args::FitArgs;
use crate::commands::input;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &FitArgs, quiet: bool) -> Result<()> {
    let request = FitRequest {
        data: args.data.clone(),
        input: input(&args.input),
        synthesizer: args.synthesizer.clone(),
        parameters: args.parameters.clone(),
        seed: args.seed,
        protections: ProtectionOptions {
            min_category_count: usize::try_from(args.min_category_count).unwrap_or(usize::MAX),
            tail_count: usize::try_from(args.tail_count).unwrap_or(usize::MAX),
        },
        out: args.out.clone(),
        force: args.force,
    };
    let mut events = SpinnerEvents::start(quiet, "fitting");
    let outcome = synthgate_engine::fit(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    if !quiet {
        for warning in &outcome.warnings {
            eprintln!("note: {warning}");
        }
        eprintln!(
            "fitted '{}' on {} rows x {} columns; model written to {}",
            outcome.synthesizer,
            outcome.rows,
            outcome.columns,
            outcome.out.display()
        );
    }
    Ok(())
}
