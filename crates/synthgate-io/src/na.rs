//! Missing-value tokens.

use synthgate_core::text::parse_infinity;
use synthgate_core::{DEFAULT_NA_TOKENS, Schema};

/// The tokens read as missing: matched after trimming surrounding spaces, ignoring ASCII case.
/// An empty field is missing whenever the empty token is listed (it is by default). The token
/// `inf` stands for every infinity: with it, `inf`, `-inf`, `+Infinity` ... in CSV text and
/// infinite floats in Parquet are missing values (without it, readers refuse them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaTokens {
    tokens: Vec<String>,
    infinity: bool,
}

impl NaTokens {
    /// The schema's tokens (or the defaults without a schema) plus `extra`, without repeats.
    pub fn new(schema: Option<&Schema>, extra: &[String]) -> NaTokens {
        let base: Vec<String> = match schema {
            Some(schema) => schema.na_tokens.clone(),
            None => DEFAULT_NA_TOKENS
                .iter()
                .map(|token| token.to_string())
                .collect(),
        };
        let mut tokens: Vec<String> = Vec::new();
        for token in base.into_iter().chain(extra.iter().cloned()) {
            let token = token.trim().to_string();
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        NaTokens::from_tokens(tokens)
    }

    fn from_tokens(tokens: Vec<String>) -> NaTokens {
        let infinity = tokens.iter().any(|token| token.eq_ignore_ascii_case("inf"));
        NaTokens { tokens, infinity }
    }

    /// Only the given tokens: no defaults, and the empty string only if listed.
    pub fn explicit(tokens: &[String]) -> NaTokens {
        NaTokens::from_tokens(
            tokens
                .iter()
                .map(|token| token.trim().to_string())
                .collect(),
        )
    }

    /// Whether `trimmed` (already stripped of surrounding spaces) is a missing value.
    pub fn is_na(&self, trimmed: &str) -> bool {
        (trimmed.is_empty() && self.tokens.iter().any(String::is_empty))
            || self
                .tokens
                .iter()
                .any(|token| token.len() == trimmed.len() && token.eq_ignore_ascii_case(trimmed))
            || (self.infinity && parse_infinity(trimmed).is_some())
    }

    /// Whether infinite values are missing (the token `inf` is listed).
    pub fn infinity_is_missing(&self) -> bool {
        self.infinity
    }

    /// The tokens, as they will be recorded in a schema.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_extras_and_case() {
        let na = NaTokens::new(None, &["?".to_string(), "NA".to_string()]);
        assert_eq!(na.tokens(), &["", "NA", "N/A", "null", "NULL", "NaN", "?"]);
        for missing in ["", "NA", "na", "Null", "nan", "?", "n/a"] {
            assert!(na.is_na(missing), "{missing}");
        }
        for present in ["0", "N", "None", "??"] {
            assert!(!na.is_na(present), "{present}");
        }
        let explicit = NaTokens::explicit(&["?".to_string()]);
        assert!(explicit.is_na("?"));
        assert!(!explicit.is_na("NA"));
        assert!(!explicit.is_na(""));
        assert!(!na.is_na("inf") && !na.infinity_is_missing());
    }

    #[test]
    fn inf_token_covers_every_infinity() {
        let na = NaTokens::new(None, &["INF".to_string()]);
        assert!(na.infinity_is_missing());
        for missing in ["inf", "-inf", "+Inf", "Infinity", "-INFINITY"] {
            assert!(na.is_na(missing), "{missing}");
        }
        assert!(!na.is_na("info"));
        let only_negative = NaTokens::new(None, &["-inf".to_string()]);
        assert!(only_negative.is_na("-inf") && !only_negative.is_na("inf"));
    }
}
