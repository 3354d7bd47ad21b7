//! The pipeline: read the source, take its schema (given or profiled), split it by a seeded
//! permutation, fit the synthesizer on the training rows only, sample, evaluate against the
//! training rows and the holdout, and decide the gates. Every step is a library call; the
//! same spec, source bytes and seeds give the same synthetic bytes.

use synthgate_core::{Error, Result, Schema, Seed, Table};
use synthgate_eval::{EvaluationConfig, InputInfo, Report};
use synthgate_io::{ReadOptions, read_table, sha256_file, take_rows};
use synthgate_synth::FitConfig;

use crate::gates::{Decision, decide};
use crate::spec::PipelineSpec;

/// Everything a run produces that goes into a bundle (never the real rows). A prompt-based
/// run's full log, which holds the real rows its prompts showed, is here too, for the
/// operator's workspace (`bundle::full_generation_log`); the bundle gets it published.
#[derive(Debug)]
pub struct Release {
    /// The spec that was run.
    pub spec: PipelineSpec,
    /// SHA-256 of the source file.
    pub source_sha256: String,
    /// Source rows.
    pub source_rows: usize,
    /// Source columns.
    pub source_columns: usize,
    /// The schema used.
    pub schema: Schema,
    /// Training and holdout rows.
    pub split_rows: (usize, usize),
    /// The synthesizer's version string.
    pub synthesizer_version: String,
    /// The data files: one synthetic table, or every table of a dataset.
    pub data: Vec<DataTable>,
    /// The dataset of several tables, when the source is one.
    pub dataset: Option<synthgate_core::dataset::DatasetSchema>,
    /// The evaluation.
    pub report: Report,
    /// The gates.
    pub decision: Decision,
    /// Steps and what each used, in order (the generation log).
    pub log: Vec<serde_json::Value>,
    /// The source's aggregates kept for drift monitoring (no rows, small cells withheld).
    pub profile: crate::source_profile::SourceProfile,
    /// The prompt-based generation, when the synthesizer is `llm`.
    pub llm: Option<crate::llm::LlmRun>,
    /// The differentially private model file (the DP release itself), when the synthesizer is
    /// differentially private, and its privacy statement.
    pub dp_model: Option<(Vec<u8>, synthgate_synth::PrivacyStatement)>,
    /// A hybrid release's origin file (each data row's `real` or `synthetic`) and its
    /// composition in words.
    pub origin: Option<(Table, String)>,
    /// An augmented release's statement of what was up-sampled, in words.
    pub augmentation: Option<String>,
}

/// One data file of a bundle.
#[derive(Debug, Clone)]
pub struct DataTable {
    /// Its table's name (`synthetic` for a release of one table).
    pub name: String,
    /// Its path inside the bundle (`data/NAME.parquet`).
    pub path: String,
    /// The rows.
    pub table: Table,
    /// The real table's schema.
    pub schema: Schema,
    /// A public table of a dataset, copied as it is (no synthetic row in it).
    pub copied: bool,
}

impl Release {
    /// Synthetic rows over the data files (copied public tables and a hybrid release's real
    /// rows left out).
    pub fn synthetic_rows(&self) -> usize {
        self.data
            .iter()
            .filter(|d| !d.copied)
            .map(|d| d.table.num_rows())
            .sum::<usize>()
            - self.real_rows()
    }

    /// A hybrid release's real training rows (0 for any other release).
    pub fn real_rows(&self) -> usize {
        self.origin.as_ref().map_or(0, |(origin, _)| {
            origin
                .key_texts(1)
                .iter()
                .filter(|label| label.as_deref() == Some("real"))
                .count()
        })
    }
}

