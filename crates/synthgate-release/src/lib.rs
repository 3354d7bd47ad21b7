//! Synthgate's governed releases: a pipeline spec run end to end (read, profile, seeded split,
//! fit, sample, evaluate, gate) into a release bundle whose every file is indexed by digest in
//! `manifest.json`, and the verification of such a bundle.
//!
//! - [`spec`]: `pipeline.toml`, checked with file and line in every error.
//! - [`gates`]: the policy's gates against the evaluation, into `policy/decision.json`.
//! - [`run`]: the pipeline, returning what the bundle holds; [`bundle`] writes it (to a
//!   temporary folder, renamed into place when complete) and [`verify`] checks it.
//!
//! Raw training and holdout rows never enter a bundle, but a hybrid release's declared real
//! training rows ([`hybrid`]: in its data file, marked in its origin file): only the data, the
//! evaluation, the policy decision, the generation log (a prompt-based run's with every real
//! seed row replaced by a keyed digest; the full log stays in the operator's workspace,
//! [`llm::FullLogs`]) and the manifest (source digest, row and column counts). A release whose
//! policy withholds the files computed from real rows (the report, the source profile: by
//! default when its environment is public) lists them in the manifest by digest only; the
//! workspace keeps them ([`withheld::Withheld`]).

#![warn(missing_docs)]
// The datasheet is one large `json!` literal.
#![recursion_limit = "256"]

pub mod audit;
pub mod augment;
pub mod bundle;
pub mod dataset;
pub mod datasheet;
pub mod drift;
pub mod gates;
pub mod hybrid;
pub mod keys;
pub mod layout;
pub mod llm;
pub mod pipeline;
pub mod registry;
pub mod run;
pub mod server;
pub mod source_profile;
pub mod spec;
pub mod verify;
pub mod withheld;

pub use bundle::{BUNDLE_FORMAT_VERSION, Manifest, is_bundle, write_bundle};
pub use gates::{Decision, GateResult, Outcome};
pub use pipeline::run_pipeline;
pub use run::{DpSource, Release};
pub use spec::PipelineSpec;
pub use verify::{
    History, Revocation, RoleStatus, Signer, Trust, TrustedRole, Verification, VerifyOptions,
    approve, draft_decision, read_manifest, verify_bundle, verify_with,
};
