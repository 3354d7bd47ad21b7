//! The service's jobs: pipeline runs users submit (`POST /api/jobs`), run one at a time on a
//! thread of their own through the engine's `run`, with their step, progress, notes and
//! outcome kept in the workspace (`jobs/<id>.json`, each write whole or not at all) so that
//! they outlive the process.
//!
//! Invariants, as absences:
//! - no job reads a file outside the config's data roots (links followed), writes outside the
//!   workspace, or calls a language-model server the config does not list: checked when it is
//!   submitted and again on the spec the run reads as it starts;
//! - no job is left `running` or `queued` by a process that ended: the next start marks it
//!   failed and the audit log says so (a run that is killed registers nothing: the engine
//!   registers a release only after its bundle is whole);
//! - no cancelled job writes anything (the engine stops between steps and writes nothing).

use std::collections::{BTreeMap, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use synthgate_core::{Error, Result};
use synthgate_engine::{Events, Progress, RunReads, Unit};

/// What the service's jobs (pipeline runs users submit) may touch. Nothing a caller sends can
/// widen it: a job's spec and every file it reads must lie under one of `data_roots` (links
/// followed), its bundle is written under the workspace, and a prompt-based run may call only
/// the language-model servers of `llm_urls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// The folders a job's spec and sources must be under (absolute; none: jobs are refused).
    #[serde(default)]
    pub data_roots: Vec<PathBuf>,
    /// The language-model servers a prompt-based job may call (base URLs, compared with `/v1`
    /// appended as the client does).
    #[serde(default)]
    pub llm_urls: Vec<String>,
    /// The users who may submit jobs, besides the admins.
    #[serde(default)]
    pub users: Vec<String>,
    /// `data_roots` with every link resolved (a root given through a link is both).
    #[serde(skip)]
    real_roots: Vec<PathBuf>,
}

impl JobsConfig {
    pub(crate) fn is_empty(&self) -> bool {
        self == &JobsConfig::default()
    }

    /// Check the config read from `path` (its users named `users`): roots absolute folders
    /// (kept as written and resolved), URLs http or https, users known.
    pub(crate) fn check(&mut self, path: &Path, users: &[String]) -> Result<()> {
        for root in &self.data_roots {
            if !root.is_absolute() {
                return Err(Error::spec(format!(
                    "{}: [jobs] data_roots: '{}' is not an absolute path.",
                    path.display(),
                    root.display()
                )));
            }
            let real = std::fs::canonicalize(root)
                .ok()
                .filter(|r| r.is_dir())
                .ok_or_else(|| {
                    Error::spec(format!(
                        "{}: [jobs] data_roots: '{}' is not a folder this server can read.",
                        path.display(),
                        root.display()
                    ))
                })?;
            self.real_roots.push(real);
        }
        self.data_roots = self.data_roots.iter().map(|root| lexical(root)).collect();
        if let Some(bad) = self
            .llm_urls
            .iter()
            .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        {
            return Err(Error::spec(format!(
                "{}: [jobs] llm_urls: '{bad}' is not an http:// or https:// URL.",
                path.display()
            )));
        }
        if let Some(bad) = self.users.iter().find(|u| !users.contains(u)) {
            return Err(Error::spec(format!(
                "{}: [jobs] users: '{bad}' is not one of the [[users]].",
                path.display()
            )));
        }
        Ok(())
    }

