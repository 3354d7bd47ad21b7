//! `synthgate sample`: read a model file, sample rows, write them.

use synthgate_core::Result;
use synthgate_engine::SampleRequest;

use crate::args::SampleArgs;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &SampleArgs, quiet: bool) -> Result<()> {
    let request = SampleRequest {
        model: args.model.clone(),
        rows: args.rows,
        conditions: args.conditions.clone(),
        seed: args.seed,
        out: args.out.clone(),
        force: args.force,
    };
    let mut events = SpinnerEvents::start(quiet, "sampling");
    let outcome = synthgate_engine::sample(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    if !quiet {
        eprintln!(
            "sampled {} rows from '{}' (seed {}) into {}",
            outcome.rows,
            outcome.synthesizer,
            outcome.seed,
            outcome.out.display()
        );
    }
    Ok(())
}
