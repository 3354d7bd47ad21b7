//! MST (McKenna, Miklau and Sheldon, "Winning the NIST Contest: A scalable and general approach
//! to differentially private synthetic data", Journal of Privacy and Confidentiality 2021):
//!
//! 1. **Measure every column** (a third of ρ by default): each column's histogram over its
//!    public cells, with discrete Gaussian noise ([`crate::noise::discrete_gaussian`]).
//! 2. **Compress the domains** (post-processing of step 1): a cell whose noisy count is below
//!    3σ joins one shared state, as in MST; in addition, the ordered cells of a numeric column
//!    are grouped into adjacent runs of about equal noisy mass (quantile bins read from the
//!    noisy histogram), `states` of them, so pairs are measured on a grid their noise allows.
//! 3. **Select a spanning tree** (a third): Kruskal's algorithm where each edge is chosen by the
//!    exponential mechanism ([`crate::noise::exponential_mechanism`]) among the pairs that join
//!    two components, scored by the L1 distance between the pair's true counts and what the
//!    measured columns predict on their own (sensitivity 1).
//! 4. **Measure the tree's pairs** (a third) on the compressed states.
//! 5. **Fit** a graphical model to all measurements ([`crate::pgm::estimate`]) and sample from it.
//!
//! Under add/remove neighbours one row changes each histogram by one in one cell (L2
//! sensitivity 1) and each selection score by at most 1, so the fit is
//! `ρ1 + ρ2 + ρ3`-zCDP, each ρ the exact one of the noise actually drawn (variances are rounded
//! up and ε rounded down, never the other way). Everything after a measurement reads only noisy
//! values, except the selection scores, which are the exponential mechanism's input.

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, SeedRng, unit_f64};

use crate::pgm::{cumulative, draw};

use crate::accountant::{Accountant, Spend, gaussian_rho, gaussian_variance};
use crate::noise::{Noise, Rational, Variance, discrete_gaussian, exponential_mechanism};
use crate::pgm::{GraphModel, Measurement, estimate};

/// A column's public cells: `cells` in all, of which `ordered` (a range) are numeric bins in
/// order; the others (categories, point masses, the missing state) are unordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnCells {
    /// Number of cells.
    pub cells: usize,
    /// The ordered bins among them.
    pub ordered: std::ops::Range<usize>,
}

/// How to split ρ and compress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MstConfig {
    /// ρ in all.
    pub rho: f64,
    /// Shares of ρ for the columns, the selection and the pairs (summing to 1).
    pub shares: [f64; 3],
    /// Mirror-descent steps of the final fit.
    pub iterations: usize,
    /// After the tree, select and measure as many more pairs, each where the current model is
    /// furthest from the data (AIM's adaptive step, McKenna et al. 2022), as far as the
    /// junction tree stays under [`MAX_CLIQUE_CELLS`].
    pub extra_pairs: bool,
    /// The L2 sensitivity the noise is calibrated for: 1, what one row added or removed
    /// changes a histogram by. Only the empirical audit's deliberately broken twin sets
    /// another value (0.5: half the noise the guarantee needs), to show the audit catches it.
    #[doc(hidden)]
    pub sensitivity: f64,
}

impl MstConfig {
    /// Synthgate's defaults: 15% of ρ for the columns, 5% for every selection together, 80%
    /// for the pairs (AIM's observation that measurements, not selections, need the budget),
    /// pairs beyond the tree, and 1,000 steps for the final fit.
    pub fn new(rho: f64) -> MstConfig {
        MstConfig {
            rho,
            shares: [0.15, 0.05, 0.80],
            iterations: 1000,
            extra_pairs: true,
            sensitivity: 1.0,
        }
    }

    /// MST exactly as published: a third of ρ each, the spanning tree only.
    pub fn published(rho: f64) -> MstConfig {
        MstConfig {
            rho,
            shares: [1.0 / 3.0; 3],
            iterations: 1000,
            extra_pairs: false,
            sensitivity: 1.0,
        }
    }
}

