//! `run`: a pipeline spec into a governed bundle, recorded in the audit log and the registry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
use synthgate_release::audit::EntryBody;
use synthgate_release::gates::GateResult;
use synthgate_release::keys;
use synthgate_release::registry::{Reservation, RunRecord};
use synthgate_release::run::GenerationLog;
use synthgate_release::{DpSource, PipelineSpec, bundle, run_pipeline, write_bundle};

use crate::paths::{Protected, check_bundle_target, resolve};
use crate::{API_VERSION, Context, Events, cancelled};

/// Run a release pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// The bundle folder (default: `releases/NAME-VERSION` beside the spec).
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Replace an existing bundle (only ever a bundle).
    #[serde(default)]
    pub force: bool,
    /// The operator's key (default: the workspace's, made on first use).
    #[serde(default)]
    pub operator_key: Option<PathBuf>,
}

/// What a run made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOutcome {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The release name.
    pub name: String,
    /// The release version.
    pub version: String,
    /// Where the bundle is.
    pub bundle: PathBuf,
    /// Files the manifest indexes.
    pub files: usize,
    /// Files computed from real rows that the policy kept in the workspace instead.
    pub withheld: usize,
    /// Synthetic rows.
    pub synthetic_rows: usize,
    /// Real training rows released with them (a hybrid release; 0 otherwise).
    pub real_rows: usize,
    /// The registry id.
    pub registry_id: i64,
    /// The manifest's digest.
    pub manifest_sha256: String,
    /// Each gate's result.
    pub gates: Vec<GateResult>,
    /// Whether every gate passed or was waived.
    pub releasable: bool,
    /// The failed gates, as sentences.
    pub failures: Vec<String>,
    /// The operator key's fingerprint.
    pub operator_fingerprint: String,
    /// Set when the workspace's operator key was made by this run.
    pub operator_key_made: bool,
}

/// The bundle folder `request` asks for, resolved.
fn bundle_path(request: &RunRequest, spec: &PipelineSpec) -> Result<PathBuf> {
    let out = request.out.clone().unwrap_or_else(|| {
        request
            .spec
            .parent()
            .unwrap_or(Path::new("."))
            .join("releases")
            .join(format!("{}-{}", spec.release.name, spec.release.version))
    });
    resolve(&out)
}

/// What a run of a pipeline spec reads and calls: a service that runs specs its callers name
/// confines them by this (its data roots, its allowed language-model servers) before and as
/// the run starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReads {
    /// Every file the run reads, with what it is: the spec, the source (or the dataset file
    /// and each of its tables), the schema, a prompt-based run's example rows.
    pub files: Vec<(PathBuf, String)>,
    /// The language-model server a prompt-based run calls (its `base_url` as written).
    pub llm_url: Option<String>,
    /// The release's name and version, as the spec gives them.
    pub release: (String, String),
}

/// The files `spec` (loaded from `spec_path`) reads, with what each is, put to `admit` before
/// any of them is opened: the files the spec names first, then, once the dataset file is
/// admitted, the tables it names.
fn reads(
    spec_path: &Path,
    spec: &PipelineSpec,
    admit: &dyn Fn(&RunReads) -> Result<()>,
) -> Result<RunReads> {
    let mut read = RunReads {
        files: vec![(spec_path.to_path_buf(), "the pipeline spec".to_string())],
        llm_url: spec.llm.as_ref().map(|llm| llm.server.base_url.clone()),
        release: (spec.release.name.clone(), spec.release.version.clone()),
    };
    match &spec.source.dataset {
        None => read
            .files
            .push((spec.source.path.clone(), "the source".to_string())),
        Some(path) => read
            .files
            .push((path.clone(), "the dataset file".to_string())),
    }
    if let Some(schema) = &spec.source.schema {
        read.files.push((schema.clone(), "the schema".to_string()));
    }
    if let Some(from) = spec.llm.as_ref().and_then(|llm| llm.examples.from.clone()) {
        read.files.push((from, "the example rows".to_string()));
    }
    admit(&read)?;
    if let Some(path) = &spec.source.dataset {
        let dataset = synthgate_release::dataset::load_dataset(path)?;
        for table in dataset.tables.iter().filter(|t| t.split_from.is_none()) {
            read.files
                .push((table.path.clone(), format!("table '{}'", table.name)));
        }
        admit(&read)?;
    }
    Ok(read)
}

