//! The verbs on tables in memory, for a front end that holds data frames (the Python package):
//! the same steps as the file verbs ([`crate::fit`], [`crate::sample`], [`crate::evaluate`],
//! [`crate::inspect`]), with tables in and out instead of files. The file verbs call these, so
//! a table read from a file gives the same model, rows and report either way.

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result, Schema, Seed, Table};
use synthgate_eval::{EvaluationConfig, Input, InputInfo, Report};
use synthgate_profile::profile;
use synthgate_synth::{
    DEFAULT_SYNTHESIZER, DpConfig, EntropyNoise, FitConfig, Model, Protections, Synthesizers,
    fit_dp,
};

use crate::{Events, cancelled};

/// The privacy protections a fit applies (the same for `fit` and a pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionOptions {
    /// Categories held by fewer training rows are not reproduced as such (default 10).
    pub min_category_count: usize,
    /// Numeric values are clipped to the `tail_count`-th smallest and largest training value
    /// (default 10), so extremes held by fewer rows are never reproduced; lower in a column
    /// with few present values, whose two tails hold at most a fifth of them.
    pub tail_count: usize,
}

impl Default for ProtectionOptions {
    fn default() -> ProtectionOptions {
        let defaults = Protections::default();
        ProtectionOptions {
            min_category_count: defaults.min_category_count,
            tail_count: defaults.tail_count,
        }
    }
}

/// The (ε, δ) a differentially private fit may spend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyBudget {
    /// ε.
    pub epsilon: f64,
    /// δ (default 1e-9).
    #[serde(default = "default_delta")]
    pub delta: f64,
}

/// The δ a DP fit uses unless told otherwise: far below one over any table's row count.
pub const DEFAULT_DELTA: f64 = 1e-9;

fn default_delta() -> f64 {
    DEFAULT_DELTA
}

pub(crate) fn default_synthesizer() -> String {
    DEFAULT_SYNTHESIZER.to_string()
}

/// ε and δ in range, before any work.
pub(crate) fn check_budget(budget: PrivacyBudget) -> Result<()> {
    if !(budget.epsilon.is_finite() && budget.epsilon > 0.0) {
        return Err(Error::usage(format!(
            "--epsilon must be a number above 0, not {}.",
            budget.epsilon
        ))
        .hint("Typical values are 0.1 to 10; smaller is more private and less accurate."));
    }
    if !(budget.delta > 0.0 && budget.delta < 1e-3) {
        return Err(Error::usage(format!(
            "--delta must be above 0 and below 0.001, not {}.",
            budget.delta
        ))
        .hint("δ bounds the chance the guarantee fails; keep it far below 1/rows, such as 1e-9."));
    }
    Ok(())
}

/// How to fit a model on a table in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The synthesizer's name.
    pub synthesizer: String,
    /// Its parameters, as name and value text.
    pub parameters: Vec<(String, String)>,
    /// The seed.
    pub seed: u64,
    /// Privacy protections.
    pub protections: ProtectionOptions,
    /// The budget of a differentially private fit.
    pub privacy: Option<PrivacyBudget>,
    /// The schema (default: profiled from the table; a DP fit needs one with public domains).
    pub schema: Option<Schema>,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            synthesizer: default_synthesizer(),
            parameters: Vec::new(),
            seed: 0,
            protections: ProtectionOptions::default(),
            privacy: None,
            schema: None,
        }
    }
}

/// The synthesizer of `options`, checked against its budget, before any data is read.
pub(crate) fn check_fit(options: &FitOptions) -> Result<()> {
    let synthesizer =
        Synthesizers::builtin().configured(&options.synthesizer, &options.parameters)?;
    let private = synthesizer.capabilities().differential_privacy;
    match (private, options.privacy) {
        (true, None) => Err(Error::usage(format!(
            "synthesizer '{}' is differentially private: it needs a budget.",
            synthesizer.name()
        ))
        .hint("Give --epsilon (such as 1) and, if not 1e-9, --delta.")),
        (false, Some(_)) => Err(Error::usage(format!(
            "--epsilon is for a differentially private synthesizer, and '{}' is not one.",
            synthesizer.name()
        ))
        .hint("Use --synthesizer mst.")),
        (_, Some(budget)) => check_budget(budget),
        (_, None) => Ok(()),
    }
}

