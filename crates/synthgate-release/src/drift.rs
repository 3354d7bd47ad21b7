//! Drift: how far a new real snapshot has moved from the source a release was made from.
//!
//! A bundle cannot keep its source's rows, so at release time [`profile_source`] records
//! aggregates in `monitor/source_profile.json`: the source's row count and per column its
//! storage and semantic type, its missing count, and its distribution, as quantile bins
//! (numeric columns) or category counts (the rest). Identifiers and free text are recorded by
//! name and type only.
//!
//! Small cells are never published (`synthgate_eval::cells` has the rule). Numeric bins are
//! merged until each holds at least `min_cell` rows, and only interior edges are kept:
//! quantiles with at least `min_cell` rows on each side, never the maximum, and the minimum only
//! when at least `min_cell` rows share it; categories with fewer than `min_cell` rows are pooled
//! into one unnamed count. Each column's cells (bins; or categories, the pool; then the missing
//! count, and for a column without a distribution its present values, which are the rows minus
//! the missing ones) partition the source's rows, whose total is published. So in each column
//! a pool or missing count of 1 to `min_cell - 1` is withheld, and so many other cells with it
//! (complementary suppression: the smallest that suffices) that at least two are withheld and
//! their sum, which a reader gets by subtraction, exceeds what the format promises about them
//! (a listed category or bin holds at least `min_cell` rows, a pool or missing count at least 1)
//! by at least `min_cell - 1`: every withheld count then has at least `min_cell` possible
//! values. A withheld count is `null` in the file. Zero counts are published (they describe
//! nobody). When a column's cells cannot be protected that way its distribution is not recorded
//! (and its missing count withheld if small); a source of fewer than `min_cell` rows has every
//! non-zero count withheld. Format version 2 adds the `null`s; version 1 files (every count
//! present) are read the same way.
//!
//! [`compare`] measures a new snapshot against that profile per column: the population
//! stability index (PSI) over the recorded bins or categories plus missingness, with the
//! withheld cells merged into one cell whose share is what the published cells leave, the
//! largest CDF gap at the recorded bin edges whose source share is known (a lower bound of the
//! two-sample KS statistic), categories that are new (or were too rare to record) and
//! categories that vanished; and schema changes (vanished, added or retyped columns).
//! [`recheck_gates`] says whether the release's gates would still pass if the new snapshot were
//! the real data: fidelity, utility and subgroup gates are re-scored on it; privacy gates keep
//! the release's values, since their risk is about the training rows, which a new snapshot does
//! not contain.

use serde::Serialize;
use synthgate_core::metrics;
use synthgate_core::{Result, StorageType, Table};
use synthgate_eval::{Metric, category_keys};

pub use crate::layout::PROFILE_FILE;
pub use crate::source_profile::{
    ColumnProfile, Distribution, PROFILE_FORMAT_VERSION, SourceProfile, profile_source,
};
use crate::source_profile::{bin_counts, category_counts};
use crate::spec::DriftPolicy;

/// Shares below this count as this in the PSI, so an empty bin gives a large, finite term.
const PSI_FLOOR: f64 = 1e-4;

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

/// The PSI of `new` counts against a partition of `rows` source rows whose withheld cells are
/// `None`: the withheld cells are merged into one, on both sides, holding what the published
/// cells leave of `rows` (not a disclosure: it covers at least two cells, none of them known).
fn psi_with_withheld(base: &[Option<usize>], new: &[usize], rows: usize) -> f64 {
    let mut base_cells: Vec<usize> = base.iter().flatten().copied().collect();
    let mut new_cells: Vec<usize> = base
        .iter()
        .zip(new)
        .filter(|(b, _)| b.is_some())
        .map(|(_, n)| *n)
        .collect();
    if base.iter().any(Option::is_none) {
        base_cells.push(rows.saturating_sub(base_cells.iter().sum()));
        new_cells.push(
            base.iter()
                .zip(new)
                .filter(|(b, _)| b.is_none())
                .map(|(_, n)| *n)
                .sum(),
        );
    }
    psi(&shares(&base_cells), &shares(&new_cells))
}

