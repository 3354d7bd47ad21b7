//! `GenerateSpec::parse` (the `synthgate generate` spec: TOML, then the checks of names,
//! ranges, patterns and template variables) on arbitrary text; an accepted spec's prompt is
//! rendered and its JSON schema built, as a run would.

#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use synthgate_llm::GenerateSpec;
use synthgate_llm::spec::{render, template_variables};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = GenerateSpec::parse(text, Path::new("generate.toml")) {
        let _ = spec.json_schema();
        let variables = template_variables(&spec.generation.prompt).unwrap_or_default();
        let values: BTreeMap<&str, String> = variables
            .iter()
            .map(|(name, _)| (name.as_str(), "x".to_string()))
            .collect();
        let _ = render(&spec.generation.prompt, &values);
    }
});
