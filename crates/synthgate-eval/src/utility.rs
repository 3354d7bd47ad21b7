//! Utility: does a model trained on synthetic rows predict real rows as well as one trained on
//! real rows? Gradient-boosted trees ([`crate::gbdt`]) with fixed settings predict `--target`
//! from every other scored column and are scored on the holdout:
//!
//! - **TSTR** (train on synthetic, test on real) and **TRTR** (train on the training rows): ROC
//!   AUC for a two-class target, macro F1 for more classes, R² for a number;
//! - **TSTR / TRTR**;
//! - the **mix curve**: the holdout score when a fraction of the real training rows (1, 5, 10,
//!   25 and 100%) is added to the synthetic rows, against that real fraction alone, so the
//!   marginal gain of the synthetic rows shows where real data is scarce.
//!
//! Confidence intervals bootstrap the holdout rows with the models' predictions fixed.

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::{Error, Result, Seed};

use crate::Prepared;
use crate::gbdt::{self, Binner, Settings, Target};
use crate::values::{Column, MISSING};

/// Fractions of the real training rows on the mix curve.
pub const MIX_FRACTIONS: [f64; 8] = [0.0, 0.01, 0.02, 0.05, 0.10, 0.25, 0.50, 1.0];

/// What kind of prediction the target asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Two classes: ROC AUC.
    Binary,
    /// More classes: macro F1.
    Classes,
    /// A number: R².
    Regression,
}

impl Task {
    /// The score's name.
    pub fn measure(self) -> &'static str {
        match self {
            Task::Binary => "roc_auc",
            Task::Classes => "macro_f1",
            Task::Regression => "r2",
        }
    }
}

/// The target column and how its values become labels.
#[derive(Debug, Clone)]
pub struct TargetColumn {
    /// The column's index among the scored columns.
    pub index: usize,
    /// The prediction task.
    pub task: Task,
    /// Binary: the code of the positive class (the later of the two in sorted order).
    positive: u32,
    /// Binary: the code of the negative class.
    negative: u32,
    /// Classes: the number of codes.
    classes: usize,
}

impl TargetColumn {
    /// Two classes: the (positive, negative) codes.
    pub fn classes_of_binary(&self) -> Option<(u32, u32)> {
        (self.task == Task::Binary).then_some((self.positive, self.negative))
    }

    /// Check `name` as a target of `train`: it must exist and vary.
    pub fn new(train: &Prepared, name: &str) -> Result<TargetColumn> {
        let index = train.position(name).ok_or_else(|| {
            Error::input(format!(
                "--target '{name}' is not a scored column of the train table."
            ))
            .hint(format!(
                "Scored columns: {}. Identifiers and free text cannot be targets.",
                train.names().join(", ")
            ))
        })?;
        let constant = || {
            Error::input(format!(
                "--target '{name}' is constant (or missing) in the train table, so there is \
                 nothing to predict."
            ))
        };
        match &train.columns[index] {
            Column::Discrete(codes) => {
                let mut present: Vec<u32> =
                    codes.iter().copied().filter(|&c| c != MISSING).collect();
                present.sort_unstable();
                present.dedup();
                match present.len() {
                    0 | 1 => Err(constant()),
                    2 => Ok(TargetColumn {
                        index,
                        task: Task::Binary,
                        positive: present[1],
                        negative: present[0],
                        classes: 2,
                    }),
                    _ => Ok(TargetColumn {
                        index,
                        task: Task::Classes,
                        positive: 0,
                        negative: 0,
                        classes: train.categories(index),
                    }),
                }
            }
            Column::Continuous(values) => {
                let range = crate::nearest::value_range(values);
                if range.is_nan() || range == 0.0 {
                    return Err(constant());
                }
                Ok(TargetColumn {
                    index,
                    task: Task::Regression,
                    positive: 0,
                    negative: 0,
                    classes: 0,
                })
            }
        }
    }

