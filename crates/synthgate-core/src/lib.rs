//! The ground every other Synthgate crate stands on: the table model, the schema with its
//! semantic types and privacy roles, seeds with their named random streams, and the one error
//! type whose kind decides the process exit code.
//!
//! - [`Table`] is a set of Apache Arrow [`RecordBatch`](arrow_array::RecordBatch)es sharing one
//!   Arrow schema, restricted to the storage types in [`StorageType`].
//! - [`Schema`] is Synthgate's own, editable description of a table: one [`ColumnSchema`] per
//!   column with its [`StorageType`], [`SemanticType`] and [`PrivacyRole`], plus the missing-value
//!   tokens the data was read with. It is written to and read from TOML
//!   ([`Schema::to_toml`], [`Schema::from_toml`]) so a user can correct what profiling guessed.
//! - [`Seed`] derives independent, portable ChaCha8 streams from (master seed, purpose, shard).
//! - [`Error`] carries an [`ErrorKind`] that maps onto the exit codes of DESIGN.md
//!   ([`ErrorKind::exit_code`]) and an optional [`Location`] (file, line, column).
//!
//! - [`text`] holds the text forms of values: the strict parsers CSV type inference relies on
//!   and the writers that read back to the same value.
//! - [`dataset`] describes a dataset of several tables: keys, references, sequences.
//! - [`metrics`] is the metric table: one [`metrics::MetricInfo`] row per metric id with its
//!   family, direction, default gate bound, status bands, drift behaviour and peer. Gates,
//!   report.html, the datasheet, drift, spec validation and `--help` all read it.
//!
//! This crate does no I/O: it cannot fail for I/O reasons.

#![warn(missing_docs)]

pub mod canonical;
pub mod dataset;
mod error;
pub mod metrics;
pub mod numbers;
mod schema;
mod seed;
mod table;
pub mod text;

pub use error::{Error, ErrorKind, Location, Result, line_of};
pub use schema::{
    Bound, ColumnSchema, Comparison, DEFAULT_NA_TOKENS, MAX_DECIMALS, MISSING_TOKEN_KEY,
    PrivacyRole, RARE_TOKEN, RareValues, Rule, SCHEMA_FORMAT_VERSION, Schema, SemanticType,
    StorageType,
};
pub use seed::{Entropy, Seed, SeedRng, unit_f64};
pub use table::Table;
