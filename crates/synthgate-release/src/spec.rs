//! The pipeline spec (`pipeline.toml`): what to release, from which source, how to split,
//! synthesize and evaluate, and the policy the release must meet. Unknown keys are errors;
//! every other field has a default written here and in `synthgate run --help`. Relative paths
//! resolve from the spec file's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::metrics::{self, Needs};
use synthgate_core::{Error, Location, Result};

/// The spec format this version reads.
pub const SPEC_FORMAT_VERSION: u32 = 1;

/// A whole pipeline spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// Spec format version (default 1).
    #[serde(default = "format_version")]
    pub format_version: u32,
    /// What is released and for what.
    pub release: ReleaseSpec,
    /// The real table.
    pub source: SourceSpec,
    /// The train / holdout split.
    #[serde(default)]
    pub split: SplitSpec,
    /// The synthesizer.
    #[serde(default)]
    pub synthesizer: SynthesizerSpec,
    /// The evaluation.
    #[serde(default)]
    pub evaluation: EvaluationSpec,
    /// The gates and waivers.
    #[serde(default)]
    pub policy: PolicySpec,
    /// Prompt-based generation, when `synthesizer.name = "llm"`: the generation spec of
    /// `synthgate generate` as `[llm.server]`, `[llm.generation]`, `[[llm.columns]]`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<synthgate_llm::GenerateSpec>,
    /// A hybrid release: the synthetic rows with a declared share of real training rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<HybridSpec>,
    /// An augmented release: groups of a sensitive attribute up-sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<AugmentSpec>,
}

/// `[augment]`: groups of one sensitive attribute up-sampled by sampling the fitted model
/// conditionally (every added row is synthetic), to a declared share of the release or a
/// number of rows. The evaluation compares every group before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentSpec {
    /// The attribute whose groups are up-sampled: a categorical column listed in
    /// `[evaluation] sensitive`.
    pub column: String,
    /// The groups to up-sample (`[[augment.groups]]`).
    pub groups: Vec<AugmentGroup>,
}

/// One up-sampled group (`[[augment.groups]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentGroup {
    /// The group's value of `[augment] column`.
    pub value: toml::Value,
    /// The group's share of the release after augmentation (above 0, at most 0.9; the
    /// shares of all groups below 1). Exactly one of `share` and `rows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The group's rows in the release after augmentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Further values the added rows take, `{ COLUMN = VALUE }` (categorical columns): e.g.
    /// only the group's positive cases.
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, toml::Value>,
}

impl AugmentGroup {
    /// The group's value as text (`--where` takes it so).
    pub fn value_text(&self) -> String {
        value_text(&self.value)
    }
}

/// A spec value as the text a condition compares: a string as it is, a number or boolean as
/// TOML writes it.
pub fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `[hybrid]`: real training rows released with the synthetic ones. The real rows are chosen
/// by seed among the training rows (never the holdout) and shuffled in with the synthetic
/// rows; which row is which is kept in a separate file (or withheld).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HybridSpec {
    /// The share of the release's rows that are real: `real / (real + synthetic)`, above 0
    /// and at most 0.5; with `choose_share`, the most the rule may choose.
    pub real_share: f64,
    /// A rule that chooses the share from the evaluation instead: `"marginal_value"` takes
    /// the real training rows `utility.real_share_needed` names (the smallest share of them
    /// beyond which adding more to the synthetic rows brings no significant gain; needs
    /// `[evaluation] target`), at most `real_share` of the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choose_share: Option<ShareRule>,
    /// The legal basis for releasing the real rows (required), e.g. "GDPR Art. 9(2)(j),
    /// research exemption, ethics approval 2026-114".
    pub legal_basis: String,
    /// The role that must approve the real rows: one of `[[policy.approvers]]`.
    pub approver_role: String,
    /// Where the origin file (each row's `real` or `synthetic`) goes: `ship` (default: in the
    /// bundle at `origin/origin.parquet`, a file of its own so access to it can differ from
    /// access to the data) or `withhold` (in the operator's workspace only, listed in the
    /// manifest by digest).
    #[serde(default = "default_origin")]
    pub origin: RealDataFiles,
    /// The seed that chooses the real rows and shuffles them in (default 0).
    #[serde(default)]
    pub seed: u64,
}

/// `[hybrid] choose_share`: how a hybrid release's share of real rows is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareRule {
    /// As many real training rows as `utility.real_share_needed` says are worth adding.
    MarginalValue,
}

fn default_origin() -> RealDataFiles {
    RealDataFiles::Ship
}

fn format_version() -> u32 {
    SPEC_FORMAT_VERSION
}

/// Where a release may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseEnvironment {
    /// Anyone may have it.
    Public,
    /// Under a licence to named recipients.
    Licensed,
    /// Only to approved users under access controls.
    ControlledAccess,
    /// Only inside a secure enclave.
    SecureEnclave,
}

/// The release's facts for people and registries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// A short name (letters, digits, `-`, `_`, `.`), used for the bundle folder.
    pub name: String,
    /// The release version (default "1.0.0").
    #[serde(default = "default_version")]
    pub version: String,
    /// What the data is.
    #[serde(default)]
    pub description: String,
    /// Who is responsible for the release.
    #[serde(default)]
    pub owner: String,
    /// The licence of the synthetic data (default "proprietary").
    #[serde(default = "default_license")]
    pub license: String,
    /// What the data may be used for.
    #[serde(default)]
    pub intended_use: Vec<String>,
    /// What it must not be used for (default: decisions about real individuals).
    #[serde(default = "default_prohibited")]
    pub prohibited_use: Vec<String>,
    /// Where it may go (default: controlled access).
    #[serde(default = "default_environment")]
    pub environment: ReleaseEnvironment,
}

