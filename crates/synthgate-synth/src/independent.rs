//! `independent`: every column drawn on its own from its marginal distribution.
//!
//! The honest floor every evaluation shows: it reproduces each column's distribution and
//! missing rate and nothing of the relations between columns. Categorical columns keep their
//! category frequencies (after rare-category protection); numeric columns keep 1,001 quantiles
//! of their clipped values and are drawn by linear interpolation between them, so no training
//! value is copied except where many rows share it.

use serde::{Deserialize, Serialize};
use synthgate_core::{Result, Seed, SeedRng, unit_f64};

use crate::codec::{CodecKind, ColumnCodec, Encoded, EncodedColumn, MISSING_CODE};
use crate::sampling::{Mixed, between, cumulative, draw, interpolate};
use crate::{Capabilities, Condition, Fitted, Synthesizer};

/// Quantiles kept per numeric column.
const QUANTILES: usize = 1001;

/// The `independent` synthesizer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Independent;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Marginal {
    Numeric {
        missing: f64,
        quantiles: Vec<f64>,
        /// For a column with point masses: its distribution, the masses drawn exactly.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mixed: Option<Mixed>,
    },
    Categorical {
        /// Cumulative probabilities of the categories, then of missing (last entry).
        cumulative: Vec<f64>,
    },
    Generated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndependentModel {
    marginals: Vec<Marginal>,
}

fn numeric_marginal(values: &[f64], masses: &[f64]) -> Marginal {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_unstable_by(f64::total_cmp);
    let missing = if values.is_empty() {
        0.0
    } else {
        (values.len() - present.len()) as f64 / values.len() as f64
    };
    if !masses.is_empty() && !present.is_empty() {
        return Marginal::Numeric {
            missing,
            quantiles: Vec::new(),
            mixed: Some(Mixed::new(&present, masses, QUANTILES)),
        };
    }
    let quantiles = if present.is_empty() {
        Vec::new()
    } else {
        (0..QUANTILES)
            .map(|index| {
                let position = index as f64 / (QUANTILES - 1) as f64 * (present.len() - 1) as f64;
                let below = position.floor() as usize;
                let above = position.ceil() as usize;
                between(present[below], present[above], position - below as f64)
            })
            .collect()
    };
    Marginal::Numeric {
        missing,
        quantiles,
        mixed: None,
    }
}

fn categorical_marginal(codes: &[u32], categories: usize) -> Marginal {
    let mut counts = vec![0.0; categories + 1];
    for &code in codes {
        let slot = if code == MISSING_CODE {
            categories
        } else {
            code as usize
        };
        if let Some(count) = counts.get_mut(slot) {
            *count += 1.0;
        }
    }
    Marginal::Categorical {
        cumulative: cumulative(&counts),
    }
}

impl Synthesizer for Independent {
    fn name(&self) -> &'static str {
        "independent"
    }

    fn summary(&self) -> &'static str {
        "each column on its own from its marginal; the honest floor (no relations kept)"
    }

    fn version(&self) -> u32 {
        1
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            conditioning: true,
            ..Capabilities::default()
        }
    }

    fn fit(&self, data: &Encoded, codecs: &[ColumnCodec], _seed: Seed) -> Result<Box<dyn Fitted>> {
        let marginals = codecs
            .iter()
            .zip(&data.columns)
            .map(|(codec, column)| match (&codec.kind, column) {
                (CodecKind::Numeric { masses, .. }, EncodedColumn::Numeric(values)) => {
                    numeric_marginal(values, masses)
                }
                (CodecKind::Categorical { categories }, EncodedColumn::Categorical(codes)) => {
                    categorical_marginal(codes, categories.len())
                }
                _ => Marginal::Generated,
            })
            .collect();
        Ok(Box::new(IndependentModel { marginals }))
    }

    fn load(&self, parameters: &serde_json::Value, _version: u32) -> Result<Box<dyn Fitted>> {
        crate::load_parameters::<IndependentModel>(parameters)
    }
}

impl Fitted for IndependentModel {
    fn sample_shard(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        conditions: &[Condition],
    ) -> Result<Encoded> {
        // Column by column, row by row: the order of draws is part of the output contract.
        // Columns are independent, so a condition simply fixes its column.
        let columns = self
            .marginals
            .iter()
            .enumerate()
            .map(|(index, marginal)| match marginal {
                _ if conditions.iter().any(|c| c.column == index) => {
                    let code = conditions
                        .iter()
                        .find(|c| c.column == index)
                        .map_or(MISSING_CODE, |c| c.code);
                    EncodedColumn::Categorical(vec![code; rows])
                }
                Marginal::Numeric {
                    missing,
                    quantiles,
                    mixed,
                } => EncodedColumn::Numeric(
                    (0..rows)
                        .map(|_| {
                            let u = unit_f64(rng);
                            if u < *missing {
                                f64::NAN
                            } else {
                                let u = unit_f64(rng);
                                match mixed {
                                    Some(mixed) => mixed.quantile(u),
                                    None => interpolate(quantiles, u),
                                }
                            }
                        })
                        .collect(),
                ),
                Marginal::Categorical { cumulative } => {
                    let missing_slot = cumulative.len() - 1;
                    EncodedColumn::Categorical(
                        (0..rows)
                            .map(|_| match draw(cumulative, unit_f64(rng)) {
                                slot if slot == missing_slot => MISSING_CODE,
                                slot => slot as u32,
                            })
                            .collect(),
                    )
                }
                Marginal::Generated => EncodedColumn::Generated,
            })
            .collect();
        Ok(Encoded { rows, columns })
    }

    fn parameters(&self) -> Result<serde_json::Value> {
        crate::to_parameters(self)
    }
}