/// One column after compression: its states, each a set of public cells, and the noisy count
/// of every cell (for drawing a cell within a state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressedColumn {
    /// Per state, the cells it stands for.
    pub states: Vec<Vec<u32>>,
    /// Per cell, its noisy count.
    pub noisy_counts: Vec<i64>,
}

/// What an MST fit releases: everything here is differentially private.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MstRelease {
    /// The noisy estimate of the number of rows.
    pub total: f64,
    /// Each column's compressed states and noisy cell counts.
    pub columns: Vec<CompressedColumn>,
    /// The noisy measurements the model was fitted to (columns on their states, then pairs).
    pub measurements: Vec<Measurement>,
    /// The fitted model.
    pub model: GraphModel,
    /// Every spend of ρ.
    pub spends: Vec<Spend>,
}

/// Fit MST to `data` (per column, each row's public cell) with noise from `noise`.
pub fn fit(
    data: &[Vec<u32>],
    columns: &[ColumnCells],
    config: &MstConfig,
    noise: &mut dyn Noise,
) -> Result<MstRelease> {
    let count = columns.len();
    if count == 0 || data.len() != count {
        return Err(Error::internal("MST needs at least one column"));
    }
    let rows = data[0].len();
    for (column, (values, cells)) in data.iter().zip(columns).enumerate() {
        if values.len() != rows || values.iter().any(|&v| v as usize >= cells.cells) {
            return Err(Error::internal(format!(
                "column {column}'s cells are out of range"
            )));
        }
    }
    let mut accountant = Accountant::new(config.rho);
    let [share_columns, share_select, share_pairs] = config.shares;

    // 1. Every column's histogram.
    let column_rho = config.rho * share_columns / count as f64;
    let column_variance = measurement_variance(column_rho, config.sensitivity)?;
    let column_sigma = column_variance.value().sqrt();
    let mut noisy: Vec<Vec<i64>> = Vec::with_capacity(count);
    for (column, values) in data.iter().enumerate() {
        let mut histogram = vec![0i64; columns[column].cells];
        for &value in values {
            histogram[value as usize] += 1;
        }
        add_noise(&mut histogram, column_variance, noise)?;
        accountant.charge(
            &format!("column {column} histogram"),
            "discrete_gaussian",
            gaussian_rho(config.sensitivity, column_variance.value()),
        )?;
        noisy.push(histogram);
    }
    // The total, from every column's noisy histogram (each an unbiased estimate).
    let total = (noisy
        .iter()
        .map(|h| h.iter().sum::<i64>() as f64)
        .sum::<f64>()
        / count as f64)
        .max(1.0);

    // 2. Compression: post-processing of step 1 only.
    let tree_rounds = count - 1;
    // As many extra pairs as tree edges, if there are that many pairs left; a round the
    // junction-tree limit leaves without candidates is skipped, and its share stays unspent.
    let extra_rounds = if config.extra_pairs {
        (count - 1).min(count * (count - 1) / 2 - (count - 1))
    } else {
        0
    };
    let rounds = (tree_rounds + extra_rounds).max(1);
    let pair_rho = config.rho * share_pairs / rounds as f64;
    let pair_variance = measurement_variance(pair_rho, config.sensitivity)?;
    let pair_sigma = pair_variance.value().sqrt();
    let states = target_states(total, pair_sigma);
    let compressed: Vec<CompressedColumn> = noisy
        .iter()
        .zip(columns)
        .map(|(histogram, cells)| compress(histogram, cells, 3.0 * column_sigma, total, states))
        .collect();
    let state_of: Vec<Vec<u32>> = compressed
        .iter()
        .map(|column| {
            let mut map = vec![0u32; column.noisy_counts.len()];
            for (state, cells) in column.states.iter().enumerate() {
                for &cell in cells {
                    map[cell as usize] = state as u32;
                }
            }
            map
        })
        .collect();
    let sizes: Vec<usize> = compressed.iter().map(|c| c.states.len()).collect();
    let coded: Vec<Vec<u32>> = data
        .iter()
        .zip(&state_of)
        .map(|(values, map)| values.iter().map(|&v| map[v as usize]).collect())
        .collect();
    let mut measurements: Vec<Measurement> = compressed
        .iter()
        .enumerate()
        .map(|(column, compressed)| Measurement {
            columns: vec![column],
            counts: compressed
                .states
                .iter()
                .map(|cells| {
                    cells
                        .iter()
                        .map(|&c| compressed.noisy_counts[c as usize])
                        .sum::<i64>() as f64
                })
                .collect(),
            sigma: compressed
                .states
                .iter()
                .map(|cells| column_sigma * (cells.len() as f64).sqrt())
                .collect(),
        })
        .collect();

    // 3. The spanning tree, then 4. its pairs, then 5. more pairs where the model is worst.
    let epsilon = Rational::at_most((8.0 * config.rho * share_select / rounds as f64).sqrt())?;
    // Every pair's true counts on the compressed states, counted once: the selection scores of
    // every round and the measurements read them.
    let pair_index = |a: usize, b: usize| a * count + b;
    let mut true_pairs: Vec<Vec<i64>> = vec![Vec::new(); count * count];
    for a in 0..count {
        for b in a + 1..count {
            true_pairs[pair_index(a, b)] =
                joint_counts(&coded[a], &coded[b], sizes[b], sizes[a] * sizes[b]);
        }
    }
    let measure_pair = |a: usize,
                        b: usize,
                        noise: &mut dyn Noise,
                        accountant: &mut Accountant|
     -> Result<Measurement> {
        let cells = sizes[a] * sizes[b];
        let mut table = true_pairs[pair_index(a, b)].clone();
        add_noise(&mut table, pair_variance, noise)?;
        accountant.charge(
            &format!("pair ({a}, {b})"),
            "discrete_gaussian",
            gaussian_rho(config.sensitivity, pair_variance.value()),
        )?;
        Ok(Measurement {
            columns: vec![a, b],
            counts: table.iter().map(|&c| c as f64).collect(),
            sigma: vec![pair_sigma; cells],
        })
    };
    let select = |noise: &mut dyn Noise,
                  accountant: &mut Accountant,
                  candidates: &[((usize, usize), i64)],
                  what: String|
     -> Result<(usize, usize)> {
        let values: Vec<i64> = candidates.iter().map(|(_, s)| *s).collect();
        let chosen = exponential_mechanism(noise, &values, epsilon)?;
        accountant.charge(
            &what,
            "exponential",
            epsilon.value() * epsilon.value() / 8.0,
        )?;
        Ok(candidates[chosen].0)
    };
    // A pair's score: the L1 distance between its true counts and the model's prediction
    // (sensitivity 1), minus the noise its measurement would add (AIM's penalty, a constant),
    // rounded (floor(x + 0.5) moves by at most 1 when x does).
    let score = |a: usize, b: usize, predicted: &[f64]| -> i64 {
        let distance: f64 = true_pairs[pair_index(a, b)]
            .iter()
            .zip(predicted)
            .map(|(&t, &p)| (t as f64 - total * p).abs())
            .sum();
        let penalty = (2.0 / std::f64::consts::PI).sqrt() * pair_sigma * predicted.len() as f64;
        libm::floor(distance - penalty + 0.5) as i64
    };
    let mut edges: Vec<(usize, usize)> = Vec::new();
    if count > 1 {
        let marginals: Vec<Vec<f64>> = measurements
            .iter()
            .map(|m| {
                let clamped: Vec<f64> = m.counts.iter().map(|c| c.max(0.0)).collect();
                let sum: f64 = clamped.iter().sum();
                if sum > 0.0 {
                    clamped.iter().map(|c| c / sum).collect()
                } else {
                    vec![1.0 / clamped.len() as f64; clamped.len()]
                }
            })
            .collect();
        let mut scores: Vec<((usize, usize), i64)> = Vec::new();
        for a in 0..count {
            for b in a + 1..count {
                let predicted: Vec<f64> = marginals[a]
                    .iter()
                    .flat_map(|pa| marginals[b].iter().map(move |pb| pa * pb))
                    .collect();
                scores.push(((a, b), score(a, b, &predicted)));
            }
        }
        let mut component: Vec<usize> = (0..count).collect();
        fn find(component: &mut [usize], mut node: usize) -> usize {
            while component[node] != node {
                component[node] = component[component[node]];
                node = component[node];
            }
            node
        }
        for round in 0..tree_rounds {
            let candidates: Vec<((usize, usize), i64)> = scores
                .iter()
                .copied()
                .filter(|&((a, b), _)| find(&mut component, a) != find(&mut component, b))
                .collect();
            let (a, b) = select(
                noise,
                &mut accountant,
                &candidates,
                format!("tree edge {}", round + 1),
            )?;
            let (ra, rb) = (find(&mut component, a), find(&mut component, b));
            component[ra] = rb;
            edges.push((a, b));
        }
    }
    for &(a, b) in &edges {
        let measurement = measure_pair(a, b, noise, &mut accountant)?;
        measurements.push(measurement);
    }
    // The model is refitted after every batch of picks (at most REFITS times), and the
    // pairs' predictions are read from the newest fit. A chosen pair whose junction tree would
    // pass MAX_CLIQUE_CELLS is not measured (its selection is spent, its measurement share is
    // not): checking after the choice keeps the candidate set independent of the data and
    // spares a triangulation per candidate.
    let batch = extra_rounds.div_ceil(REFITS).max(1);
    let mut excluded: Vec<(usize, usize)> = Vec::new();
    let mut predicted = Vec::new();
    let mut model: Option<GraphModel> = None;
    for round in 0..extra_rounds {
        if round % batch == 0 {
            let current = match model.take() {
                Some(model) => model,
                None => estimate(&sizes, &measurements, total, config.iterations / 10)?,
            };
            predicted = current.pair_marginals();
        }
        let sets: Vec<Vec<usize>> = measurements.iter().map(|m| m.columns.clone()).collect();
        let candidates: Vec<((usize, usize), i64)> = predicted
            .iter()
            .filter(|((a, b), _)| {
                !excluded.contains(&(*a, *b)) && !sets.iter().any(|set| set == &vec![*a, *b])
            })
            .map(|((a, b), table)| ((*a, *b), score(*a, *b, table)))
            .collect();
        if candidates.is_empty() {
            break;
        }
        let (a, b) = select(
            noise,
            &mut accountant,
            &candidates,
            format!("extra pair {}", round + 1),
        )?;
        let mut with = sets;
        with.push(vec![a, b]);
        if crate::pgm::largest_clique(&sizes, &with) > MAX_CLIQUE_CELLS {
            excluded.push((a, b));
            continue;
        }
        let measurement = measure_pair(a, b, noise, &mut accountant)?;
        measurements.push(measurement);
        if (round + 1) % batch == 0 && round + 1 < extra_rounds {
            model = Some(estimate(
                &sizes,
                &measurements,
                total,
                config.iterations / 20,
            )?);
        }
    }
    let model = estimate(&sizes, &measurements, total, config.iterations)?;
    Ok(MstRelease {
        total,
        columns: compressed,
        measurements,
        model,
        spends: accountant.spends().to_vec(),
    })
}

