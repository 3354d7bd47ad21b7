//! Semantic-type and privacy-role inference.
//!
//! The rules, in the order they are tried (the first that holds wins):
//!
//! | # | condition | semantic type |
//! |---|---|---|
//! | 1 | no value present, or one distinct value | `constant` |
//! | 2 | boolean storage | `boolean` |
//! | 3 | date storage / timestamp storage | `date` / `datetime` |
//! | 4 | whole numbers, exactly the values 0 and 1 | `boolean` |
//! | 5 | whole numbers or text, name suggests a key (`id`, `nbr`, `seqn`, `rownames`, `key`, `uuid`, ...) and at least half the values distinct | `identifier` |
//! | 6 | whole numbers, all distinct, at least 20 values, spanning at most 1.5 × their count (a row number) | `identifier` |
//! | 7 | whole numbers, name suggests a code (`id`, `code`, `type`, `status`, `class`, ...) and at most 100 distinct values | `categorical` (a coded category) |
//! | 8 | whole numbers ≥ 0, at most 12 distinct, spanning at most twice their count | `ordinal_code` |
//! | 9 | whole numbers | `integer` |
//! | 10 | other numbers | `continuous` |
//! | 11 | text, all distinct, at least 20 values, almost none with spaces | `identifier` |
//! | 11b | text, all distinct, at least 20 values, averaging under 30 characters (a name per row) | `identifier` |
//! | 12 | text averaging 30+ characters, mostly with spaces, at least half distinct | `free_text` |
//! | 13 | text with two values that spell yes/no, y/n, t/f or true/false | `boolean` |
//! | 14 | other text | `categorical` |
//!
//! Privacy roles: identifiers and columns whose values look like e-mail addresses, phone
//! numbers or national ID numbers are direct identifiers; then the name vocabularies of
//! [`crate::lexicon`] decide (direct identifier, then quasi-identifier, then sensitive); dates
//! and datetimes are quasi-identifiers; everything else has no role.

use synthgate_core::{PrivacyRole, SemanticType, StorageType};

use crate::lexicon;
use crate::stats::ColumnStats;

/// Distinct-value count above which a categorical column is called high-cardinality.
pub const HIGH_CARDINALITY: usize = 100;

/// The semantic type of a column, with the reason in words.
pub(crate) fn semantic_type(
    name: &str,
    storage: StorageType,
    stats: &ColumnStats,
) -> (SemanticType, String) {
    let tokens = lexicon::tokens(name);
    let present = stats.non_missing();
    if present == 0 {
        return (SemanticType::Constant, "every value is missing".into());
    }
    if stats.distinct == 1 {
        return (SemanticType::Constant, "one value in every row".into());
    }
    match storage {
        StorageType::Boolean => return (SemanticType::Boolean, "true/false values".into()),
        StorageType::Date => return (SemanticType::Date, "calendar dates".into()),
        StorageType::Timestamp | StorageType::TimestampUtc => {
            return (SemanticType::Datetime, "date-time values".into());
        }
        _ => {}
    }
    let key_name = lexicon::identifier_hint(&tokens);
    let mostly_distinct = stats.distinct_ratio() >= 0.5;
    let all_distinct = stats.distinct == present && present >= 20;
    if storage.is_numeric() {
        if !stats.integral {
            return (SemanticType::Continuous, "fractional numbers".into());
        }
        let (min, max) = (stats.min().unwrap_or(0.0), stats.max().unwrap_or(0.0));
        let span = max - min + 1.0;
        if stats.distinct == 2 && min == 0.0 && max == 1.0 {
            return (SemanticType::Boolean, "a 0/1 flag".into());
        }
        if key_name && mostly_distinct {
            return (
                SemanticType::Identifier,
                "name suggests a key and most values are distinct".into(),
            );
        }
        if all_distinct && span <= 1.5 * stats.distinct as f64 {
            return (
                SemanticType::Identifier,
                "every value distinct and consecutive, like a row number".into(),
            );
        }
        if lexicon::code_hint(&tokens) && stats.distinct <= HIGH_CARDINALITY {
            return (
                SemanticType::Categorical,
                format!("name suggests a code; {} distinct values", stats.distinct),
            );
        }
        if stats.distinct <= 12 && min >= 0.0 && span <= 2.0 * stats.distinct as f64 {
            return (
                SemanticType::OrdinalCode,
                format!("{} small whole-number codes", stats.distinct),
            );
        }
        return (SemanticType::Integer, "whole numbers".into());
    }
    if key_name && mostly_distinct {
        return (
            SemanticType::Identifier,
            "name suggests a key and most values are distinct".into(),
        );
    }
    if all_distinct && stats.with_spaces < 0.05 {
        return (SemanticType::Identifier, "every value distinct".into());
    }
    // A short name held by one row each (a state's, a player's, a car model's): it labels its
    // row as a key would, and every other column is "associated" with it only because no value
    // repeats.
    if all_distinct && stats.mean_length < 30.0 {
        return (
            SemanticType::Identifier,
            "every value distinct: a name for each row".into(),
        );
    }
    if stats.mean_length >= 30.0 && stats.with_spaces >= 0.5 && mostly_distinct {
        return (SemanticType::FreeText, "long, mostly distinct text".into());
    }
    // Short text of several words with many distinct values (job titles, product names): most
    // values are held by a few rows each, as words are, not as codes are.
    if stats.distinct > HIGH_CARDINALITY
        && stats.distinct_ratio() >= 0.3
        && stats.with_spaces >= 0.25
    {
        return (
            SemanticType::FreeText,
            format!(
                "short text: {} distinct values ({:.0}% of the values), {:.0}% of several words",
                stats.distinct,
                100.0 * stats.distinct_ratio(),
                100.0 * stats.with_spaces
            ),
        );
    }
    if stats.distinct == 2 && is_boolean_pair(stats) {
        return (SemanticType::Boolean, "two values spelling yes/no".into());
    }
    let reason = if stats.distinct > HIGH_CARDINALITY {
        format!("text with {} levels (high cardinality)", stats.distinct)
    } else {
        format!("text with {} levels", stats.distinct)
    };
    (SemanticType::Categorical, reason)
}

