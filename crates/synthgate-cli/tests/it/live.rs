//! The live pipeline test: a governed release written by a real model (Gemma 3 270M behind
//! llama.cpp's server, started by `scripts/test`), verified and re-derived from its log. About
//! 300 generated tokens. Without SYNTHGATE_LLM_BASE_URL it fails, naming what to run.

use crate::support::{read_json, stderr, stdout};

#[test]
fn live_llm_pipeline_runs_verifies_and_reproduces_from_its_log() {
    let (Ok(url), Ok(model)) = (
        std::env::var("SYNTHGATE_LLM_BASE_URL"),
        std::env::var("SYNTHGATE_LLM_MODEL"),
    ) else {
        panic!(
            "the live LLM tests need a running model server: run them with scripts/test, which \
             starts one and sets SYNTHGATE_LLM_BASE_URL and SYNTHGATE_LLM_MODEL."
        );
    };
    let dir = tempfile::tempdir().expect("dir");
    let spec = crate::llm::pipeline(dir.path(), &url, &model, 6);
    let bundle = dir.path().join("bundle");
    let output = crate::release::run(&spec, &bundle);
    // The gates may pass or fail on a 270M model's records; the bundle is written either way.
    assert!(
        matches!(output.status.code(), Some(0 | 4)),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["generator"]["rows"], 6);
    assert!(manifest["generator"]["llm"]["usage"]["completion_tokens"].as_u64() > Some(0));
    crate::llm::assert_rederived_from_log(&bundle);
}
