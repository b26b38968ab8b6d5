//! The per-thread state: which workflow this thread logs into, the stack of open records, and the
//! buffer of finished records that goes to the workflow's collector in batches.
//!
//! Nothing here takes a lock on the open/close path. Every entry point goes through
//! `try_with` + `try_borrow_mut`: during thread teardown, or if a `Serialize` impl logs while a
//! record is being written, the call degrades instead of panicking.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock;
use crate::record::{Kind, Record, Status};
use crate::workflow::{self, lock, Shared, GLOBAL, GLOBAL_GEN};
use crate::Level;

/// Records a thread keeps before handing them to the collector.
pub(crate) const BATCH: usize = 1024;
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
    shared: Arc<Shared>,
    /// Frames at this index and above belong to this scope.
    base: usize,
    /// When a close leaves the stack this shallow, the buffer goes to the collector.
    flush_depth: usize,
    token: u64,
}

struct Local {
    scopes: Vec<Scope>,
    global: Option<Arc<Shared>>,
    global_gen: u64,
    stack: Vec<Frame>,
    buffer: Vec<Record>,
    buffer_owner: Option<Arc<Shared>>,
    seen_epoch: u64,
    /// Tick of the last hand-over that a record's time triggered.
    last_flush: u64,
    next_id: u64,
    end_id: u64,
    thread: u32,
    /// Iteration and interaction opened by `log_simple`, with their workflow's serial.
    implicit: Vec<(u64, Record)>,
    next_token: u64,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            scopes: Vec::new(),
            global: None,
            global_gen: u64::MAX,
            stack: Vec::new(),
            buffer: Vec::new(),
            buffer_owner: None,
            seen_epoch: 0,
            last_flush: 0,
            next_id: 0,
            end_id: 0,
            thread: u32::MAX,
            implicit: Vec::new(),
            next_token: 0,
        })
    };
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
    fn current(&mut self) -> Option<&Arc<Shared>> {
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

    /// Fills in the place of `rec` (id, parent, thread, start, auto-number) and pushes its frame.
    /// Returns the workflow's serial, or `None` if no workflow keeps it.
    #[inline(always)]
    fn open(&mut self, rec: &mut Record, level: Level) -> Option<u64> {
        if matches!(rec.kind, Kind::Iteration | Kind::Interaction) {
            let shared = self.current()?;
            if !shared.records_enabled(level) {
                return None;
            }
            let serial = shared.serial;
            return self.open_big(rec, serial);
        }
        let place = self.open_small(rec.kind, level)?;
        place.fill(rec);
        Some(place.serial)
    }

    /// Opens an action or event (nothing about it but its kind is needed): pushes its frame and
    /// returns its place, or `None` if no workflow keeps it.
    #[inline(always)]
    fn open_small(&mut self, kind: Kind, level: Level) -> Option<Place> {
        let shared = self.current()?;
        if !shared.records_enabled(level) {
            return None;
        }
        let serial = shared.serial;
        let id = self.next_id();
        let parent = self.top().map_or(0, |f| f.id);
        let thread = self.thread();
        let start = clock::now();
        self.stack.push(Frame { id, kind });
        if !self.buffer.is_empty()
            && start.saturating_sub(self.last_flush) > clock::ticks_from_ms(HAND_OVER_MS)
        {
            // A timed record may block for long (an LLM call): what closed before it should
            // not wait in this thread's buffer meanwhile.
            self.flush_at(start);
        }
        Some(Place {
            id,
            parent,
            start,
            serial,
            thread,
        })
    }

    /// `open` for an iteration or an interaction (these open rarely): they close the
    /// `log_simple` records they replace, take their number, and hand an open notice over at
    /// once, so that a crash keeps at least the names and places of the big records.
    #[cold]
    #[inline(never)]
    fn open_big(&mut self, rec: &mut Record, serial: u64) -> Option<u64> {
        if !self.implicit.is_empty() {
            self.close_implicit_before(rec.kind);
        }
        rec.id = self.next_id();
        rec.parent = self.top().map_or(0, |f| f.id);
        rec.thread = self.thread();
        rec.start = clock::now();
        if rec.kind == Kind::Iteration && rec.number == crate::record::AUTO_NUMBER {
            rec.number = self.current()?.next_iteration_number(rec.parent);
        }
        self.stack.push(Frame {
            id: rec.id,
            kind: rec.kind,
        });
        self.push(rec.open_notice(), serial);
        self.flush_at(rec.start);
        Some(serial)
    }

    /// Removes `id`'s frame, wherever it is (guards may drop out of order).
    #[inline]
    fn remove_frame(&mut self, id: u64) {
        if self.stack.last().is_some_and(|f| f.id == id) {
            self.stack.pop();
            // A scope entered above the frame (its guard dropped before the scope left)
            // now begins one lower. Bases only grow along `scopes`: the last one tells.
            let i = self.stack.len();
            if self.scopes.last().is_some_and(|s| s.base > i) {
                self.frame_removed_at(i);
            }
            return;
        }
        self.remove_frame_below(id);
    }

    #[cold]
    fn remove_frame_below(&mut self, id: u64) {
        if let Some(i) = self.stack.iter().rposition(|f| f.id == id) {
            self.stack.remove(i);
            self.frame_removed_at(i);
        }
    }

    /// The frame at `i` is gone: the scopes whose frames began above it begin one lower.
    #[cold]
    fn frame_removed_at(&mut self, i: usize) {
        for scope in &mut self.scopes {
            if scope.base > i {
                scope.base -= 1;
                scope.flush_depth = scope.flush_depth.saturating_sub(1);
            }
        }
    }

    #[inline]
    fn close(&mut self, rec: Record, serial: u64) {
        if !self.implicit.is_empty() {
            self.close_implicit_above(rec.id, rec.end);
        }
        self.remove_frame(rec.id);
        if matches!(rec.kind, Kind::Iteration | Kind::Interaction) {
            self.forget_counter(rec.id, serial);
        }
        self.push(rec, serial);
    }

    /// `close` for the record in a guard's `slot`, which it empties: the record is read where
    /// it lies and copied once, into the buffer.
    #[inline(always)]
    fn close_slot(&mut self, slot: &mut Option<Open>) {
        let Some(open) = slot.as_ref() else { return };
        let (id, end, kind, serial) = (open.rec.id, open.rec.end, open.rec.kind, open.serial);
        if !self.implicit.is_empty() {
            self.close_implicit_above(id, end);
        }
        self.remove_frame(id);
        if matches!(kind, Kind::Iteration | Kind::Interaction) {
            self.forget_counter(id, serial);
        }
        let epoch = match &self.buffer_owner {
            Some(owner) if owner.serial == serial => owner.flush_epoch.load(Ordering::Relaxed),
            _ => {
                if let Some(open) = slot.take() {
                    self.push_to_new_owner(open.rec, serial);
                }
                return;
            }
        };
        move_into(&mut self.buffer, slot);
        self.after_push(epoch, end);
    }

    /// Drops the iteration counter of a record that closed (without cloning the workflow's
    /// `Arc` when it is the buffer's: two threads closing records would fight over its count).
    fn forget_counter(&mut self, id: u64, serial: u64) {
        match &self.buffer_owner {
            Some(owner) if owner.serial == serial => owner.forget_counter(id),
            _ => {
                if let Some(owner) = self.owner(serial) {
                    owner.forget_counter(id);
                }
            }
        }
    }

    /// The workflow with this serial, as cheaply as it can be found.
    fn owner(&mut self, serial: u64) -> Option<Arc<Shared>> {
        if let Some(owner) = &self.buffer_owner {
            if owner.serial == serial {
                return Some(owner.clone());
            }
        }
        if let Some(s) = self.scopes.iter().rev().find(|s| s.shared.serial == serial) {
            return Some(s.shared.clone());
        }
        if let Some(g) = self.current() {
            if g.serial == serial {
                return Some(g.clone());
            }
        }
        workflow::find(serial)
    }

    /// Puts a finished record in the buffer, and hands the buffer over when it is full, when the
    /// thread's outermost record closed, or when a flush was asked for.
    #[inline]
    fn push(&mut self, rec: Record, serial: u64) {
        let epoch = match &self.buffer_owner {
            Some(owner) if owner.serial == serial => owner.flush_epoch.load(Ordering::Relaxed),
            _ => return self.push_to_new_owner(rec, serial),
        };
        let at = rec.end;
        self.buffer.push(rec);
        self.after_push(epoch, at);
    }

    /// A record that ended `at` went into the buffer: hands the buffer over when it is full,
    /// when the thread's outermost record closed, when a flush was asked for (`epoch`), or when
    /// the last hand-over is old.
    #[inline(always)]
    fn after_push(&mut self, epoch: u64, at: u64) {
        if self.buffer.len() >= BATCH
            || self.stack.len() <= self.flush_depth()
            || epoch != self.seen_epoch
            || at.saturating_sub(self.last_flush) > clock::ticks_from_ms(HAND_OVER_MS)
        {
            self.seen_epoch = epoch;
            self.flush_at(at);
        }
    }

    /// `push` when the buffer holds another workflow's records (or none yet).
    #[cold]
    #[inline(never)]
    fn push_to_new_owner(&mut self, rec: Record, serial: u64) {
        self.flush();
        match self.owner(serial) {
            Some(owner) => {
                self.buffer_owner = Some(owner);
                self.push(rec, serial);
            }
            None => report_orphan(),
        }
    }

    /// `flush`, noting when: records then reach the journal within about
    /// [`HAND_OVER_MS`] of their close while the thread keeps logging.
    fn flush_at(&mut self, tick: u64) {
        self.last_flush = tick;
        self.flush();
    }

    #[cold]
    #[inline(never)]
    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        if let Some(owner) = &self.buffer_owner {
            owner.submit(&mut self.buffer);
        }
        self.buffer.clear();
    }

    /// Closes the `log_simple` records that an explicit iteration (both) or interaction (the
    /// interaction) would otherwise open inside.
    fn close_implicit_before(&mut self, kind: Kind) {
        while let Some((_, rec)) = self.implicit.last() {
            let on_top = self.top().is_some_and(|f| f.id == rec.id);
            if !on_top || (kind == Kind::Interaction && rec.kind == Kind::Iteration) {
                break;
            }
            self.close_last_implicit();
        }
    }

    fn close_last_implicit(&mut self) {
        self.close_last_implicit_at(clock::now());
    }

    fn close_last_implicit_at(&mut self, end: u64) {
        if let Some((serial, mut rec)) = self.implicit.pop() {
            rec.end = end.max(rec.start);
            self.close(rec, serial);
        }
    }

    /// A record is closing: the `log_simple` records opened inside it close with it, at its end.
    #[cold]
    fn close_implicit_above(&mut self, id: u64, end: u64) {
        let Some(pos) = self.stack.iter().rposition(|f| f.id == id) else {
            return;
        };
        while let Some((_, last)) = self.implicit.last() {
            if !self.stack[pos + 1..].iter().any(|f| f.id == last.id) {
                break;
            }
            self.close_last_implicit_at(end);
        }
    }

    /// Closes this thread's `log_simple` records of workflow `serial`.
    fn close_implicit_of(&mut self, serial: u64) {
        while let Some(i) = self.implicit.iter().rposition(|(s, _)| *s == serial) {
            let (serial, mut rec) = self.implicit.remove(i);
            rec.end = clock::now();
            self.close(rec, serial);
        }
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

fn report_orphan() {
    use std::sync::atomic::AtomicBool;
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        crate::report(format_args!(
            "a record closed after its workflow was written was dropped"
        ));
    }
}

