//! Workflows: their configuration, their collector of records, the global one, and finishing.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::clock::{self, Anchor};
use crate::journal::{self, Durability, Journal};
use crate::level::{Filter, OFF};
use crate::local;
use crate::payload;
use crate::record::{Record, Status};
use crate::tree::{self, RunInfo};
use crate::{Error, Level};

/// The logs directory when neither the builder nor `WORKFLOW_LOG_DIR` names one.
pub const DEFAULT_LOGS_DIR: &str = "logs";
/// The environment variable that overrides the default logs directory.
pub const LOGS_DIR_ENV: &str = "WORKFLOW_LOG_DIR";
/// The environment variable that holds filter directives (`info,planner=debug`).
pub const FILTER_ENV: &str = "WORKFLOW_LOG";

/// Locks a mutex even if a thread panicked while holding it: the data is a log, and a
/// partially updated log is better than none.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where a workflow's nested JSON goes.
#[derive(Debug)]
pub(crate) enum Output {
    /// `capture`: kept in memory, returned as a `serde_json::Value`.
    Memory,
    /// A file in the logs directory, written through a temp file and a rename.
    File { dir: PathBuf, stem: String },
}

/// What the collector holds: the finished records, in the order the threads handed them over.
#[derive(Debug, Default)]
struct Store {
    records: Vec<Record>,
    finished: bool,
    /// Records that arrived after the workflow was written.
    late: u64,
}

/// The state of one workflow that every thread logging into it shares.
pub(crate) struct Shared {
    pub(crate) serial: u64,
    pub(crate) name: String,
    pub(crate) run_id: String,
    pub(crate) anchor: Anchor,
    pub(crate) filter: Filter,
    pub(crate) pretty: bool,
    pub(crate) output: Output,
    /// How values are captured; `None` for the defaults.
    pub(crate) payload: Option<Arc<payload::Config>>,
    collector: Arc<Collector>,
    journal: Option<Journal>,
    /// Bumped by `flush` and `finish`: each thread hands its buffer over at its next close.
    pub(crate) flush_epoch: AtomicU64,
    /// Auto-numbers of iterations directly under the workflow.
    root_iterations: AtomicU64,
    /// Auto-numbers of iterations under other records, by parent id.
    nested_iterations: Mutex<HashMap<u64, u64>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        unregister(self.serial);
    }
}

/// Where finished records end up (directly, or through the journal writer), until the nested
/// JSON is written.
#[derive(Debug)]
pub(crate) struct Collector {
    name: String,
    store: Mutex<Store>,
    late_reported: AtomicBool,
    /// Emptied batches the journal writer gives back, so that a thread's next batch is memory
    /// already in use (no page faults, no growing) rather than a new allocation.
    spare: Mutex<Vec<Vec<Record>>>,
}

