//! `mst`: the differentially private synthesizer (MST, McKenna, Miklau and Sheldon 2021; the
//! mechanisms are in `synthgate-dp`). This module maps each encoded value to one of its
//! column's **public cells** and back:
//!
//! - a categorical column: one cell per listed category, then one for missing;
//! - a whole-number column (dates included) whose public range holds at most
//!   [`MAX_VALUE_CELLS`] values: one cell per value, then missing;
//! - any other numeric column: [`BINS`] equal-width bins over the public `[min, max]`, one cell
//!   per public point mass, then missing; a bin decodes to a uniform value inside it, rounded to
//!   the column's step or decimals by the codec.
//!
//! Every cell comes from the schema, so the set of cells reveals nothing about the rows. The
//! fitted [`MstRelease`] (noisy measurements and the model) is the differentially private
//! release; sampling from it is post-processing, deterministic from the seed.

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, SeedRng, unit_f64};
use synthgate_dp::mst::{ColumnCells, MstConfig, MstRelease};
use synthgate_dp::noise::Noise;

use crate::codec::{CodecKind, ColumnCodec, Encoded, EncodedColumn, MISSING_CODE};
use crate::{Capabilities, Condition, Fitted, Synthesizer};

/// Equal-width bins of a numeric column.
pub(crate) const BINS: usize = 64;

/// Most values a whole-number column may have to get one cell per value.
pub(crate) const MAX_VALUE_CELLS: usize = 128;

/// The differentially private synthesizer. It is fitted only through [`crate::fit_dp`], which
/// takes an ε, a δ and a noise source; `fit` refuses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mst;

impl Synthesizer for Mst {
    fn name(&self) -> &'static str {
        "mst"
    }

    fn summary(&self) -> &'static str {
        "differentially private (MST: noisy marginals on a tree, Private-PGM inference); needs \
         --epsilon and a schema with public domains"
    }

    fn version(&self) -> u32 {
        1
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            conditioning: false,
            differential_privacy: true,
            relations: true,
        }
    }

    fn fit(
        &self,
        _data: &Encoded,
        _codecs: &[ColumnCodec],
        _seed: synthgate_core::Seed,
    ) -> Result<Box<dyn Fitted>> {
        Err(
            Error::usage("synthesizer 'mst' is differentially private and needs a privacy budget.")
                .hint("Give --epsilon (and --delta) with a schema whose domains are public."),
        )
    }

    fn load(&self, parameters: &serde_json::Value, _version: u32) -> Result<Box<dyn Fitted>> {
        crate::load_parameters::<MstModel>(parameters)
    }
}

/// How one column's values map to public cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cells", rename_all = "snake_case")]
pub(crate) enum Cells {
    /// Not modelled (identifiers, dropped columns).
    None,
    /// One cell per category code, then missing.
    Categories { count: usize },
    /// One cell per value `low + i·step`, then missing.
    Values { low: f64, step: f64, count: usize },
    /// Equal-width bins over `[low, high]`, then the point masses, then missing.
    Bins {
        low: f64,
        high: f64,
        bins: usize,
        masses: Vec<f64>,
    },
}

impl Cells {
    fn of(codec: &ColumnCodec) -> Cells {
        match &codec.kind {
            CodecKind::Categorical { categories } => Cells::Categories {
                count: categories.len(),
            },
            CodecKind::Numeric {
                step,
                low,
                high,
                masses,
                ..
            } => {
                let values = if *step > 0.0 {
                    ((high - low) / step).round() + 1.0
                } else {
                    f64::INFINITY
                };
                if values <= MAX_VALUE_CELLS as f64 {
                    Cells::Values {
                        low: *low,
                        step: *step,
                        count: values as usize,
                    }
                } else {
                    Cells::Bins {
                        low: *low,
                        high: *high,
                        bins: BINS,
                        masses: masses.clone(),
                    }
                }
            }
            CodecKind::Identifier | CodecKind::Dropped { .. } => Cells::None,
        }
    }

    /// The public cells, or `None` for an unmodelled column.
    fn layout(&self) -> Option<ColumnCells> {
        match self {
            Cells::None => None,
            Cells::Categories { count } => Some(ColumnCells {
                cells: count + 1,
                ordered: 0..0,
            }),
            Cells::Values { count, .. } => Some(ColumnCells {
                cells: count + 1,
                ordered: 0..*count,
            }),
            Cells::Bins { bins, masses, .. } => Some(ColumnCells {
                cells: bins + masses.len() + 1,
                ordered: 0..*bins,
            }),
        }
    }

