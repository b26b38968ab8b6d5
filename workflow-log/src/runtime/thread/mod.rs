//! The per-thread state: which workflow this thread logs into, the stack of open records, and the
//! buffer of finished records that goes to the workflow's collector in batches. The buffer and
//! the open actions are published (`outbox`, `open_slots`) so that other threads can take what a
//! thread closed, and see what it has open, while it waits inside an open record.
//!
//! Opening and closing a record takes no lock and no read-modify-write (handing a batch over
//! takes the outbox's lock once). Every entry point goes through
//! `try_with` + `try_borrow_mut`: during thread teardown, or if a `Serialize` impl logs while a
//! record is being written, the call degrades instead of panicking.

mod implicit;
mod open;
mod open_slots;
mod outbox;
mod scope;
mod stack;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::registry::{self, GLOBAL, GLOBAL_GEN};
use super::workflow::LiveWorkflow;
use crate::capture;
use crate::clock;
use crate::record::{register_thread, Kind, Record};
use crate::util::{lock, report};
use crate::Level;

pub(crate) use implicit::log_simple;
pub(crate) use open::{close, close_in_place, open_action, open_in_place, OpenRecord};
pub(crate) use open_slots::NameRef;
pub(crate) use outbox::watcher;
pub(crate) use scope::{enter, Entered};
#[cfg(feature = "tracing")]
pub(crate) use scope::{enter_keyed, leave_keyed};

/// A thread hands its finished records over at least this often (in milliseconds) while it keeps
/// logging, and before a timed record opens, so that a crash loses little from the journal.
const HAND_OVER_MS: u64 = 1;
/// Ids are handed to threads in blocks, so that opening a record touches no shared counter.
const ID_BLOCK: u64 = 4096;
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An open record, as the stack knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) id: u64,
    pub(crate) kind: Kind,
}

/// A workflow entered on this thread (`capture`, `Workflow::enter`, `Context::attach`, a poll
/// of an instrumented future).
struct Scope {
    shared: Arc<LiveWorkflow>,
    /// Frames at this index and above belong to this scope.
    base: usize,
    /// When a close leaves the stack this shallow, the buffer goes to the collector.
    flush_depth: usize,
    token: u64,
    /// Names the scope for a caller that leaves it by name (`leave_keyed`); 0: none.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    key: u64,
}

struct Local {
    scopes: Vec<Scope>,
    global: Option<Arc<LiveWorkflow>>,
    global_gen: u64,
    stack: Vec<Frame>,
    /// The buffer of closed records: this thread's outbox, which other threads can drain too
    /// (see [`outbox`]). `store` is its storage, of `cap` records; `len` of them were put.
    outbox: Option<Arc<outbox::Outbox>>,
    store: *mut Record,
    len: usize,
    cap: usize,
    buffer_owner: Option<Arc<LiveWorkflow>>,
    /// Tick of the last hand-over that a record's time triggered.
    last_flush: u64,
    /// The serial of a workflow whose journal has an open notice from this thread that its
    /// writer was not woken for: the next timed record to open (or a flush) wakes it.
    notice_waiting: Option<u64>,
    next_id: u64,
    end_id: u64,
    thread: u32,
    /// Iteration and interaction opened by `log_simple`.
    implicit: Vec<Implicit>,
    next_token: u64,
    /// The parent this thread last numbered an iteration under, and its counter: the next
    /// iteration there takes its number with one atomic add, without the workflow's lock.
    counter: Option<(u64, Arc<AtomicU64>)>,
}

/// A record `log_simple` opened by itself.
struct Implicit {
    /// Its workflow's serial.
    serial: u64,
    rec: Record,
    /// An interaction's agent as `log_simple` was given it, when opening scrubbed a secret
    /// out of the record's name: the next call for the same agent finds its interaction.
    agent: Option<Box<str>>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const { RefCell::new(Local::new()) };
}

impl Local {
    const fn new() -> Local {
        Local {
            scopes: Vec::new(),
            global: None,
            global_gen: u64::MAX,
            stack: Vec::new(),
            outbox: None,
            store: std::ptr::null_mut(),
            len: 0,
            cap: 0,
            buffer_owner: None,
            last_flush: 0,
            notice_waiting: None,
            next_id: 0,
            end_id: 0,
            thread: u32::MAX,
            implicit: Vec::new(),
            next_token: 0,
            counter: None,
        }
    }
}

/// Runs `f` on this thread's state, or returns `None` if it is unavailable (thread teardown,
/// re-entrant call).
#[inline]
fn with<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    LOCAL
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut l| f(&mut l)))
        .ok()
        .flatten()
}