impl Collector {
    fn new(name: &str) -> Self {
        Collector {
            name: name.to_owned(),
            store: Mutex::new(Store::default()),
            late_reported: AtomicBool::new(false),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Takes the records out of `buffer`. Records that arrive after the workflow was written
    /// are counted and reported, never silently dropped.
    pub(crate) fn deliver(&self, buffer: &mut Vec<Record>) {
        if buffer.is_empty() {
            return;
        }
        let mut store = lock(&self.store);
        if store.finished {
            store.late += buffer.len() as u64;
            buffer.clear();
            drop(store);
            if !self.late_reported.swap(true, Ordering::Relaxed) {
                crate::report(format_args!(
                    "records closed after workflow `{}` was written are not in its file",
                    self.name
                ));
            }
            return;
        }
        // One vector for the run: growing it is a `mremap` (no copy) once it is big, and
        // `take` hands it over as it is instead of concatenating chunks at the end, which
        // held every record twice.
        if store.records.capacity() == 0 {
            store.records.reserve(CHUNK);
        }
        store.records.append(buffer);
    }

    /// Keeps an emptied batch for [`Shared::submit`] to hand out again.
    pub(crate) fn recycle(&self, batch: Vec<Record>) {
        if batch.is_empty() && batch.capacity() >= local::BATCH {
            let mut spare = lock(&self.spare);
            if spare.len() < MAX_SPARE {
                spare.push(batch);
            }
        }
    }

    /// A batch to fill: an emptied one if there is one.
    fn fresh_batch(&self) -> Vec<Record> {
        lock(&self.spare)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(local::BATCH))
    }

    /// Every record delivered so far; later ones are late.
    fn take(&self) -> Vec<Record> {
        let mut store = lock(&self.store);
        store.finished = true;
        std::mem::take(&mut store.records)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("name", &self.name)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// The collector's first capacity, in records.
const CHUNK: usize = 4096;
/// Emptied batches kept for reuse, per workflow.
const MAX_SPARE: usize = 16;

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// Every live workflow, so that a record can find its workflow by serial on the slow path, and
/// the lowest record threshold among them, so that a disabled record costs one load and a branch.
static LIVE: Mutex<Vec<(u64, Weak<Shared>, u8)>> = Mutex::new(Vec::new());
static MIN_THRESHOLD: AtomicU8 = AtomicU8::new(OFF);

/// Whether any live workflow keeps records at `level`: one relaxed load.
#[inline]
pub(crate) fn any_enabled(level: Level) -> bool {
    // With the `off` feature nothing is ever kept: every call compiles to nothing.
    !cfg!(feature = "off") && level as u8 >= MIN_THRESHOLD.load(Ordering::Relaxed)
}

fn register(shared: &Arc<Shared>) {
    let mut live = lock(&LIVE);
    live.retain(|(_, w, _)| w.strong_count() > 0);
    live.push((shared.serial, Arc::downgrade(shared), shared.filter.default));
    update_min(&live);
}

fn unregister(serial: u64) {
    let mut live = lock(&LIVE);
    live.retain(|(s, w, _)| *s != serial && w.strong_count() > 0);
    update_min(&live);
}

fn update_min(live: &[(u64, Weak<Shared>, u8)]) {
    let min = live.iter().map(|(_, _, t)| *t).min().unwrap_or(OFF);
    MIN_THRESHOLD.store(min, Ordering::Relaxed);
}

/// Hands this thread's records over and waits (up to `timeout` each) until every live
/// workflow's journal has written them: the panic hook's last act.
pub(crate) fn flush_all(timeout: Duration) {
    let live: Vec<Arc<Shared>> = match LIVE.try_lock() {
        Ok(live) => live.iter().filter_map(|(_, w, _)| w.upgrade()).collect(),
        Err(_) => return,
    };
    local::flush_buffer();
    for shared in live {
        let _ = shared.flush_journal(Some(timeout));
    }
}

/// The live workflow with this serial, if it is still live.
pub(crate) fn find(serial: u64) -> Option<Arc<Shared>> {
    lock(&LIVE)
        .iter()
        .find(|(s, _, _)| *s == serial)
        .and_then(|(_, w, _)| w.upgrade())
}

impl Shared {
    /// Whether records (iterations, interactions, actions, events) at `level` are kept.
    #[inline]
    pub(crate) fn records_enabled(&self, level: Level) -> bool {
        level as u8 >= self.filter.default
    }

    /// Hands a batch of finished records over: to the journal writer if there is one (it
    /// passes them on to the collector once written), else to the collector.
    pub(crate) fn submit(&self, buffer: &mut Vec<Record>) {
        if buffer.is_empty() {
            return;
        }
        match &self.journal {
            None => self.collector.deliver(buffer),
            Some(journal) => {
                // A full buffer goes as it is and the thread gets an emptied one back; a few
                // records (a flush, the outermost record closing) go as a copy, and the thread
                // keeps its buffer.
                let batch = if buffer.len() >= local::BATCH / 2 {
                    std::mem::replace(buffer, self.collector.fresh_batch())
                } else {
                    let mut batch = Vec::with_capacity(buffer.len());
                    batch.append(buffer);
                    batch
                };
                if let Err(mut batch) = journal.submit(batch) {
                    self.collector.deliver(&mut batch);
                }
            }
        }
    }

    /// Waits until the journal has written everything handed over so far.
    pub(crate) fn flush_journal(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        journal
            .flush(timeout.unwrap_or(Duration::MAX))
            .map_err(|why| Error::Journal {
                path: journal.path.clone(),
                reason: why,
            })
    }

    /// The number of the next auto-numbered iteration under `parent`.
    pub(crate) fn next_iteration_number(&self, parent: u64) -> u64 {
        if parent == 0 {
            return self.root_iterations.fetch_add(1, Ordering::Relaxed) + 1;
        }
        let mut map = lock(&self.nested_iterations);
        let n = map.entry(parent).or_insert(0);
        *n += 1;
        *n
    }

    /// Forgets the iteration counter of a record that closed.
    pub(crate) fn forget_counter(&self, id: u64) {
        let mut map = lock(&self.nested_iterations);
        if !map.is_empty() {
            map.remove(&id);
        }
    }

    fn run_info(&self, status: Status, end: u64) -> RunInfo<'_> {
        RunInfo {
            workflow: &self.name,
            run_id: &self.run_id,
            anchor: self.anchor,
            end,
            status,
        }
    }

    /// Closes what this thread still holds for the workflow, stops the journal, and collects
    /// every record.
    /// Returns them with the run's end tick, the same in the journal and in the nested JSON.
    fn collect(&self, status: Status) -> (Vec<Record>, Option<journal::Report>, u64) {
        self.flush_epoch.fetch_add(1, Ordering::Relaxed);
        local::flush_for(self);
        let end = clock::now();
        let report = self.journal.as_ref().map(|j| j.finish(status, end));
        (self.collector.take(), report, end)
    }
}

/// Configures a workflow before it starts.
///
/// The builder's settings win over the environment (`WORKFLOW_LOG_DIR`, `WORKFLOW_LOG`), which
/// wins over the defaults (`logs/`, level `info`).
///
/// # Examples
///
/// ```
/// use workflow_log::{Level, Workflow};
///
/// let dir = tempfile::tempdir()?;
/// let log = Workflow::builder("research")
///     .logs_dir(dir.path())
///     .level(Level::Debug)
///     .filter("planner=trace")
///     .init()?;
/// let path = log.finish()?;
/// assert!(path.starts_with(dir.path()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.init()`, `.start()` or `.capture()`"]
pub struct WorkflowBuilder {
    name: String,
    logs_dir: Option<PathBuf>,
    level: Option<Level>,
    filter: Option<String>,
    pretty: bool,
    payload: payload::Config,
    journal: journal::Options,
}

impl WorkflowBuilder {
    fn new(name: String) -> Self {
        WorkflowBuilder {
            name,
            logs_dir: None,
            level: None,
            filter: None,
            pretty: true,
            payload: payload::Config::default(),
            journal: journal::Options::default(),
        }
    }

    /// The directory the nested JSON file is written to (created if needed).
    pub fn logs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.logs_dir = Some(dir.into());
        self
    }

    /// The default level: records and log events below it are not kept.
    pub fn level(mut self, level: Level) -> Self {
        self.level = Some(level);
        self
    }

    /// `RUST_LOG`-style directives, e.g. `"info,planner=debug,planner.search=trace"`: a bare
    /// level sets the default, `name=level` sets a logger and its descendants, and the most
    /// specific name wins. Applied after [`level`](Self::level). A directive that doesn't parse
    /// makes `init`/`start` return [`Error::InvalidFilter`].
    pub fn filter(mut self, directives: &str) -> Self {
        self.filter = Some(directives.to_owned());
        self
    }

    /// Whether the nested JSON file is indented (the default) or written on one line.
    pub fn pretty(mut self, pretty: bool) -> Self {
        self.pretty = pretty;
        self
    }

    /// Strings longer than this many bytes are cut on a UTF-8 boundary and end with
    /// `…[truncated: N bytes]` (default 64 KiB).
    pub fn max_string_bytes(mut self, bytes: usize) -> Self {
        self.payload.max_string = bytes;
        self
    }

    /// A whole captured value whose JSON is longer than this (after its strings were cut) is
    /// replaced by `{"truncated": "<the start of its JSON text>", "original_bytes": N}`
    /// (default 1 MiB).
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.payload.max_total = bytes;
        self
    }

