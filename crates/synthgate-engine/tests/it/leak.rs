//! No real rows in any bundle, for any synthesizer (issue 13, item 6).
//!
//! A bundle is built through the engine for every built-in synthesizer (the `Synthesizers`
//! set) and for `llm` (against the in-process fake OpenAI-compatible server, with real training
//! rows shown in every prompt) on UCI Adult, and every file in it is decoded and searched for
//! every training row:
//!
//! - whole rows: all of a row's values (missing ones aside) in one record: a Parquet row, a
//!   JSON object or array (its own numbers and strings), a line of a JSON-lines, CSV, Markdown
//!   or text file, a line of text inside any JSON string (a prompt shows rows as lines), a table
//!   row or block of HTML once tags are stripped and entities decoded. Numbers compare by value
//!   (40, 40.0 and "40" are one), text at token boundaries (`Male` is not found in `Female`,
//!   `>50K` not in `<=50K`); a row with a missing value is found only in a record that shows
//!   one (a null, an empty field, a missing-value token).
//! - quasi-identifier combinations unique in the source: a synthetic row carrying the
//!   quasi-identifier values (the schema's `quasi_identifier` columns) that only one real row
//!   has singles that person out. The split put each such row in training or in the holdout by
//!   chance, so a generator that learned no individual's combination carries those of holdout
//!   rows as often as those of training rows; the data leaks when the training ones' share of
//!   the carried combinations is clearly (99.9% Wilson bound) above their share of all unique
//!   combinations. Why not the synthetic rows' rate against the holdout rows' rate of carrying
//!   a training-unique combination: see `quasi_identifier_check`.
//!
//! The only rows exempt are a hybrid release's declared real rows, in its data file and
//! nowhere else (`a_hybrid_bundle_holds_its_real_rows_in_its_data_file_and_nowhere_else`):
//! every other real row found anywhere is a leak. The twin test plants real rows into a
//! bundle's generation log, its Parquet data and a JSON file, and copies unique
//! quasi-identifier combinations into the data, and asserts that the search finds each.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use synthgate_core::{Entropy, Seed, Table};
use synthgate_engine::{Clock, Context, RunRequest, Silent, VerifyRequest, Workspace};

use crate::fake_server::{FakeServer, Received, chat};

