//! End-to-end tests of the `synthgate` binary: real runs on real files.

mod audit_stress;
mod augment;
mod bad_input;
mod convert;
mod dataset;
mod dataset_release;
mod datasets;
mod datasheet;
mod dp;
mod drift;
mod evaluate;
#[path = "../../../synthgate-llm/tests/it/fake_server.rs"]
mod fake_server;
mod format_v1;
mod help;
mod hybrid;
mod jobs;
mod live;
mod llm;
mod release;
mod security;
mod serve;
mod snapshot;
mod stores;
mod support;
mod synthesis;
mod values;