    /// Values nested deeper than this become `"[depth limit]"` (default 64).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.payload.max_depth = depth.max(1);
        self
    }

    /// The keys whose values are replaced by `"[REDACTED]"`, at any depth, before anything is
    /// written: matched ignoring case and `-`/`_`, and as a suffix after `_` (`api_key` matches
    /// `openai_api_key`). Replaces the default list ([`DEFAULT_REDACTED_KEYS`]); pass an empty
    /// list to turn redaction off.
    pub fn redact_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        self.payload.redact = keys.into_iter().map(|k| k.as_ref().into()).collect();
        self
    }

    /// A hook that may rewrite every captured value (after redaction by key), e.g. to mask
    /// e-mail addresses. It runs on the thread that captures the value; if it panics the value
    /// is recorded as `"[redaction hook panicked]"`.
    ///
    /// # Examples
    ///
    /// ```
    /// let ((), log) = workflow_log::Workflow::builder("demo")
    ///     .redact_hook(|value| {
    ///         if let Some(email) = value.get_mut("email") {
    ///             *email = "***".into();
    ///         }
    ///     })
    ///     .capture(|| workflow_log::event("signup", serde_json::json!({"email": "ada@example.com"})));
    /// assert_eq!(log["events"][0]["data"]["email"], "***");
    /// ```
    pub fn redact_hook(
        mut self,
        hook: impl Fn(&mut serde_json::Value) + Send + Sync + 'static,
    ) -> Self {
        self.payload.hook = Some(Arc::new(hook));
        self
    }

    /// Whether a file-backed workflow streams a JSON Lines journal beside its nested file (on by
    /// default). The journal is what [`recover`](crate::recover) reads after a crash.
    pub fn journal(mut self, on: bool) -> Self {
        self.journal.enabled = on;
        self
    }

    /// Writes the journal to `path` instead of `<logs dir>/<stem>.jsonl`.
    pub fn journal_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal.path = Some(path.into());
        self
    }

    /// How hard the journal tries to be on disk (default [`Durability::Write`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.journal.durability = durability;
        self
    }

    /// Lossy journal: when the writer falls behind, threads don't wait; the batches it can't
    /// take are left out of the journal (they still reach the nested file) and `finish`
    /// reports how many records that was. Off by default: a full queue makes the logging
    /// thread wait.
    pub fn lossy(mut self, lossy: bool) -> Self {
        self.journal.lossy = lossy;
        self
    }

    /// How many batches of records may wait for the journal writer (default 1024).
    pub fn journal_queue(mut self, batches: usize) -> Self {
        self.journal.capacity = batches.max(1);
        self
    }

    fn resolve_filter(&self, use_env: bool) -> Result<Filter, Error> {
        let mut filter = Filter::default();
        if use_env && self.level.is_none() && self.filter.is_none() {
            if let Ok(spec) = std::env::var(FILTER_ENV) {
                filter = Filter::parse(&spec)?;
            }
        }
        if let Some(level) = self.level {
            filter = Filter::from_level(level);
        }
        if let Some(spec) = &self.filter {
            let parsed = Filter::parse(spec)?;
            let has_default = spec
                .split(',')
                .any(|d| !d.trim().is_empty() && !d.contains('='));
            if has_default {
                filter.default = parsed.default;
            }
            filter.names.extend(parsed.names);
        }
        Ok(filter)
    }

    fn build(
        &self,
        output: Output,
        filter: Filter,
        run_id: String,
        journal_path: Option<PathBuf>,
    ) -> Result<Arc<Shared>, Error> {
        let anchor = Anchor::now();
        let collector = Arc::new(Collector::new(&self.name));
        let journal = match journal_path {
            Some(path) => Some(Journal::start(
                path,
                &self.journal,
                journal::Header {
                    workflow: &self.name,
                    run_id: &run_id,
                    anchor,
                },
                collector.clone(),
            )?),
            None => None,
        };
        let shared = Arc::new(Shared {
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            name: self.name.clone(),
            run_id,
            anchor,
            filter,
            pretty: self.pretty,
            output,
            payload: (!self.payload.is_default()).then(|| Arc::new(self.payload.clone())),
            collector,
            journal,
            flush_epoch: AtomicU64::new(0),
            root_iterations: AtomicU64::new(0),
            nested_iterations: Mutex::new(HashMap::new()),
        });
        register(&shared);
        Ok(shared)
    }

    fn build_file(&self) -> Result<Arc<Shared>, Error> {
        let filter = self.resolve_filter(true)?;
        let dir = match &self.logs_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os(LOGS_DIR_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_LOGS_DIR)),
        };
        fs::create_dir_all(&dir).map_err(|e| Error::io("create the logs directory", &dir, e))?;
        let wall = chrono::Utc::now();
        let run = run_id();
        let stem = format!(
            "{}_{}_{}",
            sanitize_file_name(&self.name),
            wall.format("%Y%m%d_%H%M%S"),
            run
        );
        // Fail now, not at the end of a long run, if the directory can't take our file.
        let probe = dir.join(format!(".{stem}.json.tmp"));
        create_private(&probe, true)
            .map_err(|e| Error::io("write to the logs directory", &probe, e))?;
        let _ = fs::remove_file(&probe);
        let journal_path = self.journal.enabled.then(|| {
            self.journal
                .path
                .clone()
                .unwrap_or_else(|| journal::path_for(&dir, &stem))
        });
        self.build(Output::File { dir, stem }, filter, run, journal_path)
    }

    /// Starts the process's global workflow (Design A): every thread that has not entered
    /// another workflow logs into it. Fails if one is already live.
    pub fn init(self) -> Result<WorkflowGuard, Error> {
        let mut global = lock(&GLOBAL);
        if let Some(live) = global.as_ref() {
            return Err(Error::AlreadyInitialized {
                workflow: live.name.clone(),
            });
        }
        let shared = self.build_file()?;
        *global = Some(shared.clone());
        GLOBAL_GEN.fetch_add(1, Ordering::Release);
        Ok(WorkflowGuard {
            shared,
            global: true,
            done: false,
        })
    }

    /// Starts a workflow that is not global: threads log into it after
    /// [`enter`](WorkflowGuard::enter)ing it. Many can run at once, each with its own file (a
    /// server running many agent sessions).
    pub fn start(self) -> Result<WorkflowGuard, Error> {
        let shared = self.build_file()?;
        Ok(WorkflowGuard {
            shared,
            global: false,
            done: false,
        })
    }

    /// Runs `f` in a fresh in-memory workflow with this configuration, entered on this thread,
    /// and returns `f`'s value and the nested JSON. The environment is not read: tests stay
    /// deterministic.
    pub fn capture<R>(self, f: impl FnOnce() -> R) -> (R, serde_json::Value) {
        let filter = self.resolve_filter(false).unwrap_or_else(|e| {
            crate::report(format_args!("{e}; capturing at level info"));
            Filter::default()
        });
        let shared = match self.build(Output::Memory, filter, run_id(), None) {
            Ok(shared) => shared,
            Err(e) => unreachable!("an in-memory workflow has nothing to set up: {e}"),
        };
        let value = {
            let _entered = local::enter(&shared, None);
            f()
        };
        let status = if std::thread::panicking() {
            Status::Panicked
        } else {
            Status::Ok
        };
        let (records, _, end) = shared.collect(status);
        unregister(shared.serial);
        let json = tree::to_value(
            &shared.run_info(status, end),
            records,
            local::thread_names(),
        );
        (value, json)
    }
}

