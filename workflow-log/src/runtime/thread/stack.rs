//! Opening and closing records on the thread's stack, and handing its buffer over.

use std::sync::Arc;

use super::open::{OpenRecord, Place};
use super::open_slots::NameRef;
use super::{report_orphan, Frame, Local, HAND_OVER_MS};
use crate::clock;
use crate::record::{Kind, Record};
use crate::runtime::workflow::{next_number, LiveWorkflow};
use crate::runtime::{registry, usage};
use crate::sink::collector::BATCH;
use crate::Level;

impl Local {
    /// Fills in the place of `rec` (id, parent, thread, start, auto-number) and pushes its frame.
    /// Returns the workflow's serial, or `None` if no workflow keeps it.
    #[inline(always)]
    pub(super) fn open(&mut self, rec: &mut Record, level: Level) -> Option<u64> {
        if matches!(rec.kind, Kind::Iteration | Kind::Interaction) {
            let shared = self.current()?;
            if !shared.records_enabled(level) {
                return None;
            }
            let serial = shared.serial;
            return self.open_big(rec, serial);
        }
        let name = match rec.name.as_static() {
            Some(name) => NameRef::Static(name),
            None => NameRef::Made(rec.name.as_str()),
        };
        let place = self.open_small(rec.kind, level, name)?;
        place.fill(rec);
        Some(place.serial)
    }

