//! `--help` describes metrics from the metric table (`synthgate_core::metrics`), not by hand:
//! every row is listed with its direction, peer and status bands, and the gate, llm and drift
//! sentences name what the rows say.

use std::process::Command;

use synthgate_core::metrics::TABLE;

use crate::support::{stderr, stdout};

/// `synthgate VERB --help`, its whitespace runs made single spaces (clap wraps to the terminal).
fn help(verb: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_synthgate"))
        .args([verb, "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn evaluate_help_lists_every_metric_of_the_table() {
    let text = help("evaluate");
    // One entry per row, in the table's order: its head, then its definition and bands.
    let heads: Vec<String> = TABLE
        .iter()
        .map(|row| {
            format!(
                "{}: {}; {}",
                row.id_for(row.placeholder()),
                row.direction.describe(),
                row.peer.name()
            )
        })
        .collect();
    let mut starts = Vec::new();
    let mut from = 0;
    for head in &heads {
        let at = text[from..]
            .find(head.as_str())
            .unwrap_or_else(|| panic!("`evaluate --help` lacks '{head}' after byte {from}"));
        starts.push(from + at);
        from += at + head.len();
    }
    let end = text
        .find("The three files are read")
        .expect("the closing paragraph");
    starts.push(end);
    for (index, row) in TABLE.iter().enumerate() {
        let entry = &text[starts[index]..starts[index + 1]];
        let bands = format!("Status: {}.", row.describe_bands());
        assert!(
            entry.contains(row.definition),
            "'{entry}' lacks its definition"
        );
        assert!(entry.contains(&bands), "'{entry}' lacks '{bands}'");
    }
}

#[test]
fn run_and_drift_help_say_what_the_rows_say() {
    let run = help("run");
    assert!(
        run.contains(
            "adds the gateable metrics llm.yield, llm.exact_seed_copies, llm.near_seed_copies, \
             llm.max_verbatim_overlap, llm.pii_records"
        ),
        "{run}"
    );
    assert!(
        run.contains(
            "bound = value | ci_low | ci_high (default: ci_high for a max gate on privacy.*, \
             subgroup.<attribute>.worst_gap, subgroup.<attribute>.worst_dcr_share and \
             subgroup.<attribute>.worst_mia_auc, else value)"
        ),
        "{run}"
    );
    let drift = help("drift")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        drift.contains(
            "for gates on fidelity.*, utility.* and subgroup.*; gates on privacy.*, \
             subgroup.<attribute>.augment_*, llm.* and hybrid.* keep the release's values"
        ),
        "{drift}"
    );
}
