//! A metric and its intervals: the [`Metric`] record every evaluation step returns, the
//! [`EvaluationConfig`] they all read, and the bootstrap and percentile intervals they share.
//! Every metric module depends on this one; none depends on the harness that runs them.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use synthgate_core::{Result, Seed, unit_f64};

use crate::Prepared;
use crate::stats::{mean, quantile};

/// One metric of a report (read back from `report.json` as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Stable id, e.g. `fidelity.column_shapes`: its row of the metric table
    /// ([`synthgate_core::metrics`]) says what it means.
    pub id: String,
    /// The score (`NaN`, written as `null`, when it could not be computed).
    #[serde(serialize_with = "null_for_nan", deserialize_with = "nan_for_null")]
    pub value: f64,
    /// Lower end of the 95% bootstrap interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% bootstrap interval.
    pub ci_high: Option<f64>,
    /// What real data the generator never saw scores on the same metric.
    pub holdout_reference: Option<f64>,
    /// Lower end of the reference's own 95% interval (the same bootstrap over the holdout's
    /// rows): where a real sample like the holdout lands.
    pub reference_ci_low: Option<f64>,
    /// Upper end of the reference's own 95% interval.
    pub reference_ci_high: Option<f64>,
    /// The definition followed, with its source.
    pub definition: String,
    /// Per-column or per-pair scores, curve points, groups.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

/// `NaN` (not computable) written as `null` on purpose, so that JSON that is hashed and
/// signed never holds a non-finite number by accident (an infinity stays one, and is refused).
fn null_for_nan<S: serde::Serializer>(
    value: &f64,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    if value.is_nan() {
        serializer.serialize_none()
    } else {
        serializer.serialize_f64(*value)
    }
}

/// A number written as `null` (a `NaN`: not computable) read back as `NaN`.
fn nan_for_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

impl Metric {
    /// A metric with a value and its definition, no interval, reference or details yet.
    pub fn new(id: &str, value: f64, definition: &str) -> Metric {
        Metric {
            id: id.to_string(),
            value,
            ci_low: None,
            ci_high: None,
            holdout_reference: None,
            reference_ci_low: None,
            reference_ci_high: None,
            definition: definition.to_string(),
            details: serde_json::Value::Null,
        }
    }

    pub(crate) fn interval(mut self, (low, high): (Option<f64>, Option<f64>)) -> Metric {
        self.ci_low = low;
        self.ci_high = high;
        self
    }

    pub(crate) fn reference(mut self, reference: Option<f64>) -> Metric {
        self.holdout_reference = reference;
        self
    }

    pub(crate) fn reference_interval(mut self, (low, high): (Option<f64>, Option<f64>)) -> Metric {
        self.reference_ci_low = low;
        self.reference_ci_high = high;
        self
    }

    pub(crate) fn details(mut self, details: impl Serialize) -> Metric {
        self.details = serde_json::to_value(details).unwrap_or_default();
        self
    }

    /// Clip both intervals to `[low, high]`.
    pub(crate) fn clip(mut self, low: f64, high: f64) -> Metric {
        for bound in [
            &mut self.ci_low,
            &mut self.ci_high,
            &mut self.reference_ci_low,
            &mut self.reference_ci_high,
        ] {
            *bound = bound.map(|v| v.clamp(low, high));
        }
        self
    }
}

/// How to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationConfig {
    /// Seed of every sample, fold and bootstrap resample.
    pub seed: Seed,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// The column utility predicts (no utility metrics without one).
    pub target: Option<String>,
    /// Sensitive attributes for subgroup fidelity.
    pub sensitive: Vec<String>,
    /// Smallest group (in the train table) reported per sensitive attribute; smaller ones are
    /// suppressed.
    pub min_group_rows: usize,
    /// The column the inference attack guesses (default: the target, else the last column).
    pub secret: Option<String>,
    /// The linkability attack's two column sets (default: first and second half of the
    /// columns).
    pub link_columns: Option<(Vec<String>, Vec<String>)>,
    /// Targets of the linkability and inference attacks, each side (default
    /// [`LINK_ATTACKS`], 2,000, as the peer fixtures; at most the train and
    /// holdout rows). More narrows their risks' intervals: on Adult's income, whose guess
    /// succeeds 79% of the time from the other columns alone, 2,000 leave the inference
    /// risk's interval about 0.12 either side.
    pub attacks: usize,
    /// Whether to run the privacy attacks (default true). `synthgate drift` turns them off:
    /// against a new snapshot they would measure nothing about the training rows.
    pub privacy: bool,
}

