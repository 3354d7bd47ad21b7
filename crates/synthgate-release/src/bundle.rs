//! The release bundle: one folder, written under a temporary name and renamed into place when
//! complete, holding
//!
//! ```text
//! manifest.json         every other file's sha256, size and role; source digest and counts
//!                       (never rows); generator, parameters, seeds; evaluation summary; policy
//!                       digest and decision; environment; format version
//! datasheet.json        Croissant 1.1 JSON-LD with RAI fields, PROV-O links, `sdg:` facts
//! DATASHEET.md          the same for people (Datasheets for Datasets questions)
//! data/synthetic.parquet
//! report/report.json, report/report.html
//! policy/decision.json  each gate: metric, bound, threshold, observed, outcome, waiver
//! log/generation.jsonl  each step and what it used; a prompt-based run's every request and
//!                       response, real seed rows replaced by keyed digests
//! monitor/source_profile.json  the source's aggregates for `synthgate drift` (no rows; small
//!                       cells withheld)
//! audit/log.jsonl       this run's segment of the hash-chained audit log
//! audit/checkpoint.json the operator's signature over the segment's last hash
//! manifest.sig          the operator's signature over manifest.json's digest
//! ```
//!
//! The data's bytes never depend on the clock: only `manifest.json` carries `created_at`, from
//! the one injected clock value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
use synthgate_io::{Overwrite, io_error, sha256_file, write_bytes_atomically, write_table};

use crate::run::Release;

pub use crate::layout::{
    BUNDLE_FORMAT_VERSION, DATA_FILE, LOG_FILE, MANIFEST_SIGNATURE_FILE, PROFILE_FILE, REPORT_FILE,
    REPORT_HTML_FILE,
};

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// `data`, `documentation`, `evaluation`, `policy`, `audit`, `monitoring` or
    /// `provenance`.
    pub role: String,
}

/// `manifest.json`: a typed, versioned record of its own (not the input spec's type), so the
/// pipeline spec's format can change without making older bundles unreadable. Fields added in
/// later formats are optional; unknown fields are ignored (the manifest is signed, so nothing
/// can be smuggled into it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `synthgate-release`.
    pub format: String,
    /// The bundle format version (1 or 2; 2 adds `pipeline_sha256`).
    pub format_version: u32,
    /// When the bundle was made (RFC 3339, UTC), from the injected clock.
    pub created_at: String,
    /// SHA-256 of `pipeline`'s canonical JSON (format 2; absent in format 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_sha256: Option<String>,
    /// The pipeline as run, normalised: every default written out and every path resolved,
    /// as plain JSON data. [`Manifest::spec`] reads it back as a spec.
    pub pipeline: serde_json::Value,
    /// The source: digest and counts, never rows.
    pub source: SourceFacts,
    /// The split.
    pub split: SplitFacts,
    /// The generator.
    pub generator: GeneratorFacts,
    /// The evaluation summary: harness version and each metric's value and interval.
    pub evaluation: EvaluationFacts,
    /// The policy digest and the decision.
    pub policy: PolicyFacts,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// The tool and platform that made it.
    pub environment: EnvironmentFacts,
    /// Every other file of the bundle, sorted by path.
    pub files: Vec<FileEntry>,
    /// The files computed from real rows that the policy kept out of the bundle
    /// (`[policy] real_data_files`), by digest: the operator's workspace keeps them
    /// ([`crate::withheld::Withheld`]). Absent when none were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<FileEntry>,
}

impl Manifest {
    /// The recorded pipeline as a spec. A pipeline this version cannot read (written by a newer
    /// one) is an error saying so.
    pub fn spec(&self) -> Result<crate::spec::PipelineSpec> {
        serde_json::from_value(self.pipeline.clone()).map_err(|error| {
            Error::new(
                synthgate_core::ErrorKind::VerificationFailed,
                format!("manifest.json records a pipeline this Synthgate cannot read: {error}."),
            )
            .hint("It may have been written by a newer Synthgate; verify it with that version.")
        })
    }
}

