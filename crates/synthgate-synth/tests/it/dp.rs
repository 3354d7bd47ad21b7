//! The differentially private fit on real tables: domains come only from the public schema
//! (every sampled value is inside its bounds or among its categories), the spend never passes
//! the budget, the statement is in the model file, and a refusal by the ledger hook happens
//! before a single noise draw.

use synthgate_core::{Result, Seed, Table};
use synthgate_synth::{DpConfig, Model, Noise, SeededNoise, fit_dp};

use crate::support::{dataset, na_tokens};

/// Counts the words it hands out.
struct Counting(u64);

impl Noise for Counting {
    fn next_u64(&mut self) -> Result<u64> {
        self.0 += 1;
        Ok(self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

fn load_public(name: &str) -> (Table, synthgate_core::Schema) {
    let options = synthgate_io::ReadOptions {
        extra_na_tokens: na_tokens(name),
        ..synthgate_io::ReadOptions::default()
    };
    let dataset = synthgate_io::read_table(&dataset(name), &options).expect("dataset reads");
    let schema = synthgate_profile::profile(&dataset.table, None, &dataset.info.na_tokens)
        .to_public_schema()
        .expect("schema");
    (dataset.table, schema)
}

fn config(epsilon: f64) -> DpConfig {
    DpConfig {
        epsilon,
        delta: 1e-9,
        seed: Seed(1),
        noise_source: "seeded (test)",
    }
}

#[test]
fn a_refused_reservation_draws_no_noise() {
    let (table, schema) = load_public("heart_cleveland");
    let mut noise = Counting(0);
    let error = fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |plan| {
        assert!(plan.rho > 0.0 && plan.epsilon == 1.0);
        Err(synthgate_core::Error::usage("the ledger says no"))
    })
    .expect_err("refused");
    assert!(error.message().contains("the ledger says no"));
    assert_eq!(noise.0, 0, "noise was drawn before the reservation");
    // Its twin: an accepting hook leads to draws.
    fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(())).expect("fits");
    assert!(noise.0 > 0);
}

#[test]
fn a_schema_not_marked_public_is_refused() {
    let (table, mut schema) = load_public("heart_cleveland");
    schema.public_domains = false;
    let mut noise = Counting(0);
    let error =
        fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(())).expect_err("refused");
    assert_eq!(error.kind().exit_code(), 3);
    assert!(error.message().contains("public_domains = true"), "{error}");
    assert_eq!(noise.0, 0);
    // A numeric column without public bounds: refused by name.
    let (table, mut schema) = load_public("heart_cleveland");
    let column = schema
        .columns
        .iter_mut()
        .find(|c| c.name == "chol")
        .expect("chol");
    column.max = None;
    let error =
        fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(())).expect_err("refused");
    assert!(
        error.message().contains("column 'chol' has no public max"),
        "{error}"
    );
}

/// On real tables of several shapes, every sampled value is inside the public domain, the
/// spend is within the budget, and the model file round-trips with its statement.
#[test]
fn dp_fits_stay_inside_the_public_domain_on_real_tables() {
    for name in ["adult", "heart_cleveland", "nhefs", "nist_acs_national2019"] {
        let (table, schema) = load_public(name);
        let mut noise = SeededNoise(rand_chacha::ChaCha20Rng::seed_from_u64(3));
        let model = fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let statement = model.privacy().expect("statement");
        assert!(
            statement.rho <= statement.rho_budget * (1.0 + 1e-12),
            "{name}"
        );
        assert!(
            statement.epsilon <= 1.0 + 1e-9,
            "{name}: ε {}",
            statement.epsilon
        );
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes, std::path::Path::new("m.json")).expect("loads");
        assert_eq!(back.privacy(), model.privacy());
        let sample = back.sample(2_000, Seed(9)).expect("samples");
        assert_eq!(sample.num_rows(), 2_000);
        assert!(
            sample.batches() == model.sample(2_000, Seed(9)).expect("samples").batches(),
            "{name}: sampling is not deterministic"
        );
        let names = sample
            .column_names()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>();
        for (index, column) in names.iter().enumerate() {
            let declared = schema.column(column).expect("column");
            if let Some(categories) = &declared.categories {
                for chunk in sample.column_chunks(index) {
                    for row in 0..chunk.len() {
                        let Some(text) = synthgate_core::text::format_cell(
                            chunk.as_ref(),
                            sample.storage_type(index),
                            row,
                        ) else {
                            continue;
                        };
                        let listed = categories.iter().any(|c| {
                            c == &text
                                || synthgate_core::text::parse_float(c).is_some_and(|x| {
                                    synthgate_core::text::parse_float(&text) == Some(x)
                                })
                        });
                        assert!(listed, "{name}.{column}: '{text}' is not a public category");
                    }
                }
            }
            let numbers = sample.numbers(index);
            let bound = |b: &Option<synthgate_core::Bound>| match b {
                Some(synthgate_core::Bound::Int(v)) => Some(*v as f64),
                Some(synthgate_core::Bound::Float(v)) => Some(*v),
                _ => None,
            };
            if let (Some(low), Some(high)) = (bound(&declared.min), bound(&declared.max))
                && sample.storage_type(index).is_numeric()
            {
                for value in numbers.iter().filter(|v| !v.is_nan()) {
                    assert!(
                        *value >= low && *value <= high,
                        "{name}.{column}: {value} outside [{low}, {high}]"
                    );
                }
            }
        }
    }
}

use rand_core::SeedableRng;

/// diabetes130 has several encounters per patient (`patient_nbr` repeats): a row-level
/// guarantee would not protect a patient, so the fit is refused, naming the column.
#[test]
fn several_rows_per_person_are_refused() {
    let (table, schema) = load_public("diabetes130");
    let mut noise = Counting(0);
    let error =
        fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(())).expect_err("refused");
    assert!(error.message().contains("'patient_nbr'"), "{error}");
    assert!(
        error.message().contains("several rows per person"),
        "{error}"
    );
    assert_eq!(noise.0, 0);
}

/// The same seeded noise and data give the same model and the same rows at any thread count
/// (inference reads pair marginals in parallel; sampling is sharded).
#[test]
fn dp_fits_and_samples_do_not_depend_on_the_thread_count() {
    let (table, schema) = load_public("adult");
    let mut outputs = Vec::new();
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let (model, sample) = pool.install(|| {
            let mut noise = SeededNoise(rand_chacha::ChaCha20Rng::seed_from_u64(8));
            let model =
                fit_dp(&table, &schema, &config(1.0), &mut noise, &mut |_| Ok(())).expect("fits");
            let sample = model.sample(40_000, Seed(2)).expect("samples");
            (model.to_bytes(), sample)
        });
        outputs.push((model, sample.batches().to_vec()));
    }
    assert!(
        outputs[0] == outputs[1],
        "the DP fit or its sample depends on the thread count"
    );
}
