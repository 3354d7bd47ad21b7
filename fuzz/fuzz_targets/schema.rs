//! `Schema::from_toml` on arbitrary text; an accepted schema must survive its round trip
//! (`to_toml`, read back, written again: the same text).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use synthgate_core::Schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("schema.toml");
    if let Ok(schema) = Schema::from_toml(text, path) {
        let written = schema.to_toml();
        let again = Schema::from_toml(&written, path).unwrap_or_else(|error| {
            panic!("a written schema does not read back: {error}\n{written}")
        });
        assert_eq!(
            again.to_toml(),
            written,
            "the schema's round trip changed it"
        );
    }
});
