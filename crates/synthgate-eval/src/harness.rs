//! The harness: every metric on (train, holdout, synthetic), each with a bootstrap interval and
//! the score real data the generator never saw gets on the same metric.

use rayon::prelude::*;
use serde::Serialize;
use synthgate_core::metrics::{Family, family_of};
use synthgate_core::{Error, Result, Seed};

use crate::detection::detection;
pub use crate::metric::{EvaluationConfig, Metric};
use crate::metric::{
    boot_rows, bootstrap_interval, flags, mean_interval, percentile_interval, resamples, step,
    table_metric,
};
use crate::privacy::{
    MAX_SEARCH_ROWS, Membership, Samples, dcr_share, density_attack, membership_attack,
};
use crate::stats::{mean, quantile};
use crate::utility::{TargetColumn, utility};
use crate::{
    ColumnScore, Prepared, category_coverage, column_pair_trends, column_shapes,
    copies_of_training_rows, dcr, missing_rates, pairs, range_coverage,
};

/// A report's verdict-free warnings about its inputs.
/// `overlap` is the share of holdout rows identical to a training row.
fn input_warnings(holdout: &Prepared, overlap: f64) -> Vec<String> {
    let mut warnings = Vec::new();
    if overlap >= 0.5 {
        warnings.push(format!(
            "{:.1}% of the holdout's rows are identical to a training row: if the holdout \
             overlaps the training data, every holdout reference (and the privacy metrics) \
             understates what the generator memorised. Use rows the generator never saw.",
            overlap * 100.0
        ));
    }
    if holdout.rows() < 200 {
        warnings.push(format!(
            "the holdout has only {} rows: its references and the privacy metrics are noisy.",
            holdout.rows()
        ));
    }
    warnings
}

/// Most rows of each table the harness scores. A longer table is scored on a seeded sample
/// of this many of its rows ([`capped_rows`]): the exact nearest-row searches grow with the
/// product of two tables' rows, and every bootstrapped metric is recomputed on every
/// resample, so past this size the evaluation would take far longer than fitting. The
/// report's warnings say which tables were sampled, from how many rows.
pub const MAX_ROWS: usize = 50_000;

/// The seed stream of a table's row sample is `evaluate/rows/<role>` (role `train`, `holdout`
/// or `synthetic`).
pub const ROWS_STREAM: &str = "evaluate/rows";

/// The rows of a table of `rows` rows the harness scores: all of them up to [`MAX_ROWS`]; past
/// that, the first [`MAX_ROWS`] of a seeded permutation (stream `evaluate/rows/<role>`), in
/// their original order.
pub fn capped_rows(rows: usize, seed: Seed, role: &str) -> Vec<usize> {
    if rows <= MAX_ROWS {
        return (0..rows).collect();
    }
    let mut kept = crate::stats::permutation(rows, seed, &format!("{ROWS_STREAM}/{role}"));
    kept.truncate(MAX_ROWS);
    kept.sort_unstable();
    kept
}

/// `table` cut to the rows [`capped_rows`] keeps, and a warning when rows were left out.
pub(crate) fn cap<'a>(
    table: &'a Prepared,
    seed: Seed,
    role: &str,
) -> (std::borrow::Cow<'a, Prepared>, Option<String>) {
    if table.rows() <= MAX_ROWS {
        return (std::borrow::Cow::Borrowed(table), None);
    }
    let warning = format!(
        "the {role} table has {} rows: every metric scores a seeded sample of {MAX_ROWS} of \
         them (seed stream '{ROWS_STREAM}/{role}'), since the nearest-row searches, attacks, \
         models and bootstraps would otherwise take far longer than fitting.",
        table.rows()
    );
    let rows = capped_rows(table.rows(), seed, role);
    (
        std::borrow::Cow::Owned(table.resample(&rows)),
        Some(warning),
    )
}

/// The warning that the nearest-row searches ran on samples, when [`Samples`] cut any table
/// to fit [`MAX_SEARCH_ROWS`].
fn search_warning(samples: &Samples, synthetic: &Prepared, holdout: &Prepared) -> Option<String> {
    let sampled = samples.synthetic.rows() < synthetic.rows()
        || samples.train.rows() < samples.train_order.len().min(holdout.rows())
        || samples.half_a.rows() + samples.half_b.rows() < holdout.rows();
    sampled.then(|| {
        format!(
            "the distance metrics whose queries are synthetic rows (DCR share, NNDR, closer to \
             training) searched a seeded sample of at most {MAX_SEARCH_ROWS} of them, and the \
             DCR share's equal-size train and holdout samples and the references' holdout \
             halves are at most that long: each exact search's cost is the product of two \
             tables' rows. Closer-to-training still searches the whole train and holdout \
             tables, and the attacks (membership, linkability, inference) search the whole \
             synthetic table."
        )
    })
}

