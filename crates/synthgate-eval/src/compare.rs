//! Several synthetic tables scored against the same train and holdout with the same seeds,
//! side by side: every metric's value and 95% interval per table, which differences are
//! significant, and the table as Markdown, LaTeX and HTML a paper or a review can cite.
//!
//! A difference between two tables on a metric is called significant when their 95%
//! bootstrap intervals do not overlap. That is a conservative test (two intervals can
//! overlap while the difference's own interval excludes zero), so a difference named here is
//! one a reader can trust; one not named may still be real. A metric without intervals (a
//! single number, such as the exact-copy rate) has no significance call.

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use synthgate_core::metrics::{Direction, info};

use crate::html::{escape, number};
use crate::{HARNESS_VERSION, Report};

/// The comparison file format version.
pub const COMPARISON_FORMAT_VERSION: u32 = 1;

/// Several reports side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// [`COMPARISON_FORMAT_VERSION`].
    pub format_version: u32,
    /// The harness version that made every report.
    pub harness_version: String,
    /// The seed every report used.
    pub seed: u64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// The synthetic tables' names, in the order given.
    pub tables: Vec<String>,
    /// The train and holdout files (the first report's inputs), and each synthetic file.
    pub inputs: Vec<ComparedInput>,
    /// One row per metric, in the first report's order (then any another report adds).
    pub metrics: Vec<ComparedMetric>,
}

/// An input file of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedInput {
    /// `train`, `holdout`, or the synthetic table's name.
    pub role: String,
    /// The file as given.
    pub path: String,
    /// Rows read.
    pub rows: usize,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// One metric across the tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedMetric {
    /// The metric's stable id (as in `report.json`).
    pub id: String,
    /// `higher is better`, `lower is better` or `informational`.
    pub direction: String,
    /// What the real holdout scores (the first report's).
    pub holdout_reference: Option<f64>,
    /// Per table, in [`Comparison::tables`] order (`None`: the report lacks the metric).
    pub scores: Vec<Option<Score>>,
    /// The significant differences (non-overlapping 95% intervals), pair by pair.
    pub differences: Vec<Difference>,
}

/// One table's score on a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// `None` when it could not be computed.
    pub value: Option<f64>,
    /// Lower end of the 95% bootstrap interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval.
    pub ci_high: Option<f64>,
}

/// A significant difference between two tables on a metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The table scoring higher.
    pub higher: String,
    /// The table scoring lower.
    pub lower: String,
    /// The better of the two by the metric's direction (`None` for an informational metric).
    pub better: Option<String>,
}