/// The manifest's `generator.data_sha256` of data files (path, sha256): a single file's own
/// digest; for several (a dataset's tables), SHA-256 of one line `PATH SHA256` per file, sorted
/// by path.
pub fn data_digest(files: &[(String, String)]) -> String {
    if let [(_, sha256)] = files {
        return sha256.clone();
    }
    let mut lines: Vec<String> = files
        .iter()
        .map(|(path, sha256)| format!("{path} {sha256}\n"))
        .collect();
    lines.sort();
    synthgate_io::sha256_bytes(lines.concat().as_bytes())
}

/// The digest of a recorded pipeline: SHA-256 of its canonical JSON.
pub fn pipeline_digest(pipeline: &serde_json::Value) -> Result<String> {
    Ok(synthgate_io::sha256_bytes(
        &synthgate_core::canonical::to_json(pipeline, "the recorded pipeline")?,
    ))
}

/// The source as a manifest records it: digest and counts, never rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFacts {
    /// Columns.
    pub columns: usize,
    /// Rows.
    pub rows: usize,
    /// SHA-256 of the source file.
    pub sha256: String,
}

/// The train / holdout split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitFacts {
    /// Share of rows held out.
    pub holdout_fraction: f64,
    /// Holdout rows.
    pub holdout_rows: usize,
    /// The split's seed.
    pub seed: u64,
    /// Training rows.
    pub train_rows: usize,
}

/// What made the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorFacts {
    /// SHA-256 of the data file.
    pub data_sha256: String,
    /// For a prompt-based release: the model, its server and what the generation did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<serde_json::Value>,
    /// The synthesizer's name.
    pub name: String,
    /// Its parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// How the data can be reproduced, in words.
    pub reproducibility: String,
    /// Synthetic rows.
    pub rows: usize,
    /// The seed.
    pub seed: u64,
    /// The synthesizer's (or the prompt-based derivation's) version.
    pub version: String,
    /// For a differentially private release: its statement (ε, δ, ρ, unit of privacy,
    /// mechanism, noise source, what it covers, every measurement's spend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub differential_privacy: Option<synthgate_synth::PrivacyStatement>,
}

/// One metric as the manifest summarises it (`null` where the report has no number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Upper end of the 95% interval.
    pub ci_high: Option<f64>,
    /// Lower end of the 95% interval.
    pub ci_low: Option<f64>,
    /// The holdout reference.
    pub holdout_reference: Option<f64>,
    /// The value.
    pub value: Option<f64>,
}

/// The evaluation summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationFacts {
    /// The harness version that made the scores.
    pub harness_version: String,
    /// Each metric by id.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// The report's warnings.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The policy's digest and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFacts {
    /// The failed gates, as sentences.
    pub failed_gates: Vec<String>,
    /// SHA-256 of the policy.
    pub sha256: String,
}

/// The tool and platform that made the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentFacts {
    /// e.g. `x86_64-linux`.
    pub platform: String,
    /// Always `synthgate`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
}

fn json_bytes(value: &impl Serialize, what: &str) -> Result<Vec<u8>> {
    synthgate_core::canonical::to_json_pretty(value, what)
}

/// Whether `path` is a Synthgate bundle folder: a real folder (not a link) whose
/// `manifest.json` says so. Only such a folder is ever replaced.
pub fn is_bundle(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_dir() {
        return false;
    }
    std::fs::read_to_string(path.join("manifest.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|manifest| manifest["format"] == "synthgate-release")
}

fn write(root: &Path, relative: &str, bytes: &[u8]) -> Result<()> {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| io_error(parent, "create the folder", &error))?;
    }
    write_bytes_atomically(&path, Overwrite::Refuse, bytes)
}

