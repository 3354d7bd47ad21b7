//! Sanity that cannot be faked, on real data (UCI Adult): the training rows scored as
//! "synthetic" are caught as copies; a third real sample, disjoint from train and holdout, scores
//! like the holdout on every metric; independent-marginals output keeps the columns but loses
//! the relationships, and is detected and useless for prediction.

use synthgate_core::{Schema, Seed, Table};
use synthgate_eval::{EvaluationConfig, Metric, evaluate};

use crate::common::{adult, adult_split, prepare_all, take};

fn config() -> EvaluationConfig {
    EvaluationConfig {
        target: Some("income".into()),
        sensitive: vec!["sex".into()],
        resamples: 30,
        ..EvaluationConfig::default()
    }
}

fn run(schema: &Schema, train: &Table, holdout: &Table, synthetic: &Table) -> Vec<Metric> {
    let tables = prepare_all(schema, &[train, holdout, synthetic]);
    evaluate(&tables[0], &tables[1], &tables[2], &config())
        .expect("evaluation")
        .0
}

fn metric<'a>(metrics: &'a [Metric], id: &str) -> &'a Metric {
    metrics
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no metric {id}"))
}

/// Adult cut by a seeded shuffle into three disjoint real samples: a third sample (6,512
/// rows), a holdout of the same size and the rest as train, with the inferred schema.
fn three_real_samples() -> (Table, Table, Table, Schema) {
    let (table, schema) = adult();
    let rows = table.num_rows() as u32;
    let mut order: Vec<u32> = (0..rows).collect();
    let mut rng = Seed(11).stream("test/third-sample", 0);
    for i in (1..order.len()).rev() {
        let j = ((synthgate_core::unit_f64(&mut rng) * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    (
        take(&table, &order[..6512]),
        take(&table, &order[6512..13024]),
        take(&table, &order[13024..]),
        schema,
    )
}

/// The mix curve's points (real fraction, real rows added significantly?) and the reported
/// share of real rows needed.
fn real_data_value(metrics: &[Metric]) -> (Vec<(f64, bool)>, f64) {
    let points = metric(metrics, "utility.mix_curve").details["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["real_fraction"].as_f64().expect("fraction"),
                p["real_added_significant"].as_bool().expect("significant"),
            )
        })
        .collect();
    (points, metric(metrics, "utility.real_share_needed").value)
}

#[test]
fn training_rows_scored_as_synthetic_are_caught() {
    let (train, holdout, schema) = adult_split();
    let metrics = run(&schema, &train, &holdout, &train);
    // The marginal value of real data, on a case whose answer is known: with the real training
    // rows in the synthetic role, adding (copies of) real rows brings no significant gain at
    // any share.
    let (points, needed) = real_data_value(&metrics);
    assert_eq!(points.len(), 8, "0, 1, 2, 5, 10, 25, 50 and 100% real rows");
    assert!(
        points.iter().all(|(_, significant)| !significant),
        "{points:?}"
    );
    assert_eq!(needed, 0.0);
    assert_eq!(metric(&metrics, "privacy.exact_copy_rate").value, 1.0);
    let closer = metric(&metrics, "privacy.dcr_closer_to_training").value;
    assert!(closer > 0.97, "closer to training {closer}");
    // A quarter of the synthetic rows are in the equal-size train sample (distance 0); the rest
    // split evenly: 0.25 + 0.75 / 2 = 0.625, pulled a little higher by near-duplicates.
    let share = metric(&metrics, "privacy.dcr_share").value;
    assert!((0.6..0.68).contains(&share), "DCR share {share}");
    let mia = metric(&metrics, "privacy.mia_auc").value;
    assert!(mia > 0.9, "membership AUC {mia}");
    let singling_out = metric(&metrics, "privacy.singling_out_risk").value;
    assert!(singling_out > 0.9, "singling out {singling_out}");
    let inference = metric(&metrics, "privacy.inference_risk").value;
    assert!(inference > 0.9, "inference {inference}");
}

/// A third real sample, the holdout's size and disjoint from train and holdout, scored as
/// synthetic, lands within the interval of the holdout reference on every metric: its own
/// 95% interval overlaps the reference's. (Two independent real samples differ by chance on
/// some of 25 metrics at the 95% level; overlapping intervals is the comparison that holds
/// for every metric at once, about a 99.5% test each.)
#[test]
fn a_third_real_sample_scores_like_the_holdout() {
    let (third, holdout, train, schema) = three_real_samples();
    let metrics = run(&schema, &train, &holdout, &third);
    let mut failures = Vec::new();
    let mut checked = 0;
    for m in &metrics {
        let (Some(low), Some(high), Some(reference), Some(value_low), Some(value_high)) = (
            m.reference_ci_low,
            m.reference_ci_high,
            m.holdout_reference,
            m.ci_low,
            m.ci_high,
        ) else {
            continue;
        };
        checked += 1;
        if value_high < low - 1e-9 || value_low > high + 1e-9 {
            failures.push(format!(
                "{}: {} [{value_low}, {value_high}], holdout reference {reference} [{low}, {high}]",
                m.id, m.value
            ));
        }
    }
    assert!(checked >= 20, "only {checked} metrics checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn independent_marginals_keep_columns_but_lose_relationships() {
    let (train, holdout, schema) = adult_split();
    let synthesizer = synthgate_synth::builtin("independent").expect("independent");
    let model = synthgate_synth::fit(
        &train,
        &schema,
        synthesizer.as_ref(),
        &synthgate_synth::FitConfig {
            seed: Seed(1),
            protections: synthgate_synth::Protections::default(),
        },
    )
    .expect("fit");
    let synthetic = model.sample(train.num_rows(), Seed(1)).expect("sample");
    let metrics = run(&schema, &train, &holdout, &synthetic);
    let shapes = metric(&metrics, "fidelity.column_shapes").value;
    assert!(shapes > 0.95, "column shapes {shapes}");
    let trends = metric(&metrics, "fidelity.column_pair_trends");
    let reference = trends.holdout_reference.expect("reference");
    assert!(
        trends.value < reference - 0.1,
        "pair trends {} vs holdout {reference}",
        trends.value
    );
    let detection = metric(&metrics, "fidelity.detection_auc").value;
    assert!(detection > 0.9, "detection AUC {detection}");
    let ratio = metric(&metrics, "utility.tstr_ratio").value;
    assert!(ratio < 0.75, "TSTR / TRTR {ratio}");
    // The marginal value of real data, on a case whose answer is known: rows that carry no
    // relationship teach the model nothing, so every share of real rows added helps
    // significantly, and the gain has not stopped before half of them.
    let (points, needed) = real_data_value(&metrics);
    assert!(
        points.iter().skip(1).all(|(_, significant)| *significant),
        "{points:?}"
    );
    assert!(needed >= 0.5, "real share needed {needed}");
    let bivariate = metric(&metrics, "fidelity.accuracy.bivariate");
    assert!(bivariate.value < bivariate.holdout_reference.expect("reference") - 0.05);
}

/// The density-ratio (DOMIAS-style) membership attack catches a generator that copies: `cart`
/// with one-row leaves and no protections reproduces training rows, and the attack tells its
/// members from non-members with AUC at least 0.60; the real holdout's reference interval
/// contains 0.5, as does the interval of a sample of real rows the generator never saw.
#[test]
fn the_density_attack_catches_a_copying_generator_and_not_real_rows() {
    let (train, holdout, schema) = adult_split();
    let cart = synthgate_synth::Synthesizers::builtin()
        .configured("cart", &[("min_leaf".to_string(), "1".to_string())])
        .expect("cart");
    let model = synthgate_synth::fit(
        &train,
        &schema,
        cart.as_ref(),
        &synthgate_synth::FitConfig {
            seed: Seed(1),
            protections: synthgate_synth::Protections {
                min_category_count: 1,
                tail_count: 1,
            },
        },
    )
    .expect("fit");
    let copying = model.sample(train.num_rows(), Seed(1)).expect("sample");
    let metrics = run(&schema, &train, &holdout, &copying);
    let attack = metric(&metrics, "privacy.density_mia_auc");
    assert!(attack.value >= 0.6, "density attack AUC {}", attack.value);
    let (low, high) = (
        attack.reference_ci_low.expect("reference interval"),
        attack.reference_ci_high.expect("reference interval"),
    );
    assert!(
        low <= 0.5 && 0.5 <= high,
        "the holdout reference's interval [{low}, {high}] misses 0.5"
    );
    // Real rows the generator never saw, in the synthetic data's place: half the holdout.
    let rows: Vec<u32> = (0..holdout.num_rows() as u32 / 2).collect();
    let rest: Vec<u32> = (holdout.num_rows() as u32 / 2..holdout.num_rows() as u32).collect();
    let metrics = run(
        &schema,
        &train,
        &take(&holdout, &rest),
        &take(&holdout, &rows),
    );
    let real = metric(&metrics, "privacy.density_mia_auc");
    let (low, high) = (
        real.ci_low.expect("interval"),
        real.ci_high.expect("interval"),
    );
    assert!(
        low <= 0.5 && 0.5 <= high,
        "real unseen rows: density attack AUC {} [{low}, {high}]",
        real.value
    );
}

/// Row numbers of `table` whose column `name` holds `value`.
fn rows_where(table: &Table, name: &str, value: &str, wanted: bool) -> Vec<u32> {
    let index = table
        .column_names()
        .iter()
        .position(|n| *n == name)
        .expect("column");
    let storage = table.storage_type(index);
    let mut rows = Vec::new();
    let mut row = 0u32;
    for chunk in table.column_chunks(index) {
        for i in 0..chunk.len() {
            let text = synthgate_core::text::format_cell(chunk.as_ref(), storage, i);
            if (text.as_deref() == Some(value)) == wanted {
                rows.push(row);
            }
            row += 1;
        }
    }
    rows
}

/// Subgroup privacy: real rows the generator never saw stand in for synthetic rows, except
/// that one group's rows (race `Black`) are copies of its training rows. That group's DCR share
/// and membership attack lie above the whole table's, so its status is `exposed`, it is the
/// worst group, and `subgroup.race.exposed_groups` counts it; without the planted copies no
/// group is exposed.
#[test]
fn a_group_more_exposed_than_the_whole_is_flagged() {
    let (third, holdout, train, schema) = three_real_samples();
    let config = EvaluationConfig {
        sensitive: vec!["race".into()],
        resamples: 30,
        ..EvaluationConfig::default()
    };
    let exposed = |synthetic: &Table| {
        let tables = prepare_all(&schema, &[&train, &holdout, synthetic]);
        let metrics = evaluate(&tables[0], &tables[1], &tables[2], &config)
            .expect("evaluation")
            .0;
        let count = metric(&metrics, "subgroup.race.exposed_groups");
        let names: Vec<String> = count.details["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g.as_str().expect("name").to_string())
            .collect();
        let worst = metric(&metrics, "subgroup.race.worst_dcr_share");
        (count.value, names, worst.details["worst_group"].clone())
    };
    let (count, names, _) = exposed(&third);
    assert_eq!(count, 0.0, "unseen real rows: exposed groups {names:?}");

    // The group's rows in the stand-in become copies of its training rows.
    let others = rows_where(&third, "race", "Black", false);
    let group_rows = rows_where(&third, "race", "Black", true).len();
    let copies = rows_where(&train, "race", "Black", true);
    assert!(group_rows >= 200 && copies.len() >= group_rows);
    let (kept, copied) = (take(&third, &others), take(&train, &copies[..group_rows]));
    let mut batches = kept.batches().to_vec();
    batches.extend(copied.batches().iter().cloned());
    let leaked = Table::new(kept.arrow_schema().clone(), batches).expect("concatenated");
    let (count, names, worst) = exposed(&leaked);
    assert_eq!(count, 1.0, "exposed groups {names:?}");
    assert_eq!(names, ["Black"]);
    assert_eq!(worst, "Black");
}

/// `report.json` is byte-identical whatever the thread count: every metric, interval and
/// reference of an evaluation of `cart` output on the Adult split, scored in a pool of one
/// thread and of four, serialises to the same bytes (the harness's sums run in a fixed order
/// and its transcendental functions are `libm`'s portable ones, so other machines agree too).
#[test]
fn the_report_is_identical_across_thread_counts() {
    let (train, holdout, schema) = adult_split();
    let cart = synthgate_synth::builtin("cart").expect("cart");
    let model = synthgate_synth::fit(
        &train,
        &schema,
        cart.as_ref(),
        &synthgate_synth::FitConfig {
            seed: Seed(1),
            protections: synthgate_synth::Protections::default(),
        },
    )
    .expect("fit");
    let synthetic = model.sample(train.num_rows(), Seed(1)).expect("sample");
    let info = |role: &'static str, table: &Table| synthgate_eval::InputInfo {
        role,
        path: role.to_string(),
        sha256: String::new(),
        rows: table.num_rows(),
    };
    let reports: Vec<Vec<u8>> = [1, 4]
        .into_iter()
        .map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let report = pool
                .install(|| {
                    synthgate_eval::score(
                        &schema,
                        [
                            synthgate_eval::Input {
                                table: &train,
                                label: "train",
                                info: info("train", &train),
                            },
                            synthgate_eval::Input {
                                table: &holdout,
                                label: "holdout",
                                info: info("holdout", &holdout),
                            },
                            synthgate_eval::Input {
                                table: &synthetic,
                                label: "synthetic",
                                info: info("synthetic", &synthetic),
                            },
                        ],
                        &config(),
                        &mut |_| Ok(()),
                    )
                })
                .expect("report");
            serde_json::to_vec_pretty(&report).expect("json")
        })
        .collect();
    assert!(
        reports[0] == reports[1],
        "report.json differs between one thread and four"
    );
}