    /// The data roots as written and as the file system resolves them.
    pub(crate) fn roots(&self) -> Vec<PathBuf> {
        self.data_roots
            .iter()
            .chain(&self.real_roots)
            .cloned()
            .collect()
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    fn ended(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
}

/// How far the current step's counted work is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JobProgress {
    pub(crate) done: u64,
    pub(crate) total: u64,
    /// `bytes`, or what is counted (`records`).
    pub(crate) unit: String,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JobError {
    /// The error's kind (`usage`, `data`, `environment`, ...), or `interrupted`.
    pub(crate) kind: String,
    pub(crate) message: String,
}

/// One submitted pipeline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Job {
    pub(crate) id: i64,
    /// Who submitted it.
    pub(crate) user: String,
    /// The pipeline spec, resolved.
    pub(crate) spec: PathBuf,
    /// The release it makes (`name version`).
    pub(crate) release: String,
    /// The bundle folder it writes, under the workspace.
    pub(crate) bundle: PathBuf,
    pub(crate) status: Status,
    pub(crate) submitted_at: String,
    pub(crate) started_at: Option<String>,
    pub(crate) finished_at: Option<String>,
    /// The step it is at (`reading`, `fitting`, ...), while it runs.
    pub(crate) step: Option<String>,
    /// The current step's counted work, when it has any.
    pub(crate) progress: Option<JobProgress>,
    /// Things worth telling that are not results (a key was made).
    pub(crate) notes: Vec<String>,
    /// Whether someone asked to stop it while it ran.
    pub(crate) cancel_requested: bool,
    /// The release's registry id, once registered.
    pub(crate) registry_id: Option<i64>,
    /// Whether every gate passed or was waived, once registered.
    pub(crate) releasable: Option<bool>,
    /// The failed gates, as sentences.
    pub(crate) failures: Vec<String>,
    pub(crate) error: Option<JobError>,
    /// The process that ran or queued it (a later start fails it when that process is gone).
    pub(crate) pid: u32,
}

#[derive(Debug, Default)]
struct State {
    jobs: BTreeMap<i64, Job>,
    queue: VecDeque<i64>,
    /// The running job's stop flag.
    running: Option<(i64, Arc<AtomicBool>)>,
}

/// The jobs of a workspace.
#[derive(Debug)]
pub(crate) struct Jobs {
    dir: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
}

/// A refused request's status, kind, message and the field at fault.
pub(crate) type Refusal = (u16, &'static str, String, &'static str);

impl Jobs {
    /// The jobs kept in `dir`; those a process that is gone left queued or running are marked
    /// failed at `now` and returned, for the audit log.
    pub(crate) fn open(dir: &Path, now: &str) -> Result<(Jobs, Vec<Job>)> {
        std::fs::create_dir_all(dir).map_err(|error| {
            Error::environment(format!("cannot create {}: {error}.", dir.display()))
        })?;
        let mut jobs = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|error| {
            Error::environment(format!("cannot read {}: {error}.", dir.display()))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|error| {
                Error::environment(format!("cannot read the job {}: {error}.", path.display()))
            })?;
            let job: Job = serde_json::from_str(&text).map_err(|error| {
                Error::input(format!(
                    "the job file {} is not one this version reads: {error}.",
                    path.display()
                ))
            })?;
            jobs.insert(job.id, job);
        }
        let jobs = Jobs {
            dir: dir.to_path_buf(),
            state: Mutex::new(State {
                jobs,
                ..State::default()
            }),
            wake: Condvar::new(),
        };
        let mut failed = Vec::new();
        {
            let mut state = jobs.lock()?;
            for job in state.jobs.values_mut() {
                if job.status.ended() || alive(job.pid) {
                    continue;
                }
                let message = if job.status == Status::Running {
                    "the server stopped while the job ran; nothing of it was registered. Submit it \
                     again."
                } else {
                    "the server stopped before the job started. Submit it again."
                };
                job.status = Status::Failed;
                job.finished_at = Some(now.to_string());
                job.step = None;
                job.progress = None;
                job.error = Some(JobError {
                    kind: "interrupted".into(),
                    message: message.into(),
                });
                jobs.persist(job)?;
                failed.push(job.clone());
            }
        }
        Ok((jobs, failed))
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| Error::internal("the jobs' state was poisoned"))
    }

    /// Write `job` to its file, whole or not at all.
    fn persist(&self, job: &Job) -> Result<()> {
        let path = self.dir.join(format!("{}.json", job.id));
        let temporary = self.dir.join(format!(".{}.json.partial", job.id));
        let bytes = serde_json::to_vec_pretty(job)
            .map_err(|error| Error::internal(format!("a job as JSON: {error}")))?;
        std::fs::write(&temporary, bytes)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|error| {
                let _ = std::fs::remove_file(&temporary);
                Error::environment(format!("cannot write {}: {error}.", path.display()))
            })
    }

    /// Queue a job of `user` running `spec` into `bundle`.
    pub(crate) fn submit(
        &self,
        user: &str,
        spec: PathBuf,
        release: String,
        bundle: PathBuf,
        now: &str,
    ) -> Result<Job> {
        let mut state = self.lock()?;
        if let Some(queued) = state
            .jobs
            .values()
            .find(|j| !j.status.ended() && j.bundle == bundle)
        {
            return Err(Error::usage(format!(
                "job {} makes {} already; wait for it to end.",
                queued.id, queued.release
            )));
        }
        let id = state.jobs.keys().next_back().map_or(1, |last| last + 1);
        let job = Job {
            id,
            user: user.to_string(),
            spec,
            release,
            bundle,
            status: Status::Queued,
            submitted_at: now.to_string(),
            started_at: None,
            finished_at: None,
            step: None,
            progress: None,
            notes: Vec::new(),
            cancel_requested: false,
            registry_id: None,
            releasable: None,
            failures: Vec::new(),
            error: None,
            pid: std::process::id(),
        };
        self.persist(&job)?;
        state.jobs.insert(id, job.clone());
        state.queue.push_back(id);
        self.wake.notify_all();
        Ok(job)
    }

    /// Job `id`.
    pub(crate) fn get(&self, id: i64) -> Result<Option<Job>> {
        Ok(self.lock()?.jobs.get(&id).cloned())
    }

    /// Every job, oldest first, of `user` (every user's with `None`).
    pub(crate) fn list(&self, user: Option<&str>) -> Result<Vec<Job>> {
        Ok(self
            .lock()?
            .jobs
            .values()
            .filter(|j| user.is_none_or(|u| j.user == u))
            .cloned()
            .collect())
    }

    /// Stop job `id`: a queued one ends cancelled at once, a running one is asked to stop
    /// between its steps; an ended one is refused.
    pub(crate) fn cancel(&self, id: i64, now: &str) -> Result<std::result::Result<Job, Refusal>> {
        let mut state = self.lock()?;
        let flag = state
            .running
            .as_ref()
            .filter(|(running, _)| *running == id)
            .map(|(_, flag)| flag.clone());
        let Some(job) = state.jobs.get_mut(&id) else {
            return Ok(Err((404, "not_found", format!("no job {id}."), "id")));
        };
        match job.status {
            Status::Queued => {
                job.status = Status::Cancelled;
                job.finished_at = Some(now.to_string());
                job.cancel_requested = true;
                let job = job.clone();
                self.persist(&job)?;
                state.queue.retain(|queued| *queued != id);
                Ok(Ok(job))
            }
            Status::Running => {
                job.cancel_requested = true;
                if let Some(flag) = flag {
                    flag.store(true, Ordering::SeqCst);
                }
                let job = job.clone();
                self.persist(&job)?;
                Ok(Ok(job))
            }
            ended => Ok(Err((
                409,
                "ended",
                format!(
                    "job {id} has ended ({}); there is nothing to cancel.",
                    serde_json::to_value(ended)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
                "id",
            ))),
        }
    }

    /// Wait for the next queued job and mark it running at the time `now` gives: the job and
    /// its stop flag.
    fn next(&self, now: &dyn Fn() -> String) -> Result<(Job, Arc<AtomicBool>)> {
        let mut state = self.lock()?;
        loop {
            if let Some(id) = state.queue.pop_front() {
                let flag = Arc::new(AtomicBool::new(false));
                state.running = Some((id, flag.clone()));
                let Some(job) = state.jobs.get_mut(&id) else {
                    continue;
                };
                job.status = Status::Running;
                job.started_at = Some(now());
                let job = job.clone();
                self.persist(&job)?;
                return Ok((job, flag));
            }
            state = self
                .wake
                .wait(state)
                .map_err(|_| Error::internal("the jobs' state was poisoned"))?;
        }
    }

    /// Change job `id` with `change`, kept on disk when `keep`.
    fn update(&self, id: i64, keep: bool, change: impl FnOnce(&mut Job)) {
        let Ok(mut state) = self.lock() else {
            return;
        };
        if let Some(job) = state.jobs.get_mut(&id) {
            change(job);
            if keep && let Err(error) = self.persist(job) {
                eprintln!("synthgate serve: job {id}: {}", error.message());
            }
        }
    }

    /// Run queued jobs, one at a time, until the process ends: `run` does the work of one.
    pub(crate) fn work(
        &self,
        now: &dyn Fn() -> String,
        run: &dyn Fn(&Job, &mut dyn Events) -> Result<synthgate_engine::RunOutcome>,
    ) {
        loop {
            let (job, flag) = match self.next(now) {
                Ok(next) => next,
                Err(error) => {
                    eprintln!(
                        "synthgate serve: the job queue stopped: {}",
                        error.message()
                    );
                    return;
                }
            };
            let mut events = JobEvents {
                jobs: self,
                id: job.id,
                flag,
            };
            let result = run(&job, &mut events);
            let finished = now();
            self.update(job.id, true, |job| {
                job.finished_at = Some(finished);
                job.step = None;
                job.progress = None;
                match result {
                    Ok(outcome) => {
                        job.status = Status::Succeeded;
                        job.registry_id = Some(outcome.registry_id);
                        job.releasable = Some(outcome.releasable);
                        job.failures = outcome.failures;
                    }
                    Err(error)
                        if job.cancel_requested && synthgate_engine::is_cancellation(&error) =>
                    {
                        job.status = Status::Cancelled;
                    }
                    Err(error) => {
                        job.status = Status::Failed;
                        job.error = Some(JobError {
                            kind: crate::status_of(error.kind()).1.to_string(),
                            message: error.message().to_string(),
                        });
                    }
                }
            });
            if let Ok(mut state) = self.lock() {
                state.running = None;
            }
        }
    }
}