/// Write `release` as a bundle at `out`, signed by the operator's `key`, its run recorded in
/// the audit `log` (held under its lock throughout).
///
/// The bundle is written under a temporary name; its audit entries are prepared from the log's
/// head and carried in the bundle; the folder is renamed into place and only then are the
/// entries appended to the log. If that append fails, the bundle is taken away again (and a
/// replaced one put back), so a bundle in place always has its entries in the log, except
/// after a kill between the rename and the append, which `synthgate audit verify` explains.
/// An existing `out` is replaced only with `replace`, and only when it is itself a bundle.
/// Files the policy withholds (`[policy] real_data_files`) go to `withheld`, not the bundle.
pub fn write_bundle(
    release: &Release,
    out: &Path,
    replace: bool,
    created_at: &str,
    key: &ed25519_dalek::SigningKey,
    log: &mut dyn crate::audit::AuditLock,
    withheld: &crate::withheld::Withheld,
) -> Result<Manifest> {
    // Withheld files are kept in the workspace before the bundle is in place, so a bundle never
    // lacks them there; the ones written now are taken away again if the bundle is not.
    let mut kept = Vec::new();
    let written = place_bundle(
        release, out, replace, created_at, key, log, withheld, &mut kept,
    );
    if written.is_err() {
        for path in kept {
            let _ = std::fs::remove_file(path);
        }
    }
    written
}

#[allow(clippy::too_many_arguments)]
fn place_bundle(
    release: &Release,
    out: &Path,
    replace: bool,
    created_at: &str,
    key: &ed25519_dalek::SigningKey,
    log: &mut dyn crate::audit::AuditLock,
    withheld: &crate::withheld::Withheld,
    kept: &mut Vec<PathBuf>,
) -> Result<Manifest> {
    let exists = std::fs::symlink_metadata(out).is_ok();
    if exists && !replace {
        return Err(Error::usage(format!(
            "the bundle folder {} exists; pass --force to replace it.",
            out.display()
        )));
    }
    if exists && !is_bundle(out) {
        return Err(Error::usage(format!(
            "{} exists and is not a Synthgate bundle; --force replaces only a bundle folder, \
             never other files.",
            out.display()
        )));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|error| io_error(parent, "create the folder", &error))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let temporary: PathBuf = parent.join(format!(".{name}.synthgate-tmp-{}", std::process::id()));
    let previous: PathBuf = parent.join(format!(".{name}.synthgate-old-{}", std::process::id()));
    for stale in [&temporary, &previous] {
        if stale.exists() {
            std::fs::remove_dir_all(stale)
                .map_err(|error| io_error(stale, "remove a stale temporary folder", &error))?;
        }
    }
    let (manifest, entries) = match fill(release, &temporary, created_at, key, log, withheld, kept)
    {
        Ok(done) => done,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&temporary);
            return Err(error);
        }
    };
    if exists && let Err(error) = std::fs::rename(out, &previous) {
        let _ = std::fs::remove_dir_all(&temporary);
        return Err(io_error(out, "move the old bundle aside", &error));
    }
    let put_back = || {
        if exists {
            let _ = std::fs::rename(&previous, out);
        }
    };
    if let Err(error) = std::fs::rename(&temporary, out) {
        let _ = std::fs::remove_dir_all(&temporary);
        put_back();
        return Err(io_error(out, "move the bundle into place", &error));
    }
    if let Err(error) = log.commit(&entries) {
        let _ = std::fs::remove_dir_all(out);
        put_back();
        return Err(error);
    }
    if exists {
        std::fs::remove_dir_all(&previous)
            .map_err(|error| io_error(&previous, "remove the replaced bundle", &error))?;
    }
    Ok(manifest)
}

