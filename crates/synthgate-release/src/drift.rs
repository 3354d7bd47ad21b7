//! Drift: how far a new real snapshot has moved from the source a release was made from.
//!
//! A bundle cannot keep its source's rows, so at release time [`profile_source`] records
//! aggregates in `monitor/source_profile.json`: per column its storage and semantic type, its
//! missing count, and its distribution, as quantile bins (numeric columns) or category counts
//! (the rest). Small cells are not recorded: numeric bins are merged until each holds at least
//! `min_cell` rows, and only interior edges are kept: quantiles with at least `min_cell` rows on
//! each side, never the maximum, and the minimum only when at least `min_cell` rows share it;
//! categories with fewer than `min_cell` rows are pooled into one unnamed count. Identifiers and free text are recorded by name and type only.
//!
//! [`compare`] measures a new snapshot against that profile per column: the population
//! stability index (PSI) over the recorded bins or categories plus missingness, the largest CDF
//! gap at the recorded bin edges (a lower bound of the two-sample KS statistic), categories that
//! are new (or were too rare to record) and categories that vanished; and schema changes
//! (vanished, added or retyped columns). [`recheck_gates`] says whether the release's gates
//! would still pass if the new snapshot were the real data: fidelity, utility and subgroup
//! gates are re-scored on it; privacy gates keep the release's values, since their risk is
//! about the training rows, which a new snapshot does not contain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use synthgate_core::{ColumnSchema, PrivacyRole, Result, Schema, SemanticType, StorageType, Table};
use synthgate_eval::{Metric, MetricKind, category_keys, metric_kind};

use crate::spec::DriftPolicy;

/// Where a bundle keeps its source profile.
pub const PROFILE_FILE: &str = "monitor/source_profile.json";

/// The profile format this version writes.
pub const PROFILE_FORMAT_VERSION: u32 = 1;

/// Shares below this count as this in the PSI, so an empty bin gives a large, finite term.
const PSI_FLOOR: f64 = 1e-4;

/// The aggregates a release keeps about its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceProfile {
    /// The profile format version.
    pub format_version: u32,
    /// Rows of the source.
    pub rows: usize,
    /// The smallest count recorded.
    pub min_cell: usize,
    /// The missing-value tokens the source was read with.
    pub na_tokens: Vec<String>,
    /// The columns, in source order.
    pub columns: Vec<ColumnProfile>,
}

/// One source column's aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnProfile {
    /// The column's name.
    pub name: String,
    /// How it was stored.
    pub storage: StorageType,
    /// What it means.
    pub semantic: SemanticType,
    /// Its privacy role.
    pub role: PrivacyRole,
    /// Rows where it is missing.
    pub missing: usize,
    /// Its distribution over the present values.
    pub distribution: Distribution,
}

/// A column's recorded distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Distribution {
    /// Quantile bins: bin `k` holds the values in `(edges[k-1], edges[k]]`, the first bin
    /// everything up to `edges[0]`, the last everything above the last edge. Dates count in
    /// days and timestamps in microseconds.
    Numeric {
        /// Interior bin edges, increasing.
        edges: Vec<f64>,
        /// Rows per bin (`edges.len() + 1` of them), each at least `min_cell`.
        counts: Vec<usize>,
    },
    /// Category counts of at least `min_cell`, the rest pooled.
    Categorical {
        /// The recorded categories, sorted.
        categories: Vec<String>,
        /// Rows per recorded category.
        counts: Vec<usize>,
        /// Rows in categories too rare to record, pooled.
        other: usize,
    },
    /// Not recorded: identifiers, free text, or fewer present values than `min_cell`.
    NotRecorded {
        /// Why.
        reason: String,
    },
}

