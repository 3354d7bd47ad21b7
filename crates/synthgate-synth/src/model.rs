//! Fitting, sampling and the versioned model file.
//!
//! A model file is JSON: a header (`format`, `format_version`, the synthesizer's name and
//! payload version, the Synthgate version, the fit seed, the training row count, the
//! protections, the schema and the column codecs) and the synthesizer's own `parameters`.
//! Later versions read every earlier `format_version`; a newer one is refused with a message
//! that says to upgrade. **A model file is as sensitive as the training data**: it holds
//! statistics of it.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use synthgate_core::{Comparison, Error, Location, Result, Rule, Schema, Seed, SeedRng, Table};

use synthgate_core::text::{parse_bool, parse_float};

use crate::calendar::{Calendar, Date};
use crate::codec::{
    CodecKind, ColumnCodec, Encoded, EncodedColumn, Protections, decode_with, encode, output_schema,
};
use crate::{Condition, Fitted, Synthesizer};
use synthgate_dp::accountant::{PrivacyStatement, SCOPE, UNIT_OF_PRIVACY, epsilon, rho_for};
use synthgate_dp::mst::MstConfig;
use synthgate_dp::noise::Noise;

/// The `format` field of every model file.
pub(crate) const MODEL_FORMAT: &str = "synthgate-model";

/// The model file format this version writes, and the newest it reads. Version 2 adds the
/// differential-privacy statement; models without one are still written as version 1.
pub const MODEL_FORMAT_VERSION: u32 = 2;

/// Rows per sampling shard. Shard `i` draws from the seed stream (`seed`, "sample", `i`), so the
/// output depends on the seed and the row count only, never on the number of threads.
pub const SHARD_ROWS: usize = 16_384;

/// How often a row that breaks a rule is drawn again before its values are adjusted.
pub const RULE_REDRAWS: usize = 50;

/// How to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitConfig {
    /// The master seed of the fit.
    pub seed: Seed,
    /// The privacy protections.
    pub protections: Protections,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    format_version: u32,
    synthesizer: String,
    synthesizer_version: u32,
    synthgate_version: String,
    seed: u64,
    training_rows: usize,
    protections: Protections,
    warnings: Vec<String>,
    schema: Schema,
    codecs: Vec<ColumnCodec>,
    parameters: serde_json::Value,
    /// The differential-privacy statement of a DP fit (format version 2 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    privacy: Option<PrivacyStatement>,
    /// Time columns with their calendar parts, each sampled row's time placed by its drawn
    /// parts (codec version 4 and later; never in a DP fit, which learns nothing outside its
    /// noisy measurements).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    calendars: Vec<Calendar>,
    /// Year, month and day columns that spell a valid date in every training row, each
    /// sampled row's day past its month's end put on its last day (as `calendars`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dates: Vec<Date>,
}

/// A fitted model: what the synthesizer learned, ready to sample or save.
pub struct Model {
    file: ModelFile,
    fitted: Box<dyn Fitted>,
    /// What the synthesizer that made it supports.
    capabilities: crate::Capabilities,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("synthesizer", &self.file.synthesizer)
            .field("training_rows", &self.file.training_rows)
            .finish_non_exhaustive()
    }
}

/// Fit `synthesizer` on `table` described by `schema`.
pub fn fit(
    table: &Table,
    schema: &Schema,
    synthesizer: &dyn Synthesizer,
    config: &FitConfig,
) -> Result<Model> {
    let encoded = encode(
        table,
        schema,
        &config.protections,
        config.seed.derive("encode"),
    )?;
    let fitted = synthesizer.fit(&encoded.data, &encoded.codecs, config.seed.derive("fit"))?;
    let parameters = fitted.parameters()?;
    let file = ModelFile {
        format: MODEL_FORMAT.to_string(),
        format_version: 1,
        synthesizer: synthesizer.name().to_string(),
        synthesizer_version: synthesizer.version(),
        synthgate_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: config.seed.0,
        training_rows: table.num_rows(),
        protections: config.protections,
        warnings: encoded.warnings,
        schema: schema.clone(),
        codecs: encoded.codecs,
        parameters,
        privacy: None,
        calendars: crate::calendar::find(table),
        dates: crate::calendar::find_dates(table),
    };
    // Every model `fit` returns can be saved and read back: a number JSON cannot hold, or
    // parameters the synthesizer cannot load, are a bug to report, not a file to write.
    check_finite(&file, "the fitted model")?;
    synthesizer
        .load(&file.parameters, file.synthesizer_version)
        .map_err(|error| {
            Error::internal(format!(
                "the fitted model's parameters do not load back: {}",
                error.message()
            ))
        })?;
    Ok(Model {
        file,
        fitted,
        capabilities: synthesizer.capabilities(),
    })
}

