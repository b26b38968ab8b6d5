//! Workflows as users hold them: [`Workflow`], [`WorkflowGuard`] (finishing writes the nested
//! JSON), `init` and `capture`.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::record::Status;
use crate::runtime::registry::{GLOBAL, GLOBAL_GEN};
use crate::runtime::thread;
use crate::runtime::workflow::{LiveWorkflow, Output};
use crate::util::lock;
use crate::Error;

mod builder;

pub use builder::WorkflowBuilder;

/// The logs directory when neither the builder nor `WORKFLOW_LOG_DIR` names one.
pub const DEFAULT_LOGS_DIR: &str = "logs";
/// The environment variable that overrides the default logs directory.
pub const LOGS_DIR_ENV: &str = "WORKFLOW_LOG_DIR";
/// The environment variable that holds filter directives (`info,planner=debug`).
pub const FILTER_ENV: &str = "WORKFLOW_LOG";

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

/// [`capture`] for async code (`#[tokio::test]`): awaits `future` in a fresh in-memory
/// workflow and returns its output and the nested JSON. The workflow is entered at each poll,
/// on whichever thread polls, so current-thread and multi-thread runtimes both work; tasks
/// spawned inside with [`.in_current_context()`](crate::FutureExt::in_current_context) log into
/// it too. See [`WorkflowBuilder::capture_async`] to configure it.
///
/// # Examples
///
/// ```
/// use workflow_log::{action, FutureExt};
///
/// #[action]
/// async fn search(query: &str) -> usize {
///     query.len()
/// }
///
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// // In a `#[tokio::test(flavor = "multi_thread")] async fn`:
/// let (hits, log) = workflow_log::capture_async(async {
///     let _it = workflow_log::iteration().start();
///     let task = tokio::spawn(async { search("hotels").await }.in_current_context());
///     search("flights").await + task.await.unwrap()
/// })
/// .await;
/// assert_eq!(hits, 13);
/// assert_eq!(log["iterations"][0]["actions"].as_array().unwrap().len(), 2);
/// # });
/// ```
pub async fn capture_async<F: std::future::Future>(future: F) -> (F::Output, serde_json::Value) {
    WorkflowBuilder::new("capture".to_owned())
        .capture_async(future)
        .await
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
    pub(crate) shared: Arc<LiveWorkflow>,
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
            _entered: thread::enter(&self.shared, None),
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
    _entered: thread::Entered,
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
    shared: Arc<LiveWorkflow>,
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
            _entered: thread::enter(&self.shared, None),
        }
    }

    /// The path of the journal, if this workflow keeps one.
    pub fn journal_path(&self) -> Option<PathBuf> {
        self.shared.kept_journal().map(|j| j.path.clone())
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
        self.shared.finish_to_file(status)
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
            crate::util::report(format_args!("workflow `{}`: {e}", self.shared.name));
        }
    }
}

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