/// Where an action opened, for its record: filled in by the caller, so that a guard is built
/// where it will live (opening a record that lies in a guard built beforehand costs a copy of the
/// guard when it is returned).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) start: u64,
    pub(crate) serial: u64,
    pub(crate) thread: u32,
}

impl Place {
    #[inline(always)]
    pub(crate) fn fill(&self, rec: &mut Record) {
        rec.id = self.id;
        rec.parent = self.parent;
        rec.thread = self.thread;
        rec.start = self.start;
    }
}

/// Opens an action on this thread (the caller has checked [`workflow::any_enabled`]).
#[inline(never)]
pub(crate) fn open_action(level: Level) -> Option<Place> {
    with(|l| l.open_small(Kind::Action, level)).flatten()
}

/// Opens `rec`: returns its workflow's serial, or `None` if nothing keeps it.
#[inline]
pub(crate) fn open(rec: &mut Record, level: Level) -> Option<u64> {
    // No workflow keeps this level: one relaxed load (and nothing with the `off` feature).
    if !workflow::any_enabled(level) {
        return None;
    }
    with(|l| l.open(rec, level)).flatten()
}

/// Closes an open record (its `end` must be set).
#[inline]
pub(crate) fn close(rec: Record, serial: u64) {
    let mut slot = Some(Open { rec, serial });
    with(|l| {
        if let Some(Open { rec, serial }) = slot.take() {
            l.close(rec, serial);
        }
    });
    if let Some(Open { rec, serial }) = slot {
        close_elsewhere(rec, serial);
    }
}

