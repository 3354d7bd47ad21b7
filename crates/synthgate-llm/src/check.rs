//! What every response goes through before it counts, and what the accepted records are
//! measured on.
//!
//! - [`parse_record`]: the first JSON value of the content must be an object, validated locally
//!   against the columns (a backend may ignore parts of a schema): no missing or extra keys,
//!   types, enums, ranges, patterns (the whole value must match), lengths.
//! - [`Deduplicator`]: exact duplicates (the canonical JSON of the record, strings trimmed,
//!   whitespace collapsed and lower-cased) and, for records with free-text columns,
//!   near-duplicates: the text columns' character-trigram Jaccard similarity at or above the
//!   threshold.
//! - [`leakage`]: reproduction of seed rows or examples (exact, or all columns but one equal),
//!   the longest verbatim overlap between generated and real text (characters), and PII
//!   pattern hits (e-mail addresses, phone numbers, US SSNs, card-like numbers, IPv4
//!   addresses) in generated text.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::spec::{ColumnSpec, ColumnType};

/// One accepted record: a JSON object with exactly the spec's columns.
pub type Record = Map<String, Value>;

/// Why a response was rejected: a reason (`not_json`, `schema`, `truncated`, ...) and, for
/// schema violations, the column and rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The reason's category.
    pub reason: String,
    /// Details: the column and rule, or the parse error.
    pub detail: String,
}

impl Reject {
    pub(crate) fn new(reason: &str, detail: impl Into<String>) -> Reject {
        Reject {
            reason: reason.into(),
            detail: detail.into(),
        }
    }
}

/// Compiled column rules.
#[derive(Debug)]
pub struct Validator {
    columns: Vec<ColumnSpec>,
    patterns: Vec<Option<Regex>>,
}

impl Validator {
    /// Rules for `columns` (patterns already checked by the spec).
    pub fn new(columns: &[ColumnSpec]) -> Validator {
        Validator {
            columns: columns.to_vec(),
            patterns: columns
                .iter()
                .map(|c| {
                    c.pattern
                        .as_ref()
                        .and_then(|p| Regex::new(&format!("^(?:{p})$")).ok())
                })
                .collect(),
        }
    }

    /// Parse `content` (the first JSON value in it) and validate it.
    pub fn parse_record(&self, content: &str) -> Result<Record, Reject> {
        let mut stream =
            serde_json::Deserializer::from_str(content.trim_start()).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(value)) => value,
            Some(Err(error)) => return Err(Reject::new("not_json", error.to_string())),
            None => return Err(Reject::new("not_json", "empty content")),
        };
        let Value::Object(object) = value else {
            return Err(Reject::new(
                "not_object",
                "the content is JSON but not an object",
            ));
        };
        self.validate(object)
    }

    /// Validate one object against the columns.
    pub fn validate(&self, mut object: Record) -> Result<Record, Reject> {
        if let Some(extra) = object
            .keys()
            .find(|k| !self.columns.iter().any(|c| &c.name == *k))
        {
            return Err(Reject::new("schema", format!("extra key '{extra}'")));
        }
        let mut out = Map::new();
        for (column, pattern) in self.columns.iter().zip(&self.patterns) {
            let Some(value) = object.remove(&column.name) else {
                return Err(Reject::new(
                    "schema",
                    format!("'{}' is missing", column.name),
                ));
            };
            check_value(column, pattern.as_ref(), &value)
                .map_err(|rule| Reject::new("schema", format!("'{}' {rule}", column.name)))?;
            out.insert(column.name.clone(), value);
        }
        Ok(out)
    }
}

fn check_value(column: &ColumnSpec, pattern: Option<&Regex>, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return if column.nullable {
            Ok(())
        } else {
            Err("is null".into())
        };
    }
    match column.kind {
        ColumnType::Integer | ColumnType::Number => {
            let Some(number) = value.as_f64() else {
                return Err(format!("is not a number: {value}"));
            };
            if column.kind == ColumnType::Integer && !(value.is_i64() || value.is_u64()) {
                return Err(format!("is not an integer: {value}"));
            }
            if column.min.is_some_and(|lo| number < lo) || column.max.is_some_and(|hi| number > hi)
            {
                return Err(format!("is out of range: {number}"));
            }
        }
        ColumnType::Boolean => {
            if !value.is_boolean() {
                return Err(format!("is not true or false: {value}"));
            }
        }
        ColumnType::String | ColumnType::Text => {
            let Some(text) = value.as_str() else {
                return Err(format!("is not a string: {value}"));
            };
            if let Some(allowed) = &column.allowed
                && !allowed.iter().any(|a| a == text)
            {
                return Err(format!("is not one of the allowed values: {text:?}"));
            }
            let length = text.chars().count();
            if column.min_length.is_some_and(|lo| length < lo)
                || column.max_length.is_some_and(|hi| length > hi)
            {
                return Err(format!("has length {length}, outside the bounds"));
            }
            if let Some(pattern) = pattern
                && !pattern.is_match(text)
            {
                return Err(format!("does not match the pattern: {text:?}"));
            }
        }
    }
    Ok(())
}