/// The shared datasets folder: `$SYNTHGATE_DATASETS`, or `../shared/datasets` beside the
/// repository. A missing folder fails the test with instructions, never skips it.
fn adult() -> PathBuf {
    let dir = std::env::var("SYNTHGATE_DATASETS").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
        PathBuf::from,
    );
    let path = dir.join("adult/data.csv");
    assert!(
        path.is_file(),
        "the shared datasets are missing: expected {} (the folder `shared/datasets` beside the \
         repository). Put them there or set SYNTHGATE_DATASETS to their folder.",
        path.display()
    );
    path
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixed stream (splitmix64 over a counter): the tests' keys need no secrecy, and a fixed
/// start keeps runs comparable; successive fills differ, as DP noise needs.
fn test_entropy(bytes: &mut [u8]) -> synthgate_core::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(11);
    for chunk in bytes.chunks_mut(8) {
        let mut z = COUNTER
            .fetch_add(0x9E37_79B9_7F4A_7C15, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
    Ok(())
}

fn context(home: &Path, scratch: &Path) -> Context {
    Context {
        workspace: Workspace::new(home),
        clock: Clock::at_unix_seconds(1_700_000_000),
        scratch: scratch.to_path_buf(),
        entropy: Entropy::new(test_entropy),
    }
}

/// The Adult example pipeline with `synthesizer`, its source path absolute and few resamples
/// (for the differentially private `mst`, the adult-dp example with its public-domain schema).
fn adult_spec(dir: &Path, synthesizer: &str) -> PathBuf {
    let private = synthgate_synth::Synthesizers::builtin()
        .get(synthesizer)
        .is_some_and(|s| s.capabilities().differential_privacy);
    let example = if private {
        "examples/adult-dp/pipeline.toml"
    } else {
        "examples/adult/pipeline.toml"
    };
    let text = std::fs::read_to_string(repo_root().join(example))
        .expect("example spec")
        .replace(
            "path = \"../../../shared/datasets/adult/data.csv\"",
            &format!("path = {:?}", adult().display().to_string()),
        )
        .replace(
            "schema = \"adult.schema.toml\"",
            &format!(
                "schema = {:?}",
                repo_root()
                    .join("examples/adult-dp/adult.schema.toml")
                    .display()
                    .to_string()
            ),
        )
        .replace("name = \"cart\"", &format!("name = {synthesizer:?}"))
        // Every file in the bundle, the report and the profile too, is searched.
        .replace(
            "environment = \"public\"",
            "environment = \"controlled_access\"",
        )
        .replace(
            "sensitive = [\"sex\", \"race\"]",
            "sensitive = [\"sex\", \"race\"]\nresamples = 10",
        );
    assert!(text.contains("resamples = 10") && text.contains(&format!("{synthesizer:?}")));
    let path = dir.join(format!("{synthesizer}.toml"));
    std::fs::write(&path, text).expect("spec written");
    path
}

const LLM_COLUMNS: [&str; 9] = [
    "age",
    "education",
    "marital-status",
    "occupation",
    "race",
    "sex",
    "hours-per-week",
    "native-country",
    "income",
];

/// A prompt-based pipeline on nine Adult columns, three real training rows per prompt.
fn llm_spec(dir: &Path, base_url: &str) -> PathBuf {
    let mut columns = String::new();
    for name in LLM_COLUMNS {
        columns.push_str(&match name {
            "age" => "[[llm.columns]]\nname = \"age\"\ntype = \"integer\"\nmin = 17\nmax = 90\n\n"
                .to_string(),
            "hours-per-week" => "[[llm.columns]]\nname = \"hours-per-week\"\ntype = \
                                 \"integer\"\nmin = 1\nmax = 99\n\n"
                .to_string(),
            other => format!(
                "[[llm.columns]]\nname = \"{other}\"\ntype = \"string\"\nnullable = true\n\n"
            ),
        });
    }
    let text = format!(
        r#"
[release]
name = "adult-llm"
version = "1.0.0"
description = "Synthetic Adult-like records written by a language model."
owner = "Synthgate tests"
license = "CC-BY-4.0"
intended_use = ["software_testing"]
prohibited_use = ["decisions about real individuals"]
environment = "controlled_access"

[source]
path = {path:?}
na = ["?"]
columns = {columns_list:?}

[split]
holdout_fraction = 0.2
seed = 1

[synthesizer]
name = "llm"

[evaluation]
target = "income"
sensitive = ["sex", "race"]
resamples = 10

[llm.server]
base_url = "{base_url}"
model = "test-model"
retries = 1
backoff_seconds = 0.01

[llm.generation]
records = 60
seed = 3
max_tokens = 80
max_attempts = 3
prompt = """Census records, one JSON object per line.
{{examples}}
"""

{columns}
[llm.examples]
from_training = true
per_prompt = 3

[[policy.gates]]
metric = "llm.exact_seed_copies"
max = 0
"#,
        path = adult().display().to_string(),
        columns_list = LLM_COLUMNS,
    );
    let path = dir.join("llm.toml");
    std::fs::write(&path, text).expect("spec written");
    path
}

/// A record the fake model writes, derived from the request's seed (never from the prompt).
fn census_record(request: &Received) -> String {
    let seed = request.body["seed"].as_u64().expect("seed") as usize;
    let pick =
        |options: &[&str], shift: usize| options[(seed >> shift) % options.len()].to_string();
    serde_json::json!({
        "age": 17 + seed % 71,
        "education": pick(&["Bachelors", "HS-grad", "Some-college", "Masters"], 3),
        "marital-status": pick(&["Never-married", "Married-civ-spouse", "Divorced"], 5),
        "occupation": pick(&["Adm-clerical", "Exec-managerial", "Sales", "Craft-repair"], 7),
        "race": pick(&["White", "Black", "Asian-Pac-Islander"], 9),
        "sex": pick(&["Male", "Female"], 11),
        "hours-per-week": 1 + (seed >> 13) % 99,
        "native-country": pick(&["United-States", "Mexico", "Canada"], 17),
        "income": pick(&["<=50K", ">50K"], 19),
    })
    .to_string()
}

/// Build the bundle of `spec` in `dir`/`name` through the engine.
fn build(ctx: &Context, spec: &Path, out: &Path) -> synthgate_engine::RunOutcome {
    synthgate_engine::run(
        ctx,
        &RunRequest {
            spec: spec.to_path_buf(),
            out: Some(out.to_path_buf()),
            force: false,
            operator_key: None,
        },
        &mut Silent,
    )
    .unwrap_or_else(|error| panic!("{} does not run: {error}", spec.display()))
}

// ---------------------------------------------------------------------------------------------
// Values and records.

/// A value as the search compares it: a number by value, text as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Cell {
    Number(String),
    Text(String),
}

fn number(value: f64) -> String {
    // -0 and 0 are one value; `{}` writes 40.0 as "40".
    if value == 0.0 {
        "0".into()
    } else {
        format!("{value}")
    }
}

fn cell(text: &str) -> Cell {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Cell::Number(number(value)),
        _ => Cell::Text(text.to_string()),
    }
}

/// Whether `c` can continue a value's token (so a value next to it is part of a longer one).
fn extends(c: char) -> bool {
    c.is_alphanumeric() || "-_.<>=+/&@#%$".contains(c)
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !extends(c)).filter(|t| !t.is_empty())
}

/// Whether `needle` occurs in `text` with a boundary on both sides.
fn occurs(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(extends) && !after.is_some_and(extends)
    })
}

/// One record of a decoded file: a table row, a JSON object or array, a line of text.
#[derive(Debug)]
struct Record {
    /// Which file and where in it.
    place: String,
    numbers: HashSet<String>,
    text: String,
    /// Whether it shows a missing value (a null, an empty field, a missing-value token): a
    /// row with missing values is found only in such a record.
    missing: bool,
}

impl Record {
    fn new(place: String, values: &[Cell], missing: bool) -> Record {
        let mut numbers = HashSet::new();
        let mut texts = Vec::new();
        for value in values {
            match value {
                Cell::Number(n) => {
                    numbers.insert(n.clone());
                }
                Cell::Text(t) => {
                    for token in tokens(t) {
                        if let Cell::Number(n) = cell(token) {
                            numbers.insert(n);
                        }
                    }
                    texts.push(t.as_str());
                }
            }
        }
        let text = texts.join(" | ");
        let missing = missing
            || tokens(&text).any(|t| {
                ["null", "none", "na", "n/a", "nan", "?"].contains(&t.to_lowercase().as_str())
            });
        Record {
            place,
            numbers,
            text,
            missing,
        }
    }

