//! `synthgate inspect`: profile a table, print it, optionally write the schema.

use std::fmt::Write as _;

use serde::Serialize;
use synthgate_core::{Error, Result, SemanticType};
use synthgate_engine::types::{ColumnProfile, Profile};
use synthgate_engine::{InspectOutcome, InspectRequest};

use crate::args::InspectArgs;
use crate::commands::input;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &InspectArgs, quiet: bool) -> Result<()> {
    let request = InspectRequest {
        data: args.data.clone(),
        input: input(&args.input),
        schema_out: args.schema_out.clone(),
        force: args.force,
        public_domains: args.public_domains,
    };
    let mut events = SpinnerEvents::start(quiet, "inspecting");
    let outcome = synthgate_engine::inspect(&request, &mut events);
    drop(events);
    let outcome = outcome?;
    if args.json {
        println!("{}", to_json(&outcome)?);
    } else {
        print!("{}", render(&outcome));
    }
    if let Some(path) = &outcome.schema_written
        && !quiet
    {
        eprintln!("wrote schema to {}", path.display());
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: String,
    format: &'static str,
    delimiter: Option<String>,
    bytes: u64,
    #[serde(flatten)]
    profile: &'a Profile,
}

fn to_json(outcome: &InspectOutcome) -> Result<String> {
    let report = JsonReport {
        file: outcome.file.display().to_string(),
        format: outcome.format,
        delimiter: outcome.delimiter.map(|d| (d as char).to_string()),
        bytes: outcome.bytes,
        profile: &outcome.profile,
    };
    serde_json::to_string_pretty(&report)
        .map_err(|error| Error::internal(format!("profile serialisation failed: {error}")))
}

fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        other => format!("'{}'", other as char),
    }
}

fn percent(share: f64) -> String {
    let value = share * 100.0;
    if value > 0.0 && value < 0.1 {
        "<0.1%".into()
    } else {
        format!("{value:.1}%")
    }
}

fn summary(column: &ColumnProfile) -> String {
    let shown_values = |limit: usize| {
        column
            .top_values
            .iter()
            .take(limit)
            .map(|value| format!("{} {}", clip(&value.value, 16), percent(value.share)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match column.semantic {
        SemanticType::Identifier => match (&column.min, &column.max) {
            (Some(min), Some(max)) => format!("{min} .. {max}"),
            _ => format!(
                "e.g. {}",
                column.top_values.first().map_or("", |v| v.value.as_str())
            ),
        },
        SemanticType::Categorical
        | SemanticType::Boolean
        | SemanticType::OrdinalCode
        | SemanticType::Constant
            if !column.top_values.is_empty() =>
        {
            let mut text = shown_values(3);
            if column.distinct > 3 {
                text.push_str(", ...");
            }
            text
        }
        _ => match (&column.min, &column.quantiles, &column.max) {
            (Some(min), Some(quantiles), Some(max)) => {
                format!("{min} .. {} .. {max}", quantiles.p50)
            }
            _ => String::new(),
        },
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}~")
    }
}

fn thousands(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The profile as a table for people.
fn render(outcome: &InspectOutcome) -> String {
    let profile = &outcome.profile;
    let mut out = String::new();
    let format = match outcome.delimiter {
        Some(delimiter) => format!("CSV, {}", delimiter_name(delimiter)),
        None => "Parquet".to_string(),
    };
    let tokens: Vec<String> = profile
        .na_tokens
        .iter()
        .map(|token| format!("{token:?}"))
        .collect();
    // Writing into a String cannot fail.
    let _ = writeln!(
        out,
        "{}: {} rows x {} columns ({format}, {} bytes); missing-value tokens: {}",
        outcome.file.display(),
        thousands(profile.rows),
        profile.columns.len(),
        thousands(outcome.bytes as usize),
        tokens.join(" ")
    );
    let name_width = profile
        .columns
        .iter()
        .map(|column| column.name.chars().count().min(28))
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:<13}  {:<12}  {:<17}  {:>14}  {:>8}  summary (min .. median .. max, or top values)",
        "column", "storage", "semantic", "role", "missing", "distinct"
    );
    for column in &profile.columns {
        let missing = format!(
            "{} ({})",
            thousands(column.missing),
            percent(column.missing_share)
        );
        let mut semantic = column.semantic.to_string();
        if column.high_cardinality {
            semantic.push('*');
        }
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<13}  {:<12}  {:<17}  {:>14}  {:>8}  {}",
            clip(&column.name, 28),
            column.storage.name(),
            semantic,
            column.role.name(),
            missing,
            thousands(column.distinct),
            summary(column)
        );
    }
    if profile.columns.iter().any(|column| column.high_cardinality) {
        let _ = writeln!(
            out,
            "\n* high cardinality: more than {} distinct values",
            synthgate_engine::types::HIGH_CARDINALITY
        );
    }
    out
}
