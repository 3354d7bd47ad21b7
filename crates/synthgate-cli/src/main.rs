//! The `synthgate` binary: the command line of the library crate.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = synthgate_cli::main_with_args(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
