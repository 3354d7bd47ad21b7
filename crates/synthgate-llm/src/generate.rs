//! A generation run.
//!
//! Record `k` (a "slot") is asked for with a prompt rendered from the template, the slot's
//! conditions and examples (fixed for the slot, drawn from seed streams of the master seed), and
//! a request seed derived from (master seed, slot, attempt). Requests run in rounds: every slot
//! still lacking a record sends its next attempt (up to `server.concurrency` at once); each
//! response is parsed and validated as it arrives; when the round is complete, the valid ones
//! are deduplicated in slot order. A rejected slot tries again next round with its next derived
//! seed, until `max_attempts`. The accepted records, in slot order, are the output.
//!
//! Every response is appended to the log (JSON lines) as it arrives, with the rendered prompt,
//! the request body as sent, the seed, the returned model id, `system_fingerprint`, usage,
//! timings, the raw content, the outcome and the wall time. A later run over the same log
//! replays the logged responses instead of asking again: `--resume` continues an interrupted
//! run without losing or repeating records, and `verify --reproduce` re-derives the data from
//! the log alone, without the model.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use synthgate_core::{Error, ErrorKind, Result, Seed, StorageType, Table, unit_f64};

use crate::check::{
    Deduplicator, Diversity, Leakage, Record, Reject, Validator, diversity, leakage,
};
use crate::client::{Client, excerpt, host_of};
use crate::spec::{ColumnType, Endpoint, GenerateSpec, render};

/// The log format this version writes. 2: a log published in a bundle may have real seed rows
/// replaced by keyed digests (`<row hmac-sha256:HEX>` in its text, `real_rows` in its `run`
/// entry: [`crate::redact`]); such a log replays only where the full one is. Format 1 logs read
/// the same way.
pub const LOG_FORMAT_VERSION: u32 = 2;

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'a> {
    /// The JSON-lines log.
    pub log: &'a Path,
    /// Continue an existing log: its responses are replayed, not asked again.
    pub resume: bool,
    /// Replace an existing log (start over).
    pub overwrite_log: bool,
    /// Never contact the server: every response must come from the log.
    pub replay_only: bool,
    /// Real seed rows to draw examples from (a pipeline's training split); else the spec's
    /// `examples.from`, if any.
    pub seed_rows: Option<&'a Table>,
}

/// Token usage summed over responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Records asked for.
    pub records_requested: usize,
    /// Records produced (valid and distinct).
    pub records_produced: usize,
    /// Responses used (asked now or replayed from the log).
    pub responses: usize,
    /// Of those, replayed from the log.
    pub replayed: usize,
    /// Records produced per response.
    #[serde(rename = "yield")]
    pub yield_share: f64,
    /// Rejected responses by reason.
    pub rejects: BTreeMap<String, usize>,
    /// Schema rejects by column.
    pub schema_rejects_by_column: BTreeMap<String, usize>,
    /// Token usage (as the server reported it).
    pub usage: Usage,
    /// Diversity of the produced records.
    pub diversity: Diversity,
    /// Leakage of examples and seed rows (when there were any).
    pub leakage: Option<Leakage>,
    /// The model as asked for, and as the server named it in its responses.
    pub model: Value,
    /// `archived`: the outputs are kept in the log and re-derivable from it, not from the model.
    pub reproducibility: &'static str,
}

/// A finished run.
#[derive(Debug)]
pub struct Generation {
    /// The records, in slot order.
    pub records: Vec<Record>,
    /// The same as a table (columns in spec order).
    pub table: Table,
    /// What the run did.
    pub summary: Summary,
    /// The real seed rows the prompts drew examples from (the training split, or
    /// `examples.from`), so that the log can be published without them
    /// ([`crate::redact::redact_log`]). Empty when no real row was shown.
    pub real_rows: Vec<Record>,
}

