//! The harness against the reference implementations, on real data.

mod common;
mod free_text;
mod metric_table;
mod multitable;
mod peers;
mod sanity;
mod sdmetrics;