impl Local {
    /// The workflow this thread logs into: the innermost entered one, else the global one.
    #[inline]
    fn current(&mut self) -> Option<&Arc<LiveWorkflow>> {
        if !self.scopes.is_empty() {
            return self.scopes.last().map(|scope| &scope.shared);
        }
        let gen = GLOBAL_GEN.load(Ordering::Acquire);
        if gen != self.global_gen {
            self.reload_global(gen);
        }
        self.global.as_ref()
    }

    /// The global workflow changed since this thread last looked.
    #[cold]
    #[inline(never)]
    fn reload_global(&mut self, gen: u64) {
        self.global = lock(&GLOBAL).clone();
        self.global_gen = gen;
    }

    #[inline]
    fn base(&self) -> usize {
        self.scopes.last().map_or(0, |s| s.base)
    }

    #[inline]
    fn flush_depth(&self) -> usize {
        self.scopes.last().map_or(0, |s| s.flush_depth)
    }

    /// The innermost open record this thread can see in its current workflow.
    #[inline]
    fn top(&self) -> Option<Frame> {
        let base = self.base();
        if self.stack.len() > base {
            self.stack.last().copied()
        } else {
            None
        }
    }

    #[inline]
    fn next_id(&mut self) -> u64 {
        if self.next_id == self.end_id {
            self.next_id = NEXT_ID.fetch_add(ID_BLOCK, Ordering::Relaxed);
            self.end_id = self.next_id + ID_BLOCK;
        }
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    #[inline]
    fn thread(&mut self) -> u32 {
        if self.thread == u32::MAX {
            self.thread = register_thread();
        }
        self.thread
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // The thread is exiting: what it logged must still reach its workflow.
        while !self.implicit.is_empty() {
            self.close_last_implicit();
        }
        self.flush();
    }
}

pub(super) fn report_orphan() {
    use std::sync::atomic::AtomicBool;
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        report(format_args!(
            "a record closed after its workflow was written was dropped"
        ));
    }
}

/// Where an action opened, for its record: filled in by the caller, so that a guard is built
/// Takes the frame that `open` just pushed off this thread's stack again (an async record is
/// entered per poll), and returns its workflow.
pub(crate) fn leave_frame(frame: Frame, serial: u64) -> Option<Arc<LiveWorkflow>> {
    with(|l| {
        if l.stack.last() == Some(&frame) {
            l.stack.pop();
            if frame.kind == Kind::Action {
                // It may close on another thread: only records on this thread's stack stay
                // published.
                l.unpublish(l.stack.len(), frame.id);
            }
        }
        if l.notice_waiting.is_some() {
            // The task may now wait for long (a network call): the open notices of the
            // records it runs in go to the journal first.
            l.flush();
        }
        l.owner(serial)
    })
    .flatten()
}

/// Records an instant record (an event or a `.log()`ged action) under the innermost open record.
/// `level: None` skips the workflow's record level (log events were filtered by their logger).
pub(crate) fn emit(mut rec: Record, level: Option<Level>) {
    if cfg!(feature = "off") {
        return;
    }
    with(|l| {
        let Some(shared) = l.current() else { return };
        if level.is_some_and(|level| !shared.records_enabled(level)) {
            return;
        }
        let serial = shared.serial;
        rec.id = l.next_id();
        rec.parent = l.top().map_or(0, |f| f.id);
        rec.thread = l.thread();
        if rec.start == 0 {
            rec.start = clock::now();
        }
        rec.end = rec.start;
        if rec.rare.is_some() {
            l.settle(&mut rec, serial);
        }
        l.push(rec, serial);
    });
}

/// The record that usage reported now belongs to: the innermost open action of this thread's
/// workflow, else its innermost open record; `None` when no record is open.
pub(crate) fn usage_target() -> Option<u64> {
    with(|l| {
        let frames = l.stack.get(l.base()..).unwrap_or_default();
        frames
            .iter()
            .rev()
            .find(|f| f.kind == Kind::Action)
            .or(frames.last())
            .map(|f| f.id)
    })
    .flatten()
}

/// Whether a record of `kind` at `level` is worth making: the one test that guards, builders
/// and macros run before they build a record (its name, its input). Opening it then decides for
/// good, by the same workflow's level ([`open_in_place`]).
///
/// An action or event costs one relaxed load when no workflow anywhere keeps `level` (nothing
/// at all with the `off` feature), and no more otherwise: opening it looks at this thread's
/// workflow anyway. An iteration or interaction (rare, and whose agent name may be formatted)
/// also looks at this thread's workflow.
#[inline(always)]
pub(crate) fn wanted(kind: Kind, level: Level) -> bool {
    match kind {
        Kind::Action | Kind::Event => registry::any_enabled(level),
        Kind::Iteration | Kind::Interaction => enabled(level),
    }
}