/// The seed of attempt `attempt` for slot `slot`: SHA-256 of a fixed label, the master seed,
/// the slot and the attempt (little-endian), first four bytes, top bit cleared.
pub fn request_seed(master: u64, slot: usize, attempt: u32) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(b"synthgate-llm-request-seed-v1");
    hasher.update(master.to_le_bytes());
    hasher.update((slot as u64).to_le_bytes());
    hasher.update(attempt.to_le_bytes());
    let digest = hasher.finalize();
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) >> 1
}

/// The digest of what decides the records: everything but where the server is and how
/// patiently it is asked (base URL, key variable, timeouts, retries, concurrency), so a resumed
/// run may use another address.
fn spec_digest(spec: &GenerateSpec) -> String {
    let mut content = serde_json::to_value(spec).unwrap_or(Value::Null);
    if let Some(server) = content.get_mut("server").and_then(Value::as_object_mut) {
        for key in [
            "base_url",
            "api_key_env",
            "timeout_seconds",
            "retries",
            "backoff_seconds",
            "concurrency",
        ] {
            server.remove(key);
        }
    }
    let text = content.to_string();
    synthgate_io::sha256_bytes(text.as_bytes())
}

fn toml_to_json(value: &toml::Value) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The rows of `table` as records with the spec's columns (numbers as numbers, the rest as
/// text). Columns the table lacks are an input error.
pub fn table_records(table: &Table, spec: &GenerateSpec) -> Result<Vec<Record>> {
    let names = table.column_names();
    let mut columns = Vec::new();
    for column in &spec.columns {
        let Some(index) = names.iter().position(|n| *n == column.name) else {
            return Err(Error::input(format!(
                "the seed-row table has no column '{}' (a column of the generation spec).",
                column.name
            )));
        };
        let values: Vec<Value> = match column.kind {
            ColumnType::Integer | ColumnType::Number if table.storage_type(index).is_numeric() => {
                table
                    .numbers(index)
                    .into_iter()
                    .map(|v| {
                        if v.is_nan() {
                            Value::Null
                        } else if column.kind == ColumnType::Integer && v.fract() == 0.0 {
                            json!(v as i64)
                        } else {
                            json!(v)
                        }
                    })
                    .collect()
            }
            ColumnType::Boolean if table.storage_type(index) == StorageType::Boolean => table
                .column_chunks(index)
                .flat_map(|chunk| {
                    let chunk = chunk.clone();
                    (0..chunk.len()).map(move |row| {
                        synthgate_core::text::format_cell(chunk.as_ref(), StorageType::Boolean, row)
                            .map_or(Value::Null, |t| Value::Bool(t == "true"))
                    })
                })
                .collect(),
            _ => {
                let storage = table.storage_type(index);
                table
                    .column_chunks(index)
                    .flat_map(|chunk| {
                        let chunk = chunk.clone();
                        (0..chunk.len()).map(move |row| {
                            synthgate_core::text::format_cell(chunk.as_ref(), storage, row)
                                .map_or(Value::Null, Value::String)
                        })
                    })
                    .collect()
            }
        };
        columns.push((column.name.clone(), values));
    }
    Ok((0..table.num_rows())
        .map(|row| {
            columns
                .iter()
                .map(|(name, values)| (name.clone(), values[row].clone()))
                .collect()
        })
        .collect())
}

/// The records as a table: integer → int64, number → float64, boolean, string and text → utf8.
pub fn records_table(records: &[Record], spec: &GenerateSpec) -> Result<Table> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for column in &spec.columns {
        let values = records.iter().map(|r| r.get(&column.name));
        let (data_type, array): (DataType, ArrayRef) = match column.kind {
            ColumnType::Integer => (
                DataType::Int64,
                Arc::new(Int64Array::from(
                    values
                        .map(|v| v.and_then(Value::as_i64))
                        .collect::<Vec<_>>(),
                )),
            ),
            ColumnType::Number => (
                DataType::Float64,
                Arc::new(Float64Array::from(
                    values
                        .map(|v| v.and_then(Value::as_f64))
                        .collect::<Vec<_>>(),
                )),
            ),
            ColumnType::Boolean => (
                DataType::Boolean,
                Arc::new(BooleanArray::from(
                    values
                        .map(|v| v.and_then(Value::as_bool))
                        .collect::<Vec<_>>(),
                )),
            ),
            ColumnType::String | ColumnType::Text => (
                DataType::Utf8,
                Arc::new(StringArray::from(
                    values
                        .map(|v| v.and_then(Value::as_str).map(str::to_string))
                        .collect::<Vec<_>>(),
                )),
            ),
        };
        fields.push(Field::new(&column.name, data_type, true));
        arrays.push(array);
    }
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)
        .map_err(|e| Error::internal(format!("building the records' table failed: {e}")))?;
    Table::new(schema, vec![batch])
}