/// Where a differentially private run's model comes from.
pub enum DpSource<'a> {
    /// A new fit: noise from `noise` (the operating system's CSPRNG), the spend told to
    /// `reserve` before the first draw (the ledger reserves it there, or refuses).
    Fit {
        /// The noise source.
        noise: &'a mut dyn synthgate_synth::Noise,
        /// Hears the spend before any measurement.
        reserve: &'a mut dyn FnMut(&synthgate_synth::PrivacyPlan) -> Result<()>,
    },
    /// The bundled model (`verify --reproduce`): sampling from it again is post-processing
    /// and reproduces the data byte for byte; the noise is not redrawn.
    Bundled(&'a [u8]),
}

impl std::fmt::Debug for DpSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DpSource::Fit { .. } => "DpSource::Fit",
            DpSource::Bundled(_) => "DpSource::Bundled",
        })
    }
}

/// The row indices of (train, holdout): a seeded permutation, the first
/// `round(rows × fraction)` held out; both sorted.
pub fn split_rows(rows: usize, fraction: f64, seed: Seed) -> (Vec<u32>, Vec<u32>) {
    let order = crate::hybrid::permutation(rows, seed, "split");
    let held = ((rows as f64 * fraction).round() as usize).clamp(1, rows.saturating_sub(1));
    let mut holdout = order[..held].to_vec();
    let mut train = order[held..].to_vec();
    holdout.sort_unstable();
    train.sort_unstable();
    (train, holdout)
}

/// The row indices of (train, holdout) when rows belong to entities (`keys`, one per row):
/// the distinct entities, in sorted order, split as [`split_rows`] splits rows, and every row
/// on its entity's side, so no entity is on both. A row without an entity key is an entity of
/// its own. The split does not depend on the rows' order, only on the entities.
pub fn split_entities(keys: &[Option<String>], fraction: f64, seed: Seed) -> (Vec<u32>, Vec<u32>) {
    let mut entities: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
    entities.sort_unstable();
    entities.dedup();
    let singletons = keys.iter().filter(|k| k.is_none()).count();
    let count = entities.len() + singletons;
    if count < 2 {
        return ((0..keys.len() as u32).collect(), Vec::new());
    }
    let (_, held) = split_rows(count, fraction, seed);
    let mut holdout_entity = vec![false; count];
    for &entity in &held {
        holdout_entity[entity as usize] = true;
    }
    let index: std::collections::HashMap<&str, usize> =
        entities.iter().enumerate().map(|(i, e)| (*e, i)).collect();
    let (mut train, mut holdout) = (Vec::new(), Vec::new());
    let mut singleton = entities.len();
    for (row, key) in keys.iter().enumerate() {
        let entity = match key {
            Some(key) => index[key.as_str()],
            None => {
                singleton += 1;
                singleton - 1
            }
        };
        if holdout_entity[entity] {
            holdout.push(row as u32);
        } else {
            train.push(row as u32);
        }
    }
    (train, holdout)
}

/// The evaluation a spec asks for: its seed, resamples, target and sensitive attributes.
pub fn evaluation_config(spec: &PipelineSpec) -> EvaluationConfig {
    EvaluationConfig {
        seed: Seed(spec.synthesizer.seed),
        resamples: spec.evaluation.resamples,
        attacks: spec.evaluation.attacks,
        target: spec.evaluation.target.clone(),
        sensitive: spec.evaluation.sensitive.clone(),
        ..EvaluationConfig::default()
    }
}

/// The schema file at `path`.
pub(crate) fn load_schema(path: &std::path::Path) -> Result<Schema> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::spec(format!("the schema file could not be read: {error}."))
            .at(synthgate_core::Location::file(path))
    })?;
    Schema::from_toml(&text, path)
}

/// One table the harness scores, as a pipeline's report records it.
pub(crate) fn input<'a>(
    table: &'a Table,
    label: &'static str,
    path: &str,
    sha256: &str,
) -> synthgate_eval::Input<'a> {
    synthgate_eval::Input {
        table,
        label,
        info: InputInfo {
            role: label,
            path: path.to_string(),
            sha256: sha256.to_string(),
            rows: table.num_rows(),
        },
    }
}