fn default_version() -> String {
    "1.0.0".into()
}

fn default_license() -> String {
    "proprietary".into()
}

fn default_prohibited() -> Vec<String> {
    vec!["decisions about real individuals".into()]
}

fn default_environment() -> ReleaseEnvironment {
    ReleaseEnvironment::ControlledAccess
}

/// The real table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// The CSV or Parquet file (empty when `dataset` is given).
    #[serde(default, skip_serializing_if = "is_empty_path")]
    pub path: PathBuf,
    /// A dataset of several tables (`dataset.toml`: tables, keys, references, sequences;
    /// `synthgate dataset --help`), instead of one file: every table is synthesized together
    /// and the bundle holds one data file per table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<PathBuf>,
    /// Extra missing-value tokens.
    #[serde(default)]
    pub na: Vec<String>,
    /// A schema file (default: inferred from the source).
    #[serde(default)]
    pub schema: Option<PathBuf>,
    /// Only these columns of the source (default: all), in this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// How the real data was collected, in general terms (no identifying detail): goes into
    /// the datasheet's `rai:dataCollection` (default: empty, and the datasheet says so).
    #[serde(default)]
    pub description: String,
    /// The protected dataset's name in the privacy ledger: every differentially private
    /// release of it charges one budget, whatever the file's digest (reordered rows, another
    /// format or one more row are the same dataset). Required with a DP synthesizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
}

fn is_empty_path(path: &Path) -> bool {
    path.as_os_str().is_empty()
}

/// The train / holdout split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// Share of rows held out from the synthesizer for evaluation (default 0.2).
    #[serde(default = "default_holdout")]
    pub holdout_fraction: f64,
    /// Seed of the split (default 0).
    #[serde(default)]
    pub seed: u64,
    /// The columns naming the entity a row belongs to (a patient of several encounters):
    /// every row of one entity lands on the same side, so the holdout holds whole entities
    /// the synthesizer never saw (default: none, each row its own entity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity: Vec<String>,
}

fn default_holdout() -> f64 {
    0.2
}

impl Default for SplitSpec {
    fn default() -> SplitSpec {
        SplitSpec {
            holdout_fraction: default_holdout(),
            seed: 0,
            entity: Vec::new(),
        }
    }
}

/// The synthesizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesizerSpec {
    /// A built-in synthesizer (default "cart"; see `synthgate synthesizers`).
    #[serde(default = "default_synthesizer")]
    pub name: String,
    /// Its settings, as `fit --param KEY=VALUE` takes them.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    /// Seed of fitting and sampling (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Rows to sample (default: as many as the training rows).
    #[serde(default)]
    pub rows: Option<usize>,
    /// Categories held by fewer training rows are not reproduced as such (default 10; the
    /// same protection as `fit --min-category-count`).
    #[serde(default = "default_min_category_count")]
    pub min_category_count: usize,
    /// Numeric values are clipped to the `tail_count`-th smallest and largest training value
    /// (default 10; `fit --tail-count`), so extremes held by fewer rows are never reproduced;
    /// lower in a column with few present values, whose two tails hold at most a fifth of them.
    #[serde(default = "default_tail_count")]
    pub tail_count: usize,
    /// ε of a differentially private synthesizer (`mst`); required with one, refused without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// δ of a differentially private synthesizer (default 1e-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

/// δ of a DP fit or budget unless the spec says otherwise.
pub const DEFAULT_DELTA: f64 = 1e-9;

fn default_min_category_count() -> usize {
    synthgate_synth::Protections::default().min_category_count
}

fn default_tail_count() -> usize {
    synthgate_synth::Protections::default().tail_count
}

impl SynthesizerSpec {
    /// The privacy protections the fit applies.
    pub fn protections(&self) -> synthgate_synth::Protections {
        synthgate_synth::Protections {
            min_category_count: self.min_category_count,
            tail_count: self.tail_count,
        }
    }
}

fn default_synthesizer() -> String {
    synthgate_synth::DEFAULT_SYNTHESIZER.into()
}

impl Default for SynthesizerSpec {
    fn default() -> SynthesizerSpec {
        SynthesizerSpec {
            name: default_synthesizer(),
            params: BTreeMap::new(),
            seed: 0,
            rows: None,
            min_category_count: default_min_category_count(),
            tail_count: default_tail_count(),
            epsilon: None,
            delta: None,
        }
    }
}

/// The evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSpec {
    /// The column utility predicts (no utility metrics without one).
    #[serde(default)]
    pub target: Option<String>,
    /// Sensitive attributes for subgroup fidelity.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// Bootstrap resamples per interval (default 50).
    #[serde(default = "default_resamples")]
    pub resamples: usize,
    /// Targets of the linkability and inference attacks, each side (default 2,000; at least
    /// 100). More narrows their risks' intervals, so a gate on a risk's upper end judges the
    /// release, not the measurement's noise.
    #[serde(default = "default_attacks")]
    pub attacks: usize,
    /// For a dataset source: the table whose rows are the entities the harness scores, each
    /// with its children summarised (a patient with all their encounters as one record);
    /// default: the table generated under no other whose children have the most rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

fn default_resamples() -> usize {
    50
}

fn default_attacks() -> usize {
    synthgate_eval::EvaluationConfig::default().attacks
}

impl Default for EvaluationSpec {
    fn default() -> EvaluationSpec {
        EvaluationSpec {
            target: None,
            sensitive: Vec::new(),
            resamples: default_resamples(),
            attacks: default_attacks(),
            entity: None,
        }
    }
}

