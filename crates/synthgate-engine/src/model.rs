//! `fit` (a table into a model file), `sample` (a model file into rows) and the synthesizer
//! listing.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result, Seed};
use synthgate_io::{Format, check_output_path, write_bytes_atomically, write_table};
use synthgate_synth::{DEFAULT_SYNTHESIZER, Model, PrivacyStatement, Synthesizers};

use crate::input::{InputOptions, overwrite, read};
use crate::memory::{PrivacyBudget, ProtectionOptions, default_synthesizer};
use crate::{API_VERSION, Events};

/// Fit a synthesizer to a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// The training table.
    pub data: PathBuf,
    /// How to read it.
    #[serde(default)]
    pub input: InputOptions,
    /// The synthesizer's name (see [`synthesizers`]).
    #[serde(default = "default_synthesizer")]
    pub synthesizer: String,
    /// Synthesizer parameters, as name and value text.
    #[serde(default)]
    pub parameters: Vec<(String, String)>,
    /// The seed.
    #[serde(default)]
    pub seed: u64,
    /// Privacy protections.
    #[serde(default)]
    pub protections: ProtectionOptions,
    /// The model file to write.
    pub out: PathBuf,
    /// Replace an existing model file.
    #[serde(default)]
    pub force: bool,
    /// The privacy budget of a differentially private fit (synthesizer `mst`).
    #[serde(default)]
    pub privacy: Option<PrivacyBudget>,
}

/// What a fit made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The synthesizer fitted.
    pub synthesizer: String,
    /// Training rows.
    pub rows: usize,
    /// Training columns.
    pub columns: usize,
    /// The model file written.
    pub out: PathBuf,
    /// What the fit wants the user to know (columns left out, categories pooled).
    pub warnings: Vec<String>,
    /// The differential-privacy statement of a DP fit.
    pub privacy: Option<PrivacyStatement>,
}

/// Fit `request.synthesizer` to `request.data` and write the model file. The synthesizer, its
/// parameters and the output path are checked before the table is read. A differentially
/// private fit draws its noise from `entropy` (the operating system's, in every front end).
pub fn fit(
    request: &FitRequest,
    entropy: &synthgate_core::Entropy,
    events: &mut dyn Events,
) -> Result<FitOutcome> {
    let options = crate::memory::FitOptions {
        synthesizer: request.synthesizer.clone(),
        parameters: request.parameters.clone(),
        seed: request.seed,
        protections: request.protections,
        privacy: request.privacy,
        schema: None,
    };
    // The synthesizer, its parameters and budget, then the output path, before the table.
    crate::memory::check_fit(&options)?;
    let overwrite = overwrite(request.force);
    check_output_path(&request.out, overwrite)?;
    let (dataset, schema) = read(&request.data, &request.input, None, events)?;
    let options = crate::memory::FitOptions { schema, ..options };
    let model = crate::memory::fit_table(
        &dataset.table,
        &dataset.info.na_tokens,
        &options,
        entropy,
        events,
    )?;
    write_bytes_atomically(&request.out, overwrite, &model.to_bytes())?;
    Ok(FitOutcome {
        api_version: API_VERSION,
        synthesizer: model.synthesizer().to_string(),
        rows: dataset.table.num_rows(),
        columns: dataset.table.num_columns(),
        out: request.out.clone(),
        warnings: model.warnings().to_vec(),
        privacy: model.privacy().cloned(),
    })
}

/// Sample rows from a model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// The model file (`fit`'s output).
    pub model: PathBuf,
    /// Rows to sample.
    pub rows: u64,
    /// Fixed values (column, value) every sampled row must have.
    #[serde(default)]
    pub conditions: Vec<(String, String)>,
    /// The seed (default: the model's own).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The table to write (`.csv` or `.parquet`).
    pub out: PathBuf,
    /// Replace an existing file.
    #[serde(default)]
    pub force: bool,
}

/// What was sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// Rows written.
    pub rows: usize,
    /// The model's synthesizer.
    pub synthesizer: String,
    /// The seed used.
    pub seed: u64,
    /// Where.
    pub out: PathBuf,
}

/// Sample `request.rows` rows from `request.model` into `request.out`.
pub fn sample(request: &SampleRequest, events: &mut dyn Events) -> Result<SampleOutcome> {
    Format::from_path(&request.out)?;
    let overwrite = overwrite(request.force);
    check_output_path(&request.out, overwrite)?;
    let bytes = std::fs::read(&request.model).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => "the model file does not exist.".to_string(),
            _ => format!("the model file could not be read: {error}."),
        };
        Error::input(message)
            .at(Location::file(&request.model))
            .hint("Write one with `synthgate fit DATA --out MODEL`.")
    })?;
    let model = Model::from_bytes(&bytes, &request.model)?;
    let rows = usize::try_from(request.rows)
        .map_err(|_| Error::usage("--rows is larger than this machine can address."))?;
    let seed = request.seed.map_or(model.seed(), Seed);
    let table =
        crate::memory::sample_table(&model, rows, Some(seed.0), &request.conditions, events)?;
    write_table(&table, &request.out, overwrite)?;
    Ok(SampleOutcome {
        api_version: API_VERSION,
        rows: table.num_rows(),
        synthesizer: model.synthesizer().to_string(),
        seed: seed.0,
        out: request.out.clone(),
    })
}

/// One synthesizer a fit can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynthesizerInfo {
    /// Its name.
    pub name: String,
    /// One line on what it does.
    pub summary: String,
    /// Whether a fit uses it when none is named.
    pub default: bool,
    /// Whether its models sample under fixed values.
    pub conditioning: bool,
    /// Whether it gives a differential-privacy guarantee.
    pub differential_privacy: bool,
    /// Whether it models several related tables.
    pub relations: bool,
}

/// The synthesizers a fit can use.
pub fn synthesizers() -> Vec<SynthesizerInfo> {
    Synthesizers::builtin()
        .iter()
        .map(|synthesizer| {
            let capabilities = synthesizer.capabilities();
            SynthesizerInfo {
                name: synthesizer.name().to_string(),
                summary: synthesizer.summary().to_string(),
                default: synthesizer.name() == DEFAULT_SYNTHESIZER,
                conditioning: capabilities.conditioning,
                differential_privacy: capabilities.differential_privacy,
                relations: capabilities.relations,
            }
        })
        .collect()
}
