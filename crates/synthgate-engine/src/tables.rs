//! `inspect` (profile a table, optionally write its schema) and `convert` (rewrite a table as
//! CSV or Parquet).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::Result;
use synthgate_io::{Format, check_output_path, write_bytes_atomically, write_table};
use synthgate_profile::{Profile, profile};

use crate::input::{InputOptions, overwrite, read};
use crate::{API_VERSION, Events};

/// Profile a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectRequest {
    /// The table (CSV or Parquet).
    pub data: PathBuf,
    /// How to read it.
    #[serde(default)]
    pub input: InputOptions,
    /// Where to write the inferred schema (TOML), if anywhere.
    #[serde(default)]
    pub schema_out: Option<PathBuf>,
    /// Replace an existing schema file.
    #[serde(default)]
    pub force: bool,
    /// Mark the written schema's domains public (`public_domains = true`): the user vouches
    /// that its bounds, categories, decimals and point masses are public knowledge, which a
    /// differentially private fit requires.
    #[serde(default)]
    pub public_domains: bool,
}

/// What profiling found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The file read.
    pub file: PathBuf,
    /// `csv` or `parquet`.
    pub format: &'static str,
    /// The CSV delimiter used.
    pub delimiter: Option<u8>,
    /// The file's size.
    pub bytes: u64,
    /// The profile.
    pub profile: Profile,
    /// Where the schema was written, if asked.
    pub schema_written: Option<PathBuf>,
}

/// Profile `request.data`; with `schema_out`, write the schema it implies. The output path is
/// checked before the table is read.
pub fn inspect(request: &InspectRequest, events: &mut dyn Events) -> Result<InspectOutcome> {
    let overwrite = overwrite(request.force);
    if let Some(path) = &request.schema_out {
        check_output_path(path, overwrite)?;
    }
    let (dataset, schema) = read(&request.data, &request.input, None, events)?;
    events.step("profiling");
    let profile = profile(&dataset.table, schema.as_ref(), &dataset.info.na_tokens);
    if let Some(path) = &request.schema_out {
        let schema = if request.public_domains {
            profile.to_public_schema()?
        } else {
            profile.to_schema()?
        };
        write_bytes_atomically(path, overwrite, schema.to_toml().as_bytes())?;
    }
    Ok(InspectOutcome {
        api_version: API_VERSION,
        file: dataset.info.path.clone(),
        format: dataset.info.format.name(),
        delimiter: dataset.info.delimiter,
        bytes: dataset.info.bytes,
        profile,
        schema_written: request.schema_out.clone(),
    })
}

/// Rewrite a table as CSV or Parquet (by the output's extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// The table to read.
    pub data: PathBuf,
    /// How to read it.
    #[serde(default)]
    pub input: InputOptions,
    /// The file to write (`.csv` or `.parquet`).
    pub out: PathBuf,
    /// Replace an existing file.
    #[serde(default)]
    pub force: bool,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConvertOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// Rows written.
    pub rows: usize,
    /// Columns written.
    pub columns: usize,
    /// Where.
    pub out: PathBuf,
}

/// Convert `request.data` into `request.out`. The output path is checked before the (possibly
/// long) read, so a bad path fails at once.
pub fn convert(request: &ConvertRequest, events: &mut dyn Events) -> Result<ConvertOutcome> {
    Format::from_path(&request.out)?;
    let overwrite = overwrite(request.force);
    check_output_path(&request.out, overwrite)?;
    let (dataset, _) = read(&request.data, &request.input, None, events)?;
    events.step("writing");
    write_table(&dataset.table, &request.out, overwrite)?;
    Ok(ConvertOutcome {
        api_version: API_VERSION,
        rows: dataset.table.num_rows(),
        columns: dataset.table.num_columns(),
        out: request.out.clone(),
    })
}
