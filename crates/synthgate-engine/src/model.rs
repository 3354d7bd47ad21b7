//! `fit` (a table into a model file), `sample` (a model file into rows) and the synthesizer
//! listing.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result, Seed};
use synthgate_io::{Format, check_output_path, write_bytes_atomically, write_table};
use synthgate_profile::profile;
use synthgate_synth::{
    DEFAULT_SYNTHESIZER, DpConfig, EntropyNoise, FitConfig, Model, PrivacyStatement, Protections,
    Synthesizers, fit_dp,
};

use crate::input::{InputOptions, overwrite, read};
use crate::{API_VERSION, Events, cancelled};

/// The privacy protections a fit applies (the same for `fit` and a pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionOptions {
    /// Categories held by fewer training rows are not reproduced as such (default 10).
    pub min_category_count: usize,
    /// Numeric values are clipped to the `tail_count`-th smallest and largest training value
    /// (default 10), so extremes held by fewer rows are never reproduced.
    pub tail_count: usize,
}

impl Default for ProtectionOptions {
    fn default() -> ProtectionOptions {
        let defaults = Protections::default();
        ProtectionOptions {
            min_category_count: defaults.min_category_count,
            tail_count: defaults.tail_count,
        }
    }
}

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

/// The (ε, δ) a differentially private fit may spend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyBudget {
    /// ε.
    pub epsilon: f64,
    /// δ (default 1e-9).
    #[serde(default = "default_delta")]
    pub delta: f64,
}

/// The δ a DP fit uses unless told otherwise: far below one over any table's row count.
pub const DEFAULT_DELTA: f64 = 1e-9;

fn default_delta() -> f64 {
    DEFAULT_DELTA
}

fn default_synthesizer() -> String {
    DEFAULT_SYNTHESIZER.to_string()
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
    let synthesizer =
        Synthesizers::builtin().configured(&request.synthesizer, &request.parameters)?;
    let private = synthesizer.capabilities().differential_privacy;
    match (private, request.privacy) {
        (true, None) => {
            return Err(Error::usage(format!(
                "synthesizer '{}' is differentially private: it needs a budget.",
                synthesizer.name()
            ))
            .hint("Give --epsilon (such as 1) and, if not 1e-9, --delta."));
        }
        (false, Some(_)) => {
            return Err(Error::usage(format!(
                "--epsilon is for a differentially private synthesizer, and '{}' is not one.",
                synthesizer.name()
            ))
            .hint("Use --synthesizer mst."));
        }
        _ => {}
    }
    let overwrite = overwrite(request.force);
    check_output_path(&request.out, overwrite)?;
    if let Some(budget) = request.privacy {
        // Checked before the table is read.
        check_budget(budget)?;
    }
    let (dataset, schema) = read(&request.data, &request.input, None, events)?;
    let model = if let Some(budget) = request.privacy {
        let Some(schema) = schema else {
            return Err(Error::usage(
                "a differentially private fit needs a schema with public domains (--schema); one inferred from the data would leak it.",
            )
            .hint(
                "Write one with `synthgate inspect DATA --public-domains --schema-out FILE` after checking that its bounds and categories are public knowledge.",
            ));
        };
        events.step(&format!(
            "fitting {} at ε = {}",
            synthesizer.name(),
            budget.epsilon
        ));
        let config = DpConfig {
            epsilon: budget.epsilon,
            delta: budget.delta,
            seed: Seed(request.seed),
            noise_source: "the operating system's CSPRNG",
        };
        let mut noise = EntropyNoise::new(*entropy);
        fit_dp(
            &dataset.table,
            &schema,
            &config,
            &mut noise,
            &mut |_| Ok(()),
        )?
    } else {
        let schema = match schema {
            Some(schema) => schema,
            None => profile(&dataset.table, None, &dataset.info.na_tokens).to_schema()?,
        };
        if events.cancelled() {
            return Err(cancelled());
        }
        let config = FitConfig {
            seed: Seed(request.seed),
            protections: Protections {
                min_category_count: request.protections.min_category_count,
                tail_count: request.protections.tail_count,
            },
        };
        events.step(&format!("fitting {}", synthesizer.name()));
        synthgate_synth::fit(&dataset.table, &schema, synthesizer.as_ref(), &config)?
    };
    if events.cancelled() {
        return Err(cancelled());
    }
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

/// ε and δ in range, before any work.
fn check_budget(budget: PrivacyBudget) -> Result<()> {
    if !(budget.epsilon.is_finite() && budget.epsilon > 0.0) {
        return Err(Error::usage(format!(
            "--epsilon must be a number above 0, not {}.",
            budget.epsilon
        ))
        .hint("Typical values are 0.1 to 10; smaller is more private and less accurate."));
    }
    if !(budget.delta > 0.0 && budget.delta < 1e-3) {
        return Err(Error::usage(format!(
            "--delta must be above 0 and below 0.001, not {}.",
            budget.delta
        ))
        .hint("δ bounds the chance the guarantee fails; keep it far below 1/rows, such as 1e-9."));
    }
    Ok(())
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
    let conditions = model.conditions(&request.conditions)?;
    events.step(&format!("sampling {rows} rows"));
    let table = model.sample_where(rows, seed, &conditions)?;
    if events.cancelled() {
        return Err(cancelled());
    }
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