/// Interior quantile edges of sorted `values` for `bins` bins, merged until every bin holds at
/// least `min_cell` values. Returns (edges, counts).
fn quantile_bins(sorted: &[f64], bins: usize, min_cell: usize) -> (Vec<f64>, Vec<usize>) {
    let n = sorted.len();
    let mut edges: Vec<f64> = Vec::new();
    for i in 1..bins {
        let at = (i * n).div_ceil(bins).saturating_sub(1);
        let edge = sorted[at.min(n - 1)];
        // An edge at the maximum leaves the bin above it empty.
        if edge < sorted[n - 1] && edges.last().is_none_or(|last| edge > *last) {
            edges.push(edge);
        }
    }
    let mut counts = bin_counts(&edges, sorted.iter().copied());
    while !edges.is_empty() {
        let Some(small) = counts.iter().position(|&c| c < min_cell) else {
            break;
        };
        // Merge the small bin with its smaller neighbour by dropping the edge between them.
        let edge = if small == 0 {
            0
        } else if small == counts.len() - 1 || counts[small - 1] <= counts[small + 1] {
            small - 1
        } else {
            small
        };
        edges.remove(edge);
        let merged = counts.remove(edge + 1);
        counts[edge] += merged;
    }
    (edges, counts)
}

/// Values per bin of `edges` (see [`Distribution::Numeric`]); `NaN`s are skipped.
fn bin_counts(edges: &[f64], values: impl Iterator<Item = f64>) -> Vec<usize> {
    let mut counts = vec![0; edges.len() + 1];
    for value in values.filter(|v| !v.is_nan()) {
        counts[edges.partition_point(|e| *e < value)] += 1;
    }
    counts
}

fn category_counts(keys: &[Option<String>]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for key in keys.iter().flatten() {
        *counts.entry(key.as_str()).or_insert(0) += 1;
    }
    counts
}

/// The aggregates of `table` (read under `schema` with `na_tokens`) that a bundle keeps.
pub fn profile_source(
    table: &Table,
    schema: &Schema,
    na_tokens: &[String],
    policy: &DriftPolicy,
) -> SourceProfile {
    let names = table.column_names();
    let columns = schema
        .columns
        .iter()
        .filter_map(|column| {
            let index = names.iter().position(|n| *n == column.name)?;
            let missing = table.null_count(index);
            let present = table.num_rows() - missing;
            let distribution = if present < policy.min_cell {
                Distribution::NotRecorded {
                    reason: format!("fewer than {} present values", policy.min_cell),
                }
            } else {
                match metric_kind(column.semantic) {
                    MetricKind::Skipped => Distribution::NotRecorded {
                        reason: format!("{} column", column.semantic.name()),
                    },
                    MetricKind::Numerical => {
                        let mut values: Vec<f64> = table
                            .numbers(index)
                            .into_iter()
                            .filter(|v| !v.is_nan())
                            .collect();
                        values.sort_by(f64::total_cmp);
                        let (edges, counts) = quantile_bins(&values, policy.bins, policy.min_cell);
                        Distribution::Numeric { edges, counts }
                    }
                    MetricKind::Categorical => {
                        let keys = category_keys(table, index);
                        let mut categories = Vec::new();
                        let mut counts = Vec::new();
                        let mut other = 0;
                        for (key, count) in category_counts(&keys) {
                            if count >= policy.min_cell {
                                categories.push(key.to_string());
                                counts.push(count);
                            } else {
                                other += count;
                            }
                        }
                        Distribution::Categorical {
                            categories,
                            counts,
                            other,
                        }
                    }
                }
            };
            Some(ColumnProfile {
                name: column.name.clone(),
                storage: column.storage,
                semantic: column.semantic,
                role: column.role,
                missing,
                distribution,
            })
        })
        .collect();
    SourceProfile {
        format_version: PROFILE_FORMAT_VERSION,
        rows: table.num_rows(),
        min_cell: policy.min_cell,
        na_tokens: na_tokens.to_vec(),
        columns,
    }
}

