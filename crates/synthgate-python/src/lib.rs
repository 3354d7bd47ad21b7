//! `synthgate._native`: the engine as a Python extension module. The Python package
//! (`python/synthgate/`) is the API users see; this module is its thin bridge:
//!
//! - tables cross as Arrow through the C stream interface (any object with
//!   `__arrow_c_stream__`: pyarrow, pandas ≥ 2.2, polars) and come back as `pyarrow.Table`,
//!   converted to Synthgate's storage types by the same code that reads Parquet files;
//! - the in-memory verbs (`fit`, `sample`, `evaluate`, `profile`) take tables; the verbs of a
//!   governed release take the engine's own requests as JSON and return its outcomes as JSON,
//!   so every field the engine has is reachable without a second definition here;
//! - every engine error becomes an exception of the kind's class, its message the CLI's;
//! - long work runs with the GIL released; between its steps the engine asks whether to stop,
//!   which reads a [`CancelToken`] the Python side sets when the waiting thread is interrupted
//!   (Ctrl-C); a stopped request writes nothing.
//!
//! Unsafe code: this crate alone allows it, because PyO3's macros and the Arrow C stream
//! import (`arrow-pyarrow`) expand to it; no unsafe block is written here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arrow_pyarrow::{FromPyArrow, IntoPyArrow, Table as ArrowTable};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use synthgate_core::{Entropy, Error, ErrorKind, Schema, Table};
use synthgate_engine::io::{NaTokens, Overwrite, ReadOptions};
use synthgate_engine::types::{Model, Report};
use synthgate_engine::{Clock, Context, Events, Workspace};

create_exception!(
    _native,
    SynthgateError,
    PyException,
    "Every Synthgate error."
);
create_exception!(
    _native,
    UsageError,
    SynthgateError,
    "A call was wrong: an unknown option, an output that exists (exit code 2 in the CLI)."
);
create_exception!(
    _native,
    InputError,
    SynthgateError,
    "Input data is missing, unreadable or malformed; the message names the table, row and column (exit code 3)."
);
create_exception!(
    _native,
    SpecError,
    SynthgateError,
    "A schema, spec or model file is malformed or does not match the data (exit code 3)."
);
create_exception!(
    _native,
    GateFailed,
    SynthgateError,
    "A policy gate failed: the bundle was written, marked not releasable (exit code 4)."
);
create_exception!(
    _native,
    VerificationFailed,
    SynthgateError,
    "A bundle, signature, decision chain or reproduction did not verify (exit code 5)."
);
create_exception!(
    _native,
    EnvironmentFailed,
    SynthgateError,
    "The environment failed: an unwritable path, a full disk, an unreachable server (exit code 6)."
);
create_exception!(
    _native,
    InternalError,
    SynthgateError,
    "A bug in Synthgate; please report it (exit code 1)."
);

/// An engine error as the exception of its kind.
fn raise(error: Error) -> PyErr {
    let text = error.to_string();
    match error.kind() {
        ErrorKind::Usage => UsageError::new_err(text),
        ErrorKind::InputData => InputError::new_err(text),
        ErrorKind::Spec => SpecError::new_err(text),
        ErrorKind::GateFailed => GateFailed::new_err(text),
        ErrorKind::VerificationFailed => VerificationFailed::new_err(text),
        ErrorKind::Environment => EnvironmentFailed::new_err(text),
        _ => InternalError::new_err(text),
    }
}