fn is_boolean_pair(stats: &ColumnStats) -> bool {
    const PAIRS: [(&str, &str); 4] = [("yes", "no"), ("y", "n"), ("t", "f"), ("true", "false")];
    let mut values: Vec<String> = stats.values().map(str::to_ascii_lowercase).collect();
    values.sort();
    PAIRS.iter().any(|(yes, no)| {
        let mut pair = [yes.to_string(), no.to_string()];
        pair.sort();
        values == pair
    })
}

fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.contains(char::is_whitespace)
}

fn looks_like_phone(value: &str) -> bool {
    // At least nine digits (a national number without its trunk prefix), so short codes such
    // as census areas (`24-01004`) are not taken for phone numbers.
    let digits = value.chars().filter(char::is_ascii_digit).count();
    (9..=15).contains(&digits)
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && value.chars().any(|c| " +-()".contains(c))
}

fn looks_like_national_id(value: &str) -> bool {
    // U.S. social security numbers as written: ddd-dd-dddd.
    let bytes = value.as_bytes();
    bytes.len() == 11
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            3 | 6 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

/// A test of one value against an identifying pattern.
type PatternCheck = fn(&str) -> bool;

/// The pattern most of a text column's values follow, if it is a direct-identifier pattern.
fn identifying_pattern(stats: &ColumnStats) -> Option<&'static str> {
    let sample: Vec<&str> = stats.values().take(1000).collect();
    if sample.is_empty() {
        return None;
    }
    let checks: [(&str, PatternCheck); 3] = [
        ("e-mail addresses", looks_like_email),
        ("phone numbers", looks_like_phone),
        ("national ID numbers", looks_like_national_id),
    ];
    checks.into_iter().find_map(|(label, check)| {
        let hits = sample.iter().filter(|value| check(value)).count();
        (hits * 2 > sample.len()).then_some(label)
    })
}

/// The privacy role of a column, with the reason in words.
pub(crate) fn privacy_role(
    name: &str,
    storage: StorageType,
    semantic: SemanticType,
    stats: &ColumnStats,
) -> (PrivacyRole, String) {
    if semantic == SemanticType::Identifier {
        return (PrivacyRole::DirectIdentifier, "a record identifier".into());
    }
    // Identifying values belong to people, so they are mostly distinct; a column of a few
    // repeated codes is not a direct identifier whatever its values look like.
    if storage == StorageType::String
        && stats.distinct_ratio() >= 0.5
        && let Some(pattern) = identifying_pattern(stats)
    {
        return (
            PrivacyRole::DirectIdentifier,
            format!("values look like {pattern}"),
        );
    }
    let tokens = lexicon::tokens(name);
    if let Some(token) = lexicon::direct_identifier(&tokens) {
        return (
            PrivacyRole::DirectIdentifier,
            format!("name mentions '{token}'"),
        );
    }
    if let Some(token) = lexicon::quasi_identifier(&tokens) {
        return (
            PrivacyRole::QuasiIdentifier,
            format!("name mentions '{token}'"),
        );
    }
    if matches!(semantic, SemanticType::Date | SemanticType::Datetime) {
        return (
            PrivacyRole::QuasiIdentifier,
            "dates can single people out".into(),
        );
    }
    if let Some(token) = lexicon::sensitive(&tokens) {
        return (PrivacyRole::Sensitive, format!("name mentions '{token}'"));
    }
    (PrivacyRole::None, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifying_patterns() {
        assert!(looks_like_email("ada@example.org"));
        assert!(!looks_like_email("a@b"));
        assert!(looks_like_phone("+44 20 7946 0958"));
        assert!(looks_like_phone("(555) 123-4567"));
        assert!(!looks_like_phone("2013"));
        assert!(!looks_like_phone("250.83"));
        assert!(!looks_like_phone("24-01004"));
        assert!(looks_like_national_id("078-05-1120"));
        assert!(!looks_like_national_id("078-05-112"));
    }
}
