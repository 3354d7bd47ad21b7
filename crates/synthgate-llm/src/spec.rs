//! The generation spec: the server to ask, the records to make (columns with types, enums,
//! ranges, patterns and length bounds), the prompt template and its variables, examples or seed
//! rows, conditioning variables, and the decoding settings. Standalone it is the whole of a
//! `synthgate generate` file; in a pipeline it is the `[llm]` section.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Location, Result};

/// The spec format this version reads.
pub const SPEC_FORMAT_VERSION: u32 = 1;

/// A whole generation spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Spec format version (default 1).
    #[serde(default = "format_version")]
    pub format_version: u32,
    /// The OpenAI-compatible server.
    pub server: ServerSpec,
    /// How many records and how to ask for them.
    pub generation: GenerationSpec,
    /// The output's columns, in order.
    pub columns: Vec<ColumnSpec>,
    /// Variables sampled per record from given distributions (default: none).
    #[serde(default)]
    pub conditions: Vec<ConditionSpec>,
    /// Few-shot examples or real seed rows (default: none).
    #[serde(default)]
    pub examples: ExamplesSpec,
}

fn format_version() -> u32 {
    SPEC_FORMAT_VERSION
}

/// Which API endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/v1/chat/completions` (instruction-tuned and chat models).
    Chat,
    /// `/v1/completions` (base models continuing a few-shot prompt).
    Completions,
}

/// The server.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Base URL, with or without the trailing `/v1` (e.g. `http://127.0.0.1:8080`).
    pub base_url: String,
    /// The model id the server serves.
    pub model: String,
    /// The environment variable holding the API key (default: none; the key itself is never
    /// written anywhere).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// `chat` (default) or `completions`.
    #[serde(default = "default_endpoint")]
    pub endpoint: Endpoint,
    /// Seconds before one HTTP request is abandoned (default 120).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: f64,
    /// Retries of one request on 429, 5xx, timeouts and connection errors (default 4).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first retry's wait in seconds, doubled each retry (default 1; a 429's Retry-After
    /// is honoured up to 60 s).
    #[serde(default = "default_backoff")]
    pub backoff_seconds: f64,
    /// Requests in flight at once (default 1).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Send the columns as a JSON schema in `response_format` (default true).
    #[serde(default = "default_true")]
    pub structured_output: bool,
    /// Extra fields copied verbatim into every request body (backend-specific, e.g.
    /// `cache_prompt = false` for llama.cpp).
    #[serde(default)]
    pub extra: BTreeMap<String, toml::Value>,
}

impl std::fmt::Debug for ServerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The base URL as messages show it: a debug print must not leak its credentials.
        f.debug_struct("ServerSpec")
            .field("base_url", &crate::url::display_url(&self.base_url))
            .field("model", &self.model)
            .field("api_key_env", &self.api_key_env)
            .field("endpoint", &self.endpoint)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("retries", &self.retries)
            .field("backoff_seconds", &self.backoff_seconds)
            .field("concurrency", &self.concurrency)
            .field("structured_output", &self.structured_output)
            .field("extra", &self.extra)
            .finish()
    }
}

fn default_endpoint() -> Endpoint {
    Endpoint::Chat
}
fn default_timeout() -> f64 {
    120.0
}
fn default_retries() -> u32 {
    4
}
fn default_backoff() -> f64 {
    1.0
}
fn default_concurrency() -> usize {
    1
}
fn default_true() -> bool {
    true
}

/// The records and the decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationSpec {
    /// How many valid, distinct records to make.
    pub records: usize,
    /// The master seed: each request's seed is derived from it, the record and the attempt
    /// (default 0).
    #[serde(default)]
    pub seed: u64,
    /// The prompt template: `{name}` inserts a variable (see `synthgate generate --help`),
    /// `{{` and `}}` are literal braces.
    pub prompt: String,
    /// A system message (chat endpoint only; default none).
    #[serde(default)]
    pub system: Option<String>,
    /// Sampling temperature (default 0.8).
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Nucleus sampling (default: the server's).
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Largest number of tokens per response (default 256).
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Requests per record before it is given up (default 5).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Two records whose free-text fields are this similar (character-trigram Jaccard) are
    /// near-duplicates (default 0.9).
    #[serde(default = "default_near")]
    pub near_duplicate_threshold: f64,
}

