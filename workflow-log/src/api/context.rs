//! Carrying "where we are" (the workflow and the innermost open record) to other threads and
//! spawned tasks, and flushing.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

use crate::runtime::thread::{self, Frame};
use crate::runtime::workflow::LiveWorkflow;
use crate::Error;

/// The place a thread is logging at: its workflow and innermost open record. `Send + Clone`:
/// take it on one thread, [`attach`](Context::attach) it on another, and what that thread logs
/// nests under the record that was open here.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     let _planner = workflow_log::interaction("planner").start();
///     let ctx = workflow_log::Context::current();
///     std::thread::spawn(move || {
///         let _attached = ctx.attach();
///         workflow_log::action("background_fetch").log();
///     })
///     .join()
///     .unwrap();
/// });
/// assert_eq!(log["interactions"][0]["actions"][0]["action_name"], "background_fetch");
/// ```
#[derive(Clone, Default)]
pub struct Context {
    place: Option<(Arc<LiveWorkflow>, Option<Frame>)>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some((shared, frame)) => f
                .debug_struct("Context")
                .field("workflow", &shared.name)
                .field("parent", &frame.map(|f| f.id))
                .finish(),
            None => f.write_str("Context(none)"),
        }
    }
}

impl Context {
    /// This thread's current place (empty outside any workflow).
    pub fn current() -> Context {
        Context {
            place: thread::place(),
        }
    }

    /// The place at the top of `shared`, under no record (`capture_async`).
    pub(crate) fn root(shared: &Arc<LiveWorkflow>) -> Context {
        Context {
            place: Some((shared.clone(), None)),
        }
    }

    /// Whether this context is inside a workflow.
    pub fn is_some(&self) -> bool {
        self.place.is_some()
    }

    /// Makes this thread log at this place until the guard drops.
    pub fn attach(&self) -> ContextGuard {
        ContextGuard {
            _entered: self
                .place
                .as_ref()
                .map(|(shared, frame)| thread::enter(shared, *frame)),
            _not_send: PhantomData,
        }
    }

    /// `f`, run at this place.
    fn bind<F: FnOnce() -> T, T>(&self, f: F) -> impl FnOnce() -> T {
        let ctx = self.clone();
        move || {
            let _attached = ctx.attach();
            f()
        }
    }

    /// Spawns a scoped thread that logs at this place (see [`spawn_scoped`]).
    pub fn spawn_scoped<'scope, 'env, F, T>(
        &self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        f: F,
    ) -> std::thread::ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        scope.spawn(self.bind(f))
    }

    /// Spawns a thread that logs at this place (see [`spawn`]).
    pub fn spawn<F, T>(&self, f: F) -> std::thread::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        std::thread::spawn(self.bind(f))
    }
}

/// Spawns a scoped thread (see [`std::thread::scope`]) that logs under the current thread's
/// innermost open record: it may borrow from the caller, and its records nest where the caller
/// is.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     let _planner = workflow_log::interaction("planner").start();
///     let queries = ["flights", "hotels"];
///     std::thread::scope(|s| {
///         for q in &queries {
///             workflow_log::spawn_scoped(s, move || workflow_log::action("search").input(q).log());
///         }
///     });
/// });
/// assert_eq!(log["interactions"][0]["actions"].as_array().unwrap().len(), 2);
/// ```
pub fn spawn_scoped<'scope, 'env, F, T>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::thread::ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    Context::current().spawn_scoped(scope, f)
}

/// Spawns a thread that logs under the current thread's innermost open record.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     let _it = workflow_log::iteration().start();
///     workflow_log::spawn(|| workflow_log::action("worker").log()).join().unwrap();
/// });
/// assert_eq!(log["iterations"][0]["actions"][0]["action_name"], "worker");
/// ```
pub fn spawn<F, T>(f: F) -> std::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Context::current().spawn(f)
}

/// Keeps a [`Context`] attached to this thread; see [`Context::attach`].
#[must_use = "the context is detached when this guard drops"]
pub struct ContextGuard {
    _entered: Option<thread::Entered>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for ContextGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContextGuard")
    }
}

/// Carries the current [`Context`] into futures (a `tokio::spawn`ed task, say).
pub trait FutureExt: Future + Sized {
    /// Wraps the future so that every poll happens at the place that is current now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use workflow_log::FutureExt;
    ///
    /// let ((), log) = workflow_log::capture(|| {
    ///     let _planner = workflow_log::interaction("planner").start();
    ///     let task = async { workflow_log::action("async_tool").log() }.in_current_context();
    ///     // Any executor will do; this one polls once.
    ///     let mut task = std::pin::pin!(task);
    ///     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    ///     let _ = task.as_mut().poll(&mut cx);
    /// });
    /// assert_eq!(log["interactions"][0]["actions"][0]["action_name"], "async_tool");
    /// ```
    fn in_current_context(self) -> WithContext<Self> {
        self.with_context(Context::current())
    }

    /// Wraps the future so that every poll happens at `context`.
    fn with_context(self, context: Context) -> WithContext<Self> {
        WithContext {
            inner: self,
            context,
        }
    }
}

impl<F: Future> FutureExt for F {}

pin_project! {
    /// A future polled at a [`Context`]; see [`FutureExt`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        #[pin]
        inner: F,
        context: Context,
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _attached = this.context.attach();
        this.inner.poll(cx)
    }
}

/// Hands every record that any thread closed so far in this thread's workflow over to it, and
/// returns once every one of them is in the journal file (and on disk, with
/// [`Durability::Fsync`](crate::Durability)).
///
/// That includes the records of a thread that now waits inside an open record and logs nothing
/// more; and every action still open on any thread gets an `incomplete` line in the journal
/// (dropped again when its record closes), so that a crash keeps it. Outside a workflow, or for
/// a workflow without a journal, it only hands the records over.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let log = workflow_log::Workflow::builder("long_run").logs_dir(dir.path()).init()?;
/// workflow_log::action("step").log();
/// workflow_log::flush()?; // the step is in the journal now, whatever happens next
/// log.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn flush() -> Result<(), Error> {
    let shared = thread::with_current(|s| s.clone());
    thread::flush_buffer();
    match shared {
        Some(shared) => {
            thread::flush_others(&shared);
            shared.flush_journal(None)
        }
        None => Ok(()),
    }
}
