//! `synthgate evaluate`: score a synthetic table against real train and holdout tables.

use synthgate_core::Result;
use synthgate_engine::EvaluateRequest;

use crate::args::EvaluateArgs;
use crate::commands::input;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &EvaluateArgs, quiet: bool) -> Result<()> {
    let request = EvaluateRequest {
        train: args.train.clone(),
        holdout: args.holdout.clone(),
        synthetic: args.synthetic.clone(),
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

/// A number for the summary table: four decimals, one above 100 (the k-marginal score).
fn short(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.4}")
    }
}