/// How to fit a differentially private model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpConfig {
    /// ε of (ε, δ)-DP.
    pub epsilon: f64,
    /// δ of (ε, δ)-DP.
    pub delta: f64,
    /// The default sampling seed recorded in the model (it never reaches the noise).
    pub seed: Seed,
    /// Where the noise comes from, in words (recorded in the statement).
    pub noise_source: &'static str,
}

/// What a differentially private fit is about to spend, told to the caller before the first
/// noise draw (so a ledger can reserve it, or refuse).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrivacyPlan {
    /// ρ (zCDP) the fit may spend.
    pub rho: f64,
    /// The ε asked for.
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
}

/// Fit the differentially private synthesizer (`mst`) on `table` under `schema`, whose domains
/// must be marked public; every noise draw comes from `noise` (the operating system's CSPRNG in
/// every front end, a seeded source only in tests). `reserve` hears the plan after every check
/// and before the first noise draw; an error from it ends the fit with nothing measured.
pub fn fit_dp(
    table: &Table,
    schema: &Schema,
    config: &DpConfig,
    noise: &mut dyn Noise,
    reserve: &mut dyn FnMut(&PrivacyPlan) -> Result<()>,
) -> Result<Model> {
    check_dp_schema(table, schema)?;
    let rho_budget = rho_for(config.epsilon, config.delta)?;
    let encoded = crate::codec::encode_public(table, schema)?;
    reserve(&PrivacyPlan {
        rho: rho_budget,
        epsilon: config.epsilon,
        delta: config.delta,
    })?;
    let mst = crate::mst::fit(
        &encoded.data,
        &encoded.codecs,
        &MstConfig::new(rho_budget),
        noise,
    )?;
    let release = mst.release();
    let rho: f64 = release.spends.iter().map(|spend| spend.rho).sum();
    let privacy = PrivacyStatement {
        mechanism: "MST (McKenna, Miklau and Sheldon 2021): discrete Gaussian measurements of every column and of a spanning tree of pairs chosen by the exponential mechanism, Private-PGM inference"
            .to_string(),
        epsilon: epsilon(rho, config.delta)?,
        delta: config.delta,
        rho,
        rho_budget,
        epsilon_budget: config.epsilon,
        unit: UNIT_OF_PRIVACY.to_string(),
        noise_source: config.noise_source.to_string(),
        scope: SCOPE.to_string(),
        spends: release.spends.clone(),
    };
    let synthesizer = crate::mst::Mst;
    let parameters = crate::to_parameters(&mst)?;
    let file = ModelFile {
        format: MODEL_FORMAT.to_string(),
        format_version: MODEL_FORMAT_VERSION,
        synthesizer: synthesizer.name().to_string(),
        synthesizer_version: synthesizer.version(),
        synthgate_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: config.seed.0,
        // The exact count is not differentially private; the noisy estimate is.
        training_rows: release.total.round().max(1.0) as usize,
        protections: Protections::default(),
        warnings: encoded.warnings,
        schema: schema.clone(),
        codecs: encoded.codecs,
        parameters,
        privacy: Some(privacy),
        calendars: Vec::new(),
        dates: Vec::new(),
    };
    check_finite(&file, "the fitted model")?;
    let fitted = synthesizer.load(&file.parameters, file.synthesizer_version)?;
    Ok(Model {
        file,
        fitted,
        capabilities: synthesizer.capabilities(),
    })
}

