//! Prompt-based generation as a pipeline synthesizer: the `[llm]` generation spec run against
//! the pipeline's schema (its columns must be the source's), with real seed rows drawn from the
//! training split when `examples.from_training` is set, its request log kept for the bundle,
//! and its yield and leakage reported as gateable metrics (`llm.*`).

use synthgate_core::{Error, Result, Schema, Table};
use synthgate_eval::{Metric, MetricKind, metric_kind};
use synthgate_llm::spec::ColumnType;
use synthgate_llm::{GenerateSpec, Generation, RunOptions, generate};

/// A finished prompt-based generation and its log.
#[derive(Debug)]
pub struct LlmRun {
    /// The records and the summary.
    pub generation: Generation,
    /// The request log (JSON lines), for `log/generation.jsonl`.
    pub log: String,
}

/// Where a prompt-based run's generation log comes from or goes.
#[derive(Debug, Clone, Copy)]
pub enum GenerationLog<'a> {
    /// Every response comes from this log instead of the server: how `verify --reproduce`
    /// re-derives such a release.
    Replay(&'a std::path::Path),
    /// A new log, written as a scratch file in this folder (removed afterwards; its text is
    /// kept in the release).
    In(&'a std::path::Path),
}

/// The generator version a prompt-based release records: the Synthgate version and the
/// derivation of the data from the logged responses. "protect-1": the records pass through the
/// training rows' codecs (privacy protections) before release. A bundle recording another
/// derivation is refused by `verify --reproduce`, naming both, instead of a false mismatch.
pub fn generator_version() -> String {
    format!(
        "llm {} protect-1 codec-{}",
        env!("CARGO_PKG_VERSION"),
        synthgate_synth::codec::CODEC_VERSION
    )
}

/// Check that the generation spec's columns are the schema's, with numeric columns numeric.
fn check_columns(spec: &GenerateSpec, schema: &Schema) -> Result<()> {
    let missing: Vec<&str> = schema
        .columns
        .iter()
        .filter(|c| !spec.columns.iter().any(|g| g.name == c.name))
        .map(|c| c.name.as_str())
        .collect();
    let extra: Vec<&str> = spec
        .columns
        .iter()
        .filter(|g| schema.column(&g.name).is_none())
        .map(|g| g.name.as_str())
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(Error::spec(format!(
            "the [[llm.columns]] must be the source's columns (evaluation compares them): \
             missing {:?}, not in the source {:?}.",
            missing, extra
        ))
        .hint(
            "List every source column in [[llm.columns]], or pick source columns with \
               source.columns = [...].",
        ));
    }
    for column in &spec.columns {
        let semantic = schema.column(&column.name).map(|c| c.semantic);
        if semantic.map(metric_kind) == Some(MetricKind::Numerical)
            && !matches!(column.kind, ColumnType::Integer | ColumnType::Number)
        {
            return Err(Error::spec(format!(
                "[[llm.columns]] '{}' is numeric in the source; give it type = \"integer\" or \
                 \"number\".",
                column.name
            )));
        }
    }
    Ok(())
}