/// Runs `f` in a fresh in-memory workflow on this thread and returns `f`'s value and the nested
/// JSON: for tests of code that logs. Threads that `attach` a [`Context`](crate::Context) taken
/// inside `f` log into it too.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     let _it = workflow_log::iteration().start();
///     workflow_log::action("web_search").input(&"rust").log();
/// });
/// assert_eq!(log["iterations"][0]["actions"][0]["action_name"], "web_search");
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, serde_json::Value) {
    WorkflowBuilder::new("capture".to_owned()).capture(f)
}

/// A name for workflows, and the way to configure one.
///
/// # Examples
///
/// ```
/// let builder = workflow_log::Workflow::builder("support_bot");
/// # let _ = builder;
/// ```
#[derive(Clone)]
pub struct Workflow {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Workflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl Workflow {
    /// A builder for a workflow named `name` (the name goes into the JSON as is, and, made safe
    /// for file names, into the file's name).
    pub fn builder(name: impl Into<String>) -> WorkflowBuilder {
        WorkflowBuilder::new(name.into())
    }

    /// Makes this workflow the one the current thread logs into, until the guard drops.
    pub fn enter(&self) -> EnterGuard {
        EnterGuard {
            _entered: local::enter(&self.shared, None),
        }
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The run id, also in the file name.
    pub fn run_id(&self) -> &str {
        &self.shared.run_id
    }
}

/// Keeps a workflow entered on this thread; see [`Workflow::enter`].
#[must_use = "the workflow is left when this guard drops"]
#[derive(Debug)]
pub struct EnterGuard {
    _entered: local::Entered,
}

/// Owns a running workflow: [`finish`](Self::finish) writes its nested JSON, and so does
/// dropping it (errors then go to stderr).
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let log = workflow_log::Workflow::builder("demo").logs_dir(dir.path()).init()?;
/// workflow_log::event("started", serde_json::json!({"user": "ada"}));
/// let path = log.finish()?;
/// let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
/// assert_eq!(json["events"][0]["event_type"], "started");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the workflow is written and closed when this guard drops"]
pub struct WorkflowGuard {
    shared: Arc<Shared>,
    global: bool,
    done: bool,
}

impl fmt::Debug for WorkflowGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowGuard")
            .field("workflow", &self.shared)
            .field("global", &self.global)
            .finish()
    }
}

