//! The harness against the reference implementations, on real data.

mod common;
mod peers;
mod sanity;
mod sdmetrics;
