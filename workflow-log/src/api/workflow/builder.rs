//! [`WorkflowBuilder`]: a workflow's settings, and starting it (`init`, `start`, `capture`).

use std::fs;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{WorkflowGuard, DEFAULT_LOGS_DIR, FILTER_ENV, LOGS_DIR_ENV};
use crate::api::context::{Context, FutureExt};
use crate::capture;
use crate::level::Filter;
use crate::record::Status;
use crate::runtime::lifecycle::{self, Setup};
use crate::runtime::registry::{GLOBAL, GLOBAL_GEN};
use crate::runtime::thread;
use crate::runtime::workflow::{LiveWorkflow, Output};
use crate::sink::journal::{self, Durability};
use crate::util::{create_private, lock, run_id, sanitize_file_name};
use crate::{Error, Level};

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
    payload: capture::Config,
    journal: journal::Options,
    prices: Vec<(Box<str>, f64, f64)>,
}

impl WorkflowBuilder {
    pub(super) fn new(name: String) -> Self {
        WorkflowBuilder {
            name,
            logs_dir: None,
            level: None,
            filter: None,
            pretty: true,
            payload: capture::Config::default(),
            journal: journal::Options::default(),
            prices: Vec::new(),
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
    /// replaced by `{"truncated": "<the start of its JSON text>", "more_than_bytes": N}` (N:
    /// this limit; default 1 MiB; the text kept is `max_string_bytes` long). Serialising stops
    /// once the value is known to be over: a sequence or map whose length can't fit is
    /// written only as far as the text that is kept, any other value up to this limit. A huge
    /// value costs about as much as one of this size, or less.
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
    /// written. A key is read as words, the way serde names fields and variants (`snake_case`,
    /// `SCREAMING_SNAKE`, `kebab-case`, `camelCase`, dotted), and it matches an entry when its
    /// last words are the entry's, ignoring case, the last one maybe plural: `api_key` matches
    /// `apiKey`, `OPENAI_API_KEY`, `x-api-key` and `api_keys`; `token` matches `accessToken`
    /// but not `max_tokens` (a plural `token` counts tokens). Map keys, struct fields, enum
    /// variants (`Auth::Token(..)`) and the fields of a `Debug` text are matched alike.
    /// Replaces the default list ([`DEFAULT_REDACTED_KEYS`](crate::DEFAULT_REDACTED_KEYS));
    /// pass an empty list to turn redaction by key off.
    pub fn redact_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        self.payload.redact = keys.into_iter().map(|k| k.as_ref().into()).collect();
        self
    }

    /// Whether well-known secret values are replaced by `[REDACTED]` wherever a string is
    /// captured (on by default): in values at any depth, `Debug` texts, error texts, agent
    /// names and log messages. Found by their shape: OpenAI and Anthropic keys (`sk-…`),
    /// `Bearer …` tokens, AWS access key ids (`AKIA…`), GitHub tokens (`ghp_…`,
    /// `github_pat_…`, ...), Slack tokens (`xoxb-…`, ...) and JWTs.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let ((), doc) = workflow_log::Workflow::builder("keys").capture(|| {
    ///     workflow_log::action("call")
    ///         .input(&json!({"header": "Bearer abcdefghijklmnop"}))
    ///         .log();
    /// });
    /// assert_eq!(doc["actions"][0]["input_data"]["header"], "Bearer [REDACTED]");
    ///
    /// let ((), doc) = workflow_log::Workflow::builder("keys")
    ///     .redact_values(false)
    ///     .capture(|| {
    ///         workflow_log::action("call")
    ///             .input(&json!({"header": "Bearer abcdefghijklmnop"}))
    ///             .log();
    ///     });
    /// assert_eq!(doc["actions"][0]["input_data"]["header"], "Bearer abcdefghijklmnop");
    /// ```
    pub fn redact_values(mut self, on: bool) -> Self {
        self.payload.redact_values = on;
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
    ///
    /// A batch holds up to 1,024 records, about 120 KB while it waits, plus their payloads. The
    /// writer journals about 5 million records a second on a small machine: a thread that logs
    /// faster than that for long (a tight loop of bare actions) gets up to this many batches
    /// ahead, which is about 1M records and 120 MB (more with payloads) with the default, and
    /// then waits for the writer (or, with [`lossy`](Self::lossy), leaves batches out of the
    /// journal). A smaller queue bounds that memory and what a crash can find not yet written,
    /// and makes such a thread wait sooner.
    pub fn journal_queue(mut self, batches: usize) -> Self {
        self.journal.capacity = batches.max(1);
        self
    }

    /// What `model` costs, in US dollars per million input and output tokens: usage reported
    /// without a `cost_usd` gets its cost from here. A model with no price of its own takes that
    /// of the longest priced name it starts with (`gpt-4o` prices `gpt-4o-2024-08-06`); usage of
    /// a model with no price and no cost has no `cost_usd` (unknown is not zero). Prices that are
    /// negative, NaN or infinite are ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_log::{Usage, Workflow};
    ///
    /// let ((), log) = Workflow::builder("demo")
    ///     .price("gpt-4o", 2.5, 10.0)
    ///     .capture(|| workflow_log::action("chat").usage("gpt-4o", Usage::tokens(2_000, 500)).log());
    /// assert_eq!(log["actions"][0]["usage"]["cost_usd"], 0.01);
    /// ```
    pub fn price(mut self, model: &str, input_usd_per_mtok: f64, output_usd_per_mtok: f64) -> Self {
        let valid = |p: f64| p.is_finite() && p >= 0.0;
        if valid(input_usd_per_mtok) && valid(output_usd_per_mtok) {
            self.prices.retain(|(name, _, _)| &**name != model);
            self.prices
                .push((model.into(), input_usd_per_mtok, output_usd_per_mtok));
        }
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
    ) -> Result<Arc<LiveWorkflow>, Error> {
        let keeps_journal = journal_path.is_some();
        let live = LiveWorkflow::start(Setup {
            name: &self.name,
            output,
            filter,
            run_id,
            pretty: self.pretty,
            payload: (!self.payload.is_default()).then(|| Arc::new(self.payload.clone())),
            journal: journal_path.map(|path| (path, &self.journal)),
            prices: self.prices.clone(),
        })?;
        if keeps_journal {
            // A panic (also under `panic = "abort"`) flushes every live journal first.
            lifecycle::install_panic_hook();
        }
        Ok(live)
    }

    fn build_file(&self) -> Result<Arc<LiveWorkflow>, Error> {
        let filter = self.resolve_filter(true)?;
        if thread::inside_unrecorded() {
            report_set_up_inside_a_record();
        }
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

    /// Starts the process's global workflow: every thread that has not entered
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
        let shared = self.build_memory();
        let value = {
            let _entered = thread::enter(&shared, None);
            f()
        };
        let status = if std::thread::panicking() {
            Status::Panicked
        } else {
            Status::Ok
        };
        let json = shared.finish_to_value(status);
        (value, json)
    }

    /// [`capture`](Self::capture) for async code: awaits `future` in a fresh in-memory
    /// workflow with this configuration and returns its output and the nested JSON.
    ///
    /// The workflow is entered at each poll of `future`, on whichever thread polls it, so it
    /// works on current-thread and multi-thread runtimes alike (`#[tokio::test]`, either
    /// flavor). Tasks it spawns log into it when spawned with
    /// [`.in_current_context()`](crate::FutureExt::in_current_context); await them before
    /// `future` ends, or what they log after is dropped (with a note on stderr).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    ///
    /// let capture = workflow_log::Workflow::builder("agent_test")
    ///     .level(workflow_log::Level::Debug)
    ///     .capture_async(async {
    ///         let _planner = workflow_log::interaction("planner").start();
    ///         workflow_log::logger("planner").debug("thinking", ());
    ///         42
    ///     });
    /// // Any executor will do (`#[tokio::test]` is the usual one); this one polls once.
    /// let mut capture = std::pin::pin!(capture);
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// let std::task::Poll::Ready((answer, log)) = capture.as_mut().poll(&mut cx) else {
    ///     unreachable!("nothing in it waits")
    /// };
    /// assert_eq!(answer, 42);
    /// assert_eq!(log["interactions"][0]["events"][0]["message"], "thinking");
    /// ```
    pub async fn capture_async<F: Future>(self, future: F) -> (F::Output, serde_json::Value) {
        let shared = self.build_memory();
        let value = future.with_context(Context::root(&shared)).await;
        let json = shared.finish_to_value(Status::Ok);
        (value, json)
    }

    /// The in-memory workflow of `capture` and `capture_async`.
    fn build_memory(&self) -> Arc<LiveWorkflow> {
        let filter = self.resolve_filter(false).unwrap_or_else(|e| {
            crate::util::report(format_args!("{e}; capturing at level info"));
            Filter::default()
        });
        match self.build(Output::Memory, filter, run_id(), None) {
            Ok(shared) => shared,
            Err(e) => unreachable!("an in-memory workflow has nothing to set up: {e}"),
        }
    }
}

/// A workflow started inside an annotated iteration or interaction that was called before any
/// workflow was live (`#[interaction] fn main() { let log = init(..)?; .. }`): that record can't
/// join it (its inputs and start were never taken), so it is missing from the log. Said once.
fn report_set_up_inside_a_record() {
    use std::sync::atomic::AtomicBool;
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        crate::util::report(format_args!(
            "a workflow was started inside an #[iteration] or #[interaction] function that was \
             called before any workflow existed: that call is not recorded. Start the workflow \
             first (call `init` in a plain `main`), then call the annotated function from there."
        ));
    }
}
