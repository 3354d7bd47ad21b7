//! The review pages, rendered on the server: plain HTML and CSS (no script), laid out for a
//! laptop screen, usable with the keyboard alone (a skip link, real links and form controls,
//! visible focus), and readable when printed.

use serde_json::Value;

use crate::auth::Caller;

/// The review form's script (served at `/static/review.js`).
pub(crate) const REVIEW_JS: &str = include_str!("review.js");

pub(crate) use synthgate_engine::types::escape_html as escape;

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => escape(s),
        Value::Null => "—".to_string(),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() != 0.0)
            .map_or_else(|| n.to_string(), |f| format!("{f:.4}")),
        other => escape(&other.to_string()),
    }
}

const STYLE: &str = "
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6775; --line: #d5dbe2;
  --pass: #176b3a; --fail: #a1261d; --wait: #8a5a00; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--ink); margin: 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #f2b705; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { background: #14202e; color: #fff; padding: .75rem 1.5rem; display: flex; justify-content: space-between; align-items: baseline; }
header a { color: #fff; font-weight: 600; text-decoration: none; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: 13px; font-weight: 600; border: 1px solid; }
.approved, .pass { color: var(--pass); } .rejected, .fail, .withdrawn { color: var(--fail); } .pending, .waived { color: var(--wait); }
.verdict { font-size: 20px; margin: .5rem 0 1rem; }
form.filters { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .5rem; }
iframe { width: 100%; height: 70vh; border: 1px solid var(--line); }
#review { max-width: 40rem; display: grid; gap: .75rem; margin: 1rem 0 2rem; padding: 1rem;
  border: 1px solid var(--line); border-radius: .5rem; }
#review fieldset { border: 0; padding: 0; margin: 0; display: flex; gap: 1.5rem; }
#review legend { font-size: 13px; color: var(--muted); padding: 0; margin-bottom: .25rem; }
#review fieldset label { flex-direction: row; align-items: center; gap: .4rem; font-size: 15px;
  color: var(--ink); }
#review button { justify-self: start; font-weight: 600; }
.withdrawn[role=alert] { font-weight: 600; }
code { font-size: 13px; }
.muted { color: var(--muted); }
@media print { header, form, iframe, .skip { display: none; } main { max-width: none; } }
";

fn page(title: &str, caller: Option<&Caller>, body: &str) -> String {
    let who = caller.map_or_else(String::new, |c| {
        format!("<span>Signed in as {}</span>", escape(&c.name))
    });
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Synthgate</title><style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header><a href=\"/\">Synthgate releases</a>{who}</header>\
         <main id=\"main\" tabindex=\"-1\">{body}</main></body></html>\n",
        escape(title)
    )
}

fn badge(status: &str) -> String {
    format!(
        "<span class=\"badge {0}\" data-status=\"{0}\">{0}</span>",
        escape(status)
    )
}

