//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched) that
//! a privacy officer can read: a verdict at the top, then each section with a plain-language
//! sentence, its metrics against the holdout reference, and charts.
//!
//! Counts of real rows follow the small-cell rule of [`crate::cells`]. The page's charts show
//! scores and rates, not real counts; its counts and shares of real rows are the inputs' row
//! totals and the subgroup tables, which the evaluation has already protected
//! ([`crate::subgroups`]: suppressed groups counted, not named; counts and rates that would
//! give a small cell away are `null` and listed in the group's `withheld`). The page shows a
//! withheld value as "withheld" and never recomputes one.

use std::fmt::Write as _;

use synthgate_core::metrics::{self, Family, Peer};

use crate::harness::{Metric, Report};

/// The smallest count of real rows report.html shows where the evaluation does not set one.
pub const MIN_CELL: usize = 10;

pub use synthgate_core::metrics::Status;

/// The status of one metric: its row of the metric table ([`synthgate_core::metrics`])
/// interpreted (fidelity and utility mostly against the holdout reference, privacy against
/// fixed risk levels). A metric the table does not know has no bands: [`Status::Info`].
pub fn status(metric: &Metric) -> Status {
    metrics::info(&metric.id).map_or(Status::Info, |row| {
        row.status(
            metric.value,
            (metric.ci_low, metric.ci_high),
            metric.holdout_reference,
        )
    })
}

/// `text` escaped for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub use crate::stats::number;

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), number)
}

