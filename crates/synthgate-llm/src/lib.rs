//! Prompt-based generation with a language model, governed like every other synthesizer.
//!
//! - [`spec`]: the generation spec (server, columns, prompt template, conditions, examples).
//! - [`client`]: one client for the OpenAI-compatible API (`/v1/chat/completions` and
//!   `/v1/completions`): timeouts, retries with backoff on 429, 5xx and connection errors, the
//!   API key from an environment variable and never logged; URLs shown without credentials
//!   ([`client::display_url`]) and secrets redacted from whatever the server sends back
//!   ([`client::Secrets`]).
//! - [`check`]: every response parsed and validated locally against the columns, exact and
//!   near-duplicates found, leakage of seed rows and PII patterns measured.
//! - [`generate`]: the run: per-record derived seeds, rounds of requests, rejects retried with a
//!   new seed, every request and response in a JSON-lines log that also resumes an interrupted
//!   run and re-derives the data without the model.
//! - [`redact`]: the log made publishable: every real seed row replaced by a keyed digest
//!   (HMAC-SHA256 under a [`redact::RowKey`] the operator keeps).
//!
//! The gateable metrics a prompt-based run adds (`llm.*`) are rows of the metric table
//! (`synthgate_core::metrics`); `synthgate-release` computes them from the run's summary.

#![warn(missing_docs)]

pub mod check;
pub mod client;
pub mod generate;
pub mod redact;
pub mod spec;
pub mod url;

pub use generate::{Generation, RunOptions, generate};
pub use spec::GenerateSpec;

/// The synthesizer name that selects prompt-based generation in a pipeline.
pub const SYNTHESIZER_NAME: &str = "llm";
