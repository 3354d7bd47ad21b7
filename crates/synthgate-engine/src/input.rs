//! Reading a table as a request asks: the options every verb that reads one shares.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result, Schema};
use synthgate_io::{Dataset, Overwrite, ReadOptions, read_table};

use crate::{Events, Progress, Unit};

/// How to read an input table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputOptions {
    /// Extra missing-value tokens, beside the built-in ones (`NA`, `null`, empty, ...).
    #[serde(default)]
    pub na: Vec<String>,
    /// A schema file (`synthgate inspect --schema-out`) to read the table under, instead of
    /// inferring one.
    #[serde(default)]
    pub schema: Option<PathBuf>,
    /// The CSV delimiter byte, instead of detecting it.
    #[serde(default)]
    pub delimiter: Option<u8>,
}

/// Read a schema file.
pub fn load_schema(path: &Path) -> Result<Schema> {
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

/// Read the table at `path` as `options` say (under `schema` when one is given, else under
/// the options' schema file), reporting bytes read to `events`. Returns the table and the
/// schema it was read under, if any.
pub(crate) fn read(
    path: &Path,
    options: &InputOptions,
    schema: Option<&Schema>,
    events: &mut dyn Events,
) -> Result<(Dataset, Option<Schema>)> {
    let loaded = match schema {
        Some(_) => None,
        None => options.schema.as_deref().map(load_schema).transpose()?,
    };
    let schema = schema.or(loaded.as_ref());
    events.step(&format!("reading {}", path.display()));
    let events: &dyn Events = events;
    let report = |done: u64, total: u64| {
        events.progress(Progress {
            done,
            total,
            unit: Unit::Bytes,
        });
    };
    let read_options = ReadOptions {
        extra_na_tokens: options.na.clone(),
        schema,
        delimiter: options.delimiter,
        progress: Some(&report),
    };
    let dataset = read_table(path, &read_options)?;
    Ok((dataset, schema.cloned()))
}

/// `--force` as an [`Overwrite`].
pub(crate) fn overwrite(force: bool) -> Overwrite {
    if force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    }
}
