//! `evaluate`: score a synthetic table against real train and holdout tables, into
//! `report.json` and `report.html`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result, Seed};
use synthgate_eval::{EvaluationConfig, Report};
use synthgate_io::{check_output_path, sha256_file, write_bytes_atomically};
use synthgate_profile::profile;

use crate::input::{InputOptions, load_schema, overwrite, read};
use crate::{API_VERSION, Events};

/// Score a synthetic table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// The real rows the generator was fitted on.
    pub train: PathBuf,
    /// Real rows the generator never saw.
    pub holdout: PathBuf,
    /// The synthetic rows.
    pub synthetic: PathBuf,
    /// How to read all three (the schema, when given, applies to all; else it is inferred
    /// from the train table).
    #[serde(default)]
    pub input: InputOptions,
    /// The column utility metrics predict; without it they are skipped.
    #[serde(default)]
    pub target: Option<String>,
    /// Sensitive attributes for subgroup fidelity.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// Groups with fewer training rows are suppressed.
    #[serde(default = "default_min_group_rows")]
    pub min_group_rows: usize,
    /// The column the inference attack guesses (default: every column in turn).
    #[serde(default)]
    pub secret: Option<String>,
    /// Targets of the linkability and inference attacks, each side (default 2,000).
    #[serde(default = "default_attacks")]
    pub attacks: usize,
    /// The seed of every sample, fold and resample.
    #[serde(default)]
    pub seed: u64,
    /// Bootstrap resamples per interval.
    #[serde(default = "default_resamples")]
    pub resamples: usize,
    /// The report folder (`report.json`, `report.html`).
    pub out: PathBuf,
    /// Replace existing report files.
    #[serde(default)]
    pub force: bool,
}

fn default_min_group_rows() -> usize {
    EvaluationConfig::default().min_group_rows
}

fn default_resamples() -> usize {
    EvaluationConfig::default().resamples
}

fn default_attacks() -> usize {
    EvaluationConfig::default().attacks
}

/// The report made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluateOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The report (as written to `report.json`).
    pub report: Report,
    /// `report.json`.
    pub report_path: PathBuf,
    /// `report.html`.
    pub html_path: PathBuf,
}

/// Evaluate `request.synthetic` against `request.train` and `request.holdout` and write the
/// report folder. Output paths are checked first; the folder is created only once the
/// evaluation succeeded, so a failed one leaves nothing behind.
pub fn evaluate(request: &EvaluateRequest, events: &mut dyn Events) -> Result<EvaluateOutcome> {
    let overwrite = overwrite(request.force);
    if request.out.is_file() {
        return Err(Error::usage("--out must be a folder, and this is a file.")
            .at(Location::file(&request.out)));
    }
    let report_path = request.out.join("report.json");
    let html_path = request.out.join("report.html");
    if request.out.exists() {
        check_output_path(&report_path, overwrite)?;
        check_output_path(&html_path, overwrite)?;
    }

    let given = request
        .input
        .schema
        .as_deref()
        .map(load_schema)
        .transpose()?;
    let (train, _) = read(&request.train, &request.input, given.as_ref(), events)?;
    let schema = match given {
        Some(schema) => schema,
        None => profile(&train.table, None, &train.info.na_tokens).to_schema()?,
    };
    let (holdout, _) = read(&request.holdout, &request.input, Some(&schema), events)?;
    let (synthetic, _) = read(&request.synthetic, &request.input, Some(&schema), events)?;
    let digests = [
        sha256_file(&train.info.path)?,
        sha256_file(&holdout.info.path)?,
        sha256_file(&synthetic.info.path)?,
    ];
    if digests[0] == digests[1] {
        return Err(Error::input(
            "the holdout file is the train file (same bytes): a holdout must be real rows the \
             generator never saw.",
        )
        .at(Location::file(&request.holdout)));
    }
    let config = EvaluationConfig {
        seed: Seed(request.seed),
        resamples: request.resamples,
        target: request.target.clone(),
        sensitive: request.sensitive.clone(),
        min_group_rows: request.min_group_rows,
        secret: request.secret.clone(),
        link_columns: None,
        attacks: request.attacks,
        privacy: true,
    };
    let paths = [&train, &holdout, &synthetic].map(|d| d.info.path.display().to_string());
    let scored = [&train, &holdout, &synthetic]
        .into_iter()
        .enumerate()
        .map(|(at, dataset)| crate::memory::Scored {
            table: &dataset.table,
            source: &paths[at],
            sha256: &digests[at],
        })
        .collect::<Vec<_>>();
    let report = crate::memory::evaluate_tables(
        [scored[0], scored[1], scored[2]],
        Some(&schema),
        &train.info.na_tokens,
        &config,
        events,
    )?;
    write_report(&report, &request.out, overwrite)?;
    Ok(EvaluateOutcome {
        api_version: API_VERSION,
        report,
        report_path,
        html_path,
    })
}

/// Write `report.json` and `report.html` into `folder`, creating it if needed.
fn write_report(report: &Report, folder: &Path, overwrite: synthgate_io::Overwrite) -> Result<()> {
    let text = synthgate_core::canonical::to_json_pretty(report, "report.json")?;
    if !folder.exists() {
        std::fs::create_dir(folder)
            .map_err(|error| synthgate_io::io_error(folder, "create the report folder", &error))?;
    }
    write_bytes_atomically(&folder.join("report.json"), overwrite, &text)?;
    write_bytes_atomically(
        &folder.join("report.html"),
        overwrite,
        synthgate_eval::html::render(report).as_bytes(),
    )
}
