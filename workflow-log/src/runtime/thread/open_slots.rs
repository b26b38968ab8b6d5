//! A thread's open actions, where other threads can read them: a timed action still open at a
//! crash (an LLM call that never returned) must be in the journal, `incomplete`, like the
//! iterations and interactions whose open lines are handed over as they open. Writing an open
//! line for every action would cost a journal line and a hand-over each; instead the thread
//! publishes each action in a slot of its outbox with a few plain stores, and a `flush`, `finish`,
//! the panic hook, or the journal's writer when it wakes (at least every 200 ms) writes an open
//! notice for each action found open long enough (or at all, for a flush), once.
//!
//! A slot is a sequence lock whose sequence is the record's id (ids are never reused): the owner
//! clears the id, writes the fields, and stores the id last (release); a reader loads the id
//! (acquire), the fields, then the id again (after an acquire fence), and keeps what it read only
//! if the id did not change.

use std::borrow::Cow;
use std::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use super::Local;
use crate::record::{Kind, Record, Status};

/// Depths of a thread's stack whose open actions are published: deeper ones are not.
pub(super) const SLOTS: usize = 64;
/// Bytes of a name made at run time (not `'static`) that a slot keeps.
const INLINE: usize = 72;
/// An action open this long gets an open notice when the journal's writer wakes.
pub(super) const NOTICE_AFTER_MS: u64 = 5;
/// The writer looks for such actions at most this often.
pub(super) const LOOK_EVERY_MS: u64 = 5;

/// One published open action (128 bytes: two cache lines, written by its thread alone).
#[repr(align(128))]
pub(super) struct OpenSlot {
    /// The action's id; 0: none. Stored last when the action opens, cleared when it closes.
    id: AtomicU64,
    parent: AtomicU64,
    start: AtomicU64,
    /// Its workflow's serial.
    serial: AtomicU64,
    /// A `'static` name's bytes; null when the name is in `inline`.
    name: AtomicPtr<u8>,
    /// The name's length (of `inline`'s bytes, when the name is there).
    len: AtomicUsize,
    /// The id of the last action of this slot that was given an open notice.
    noticed: AtomicU64,
    /// A name made at run time, its first [`INLINE`] bytes at most.
    inline: [AtomicU64; INLINE / 8],
}

impl OpenSlot {
    pub(super) const fn new() -> OpenSlot {
        OpenSlot {
            id: AtomicU64::new(0),
            parent: AtomicU64::new(0),
            start: AtomicU64::new(0),
            serial: AtomicU64::new(0),
            name: AtomicPtr::new(std::ptr::null_mut()),
            len: AtomicUsize::new(0),
            noticed: AtomicU64::new(0),
            inline: [const { AtomicU64::new(0) }; INLINE / 8],
        }
    }

    /// Copies a name made at run time into `inline` (cut on a character boundary).
    #[cold]
    #[inline(never)]
    fn keep_name(&self, name: &str) {
        let mut cut = name.len().min(INLINE);
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        let bytes = &name.as_bytes()[..cut];
        for (word, chunk) in self.inline.iter().zip(bytes.chunks(8)) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_ne_bytes(buf), Ordering::Relaxed);
        }
        self.name.store(std::ptr::null_mut(), Ordering::Relaxed);
        self.len.store(cut, Ordering::Relaxed);
    }

    /// The open notice of the action in this slot, if it is open, of workflow `serial`, opened
    /// at `before` or earlier, and not given one yet.
    pub(super) fn notice(&self, serial: u64, before: u64, thread: u32) -> Option<Record> {
        let id = self.id.load(Ordering::Acquire);
        if id == 0 || self.noticed.load(Ordering::Relaxed) == id {
            return None;
        }
        let parent = self.parent.load(Ordering::Relaxed);
        let start = self.start.load(Ordering::Relaxed);
        let of = self.serial.load(Ordering::Relaxed);
        let ptr = self.name.load(Ordering::Relaxed);
        let len = self.len.load(Ordering::Relaxed);
        let mut inline = [0u8; INLINE];
        if ptr.is_null() {
            for (chunk, word) in inline.chunks_mut(8).zip(&self.inline) {
                chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
            }
        }
        fence(Ordering::Acquire);
        if self.id.load(Ordering::Relaxed) != id || of != serial || start > before {
            return None;
        }
        // Once per action, whoever looks.
        if self.noticed.swap(id, Ordering::Relaxed) == id {
            return None;
        }
        let name = if ptr.is_null() {
            Cow::Owned(String::from_utf8_lossy(&inline[..len.min(INLINE)]).into_owned())
        } else {
            // SAFETY: the id read before and after is the same, so `ptr` and `len` are those
            // the owner stored for this action: the bytes of a `&'static str`.
            Cow::Borrowed(unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len))
            })
        };
        let mut rec = Record::new(Kind::Action, name);
        rec.id = id;
        rec.parent = parent;
        rec.thread = thread;
        rec.start = start;
        rec.end = start;
        rec.status = Status::Incomplete;
        Some(rec)
    }
}

/// A name as an action opens with it: `'static` (the common case) or made at run time.
#[derive(Clone, Copy)]
pub(crate) enum NameRef<'a> {
    Static(&'static str),
    Made(&'a str),
}

impl Local {
    /// Publishes the action `id` that just opened at depth `depth`.
    #[inline(always)]
    pub(super) fn publish_open(
        &mut self,
        depth: usize,
        id: u64,
        parent: u64,
        start: u64,
        serial: u64,
        name: NameRef<'_>,
    ) {
        if self.outbox.is_none() {
            self.make_outbox();
        }
        let Some(slot) = self.outbox.as_ref().and_then(|o| o.open.get(depth)) else {
            return;
        };
        // A slot its action left behind (closed out of order, or on another thread) is taken
        // over: cleared first, so that a reader of the old action sees the change.
        slot.id.store(0, Ordering::Relaxed);
        fence(Ordering::Release);
        slot.parent.store(parent, Ordering::Relaxed);
        slot.start.store(start, Ordering::Relaxed);
        slot.serial.store(serial, Ordering::Relaxed);
        match name {
            NameRef::Static(name) => {
                slot.name.store(name.as_ptr().cast_mut(), Ordering::Relaxed);
                slot.len.store(name.len(), Ordering::Relaxed);
            }
            NameRef::Made(name) => slot.keep_name(name),
        }
        slot.id.store(id, Ordering::Release);
    }

    /// The action `id`, published at depth `depth`, closed (or left this thread's stack).
    #[inline(always)]
    pub(super) fn unpublish(&mut self, depth: usize, id: u64) {
        if let Some(slot) = self.outbox.as_ref().and_then(|o| o.open.get(depth)) {
            if slot.id.load(Ordering::Relaxed) == id {
                slot.id.store(0, Ordering::Relaxed);
            }
        }
    }
}