pub(crate) const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px}
.distributions{display:flex;flex-wrap:wrap;gap:8px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:32px;border-bottom:2px solid #dde1e7;padding-bottom:4px}
p.lead{color:#4a5468;margin-top:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{padding:6px 8px;border-bottom:1px solid #e4e7ec;text-align:left;font-size:.92em}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.8em;font-weight:600}
.good{background:#d7f2df;color:#11612d}.watch{background:#fdf0c8;color:#7a5600}
.poor{background:#fbd5d5;color:#8a1c1c}.info{background:#e4e7ec;color:#3a4252}
.verdict{background:#fff;border-radius:8px;padding:16px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.verdict li{margin:4px 0}.warn{background:#fff4e0;border-left:4px solid #e39b00;padding:8px 12px;margin:8px 0}
details{margin:6px 0}summary{cursor:pointer;color:#3a4a7a}
svg{background:#fff;margin:8px 0}.small{font-size:.85em;color:#4a5468}
";

struct Section {
    family: Family,
    title: &'static str,
    sentence: &'static str,
}

const SECTIONS: [Section; 6] = [
    Section {
        family: Family::Fidelity,
        title: "Fidelity: does the synthetic data look like the real data?",
        sentence: "Each column's distribution, each pair's relationship and the table as a whole \
                   are compared with the training data; the holdout column shows what real rows \
                   the generator never saw score, which is the best to hope for.",
    },
    Section {
        family: Family::Utility,
        title: "Utility: does it train models as well as real data?",
        sentence: "A model trained on synthetic rows and one trained on real rows predict the \
                   same column on held-out real rows; close scores mean the synthetic data can \
                   stand in for the real data in analysis.",
    },
    Section {
        family: Family::Privacy,
        title: "Privacy: does it give away the people in the training data?",
        sentence: "Attacks try to find, single out, link or learn about training rows from the \
                   synthetic data; each is compared with the same attack on real rows the \
                   generator never saw, so only risk caused by the generator counts.",
    },
    Section {
        family: Family::Subgroup,
        title: "Subgroups: is every group served as well as the whole?",
        sentence: "Fidelity, target rates, model quality and privacy are measured inside each \
                   group of the sensitive attributes; small groups are suppressed so no \
                   individual is exposed by the report itself.",
    },
    Section {
        family: Family::Llm,
        title: "Language model: were its answers usable, and did it copy what it was shown?",
        sentence: "Records produced per response, and the real rows shown to the model as \
                   examples checked against its output: copies, near copies, the longest \
                   verbatim text overlap in characters, and personal-data patterns.",
    },
    Section {
        family: Family::Hybrid,
        title: "Composition: which rows are real?",
        sentence: "A hybrid release carries real training rows, as they are, with the synthetic \
                   ones. They are real people's records: every metric above scores the synthetic \
                   rows alone, and none describes the real ones.",
    },
];

impl Section {
    /// The report's metrics of this section's family.
    fn metrics<'a>(&self, report: &'a Report) -> Vec<&'a Metric> {
        report
            .metrics
            .iter()
            .filter(|m| metrics::family_of(&m.id) == Some(self.family))
            .collect()
    }
}

fn metric_table(out: &mut String, metrics: &[&Metric]) {
    out.push_str(
        "<table><tr><th>metric</th><th>value</th><th>95% interval</th><th>holdout \
         reference</th><th>status</th></tr>",
    );
    for metric in metrics {
        let status = status(metric);
        let interval = match (metric.ci_low, metric.ci_high) {
            (Some(low), Some(high)) => format!("[{}, {}]", number(low), number(high)),
            _ => "–".to_string(),
        };
        let reference_interval = match (metric.reference_ci_low, metric.reference_ci_high) {
            (Some(low), Some(high)) => format!(
                "<br><span class=\"small\">[{}, {}]</span>",
                number(low),
                number(high)
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code><details><summary class=\"small\">definition</summary>\
             <p class=\"small\">{}</p></details></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}{}</td>\
             <td><span class=\"badge {}\">{}</span></td></tr>",
            escape(&metric.id),
            escape(&metric.definition),
            number(metric.value),
            interval,
            optional(metric.holdout_reference),
            reference_interval,
            status.label(),
            status.label()
        );
    }
    out.push_str("</table>");
}

/// A horizontal bar chart of labelled values in [0, `max`] (`max` at least the largest value).
fn bars(title: &str, items: &[(String, f64)], max: f64) -> String {
    let max = items.iter().map(|i| i.1).fold(max, f64::max).max(1e-12);
    let height = 24 * items.len() + 40;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" width=\"940\" height=\"{height}\" \
         viewBox=\"0 0 940 {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">{t}</text>",
        t = escape(title)
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 32 + i * 24;
        let width = (value / max).clamp(0.0, 1.0) * 560.0;
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{ty}\" font-size=\"12\">{label}</text>\
             <rect x=\"300\" y=\"{y}\" width=\"{width:.1}\" height=\"16\" fill=\"#5b7bd5\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\">{value}</text>",
            ty = y + 13,
            label = escape(label),
            vx = 306.0 + width,
            value = number(*value)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Grouped bars: per attack, its attack, control and baseline rates.
fn attack_chart(risks: &[&Metric]) -> String {
    let height = 60 * risks.len() + 60;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"attack rates\" width=\"940\" height=\"{height}\" \
         viewBox=\"0 0 940 {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">Attack success on training \
         rows, on holdout rows (control) and by random guessing (baseline)</text>"
    );
    let colours = [
        ("attack_rate", "#c0392b"),
        ("control_rate", "#5b7bd5"),
        ("baseline_rate", "#9aa3b2"),
    ];
    for (i, metric) in risks.iter().enumerate() {
        let y0 = 36 + i * 60;
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{}\" font-size=\"12\">{}</text>",
            y0 + 24,
            escape(
                metric
                    .id
                    .split_once('.')
                    .map_or(metric.id.as_str(), |(_, name)| name)
            )
        );
        for (k, (key, colour)) in colours.iter().enumerate() {
            let rate = metric.details[key]["value"].as_f64().unwrap_or(0.0);
            let y = y0 + k * 17;
            let width = rate.clamp(0.0, 1.0) * 520.0;
            let _ = write!(
                svg,
                "<rect x=\"220\" y=\"{y}\" width=\"{width:.1}\" height=\"14\" fill=\"{colour}\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{} {}</text>",
                226.0 + width,
                y + 11,
                key.trim_end_matches("_rate"),
                number(rate)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The mix curve: holdout score against the real fraction, with and without synthetic rows.
fn mix_chart(metric: &Metric) -> Option<String> {
    let points = metric.details["points"].as_array()?;
    let measure = metric.details["measure"].as_str().unwrap_or("score");
    let series = |key: &str| -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|p| Some((p["real_fraction"].as_f64()?, p[key].as_f64()?)))
            .collect()
    };
    let (mixed, real) = (series("mixed"), series("real_only"));
    let all: Vec<f64> = mixed.iter().chain(&real).map(|p| p.1).collect();
    if all.is_empty() {
        return None;
    }
    let low = all.iter().copied().fold(f64::INFINITY, f64::min);
    let high = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (high - low).max(1e-6);
    // x: position by index of the fraction (0, 1, 2, 5, 10, 25, 50, 100%), evenly spaced.
    let fractions: Vec<f64> = points
        .iter()
        .filter_map(|p| p["real_fraction"].as_f64())
        .collect();
    let x = |f: f64| {
        let i = fractions.iter().position(|&g| g == f).unwrap_or(0);
        80.0 + i as f64 * 760.0 / (fractions.len().max(2) - 1) as f64
    };
    let y = |v: f64| 260.0 - (v - low) / span * 200.0;
    let path = |series: &[(f64, f64)]| {
        series
            .iter()
            .map(|&(f, v)| format!("{:.1},{:.1}", x(f), y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"mix curve\" width=\"940\" height=\"320\" \
         viewBox=\"0 0 940 320\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">Holdout {m} by share of \
         real training rows: with all synthetic rows added (red) and real rows alone \
         (blue)</text>\
         <polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"{a}\"/>\
         <polyline fill=\"none\" stroke=\"#5b7bd5\" stroke-width=\"2\" points=\"{b}\"/>",
        m = escape(measure),
        a = path(&mixed),
        b = path(&real)
    );
    for &f in &fractions {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"290\" font-size=\"11\" text-anchor=\"middle\">{}%</text>",
            x(f),
            f * 100.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"10\" y=\"{:.1}\" font-size=\"11\">{}</text>\
         <text x=\"10\" y=\"{:.1}\" font-size=\"11\">{}</text></svg>",
        y(high) + 4.0,
        number(high),
        y(low) + 4.0,
        number(low)
    );
    Some(svg)
}

/// Most columns whose distribution report.html draws (the first in the report's order).
const DISTRIBUTION_CHARTS: usize = 60;

/// Small multiples, one per column: its cells' shares in the training (dark), holdout (light)
/// and synthetic (red) rows, side by side; a withheld real share is not drawn (its cell says
/// so in its title).
fn distribution_charts(columns: &[serde_json::Value]) -> Option<String> {
    let mut out = String::new();
    for (at, column) in columns.iter().take(DISTRIBUTION_CHARTS).enumerate() {
        let d = &column["distribution"];
        let Some(labels) = d["labels"].as_array() else {
            continue;
        };
        let series = |name: &str| -> Vec<Option<f64>> {
            d[name]
                .as_array()
                .map(|v| v.iter().map(serde_json::Value::as_f64).collect())
                .unwrap_or_default()
        };
        let (train, holdout, synthetic) = (series("train"), series("holdout"), series("synthetic"));
        let cells = labels.len();
        if cells == 0 || train.len() != cells || holdout.len() != cells || synthetic.len() != cells
        {
            continue;
        }
        let top = train
            .iter()
            .chain(&holdout)
            .chain(&synthetic)
            .flatten()
            .copied()
            .fold(0.0, f64::max)
            .max(1e-12);
        let (x0, width, base, tall) = (8.0, 284.0, 118.0, 90.0);
        let step = width / cells as f64;
        let name = column["column"].as_str().unwrap_or("");
        let _ = write!(
            out,
            "<svg id=\"distribution-{at}\" role=\"img\" aria-label=\"distribution of {n}\" \
             width=\"300\" height=\"140\" viewBox=\"0 0 300 140\" \
             xmlns=\"http://www.w3.org/2000/svg\"><text x=\"8\" y=\"16\" font-size=\"12\" \
             font-weight=\"600\">{n}</text><line x1=\"{x0}\" y1=\"{base}\" x2=\"{:.1}\" \
             y2=\"{base}\" stroke=\"#444\"/>",
            x0 + width,
            n = escape(name)
        );
        for k in 0..cells {
            let label = labels[k].as_str().unwrap_or("");
            let x = x0 + k as f64 * step;
            for (slot, value, colour, set) in [
                (0.0, train[k], "#34495e", "training"),
                (1.0, holdout[k], "#9aa3b2", "holdout"),
                (2.0, synthetic[k], "#c0392b", "synthetic"),
            ] {
                let Some(value) = value else {
                    continue;
                };
                let bar = value / top * tall;
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" \
                     fill=\"{colour}\"><title>{l}: {set} {v}</title></rect>",
                    x + slot * step / 3.0 + 0.5,
                    base - bar,
                    (step / 3.0 - 0.5).max(0.5),
                    l = escape(label),
                    v = number(value)
                );
            }
            if train[k].is_none() || holdout[k].is_none() {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#666\">\
                     <title>{l}: a real share withheld (a small count)</title>w</text>",
                    x + step / 3.0,
                    base - 2.0,
                    l = escape(label)
                );
            }
        }
        let first = labels.first().and_then(|l| l.as_str()).unwrap_or("");
        let last = labels.last().and_then(|l| l.as_str()).unwrap_or("");
        let _ = write!(
            out,
            "<text x=\"{x0}\" y=\"132\" font-size=\"9\">{}</text><text x=\"{:.1}\" \
             y=\"132\" font-size=\"9\" text-anchor=\"end\">{}</text></svg>",
            escape(first),
            x0 + width,
            escape(last)
        );
    }
    (!out.is_empty()).then(|| {
        format!(
            "<h3>Each column: training (dark), holdout (grey) and synthetic (red) shares per \
             cell (a number's training deciles; categories with at least the smallest group \
             size of training rows, the rest pooled; w: a real share withheld)</h3>\
             <div class=\"distributions\">{out}</div>"
        )
    })
}

/// Most columns an association heatmap shows (the first in the report's column order).
const HEATMAP_COLUMNS: usize = 40;

/// Two heatmaps side by side, the real (training) data's association of every pair of
/// columns and the synthetic data's (|Pearson's r| for two numbers, Cramér's V otherwise, as
/// column pair trends computes them), each cell titled with both values; a pair without a
/// value is left grey. `None` without pairs that hold both.
fn association_maps(pairs: &[serde_json::Value]) -> Option<String> {
    let mut columns: Vec<&str> = Vec::new();
    // Per ordered pair of columns: the real and the synthetic association.
    type Both = (Option<f64>, Option<f64>);
    let mut values: std::collections::HashMap<(&str, &str), Both> =
        std::collections::HashMap::new();
    for pair in pairs {
        let (Some(first), Some(second)) = (pair["first"].as_str(), pair["second"].as_str()) else {
            continue;
        };
        for name in [first, second] {
            if !columns.contains(&name) {
                columns.push(name);
            }
        }
        let real = pair["real_association"].as_f64();
        let synthetic = pair["synthetic_association"].as_f64();
        values.insert((first, second), (real, synthetic));
        values.insert((second, first), (real, synthetic));
    }
    if !values.values().any(|(r, s)| r.is_some() && s.is_some()) {
        return None;
    }
    columns.truncate(HEATMAP_COLUMNS);
    let n = columns.len();
    let cell = (300.0 / n as f64).clamp(6.0, 24.0);
    let label = 130.0;
    let side = cell * n as f64;
    let height = label + side + 50.0;
    let mut svg = format!(
        "<svg id=\"associations\" role=\"img\" aria-label=\"associations, real and synthetic\" \
         width=\"940\" height=\"{height:.0}\" viewBox=\"0 0 940 {height:.0}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">Association of every \
         pair of columns (|r| or Cramér's V; darker = stronger): real training data, left; \
         synthetic, right</text>"
    );
    let font = (cell * 0.8).clamp(6.0, 11.0);
    for (panel, x0) in [(0usize, label), (1, label + side + 160.0)] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"600\">{}</text>",
            x0,
            label + side + 20.0,
            if panel == 0 { "real" } else { "synthetic" }
        );
        for (i, row) in columns.iter().enumerate() {
            let y = label + i as f64 * cell;
            if panel == 0 {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{font:.1}\" \
                     text-anchor=\"end\">{}</text>",
                    x0 - 4.0,
                    y + cell * 0.75,
                    escape(row)
                );
            }
            for (j, column) in columns.iter().enumerate() {
                let x = x0 + j as f64 * cell;
                if i == 0 {
                    let _ = write!(
                        svg,
                        "<text transform=\"translate({:.1} {:.1}) rotate(-60)\" \
                         font-size=\"{font:.1}\">{}</text>",
                        x + cell * 0.7,
                        label - 4.0,
                        escape(column)
                    );
                }
                if i == j {
                    continue;
                }
                let (real, synthetic) = values.get(&(*row, *column)).copied().unwrap_or_default();
                let shown = if panel == 0 { real } else { synthetic };
                let fill = match shown {
                    Some(v) => {
                        let v = v.abs().min(1.0);
                        let shade = |full: f64| (255.0 - v * (255.0 - full)).round() as u8;
                        format!("rgb({},{},{})", shade(35.0), shade(70.0), shade(160.0))
                    }
                    None => "#dddddd".to_string(),
                };
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{c:.1}\" height=\"{c:.1}\" \
                     fill=\"{fill}\"><title>{a} × {b}: real {r}, synthetic {s}</title></rect>",
                    c = cell - 0.5,
                    a = escape(row),
                    b = escape(column),
                    r = optional(real),
                    s = optional(synthetic),
                );
            }
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// The distance-to-closest-record histogram: per distance bin, the share of synthetic rows
/// and of holdout rows whose closest training row is that far (`privacy.dcr_closer_to_training`'s
/// details: SDMetrics' distance, every training row searched). Synthetic rows piled at distance 0 beyond the holdout's are copies.
fn dcr_chart(metric: &Metric) -> Option<String> {
    let histogram = &metric.details["histogram"];
    let edges: Vec<f64> = histogram["edges"]
        .as_array()?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    let series = |name: &str| -> Option<Vec<f64>> {
        Some(
            histogram[name]
                .as_array()?
                .iter()
                .filter_map(serde_json::Value::as_f64)
                .collect(),
        )
    };
    let (synthetic, holdout) = (series("synthetic")?, series("holdout")?);
    let bins = synthetic.len();
    if bins == 0 || holdout.len() != bins || edges.len() != bins + 1 {
        return None;
    }
    let top = synthetic
        .iter()
        .chain(&holdout)
        .copied()
        .fold(0.0, f64::max)
        .max(1e-12);
    let (x0, width, base, tall) = (60.0, 840.0, 250.0, 200.0);
    let step = width / bins as f64;
    let mut svg = format!(
        "<svg id=\"dcr-histogram\" role=\"img\" aria-label=\"distance to the closest training row\" \
         width=\"940\" height=\"300\" viewBox=\"0 0 940 300\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">Distance to the closest \
         training row: synthetic rows (red) against holdout rows (blue), share per bin</text>\
         <line x1=\"{x0}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#444\"/>",
        x0 + width
    );
    for (k, (&s, &h)) in synthetic.iter().zip(&holdout).enumerate() {
        let x = x0 + k as f64 * step;
        for (offset, value, colour, name) in [
            (0.0, s, "#c0392b", "synthetic"),
            (step / 2.0, h, "#5b7bd5", "holdout"),
        ] {
            let bar = value / top * tall;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" \
                 fill=\"{colour}\"><title>{name}: {} of rows at {} to {}</title></rect>",
                x + offset + 1.0,
                base - bar,
                step / 2.0 - 1.0,
                number(value),
                number(edges[k]),
                number(edges[k + 1])
            );
        }
    }
    for k in [0, bins / 2, bins] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x0 + k as f64 * step,
            base + 16.0,
            number(edges[k])
        );
    }
    let _ = write!(
        svg,
        "<text x=\"10\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"10\" y=\"{base}\" \
         font-size=\"11\">0</text></svg>",
        base - tall + 4.0,
        number(top)
    );
    Some(svg)
}

/// The `count` largest values, largest first.
fn worst<'a>(items: impl Iterator<Item = (String, f64)> + 'a, count: usize) -> Vec<(String, f64)> {
    let mut items: Vec<(String, f64)> = items.collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1));
    items.truncate(count);
    items
}

fn charts(out: &mut String, family: Family, metrics: &[&Metric]) {
    let find = |id: &str| metrics.iter().find(|m| m.id == id);
    match family {
        Family::Fidelity => {
            if let Some(shapes) = find("fidelity.column_shapes")
                && let Some(columns) = shapes.details.as_array()
            {
                let items = worst(
                    columns.iter().filter_map(|c| {
                        Some((
                            c["column"].as_str()?.to_string(),
                            1.0 - c["score"].as_f64()?,
                        ))
                    }),
                    10,
                );
                out.push_str(&bars(
                    "Worst columns: distance from the real distribution (1 - column shape; 0 = \
                     identical)",
                    &items,
                    0.0,
                ));
                if let Some(charts) = distribution_charts(columns) {
                    out.push_str(&charts);
                }
            }
            if let Some(trends) = find("fidelity.column_pair_trends")
                && let Some(pairs) = trends.details.as_array()
            {
                let items = worst(
                    pairs
                        .iter()
                        .filter(|p| p["counted"].as_bool() == Some(true))
                        .filter_map(|p| {
                            Some((
                                format!("{} × {}", p["first"].as_str()?, p["second"].as_str()?),
                                1.0 - p["score"].as_f64()?,
                            ))
                        }),
                    10,
                );
                out.push_str(&bars(
                    "Worst column pairs: distance from the real relationship (1 - pair trend; 0 = \
                     identical)",
                    &items,
                    0.0,
                ));
                if let Some(svg) = association_maps(pairs) {
                    out.push_str(&svg);
                }
            }
        }
        Family::Utility => {
            if let Some(svg) = find("utility.mix_curve").and_then(|m| mix_chart(m)) {
                out.push_str(&svg);
            }
            if let Some(statement) =
                find("utility.real_share_needed").and_then(|m| m.details["statement"].as_str())
            {
                let _ = write!(
                    out,
                    "<p class=\"statement\"><strong>Marginal value of real data.</strong> {}</p>",
                    escape(statement)
                );
            }
        }
        Family::Privacy => {
            // The anonymeter attacks: their details hold attack, control and baseline rates.
            let risks: Vec<&Metric> = metrics
                .iter()
                .copied()
                .filter(|m| {
                    synthgate_core::metrics::info(&m.id).map(|row| row.peer)
                        == Some(Peer::Anonymeter)
                })
                .collect();
            if !risks.is_empty() {
                out.push_str(&attack_chart(&risks));
            }
            if let Some(svg) = find("privacy.dcr_closer_to_training").and_then(|m| dcr_chart(m)) {
                out.push_str(&svg);
            }
        }
        Family::Subgroup | Family::Llm | Family::Hybrid => {
            for metric in metrics {
                let augment = synthgate_core::metrics::info(&metric.id)
                    .is_some_and(|row| row.needs == synthgate_core::metrics::Needs::Augment);
                if metric.details["before_after"].is_array() {
                    augment_table(out, metric);
                } else if !augment {
                    subgroup_table(out, metric);
                }
            }
        }
    }
}

/// An augmentation's before/after table: every reported group's shares, column shapes and
/// TSTR before and after, the change with its interval, and TRTR.
fn augment_table(out: &mut String, metric: &Metric) {
    let details = &metric.details;
    let _ = write!(
        out,
        "<h3>Augmentation of {}: before and after</h3><p>Largest utility loss: <b>{}</b>. \
         Each model is trained on the synthetic rows before or after augmentation and scored \
         on the group's holdout rows.</p><table><tr><th>group</th><th>declared share</th>\
         <th>share before</th><th>share after</th><th>column shapes before</th>\
         <th>column shapes after</th><th>TSTR before</th><th>TSTR after</th><th>change</th>\
         <th>95% interval</th><th>TRTR</th></tr>",
        escape(details["attribute"].as_str().unwrap_or("")),
        escape(details["worst_group"].as_str().unwrap_or(""))
    );
    for group in details["before_after"].as_array().into_iter().flatten() {
        let cell = |key: &str| optional(group[key].as_f64());
        let interval = group["tstr_change_interval"]
            .as_array()
            .and_then(|pair| Some((pair.first()?.as_f64()?, pair.get(1)?.as_f64()?)))
            .map_or_else(
                || "–".to_string(),
                |(low, high)| format!("{low:.3} to {high:.3}"),
            );
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(group["group"].as_str().unwrap_or("")),
            cell("declared_share"),
            cell("share_before"),
            cell("share_after"),
            cell("column_shapes_before"),
            cell("column_shapes_after"),
            cell("tstr_before"),
            cell("tstr_after"),
            cell("tstr_change"),
            interval,
            cell("trtr")
        );
    }
    out.push_str("</table>");
}

