//! Real rows out of a generation log, so that the log can be published.
//!
//! A prompt that shows real seed rows (a pipeline's `examples.from_training`, or
//! `examples.from`) holds them, one line each ([`example_line`]), in its logged prompt and
//! request body; a model may also answer with a seed row as it was shown. [`redact_log`] replaces
//! every such line, wherever it stands in a log entry's text, and every response whose record
//! is a seed row, by a keyed digest, `<row hmac-sha256:HEX>`: HMAC-SHA256 ([`hmac_sha256`],
//! RFC 2104) under a [`RowKey`] that stays in the operator's workspace. Without the key a digest
//! cannot confirm a guessed row (a plain hash could: hash the guess and compare); with it, the
//! operator can tell which prompts showed the same row. The full log, which a replay needs, is
//! kept where the key is.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use synthgate_core::{Error, Result};

use crate::check::{Record, exact_key};
use crate::spec::ColumnSpec;

/// The bytes of a [`RowKey`].
pub const ROW_KEY_BYTES: usize = 32;

/// The secret key of the row digests. Its `Debug` form shows only its id.
#[derive(Clone, PartialEq, Eq)]
pub struct RowKey([u8; ROW_KEY_BYTES]);

impl RowKey {
    /// The key made of `bytes` (secret random bytes).
    pub fn from_bytes(bytes: [u8; ROW_KEY_BYTES]) -> RowKey {
        RowKey(bytes)
    }

    /// The key's bytes, to store it.
    pub fn as_bytes(&self) -> &[u8; ROW_KEY_BYTES] {
        &self.0
    }

    /// A name for the key that reveals nothing of it: the first 16 hex digits of
    /// SHA-256("synthgate-row-key-id\0" || key). A published log names the key it needs.
    pub fn id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"synthgate-row-key-id\0");
        hasher.update(self.0);
        hex(&hasher.finalize()[..8])
    }
}