/// Whether process `pid` is alive (on Linux; elsewhere a job's process is taken for gone).
fn alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// A running job's events: its step and notes kept, its progress shown, its stop flag read.
struct JobEvents<'a> {
    jobs: &'a Jobs,
    id: i64,
    flag: Arc<AtomicBool>,
}

impl Events for JobEvents<'_> {
    fn step(&mut self, name: &str) {
        self.jobs.update(self.id, true, |job| {
            job.step = Some(name.to_string());
            job.progress = None;
        });
    }

    fn progress(&self, progress: Progress) {
        let unit = match progress.unit {
            Unit::Bytes => "bytes".to_string(),
            Unit::Items(what) => what.to_string(),
        };
        self.jobs.update(self.id, false, |job| {
            job.progress = Some(JobProgress {
                done: progress.done,
                total: progress.total,
                unit,
            });
        });
    }

    fn note(&mut self, text: &str) {
        self.jobs
            .update(self.id, true, |job| job.notes.push(text.to_string()));
    }

    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// `path` made absolute (from the working folder) with `.` and `..` taken away as written,
/// without asking the file system.
fn lexical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether `path` is under one of `roots` (each as written and as resolved): when it exists,
/// with every link followed (a link out of a root is out); when it does not, as written.
/// Either way a path outside gets the same answer, so no caller learns what exists there.
pub(crate) fn under_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let inside = |p: &Path| roots.iter().any(|root| p.starts_with(root));
    match std::fs::canonicalize(path) {
        Ok(real) => inside(&real),
        Err(_) => inside(&lexical(path)),
    }
}