/// Text as compared for duplicates: trimmed, whitespace collapsed, lower-cased.
pub fn normalise_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn normalise_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(normalise_text(s)),
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        other => other.clone(),
    }
}

/// The record's key for exact duplicates.
pub fn exact_key(record: &Record) -> String {
    let normal: Map<String, Value> = record
        .iter()
        .map(|(k, v)| (k.clone(), normalise_value(v)))
        .collect();
    Value::Object(normal).to_string()
}

/// The set of character trigrams of normalised `text`.
pub fn trigrams(text: &str) -> HashSet<[char; 3]> {
    let chars: Vec<char> = normalise_text(text).chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Jaccard similarity of two trigram sets (1 for two empty sets).
pub fn jaccard(a: &HashSet<[char; 3]>, b: &HashSet<[char; 3]>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Accepts records in order, refusing exact and near-duplicates of those accepted before.
#[derive(Debug)]
pub struct Deduplicator {
    text_columns: Vec<String>,
    threshold: f64,
    seen: HashSet<String>,
    texts: Vec<HashSet<[char; 3]>>,
}

impl Deduplicator {
    /// A deduplicator for `columns` with near-duplicate `threshold`.
    pub fn new(columns: &[ColumnSpec], threshold: f64) -> Deduplicator {
        Deduplicator {
            text_columns: columns
                .iter()
                .filter(|c| c.kind == ColumnType::Text)
                .map(|c| c.name.clone())
                .collect(),
            threshold,
            seen: HashSet::new(),
            texts: Vec::new(),
        }
    }

    fn text_of(&self, record: &Record) -> String {
        self.text_columns
            .iter()
            .filter_map(|c| record.get(c).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" \u{1f} ")
    }

    /// Accept `record` unless it repeats one accepted before.
    pub fn admit(&mut self, record: &Record) -> Result<(), Reject> {
        let key = exact_key(record);
        if self.seen.contains(&key) {
            return Err(Reject::new("duplicate", "repeats an accepted record"));
        }
        if !self.text_columns.is_empty() {
            let grams = trigrams(&self.text_of(record));
            if let Some(similarity) = self
                .texts
                .iter()
                .map(|other| jaccard(&grams, other))
                .find(|s| *s >= self.threshold)
            {
                return Err(Reject::new(
                    "near_duplicate",
                    format!("text trigram similarity {similarity:.3} to an accepted record"),
                ));
            }
            self.texts.push(grams);
        }
        self.seen.insert(key);
        Ok(())
    }
}

/// The length in characters of the longest common substring of `a` and `b`.
pub fn longest_common_substring(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous = vec![0usize; b.len() + 1];
    let mut best = 0;
    for &ca in &a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            if ca == cb {
                current[j + 1] = previous[j] + 1;
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    best
}

/// The PII patterns searched for in generated text, by kind.
pub fn pii_patterns() -> Vec<(&'static str, Regex)> {
    [
        ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
        (
            "phone",
            r"(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}",
        ),
        ("us_ssn", r"\b\d{3}-\d{2}-\d{4}\b"),
        ("card_number", r"\b(?:\d[ -]?){13,16}\b"),
        ("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
    ]
    .into_iter()
    .filter_map(|(kind, pattern)| Regex::new(pattern).ok().map(|r| (kind, r)))
    .collect()
}

/// Leakage of real rows into the generated records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leakage {
    /// Real rows (seed rows and examples) compared against.
    pub real_rows: usize,
    /// Generated records equal to a real row on every column (normalised).
    pub exact_copies: usize,
    /// Generated records equal to a real row on every column but one.
    pub near_copies: usize,
    /// The longest verbatim overlap, in characters, between any generated text value and any
    /// real text value of the same column (free-text and string columns).
    pub max_verbatim_overlap: usize,
    /// Records whose text holds a PII pattern.
    pub pii_records: usize,
    /// PII hits by kind.
    pub pii_hits: BTreeMap<String, usize>,
}

/// Measure `records` against the `real` rows (seed rows and examples).
pub fn leakage(records: &[Record], real: &[Record], columns: &[ColumnSpec]) -> Leakage {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let normal = |r: &Record| -> Vec<Value> {
        names
            .iter()
            .map(|n| r.get(*n).map_or(Value::Null, normalise_value))
            .collect()
    };
    let real_normal: Vec<Vec<Value>> = real.iter().map(normal).collect();
    let exact_set: BTreeSet<String> = real_normal
        .iter()
        .map(|r| Value::Array(r.clone()).to_string())
        .collect();
    let mut exact = 0;
    let mut near = 0;
    for record in records {
        let values = normal(record);
        if exact_set.contains(&Value::Array(values.clone()).to_string()) {
            exact += 1;
        } else if names.len() > 1
            && real_normal
                .iter()
                .any(|r| r.iter().zip(&values).filter(|(a, b)| a != b).count() == 1)
        {
            near += 1;
        }
    }
    let text_columns: Vec<&ColumnSpec> = columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnType::Text | ColumnType::String) && c.allowed.is_none())
        .collect();
    let mut overlap = 0;
    for column in &text_columns {
        let real_texts: Vec<&str> = real
            .iter()
            .filter_map(|r| r.get(&column.name).and_then(Value::as_str))
            .collect();
        for record in records {
            if let Some(text) = record.get(&column.name).and_then(Value::as_str) {
                for real_text in &real_texts {
                    overlap = overlap.max(longest_common_substring(text, real_text));
                }
            }
        }
    }
    let patterns = pii_patterns();
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    let mut pii_records = 0;
    for record in records {
        let mut any = false;
        for column in columns.iter().filter(|c| c.kind == ColumnType::Text) {
            if let Some(text) = record.get(&column.name).and_then(Value::as_str) {
                for (kind, pattern) in &patterns {
                    let found = pattern.find_iter(text).count();
                    if found > 0 {
                        *hits.entry((*kind).to_string()).or_insert(0) += found;
                        any = true;
                    }
                }
            }
        }
        pii_records += usize::from(any);
    }
    Leakage {
        real_rows: real.len(),
        exact_copies: exact,
        near_copies: near,
        max_verbatim_overlap: overlap,
        pii_records,
        pii_hits: hits,
    }
}

/// Diversity of the accepted records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diversity {
    /// Distinct values per column.
    pub distinct_values: BTreeMap<String, usize>,
    /// For free-text columns: distinct word bigrams over all bigrams (distinct-2).
    pub distinct_bigram_share: BTreeMap<String, f64>,
}