fn fill(
    release: &Release,
    root: &Path,
    created_at: &str,
    key: &ed25519_dalek::SigningKey,
    audit: &dyn crate::audit::AuditLock,
    withheld: &crate::withheld::Withheld,
    kept: &mut Vec<PathBuf>,
) -> Result<(Manifest, Vec<crate::audit::Entry>)> {
    std::fs::create_dir_all(root.join("data"))
        .map_err(|error| io_error(root, "create the bundle folder", &error))?;
    let mut data_files: Vec<(String, String)> = Vec::new();
    for file in &release.data {
        let data = root.join(&file.path);
        write_table(&file.table, &data, Overwrite::Refuse)?;
        data_files.push((file.path.clone(), sha256_file(&data)?));
    }
    let data_sha256 = data_digest(&data_files);

    let datasheet = crate::datasheet::croissant(release, &data_files, created_at);
    write(
        root,
        "datasheet.json",
        &json_bytes(&datasheet, "datasheet.json")?,
    )?;
    write(
        root,
        "DATASHEET.md",
        crate::datasheet::markdown(&datasheet).as_bytes(),
    )?;

    // The files computed from real rows: in the bundle, or (by the policy) in the workspace
    // only, listed by digest.
    let mut report = release.report.clone();
    if let Some(input) = report.inputs.iter_mut().find(|i| i.role == "synthetic") {
        input.sha256 = data_sha256.clone();
    }
    let report_bytes = json_bytes(&report, "report.json")?;
    let report_sha256 = synthgate_io::sha256_bytes(&report_bytes);
    let real_data_files = [
        (
            PROFILE_FILE,
            json_bytes(&release.profile, "the source profile")?,
        ),
        (REPORT_FILE, report_bytes),
        (
            REPORT_HTML_FILE,
            synthgate_eval::html::render(&report).into_bytes(),
        ),
    ];
    let spec = &release.spec;
    let withhold = spec
        .policy
        .withholds_real_data_files(spec.release.environment);
    let mut withheld_entries = Vec::new();
    for (path, bytes) in real_data_files {
        if withhold {
            withheld_entries.push(FileEntry {
                path: path.to_string(),
                sha256: synthgate_io::sha256_bytes(&bytes),
                bytes: bytes.len() as u64,
                role: role_of(path).to_string(),
            });
            if let Some(path) = withheld.keep(&bytes)? {
                kept.push(path);
            }
        } else {
            write(root, path, &bytes)?;
        }
    }
    write(
        root,
        "policy/decision.json",
        &json_bytes(&release.decision, "policy/decision.json")?,
    )?;
    write(root, LOG_FILE, generation_log(release)?.as_bytes())?;
    if let Some((model, _)) = &release.dp_model {
        write(root, crate::layout::DP_MODEL_FILE, model)?;
    }
    // A hybrid release's origin file: a file of its own (access to it can differ from access
    // to the data), or by the spec withheld in the workspace and listed by digest.
    if let (Some((origin, _)), Some(hybrid)) = (&release.origin, &spec.hybrid) {
        let bytes = synthgate_io::parquet_bytes(origin)?;
        if hybrid.origin == crate::spec::RealDataFiles::Withhold {
            withheld_entries.push(FileEntry {
                path: crate::hybrid::ORIGIN_FILE.to_string(),
                sha256: synthgate_io::sha256_bytes(&bytes),
                bytes: bytes.len() as u64,
                role: role_of(crate::hybrid::ORIGIN_FILE).to_string(),
            });
            if let Some(path) = withheld.keep(&bytes)? {
                kept.push(path);
            }
        } else {
            write(root, crate::hybrid::ORIGIN_FILE, &bytes)?;
        }
    }

    // The run's audit entries: appended to the chain, carried as this bundle's segment with
    // the operator's signed checkpoint.
    let object = format!("{} {}", spec.release.name, spec.release.version);
    let entry = |action: &str, details: serde_json::Value| {
        crate::audit::EntryBody::new(created_at, action, &object, details)
    };
    let entries = audit.prepare(vec![
        entry(
            "run",
            serde_json::json!({
                "source_sha256": release.source_sha256,
                "synthesizer": spec.synthesizer.name,
                "seed": spec.synthesizer.seed,
                "data_sha256": data_sha256,
                "report_sha256": report_sha256,
            }),
        ),
        entry(
            "gate",
            serde_json::json!({
                "releasable": release.decision.releasable,
                "decision_sha256": sha256_file(&root.join("policy/decision.json"))?,
                "failed": release.decision.failures(),
            }),
        ),
    ])?;
    let mut segment = String::new();
    for e in &entries {
        segment.push_str(&synthgate_core::canonical::to_json_line(
            e,
            "an audit entry",
        )?);
    }
    write(root, "audit/log.jsonl", segment.as_bytes())?;
    let checkpoint = crate::audit::checkpoint(&entries, key, created_at)?;
    write(
        root,
        "audit/checkpoint.json",
        &json_bytes(&checkpoint, "audit/checkpoint.json")?,
    )?;

    let files = index(root)?;
    let number = |v: f64| v.is_finite().then_some(v);
    let summary: BTreeMap<String, MetricSummary> = report
        .metrics
        .iter()
        .map(|m| {
            (
                m.id.clone(),
                MetricSummary {
                    value: number(m.value),
                    ci_low: m.ci_low.and_then(number),
                    ci_high: m.ci_high.and_then(number),
                    holdout_reference: m.holdout_reference.and_then(number),
                },
            )
        })
        .collect();
    // serde_json would turn a NaN or an infinity into `null` here without a word: refuse it
    // first, naming where it is.
    synthgate_core::canonical::check_finite(spec, "the pipeline")?;
    let pipeline = serde_json::to_value(spec)
        .map_err(|error| Error::internal(format!("the pipeline does not serialise: {error}")))?;
    let manifest = Manifest {
        format: "synthgate-release".into(),
        format_version: BUNDLE_FORMAT_VERSION,
        created_at: created_at.to_string(),
        pipeline_sha256: Some(pipeline_digest(&pipeline)?),
        pipeline,
        source: SourceFacts {
            sha256: release.source_sha256.clone(),
            rows: release.source_rows,
            columns: release.source_columns,
        },
        split: SplitFacts {
            seed: spec.split.seed,
            holdout_fraction: spec.split.holdout_fraction,
            train_rows: release.split_rows.0,
            holdout_rows: release.split_rows.1,
        },
        generator: generator_facts(release, &data_sha256)?,
        evaluation: EvaluationFacts {
            harness_version: report.harness_version.to_string(),
            metrics: summary,
            warnings: report.warnings.clone(),
        },
        policy: PolicyFacts {
            sha256: release.decision.policy_sha256.clone(),
            failed_gates: release.decision.failures(),
        },
        releasable: release.decision.releasable,
        environment: EnvironmentFacts {
            tool: "synthgate".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            platform: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        },
        files,
        withheld: withheld_entries,
    };
    write(
        root,
        "manifest.json",
        &json_bytes(&manifest, "manifest.json")?,
    )?;
    let signature = sign_manifest(&sha256_file(&root.join("manifest.json"))?, key)?;
    write(
        root,
        MANIFEST_SIGNATURE_FILE,
        &json_bytes(&signature, MANIFEST_SIGNATURE_FILE)?,
    )?;
    Ok((manifest, entries))
}

