//! `evaluate`: score a synthetic table against real train and holdout tables, into
//! `report.json` and `report.html`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result, Schema, Seed};
use synthgate_eval::{EvaluationConfig, Report};
use synthgate_io::{Dataset, check_output_path, sha256_file, write_bytes_atomically};
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
    let (report_path, html_path) = report_paths(&request.out, overwrite)?;
    let report = score_request(request, events)?;
    write_report(&report, &request.out, overwrite)?;
    Ok(EvaluateOutcome {
        api_version: API_VERSION,
        report,
        report_path,
        html_path,
    })
}

/// `folder`'s `report.json` and `report.html`, checked as outputs (`folder` must not be a
/// file; existing reports only with `overwrite`).
fn report_paths(folder: &Path, overwrite: synthgate_io::Overwrite) -> Result<(PathBuf, PathBuf)> {
    if folder.is_file() {
        return Err(
            Error::usage("--out must be a folder, and this is a file.").at(Location::file(folder))
        );
    }
    let report_path = folder.join("report.json");
    let html_path = folder.join("report.html");
    if folder.exists() {
        check_output_path(&report_path, overwrite)?;
        check_output_path(&html_path, overwrite)?;
    }
    Ok((report_path, html_path))
}

/// The real tables of an evaluation, read once: train, holdout, the schema all tables are read
/// with, and the two files' digests.
struct Real {
    train: Dataset,
    holdout: Dataset,
    schema: Schema,
    digests: [String; 2],
}

/// Read `request`'s train and holdout tables (its synthetic one is not read).
fn read_real(request: &EvaluateRequest, events: &mut dyn Events) -> Result<Real> {
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
    let digests = [
        sha256_file(&train.info.path)?,
        sha256_file(&holdout.info.path)?,
    ];
    if digests[0] == digests[1] {
        return Err(Error::input(
            "the holdout file is the train file (same bytes): a holdout must be real rows the \
             generator never saw.",
        )
        .at(Location::file(&request.holdout)));
    }
    Ok(Real {
        train,
        holdout,
        schema,
        digests,
    })
}

/// Read the request's three tables and score them (nothing written).
fn score_request(request: &EvaluateRequest, events: &mut dyn Events) -> Result<Report> {
    let real = read_real(request, events)?;
    score_synthetic(&real, request, events)
}

/// Score `request.synthetic` against the real tables already read (nothing written).
fn score_synthetic(
    real: &Real,
    request: &EvaluateRequest,
    events: &mut dyn Events,
) -> Result<Report> {
    let (synthetic, _) = read(
        &request.synthetic,
        &request.input,
        Some(&real.schema),
        events,
    )?;
    let digests = [
        real.digests[0].clone(),
        real.digests[1].clone(),
        sha256_file(&synthetic.info.path)?,
    ];
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
    let tables = [&real.train, &real.holdout, &synthetic];
    let paths = tables.map(|d| d.info.path.display().to_string());
    let scored = tables
        .into_iter()
        .enumerate()
        .map(|(at, dataset)| crate::memory::Scored {
            table: &dataset.table,
            source: &paths[at],
            sha256: &digests[at],
        })
        .collect::<Vec<_>>();
    crate::memory::evaluate_tables(
        [scored[0], scored[1], scored[2]],
        Some(&real.schema),
        &real.train.info.na_tokens,
        &config,
        events,
    )
}

/// A synthetic table of a comparison, with the name its column and report folder take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedSynthetic {
    /// Letters, digits, `-`, `_` and `.` (not only dots), at most 64: a column heading and
    /// the folder of its report.
    pub name: String,
    /// The synthetic rows (CSV or Parquet, from any tool).
    pub path: PathBuf,
}

/// Score several synthetic tables against the same train and holdout with the same seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// The real rows the generators were fitted on.
    pub train: PathBuf,
    /// Real rows no generator saw.
    pub holdout: PathBuf,
    /// Two or more synthetic tables, each named.
    pub synthetic: Vec<NamedSynthetic>,
    /// How to read every table (as [`EvaluateRequest::input`]).
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
    /// The seed of every sample, fold and resample, the same for every table.
    #[serde(default)]
    pub seed: u64,
    /// Bootstrap resamples per interval.
    #[serde(default = "default_resamples")]
    pub resamples: usize,
    /// The folder: `comparison.json`, `.md`, `.tex` and `.html`, and each table's
    /// `report.json` and `report.html` in a folder named after it.
    pub out: PathBuf,
    /// Replace existing files.
    #[serde(default)]
    pub force: bool,
}