    /// A line of text; an empty field (CSV, a Markdown or HTML table) is a missing value.
    fn line(place: String, line: &str) -> Record {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        let empty_field = compact.contains(",,")
            || compact.contains("||")
            || compact.starts_with(',')
            || compact.ends_with(',');
        Record::new(place, &[Cell::Text(line.to_string())], empty_field)
    }

    /// Index keys: its numbers and its text's tokens.
    fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.numbers
            .iter()
            .cloned()
            .chain(tokens(&self.text).map(str::to_string))
    }

    fn holds(&self, row: &[Cell], has_missing: bool) -> bool {
        (self.missing || !has_missing)
            && row.iter().all(|value| match value {
                Cell::Number(n) => self.numbers.contains(n),
                Cell::Text(t) => occurs(&self.text, t),
            })
    }
}

/// The data file's column names and rows.
type DataRows = (Vec<String>, Vec<Vec<Option<Cell>>>);

/// A bundle decoded: every record of every file, and the data file's rows by column.
struct Decoded {
    records: Vec<Record>,
    files: Vec<String>,
    data: Option<DataRows>,
}

/// The rows of `table`, each cell as the search compares it (`None`: missing).
fn cells(table: &Table) -> Vec<Vec<Option<Cell>>> {
    let mut rows = vec![Vec::new(); table.num_rows()];
    for index in 0..table.num_columns() {
        let storage = table.storage_type(index);
        let mut at = 0;
        for chunk in table.column_chunks(index) {
            for row in 0..chunk.len() {
                let text = synthgate_core::text::format_cell(chunk.as_ref(), storage, row);
                // Text that reads as a number is compared as one (a code written "3.0").
                rows[at].push(text.map(|t| cell(&t)));
                at += 1;
            }
        }
    }
    rows
}

/// The text of an HTML page: tags stripped (a table row, a paragraph, a list item and other
/// blocks end a line; a cell ends a field), entities decoded, style and script bodies dropped.
fn html_text(html: &str) -> String {
    let html = html.replace(['\n', '\r'], " ");
    let mut out = String::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = rest[start..end].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &rest[end..];
        if !tag.starts_with("</") && (name == "style" || name == "script") {
            let close = format!("</{name}");
            let skip = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            rest = &rest[skip..];
            continue;
        }
        let block = [
            "tr",
            "p",
            "li",
            "div",
            "br",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "section",
            "ul",
            "ol",
            "details",
            "summary",
            "figure",
            "figcaption",
            "caption",
            "title",
            "header",
            "footer",
            "svg",
            "g",
        ];
        if block.contains(&name.as_str()) {
            out.push('\n');
        } else if matches!(name.as_str(), "td" | "th" | "text" | "tspan") {
            out.push_str(" | ");
        } else {
            out.push(' ');
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &tail[1..e];
            let code = match entity {
                "lt" => Some('<' as u32),
                "gt" => Some('>' as u32),
                "amp" => Some('&' as u32),
                "quot" => Some('"' as u32),
                "apos" => Some('\'' as u32),
                "nbsp" => Some(' ' as u32),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok())),
            };
            code.and_then(char::from_u32).map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, length)) => {
                out.push(c);
                rest = &tail[length..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Walk a JSON value: every object and array is a record of its own numbers and strings, and
/// every string is decoded as text too (a prompt or a response shows rows as lines in one).
fn walk(value: &Value, place: &str, records: &mut Vec<Record>) {
    let children: Vec<&Value> = match value {
        Value::Object(object) => object.values().collect(),
        Value::Array(items) => items.iter().collect(),
        Value::String(text) => {
            text_records(text, &format!("{place} (in a string)"), records);
            return;
        }
        _ => return,
    };
    let missing = children.iter().any(|child| child.is_null());
    // A string holding lines or JSON of its own is a document, searched on its own, not one of
    // this record's values.
    let document = |s: &str| s.contains('\n') || s.trim_start().starts_with(['{', '[']);
    let scalars: Vec<Cell> = children
        .iter()
        .filter_map(|child| match child {
            Value::Number(n) => n.as_f64().map(|v| Cell::Number(number(v))),
            Value::String(s) if document(s) => None,
            Value::String(s) => Some(cell(s)),
            Value::Bool(b) => Some(Cell::Text(b.to_string())),
            _ => None,
        })
        .collect();
    records.push(Record::new(place.to_string(), &scalars, missing));
    for child in children {
        walk(child, place, records);
    }
}

/// Each line of `text` a record; a line that is JSON is walked as well.
fn text_records(text: &str, place: &str, records: &mut Vec<Record>) {
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let where_ = format!("{place} line {}", number + 1);
        // A line of JSON is its objects and arrays, not one bag of all their values.
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) if trimmed.starts_with(['{', '[']) => walk(&value, &where_, records),
            _ => records.push(Record::line(where_, line)),
        }
    }
}