impl WorkflowGuard {
    /// Writes the nested JSON (through a temp file and a rename) and returns its path.
    pub fn finish(mut self) -> Result<PathBuf, Error> {
        self.finish_inner(Status::Ok)
    }

    /// A handle to this workflow that other threads can [`enter`](Workflow::enter).
    pub fn workflow(&self) -> Workflow {
        Workflow {
            shared: self.shared.clone(),
        }
    }

    /// Makes this workflow the one the current thread logs into, until the guard drops.
    pub fn enter(&self) -> EnterGuard {
        EnterGuard {
            _entered: local::enter(&self.shared, None),
        }
    }

    /// The path of the journal, if this workflow keeps one.
    pub fn journal_path(&self) -> Option<PathBuf> {
        self.shared.journal.as_ref().map(|j| j.path.clone())
    }

    /// The path the nested JSON will be written to.
    pub fn path(&self) -> Option<PathBuf> {
        match &self.shared.output {
            Output::File { dir, stem } => Some(dir.join(format!("{stem}.json"))),
            Output::Memory => None,
        }
    }

    fn finish_inner(&mut self, status: Status) -> Result<PathBuf, Error> {
        self.done = true;
        if self.global {
            let mut global = lock(&GLOBAL);
            if global
                .as_ref()
                .is_some_and(|g| Arc::ptr_eq(g, &self.shared))
            {
                *global = None;
                GLOBAL_GEN.fetch_add(1, Ordering::Release);
            }
        }
        let (records, report, end) = self.shared.collect(status);
        unregister(self.shared.serial);
        let info = self.shared.run_info(status, end);
        let Output::File { dir, stem } = &self.shared.output else {
            return Ok(PathBuf::new());
        };
        let path = dir.join(format!("{stem}.json"));
        let tmp = dir.join(format!(".{stem}.json.tmp"));
        let write = || -> std::io::Result<()> {
            let file = create_private(&tmp, true)?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            tree::write(
                &info,
                records,
                local::thread_names(),
                self.shared.pretty,
                &mut out,
            )?;
            out.flush()?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io("write", &tmp, e));
        }
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename the temp file to", &path, e))?;
        if let Some(report) = report.filter(|r| r.lost > 0) {
            let journal = self
                .shared
                .journal
                .as_ref()
                .map(|j| j.path.display().to_string());
            return Err(Error::RecordsLost {
                path: Some(path),
                count: report.lost,
                reason: format!(
                    "the journal `{}` could not take them: {}",
                    journal.unwrap_or_default(),
                    report.error.unwrap_or_default()
                ),
            });
        }
        Ok(path)
    }
}