/// Evaluate `synthetic` against `train` and `holdout` (all prepared together by
/// [`crate::prepare`]). Returns the metrics and warnings about the inputs. Tables of more than
/// [`MAX_ROWS`] rows are scored on a seeded sample of that many rows, and a warning says so.
pub fn evaluate(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
) -> Result<(Vec<Metric>, Vec<String>)> {
    evaluate_with_progress(train, holdout, synthetic, config, &mut |_| Ok(()))
}

/// [`evaluate`], telling `progress` the name of each step (e.g. `"accuracy"`) as it starts, so
/// a caller can show where a long evaluation is.
pub fn evaluate_with_progress(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<(Vec<Metric>, Vec<String>)> {
    for (which, table) in [
        ("train", train),
        ("holdout", holdout),
        ("synthetic", synthetic),
    ] {
        if table.rows() == 0 {
            return Err(Error::input(format!("the {which} table has no rows.")));
        }
    }
    let (train, train_warning) = cap(train, config.seed, "train");
    let (holdout, holdout_warning) = cap(holdout, config.seed, "holdout");
    let (synthetic, synthetic_warning) = cap(synthetic, config.seed, "synthetic");
    let (train, holdout, synthetic) = (&*train, &*holdout, &*synthetic);
    let sampled: Vec<String> = [train_warning, holdout_warning, synthetic_warning]
        .into_iter()
        .flatten()
        .collect();
    if holdout.rows() < 2 {
        return Err(Error::input(
            "the holdout needs at least 2 rows (it is split in halves for privacy references).",
        ));
    }
    let target = config
        .target
        .as_deref()
        .map(|name| TargetColumn::new(train, name))
        .transpose()?;
    let subgroups = crate::subgroups::Plan::new(train, &config.sensitive, config.min_group_rows)?;
    // Per holdout row, whether it copies a training row: the overlap warning and the copy
    // rate's reference.
    let holdout_copies = flags(&copies_of_training_rows(train, holdout));
    let mut warnings = input_warnings(holdout, mean(&holdout_copies));
    warnings.extend(sampled);

    if let Some(secret) = &config.secret
        && train.position(secret).is_none()
    {
        return Err(Error::input(format!(
            "--secret '{secret}' is not a scored column of the train table."
        )));
    }

    let mut metrics = Vec::new();
    metrics.extend(fidelity(train, holdout, synthetic, config, progress)?);
    let utility = match &target {
        Some(target) => Some(step(progress, "utility", || {
            utility(train, holdout, synthetic, target, config.seed)
        })??),
        None => None,
    };
    if let (Some(target), Some(result)) = (&target, &utility) {
        metrics.extend(utility_metrics(train, target, result, config));
    }
    let samples = Samples::new(train, holdout, synthetic, config.seed);
    if let Some(warning) = search_warning(&samples, synthetic, holdout) {
        warnings.push(warning);
    }
    let shares = step(progress, "dcr share", || {
        dcr_share(&samples.train, &samples.holdout, &samples.synthetic, train)
    })?;
    let density = config
        .privacy
        .then(|| {
            step(progress, "density-ratio membership attack", || {
                density_attack(
                    &samples.train,
                    &samples.half_b,
                    synthetic,
                    &samples.half_a,
                    train,
                )
            })
        })
        .transpose()?;
    if let Some(density) = &density {
        metrics.extend(privacy_metrics(
            (train, holdout, synthetic),
            (&samples, &shares, density),
            &holdout_copies,
            config,
            progress,
        )?);
    }
    let mut dcr_by_row = vec![None; synthetic.rows()];
    for (&row, &outcome) in samples.synthetic_rows.iter().zip(&shares.outcomes) {
        dcr_by_row[row] = Some(outcome);
    }
    let shared = crate::subgroups::Shared {
        target: target.as_ref(),
        utility: utility.as_ref(),
        dcr_by_row: &dcr_by_row,
        dcr_outcomes: &shares.outcomes,
        membership: density.as_ref().map(|attack| (&samples, attack)),
    };
    metrics.extend(step(progress, "subgroups", || {
        subgroups.metrics(train, holdout, synthetic, &shared, config)
    })??);
    Ok((metrics, warnings))
}

fn fidelity(
    train: &Prepared,
    holdout: &Prepared,
    synthetic: &Prepared,
    config: &EvaluationConfig,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Vec<Metric>> {
    let mut metrics = Vec::new();
    let (_, mut columns) = column_shapes(train, synthetic)?;
    for (at, column) in columns.iter_mut().enumerate() {
        column.distribution = Some(crate::distributions::distribution(
            train,
            holdout,
            synthetic,
            at,
            config.min_group_rows,
        ));
    }
    let shapes = step(progress, "column shapes", || {
        table_metric(
            "fidelity.column_shapes",
            "SDMetrics 0.32 Quality Report 'Column Shapes': mean of KSComplement (numerical, \
             datetime) and TVComplement (categorical) per column; synthetic vs train. \
             Reference: the holdout in the synthetic set's place, at its own size (smaller \
             samples score lower).",
            holdout,
            synthetic,
            config,
            |t| column_shapes(train, t).ok().map(|s| s.0),
        )
    })?;
    metrics.extend(shapes.map(|m| m.clip(0.0, 1.0).details(&columns)));

    let (_, pair_scores) = column_pair_trends(train, synthetic);
    let plan = pairs::PairPlan::new(&train.columns);
    let trends = step(progress, "column pair trends", || {
        table_metric(
            "fidelity.column_pair_trends",
            "SDMetrics 0.32 Quality Report 'Column Pair Trends': mean of \
             CorrelationSimilarity (Pearson, pairs with real |r| > 0.5) and \
             ContingencySimilarity (10 equal-width bins for numbers, pairs with real Cramer's V \
             > 0.3); synthetic vs train. Reference: the holdout in the synthetic set's place, \
             at its own size.",
            holdout,
            synthetic,
            config,
            |t| plan.mean(&t.columns),
        )
    })?;
    metrics.extend(trends.map(|m| m.clip(0.0, 1.0).details(&pair_scores)));

    metrics.extend(step(progress, "accuracy", || {
        crate::accuracy::metrics(train, holdout, synthetic, config)
    })?);
    metrics.extend(step(progress, "k-marginal", || {
        crate::kmarginal::metric(train, holdout, synthetic, config)
    })?);

    let detected = step(progress, "detection", || {
        detection(train, synthetic, config.seed, "evaluate/detection")
    })?;
    if let Some(auc) = detected.auc {
        let boot: Vec<f64> = resamples(detected.labels.len(), config, "evaluate/detection/boot")
            .par_iter()
            .map(|indices| detected.resampled(indices))
            .collect();
        let reference = step(progress, "detection reference", || {
            detection(train, holdout, config.seed, "evaluate/detection")
        })?;
        let reference_interval = match reference.auc {
            Some(r) => bootstrap_interval(
                r,
                resamples(
                    reference.labels.len(),
                    config,
                    "evaluate/detection/reference",
                )
                .par_iter()
                .map(|indices| reference.resampled(indices))
                .collect(),
            ),
            None => (None, None),
        };
        metrics.push(
            Metric::new(
                "fidelity.detection_auc",
                auc,
                "Classifier two-sample test: gradient-boosted trees (100 rounds, depth 6) \
                 separate train rows from synthetic rows; ROC AUC of the pooled out-of-fold \
                 scores of 3 stratified, seeded folds. 0.5 = indistinguishable, 1 = every \
                 synthetic row detected. Reference: the holdout in the synthetic set's place.",
            )
            .interval(bootstrap_interval(auc, boot))
            .reference(reference.auc)
            .reference_interval(reference_interval)
            .clip(0.0, 1.0)
            .details(serde_json::json!({
                "folds": crate::detection::FOLDS,
                "sdmetrics_detection_score": 1.0 - (2.0 * auc.max(0.5) - 1.0),
            })),
        );
    }

    type PerColumn = fn(&Prepared, &Prepared) -> (Option<f64>, Vec<ColumnScore>);
    let per_column_metrics: [(&str, &str, PerColumn); 3] = [
        (
            "fidelity.missing_rates",
            "Mean over columns of SDMetrics 0.32 MissingValueSimilarity: 1 - |missing share \
             real - missing share synthetic|; synthetic vs train. Reference: the holdout.",
            missing_rates,
        ),
        (
            "fidelity.category_coverage",
            "Mean over categorical columns of SDMetrics 0.32 CategoryCoverage: the share of the \
             training data's categories that appear in the synthetic data. Reference: the \
             holdout, at its own size.",
            category_coverage,
        ),
        (
            "fidelity.range_coverage",
            "Mean over numerical and datetime columns of SDMetrics 0.32 RangeCoverage: how much \
             of the training range [min, max] the synthetic values span. Reference: the \
             holdout, at its own size.",
            range_coverage,
        ),
    ];
    for (id, definition, metric) in per_column_metrics {
        let (Some(value), details) = metric(train, synthetic) else {
            continue;
        };
        let score = |t: &Prepared| metric(train, t).0;
        // Coverage can only fall when rows are resampled (rare values drop out), so its
        // intervals are plain percentiles: of resamples of the synthetic rows, and for the
        // reference, of samples of the holdout's size drawn from the training rows (what a
        // real sample of that size covers).
        let reference_boot = resamples(train.rows(), config, &format!("evaluate/{id}/reference"))
            .par_iter()
            .map(|indices| score(&train.resample(&indices[..holdout.rows().min(indices.len())])))
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        metrics.push(
            Metric::new(id, value, definition)
                .interval(percentile_interval(boot_rows(
                    synthetic,
                    config,
                    &format!("evaluate/{id}"),
                    score,
                )))
                .reference(score(holdout))
                .reference_interval(percentile_interval(reference_boot))
                .clip(0.0, 1.0)
                .details(&details),
        );
    }
    metrics.extend(crate::duplicates::metric(holdout, synthetic, config));
    Ok(metrics)
}

fn utility_metrics(
    train: &Prepared,
    target: &TargetColumn,
    result: &crate::utility::Utility,
    config: &EvaluationConfig,
) -> Vec<Metric> {
    let measure = result.task.measure();
    let indices = resamples(result.holdout_rows, config, "evaluate/utility");
    let boot: Vec<[f64; 3]> = indices
        .par_iter()
        .map(|indices| result.resampled(indices))
        .collect();
    let mix_boot: Vec<Vec<(f64, f64)>> = indices
        .par_iter()
        .map(|indices| result.mix_resampled(indices))
        .collect();
    let series = |f: fn(&[f64; 3]) -> f64| -> Vec<f64> { boot.iter().map(f).collect() };
    let name = &train.names()[target.index];
    let details = serde_json::json!({ "target": name, "task": result.task, "measure": measure,
        "holdout_rows": result.holdout_rows, "reference_train_rows": result.matched_rows });
    let mut metrics = Vec::new();
    if let (Some(tstr), Some(trtr), Some(matched)) = (result.tstr, result.trtr, result.trtr_matched)
    {
        metrics.push(
            Metric::new(
                "utility.tstr",
                tstr,
                &format!(
                    "Train on synthetic, test on real: gradient-boosted trees (100 rounds, depth \
                     6) predict '{name}' from the other columns, trained on the synthetic rows, \
                     scored on the holdout by {measure} (ROC AUC for two classes, macro F1 for \
                     more, R2 for numbers). Reference: the same model trained on as many real \
                     training rows as there are synthetic rows (all of them when there are \
                     fewer), since the number of rows moves the score."
                ),
            )
            .interval(bootstrap_interval(tstr, series(|b| b[0])))
            .reference(Some(matched))
            .reference_interval(bootstrap_interval(matched, series(|b| b[2])))
            .details(&details),
        );
        metrics.push(
            Metric::new(
                "utility.trtr",
                trtr,
                &format!(
                    "Train on real, test on real: the TSTR model trained on all training rows, \
                     scored on the holdout by {measure}."
                ),
            )
            .interval(bootstrap_interval(trtr, series(|b| b[1])))
            .details(&details),
        );
        metrics.push(
            Metric::new(
                "utility.tstr_ratio",
                tstr / trtr,
                "utility.tstr / utility.trtr (1 = synthetic rows train as good a model as all the \
                 real ones); the interval resamples the same holdout rows for both. Reference: \
                 the ratio real rows of the synthetic set's size reach (1 when there are at \
                 least as many synthetic rows as training rows), its interval that of the \
                 reference TSTR over utility.trtr.",
            )
            .interval(bootstrap_interval(tstr / trtr, series(|b| b[0] / b[1])))
            .reference(Some(matched / trtr))
            .reference_interval(match bootstrap_interval(matched, series(|b| b[2])) {
                (Some(low), Some(high)) => (Some(low / trtr), Some(high / trtr)),
                other => other,
            })
            .details(&details),
        );
    }
    let gains: Vec<f64> = result
        .mix_curve
        .iter()
        .filter(|p| p.real_fraction > 0.0 && p.real_fraction <= 0.25)
        .filter_map(|p| p.gain)
        .collect();
    if !gains.is_empty() {
        metrics.push(
            Metric::new(
                "utility.mix_curve",
                mean(&gains),
                &format!(
                    "Mix curve: the holdout {measure} of models trained on all synthetic rows \
                     plus 0, 1, 2, 5, 10, 25, 50 or 100% of the real training rows (a seeded, \
                     nested sample), against the same real rows alone. The value is the mean \
                     gain the synthetic rows add at 1-25% real data (positive = a little real \
                     data goes further with synthetic rows); the points, with intervals, are in \
                     the details."
                ),
            )
            .details(serde_json::json!({
                "target": name,
                "measure": measure,
                "points": mix_points(result, &mix_boot),
            })),
        );
    }
    if let Some(needed) = real_share_needed(result, &mix_boot) {
        let point = &result.mix_curve[needed];
        let share = point.real_fraction;
        let statement = if needed + 1 == result.mix_curve.len() {
            format!(
                "Adding real training rows to the synthetic rows still brings a significant \
                 gain at every share up to all of them ({} rows): each smaller share is beaten \
                 significantly by a larger one.",
                point.real_rows
            )
        } else if needed == 0 {
            "Adding real training rows to the synthetic rows brings no significant gain at any \
             share: the synthetic rows alone train as good a model as any mix."
                .to_string()
        } else {
            format!(
                "Adding real training rows to the synthetic rows stops bringing a significant \
                 gain at {}% ({} rows): no larger share scores significantly higher.",
                share * 100.0,
                point.real_rows
            )
        };
        metrics.push(
            Metric::new(
                "utility.real_share_needed",
                share,
                &format!(
                    "The marginal value of real data: the smallest share of the real training \
                     rows (of 0, 1, 2, 5, 10, 25, 50 and 100%) that, added to the synthetic \
                     rows, no larger share beats significantly: the holdout {measure} of the \
                     larger mix minus this one has a 95% paired-bootstrap interval (the same \
                     resampled holdout rows for both) reaching 0 or below. 0 = real rows add \
                     nothing; 1 = every share up to all of them still helps."
                ),
            )
            .details(serde_json::json!({
                "target": name,
                "measure": measure,
                "statement": statement,
                "real_rows": point.real_rows,
            })),
        );
    }
    metrics
}

/// The mix curve's points with 95% paired-bootstrap intervals: each model's score, the gain
/// the synthetic rows add (`mixed - real_only`), and what the real rows add to the synthetic
/// ones (`mixed - mixed at 0%`), with whether that is significant (its interval above 0).
fn mix_points(result: &crate::utility::Utility, boot: &[Vec<(f64, f64)>]) -> serde_json::Value {
    let interval = |estimate: Option<f64>, values: Vec<f64>| match estimate {
        Some(estimate) => bootstrap_interval(estimate, values),
        None => (None, None),
    };
    let base = result.mix_curve.first().and_then(|p| p.mixed);
    let points: Vec<serde_json::Value> = result
        .mix_curve
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let mixed = interval(point.mixed, boot.iter().map(|b| b[i].0).collect());
            let real_only = interval(point.real_only, boot.iter().map(|b| b[i].1).collect());
            let gain = interval(point.gain, boot.iter().map(|b| b[i].0 - b[i].1).collect());
            let added_value = point.mixed.zip(base).map(|(m, b)| m - b);
            let added = interval(added_value, boot.iter().map(|b| b[i].0 - b[0].0).collect());
            serde_json::json!({
                "real_fraction": point.real_fraction,
                "real_rows": point.real_rows,
                "mixed": point.mixed,
                "mixed_interval": [mixed.0, mixed.1],
                "real_only": point.real_only,
                "real_only_interval": [real_only.0, real_only.1],
                "gain": point.gain,
                "gain_interval": [gain.0, gain.1],
                "real_added": added_value,
                "real_added_interval": [added.0, added.1],
                "real_added_significant": i > 0 && added.0.is_some_and(|low| low > 0.0),
            })
        })
        .collect();
    serde_json::Value::Array(points)
}

