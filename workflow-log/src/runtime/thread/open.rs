//! The one primitive that opens and closes a record, for guards and macros alike.

use super::open_slots::NameRef;
use super::{report_orphan, with};
use crate::clock;
use crate::record::{drop_status, Kind, Record};
use crate::runtime::{registry, usage};
use crate::Level;

/// Where an action opened: filled into its record by the caller, so that a guard is built where
/// it will live (opening a record that lies in a guard built beforehand costs a copy of the
/// guard when it is returned). The same decision as [`open_in_place`]'s, for an action whose
/// record is not built yet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) start: u64,
    pub(crate) serial: u64,
    pub(crate) thread: u32,
}

impl Place {
    /// Writes the place into `rec`, which then is an open record of workflow `self.serial`.
    #[inline(always)]
    pub(crate) fn fill(&self, rec: &mut Record) {
        rec.id = self.id;
        rec.parent = self.parent;
        rec.thread = self.thread;
        rec.start = self.start;
    }
}

/// Opens an action named `name` on this thread before its record is built (see [`Place`]); the
/// caller has checked [`wanted`](super::wanted).
#[inline(never)]
pub(crate) fn open_action(level: Level, name: NameRef<'_>) -> Option<Place> {
    with(|l| l.open_small(Kind::Action, level, name)).flatten()
}

/// Closes an open record (its `end` must be set).
#[inline]
pub(crate) fn close(rec: Record, serial: u64) {
    let mut slot = Some(OpenRecord { rec, serial });
    with(|l| {
        if let Some(OpenRecord { rec, serial }) = slot.take() {
            l.close(rec, serial);
        }
    });
    if let Some(OpenRecord { rec, serial }) = slot {
        close_elsewhere(rec, serial);
    }
}

/// An open record and its workflow's serial, as a guard keeps it: the one form an open record
/// takes outside this thread's stack (where it is a [`Frame`](super::Frame)).
#[derive(Debug)]
pub(crate) struct OpenRecord {
    pub(crate) rec: Record,
    pub(crate) serial: u64,
}

impl OpenRecord {
    /// A record about to be opened by [`open_in_place`].
    #[inline(always)]
    pub(crate) fn new(rec: Record) -> OpenRecord {
        OpenRecord { rec, serial: 0 }
    }
}

/// Opens the record in `slot` where it lies (a guard's field: no copy), or empties `slot` if
/// no workflow keeps it at `level`. The caller has checked [`wanted`](super::wanted).
#[inline(never)]
pub(crate) fn open_in_place(slot: &mut Option<OpenRecord>, level: Level) {
    let Some(open) = slot else { return };
    match with(|l| l.open(&mut open.rec, level)).flatten() {
        Some(serial) => open.serial = serial,
        None => *slot = None,
    }
}

/// Closes the open record in `slot` now (`panicked` if the thread is unwinding) and empties
/// `slot`: the record is copied once, from the guard into the thread's buffer.
#[inline(never)]
pub(crate) fn close_in_place(slot: &mut Option<OpenRecord>) {
    let Some(open) = slot else { return };
    open.rec.end = clock::now();
    open.rec.status = drop_status(open.rec.status);
    with(|l| l.close_slot(slot));
    if let Some(OpenRecord { rec, serial }) = slot.take() {
        close_elsewhere(rec, serial);
    }
}

/// This thread's state is gone (teardown) or busy: hands the record over directly.
#[cold]
pub(super) fn close_elsewhere(mut rec: Record, serial: u64) {
    match registry::find(serial) {
        Some(shared) => {
            usage::settle(&mut rec, Some(&shared));
            shared.submit(&mut vec![rec]);
        }
        None => report_orphan(),
    }
}