fn default_temperature() -> f64 {
    0.8
}
fn default_max_tokens() -> u32 {
    256
}
fn default_attempts() -> u32 {
    5
}
fn default_near() -> f64 {
    0.9
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Whole numbers.
    Integer,
    /// Real numbers.
    Number,
    /// `true` / `false`.
    Boolean,
    /// A short string: a category, a code.
    String,
    /// Free text (notes): checked for near-duplicates, verbatim overlap and PII.
    Text,
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Its name (the JSON key).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
    /// Allowed values (strings).
    #[serde(default, rename = "enum")]
    pub allowed: Option<Vec<String>>,
    /// Smallest value (numbers).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest value (numbers).
    #[serde(default)]
    pub max: Option<f64>,
    /// A regular expression the whole value must match (strings).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Shortest length in characters (strings, text).
    #[serde(default)]
    pub min_length: Option<usize>,
    /// Longest length in characters (strings, text).
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Whether `null` is allowed (default false).
    #[serde(default)]
    pub nullable: bool,
}

/// A variable sampled per record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// The template variable's name.
    pub name: String,
    /// Its values.
    pub values: Vec<String>,
    /// Their weights (default: equal).
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
}

/// Few-shot examples: written in the spec, or real seed rows drawn from a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesSpec {
    /// Examples written out (`[[examples.rows]]`), each with the columns' keys.
    #[serde(default)]
    pub rows: Vec<BTreeMap<String, toml::Value>>,
    /// A real table to draw seed rows from (CSV or Parquet; in a pipeline, the default is the
    /// training split when `from_training = true`).
    #[serde(default)]
    pub from: Option<PathBuf>,
    /// In a pipeline: draw seed rows from the training split.
    #[serde(default)]
    pub from_training: bool,
    /// Missing-value tokens of `from`.
    #[serde(default)]
    pub na: Vec<String>,
    /// Examples per prompt (default 3).
    #[serde(default = "default_per_prompt")]
    pub per_prompt: usize,
}

fn default_per_prompt() -> usize {
    3
}

impl Default for ExamplesSpec {
    fn default() -> ExamplesSpec {
        ExamplesSpec {
            rows: Vec::new(),
            from: None,
            from_training: false,
            na: Vec::new(),
            per_prompt: default_per_prompt(),
        }
    }
}

/// The variables every template may use besides the conditions'.
pub const BUILTIN_VARIABLES: [&str; 5] = ["examples", "record", "records", "columns", "schema"];