/// A request's stop switch: the Python side sets it (on `KeyboardInterrupt` in the waiting
/// thread), and the engine checks it between steps; a stopped request writes nothing.
#[pyclass(module = "synthgate._native", frozen)]
#[derive(Default)]
struct CancelToken {
    flag: Arc<AtomicBool>,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Ask the request to stop at its next step.
    fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether `cancel` was called.
    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// Progress out to an optional Python reporter (`reporter(step)` for each step, and
/// `reporter.count(done, total, unit)` for counted work when it has that method), cancellation
/// in from a [`CancelToken`].
struct PyEvents {
    callback: Option<Py<PyAny>>,
    cancel: Arc<AtomicBool>,
    /// The last counted progress reported, in thousandths plus one (0: none yet this step),
    /// so the reporter hears at most a thousand counts a step.
    reported: AtomicU64,
}

impl Events for PyEvents {
    fn step(&mut self, name: &str) {
        self.reported.store(0, Ordering::SeqCst);
        if let Some(callback) = &self.callback {
            Python::attach(|py| {
                // A failing progress callback must not fail the work it reports on.
                let _ = callback.call1(py, (name,));
            });
        }
    }

    fn progress(&self, progress: synthgate_engine::Progress) {
        let Some(callback) = &self.callback else {
            return;
        };
        if progress.total == 0 || self.cancel.load(Ordering::SeqCst) {
            return;
        }
        let thousandths = progress.done.min(progress.total) * 1000 / progress.total + 1;
        if self.reported.fetch_max(thousandths, Ordering::SeqCst) >= thousandths {
            return;
        }
        let unit = match progress.unit {
            synthgate_engine::Unit::Bytes => "bytes",
            synthgate_engine::Unit::Items(what) => what,
        };
        Python::attach(|py| {
            let callback = callback.bind(py);
            if callback.hasattr("count").unwrap_or(false) {
                let _ = callback.call_method1("count", (progress.done, progress.total, unit));
            }
        });
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// Run `work` with the GIL released, its events from `progress` and `cancel`.
fn detached<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    cancel: Option<&Bound<'_, CancelToken>>,
    work: impl FnOnce(&mut PyEvents) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let mut events = PyEvents {
        callback: progress,
        cancel: cancel.map_or_else(Arc::default, |token| token.get().flag.clone()),
        reported: AtomicU64::new(0),
    };
    // A panic is a bug: it reaches Python as an InternalError (an Exception, where PyO3's
    // PanicException would escape `except Exception`).
    let outcome =
        py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut events))));
    match outcome {
        Ok(result) => result.map_err(raise),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(InternalError::new_err(format!(
                "internal error: {what}. This is a bug in Synthgate; please report it with the \
                 call that caused it."
            )))
        }
    }
}

/// Panics inside a request, as a bug would: the test that a bug reaches Python as an
/// [`InternalError`] calls it. Not part of the API.
#[pyfunction]
fn _internal_error_probe(py: Python<'_>) -> PyResult<()> {
    detached(py, None, None, |_| -> Result<(), Error> {
        panic!("the internal-error probe")
    })
}

/// A frame (anything with `__arrow_c_stream__`) as a Synthgate table, under `schema` when
/// given; `label` names it in errors.
fn table_of(
    data: &Bound<'_, PyAny>,
    label: &str,
    na: &[String],
    schema: Option<&Schema>,
) -> PyResult<Table> {
    let arrow = ArrowTable::from_pyarrow_bound(data).map_err(|error| {
        UsageError::new_err(format!(
            "{label}: expected a pandas, polars or pyarrow table (an object with \
             __arrow_c_stream__): {error}"
        ))
    })?;
    let (batches, arrow_schema) = arrow.into_inner();
    synthgate_engine::io::table_from_arrow(
        Path::new(label),
        &arrow_schema,
        batches,
        &NaTokens::explicit(na),
        schema,
    )
    .map_err(raise)
}

/// A Synthgate table as `pyarrow.Table`.
fn to_arrow<'py>(py: Python<'py>, table: &Table) -> PyResult<Bound<'py, PyAny>> {
    let arrow = ArrowTable::try_new(table.batches().to_vec(), table.arrow_schema().clone())
        .map_err(|error| InternalError::new_err(error.to_string()))?;
    arrow.into_pyarrow(py)
}