    fn cell_of_code(&self, code: u32) -> u32 {
        match self {
            Cells::Categories { count } if code == MISSING_CODE || code as usize >= *count => {
                *count as u32
            }
            _ => code,
        }
    }

    fn cell_of_number(&self, value: f64) -> u32 {
        match self {
            Cells::Values { low, step, count } => {
                if value.is_nan() {
                    return *count as u32;
                }
                let index = ((value - low) / step).round();
                index.clamp(0.0, (*count - 1) as f64) as u32
            }
            Cells::Bins {
                low,
                high,
                bins,
                masses,
            } => {
                if value.is_nan() {
                    return (bins + masses.len()) as u32;
                }
                if let Ok(index) = masses.binary_search_by(|mass| mass.total_cmp(&value)) {
                    return (bins + index) as u32;
                }
                let width = (high - low) / *bins as f64;
                if width <= 0.0 {
                    return 0;
                }
                (((value - low) / width).floor()).clamp(0.0, (*bins - 1) as f64) as u32
            }
            _ => 0,
        }
    }

    fn number(&self, cell: u32, rng: &mut SeedRng) -> f64 {
        let cell = cell as usize;
        match self {
            Cells::Values { low, step, count } => {
                if cell >= *count {
                    f64::NAN
                } else {
                    low + cell as f64 * step
                }
            }
            Cells::Bins {
                low,
                high,
                bins,
                masses,
            } => {
                if cell < *bins {
                    let width = (high - low) / *bins as f64;
                    (low + (cell as f64 + unit_f64(rng)) * width).min(*high)
                } else if let Some(&mass) = masses.get(cell - bins) {
                    mass
                } else {
                    f64::NAN
                }
            }
            _ => f64::NAN,
        }
    }
}

/// A fitted MST model: each column's cells and the differentially private release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MstModel {
    cells: Vec<Cells>,
    release: MstRelease,
}

impl MstModel {
    /// The fitted release (for the model file's privacy statement).
    pub(crate) fn release(&self) -> &MstRelease {
        &self.release
    }
}

/// Fit MST on data encoded from public domains only ([`crate::codec::encode_public`]).
pub(crate) fn fit(
    data: &Encoded,
    codecs: &[ColumnCodec],
    config: &MstConfig,
    noise: &mut dyn Noise,
) -> Result<MstModel> {
    let cells: Vec<Cells> = codecs.iter().map(Cells::of).collect();
    let mut layouts = Vec::new();
    let mut columns = Vec::new();
    for (cell, column) in cells.iter().zip(&data.columns) {
        let Some(layout) = cell.layout() else {
            continue;
        };
        let values: Vec<u32> = match column {
            EncodedColumn::Categorical(codes) => {
                codes.iter().map(|&code| cell.cell_of_code(code)).collect()
            }
            EncodedColumn::Numeric(values) => {
                values.iter().map(|&v| cell.cell_of_number(v)).collect()
            }
            EncodedColumn::Generated => {
                return Err(Error::internal("a modelled column without data"));
            }
        };
        layouts.push(layout);
        columns.push(values);
    }
    if columns.is_empty() {
        return Err(Error::usage(
            "the table has no column a differentially private fit can model (all are \
             identifiers or free text).",
        ));
    }
    let release = synthgate_dp::mst::fit(&columns, &layouts, config, noise)?;
    Ok(MstModel { cells, release })
}

impl Fitted for MstModel {
    fn sample_shard(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        _conditions: &[Condition],
    ) -> Result<Encoded> {
        let drawn = self.release.sample(rows, rng)?;
        let mut drawn = drawn.into_iter();
        let mut columns = Vec::with_capacity(self.cells.len());
        for cells in &self.cells {
            let column = match cells {
                Cells::None => EncodedColumn::Generated,
                Cells::Categories { count } => {
                    let values = drawn
                        .next()
                        .ok_or_else(|| Error::internal("MST sampled too few columns"))?;
                    EncodedColumn::Categorical(
                        values
                            .into_iter()
                            .map(|cell| {
                                if cell as usize >= *count {
                                    MISSING_CODE
                                } else {
                                    cell
                                }
                            })
                            .collect(),
                    )
                }
                _ => {
                    let values = drawn
                        .next()
                        .ok_or_else(|| Error::internal("MST sampled too few columns"))?;
                    EncodedColumn::Numeric(
                        values
                            .into_iter()
                            .map(|cell| cells.number(cell, rng))
                            .collect(),
                    )
                }
            };
            columns.push(column);
        }
        Ok(Encoded { rows, columns })
    }

    fn parameters(&self) -> Result<serde_json::Value> {
        crate::to_parameters(self)
    }
}