/// An open record and its workflow's serial, as a guard keeps it.
#[derive(Debug)]
pub(crate) struct Open {
    pub(crate) rec: Record,
    pub(crate) serial: u64,
}

/// Opens the record in `slot` where it lies (a guard's field: no copy), or empties `slot` if
/// no workflow keeps it at `level`. The caller has checked [`workflow::any_enabled`].
#[inline(never)]
pub(crate) fn open_in_place(slot: &mut Option<Open>, level: Level) {
    let Some(open) = slot else { return };
    match with(|l| l.open(&mut open.rec, level)).flatten() {
        Some(serial) => open.serial = serial,
        None => *slot = None,
    }
}

/// Closes the open record in `slot` now (`panicked` if the thread is unwinding) and empties
/// `slot`: the record is copied once, from the guard into the thread's buffer.
#[inline(never)]
pub(crate) fn close_in_place(slot: &mut Option<Open>) {
    let Some(open) = slot else { return };
    open.rec.end = clock::now();
    open.rec.status = drop_status(open.rec.status);
    with(|l| l.close_slot(slot));
    if let Some(Open { rec, serial }) = slot.take() {
        close_elsewhere(rec, serial);
    }
}

/// Moves the record in `slot` to the end of `buffer`, leaving `slot` empty, with one copy of
/// it: `slot.take()` and then `push` copy it twice, as the taken value must be kept aside
/// across the push's possible growth.
#[inline(always)]
fn move_into(buffer: &mut Vec<Record>, slot: &mut Option<Open>) {
    buffer.reserve(1);
    let Some(open) = slot.as_mut() else { return };
    let len = buffer.len();
    // SAFETY: `reserve(1)` made room for a record at `len`. The record is copied there bitwise,
    // then the buffer's length takes it in and `slot` is overwritten with `None` without
    // dropping what it held (the record, now the buffer's, and a `u64`): the record is owned
    // once, by the buffer, and nothing in between can panic.
    unsafe {
        std::ptr::copy_nonoverlapping(&open.rec, buffer.as_mut_ptr().add(len), 1);
        buffer.set_len(len + 1);
        std::ptr::write(slot, None);
    }
}