fn schema_of(text: Option<&str>) -> PyResult<Option<Schema>> {
    text.map(|text| Schema::from_toml(text, Path::new("the schema argument")))
        .transpose()
        .map_err(raise)
}

/// Read a CSV or Parquet file with Synthgate's own reader. Returns the table and the
/// missing-value tokens in force.
#[pyfunction]
#[pyo3(signature = (path, na, schema=None))]
fn read_table<'py>(
    py: Python<'py>,
    path: PathBuf,
    na: Vec<String>,
    schema: Option<&str>,
) -> PyResult<(Bound<'py, PyAny>, Vec<String>)> {
    let schema = schema_of(schema)?;
    let dataset = py
        .detach(|| {
            synthgate_engine::io::read_table(
                &path,
                &ReadOptions {
                    extra_na_tokens: na,
                    schema: schema.as_ref(),
                    ..ReadOptions::default()
                },
            )
        })
        .map_err(raise)?;
    Ok((to_arrow(py, &dataset.table)?, dataset.info.na_tokens))
}

/// Write a table with Synthgate's own writers (`.csv` or `.parquet`, by the extension).
#[pyfunction]
#[pyo3(signature = (data, path, force, schema=None))]
fn write_table(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    path: PathBuf,
    force: bool,
    schema: Option<&str>,
) -> PyResult<()> {
    let schema = schema_of(schema)?;
    let table = table_of(data, "the table to write", &[], schema.as_ref())?;
    let overwrite = if force {
        Overwrite::Allow
    } else {
        Overwrite::Refuse
    };
    py.detach(|| synthgate_engine::io::write_table(&table, &path, overwrite))
        .map_err(raise)
}

/// The schema profiling proposes for a table, as TOML.
#[pyfunction]
fn profile(py: Python<'_>, data: &Bound<'_, PyAny>, na: Vec<String>) -> PyResult<String> {
    let table = table_of(data, "the table to profile", &na, None)?;
    let schema = py
        .detach(|| synthgate_engine::profile_schema(&table, &na))
        .map_err(raise)?;
    Ok(schema.to_toml())
}

/// A fitted model.
#[pyclass(module = "synthgate._native", frozen)]
struct NativeModel {
    model: Model,
}

#[pymethods]
impl NativeModel {
    /// Sample `rows` rows (each meeting `conditions`) from stream `seed` (default: the
    /// model's).
    #[pyo3(signature = (rows, seed, conditions, progress=None, cancel=None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        rows: usize,
        seed: Option<u64>,
        conditions: Vec<(String, String)>,
        progress: Option<Py<PyAny>>,
        cancel: Option<&Bound<'py, CancelToken>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if rows == 0 {
            return Err(UsageError::new_err(
                "usage error: rows must be at least 1.".to_string(),
            ));
        }
        let table = detached(py, progress, cancel, |events| {
            synthgate_engine::sample_table(&self.model, rows, seed, &conditions, events)
        })?;
        to_arrow(py, &table)
    }

    /// The model file's bytes (the CLI's `fit` writes the same).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.model.to_bytes())
    }

    /// A model from a model file's bytes; `label` names it in errors.
    #[staticmethod]
    fn from_bytes(bytes: &[u8], label: PathBuf) -> PyResult<NativeModel> {
        Model::from_bytes(bytes, &label)
            .map(|model| NativeModel { model })
            .map_err(raise)
    }

    #[getter]
    fn synthesizer(&self) -> String {
        self.model.synthesizer().to_string()
    }

    #[getter]
    fn seed(&self) -> u64 {
        self.model.seed().0
    }

    #[getter]
    fn training_rows(&self) -> usize {
        self.model.training_rows()
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.model.warnings().to_vec()
    }

    #[getter]
    fn schema(&self) -> String {
        self.model.schema().to_toml()
    }

    /// The differential-privacy statement as JSON, or `None`.
    #[getter]
    fn privacy(&self) -> PyResult<Option<String>> {
        self.model
            .privacy()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|error| InternalError::new_err(error.to_string()))
    }
}