/// Measure the diversity of `records`.
pub fn diversity(records: &[Record], columns: &[ColumnSpec]) -> Diversity {
    let mut distinct_values = BTreeMap::new();
    let mut distinct_bigram_share = BTreeMap::new();
    for column in columns {
        let values: BTreeSet<String> = records
            .iter()
            .filter_map(|r| r.get(&column.name))
            .map(normalise_value)
            .map(|v| v.to_string())
            .collect();
        distinct_values.insert(column.name.clone(), values.len());
        if column.kind == ColumnType::Text {
            let mut all = 0usize;
            let mut distinct = BTreeSet::new();
            for record in records {
                if let Some(text) = record.get(&column.name).and_then(Value::as_str) {
                    let words: Vec<String> = normalise_text(text)
                        .split(' ')
                        .map(str::to_string)
                        .collect();
                    for pair in words.windows(2) {
                        all += 1;
                        distinct.insert((pair[0].clone(), pair[1].clone()));
                    }
                }
            }
            distinct_bigram_share.insert(
                column.name.clone(),
                if all == 0 {
                    0.0
                } else {
                    distinct.len() as f64 / all as f64
                },
            );
        }
    }
    Diversity {
        distinct_values,
        distinct_bigram_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnType) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            kind,
            allowed: None,
            min: None,
            max: None,
            pattern: None,
            min_length: None,
            max_length: None,
            nullable: false,
        }
    }

    fn columns() -> Vec<ColumnSpec> {
        let mut age = column("age", ColumnType::Integer);
        age.min = Some(0.0);
        age.max = Some(110.0);
        let mut sex = column("sex", ColumnType::String);
        sex.allowed = Some(vec!["F".into(), "M".into()]);
        let mut id = column("id", ColumnType::String);
        id.pattern = Some("P[0-9]{4}".into());
        let mut note = column("note", ColumnType::Text);
        note.max_length = Some(40);
        vec![age, sex, id, note]
    }

    #[test]
    fn records_are_validated_against_every_rule() {
        let v = Validator::new(&columns());
        let ok = r#"{"age": 40, "sex": "F", "id": "P0001", "note": "well"} trailing text"#;
        let record = v.parse_record(ok).expect("valid");
        assert_eq!(record.len(), 4);
        assert_eq!(record["sex"], "F");
        let cases = [
            ("not json", "not_json"),
            ("[1, 2]", "not_object"),
            (
                r#"{"age": 40, "sex": "F", "id": "P0001"}"#,
                "'note' is missing",
            ),
            (
                r#"{"age": 40, "sex": "F", "id": "P0001", "note": "a", "x": 1}"#,
                "extra key",
            ),
            (
                r#"{"age": 40.5, "sex": "F", "id": "P0001", "note": "a"}"#,
                "not an integer",
            ),
            (
                r#"{"age": 140, "sex": "F", "id": "P0001", "note": "a"}"#,
                "out of range",
            ),
            (
                r#"{"age": 40, "sex": "X", "id": "P0001", "note": "a"}"#,
                "allowed values",
            ),
            (
                r#"{"age": 40, "sex": "F", "id": "P00011", "note": "a"}"#,
                "pattern",
            ),
            (
                r#"{"age": 40, "sex": "F", "id": "xP0001", "note": "a"}"#,
                "pattern",
            ),
            (
                r#"{"age": null, "sex": "F", "id": "P0001", "note": "a"}"#,
                "is null",
            ),
            (
                r#"{"age": 4, "sex": "F", "id": "P0001", "note": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
                "length 44",
            ),
        ];
        for (content, expected) in cases {
            let reject = v.parse_record(content).expect_err(content);
            assert!(
                reject.reason.contains(expected) || reject.detail.contains(expected),
                "{content}: {reject:?}"
            );
        }
    }

    #[test]
    fn duplicates_exact_and_near_are_refused() {
        let v = Validator::new(&columns());
        let mut d = Deduplicator::new(&columns(), 0.8);
        let a = v
            .parse_record(
                r#"{"age": 40, "sex": "F", "id": "P0001", "note": "Chest pain, resolved."}"#,
            )
            .expect("a");
        let a_again = v
            .parse_record(
                r#"{"age": 40, "sex": "F", "id": "P0001", "note": "  chest   PAIN, resolved."}"#,
            )
            .expect("a again");
        let near = v
            .parse_record(
                r#"{"age": 41, "sex": "M", "id": "P0002", "note": "Chest pain, resolved!"}"#,
            )
            .expect("near");
        let other = v
            .parse_record(
                r#"{"age": 41, "sex": "M", "id": "P0002", "note": "Fractured left wrist."}"#,
            )
            .expect("other");
        assert!(d.admit(&a).is_ok());
        assert_eq!(d.admit(&a_again).expect_err("dup").reason, "duplicate");
        assert_eq!(d.admit(&near).expect_err("near").reason, "near_duplicate");
        assert!(d.admit(&other).is_ok());
    }

    #[test]
    fn leakage_counts_copies_overlap_and_pii() {
        let v = Validator::new(&columns());
        let real = vec![
            v.parse_record(r#"{"age": 40, "sex": "F", "id": "P0001", "note": "seen in clinic"}"#)
                .expect("real"),
        ];
        let generated = vec![
            v.parse_record(r#"{"age": 40, "sex": "F", "id": "P0001", "note": "seen in clinic"}"#)
                .expect("copy"),
            v.parse_record(r#"{"age": 41, "sex": "F", "id": "P0001", "note": "seen in clinic"}"#)
                .expect("near"),
            v.parse_record(r#"{"age": 9, "sex": "M", "id": "P0003", "note": "mail a@b.org"}"#)
                .expect("pii"),
        ];
        let l = leakage(&generated, &real, &columns());
        assert_eq!((l.exact_copies, l.near_copies), (1, 1));
        assert_eq!(l.max_verbatim_overlap, "seen in clinic".len());
        assert_eq!(l.pii_records, 1);
        assert_eq!(l.pii_hits.get("email"), Some(&1));
        assert_eq!(longest_common_substring("abcdef", "zzcdez"), 3);
    }
}