/// Every file of the bundle at `root` decoded into records. A file of a kind the search cannot
/// decode fails the test: it could hide rows.
fn decode(root: &Path) -> Decoded {
    let mut decoded = Decoded {
        records: Vec::new(),
        files: Vec::new(),
        data: None,
    };
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("folder lists") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let records = &mut decoded.records;
            match extension.as_str() {
                "parquet" => {
                    let table = synthgate_io::read_table(&path, &Default::default())
                        .expect("the data reads")
                        .table;
                    let names: Vec<String> =
                        table.column_names().iter().map(|n| n.to_string()).collect();
                    let rows = cells(&table);
                    for (number, row) in rows.iter().enumerate() {
                        let values: Vec<Cell> = row.iter().flatten().cloned().collect();
                        let missing = row.iter().any(Option::is_none);
                        records.push(Record::new(
                            format!("{name} row {}", number + 1),
                            &values,
                            missing,
                        ));
                    }
                    if name.starts_with("data/") {
                        decoded.data = Some((names, rows));
                    }
                }
                "json" => {
                    let text = std::fs::read_to_string(&path).expect("text");
                    let value: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
                    walk(&value, &name, records);
                }
                "html" => {
                    let text = std::fs::read_to_string(&path).expect("text");
                    text_records(&html_text(&text), &name, records);
                }
                "jsonl" | "md" | "csv" | "sig" | "txt" => {
                    let text = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("{name} is not text: {e}"));
                    text_records(&text, &name, records);
                }
                other => panic!(
                    "{name}: the search cannot decode a .{other} file, so it could hide rows; \
                     teach `decode` its format"
                ),
            }
            decoded.files.push(name);
        }
    }
    decoded.files.sort();
    decoded
}

// ---------------------------------------------------------------------------------------------
// The real rows and the search.

/// The training and holdout rows of the bundle's recorded pipeline, as it split them, with the
/// source's column names and the indices of its quasi-identifier columns.
struct Real {
    columns: Vec<String>,
    quasi_identifiers: Vec<usize>,
    train: Vec<Vec<Option<Cell>>>,
    holdout: Vec<Vec<Option<Cell>>>,
}

fn real_rows(bundle: &Path) -> Real {
    let manifest = synthgate_release::read_manifest(bundle).expect("manifest");
    let spec = manifest.spec().expect("spec");
    let options = synthgate_io::ReadOptions {
        extra_na_tokens: spec.source.na.clone(),
        ..Default::default()
    };
    let source = synthgate_io::read_table(&spec.source.path, &options).expect("the source");
    let table = match &spec.source.columns {
        Some(columns) => source.table.select(columns).expect("columns"),
        None => source.table,
    };
    let schema = synthgate_profile::profile(&table, None, &source.info.na_tokens)
        .to_schema()
        .expect("schema");
    let columns: Vec<String> = table.column_names().iter().map(|n| n.to_string()).collect();
    let quasi_identifiers = columns
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            schema.column(name).map(|c| c.role)
                == Some(synthgate_core::PrivacyRole::QuasiIdentifier)
        })
        .map(|(i, _)| i)
        .collect();
    let (train, holdout) = synthgate_release::run::split_rows(
        table.num_rows(),
        spec.split.holdout_fraction,
        Seed(spec.split.seed),
    );
    let rows = |indices: &[u32]| cells(&synthgate_io::take_rows(&table, indices).expect("rows"));
    Real {
        columns,
        quasi_identifiers,
        train: rows(&train),
        holdout: rows(&holdout),
    }
}

/// What the search found.
#[derive(Debug, Default)]
struct Findings {
    /// Training rows found whole: (row number in the training split, where).
    whole_rows: Vec<(usize, String)>,
    /// The quasi-identifier check of the data file.
    quasi_identifiers: Option<QuasiIdentifiers>,
}

impl Findings {
    fn leaks(&self) -> bool {
        !self.whole_rows.is_empty()
            || self
                .quasi_identifiers
                .as_ref()
                .is_some_and(QuasiIdentifiers::leak)
    }

    fn found_in(&self, file: &str) -> usize {
        self.whole_rows
            .iter()
            .filter(|(_, place)| place.starts_with(file))
            .count()
    }
}

/// The quasi-identifier check of a data file.
#[derive(Debug)]
struct QuasiIdentifiers {
    /// Quasi-identifier combinations only one source row has, that row in the training split.
    unique_in_train: usize,
    /// The same, that row in the holdout.
    unique_in_holdout: usize,
    /// Of each, how many some synthetic row carries.
    hit_in_train: usize,
    hit_in_holdout: usize,
    /// The share of hit combinations whose row is in training an honest generator gives: the
    /// training rows' share of the unique combinations.
    expected_share: f64,
    /// The 99.9% Wilson interval's lower bound of the share observed.
    share_low: f64,
    /// For information, the comparison as first proposed: synthetic rows, and holdout rows,
    /// carrying a combination unique in the training split (hits, rows).
    synthetic_rate: (usize, usize),
    holdout_rate: (usize, usize),
}

impl QuasiIdentifiers {
    fn leak(&self) -> bool {
        self.share_low > self.expected_share
    }
}

/// The 99.9% Wilson interval of `hits` out of `n`.
fn wilson(hits: usize, n: usize) -> (f64, f64) {
    const Z: f64 = 3.2905;
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (hits as f64, n as f64);
    let p = k / n;
    let centre = (p + Z * Z / (2.0 * n)) / (1.0 + Z * Z / n);
    let half = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / (1.0 + Z * Z / n);
    (centre - half, centre + half)
}

type Combination = Vec<Option<Cell>>;