fn subgroup_table(out: &mut String, metric: &Metric) {
    let details = &metric.details;
    let min = details["min_group_rows"]
        .as_u64()
        .map_or(MIN_CELL, |m| usize::try_from(m).unwrap_or(usize::MAX))
        .max(1);
    let groups: Vec<&serde_json::Value> =
        details["groups"].as_array().into_iter().flatten().collect();
    let suppressed = details["suppressed_groups"]
        .as_u64()
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let _ = write!(
        out,
        "<h3>{}</h3><p>Worst group: <b>{}</b>.</p><table><tr><th>group</th><th>train rows</th>\
         <th>share real</th><th>share synthetic</th><th>column shapes</th><th>holdout \
         shapes</th><th>target rate real</th><th>target rate synthetic</th><th>TSTR</th>\
         <th>TRTR</th><th>DCR share</th></tr>",
        escape(details["attribute"].as_str().unwrap_or("")),
        escape(details["worst_group"].as_str().unwrap_or(""))
    );
    let mut any_withheld = false;
    for group in &groups {
        let withheld = |field: &str| {
            group["withheld"]
                .as_array()
                .is_some_and(|w| w.iter().any(|f| f == field))
        };
        let mut protected = |key: &str, shown: String| {
            if withheld(key) {
                any_withheld = true;
                "withheld".to_string()
            } else {
                shown
            }
        };
        let cell = |key: &str| optional(group[key].as_f64());
        let train_rows = protected(
            "train_rows",
            group["train_rows"]
                .as_u64()
                .map_or_else(|| "–".to_string(), |r| r.to_string()),
        );
        let share_real = protected("share_real", cell("share_real"));
        let rate_real = protected("target_rate_real", cell("target_rate_real"));
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(group["group"].as_str().unwrap_or("")),
            train_rows,
            share_real,
            cell("share_synthetic"),
            cell("column_shapes"),
            cell("column_shapes_reference"),
            rate_real,
            cell("target_rate_synthetic"),
            cell("tstr"),
            cell("trtr"),
            cell("dcr_share")
        );
    }
    out.push_str("</table>");
    out.push_str(&group_chart(metric));
    if suppressed > 0 {
        let _ = write!(
            out,
            "<p class=\"small\">{suppressed} smaller group{} suppressed (fewer than {min} \
             training rows each; not named).</p>",
            if suppressed == 1 { "" } else { "s" }
        );
    }
    if any_withheld {
        let _ = write!(
            out,
            "<p class=\"small\">Withheld: counts of real rows that would be under {min} or \
             would let one be worked out from the training total.</p>"
        );
    }
}

