//! The command line, as clap definitions only; each verb's handler lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str = "Synthetic data you can release: generate, evaluate, govern.";

const LONG_ABOUT: &str = "\
Synthgate turns a sensitive table into a synthetic dataset that can be released: made by a named \
synthesizer from a hashed source, scored by a standard evaluation harness, held to a written \
policy, signed off and reproducible byte for byte.

Start by profiling your data:

    synthgate inspect data.csv --schema-out schema.toml

then correct the schema (types, privacy roles) and pass it to later commands with --schema.";

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 internal error (a bug), 2 usage error, 3 input data or spec error, \
4 policy gate failed, 5 verification failed, 6 environment error (unwritable path, full disk).";

/// The `synthgate` command line.
#[derive(Debug, Parser)]
#[command(
    name = "synthgate",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    arg_required_else_help = true,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Print nothing but results and errors: no progress bars, no notes.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Profile a table: types, meaning, privacy roles, missing values, ranges.
    #[command(long_about = INSPECT_ABOUT)]
    Inspect(InspectArgs),
    /// Convert a table between CSV and Parquet (by the output's extension).
    #[command(long_about = CONVERT_ABOUT)]
    Convert(ConvertArgs),
}

const INSPECT_ABOUT: &str = "\
Profile a table: for each column its storage type, semantic type (continuous, integer, \
categorical, ordinal code, boolean, datetime, date, identifier, free text, constant), privacy \
role (direct identifier, quasi-identifier, sensitive, none), missing values, cardinality, range, \
quantiles and most frequent values.

With --schema-out, write the inferred schema as editable TOML. Correct a type or a role there and \
pass the file to any later command with --schema; `inspect --schema` shows the profile under your \
corrections.

Examples:
    synthgate inspect adult.csv --na '?'
    synthgate inspect flights.parquet --json > profile.json
    synthgate inspect data.csv --schema-out schema.toml";

const CONVERT_ABOUT: &str = "\
Read a table (CSV or Parquet, with the same type inference and missing-value handling as every \
other command) and write it as CSV or Parquet, chosen by the output's extension. The output is \
written to a temporary file and renamed into place, so it is never half-written.

Examples:
    synthgate convert data.csv --out data.parquet
    synthgate convert data.parquet --out data.csv --force";

/// How to read an input table; shared by every verb that reads data.
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// Also read this text as a missing value (repeatable), e.g. --na '?' for UCI files.
    /// Defaults always apply: empty, NA, N/A, null, NULL, NaN (any letter case).
    #[arg(long = "na", value_name = "TOKEN")]
    pub(crate) na: Vec<String>,

    /// A schema file (from `inspect --schema-out`) fixing each column's types and role.
    #[arg(long, value_name = "SCHEMA.toml")]
    pub(crate) schema: Option<PathBuf>,

    /// The CSV delimiter, instead of detecting it: ',', ';', 'tab' or any single character.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err("give one ASCII character, or 'tab'".to_string()),
    }
}

/// `synthgate inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The table to profile (.csv, .tsv or .parquet).
    #[arg(value_name = "DATA")]
    pub(crate) data: PathBuf,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// Write the schema (types, roles, bounds, missing-value tokens) as editable TOML.
    #[arg(long, value_name = "FILE")]
    pub(crate) schema_out: Option<PathBuf>,

    /// Print the profile as JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,

    /// Replace the --schema-out file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `synthgate convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The table to read (.csv, .tsv or .parquet).
    #[arg(value_name = "DATA")]
    pub(crate) data: PathBuf,

    #[command(flatten)]
    pub(crate) input: DataArgs,

    /// Where to write (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// Replace the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}