/// The largest clique table (cells) the model may need when pairs beyond the tree are added.
pub const MAX_CLIQUE_CELLS: usize = 1 << 15;

/// How often the model is refitted while pairs beyond the tree are chosen.
pub const REFITS: usize = 8;

/// The measurement step: add discrete Gaussian noise of `variance` to every count.
pub fn add_noise(counts: &mut [i64], variance: Variance, noise: &mut dyn Noise) -> Result<()> {
    for cell in counts {
        *cell += i64::try_from(discrete_gaussian(noise, variance)?)
            .map_err(|_| Error::internal("noise out of range"))?;
    }
    Ok(())
}

/// The noise variance of a measurement spending `rho` on counts of L2 `sensitivity` (rounded
/// up to an exact fraction).
pub fn measurement_variance(rho: f64, sensitivity: f64) -> Result<Variance> {
    Variance::at_least(gaussian_variance(sensitivity, rho))
}

/// How many states an ordered column is grouped into: enough that a pair of such columns has
/// about 4σ of signal per cell (`total / states² ≈ 4σ`), between 2 and 32.
fn target_states(total: f64, pair_sigma: f64) -> usize {
    let states = (total / (4.0 * pair_sigma)).sqrt();
    (libm::round(states) as usize).clamp(2, 32)
}