impl std::fmt::Debug for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RowKey({})", self.id())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 of `message` under `key` (RFC 2104: H((K' ^ opad) || H((K' ^ ipad) || m)), K'
/// the key padded to SHA-256's 64-byte block, or its digest when longer). Checked against the
/// test vectors of RFC 4231.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut padded = [0u8; BLOCK];
    if key.len() > BLOCK {
        padded[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(padded.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(padded.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The digest that stands for a real row shown as `line`: `<row hmac-sha256:HEX>`, the HMAC of
/// "synthgate-row-v1\0" || line under `key`.
pub fn row_digest(key: &RowKey, line: &str) -> String {
    let mut message = b"synthgate-row-v1\0".to_vec();
    message.extend_from_slice(line.as_bytes());
    format!("<row hmac-sha256:{}>", hex(&hmac_sha256(&key.0, &message)))
}

/// How a prompt shows a record: one JSON object on one line, keys in column order.
pub fn example_line(columns: &[ColumnSpec], record: &Record) -> String {
    let fields: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                Value::String(c.name.clone()),
                record.get(&c.name).unwrap_or(&Value::Null)
            )
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// A log with its real rows replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The log as it may be published.
    pub text: String,
    /// How many times a real row was replaced (0: the text is the log as it was).
    pub replaced: usize,
}

/// The real rows' lines, found by length then by text (every line starts with `{`).
struct Lines<'a> {
    by_text: HashMap<&'a str, usize>,
    lengths: BTreeSet<usize>,
}

impl Lines<'_> {
    /// `text` with every real line replaced by its digest; counts into `replaced`.
    fn replace(&self, text: &str, digests: &[String], replaced: &mut Vec<usize>) -> Option<String> {
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        let bytes = text.as_bytes();
        while at < bytes.len() {
            if bytes[at] == b'{'
                && let Some((length, index)) = self.lengths.iter().rev().find_map(|&length| {
                    text.get(at..at + length)
                        .and_then(|piece| self.by_text.get(piece))
                        .map(|&index| (length, index))
                })
            {
                out.push_str(&text[copied..at]);
                out.push_str(&digests[index]);
                replaced.push(index);
                at += length;
                copied = at;
                continue;
            }
            at += 1;
        }
        (copied > 0).then(|| {
            out.push_str(&text[copied..]);
            out
        })
    }
}

/// Every string inside `value` passed through `edit` (which returns a replacement, or `None`
/// to keep it); whether anything changed.
fn edit_strings(value: &mut Value, edit: &mut dyn FnMut(&str) -> Option<String>) -> bool {
    match value {
        Value::String(text) => match edit(text) {
            Some(new) => {
                *text = new;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| edit_strings(item, edit) | changed),
        Value::Object(object) => object
            .values_mut()
            .fold(false, |changed, item| edit_strings(item, edit) | changed),
        _ => false,
    }
}

/// The record a response's content holds (its first JSON value, if an object), unvalidated.
fn content_record(content: &str) -> Option<Record> {
    let mut stream = serde_json::Deserializer::from_str(content.trim_start()).into_iter::<Value>();
    match stream.next() {
        Some(Ok(Value::Object(object))) => Some(object),
        _ => None,
    }
}

/// `log` (JSON lines, as a run writes it) with every real row replaced by its keyed digest:
/// each line of `real` as [`example_line`] renders it, wherever it occurs in an entry's text
/// (the prompt, the request body, the content, a reject's detail), and a response's whole
/// content when its record equals a real row on every column (text normalised as for exact
/// duplicates). Each `run` entry of a log where something was replaced says so (`real_rows`:
/// the method, the key's id, how many replacements). Lines with nothing to replace are kept
/// byte for byte.
pub fn redact_log(
    log: &str,
    columns: &[ColumnSpec],
    real: &[Record],
    key: &RowKey,
) -> Result<Redacted> {
    if real.is_empty() {
        return Ok(Redacted {
            text: log.to_string(),
            replaced: 0,
        });
    }
    let lines: Vec<String> = real.iter().map(|r| example_line(columns, r)).collect();
    let digests: Vec<String> = lines.iter().map(|l| row_digest(key, l)).collect();
    let index = Lines {
        by_text: lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect(),
        lengths: lines.iter().map(String::len).collect(),
    };
    let keys: HashMap<String, usize> = real
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let shown: Record = columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        r.get(&c.name).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            (exact_key(&shown), i)
        })
        .collect();
    // The index of the real row of every replacement.
    let mut replaced: Vec<usize> = Vec::new();
    let mut entries: Vec<(String, Option<Value>)> = Vec::new();
    for (number, line) in log.lines().enumerate() {
        let Ok(mut entry) = serde_json::from_str::<Value>(line) else {
            // Every line a run writes is JSON; anything else is not published blind.
            return Err(Error::internal(format!(
                "the generation log's line {} is not JSON; it cannot be published",
                number + 1
            )));
        };
        let mut changed = false;
        if entry["type"] == "response"
            && let Some(record) = entry["content"].as_str().and_then(content_record)
            && let Some(&i) = keys.get(&exact_key(&record))
        {
            entry["content"] = Value::String(digests[i].clone());
            replaced.push(i);
            changed = true;
        }
        changed |= edit_strings(&mut entry, &mut |text| {
            index.replace(text, &digests, &mut replaced)
        });
        entries.push((line.to_string(), changed.then_some(entry)));
    }
    if replaced.is_empty() {
        return Ok(Redacted {
            text: log.to_string(),
            replaced: 0,
        });
    }
    let distinct: HashSet<&str> = replaced.iter().map(|&i| digests[i].as_str()).collect();
    let mut text = String::with_capacity(log.len());
    for (line, edited) in entries {
        let edited = match edited {
            Some(entry) => Some(entry),
            None => {
                let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                (entry["type"] == "run").then_some(entry)
            }
        };
        match edited {
            Some(mut entry) => {
                if entry["type"] == "run" {
                    entry["real_rows"] = json!({
                        "replaced_by": "hmac-sha256",
                        "key_id": key.id(),
                        "replacements": replaced.len(),
                        "rows": distinct.len(),
                    });
                }
                text.push_str(&entry.to_string());
            }
            None => text.push_str(&line),
        }
        text.push('\n');
    }
    Ok(Redacted {
        text,
        replaced: replaced.len(),
    })
}

