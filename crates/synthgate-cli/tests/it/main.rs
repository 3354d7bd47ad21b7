//! End-to-end tests of the `synthgate` binary: real runs on real files.

mod bad_input;
mod convert;
mod datasets;
mod datasheet;
mod drift;
mod evaluate;
#[path = "../../../synthgate-llm/tests/it/fake_server.rs"]
mod fake_server;
mod live;
mod llm;
mod release;
mod snapshot;
mod support;
mod synthesis;
mod values;