/// A DP fit needs domains the user vouches are public, and one row per person.
fn check_dp_schema(table: &Table, schema: &Schema) -> Result<()> {
    if !schema.public_domains {
        return Err(Error::spec(
            "a differentially private fit needs public domains, and this schema's bounds and categories were inferred from data (it does not say `public_domains = true`). Domains read from the same rows leak them: a category only one person has would appear in the output.",
        )
        .hint(
            "If every bound and category list in the schema is public knowledge (a code book, a legal range), mark it: write it with `synthgate inspect DATA --public-domains --schema-out FILE`, or add `public_domains = true` at the top of the schema file. Otherwise replace the inferred domains with public ones first.",
        ));
    }
    for (index, name) in table.column_names().iter().enumerate() {
        let Some(column) = schema.column(name) else {
            continue;
        };
        if column.semantic != synthgate_core::SemanticType::Identifier {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        let values = crate::codec::text_values(table, index);
        if values
            .iter()
            .flatten()
            .any(|value| !seen.insert(value.clone()))
        {
            return Err(Error::input(format!(
                "column '{name}' is an identifier whose values repeat: the table has several rows per person, and differential privacy here protects one row, not one person."
            ))
            .hint(
                "Keep one row per person before a DP fit (per-person contribution bounds are not supported yet), or mark the column as not an identifier if its values do not name people.",
            ));
        }
    }
    Ok(())
}

impl Model {
    /// The differential-privacy statement of a DP model.
    pub fn privacy(&self) -> Option<&PrivacyStatement> {
        self.file.privacy.as_ref()
    }

    /// The synthesizer's name.
    pub fn synthesizer(&self) -> &str {
        &self.file.synthesizer
    }

    /// The seed the model was fitted with (the default sampling seed).
    pub fn seed(&self) -> Seed {
        Seed(self.file.seed)
    }

    /// The number of training rows.
    pub fn training_rows(&self) -> usize {
        self.file.training_rows
    }

    /// What the codec dropped or replaced when fitting, in words.
    pub fn warnings(&self) -> &[String] {
        &self.file.warnings
    }

    /// The schema the model was fitted under.
    pub fn schema(&self) -> &Schema {
        &self.file.schema
    }

    /// The column codecs.
    pub fn codecs(&self) -> &[ColumnCodec] {
        &self.file.codecs
    }

    /// Sample `rows` rows from stream `seed`. Shards are drawn in parallel; the result is the
    /// same for any thread count.
    pub fn sample(&self, rows: usize, seed: Seed) -> Result<Table> {
        self.sample_where(rows, seed, &[])
    }

    /// The conditions `column=value` as codes, checked against the model: the column must be
    /// categorical and the value one of its kept categories.
    pub fn conditions(&self, wanted: &[(String, String)]) -> Result<Vec<Condition>> {
        if !wanted.is_empty() && !self.capabilities.conditioning {
            return Err(Error::usage(format!(
                "synthesizer '{}' cannot sample conditionally.",
                self.file.synthesizer
            )));
        }
        let mut conditions: Vec<Condition> = Vec::new();
        for (name, value) in wanted {
            let Some(column) = self
                .file
                .codecs
                .iter()
                .position(|codec| &codec.name == name)
            else {
                let names: Vec<&str> = self.file.codecs.iter().map(|c| c.name.as_str()).collect();
                return Err(Error::usage(format!(
                    "--where names column '{name}', which the model does not have."
                ))
                .hint(format!("The columns are: {}.", names.join(", "))));
            };
            let CodecKind::Categorical { categories } = &self.file.codecs[column].kind else {
                return Err(Error::usage(format!(
                    "--where {name}={value}: only categorical, boolean and coded columns can be \
                     fixed, and '{name}' is modelled as numbers or regenerated."
                )));
            };
            let numeric = parse_float(value.trim());
            let code = categories.iter().position(|category| {
                category == value
                    || numeric.is_some_and(|number| parse_float(category) == Some(number))
                    || parse_bool(category).is_some_and(|b| parse_bool(value.trim()) == Some(b))
            });
            let Some(code) = code else {
                return Err(Error::usage(format!(
                    "--where {name}={value}: the model never produces '{value}' in '{name}' (it \
                     is not in the training data, or was rarer than {} rows and protected).",
                    self.file.protections.min_category_count
                ))
                .hint(format!(
                    "Values it produces include: {}.",
                    categories
                        .iter()
                        .take(10)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            if conditions.iter().any(|c| c.column == column) {
                return Err(Error::usage(format!(
                    "--where names column '{name}' twice."
                )));
            }
            conditions.push(Condition {
                column,
                code: code as u32,
            });
        }
        Ok(conditions)
    }

    /// Sample `rows` rows meeting `conditions` (from [`Model::conditions`]) from stream `seed`.
    pub fn sample_where(&self, rows: usize, seed: Seed, conditions: &[Condition]) -> Result<Table> {
        if rows == 0 {
            return Err(Error::usage(
                "the number of rows to sample must be at least 1.",
            ));
        }
        let shards = rows.div_ceil(SHARD_ROWS);
        let batches = (0..shards)
            .into_par_iter()
            .map(|shard| {
                let first = shard * SHARD_ROWS;
                let count = SHARD_ROWS.min(rows - first);
                let mut rng = seed.stream("sample", shard as u64);
                let mut encoded = self.fitted.sample_shard(count, &mut rng, conditions)?;
                // Calendars first: the schema's rules have the last word.
                self.keep_calendars(&mut encoded, conditions);
                self.enforce_rules(&mut encoded, &mut rng, conditions)?;
                // New text for generated rare values comes from a stream of its own, so other
                // columns draw as they would without it.
                let mut text = seed.stream("sample/text", shard as u64);
                decode_with(&self.file.codecs, &encoded, first, Some(&mut text))
            })
            .collect::<Result<Vec<_>>>()?;
        Table::new(output_schema(&self.file.codecs), batches)
    }

    /// Keep every row's date valid and its time on its drawn calendar parts
    /// ([`crate::calendar`]), before the schema's rules are enforced (a rule wins over a
    /// calendar); a date or calendar with a part fixed by a condition is left as drawn.
    fn keep_calendars(&self, encoded: &mut Encoded, conditions: &[Condition]) {
        let codecs = &self.file.codecs;
        let conditioned = |name: &str| conditions.iter().any(|c| codecs[c.column].name == name);
        for date in &self.file.dates {
            if !date.columns.iter().any(|c| conditioned(c)) {
                date.mend_encoded(codecs, &mut encoded.columns);
            }
        }
        for calendar in &self.file.calendars {
            if !calendar.parts.iter().any(|(name, _)| conditioned(name)) {
                calendar.place_encoded(codecs, &mut encoded.columns);
            }
        }
    }

    /// Make every row satisfy the schema's rules: a row that breaks one is drawn again (from
    /// the same stream, so the result stays deterministic) up to [`RULE_REDRAWS`] times; after
    /// that, the left side of each broken rule is set to its right side, which satisfies it.
    fn enforce_rules(
        &self,
        encoded: &mut Encoded,
        rng: &mut SeedRng,
        conditions: &[Condition],
    ) -> Result<()> {
        let codecs = &self.file.codecs;
        let index = |name: &str| codecs.iter().position(|codec| codec.name == name);
        let rules: Vec<(Rule, usize, usize)> = self
            .file
            .schema
            .parsed_rules()
            .into_iter()
            .filter_map(|rule| {
                let (left, right) = (index(&rule.left)?, index(&rule.right)?);
                Some((rule, left, right))
            })
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        let broken = |encoded: &Encoded, row: usize| {
            rules.iter().any(|(rule, left, right)| {
                !rule.holds(
                    encoded.number(codecs, *left, row),
                    encoded.number(codecs, *right, row),
                )
            })
        };
        for row in 0..encoded.rows {
            let mut redraws = 0;
            while broken(encoded, row) && redraws < RULE_REDRAWS {
                let fresh = self.fitted.sample_shard(1, rng, conditions)?;
                encoded.copy_row(row, &fresh, 0);
                redraws += 1;
            }
            for (rule, left, right) in &rules {
                let (a, b) = (
                    encoded.number(codecs, *left, row),
                    encoded.number(codecs, *right, row),
                );
                if rule.holds(a, b) {
                    continue;
                }
                match &mut encoded.columns[*left] {
                    EncodedColumn::Numeric(values) => values[row] = b,
                    _ => {
                        return Err(Error::usage(format!(
                            "the rule '{} {} {}' could not be met: '{}' is modelled as \
                             categories.",
                            rule.left,
                            if rule.comparison == Comparison::AtLeast {
                                ">="
                            } else {
                                "<="
                            },
                            rule.right,
                            rule.left
                        ))
                        .hint("Put the numeric column on the left of the rule."));
                    }
                }
            }
        }
        Ok(())
    }

    /// The model file's bytes (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain data whose numbers were checked finite when the model was fitted or read, so
        // serialisation cannot fail and writes no `null` for a number.
        let mut bytes = serde_json::to_vec(&self.file).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Read a model file's bytes. `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
        Model::from_bytes_in(bytes, path, &crate::Synthesizers::builtin())
    }

    /// [`Model::from_bytes`], finding the model's synthesizer in `synthesizers`.
    pub fn from_bytes_in(
        bytes: &[u8],
        path: &Path,
        synthesizers: &crate::Synthesizers,
    ) -> Result<Model> {
        let located = |message: String| Error::spec(message).at(Location::file(path));
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
            let what = if error.is_eof() {
                "the model file is truncated"
            } else {
                "the model file is not valid JSON"
            };
            located(format!("{what} ({error}).")).hint(
                "Fit the model again with `synthgate fit`; a model file must be complete to be \
                 read.",
            )
        })?;
        if value.get("format").and_then(|format| format.as_str()) != Some(MODEL_FORMAT) {
            return Err(located("this is not a Synthgate model file.".into())
                .hint("Give a file written by `synthgate fit --out MODEL`."));
        }
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if version > u64::from(MODEL_FORMAT_VERSION) {
            return Err(located(format!(
                "the model file has format_version {version}, newer than this Synthgate reads \
                 ({MODEL_FORMAT_VERSION})."
            ))
            .hint("Upgrade Synthgate to read it."));
        }
        let file: ModelFile = serde_json::from_value(value)
            .map_err(|error| located(format!("the model file is damaged: {error}.")))?;
        let synthesizer = synthesizers.get(&file.synthesizer).ok_or_else(|| {
            located(format!(
                "the model was made by synthesizer '{}', which this Synthgate does not have.",
                file.synthesizer
            ))
            .hint("Run `synthgate synthesizers` to list the available ones.")
        })?;
        if file.synthesizer_version > synthesizer.version() {
            return Err(located(format!(
                "the model was made by a newer version ({}) of synthesizer '{}' than this \
                 Synthgate has ({}).",
                file.synthesizer_version,
                file.synthesizer,
                synthesizer.version()
            ))
            .hint("Upgrade Synthgate to read it."));
        }
        let fitted = synthesizer
            .load(&file.parameters, file.synthesizer_version)
            .map_err(|error| located(error.message().to_string()))?;
        Ok(Model {
            file,
            fitted,
            capabilities: synthesizer.capabilities(),
        })
    }
}

/// Checks that a value about to be written into a model file holds only finite numbers. JSON has
/// no NaN or infinity, and serde_json writes them as `null`, which then fails to load as a
/// number (or loads as "absent"): a model file written that way could not be sampled. So saving
/// fails closed: a non-finite number in a model is an internal error naming the field that holds
/// it (`synthgate_core::canonical`, the check every hashed or signed file goes through too).
pub(crate) fn check_finite<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<()> {
    synthgate_core::canonical::check_finite(value, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Leaf {
        quantiles: Vec<f64>,
        missing: Option<f64>,
    }

    #[derive(Serialize)]
    enum Node {
        Split { threshold: u16 },
        Leaf(Leaf),
    }

    #[derive(Serialize)]
    struct Tree {
        name: String,
        nodes: Vec<Node>,
        weights: std::collections::BTreeMap<String, (f32, f64)>,
    }

    fn tree(value: f64, weight: f64) -> Tree {
        Tree {
            name: "t".into(),
            nodes: vec![
                Node::Split { threshold: 3 },
                Node::Leaf(Leaf {
                    quantiles: vec![0.5, value],
                    missing: Some(0.1),
                }),
            ],
            weights: [("w".to_string(), (1.0, weight))].into_iter().collect(),
        }
    }

    #[test]
    fn finite_models_pass_and_the_first_non_finite_number_is_named() {
        fn found<T: Serialize>(value: &T) -> String {
            check_finite(value, "m")
                .err()
                .map(|e| e.message().to_string())
                .unwrap_or_default()
        }
        assert!(check_finite(&tree(1e308, -5e-324), "m").is_ok());
        let nan = found(&tree(f64::NAN, 1.0));
        assert!(nan.contains("NaN at nodes.[1].Leaf.quantiles.[1]"), "{nan}");
        let inf = found(&tree(0.0, f64::NEG_INFINITY));
        assert!(inf.contains("-inf at weights.w.[1]"), "{inf}");
        let top = found(&Some(f32::INFINITY));
        assert!(top.contains("inf at its top level"), "{top}");
    }

    #[test]
    fn parameters_with_a_non_finite_number_are_an_internal_error() {
        let error = crate::to_parameters(&tree(f64::INFINITY, 1.0)).expect_err("refused");
        assert_eq!(error.kind().exit_code(), 1);
        assert!(
            error
                .message()
                .contains("inf at nodes.[1].Leaf.quantiles.[1]"),
            "{error}"
        );
        let value = crate::to_parameters(&tree(2.0, 1.0)).expect("finite");
        assert_eq!(value["nodes"][1]["Leaf"]["quantiles"][1], 2.0);
    }
}