/// Whether this thread's current workflow keeps records at `level`: one relaxed load when no
/// workflow anywhere does, else a look at this thread's state.
#[inline]
pub(crate) fn enabled(level: Level) -> bool {
    registry::any_enabled(level)
        && with(|l| l.current().is_some_and(|s| s.records_enabled(level))).unwrap_or(false)
}

/// Runs `f` with this thread's current workflow, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<LiveWorkflow>) -> R) -> Option<R> {
    if cfg!(feature = "off") {
        return None;
    }
    let shared = with(|l| l.current().cloned()).flatten()?;
    Some(f(&shared))
}

#[cfg(any(feature = "tracing", feature = "log"))]
/// Runs `f` with this thread's current workflow, if any, without cloning its `Arc` (threads
/// logging into one workflow would fight over its count). `f` must not log: this thread's
/// state is borrowed meanwhile (a call that logs would find it busy and record nothing).
#[inline]
pub(crate) fn peek_current<R>(f: impl FnOnce(&LiveWorkflow) -> R) -> Option<R> {
    if cfg!(feature = "off") {
        return None;
    }
    with(|l| l.current().map(|shared| f(shared))).flatten()
}

/// Whether this thread's current workflow keeps records at `level` (`None` if not), with its
/// capture settings (`Some(None)`: the defaults), in one look at the thread's state.
pub(crate) fn capture_settings(level: Level) -> Option<Option<Arc<capture::Config>>> {
    if !registry::any_enabled(level) {
        return None;
    }
    with(|l| {
        let shared = l.current()?;
        shared
            .records_enabled(level)
            .then(|| shared.payload.clone())
    })
    .flatten()
}

/// The capture settings of this thread's current workflow, unless they are the defaults.
pub(crate) fn payload_config() -> Option<Arc<capture::Config>> {
    with(|l| l.current().and_then(|s| s.payload.clone())).flatten()
}

/// This thread's current workflow and innermost open record.
pub(crate) fn place() -> Option<(Arc<LiveWorkflow>, Option<Frame>)> {
    with(|l| {
        // Another thread is about to log under our open records: their open notices must
        // reach the journal first, or a crash would leave its records without parents.
        l.flush();
        let top = l.top();
        l.current().map(|s| (s.clone(), top))
    })
    .flatten()
}
/// Hands over what this thread holds for `shared` (its `log_simple` records are closed and its
/// buffer is flushed), then what every other thread does ([`flush_others`]). Used by `finish`.
pub(crate) fn flush_for(shared: &LiveWorkflow) {
    with(|l| {
        l.close_implicit_of(shared.serial);
        if l.buffer_is_for(shared.serial) {
            l.flush();
        }
    });
    flush_others(shared);
}

/// Hands over every record of `shared` that any thread closed and still holds (also a thread
/// that now waits inside an open record), and an open notice for each of its actions open on
/// any thread that has none yet. Nothing in a child made by `fork()`.
pub(crate) fn flush_others(shared: &LiveWorkflow) {
    if shared.forked() {
        return;
    }
    outbox::drain_all(shared, true);
    outbox::notice_open(shared, u64::MAX, true);
}

thread_local! {
    /// Iterations and interactions of annotated functions running on this thread that record
    /// nothing because no workflow was live when they were called.
    static UNRECORDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether no workflow is live for this thread (none entered, no global one).
pub(crate) fn no_workflow() -> bool {
    with(|l| l.current().is_none()).unwrap_or(false)
}

/// One more (`true`) or one fewer (`false`) unrecorded iteration or interaction running here.
pub(crate) fn count_unrecorded(open: bool) {
    let _ = UNRECORDED.try_with(|n| {
        n.set(if open {
            n.get().saturating_add(1)
        } else {
            n.get().saturating_sub(1)
        });
    });
}

/// Whether an annotated iteration or interaction called before any workflow was live is still
/// running on this thread: a workflow that starts now can't hold it.
pub(crate) fn inside_unrecorded() -> bool {
    UNRECORDED.try_with(std::cell::Cell::get).unwrap_or(0) > 0
}

/// Flushes this thread's buffer to whatever workflow it belongs to.
pub(crate) fn flush_buffer() {
    with(|l| l.flush());
}

/// Hands this thread's records over and waits (up to `timeout` each) until every live
/// workflow's journal has written them: the panic hook's last act.
pub(crate) fn flush_all(timeout: std::time::Duration) {
    let Some(live) = registry::try_live() else {
        return;
    };
    flush_buffer();
    for shared in live.iter().filter(|w| !w.forked()) {
        // Never waiting for a lock: a thread may hold one while it handed records over.
        outbox::drain_all(shared, false);
        outbox::notice_open(shared, u64::MAX, false);
        let _ = shared.flush_journal(Some(timeout));
    }
}