/// The largest gap between the source's CDF (from bin `counts` with `present` values, `None`
/// when unknown) and the new one at the edges where the source's share below the edge is known
/// (every bin below, or every bin above, published).
fn ks_at_edges(
    counts: &[Option<usize>],
    present: Option<usize>,
    new_counts: &[usize],
) -> Option<f64> {
    let present = present.or_else(|| counts.iter().copied().sum())?;
    let new_total: usize = new_counts.iter().sum();
    let mut gap: f64 = 0.0;
    for k in 0..counts.len().saturating_sub(1) {
        let below: Option<usize> = counts[..=k].iter().copied().sum();
        let above: Option<usize> = counts[k + 1..].iter().copied().sum();
        let Some(below) = below.or_else(|| above.map(|a| present.saturating_sub(a))) else {
            continue;
        };
        let f = below as f64 / present.max(1) as f64;
        let g = new_counts[..=k].iter().sum::<usize>() as f64 / new_total.max(1) as f64;
        gap = gap.max((f - g).abs());
    }
    Some(gap)
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
    /// Share of missing values in the source (`None` when the profile withheld the count).
    pub missing_share_source: Option<f64>,
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
        let missing_share_source = recorded
            .missing
            .map(|m| m as f64 / profile.rows.max(1) as f64);
        let mut drift = ColumnDrift {
            column: recorded.name.clone(),
            status: String::new(),
            psi: None,
            ks_at_edges: None,
            missing_share_source,
            missing_share_new: None,
            new_categories: Vec::new(),
            // A withheld pool is not empty: empty counts are published.
            source_pooled_rare: matches!(
                recorded.distribution,
                Distribution::Categorical { other, .. } if other != Some(0)
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
                drift.psi = Some(psi_with_withheld(&base, &now, profile.rows));
                let present = recorded.missing.map(|m| profile.rows.saturating_sub(m));
                drift.ks_at_edges = ks_at_edges(counts, present, &new_counts);
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
                drift.psi = Some(psi_with_withheld(&base, &now, profile.rows));
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

/// Whether a gate on `metric` keeps the release's value against new data, as its row of the
/// metric table says: privacy risks concern the training rows, and `llm.*` facts the
/// generation, neither of which a new snapshot changes. A metric the table does not know is
/// re-scored.
fn kept_from_release(metric: &str) -> bool {
    metrics::info(metric).is_some_and(|row| row.drift == metrics::Drift::Keep)
}

/// The release's gates re-decided with `new_data` (read under the profile's schema, split in
/// halves as train and holdout) as the real data.
fn recheck_gates(
    bundle: &std::path::Path,
    manifest: &crate::Manifest,
    withheld: Option<&crate::withheld::Withheld>,
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
    let synthetic = read(&bundle.join(crate::layout::DATA_FILE), None)?;
    let (first, second) = crate::run::split_rows(rows, 0.5, Seed(spec.split.seed));
    let first = take_rows(&table, &first)?;
    let second = take_rows(&table, &second)?;
    let config = synthgate_eval::EvaluationConfig {
        privacy: false,
        ..crate::run::evaluation_config(spec)
    };
    let input = |table, label, role| synthgate_eval::Input {
        table,
        label,
        info: synthgate_eval::InputInfo {
            role,
            path: label.to_string(),
            sha256: String::new(),
            rows: table.num_rows(),
        },
    };
    let scored = synthgate_eval::score(
        &schema,
        [
            input(&first, "new data (first half)", "train"),
            input(&second, "new data (second half)", "holdout"),
            input(&synthetic, "synthetic", "synthetic"),
        ],
        &config,
        &mut |_| Ok(()),
    );
    let rescored = match scored {
        Ok(report) => report.metrics,
        Err(error) => {
            return Ok(GateRecheck::skipped(format!(
                "not rechecked: scoring on the new data failed: {}",
                error.message()
            )));
        }
    };
    let report: serde_json::Value = serde_json::from_slice(&crate::verify::real_data_file(
        bundle,
        manifest,
        crate::layout::REPORT_FILE,
        withheld,
    )?)
    .map_err(|e| Error::input(format!("{}: {e}", crate::layout::REPORT_FILE)))?;
    let release: Vec<Metric> = serde_json::from_value(report["metrics"].clone())
        .map_err(|e| Error::input(format!("{}'s metrics: {e}", crate::layout::REPORT_FILE)))?;
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
/// verify is an error, exit 5). A bundle whose policy withheld its source profile and report
/// is measured from `withheld`, the workspace's copies. `progress` hears each step.
pub fn drift_bundle(
    bundle: &std::path::Path,
    new_data: &std::path::Path,
    withheld: Option<&crate::withheld::Withheld>,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<DriftReport> {
    use synthgate_core::Error;
    use synthgate_io::{ReadOptions, read_table, sha256_file};

    progress("verifying the bundle")?;
    crate::verify::verify_bundle(bundle, false, progress)?;
    let manifest = crate::verify::read_manifest(bundle)?;
    let spec = &manifest.spec()?;
    if spec.source.dataset.is_some() {
        return Err(Error::usage(format!(
            "{} is a release of several tables (a dataset); drift compares one table's new \
             snapshot with a release of one table.",
            bundle.display()
        ))
        .hint("Monitor a table of the dataset with a release of that table alone."));
    }
    let policy = spec.policy.drift.clone();
    let profile_path = bundle.join(PROFILE_FILE);
    let listed = manifest.files.iter().any(|f| f.path == PROFILE_FILE)
        || manifest.withheld.iter().any(|f| f.path == PROFILE_FILE);
    if !listed {
        return Err(Error::input(format!(
            "the bundle {} has no {PROFILE_FILE}: it was made before Synthgate kept source \
             profiles.",
            bundle.display()
        ))
        .hint("Run the release's pipeline again with this version to get a bundle that has one."));
    }
    let text = crate::verify::real_data_file(bundle, &manifest, PROFILE_FILE, withheld)?;
    let profile: SourceProfile = serde_json::from_slice(&text).map_err(|error| {
        Error::input(format!(
            "{} is not a source profile: {error}.",
            profile_path.display()
        ))
    })?;

    progress("reading the new data")?;
    let options = ReadOptions {
        extra_na_tokens: profile.na_tokens.clone(),
        ..ReadOptions::default()
    };
    let new = read_table(new_data, &options)?;
    let new_sha256 = sha256_file(new_data)?;
    progress("comparing distributions")?;
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
        progress("re-scoring the gates on the new data")?;
        recheck_gates(bundle, &manifest, withheld, spec, &profile, new_data)?
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
    use crate::source_profile::quantile_bins;
    use synthgate_core::{ColumnSchema, PrivacyRole, Schema, SemanticType};

    #[test]
    fn privacy_and_generation_metrics_keep_the_release_values() {
        let metric = |id: &str, value: f64| Metric::new(id, value, "");
        let rescored = [
            metric("fidelity.column_shapes", 0.7),
            metric("utility.tstr", 0.6),
            metric("subgroup.sex.worst_gap", 0.3),
            metric("privacy.dcr_share", 0.9),
        ];
        let release = [
            metric("fidelity.column_shapes", 0.9),
            metric("privacy.dcr_share", 0.5),
            metric("privacy.inference_risk", 0.01),
            metric("llm.yield", 0.8),
            metric("utility.tstr", 0.8),
        ];
        let kept: Vec<(String, f64)> = recheck_metrics(&rescored, &release)
            .into_iter()
            .map(|m| (m.id, m.value))
            .collect();
        let expected = [
            ("fidelity.column_shapes", 0.7),
            ("utility.tstr", 0.6),
            ("subgroup.sex.worst_gap", 0.3),
            ("privacy.dcr_share", 0.5),
            ("privacy.inference_risk", 0.01),
            ("llm.yield", 0.8),
        ];
        assert_eq!(kept, expected.map(|(id, value)| (id.to_string(), value)),);
        for id in ["privacy.nndr", "privacy.mia_auc", "llm.pii_records"] {
            assert!(kept_from_release(id), "{id}");
        }
        for id in [
            "fidelity.detection_auc",
            "utility.mix_curve",
            "subgroup.race.worst_gap",
        ] {
            assert!(!kept_from_release(id), "{id}");
        }
    }

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

    /// What a reader of `profile` can work out about small cells: every problem found. Each
    /// column's cells (bins, or categories and the pool; the missing count; for a column
    /// without a distribution, its present values, never listed) add up to the published row
    /// count, and the profile has no cell that crosses columns, so subtraction within a column
    /// is the only way to recover a withheld count. Published counts must be 0 or at least
    /// `min_cell`. One withheld cell would be the rows minus the published ones, so a column
    /// withholds no recorded count or at least two (a column without a distribution has its
    /// present values unlisted: they may be recoverable only when 0, at least `min_cell`, or
    /// every row).
    /// With two or more, a reader knows only their sum `S` and their floors (`min_cell` for a
    /// listed category or bin, else 1: zeros are published), so each lies between its floor and
    /// `S` minus the others' floors; when the source has more than `min_cell` rows that range
    /// must hold at least `min_cell` values, so no withheld count is determined or even known
    /// to be small.
    fn disclosures(profile: &SourceProfile) -> Vec<String> {
        let min = profile.min_cell;
        let mut problems = Vec::new();
        for column in &profile.columns {
            let name = &column.name;
            let mut cells: Vec<(Option<usize>, usize)> = Vec::new();
            let mut unlisted = false;
            match &column.distribution {
                Distribution::Numeric { edges, counts } => {
                    if counts.len() != edges.len() + 1 {
                        problems.push(format!(
                            "{name}: {} bins for {} edges",
                            counts.len(),
                            edges.len()
                        ));
                    }
                    cells.extend(counts.iter().map(|c| (*c, min)));
                }
                Distribution::Categorical {
                    categories,
                    counts,
                    other,
                } => {
                    if counts.len() != categories.len() {
                        problems.push(format!("{name}: counts do not match categories"));
                    }
                    cells.extend(counts.iter().map(|c| (*c, min)));
                    cells.push((*other, 1));
                }
                Distribution::NotRecorded { .. } => {
                    unlisted = true;
                    cells.push((None, 1));
                }
            }
            cells.push((column.missing, 1));
            for (count, _) in &cells {
                if let Some(count) = count
                    && *count > 0
                    && *count < min
                {
                    problems.push(format!("{name}: publishes a count of {count} < {min}"));
                }
            }
            let published: usize = cells.iter().filter_map(|c| c.0).sum();
            let Some(sum) = profile.rows.checked_sub(published) else {
                problems.push(format!("{name}: published counts exceed the rows"));
                continue;
            };
            let withheld: Vec<usize> = cells
                .iter()
                .filter(|c| c.0.is_none())
                .map(|c| c.1)
                .collect();
            match withheld.len() {
                0 if sum != 0 => problems.push(format!("{name}: cells do not add up to the rows")),
                0 => {}
                1 if !unlisted => {
                    problems.push(format!("{name}: one withheld count, recoverable as {sum}"));
                }
                // All the rows in one cell tell nothing the row count does not.
                1 if sum > 0 && sum < min && sum != profile.rows => {
                    problems.push(format!("{name}: present values recoverable as {sum}"));
                }
                1 => {}
                _ => {
                    let floors: usize = withheld.iter().sum();
                    if profile.rows > min && (sum < floors || sum - floors + 1 < min) {
                        problems.push(format!(
                            "{name}: withheld counts sum to {sum} over floors of {floors}: \
                             fewer than {min} possible values each"
                        ));
                    }
                }
            }
        }
        problems
    }

    /// One column of each kind the profile records: numbers (bins), categories (pooling),
    /// a single category, identifiers, an all-missing column; every one with missing values.
    fn kinds_schema() -> Schema {
        let column = |name: &str, storage, semantic| ColumnSchema {
            name: name.into(),
            storage,
            semantic,
            role: PrivacyRole::None,
            min: None,
            max: None,
            categories: None,
            missing_token: None,
            decimals: None,
            point_masses: None,
            rare: None,
        };
        Schema::new(
            vec!["NA".into()],
            vec![
                column("num", StorageType::Int64, SemanticType::Integer),
                column("cat", StorageType::String, SemanticType::Categorical),
                column("single", StorageType::String, SemanticType::Categorical),
                column("id", StorageType::String, SemanticType::Identifier),
                column("empty", StorageType::Int64, SemanticType::Integer),
            ],
        )
        .expect("schema")
    }

    fn read_csv(text: &str, schema: &Schema) -> Table {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data.csv");
        std::fs::write(&path, text).expect("csv written");
        let options = synthgate_io::ReadOptions {
            extra_na_tokens: vec!["NA".into()],
            schema: Some(schema),
            ..synthgate_io::ReadOptions::default()
        };
        synthgate_io::read_table(&path, &options)
            .expect("csv read")
            .table
    }

    type Row = (Option<i32>, Option<(bool, u8)>, bool, bool);

    fn kinds_csv(rows: &[Row]) -> String {
        let mut text = String::from("num,cat,single,id,empty\n");
        for (i, (num, cat, single, id)) in rows.iter().enumerate() {
            let num = num.map_or("NA".to_string(), |n| n.to_string());
            // Common categories c0-c3 and rare ones r0-r29.
            let cat = cat.map_or("NA".to_string(), |(common, k)| {
                if common {
                    format!("c{}", k % 4)
                } else {
                    format!("r{}", k % 30)
                }
            });
            let single = if *single { "x" } else { "NA" };
            let id = if *id { format!("id{i}") } else { "NA".into() };
            text.push_str(&format!("{num},{cat},{single},{id},NA\n"));
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        #[test]
        fn no_small_cell_is_published_or_recoverable(
            rows in proptest::collection::vec(
                (
                    proptest::option::weighted(0.9, -50i32..50),
                    proptest::option::weighted(0.95, (proptest::bool::weighted(0.7), 0u8..30)),
                    proptest::bool::weighted(0.97),
                    proptest::bool::weighted(0.98),
                ),
                1..250,
            ),
            min_cell in 1usize..40,
            bins in 2usize..12,
        ) {
            let schema = kinds_schema();
            let table = read_csv(&kinds_csv(&rows), &schema);
            let policy = DriftPolicy { min_cell, bins, ..DriftPolicy::default() };
            let profile = profile_source(&table, &schema, &["NA".into()], &policy);
            proptest::prop_assert_eq!(profile.columns.len(), 5);
            let problems = disclosures(&profile);
            proptest::prop_assert!(problems.is_empty(), "{:?}\n{:#?}", problems, profile);
            // Drift still measures with withheld cells: the source against itself has not moved.
            let (columns, changes) = compare(&profile, &table, &policy);
            proptest::prop_assert!(changes.is_empty());
            for column in &columns {
                proptest::prop_assert!(column.psi.is_none_or(|p| p.abs() < 1e-9), "{:?}", column);
                proptest::prop_assert!(column.ks_at_edges.is_none_or(|k| k.abs() < 1e-9), "{:?}", column);
            }
        }
    }

    #[test]
    fn a_withheld_cell_is_merged_with_the_others_in_the_psi() {
        // Source: bins 40 and 50, missing withheld, with a withheld 10: S = 10 of 100 rows.
        let base = [Some(40), None, Some(50)];
        assert!(psi_with_withheld(&base, &[40, 10, 50], 100).abs() < 1e-12);
        // Moving rows between withheld cells is invisible; into them, it is measured.
        let two = [Some(40), None, Some(50), None];
        assert!(psi_with_withheld(&two, &[40, 2, 50, 8], 100).abs() < 1e-12);
        let moved = psi_with_withheld(&base, &[20, 30, 50], 100);
        let expected = psi(&[0.4, 0.5, 0.1], &[0.2, 0.5, 0.3]);
        assert!((moved - expected).abs() < 1e-12, "{moved} vs {expected}");
        // Known CDF points only: below edge 0 is known, below edge 1 is known from above.
        let ks = ks_at_edges(&[Some(40), None, Some(50)], Some(100), &[20, 30, 50]);
        assert!((ks.expect("present known") - 0.2).abs() < 1e-12);
        assert_eq!(
            ks_at_edges(&[Some(40), None, Some(50)], None, &[1, 1, 1]),
            None
        );
    }

    /// The shared datasets folder (as the CLI tests find it).
    fn dataset(name: &str) -> std::path::PathBuf {
        let dir = std::env::var("SYNTHGATE_DATASETS").map_or_else(
            |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
            std::path::PathBuf::from,
        );
        let path = dir.join(name).join("data.csv");
        assert!(
            path.is_file(),
            "{} is missing: set SYNTHGATE_DATASETS to the shared datasets folder",
            path.display()
        );
        path
    }

    #[test]
    fn adult_native_country_publishes_no_small_pool() {
        let options = synthgate_io::ReadOptions {
            extra_na_tokens: vec!["?".into()],
            ..synthgate_io::ReadOptions::default()
        };
        let source = synthgate_io::read_table(&dataset("adult"), &options).expect("adult");
        let schema = synthgate_profile::profile(&source.table, None, &source.info.na_tokens)
            .to_schema()
            .expect("schema");
        let policy = DriftPolicy::default();
        let profile = profile_source(&source.table, &schema, &source.info.na_tokens, &policy);
        assert_eq!(profile.min_cell, 10);
        let country = profile
            .columns
            .iter()
            .find(|c| c.name == "native-country")
            .expect("native-country");
        // One person is in no listed country (main published `other: 1`).
        let Distribution::Categorical {
            categories, other, ..
        } = &country.distribution
        else {
            panic!("native-country is not categorical: {country:?}");
        };
        assert_eq!(*other, None, "{country:?}");
        assert!(categories.len() > 20, "{country:?}");
        let problems = disclosures(&profile);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn version_1_profiles_still_load_and_measure_drift() {
        // Written by main's code before withheld counts: every count present.
        let text = include_str!("../tests/fixtures/source_profile_v1.json");
        let profile: SourceProfile = serde_json::from_str(text).expect("a version 1 profile");
        assert_eq!(profile.format_version, 1);
        assert!(profile.columns.iter().all(|c| c.missing.is_some()));
        let options = synthgate_io::ReadOptions {
            extra_na_tokens: profile.na_tokens.clone(),
            ..synthgate_io::ReadOptions::default()
        };
        let source = synthgate_io::read_table(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/nhefs/data.csv"),
            &options,
        )
        .expect("nhefs");
        let (columns, changes) = compare(&profile, &source.table, &DriftPolicy::default());
        assert!(changes.is_empty(), "{changes:?}");
        let measured: Vec<&ColumnDrift> = columns.iter().filter(|c| c.psi.is_some()).collect();
        assert!(measured.len() > 5, "{columns:?}");
        for column in measured {
            // The profile's own source has not moved.
            assert!(column.psi.is_some_and(|p| p.abs() < 1e-9), "{column:?}");
            assert!(column.missing_share_source.is_some(), "{column:?}");
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
