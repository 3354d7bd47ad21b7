//! A graphical model fitted to noisy marginals, after Private-PGM (McKenna, Sheldon and
//! Miklau, "Graphical-model based estimation and inference for differential privacy", ICML
//! 2019).
//!
//! The measured column sets define a graph (columns joined when measured together); it is
//! triangulated by greedy min-fill elimination, its maximal cliques joined into a junction tree
//! (a maximum-weight spanning tree on their overlaps), and the model is the exponential family
//! with one log-potential table per clique. [`estimate`] finds the member whose marginals best
//! explain the measurements, minimising `Σ_m Σ_cells (N·μ_m − y_m)² / (2σ²_cell)` over the
//! marginal polytope by entropic mirror descent on the potentials with Armijo backtracking
//! (Private-PGM's `mirror_descent`), marginals by exact two-pass belief propagation on the
//! junction tree. The result is consistent by construction: every measured marginal is the
//! projection of one distribution, with no negative counts, which raw noisy counts are not.
//! [`GraphModel::sample`] draws rows from it clique by clique.
//!
//! Everything here is post-processing of the noisy measurements: it reads no data.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, SeedRng, unit_f64};

/// One noisy measurement: counts of the joint values of a set of columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// The measured columns, ascending (the first varies slowest in `counts`).
    pub columns: Vec<usize>,
    /// The noisy counts, one per cell.
    pub counts: Vec<f64>,
    /// The standard deviation of each cell's noise.
    pub sigma: Vec<f64>,
}

/// The fitted model: a junction tree's cliques and each clique's calibrated marginal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphModel {
    /// The number of states of each column.
    pub sizes: Vec<usize>,
    /// The junction tree's cliques (ascending columns).
    pub cliques: Vec<Vec<usize>>,
    /// The junction tree's edges between cliques.
    pub edges: Vec<(usize, usize)>,
    /// Each clique's marginal (probabilities summing to 1, the first column varying slowest).
    pub marginals: Vec<Vec<f64>>,
}

/// Cells of the joint domain of `columns`.
pub fn cells(sizes: &[usize], columns: &[usize]) -> usize {
    columns
        .iter()
        .map(|&c| sizes[c])
        .fold(1usize, |a, b| a.saturating_mul(b))
}

/// For every cell of `from` (columns, row-major), the index of its cell in `to` (a subset of
/// `from`).
fn index_map(sizes: &[usize], from: &[usize], to: &[usize]) -> Vec<u32> {
    let total = cells(sizes, from);
    // Stride in `to` of each column of `from` (0 when not in `to`).
    let mut strides = vec![0usize; from.len()];
    let mut stride = 1;
    for &column in to.iter().rev() {
        if let Some(position) = from.iter().position(|&c| c == column) {
            strides[position] = stride;
        }
        stride *= sizes[column];
    }
    let mut out = Vec::with_capacity(total);
    let mut digits = vec![0usize; from.len()];
    let mut index = 0usize;
    for _ in 0..total {
        out.push(index as u32);
        // Increment the row-major counter (last column fastest), updating `index`.
        for position in (0..from.len()).rev() {
            digits[position] += 1;
            index += strides[position];
            if digits[position] < sizes[from[position]] {
                break;
            }
            index -= strides[position] * digits[position];
            digits[position] = 0;
        }
    }
    out
}