/// The bundle's `log/generation.jsonl`: a prompt-based run's requests and responses first, as
/// published (every real row a prompt showed replaced by its keyed digest), then each step.
pub fn generation_log(release: &Release) -> Result<String> {
    log_with(
        release,
        release.llm.as_ref().map(|run| run.published.as_str()),
    )
}

/// The full log the operator's workspace keeps for a bundle whose log had real rows replaced
/// (`crate::llm::FullLogs`): the same lines with the rows in place, which a replay needs.
/// `None` when nothing was replaced: the bundle's log is then the full log.
pub fn full_generation_log(release: &Release) -> Result<Option<String>> {
    match &release.llm {
        Some(run) if run.replaced > 0 => log_with(release, Some(&run.log)).map(Some),
        _ => Ok(None),
    }
}

fn log_with(release: &Release, requests: Option<&str>) -> Result<String> {
    let mut log = requests.unwrap_or_default().to_string();
    for entry in &release.log {
        log.push_str(&synthgate_core::canonical::to_json_line(
            entry,
            "the generation log",
        )?);
    }
    Ok(log)
}

/// The operator's signature over the manifest's digest, beside it (`manifest.sig`), so that a
/// manifest rewritten to match edited files is caught even before anyone approves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestSignature {
    /// Format version (1).
    pub format_version: u32,
    /// SHA-256 of `manifest.json` as signed.
    pub manifest_sha256: String,
    /// The operator's public key, hex.
    pub public_key: String,
    /// Its fingerprint.
    pub key_fingerprint: String,
    /// Signature over `{"manifest_sha256": ...}` (canonical JSON), hex.
    pub signature: String,
}

/// The signed message for a manifest digest.
pub fn manifest_message(manifest_sha256: &str) -> Result<Vec<u8>> {
    synthgate_core::canonical::to_json(
        &serde_json::json!({ "manifest_sha256": manifest_sha256 }),
        "the manifest signature",
    )
}