/// Per-group bars of a subgroup metric: each reported group's share of the real and of the
/// synthetic rows, and its column shapes against the holdout's. A value the evaluation
/// withheld (it would give a suppressed group away) is not drawn, and says so.
fn group_chart(metric: &Metric) -> String {
    let details = &metric.details;
    let groups: Vec<&serde_json::Value> =
        details["groups"].as_array().into_iter().flatten().collect();
    let attribute = details["attribute"].as_str().unwrap_or("");
    let height = 30 + groups.len() * 78 + 24;
    let mut svg = format!(
        "<svg id=\"groups-{a}\" role=\"img\" aria-label=\"groups of {a}\" width=\"940\" \
         height=\"{height}\" viewBox=\"0 0 940 {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"600\">Groups of {a}: share \
         of rows (real, synthetic) and column shapes (synthetic, holdout)</text>",
        a = escape(attribute)
    );
    let bar =
        |svg: &mut String, y: usize, label: &str, value: Option<f64>, colour: &str| match value {
            Some(value) => {
                let width = value.clamp(0.0, 1.0) * 480.0;
                let _ = write!(
                    svg,
                    "<text x=\"150\" y=\"{ty}\" font-size=\"11\">{label}</text>\
                     <rect class=\"bar\" x=\"300\" y=\"{y}\" width=\"{width:.1}\" height=\"14\" \
                     fill=\"{colour}\"/><text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"11\">{v}</text>",
                    ty = y + 11,
                    vx = 306.0 + width,
                    v = number(value)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"150\" y=\"{ty}\" font-size=\"11\">{label}</text>\
                     <text x=\"300\" y=\"{ty}\" font-size=\"11\" fill=\"#666\">withheld or \
                     not computed</text>",
                    ty = y + 11
                );
            }
        };
    for (i, group) in groups.iter().enumerate() {
        let withheld = |field: &str| {
            group["withheld"]
                .as_array()
                .is_some_and(|w| w.iter().any(|f| f == field))
        };
        let value = |field: &str| {
            if withheld(field) {
                None
            } else {
                group[field].as_f64()
            }
        };
        let y = 34 + i * 78;
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"{}\" font-size=\"12\" font-weight=\"600\">{}</text>",
            y + 11,
            escape(group["group"].as_str().unwrap_or(""))
        );
        bar(&mut svg, y, "share, real", value("share_real"), "#5b7bd5");
        bar(
            &mut svg,
            y + 17,
            "share, synthetic",
            value("share_synthetic"),
            "#e08a2c",
        );
        bar(
            &mut svg,
            y + 38,
            "shapes, synthetic",
            value("column_shapes"),
            "#e08a2c",
        );
        bar(
            &mut svg,
            y + 55,
            "shapes, holdout",
            value("column_shapes_reference"),
            "#9aa3b2",
        );
    }
    svg.push_str("</svg>");
    svg
}