impl Drop for WorkflowGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let status = if std::thread::panicking() {
            Status::Panicked
        } else {
            Status::Ok
        };
        if let Err(e) = self.finish_inner(status) {
            crate::report(format_args!("workflow `{}`: {e}", self.shared.name));
        }
    }
}

/// The global workflow (Design A) and a generation counter that threads compare against the
/// copy they cache, so that the hot path takes no lock.
pub(crate) static GLOBAL: Mutex<Option<Arc<Shared>>> = Mutex::new(None);
pub(crate) static GLOBAL_GEN: AtomicU64 = AtomicU64::new(0);

/// Starts the global workflow with the defaults: logs in `logs/` (or `$WORKFLOW_LOG_DIR`),
/// level `info` (or `$WORKFLOW_LOG`).
///
/// Returns [`Error::AlreadyInitialized`] if a global workflow is already live, and
/// [`Error::Io`] naming the path if the logs directory can't be created or written.
///
/// # Examples
///
/// ```no_run
/// let log = workflow_log::init("my_workflow")?;
/// workflow_log::event("interaction", serde_json::json!({"agent": "my_agent"}));
/// println!("wrote {}", log.finish()?.display());
/// # Ok::<(), workflow_log::Error>(())
/// ```
pub fn init(workflow_name: &str) -> Result<WorkflowGuard, Error> {
    Workflow::builder(workflow_name).init()
}

