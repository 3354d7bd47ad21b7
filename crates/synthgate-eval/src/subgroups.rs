//! Subgroup fidelity: does the synthetic data serve every group of a sensitive attribute
//! (sex, race, age band) as well as the whole? For each attribute and each group with at least
//! `min_group_rows` training rows (smaller groups are suppressed: counted, not named):
//!
//! - the group's share of the training rows and of the synthetic rows;
//! - column shapes (SDMetrics' definition) of the group's synthetic rows against its training
//!   rows, the holdout's group as reference;
//! - with a two-class or numeric target: the target's rate (mean) in the group, real and
//!   synthetic, and the group's TSTR and TRTR on its holdout rows;
//! - the DCR share of the group's synthetic rows, and the density-ratio membership attack's AUC
//!   on the group's candidates (its training rows against its holdout rows), each with a 95%
//!   bootstrap interval, and the group's privacy status: `exposed` when either interval lies
//!   wholly above the whole table's (the group is more exposed than the table as a whole),
//!   else `as_whole`.
//!
//! With privacy scored, `subgroup.<attribute>.worst_dcr_share` and `.worst_mia_auc` are the
//! largest group values (with that group's interval), and `.exposed_groups` counts the groups
//! whose status is `exposed`: a gate `max = 0` on it fails a release in which any reported
//! group is more exposed than the whole.
//!
//! `subgroup.<attribute>.worst_gap` is the largest shortfall `1 − column shapes` over the
//! reported groups and names that group; the reference is the same for the holdout's groups
//! (smaller, so its shortfalls are larger: compare the groups' own references in the details).
//! A numeric attribute is cut into 4 bands at the training quartiles.
//!
//! Counts of real rows follow the small-cell rule of [`crate::cells`], with `min_group_rows` as
//! the smallest cell, so `report.json`, `report.html` and the datasheet publish the same
//! protected numbers: suppressed groups are counted, never named; when the training total minus
//! the reported groups would give the suppressed groups' rows away (one suppressed group, or
//! too few rows between them), the smallest reported groups' training rows and real shares are
//! withheld too (`null`, listed in the group's `withheld`); a two-class target's real rate is
//! withheld where the group's positive or negative rows would be 1 to `min_group_rows - 1`.

use serde::Serialize;
use synthgate_core::{Error, Result};

use crate::cells::{Cell, withhold};
use crate::metric::{EvaluationConfig, Metric, bootstrap_interval, mean_interval, resamples};
use crate::privacy::{Membership, Samples};
use crate::stats::mean;
use crate::utility::{TargetColumn, Utility};
use crate::values::{Column, MISSING};
use crate::{Prepared, column_shapes};

/// How one attribute splits rows into groups.
#[derive(Debug, Clone)]
enum Split {
    Codes { column: usize },
    Bands { column: usize, edges: Vec<f64> },
}

/// The attributes and their groups, checked against the training table.
#[derive(Debug, Clone)]
pub struct Plan {
    attributes: Vec<(String, Split)>,
    min_rows: usize,
}

impl Plan {
    /// Check `names` against `train`'s scored columns.
    pub fn new(train: &Prepared, names: &[String], min_rows: usize) -> Result<Plan> {
        let mut attributes = Vec::new();
        for name in names {
            let column = train.position(name).ok_or_else(|| {
                Error::input(format!(
                    "--sensitive '{name}' is not a scored column of the train table."
                ))
                .hint(format!("Scored columns: {}.", train.names().join(", ")))
            })?;
            let split = match &train.columns[column] {
                Column::Discrete(_) => Split::Codes { column },
                Column::Continuous(values) => {
                    let quartiles: Vec<f64> = [0.25, 0.5, 0.75]
                        .iter()
                        .filter_map(|&q| crate::stats::quantile(&present(values), q))
                        .collect();
                    let mut edges = quartiles;
                    edges.dedup();
                    Split::Bands { column, edges }
                }
            };
            attributes.push((name.clone(), split));
        }
        Ok(Plan {
            attributes,
            min_rows,
        })
    }
}

fn present(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| !v.is_nan()).collect()
}