/// The review form, for a caller holding some of the roles the policy names; nothing for a
/// caller who holds none.
fn review_form(caller: &Caller, roles: &[String], shown: &Value) -> String {
    let required: Vec<&str> = shown["required_roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mine: Vec<&String> = roles
        .iter()
        .filter(|r| required.contains(&r.as_str()))
        .collect();
    let (Some(csrf), false) = (&caller.csrf, mine.is_empty()) else {
        return "<p class=\"muted\">You hold none of the roles that decide on this release.</p>"
            .to_string();
    };
    let options: String = mine
        .iter()
        .map(|r| format!("<option value=\"{0}\">{0}</option>", escape(r)))
        .collect();
    format!(
        "<form id=\"review\" data-release=\"{id}\" data-csrf=\"{csrf}\" \
         aria-describedby=\"review-help\">\
         <p id=\"review-help\">Your decision is signed here, in this browser, with the key file you \
         open; the key is never sent anywhere.</p>\
         <label>Role<select name=\"role\">{options}</select></label>\
         <fieldset><legend>Decision</legend>\
         <label><input type=\"radio\" name=\"decision\" value=\"approve\" checked> Approve</label>\
         <label><input type=\"radio\" name=\"decision\" value=\"reject\"> Reject</label></fieldset>\
         <label>Conditions or remarks<textarea name=\"comment\" rows=\"2\" cols=\"60\"></textarea></label>\
         <label>Your key file<input type=\"file\" name=\"key\" required></label>\
         <button type=\"submit\" name=\"sign\">Sign and record</button>\
         <p id=\"review-status\" role=\"status\" aria-live=\"polite\"></p></form>\
         <script src=\"/static/review.js\" defer></script>",
        id = shown["release"]["id"],
        csrf = escape(csrf),
    )
}

/// A failed request's page; a 401 offers the sign-in form.
pub(crate) fn problem(status: u16, message: &str) -> String {
    let form = if status == 401 {
        "<form method=\"post\" action=\"/login\" class=\"filters\"><label>Your API token\
         <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label>\
         <button type=\"submit\">Sign in</button></form>"
    } else {
        ""
    };
    page(
        if status == 401 { "Sign in" } else { "Problem" },
        None,
        &format!(
            "<h1>{}</h1><p role=\"alert\">{}</p>{form}<p><a href=\"/\">Back to the releases</a></p>",
            if status == 401 {
                "Sign in".to_string()
            } else {
                status.to_string()
            },
            escape(message)
        ),
    )
}

/// Links to the previous and next pages of a list, keeping its filters.
fn more(list: &Value, query: &[(String, String)], shown: usize) -> String {
    let total = list["total"].as_u64().unwrap_or(0);
    let offset = list["offset"].as_u64().unwrap_or(0);
    let limit = list["limit"].as_u64().unwrap_or(100).max(1);
    let link = |to: u64, label: &str| {
        let mut params: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "offset")
            .map(|(k, v)| format!("{}={}", escape(k), escape(&encode(v))))
            .collect();
        params.push(format!("offset={to}"));
        format!("<a href=\"/?{}\">{label}</a>", params.join("&amp;"))
    };
    let mut links = Vec::new();
    if offset > 0 {
        links.push(link(offset.saturating_sub(limit), "Previous page"));
    }
    if offset + (shown as u64) < total {
        links.push(link(offset + limit, "Next page"));
    }
    if links.is_empty() {
        return String::new();
    }
    format!(
        "<nav aria-label=\"More releases\"><p>Showing {}–{} of {total}. {}</p></nav>",
        offset + 1,
        offset + shown as u64,
        links.join(" · ")
    )
}