/// The `{name}` variables `template` uses, in order, with the byte offset of each; `{{` and
/// `}}` are literal braces. An unclosed `{` is an error message.
pub fn template_variables(template: &str) -> std::result::Result<Vec<(String, usize)>, String> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => {
                let Some(end) = template[i + 1..].find('}') else {
                    return Err(format!("an unclosed '{{' at character {i}"));
                };
                out.push((template[i + 1..i + 1 + end].trim().to_string(), i));
                i += end + 2;
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// `template` with each `{name}` replaced by `values[name]` (every name must be present).
pub fn render(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('{') {
            // An unclosed brace (the spec check refuses one) is kept as text.
            let Some(end) = tail.find('}') else {
                out.push_str(tail);
                rest = "";
                break;
            };
            let name = tail[1..end].trim();
            out.push_str(values.get(name).map_or("", String::as_str));
            rest = &tail[end + 1..];
        } else {
            out.push('}');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

impl GenerateSpec {
    /// Read and check a standalone spec; relative paths resolve from its folder.
    pub fn load(path: &Path) -> Result<GenerateSpec> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::spec(format!("the generation spec could not be read: {error}."))
                .at(Location::file(path))
        })?;
        let mut spec = GenerateSpec::parse(&text, path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        spec.resolve_paths(folder);
        Ok(spec)
    }

    /// Parse and check spec text; `path` names the file in errors. Relative paths stay as
    /// written ([`GenerateSpec::load`] resolves them).
    pub fn parse(text: &str, path: &Path) -> Result<GenerateSpec> {
        let spec: GenerateSpec = synthgate_core::text::parse_toml(
            text,
            path,
            "generation spec",
            "See `synthgate generate --help` for every section and key, or \
             examples/llm/generate.toml.",
        )?;
        spec.check(text, path)?;
        Ok(spec)
    }

    /// Resolve relative paths from `folder`.
    pub fn resolve_paths(&mut self, folder: &Path) {
        if let Some(from) = &self.examples.from
            && from.is_relative()
        {
            self.examples.from = Some(folder.join(from));
        }
    }

    /// Check what the types cannot: names, ranges, patterns, template variables. Errors name
    /// `path` and the line of the offending key in `text`.
    pub fn check(&self, text: &str, path: &Path) -> Result<()> {
        let fail = |message: String, needle: &str| {
            let mut location = Location::file(path);
            if let Some(line) = text
                .lines()
                .position(|l| !needle.is_empty() && l.contains(needle))
            {
                location = location.line(line as u64 + 1);
            }
            Err(Error::spec(message).at(location))
        };
        if self.format_version > SPEC_FORMAT_VERSION {
            return fail(
                format!(
                    "format_version {} is newer than this Synthgate reads ({SPEC_FORMAT_VERSION}).",
                    self.format_version
                ),
                "format_version",
            );
        }
        let url = self.server.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return fail(
                format!(
                    "server.base_url must start with http:// or https://, not '{}'.",
                    crate::url::display_url(url)
                ),
                "base_url",
            );
        }
        if self.server.model.trim().is_empty() {
            return fail(
                "server.model must name the model the server serves.".into(),
                "model",
            );
        }
        if self.server.timeout_seconds.is_nan()
            || self.server.timeout_seconds <= 0.0
            || self.server.concurrency == 0
        {
            return fail(
                "server.timeout_seconds must be above 0 and server.concurrency at least 1.".into(),
                "timeout_seconds",
            );
        }
        let g = &self.generation;
        if g.records == 0 {
            return fail("generation.records must be at least 1.".into(), "records");
        }
        if g.max_attempts == 0 || g.max_tokens == 0 {
            return fail(
                "generation.max_attempts and generation.max_tokens must be at least 1.".into(),
                "max_attempts",
            );
        }
        if !(0.0..=2.0).contains(&g.temperature) {
            return fail(
                format!(
                    "generation.temperature must be 0 to 2, not {}.",
                    g.temperature
                ),
                "temperature",
            );
        }
        if let Some(p) = g.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return fail(
                format!("generation.top_p must be in (0, 1], not {p}."),
                "top_p",
            );
        }
        if !(g.near_duplicate_threshold > 0.0 && g.near_duplicate_threshold <= 1.0) {
            return fail(
                "generation.near_duplicate_threshold must be in (0, 1].".into(),
                "near_duplicate_threshold",
            );
        }
        if self.columns.is_empty() {
            return fail(
                "the spec needs at least one [[columns]] entry.".into(),
                "[generation]",
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for column in &self.columns {
            let needle = format!("\"{}\"", column.name);
            if column.name.trim().is_empty() || !seen.insert(column.name.as_str()) {
                return fail(
                    format!("column name '{}' is empty or repeated.", column.name),
                    &needle,
                );
            }
            if let Some(pattern) = &column.pattern
                && let Err(error) = regex::Regex::new(pattern)
            {
                return fail(
                    format!(
                        "column '{}': pattern is not a regular expression: {error}",
                        column.name
                    ),
                    "pattern",
                );
            }
            if let (Some(lo), Some(hi)) = (column.min, column.max)
                && lo > hi
            {
                return fail(
                    format!("column '{}': min is above max.", column.name),
                    &needle,
                );
            }
            if let (Some(lo), Some(hi)) = (column.min_length, column.max_length)
                && lo > hi
            {
                return fail(
                    format!("column '{}': min_length is above max_length.", column.name),
                    &needle,
                );
            }
            if column.allowed.as_ref().is_some_and(Vec::is_empty) {
                return fail(format!("column '{}': enum is empty.", column.name), &needle);
            }
        }
        for condition in &self.conditions {
            let needle = format!("\"{}\"", condition.name);
            if condition.values.is_empty() {
                return fail(
                    format!("condition '{}' has no values.", condition.name),
                    &needle,
                );
            }
            if let Some(w) = &condition.weights
                && (w.len() != condition.values.len()
                    || w.iter().any(|x| !(x.is_finite() && *x >= 0.0))
                    || w.iter().sum::<f64>() <= 0.0)
            {
                return fail(
                    format!(
                        "condition '{}': weights must be one non-negative number per value, \
                         not all zero.",
                        condition.name
                    ),
                    &needle,
                );
            }
        }
        let variables = template_variables(&g.prompt)
            .map_err(|message| Error::spec(format!("generation.prompt has {message}.")))?;
        for (name, _) in variables {
            let known = BUILTIN_VARIABLES.contains(&name.as_str())
                || self.conditions.iter().any(|c| c.name == name);
            if !known {
                let mut names: Vec<String> =
                    BUILTIN_VARIABLES.iter().map(|s| s.to_string()).collect();
                names.extend(self.conditions.iter().map(|c| c.name.clone()));
                return fail(
                    format!(
                        "the prompt template uses {{{name}}}, which is not a variable; \
                         variables: {}.",
                        names.join(", ")
                    ),
                    &format!("{{{name}}}"),
                );
            }
        }
        if self.examples.per_prompt == 0 {
            return fail(
                "examples.per_prompt must be at least 1.".into(),
                "per_prompt",
            );
        }
        for (i, row) in self.examples.rows.iter().enumerate() {
            for column in &self.columns {
                if !row.contains_key(&column.name) {
                    return fail(
                        format!("examples.rows[{i}] lacks column '{}'.", column.name),
                        "[[examples.rows]]",
                    );
                }
            }
        }
        Ok(())
    }

    /// The JSON schema of one record, as sent in `response_format`.
    pub fn json_schema(&self) -> serde_json::Value {
        let mut properties = serde_json::Map::new();
        for column in &self.columns {
            let mut p = serde_json::Map::new();
            let kind = match column.kind {
                ColumnType::Integer => "integer",
                ColumnType::Number => "number",
                ColumnType::Boolean => "boolean",
                ColumnType::String | ColumnType::Text => "string",
            };
            p.insert(
                "type".into(),
                if column.nullable {
                    serde_json::json!([kind, "null"])
                } else {
                    serde_json::json!(kind)
                },
            );
            if let Some(values) = &column.allowed {
                p.insert("enum".into(), serde_json::json!(values));
            }
            if let Some(v) = column.min {
                p.insert("minimum".into(), serde_json::json!(v));
            }
            if let Some(v) = column.max {
                p.insert("maximum".into(), serde_json::json!(v));
            }
            if let Some(v) = &column.pattern {
                p.insert("pattern".into(), serde_json::json!(v));
            }
            if let Some(v) = column.min_length {
                p.insert("minLength".into(), serde_json::json!(v));
            }
            if let Some(v) = column.max_length {
                p.insert("maxLength".into(), serde_json::json!(v));
            }
            properties.insert(column.name.clone(), serde_json::Value::Object(p));
        }
        let required: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_variables_and_literal_braces() {
        let mut values = BTreeMap::new();
        values.insert("record", "3".to_string());
        values.insert("sex", "F".to_string());
        let template = "Record {record} ({sex}): {{\"a\": 1}}";
        assert_eq!(render(template, &values), "Record 3 (F): {\"a\": 1}");
        let names: Vec<String> = template_variables(template)
            .expect("valid")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["record", "sex"]);
        assert!(template_variables("open {brace").is_err());
    }

    #[test]
    fn debug_prints_and_errors_show_the_base_url_without_credentials() {
        let server: ServerSpec = toml::from_str(
            "base_url = \"http://user:s3cret-pass@h:1/v1?token=s3cret-token\"\nmodel = \"m\"",
        )
        .expect("server");
        let printed = format!("{server:?}");
        assert!(
            printed.contains("http://h:1/v1?token=REDACTED"),
            "{printed}"
        );
        assert!(!printed.contains("s3cret"), "{printed}");

        let text = "[server]\nbase_url = \"ftp://u:s3cret-pass@h/?sig=s3cret-sig\"\nmodel = \"m\"\n\
                    [generation]\nrecords = 1\nprompt = \"p\"\n[[columns]]\nname = \"a\"\n\
                    type = \"integer\"\n";
        let error = GenerateSpec::parse(text, Path::new("g.toml")).expect_err("refused");
        let message = error.to_string();
        assert!(message.contains("'ftp://h/?sig=REDACTED'"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