/// Run `spec` for a pipeline whose schema is `schema` and training rows `train`. With `replay`
/// (a log), every response comes from it and the server is not contacted.
pub fn generate_for_pipeline(
    spec: &GenerateSpec,
    schema: &Schema,
    train: &Table,
    log: GenerationLog<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<LlmRun> {
    check_columns(spec, schema)?;
    static SCRATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let (replay, scratch) = match log {
        GenerationLog::Replay(path) => (Some(path), path.to_path_buf()),
        GenerationLog::In(folder) => (
            None,
            folder.join(format!(
                "synthgate-llm-{}-{}.jsonl",
                std::process::id(),
                SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
        ),
    };
    let log = scratch.as_path();
    let generation = generate(
        spec,
        &RunOptions {
            log,
            resume: false,
            overwrite_log: true,
            replay_only: replay.is_some(),
            seed_rows: spec.examples.from_training.then_some(train),
        },
        &mut |done, total| {
            progress(&format!(
                "generating with the language model: {done}/{total}"
            ))
        },
    );
    let text = std::fs::read_to_string(log).unwrap_or_default();
    if replay.is_none() {
        let _ = std::fs::remove_file(&scratch);
    }
    let generation = generation?;
    if generation.records.is_empty() {
        return Err(Error::input(format!(
            "the language model produced no record that passed the checks ({} responses; \
             rejects {:?}).",
            generation.summary.responses, generation.summary.rejects
        )));
    }
    Ok(LlmRun {
        generation,
        log: text,
    })
}

fn plain(id: &str, value: f64, definition: &str, details: serde_json::Value) -> Metric {
    Metric {
        details,
        ..Metric::new(id, value, definition)
    }
}

/// The run's gateable metrics: yield and the leakage checks (0 when no real rows were shown).
/// Their rows in the metric table (`synthgate_core::metrics`, family `llm`) give their bands
/// and gate bounds.
pub fn metrics(run: &LlmRun) -> Vec<Metric> {
    summary_metrics(&run.generation.summary)
}

fn summary_metrics(summary: &synthgate_llm::generate::Summary) -> Vec<Metric> {
    let leakage = summary.leakage.clone();
    let of = |f: fn(&synthgate_llm::check::Leakage) -> usize| {
        leakage.as_ref().map_or(0.0, |l| f(l) as f64)
    };
    let details = serde_json::to_value(&leakage).unwrap_or_default();
    vec![
        plain(
            "llm.yield",
            summary.yield_share,
            "Records produced per response (valid and distinct / responses used).",
            serde_json::json!({"rejects": summary.rejects, "responses": summary.responses}),
        ),
        plain(
            "llm.exact_seed_copies",
            of(|l| l.exact_copies),
            "Generated records equal, on every column (text normalised), to a real seed row or \
             example.",
            details.clone(),
        ),
        plain(
            "llm.near_seed_copies",
            of(|l| l.near_copies),
            "Generated records equal to a real seed row or example on every column but one.",
            details.clone(),
        ),
        plain(
            "llm.max_verbatim_overlap",
            of(|l| l.max_verbatim_overlap),
            "The longest common substring, in characters, between a generated text value and \
             a real one of the same column.",
            details.clone(),
        ),
        plain(
            "llm.pii_records",
            of(|l| l.pii_records),
            "Generated records whose free text holds an e-mail address, phone number, US SSN, \
             card-like number or IPv4 address pattern.",
            details,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use synthgate_core::metrics::{Family, TABLE};
    use synthgate_llm::check::{Diversity, Leakage};
    use synthgate_llm::generate::{Summary, Usage};

    use super::*;

    /// Every metric a prompt-based run reports has exactly one row of the metric table, and
    /// every `llm` row is reported.
    #[test]
    fn every_generation_metric_has_one_row_and_every_row_is_reported() {
        let summary = Summary {
            records_requested: 10,
            records_produced: 8,
            responses: 10,
            replayed: 0,
            yield_share: 0.8,
            rejects: BTreeMap::new(),
            schema_rejects_by_column: BTreeMap::new(),
            usage: Usage::default(),
            diversity: Diversity {
                distinct_values: BTreeMap::new(),
                distinct_bigram_share: BTreeMap::new(),
            },
            leakage: Some(Leakage {
                real_rows: 3,
                exact_copies: 1,
                near_copies: 2,
                max_verbatim_overlap: 30,
                pii_records: 0,
                pii_hits: BTreeMap::new(),
            }),
            model: serde_json::Value::Null,
            reproducibility: "archived",
        };
        let reported = summary_metrics(&summary);
        for metric in &reported {
            let rows: Vec<&str> = TABLE
                .iter()
                .filter(|row| row.matches(&metric.id))
                .map(|row| row.id)
                .collect();
            assert_eq!(rows.len(), 1, "{} matches the rows {rows:?}", metric.id);
        }
        for row in TABLE.iter().filter(|row| row.family == Family::Llm) {
            assert!(
                reported.iter().any(|metric| row.matches(&metric.id)),
                "the row {} is reported by no generation",
                row.id
            );
        }
        let value = |id: &str| reported.iter().find(|m| m.id == id).map(|m| m.value);
        assert_eq!(value("llm.near_seed_copies"), Some(2.0));
        assert_eq!(value("llm.max_verbatim_overlap"), Some(30.0));
    }
}
