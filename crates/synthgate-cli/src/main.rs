//! The `synthgate` binary: a thin layer that parses the command line, calls the library crates
//! and turns their errors into the exit codes of DESIGN.md.

mod args;
mod commands;
mod help;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn run(cli: &Cli) -> synthgate_core::Result<()> {
    match &cli.command {
        Command::Inspect(args) => commands::inspect::run(args, cli.quiet),
        Command::Convert(args) => commands::convert::run(args, cli.quiet),
        Command::Fit(args) => commands::fit::run(args, cli.quiet),
        Command::Sample(args) => commands::sample::run(args, cli.quiet),
        Command::Synthesizers(args) => commands::synthesizers::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args, cli.quiet),
        Command::Generate(args) => commands::generate::run(args, cli.quiet),
        Command::Run(args) => commands::run::run(args, cli.quiet),
        Command::Verify(args) => commands::verify::run(args, cli.quiet),
        Command::Drift(args) => commands::drift::run(args, cli.quiet),
        Command::Keygen(args) => commands::keygen::run(args),
        Command::Approve(args) => commands::approve::run(args),
        Command::Registry(args) => commands::registry::run(args),
        Command::Audit(args) => commands::audit::run(args, cli.quiet),
        Command::Dataset(args) => commands::dataset::run(args, cli.quiet),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "internal error (this is a bug in Synthgate; please report it with the command you \
             ran): {info}"
        );
    }));
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("{error}");
            ExitCode::from(error.kind().exit_code() as u8)
        }
        Err(_) => ExitCode::from(1),
    }
}
