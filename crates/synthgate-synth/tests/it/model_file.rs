//! Model files round-trip, and damaged or foreign ones are refused with a clear error.

use std::path::Path;

use synthgate_core::Seed;
use synthgate_synth::Model;

use crate::support::{builtins, fit_default, load};

#[test]
fn model_files_round_trip() {
    let (table, schema) = load("heart_cleveland");
    for synthesizer in builtins() {
        let model = fit_default(&table, &schema, synthesizer.as_ref(), 4);
        let bytes = model.to_bytes();
        let loaded = Model::from_bytes(&bytes, Path::new("m.json")).expect("reads back");
        assert!(loaded.to_bytes() == bytes, "{}", synthesizer.name());
        let a = model.sample(500, Seed(1)).expect("sample");
        let b = loaded.sample(500, Seed(1)).expect("sample");
        assert_eq!(a.batches(), b.batches(), "{}", synthesizer.name());
        assert_eq!(loaded.seed(), Seed(4));
    }
}

fn check_refused(bytes: &[u8], expected: &str) {
    let error = Model::from_bytes(bytes, Path::new("model.json")).expect_err("must be refused");
    let message = error.to_string();
    assert!(message.contains("model.json"), "{message}");
    assert!(
        message.contains(expected),
        "{expected:?} not in {message:?}"
    );
    assert_eq!(error.kind().exit_code(), 3);
}

#[test]
fn bad_model_files_are_refused() {
    let (table, schema) = load("heart_cleveland");
    let synthesizer = &builtins()[0];
    let bytes = fit_default(&table, &schema, synthesizer.as_ref(), 4).to_bytes();
    let text = String::from_utf8(bytes.clone()).expect("utf-8");

    check_refused(&bytes[..bytes.len() / 2], "truncated");
    check_refused(b"", "truncated");
    check_refused(b"\x00\x01binary", "not valid JSON");
    check_refused(b"{\"hello\": 1}", "not a Synthgate model file");
    check_refused(
        text.replacen(
            "\"format_version\":1",
            &format!(
                "\"format_version\":{}",
                synthgate_synth::MODEL_FORMAT_VERSION + 1
            ),
            1,
        )
        .as_bytes(),
        "newer than this Synthgate reads",
    );
    check_refused(
        text.replacen(
            &format!("\"synthesizer\":\"{}\"", synthesizer.name()),
            "\"synthesizer\":\"gan9000\"",
            1,
        )
        .as_bytes(),
        "'gan9000'",
    );
    check_refused(
        text.replacen(
            &format!("\"synthesizer_version\":{}", synthesizer.version()),
            &format!("\"synthesizer_version\":{}", synthesizer.version() + 1),
            1,
        )
        .as_bytes(),
        "newer version",
    );
}

#[test]
fn zero_rows_is_a_usage_error() {
    let (table, schema) = load("heart_cleveland");
    let model = fit_default(&table, &schema, builtins()[0].as_ref(), 4);
    let error = model.sample(0, Seed(1)).expect_err("refused");
    assert_eq!(error.kind().exit_code(), 2);
}