/// Targets of the linkability and inference attacks by default ([`EvaluationConfig::attacks`]).
pub const LINK_ATTACKS: usize = 2000;

impl Default for EvaluationConfig {
    fn default() -> EvaluationConfig {
        EvaluationConfig {
            seed: Seed(0),
            resamples: 50,
            target: None,
            sensitive: Vec::new(),
            min_group_rows: 100,
            secret: None,
            link_columns: None,
            attacks: LINK_ATTACKS,
            privacy: true,
        }
    }
}

/// The plain 2.5th–97.5th percentile interval of `values` (NaNs ignored).
pub(crate) fn percentile_interval(mut values: Vec<f64>) -> (Option<f64>, Option<f64>) {
    values.retain(|v| !v.is_nan());
    (quantile(&values, 0.025), quantile(&values, 0.975))
}

/// The 95% bootstrap interval of `estimate` from the resampled `values` (NaNs ignored): the
/// 2.5th and 97.5th percentiles, shifted by the bootstrap's estimated bias (mean of the
/// resamples minus the estimate). Resampling rows with replacement repeats rows, which lowers
/// distance-based fidelity scores; without the shift the interval would sit below the score.
pub(crate) fn bootstrap_interval(
    estimate: f64,
    mut values: Vec<f64>,
) -> (Option<f64>, Option<f64>) {
    values.retain(|v| !v.is_nan());
    if values.is_empty() || estimate.is_nan() {
        return (None, None);
    }
    let bias = mean(&values) - estimate;
    let low = quantile(&values, 0.025).unwrap_or(estimate);
    let high = quantile(&values, 0.975).unwrap_or(estimate);
    (Some(low - bias), Some(high - bias))
}

/// Bootstrap resamples of `rows` row indices, each from its own seed stream.
pub(crate) fn resamples(rows: usize, config: &EvaluationConfig, purpose: &str) -> Vec<Vec<usize>> {
    (0..config.resamples)
        .map(|index| {
            let mut rng = config.seed.stream(purpose, index as u64);
            (0..rows)
                .map(|_| ((unit_f64(&mut rng) * rows as f64) as usize).min(rows.saturating_sub(1)))
                .collect()
        })
        .collect()
}

/// Bootstrap values of `score` on resamples of `table`'s rows.
pub(crate) fn boot_rows<F>(
    table: &Prepared,
    config: &EvaluationConfig,
    purpose: &str,
    score: F,
) -> Vec<f64>
where
    F: Fn(&Prepared) -> Option<f64> + Sync,
{
    resamples(table.rows(), config, purpose)
        .par_iter()
        .map(|indices| score(&table.resample(indices)).unwrap_or(f64::NAN))
        .collect()
}

/// A metric of a whole table against train: its value on `synthetic` and its reference on
/// `holdout`, each with a bootstrap interval over its own rows. `None` when the synthetic
/// table cannot be scored.
pub(crate) fn table_metric<F>(
    id: &str,
    definition: &str,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
    score: F,
) -> Option<Metric>
where
    F: Fn(&Prepared) -> Option<f64> + Sync,
{
    let value = score(synthetic)?;
    let boot = boot_rows(synthetic, config, &format!("evaluate/{id}"), &score);
    let reference = score(holdout);
    let reference_interval = match reference {
        Some(r) => bootstrap_interval(
            r,
            boot_rows(holdout, config, &format!("evaluate/{id}/reference"), &score),
        ),
        None => (None, None),
    };
    Some(
        Metric::new(id, value, definition)
            .interval(bootstrap_interval(value, boot))
            .reference(reference)
            .reference_interval(reference_interval),
    )
}

/// The interval of a mean of fixed per-row values.
pub(crate) fn mean_interval(
    values: &[f64],
    config: &EvaluationConfig,
    purpose: &str,
) -> (Option<f64>, Option<f64>) {
    let boot = resamples(values.len(), config, purpose)
        .iter()
        .map(|indices| {
            indices.iter().map(|&i| values[i]).sum::<f64>() / indices.len().max(1) as f64
        })
        .collect();
    bootstrap_interval(mean(values), boot)
}

pub(crate) fn flags(values: &[bool]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(u8::from(v))).collect()
}

/// Tell `progress` that step `label` starts, then run it. The evaluation neither reads a clock
/// nor prints: a front end that wants step timings measures between the steps it hears.
pub(crate) fn step<T>(
    progress: &mut dyn FnMut(&str) -> Result<()>,
    label: &str,
    work: impl FnOnce() -> T,
) -> Result<T> {
    progress(label)?;
    Ok(work())
}