/// A synthesizer parameter as `fit --param` takes it.
fn param_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub use crate::llm::GenerationLog;

/// Run `spec`, whose source is one table (paths already resolved); `progress` hears each
/// step's name as it starts. A prompt-based spec needs `llm_log`; any other ignores it.
/// The `pipeline` module runs any spec.
pub fn run_table_pipeline(
    spec: &PipelineSpec,
    llm_log: Option<GenerationLog<'_>>,
    dp: Option<DpSource<'_>>,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Release> {
    let mut log = Vec::new();
    progress("reading the source")?;
    let given = spec.source.schema.as_deref().map(load_schema).transpose()?;
    let options = ReadOptions {
        extra_na_tokens: spec.source.na.clone(),
        schema: given.as_ref(),
        ..ReadOptions::default()
    };
    let mut source = read_table(&spec.source.path, &options)?;
    if let Some(columns) = &spec.source.columns {
        source.table = source.table.select(columns).map_err(|error| {
            Error::spec(format!(
                "source.columns: {} Its columns: {}.",
                error.message(),
                source.table.column_names().join(", ")
            ))
            .at(synthgate_core::Location::file(&spec.source.path))
        })?;
    }
    let source_sha256 = sha256_file(&spec.source.path)?;
    let rows = source.table.num_rows();
    if rows < 10 {
        return Err(Error::input(format!(
            "the source has {rows} rows; a release needs at least 10 (some to hold out)."
        ))
        .at(synthgate_core::Location::file(&spec.source.path)));
    }
    log.push(
        serde_json::json!({ "step": "read", "source_sha256": source_sha256,
        "rows": rows, "columns": source.table.num_columns() }),
    );

    progress("profiling")?;
    let schema = match given {
        Some(schema) if spec.source.columns.is_some() => {
            let names = source.table.column_names();
            let columns = schema
                .columns
                .into_iter()
                .filter(|c| names.contains(&c.name.as_str()))
                .collect();
            Schema::new(schema.na_tokens, columns)?
        }
        Some(schema) => schema,
        None => {
            synthgate_profile::profile(&source.table, None, &source.info.na_tokens).to_schema()?
        }
    };
    log.push(serde_json::json!({ "step": "schema",
        "given": spec.source.schema.is_some(), "columns": schema.columns.len() }));

    let profile = crate::source_profile::profile_source(
        &source.table,
        &schema,
        &source.info.na_tokens,
        &spec.policy.drift,
    );

    let (train_rows, holdout_rows) = if spec.split.entity.is_empty() {
        split_rows(rows, spec.split.holdout_fraction, Seed(spec.split.seed))
    } else {
        let names = source.table.column_names();
        let mut indices = Vec::with_capacity(spec.split.entity.len());
        for column in &spec.split.entity {
            let index = names.iter().position(|n| n == column).ok_or_else(|| {
                Error::spec(format!(
                    "split.entity names column '{column}', which the source does not have (its \
                     columns: {}).",
                    names.join(", ")
                ))
                .at(synthgate_core::Location::file(&spec.source.path).column(column.clone()))
            })?;
            indices.push(index);
        }
        let keys = source.table.composite_keys(&indices);
        let split = split_entities(&keys, spec.split.holdout_fraction, Seed(spec.split.seed));
        if split.0.is_empty() || split.1.is_empty() {
            return Err(Error::input(format!(
                "split.entity ({}) names fewer than two entities: nothing can be held out.",
                spec.split.entity.join(", ")
            )));
        }
        split
    };
    let train = take_rows(&source.table, &train_rows)?;
    let holdout = take_rows(&source.table, &holdout_rows)?;
    drop(source);
    log.push(
        serde_json::json!({ "step": "split", "seed": spec.split.seed,
        "holdout_fraction": spec.split.holdout_fraction, "entity": spec.split.entity,
        "train_rows": train_rows.len(), "holdout_rows": holdout_rows.len() }),
    );

    let mut dp_model = None;
    // An augmented release: the rows before augmentation and what was added.
    let mut augmented: Option<(Table, Vec<crate::augment::AddedRows>, Vec<String>)> = None;
    let (synthetic, synthesizer_version, llm) = match &spec.llm {
        Some(generation) => {
            progress("generating with the language model")?;
            let llm_log = llm_log.ok_or_else(|| {
                Error::internal("a prompt-based pipeline was run without a place for its log")
            })?;
            let run =
                crate::llm::generate_for_pipeline(generation, &schema, &train, llm_log, progress)?;
            log.push(
                serde_json::json!({ "step": "generate", "synthesizer": "llm",
                "model": generation.server.model, "records": run.generation.records.len(),
                "responses": run.generation.summary.responses }),
            );
            // The model's rows pass through the training rows' codecs, so the privacy
            // protections (tails clipped, rare categories not reproduced, identifiers fresh)
            // hold for them as for any synthesizer's.
            progress("protecting the generated rows")?;
            let codecs = synthgate_synth::codec::encode(
                &train,
                &schema,
                &spec.synthesizer.protections(),
                Seed(spec.synthesizer.seed).derive("encode"),
            )?
            .codecs;
            let (table, changed) =
                synthgate_synth::codec::protect(&codecs, &schema, &run.generation.table)?;
            log.push(serde_json::json!({ "step": "protect",
                "min_category_count": spec.synthesizer.min_category_count,
                "tail_count": spec.synthesizer.tail_count, "changed": changed }));
            (table, crate::llm::generator_version(), Some(run))
        }
        None if spec.synthesizer.epsilon.is_some() => {
            let epsilon = spec.synthesizer.epsilon.unwrap_or_default();
            let delta = spec.synthesizer.delta.unwrap_or(crate::spec::DEFAULT_DELTA);
            let path = std::path::Path::new(crate::layout::DP_MODEL_FILE);
            let model = match dp {
                Some(DpSource::Fit { noise, reserve }) => {
                    progress(&format!(
                        "fitting {} at ε = {epsilon}",
                        spec.synthesizer.name
                    ))?;
                    synthgate_synth::fit_dp(
                        &train,
                        &schema,
                        &synthgate_synth::DpConfig {
                            epsilon,
                            delta,
                            seed: Seed(spec.synthesizer.seed),
                            noise_source: "the operating system's CSPRNG",
                        },
                        noise,
                        reserve,
                    )?
                }
                Some(DpSource::Bundled(bytes)) => {
                    progress("reading the bundled differentially private model")?;
                    synthgate_synth::Model::from_bytes(bytes, path)?
                }
                None => {
                    return Err(Error::internal(
                        "a differentially private pipeline was run without a noise source",
                    ));
                }
            };
            let statement = model.privacy().cloned().ok_or_else(|| {
                Error::spec("the bundled model has no differential-privacy statement.")
                    .at(synthgate_core::Location::file(path))
            })?;
            log.push(
                serde_json::json!({ "step": "fit", "synthesizer": spec.synthesizer.name,
                "differential_privacy": { "epsilon": statement.epsilon,
                "delta": statement.delta, "rho": statement.rho,
                "noise_source": statement.noise_source },
                "seed": spec.synthesizer.seed }),
            );
            progress("sampling")?;
            let sample_rows = spec.synthesizer.rows.unwrap_or(train.num_rows());
            let synthetic = model.sample(sample_rows, Seed(spec.synthesizer.seed))?;
            log.push(serde_json::json!({ "step": "sample", "rows": sample_rows,
                "seed": spec.synthesizer.seed, "from": crate::layout::DP_MODEL_FILE }));
            let version = synthgate_synth::Synthesizers::builtin()
                .get(&spec.synthesizer.name)
                .map(synthgate_synth::generator_version)
                .unwrap_or_default();
            dp_model = Some((model.to_bytes(), statement));
            (synthetic, version, None)
        }
        None => {
            progress("fitting")?;
            let parameters: Vec<(String, String)> = spec
                .synthesizer
                .params
                .iter()
                .map(|(k, v)| (k.clone(), param_text(v)))
                .collect();
            let synthesizer = synthgate_synth::Synthesizers::builtin()
                .configured(&spec.synthesizer.name, &parameters)?;
            let model = synthgate_synth::fit(
                &train,
                &schema,
                synthesizer.as_ref(),
                &FitConfig {
                    seed: Seed(spec.synthesizer.seed),
                    protections: spec.synthesizer.protections(),
                },
            )?;
            log.push(
                serde_json::json!({ "step": "fit", "synthesizer": spec.synthesizer.name,
            "version": synthesizer.version(), "parameters": spec.synthesizer.params,
            "seed": spec.synthesizer.seed,
            "min_category_count": spec.synthesizer.min_category_count,
            "tail_count": spec.synthesizer.tail_count }),
            );

            progress("sampling")?;
            let sample_rows = spec.synthesizer.rows.unwrap_or(train.num_rows());
            let synthetic = model.sample(sample_rows, Seed(spec.synthesizer.seed))?;
            log.push(serde_json::json!({ "step": "sample", "rows": sample_rows,
            "seed": spec.synthesizer.seed }));
            let synthetic = match &spec.augment {
                Some(augment) => {
                    progress(&format!("up-sampling groups of '{}'", augment.column))?;
                    let result = crate::augment::augment(
                        &model,
                        &synthetic,
                        &schema,
                        augment,
                        Seed(spec.synthesizer.seed),
                    )?;
                    log.push(serde_json::json!({ "step": "augment",
                        "column": augment.column, "groups": result.groups,
                        "seed": spec.synthesizer.seed, "rows": result.table.num_rows() }));
                    let crate::augment::Augmented {
                        table,
                        groups,
                        warnings,
                    } = result;
                    augmented = Some((synthetic, groups, warnings));
                    table
                }
                None => synthetic,
            };
            (
                synthetic,
                synthgate_synth::generator_version(synthesizer.as_ref()),
                None,
            )
        }
    };

    progress("evaluating")?;
    let config = evaluation_config(spec);
    let split = format!("split of source (seed {})", spec.split.seed);
    let mut report = synthgate_eval::score(
        &schema,
        [
            input(&train, "train", &split, &source_sha256),
            input(&holdout, "holdout", &split, &source_sha256),
            input(&synthetic, "synthetic", "data/synthetic.parquet", ""),
        ],
        &config,
        &mut |step| progress(&format!("evaluating: {step}")),
    )?;
    if let Some(run) = &llm {
        report.metrics.extend(crate::llm::metrics(run));
    }
    let augmentation = match (&augmented, &spec.augment) {
        (Some((before, groups, warnings)), Some(augment)) => {
            progress("evaluating: before and after augmentation")?;
            let declared: Vec<(String, f64)> = groups
                .iter()
                .map(|g| (g.group.clone(), g.declared_share))
                .collect();
            report.metrics.extend(synthgate_eval::augment::augmentation(
                &schema,
                [&train, &holdout, before, &synthetic],
                &augment.column,
                &declared,
                &config,
            )?);
            report.warnings.extend(warnings.iter().cloned());
            let statement = crate::augment::statement(groups, augment);
            report.warnings.push(statement.clone());
            Some(statement)
        }
        _ => None,
    };
    if let Some((_, statement)) = &dp_model {
        report.formal_guarantee = Some(format!(
            "the synthetic data and the model it was sampled from are ({:.4}, {:e})-differentially \
             private (ρ = {:.6} zero-concentrated DP; {}), for {}.",
            statement.epsilon, statement.delta, statement.rho, statement.mechanism, statement.unit
        ));
    }
    log.push(serde_json::json!({ "step": "evaluate",
        "harness_version": synthgate_eval::HARNESS_VERSION, "metrics": report.metrics.len() }));

    // A hybrid release: real training rows mixed in after the evaluation, which scores the
    // synthetic rows alone; the report names the real ones.
    let (released, origin) = match &spec.hybrid {
        Some(hybrid) => {
            progress("mixing in the real rows")?;
            let (count, chosen) = crate::hybrid::real_rows(
                hybrid,
                synthetic.num_rows(),
                train.num_rows(),
                &report.metrics,
            )?;
            let mixed = crate::hybrid::mix(&synthetic, &train, &schema, hybrid, count)?;
            let statement = crate::hybrid::composition(&mixed, hybrid);
            report.metrics.extend(crate::hybrid::metrics(&mixed));
            report.warnings.push(statement.clone());
            log.push(serde_json::json!({ "step": "hybrid", "seed": hybrid.seed,
                "real_rows": mixed.real_rows, "synthetic_rows": synthetic.num_rows(),
                "real_share": mixed.real_share, "chosen": chosen }));
            (mixed.table, Some((mixed.origin, statement)))
        }
        None => (synthetic, None),
    };

    progress("deciding the gates")?;
    let decision = decide(&spec.policy, &report.metrics)?;
    log.push(
        serde_json::json!({ "step": "gate", "releasable": decision.releasable,
        "failed": decision.failures() }),
    );

    let release_schema = schema.clone();
    Ok(Release {
        spec: spec.clone(),
        source_sha256,
        source_rows: rows,
        source_columns: schema.columns.len(),
        schema,
        split_rows: (train.num_rows(), holdout.num_rows()),
        synthesizer_version,
        data: vec![DataTable {
            name: "synthetic".into(),
            path: crate::layout::DATA_FILE.into(),
            table: released,
            schema: release_schema,
            copied: false,
        }],
        dataset: None,
        report,
        decision,
        log,
        profile,
        llm,
        dp_model,
        origin,
        augmentation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_split_keeps_each_entity_whole_whatever_the_row_order() {
        // 300 entities with 1 to 5 rows each, interleaved; two rows without a key.
        let mut keys: Vec<Option<String>> = Vec::new();
        for round in 0..5 {
            for entity in 0..300 {
                if entity % 5 >= round {
                    keys.push(Some(format!("p{entity}")));
                }
            }
        }
        keys.push(None);
        keys.push(None);
        let (train, holdout) = split_entities(&keys, 0.2, Seed(3));
        assert_eq!(train.len() + holdout.len(), keys.len());
        let side = |rows: &[u32]| -> std::collections::HashSet<&str> {
            rows.iter()
                .filter_map(|&r| keys[r as usize].as_deref())
                .collect()
        };
        let (a, b) = (side(&train), side(&holdout));
        assert!(a.is_disjoint(&b), "an entity is on both sides");
        // 302 entities, 60 held out: round(302 × 0.2).
        let held = b.len()
            + holdout
                .iter()
                .filter(|&&r| keys[r as usize].is_none())
                .count();
        assert_eq!(held, 60);
        // Reversed rows: the same entities held out.
        let reversed: Vec<Option<String>> = keys.iter().rev().cloned().collect();
        let (_, holdout_reversed) = split_entities(&reversed, 0.2, Seed(3));
        let b_reversed: std::collections::HashSet<&str> = holdout_reversed
            .iter()
            .filter_map(|&r| reversed[r as usize].as_deref())
            .collect();
        assert_eq!(b, b_reversed);
        assert_ne!(split_entities(&keys, 0.2, Seed(4)).1, holdout);
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let (train, holdout) = split_rows(1000, 0.2, Seed(3));
        assert_eq!((train.len(), holdout.len()), (800, 200));
        let mut all: Vec<u32> = train.iter().chain(&holdout).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<u32>>());
        assert_eq!(
            split_rows(1000, 0.2, Seed(3)),
            (train.clone(), holdout.clone())
        );
        assert_ne!(split_rows(1000, 0.2, Seed(4)).1, holdout);
    }
}