/// Fit a model on `table`, whose missing-value tokens were `na_tokens` (recorded in a profiled
/// schema). A differentially private fit draws its noise from `entropy`.
pub fn fit_table(
    table: &Table,
    na_tokens: &[String],
    options: &FitOptions,
    entropy: &synthgate_core::Entropy,
    events: &mut dyn Events,
) -> Result<Model> {
    check_fit(options)?;
    let synthesizer =
        Synthesizers::builtin().configured(&options.synthesizer, &options.parameters)?;
    let model = if let Some(budget) = options.privacy {
        let Some(schema) = &options.schema else {
            return Err(Error::usage(
                "a differentially private fit needs a schema with public domains (--schema); one inferred from the data would leak it.",
            )
            .hint(
                "Write one with `synthgate inspect DATA --public-domains --schema-out FILE` after checking that its bounds and categories are public knowledge.",
            ));
        };
        events.step(&format!(
            "fitting {} at ε = {}",
            synthesizer.name(),
            budget.epsilon
        ));
        let config = DpConfig {
            epsilon: budget.epsilon,
            delta: budget.delta,
            seed: Seed(options.seed),
            noise_source: "the operating system's CSPRNG",
        };
        let mut noise = EntropyNoise::new(*entropy);
        fit_dp(table, schema, &config, &mut noise, &mut |_| Ok(()))?
    } else {
        let schema = match &options.schema {
            Some(schema) => schema.clone(),
            None => profile(table, None, na_tokens).to_schema()?,
        };
        if events.cancelled() {
            return Err(cancelled());
        }
        let config = FitConfig {
            seed: Seed(options.seed),
            protections: Protections {
                min_category_count: options.protections.min_category_count,
                tail_count: options.protections.tail_count,
            },
        };
        events.step(&format!("fitting {}", synthesizer.name()));
        synthgate_synth::fit(table, &schema, synthesizer.as_ref(), &config)?
    };
    if events.cancelled() {
        return Err(cancelled());
    }
    Ok(model)
}

/// Sample `rows` rows from `model`, each meeting `conditions` (column, value), from stream
/// `seed` (default: the model's own).
pub fn sample_table(
    model: &Model,
    rows: usize,
    seed: Option<u64>,
    conditions: &[(String, String)],
    events: &mut dyn Events,
) -> Result<Table> {
    let seed = seed.map_or(model.seed(), Seed);
    let conditions = model.conditions(conditions)?;
    events.step(&format!("sampling {rows} rows"));
    let table = model.sample_where(rows, seed, &conditions)?;
    if events.cancelled() {
        return Err(cancelled());
    }
    Ok(table)
}

/// One table to evaluate: the table, where it came from (a path, or a name such as `the
/// DataFrame 'train'`) and its digest as the report records it.
#[derive(Debug, Clone, Copy)]
pub struct Scored<'a> {
    /// The rows.
    pub table: &'a Table,
    /// Where they came from.
    pub source: &'a str,
    /// Their digest (a file's sha256, or that of the table's Parquet bytes).
    pub sha256: &'a str,
}

/// Evaluate `synthetic` against `train` (the rows it was fitted on) and `holdout` (real rows
/// it never saw) under `schema` (default: profiled from `train`).
pub fn evaluate_tables(
    [train, holdout, synthetic]: [Scored<'_>; 3],
    schema: Option<&Schema>,
    na_tokens: &[String],
    config: &EvaluationConfig,
    events: &mut dyn Events,
) -> Result<Report> {
    let profiled;
    let schema = match schema {
        Some(schema) => schema,
        None => {
            profiled = profile(train.table, None, na_tokens).to_schema()?;
            &profiled
        }
    };
    if !train.sha256.is_empty() && train.sha256 == holdout.sha256 {
        return Err(Error::input(
            "the holdout is the train table (same bytes): a holdout must be real rows the \
             generator never saw.",
        ));
    }
    fn input<'a>(scored: Scored<'a>, role: &'static str) -> Input<'a> {
        Input {
            table: scored.table,
            label: role,
            info: InputInfo {
                role,
                path: scored.source.to_string(),
                sha256: scored.sha256.to_string(),
                rows: scored.table.num_rows(),
            },
        }
    }
    events.step("evaluating");
    let report = synthgate_eval::score(
        schema,
        [
            input(train, "train"),
            input(holdout, "holdout"),
            input(synthetic, "synthetic"),
        ],
        config,
        &mut |name| crate::step(events, &format!("evaluating: {name}")),
    )?;
    if events.cancelled() {
        return Err(cancelled());
    }
    Ok(report)
}

/// The schema profiling proposes for `table` (editable; `Schema::to_toml` writes it).
pub fn profile_schema(table: &Table, na_tokens: &[String]) -> Result<Schema> {
    profile(table, None, na_tokens).to_schema()
}
