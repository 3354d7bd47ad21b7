//! The one engine under every Synthgate front end (the CLI and the Python package today; the
//! HTTP service next): each verb of a governed release is one function here that takes a
//! plain-data request and returns a plain-data outcome, so every front end exposes the same
//! thing under the same names.
//!
//! - [`Context`] is what a request runs in: the [`Workspace`] (audit log, registry, operator
//!   key) and the [`Clock`] reading of "now". Front ends build it; nothing below this crate
//!   reads the wall clock or environment variables.
//! - [`Events`] carries progress out of long requests and cancellation in, the same way for
//!   every front end.
//! - The verbs on tables: [`inspect`] (profile), [`convert`], [`fit`], [`sample`],
//!   [`synthesizers`], [`evaluate`] and [`generate`] (a language model); on tables in memory
//!   (the Python package's frames) [`fit_table`], [`sample_table`], [`evaluate_tables`] and
//!   [`profile_schema`], which the file verbs call; the verbs of a governed
//!   release: [`run`] (a pipeline into a bundle), [`verify`], [`approve`], [`drift`],
//!   [`keygen`], the registry look-ups ([`registry_list`], [`registry_show`],
//!   [`registry_lineage`]) and [`audit_verify`]; on a dataset of several tables,
//!   [`dataset_check`]. Each request and outcome type carries
//!   [`API_VERSION`] where it leaves the process.
//!
//! Invariants: a request that fails before its work starts writes nothing; a run's audit
//! entries are appended only once its bundle is in place, and a run that fails after it began
//! records one `failed` entry; the output of a run never replaces anything but a Synthgate
//! bundle, and never the run's own inputs.

#![warn(missing_docs)]

use serde::Serialize;

mod approve;
mod audit;
mod dataset;
mod drift;
mod evaluate;
mod generate;
mod input;
mod memory;
mod model;
mod paths;
mod registry;
mod run;
mod tables;
mod verify;
mod workspace;

pub use approve::{
    ApproveOutcome, ApproveRequest, DraftOutcome, DraftRequest, KeygenOutcome, approve,
    approve_signed, decision_draft, keygen,
};
pub use audit::{AuditReport, audit_record, audit_verify};
pub use dataset::{
    DatasetCheckOutcome, DatasetEntitiesOutcome, DatasetEntitiesRequest, DatasetProposeOutcome,
    DatasetProposeRequest, DatasetSynthOutcome, DatasetSynthRequest, SynthesizedTable,
    dataset_check, dataset_entities, dataset_propose, dataset_synth, load_dataset,
};
pub use drift::{DriftRequest, DriftRun, drift, drift_history};
pub use evaluate::{
    CompareOutcome, CompareRequest, EvaluateOutcome, EvaluateRequest, NamedSynthetic, compare,
    evaluate,
};
pub use generate::{GenerateOutcome, GenerateRequest, default_log, generate};
pub use input::{InputOptions, load_schema};
pub use memory::{
    DEFAULT_DELTA, FitOptions, PrivacyBudget, ProtectionOptions, Scored, evaluate_tables,
    fit_table, profile_schema, sample_table,
};
pub use model::{
    FitOutcome, FitRequest, SampleOutcome, SampleRequest, SynthesizerInfo, fit, sample,
    synthesizers,
};
pub use registry::{
    BudgetOutcome, Review, registry_budget, registry_decisions, registry_lineage, registry_list,
    registry_show, registry_withdraw, review,
};
pub use run::{RunOutcome, RunReads, RunRequest, run, run_admitted, run_reads};
pub use tables::{
    ConvertOutcome, ConvertRequest, InspectOutcome, InspectRequest, convert, inspect,
};
pub use verify::{TrustRequest, VerifyOutcome, VerifyRequest, verify};
pub use workspace::Workspace;

/// Reading and writing tables, for a front end that holds tables in memory (the Python
/// package): Synthgate's own reader and writers, and Arrow record batches converted to its
/// storage types.
pub mod io {
    pub use synthgate_io::{
        Dataset, NaTokens, Overwrite, ReadOptions, SourceInfo, parquet_bytes, read_table,
        sha256_bytes, table_from_arrow, write_table,
    };
}

