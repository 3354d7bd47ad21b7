//! New text for rare values: a word model learned only from the values at least
//! `min_category_count` training rows hold (the `generate` treatment of a text column's rare
//! values). Each position's words (the first, the second, the third and later), weighted by how
//! many rows hold each value, with the chance that a value ends after each position, write a
//! new value for every row whose code is the pool: never one of the frequent values (their
//! share stays theirs), at most [`MAX_WORDS`] words; after [`TRIES`] draws that all hit a
//! frequent value, the pool token is written instead. A new value can coincide with a real
//! value fewer rows hold (composed of common words); the harness reports how often.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use synthgate_core::{RARE_TOKEN, SeedRng, unit_f64};

use crate::sampling::{cumulative, draw};

/// Most words in a generated value.
pub const MAX_WORDS: usize = 8;

/// Positions with their own word distribution; later words share the last.
const POSITIONS: usize = 3;

/// Draws before falling back to the pool token.
const TRIES: usize = 20;

/// The word that ends a value.
const END: &str = "";

/// Each position's words with cumulative probabilities (the empty word ends the value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordModel {
    /// Per position: the words and their cumulative probabilities.
    positions: Vec<(Vec<String>, Vec<f64>)>,
    /// The values the model must not write (the frequent ones).
    frequent: Vec<String>,
}

impl WordModel {
    /// The model of `values` (each with the number of rows that hold it).
    pub fn learn(values: &[(&str, usize)]) -> WordModel {
        let mut counts: Vec<BTreeMap<String, f64>> = vec![BTreeMap::new(); POSITIONS];
        for (value, rows) in values {
            let words: Vec<&str> = value.split_whitespace().collect();
            for (position, word) in words.iter().copied().chain([END]).enumerate() {
                if position == 0 && word == END {
                    break;
                }
                *counts[position.min(POSITIONS - 1)]
                    .entry(word.to_string())
                    .or_default() += *rows as f64;
            }
        }
        let positions = counts
            .into_iter()
            .map(|words| {
                let (words, weights): (Vec<String>, Vec<f64>) = words.into_iter().unzip();
                let cumulative = cumulative(&weights);
                (words, cumulative)
            })
            .collect();
        let mut frequent: Vec<String> = values.iter().map(|(v, _)| v.to_string()).collect();
        frequent.sort();
        WordModel {
            positions,
            frequent,
        }
    }

    /// One new value drawn from `rng`.
    pub fn generate(&self, rng: &mut SeedRng) -> String {
        for _ in 0..TRIES {
            let mut words: Vec<&str> = Vec::new();
            while words.len() < MAX_WORDS {
                let (choices, cumulative) = &self.positions[words.len().min(POSITIONS - 1)];
                if choices.is_empty() {
                    break;
                }
                let word = choices[draw(cumulative, unit_f64(rng))].as_str();
                if word == END {
                    break;
                }
                words.push(word);
            }
            let value = words.join(" ");
            // `frequent` is sorted, so a lookup needs no set built per value.
            let is_frequent = self
                .frequent
                .binary_search_by(|f| f.as_str().cmp(value.as_str()))
                .is_ok();
            if !value.is_empty() && !is_frequent {
                return value;
            }
        }
        RARE_TOKEN.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use synthgate_core::Seed;

    use super::*;

    #[test]
    fn new_values_come_from_frequent_words_and_are_never_frequent_values() {
        let values = [
            ("office manager", 30),
            ("truck driver", 20),
            ("office clerk", 15),
            ("manager", 40),
            ("registered nurse", 12),
        ];
        let model = WordModel::learn(&values);
        let words: HashSet<&str> = values
            .iter()
            .flat_map(|(v, _)| v.split_whitespace())
            .collect();
        let mut rng = Seed(1).stream("test", 0);
        let drawn: Vec<String> = (0..500).map(|_| model.generate(&mut rng)).collect();
        for value in &drawn {
            assert!(
                !values.iter().any(|(v, _)| v == value),
                "{value} is frequent"
            );
            if value != RARE_TOKEN {
                assert!(
                    value.split_whitespace().all(|w| words.contains(w)),
                    "{value}"
                );
                assert!(value.split_whitespace().count() <= MAX_WORDS);
            }
        }
        // New combinations do appear ("office driver", "truck manager", ...).
        assert!(drawn.iter().filter(|v| *v != RARE_TOKEN).count() > 100);
        let mut again = Seed(1).stream("test", 0);
        assert_eq!(model.generate(&mut again), drawn[0]);
    }
}
