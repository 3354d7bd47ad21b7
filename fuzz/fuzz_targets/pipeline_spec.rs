//! `PipelineSpec::parse` (the `pipeline.toml` parser: the shared TOML reader of synthgate-core,
//! then the spec's checks, including an `[llm]` section's) on arbitrary text.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use synthgate_release::PipelineSpec;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PipelineSpec::parse(text, Path::new("pipeline.toml"));
    }
});
