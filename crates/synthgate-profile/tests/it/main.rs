//! Integration tests of profiling on the shared real tables.

mod relations;
mod semantic;