impl Split {
    /// Each row's group key (`u32::MAX` = missing).
    fn keys(&self, table: &Prepared) -> Vec<u32> {
        match self {
            Split::Codes { column } => match &table.columns[*column] {
                Column::Discrete(codes) => codes.clone(),
                Column::Continuous(_) => Vec::new(),
            },
            Split::Bands { column, edges } => match &table.columns[*column] {
                Column::Continuous(values) => values
                    .iter()
                    .map(|&v| {
                        if v.is_nan() {
                            MISSING
                        } else {
                            edges.partition_point(|&e| e <= v) as u32
                        }
                    })
                    .collect(),
                Column::Discrete(_) => Vec::new(),
            },
        }
    }

    fn name(&self, table: &Prepared, key: u32) -> String {
        if key == MISSING {
            return "(missing)".to_string();
        }
        match self {
            Split::Codes { column } => table.category(*column, key).unwrap_or("?").to_string(),
            Split::Bands { edges, .. } => {
                let k = key as usize;
                let low = if k == 0 {
                    "-inf".to_string()
                } else {
                    synthgate_core::text::format_float(edges[k - 1])
                };
                let high = edges.get(k).map_or("inf".to_string(), |&e| {
                    synthgate_core::text::format_float(e)
                });
                format!("[{low}, {high})")
            }
        }
    }
}

/// One group's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The group's value (or band).
    pub group: String,
    /// Training rows in the group; `None` (`null`) when withheld by the small-cell rule (see
    /// the module docs).
    pub train_rows: Option<usize>,
    /// Share of the training rows; `None` when withheld with `train_rows`.
    pub share_real: Option<f64>,
    /// Share of the synthetic rows.
    pub share_synthetic: f64,
    /// Column shapes of the group's synthetic rows against its training rows.
    pub column_shapes: Option<f64>,
    /// The same for the group's holdout rows.
    pub column_shapes_reference: Option<f64>,
    /// Target rate (two classes: share of the positive class; numbers: mean), training rows;
    /// `None` when withheld (a two-class rate whose positive or negative rows would be 1 to
    /// `min_group_rows - 1`).
    pub target_rate_real: Option<f64>,
    /// Target rate, synthetic rows.
    pub target_rate_synthetic: Option<f64>,
    /// TSTR on the group's holdout rows.
    pub tstr: Option<f64>,
    /// TRTR on the group's holdout rows.
    pub trtr: Option<f64>,
    /// DCR share of the group's synthetic rows.
    pub dcr_share: Option<f64>,
    /// Its 95% bootstrap interval.
    pub dcr_share_interval: Option<[f64; 2]>,
    /// The density-ratio membership attack's ROC AUC on the group's candidates.
    pub mia_auc: Option<f64>,
    /// Its 95% bootstrap interval.
    pub mia_auc_interval: Option<[f64; 2]>,
    /// `exposed` when the DCR share's or the attack's interval lies wholly above the whole
    /// table's, `as_whole` otherwise; `None` when privacy is not scored.
    pub privacy_status: Option<&'static str>,
    /// The fields above withheld by the small-cell rule (`train_rows`, `share_real`,
    /// `target_rate_real`), empty when none.
    pub withheld: Vec<&'static str>,
}

fn rows_of(keys: &[u32], key: u32) -> Vec<usize> {
    (0..keys.len()).filter(|&r| keys[r] == key).collect()
}

fn target_rate(table: &Prepared, rows: &[usize], target: &TargetColumn) -> Option<f64> {
    match &table.columns[target.index] {
        Column::Discrete(codes) => {
            let (positive, negative) = target.classes_of_binary()?;
            let labelled: Vec<f64> = rows
                .iter()
                .filter(|&&r| codes[r] == positive || codes[r] == negative)
                .map(|&r| f64::from(u8::from(codes[r] == positive)))
                .collect();
            (!labelled.is_empty()).then(|| mean(&labelled))
        }
        Column::Continuous(values) => {
            let present: Vec<f64> = rows
                .iter()
                .map(|&r| values[r])
                .filter(|v| !v.is_nan())
                .collect();
            (!present.is_empty()).then(|| mean(&present))
        }
    }
}

/// Withhold the training rows (and real share) of reported groups when the
/// training total minus the published groups would give away the suppressed groups' rows:
/// the groups, reported (each at least `min_rows`) and suppressed, are one partition of the
/// training rows ([`crate::cells`]).
fn protect_counts(groups: &mut [Group], suppressed: &[usize], min_rows: usize) {
    let mut cells: Vec<Cell> = groups
        .iter()
        .map(|g| Cell::new(g.train_rows.unwrap_or(0), min_rows))
        .collect();
    cells.extend(suppressed.iter().map(|&count| Cell {
        count,
        floor: 1,
        withheld: true,
    }));
    let withheld = withhold(&cells, min_rows).unwrap_or_else(|| vec![true; cells.len()]);
    for (group, _) in groups.iter_mut().zip(&withheld).filter(|(_, w)| **w) {
        group.train_rows = None;
        group.share_real = None;
        group.withheld.splice(0..0, ["train_rows", "share_real"]);
    }
}