impl SourceProfile {
    /// The schema the source was read with, without categories, bounds or rules (which the
    /// profile does not keep): enough to read a new snapshot the same way.
    pub fn schema(&self) -> Result<Schema> {
        Schema::new(
            self.na_tokens.clone(),
            self.columns
                .iter()
                .map(|c| ColumnSchema {
                    name: c.name.clone(),
                    storage: c.storage,
                    semantic: c.semantic,
                    role: c.role,
                    min: None,
                    max: None,
                    categories: None,
                })
                .collect(),
        )
    }
}

/// The population stability index of shares `new` against `base` (same buckets):
/// `sum (q - p) ln(q / p)`, each share floored at 1e-4.
pub fn psi(base: &[f64], new: &[f64]) -> f64 {
    base.iter()
        .zip(new)
        .map(|(&p, &q)| {
            let (p, q) = (p.max(PSI_FLOOR), q.max(PSI_FLOOR));
            (q - p) * (q / p).ln()
        })
        .sum()
}

fn shares(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&c| c as f64 / total.max(1) as f64)
        .collect()
}

/// How one column moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// `stable` (PSI < 0.1), `moderate` (up to the threshold), `drifted`, `retyped`,
    /// `vanished` or `not recorded`.
    pub status: String,
    /// Population stability index over the recorded bins or categories and missingness.
    pub psi: Option<f64>,
    /// The largest gap between the two CDFs at the recorded bin edges (numeric columns): a
    /// lower bound of the two-sample KS statistic.
    pub ks_at_edges: Option<f64>,
    /// Share of missing values in the source.
    pub missing_share_source: f64,
    /// Share of missing values in the new data.
    pub missing_share_new: Option<f64>,
    /// Categories of the new data the profile does not list, with at least `min_cell` rows:
    /// new, or (when `source_pooled_rare` is true) possibly too rare in the source to record.
    pub new_categories: Vec<String>,
    /// Whether the source had categories too rare to record (so an unlisted category may be
    /// one of them rather than new).
    pub source_pooled_rare: bool,
    /// Distinct unlisted categories with fewer than `min_cell` rows (not named).
    pub rare_unlisted_categories: usize,
    /// Recorded categories absent from the new data.
    pub vanished_categories: Vec<String>,
}

/// A column that vanished, appeared or changed type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaChange {
    /// The column.
    pub column: String,
    /// `vanished`, `added` or `retyped`.
    pub change: String,
    /// Its storage in the source (absent for an added column).
    pub source: Option<String>,
    /// Its storage in the new data (absent for a vanished column).
    pub new: Option<String>,
}

/// Whether `new` storage can be measured against a column recorded as `recorded`.
fn compatible(recorded: &ColumnProfile, new: StorageType) -> bool {
    match &recorded.distribution {
        // Category keys are text for every storage (numbers keyed by value).
        Distribution::Categorical { .. } | Distribution::NotRecorded { .. } => {
            recorded.storage == new
                || !(recorded.storage.is_temporal() || new.is_temporal())
                || recorded.storage == StorageType::String
        }
        Distribution::Numeric { .. } => {
            if recorded.storage.is_temporal() {
                recorded.storage == new
            } else {
                new.is_numeric()
            }
        }
    }
}

