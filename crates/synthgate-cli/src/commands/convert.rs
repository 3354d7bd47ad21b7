//! `synthgate convert`: read a table, write it as CSV or Parquet.

use synthgate_core::Result;
use synthgate_engine::ConvertRequest;

use crate::args::ConvertArgs;
use crate::commands::input;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &ConvertArgs, quiet: bool) -> Result<()> {
    let request = ConvertRequest {
        data: args.data.clone(),
        input: input(&args.input),
        out: args.out.clone(),
        force: args.force,
    };
    let mut events = SpinnerEvents::start(quiet, "converting");
    let outcome = synthgate_engine::convert(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    if !quiet {
        eprintln!(
            "wrote {} rows x {} columns to {}",
            outcome.rows,
            outcome.columns,
            outcome.out.display()
        );
    }
    Ok(())
}
