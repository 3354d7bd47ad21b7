//! Detection: can a classifier tell synthetic rows from real ones? A classifier two-sample
//! test: the training rows (label 0) and the synthetic rows (label 1) are split into three
//! stratified folds by a seeded shuffle; gradient-boosted trees ([`crate::gbdt`]) trained on two
//! folds score the third, and the ROC AUC of the pooled out-of-fold scores is the metric: 0.5
//! means indistinguishable, 1 means every synthetic row gives itself away. The same model
//! family and folds as SDMetrics' `LogisticDetection` (three stratified folds), with a stronger
//! classifier; SDMetrics' score `1 − (2·max(AUC, 0.5) − 1)` is in the details.

use rayon::prelude::*;
use synthgate_core::Seed;

use crate::Prepared;
use crate::gbdt::{self, Target};
use crate::utility::{Labelled, fit_predict};

/// Folds of the cross-validation.
pub const FOLDS: usize = 3;

/// Out-of-fold scores of a detection test.
#[derive(Debug, Clone)]
pub struct Detection {
    /// ROC AUC of the pooled out-of-fold scores.
    pub auc: Option<f64>,
    /// Each row's out-of-fold score (real rows first).
    pub scores: Vec<f64>,
    /// Each row's label (1 = synthetic).
    pub labels: Vec<u8>,
}

impl Detection {
    /// The AUC of resampled rows.
    pub fn resampled(&self, indices: &[usize]) -> f64 {
        let scores: Vec<f64> = indices.iter().map(|&i| self.scores[i]).collect();
        let labels: Vec<u8> = indices.iter().map(|&i| self.labels[i]).collect();
        gbdt::roc_auc(&scores, &labels).unwrap_or(f64::NAN)
    }
}

/// Fold of every row: a seeded shuffle within each class, then positions taken in turn.
fn folds(labels: &[u8], seed: Seed, purpose: &str) -> Vec<usize> {
    let mut fold = vec![0usize; labels.len()];
    for class in [0u8, 1] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&r| labels[r] == class).collect();
        crate::stats::shuffle(&mut rows, &mut seed.stream(purpose, u64::from(class)));
        for (position, row) in rows.into_iter().enumerate() {
            fold[row] = position % FOLDS;
        }
    }
    fold
}

/// The detection test of `synthetic` against `real`.
pub fn detection(real: &Prepared, synthetic: &Prepared, seed: Seed, purpose: &str) -> Detection {
    let all = Labelled::constant(real, 0).concat(&Labelled::constant(synthetic, 1));
    let labels = match &all.target {
        Target::Binary(y) => y.clone(),
        _ => Vec::new(),
    };
    let fold = folds(&labels, seed, purpose);
    let per_fold: Vec<(Vec<usize>, Vec<f64>)> = (0..FOLDS)
        .into_par_iter()
        .map(|k| {
            let test: Vec<usize> = (0..labels.len()).filter(|&r| fold[r] == k).collect();
            let training: Vec<usize> = (0..labels.len()).filter(|&r| fold[r] != k).collect();
            let predictions = fit_predict(&all.take(&training), &all.take(&test));
            (test, predictions)
        })
        .collect();
    let mut scores = vec![0.0; labels.len()];
    for (rows, predictions) in per_fold {
        for (row, score) in rows.into_iter().zip(predictions) {
            scores[row] = score;
        }
    }
    Detection {
        auc: gbdt::roc_auc(&scores, &labels),
        scores,
        labels,
    }
}