/// Compare `new` (read with the profile's missing tokens, types inferred) with `profile`.
pub fn compare(
    profile: &SourceProfile,
    new: &Table,
    policy: &DriftPolicy,
) -> (Vec<ColumnDrift>, Vec<SchemaChange>) {
    let names = new.column_names();
    let rows = new.num_rows();
    let mut columns = Vec::new();
    let mut changes = Vec::new();
    for recorded in &profile.columns {
        let missing_share_source = recorded.missing as f64 / profile.rows.max(1) as f64;
        let mut drift = ColumnDrift {
            column: recorded.name.clone(),
            status: String::new(),
            psi: None,
            ks_at_edges: None,
            missing_share_source,
            missing_share_new: None,
            new_categories: Vec::new(),
            source_pooled_rare: matches!(
                recorded.distribution,
                Distribution::Categorical { other, .. } if other > 0
            ),
            rare_unlisted_categories: 0,
            vanished_categories: Vec::new(),
        };
        let Some(index) = names.iter().position(|n| *n == recorded.name) else {
            drift.status = "vanished".into();
            changes.push(SchemaChange {
                column: recorded.name.clone(),
                change: "vanished".into(),
                source: Some(recorded.storage.name().into()),
                new: None,
            });
            columns.push(drift);
            continue;
        };
        let storage = new.storage_type(index);
        if !compatible(recorded, storage) {
            drift.status = "retyped".into();
            changes.push(SchemaChange {
                column: recorded.name.clone(),
                change: "retyped".into(),
                source: Some(recorded.storage.name().into()),
                new: Some(storage.name().into()),
            });
            columns.push(drift);
            continue;
        }
        let missing = new.null_count(index);
        drift.missing_share_new = Some(missing as f64 / rows.max(1) as f64);
        match &recorded.distribution {
            Distribution::Numeric { edges, counts } => {
                let values = new.numbers(index);
                let new_counts = bin_counts(edges, values.iter().copied());
                let mut base = counts.clone();
                base.push(recorded.missing);
                let mut now = new_counts.clone();
                now.push(missing);
                drift.psi = Some(psi(&shares(&base), &shares(&now)));
                let (base_cdf, new_cdf) = (shares(counts), shares(&new_counts));
                let mut gap: f64 = 0.0;
                let (mut f, mut g) = (0.0, 0.0);
                for k in 0..edges.len() {
                    f += base_cdf[k];
                    g += new_cdf[k];
                    gap = gap.max((f - g).abs());
                }
                drift.ks_at_edges = Some(gap);
            }
            Distribution::Categorical {
                categories,
                counts,
                other,
            } => {
                let keys = category_keys(new, index);
                let found = category_counts(&keys);
                let mut now = vec![0usize; categories.len()];
                let mut now_other = 0;
                for (key, count) in &found {
                    match categories.binary_search_by(|c| c.as_str().cmp(key)) {
                        Ok(slot) => now[slot] = *count,
                        Err(_) => {
                            now_other += count;
                            if *count >= profile.min_cell {
                                drift.new_categories.push((*key).to_string());
                            } else {
                                drift.rare_unlisted_categories += 1;
                            }
                        }
                    }
                }
                drift.vanished_categories = categories
                    .iter()
                    .zip(&now)
                    .filter(|(_, n)| **n == 0)
                    .map(|(c, _)| c.clone())
                    .collect();
                let mut base = counts.clone();
                base.extend([*other, recorded.missing]);
                now.extend([now_other, missing]);
                drift.psi = Some(psi(&shares(&base), &shares(&now)));
            }
            Distribution::NotRecorded { .. } => {}
        }
        drift.status = match drift.psi {
            None => "not recorded".into(),
            Some(p) if p > policy.max_psi => "drifted".into(),
            Some(p) if p >= 0.1 => "moderate".into(),
            Some(_) => "stable".into(),
        };
        columns.push(drift);
    }
    for (index, name) in names.iter().enumerate() {
        if !profile.columns.iter().any(|c| c.name == *name) {
            changes.push(SchemaChange {
                column: (*name).to_string(),
                change: "added".into(),
                source: None,
                new: Some(new.storage_type(index).name().into()),
            });
        }
    }
    (columns, changes)
}

/// Where a rechecked gate's number came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecheckedGate {
    /// The gate's decision.
    #[serde(flatten)]
    pub gate: crate::gates::GateResult,
    /// `new data` (re-scored on the snapshot) or `release` (the release's own value).
    pub basis: &'static str,
}

/// The metrics to gate a release on against new data: `rescored` (fidelity, utility,
/// subgroups: the synthetic data against the new real data), plus the release's own privacy
/// metrics (and `llm.*` facts of its generation), which new data cannot change.
pub fn recheck_metrics(rescored: &[Metric], release: &[Metric]) -> Vec<Metric> {
    rescored
        .iter()
        .filter(|m| !kept_from_release(&m.id))
        .chain(release.iter().filter(|m| kept_from_release(&m.id)))
        .cloned()
        .collect()
}

