//! Contract tests of prompt-based generation against an in-process fake OpenAI-compatible
//! server: every failure mode the real API has, answered on purpose.

mod contract;
mod fake_server;
mod live;
mod properties;