/// Which number of a metric a gate compares (the metric table's type, so a row's default and a
/// spec's choice are one type).
pub use synthgate_core::metrics::Bound;

/// One gate: a metric and a threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// A metric id of the evaluation report.
    pub metric: String,
    /// The compared number must be at least this.
    #[serde(default)]
    pub min: Option<f64>,
    /// The compared number must be at most this.
    #[serde(default)]
    pub max: Option<f64>,
    /// Which number is compared (default: the metric's row of the metric table says, for a
    /// `min` and a `max` gate; a `max` gate on a privacy or subgroup metric compares the
    /// interval's upper end, so the risk is not understated; otherwise the value).
    #[serde(default)]
    pub bound: Option<Bound>,
}

impl GateSpec {
    /// The number this gate compares: the spec's `bound`, else its metric's default.
    pub fn bound(&self) -> Bound {
        self.bound.unwrap_or_else(|| {
            metrics::info(&self.metric)
                .map_or(Bound::Value, |row| row.gate_bound(self.max.is_some()))
        })
    }
}

/// A recorded exception to a gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverSpec {
    /// The gate's metric.
    pub metric: String,
    /// The role that waives it.
    pub role: String,
    /// Why.
    pub reason: String,
}

/// A role whose approval a release needs, and the keys allowed to give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverSpec {
    /// The role, e.g. `data_steward`, `dpo`.
    pub role: String,
    /// Fingerprints (`synthgate keygen` prints them) of the keys that may sign for it.
    pub keys: Vec<String>,
}

/// The gates, waivers and required approvals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// The gates (default: none).
    #[serde(default)]
    pub gates: Vec<GateSpec>,
    /// Waivers of failing gates.
    #[serde(default)]
    pub waivers: Vec<WaiverSpec>,
    /// Roles that must approve before the release is approved (default: none).
    #[serde(default)]
    pub approvers: Vec<ApproverSpec>,
    /// What `synthgate drift` records about the source and when it calls new data drifted.
    #[serde(default)]
    pub drift: DriftPolicy,
    /// Fingerprints of the operator keys allowed to sign bundles (default: any key, whose
    /// signatures must still agree with each other).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<String>,
    /// The most ε every differentially private release of `[source] dataset_id` may spend
    /// together (composed in zCDP, converted at `privacy_delta`); a run that would pass it is
    /// refused before any measurement (exit 4). Default: no cap (spends are still recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_budget: Option<f64>,
    /// δ at which `privacy_budget` is stated (default 1e-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_delta: Option<f64>,
    /// Whether the files computed from real rows (the evaluation report with its real-data
    /// values and charts, the source profile for drift monitoring) ship inside the bundle or
    /// stay in the operator's workspace, listed in the manifest by digest. Default: withheld
    /// when `[release] environment = "public"`, shipped otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_data_files: Option<RealDataFiles>,
}

/// `[policy] real_data_files`: where the files computed from real rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealDataFiles {
    /// In the bundle, beside the synthetic data.
    Ship,
    /// In the operator's workspace only; the manifest lists them by digest.
    Withhold,
}

impl PolicySpec {
    /// Whether a release to `environment` withholds the files computed from real rows.
    pub fn withholds_real_data_files(&self, environment: ReleaseEnvironment) -> bool {
        match self.real_data_files {
            Some(choice) => choice == RealDataFiles::Withhold,
            None => environment == ReleaseEnvironment::Public,
        }
    }
}

/// `[policy.drift]`: the source aggregates a bundle keeps, and the drift threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftPolicy {
    /// A column has drifted when its population stability index exceeds this (default 0.25,
    /// the usual "significant shift" line; 0.1 to 0.25 is reported as moderate).
    #[serde(default = "default_max_psi")]
    pub max_psi: f64,
    /// Whether a vanished, added or retyped column counts as drift (default true).
    #[serde(default = "default_true")]
    pub fail_on_schema_change: bool,
    /// Smallest count the bundle records: rarer categories are pooled, numeric bins merged,
    /// and a smaller missing count withheld (default 10).
    #[serde(default = "default_min_cell")]
    pub min_cell: usize,
    /// Quantile bins per numeric column (default 10).
    #[serde(default = "default_bins")]
    pub bins: usize,
}

fn default_max_psi() -> f64 {
    0.25
}

fn default_true() -> bool {
    true
}

fn default_min_cell() -> usize {
    10
}

fn default_bins() -> usize {
    10
}

impl Default for DriftPolicy {
    fn default() -> DriftPolicy {
        DriftPolicy {
            max_psi: default_max_psi(),
            fail_on_schema_change: true,
            min_cell: default_min_cell(),
            bins: default_bins(),
        }
    }
}

/// Whether `key` is a key fingerprint: 64 hex digits, as `synthgate keygen` prints.
/// Why `value` cannot be one component of a folder name, if it cannot: the release name and
/// version are joined into the bundle's path, so neither may hold a separator, start with a
/// dot (hidden, `.` or `..`) or contain `..`.
pub fn path_component_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.len() > 100 {
        Some("is longer than 100 characters")
    } else if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("holds a character other than letters, digits, '-', '_' and '.'")
    } else if value.starts_with('.') {
        Some("starts with '.'")
    } else if value.contains("..") {
        Some("contains '..'")
    } else {
        None
    }
}

/// `path` as given when absolute, else relative to `folder`.
fn resolve(folder: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        folder.join(path)
    }
}

/// The line of the first `key = ` at the start of a line in `text` (for errors found after
/// parsing).
fn line_of_key(text: &str, key: &str, value: &str) -> Option<u64> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.starts_with(key) && line.contains(value)
        })
        .map(|i| i as u64 + 1)
}