/// The index of the first mix-curve point that no later point beats significantly (the lower
/// end of the 95% paired-bootstrap interval of the later score minus its own is above 0).
fn real_share_needed(result: &crate::utility::Utility, boot: &[Vec<(f64, f64)>]) -> Option<usize> {
    let curve = &result.mix_curve;
    if boot.is_empty() || curve.iter().any(|p| p.mixed.is_none()) {
        return None;
    }
    let beats = |later: usize, earlier: usize| {
        let estimate = curve[later].mixed? - curve[earlier].mixed?;
        let values: Vec<f64> = boot.iter().map(|b| b[later].0 - b[earlier].0).collect();
        bootstrap_interval(estimate, values).0
    };
    (0..curve.len())
        .find(|&i| ((i + 1)..curve.len()).all(|j| beats(j, i).is_none_or(|low| low <= 0.0)))
}

fn privacy_metrics(
    (train, holdout, synthetic): (&Prepared, &Prepared, &Prepared),
    (samples, shares, density): (&Samples, &crate::privacy::DcrShare, &Membership),
    holdout_copies: &[f64],
    config: &EvaluationConfig,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Vec<Metric>> {
    let mut metrics = Vec::new();
    // Every reference: holdout half A in the synthetic set's place, half B as the holdout.
    let reference = dcr_share(
        &samples.train_for_halves,
        &samples.half_b,
        &samples.half_a,
        train,
    );
    metrics.push(
        Metric::new(
            "privacy.dcr_share",
            shares.share(),
            "Share of synthetic rows closer to the train sample than to the holdout sample, \
             ties counted half (mostlyai-qa's dcr_share rule), on equal-size seeded samples \
             (min(train, holdout) rows each); SDMetrics' calculate_dcr distance (absolute \
             difference scaled by the training range, or category mismatch, averaged over \
             columns), exact search. 0.5 = no memorisation signal. Reference: holdout half A in \
             the synthetic set's place, half B as the holdout, a train sample of half B's size.",
        )
        .interval(mean_interval(
            &shares.outcomes,
            config,
            "evaluate/dcr_share",
        ))
        .reference(Some(reference.share()))
        .reference_interval(mean_interval(
            &reference.outcomes,
            config,
            "evaluate/dcr_share/reference",
        ))
        .clip(0.0, 1.0)
        .details(serde_json::json!({
            "sample_rows": samples.train.rows(),
            "closer_to_train": shares.outcomes.iter().filter(|&&o| o == 1.0).count(),
            "ties": shares.outcomes.iter().filter(|&&o| o == 0.5).count(),
        })),
    );

    // SDMetrics' breakdown on the full sets (the synthetic rows searched capped); the
    // reference keeps the train:holdout ratio.
    let (closer, per_row, synthetic_to_train) = step(progress, "dcr closer to training", || {
        dcr::closer_to_training_with_distances(train, holdout, &samples.synthetic)
    })?;
    // The report's histogram: the searched synthetic rows' distances to the closest training
    // row against the holdout sample's (rows the generator never saw).
    let holdout_to_train = step(progress, "dcr of holdout rows", || {
        dcr::distances_to_closest(&samples.holdout, train)
    })?;
    let half_b = samples.half_b.rows();
    let scaled_train = ((train.rows() as f64 * half_b as f64 / holdout.rows() as f64).round()
        as usize)
        .clamp(1, train.rows());
    let (closer_reference, reference_rows) = dcr::closer_to_training(
        &train.resample(&samples.train_order[..scaled_train]),
        &samples.half_b,
        &samples.half_a,
    );
    metrics.push(
        Metric::new(
            "privacy.dcr_closer_to_training",
            closer,
            "SDMetrics 0.32 DCROverfittingProtection breakdown 'closer_to_training': share of \
             synthetic rows whose distance to the closest training row is strictly below their \
             distance to the closest holdout row; full sets, exact search. Depends on the \
             train:holdout size ratio. Reference: holdout half A against half B and a train \
             sample keeping the same train:holdout ratio.",
        )
        .interval(mean_interval(
            &flags(&per_row),
            config,
            "evaluate/dcr_closer_to_training",
        ))
        .reference(Some(closer_reference))
        .reference_interval(mean_interval(
            &flags(&reference_rows),
            config,
            "evaluate/dcr_closer_to_training/reference",
        ))
        .clip(0.0, 1.0)
        .details(serde_json::json!({
            "sdmetrics_score": (2.0 * (1.0 - closer)).min(1.0),
            "synthetic_rows_searched": samples.synthetic.rows(),
            "reference_train_rows": scaled_train,
            "histogram": crate::privacy::dcr_histogram(&synthetic_to_train, &holdout_to_train),
        })),
    );

    let nndr = mean(&shares.nndr);
    let tenth_smallest = {
        let mut sorted = shares.nndr.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        sorted.get(9).copied()
    };
    metrics.push(
        Metric::new(
            "privacy.nndr",
            nndr,
            "Mean nearest-neighbour distance ratio (d1 + 1e-8) / (d2 + 1e-8) of synthetic rows \
             to the train sample (mostlyai-qa's NNDR; same distance as dcr_share). Low values \
             mean synthetic rows sit on single training rows. Reference: holdout half A \
             against a train sample of half B's size, as for dcr_share.",
        )
        .interval(mean_interval(&shares.nndr, config, "evaluate/nndr"))
        .reference(Some(mean(&reference.nndr)))
        .reference_interval(mean_interval(
            &reference.nndr,
            config,
            "evaluate/nndr/reference",
        ))
        .details(serde_json::json!({
            "p01": quantile(&shares.nndr, 0.01),
            "p05": quantile(&shares.nndr, 0.05),
            "tenth_smallest": tenth_smallest,
        })),
    );

    let copies = flags(&copies_of_training_rows(train, synthetic));
    metrics.push(
        Metric::new(
            "privacy.exact_copy_rate",
            mean(&copies),
            "Share of synthetic rows equal to some training row on every scored column \
             (identifiers and free text not compared; missing equals missing). Reference: the \
             holdout's own rate.",
        )
        .interval(mean_interval(&copies, config, "evaluate/exact_copy_rate"))
        .reference(Some(mean(holdout_copies)))
        .reference_interval(mean_interval(
            holdout_copies,
            config,
            "evaluate/exact_copy_rate/reference",
        ))
        .clip(0.0, 1.0),
    );

    let attack = step(progress, "membership attack", || {
        membership_attack(&samples.train, &samples.half_b, synthetic, train)
    })?;
    let reference = membership_attack(&samples.train, &samples.half_b, &samples.half_a, train);
    if let (Some(auc), Some(reference_auc)) = (attack.auc(), reference.auc()) {
        let boot = |attack: &crate::privacy::Membership, purpose: &str| {
            resamples(attack.labels.len(), config, purpose)
                .par_iter()
                .map(|indices| attack.resampled(indices))
                .collect::<Vec<f64>>()
        };
        metrics.push(
            Metric::new(
                "privacy.mia_auc",
                auc,
                "Membership inference: an attacker holding the synthetic data scores candidate \
                 rows by minus their distance to the closest synthetic row (SDMetrics' \
                 calculate_dcr distance, exact) and ranks training rows (members) against \
                 holdout half B rows (non-members), equal numbers; ROC AUC, 0.5 = membership not \
                 revealed. Reference: holdout half A released instead of the synthetic data.",
            )
            .interval(bootstrap_interval(auc, boot(&attack, "evaluate/mia_auc")))
            .reference(Some(reference_auc))
            .reference_interval(bootstrap_interval(
                reference_auc,
                boot(&reference, "evaluate/mia_auc/reference"),
            ))
            .clip(0.0, 1.0)
            .details(serde_json::json!({ "candidates_per_class": attack.labels.len() / 2 })),
        );
    }
    metrics.extend(density_metric(train, samples, density, config));
    metrics.extend(crate::anonymeter::metrics(
        train, samples, synthetic, config, progress,
    )?);
    Ok(metrics)
}

/// The DOMIAS-style membership attack: members are the train sample's rows, non-members
/// holdout half B's, and the attacker's population rows holdout half A. Its reference releases
/// the first half of half A and gives the attacker the second half as population rows.
fn density_metric(
    train: &Prepared,
    samples: &Samples,
    attack: &Membership,
    config: &EvaluationConfig,
) -> Option<Metric> {
    let half = samples.half_a.rows() / 2;
    let released: Vec<usize> = (0..half).collect();
    let population: Vec<usize> = (half..samples.half_a.rows()).collect();
    let reference = density_attack(
        &samples.train,
        &samples.half_b,
        &samples.half_a.resample(&released),
        &samples.half_a.resample(&population),
        train,
    );
    let (auc, reference_auc) = (attack.auc()?, reference.auc()?);
    let boot = |attack: &crate::privacy::Membership, purpose: &str| {
        resamples(attack.labels.len(), config, purpose)
            .par_iter()
            .map(|indices| attack.resampled(indices))
            .collect::<Vec<f64>>()
    };
    Some(
        Metric::new(
            "privacy.density_mia_auc",
            auc,
            "Density-ratio membership inference (DOMIAS, van Breugel et al. 2023, with \
             1-nearest-neighbour densities): an attacker holding the synthetic data and real \
             population rows (holdout half A) scores each candidate by ln(d_population + 1e-6) \
             - ln(d_synthetic + 1e-6), its distances (SDMetrics' calculate_dcr distance, exact) \
             to the nearest row of each, and ranks training rows (members) against holdout half \
             B rows (non-members), equal numbers; ROC AUC, 0.5 = membership not revealed. \
             Reference: half of half A released instead, the other half as population rows.",
        )
        .interval(bootstrap_interval(
            auc,
            boot(attack, "evaluate/density_mia_auc"),
        ))
        .reference(Some(reference_auc))
        .reference_interval(bootstrap_interval(
            reference_auc,
            boot(&reference, "evaluate/density_mia_auc/reference"),
        ))
        .clip(0.0, 1.0)
        .details(serde_json::json!({
            "candidates_per_class": attack.labels.len() / 2,
            "population_rows": samples.half_a.rows(),
        })),
    )
}

/// One input of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputInfo {
    /// `train`, `holdout` or `synthetic`.
    pub role: &'static str,
    /// The file as given.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows read.
    pub rows: usize,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The report file format version.
    pub format_version: u32,
    /// The harness version that made the scores.
    pub harness_version: &'static str,
    /// The seed of every sample, fold and resample.
    pub seed: u64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// The utility target, if any.
    pub target: Option<String>,
    /// The sensitive attributes, if any.
    pub sensitive: Vec<String>,
    /// The inputs.
    pub inputs: Vec<InputInfo>,
    /// Problems with the inputs that make some numbers less trustworthy.
    pub warnings: Vec<String>,
    /// The metrics.
    pub metrics: Vec<Metric>,
    /// A formal guarantee the synthetic data carries, in words (a differentially private
    /// release's statement), set by the caller that knows how the data was made; the report
    /// then says plainly that it alone is formal and every privacy metric is empirical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formal_guarantee: Option<String>,
}