/// One request to make.
#[derive(Debug, Clone)]
struct Job {
    slot: usize,
    attempt: u32,
    seed: u32,
    prompt: String,
    body: Value,
}

/// The outcome of one request.
#[derive(Debug)]
struct Done {
    job: Job,
    /// The log entry (the response as logged, or replayed).
    entry: Value,
    replayed: bool,
    result: std::result::Result<Record, Reject>,
}

/// Examples and conditions for one slot, and its prompt.
struct Prompter<'a> {
    spec: &'a GenerateSpec,
    written: Vec<Record>,
    seed_rows: Vec<Record>,
    schema_text: String,
}

impl Prompter<'_> {
    fn examples(&self, slot: usize) -> Vec<&Record> {
        let mut shown: Vec<&Record> = self.written.iter().collect();
        let want = self.spec.examples.per_prompt.min(self.seed_rows.len());
        if want > 0 {
            let mut rng = Seed(self.spec.generation.seed).stream("llm-examples", slot as u64);
            let mut picked = BTreeSet::new();
            while picked.len() < want {
                let i = ((unit_f64(&mut rng) * self.seed_rows.len() as f64) as usize)
                    .min(self.seed_rows.len() - 1);
                picked.insert(i);
            }
            shown.extend(picked.into_iter().map(|i| &self.seed_rows[i]));
        }
        shown
    }

    fn prompt(&self, slot: usize) -> String {
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        // One JSON object per line, keys in column order.
        let lines: Vec<String> = self
            .examples(slot)
            .iter()
            .map(|r| crate::redact::example_line(&self.spec.columns, r))
            .collect();
        values.insert("examples", lines.join("\n"));
        values.insert("record", (slot + 1).to_string());
        values.insert("records", self.spec.generation.records.to_string());
        values.insert(
            "columns",
            self.spec
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        values.insert("schema", self.schema_text.clone());
        let mut rng = Seed(self.spec.generation.seed).stream("llm-conditions", slot as u64);
        for condition in &self.spec.conditions {
            let weights = condition
                .weights
                .clone()
                .unwrap_or_else(|| vec![1.0; condition.values.len()]);
            let total: f64 = weights.iter().sum();
            let mut draw = unit_f64(&mut rng) * total;
            let mut pick = condition.values.len() - 1;
            for (i, w) in weights.iter().enumerate() {
                if draw < *w {
                    pick = i;
                    break;
                }
                draw -= w;
            }
            values.insert(condition.name.as_str(), condition.values[pick].clone());
        }
        render(&self.spec.generation.prompt, &values)
    }
}

