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
    if args.out.exists() {
        check_output_path(&report_path, overwrite)?;
    }

    let given = args.input.schema.as_deref().map(load_schema).transpose()?;
    let train = read_with(&args.train, args, given.as_ref())?;
    let schema = match given {
        Some(schema) => schema,
        None => profile(&train.table, None, &train.info.na_tokens).to_schema()?,
    };
    let holdout = read_with(&args.holdout, args, Some(&schema))?;
    let synthetic = read_with(&args.synthetic, args, Some(&schema))?;

    let spinner = Spinner::start(quiet, "evaluating");
    let config = EvaluationConfig {
        seed: Seed(args.seed),
        resamples: usize::try_from(args.resamples).unwrap_or(50),
    };
    let prepared = prepare(
        &schema,
        &[
            (&train.table, "train"),
            (&holdout.table, "holdout"),
            (&synthetic.table, "synthetic"),
        ],
    )?;
    let metrics = evaluate(&prepared[0], &prepared[1], &prepared[2], &config)?;
    drop(spinner);

    let mut inputs = Vec::new();
    for (role, dataset) in [
        ("train", &train),
        ("holdout", &holdout),
        ("synthetic", &synthetic),
    ] {
        inputs.push(InputInfo {
            role,
            path: dataset.info.path.display().to_string(),
            sha256: sha256_file(&dataset.info.path)?,
            rows: dataset.table.num_rows(),
        });
    }
    let report = Report {
        format_version: 1,
        harness_version: synthgate_eval::HARNESS_VERSION,
        seed: args.seed,
        resamples: config.resamples,
        inputs,
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

    println!(
        "{:<30} {:>8} {:>19} {:>9}",
        "metric", "value", "95% interval", "holdout"
    );
    for metric in &report.metrics {
        let interval = match (metric.ci_low, metric.ci_high) {
            (Some(low), Some(high)) => format!("[{low:.4}, {high:.4}]"),
            _ => String::new(),
        };
        let reference = metric
            .holdout_reference
            .map(|r| format!("{r:.4}"))
            .unwrap_or_default();
        println!(
            "{:<30} {:>8.4} {:>19} {:>9}",
            metric.id, metric.value, interval, reference
        );
    }
    if !quiet {
        eprintln!("wrote {}", report_path.display());
    }
    Ok(())
}