/// What the subgroup metrics reuse from the rest of the evaluation.
pub(crate) struct Shared<'a> {
    pub(crate) target: Option<&'a TargetColumn>,
    pub(crate) utility: Option<&'a Utility>,
    /// Per synthetic row, its DCR-share outcome when the row was searched (the searches run on
    /// a sample of long tables).
    pub(crate) dcr_by_row: &'a [Option<f64>],
    /// The DCR-share outcomes of every searched synthetic row (the whole table's).
    pub(crate) dcr_outcomes: &'a [f64],
    /// The samples and the density-ratio membership attack on them, when privacy is scored.
    pub(crate) membership: Option<(&'a Samples, &'a Membership)>,
}

/// An interval as a pair, when both ends exist.
fn pair((low, high): (Option<f64>, Option<f64>)) -> Option<[f64; 2]> {
    Some([low?, high?])
}

/// The attack's AUC on `candidates` (indices into its scores) and its interval.
fn attack_on(
    attack: &Membership,
    candidates: &[usize],
    config: &EvaluationConfig,
    purpose: &str,
) -> Option<(f64, Option<[f64; 2]>)> {
    let members = candidates
        .iter()
        .filter(|&&i| attack.labels[i] == 1)
        .count();
    if members < MIN_CLASS_CANDIDATES || candidates.len() - members < MIN_CLASS_CANDIDATES {
        return None;
    }
    let auc = attack.resampled(candidates);
    let boot = resamples(candidates.len(), config, purpose)
        .iter()
        .map(|indices| {
            let picked: Vec<usize> = indices.iter().map(|&j| candidates[j]).collect();
            attack.resampled(&picked)
        })
        .collect();
    Some((auc, pair(bootstrap_interval(auc, boot))))
}

/// Fewest members and non-members of a group for its membership attack to be scored.
const MIN_CLASS_CANDIDATES: usize = 10;

/// Whether interval `group` lies wholly above interval `whole`.
fn above(group: Option<[f64; 2]>, whole: Option<[f64; 2]>) -> bool {
    matches!((group, whole), (Some([low, _]), Some([_, high])) if low > high)
}