/// The request body for `prompt` with `seed`.
fn request_body(spec: &GenerateSpec, prompt: &str, seed: u32) -> Value {
    let g = &spec.generation;
    let mut body = Map::new();
    body.insert("model".into(), json!(spec.server.model));
    match spec.server.endpoint {
        Endpoint::Chat => {
            let mut messages = Vec::new();
            if let Some(system) = &g.system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": prompt}));
            body.insert("messages".into(), Value::Array(messages));
        }
        Endpoint::Completions => {
            body.insert("prompt".into(), json!(prompt));
        }
    }
    body.insert("temperature".into(), json!(g.temperature));
    if let Some(p) = g.top_p {
        body.insert("top_p".into(), json!(p));
    }
    body.insert("max_tokens".into(), json!(g.max_tokens));
    body.insert("seed".into(), json!(seed));
    if spec.server.structured_output {
        let schema = spec.json_schema();
        match spec.server.endpoint {
            Endpoint::Chat => {
                body.insert(
                    "response_format".into(),
                    json!({"type": "json_schema",
                           "json_schema": {"name": "record", "strict": true, "schema": schema}}),
                );
            }
            // The completions endpoint has no response_format in OpenAI's API; llama.cpp and
            // vLLM accept a `json_schema` field (others: use server.extra).
            Endpoint::Completions => {
                body.insert("json_schema".into(), schema);
            }
        }
    }
    for (key, value) in &spec.server.extra {
        body.insert(key.clone(), toml_to_json(value));
    }
    Value::Object(body)
}

fn endpoint_path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Chat => "/chat/completions",
        Endpoint::Completions => "/completions",
    }
}

/// Ask the server for `job` and check the answer. A server failure (after retries, or a
/// request it refuses) is an error.
fn ask(
    client: &Client,
    spec: &GenerateSpec,
    validator: &Validator,
    job: &Job,
) -> Result<(Value, std::result::Result<Record, Reject>)> {
    let reply = client.send(endpoint_path(spec.server.endpoint), Some(&job.body))?;
    if !(200..300).contains(&reply.status) {
        return Err(Error::new(
            ErrorKind::Environment,
            format!(
                "the server refused the request (HTTP {}): {}",
                reply.status,
                excerpt(&reply.body)
            ),
        )
        .hint(
            "A 400 usually means a parameter or the JSON schema is not supported by this \
               backend; a 404 an unknown model or endpoint.",
        ));
    }
    let body = &reply.body;
    let choice = &body["choices"][0];
    let content = match spec.server.endpoint {
        Endpoint::Chat => choice["message"]["content"].as_str(),
        Endpoint::Completions => choice["text"].as_str(),
    };
    let finish = choice["finish_reason"].as_str().unwrap_or("");
    let mut entry = json!({
        "type": "response",
        "slot": job.slot,
        "attempt": job.attempt,
        "seed": job.seed,
        "prompt": job.prompt,
        "request": job.body,
        "status": reply.status,
        "response_id": body["id"],
        "model": body["model"],
        "system_fingerprint": body["system_fingerprint"],
        "usage": body["usage"],
        "timings": body["timings"],
        "finish_reason": finish,
        "content": content,
        "wall_ms": reply.wall_ms,
        "http_attempts": reply.http_attempts,
    });
    let result = check_content(validator, content, finish);
    note_outcome(&mut entry, &result);
    Ok((entry, result))
}

/// Validate a response's content: a truncated response (`finish_reason` "length") is a reject.
fn check_content(
    validator: &Validator,
    content: Option<&str>,
    finish_reason: &str,
) -> std::result::Result<Record, Reject> {
    let Some(content) = content else {
        return Err(Reject::new("no_content", "the response has no content"));
    };
    if finish_reason == "length" {
        return Err(Reject::new(
            "truncated",
            "finish_reason is \"length\": max_tokens cut the response",
        ));
    }
    validator.parse_record(content)
}

fn note_outcome(entry: &mut Value, result: &std::result::Result<Record, Reject>) {
    match result {
        Ok(_) => entry["outcome"] = json!("valid"),
        Err(reject) => {
            entry["outcome"] = json!("rejected");
            entry["reject"] = json!(reject);
        }
    }
}

/// The log: appended line by line, each line flushed.
struct Log {
    file: std::fs::File,
}

impl Log {
    fn write(&mut self, path: &Path, entry: &Value) -> Result<()> {
        let mut line = entry.to_string();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| synthgate_io::io_error(path, "append to the log", &e))
    }
}