/// Quasi-identifier combinations unique in the source, judged against the holdout.
///
/// Comparing the synthetic rows' rate of carrying a training-unique combination with the
/// holdout rows' rate (as issue 13 first proposed) mistakes spread for memory: on Adult the
/// Gaussian copula, which keeps no row, carries them in 11.3% of its rows against the
/// holdout's 8.7% (cart: 8.1%), because it puts more mass on rare combinations than real data
/// does, those unique in the holdout as much as those unique in training. So the holdout is
/// used the other way round: take the combinations exactly one source row has; the seeded split
/// put that row in training or in the holdout by chance, independently of everything else, so a
/// generator that learned no individual's combination carries those of training rows and those
/// of holdout rows alike: of the combinations it carries, the training ones' share is, in
/// expectation, their share of all unique combinations (about 0.8). Each combination counts
/// once (carried or not), so a generator repeating one combination cannot swing the count, and
/// the training share of the carried ones is binomial. The data leaks when the lower bound of
/// its 99.9% Wilson interval is above the expected share: a false alarm about once in two
/// thousand checks, while a generator copying the combinations of training rows pushes the
/// share towards 1.
fn quasi_identifier_check(real: &Real, data: &DataRows) -> Option<QuasiIdentifiers> {
    if real.quasi_identifiers.is_empty() {
        return None;
    }
    let key = |row: &[Option<Cell>], positions: &[usize]| -> Combination {
        positions.iter().map(|&i| row[i].clone()).collect()
    };
    let qi = &real.quasi_identifiers;
    let mut train_counts: HashMap<Combination, usize> = HashMap::new();
    for row in &real.train {
        *train_counts.entry(key(row, qi)).or_default() += 1;
    }
    let mut holdout_counts: HashMap<Combination, usize> = HashMap::new();
    for row in &real.holdout {
        *holdout_counts.entry(key(row, qi)).or_default() += 1;
    }
    let unique_in_train: HashSet<&Combination> = train_counts
        .iter()
        .filter(|(c, n)| **n == 1 && !holdout_counts.contains_key(*c))
        .map(|(c, _)| c)
        .collect();
    let unique_in_holdout: HashSet<&Combination> = holdout_counts
        .iter()
        .filter(|(c, n)| **n == 1 && !train_counts.contains_key(*c))
        .map(|(c, _)| c)
        .collect();
    let (names, rows) = data;
    let in_data: Vec<usize> = qi
        .iter()
        .map(|&i| {
            names
                .iter()
                .position(|n| *n == real.columns[i])
                .unwrap_or_else(|| panic!("the data has no column '{}'", real.columns[i]))
        })
        .collect();
    let carried: HashSet<Combination> = rows.iter().map(|row| key(row, &in_data)).collect();
    let hit_in_train = unique_in_train
        .iter()
        .filter(|c| carried.contains(**c))
        .count();
    let hit_in_holdout = unique_in_holdout
        .iter()
        .filter(|c| carried.contains(**c))
        .count();
    let expected_share =
        unique_in_train.len() as f64 / (unique_in_train.len() + unique_in_holdout.len()) as f64;
    let share_low = wilson(hit_in_train, hit_in_train + hit_in_holdout).0;
    let train_unique = |c: &Combination| train_counts.get(c) == Some(&1);
    let synthetic_rate = (
        rows.iter()
            .filter(|row| train_unique(&key(row, &in_data)))
            .count(),
        rows.len(),
    );
    let holdout_rate = (
        real.holdout
            .iter()
            .filter(|row| train_unique(&key(row, qi)))
            .count(),
        real.holdout.len(),
    );
    Some(QuasiIdentifiers {
        unique_in_train: unique_in_train.len(),
        unique_in_holdout: unique_in_holdout.len(),
        hit_in_train,
        hit_in_holdout,
        expected_share,
        share_low,
        synthetic_rate,
        holdout_rate,
    })
}

/// Search the bundle at `bundle` for the training rows of `real`.
fn search(bundle: &Path, real: &Real) -> (Findings, Vec<String>) {
    let decoded = decode(bundle);
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, record) in decoded.records.iter().enumerate() {
        let keys: HashSet<String> = record.keys().collect();
        for key in keys {
            index.entry(key).or_default().push(i);
        }
    }
    let mut findings = Findings::default();
    for (number, row) in real.train.iter().enumerate() {
        let values: Vec<Cell> = row.iter().flatten().cloned().collect();
        let has_missing = values.len() < row.len();
        // The candidates: the records holding the row's rarest value.
        let key_of = |value: &Cell| match value {
            Cell::Number(n) => Some(n.clone()),
            Cell::Text(t) => tokens(t).next().map(str::to_string),
        };
        let candidates = values
            .iter()
            .filter_map(key_of)
            .map(|key| index.get(&key).map_or(&[][..], Vec::as_slice))
            .min_by_key(|postings| postings.len())
            .unwrap_or(&[]);
        for &i in candidates {
            let record = &decoded.records[i];
            if record.holds(&values, has_missing) {
                findings.whole_rows.push((number, record.place.clone()));
            }
        }
    }
    findings.quasi_identifiers = decoded
        .data
        .as_ref()
        .and_then(|data| quasi_identifier_check(real, data));
    (findings, decoded.files)
}