/// Fit a synthesizer on a table.
#[pyfunction]
#[pyo3(signature = (data, na, synthesizer, parameters, seed, min_category_count, tail_count, schema=None, epsilon=None, delta=None, progress=None, cancel=None))]
#[allow(clippy::too_many_arguments)]
fn fit(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    na: Vec<String>,
    synthesizer: String,
    parameters: Vec<(String, String)>,
    seed: u64,
    min_category_count: usize,
    tail_count: usize,
    schema: Option<&str>,
    epsilon: Option<f64>,
    delta: Option<f64>,
    progress: Option<Py<PyAny>>,
    cancel: Option<&Bound<'_, CancelToken>>,
) -> PyResult<NativeModel> {
    let schema = schema_of(schema)?;
    let table = table_of(data, "data", &na, schema.as_ref())?;
    let options = synthgate_engine::FitOptions {
        synthesizer,
        parameters,
        seed,
        protections: synthgate_engine::ProtectionOptions {
            min_category_count,
            tail_count,
        },
        privacy: epsilon.map(|epsilon| synthgate_engine::PrivacyBudget {
            epsilon,
            delta: delta.unwrap_or(synthgate_engine::DEFAULT_DELTA),
        }),
        schema,
    };
    let entropy = os_entropy();
    let model = detached(py, progress, cancel, |events| {
        synthgate_engine::fit_table(&table, &na, &options, &entropy, events)
    })?;
    Ok(NativeModel { model })
}

/// Evaluate a synthetic table against train and holdout tables.
#[pyfunction]
#[pyo3(signature = (train, holdout, synthetic, na, target, sensitive, min_group_rows, secret, seed, resamples, attacks, schema=None, progress=None, cancel=None))]
#[allow(clippy::too_many_arguments)]
fn evaluate(
    py: Python<'_>,
    train: &Bound<'_, PyAny>,
    holdout: &Bound<'_, PyAny>,
    synthetic: &Bound<'_, PyAny>,
    na: Vec<String>,
    target: Option<String>,
    sensitive: Vec<String>,
    min_group_rows: Option<usize>,
    secret: Option<String>,
    seed: u64,
    resamples: Option<usize>,
    attacks: Option<usize>,
    schema: Option<&str>,
    progress: Option<Py<PyAny>>,
    cancel: Option<&Bound<'_, CancelToken>>,
) -> PyResult<NativeReport> {
    let defaults = synthgate_engine::types::EvaluationConfig::default();
    let given = schema_of(schema)?;
    let train = table_of(train, "train", &na, given.as_ref())?;
    let schema = match given {
        Some(schema) => schema,
        None => synthgate_engine::profile_schema(&train, &na).map_err(raise)?,
    };
    let holdout = table_of(holdout, "holdout", &na, Some(&schema))?;
    let synthetic = table_of(synthetic, "synthetic", &na, Some(&schema))?;
    let config = synthgate_engine::types::EvaluationConfig {
        seed: synthgate_core::Seed(seed),
        resamples: resamples.unwrap_or(defaults.resamples),
        target,
        sensitive,
        min_group_rows: min_group_rows.unwrap_or(defaults.min_group_rows),
        secret,
        link_columns: None,
        attacks: attacks.unwrap_or(defaults.attacks),
        privacy: true,
    };
    let report = detached(py, progress, cancel, |events| {
        let digest = |table: &Table| -> Result<String, Error> {
            Ok(synthgate_engine::io::sha256_bytes(
                &synthgate_engine::io::parquet_bytes(table)?,
            ))
        };
        let digests = [digest(&train)?, digest(&holdout)?, digest(&synthetic)?];
        synthgate_engine::evaluate_tables(
            [
                synthgate_engine::Scored {
                    table: &train,
                    source: "train (in memory)",
                    sha256: &digests[0],
                },
                synthgate_engine::Scored {
                    table: &holdout,
                    source: "holdout (in memory)",
                    sha256: &digests[1],
                },
                synthgate_engine::Scored {
                    table: &synthetic,
                    source: "synthetic (in memory)",
                    sha256: &digests[2],
                },
            ],
            Some(&schema),
            &na,
            &config,
            events,
        )
    })?;
    Ok(NativeReport { report })
}