/// What a run of the spec at `spec_path` would read and call, from the spec as it is now, each
/// file put to `admit` before it is opened (the spec itself excepted: admit it first).
pub fn run_reads(spec_path: &Path, admit: &dyn Fn(&RunReads) -> Result<()>) -> Result<RunReads> {
    reads(spec_path, &PipelineSpec::load(spec_path)?, admit)
}

/// The paths a run reads or keeps, which its bundle must never replace or hold.
fn protected(ctx: &Context, request: &RunRequest, read: &RunReads) -> Result<Vec<Protected>> {
    // The spec first: a bundle folder that is both it and its folder is named for the spec.
    let (spec, rest) = read
        .files
        .split_first()
        .ok_or_else(|| Error::internal("a run that reads no spec"))?;
    let mut items = vec![
        spec.clone(),
        (
            request
                .spec
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
            "the spec's folder".to_string(),
        ),
        (ctx.workspace.home.clone(), "the workspace".to_string()),
        (PathBuf::from("."), "the working folder".to_string()),
    ];
    items.extend(rest.iter().cloned());
    if let Some(key) = &request.operator_key {
        items.push((key.clone(), "the operator key".to_string()));
    }
    items
        .into_iter()
        .map(|(path, what)| {
            Ok(Protected {
                path: resolve(&path)?,
                what,
            })
        })
        .collect()
}

/// Run the pipeline of `request.spec` into a bundle: every check that can refuse the request
/// (spec, output path, audit log, operator key) runs before any work; the bundle is written
/// under a temporary name and renamed into place, then its audit entries are appended, then it
/// is registered. A run that fails after it began records one `failed` entry.
pub fn run(ctx: &Context, request: &RunRequest, events: &mut dyn Events) -> Result<RunOutcome> {
    run_admitted(ctx, request, &|_| Ok(()), events)
}

/// [`run`], refused unless `admit` accepts what the spec read for this run reads and calls,
/// before it is opened (a service's confinement of the specs its callers name, checked on the
/// spec the run uses).
pub fn run_admitted(
    ctx: &Context,
    request: &RunRequest,
    admit: &dyn Fn(&RunReads) -> Result<()>,
    events: &mut dyn Events,
) -> Result<RunOutcome> {
    let spec = PipelineSpec::load(&request.spec)?;
    let read = reads(&request.spec, &spec, admit)?;
    let out = bundle_path(request, &spec)?;
    check_bundle_target(&out, request.force, &protected(ctx, request, &read)?)?;
    // Nothing is appended to a log that does not verify: find out before the work.
    drop(ctx.workspace.audit()?.lock()?);
    let (key, made) = ctx
        .workspace
        .operator_key(request.operator_key.as_deref(), &ctx.entropy)?;
    let print = keys::fingerprint(&key.verifying_key());
    if let Some(made) = &made {
        events.note(&format!(
            "made the operator key {} (fingerprint {made}); it signs the bundles and audit \
             checkpoints",
            ctx.workspace.operator_key_path().display()
        ));
    }
    if !spec.policy.operators.is_empty() && !spec.policy.operators.contains(&print) {
        return Err(Error::usage(format!(
            "the operator key (fingerprint {print}) is not one of the policy's operators; the \
             bundle would not verify."
        ))
        .hint("Run with --key and a key the spec lists under [policy] operators."));
    }
    let object = format!("{} {}", spec.release.name, spec.release.version);
    match run_started(ctx, &spec, &out, request.force, &key, events) {
        Ok((manifest, manifest_sha256, registry_id, release)) => Ok(RunOutcome {
            api_version: API_VERSION,
            name: spec.release.name.clone(),
            version: spec.release.version.clone(),
            bundle: out,
            files: manifest.files.len(),
            withheld: manifest.withheld.len(),
            synthetic_rows: release.synthetic_rows(),
            real_rows: release.real_rows(),
            registry_id,
            manifest_sha256,
            failures: release.decision.failures(),
            releasable: release.decision.releasable,
            gates: release.decision.gates,
            operator_fingerprint: print,
            operator_key_made: made.is_some(),
        }),
        Err(error) => {
            // One `failed` entry; if even that cannot be written (a full disk), the log stays
            // as it was and the error says why the run failed.
            let _ = ctx.workspace.audit().and_then(|audit| {
                audit.append(vec![EntryBody::new(
                    ctx.clock.now(),
                    "failed",
                    &object,
                    serde_json::json!({
                        "step": "run",
                        "bundle": out.display().to_string(),
                        "exit_code": error.kind().exit_code(),
                        "error": error.message(),
                    }),
                )])
            });
            Err(error)
        }
    }
}

