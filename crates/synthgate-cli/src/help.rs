//! The parts of `--help` that describe metrics, generated from the metric table
//! (`synthgate_core::metrics`), so the help cannot drift from what gates, report.html and
//! `synthgate drift` do.

use synthgate_core::metrics::{Bound, Drift, Family, MetricInfo, Needs, TABLE, of_family};

/// Help lines are wrapped here, under clap's default width of 100, so clap leaves them as they
/// are on a wide terminal and the hanging indents line up.
const WIDTH: usize = 96;

/// How a metric's id is shown: a pattern row's `*` as `<attribute>`.
pub(crate) fn shown_id(row: &MetricInfo) -> String {
    row.id_for(row.placeholder())
}

/// When `synthgate evaluate` reports a metric, if not always.
fn when(needs: Needs) -> Option<&'static str> {
    match needs {
        Needs::Nothing => None,
        Needs::Target => Some("with --target"),
        Needs::SensitiveAttribute => Some("one per --sensitive attribute"),
        Needs::LlmSynthesizer => Some("only with synthesizer \"llm\" in a pipeline"),
        Needs::Dataset => Some("only in a pipeline over a dataset of several tables"),
        Needs::Hybrid => Some("only in a hybrid release ([hybrid] in a pipeline)"),
        Needs::Augment => Some("only in an augmented release, for its [augment] column"),
    }
}

/// `text` wrapped to [`WIDTH`] columns, the first line indented by `first`, the others by
/// `rest` spaces.
pub(crate) fn wrap(text: &str, first: usize, rest: usize) -> String {
    let mut out = " ".repeat(first);
    let mut column = first;
    let mut line_start = true;
    for word in text.split_whitespace() {
        if !line_start && column + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(rest));
            column = rest;
            line_start = true;
        }
        if !line_start {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
        line_start = false;
    }
    out
}

/// Every metric of the table: id, direction, peer, when it is reported, definition and status
/// bands, in the table's order.
pub(crate) fn metric_list() -> String {
    let mut out = String::new();
    for row in TABLE {
        let mut head = format!(
            "{}: {}; {}",
            shown_id(row),
            row.direction.describe(),
            row.peer.name()
        );
        if let Some(when) = when(row.needs) {
            head.push_str("; ");
            head.push_str(when);
        }
        out.push_str(&wrap(&head, 2, 6));
        out.push('\n');
        let body = format!("{} Status: {}.", row.definition, row.describe_bands());
        out.push_str(&wrap(&body, 6, 6));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// The rows for which `keep` holds, summarised: `privacy.*` for a whole family, else the ids.
fn summary(keep: impl Fn(&MetricInfo) -> bool) -> Vec<String> {
    let mut parts = Vec::new();
    for family in Family::ALL {
        // A dataset's metrics are listed in `run --help` on their own: drift and the
        // single-table gates never meet them.
        // An augmentation's rows are summarised on their own, as `…augment_*`.
        let rows: Vec<&MetricInfo> = of_family(family)
            .filter(|row| !matches!(row.needs, Needs::Dataset | Needs::Augment))
            .collect();
        let kept: Vec<&MetricInfo> = rows.iter().copied().filter(|row| keep(row)).collect();
        if !kept.is_empty() && kept.len() == rows.len() {
            parts.push(format!("{}.*", family.key()));
        } else {
            parts.extend(kept.iter().map(|row| shown_id(row)));
        }
        let augment: Vec<&MetricInfo> = of_family(family)
            .filter(|row| row.needs == Needs::Augment)
            .collect();
        let kept: Vec<&MetricInfo> = augment.iter().copied().filter(|row| keep(row)).collect();
        if !kept.is_empty() && kept.len() == augment.len() {
            parts.push(format!("{}.<attribute>.augment_*", family.key()));
        } else {
            parts.extend(kept.iter().map(|row| shown_id(row)));
        }
    }
    parts
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The default `bound` of a gate, e.g. `ci_high for a max gate on privacy.* and subgroup.*,
/// else value`.
pub(crate) fn gate_bound_defaults() -> String {
    let mut parts = Vec::new();
    for (kind, max) in [("min", false), ("max", true)] {
        for bound in [Bound::CiLow, Bound::CiHigh] {
            let ids = summary(|row| row.gate_bound(max) == bound);
            if !ids.is_empty() {
                parts.push(format!(
                    "{} for a {kind} gate on {}",
                    bound.name(),
                    and_list(&ids)
                ));
            }
        }
    }
    parts.push("else value".to_string());
    parts.join(", ")
}

/// The metrics a prompt-based pipeline adds, comma-separated.
pub(crate) fn llm_metrics() -> String {
    TABLE
        .iter()
        .filter(|row| row.needs == Needs::LlmSynthesizer)
        .map(shown_id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What drift re-scores and what it keeps from the release, e.g. (`fidelity.*, utility.* and
/// subgroup.*`, `privacy.* and llm.*`).
pub(crate) fn drift_split() -> (String, String) {
    (
        and_list(&summary(|row| row.drift == Drift::Rescore)),
        and_list(&summary(|row| row.drift == Drift::Keep)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_name_whole_families_and_single_ids() {
        assert_eq!(
            gate_bound_defaults(),
            "ci_high for a max gate on privacy.*, subgroup.<attribute>.worst_gap, \
             subgroup.<attribute>.worst_dcr_share and subgroup.<attribute>.worst_mia_auc, else \
             value"
        );
        let (rescored, kept) = drift_split();
        assert_eq!(rescored, "fidelity.*, utility.* and subgroup.*");
        assert_eq!(
            kept,
            "privacy.*, subgroup.<attribute>.augment_*, llm.* and hybrid.*"
        );
        assert_eq!(
            summary(|row| row.id == "utility.tstr" || row.family == Family::Llm),
            ["utility.tstr", "llm.*"]
        );
    }

    #[test]
    fn long_lines_wrap_under_the_width_with_a_hanging_indent() {
        let text = "word ".repeat(60);
        let wrapped = wrap(&text, 2, 6);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 2, "{wrapped}");
        assert!(lines.iter().all(|line| line.len() <= WIDTH), "{wrapped}");
        assert!(lines[0].starts_with("  word"));
        assert!(lines[1..].iter().all(|line| line.starts_with("      word")));
        assert!(metric_list().lines().all(|line| line.len() <= WIDTH));
    }
}