/// `text` percent-encoded for a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The releases page, with its filters.
pub(crate) fn releases(caller: &Caller, list: &Value, query: &[(String, String)]) -> String {
    let chosen = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let option = |name: &str, value: &str, label: &str| {
        format!(
            "<option value=\"{}\"{}>{}</option>",
            escape(value),
            if chosen(name) == value {
                " selected"
            } else {
                ""
            },
            escape(label)
        )
    };
    let mut rows = String::new();
    let items = list["releases"].as_array().cloned().unwrap_or_default();
    for item in &items {
        let pending: Vec<String> = item["pending_roles"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        rows.push_str(&format!(
            "<tr><td><a href=\"/releases/{id}\">{name} {version}</a></td><td>{status}</td>\
             <td>{gates}</td><td>{pending}</td><td>{synth}</td><td>{rows}</td><td>{created}</td>\
             <td>{supersedes}</td></tr>",
            id = item["id"],
            name = text(&item["name"]),
            version = text(&item["version"]),
            status = badge(item["status"].as_str().unwrap_or("pending")),
            gates = if item["releasable"].as_bool().unwrap_or(false) {
                "<span class=\"pass\">all passed</span>"
            } else {
                "<span class=\"fail\">failed</span>"
            },
            pending = if pending.is_empty() {
                "—".into()
            } else {
                pending.join(", ")
            },
            synth = text(&item["synthesizer"]),
            rows = text(&item["rows"]),
            created = text(&item["created_at"]),
            supersedes = match item["supersedes"].as_i64() {
                Some(id) => format!("<a href=\"/releases/{id}\">#{id}</a>"),
                None => "—".into(),
            },
        ));
    }
    if items.is_empty() {
        rows.push_str("<tr><td colspan=\"8\" class=\"muted\">No release matches.</td></tr>");
    }
    let body = format!(
        "<h1>Releases</h1>\
         <form class=\"filters\" method=\"get\" action=\"/\" aria-label=\"Filter the releases\">\
         <label>Name<input name=\"name\" value=\"{name}\"></label>\
         <label>Status<select name=\"status\">{s0}{s1}{s2}{s3}</select></label>\
         <label>Gates<select name=\"releasable\">{r0}{r1}{r2}</select></label>\
         <button type=\"submit\">Filter</button></form>\
         <table><caption>{count} release(s)</caption><thead><tr><th scope=\"col\">Release</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Gates</th><th scope=\"col\">Roles pending</th>\
         <th scope=\"col\">Synthesizer</th><th scope=\"col\">Rows</th><th scope=\"col\">Made</th>\
         <th scope=\"col\">Supersedes</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        name = escape(chosen("name")),
        s0 = option("status", "", "any"),
        s1 = option("status", "pending", "pending"),
        s2 = option("status", "approved", "approved"),
        s3 = option("status", "rejected", "rejected"),
        r0 = option("releasable", "", "any"),
        r1 = option("releasable", "true", "all passed"),
        r2 = option("releasable", "false", "failed"),
        count = list["total"].as_u64().unwrap_or(items.len() as u64),
        more = more(list, query, items.len()),
    );
    page("Releases", Some(caller), &body)
}

/// The lineage drawn: the source on the left, an edge to each release made from it (oldest
/// at the top), and an arrow from each release to the one it superseded, on the right; the
/// release shown is outlined thicker, a withdrawn one struck through. Inline SVG with
/// presentation attributes only (the CSP allows no inline style), its text alternative the
/// list that follows it.
pub(crate) fn lineage_graph(lineage: &Value, shown: i64) -> String {
    const ROW: i64 = 34;
    const TOP: i64 = 14;
    let rows: Vec<&Value> = lineage["releases"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let height = TOP * 2 + ROW * rows.len() as i64;
    let y = |at: usize| TOP + ROW * at as i64 + ROW / 2;
    let source_y = height / 2;
    let source = lineage["source_sha256"].as_str().unwrap_or_default();
    let mut svg = format!(
        "<svg id=\"lineage-graph\" role=\"img\" aria-labelledby=\"lineage-graph-title\" \
         width=\"640\" height=\"{height}\" viewBox=\"0 0 640 {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"13\">\
         <title id=\"lineage-graph-title\">Source {short} and the {count} release(s) made from it</title>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/>\
         </marker></defs>\
         <rect x=\"4\" y=\"{sy}\" width=\"176\" height=\"26\" rx=\"4\" fill=\"#eef\" stroke=\"#446\"/>\
         <text x=\"12\" y=\"{ty}\">source {short}…</text>",
        short = escape(source.get(..12).unwrap_or(source)),
        count = rows.len(),
        sy = source_y - 13,
        ty = source_y + 5,
    );
    let position: std::collections::HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(at, row)| row["id"].as_i64().map(|id| (id, at)))
        .collect();
    for (at, row) in rows.iter().enumerate() {
        let id = row["id"].as_i64().unwrap_or(0);
        let this = id == shown;
        let withdrawn = !row["withdrawn_at"].is_null();
        svg.push_str(&format!(
            "<path d=\"M180,{sy} C220,{sy} 220,{ry} 260,{ry}\" fill=\"none\" stroke=\"#889\"/>\
             <a href=\"/releases/{id}\"><rect class=\"release\" data-id=\"{id}\" x=\"260\" \
             y=\"{top}\" width=\"260\" height=\"26\" rx=\"4\" fill=\"{fill}\" stroke=\"#223\" \
             stroke-width=\"{stroke}\"/><text x=\"268\" y=\"{ty}\"{strike}>#{id} {name} {version}</text></a>",
            sy = source_y,
            ry = y(at),
            top = y(at) - 13,
            ty = y(at) + 5,
            fill = if withdrawn { "#f3e3e3" } else { "#fff" },
            stroke = if this { 3 } else { 1 },
            strike = if withdrawn {
                " text-decoration=\"line-through\""
            } else {
                ""
            },
            name = text(&row["name"]),
            version = text(&row["version"]),
        ));
        if let Some(&old) = row["supersedes"].as_i64().and_then(|o| position.get(&o)) {
            let (from, to) = (y(at), y(old));
            let bend = 560 + 12 * (at.abs_diff(old) as i64).min(5);
            svg.push_str(&format!(
                "<path class=\"supersedes\" d=\"M520,{from} C{bend},{from} {bend},{to} 522,{to}\" \
                 fill=\"none\" stroke=\"#444\" stroke-dasharray=\"4 3\" marker-end=\"url(#arrow)\">\
                 <title>#{id} supersedes #{old_id}</title></path>",
                old_id = rows[old]["id"],
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The drift measurements as a table, or a sentence saying there are none and how to make
/// one.
fn drift_table(drift: &Value) -> String {
    let runs: Vec<&Value> = drift["runs"].as_array().into_iter().flatten().collect();
    if runs.is_empty() {
        return "<p id=\"drift\">No drift measured yet: <code>synthgate drift BUNDLE \
                NEW_SNAPSHOT</code> compares a new real snapshot with what the bundle kept \
                about its source.</p>"
            .into();
    }
    let mut rows = String::new();
    for run in runs {
        let exceeded: Vec<String> = run["exceeded"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| match e.as_str() {
                Some(text) => escape(text),
                None => escape(&e.to_string()),
            })
            .collect();
        let snapshot = run["new_data_sha256"].as_str().unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{at}</td><td><code>{snapshot}</code></td><td class=\"{class}\">{verdict}</td></tr>",
            at = text(&run["at"]),
            snapshot = escape(snapshot.get(..16).unwrap_or(snapshot)),
            class = if exceeded.is_empty() { "pass" } else { "fail" },
            verdict = if exceeded.is_empty() {
                "within the policy's limits".to_string()
            } else {
                format!("exceeded: {}", exceeded.join(", "))
            },
        ));
    }
    format!(
        "<table id=\"drift\"><caption>Each new snapshot compared, oldest first</caption><thead>\
         <tr><th scope=\"col\">When</th><th scope=\"col\">Snapshot (sha256)</th>\
         <th scope=\"col\">Verdict</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// A release's review page.
pub(crate) fn release(
    caller: &Caller,
    roles: &[String],
    shown: &Value,
    lineage: &Value,
    segment: &Value,
    drift: &Value,
) -> String {
    let release = &shown["release"];
    let id = release["id"].as_i64().unwrap_or(0);
    let status = shown["status"].as_str().unwrap_or("pending");
    let mut gates = String::new();
    for gate in shown["gates"].as_array().into_iter().flatten() {
        let outcome = gate["outcome"].as_str().unwrap_or("");
        gates.push_str(&format!(
            "<tr data-metric=\"{metric}\"><td><code>{metric}</code></td><td class=\"{class}\">{outcome}</td>\
             <td>{observed}</td><td>{threshold}</td></tr>",
            metric = text(&gate["metric"]),
            class = escape(outcome),
            outcome = escape(outcome),
            observed = text(&gate["observed"]),
            threshold = text(&gate["threshold"]),
        ));
    }
    let mut decisions = String::new();
    for approval in shown["approvals"].as_array().into_iter().flatten() {
        decisions.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            text(&approval["role"]),
            if approval["decision"] == "approve" {
                "pass"
            } else {
                "fail"
            },
            text(&approval["decision"]),
            text(&approval["key_fingerprint"]),
            text(&approval["signed_at"]),
        ));
    }
    if decisions.is_empty() {
        decisions.push_str("<tr><td colspan=\"4\" class=\"muted\">No decision yet.</td></tr>");
    }
    let role_list = |key: &str| -> String {
        let names: Vec<String> = shown[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    };
    let mut family = String::new();
    for row in lineage["releases"].as_array().into_iter().flatten() {
        let this = row["id"].as_i64() == Some(id);
        family.push_str(&format!(
            "<li>{}<a href=\"/releases/{}\">{} {}</a>{}{}</li>",
            if this { "<strong>" } else { "" },
            row["id"],
            text(&row["name"]),
            text(&row["version"]),
            match row["supersedes"].as_i64() {
                Some(old) => format!(" (supersedes #{old})"),
                None => String::new(),
            },
            if this {
                " — this release</strong>"
            } else {
                ""
            },
        ));
    }
    let mut trail = String::new();
    for entry in segment["entries"].as_array().into_iter().flatten() {
        trail.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            text(&entry["seq"]),
            text(&entry["ts"]),
            text(&entry["action"]),
            escape(
                entry["entry_hash"]
                    .as_str()
                    .map_or("", |h| h.get(..16).unwrap_or(h))
            ),
        ));
    }
    let report = if shown["bundle_present"].as_bool().unwrap_or(false) {
        format!(
            "<iframe src=\"/releases/{id}/report.html\" title=\"Evaluation report of release {id}\"></iframe>\
             <p><a href=\"/releases/{id}/report.html\">Open the report on its own</a> · \
             <a href=\"/api/releases/{id}/datasheet\">Datasheet (Croissant JSON)</a> · \
             <a href=\"/api/releases/{id}/report\">Report (JSON)</a></p>"
        )
    } else {
        format!(
            "<p role=\"alert\">The bundle is not at {} any more: its report and datasheet cannot \
             be shown.</p>",
            text(&release["bundle"])
        )
    };
    let body = format!(
        "<h1>{name} {version}</h1>\
         <p class=\"verdict\" id=\"verdict\">Status: {badge} · gates {gates_verdict}</p>{withdrawn}\
         <p class=\"muted\">Registry #{id} · {synth}, seed {seed}, {rows} rows · made {created} · \
         bundle <code>{bundle}</code></p>\
         <section aria-labelledby=\"gates-h\"><h2 id=\"gates-h\">Gates</h2><table id=\"gates\">\
         <thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Outcome</th>\
         <th scope=\"col\">Observed</th><th scope=\"col\">Threshold</th></tr></thead>\
         <tbody>{gates}</tbody></table></section>\
         <section aria-labelledby=\"review-h\"><h2 id=\"review-h\">Review</h2>\
         <p>Roles the policy names: {required}. Still to decide: <span id=\"pending\">{pending}</span>.</p>\
         <table id=\"decisions\"><caption>Decisions, oldest first</caption><thead><tr>\
         <th scope=\"col\">Role</th><th scope=\"col\">Decision</th><th scope=\"col\">Key</th>\
         <th scope=\"col\">Signed</th></tr></thead><tbody>{decisions}</tbody></table>{form}</section>\
         <section aria-labelledby=\"report-h\"><h2 id=\"report-h\">Report</h2>{report}</section>\
         <section aria-labelledby=\"lineage-h\"><h2 id=\"lineage-h\">Lineage</h2>\
         <p>Releases made from source <code>{source}</code>:</p>{graph}<ul id=\"lineage\">{family}</ul></section>\
         <section aria-labelledby=\"drift-h\"><h2 id=\"drift-h\">Drift</h2>{drift}</section>\
         <section aria-labelledby=\"audit-h\"><h2 id=\"audit-h\">Audit trail</h2>\
         <table id=\"audit\"><caption>The run's entries, as the bundle carries them</caption>\
         <thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">When</th><th scope=\"col\">Action</th>\
         <th scope=\"col\">Hash</th></tr></thead><tbody>{trail}</tbody></table></section>",
        name = text(&release["name"]),
        version = text(&release["version"]),
        badge = badge(status).replacen("<span ", "<span id=\"status-badge\" ", 1),
        form = review_form(caller, roles, shown),
        withdrawn = match release["withdrawn_at"].as_str() {
            Some(at) => format!(
                "<p role=\"alert\" id=\"withdrawn\" class=\"withdrawn\">Withdrawn on {} by {}: {}</p>",
                escape(at),
                text(&release["withdrawn_by"]),
                text(&release["withdrawn_reason"])
            ),
            None => String::new(),
        },
        gates_verdict = if release["releasable"].as_bool().unwrap_or(false) {
            "<span class=\"pass\">all passed</span>"
        } else {
            "<span class=\"fail\">failed</span>"
        },
        synth = text(&release["synthesizer"]),
        seed = text(&release["seed"]),
        rows = text(&release["rows"]),
        created = text(&release["created_at"]),
        bundle = text(&release["bundle"]),
        required = role_list("required_roles"),
        pending = role_list("pending_roles"),
        source = escape(
            release["source_sha256"]
                .as_str()
                .map_or("", |s| s.get(..16).unwrap_or(s))
        ),
        graph = lineage_graph(lineage, id),
        drift = drift_table(drift),
    );
    page(
        &format!(
            "{} {}",
            release["name"].as_str().unwrap_or(""),
            release["version"].as_str().unwrap_or("")
        ),
        Some(caller),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_registry_is_escaped() {
        assert_eq!(escape("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        let caller = Caller {
            name: "<b>eve</b>".into(),
            csrf: None,
        };
        let list = serde_json::json!({"releases": [{"id": 1, "name": "<img src=x>", "version": "1",
            "status": "pending", "pending_roles": [], "releasable": true}]});
        let html = releases(&caller, &list, &[]);
        assert!(!html.contains("<img src=x>") && !html.contains("<b>eve</b>"));
        assert!(html.contains("&lt;img src=x&gt;"));
    }

    /// The lineage graph draws every release of the source, an arrow for each supersession,
    /// the shown release outlined thicker and a withdrawn one struck through; names escaped.
    #[test]
    fn the_lineage_graph_draws_releases_and_supersessions() {
        let lineage = serde_json::json!({
            "source_sha256": "ab12cd34ef56ab12cd34",
            "releases": [
                {"id": 1, "name": "heart", "version": "1.0.0", "supersedes": null},
                {"id": 2, "name": "<b>heart</b>", "version": "1.1.0", "supersedes": null,
                 "withdrawn_at": "2026-12-03T00:00:00Z"},
                {"id": 3, "name": "heart", "version": "2.0.0", "supersedes": 1},
            ],
        });
        let svg = lineage_graph(&lineage, 3);
        assert_eq!(svg.matches("class=\"release\"").count(), 3, "{svg}");
        assert_eq!(svg.matches("class=\"supersedes\"").count(), 1, "{svg}");
        assert!(svg.contains("<title>#3 supersedes #1</title>"), "{svg}");
        assert!(
            svg.contains("data-id=\"3\" x=\"260\" y=\"86\" width=\"260\" height=\"26\" rx=\"4\" fill=\"#fff\" stroke=\"#223\" stroke-width=\"3\""),
            "{svg}"
        );
        assert!(
            svg.contains("text-decoration=\"line-through\">#2 &lt;b&gt;heart"),
            "{svg}"
        );
        assert!(svg.contains("source ab12cd34ef56…"), "{svg}");
        assert_eq!(lineage_graph(&serde_json::json!({"releases": []}), 1), "");
    }
}
