//! The engine's integration tests: the architecture checks, and whole bundles built through
//! the engine's verbs and searched for real rows.

mod architecture;
#[path = "../../../synthgate-llm/tests/it/fake_server.rs"]
mod fake_server;
mod leak;