/// Whether the release's gates would still pass with the new snapshot as the real data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRecheck {
    /// Whether the gates were re-evaluated.
    pub rechecked: bool,
    /// Why not, or how.
    pub note: String,
    /// Whether every gate would pass or stay waived (`None` when not rechecked).
    pub would_pass: Option<bool>,
    /// Each gate with the basis of its number.
    pub gates: Vec<RecheckedGate>,
}

/// What `synthgate drift` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// The report format version.
    pub format_version: u32,
    /// The release: name and version.
    pub release: String,
    /// SHA-256 of the bundle's manifest.
    pub manifest_sha256: String,
    /// The new snapshot: path, sha256, rows, columns.
    pub new_data: serde_json::Value,
    /// The thresholds applied.
    pub policy: DriftPolicy,
    /// Per column, in source order.
    pub columns: Vec<ColumnDrift>,
    /// Vanished, added and retyped columns.
    pub schema_changes: Vec<SchemaChange>,
    /// The gates against the new data.
    pub gates: GateRecheck,
    /// Why the drift exceeds the policy (empty when it does not).
    pub exceeded: Vec<String>,
}

impl GateRecheck {
    fn skipped(note: String) -> GateRecheck {
        GateRecheck {
            rechecked: false,
            note,
            would_pass: None,
            gates: Vec::new(),
        }
    }
}

/// Whether a gate on `metric` keeps the release's value against new data: privacy risks
/// concern the training rows, and `llm.*` facts the generation, neither of which a new
/// snapshot changes.
fn kept_from_release(metric: &str) -> bool {
    metric.starts_with("privacy.") || metric.starts_with("llm.")
}

/// The release's gates re-decided with `new_data` (read under the profile's schema, split in
/// halves as train and holdout) as the real data.
fn recheck_gates(
    bundle: &std::path::Path,
    spec: &crate::spec::PipelineSpec,
    profile: &SourceProfile,
    new_data: &std::path::Path,
) -> Result<GateRecheck> {
    use synthgate_core::{Error, Seed};
    use synthgate_io::{ReadOptions, read_table, take_rows};

    let schema = profile.schema()?;
    let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let read = |path: &std::path::Path, schema| {
        let options = ReadOptions {
            extra_na_tokens: profile.na_tokens.clone(),
            schema,
            ..ReadOptions::default()
        };
        read_table(path, &options).and_then(|t| t.table.select(&names))
    };
    let table = read(new_data, Some(&schema))?;
    let rows = table.num_rows();
    if rows < 20 {
        return Ok(GateRecheck::skipped(format!(
            "not rechecked: the new data has {rows} rows; at least 20 needed"
        )));
    }
    let synthetic = read(&bundle.join(crate::bundle::DATA_FILE), None)?;
    let (first, second) = crate::run::split_rows(rows, 0.5, Seed(spec.split.seed));
    let first = take_rows(&table, &first)?;
    let second = take_rows(&table, &second)?;
    let config = synthgate_eval::EvaluationConfig {
        privacy: false,
        ..crate::run::evaluation_config(spec)
    };
    let scored = synthgate_eval::prepare(
        &schema,
        &[
            (&first, "new data (first half)"),
            (&second, "new data (second half)"),
            (&synthetic, "synthetic"),
        ],
    )
    .and_then(|p| synthgate_eval::evaluate(&p[0], &p[1], &p[2], &config));
    let rescored = match scored {
        Ok((metrics, _)) => metrics,
        Err(error) => {
            return Ok(GateRecheck::skipped(format!(
                "not rechecked: scoring on the new data failed: {}",
                error.message()
            )));
        }
    };
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("report/report.json"))
            .map_err(|e| synthgate_io::io_error(bundle, "read the report", &e))?,
    )
    .map_err(|e| Error::input(format!("report/report.json: {e}")))?;
    let release: Vec<Metric> = serde_json::from_value(report["metrics"].clone())
        .map_err(|e| Error::input(format!("report/report.json's metrics: {e}")))?;
    let decision = crate::gates::decide(&spec.policy, &recheck_metrics(&rescored, &release))?;
    Ok(GateRecheck {
        rechecked: true,
        note: format!(
            "the synthetic data scored against the new data (split in two halves of {} and {} \
             rows as train and holdout); privacy and llm gates keep the release's values, \
             since their risk is about the training rows and the generation",
            first.num_rows(),
            second.num_rows()
        ),
        would_pass: Some(decision.releasable),
        gates: decision
            .gates
            .into_iter()
            .map(|gate| RecheckedGate {
                basis: if kept_from_release(&gate.metric) {
                    "release"
                } else {
                    "new data"
                },
                gate,
            })
            .collect(),
    })
}