    /// The rows of `table` with a usable label, and the labels.
    fn labels(&self, table: &Prepared) -> (Vec<usize>, Target) {
        match (&table.columns[self.index], self.task) {
            (Column::Discrete(codes), Task::Binary) => {
                let rows: Vec<usize> = (0..codes.len())
                    .filter(|&r| codes[r] == self.positive || codes[r] == self.negative)
                    .collect();
                let y = rows
                    .iter()
                    .map(|&r| u8::from(codes[r] == self.positive))
                    .collect();
                (rows, Target::Binary(y))
            }
            (Column::Discrete(codes), _) => {
                let rows: Vec<usize> = (0..codes.len())
                    .filter(|&r| (codes[r] as usize) < self.classes)
                    .collect();
                let labels = rows.iter().map(|&r| codes[r]).collect();
                (
                    rows,
                    Target::Classes {
                        labels,
                        classes: self.classes,
                    },
                )
            }
            (Column::Continuous(values), _) => {
                let rows: Vec<usize> = (0..values.len()).filter(|&r| !values[r].is_nan()).collect();
                let y = rows.iter().map(|&r| values[r]).collect();
                (rows, Target::Regression(y))
            }
        }
    }
}

/// A table's features (every scored column but the target) and labels, rows without a label
/// dropped.
#[derive(Debug, Clone)]
pub(crate) struct Labelled {
    pub(crate) features: Vec<Column>,
    pub(crate) target: Target,
    /// The source table's row of each row.
    pub(crate) source_rows: Vec<usize>,
}

impl Labelled {
    pub(crate) fn new(table: &Prepared, target: &TargetColumn) -> Labelled {
        let (rows, labels) = target.labels(table);
        let features = table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != target.index)
            .map(|(_, column)| column.take(&rows))
            .collect();
        Labelled {
            features,
            target: labels,
            source_rows: rows,
        }
    }

    /// Every scored column of `table` as features, each row labelled `label` (two-sample
    /// tests: 1 for synthetic, 0 for real).
    pub(crate) fn constant(table: &Prepared, label: u8) -> Labelled {
        Labelled {
            features: table.columns.clone(),
            target: Target::Binary(vec![label; table.rows]),
            source_rows: (0..table.rows).collect(),
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.target.len()
    }

    /// The rows at `indices`.
    pub(crate) fn take(&self, indices: &[usize]) -> Labelled {
        Labelled {
            features: self.features.iter().map(|c| c.take(indices)).collect(),
            target: take_target(&self.target, indices),
            source_rows: indices.iter().map(|&i| self.source_rows[i]).collect(),
        }
    }

    /// These rows followed by `other`'s.
    pub(crate) fn concat(&self, other: &Labelled) -> Labelled {
        // Both sides come from tables prepared together under one target, so their columns
        // and targets are of the same kinds.
        let features = self
            .features
            .iter()
            .zip(&other.features)
            .map(|(a, b)| match (a, b) {
                (Column::Continuous(a), Column::Continuous(b)) => {
                    Column::Continuous([a.as_slice(), b].concat())
                }
                (Column::Discrete(a), Column::Discrete(b)) => {
                    Column::Discrete([a.as_slice(), b].concat())
                }
                _ => unreachable!("columns prepared together have one kind"),
            })
            .collect();
        let target = match (&self.target, &other.target) {
            (Target::Binary(a), Target::Binary(b)) => Target::Binary([a.as_slice(), b].concat()),
            (Target::Regression(a), Target::Regression(b)) => {
                Target::Regression([a.as_slice(), b].concat())
            }
            (Target::Classes { labels: a, classes }, Target::Classes { labels: b, .. }) => {
                Target::Classes {
                    labels: [a.as_slice(), b].concat(),
                    classes: *classes,
                }
            }
            _ => unreachable!("labels of one target have one kind"),
        };
        let source_rows = self
            .source_rows
            .iter()
            .chain(&other.source_rows)
            .copied()
            .collect();
        Labelled {
            features,
            target,
            source_rows,
        }
    }
}

pub(crate) fn take_target(target: &Target, indices: &[usize]) -> Target {
    match target {
        Target::Binary(y) => Target::Binary(indices.iter().map(|&i| y[i]).collect()),
        Target::Classes { labels, classes } => Target::Classes {
            labels: indices.iter().map(|&i| labels[i]).collect(),
            classes: *classes,
        },
        Target::Regression(y) => Target::Regression(indices.iter().map(|&i| y[i]).collect()),
    }
}

