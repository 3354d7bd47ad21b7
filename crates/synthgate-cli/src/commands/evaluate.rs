//! `synthgate evaluate`: score a synthetic table against real train and holdout tables.

use std::path::Path;

use synthgate_core::{Error, Location, Result, Schema, Seed};
use synthgate_eval::{EvaluationConfig, InputInfo, Report, evaluate, prepare};
use synthgate_io::{
    Dataset, ReadOptions, check_output_path, read_table, sha256_file, write_bytes_atomically,
};
use synthgate_profile::profile;

use crate::args::EvaluateArgs;
use crate::commands::{load_schema, overwrite};
use crate::progress::Spinner;

fn read_with(path: &Path, args: &EvaluateArgs, schema: Option<&Schema>) -> Result<Dataset> {
    let options = ReadOptions {
        extra_na_tokens: args.input.na.clone(),
        schema,
        delimiter: args.input.delimiter,
        progress: None,
    };
    read_table(path, &options)
}

pub(crate) fn run(args: &EvaluateArgs, quiet: bool) -> Result<()> {
    let overwrite = overwrite(args.force);
    if args.out.is_file() {
        return Err(Error::usage("--out must be a folder, and this is a file.")
            .at(Location::file(&args.out)));
    }
    let report_path = args.out.join("report.json");
    let html_path = args.out.join("report.html");
    if args.out.exists() {
        check_output_path(&report_path, overwrite)?;
        check_output_path(&html_path, overwrite)?;
    }

    let given = args.input.schema.as_deref().map(load_schema).transpose()?;
    let train = read_with(&args.train, args, given.as_ref())?;
    let schema = match given {
        Some(schema) => schema,
        None => profile(&train.table, None, &train.info.na_tokens).to_schema()?,
    };
    let holdout = read_with(&args.holdout, args, Some(&schema))?;
    let synthetic = read_with(&args.synthetic, args, Some(&schema))?;
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
        .at(Location::file(&args.holdout)));
    }

    let spinner = Spinner::start(quiet, "evaluating");
    let config = EvaluationConfig {
        seed: Seed(args.seed),
        resamples: usize::try_from(args.resamples).unwrap_or(50),
        target: args.target.clone(),
        sensitive: args.sensitive.clone(),
        min_group_rows: usize::try_from(args.min_group_rows).unwrap_or(100),
        secret: args.secret.clone(),
        link_columns: None,
        privacy: true,
    };
    let prepared = prepare(
        &schema,
        &[
            (&train.table, "train"),
            (&holdout.table, "holdout"),
            (&synthetic.table, "synthetic"),
        ],
    )?;
    let (metrics, warnings) = evaluate(&prepared[0], &prepared[1], &prepared[2], &config)?;
    drop(spinner);

    let mut inputs = Vec::new();
    for ((role, dataset), sha256) in [
        ("train", &train),
        ("holdout", &holdout),
        ("synthetic", &synthetic),
    ]
    .into_iter()
    .zip(digests)
    {
        inputs.push(InputInfo {
            role,
            path: dataset.info.path.display().to_string(),
            sha256,
            rows: dataset.table.num_rows(),
        });
    }
    let report = Report {
        format_version: 1,
        harness_version: synthgate_eval::HARNESS_VERSION,
        seed: args.seed,
        resamples: config.resamples,
        target: config.target.clone(),
        sensitive: config.sensitive.clone(),
        inputs,
        warnings,
        metrics,
    };
    let mut text = serde_json::to_string_pretty(&report)
        .map_err(|error| Error::internal(format!("report serialisation failed: {error}")))?;
    text.push('\n');
    // The folder is made only now, so a failed evaluation leaves nothing behind.
    if !args.out.exists() {
        std::fs::create_dir(&args.out).map_err(|error| {
            synthgate_io::io_error(&args.out, "create the report folder", &error)
        })?;
    }
    write_bytes_atomically(&report_path, overwrite, text.as_bytes())?;
    write_bytes_atomically(
        &html_path,
        overwrite,
        synthgate_eval::html::render(&report).as_bytes(),
    )?;

    println!(
        "{:<34} {:>9} {:>21} {:>9}  status",
        "metric", "value", "95% interval", "holdout"
    );
    for metric in &report.metrics {
        let interval = match (metric.ci_low, metric.ci_high) {
            (Some(low), Some(high)) => format!("[{}, {}]", short(low), short(high)),
            _ => String::new(),
        };
        let reference = metric.holdout_reference.map(short).unwrap_or_default();
        println!(
            "{:<34} {:>9} {:>21} {:>9}  {}",
            metric.id,
            short(metric.value),
            interval,
            reference,
            synthgate_eval::html::status(metric).label()
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !quiet {
        eprintln!(
            "wrote {} and {}",
            report_path.display(),
            html_path.display()
        );
    }
    Ok(())
}

/// A number for the summary table: four decimals, one above 100 (the k-marginal score).
fn short(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.4}")
    }
}