/// `first`'s rows followed by `second`'s.
fn concat(first: &Table, second: &Table) -> Table {
    let mut batches = first.batches().to_vec();
    batches.extend(second.batches().iter().cloned());
    Table::new(first.arrow_schema().clone(), batches).expect("concatenated")
}

/// The evidence for an augmentation, on cases whose answer is known. Real rows the generator
/// never saw stand in for the synthetic rows before augmentation; the "added" rows are real
/// training rows of the group Asian-Pac-Islander: as they are (a faithful augmentation), and
/// with their income labels swapped (a harmful one). The faithful one leaves every group's
/// TSTR where it was, within 0.02; the harmful one makes that group's model clearly worse,
/// with an interval wholly above 0, and names it. The share gap is the distance to the
/// declared share, whatever the source's share.
#[test]
fn an_augmentation_that_harms_a_group_is_caught_and_a_faithful_one_is_not() {
    let (third, holdout, train, schema) = three_real_samples();
    let group = "Asian-Pac-Islander";
    let added = take(&train, &rows_where(&train, "race", group, true));
    assert!(added.num_rows() >= 500, "{} group rows", added.num_rows());
    let income = added
        .column_names()
        .iter()
        .position(|n| *n == "income")
        .expect("income");
    let swapped: arrow_array::StringArray = added
        .key_texts(income)
        .iter()
        .map(|v| {
            v.as_deref().map(|v| match v {
                ">50K" => "<=50K",
                _ => ">50K",
            })
        })
        .collect();
    let harmful = added
        .with_column("income", std::sync::Arc::new(swapped))
        .expect("swapped");
    let config = EvaluationConfig {
        target: Some("income".into()),
        resamples: 30,
        ..EvaluationConfig::default()
    };
    let score = |added: &Table, declared: f64| {
        let after = concat(&third, added);
        synthgate_eval::augment::augmentation(
            &schema,
            [&train, &holdout, &third, &after],
            "race",
            &[(group.to_string(), declared)],
            &config,
        )
        .expect("augmentation scored")
    };

    let faithful = score(&added, 0.2);
    let loss = metric(&faithful, "subgroup.race.augment_utility_loss");
    assert!(loss.value < 0.02, "faithful: loss {}", loss.value);
    let groups = loss.details["before_after"].as_array().expect("groups");
    assert!(groups.len() >= 3, "{groups:?}");
    let row = groups
        .iter()
        .find(|g| g["group"] == group)
        .expect("the group is reported");
    let before = rows_where(&third, "race", group, true).len() as f64;
    let total = (third.num_rows() + added.num_rows()) as f64;
    let after_share = (before + added.num_rows() as f64) / total;
    assert!((row["share_after"].as_f64().expect("share") - after_share).abs() < 1e-12);
    assert!(
        (row["share_before"].as_f64().expect("share") - before / third.num_rows() as f64).abs()
            < 1e-12
    );
    assert_eq!(row["declared_share"], 0.2);
    let gap = metric(&faithful, "subgroup.race.augment_share_gap");
    assert!((gap.value - (after_share - 0.2).abs()).abs() < 1e-12);

    let harmed = score(&harmful, 0.2);
    let loss = metric(&harmed, "subgroup.race.augment_utility_loss");
    assert_eq!(loss.details["worst_group"], group);
    assert!(loss.value > 0.1, "harmful: loss {}", loss.value);
    assert!(
        loss.ci_low.is_some_and(|low| low > 0.0),
        "harmful: interval {:?} {:?}",
        loss.ci_low,
        loss.ci_high
    );
}
