//! ARCHITECTURE.md is checked, not trusted: its dependency table must match what
//! `cargo metadata` says the crates depend on, no crate's top-level modules may import each
//! other in a circle (beyond the cycles listed below as known, each to be removed), and every
//! metric id the code names is a row of the metric table (so no code decides by an id prefix).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `crate -> may depend on` from the table under "## Dependencies" in ARCHITECTURE.md (short
/// names: `core` for `synthgate-core`).
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("## Dependencies")
        .nth(1)
        .expect("ARCHITECTURE.md has a '## Dependencies' section");
    let mut table = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(name) = cells.first().map(|c| c.trim_matches('`')) else {
            continue;
        };
        if !name.starts_with("synthgate-") {
            continue;
        }
        let allowed = cells
            .get(1)
            .map(|c| {
                c.split(',')
                    .map(|d| d.trim().trim_matches('`').to_string())
                    .filter(|d| !d.is_empty() && d != "nothing")
                    .map(|d| format!("synthgate-{d}"))
                    .collect()
            })
            .unwrap_or_default();
        table.insert(name.to_string(), allowed);
    }
    table
}

/// `crate -> its normal dependencies on workspace crates`, from `cargo metadata`.
fn actual() -> BTreeMap<String, BTreeSet<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut graph = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("name").to_string();
        let deps = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|d| d.starts_with("synthgate-"))
            .map(str::to_string)
            .collect();
        graph.insert(name, deps);
    }
    graph
}

/// Differences between the documented and the actual graph, as sentences.
fn dependency_problems(
    documented: &BTreeMap<String, BTreeSet<String>>,
    actual: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, deps) in actual {
        let Some(allowed) = documented.get(name) else {
            problems.push(format!(
                "{name} is not in ARCHITECTURE.md's dependency table"
            ));
            continue;
        };
        for dep in deps.difference(allowed) {
            problems.push(format!(
                "{name} depends on {dep}, which ARCHITECTURE.md does not allow"
            ));
        }
        for dep in allowed.difference(deps) {
            problems.push(format!(
                "ARCHITECTURE.md says {name} may depend on {dep}, but it does not (keep the \
                 table exact)"
            ));
        }
    }
    for name in documented.keys() {
        if !actual.contains_key(name) {
            problems.push(format!(
                "ARCHITECTURE.md lists {name}, which is not a crate"
            ));
        }
    }
    problems
}

#[test]
fn the_dependency_table_is_the_dependency_graph() {
    let problems = dependency_problems(&documented(), &actual());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_forbidden_edge_is_caught() {
    // The check itself can fail: io depending on release is not allowed.
    let mut actual = actual();
    actual
        .get_mut("synthgate-io")
        .expect("io")
        .insert("synthgate-release".into());
    let problems = dependency_problems(&documented(), &actual);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("synthgate-io depends on synthgate-release")),
        "{problems:?}"
    );
}

