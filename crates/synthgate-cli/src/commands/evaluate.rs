//! `synthgate evaluate`: score a synthetic table against real train and holdout tables.

use std::path::{Path, PathBuf};

use synthgate_core::{Error, Result};
use synthgate_engine::{CompareRequest, EvaluateRequest, NamedSynthetic};

use synthgate_engine::types::number;

use crate::args::EvaluateArgs;
use crate::commands::input;
use crate::progress::SpinnerEvents;

/// A `--synthetic` value: `NAME=FILE` where the part before the first `=` is a name (letters,
/// digits, `-`, `_`, `.`) and the whole is no existing file; otherwise a file, named after its
/// stem.
fn named(value: &str) -> NamedSynthetic {
    if let Some((name, path)) = value.split_once('=')
        && !name.is_empty()
        && !path.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !Path::new(value).exists()
    {
        return NamedSynthetic {
            name: name.to_string(),
            path: PathBuf::from(path),
        };
    }
    let path = PathBuf::from(value);
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    NamedSynthetic { name, path }
}

pub(crate) fn run(args: &EvaluateArgs, quiet: bool) -> Result<()> {
    let synthetic: Vec<NamedSynthetic> = args.synthetic.iter().map(|v| named(v)).collect();
    let first = synthetic
        .first()
        .cloned()
        .ok_or_else(|| Error::usage("--synthetic is required."))?;
    let request = EvaluateRequest {
        train: args.train.clone(),
        holdout: args.holdout.clone(),
        synthetic: first.path,
        input: input(&args.input),
        target: args.target.clone(),
        sensitive: args.sensitive.clone(),
        min_group_rows: usize::try_from(args.min_group_rows).unwrap_or(usize::MAX),
        secret: args.secret.clone(),
        attacks: usize::try_from(args.attacks).unwrap_or(usize::MAX),
        seed: args.seed,
        resamples: usize::try_from(args.resamples).unwrap_or(usize::MAX),
        out: args.out.clone(),
        force: args.force,
    };
    if synthetic.len() > 1 {
        return compare(CompareRequest::from_options(request, synthetic), quiet);
    }
    let mut events = SpinnerEvents::start(quiet, "evaluating");
    let outcome = synthgate_engine::evaluate(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    let report = &outcome.report;
    println!(
        "{:<34} {:>9} {:>21} {:>9}  status",
        "metric", "value", "95% interval", "holdout"
    );
    for metric in &report.metrics {
        let interval = match (metric.ci_low, metric.ci_high) {
            (Some(low), Some(high)) => format!("[{}, {}]", number(low), number(high)),
            _ => String::new(),
        };
        let reference = metric.holdout_reference.map(number).unwrap_or_default();
        println!(
            "{:<34} {:>9} {:>21} {:>9}  {}",
            metric.id,
            number(metric.value),
            interval,
            reference,
            synthgate_engine::types::status(metric).label()
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if !quiet {
        eprintln!(
            "wrote {} and {}",
            outcome.report_path.display(),
            outcome.html_path.display()
        );
    }
    Ok(())
}

/// Several tables: the comparison, and a summary with a column per table.
fn compare(request: CompareRequest, quiet: bool) -> Result<()> {
    let mut events = SpinnerEvents::start(quiet, "evaluating");
    let outcome = synthgate_engine::compare(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    let comparison = &outcome.comparison;
    let mut heading = format!("{:<34} {:>9}", "metric", "holdout");
    for table in &comparison.tables {
        heading.push_str(&format!(" {:>12}", table));
    }
    println!("{heading}  significant (better first)");
    for metric in &comparison.metrics {
        let mut line = format!(
            "{:<34} {:>9}",
            metric.id,
            metric.holdout_reference.map(number).unwrap_or_default()
        );
        for score in &metric.scores {
            let value = match score {
                Some(score) => score.value.map_or_else(|| "n/a".into(), number),
                None => "-".into(),
            };
            line.push_str(&format!(" {value:>12}"));
        }
        let said: Vec<String> = metric
            .differences
            .iter()
            .map(|d| match &d.better {
                Some(better) if *better == d.higher => format!("{} > {}", d.higher, d.lower),
                Some(_) => format!("{} < {}", d.lower, d.higher),
                None => format!("{} > {} (informational)", d.higher, d.lower),
            })
            .collect();
        println!("{line}  {}", said.join("; "));
    }
    if !quiet {
        eprintln!(
            "wrote {}",
            outcome
                .written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