/// Measure `new_data` against the release `bundle` (verified first: a bundle that does not
/// verify is an error, exit 5). `progress` hears each step.
pub fn drift_bundle(
    bundle: &std::path::Path,
    new_data: &std::path::Path,
    progress: &mut dyn FnMut(&str),
) -> Result<DriftReport> {
    use synthgate_core::Error;
    use synthgate_io::{ReadOptions, read_table, sha256_file};

    progress("verifying the bundle");
    crate::verify::verify_bundle(bundle, false, progress)?;
    let manifest = crate::verify::read_manifest(bundle)?;
    let spec = &manifest.pipeline;
    let policy = spec.policy.drift.clone();
    let profile_path = bundle.join(PROFILE_FILE);
    let text = std::fs::read_to_string(&profile_path).map_err(|_| {
        Error::input(format!(
            "the bundle {} has no {PROFILE_FILE}: it was made before Synthgate kept source \
             profiles.",
            bundle.display()
        ))
        .hint("Run the release's pipeline again with this version to get a bundle that has one.")
    })?;
    let profile: SourceProfile = serde_json::from_str(&text).map_err(|error| {
        Error::input(format!(
            "{} is not a source profile: {error}.",
            profile_path.display()
        ))
    })?;

    progress("reading the new data");
    let options = ReadOptions {
        extra_na_tokens: profile.na_tokens.clone(),
        ..ReadOptions::default()
    };
    let new = read_table(new_data, &options)?;
    let new_sha256 = sha256_file(new_data)?;
    progress("comparing distributions");
    let (columns, schema_changes) = compare(&profile, &new.table, &policy);

    let mut exceeded: Vec<String> = columns
        .iter()
        .filter(|c| c.status == "drifted")
        .map(|c| {
            format!(
                "{}: PSI {:.3} > {}",
                c.column,
                c.psi.unwrap_or(f64::NAN),
                policy.max_psi
            )
        })
        .collect();
    if policy.fail_on_schema_change {
        exceeded.extend(
            schema_changes
                .iter()
                .map(|c| format!("{}: column {}", c.column, c.change)),
        );
    }

    let gates = if schema_changes.iter().any(|c| c.change != "added") {
        GateRecheck::skipped(
            "not rechecked: the new data lacks or retypes columns the release has".into(),
        )
    } else if spec.policy.gates.is_empty() {
        GateRecheck::skipped("the policy has no gates".into())
    } else {
        progress("re-scoring the gates on the new data");
        recheck_gates(bundle, spec, &profile, new_data)?
    };
    for gate in &gates.gates {
        if gate.gate.outcome == crate::gates::Outcome::Fail {
            exceeded.push(format!(
                "gate {} would fail: {}",
                gate.gate.metric, gate.gate.reason
            ));
        }
    }
    Ok(DriftReport {
        format_version: 1,
        release: format!("{} {}", spec.release.name, spec.release.version),
        manifest_sha256: sha256_file(&bundle.join("manifest.json"))?,
        new_data: serde_json::json!({
            "path": new_data.display().to_string(),
            "sha256": new_sha256,
            "rows": new.table.num_rows(),
            "columns": new.table.num_columns(),
        }),
        policy,
        columns,
        schema_changes,
        gates,
        exceeded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_at_least_min_cell_and_keep_no_extremes() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i % 97)).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let (edges, counts) = quantile_bins(&sorted, 10, 10);
        assert_eq!(counts.iter().sum::<usize>(), 1000);
        assert!(counts.iter().all(|&c| c >= 10), "{counts:?}");
        assert_eq!(edges.len() + 1, counts.len());
        assert!(edges.windows(2).all(|w| w[0] < w[1]));
        // The maximum, shared by a fifth of the rows, would be the top decile: never an edge.
        let mut high: Vec<f64> = (0..80).map(f64::from).collect();
        high.extend([999.0; 20]);
        let (edges, counts) = quantile_bins(&high, 10, 5);
        assert!(!edges.contains(&999.0), "{edges:?}");
        assert_eq!(counts.last(), Some(&20), "{counts:?}");
        // The minimum is an edge only when at least min_cell values share it.
        let mut low = vec![0.0; 3];
        low.extend((1..200).map(f64::from));
        let (edges, _) = quantile_bins(&low, 10, 10);
        assert!(
            !edges.contains(&0.0),
            "three rows at the minimum: {edges:?}"
        );
        let mut tied_low = vec![0.0; 40];
        tied_low.extend((1..200).map(f64::from));
        let (edges, counts) = quantile_bins(&tied_low, 10, 10);
        assert_eq!((edges[0], counts[0]), (0.0, 40), "{edges:?}");
        // Heavy ties: one value holds 95% of rows; the rest must merge, not form tiny bins.
        let mut tied = vec![5.0; 950];
        tied.extend((0..50).map(f64::from));
        tied.sort_by(f64::total_cmp);
        let (_, counts) = quantile_bins(&tied, 10, 30);
        assert!(counts.iter().all(|&c| c >= 30), "{counts:?}");
        // Too few values for two cells: one bin, no edges.
        let (edges, counts) = quantile_bins(&[1.0, 2.0, 3.0], 10, 10);
        assert!(edges.is_empty());
        assert_eq!(counts, [3]);
    }

    proptest::proptest! {
        #[test]
        fn bins_partition_the_values_with_no_small_cell(
            values in proptest::collection::vec(-50i32..50, 0..400),
            bins in 2usize..20,
            min_cell in 1usize..40,
        ) {
            let mut sorted: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
            sorted.sort_by(f64::total_cmp);
            if sorted.is_empty() {
                return Ok(());
            }
            let (edges, counts) = quantile_bins(&sorted, bins, min_cell);
            proptest::prop_assert_eq!(counts.iter().sum::<usize>(), sorted.len());
            proptest::prop_assert_eq!(counts.len(), edges.len() + 1);
            proptest::prop_assert!(edges.windows(2).all(|w| w[0] < w[1]));
            proptest::prop_assert!(edges.iter().all(|e| *e < sorted[sorted.len() - 1]));
            if sorted.len() >= min_cell {
                proptest::prop_assert!(counts.iter().all(|c| *c >= min_cell), "{:?}", counts);
            }
        }
    }

    #[test]
    fn psi_is_zero_for_equal_shares_and_grows_with_the_shift() {
        let base = [0.25, 0.25, 0.25, 0.25];
        assert!(psi(&base, &base).abs() < 1e-12);
        let small = psi(&base, &[0.3, 0.2, 0.25, 0.25]);
        let large = psi(&base, &[0.7, 0.1, 0.1, 0.1]);
        assert!(small > 0.0 && small < 0.1, "{small}");
        assert!(large > 0.25, "{large}");
        // A textbook value: (0.5-0.4) ln(0.5/0.4) + (0.5-0.6) ln(0.5/0.6) = 0.04054.
        assert!((psi(&[0.4, 0.6], &[0.5, 0.5]) - 0.040_546).abs() < 1e-5);
        // An emptied bucket is finite.
        assert!(psi(&[0.5, 0.5], &[1.0, 0.0]).is_finite());
    }
}