/// The top-level modules of a crate's `src` and, per module, the sibling modules it names
/// (`crate::x`, `super::x` from inside a top-level module's folder, `use crate::{x, ..}`).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("src") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut all = Vec::new();
        collect_rs(&path, &mut all);
        if !all.is_empty() {
            files.entry(name).or_default().extend(all);
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, paths) in &files {
        let mut uses = BTreeSet::new();
        for path in paths {
            let text = std::fs::read_to_string(path).expect("source");
            // Tests inside a module may use anything.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            for other in &modules {
                if other == module {
                    continue;
                }
                let named = text.contains(&format!("crate::{other}::"))
                    || text.contains(&format!("crate::{other};"))
                    || text.contains(&format!("crate::{other}}}"))
                    || text.contains(&format!("crate::{other},"))
                    || text.split("use crate::{").skip(1).any(|rest| {
                        rest.split('}')
                            .next()
                            .unwrap_or("")
                            .split([',', ' ', '\n'])
                            .any(|item| {
                                item.trim() == other
                                    || item.trim().starts_with(&format!("{other}::"))
                            })
                    });
                if named {
                    uses.insert(other.clone());
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

fn collect_rs(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("dir") {
            collect_rs(&entry.expect("entry").path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        let graph = state.graph;
        for next in graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = BTreeSet::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.insert(top.to_string());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

/// Module cycles allowed to exist: none. A new one fails the test, and so would a listed one that
/// is gone (so the list could only shrink).
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

#[test]
fn no_crate_has_a_module_cycle() {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).expect("crates") {
        let dir = entry.expect("entry").path();
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for component in cycles(&module_graph(&dir.join("src"))) {
            found.push((name.clone(), component));
        }
    }
    let known: Vec<(String, BTreeSet<String>)> = KNOWN_CYCLES
        .iter()
        .map(|(krate, modules)| {
            (
                krate.to_string(),
                modules.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect();
    let new: Vec<_> = found.iter().filter(|c| !known.contains(c)).collect();
    let gone: Vec<_> = known.iter().filter(|c| !found.contains(c)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "module cycles not listed as known: {new:?}; listed but gone (remove them from \
         KNOWN_CYCLES): {gone:?}"
    );
}

#[test]
fn a_module_cycle_is_caught() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
}

/// The metric ids `text` writes as string literals: a quote, a family's key and a dot, then
/// only id characters up to the closing quote. A `{name}` placeholder (a `format!` argument)
/// reads as the pattern's `*`. A bare prefix such as `"privacy."` counts too: it is no id.
fn metric_id_literals(text: &str) -> Vec<String> {
    use synthgate_core::metrics::Family;
    let mut found = Vec::new();
    for (start, _) in text.match_indices('"') {
        let rest = &text[start + 1..];
        if !Family::ALL
            .iter()
            .any(|family| rest.starts_with(&format!("{}.", family.key())))
        {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_.{}*".contains(c)))
            .unwrap_or(rest.len());
        if !rest[end..].starts_with('"') {
            continue;
        }
        let mut id = String::new();
        let mut placeholder = false;
        for c in rest[..end].chars() {
            match c {
                '{' => {
                    placeholder = true;
                    id.push('*');
                }
                '}' => placeholder = false,
                _ if placeholder => {}
                _ => id.push(c),
            }
        }
        found.push(id);
    }
    found
}

/// The source files of every crate, tests inside them cut off (they name unknown ids on
/// purpose), but not the metric table itself.
fn library_sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).expect("crates") {
        collect_rs(&entry.expect("entry").path().join("src"), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .filter(|path| !path.ends_with("synthgate-core/src/metrics.rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source");
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            (path, code)
        })
        .collect()
}

#[test]
fn every_metric_id_the_code_names_is_a_row_of_the_table() {
    let mut named = 0;
    let mut unknown = Vec::new();
    for (path, code) in library_sources() {
        for id in metric_id_literals(&code) {
            named += 1;
            if synthgate_core::metrics::info(&id).is_none() {
                unknown.push(format!("{}: \"{id}\"", path.display()));
            }
        }
    }
    // The harness, report.html and the datasheet name ids: the scan must see them.
    assert!(named > 30, "only {named} metric ids found in the code");
    assert!(
        unknown.is_empty(),
        "ids (or prefixes) the metric table has no row for: {unknown:?}; add the row to \
         synthgate-core/src/metrics.rs, or ask the table instead of matching the id"
    );
}

#[test]
fn a_prefix_or_an_unknown_id_is_caught() {
    let code = r#"
        if id.starts_with("privacy.") { }
        let a = "fidelity.column_shapes";
        let b = format!("subgroup.{name}.worst_gap");
        let c = "utility.tstr is a sentence, not an id";
        let d = "llm.yield_per_dollar";
    "#;
    let found = metric_id_literals(code);
    assert_eq!(
        found,
        [
            "privacy.",
            "fidelity.column_shapes",
            "subgroup.*.worst_gap",
            "llm.yield_per_dollar"
        ]
    );
    let known: Vec<bool> = found
        .iter()
        .map(|id| synthgate_core::metrics::info(id).is_some())
        .collect();
    assert_eq!(known, [false, true, true, false]);
}

/// What only a front end may touch: the environment, the wall clock and the operating system's
/// randomness (the engine takes its clock, workspace, scratch folder and entropy as values).
const AMBIENT: [&str; 6] = [
    "std::env::var",
    "env::var_os",
    "SystemTime::now",
    "getrandom::",
    "temp_dir()",
    "OsRng",
];

/// The one allowed exception: the language-model client reads the API key from the
/// environment variable the generation spec names (so the key is never in a file).
const AMBIENT_ALLOWED: [(&str, &str); 1] = [("synthgate-llm/src/client.rs", "std::env::var")];

fn ambient_reads(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, code) in sources {
        let shown = path.display().to_string();
        // The front ends (the CLI, the Python extension) are where the environment is read.
        if shown.contains("synthgate-cli/src") || shown.contains("synthgate-python/src") {
            continue;
        }
        for pattern in AMBIENT {
            let allowed = AMBIENT_ALLOWED
                .iter()
                .any(|(file, what)| shown.ends_with(file) && *what == pattern);
            if code.contains(pattern) && !allowed {
                found.push(format!("{shown}: {pattern}"));
            }
        }
    }
    found
}

/// Invariant: nothing below the front end reads environment variables, the wall clock or
/// ambient randomness (tests inside modules may).
#[test]
fn nothing_below_the_front_end_reads_the_environment_the_clock_or_ambient_randomness() {
    let found = ambient_reads(&library_sources());
    assert!(found.is_empty(), "ambient reads below the CLI: {found:?}");
}

#[test]
fn an_ambient_read_is_caught() {
    let sources = vec![
        (
            PathBuf::from("crates/synthgate-release/src/x.rs"),
            "let t = std::time::SystemTime::now();".to_string(),
        ),
        (
            PathBuf::from("crates/synthgate-cli/src/commands/workspace.rs"),
            "std::env::var(\"SYNTHGATE_HOME\")".to_string(),
        ),
    ];
    assert_eq!(
        ambient_reads(&sources),
        ["crates/synthgate-release/src/x.rs: SystemTime::now"]
    );
}