fn verdict(out: &mut String, report: &Report) {
    out.push_str(
        "<section class=\"verdict\" id=\"verdict\"><h2 style=\"margin-top:0\">Verdict</h2><ul>",
    );
    for section in &SECTIONS {
        let metrics = section.metrics(report);
        if metrics.is_empty() {
            continue;
        }
        let statuses: Vec<Status> = metrics.iter().map(|m| status(m)).collect();
        let overall = if statuses.contains(&Status::Poor) {
            Status::Poor
        } else if statuses.contains(&Status::Watch) {
            Status::Watch
        } else {
            Status::Good
        };
        let flagged: Vec<String> = metrics
            .iter()
            .zip(&statuses)
            .filter(|(_, s)| matches!(s, Status::Poor | Status::Watch))
            .map(|(m, s)| format!("{} ({})", m.id, s.label()))
            .collect();
        let sentence = match overall {
            Status::Good => "on a par with real data the generator never saw.".to_string(),
            _ => format!("look at {}.", flagged.join(", ")),
        };
        let _ = write!(
            out,
            "<li><span class=\"badge {}\">{}</span> <b>{}</b>: {}</li>",
            overall.label(),
            overall.label(),
            section.family.key(),
            escape(&sentence)
        );
    }
    out.push_str("</ul>");
    for warning in &report.warnings {
        let _ = write!(out, "<div class=\"warn\">{}</div>", escape(warning));
    }
    out.push_str("</section>");
}