/// Whether a published log had real rows replaced: the `real_rows` of its `run` entry, if any.
pub fn replaced_rows(log: &str) -> Option<Value> {
    log.lines()
        .filter(|line| line.contains("\"real_rows\""))
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry["type"] == "run")
        .map(|entry| entry["real_rows"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// RFC 4231's test cases 1-4, 6 and 7 (case 5 truncates the output).
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the HMAC \
                  algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, message, expected) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &message)), expected);
        }
    }

    fn columns() -> Vec<ColumnSpec> {
        let spec: crate::GenerateSpec = toml::from_str(
            r#"
[server]
base_url = "http://127.0.0.1:1"
model = "m"
[generation]
records = 1
prompt = "Rows:\n{examples}\nAnother:"
[[columns]]
name = "age"
type = "integer"
[[columns]]
name = "city"
type = "string"
"#,
        )
        .expect("spec");
        spec.columns
    }

    fn record(age: i64, city: &str) -> Record {
        json!({"age": age, "city": city})
            .as_object()
            .expect("object")
            .clone()
    }

    #[test]
    fn real_rows_become_keyed_digests_and_nothing_else_changes() {
        let columns = columns();
        let real = vec![record(41, "Leeds"), record(7, "Hull")];
        let shown = example_line(&columns, &real[0]);
        assert_eq!(shown, r#"{"age": 41, "city": "Leeds"}"#);
        let prompt = format!(
            "Rows:\n{shown}\n{}\nAnother:",
            example_line(&columns, &real[1])
        );
        let log = [
            json!({"type": "run", "format_version": 1}),
            json!({"type": "response", "slot": 0, "prompt": prompt,
                   "request": {"messages": [{"role": "user", "content": prompt}]},
                   "content": "{\"age\": 52, \"city\": \"York\"}"}),
            json!({"type": "response", "slot": 1, "prompt": "no rows here",
                   "content": "{\"city\": \"  leeds\", \"age\": 41.0}"}),
            json!({"step": "evaluate", "metrics": 3.5}),
        ]
        .iter()
        .map(|entry| format!("{entry}\n"))
        .collect::<String>();
        let key = RowKey::from_bytes([7; ROW_KEY_BYTES]);
        let redacted = redact_log(&log, &columns, &real, &key).expect("redacted");
        // Two lines in the prompt, two in the request, one copied response.
        assert_eq!(redacted.replaced, 5);
        assert!(!redacted.text.contains("Leeds") && !redacted.text.contains("Hull"));
        assert!(!redacted.text.contains("leeds"));
        let digest = row_digest(&key, &shown);
        assert_eq!(redacted.text.matches(&digest).count(), 3);
        assert!(redacted.text.contains("York"));
        let published: Vec<&str> = redacted.text.lines().collect();
        assert_eq!(published[3], log.lines().nth(3).expect("line"));
        assert!(published[1].contains(r#"Rows:\n<row hmac-sha256:"#));
        let marker = replaced_rows(&redacted.text).expect("marked");
        assert_eq!(marker["replaced_by"], "hmac-sha256");
        assert_eq!(marker["key_id"], key.id());
        assert_eq!(marker["rows"], 2);
        assert_eq!(replaced_rows(&log), None);

        // Another key, other digests; no real rows, the log as it was.
        let other = RowKey::from_bytes([8; ROW_KEY_BYTES]);
        assert_ne!(row_digest(&other, &shown), digest);
        assert_ne!(other.id(), key.id());
        assert!(!format!("{other:?}").contains("0808"));
        let untouched = redact_log(&log, &columns, &[], &key).expect("nothing to do");
        assert_eq!((untouched.text, untouched.replaced), (log, 0));
    }
}