/// An evaluation's report.
#[pyclass(module = "synthgate._native", frozen)]
struct NativeReport {
    report: Report,
}

#[pymethods]
impl NativeReport {
    /// `report.json`'s text, as `synthgate evaluate` writes it.
    fn json(&self) -> PyResult<String> {
        let bytes = synthgate_core::canonical::to_json_pretty(&self.report, "report.json")
            .map_err(raise)?;
        String::from_utf8(bytes).map_err(|error| InternalError::new_err(error.to_string()))
    }

    /// Each metric's id and status band (`good`, `watch`, `poor`, `info`), as report.html
    /// shows them.
    fn statuses(&self) -> Vec<(String, &'static str)> {
        self.report
            .metrics
            .iter()
            .map(|metric| {
                (
                    metric.id.clone(),
                    synthgate_engine::types::status(metric).label(),
                )
            })
            .collect()
    }

    /// `report.html`'s text.
    fn html(&self) -> String {
        synthgate_engine::types::render_html(&self.report)
    }
}

/// The operating system's CSPRNG: secret keys and differential-privacy noise come from here.
fn os_entropy() -> Entropy {
    Entropy::new(|bytes| {
        getrandom::fill(bytes).map_err(|error| {
            Error::environment(format!(
                "the operating system gave no secret randomness: {error}"
            ))
        })
    })
}