/// This thread's state is gone (teardown) or busy: hands the record over directly.
#[cold]
fn close_elsewhere(rec: Record, serial: u64) {
    match workflow::find(serial) {
        Some(shared) => shared.submit(&mut vec![rec]),
        None => report_orphan(),
    }
}

/// Takes the frame that `open` just pushed off this thread's stack again (an async record is
/// entered per poll), and returns its workflow.
pub(crate) fn leave_frame(frame: Frame, serial: u64) -> Option<Arc<Shared>> {
    with(|l| {
        if l.stack.last() == Some(&frame) {
            l.stack.pop();
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
        l.push(rec, serial);
    });
}

/// Whether this thread's current workflow keeps records at `level`: one relaxed load when no
/// workflow anywhere does, else a look at this thread's state.
#[inline]
pub(crate) fn enabled(level: Level) -> bool {
    workflow::any_enabled(level)
        && with(|l| l.current().is_some_and(|s| s.records_enabled(level))).unwrap_or(false)
}

/// Runs `f` with this thread's current workflow, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Shared>) -> R) -> Option<R> {
    if cfg!(feature = "off") {
        return None;
    }
    let shared = with(|l| l.current().cloned()).flatten()?;
    Some(f(&shared))
}

/// Whether this thread's current workflow keeps records at `level` (`None` if not), with its
/// capture settings (`Some(None)`: the defaults), in one look at the thread's state.
pub(crate) fn capture_settings(level: Level) -> Option<Option<Arc<crate::payload::Config>>> {
    if !workflow::any_enabled(level) {
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
pub(crate) fn payload_config() -> Option<Arc<crate::payload::Config>> {
    with(|l| l.current().and_then(|s| s.payload.clone())).flatten()
}

/// This thread's current workflow and innermost open record.
pub(crate) fn place() -> Option<(Arc<Shared>, Option<Frame>)> {
    with(|l| {
        // Another thread is about to log under our open records: their open notices must
        // reach the journal first, or a crash would leave its records without parents.
        l.flush();
        let top = l.top();
        l.current().map(|s| (s.clone(), top))
    })
    .flatten()
}

/// Design D: opens an iteration and an interaction for `agent` when nothing is open, then records
/// `rec` (an instant action) where it belongs.
pub(crate) fn log_simple(agent: &str, rec: Record) {
    with(|l| {
        let Some(shared) = l.current() else { return };
        if !shared.records_enabled(Level::Info) {
            return;
        }
        let serial = shared.serial;
        // Our own interaction for another agent on top: replace it.
        if let Some((s, last)) = l.implicit.last() {
            let on_top = l.top().is_some_and(|f| f.id == last.id);
            if *s == serial && on_top && last.kind == Kind::Interaction && last.name != agent {
                l.close_last_implicit();
            }
        }
        if l.top().is_none() {
            let mut it = Record::new(Kind::Iteration, "".into());
            if l.open(&mut it, Level::Info).is_some() {
                l.implicit.push((serial, it));
            }
        }
        // An iteration (ours or the user's) with no interaction open: open one for the agent,
        // as the seed's `log_simple` does.
        if l.top().is_some_and(|top| top.kind == Kind::Iteration) {
            let mut inter = Record::new(Kind::Interaction, agent.to_owned().into());
            if l.open(&mut inter, Level::Info).is_some() {
                l.implicit.push((serial, inter));
            }
        }
        let mut rec = rec;
        rec.id = l.next_id();
        rec.parent = l.top().map_or(0, |f| f.id);
        rec.thread = l.thread();
        rec.start = clock::now();
        rec.end = rec.start;
        l.push(rec, serial);
    });
}

/// Hands over what this thread holds for `shared`: its `log_simple` records are closed and its
/// buffer is flushed. Used by `flush` and `finish`.
pub(crate) fn flush_for(shared: &Shared) {
    with(|l| {
        l.close_implicit_of(shared.serial);
        if l.buffer_owner
            .as_ref()
            .is_some_and(|o| o.serial == shared.serial)
        {
            l.flush();
        }
    });
}

/// Flushes this thread's buffer to whatever workflow it belongs to.
pub(crate) fn flush_buffer() {
    with(|l| l.flush());
}

/// Keeps a workflow entered on this thread; leaving it restores the thread's previous place.
#[derive(Debug)]
pub(crate) struct Entered {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

/// Enters `shared` on this thread, optionally under an open record of it (`Context::attach`).
pub(crate) fn enter(shared: &Arc<Shared>, parent: Option<Frame>) -> Entered {
    let token = with(|l| {
        l.next_token += 1;
        let token = l.next_token;
        let base = l.stack.len();
        if let Some(frame) = parent {
            l.stack.push(frame);
        }
        l.scopes.push(Scope {
            shared: shared.clone(),
            base,
            flush_depth: l.stack.len(),
            token,
        });
        token
    })
    .unwrap_or(0);
    Entered {
        token,
        _not_send: PhantomData,
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        if self.token == 0 {
            return;
        }
        let token = self.token;
        with(|l| {
            let Some(i) = l.scopes.iter().rposition(|s| s.token == token) else {
                return;
            };
            let serial = l.scopes[i].shared.serial;
            if i == l.scopes.len() - 1 {
                // Only the scope's own `log_simple` records: an outer scope of the same
                // workflow keeps its own.
                let base = l.scopes[i].base;
                while let Some((s, rec)) = l.implicit.last() {
                    let frames = l.stack.get(base..).unwrap_or_default();
                    let mine = *s == serial && frames.iter().any(|f| f.id == rec.id);
                    if !mine {
                        break;
                    }
                    l.close_last_implicit();
                }
            }
            if l.buffer_owner.as_ref().is_some_and(|o| o.serial == serial) {
                l.flush();
            }
            let scope = l.scopes.remove(i);
            // The scope's own frames go: up to where a scope entered after it (and still
            // entered: guards may drop out of order) begins. Frames a leaked guard left open
            // are forgotten here; the guard still closes its record when it drops.
            let end = l.scopes.get(i).map_or(l.stack.len(), |next| next.base);
            let (start, end) = (scope.base.min(l.stack.len()), end.min(l.stack.len()));
            if start < end {
                l.stack.drain(start..end);
                let removed = end - start;
                for s in &mut l.scopes[i..] {
                    s.base = s.base.saturating_sub(removed);
                    s.flush_depth = s.flush_depth.saturating_sub(removed);
                }
            }
        });
    }
}

/// Thread names, interned: records carry an index. Threads with the same name share one entry;
/// an unnamed thread is named after its id.
struct ThreadNames {
    names: Vec<Arc<str>>,
    index: Option<std::collections::HashMap<Arc<str>, u32>>,
}

static THREAD_NAMES: Mutex<ThreadNames> = Mutex::new(ThreadNames {
    names: Vec::new(),
    index: None,
});

fn register_thread() -> u32 {
    let current = std::thread::current();
    let name: Arc<str> = match current.name() {
        Some(name) => name.into(),
        None => format!("{:?}", current.id()).into(),
    };
    let mut registry = lock(&THREAD_NAMES);
    let ThreadNames { names, index } = &mut *registry;
    *index
        .get_or_insert_with(Default::default)
        .entry(name)
        .or_insert_with_key(|name| {
            names.push(name.clone());
            (names.len() - 1) as u32
        })
}

/// Thread names by index, for writing records out.
pub(crate) fn thread_names() -> Vec<Arc<str>> {
    lock(&THREAD_NAMES).names.clone()
}

/// The status a guard dropped now should get: `panicked` while unwinding.
#[inline]
pub(crate) fn drop_status(current: Status) -> Status {
    if std::thread::panicking() {
        Status::Panicked
    } else {
        current
    }
}