/// Read a log's response entries by (slot, attempt), checking it was made by this spec.
fn read_log(path: &Path, digest: &str) -> Result<BTreeMap<(usize, u32), Value>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| synthgate_io::io_error(path, "read the log", &e))?;
    let mut responses = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: Value = serde_json::from_str(line).map_err(|e| {
            Error::input(format!("the log line is not JSON: {e}"))
                .at(synthgate_core::Location::file(path).line(n as u64 + 1))
        })?;
        match entry["type"].as_str() {
            Some("run") if entry["spec_sha256"].as_str() != Some(digest) => {
                return Err(Error::input(
                    "the log was made with a different generation spec; it cannot be resumed \
                     or replayed with this one.",
                )
                .at(synthgate_core::Location::file(path).line(n as u64 + 1)));
            }
            Some("response") => {
                let slot = entry["slot"].as_u64().unwrap_or(u64::MAX) as usize;
                let attempt = entry["attempt"].as_u64().unwrap_or(u64::MAX) as u32;
                responses.insert((slot, attempt), entry);
            }
            _ => {}
        }
    }
    Ok(responses)
}

/// Run `spec` (see the module documentation); `progress` hears (records done, records asked).
pub fn generate(
    spec: &GenerateSpec,
    options: &RunOptions<'_>,
    progress: &mut dyn FnMut(usize, usize) -> Result<()>,
) -> Result<Generation> {
    let digest = spec_digest(spec);
    let log_exists = options.log.exists();
    if log_exists && !options.resume && !options.overwrite_log && !options.replay_only {
        return Err(Error::usage(format!(
            "the log {} exists; pass --resume to continue that run, or --force to start over.",
            options.log.display()
        )));
    }
    let replay = if log_exists && (options.resume || options.replay_only) {
        read_log(options.log, &digest)?
    } else {
        BTreeMap::new()
    };
    if options.replay_only && !log_exists {
        return Err(Error::input(format!(
            "the generation log {} is missing; nothing to replay.",
            options.log.display()
        )));
    }

    // Examples: written ones and real seed rows.
    let written: Vec<Record> = spec
        .examples
        .rows
        .iter()
        .map(|row| {
            spec.columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        row.get(&c.name).map_or(Value::Null, toml_to_json),
                    )
                })
                .collect()
        })
        .collect();
    let loaded;
    let seed_table = match (options.seed_rows, &spec.examples.from) {
        (Some(table), _) => Some(table),
        (None, Some(path)) => {
            loaded = synthgate_io::read_table(
                path,
                &synthgate_io::ReadOptions {
                    extra_na_tokens: spec.examples.na.clone(),
                    ..synthgate_io::ReadOptions::default()
                },
            )?;
            Some(&loaded.table)
        }
        (None, None) => None,
    };
    let seed_rows = match seed_table {
        Some(table) => table_records(table, spec)?,
        None => Vec::new(),
    };
    let prompter = Prompter {
        spec,
        written,
        seed_rows,
        schema_text: spec.json_schema().to_string(),
    };
    let validator = Validator::new(&spec.columns);

    let client = if options.replay_only {
        None
    } else {
        Some(Client::new(&spec.server)?)
    };
    let mut server_models = Value::Null;
    let mut log = None;
    if !options.replay_only {
        let client = client
            .as_ref()
            .ok_or_else(|| Error::internal("no client"))?;
        // The model must be one the server serves, when it lists them.
        if let Ok(reply) = client.send("/models", None)
            && reply.status == 200
            && let Some(models) = reply.body["data"].as_array()
        {
            let ids: Vec<&str> = models.iter().filter_map(|m| m["id"].as_str()).collect();
            if !ids.is_empty() && !ids.contains(&spec.server.model.as_str()) {
                return Err(Error::new(
                    ErrorKind::Environment,
                    format!(
                        "the server at {} does not serve the model '{}'; it serves: {}.",
                        client.display_base(),
                        spec.server.model,
                        ids.join(", ")
                    ),
                )
                .hint("Set server.model to one of those ids."));
            }
            server_models = models
                .iter()
                .find(|m| m["id"] == spec.server.model.as_str())
                .cloned()
                .unwrap_or(Value::Null);
            // A model-file digest, where the server exposes one (Ollama-style `models` list).
            if let Some(digest) = reply.body["models"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| {
                    m["model"] == spec.server.model.as_str()
                        || m["name"] == spec.server.model.as_str()
                })
                .and_then(|m| m["digest"].as_str())
                .filter(|d| !d.is_empty())
                && let Some(object) = server_models.as_object_mut()
            {
                object.insert("model_digest".into(), json!(digest));
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(options.resume)
            .write(true)
            .truncate(!options.resume)
            .open(options.log)
            .map_err(|e| synthgate_io::io_error(options.log, "open the log", &e))?;
        let mut opened = Log { file };
        opened.write(
            options.log,
            &json!({
                "type": "run",
                "format_version": LOG_FORMAT_VERSION,
                "resumed": options.resume && log_exists,
                "spec_sha256": digest,
                "base_url_host": host_of(&spec.server.base_url),
                "endpoint": endpoint_path(spec.server.endpoint),
                "model": spec.server.model,
                "server_model": server_models,
                "records": spec.generation.records,
                "seed": spec.generation.seed,
                "tool": format!("synthgate {}", env!("CARGO_PKG_VERSION")),
            }),
        )?;
        log = Some(opened);
    }

    let slots = spec.generation.records;
    let mut accepted: Vec<Option<Record>> = vec![None; slots];
    let mut attempts = vec![0u32; slots];
    let mut dedup = Deduplicator::new(&spec.columns, spec.generation.near_duplicate_threshold);
    let mut rejects: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_column: BTreeMap<String, usize> = BTreeMap::new();
    let mut usage = Usage::default();
    let mut returned_models = BTreeSet::new();
    let mut fingerprints = BTreeSet::new();
    let (mut responses, mut replayed) = (0usize, 0usize);
    let mut failure: Option<Error> = None;

    loop {
        let jobs: Vec<Job> = (0..slots)
            .filter(|&s| accepted[s].is_none() && attempts[s] < spec.generation.max_attempts)
            .map(|slot| {
                let attempt = attempts[slot];
                let seed = request_seed(spec.generation.seed, slot, attempt);
                let prompt = prompter.prompt(slot);
                let body = request_body(spec, &prompt, seed);
                Job {
                    slot,
                    attempt,
                    seed,
                    prompt,
                    body,
                }
            })
            .collect();
        if jobs.is_empty() {
            break;
        }
        // Replayed responses first, then the rest asked of the server by the workers.
        let mut done: Vec<Done> = Vec::new();
        let mut to_ask = VecDeque::new();
        for job in jobs {
            match replay.get(&(job.slot, job.attempt)) {
                Some(entry) => {
                    let finish = entry["finish_reason"].as_str().unwrap_or("");
                    let result = check_content(&validator, entry["content"].as_str(), finish);
                    done.push(Done {
                        entry: entry.clone(),
                        replayed: true,
                        result,
                        job,
                    });
                }
                None if options.replay_only => {
                    return Err(Error::new(
                        ErrorKind::VerificationFailed,
                        format!(
                            "the generation log lacks the response to record {} attempt {}: \
                             the data cannot be re-derived from it.",
                            job.slot + 1,
                            job.attempt + 1
                        ),
                    ));
                }
                None => to_ask.push_back(job),
            }
        }
        if !to_ask.is_empty() {
            let client = client
                .as_ref()
                .ok_or_else(|| Error::internal("no client"))?;
            let queue = Mutex::new(to_ask);
            let stop = std::sync::atomic::AtomicBool::new(false);
            let (sender, receiver) = mpsc::channel::<Result<Done>>();
            std::thread::scope(|scope| -> Result<()> {
                for _ in 0..spec.server.concurrency {
                    let sender = sender.clone();
                    let (queue, stop, validator) = (&queue, &stop, &validator);
                    scope.spawn(move || {
                        loop {
                            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                                break;
                            }
                            let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front())
                            else {
                                break;
                            };
                            let outcome =
                                ask(client, spec, validator, &job).map(|(entry, result)| Done {
                                    job,
                                    entry,
                                    replayed: false,
                                    result,
                                });
                            if outcome.is_err() {
                                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                            }
                            if sender.send(outcome).is_err() {
                                break;
                            }
                        }
                    });
                }
                drop(sender);
                for outcome in receiver {
                    match outcome {
                        Ok(d) => {
                            if let Some(log) = log.as_mut() {
                                log.write(options.log, &d.entry)?;
                            }
                            done.push(d);
                        }
                        Err(error) => {
                            if failure.is_none() {
                                failure = Some(error);
                            }
                        }
                    }
                }
                Ok(())
            })?;
        }
        if let Some(error) = failure.take() {
            if let Some(log) = log.as_mut() {
                let _ = log.write(
                    options.log,
                    &json!({"type": "failure", "message": error.message()}),
                );
            }
            return Err(error);
        }
        // Decide in slot order: deterministic whatever order the answers came in.
        done.sort_by_key(|d| d.job.slot);
        for d in done {
            responses += 1;
            replayed += usize::from(d.replayed);
            let usage_of = &d.entry["usage"];
            usage.prompt_tokens += usage_of["prompt_tokens"].as_u64().unwrap_or(0);
            usage.completion_tokens += usage_of["completion_tokens"].as_u64().unwrap_or(0);
            if let Some(m) = d.entry["model"].as_str() {
                returned_models.insert(m.to_string());
            }
            if let Some(f) = d.entry["system_fingerprint"].as_str() {
                fingerprints.insert(f.to_string());
            }
            attempts[d.job.slot] += 1;
            let verdict = d
                .result
                .and_then(|record| dedup.admit(&record).map(|()| record));
            let decision = match verdict {
                Ok(record) => {
                    accepted[d.job.slot] = Some(record);
                    "accepted".to_string()
                }
                Err(reject) => {
                    *rejects.entry(reject.reason.clone()).or_insert(0) += 1;
                    if reject.reason == "schema"
                        && let Some(column) = reject.detail.split('\'').nth(1)
                    {
                        *by_column.entry(column.to_string()).or_insert(0) += 1;
                    }
                    reject.reason
                }
            };
            if let Some(log) = log.as_mut() {
                log.write(
                    options.log,
                    &json!({"type": "decision", "slot": d.job.slot, "attempt": d.job.attempt,
                            "decision": decision}),
                )?;
            }
        }
        progress(accepted.iter().filter(|a| a.is_some()).count(), slots)?;
    }

    let records: Vec<Record> = accepted.into_iter().flatten().collect();
    let real: Vec<Record> = prompter
        .written
        .iter()
        .chain(&prompter.seed_rows)
        .cloned()
        .collect();
    let summary = Summary {
        records_requested: slots,
        records_produced: records.len(),
        responses,
        replayed,
        yield_share: if responses == 0 {
            0.0
        } else {
            records.len() as f64 / responses as f64
        },
        rejects,
        schema_rejects_by_column: by_column,
        usage,
        diversity: diversity(&records, &spec.columns),
        leakage: (!real.is_empty()).then(|| leakage(&records, &real, &spec.columns)),
        model: json!({
            "requested": spec.server.model,
            "returned": returned_models,
            "system_fingerprints": fingerprints,
            "base_url_host": host_of(&spec.server.base_url),
            "server_model": server_models,
        }),
        reproducibility: "archived",
    };
    let table = records_table(&records, spec)?;
    Ok(Generation {
        records,
        table,
        summary,
        real_rows: prompter.seed_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_seeds_differ_by_slot_attempt_and_master() {
        let a = request_seed(1, 0, 0);
        assert_eq!(a, request_seed(1, 0, 0));
        let all: BTreeSet<u32> = [
            a,
            request_seed(1, 1, 0),
            request_seed(1, 0, 1),
            request_seed(2, 0, 0),
        ]
        .into_iter()
        .collect();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|s| *s < 1 << 31));
    }
}