fn sign_manifest(
    manifest_sha256: &str,
    key: &ed25519_dalek::SigningKey,
) -> Result<ManifestSignature> {
    let (public_key, key_fingerprint, signature) =
        crate::keys::sign_bytes(key, &manifest_message(manifest_sha256)?);
    Ok(ManifestSignature {
        format_version: 1,
        manifest_sha256: manifest_sha256.to_string(),
        public_key,
        key_fingerprint,
        signature,
    })
}

/// The manifest's `generator`: name, version, parameters, seed, rows, data digest; for a
/// prompt-based run also the provider, server host, model (as asked for and as answered, with
/// what the server says about it) and the reproducibility level.
fn generator_facts(release: &Release, data_sha256: &str) -> Result<GeneratorFacts> {
    let spec = &release.spec;
    let parameters = spec
        .synthesizer
        .params
        .iter()
        .map(|(key, value)| {
            serde_json::to_value(value)
                .map(|value| (key.clone(), value))
                .map_err(|error| {
                    Error::internal(format!("a parameter does not serialise: {error}"))
                })
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let mut facts = GeneratorFacts {
        name: spec.synthesizer.name.clone(),
        version: release.synthesizer_version.clone(),
        parameters,
        seed: spec.synthesizer.seed,
        rows: release.synthetic_rows(),
        data_sha256: data_sha256.to_string(),
        reproducibility: "re-derivable: the same spec, source and seed give the same bytes".into(),
        llm: None,
        differential_privacy: None,
    };
    if let Some((_, statement)) = &release.dp_model {
        facts.differential_privacy = Some(statement.clone());
        facts.reproducibility = format!(
            "re-sampled: the differentially private model ({}) is the release, and the data is \
             sampled from it again with the same seed, byte for byte; the fit's noise came from \
             the operating system and is never reproduced (a seed that reproduced it would \
             let anyone subtract it)",
            crate::layout::DP_MODEL_FILE
        );
    }
    if let (Some(run), Some(generation)) = (&release.llm, &spec.llm) {
        let summary = &run.generation.summary;
        facts.seed = generation.generation.seed;
        facts.llm = Some(serde_json::json!({
            "provider": "openai-compatible",
            "endpoint": generation.server.endpoint,
            "base_url_host": summary.model["base_url_host"],
            "model": generation.server.model,
            "models_returned": summary.model["returned"],
            "system_fingerprints": summary.model["system_fingerprints"],
            "server_model": summary.model["server_model"],
            "responses": summary.responses,
            "usage": summary.usage,
            "yield": summary.yield_share,
            "rejects": summary.rejects,
            "diversity": summary.diversity,
            "leakage": summary.leakage,
        }));
        facts.reproducibility = if run.replaced > 0 {
            "archived: the model's responses are kept in log/generation.jsonl, with the real \
             rows its prompts showed replaced by keyed digests; the data is re-derived from the \
             full log, which stays in the operator's workspace with the key; the model itself \
             is not re-queried"
        } else {
            "archived: the model's responses are kept in log/generation.jsonl and the data is \
             re-derived from them; the model itself is not re-queried"
        }
        .into();
    }
    Ok(facts)
}

fn role_of(path: &str) -> &'static str {
    match path.split('/').next() {
        Some("data") => "data",
        Some("report") => "evaluation",
        Some("policy") => "policy",
        Some("audit") => "audit",
        Some("datasheet.json" | "DATASHEET.md") => "documentation",
        Some("monitor") => "monitoring",
        Some("origin") => "origin",
        _ => "provenance",
    }
}

/// Every file under `root` except `manifest.json` and `manifest.sig`, with digests, sorted by
/// path.
pub fn index(root: &Path) -> Result<Vec<FileEntry>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|error| io_error(&folder, "list the folder", &error))?;
        for entry in entries {
            let entry = entry.map_err(|error| io_error(&folder, "list the folder", &error))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .map_err(|_| Error::internal("a bundle file outside the bundle"))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if relative == "manifest.json" || relative == MANIFEST_SIGNATURE_FILE {
                continue;
            }
            let bytes = std::fs::metadata(&path)
                .map_err(|error| io_error(&path, "read the file's size", &error))?
                .len();
            files.push(FileEntry {
                role: role_of(&relative).to_string(),
                sha256: sha256_file(&path)?,
                path: relative,
                bytes,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