fn joint_counts(a: &[u32], b: &[u32], size_b: usize, cells: usize) -> Vec<i64> {
    let mut table = vec![0i64; cells];
    for (&x, &y) in a.iter().zip(b) {
        table[x as usize * size_b + y as usize] += 1;
    }
    table
}

/// Group one column's cells into states from its noisy histogram alone.
fn compress(
    histogram: &[i64],
    cells: &ColumnCells,
    threshold: f64,
    total: f64,
    states: usize,
) -> CompressedColumn {
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut rest: Vec<u32> = Vec::new();
    // A column of few cells (at most twice the target states: a small code such as years of
    // schooling, or its label) keeps every cell as its own state, however rare: merging rare
    // cells would blur a relation the pairs could hold exactly (each code with its label), and
    // which cells fall under the threshold changes from fit to fit with the noise.
    let few = histogram.len() <= 2 * states;
    for (cell, &count) in histogram.iter().enumerate() {
        if cells.ordered.contains(&cell) && !few {
            continue;
        }
        if few || count as f64 >= threshold {
            groups.push(vec![cell as u32]);
        } else {
            rest.push(cell as u32);
        }
    }
    if !cells.ordered.is_empty() && !few {
        let target = (total / states as f64).max(threshold);
        let mut run: Vec<u32> = Vec::new();
        let mut mass = 0.0;
        let mut runs: Vec<Vec<u32>> = Vec::new();
        for cell in cells.ordered.clone() {
            run.push(cell as u32);
            mass += histogram[cell].max(0) as f64;
            if mass >= target {
                runs.push(std::mem::take(&mut run));
                mass = 0.0;
            }
        }
        if !run.is_empty() {
            match runs.last_mut() {
                Some(last) => last.extend(run),
                None => runs.push(run),
            }
        }
        groups.extend(runs);
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    CompressedColumn {
        states: groups,
        noisy_counts: histogram.to_vec(),
    }
}

impl MstRelease {
    /// Draw `rows` rows of public cells (per column) from the model and `rng`: each row's
    /// states from the graphical model, then a cell within each state in proportion to the
    /// cells' noisy counts (clipped at 0; uniform when all are 0).
    pub fn sample(&self, rows: usize, rng: &mut SeedRng) -> Result<Vec<Vec<u32>>> {
        let states = self.model.sample(rows, rng)?;
        let within: Vec<Vec<Vec<f64>>> = self
            .columns
            .iter()
            .map(|column| {
                column
                    .states
                    .iter()
                    .map(|cells| {
                        let weights: Vec<f64> = cells
                            .iter()
                            .map(|&c| column.noisy_counts[c as usize].max(0) as f64)
                            .collect();
                        cumulative(&weights)
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![vec![0u32; rows]; states.len()];
        for row in 0..rows {
            for (column, column_states) in states.iter().enumerate() {
                let state = column_states[row] as usize;
                let cells = self.columns[column]
                    .states
                    .get(state)
                    .ok_or_else(|| Error::spec("the model's states do not fit its columns."))?;
                out[column][row] = cells[draw(&within[column][state], unit_f64(rng))];
            }
        }
        Ok(out)
    }
}