fn describe(findings: &Findings, real: &Real) -> String {
    let mut by_place: BTreeMap<String, usize> = BTreeMap::new();
    for (_, place) in &findings.whole_rows {
        *by_place.entry(place.clone()).or_default() += 1;
    }
    let examples: Vec<String> = findings
        .whole_rows
        .iter()
        .take(3)
        .map(|(row, place)| format!("training row {row} {:?} in {place}", real.train[*row]))
        .collect();
    format!(
        "{} whole training rows found ({:?}; e.g. {examples:?}); quasi-identifiers: {:?}",
        findings.whole_rows.len(),
        by_place,
        findings.quasi_identifiers
    )
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// The files every bundle has; the search must decode each.
const BUNDLE_FILES: [&str; 12] = [
    "DATASHEET.md",
    "audit/checkpoint.json",
    "audit/log.jsonl",
    "data/synthetic.parquet",
    "datasheet.json",
    "log/generation.jsonl",
    "manifest.json",
    "manifest.sig",
    "monitor/source_profile.json",
    "policy/decision.json",
    "report/report.html",
    "report/report.json",
];

#[test]
fn no_bundle_of_any_synthesizer_holds_a_training_row() {
    let dir = tempfile::tempdir().expect("dir");
    let ctx = context(&dir.path().join("home"), dir.path());
    let server = FakeServer::start(&["test-model"], |r, _| chat(&census_record(r), "stop"));
    let mut names: Vec<&str> = synthgate_synth::Synthesizers::builtin().names();
    names.push(synthgate_llm::SYNTHESIZER_NAME);
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let spec = if name == synthgate_llm::SYNTHESIZER_NAME {
            llm_spec(dir.path(), &server.base_url)
        } else {
            adult_spec(dir.path(), name)
        };
        let bundle = dir.path().join(format!("bundle-{name}"));
        let outcome = build(&ctx, &spec, &bundle);
        let real = real_rows(&bundle);
        assert!(real.train.len() > 20_000 && real.quasi_identifiers.len() >= 3);
        let (findings, files) = search(&bundle, &real);
        // A differentially private bundle also carries its model (the DP release itself).
        let mut expected: Vec<&str> = BUNDLE_FILES.to_vec();
        if name == "mst" {
            expected.push("model/dp-model.json");
            expected.sort_unstable();
        }
        assert_eq!(files, expected, "{name}: the files searched");
        assert!(
            !findings.leaks(),
            "{name}: the bundle holds real rows: {}",
            describe(&findings, &real)
        );
        let checked = findings.quasi_identifiers.as_ref().expect("a data file");
        assert!(
            checked.unique_in_train > 1_000 && checked.unique_in_holdout > 250,
            "{name}: {checked:?}"
        );
        assert_eq!(checked.synthetic_rate.1, outcome.synthetic_rows, "{name}");
        assert_eq!(checked.holdout_rate.1, real.holdout.len(), "{name}");
        eprintln!("{name}: no training row found; {checked:?}");

        if name == synthgate_llm::SYNTHESIZER_NAME {
            llm_log_is_published_and_replays_from_the_workspace(&ctx, &bundle, &server);
        }
    }
}

/// The example pipeline `examples/NAME` (one of Adult's) with its source path absolute and
/// few resamples, written into `dir`; `marker` is text the example must still hold.
fn adult_example(dir: &Path, name: &str, marker: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join(format!("examples/{name}/pipeline.toml")))
        .expect("example spec")
        .replace(
            "path = \"../../../shared/datasets/adult/data.csv\"",
            &format!("path = {:?}", adult().display().to_string()),
        )
        .replace(
            "sensitive = [\"sex\", \"race\"]",
            "sensitive = [\"sex\", \"race\"]\nresamples = 10",
        );
    assert!(
        text.contains("resamples = 10") && text.contains(marker),
        "{name} changed shape"
    );
    let spec = dir.join(format!("{name}.toml"));
    std::fs::write(&spec, text).expect("spec");
    spec
}

/// An augmented release, `examples/adult-augment` (a rare group up-sampled from the model):
/// the added rows are synthetic too, so no file of the bundle holds a training row, and the
/// quasi-identifier check of every data row passes.
#[test]
fn an_augmented_bundle_holds_no_training_row() {
    let dir = tempfile::tempdir().expect("dir");
    let ctx = context(&dir.path().join("home"), dir.path());
    let spec = adult_example(dir.path(), "adult-augment", "[augment]");
    let bundle = dir.path().join("bundle-augment");
    let outcome = build(&ctx, &spec, &bundle);
    let real = real_rows(&bundle);
    let (findings, files) = search(&bundle, &real);
    assert_eq!(files, BUNDLE_FILES, "the files searched");
    assert!(
        !findings.leaks(),
        "the augmented bundle holds real rows: {}",
        describe(&findings, &real)
    );
    let checked = findings.quasi_identifiers.as_ref().expect("a data file");
    assert_eq!(checked.synthetic_rate.1, outcome.synthetic_rows);
    assert!(outcome.synthetic_rows > real.train.len(), "rows were added");
}

