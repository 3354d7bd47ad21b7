//! The harness against the reference implementations, on real data.

mod sdmetrics;