/// Train on `training` and predict `test` (bins learnt on the training rows only).
pub(crate) fn fit_predict(training: &Labelled, test: &Labelled) -> Vec<f64> {
    let columns: Vec<&Column> = training.features.iter().collect();
    let binner = Binner::fit(&columns);
    let model = gbdt::train(
        &binner.transform(&columns),
        &training.target,
        &Settings::default(),
    );
    let test_columns: Vec<&Column> = test.features.iter().collect();
    model.predict(&binner.transform(&test_columns))
}

/// The task's score of `predictions` against `truth`.
pub(crate) fn task_score(predictions: &[f64], truth: &Target) -> Option<f64> {
    match truth {
        Target::Binary(y) => gbdt::roc_auc(predictions, y),
        Target::Classes { labels, classes } => gbdt::macro_f1(predictions, labels, *classes),
        Target::Regression(y) => gbdt::r2(predictions, y),
    }
}

/// One point of the mix curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixPoint {
    /// Fraction of the real training rows used.
    pub real_fraction: f64,
    /// Number of real training rows used.
    pub real_rows: usize,
    /// Holdout score of a model trained on the synthetic rows plus those real rows.
    pub mixed: Option<f64>,
    /// Holdout score of a model trained on those real rows alone (`None` with no real rows).
    pub real_only: Option<f64>,
    /// `mixed − real_only`: what the synthetic rows add.
    pub gain: Option<f64>,
}

/// Everything utility measures, with the fixed holdout predictions for the bootstrap.
#[derive(Debug, Clone)]
pub struct Utility {
    /// The task.
    pub task: Task,
    /// Holdout rows scored.
    pub holdout_rows: usize,
    /// Train on synthetic, test on the holdout.
    pub tstr: Option<f64>,
    /// Train on train, test on the holdout.
    pub trtr: Option<f64>,
    /// Train on as many training rows as there are synthetic rows (all when there are fewer),
    /// test on the holdout: what real data of the synthetic set's size achieves.
    pub trtr_matched: Option<f64>,
    /// The training rows that model saw.
    pub matched_rows: usize,
    /// The mix curve, fraction 0 first.
    pub mix_curve: Vec<MixPoint>,
    /// Holdout predictions of each mix-curve point's models: with the synthetic rows, and
    /// from the real rows alone (none at fraction 0).
    mix_predictions: Vec<(Vec<f64>, Option<Vec<f64>>)>,
    tstr_predictions: Vec<f64>,
    trtr_predictions: Vec<f64>,
    matched_predictions: Vec<f64>,
    truth: Target,
    /// The holdout row of each prediction.
    holdout_source: Vec<usize>,
}

impl Utility {
    /// Bootstrap `[tstr, trtr, trtr_matched]` on resampled holdout rows (the same rows for
    /// all three).
    pub fn resampled(&self, indices: &[usize]) -> [f64; 3] {
        let truth = take_target(&self.truth, indices);
        let score = |p: &[f64]| {
            let picked: Vec<f64> = indices.iter().map(|&i| p[i]).collect();
            task_score(&picked, &truth).unwrap_or(f64::NAN)
        };
        [
            score(&self.tstr_predictions),
            score(&self.trtr_predictions),
            score(&self.matched_predictions),
        ]
    }

    /// Bootstrap each mix-curve point's `(mixed, real_only)` scores on resampled holdout rows
    /// (`real_only` NaN at fraction 0), the same rows for every point.
    pub fn mix_resampled(&self, indices: &[usize]) -> Vec<(f64, f64)> {
        let truth = take_target(&self.truth, indices);
        let score = |p: &[f64]| {
            let picked: Vec<f64> = indices.iter().map(|&i| p[i]).collect();
            task_score(&picked, &truth).unwrap_or(f64::NAN)
        };
        self.mix_predictions
            .iter()
            .map(|(mixed, real_only)| (score(mixed), real_only.as_deref().map_or(f64::NAN, score)))
            .collect()
    }