impl PipelineSpec {
    /// Read and check the spec at `path`; relative paths in it are resolved from its folder.
    pub fn load(path: &Path) -> Result<PipelineSpec> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::spec(format!("the pipeline spec could not be read: {error}."))
                .at(Location::file(path))
        })?;
        let mut spec = PipelineSpec::parse(&text, path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        if !spec.source.path.as_os_str().is_empty() {
            spec.source.path = resolve(folder, &spec.source.path);
        }
        spec.source.dataset = spec.source.dataset.map(|p| resolve(folder, &p));
        spec.source.schema = spec.source.schema.map(|p| resolve(folder, &p));
        if let Some(llm) = spec.llm.as_mut() {
            llm.resolve_paths(folder);
        }
        Ok(spec)
    }

    /// Parse and check spec text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<PipelineSpec> {
        let spec: PipelineSpec = synthgate_core::text::parse_toml(
            text,
            path,
            "pipeline spec",
            "See `synthgate run --help` for every section and key, or \
             examples/nhefs/pipeline.toml.",
        )?;
        spec.check(text, path)?;
        Ok(spec)
    }

    fn check_hybrid(
        &self,
        hybrid: &HybridSpec,
        private: bool,
        fail: &dyn Fn(String, &str, &str) -> Result<()>,
    ) -> Result<()> {
        let share = hybrid.real_share;
        if !(share > 0.0 && share <= 0.5) {
            return fail(
                format!(
                    "hybrid.real_share must be above 0 and at most 0.5 (the share of the \
                     release's rows that are real), not {share}."
                ),
                "real_share",
                "",
            );
        }
        if hybrid.choose_share.is_some() && self.evaluation.target.is_none() {
            return fail(
                "hybrid.choose_share = \"marginal_value\" reads the mix curve, which needs \
                 [evaluation] target = \"COLUMN\"."
                    .into(),
                "choose_share",
                "",
            );
        }
        if self.release.environment == ReleaseEnvironment::Public {
            return fail(
                "a hybrid release holds real training rows and can never be public: set \
                 [release] environment to \"licensed\", \"controlled_access\" or \
                 \"secure_enclave\", or remove [hybrid]."
                    .into(),
                "environment",
                "",
            );
        }
        if hybrid.legal_basis.trim().is_empty() {
            return fail(
                "hybrid.legal_basis is empty: a hybrid release must name the legal basis for \
                 releasing its real rows."
                    .into(),
                "legal_basis",
                "",
            );
        }
        if !self
            .policy
            .approvers
            .iter()
            .any(|a| a.role == hybrid.approver_role)
        {
            let roles: Vec<&str> = self
                .policy
                .approvers
                .iter()
                .map(|a| a.role.as_str())
                .collect();
            return fail(
                format!(
                    "hybrid.approver_role '{}' is not a role of [[policy.approvers]] ({}): the \
                     real rows need an approval the policy requires.",
                    hybrid.approver_role,
                    if roles.is_empty() {
                        "it has none".to_string()
                    } else {
                        roles.join(", ")
                    }
                ),
                "approver_role",
                &hybrid.approver_role,
            );
        }
        if private {
            return fail(
                "a differentially private release cannot carry real rows: remove [hybrid] or \
                 choose a synthesizer that is not differentially private."
                    .into(),
                "[hybrid]",
                "",
            );
        }
        if self.synthesizer.name == synthgate_llm::SYNTHESIZER_NAME {
            return fail(
                "[hybrid] cannot go with synthesizer.name = \"llm\" yet: a language model's \
                 rows may hold fewer columns than the real ones."
                    .into(),
                "[hybrid]",
                "",
            );
        }
        if self.source.dataset.is_some() {
            return fail(
                "[hybrid] is for a release of one table; a dataset of several tables cannot \
                 carry real rows yet."
                    .into(),
                "[hybrid]",
                "",
            );
        }
        Ok(())
    }

    fn check_augment(
        &self,
        augment: &AugmentSpec,
        private: bool,
        fail: &dyn Fn(String, &str, &str) -> Result<()>,
    ) -> Result<()> {
        let refuse = |why: &str| fail(format!("[augment] {why}"), "[augment]", "");
        if self.hybrid.is_some() {
            return refuse(
                "cannot go with [hybrid] yet: a release either carries real rows or up-samples \
                 groups.",
            );
        }
        if self.source.dataset.is_some() {
            return refuse("is for a release of one table, not a dataset of several tables.");
        }
        if private {
            return refuse(
                "cannot go with a differentially private synthesizer: the before/after \
                 evaluation is not part of the privacy guarantee.",
            );
        }
        let conditioning = synthgate_synth::Synthesizers::builtin()
            .get(&self.synthesizer.name)
            .is_some_and(|s| s.capabilities().conditioning);
        if !conditioning {
            return fail(
                format!(
                    "[augment] samples the model conditionally, and synthesizer '{}' cannot \
                     (cart and independent can).",
                    self.synthesizer.name
                ),
                "name",
                &self.synthesizer.name,
            );
        }
        if !self.evaluation.sensitive.contains(&augment.column) {
            return fail(
                format!(
                    "augment.column '{}' must be one of [evaluation] sensitive ({}): the \
                     subgroup section compares its groups before and after.",
                    augment.column,
                    self.evaluation.sensitive.join(", ")
                ),
                "column",
                &augment.column,
            );
        }
        if self.evaluation.target.is_none() {
            return refuse(
                "needs [evaluation] target = \"COLUMN\": every group's utility is compared \
                 before and after.",
            );
        }
        if augment.groups.is_empty() {
            return refuse("names no group: add [[augment.groups]] with value and share.");
        }
        let mut seen = Vec::new();
        let mut shares = 0.0;
        for group in &augment.groups {
            let value = group.value_text();
            if value.trim().is_empty() {
                return fail(
                    "augment.groups: a group's value is empty.".into(),
                    "value",
                    "",
                );
            }
            if seen.contains(&value) {
                return fail(
                    format!("augment.groups names '{value}' twice."),
                    "value",
                    &value,
                );
            }
            seen.push(value.clone());
            match (group.share, group.rows) {
                (Some(share), None) => {
                    if !(share > 0.0 && share <= 0.9) {
                        return fail(
                            format!(
                                "augment.groups '{value}': share must be above 0 and at most \
                                 0.9 (the group's share of the release), not {share}."
                            ),
                            "share",
                            "",
                        );
                    }
                    shares += share;
                }
                (None, Some(rows)) if rows > 0 => {}
                (None, Some(_)) => {
                    return fail(
                        format!("augment.groups '{value}': rows must be at least 1."),
                        "rows",
                        "",
                    );
                }
                _ => {
                    return fail(
                        format!(
                            "augment.groups '{value}' needs exactly one of share (of the \
                             release) and rows."
                        ),
                        "value",
                        &value,
                    );
                }
            }
            if let Some(column) = group.conditions.keys().find(|c| **c == augment.column) {
                return fail(
                    format!(
                        "augment.groups '{value}': where names '{column}', the augmented \
                         column itself."
                    ),
                    "where",
                    "",
                );
            }
        }
        if shares >= 1.0 {
            return fail(
                format!("augment.groups: the shares add up to {shares}, which leaves no room."),
                "share",
                "",
            );
        }
        Ok(())
    }

    fn check(&self, text: &str, path: &Path) -> Result<()> {
        let fail = |message: String, key: &str, value: &str| {
            let mut location = Location::file(path);
            if let Some(line) = line_of_key(text, key, value) {
                location = location.line(line);
            }
            Err(Error::spec(message).at(location))
        };
        if self.format_version > SPEC_FORMAT_VERSION {
            return fail(
                format!(
                    "format_version {} is newer than this Synthgate reads ({SPEC_FORMAT_VERSION}).",
                    self.format_version
                ),
                "format_version",
                "",
            );
        }
        for (key, value) in [
            ("name", &self.release.name),
            ("version", &self.release.version),
        ] {
            if let Some(problem) = path_component_problem(value) {
                return fail(
                    format!(
                        "release.{key} '{value}' {problem}: it names the bundle folder, so it \
                         must be 1 to 100 letters, digits, '-', '_' or '.', not start with '.' \
                         and not contain '..'."
                    ),
                    key,
                    value,
                );
            }
        }
        self.check_source(&fail)?;
        let fraction = self.split.holdout_fraction;
        if !(fraction > 0.0 && fraction < 1.0) {
            return fail(
                format!("split.holdout_fraction must be between 0 and 1, not {fraction}."),
                "holdout_fraction",
                "",
            );
        }
        let llm = self.synthesizer.name == synthgate_llm::SYNTHESIZER_NAME;
        match (&self.llm, llm) {
            (Some(generation), true) => generation.check(text, path)?,
            (None, true) => {
                return fail(
                    "synthesizer.name = \"llm\" needs an [llm] section: the generation spec \
                     ([llm.server], [llm.generation], [[llm.columns]]; see synthgate generate \
                     --help)."
                        .into(),
                    "name",
                    "llm",
                );
            }
            (Some(_), false) => {
                return fail(
                    format!(
                        "an [llm] section is only read when synthesizer.name = \"llm\", not \
                         '{}'.",
                        self.synthesizer.name
                    ),
                    "[llm",
                    "",
                );
            }
            (None, false) => {}
        }
        let synthesizers = synthgate_synth::Synthesizers::builtin();
        let private = synthesizers
            .get(&self.synthesizer.name)
            .is_some_and(|s| s.capabilities().differential_privacy);
        match (private, self.synthesizer.epsilon) {
            (true, None) => {
                return fail(
                    format!(
                        "synthesizer '{}' is differentially private and needs synthesizer.epsilon (such as 1.0).",
                        self.synthesizer.name
                    ),
                    "name",
                    &self.synthesizer.name,
                );
            }
            (false, Some(_)) => {
                return fail(
                    format!(
                        "synthesizer.epsilon is for a differentially private synthesizer (mst), not '{}'.",
                        self.synthesizer.name
                    ),
                    "epsilon",
                    "",
                );
            }
            (true, Some(epsilon)) if !(epsilon.is_finite() && epsilon > 0.0) => {
                return fail(
                    format!("synthesizer.epsilon must be above 0, not {epsilon}."),
                    "epsilon",
                    "",
                );
            }
            _ => {}
        }
        for (key, delta) in [
            ("delta", self.synthesizer.delta),
            ("privacy_delta", self.policy.privacy_delta),
        ] {
            if let Some(delta) = delta
                && !(delta > 0.0 && delta < 1e-3)
            {
                return fail(
                    format!("{key} must be above 0 and below 0.001, not {delta}."),
                    key,
                    "",
                );
            }
        }
        if let Some(budget) = self.policy.privacy_budget
            && !(budget.is_finite() && budget > 0.0)
        {
            return fail(
                format!("policy.privacy_budget must be above 0, not {budget}."),
                "privacy_budget",
                "",
            );
        }
        if private && self.source.dataset_id.as_deref().is_none_or(str::is_empty) {
            return fail(
                "a differentially private release needs [source] dataset_id: the name of the \
                 protected dataset in the privacy ledger, which adds up every release's spend."
                    .into(),
                "[source]",
                "",
            );
        }
        if !llm && synthesizers.get(&self.synthesizer.name).is_none() {
            let names = synthesizers.names();
            return fail(
                format!(
                    "synthesizer.name '{}' is not a synthesizer; choose one of: {}, llm.",
                    self.synthesizer.name,
                    names.join(", ")
                ),
                "name",
                &self.synthesizer.name,
            );
        }
        if self.synthesizer.rows == Some(0) {
            return fail("synthesizer.rows must be at least 1.".into(), "rows", "");
        }
        let drift = &self.policy.drift;
        if drift.max_psi.is_nan() || drift.max_psi <= 0.0 {
            return fail(
                format!(
                    "policy.drift.max_psi must be above 0, not {}.",
                    drift.max_psi
                ),
                "max_psi",
                "",
            );
        }
        if drift.min_cell == 0 {
            return fail(
                "policy.drift.min_cell must be at least 1.".into(),
                "min_cell",
                "",
            );
        }
        if !(2..=100).contains(&drift.bins) {
            return fail(
                format!("policy.drift.bins must be 2 to 100, not {}.", drift.bins),
                "bins",
                "",
            );
        }
        if let Some(hybrid) = &self.hybrid {
            self.check_hybrid(hybrid, private, &fail)?;
        }
        if let Some(augment) = &self.augment {
            self.check_augment(augment, private, &fail)?;
        }
        if self.evaluation.resamples < 10 {
            return fail(
                "evaluation.resamples must be at least 10.".into(),
                "resamples",
                "",
            );
        }
        if self.evaluation.attacks < 100 {
            return fail(
                "evaluation.attacks must be at least 100.".into(),
                "attacks",
                "",
            );
        }
        for gate in &self.policy.gates {
            if !self.known_metric(&gate.metric) {
                return fail(self.unknown_metric(&gate.metric), "metric", &gate.metric);
            }
            if let Some(threshold) = gate.min.or(gate.max)
                && !threshold.is_finite()
            {
                return fail(
                    format!(
                        "policy gate on '{}' has the threshold {threshold}; a threshold must be a \
                         finite number.",
                        gate.metric
                    ),
                    "metric",
                    &gate.metric,
                );
            }
            if gate.min.is_none() == gate.max.is_none() {
                return fail(
                    format!(
                        "policy gate on '{}' needs exactly one of min or max.",
                        gate.metric
                    ),
                    "metric",
                    &gate.metric,
                );
            }
        }
        for approver in &self.policy.approvers {
            if approver.role.trim().is_empty() || approver.keys.is_empty() {
                return fail(
                    "each [[policy.approvers]] needs a role and at least one key fingerprint."
                        .into(),
                    "role",
                    &approver.role,
                );
            }
            if let Some(bad) = approver
                .keys
                .iter()
                .find(|k| !crate::keys::is_fingerprint(k))
            {
                return fail(
                    format!(
                        "approver key '{bad}' for role '{}' is not a fingerprint (64 hex digits, \
                         as `synthgate keygen` prints).",
                        approver.role
                    ),
                    "keys",
                    bad,
                );
            }
        }
        if let Some(bad) = self
            .policy
            .operators
            .iter()
            .find(|k| !crate::keys::is_fingerprint(k))
        {
            return fail(
                format!(
                    "operator key '{bad}' is not a fingerprint (64 hex digits, as `synthgate \
                     keygen` prints)."
                ),
                "operators",
                "",
            );
        }
        for waiver in &self.policy.waivers {
            if !self.policy.gates.iter().any(|g| g.metric == waiver.metric) {
                return fail(
                    format!("waiver for '{}' names no gate.", waiver.metric),
                    "metric",
                    &waiver.metric,
                );
            }
            if waiver.role.trim().is_empty() || waiver.reason.trim().is_empty() {
                return fail(
                    format!("waiver for '{}' needs a role and a reason.", waiver.metric),
                    "metric",
                    &waiver.metric,
                );
            }
        }
        // Every number the bundle records must be one JSON can hold (a synthesizer parameter,
        // a generation setting): a NaN or an infinity is refused here, naming where it is.
        if let Err(error) = synthgate_core::canonical::check_finite(self, "the spec") {
            let message = error.message();
            let at = message
                .split(" at ")
                .nth(1)
                .and_then(|rest| rest.split(';').next())
                .unwrap_or("a number");
            let key = at.rsplit('.').next().unwrap_or("");
            return fail(
                format!(
                    "{at} is not a finite number; a bundle records every setting as JSON, which \
                     has no NaN or infinity."
                ),
                key,
                "",
            );
        }
        Ok(())
    }

    /// A source is one file or one dataset; a dataset is synthesized by `cart` and split by
    /// its tables' keys.
    fn check_source(&self, fail: &dyn Fn(String, &str, &str) -> Result<()>) -> Result<()> {
        let source = &self.source;
        match (source.path.as_os_str().is_empty(), &source.dataset) {
            (true, None) => {
                return fail(
                    "[source] needs path = \"FILE\" (a CSV or Parquet table) or dataset = \
                     \"dataset.toml\" (several tables)."
                        .into(),
                    "[source]",
                    "",
                );
            }
            (false, Some(_)) => {
                return fail(
                    "[source] has both path and dataset: give one (a dataset file names its \
                     tables' paths itself)."
                        .into(),
                    "dataset",
                    "",
                );
            }
            (false, None) => {
                if self.evaluation.entity.is_some() {
                    return fail(
                        "evaluation.entity names a table of a dataset; this source is one file \
                         (use split.entity for the columns naming an entity)."
                            .into(),
                        "entity",
                        "",
                    );
                }
                return Ok(());
            }
            (true, Some(_)) => {}
        }
        let unsupported = [
            (
                source.schema.is_some(),
                "schema",
                "source.schema (each table of the dataset file takes its own schema)",
            ),
            (
                source.columns.is_some(),
                "columns",
                "source.columns (a split table of the dataset file chooses columns)",
            ),
            (
                !source.na.is_empty(),
                "na",
                "source.na (each table of the dataset file takes its own na)",
            ),
            (
                !self.split.entity.is_empty(),
                "entity",
                "split.entity (a dataset is split by its tables' keys)",
            ),
            (
                self.synthesizer.rows.is_some(),
                "rows",
                "synthesizer.rows (every table keeps its real size)",
            ),
            (
                self.evaluation.target.is_some(),
                "target",
                "evaluation.target",
            ),
        ];
        if let Some((_, key, what)) = unsupported.iter().find(|(set, _, _)| *set) {
            return fail(
                format!("{what} is not read with a dataset source; remove it."),
                key,
                "",
            );
        }
        if self.synthesizer.name != "cart" {
            return fail(
                format!(
                    "a dataset of several tables is synthesized by 'cart' (each table's models \
                     given its parent's rows), not '{}'.",
                    self.synthesizer.name
                ),
                "name",
                &self.synthesizer.name,
            );
        }
        if let Some(key) = self.synthesizer.params.keys().find(|k| *k != "min_leaf") {
            return fail(
                format!("synthesizer.params.{key}: a dataset's cart models take min_leaf only."),
                key,
                "",
            );
        }
        Ok(())
    }

    /// Every metric id the evaluation this spec asks for can report, in the metric table's
    /// order: each row whose needs the spec meets, a subgroup row once per sensitive attribute.
    pub fn metric_ids(&self) -> Vec<String> {
        let llm = self.synthesizer.name == synthgate_llm::SYNTHESIZER_NAME;
        let mut ids = Vec::new();
        for row in metrics::TABLE {
            match row.needs {
                Needs::Nothing => ids.push(row.id.to_string()),
                Needs::Target if self.evaluation.target.is_some() => ids.push(row.id.to_string()),
                Needs::SensitiveAttribute => ids.extend(
                    self.evaluation
                        .sensitive
                        .iter()
                        .map(|attribute| row.id_for(attribute)),
                ),
                Needs::LlmSynthesizer if llm => ids.push(row.id.to_string()),
                Needs::Dataset if self.source.dataset.is_some() => ids.push(row.id.to_string()),
                Needs::Hybrid if self.hybrid.is_some() => ids.push(row.id.to_string()),
                Needs::Augment => ids.extend(self.augment.iter().map(|a| row.id_for(&a.column))),
                Needs::Target | Needs::LlmSynthesizer | Needs::Dataset | Needs::Hybrid => {}
            }
        }
        ids
    }

    fn known_metric(&self, id: &str) -> bool {
        // A dataset's per-table rows stand for tables this check has not read.
        self.metric_ids().iter().any(|known| known == id)
            || self.source.dataset.is_some()
                && metrics::info(id)
                    .is_some_and(|row| row.needs == Needs::Dataset && row.is_pattern())
    }

    /// Why a gate on `id`, which this evaluation does not report, cannot be decided.
    fn unknown_metric(&self, id: &str) -> String {
        let why = match metrics::info(id).map(|row| row.needs) {
            Some(Needs::Target) => {
                "is reported only with a target: set target = \"COLUMN\" in [evaluation]"
            }
            Some(Needs::SensitiveAttribute) => {
                "is reported only for an attribute listed in [evaluation] sensitive"
            }
            Some(Needs::LlmSynthesizer) => "is reported only when synthesizer.name = \"llm\"",
            Some(Needs::Dataset) => {
                "is reported only for a dataset of several tables ([source] dataset)"
            }
            Some(Needs::Hybrid) => "is reported only for a hybrid release ([hybrid])",
            Some(Needs::Augment) => {
                "is reported only for an augmented release, for its [augment] column"
            }
            Some(Needs::Nothing) | None => "is not a metric of this evaluation",
        };
        format!(
            "policy gate metric '{id}' {why}; known: {}.",
            self.metric_ids().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[release]\nname = \"demo\"\n\n[source]\npath = \"data.csv\"\n";

    #[test]
    fn defaults_fill_a_minimal_spec() {
        let spec = PipelineSpec::parse(MINIMAL, Path::new("p.toml")).expect("valid");
        assert_eq!(spec.split.holdout_fraction, 0.2);
        assert_eq!(spec.synthesizer.name, "cart");
        assert_eq!(
            spec.release.environment,
            ReleaseEnvironment::ControlledAccess
        );
        assert_eq!(spec.evaluation.resamples, 50);
        assert!(spec.policy.gates.is_empty());
    }

    #[test]
    fn bad_specs_name_the_line_and_key() {
        let cases = [
            (format!("{MINIMAL}colour = 1\n"), "colour", 6),
            (
                MINIMAL.replace("[source]\npath = \"data.csv\"\n", ""),
                "source",
                1,
            ),
            (
                format!("{MINIMAL}[synthesizer]\nname = \"gan\"\n"),
                "'gan'",
                7,
            ),
            (
                format!("{MINIMAL}[[policy.gates]]\nmetric = \"fidelity.nope\"\nmax = 1\n"),
                "'fidelity.nope'",
                7,
            ),
            (
                format!("{MINIMAL}[[policy.gates]]\nmetric = \"utility.tstr\"\nmin = 0.5\n"),
                "'utility.tstr'",
                7,
            ),
            (
                format!("{MINIMAL}[split]\nholdout_fraction = \"half\"\n"),
                "holdout_fraction",
                7,
            ),
            // Issue 12 case 1: a version that walks out of the releases folder.
            (
                MINIMAL.replace(
                    "name = \"demo\"\n",
                    "name = \"x\"\nversion = \"../../../../victim\"\n",
                ),
                "release.version '../../../../victim'",
                3,
            ),
            (
                MINIMAL.replace("name = \"demo\"\n", "name = \"..\"\n"),
                "release.name '..'",
                2,
            ),
            (
                MINIMAL.replace("name = \"demo\"\n", "name = \"demo\"\nversion = \"1/2\"\n"),
                "release.version '1/2'",
                3,
            ),
            // Issue 12 case 5: a NaN threshold passed the checks and failed at the registry.
            (
                format!(
                    "{MINIMAL}[[policy.gates]]\nmetric = \"fidelity.column_shapes\"\nmin = nan\n"
                ),
                "finite number",
                7,
            ),
        ];
        for (text, needle, line) in cases {
            let error = PipelineSpec::parse(&text, Path::new("p.toml")).expect_err(&text);
            let shown = error.to_string();
            assert!(shown.contains(needle), "{shown}");
            assert!(shown.contains("p.toml"), "{shown}");
            assert_eq!(error.location().and_then(|l| l.line), Some(line), "{shown}");
        }
    }

    #[test]
    fn risk_gates_compare_the_upper_bound() {
        let gate = |metric: &str, max: Option<f64>| GateSpec {
            metric: metric.into(),
            min: max.is_none().then_some(0.9),
            max,
            bound: None,
        };
        assert_eq!(gate("privacy.dcr_share", Some(0.55)).bound(), Bound::CiHigh);
        assert_eq!(gate("fidelity.column_shapes", None).bound(), Bound::Value);
        assert_eq!(
            gate("subgroup.sex.worst_gap", Some(0.1)).bound(),
            Bound::CiHigh
        );
        // Every other default: the value.
        for (metric, max) in [
            ("privacy.nndr", None),
            ("subgroup.sex.worst_gap", None),
            ("fidelity.detection_auc", Some(0.7)),
            ("utility.tstr", Some(0.9)),
            ("utility.tstr_ratio", None),
            ("llm.pii_records", Some(0.0)),
            ("llm.yield", None),
        ] {
            assert_eq!(gate(metric, max).bound(), Bound::Value, "{metric} {max:?}");
        }
        for id in [
            "privacy.dcr_closer_to_training",
            "privacy.exact_copy_rate",
            "privacy.mia_auc",
            "privacy.singling_out_risk",
            "privacy.linkability_risk",
            "privacy.inference_risk",
        ] {
            assert_eq!(gate(id, Some(0.1)).bound(), Bound::CiHigh, "{id}");
        }
        // A bound the spec gives wins.
        let given = GateSpec {
            bound: Some(Bound::CiLow),
            ..gate("privacy.dcr_share", Some(0.55))
        };
        assert_eq!(given.bound(), Bound::CiLow);
    }

    #[test]
    fn the_known_metrics_follow_the_evaluation_asked_for() {
        let parse = |extra: &str| {
            PipelineSpec::parse(&format!("{MINIMAL}{extra}"), Path::new("p.toml")).expect("valid")
        };
        let plain = parse("").metric_ids();
        assert!(plain.iter().any(|id| id == "fidelity.column_shapes"));
        assert!(plain.iter().any(|id| id == "privacy.inference_risk"));
        assert!(
            !plain.iter().any(|id| id.starts_with("utility.")),
            "{plain:?}"
        );
        assert!(!plain.iter().any(|id| id.starts_with("llm.")), "{plain:?}");
        assert!(
            !plain.iter().any(|id| id.starts_with("subgroup.")),
            "{plain:?}"
        );
        let full = parse("[evaluation]\ntarget = \"income\"\nsensitive = [\"sex\", \"race\"]\n")
            .metric_ids();
        for id in [
            "utility.tstr",
            "utility.trtr",
            "utility.tstr_ratio",
            "utility.mix_curve",
            "utility.real_share_needed",
            "subgroup.sex.worst_gap",
            "subgroup.race.worst_gap",
            "subgroup.sex.worst_dcr_share",
            "subgroup.race.worst_mia_auc",
            "subgroup.race.exposed_groups",
        ] {
            assert!(full.iter().any(|known| known == id), "{id} in {full:?}");
        }
        // Five utility metrics, and four subgroup metrics per sensitive attribute.
        assert_eq!(full.len(), plain.len() + 5 + 2 * 4, "{full:?}");
        // An unknown id is named, with the known ones listed.
        let error = PipelineSpec::parse(
            &format!("{MINIMAL}[[policy.gates]]\nmetric = \"privacy.dcr\"\nmax = 0.5\n"),
            Path::new("p.toml"),
        )
        .expect_err("unknown metric");
        let shown = error.to_string();
        assert!(shown.contains("'privacy.dcr'"), "{shown}");
        assert!(shown.contains("privacy.dcr_share"), "{shown}");
        // A metric this evaluation does not report says what it needs.
        for (gate, needs) in [
            ("utility.tstr", "only with a target"),
            ("subgroup.sex.worst_gap", "[evaluation] sensitive"),
            ("llm.yield", "synthesizer.name = \"llm\""),
        ] {
            let error = PipelineSpec::parse(
                &format!("{MINIMAL}[[policy.gates]]\nmetric = \"{gate}\"\nmin = 0.5\n"),
                Path::new("p.toml"),
            )
            .expect_err(gate);
            let shown = error.to_string();
            assert!(shown.contains(needs), "{shown}");
            assert_eq!(error.location().and_then(|l| l.line), Some(7), "{shown}");
        }
    }
}