/// A short random id for the run: 12 hex digits.
fn run_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// A file-name-safe version of a workflow name: no separators, dots runs, control characters or
/// NUL, at most 100 bytes, never empty.
pub(crate) fn sanitize_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(100));
    for c in name.chars() {
        let keep = c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
        let c = if keep { c } else { '_' };
        if out.len() + c.len_utf8() > 100 {
            break;
        }
        out.push(c);
    }
    // No leading dot (hidden file, `..`), and no `..` anywhere.
    let mut out = out.replace("..", "__");
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push_str("workflow");
    }
    out
}

/// Creates (or truncates) a file only its owner can read and write.
///
/// A `fresh` file must not exist yet: the open fails rather than follow a symlink or reuse a
/// file someone else put there. Paths the user named (a journal path) are opened as they are.
pub(crate) fn create_private(path: &Path, fresh: bool) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    if fresh {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::sanitize_file_name as s;

    #[test]
    fn file_names_stay_inside_the_logs_dir() {
        assert_eq!(s("my_workflow"), "my_workflow");
        assert_eq!(s("../../etc/passwd"), "______etc_passwd");
        assert_eq!(s(".."), "__");
        assert_eq!(s("a\\b\0c\nd"), "a_b_c_d");
        assert_eq!(s(""), "workflow");
        assert_eq!(s(".hidden"), "_hidden");
        assert!(s(&"x".repeat(300)).len() <= 100);
        assert!(s(&"é".repeat(300)).len() <= 100);
    }
}