impl Plan {
    /// The `subgroup.<attribute>.worst_gap` metrics.
    pub(crate) fn metrics(
        &self,
        train: &Prepared,
        holdout: &Prepared,
        synthetic: &Prepared,
        shared: &Shared<'_>,
        config: &EvaluationConfig,
    ) -> Result<Vec<Metric>> {
        let mut metrics = Vec::new();
        let whole_dcr = pair(mean_interval(
            shared.dcr_outcomes,
            config,
            "evaluate/subgroup/dcr_share",
        ));
        let whole_attack = shared.membership.and_then(|(_, attack)| {
            let all: Vec<usize> = (0..attack.labels.len()).collect();
            attack_on(attack, &all, config, "evaluate/subgroup/mia_auc")
        });
        for (name, split) in &self.attributes {
            // The attack's candidates: the train sample's first rows, then half B's.
            let candidate_keys: Option<Vec<u32>> = shared.membership.map(|(samples, attack)| {
                let count = attack.labels.len() / 2;
                let mut keys = split.keys(&samples.train);
                keys.truncate(count);
                let mut others = split.keys(&samples.half_b);
                others.truncate(count);
                keys.extend(others);
                keys
            });
            let (train_keys, holdout_keys, synthetic_keys) = (
                split.keys(train),
                split.keys(holdout),
                split.keys(synthetic),
            );
            let mut keys: Vec<u32> = train_keys.clone();
            keys.sort_unstable();
            keys.dedup();
            let mut groups = Vec::new();
            let mut suppressed = Vec::new();
            let mut plans = Vec::new();
            for key in keys {
                let train_rows = rows_of(&train_keys, key);
                let group_name = split.name(train, key);
                if train_rows.len() < self.min_rows {
                    suppressed.push(train_rows.len());
                    continue;
                }
                let holdout_rows = rows_of(&holdout_keys, key);
                let synthetic_rows = rows_of(&synthetic_keys, key);
                let real = train.resample(&train_rows);
                let shapes = |other: &Prepared, rows: &[usize]| {
                    (!rows.is_empty())
                        .then(|| {
                            column_shapes(&real, &other.resample(rows))
                                .ok()
                                .map(|s| s.0)
                        })
                        .flatten()
                };
                let (tstr, trtr) = shared
                    .utility
                    .map(|u| u.on_holdout_rows(&holdout_rows))
                    .unwrap_or((None, None));
                let rate_real = shared
                    .target
                    .and_then(|t| target_rate(train, &train_rows, t));
                // A two-class rate times the group's rows is its positive count.
                let rate_withheld = rate_real.is_some_and(|rate| {
                    shared
                        .target
                        .is_some_and(|t| t.classes_of_binary().is_some())
                        && {
                            let positive = (rate * train_rows.len() as f64).round() as usize;
                            let small = |n: usize| n > 0 && n < self.min_rows;
                            small(positive) || small(train_rows.len().saturating_sub(positive))
                        }
                });
                let searched: Vec<f64> = synthetic_rows
                    .iter()
                    .filter_map(|&r| shared.dcr_by_row[r])
                    .collect();
                let dcr_share_interval = (!searched.is_empty())
                    .then(|| {
                        pair(mean_interval(
                            &searched,
                            config,
                            &format!("evaluate/subgroup/{name}/{group_name}/dcr_share"),
                        ))
                    })
                    .flatten();
                let attack = shared.membership.zip(candidate_keys.as_ref()).and_then(
                    |((_, attack), keys)| {
                        let candidates: Vec<usize> =
                            (0..keys.len()).filter(|&i| keys[i] == key).collect();
                        attack_on(
                            attack,
                            &candidates,
                            config,
                            &format!("evaluate/subgroup/{name}/{group_name}/mia_auc"),
                        )
                    },
                );
                groups.push(Group {
                    group: group_name,
                    train_rows: Some(train_rows.len()),
                    share_real: Some(train_rows.len() as f64 / train.rows() as f64),
                    share_synthetic: synthetic_rows.len() as f64 / synthetic.rows() as f64,
                    column_shapes: shapes(synthetic, &synthetic_rows),
                    column_shapes_reference: shapes(holdout, &holdout_rows),
                    target_rate_real: if rate_withheld { None } else { rate_real },
                    target_rate_synthetic: shared
                        .target
                        .and_then(|t| target_rate(synthetic, &synthetic_rows, t)),
                    tstr,
                    trtr,
                    dcr_share: (!searched.is_empty()).then(|| mean(&searched)),
                    dcr_share_interval,
                    mia_auc: attack.map(|(auc, _)| auc),
                    mia_auc_interval: attack.and_then(|(_, interval)| interval),
                    privacy_status: shared.membership.map(|_| {
                        let exposed = above(dcr_share_interval, whole_dcr)
                            || above(
                                attack.and_then(|(_, interval)| interval),
                                whole_attack.and_then(|(_, interval)| interval),
                            );
                        if exposed { "exposed" } else { "as_whole" }
                    }),
                    withheld: if rate_withheld {
                        vec!["target_rate_real"]
                    } else {
                        Vec::new()
                    },
                });
                plans.push((real, key));
            }
            protect_counts(&mut groups, &suppressed, self.min_rows);
            // The worst group: the largest column-shapes shortfall (a group with no synthetic
            // row at all falls short by 1).
            let gaps: Vec<f64> = groups
                .iter()
                .map(|g| 1.0 - g.column_shapes.unwrap_or(0.0))
                .collect();
            let Some(worst) = (0..gaps.len()).max_by(|&a, &b| gaps[a].total_cmp(&gaps[b])) else {
                continue;
            };
            let reference = groups
                .iter()
                .filter_map(|g| g.column_shapes_reference.map(|s| 1.0 - s))
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            // The worst gap over groups, recomputed on a resample of `table`'s rows.
            let boot = |table: &Prepared, purpose: &str| -> Vec<f64> {
                resamples(table.rows(), config, purpose)
                    .iter()
                    .map(|indices| {
                        let sample = table.resample(indices);
                        let keys = split.keys(&sample);
                        plans
                            .iter()
                            .map(|(real, key)| {
                                let rows = rows_of(&keys, *key);
                                if rows.is_empty() {
                                    return 1.0;
                                }
                                column_shapes(real, &sample.resample(&rows))
                                    .map_or(1.0, |s| 1.0 - s.0)
                            })
                            .fold(f64::NEG_INFINITY, f64::max)
                    })
                    .collect()
            };
            let reference_interval = match reference {
                Some(r) => bootstrap_interval(
                    r,
                    boot(holdout, &format!("evaluate/subgroup/{name}/reference")),
                ),
                None => (None, None),
            };
            metrics.push(
                Metric::new(
                    &format!("subgroup.{name}.worst_gap"),
                    gaps[worst],
                    &format!(
                        "Subgroup fidelity for '{name}': the largest 1 - column shapes \
                         (SDMetrics' definition) of a group's synthetic rows against its \
                         training rows, over groups with at least {} training rows (smaller \
                         groups suppressed). Reference: the same for the holdout's groups, \
                         which are smaller and so score lower. Details: every group's shares, \
                         shapes, target rates, TSTR/TRTR and DCR share.",
                        self.min_rows
                    ),
                )
                .interval(bootstrap_interval(
                    gaps[worst],
                    boot(synthetic, &format!("evaluate/subgroup/{name}")),
                ))
                .reference(reference)
                .reference_interval(reference_interval)
                .clip(0.0, 1.0)
                .details(serde_json::json!({
                    "attribute": name,
                    "worst_group": groups[worst].group,
                    "min_group_rows": self.min_rows,
                    "groups": groups,
                    "suppressed_groups": suppressed.len(),
                })),
            );
            if shared.membership.is_some() {
                metrics.extend(privacy_metrics(
                    name,
                    &groups,
                    whole_dcr.map(|interval| (mean(shared.dcr_outcomes), interval)),
                    whole_attack,
                    self.min_rows,
                ));
            }
        }
        Ok(metrics)
    }
}

