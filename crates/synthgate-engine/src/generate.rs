//! `generate`: records from a language model, checked against the spec's columns, deduplicated
//! and logged, so a run can be resumed and re-derived from its log.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
use synthgate_io::{Overwrite, write_bytes_atomically, write_table};
use synthgate_llm::generate::Summary;
use synthgate_llm::{GenerateSpec, RunOptions};

use crate::{API_VERSION, Events, Progress, Unit};

/// Generate records with a language model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// The generation spec (TOML).
    pub spec: PathBuf,
    /// The table to write (`.csv` or `.parquet`).
    pub out: PathBuf,
    /// The JSON-lines log (default: OUT with `.generation.jsonl` appended).
    #[serde(default)]
    pub log: Option<PathBuf>,
    /// Continue the run in the log: its responses are replayed, not asked again.
    #[serde(default)]
    pub resume: bool,
    /// Replace the output and start a new log.
    #[serde(default)]
    pub force: bool,
    /// Where to write the run's summary (JSON), if anywhere.
    #[serde(default)]
    pub summary: Option<PathBuf>,
}

/// What a generation made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The table written.
    pub out: PathBuf,
    /// The log.
    pub log: PathBuf,
    /// What the run did.
    pub summary: Summary,
    /// The spec's `max_attempts` (why fewer records than asked may have been made).
    pub max_attempts: u32,
}

/// The default log path: OUT with `.generation.jsonl` appended.
pub fn default_log(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".generation.jsonl");
    PathBuf::from(name)
}

/// Run the generation `request.spec` describes. Nothing is written when no response passed
/// the checks; the log keeps every response received, so a failed run can be resumed.
pub fn generate(request: &GenerateRequest, events: &mut dyn Events) -> Result<GenerateOutcome> {
    let spec = GenerateSpec::load(&request.spec)?;
    let overwrite = if request.force || request.resume {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    if request.out.exists() && overwrite == Overwrite::Refuse {
        return Err(Error::usage(format!(
            "{} exists; pass --force to replace it (or --resume to continue its run).",
            request.out.display()
        )));
    }
    let log = request
        .log
        .clone()
        .unwrap_or_else(|| default_log(&request.out));
    if request.resume && !log.exists() {
        return Err(Error::usage(format!(
            "--resume needs the log of the run to continue, and {} does not exist.",
            log.display()
        )));
    }
    events.step("generating records");
    let result = synthgate_llm::generate(
        &spec,
        &RunOptions {
            log: &log,
            resume: request.resume,
            overwrite_log: request.force,
            replay_only: false,
            seed_rows: None,
        },
        &mut |done, total| {
            events.progress(Progress {
                done: done as u64,
                total: total as u64,
                unit: Unit::Items("records"),
            });
            if events.cancelled() {
                Err(crate::cancelled())
            } else {
                Ok(())
            }
        },
    );
    let generation = result.map_err(|error| {
        if log.exists() {
            let hint = format!(
                "The log {} keeps every response received; fix the cause and rerun with \
                 --resume to continue without asking again.",
                log.display()
            );
            error.hint(hint)
        } else {
            error
        }
    })?;
    let summary = generation.summary;
    if generation.records.is_empty() {
        return Err(Error::input(format!(
            "no response passed the checks ({} responses; rejects: {:?}); nothing was written.",
            summary.responses, summary.rejects
        ))
        .hint(format!(
            "Read the log {} for the raw responses; a larger max_tokens, a clearer prompt or \
             examples usually help.",
            log.display()
        )));
    }
    write_table(&generation.table, &request.out, overwrite)?;
    if let Some(path) = &request.summary {
        let text = synthgate_core::canonical::to_json_pretty(&summary, "the summary")?;
        write_bytes_atomically(path, overwrite, &text)?;
    }
    Ok(GenerateOutcome {
        api_version: API_VERSION,
        out: request.out.clone(),
        log,
        summary,
        max_attempts: spec.generation.max_attempts,
    })
}
