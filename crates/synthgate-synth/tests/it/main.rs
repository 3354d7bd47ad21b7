//! Synthesizer behaviour on the shared real datasets: types, domains and missing rates kept;
//! privacy protections hold; determinism across thread counts; model files round-trip; bad
//! model files are refused with clear errors.

mod calendar;
mod conditional;
mod datasets;
mod dp;
mod free_text;
mod model_file;
mod model_property;
mod plugin;
mod protect;
mod relational;
mod rules;
mod source_form;
mod support;