/// The worst group's value of a privacy number (`value` and `interval` read from a group), as
/// a metric with that group's interval and the whole table's numbers in its details.
fn worst_metric(
    id: String,
    definition: String,
    groups: &[Group],
    read: impl Fn(&Group) -> Option<(f64, Option<[f64; 2]>)>,
    whole: Option<(f64, Option<[f64; 2]>)>,
) -> Option<Metric> {
    let (worst, (value, interval)) = groups
        .iter()
        .filter_map(|g| read(g).map(|numbers| (g, numbers)))
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    let [low, high] = interval.map_or([None, None], |[l, h]| [Some(l), Some(h)]);
    Some(
        Metric::new(&id, value, &definition)
            .interval((low, high))
            .clip(0.0, 1.0)
            .details(serde_json::json!({
                "worst_group": worst.group,
                "whole_table": whole.map(|(v, _)| v),
                "whole_table_interval": whole.and_then(|(_, i)| i),
                "exposed": worst.privacy_status == Some("exposed"),
            })),
    )
}

/// `subgroup.<attribute>.worst_dcr_share`, `.worst_mia_auc` and `.exposed_groups`.
fn privacy_metrics(
    name: &str,
    groups: &[Group],
    whole_dcr: Option<(f64, [f64; 2])>,
    whole_attack: Option<(f64, Option<[f64; 2]>)>,
    min_rows: usize,
) -> Vec<Metric> {
    let mut metrics = Vec::new();
    metrics.extend(worst_metric(
        format!("subgroup.{name}.worst_dcr_share"),
        format!(
            "Subgroup privacy for '{name}': the largest DCR share of a group's synthetic rows \
             (as privacy.dcr_share, on the rows it searched), with that group's 95% bootstrap \
             interval, over groups with at least {min_rows} training rows. Details: the whole \
             table's share and interval; each group's numbers and status are in \
             subgroup.{name}.worst_gap's details."
        ),
        groups,
        |g| Some((g.dcr_share?, g.dcr_share_interval)),
        whole_dcr.map(|(value, interval)| (value, Some(interval))),
    ));
    metrics.extend(worst_metric(
        format!("subgroup.{name}.worst_mia_auc"),
        format!(
            "Subgroup privacy for '{name}': the largest ROC AUC of the density-ratio membership \
             attack (privacy.density_mia_auc) on one group's candidates, its training rows \
             against its holdout rows (at least {MIN_CLASS_CANDIDATES} of each), with that \
             group's 95% bootstrap interval. Details: the whole table's AUC and interval."
        ),
        groups,
        |g| Some((g.mia_auc?, g.mia_auc_interval)),
        whole_attack,
    ));
    let exposed: Vec<&str> = groups
        .iter()
        .filter(|g| g.privacy_status == Some("exposed"))
        .map(|g| g.group.as_str())
        .collect();
    metrics.push(
        Metric::new(
            &format!("subgroup.{name}.exposed_groups"),
            exposed.len() as f64,
            &format!(
                "Groups of '{name}' more exposed than the whole table: the 95% interval of their \
                 DCR share or of the membership attack's AUC on them lies wholly above the whole \
                 table's. A gate max = 0 fails a release with any such group."
            ),
        )
        .details(serde_json::json!({ "groups": exposed })),
    );
    metrics
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::harness::{EvaluationConfig, evaluate};
    use crate::{Column, Prepared};

    /// 1,000 rows: country A 600 rows (6 with income `>50K`), B 390 (40% `>50K`), and the
    /// rare `Holand-Netherlands` 10 rows; a second column so the shapes have something to
    /// score. Every tenth row of `shift` moves to the next category of `x`.
    fn table(rows: usize, shift: usize) -> Prepared {
        let (a, b) = (rows * 600 / 1000, rows * 390 / 1000);
        let country: Vec<u32> = (0..rows)
            .map(|r| match r {
                r if r < a => 0,
                r if r < a + b => 1,
                _ => 2,
            })
            .collect();
        let income: Vec<u32> = (0..rows)
            .map(|r| {
                let positive = if r < a {
                    r < a / 100
                } else if r < a + b {
                    (r - a) % 5 < 2
                } else {
                    r % 2 == 0
                };
                u32::from(positive)
            })
            .collect();
        let x: Vec<u32> = (0..rows).map(|r| ((r + shift) % 10 / 3) as u32).collect();
        Prepared {
            names: vec!["country".into(), "income".into(), "x".into()],
            columns: vec![
                Column::Discrete(country),
                Column::Discrete(income),
                Column::Discrete(x),
            ],
            rows,
            dictionaries: Arc::new(vec![
                vec!["A".into(), "B".into(), "Holand-Netherlands".into()],
                vec!["<=50K".into(), ">50K".into()],
                (0..4).map(|k| format!("x{k}")).collect(),
            ]),
        }
    }

    #[test]
    fn small_real_groups_are_neither_published_nor_recoverable_in_the_report() {
        let config = EvaluationConfig {
            target: Some("income".into()),
            sensitive: vec!["country".into()],
            min_group_rows: 100,
            resamples: 5,
            ..EvaluationConfig::default()
        };
        let (metrics, _) = evaluate(&table(1000, 0), &table(400, 1), &table(1000, 2), &config)
            .expect("evaluation");
        let subgroup = metrics
            .iter()
            .find(|m| m.id == "subgroup.country.worst_gap")
            .expect("subgroup metric");
        let details = &subgroup.details;
        // The suppressed group is counted, never named, anywhere in the report's numbers.
        assert_eq!(details["suppressed_groups"], 1);
        let json = serde_json::to_string(&metrics).expect("json");
        assert!(!json.contains("Holand-Netherlands"), "{details}");
        let group = |name: &str| {
            details["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .find(|g| g["group"] == name)
                .unwrap_or_else(|| panic!("no group {name}: {details}"))
                .clone()
        };
        let (a, b) = (group("A"), group("B"));
        // 1000 - 600 - 390 would give the suppressed group's 10 rows: the smaller reported
        // group's rows and share are withheld too.
        assert_eq!(a["train_rows"], 600, "{a}");
        assert_eq!(b["train_rows"], serde_json::Value::Null, "{b}");
        assert_eq!(b["share_real"], serde_json::Value::Null, "{b}");
        // A's real rate would be 6 of its 600 rows: withheld; B's 40% is not a small count.
        assert_eq!(a["target_rate_real"], serde_json::Value::Null, "{a}");
        assert_eq!(
            a["withheld"],
            serde_json::json!(["target_rate_real"]),
            "{a}"
        );
        assert_eq!(b["target_rate_real"], 0.4, "{b}");
        assert_eq!(
            b["withheld"],
            serde_json::json!(["train_rows", "share_real"]),
            "{b}"
        );
        // Synthetic shares are not counts of real rows: published.
        assert!(a["share_synthetic"].is_number() && b["share_synthetic"].is_number());
    }
}