/// The context of a release verb: the workspace `home` (default: $SYNTHGATE_HOME, else
/// `.synthgate` in the working directory), the clock (SOURCE_DATE_EPOCH when set, else now),
/// the system's temporary folder, the operating system's randomness: as the CLI has them.
fn context(home: Option<PathBuf>) -> PyResult<Context> {
    let home = home
        .or_else(|| std::env::var_os("SYNTHGATE_HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".synthgate"));
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse::<i64>().map_err(|_| {
            UsageError::new_err(format!(
                "usage error: SOURCE_DATE_EPOCH must be whole seconds, not '{text}'."
            ))
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    Ok(Context {
        workspace: Workspace::new(home),
        clock: Clock::at_unix_seconds(seconds),
        scratch: std::env::temp_dir(),
        entropy: os_entropy(),
    })
}

fn request<T: serde::de::DeserializeOwned>(verb: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json)
        .map_err(|error| UsageError::new_err(format!("usage error: {verb}: {error}")))
}

fn outcome<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|error| InternalError::new_err(error.to_string()))
}

/// A verb of a governed release: `request` is the engine's request as JSON; returns its
/// outcome as JSON. `home` is the workspace folder.
#[pyfunction]
#[pyo3(signature = (verb, request_json, home=None, progress=None, cancel=None))]
fn call(
    py: Python<'_>,
    verb: &str,
    request_json: &str,
    home: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
    cancel: Option<&Bound<'_, CancelToken>>,
) -> PyResult<String> {
    use synthgate_engine as engine;
    let ctx = context(home)?;
    match verb {
        "run" => {
            let request: engine::RunRequest = request(verb, request_json)?;
            outcome(&detached(py, progress, cancel, |events| {
                engine::run(&ctx, &request, events)
            })?)
        }
        "verify" => {
            let request: engine::VerifyRequest = request(verb, request_json)?;
            outcome(&detached(py, progress, cancel, |events| {
                engine::verify(Some(&ctx), &request, events)
            })?)
        }
        "approve" => {
            let request: engine::ApproveRequest = request(verb, request_json)?;
            outcome(
                &py.detach(|| engine::approve(&ctx, &request))
                    .map_err(raise)?,
            )
        }
        "keygen" => {
            let out: PathBuf = request(verb, request_json)?;
            outcome(&py.detach(|| engine::keygen(&ctx, &out)).map_err(raise)?)
        }
        "drift" => {
            let request: engine::DriftRequest = request(verb, request_json)?;
            outcome(&detached(py, progress, cancel, |events| {
                engine::drift(&ctx, &request, events)
            })?)
        }
        "generate" => {
            let request: engine::GenerateRequest = request(verb, request_json)?;
            outcome(&detached(py, progress, cancel, |events| {
                engine::generate(&request, events)
            })?)
        }
        "registry_list" => outcome(&engine::registry_list(&ctx).map_err(raise)?),
        "registry_show" => {
            let id: i64 = request(verb, request_json)?;
            outcome(&engine::registry_show(&ctx, id).map_err(raise)?)
        }
        "registry_lineage" => {
            let source: String = request(verb, request_json)?;
            outcome(&engine::registry_lineage(&ctx, &source).map_err(raise)?)
        }
        "registry_budget" => {
            let dataset: String = request(verb, request_json)?;
            outcome(&engine::registry_budget(&ctx, &dataset).map_err(raise)?)
        }
        "audit_verify" => outcome(&engine::audit_verify(&ctx).map_err(raise)?),
        "synthesizers" => outcome(&engine::synthesizers()),
        other => Err(UsageError::new_err(format!(
            "usage error: no verb '{other}'."
        ))),
    }
}

/// The `synthgate` command line with `args` (the program's name first), with the GIL
/// released; returns its exit code. The wheel's `synthgate` console script calls it.
#[pyfunction]
fn cli(py: Python<'_>, args: Vec<std::ffi::OsString>) -> i32 {
    py.detach(|| synthgate_cli::main_with_args(args))
}

/// A schema's TOML as JSON (the same fields), checked.
#[pyfunction]
fn schema_to_json(toml: &str) -> PyResult<String> {
    let schema = Schema::from_toml(toml, Path::new("the schema")).map_err(raise)?;
    serde_json::to_string(&schema).map_err(|error| InternalError::new_err(error.to_string()))
}

/// A schema's JSON as TOML, checked as a schema file is.
#[pyfunction]
fn schema_from_json(json: &str) -> PyResult<String> {
    let schema: Schema = serde_json::from_str(json)
        .map_err(|error| SpecError::new_err(format!("spec error: the schema: {error}")))?;
    let toml = schema.to_toml();
    Schema::from_toml(&toml, Path::new("the schema")).map_err(raise)?;
    Ok(toml)
}

/// The version of the engine's requests and outcomes.
#[pyfunction]
fn api_version() -> u32 {
    synthgate_engine::API_VERSION
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    for (name, class) in [
        ("SynthgateError", py.get_type::<SynthgateError>()),
        ("UsageError", py.get_type::<UsageError>()),
        ("InputError", py.get_type::<InputError>()),
        ("SpecError", py.get_type::<SpecError>()),
        ("GateFailed", py.get_type::<GateFailed>()),
        ("VerificationFailed", py.get_type::<VerificationFailed>()),
        ("EnvironmentFailed", py.get_type::<EnvironmentFailed>()),
        ("InternalError", py.get_type::<InternalError>()),
    ] {
        m.add(name, class)?;
    }
    m.add_class::<NativeModel>()?;
    m.add_class::<NativeReport>()?;
    m.add_class::<CancelToken>()?;
    m.add_function(wrap_pyfunction!(read_table, m)?)?;
    m.add_function(wrap_pyfunction!(write_table, m)?)?;
    m.add_function(wrap_pyfunction!(profile, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(call, m)?)?;
    m.add_function(wrap_pyfunction!(api_version, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(schema_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(schema_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(_internal_error_probe, m)?)?;
    Ok(())
}