/// A hybrid release, `examples/adult-hybrid` (5% real training rows, its origin file
/// shipped): the search finds every row the origin file calls real in the data file, at
/// exactly those rows, and no training row anywhere else; the quasi-identifier check of the
/// rows called synthetic passes; the bundle verifies and reproduces byte for byte.
#[test]
fn a_hybrid_bundle_holds_its_real_rows_in_its_data_file_and_nowhere_else() {
    let dir = tempfile::tempdir().expect("dir");
    let ctx = context(&dir.path().join("home"), dir.path());
    let spec = adult_example(dir.path(), "adult-hybrid", "real_share = 0.05");
    let bundle = dir.path().join("bundle-hybrid");
    build(&ctx, &spec, &bundle);
    let real = real_rows(&bundle);
    let origin =
        synthgate_io::read_table(&bundle.join("origin/origin.parquet"), &Default::default())
            .expect("the origin file reads")
            .table;
    let labels = origin.key_texts(1);
    let declared: HashSet<usize> = labels
        .iter()
        .enumerate()
        .filter(|(_, label)| label.as_deref() == Some("real"))
        .map(|(row, _)| row + 1)
        .collect();
    assert!(declared.len() > 1_000, "{} real rows", declared.len());
    let (mut findings, files) = search(&bundle, &real);
    let mut expected: Vec<&str> = BUNDLE_FILES.to_vec();
    expected.push("origin/origin.parquet");
    expected.sort_unstable();
    assert_eq!(files, expected, "the files searched");
    let at_declared = |place: &str| {
        place
            .strip_prefix("data/synthetic.parquet row ")
            .and_then(|row| row.parse::<usize>().ok())
            .is_some_and(|row| declared.contains(&row))
    };
    let found: HashSet<usize> = findings
        .whole_rows
        .iter()
        .filter(|(_, place)| at_declared(place))
        .filter_map(|(_, place)| place.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(
        found, declared,
        "every declared real row is found where it is declared"
    );
    findings.whole_rows.retain(|(_, place)| !at_declared(place));
    // The quasi-identifier check on the rows the origin file calls synthetic.
    let decoded = decode(&bundle);
    let (names, rows) = decoded.data.expect("a data file");
    let synthetic: Vec<Vec<Option<Cell>>> = rows
        .into_iter()
        .enumerate()
        .filter(|(row, _)| !declared.contains(&(row + 1)))
        .map(|(_, row)| row)
        .collect();
    findings.quasi_identifiers = quasi_identifier_check(&real, &(names, synthetic));
    assert!(
        !findings.leaks(),
        "real rows beyond the declared ones: {}",
        describe(&findings, &real)
    );
    let outcome = synthgate_engine::verify(
        Some(&ctx),
        &VerifyRequest {
            bundle: bundle.clone(),
            reproduce: true,
            require_approved: false,
            trust: Default::default(),
        },
        &mut Silent,
    )
    .expect("verifies and reproduces");
    assert_eq!(outcome.verification.reproduced, Some(true));
}

/// The prompts showed real rows; the bundle's log has digests where they were, the workspace
/// the full log, and `verify --reproduce` replays from it, or says what it lacks.
fn llm_log_is_published_and_replays_from_the_workspace(
    ctx: &Context,
    bundle: &Path,
    server: &FakeServer,
) {
    let shown = server.received.lock().expect("requests").clone();
    let prompt = shown
        .iter()
        .find_map(|r| r.body["messages"][0]["content"].as_str())
        .expect("a prompt")
        .to_string();
    assert_eq!(prompt.matches("\"age\": ").count(), 3, "{prompt}");
    let log = std::fs::read_to_string(bundle.join("log/generation.jsonl")).expect("log");
    assert!(log.contains("<row hmac-sha256:"), "the log has no digests");
    let log_sha256 = synthgate_io::sha256_bytes(log.as_bytes());
    let full = ctx.workspace.full_logs().path(&log_sha256);
    let full_text = std::fs::read_to_string(&full).expect("the full log is in the workspace");
    let first_row = prompt
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("an example line");
    assert!(full_text.contains(&first_row.replace('"', "\\\"")));
    assert!(!log.contains(&first_row.replace('"', "\\\"")));

    let verify = |ctx: Option<&Context>| {
        synthgate_engine::verify(
            ctx,
            &VerifyRequest {
                bundle: bundle.to_path_buf(),
                reproduce: true,
                require_approved: false,
                trust: Default::default(),
            },
            &mut Silent,
        )
    };
    let outcome = verify(Some(ctx)).expect("reproduces from the workspace's full log");
    assert_eq!(outcome.verification.reproduced, Some(true));
    assert!(outcome.verification.replayed_llm);

    // Without a workspace, and with a workspace that lacks the full log: it says what it needs.
    let error = verify(None).expect_err("no full log");
    assert_eq!(error.kind().exit_code(), 5);
    let message = error.to_string();
    assert!(
        message.contains(&format!("generation-logs/{log_sha256}.jsonl"))
            && message.contains("SYNTHGATE_HOME")
            && message.contains("No workspace was given"),
        "{message}"
    );
    let aside = full.with_extension("aside");
    std::fs::rename(&full, &aside).expect("moved");
    let error = verify(Some(ctx)).expect_err("the full log is missing");
    assert!(
        error.to_string().contains(&full.display().to_string()),
        "{error}"
    );
    std::fs::rename(&aside, &full).expect("moved back");
}

/// The search can fail: real rows planted into a bundle's generation log (the full log put in
/// the published one's place, as a run without the digests would have written it), into its
/// Parquet data and into a JSON file are each found, and unique quasi-identifier combinations
/// copied into the data are flagged although no whole row is.
#[test]
fn the_leak_search_finds_real_rows_planted_in_a_bundle() {
    let dir = tempfile::tempdir().expect("dir");
    let ctx = context(&dir.path().join("home"), dir.path());
    let server = FakeServer::start(&["test-model"], |r, _| chat(&census_record(r), "stop"));
    let bundle = dir.path().join("bundle");
    build(&ctx, &llm_spec(dir.path(), &server.base_url), &bundle);
    let real = real_rows(&bundle);
    let (clean, _) = search(&bundle, &real);
    assert!(!clean.leaks(), "{}", describe(&clean, &real));

    let planted = |edit: &dyn Fn(&Path)| -> Findings {
        let copy = dir.path().join("planted");
        if copy.exists() {
            std::fs::remove_dir_all(&copy).expect("removed");
        }
        copy_dir(&bundle, &copy);
        edit(&copy);
        search(&copy, &real).0
    };

    // (i) The generation log with the real rows its prompts showed.
    let log = std::fs::read_to_string(bundle.join("log/generation.jsonl")).expect("log");
    let full = ctx
        .workspace
        .full_logs()
        .path(&synthgate_io::sha256_bytes(log.as_bytes()));
    let found = planted(&|copy| {
        std::fs::copy(&full, copy.join("log/generation.jsonl")).expect("planted");
    });
    assert!(
        found.found_in("log/generation.jsonl") >= 3,
        "{}",
        describe(&found, &real)
    );

    // (ii) Five training rows among the synthetic ones in the Parquet data.
    let data = dir.path().join("data.parquet");
    std::fs::copy(bundle.join("data/synthetic.parquet"), &data).expect("copy");
    let table = synthgate_io::read_table(&data, &Default::default())
        .expect("data")
        .table;
    assert_eq!(table.column_names(), real.columns, "the data's columns");
    let synthetic = cells(&table);
    let rows_planted = [10, 2_000, 7_777, 15_000, 20_001];
    let found = planted(&|copy| {
        let mut rows: Vec<Vec<Option<Cell>>> = synthetic.clone();
        rows.extend(rows_planted.map(|i| real.train[i].clone()));
        write_parquet(
            &real.columns,
            &rows,
            &copy.join("data/synthetic.parquet"),
            dir.path(),
        );
    });
    // Found exactly in the planted data rows (Adult repeats some rows, so a planted row may
    // be found as several training rows).
    let places: std::collections::BTreeSet<&str> = found
        .whole_rows
        .iter()
        .map(|(_, place)| place.as_str())
        .collect();
    let expected: std::collections::BTreeSet<String> = (1..=rows_planted.len())
        .map(|k| format!("data/synthetic.parquet row {}", synthetic.len() + k))
        .collect();
    assert_eq!(
        places,
        expected.iter().map(String::as_str).collect(),
        "{}",
        describe(&found, &real)
    );
    for row in rows_planted {
        assert!(
            found.whole_rows.iter().any(|(r, _)| *r == row),
            "training row {row}: {}",
            describe(&found, &real)
        );
    }

    // (iii) A training row as a JSON object in the report.
    let found = planted(&|copy| {
        let path = copy.join("report/report.json");
        let mut report: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("report")).expect("json");
        let row: serde_json::Map<String, Value> = real
            .columns
            .iter()
            .zip(&real.train[123])
            .map(|(name, value)| {
                let value = match value {
                    Some(Cell::Number(n)) => serde_json::json!(n.parse::<f64>().expect("number")),
                    Some(Cell::Text(t)) => Value::String(t.clone()),
                    None => Value::Null,
                };
                (name.clone(), value)
            })
            .collect();
        report["examples"] = serde_json::json!([{"note": "planted", "row": row}]);
        std::fs::write(&path, report.to_string()).expect("written");
    });
    assert!(
        found.whole_rows.iter().any(|(row, _)| *row == 123)
            && found
                .whole_rows
                .iter()
                .all(|(_, place)| place == "report/report.json"),
        "{}",
        describe(&found, &real)
    );

    // (iv) 500 rows, each a synthetic row given the quasi-identifier values of a training row
    // no other source row shares: no whole row, but the data singles people out.
    let key = |row: &[Option<Cell>]| -> Vec<Option<Cell>> {
        real.quasi_identifiers
            .iter()
            .map(|&i| row[i].clone())
            .collect()
    };
    let mut counts: HashMap<Vec<Option<Cell>>, usize> = HashMap::new();
    for row in real.train.iter().chain(&real.holdout) {
        *counts.entry(key(row)).or_default() += 1;
    }
    let donors: Vec<&Vec<Option<Cell>>> = real
        .train
        .iter()
        .filter(|row| counts[&key(row)] == 1)
        .take(500)
        .collect();
    assert_eq!(donors.len(), 500);
    let found = planted(&|copy| {
        let rows: Vec<Vec<Option<Cell>>> = synthetic
            .iter()
            .cycle()
            .zip(&donors)
            .map(|(row, donor)| {
                let mut row = row.clone();
                for &i in &real.quasi_identifiers {
                    row[i] = donor[i].clone();
                }
                row
            })
            .collect();
        write_parquet(
            &real.columns,
            &rows,
            &copy.join("data/synthetic.parquet"),
            dir.path(),
        );
    });
    let checked = found.quasi_identifiers.as_ref().expect("checked");
    assert!(checked.leak(), "{checked:?}");
    assert!(
        checked.hit_in_train >= 500 && checked.hit_in_holdout == 0,
        "{checked:?}"
    );
}

/// Write `rows` under `columns` as Parquet at `path` (through CSV, typed as a read infers).
fn write_parquet(columns: &[String], rows: &[Vec<Option<Cell>>], path: &Path, scratch: &Path) {
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut csv = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|value| match value {
                Some(Cell::Number(n)) => n.clone(),
                Some(Cell::Text(t)) => quote(t),
                None => String::new(),
            })
            .collect();
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    let staged = scratch.join("planted.csv");
    std::fs::write(&staged, csv).expect("csv written");
    let table = synthgate_io::read_table(&staged, &Default::default())
        .expect("csv reads")
        .table;
    std::fs::remove_file(path).expect("removed");
    synthgate_io::write_table(&table, path, synthgate_io::Overwrite::Refuse).expect("parquet");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