impl CompareRequest {
    /// Several tables compared with `options`' train, holdout and settings (its synthetic
    /// table is not used).
    pub fn from_options(options: EvaluateRequest, synthetic: Vec<NamedSynthetic>) -> Self {
        CompareRequest {
            train: options.train,
            holdout: options.holdout,
            synthetic,
            input: options.input,
            target: options.target,
            sensitive: options.sensitive,
            min_group_rows: options.min_group_rows,
            secret: options.secret,
            attacks: options.attacks,
            seed: options.seed,
            resamples: options.resamples,
            out: options.out,
            force: options.force,
        }
    }

    /// The request that scores `named` alone, its report in the folder named after it.
    fn one(&self, named: &NamedSynthetic) -> EvaluateRequest {
        EvaluateRequest {
            train: self.train.clone(),
            holdout: self.holdout.clone(),
            synthetic: named.path.clone(),
            input: self.input.clone(),
            target: self.target.clone(),
            sensitive: self.sensitive.clone(),
            min_group_rows: self.min_group_rows,
            secret: self.secret.clone(),
            attacks: self.attacks,
            seed: self.seed,
            resamples: self.resamples,
            out: self.out.join(&named.name),
            force: self.force,
        }
    }
}

/// The comparison made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The comparison (as written to `comparison.json`).
    pub comparison: synthgate_eval::compare::Comparison,
    /// The files written: the comparison's, then each table's reports.
    pub written: Vec<PathBuf>,
}

/// The comparison's own files in its folder.
const COMPARISON_FILES: [&str; 4] = [
    "comparison.json",
    "comparison.md",
    "comparison.tex",
    "comparison.html",
];

/// Score every synthetic table of `request` as [`evaluate`] does one (the same train, holdout,
/// schema, seed and resamples), then write each one's report and the comparison. Names and
/// output paths are checked first and nothing is written until every table is scored, so a
/// failure leaves nothing behind.
pub fn compare(request: &CompareRequest, events: &mut dyn Events) -> Result<CompareOutcome> {
    let overwrite = overwrite(request.force);
    if request.synthetic.len() < 2 {
        return Err(Error::usage(
            "a comparison needs two or more synthetic tables (--synthetic NAME=FILE, repeated).",
        ));
    }
    for (at, named) in request.synthetic.iter().enumerate() {
        let valid = !named.name.is_empty()
            && named.name.len() <= 64
            && named.name.chars().any(|c| c != '.')
            && named
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(Error::usage(format!(
                "the synthetic table name '{}' is not usable: a name takes letters, digits,                  '-', '_' and '.' (not only dots), at most 64.",
                named.name
            ))
            .hint("Name each table: --synthetic sdv=sdv.csv --synthetic ours=ours.parquet."));
        }
        if request.synthetic[..at].iter().any(|n| n.name == named.name) {
            return Err(Error::usage(format!(
                "the synthetic table name '{}' is given twice: each table needs its own name.",
                named.name
            ))
            .hint("Name each table: --synthetic sdv=sdv.csv --synthetic ours=ours.parquet."));
        }
    }
    if request.out.is_file() {
        return Err(Error::usage("--out must be a folder, and this is a file.")
            .at(Location::file(&request.out)));
    }
    let mut written: Vec<PathBuf> = COMPARISON_FILES
        .iter()
        .map(|name| request.out.join(name))
        .collect();
    if request.out.exists() {
        for path in &written {
            check_output_path(path, overwrite)?;
        }
    }
    for named in &request.synthetic {
        let (json, html) = report_paths(&request.out.join(&named.name), overwrite)?;
        written.extend([json, html]);
    }

    let mut reports: Vec<(String, Report)> = Vec::with_capacity(request.synthetic.len());
    let mut real = None;
    for named in &request.synthetic {
        let one = request.one(named);
        let real = match &real {
            Some(real) => real,
            None => real.insert(read_real(&one, events)?),
        };
        events.step(&format!("scoring {}", named.name));
        reports.push((named.name.clone(), score_synthetic(real, &one, events)?));
    }
    let comparison = synthgate_eval::compare::compare(&reports);

    if !request.out.exists() {
        std::fs::create_dir(&request.out).map_err(|error| {
            synthgate_io::io_error(&request.out, "create the comparison folder", &error)
        })?;
    }
    for (name, report) in &reports {
        write_report(report, &request.out.join(name), overwrite)?;
    }
    let json = synthgate_core::canonical::to_json_pretty(&comparison, "comparison.json")?;
    let texts = [
        json,
        synthgate_eval::compare::markdown(&comparison).into_bytes(),
        synthgate_eval::compare::latex(&comparison).into_bytes(),
        synthgate_eval::compare::html(&comparison).into_bytes(),
    ];
    for (name, bytes) in COMPARISON_FILES.iter().zip(texts) {
        write_bytes_atomically(&request.out.join(name), overwrite, &bytes)?;
    }
    Ok(CompareOutcome {
        api_version: API_VERSION,
        comparison,
        written,
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