    /// Opens an action or event (nothing about it but its kind is needed): the one decision of
    /// whether a record is kept (this thread's workflow and its level), then its id, parent,
    /// thread and start, and its frame pushed; an action is published for other threads (see
    /// [`open_slots`](super::open_slots)). `None` if no workflow keeps it.
    #[inline(always)]
    pub(super) fn open_small(
        &mut self,
        kind: Kind,
        level: Level,
        name: NameRef<'_>,
    ) -> Option<Place> {
        let shared = self.current()?;
        if !shared.records_enabled(level) {
            return None;
        }
        let serial = shared.serial;
        let id = self.next_id();
        let parent = self.top().map_or(0, |f| f.id);
        let thread = self.thread();
        let start = clock::now();
        let depth = self.stack.len();
        self.stack.push(Frame { id, kind });
        if kind == Kind::Action {
            self.publish_open(depth, id, parent, start, serial, name);
        }
        if self.notice_waiting.is_some()
            || (self.len != 0
                && start.saturating_sub(self.last_flush) > clock::ticks_from_ms(HAND_OVER_MS))
        {
            // A timed record may block for long (an LLM call): what closed before it should
            // not wait in this thread's buffer meanwhile, nor the open notices of the records
            // it runs in in the journal's queue.
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

    /// `open` for an iteration or an interaction: they close the `log_simple` records they
    /// replace, take their number, and hand an open notice over at once, so that a crash (or a
    /// `finish` while they are still open) keeps at least the names and places of the big
    /// records. The notice waits in the journal's queue without waking its writer (a wake-up
    /// and a write per interaction cost 20 times an action): it is written before the next
    /// batch, within the writer's 200 ms wake-up, or, when a timed record opens inside (the
    /// call that may block) or the entered scope is left (an async task's poll ends), at once.
    #[cold]
    #[inline(never)]
    pub(super) fn open_big(&mut self, rec: &mut Record, serial: u64) -> Option<u64> {
        if !self.implicit.is_empty() {
            self.close_implicit_before(rec.kind);
        }
        rec.id = self.next_id();
        rec.parent = self.top().map_or(0, |f| f.id);
        rec.thread = self.thread();
        rec.start = clock::now();
        if rec.auto_number {
            rec.number = self.iteration_number(rec.parent)?;
            rec.auto_number = false;
        }
        self.stack.push(Frame {
            id: rec.id,
            kind: rec.kind,
        });
        if let Some(shared) = self.current() {
            shared.scrub_agent(rec);
            shared.notice(rec.open_notice());
        }
        self.notice_waiting = Some(serial);
        Some(serial)
    }

    /// The number of a new auto-numbered iteration under `parent`, in the current workflow.
    /// Under the same parent as this thread's last one, the counter this thread kept is used
    /// (ids are never reused, so a parent id names one counter); a counter forgotten as its
    /// parent closed is no longer found by other threads, which start a new one at 1, as they
    /// would have without the kept one.
    fn iteration_number(&mut self, parent: u64) -> Option<u64> {
        if parent == 0 {
            return Some(self.current()?.next_root_number());
        }
        if let Some((kept, counter)) = &self.counter {
            if *kept == parent {
                return Some(next_number(counter));
            }
        }
        let counter = self.current()?.iteration_counter(parent);
        let n = next_number(&counter);
        self.counter = Some((parent, counter));
        Some(n)
    }

    /// Removes `id`'s frame, wherever it is (guards may drop out of order).
    #[inline]
    pub(super) fn remove_frame(&mut self, id: u64) {
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
    pub(super) fn remove_frame_below(&mut self, id: u64) {
        if let Some(i) = self.stack.iter().rposition(|f| f.id == id) {
            self.stack.remove(i);
            self.frame_removed_at(i);
        }
    }

    /// The frame at `i` is gone: the scopes whose frames began above it begin one lower.
    #[cold]
    pub(super) fn frame_removed_at(&mut self, i: usize) {
        for scope in &mut self.scopes {
            if scope.base > i {
                scope.base -= 1;
                scope.flush_depth = scope.flush_depth.saturating_sub(1);
            }
        }
    }

    #[inline]
    pub(super) fn close(&mut self, mut rec: Record, serial: u64) {
        if usage::needs_settling(&rec) {
            self.settle(&mut rec, serial);
        }
        self.leave_stack(rec.id, rec.kind, rec.end, serial);
        self.push(rec, serial);
    }

    /// What closing a record does before it goes to the buffer: `log_simple` records above it
    /// closed, its frame removed, an action unpublished, an iteration counter forgotten.
    #[inline(always)]
    fn leave_stack(&mut self, id: u64, kind: Kind, end: u64, serial: u64) {
        if !self.implicit.is_empty() {
            self.close_implicit_above(id, end);
        }
        self.remove_frame(id);
        if kind == Kind::Action {
            self.unpublish(self.stack.len(), id);
        }
        if matches!(kind, Kind::Iteration | Kind::Interaction) {
            self.forget_counter(id, serial);
        }
    }

    /// Whether the buffer holds `serial`'s records (or may: it is empty and `serial`'s).
    #[inline(always)]
    pub(super) fn buffer_is_for(&self, serial: u64) -> bool {
        self.buffer_owner
            .as_ref()
            .is_some_and(|o| o.serial == serial)
    }

    /// `close` for the record in a guard's `slot`, which it empties: the record is read where
    /// it lies and copied once, into the buffer.
    #[inline(always)]
    pub(super) fn close_slot(&mut self, slot: &mut Option<OpenRecord>) {
        let Some(open) = slot.as_mut() else { return };
        if usage::needs_settling(&open.rec) {
            let serial = open.serial;
            self.settle(&mut open.rec, serial);
        }
        let (id, end, kind, serial) = (open.rec.id, open.rec.end, open.rec.kind, open.serial);
        self.leave_stack(id, kind, end, serial);
        if !self.buffer_is_for(serial) {
            if let Some(open) = slot.take() {
                self.push_to_new_owner(open.rec, serial);
            }
            return;
        }
        self.put_from(slot);
        self.after_push(end);
    }

    /// Merges the usage reported for `rec` and prices it, with its workflow found without
    /// cloning the workflow's `Arc` when it is the buffer's (the writer thread holds it too).
    #[cold]
    #[inline(never)]
    pub(super) fn settle(&mut self, rec: &mut Record, serial: u64) {
        match &self.buffer_owner {
            Some(owner) if owner.serial == serial => usage::settle(rec, Some(owner)),
            _ => {
                let owner = self.owner(serial);
                usage::settle(rec, owner.as_deref());
            }
        }
    }

    /// Drops the iteration counter of a record that closed (without cloning the workflow's
    /// `Arc` when it is the buffer's: two threads closing records would fight over its count).
    pub(super) fn forget_counter(&mut self, id: u64, serial: u64) {
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
    pub(super) fn owner(&mut self, serial: u64) -> Option<Arc<LiveWorkflow>> {
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
        registry::find(serial)
    }

    /// Puts a finished record in the buffer (this thread's outbox), and hands the buffer over
    /// when it is full or when the thread's outermost record closed.
    #[inline]
    pub(super) fn push(&mut self, rec: Record, serial: u64) {
        if !self.buffer_is_for(serial) {
            return self.push_to_new_owner(rec, serial);
        }
        let at = rec.end;
        self.put(rec);
        self.after_push(at);
    }

    /// A record that ended `at` went into the buffer: hands the buffer over when it is full,
    /// when the thread's outermost record closed, or when the last hand-over is old. (A flush
    /// takes the buffer itself: see [`outbox`](super::outbox).)
    #[inline(always)]
    pub(super) fn after_push(&mut self, at: u64) {
        if self.len >= BATCH
            || self.stack.len() <= self.flush_depth()
            || at.saturating_sub(self.last_flush) > clock::ticks_from_ms(HAND_OVER_MS)
        {
            self.flush_at(at);
        }
    }

    /// `push` when the buffer holds another workflow's records (or none yet).
    #[cold]
    #[inline(never)]
    pub(super) fn push_to_new_owner(&mut self, rec: Record, serial: u64) {
        self.flush();
        match self.owner(serial) {
            Some(owner) => {
                self.set_outbox_owner(serial);
                self.buffer_owner = Some(owner);
                self.push(rec, serial);
            }
            None => report_orphan(),
        }
    }

    /// `flush`, noting when: records then reach the journal within about
    /// [`HAND_OVER_MS`] of their close while the thread keeps logging.
    pub(super) fn flush_at(&mut self, tick: u64) {
        self.last_flush = tick;
        self.flush();
    }

    #[cold]
    #[inline(never)]
    pub(super) fn flush(&mut self) {
        if let Some(serial) = self.notice_waiting.take() {
            // Handing the buffer to the same journal wakes its writer anyway.
            let submits = self.len != 0 && self.buffer_is_for(serial);
            if !submits {
                if let Some(shared) = self.owner(serial) {
                    shared.nudge();
                }
            }
        }
        if self.len != 0 {
            self.hand_over();
        }
    }
}