/// The reports of `named` synthetic tables (each against the same train and holdout, with the
/// same seed and resamples) side by side.
pub fn compare(named: &[(String, Report)]) -> Comparison {
    let tables: Vec<String> = named.iter().map(|(name, _)| name.clone()).collect();
    let first = named.first().map(|(_, report)| report);
    let mut inputs: Vec<ComparedInput> = first
        .map(|report| {
            report
                .inputs
                .iter()
                .filter(|input| input.role != "synthetic")
                .map(|input| ComparedInput {
                    role: input.role.to_string(),
                    path: input.path.clone(),
                    rows: input.rows,
                    sha256: input.sha256.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, report) in named {
        inputs.extend(
            report
                .inputs
                .iter()
                .filter(|input| input.role == "synthetic")
                .map(|input| ComparedInput {
                    role: name.clone(),
                    path: input.path.clone(),
                    rows: input.rows,
                    sha256: input.sha256.clone(),
                }),
        );
    }
    let mut ids: Vec<&str> = Vec::new();
    for (_, report) in named {
        for metric in &report.metrics {
            if !ids.contains(&metric.id.as_str()) {
                ids.push(&metric.id);
            }
        }
    }
    let metrics = ids
        .into_iter()
        .map(|id| {
            let direction = info(id).map_or(Direction::Informational, |info| info.direction);
            let found: Vec<Option<&crate::Metric>> = named
                .iter()
                .map(|(_, report)| report.metrics.iter().find(|m| m.id == id))
                .collect();
            let scores: Vec<Option<Score>> = found
                .iter()
                .map(|metric| {
                    metric.map(|m| Score {
                        value: Some(m.value).filter(|v| !v.is_nan()),
                        ci_low: m.ci_low,
                        ci_high: m.ci_high,
                    })
                })
                .collect();
            let mut differences = Vec::new();
            for a in 0..scores.len() {
                for b in a + 1..scores.len() {
                    if let Some(difference) =
                        significant(&tables, a, b, scores[a], scores[b], direction)
                    {
                        differences.push(difference);
                    }
                }
            }
            ComparedMetric {
                id: id.to_string(),
                direction: direction.describe().to_string(),
                holdout_reference: found
                    .iter()
                    .flatten()
                    .next()
                    .and_then(|m| m.holdout_reference),
                scores,
                differences,
            }
        })
        .collect();
    Comparison {
        format_version: COMPARISON_FORMAT_VERSION,
        harness_version: first
            .map_or(HARNESS_VERSION, |r| r.harness_version)
            .to_string(),
        seed: first.map_or(0, |r| r.seed),
        resamples: first.map_or(0, |r| r.resamples),
        tables,
        inputs,
        metrics,
    }
}

/// Tables `a` and `b` differ significantly when both have intervals that do not overlap.
fn significant(
    tables: &[String],
    a: usize,
    b: usize,
    sa: Option<Score>,
    sb: Option<Score>,
    direction: Direction,
) -> Option<Difference> {
    let interval = |s: Option<Score>| match s? {
        Score {
            value: Some(_),
            ci_low: Some(low),
            ci_high: Some(high),
        } if low.is_finite() && high.is_finite() => Some((low, high)),
        _ => None,
    };
    let ((a_low, a_high), (b_low, b_high)) = (interval(sa)?, interval(sb)?);
    let (higher, lower) = if a_low > b_high {
        (a, b)
    } else if b_low > a_high {
        (b, a)
    } else {
        return None;
    };
    Some(Difference {
        higher: tables[higher].clone(),
        lower: tables[lower].clone(),
        better: match direction {
            Direction::HigherIsBetter => Some(tables[higher].clone()),
            Direction::LowerIsBetter => Some(tables[lower].clone()),
            Direction::Informational => None,
        },
    })
}

/// A score as `value [low, high]`, `n/a` when not computable, `-` when absent.
fn cell(score: Option<Score>) -> String {
    match score {
        None => "-".into(),
        Some(Score { value: None, .. }) => "n/a".into(),
        Some(Score {
            value: Some(value),
            ci_low: Some(low),
            ci_high: Some(high),
        }) => format!("{} [{}, {}]", number(value), number(low), number(high)),
        Some(Score {
            value: Some(value), ..
        }) => number(value),
    }
}

/// The significant differences of a metric in words: `a > b` (the better first where the
/// metric has a direction: `a better than b`).
fn verdicts(metric: &ComparedMetric) -> String {
    metric
        .differences
        .iter()
        .map(|d| match &d.better {
            Some(better) => {
                let worse = if *better == d.higher {
                    &d.lower
                } else {
                    &d.higher
                };
                format!("{better} better than {worse}")
            }
            None => format!("{} > {}", d.higher, d.lower),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The comparison as a Markdown table, with the harness version, seed and rule it follows.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Synthgate harness {}, seed {}, {} bootstrap resamples per 95% interval. A difference \
         is significant when the two intervals do not overlap.\n",
        comparison.harness_version, comparison.seed, comparison.resamples
    );
    let md = |text: &str| text.replace('|', "\\|");
    let _ = write!(out, "| metric | direction | holdout |");
    for table in &comparison.tables {
        let _ = write!(out, " {} |", md(table));
    }
    out.push_str(" significant differences |\n|---|---|---:|");
    for _ in &comparison.tables {
        out.push_str("---:|");
    }
    out.push_str("---|\n");
    for metric in &comparison.metrics {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            md(&metric.id),
            metric.direction,
            metric.holdout_reference.map(number).unwrap_or_default()
        );
        for score in &metric.scores {
            let _ = write!(out, " {} |", cell(*score));
        }
        let _ = writeln!(out, " {} |", md(&verdicts(metric)));
    }
    out
}

/// `text` with LaTeX's special characters escaped.
fn tex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// The comparison as a LaTeX `tabular` (booktabs rules) in a `table` with its caption.
pub fn latex(comparison: &Comparison) -> String {
    let mut out = String::new();
    let columns = "l".to_string() + &"r".repeat(comparison.tables.len() + 1) + "l";
    let _ = writeln!(
        out,
        "% Synthgate harness {}, seed {}, {} bootstrap resamples per 95% interval.\n\
         % Needs \\usepackage{{booktabs}}.\n\\begin{{table}}\n\\centering\n\
         \\begin{{tabular}}{{{columns}}}\n\\toprule",
        comparison.harness_version, comparison.seed, comparison.resamples
    );
    out.push_str("metric & holdout");
    for table in &comparison.tables {
        let _ = write!(out, " & {}", tex(table));
    }
    out.push_str(" & significant differences \\\\\n\\midrule\n");
    for metric in &comparison.metrics {
        let _ = write!(
            out,
            "{} & {}",
            tex(&metric.id),
            metric.holdout_reference.map(number).unwrap_or_default()
        );
        for score in &metric.scores {
            let _ = write!(out, " & {}", tex(&cell(*score)));
        }
        let _ = writeln!(out, " & {} \\\\", tex(&verdicts(metric)));
    }
    let _ = writeln!(
        out,
        "\\bottomrule\n\\end{{tabular}}\n\\caption{{Synthetic tables scored by Synthgate's \
         evaluation harness {} against the same training and holdout rows (seed {}); each \
         value with its 95\\% bootstrap interval ({} resamples); a difference is significant \
         when the intervals do not overlap.}}\n\\end{{table}}",
        tex(&comparison.harness_version),
        comparison.seed,
        comparison.resamples
    );
    out
}

/// The comparison as one self-contained HTML page (no script), its links pointing to each
/// table's own report in the folder named after it.
pub fn html(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Synthgate comparison</title><style>{}</style></head><body><main>\
         <h1>Synthetic tables compared</h1><p class=\"lead\">Harness version {} · seed {} · \
         {} bootstrap resamples per interval · a difference is significant when the two 95% \
         intervals do not overlap</p>",
        crate::html::STYLE,
        escape(&comparison.harness_version),
        comparison.seed,
        comparison.resamples
    );
    out.push_str("<table><tr><th>input</th><th>file</th><th>rows</th><th>sha256</th></tr>");
    for input in &comparison.inputs {
        let role = if comparison.tables.contains(&input.role) {
            format!("<a href=\"{0}/report.html\">{0}</a>", escape(&input.role))
        } else {
            escape(&input.role)
        };
        let _ = write!(
            out,
            "<tr><td>{role}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}…</code></td></tr>",
            escape(&input.path),
            input.rows,
            escape(input.sha256.get(..16).unwrap_or(&input.sha256))
        );
    }
    out.push_str(
        "</table><table id=\"comparison\"><tr><th>metric</th><th>direction</th><th>holdout</th>",
    );
    for table in &comparison.tables {
        let _ = write!(out, "<th>{}</th>", escape(table));
    }
    out.push_str("<th>significant differences</th></tr>");
    for metric in &comparison.metrics {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td>",
            escape(&metric.id),
            metric.direction,
            metric.holdout_reference.map(number).unwrap_or_default()
        );
        for (table, score) in comparison.tables.iter().zip(&metric.scores) {
            let best = metric
                .differences
                .iter()
                .any(|d| d.better.as_deref() == Some(table.as_str()));
            let _ = write!(
                out,
                "<td class=\"num\">{}{}{}</td>",
                if best { "<b>" } else { "" },
                escape(&cell(*score)),
                if best { "</b>" } else { "" }
            );
        }
        let _ = write!(out, "<td>{}</td></tr>", escape(&verdicts(metric)));
    }
    out.push_str("</table></main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(value: f64, low: f64, high: f64) -> Option<Score> {
        Some(Score {
            value: Some(value),
            ci_low: Some(low),
            ci_high: Some(high),
        })
    }

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    /// Non-overlapping intervals are a difference, the better one by the metric's direction;
    /// touching or overlapping ones and a score without an interval are not.
    #[test]
    fn only_intervals_apart_differ() {
        let apart = significant(
            &names(),
            0,
            1,
            score(0.9, 0.88, 0.92),
            score(0.7, 0.6, 0.8),
            Direction::LowerIsBetter,
        )
        .expect("a difference");
        assert_eq!((apart.higher.as_str(), apart.lower.as_str()), ("a", "b"));
        assert_eq!(apart.better.as_deref(), Some("b"));
        let up = significant(
            &names(),
            0,
            1,
            score(0.7, 0.6, 0.8),
            score(0.9, 0.88, 0.92),
            Direction::HigherIsBetter,
        )
        .expect("a difference");
        assert_eq!(up.better.as_deref(), Some("b"));
        for (x, y) in [
            (score(0.9, 0.8, 0.95), score(0.7, 0.6, 0.8)),
            (score(0.9, 0.85, 0.95), score(0.8, 0.7, 0.86)),
            (
                Some(Score {
                    value: Some(0.9),
                    ci_low: None,
                    ci_high: None,
                }),
                score(0.1, 0.0, 0.2),
            ),
        ] {
            assert!(significant(&names(), 0, 1, x, y, Direction::HigherIsBetter).is_none());
        }
    }

    /// LaTeX and Markdown escape what would break them.
    #[test]
    fn names_are_escaped_for_latex_and_markdown() {
        assert_eq!(tex("a_b 50% #1 & {x}"), "a\\_b 50\\% \\#1 \\& \\{x\\}");
        let comparison = Comparison {
            format_version: 1,
            harness_version: "0.4".into(),
            seed: 0,
            resamples: 20,
            tables: vec!["x|y".into(), "z".into()],
            inputs: Vec::new(),
            metrics: Vec::new(),
        };
        assert!(markdown(&comparison).contains("| x\\|y |"));
        assert!(latex(&comparison).contains("& x|y & z &"));
    }
}