/// Whether a job may do what `read` says under `config`: `None`, or why not.
pub(crate) fn confine(config: &JobsConfig, read: &RunReads) -> Option<String> {
    let roots = config.roots();
    for (path, what) in &read.files {
        if !under_roots(path, &roots) {
            return Some(format!(
                "{what} ({}) is not under the server's data roots ([jobs] data_roots of its \
                 config); a job reads nothing else.",
                path.display()
            ));
        }
    }
    if let Some(url) = &read.llm_url {
        let wanted = synthgate_engine::llm_base(url);
        if !config
            .llm_urls
            .iter()
            .any(|allowed| synthgate_engine::llm_base(allowed) == wanted)
        {
            return Some(format!(
                "the language-model server {} is not one the server's config allows ([jobs] \
                 llm_urls); a job calls no other.",
                synthgate_engine::llm_display(url)
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_count_as_under_a_root_as_written_and_through_their_links() {
        let dir = tempfile::tempdir().expect("temp");
        let root = std::fs::canonicalize(dir.path())
            .expect("real")
            .join("data");
        let outside = root.parent().expect("parent").join("secret.csv");
        std::fs::create_dir_all(&root).expect("root");
        std::fs::write(root.join("a.csv"), "x\n1\n").expect("file");
        std::fs::write(&outside, "x\n1\n").expect("file");
        std::os::unix::fs::symlink(&outside, root.join("link.csv")).expect("link");
        let roots = [root.clone()];
        assert!(under_roots(&root.join("a.csv"), &roots));
        assert!(under_roots(&root.join("sub/../a.csv"), &roots));
        assert!(!under_roots(&root.join("../secret.csv"), &roots));
        assert!(!under_roots(&outside, &roots));
        assert!(!under_roots(&root.join("link.csv"), &roots), "a link out");
        assert!(under_roots(&root.join("missing.csv"), &roots));
        // A root reached through a link counts, as does a path through another link to it.
        let via = root.parent().expect("parent").join("via");
        std::os::unix::fs::symlink(&root, &via).expect("link");
        assert!(under_roots(&via.join("a.csv"), &roots));
        assert!(under_roots(
            &via.join("missing.csv"),
            &[via.clone(), root.clone()]
        ));
        assert!(
            !under_roots(&via.join("missing.csv"), &roots),
            "missing, as written outside"
        );
        // A root that only begins like another is not it.
        let lookalike = root.parent().expect("parent").join("data-other/a.csv");
        assert!(!under_roots(&lookalike, &roots));
    }

    #[test]
    fn a_job_left_running_by_a_process_that_is_gone_is_failed_at_the_next_start() {
        let dir = tempfile::tempdir().expect("temp");
        let (jobs, failed) = Jobs::open(dir.path(), "t0").expect("open");
        assert!(failed.is_empty());
        let job = jobs
            .submit("ann", "/s.toml".into(), "a 1".into(), "/b".into(), "t1")
            .expect("submit");
        let mut gone = job.clone();
        gone.id = 2;
        gone.status = Status::Running;
        gone.pid = u32::MAX;
        jobs.persist(&gone).expect("persist");
        drop(jobs);
        let (jobs, failed) = Jobs::open(dir.path(), "t2").expect("open");
        // Job 1's process is this one, alive: left queued. Job 2's is gone: failed.
        assert_eq!(failed.iter().map(|j| j.id).collect::<Vec<_>>(), [2]);
        let again = jobs.get(2).expect("get").expect("job 2");
        assert_eq!(again.status, Status::Failed);
        assert_eq!(again.error.expect("error").kind, "interrupted");
        assert_eq!(
            jobs.get(1).expect("get").expect("job 1").status,
            Status::Queued
        );
        let cancelled = jobs.cancel(1, "t3").expect("cancel").expect("queued");
        assert_eq!(cancelled.status, Status::Cancelled);
        assert_eq!(
            jobs.cancel(1, "t4").expect("cancel").expect_err("ended").0,
            409
        );
        assert_eq!(
            jobs.cancel(9, "t4").expect("cancel").expect_err("none").0,
            404
        );
    }
}