/// One input of [`score`]: a table, the name its errors give it, and what the report records
/// about it.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The rows.
    pub table: &'a synthgate_core::Table,
    /// How errors name the table (e.g. `"train"`, `"new data (first half)"`).
    pub label: &'a str,
    /// The report's line about it.
    pub info: InputInfo,
}

/// The one path from tables to a report: prepare `train`, `holdout` and `synthetic` together
/// under `schema`, evaluate them with `config` (telling `progress` each step), and assemble the
/// [`Report`] (its seed is `config.seed`).
pub fn score(
    schema: &synthgate_core::Schema,
    [train, holdout, synthetic]: [Input<'_>; 3],
    config: &EvaluationConfig,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Report> {
    let prepared = crate::prepare(
        schema,
        &[
            (train.table, train.label),
            (holdout.table, holdout.label),
            (synthetic.table, synthetic.label),
        ],
    )?;
    let (mut metrics, warnings) =
        evaluate_with_progress(&prepared[0], &prepared[1], &prepared[2], config, progress)?;
    // Free text is not among the prepared columns: it is scored as text, from the tables.
    if let Some(text) = crate::text::metrics(
        schema,
        [train.table, holdout.table, synthetic.table],
        config,
    ) {
        let at = metrics
            .iter()
            .position(|m| family_of(&m.id) != Some(Family::Fidelity))
            .unwrap_or(metrics.len());
        metrics.insert(at, text);
    }
    Ok(Report {
        format_version: 1,
        harness_version: crate::HARNESS_VERSION,
        seed: config.seed.0,
        resamples: config.resamples,
        target: config.target.clone(),
        sensitive: config.sensitive.clone(),
        inputs: vec![train.info, holdout.info, synthetic.info],
        warnings,
        formal_guarantee: None,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Column;

    #[test]
    fn long_tables_keep_a_seeded_sample_of_max_rows_in_order() {
        assert_eq!(
            capped_rows(10, Seed(1), "train"),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(capped_rows(MAX_ROWS, Seed(1), "train").len(), MAX_ROWS);
        let kept = capped_rows(MAX_ROWS * 3, Seed(1), "train");
        assert_eq!(kept.len(), MAX_ROWS);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        assert!(kept.iter().all(|&r| r < MAX_ROWS * 3));
        // Spread over the whole table, not its head.
        assert!(kept.iter().any(|&r| r >= MAX_ROWS * 2));
        assert_eq!(kept, capped_rows(MAX_ROWS * 3, Seed(1), "train"));
        assert_ne!(kept, capped_rows(MAX_ROWS * 3, Seed(1), "synthetic"));
        assert_ne!(kept, capped_rows(MAX_ROWS * 3, Seed(2), "train"));
    }

    /// Two categorical columns, `rows` rows.
    fn table(rows: usize, shift: usize) -> Prepared {
        let column = |step: usize| {
            Column::Discrete((0..rows).map(|r| ((r * step + shift) % 5) as u32).collect())
        };
        Prepared {
            names: vec!["a".into(), "b".into()],
            columns: vec![column(1), column(3)],
            rows,
            dictionaries: Arc::new(vec![
                (0..5).map(|k| format!("a{k}")).collect(),
                (0..5).map(|k| format!("b{k}")).collect(),
            ]),
        }
    }

    #[test]
    fn a_train_table_past_the_cap_is_scored_on_a_sample_and_the_report_says_so() {
        let config = EvaluationConfig {
            resamples: 10,
            ..EvaluationConfig::default()
        };
        let (train, holdout, synthetic) = (table(MAX_ROWS + 10, 0), table(200, 1), table(200, 2));
        let mut steps = Vec::new();
        let (metrics, warnings) =
            evaluate_with_progress(&train, &holdout, &synthetic, &config, &mut |step: &str| {
                steps.push(step.to_string());
                Ok(())
            })
            .expect("evaluation");
        let sampled: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("every metric scores a seeded sample"))
            .collect();
        assert_eq!(sampled.len(), 1, "{warnings:?}");
        assert!(sampled[0].starts_with(&format!("the train table has {} rows", MAX_ROWS + 10)));
        // 200 synthetic rows and a 200-row holdout: every search fits its cap, and no
        // warning says otherwise.
        assert!(
            !warnings
                .iter()
                .any(|w| w.contains("searched a seeded sample")),
            "{warnings:?}"
        );
        // The privacy reference keeps the train:holdout ratio of the rows scored: 50,000
        // train rows x 100 / 200, not 50,010 x 100 / 200.
        let closer = metrics
            .iter()
            .find(|m| m.id == "privacy.dcr_closer_to_training")
            .expect("dcr metric");
        assert_eq!(closer.details["reference_train_rows"], MAX_ROWS / 2);
        assert_eq!(closer.details["synthetic_rows_searched"], 200);
        // Progress heard every step, in order.
        assert_eq!(steps.first().map(String::as_str), Some("column shapes"));
        assert!(steps.iter().any(|s| s == "accuracy"));
        assert_eq!(steps.last().map(String::as_str), Some("subgroups"));
    }

    #[test]
    fn a_long_synthetic_table_is_searched_on_a_seeded_sample_of_the_cap() {
        let config = EvaluationConfig {
            resamples: 5,
            ..EvaluationConfig::default()
        };
        let (train, holdout, synthetic) =
            (table(300, 0), table(200, 1), table(MAX_SEARCH_ROWS + 7, 2));
        let (metrics, warnings) =
            evaluate(&train, &holdout, &synthetic, &config).expect("evaluation");
        assert!(
            warnings.iter().any(|w| w.contains(&format!(
                "searched a seeded sample of at most {MAX_SEARCH_ROWS}"
            ))),
            "{warnings:?}"
        );
        let closer = metrics
            .iter()
            .find(|m| m.id == "privacy.dcr_closer_to_training")
            .expect("dcr metric");
        assert_eq!(closer.details["synthetic_rows_searched"], MAX_SEARCH_ROWS);
        let samples = Samples::new(&train, &holdout, &synthetic, config.seed);
        assert_eq!(samples.synthetic.rows(), MAX_SEARCH_ROWS);
        assert!(samples.synthetic_rows.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            samples.synthetic_rows,
            Samples::new(&train, &holdout, &synthetic, config.seed).synthetic_rows
        );
    }
}