    /// TSTR and TRTR on the labelled holdout rows among `rows` (a subgroup).
    pub fn on_holdout_rows(&self, rows: &[usize]) -> (Option<f64>, Option<f64>) {
        let wanted: std::collections::HashSet<usize> = rows.iter().copied().collect();
        let positions: Vec<usize> = (0..self.holdout_source.len())
            .filter(|&i| wanted.contains(&self.holdout_source[i]))
            .collect();
        if positions.is_empty() {
            return (None, None);
        }
        let truth = take_target(&self.truth, &positions);
        let pick = |p: &[f64]| positions.iter().map(|&i| p[i]).collect::<Vec<f64>>();
        (
            task_score(&pick(&self.tstr_predictions), &truth),
            task_score(&pick(&self.trtr_predictions), &truth),
        )
    }
}

/// Measure utility of `synthetic` for predicting `target`.
pub fn utility(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    target: &TargetColumn,
    seed: Seed,
) -> Result<Utility> {
    let train = Labelled::new(train, target);
    let holdout = Labelled::new(holdout, target);
    let synthetic = Labelled::new(synthetic, target);
    if holdout.rows() == 0 {
        return Err(Error::input(
            "the holdout table has no row with a usable target value.",
        ));
    }
    if synthetic.rows() == 0 {
        return Err(Error::input(
            "the synthetic table has no row with a target value the train table has.",
        ));
    }
    // A seeded order of the real rows; each fraction takes a prefix, so the sets are nested.
    let order = crate::stats::permutation(train.rows(), seed, "evaluate/mix_curve");
    let real_rows: Vec<usize> = MIX_FRACTIONS
        .iter()
        .map(|f| ((f * train.rows() as f64).ceil() as usize).min(train.rows()))
        .collect();
    // Every model of the curve: (real rows, with synthetic rows?).
    let mut jobs: Vec<(usize, bool)> = Vec::new();
    for &rows in &real_rows {
        jobs.push((rows, true));
        if rows > 0 {
            jobs.push((rows, false));
        }
    }
    let matched_rows = synthetic.rows().min(train.rows());
    if !jobs.contains(&(matched_rows, false)) {
        jobs.push((matched_rows, false));
    }
    let predictions: Vec<Vec<f64>> = jobs
        .par_iter()
        .map(|&(rows, with_synthetic)| {
            let real = train.take(&order[..rows]);
            let training = if with_synthetic {
                synthetic.concat(&real)
            } else {
                real
            };
            fit_predict(&training, &holdout)
        })
        .collect();
    let score = |rows: usize, with_synthetic: bool| {
        jobs.iter()
            .position(|&j| j == (rows, with_synthetic))
            .map(|at| &predictions[at])
    };
    let mix_curve = MIX_FRACTIONS
        .iter()
        .zip(&real_rows)
        .map(|(&fraction, &rows)| {
            let mixed = score(rows, true).and_then(|p| task_score(p, &holdout.target));
            let real_only = score(rows, false).and_then(|p| task_score(p, &holdout.target));
            MixPoint {
                real_fraction: fraction,
                real_rows: rows,
                mixed,
                real_only,
                gain: mixed.zip(real_only).map(|(m, r)| m - r),
            }
        })
        .collect::<Vec<_>>();
    let mix_predictions = real_rows
        .iter()
        .map(|&rows| {
            (
                score(rows, true).cloned().unwrap_or_default(),
                score(rows, false).cloned(),
            )
        })
        .collect();
    let tstr_predictions = score(0, true).cloned().unwrap_or_default();
    let trtr_predictions = score(train.rows(), false).cloned().unwrap_or_default();
    let matched_predictions = score(matched_rows, false).cloned().unwrap_or_default();
    Ok(Utility {
        task: target.task,
        holdout_rows: holdout.rows(),
        tstr: task_score(&tstr_predictions, &holdout.target),
        trtr: task_score(&trtr_predictions, &holdout.target),
        trtr_matched: task_score(&matched_predictions, &holdout.target),
        matched_rows,
        mix_curve,
        mix_predictions,
        tstr_predictions,
        trtr_predictions,
        matched_predictions,
        holdout_source: holdout.source_rows,
        truth: holdout.target,
    })
}
