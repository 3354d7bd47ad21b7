//! The `synthgate` command line: a thin layer that parses the command line, calls the library
//! crates and turns their errors into the exit codes of DESIGN.md. The binary (`main.rs`) and
//! the Python package's `synthgate` console script both call [`main_with_args`].

mod args;
mod commands;
mod help;
mod progress;

use std::ffi::OsString;

use clap::Parser;

use crate::args::{Cli, Command};

fn run(cli: &Cli) -> synthgate_core::Result<()> {
    let registry = cli.registry.as_deref();
    match &cli.command {
        Command::Inspect(args) => commands::inspect::run(args, cli.quiet),
        Command::Convert(args) => commands::convert::run(args, cli.quiet),
        Command::Fit(args) => commands::fit::run(args, cli.quiet),
        Command::Sample(args) => commands::sample::run(args, cli.quiet),
        Command::Synthesizers(args) => commands::synthesizers::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args, cli.quiet),
        Command::Generate(args) => commands::generate::run(args, cli.quiet),
        Command::Run(args) => commands::run::run(args, cli.quiet, registry),
        Command::Verify(args) => commands::verify::run(args, cli.quiet, registry),
        Command::Drift(args) => commands::drift::run(args, cli.quiet, registry),
        Command::Keygen(args) => commands::keygen::run(args),
        Command::Approve(args) => commands::approve::run(args, registry),
        Command::Registry(args) => commands::registry::run(args, registry),
        Command::Audit(args) => commands::audit::run(args, cli.quiet, registry),
        Command::Serve(args) => commands::serve::run(args, registry),
        Command::Dataset(args) => commands::dataset::run(args, cli.quiet),
    }
}

/// Run the command line `args` (the program's name first) and return its exit code: the
/// usage text or a clap error printed as clap prints them, an error printed with its kind's
/// code, a panic reported as an internal error (1).
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version print to standard output and succeed; usage errors fail.
            let _ = error.print();
            return error.exit_code();
        }
    };
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "internal error (this is a bug in Synthgate; please report it with the command you \
             ran): {info}"
        );
    }));
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(())) => 0,
        Ok(Err(error)) => {
            eprintln!("{error}");
            error.kind().exit_code()
        }
        Err(_) => 1,
    }
}
