//! One module per verb; shared helpers for reading inputs.

pub(crate) mod approve;
pub(crate) mod audit;
pub(crate) mod convert;
pub(crate) mod drift;
pub(crate) mod evaluate;
pub(crate) mod fit;
pub(crate) mod generate;
pub(crate) mod inspect;
pub(crate) mod keygen;
pub(crate) mod registry;
pub(crate) mod run;
pub(crate) mod sample;
pub(crate) mod synthesizers;
pub(crate) mod verify;
mod workspace;

use std::path::Path;

use synthgate_core::{Error, Location, Result, Schema};
use synthgate_io::{Dataset, Overwrite, ReadOptions, read_table};

use crate::args::DataArgs;
use crate::progress::Progress;

/// Read a schema file.
pub(crate) fn load_schema(path: &Path) -> Result<Schema> {
    let text = std::fs::read(path).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => "the schema file does not exist.".to_string(),
            _ => format!("the schema file could not be read: {error}."),
        };
        Error::spec(message)
            .at(Location::file(path))
            .hint("Write one with `synthgate inspect DATA --schema-out FILE`.")
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| Error::spec("the schema file is not UTF-8 text.").at(Location::file(path)))?;
    Schema::from_toml(&text, path)
}

/// `--force` as an [`Overwrite`].
pub(crate) fn overwrite(force: bool) -> Overwrite {
    if force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    }
}

/// Read the table at `path` as `input` says, with a progress bar.
pub(crate) fn read_input(
    path: &Path,
    input: &DataArgs,
    quiet: bool,
) -> Result<(Dataset, Option<Schema>)> {
    let schema = input.schema.as_deref().map(load_schema).transpose()?;
    let progress = Progress::new(quiet, "reading", true);
    let report = |done: u64, total: u64| progress.update(done, total);
    let options = ReadOptions {
        extra_na_tokens: input.na.clone(),
        schema: schema.as_ref(),
        delimiter: input.delimiter,
        progress: Some(&report),
    };
    let dataset = read_table(path, &options);
    progress.finish();
    Ok((dataset?, schema))
}