/// The part of a run after its checks: pipeline, bundle, log, registry.
fn run_started(
    ctx: &Context,
    spec: &PipelineSpec,
    out: &Path,
    force: bool,
    key: &ed25519_dalek::SigningKey,
    events: &mut dyn Events,
) -> Result<(
    synthgate_release::Manifest,
    String,
    i64,
    synthgate_release::Release,
)> {
    // A prompt-based run publishes its log with the real rows it showed replaced by digests
    // under the workspace's key.
    let full_logs = ctx.workspace.full_logs();
    let row_key = spec
        .llm
        .as_ref()
        .map(|_| full_logs.key(&ctx.entropy))
        .transpose()?;
    let log = row_key.as_ref().map(|key| GenerationLog::In {
        scratch: &ctx.scratch,
        key,
    });
    // A differentially private run reserves its spend on the dataset's ledger after every
    // check and before its first noise draw; a refusal ends the run with nothing measured.
    let mut reservation: Option<i64> = None;
    let mut noise = synthgate_synth::EntropyNoise::new(ctx.entropy);
    let mut reserve = |plan: &synthgate_synth::PrivacyPlan| -> Result<()> {
        let dataset_id = spec.source.dataset_id.clone().ok_or_else(|| {
            Error::internal("a differentially private run without [source] dataset_id")
        })?;
        let budget = match spec.policy.privacy_budget {
            Some(epsilon) => {
                let delta = spec
                    .policy
                    .privacy_delta
                    .unwrap_or(synthgate_release::spec::DEFAULT_DELTA);
                Some((epsilon, delta, synthgate_synth::rho_for(epsilon, delta)?))
            }
            None => None,
        };
        let id = ctx.workspace.registry()?.reserve_privacy(&Reservation {
            dataset_id,
            release: format!("{} {}", spec.release.name, spec.release.version),
            rho: plan.rho,
            epsilon: plan.epsilon,
            delta: plan.delta,
            budget,
            at: ctx.clock.now().to_string(),
        })?;
        reservation = Some(id);
        Ok(())
    };
    let dp = spec.synthesizer.epsilon.map(|_| DpSource::Fit {
        noise: &mut noise,
        reserve: &mut reserve,
    });
    let release = run_pipeline(spec, log, dp, &mut |name| crate::step(events, name))?;
    if events.cancelled() {
        return Err(cancelled());
    }
    events.step("writing the bundle");
    let mut log = ctx.workspace.audit()?.lock()?;
    if let Some(bytes) = log.repaired_tail() {
        events.note(&format!(
            "the audit log ended in an interrupted append ({bytes} bytes, never committed); it \
             was cut off"
        ));
    }
    // The full log goes into the workspace before the bundle is in place, named by the
    // digest of the bundle's log, so a bundle never lacks it there; it is taken away again if
    // the bundle is not written.
    let kept = match bundle::full_generation_log(&release)? {
        Some(full) => {
            let published = bundle::generation_log(&release)?;
            full_logs.keep(&synthgate_io::sha256_bytes(published.as_bytes()), &full)?
        }
        None => None,
    };
    let manifest = match write_bundle(
        &release,
        out,
        force,
        ctx.clock.now(),
        key,
        log.as_mut(),
        &ctx.workspace.withheld(),
    ) {
        Ok(manifest) => manifest,
        Err(error) => {
            if let Some(path) = kept {
                let _ = std::fs::remove_file(path);
            }
            return Err(error);
        }
    };
    let manifest_sha256 = synthgate_io::sha256_file(&out.join("manifest.json"))?;
    let (audit_seq, audit_hash) = log.head();
    let record = RunRecord {
        operator_fingerprint: keys::fingerprint(&key.verifying_key()),
        audit_seq,
        audit_hash: audit_hash.to_string(),
    };
    // Registered while the log is still held, so the registry's order is the log's.
    let mut registry = ctx.workspace.registry()?;
    let registry_id =
        registry.record_release(out, &manifest, &manifest_sha256, &release.decision, &record)?;
    if let Some(id) = reservation {
        registry.settle_privacy(id, registry_id)?;
    }
    drop(log);
    Ok((manifest, manifest_sha256, registry_id, release))
}