/// The report as one self-contained HTML page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Synthgate evaluation report</title><style>{STYLE}</style></head><body><main>\
         <h1>Synthgate evaluation report</h1><p class=\"lead\">Harness version {} · seed {} · \
         {} bootstrap resamples per interval</p>",
        report.harness_version, report.seed, report.resamples
    );
    out.push_str("<table><tr><th>input</th><th>file</th><th>rows</th><th>sha256</th></tr>");
    for input in &report.inputs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}…</code></td></tr>",
            input.role,
            escape(&input.path),
            input.rows,
            escape(input.sha256.get(..16).unwrap_or(&input.sha256))
        );
    }
    out.push_str("</table>");
    verdict(&mut out, report);
    if let Some(guarantee) = &report.formal_guarantee {
        let _ = write!(
            out,
            "<section id=\"guarantees\"><h2>Guarantees: formal and empirical</h2>\
             <p><b>Formal</b> (proved, whatever an attacker does): {}</p><p><b>Empirical</b> \
             (measured on this data, not guaranteed): every privacy metric below, from distances \
             to the membership and anonymeter attacks. The real-data values and charts in this \
             report are computed from the real rows and are outside the formal guarantee.</p>\
             </section>",
            escape(guarantee)
        );
    }
    for section in &SECTIONS {
        let metrics = section.metrics(report);
        // Only prompt-based runs have a language-model section, only hybrid releases a
        // composition section.
        if metrics.is_empty() && matches!(section.family, Family::Llm | Family::Hybrid) {
            continue;
        }
        let _ = write!(
            out,
            "<section id=\"{}\"><h2>{}</h2><p>{}</p>",
            section.family.key(),
            escape(section.title),
            escape(section.sentence)
        );
        if metrics.is_empty() {
            let missing = match section.family {
                Family::Utility => "Not measured: pass --target COLUMN.",
                Family::Subgroup => "Not measured: pass --sensitive COLUMN[,COLUMN...].",
                Family::Fidelity | Family::Privacy | Family::Llm | Family::Hybrid => {
                    "Not measured."
                }
            };
            let _ = write!(out, "<p class=\"small\">{missing}</p></section>");
            continue;
        }
        metric_table(&mut out, &metrics);
        charts(&mut out, section.family, &metrics);
        out.push_str("</section>");
    }
    out.push_str(
        "<p class=\"small\">Statuses compare each score with the holdout reference (fidelity, \
         utility) or with fixed risk levels (privacy: DCR share above 0.53, membership AUC above \
         0.53, anonymeter risk whose interval starts above 0.02). They are guides, not \
         guarantees; report.json holds every number.</p></main></body></html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::InputInfo;

    /// A report whose subgroup table, as the evaluation protects it, has groups of 600 and 390
    /// training rows reported and one of 10 suppressed (fewer than 100), out of 1,000 training
    /// rows: B's rows and real share withheld (they would give the suppressed group away), A's
    /// real target rate withheld (6 of its 600 rows).
    fn report(target_binary: bool) -> Report {
        let group = |name: &str, rows: Option<usize>, rate: Option<f64>, withheld: &[&str]| {
            serde_json::json!({
                "group": name, "train_rows": rows,
                "share_real": rows.map(|r| r as f64 / 1000.0),
                "share_synthetic": 0.5, "column_shapes": 0.9, "column_shapes_reference": 0.9,
                "target_rate_real": rate, "target_rate_synthetic": 0.3, "tstr": 0.8,
                "trtr": 0.8, "dcr_share": 0.5, "withheld": withheld,
            })
        };
        let subgroup =
            Metric::new("subgroup.country.worst_gap", 0.1, "").details(serde_json::json!({
                "attribute": "country", "worst_group": "A", "min_group_rows": 100,
                "groups": [
                    group("A", Some(600), None, &["target_rate_real"]),
                    group("B", None, Some(0.4), &["train_rows", "share_real"]),
                ],
                "suppressed_groups": 1,
            }));
        let task = if target_binary {
            "binary"
        } else {
            "regression"
        };
        let tstr =
            Metric::new("utility.tstr", 0.8, "").details(serde_json::json!({ "task": task }));
        Report {
            format_version: 1,
            harness_version: "0.1",
            seed: 0,
            resamples: 0,
            target: Some("income".into()),
            sensitive: vec!["country".into()],
            inputs: [("train", 1000), ("holdout", 250), ("synthetic", 1000)]
                .into_iter()
                .map(|(role, rows)| InputInfo {
                    role,
                    path: format!("{role}.csv"),
                    sha256: "0".repeat(64),
                    rows,
                })
                .collect(),
            warnings: Vec::new(),
            formal_guarantee: None,
            metrics: vec![tstr, subgroup],
        }
    }

    /// The numbers in the subgroup table's row for `group`.
    fn row<'a>(html: &'a str, group: &str) -> Vec<&'a str> {
        let start = html
            .find(&format!("<tr><td>{group}</td>"))
            .unwrap_or_else(|| panic!("no row for {group}"));
        let end = start + html[start..].find("</tr>").expect("row end");
        html[start..end]
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.trim_end_matches("</td>"))
            .collect()
    }

    /// `status` of a metric `id` with `value`, lower interval end `ci_low` and holdout
    /// `reference`.
    fn check(id: &str, value: f64, ci_low: Option<f64>, reference: Option<f64>, expected: Status) {
        let mut metric = Metric::new(id, value, "");
        metric.ci_low = ci_low;
        metric.holdout_reference = reference;
        assert_eq!(
            status(&metric),
            expected,
            "{id} at {value} (ci_low {ci_low:?}, reference {reference:?})"
        );
    }

    /// Every metric's status at a few values, each band's edge included where it is a fixed
    /// level: the statuses report.html and `synthgate evaluate` show.
    #[test]
    fn each_metric_has_its_status_bands() {
        use Status::{Good, Info, Poor, Watch};
        let nan = f64::NAN;
        // Fidelity against the holdout reference: good within 0.02 below it, watch within
        // 0.08, poor further down; no reference, no status.
        for id in [
            "fidelity.column_shapes",
            "fidelity.column_pair_trends",
            "fidelity.accuracy.univariate",
            "fidelity.accuracy.bivariate",
            "fidelity.accuracy.overall",
            "fidelity.missing_rates",
            "fidelity.category_coverage",
            "fidelity.range_coverage",
        ] {
            check(id, 0.95, None, Some(0.9), Good);
            check(id, 0.89, None, Some(0.9), Good);
            check(id, 0.85, None, Some(0.9), Watch);
            check(id, 0.81, None, Some(0.9), Poor);
            check(id, nan, None, Some(0.9), Poor);
            check(id, 0.99, None, None, Info);
        }
        // The k-marginal score runs 0-1000: 25 and 100 points below the reference.
        check("fidelity.kway_marginal", 880.0, None, Some(900.0), Good);
        check("fidelity.kway_marginal", 850.0, None, Some(900.0), Watch);
        check("fidelity.kway_marginal", 790.0, None, Some(900.0), Poor);
        check("fidelity.kway_marginal", 990.0, None, None, Info);
        // Repeated rows: good up to 1.5 x the holdout's rate + 0.01, watch up to 3 x + 0.02.
        check("fidelity.duplicate_rate", 0.03, None, Some(0.02), Good);
        check("fidelity.duplicate_rate", 0.07, None, Some(0.02), Watch);
        check("fidelity.duplicate_rate", 0.2, None, Some(0.02), Poor);
        check("fidelity.duplicate_rate", 0.005, None, None, Good);
        // Detection: good up to 0.05 above the reference (0.5 without one), poor above 0.75.
        check("fidelity.detection_auc", 0.56, None, Some(0.52), Good);
        check("fidelity.detection_auc", 0.6, None, Some(0.52), Watch);
        check("fidelity.detection_auc", 0.75, None, Some(0.52), Watch);
        check("fidelity.detection_auc", 0.76, None, Some(0.52), Poor);
        check("fidelity.detection_auc", 0.74, None, Some(0.7), Good);
        check("fidelity.detection_auc", 0.54, None, None, Good);
        check("fidelity.detection_auc", 0.7, None, None, Watch);
        check("fidelity.detection_auc", 0.8, None, None, Poor);
        check("fidelity.detection_auc", nan, None, None, Poor);
        // Utility.
        check("utility.tstr", 0.79, None, Some(0.8), Good);
        check("utility.tstr", 0.75, None, Some(0.8), Watch);
        check("utility.tstr", 0.7, None, Some(0.8), Poor);
        check("utility.tstr", 0.9, None, None, Info);
        check("utility.tstr_ratio", 0.97, None, None, Good);
        check("utility.tstr_ratio", 0.95, None, Some(1.0), Watch);
        check("utility.tstr_ratio", 0.9, None, None, Watch);
        check("utility.tstr_ratio", 0.89, None, Some(0.5), Poor);
        check("utility.tstr_ratio", nan, None, None, Poor);
        for id in ["utility.trtr", "utility.mix_curve", "privacy.nndr"] {
            for value in [-1.0, 0.0, 0.5, 1.0, nan] {
                check(id, value, Some(0.0), Some(0.5), Info);
                check(id, value, None, None, Info);
            }
        }
        // Privacy at fixed risk levels.
        check("privacy.dcr_share", 0.5, None, Some(0.5), Good);
        check("privacy.dcr_share", 0.53, None, None, Good);
        check("privacy.dcr_share", 0.55, None, None, Watch);
        check("privacy.dcr_share", 0.56, None, None, Watch);
        check("privacy.dcr_share", 0.57, None, Some(0.6), Poor);
        check("privacy.dcr_share", nan, None, None, Poor);
        check("privacy.mia_auc", 0.53, None, None, Good);
        check("privacy.mia_auc", 0.6, None, None, Watch);
        check("privacy.mia_auc", 0.61, None, Some(0.7), Poor);
        check("privacy.density_mia_auc", 0.53, None, None, Good);
        check("privacy.density_mia_auc", 0.61, None, Some(0.7), Poor);
        // Closer to training: good up to 0.03 above the reference, watch up to 0.08.
        check(
            "privacy.dcr_closer_to_training",
            0.52,
            None,
            Some(0.5),
            Good,
        );
        check(
            "privacy.dcr_closer_to_training",
            0.55,
            None,
            Some(0.5),
            Watch,
        );
        check("privacy.dcr_closer_to_training", 0.6, None, Some(0.5), Poor);
        check("privacy.dcr_closer_to_training", 0.1, None, None, Info);
        // Exact copies: up to 1.5 times the holdout's own rate + 0.001, watch to 3 times +
        // 0.005; no reference counts as 0.
        check("privacy.exact_copy_rate", 0.015, None, Some(0.01), Good);
        check("privacy.exact_copy_rate", 0.03, None, Some(0.01), Watch);
        check("privacy.exact_copy_rate", 0.04, None, Some(0.01), Poor);
        check("privacy.exact_copy_rate", 0.0, None, None, Good);
        check("privacy.exact_copy_rate", 0.001, None, None, Good);
        check("privacy.exact_copy_rate", 0.003, None, None, Watch);
        check("privacy.exact_copy_rate", 0.006, None, None, Poor);
        // The anonymeter risks by the interval's lower end (the value without one).
        for id in [
            "privacy.singling_out_risk",
            "privacy.linkability_risk",
            "privacy.inference_risk",
        ] {
            check(id, 0.5, Some(0.01), None, Good);
            check(id, 0.5, Some(0.02), Some(0.9), Good);
            check(id, 0.05, None, None, Watch);
            check(id, 0.5, Some(0.1), None, Watch);
            check(id, 0.01, Some(0.2), None, Poor);
            check(id, 0.5, None, Some(0.0), Poor);
        }
        // Subgroups: the worst gap up to 0.02 above the reference, watch to 0.08.
        for id in ["subgroup.sex.worst_gap", "subgroup.a.b.worst_gap"] {
            check(id, 0.11, None, Some(0.1), Good);
            check(id, 0.15, None, Some(0.1), Watch);
            check(id, 0.2, None, Some(0.1), Poor);
            check(id, 0.0, None, None, Info);
        }
        // The language model's facts at fixed levels.
        check("llm.yield", 0.8, None, None, Good);
        check("llm.yield", 0.5, None, None, Watch);
        check("llm.yield", 0.49, None, None, Poor);
        for id in ["llm.exact_seed_copies", "llm.pii_records"] {
            check(id, 0.0, None, None, Good);
            check(id, 1.0, None, None, Poor);
        }
        check("llm.near_seed_copies", 0.0, None, None, Good);
        check("llm.near_seed_copies", 3.0, None, None, Watch);
        check("llm.max_verbatim_overlap", 20.0, None, None, Good);
        check("llm.max_verbatim_overlap", 50.0, None, None, Watch);
        check("llm.max_verbatim_overlap", 51.0, None, None, Poor);
        // A metric the table does not know has no bands (it is shown, as info, in the section
        // its id names).
        check("fidelity.not_in_the_table", 0.5, None, Some(0.9), Info);
        check("privacy.not_in_the_table_risk", 0.5, Some(0.4), None, Info);
    }

    #[test]
    fn withheld_real_counts_show_as_withheld_and_suppressed_groups_are_counted() {
        let html = render(&report(true));
        assert!(
            html.contains("1 smaller group suppressed (fewer than 100"),
            "{html}"
        );
        let (a, b) = (row(&html, "A"), row(&html, "B"));
        assert_eq!((a[0], a[1]), ("600", "0.6000"), "{a:?}");
        assert_eq!((b[0], b[1]), ("withheld", "withheld"), "{b:?}");
        assert_eq!(a[5], "withheld", "{a:?}");
        assert_eq!(b[5], "0.4000", "{b:?}");
        assert_eq!(a[6], "0.3000", "{a:?}");
        assert!(html.contains("Withheld: counts of real rows"), "{html}");
    }

    /// The per-group bars draw each reported group's real and synthetic shares and its column
    /// shapes against the holdout's, and never a value the evaluation withheld, even where
    /// the details still hold it (B's real share here, 0.3875, which would give the
    /// suppressed group away).
    #[test]
    fn group_bars_draw_the_groups_and_not_what_is_withheld() {
        let mut report = report(true);
        report.metrics[1].details["groups"][1]["share_real"] = serde_json::json!(0.3875);
        let html = render(&report);
        let start = html
            .find("<svg id=\"groups-country\"")
            .expect("the group chart");
        let svg = &html[start..start + html[start..].find("</svg>").expect("its end")];
        // A: four bars; B: its real share withheld, three.
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 7, "{svg}");
        assert!(
            svg.contains(">0.6000<") && svg.contains(">0.5000<"),
            "{svg}"
        );
        assert!(!svg.contains("0.3875") && !svg.contains("0.388"), "{svg}");
        assert_eq!(svg.matches("withheld or not computed").count(), 1, "{svg}");
    }

    /// The association heatmaps: one cell per ordered pair in each panel, the real panel shaded
    /// by the real association and the synthetic panel by the synthetic one (a panel drawing
    /// the other's values would shade a cell it must not), every cell titled with both, a pair
    /// without a value grey. The distance histogram: one bar per bin and set, as high as its
    /// share.
    #[test]
    fn association_maps_and_the_distance_histogram_draw_their_own_numbers() {
        let mut report = report(true);
        let pair = |a: &str, b: &str, real: f64, synthetic: Option<f64>| {
            serde_json::json!({ "first": a, "second": b, "metric": "CorrelationSimilarity",
                "score": null, "real_association": real, "synthetic_association": synthetic,
                "counted": false })
        };
        report
            .metrics
            .push(
                Metric::new("fidelity.column_pair_trends", 0.9, "").details(serde_json::json!([
                    pair("age", "income", -1.0, Some(0.0)),
                    pair("age", "hours", 0.0, None),
                    pair("income", "hours", 0.5, Some(0.5)),
                ])),
            );
        report.metrics.push(
            Metric::new("privacy.dcr_closer_to_training", 0.6, "").details(serde_json::json!({
                "histogram": { "edges": [0.0, 0.5, 1.0], "synthetic": [1.0, 0.0],
                    "holdout": [0.25, 0.75] } })),
        );
        let html = render(&report);
        let svg = |id: &str| {
            let start = html
                .find(&format!("<svg id=\"{id}\""))
                .unwrap_or_else(|| panic!("no {id}"));
            html[start..start + html[start..].find("</svg>").expect("its end")].to_string()
        };
        let maps = svg("associations");
        // Three columns: six off-diagonal cells per panel.
        assert_eq!(maps.matches("<rect ").count(), 12, "{maps}");
        let cell = |fill: &str, title: &str| format!("fill=\"{fill}\"><title>{title}</title>");
        let (dark, white) = ("rgb(35,70,160)", "rgb(255,255,255)");
        let age_income = "age × income: real -1.0000, synthetic 0.0000";
        assert_eq!(maps.matches(&cell(dark, age_income)).count(), 1, "{maps}");
        assert_eq!(maps.matches(&cell(white, age_income)).count(), 1, "{maps}");
        let grey = cell("#dddddd", "age × hours: real 0.0000, synthetic –");
        assert_eq!(maps.matches(&grey).count(), 1, "{maps}");
        let bars = svg("dcr-histogram");
        assert_eq!(bars.matches("<rect ").count(), 4, "{bars}");
        assert!(bars.contains("height=\"200.0\" fill=\"#c0392b\""), "{bars}");
        assert!(bars.contains("height=\"50.0\" fill=\"#5b7bd5\""), "{bars}");
        assert!(bars.contains("height=\"150.0\" fill=\"#5b7bd5\""), "{bars}");
    }

    /// A column's distribution: three bars per cell, as high as their shares; a withheld
    /// real share draws no bar and is marked, and its number appears nowhere on the page.
    #[test]
    fn column_distributions_draw_every_share_but_the_withheld() {
        let mut report = report(true);
        report
            .metrics
            .push(
                Metric::new("fidelity.column_shapes", 0.9, "").details(serde_json::json!([{
                "column": "sex", "metric": "TVComplement", "score": 0.9,
                "distribution": { "kind": "categorical", "labels": ["F", "M", "(other)"],
                    "train": [0.5, null, null], "holdout": [0.25, 0.75, 0.0],
                    "synthetic": [0.5, 0.375, 0.125] } }])),
            );
        let html = render(&report);
        let start = html.find("<svg id=\"distribution-0\"").expect("the chart");
        let svg = &html[start..start + html[start..].find("</svg>").expect("its end")];
        assert_eq!(svg.matches("<rect ").count(), 7, "{svg}");
        assert!(svg.contains("height=\"60.0\" fill=\"#34495e\""), "{svg}");
        assert!(svg.contains("height=\"90.0\" fill=\"#9aa3b2\""), "{svg}");
        assert_eq!(svg.matches("a real share withheld").count(), 2, "{svg}");
        assert!(svg.contains("M: holdout 0.7500"), "{svg}");
        assert!(!svg.contains("M: training"), "{svg}");
    }
}
