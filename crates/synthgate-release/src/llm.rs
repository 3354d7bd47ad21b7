//! Prompt-based generation as a pipeline synthesizer: the `[llm]` generation spec run against
//! the pipeline's schema (its columns must be the source's), with real seed rows drawn from the
//! training split when `examples.from_training` is set, its request log kept for the bundle,
//! and its yield and leakage reported as gateable metrics (`llm.*`).
//!
//! The bundle gets the log with every real row replaced by a keyed digest
//! ([`synthgate_llm::redact`]); the full log, which a replay needs, and the key stay in the
//! operator's workspace ([`FullLogs`]), found by the digest of the bundle's log.

use std::path::{Path, PathBuf};

use synthgate_core::{Error, Result, Schema, Table};
use synthgate_eval::{Metric, MetricKind, metric_kind};
use synthgate_llm::redact::{ROW_KEY_BYTES, RowKey, redact_log};
use synthgate_llm::spec::ColumnType;
use synthgate_llm::{GenerateSpec, Generation, RunOptions, generate};

/// A finished prompt-based generation and its log.
#[derive(Debug)]
pub struct LlmRun {
    /// The records and the summary.
    pub generation: Generation,
    /// The full request log (JSON lines), real seed rows and all: kept in the operator's
    /// workspace, never in a bundle.
    pub log: String,
    /// The log as `log/generation.jsonl` publishes it: every real row replaced by its keyed
    /// digest (the full log when no real row was shown, or when replaying without a key).
    pub published: String,
    /// How many real rows were replaced in `published`.
    pub replaced: usize,
}

/// Where a prompt-based run's generation log comes from or goes.
#[derive(Debug, Clone, Copy)]
pub enum GenerationLog<'a> {
    /// Every response comes from this (full) log instead of the server: how `verify
    /// --reproduce` re-derives such a release.
    Replay(&'a Path),
    /// A new log, written as a scratch file in `scratch` (removed afterwards; its text is kept
    /// in the release), published with real rows replaced by digests under `key`.
    In {
        /// The folder of the scratch file.
        scratch: &'a Path,
        /// The key of the row digests.
        key: &'a RowKey,
    },
}

/// What the operator's workspace keeps for prompt-based releases whose bundle log had real rows
/// replaced: the key of the row digests (made once) and each full log, named by the SHA-256 of
/// the bundle's `log/generation.jsonl` (so a bundle finds its own, wherever it was moved).
/// Both are secrets, written readable by their owner only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullLogs {
    /// The folder of the full logs.
    pub folder: PathBuf,
    /// The key file (hex, as the operator key is).
    pub key: PathBuf,
}

impl FullLogs {
    /// The folder of the full logs, in a workspace.
    pub const FOLDER: &str = "generation-logs";
    /// The key file, in a workspace.
    pub const KEY_FILE: &str = "row-digest.key";

    /// Where a workspace whose folder is `home` keeps them.
    pub fn in_workspace(home: &Path) -> FullLogs {
        FullLogs {
            folder: home.join(Self::FOLDER),
            key: home.join(Self::KEY_FILE),
        }
    }

    /// Where the full log of a bundle whose log has digest `bundle_log_sha256` is kept.
    pub fn path(&self, bundle_log_sha256: &str) -> PathBuf {
        self.folder.join(format!("{bundle_log_sha256}.jsonl"))
    }

    /// Keep `full`, the full log of a bundle log with digest `bundle_log_sha256`; returns the
    /// path when it was written now (`None`: it was already there, from the same run).
    pub fn keep(&self, bundle_log_sha256: &str, full: &str) -> Result<Option<PathBuf>> {
        crate::withheld::keep_once(&self.folder, &self.path(bundle_log_sha256), full.as_bytes())
    }

    /// The key of the row digests.
    pub fn load_key(&self) -> Result<RowKey> {
        let text = std::fs::read_to_string(&self.key).map_err(|error| {
            Error::usage(format!("the row-digest key cannot be read: {error}."))
                .at(synthgate_core::Location::file(&self.key))
        })?;
        let line = text
            .lines()
            .find(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let mut bytes = [0u8; ROW_KEY_BYTES];
        let parsed = line.len() == 2 * ROW_KEY_BYTES
            && bytes.iter_mut().enumerate().all(|(i, slot)| {
                line.get(2 * i..2 * i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .map(|b| *slot = b)
                    .is_some()
            });
        if !parsed {
            return Err(Error::usage(format!(
                "this is not a synthgate row-digest key ({} hex digits).",
                2 * ROW_KEY_BYTES
            ))
            .at(synthgate_core::Location::file(&self.key)));
        }
        Ok(RowKey::from_bytes(bytes))
    }

    /// The key of the row digests, made from `entropy` on first use (never overwritten).
    pub fn key(&self, entropy: &synthgate_core::Entropy) -> Result<RowKey> {
        if !self.key.exists() {
            let mut bytes = [0u8; ROW_KEY_BYTES];
            entropy.fill(&mut bytes)?;
            let key = RowKey::from_bytes(bytes);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let text = format!(
                "# synthgate row-digest key (HMAC-SHA256 of real rows in published generation \
                 logs); keep it private. id {}\n{hex}\n",
                key.id()
            );
            if let Some(parent) = self.key.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|error| synthgate_io::io_error(parent, "create the folder", &error))?;
            }
            match synthgate_io::write_secret_atomically(&self.key, text.as_bytes()) {
                Ok(()) => {}
                // Another run made it at the same moment: use that one.
                Err(_) if self.key.exists() => {}
                Err(error) => return Err(error),
            }
        }
        self.load_key()
    }
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
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<LlmRun> {
    check_columns(spec, schema)?;
    static SCRATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let (replay, scratch, key) = match log {
        GenerationLog::Replay(path) => (Some(path), path.to_path_buf(), None),
        GenerationLog::In { scratch, key } => (
            None,
            scratch.join(format!(
                "synthgate-llm-{}-{}.jsonl",
                std::process::id(),
                SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
            Some(key),
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
    let (published, replaced) = match key {
        Some(key) => {
            let redacted = redact_log(&text, &spec.columns, &generation.real_rows, key)?;
            (redacted.text, redacted.replaced)
        }
        None => (text.clone(), 0),
    };
    Ok(LlmRun {
        generation,
        log: text,
        published,
        replaced,
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