/// The types the outcomes carry, from the crates below, so a front end needs no crate but
/// this one and `synthgate-core`.
pub mod types {
    pub use synthgate_eval::html::{
        Status, escape as escape_html, number, render as render_html, status,
    };
    pub use synthgate_eval::{EvaluationConfig, InputInfo, Metric, Report};
    pub use synthgate_llm::generate::Summary as GenerationSummary;
    pub use synthgate_profile::{ColumnProfile, HIGH_CARDINALITY, Profile};
    pub use synthgate_release::drift::ColumnDrift;
    pub use synthgate_release::keys::{Approval, ApprovalBody, fingerprint, parse_public};
    pub use synthgate_release::registry::ReleaseRow;
    pub use synthgate_release::{History, Revocation};
    pub use synthgate_synth::{DEFAULT_SYNTHESIZER, Model};
}

/// The version of the requests and outcomes of this crate, as the service and the Python
/// package expose them. It changes when a field changes meaning or goes away.
pub const API_VERSION: u32 = 1;

/// A reading of the clock, given by the front end: RFC 3339 in UTC, to the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    now: String,
}

impl Clock {
    /// The clock at `seconds` after the Unix epoch.
    pub fn at_unix_seconds(seconds: i64) -> Clock {
        Clock {
            now: synthgate_core::text::format_timestamp(seconds.saturating_mul(1_000_000), true),
        }
    }

    /// The reading as RFC 3339 text.
    pub fn now(&self) -> &str {
        &self.now
    }
}

/// What a request runs in.
#[derive(Debug, Clone)]
pub struct Context {
    /// The workspace: audit log, registry, operator key.
    pub workspace: Workspace,
    /// The time every record of the request carries.
    pub clock: Clock,
    /// A folder for scratch files (a prompt-based run's log before it joins the bundle), given
    /// by the front end (the CLI: the system's temporary folder).
    pub scratch: std::path::PathBuf,
    /// Secret randomness (new keys), given by the front end (the CLI: the operating system's).
    pub entropy: synthgate_core::Entropy,
}

/// What a counted piece of work counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    /// Bytes (of a file being read).
    Bytes,
    /// Items of the named kind (e.g. `"records"`).
    Items(&'static str),
}

/// How far a counted piece of work of the current step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
    /// What is counted.
    pub unit: Unit,
}

/// Progress out of a long request, cancellation into it. Shared across the threads of a
/// request (a file is read in parallel), hence `Sync` and `progress` taking `&self`.
pub trait Events: Sync {
    /// A step starts (e.g. "fitting").
    fn step(&mut self, name: &str);
    /// The current step's counted work has advanced (bytes read, records made).
    fn progress(&self, _progress: Progress) {}
    /// Something worth telling the user that is not a result (a key was made, a torn log line
    /// was cut off).
    fn note(&mut self, _text: &str) {}
    /// Whether the caller wants the request stopped; checked between steps. A cancelled
    /// request writes nothing.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Events nobody listens to.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Events for Silent {
    fn step(&mut self, _name: &str) {}
}

/// A language-model server's base URL as the client calls it (`/v1` appended unless there),
/// to compare one with a list of allowed servers.
pub fn llm_base(base_url: &str) -> String {
    synthgate_llm::url::normalise_base(base_url)
}

/// A language-model server's URL as it may be shown: without credentials.
pub fn llm_display(base_url: &str) -> String {
    synthgate_llm::url::display_url(base_url)
}

/// The message of a cancelled request's error.
const CANCELLED: &str = "the request was cancelled; nothing was written.";

/// The error of a cancelled request.
fn cancelled() -> synthgate_core::Error {
    synthgate_core::Error::usage(CANCELLED)
}

/// Whether `error` is the one a request stopped by its caller ends with ([`Events::cancelled`]),
/// not a failure: the same kind and the same whole message, not a message that mentions it.
pub fn is_cancellation(error: &synthgate_core::Error) -> bool {
    error.kind() == synthgate_core::ErrorKind::Usage && error.message() == CANCELLED
}

/// Tell `events` that step `name` starts, and stop the work (with [`cancelled`]'s error) if
/// the caller has asked for that: the progress callback the pipelines call between steps.
fn step(events: &mut dyn Events, name: &str) -> synthgate_core::Result<()> {
    events.step(name);
    if events.cancelled() {
        Err(cancelled())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cancellation is told apart by its kind and whole message, so a failure whose message
    /// mentions a cancellation (a spec naming a column "cancelled") is still a failure.
    #[test]
    fn only_the_cancelled_error_is_a_cancellation() {
        assert!(is_cancellation(&cancelled()));
        assert!(!is_cancellation(&synthgate_core::Error::spec(CANCELLED)));
        assert!(!is_cancellation(&synthgate_core::Error::usage(
            "column 'cancelled' is not in the table."
        )));
    }
}