/// The junction tree of the graph in which each of `measured` is a clique, over all columns.
pub fn junction_tree(
    sizes: &[usize],
    measured: &[Vec<usize>],
) -> (Vec<Vec<usize>>, Vec<(usize, usize)>) {
    let count = sizes.len();
    let mut adjacent = vec![vec![false; count]; count];
    for set in measured {
        for &a in set {
            for &b in set {
                if a != b {
                    adjacent[a][b] = true;
                }
            }
        }
    }
    // Greedy min-fill elimination (ties: smaller clique table, then lower index).
    let mut eliminated = vec![false; count];
    let mut cliques: Vec<Vec<usize>> = Vec::new();
    for _ in 0..count {
        let mut best: Option<(usize, usize, usize)> = None;
        for v in (0..count).filter(|&v| !eliminated[v]) {
            let neighbours: Vec<usize> = (0..count)
                .filter(|&u| !eliminated[u] && adjacent[v][u])
                .collect();
            let mut fill = 0;
            for (i, &a) in neighbours.iter().enumerate() {
                for &b in &neighbours[i + 1..] {
                    if !adjacent[a][b] {
                        fill += 1;
                    }
                }
            }
            let table = neighbours
                .iter()
                .fold(sizes[v], |acc, &u| acc.saturating_mul(sizes[u]));
            if best.is_none_or(|(f, t, _)| (fill, table) < (f, t)) {
                best = Some((fill, table, v));
            }
        }
        let Some((_, _, v)) = best else { break };
        let neighbours: Vec<usize> = (0..count)
            .filter(|&u| !eliminated[u] && adjacent[v][u])
            .collect();
        for &a in &neighbours {
            for &b in &neighbours {
                if a != b {
                    adjacent[a][b] = true;
                }
            }
        }
        let mut clique = neighbours;
        clique.push(v);
        clique.sort_unstable();
        cliques.push(clique);
        eliminated[v] = true;
    }
    // Keep maximal cliques only, in a stable order.
    let mut maximal: Vec<Vec<usize>> = Vec::new();
    for clique in &cliques {
        let contained = cliques
            .iter()
            .any(|other| other.len() > clique.len() && clique.iter().all(|c| other.contains(c)));
        if !contained && !maximal.contains(clique) {
            maximal.push(clique.clone());
        }
    }
    // A maximum-weight spanning tree on overlaps (Kruskal, ties by index).
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..maximal.len() {
        for j in i + 1..maximal.len() {
            let overlap = maximal[i].iter().filter(|c| maximal[j].contains(c)).count();
            pairs.push((overlap, i, j));
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut component: Vec<usize> = (0..maximal.len()).collect();
    let mut edges = Vec::new();
    for (_, i, j) in pairs {
        let (ri, rj) = (root(&mut component, i), root(&mut component, j));
        if ri != rj {
            component[ri] = rj;
            edges.push((i, j));
        }
    }
    (maximal, edges)
}

fn root(component: &mut [usize], mut node: usize) -> usize {
    while component[node] != node {
        component[node] = component[component[node]];
        node = component[node];
    }
    node
}

/// The largest clique table the junction tree of `measured` needs.
pub fn largest_clique(sizes: &[usize], measured: &[Vec<usize>]) -> usize {
    let (cliques, _) = junction_tree(sizes, measured);
    cliques
        .iter()
        .map(|clique| cells(sizes, clique))
        .max()
        .unwrap_or(1)
}

/// The junction tree with its traversal plan and index maps.
#[derive(Debug)]
struct Plan {
    sizes: Vec<usize>,
    cliques: Vec<Vec<usize>>,
    edges: Vec<(usize, usize)>,
    /// Cliques in breadth-first order from clique 0, with (parent, separator index maps:
    /// child cells to separator cells, parent cells to separator cells).
    order: Vec<(usize, Option<Link>)>,
}

#[derive(Debug)]
struct Link {
    parent: usize,
    separator: Vec<usize>,
    child_map: Vec<u32>,
    parent_map: Vec<u32>,
}

impl Plan {
    fn new(sizes: &[usize], cliques: Vec<Vec<usize>>, edges: Vec<(usize, usize)>) -> Plan {
        let mut neighbours = vec![Vec::new(); cliques.len()];
        for &(a, b) in &edges {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
        let mut seen = vec![false; cliques.len()];
        let mut order: Vec<(usize, Option<Link>)> = Vec::new();
        for start in 0..cliques.len() {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let first = order.len();
            order.push((start, None));
            let mut next = first;
            while next < order.len() {
                let node = order[next].0;
                next += 1;
                for &child in &neighbours[node] {
                    if seen[child] {
                        continue;
                    }
                    seen[child] = true;
                    let separator: Vec<usize> = cliques[child]
                        .iter()
                        .copied()
                        .filter(|c| cliques[node].contains(c))
                        .collect();
                    let link = Link {
                        parent: node,
                        child_map: index_map(sizes, &cliques[child], &separator),
                        parent_map: index_map(sizes, &cliques[node], &separator),
                        separator,
                    };
                    order.push((child, Some(link)));
                }
            }
        }
        Plan {
            sizes: sizes.to_vec(),
            cliques,
            edges,
            order,
        }
    }

    /// Calibrated clique marginals (normalised probabilities) of log-potentials `theta`, by
    /// sum-product in probability space: each clique's potential is exponentiated once
    /// (shifted by its maximum) and every message is rescaled to a maximum of 1, so nothing
    /// overflows and no logarithm is taken per cell.
    fn marginals(&self, theta: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let count = self.cliques.len();
        let potentials: Vec<Vec<f64>> = theta
            .iter()
            .map(|t| {
                let top = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if top == f64::NEG_INFINITY {
                    return vec![0.0; t.len()];
                }
                t.iter().map(|v| libm::exp(v - top)).collect()
            })
            .collect();
        // Children of each clique, as positions in `order`.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (step, (_, link)) in self.order.iter().enumerate() {
            if let Some(link) = link {
                children[link.parent].push(step);
            }
        }
        let mut upward: Vec<Vec<f64>> = vec![Vec::new(); self.order.len()];
        for (step, (clique, link)) in self.order.iter().enumerate().rev() {
            let Some(link) = link else { continue };
            let mut belief = potentials[*clique].clone();
            for &child in &children[*clique] {
                multiply_in(&mut belief, &upward[child], self.parent_map(child));
            }
            upward[step] = sum_by(
                &belief,
                &link.child_map,
                cells(&self.sizes, &link.separator),
            );
        }
        let mut downward: Vec<Vec<f64>> = vec![Vec::new(); self.order.len()];
        let mut marginals: Vec<Vec<f64>> = vec![Vec::new(); count];
        for (step, (clique, link)) in self.order.iter().enumerate() {
            let mut base = potentials[*clique].clone();
            if let Some(link) = link {
                multiply_in(&mut base, &downward[step], &link.child_map);
            }
            for &child in &children[*clique] {
                let mut without = base.clone();
                for &other in &children[*clique] {
                    if other != child {
                        multiply_in(&mut without, &upward[other], self.parent_map(other));
                    }
                }
                let Some(child_link) = self.order[child].1.as_ref() else {
                    continue;
                };
                downward[child] = sum_by(
                    &without,
                    &child_link.parent_map,
                    cells(&self.sizes, &child_link.separator),
                );
            }
            let mut belief = base;
            for &child in &children[*clique] {
                multiply_in(&mut belief, &upward[child], self.parent_map(child));
            }
            let total: f64 = belief.iter().sum();
            if total > 0.0 {
                for b in &mut belief {
                    *b /= total;
                }
            }
            marginals[*clique] = belief;
        }
        marginals
    }

    /// The map from the parent's cells to the separator of the clique at `step` of `order`.
    fn parent_map(&self, step: usize) -> &[u32] {
        self.order[step]
            .1
            .as_ref()
            .map(|link| link.parent_map.as_slice())
            .unwrap_or(&[])
    }
}

/// `belief[i] *= message[map[i]]`.
fn multiply_in(belief: &mut [f64], message: &[f64], map: &[u32]) {
    for (b, &k) in belief.iter_mut().zip(map) {
        *b *= message[k as usize];
    }
}

/// `out[k] = Σ_{cells i with map[i] = k} values[i]`, rescaled to a maximum of 1.
fn sum_by(values: &[f64], map: &[u32], size: usize) -> Vec<f64> {
    let mut out = vec![0.0; size];
    for (value, &k) in values.iter().zip(map) {
        out[k as usize] += value;
    }
    let top = out.iter().copied().fold(0.0, f64::max);
    if top > 0.0 {
        for o in &mut out {
            *o /= top;
        }
    }
    out
}

/// Where each measurement sits: its clique and the map of that clique's cells to its cells.
fn assign(plan: &Plan, measurements: &[Measurement]) -> Result<Vec<(usize, Vec<u32>)>> {
    measurements
        .iter()
        .map(|m| {
            let clique = plan
                .cliques
                .iter()
                .position(|clique| m.columns.iter().all(|c| clique.contains(c)))
                .ok_or_else(|| Error::internal("a measurement outside every clique"))?;
            Ok((
                clique,
                index_map(&plan.sizes, &plan.cliques[clique], &m.columns),
            ))
        })
        .collect()
}

/// The loss and its gradient (per clique cell) at clique marginals `marginals`.
fn loss(
    measurements: &[Measurement],
    assigned: &[(usize, Vec<u32>)],
    total: f64,
    marginals: &[Vec<f64>],
) -> (f64, Vec<Vec<f64>>) {
    let mut gradient: Vec<Vec<f64>> = marginals.iter().map(|m| vec![0.0; m.len()]).collect();
    let mut value = 0.0;
    for (measurement, (clique, map)) in measurements.iter().zip(assigned) {
        let mut projected = vec![0.0; measurement.counts.len()];
        for (p, &k) in marginals[*clique].iter().zip(map) {
            projected[k as usize] += p;
        }
        let mut local = vec![0.0; projected.len()];
        for (cell, (&m, (&y, &sigma))) in projected
            .iter()
            .zip(measurement.counts.iter().zip(&measurement.sigma))
            .enumerate()
        {
            // In probability units: (μ − y/N) / (σ/N)².
            let scale = total / sigma;
            let residual = m - y / total;
            value += 0.5 * scale * scale * residual * residual;
            local[cell] = scale * scale * residual;
        }
        for (g, &k) in gradient[*clique].iter_mut().zip(map) {
            *g += local[k as usize];
        }
    }
    (value, gradient)
}

fn dot(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>())
        .sum()
}

/// Fit the model over columns of `sizes` states to `measurements` (each a set of columns,
/// ascending), for a table of `total` rows, in at most `iterations` mirror-descent steps. The
/// junction tree is built from the measured sets.
pub fn estimate(
    sizes: &[usize],
    measurements: &[Measurement],
    total: f64,
    iterations: usize,
) -> Result<GraphModel> {
    for m in measurements {
        let expected = cells(sizes, &m.columns);
        if m.counts.len() != expected || m.sigma.len() != expected {
            return Err(Error::internal(format!(
                "measurement of columns {:?} has {} counts for {expected} cells",
                m.columns,
                m.counts.len()
            )));
        }
        if m.columns.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::internal("measured columns must ascend"));
        }
    }
    let sets: Vec<Vec<usize>> = measurements.iter().map(|m| m.columns.clone()).collect();
    let (cliques, edges) = junction_tree(sizes, &sets);
    let plan = Plan::new(sizes, cliques, edges);
    let assigned = assign(&plan, measurements)?;
    let total = total.max(1.0);
    let mut theta: Vec<Vec<f64>> = plan
        .cliques
        .iter()
        .map(|clique| vec![0.0; cells(sizes, clique)])
        .collect();
    let mut marginals = plan.marginals(&theta);
    let (mut current, mut gradient) = loss(measurements, &assigned, total, &marginals);
    let mut step = 1.0
        / measurements
            .iter()
            .flat_map(|m| m.sigma.iter())
            .map(|sigma| (total / sigma).powi(2))
            .fold(1.0, f64::max);
    for _ in 0..iterations {
        step *= 2.0;
        let mut accepted = false;
        for _ in 0..30 {
            let candidate: Vec<Vec<f64>> = theta
                .iter()
                .zip(&gradient)
                .map(|(t, g)| t.iter().zip(g).map(|(t, g)| t - step * g).collect())
                .collect();
            let new_marginals = plan.marginals(&candidate);
            let (value, new_gradient) = loss(measurements, &assigned, total, &new_marginals);
            // Armijo: the decrease is at least half the linear prediction.
            let predicted = dot(&gradient, &marginals) - dot(&gradient, &new_marginals);
            if current - value >= 0.5 * predicted {
                theta = candidate;
                marginals = new_marginals;
                current = value;
                gradient = new_gradient;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Ok(GraphModel {
        sizes: sizes.to_vec(),
        cliques: plan.cliques,
        edges: plan.edges,
        marginals,
    })
}

impl GraphModel {
    /// Draw `rows` rows of states (per column) from the model: the first clique of each part
    /// of the junction tree from its marginal, every other clique's new columns from its
    /// marginal given the separator's values already drawn.
    pub fn sample(&self, rows: usize, rng: &mut SeedRng) -> Result<Vec<Vec<u32>>> {
        let plan = Plan::new(&self.sizes, self.cliques.clone(), self.edges.clone());
        if self.marginals.len() != plan.cliques.len()
            || plan
                .cliques
                .iter()
                .zip(&self.marginals)
                .any(|(c, m)| cells(&self.sizes, c) != m.len())
        {
            return Err(Error::spec(
                "the model's clique marginals do not fit its cliques.",
            ));
        }
        // Per clique: groups of cells by separator cell, each with its cumulative weights.
        struct Group {
            cells: Vec<u32>,
            cumulative: Vec<f64>,
        }
        let mut groups: Vec<Vec<Group>> = Vec::with_capacity(plan.order.len());
        for (clique, link) in &plan.order {
            let marginal = &self.marginals[*clique];
            let (map, size): (Vec<u32>, usize) = match link {
                None => (vec![0; marginal.len()], 1),
                Some(link) => (link.child_map.clone(), cells(&self.sizes, &link.separator)),
            };
            let mut members: Vec<Vec<u32>> = vec![Vec::new(); size];
            for (cell, &k) in map.iter().enumerate() {
                members[k as usize].push(cell as u32);
            }
            groups.push(
                members
                    .into_iter()
                    .map(|cells| {
                        let weights: Vec<f64> =
                            cells.iter().map(|&c| marginal[c as usize]).collect();
                        let cumulative = cumulative(&weights);
                        Group { cells, cumulative }
                    })
                    .collect(),
            );
        }
        // Strides of each clique's columns, to read and write a cell's states.
        let strides: Vec<Vec<usize>> = plan
            .cliques
            .iter()
            .map(|clique| {
                let mut strides = vec![0; clique.len()];
                let mut stride = 1;
                for (position, &column) in clique.iter().enumerate().rev() {
                    strides[position] = stride;
                    stride *= self.sizes[column];
                }
                strides
            })
            .collect();
        let separator_strides: Vec<Option<Vec<(usize, usize)>>> = plan
            .order
            .iter()
            .map(|(_, link)| {
                link.as_ref().map(|link| {
                    let mut out = vec![(0, 0); link.separator.len()];
                    let mut stride = 1;
                    for (position, &column) in link.separator.iter().enumerate().rev() {
                        out[position] = (column, stride);
                        stride *= self.sizes[column];
                    }
                    out
                })
            })
            .collect();
        let mut out = vec![vec![0u32; rows]; self.sizes.len()];
        // Column-major output, filled row by row (a row's later cliques read its earlier ones).
        #[allow(clippy::needless_range_loop)]
        for row in 0..rows {
            for (step, (clique, _)) in plan.order.iter().enumerate() {
                let group = match &separator_strides[step] {
                    None => 0,
                    Some(parts) => parts
                        .iter()
                        .map(|&(column, stride)| out[column][row] as usize * stride)
                        .sum(),
                };
                let group = &groups[step][group];
                let cell = group.cells[draw(&group.cumulative, unit_f64(rng))] as usize;
                for (position, &column) in plan.cliques[*clique].iter().enumerate() {
                    let stride = strides[*clique][position];
                    out[column][row] = ((cell / stride) % self.sizes[column]) as u32;
                }
            }
        }
        Ok(out)
    }

    /// The model's joint marginal of every pair of columns `(a, b)`, `a < b` (row-major, `a`
    /// slowest), exactly: for each state of `a`, the junction tree is calibrated again with
    /// that state as evidence, which gives every other column's distribution given it.
    pub fn pair_marginals(&self) -> Vec<((usize, usize), Vec<f64>)> {
        let plan = Plan::new(&self.sizes, self.cliques.clone(), self.edges.clone());
        let log = |p: f64| libm::log(p.max(1e-300));
        // p(x) = Π_c μ_c / Π_separators μ_s: potentials ln μ_c − ln μ_s(child's separator).
        let mut base: Vec<Vec<f64>> = self
            .marginals
            .iter()
            .map(|m| m.iter().map(|&p| log(p)).collect())
            .collect();
        for (clique, link) in &plan.order {
            let Some(link) = link else { continue };
            let mut separator = vec![0.0; cells(&self.sizes, &link.separator)];
            for (p, &k) in self.marginals[*clique].iter().zip(&link.child_map) {
                separator[k as usize] += p;
            }
            for (value, &k) in base[*clique].iter_mut().zip(&link.child_map) {
                *value -= log(separator[k as usize]);
            }
        }
        let count = self.sizes.len();
        let mut out: Vec<((usize, usize), Vec<f64>)> = Vec::new();
        // Each column's evidence runs are independent: in parallel, collected in order.
        let tables: Vec<Vec<Vec<f64>>> = (0..count)
            .into_par_iter()
            .map(|a| {
                let mut row: Vec<Vec<f64>> = (a + 1..count)
                    .map(|b| vec![0.0; self.sizes[a] * self.sizes[b]])
                    .collect();
                if a + 1 == count {
                    return row;
                }
                let Some(host) = self.cliques.iter().position(|c| c.contains(&a)) else {
                    return row;
                };
                let state_of = index_map(&self.sizes, &self.cliques[host], &[a]);
                let prior = self.marginal(&[a]).unwrap_or_default();
                for state in 0..self.sizes[a] {
                    if prior.get(state).copied().unwrap_or(0.0) <= 0.0 {
                        continue;
                    }
                    let mut theta = base.clone();
                    for (value, &k) in theta[host].iter_mut().zip(&state_of) {
                        if k as usize != state {
                            *value = f64::NEG_INFINITY;
                        }
                    }
                    let conditional = GraphModel {
                        sizes: self.sizes.clone(),
                        cliques: self.cliques.clone(),
                        edges: self.edges.clone(),
                        marginals: plan.marginals(&theta),
                    };
                    for b in a + 1..count {
                        let Some(pb) = conditional.marginal(&[b]) else {
                            continue;
                        };
                        let table = &mut row[b - a - 1];
                        for (j, p) in pb.iter().enumerate() {
                            table[state * self.sizes[b] + j] = prior[state] * p;
                        }
                    }
                }
                row
            })
            .collect();
        for (a, row) in tables.into_iter().enumerate() {
            for (offset, table) in row.into_iter().enumerate() {
                out.push(((a, a + 1 + offset), table));
            }
        }
        out
    }

    /// The model's marginal of `columns` (ascending), if one clique holds them all.
    pub fn marginal(&self, columns: &[usize]) -> Option<Vec<f64>> {
        let clique = self
            .cliques
            .iter()
            .position(|clique| columns.iter().all(|c| clique.contains(c)))?;
        let map = index_map(&self.sizes, &self.cliques[clique], columns);
        let mut out = vec![0.0; cells(&self.sizes, columns)];
        for (p, &k) in self.marginals[clique].iter().zip(&map) {
            out[k as usize] += p;
        }
        Some(out)
    }
}

/// Cumulative weights (negative weights count as 0), ending at 1.
pub(crate) fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let mut running = 0.0;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            running += w.max(0.0);
            if total > 0.0 { running / total } else { 0.0 }
        })
        .collect();
    if total <= 0.0 {
        let n = out.len().max(1) as f64;
        for (i, c) in out.iter_mut().enumerate() {
            *c = (i + 1) as f64 / n;
        }
    }
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

/// The index a uniform `u` picks from cumulative weights.
pub(crate) fn draw(cumulative: &[f64], u: f64) -> usize {
    cumulative
        .partition_point(|&edge| edge <= u)
        .min(cumulative.len().saturating_sub(1))
}
