//! Library-level tests of reading and writing: property tests of the CSV path (no panic on any
//! bytes; write-then-read returns the same table) and Parquet round trips.

mod properties;
mod round_trip;
