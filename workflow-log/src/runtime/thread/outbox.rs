//! A thread's closed records on their way to its workflow, where other threads can take them:
//! `flush`, `finish` and the panic hook take what a thread closed even while it waits inside an
//! open record and logs nothing more.
//!
//! The thread that owns an outbox appends a record with one copy and publishes it with a plain
//! store (release ordering: free on x86), touching nothing another thread writes. Whoever takes
//! records out (the owner handing a batch over, or another thread flushing) holds the outbox's
//! lock, once per batch, and hands them over while holding it, so that a thread's records reach
//! its workflow in the order they closed.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError, Weak};

use super::open_slots::{OpenSlot, LOOK_EVERY_MS, NOTICE_AFTER_MS, SLOTS};
use super::{report_orphan, Local, OpenRecord};
use crate::clock;
use crate::record::Record;
use crate::runtime::workflow::{LiveWorkflow, FORK_GEN};
use crate::sink::collector::BATCH;
use crate::sink::journal::OpenWatch;
use crate::util::lock;

/// One thread's closed records that its workflow has not been handed yet, and its open actions.
pub(super) struct Outbox {
    /// How many places of the storage hold a record: written by the owner alone, after the
    /// record (release); set back to 0 only under `state`.
    published: AtomicUsize,
    /// The serial of the workflow the records are for (0: none yet); changed by the owner only
    /// under `state`, while it holds no record.
    owner: AtomicU64,
    /// The thread's index among the thread names.
    pub(super) thread: u32,
    /// [`FORK_GEN`] when it was made: in a child made by `fork()` since, its lock may be held
    /// for ever (by a thread that flushed at the moment of the fork), and it is never used.
    gen: u64,
    state: Mutex<State>,
    /// The thread's open actions, by the depth they opened at (see [`OpenSlot`]).
    pub(super) open: [OpenSlot; SLOTS],
}

/// The storage, and how much of it was taken by other threads.
struct State {
    /// `cap` places; places `taken..published` hold records owned here.
    ptr: NonNull<Record>,
    cap: usize,
    taken: usize,
}

// SAFETY: the records in the storage are `Send`, and they are read only by the thread that holds
// the lock around `State` (see `Outbox::drain`), or by the owner, which writes only places that
// it has not published.
unsafe impl Send for State {}

/// The storage a thread starts with, in records.
const FIRST_CAP: usize = 16;

/// Every thread's outbox, so that a flush can reach them: the list of this process's
/// [`FORK_GEN`] (a child made by `fork()` makes its own, as the lock of its parent's may be held
/// for ever). Lists are never freed.
static OUTBOXES: AtomicPtr<List> = AtomicPtr::new(std::ptr::null_mut());

struct List {
    gen: u64,
    outboxes: Mutex<Vec<Weak<Outbox>>>,
}

/// This process's list of outboxes, made on first use.
fn list() -> &'static Mutex<Vec<Weak<Outbox>>> {
    let gen = FORK_GEN.load(Ordering::Relaxed);
    let mut seen = OUTBOXES.load(Ordering::Acquire);
    loop {
        // SAFETY: a non-null pointer here is a `List` leaked below, never freed.
        if let Some(list) = unsafe { seen.as_ref() } {
            if list.gen == gen {
                return &list.outboxes;
            }
        }
        let fresh = Box::into_raw(Box::new(List {
            gen,
            outboxes: Mutex::new(Vec::new()),
        }));
        match OUTBOXES.compare_exchange(seen, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: `fresh` was just leaked, and is never freed now that it is in place.
            Ok(_) => return unsafe { &(*fresh).outboxes },
            Err(now) => {
                // SAFETY: `fresh` was never shared: it is freed once, here.
                drop(unsafe { Box::from_raw(fresh) });
                seen = now;
            }
        }
    }
}

impl Outbox {
    fn new(thread: u32) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox {
            published: AtomicUsize::new(0),
            owner: AtomicU64::new(0),
            thread,
            gen: FORK_GEN.load(Ordering::Relaxed),
            state: Mutex::new(State {
                ptr: NonNull::dangling(),
                cap: 0,
                taken: 0,
            }),
            open: [const { OpenSlot::new() }; SLOTS],
        });
        let mut all = lock(list());
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&outbox));
        outbox
    }

    /// Takes the records published so far, if they are `shared`'s, and hands them over. With
    /// `wait` false (the panic hook), an outbox whose lock is held is left alone.
    fn drain(&self, shared: &LiveWorkflow, wait: bool) {
        if self.owner.load(Ordering::Relaxed) != shared.serial {
            return;
        }
        let mut st = if wait {
            lock(&self.state)
        } else {
            match self.state.try_lock() {
                Ok(st) => st,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            }
        };
        // Under the lock the owner can't change: the records are its.
        if self.owner.load(Ordering::Relaxed) != shared.serial {
            return;
        }
        let head = self.published.load(Ordering::Acquire);
        let taken = st.taken;
        if head <= taken {
            return;
        }
        let n = head - taken;
        let mut batch: Vec<Record> = Vec::with_capacity(n);
        // SAFETY: places `taken..head` hold records that the owner wrote before it published
        // `head` (the acquire load above sees them) and that nobody took: `taken` only grows
        // under the lock, which this thread holds. The owner writes only at `head` and beyond
        // until it takes the lock itself. The records are copied bitwise into the batch's room
        // for `n`, and `taken` moves past them at once: each is owned once, by the batch, and
        // nothing in between can panic.
        unsafe {
            std::ptr::copy_nonoverlapping(st.ptr.as_ptr().add(taken), batch.as_mut_ptr(), n);
            batch.set_len(n);
        }
        st.taken = head;
        shared.submit(&mut batch);
        // A big batch went as it was, and `submit` left an emptied one from the workflow's
        // spares in its place: it goes back there.
        shared.collector.recycle(batch);
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let head = *self.published.get_mut();
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let left = head.saturating_sub(st.taken);
        // SAFETY: nobody else can reach the outbox now. Places `taken..head` hold records owned
        // here (dropped once), and the storage was a `Vec` of capacity `cap` (freed once).
        unsafe {
            let base = st.ptr.as_ptr();
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(base.add(st.taken), left));
            drop(Vec::from_raw_parts(base, 0, st.cap));
        }
    }
}

/// Hands over every record that any thread closed for `shared` and has not handed over yet
/// (`wait` false: skipping threads that are handing theirs over right now).
pub(super) fn drain_all(shared: &LiveWorkflow, wait: bool) {
    for outbox in all(wait) {
        outbox.drain(shared, wait);
    }
}

/// Every thread's outbox (none if `wait` is false and the list is locked).
pub(super) fn all(wait: bool) -> Vec<Arc<Outbox>> {
    let list = if wait {
        lock(list())
    } else {
        match list().try_lock() {
            Ok(list) => list,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Vec::new(),
        }
    };
    list.iter().filter_map(Weak::upgrade).collect()
}

impl Local {
    /// Appends a closed record to this thread's outbox (of the buffer's workflow).
    #[inline(always)]
    pub(super) fn put(&mut self, rec: Record) {
        if self.len == self.cap {
            self.make_room();
        }
        // SAFETY: `make_room` left `len < cap` places of the storage at `store`; place `len` is
        // not published, so no other thread reads it.
        unsafe { self.store.add(self.len).write(rec) };
        self.publish_one();
    }

    /// [`put`](Self::put) of the record in a guard's `slot`, which it empties, with one copy of
    /// the record (`slot.take()` and then `put` copy it twice).
    #[inline(always)]
    pub(super) fn put_from(&mut self, slot: &mut Option<OpenRecord>) {
        if self.len == self.cap {
            self.make_room();
        }
        let Some(open) = slot.as_mut() else { return };
        // SAFETY: as in `put`, place `len` is free and unpublished. The record is copied there
        // bitwise, then `slot` is overwritten with `None` without dropping what it held (the
        // record, now the outbox's, and a `u64`): it is owned once, and nothing in between can
        // panic.
        unsafe {
            std::ptr::copy_nonoverlapping(&open.rec, self.store.add(self.len), 1);
            std::ptr::write(slot, None);
        }
        self.publish_one();
    }

    #[inline(always)]
    fn publish_one(&mut self) {
        self.len += 1;
        if let Some(outbox) = &self.outbox {
            outbox.published.store(self.len, Ordering::Release);
        }
    }

    /// This thread's outbox, made (and registered) on first use.
    #[cold]
    #[inline(never)]
    pub(super) fn make_outbox(&mut self) -> Arc<Outbox> {
        self.leave_outbox_of_parent();
        if let Some(outbox) = &self.outbox {
            return outbox.clone();
        }
        let outbox = Outbox::new(self.thread());
        self.outbox = Some(outbox.clone());
        outbox
    }

    /// The storage is full (or there is none yet): hands a full batch over, or makes the
    /// storage bigger (up to [`BATCH`] records, as a `Vec` grows: a thread that logs little
    /// keeps little).
    #[cold]
    #[inline(never)]
    pub(super) fn make_room(&mut self) {
        if self.len >= BATCH {
            self.hand_over();
        }
        if self.len < self.cap {
            return;
        }
        let outbox = self.make_outbox();
        let mut st = lock(&outbox.state);
        let mut records = take_all(&mut st, &outbox.published, self.len);
        self.store = NonNull::dangling().as_ptr();
        self.len = 0;
        self.cap = 0;
        let want = (records.capacity() * 2).clamp(FIRST_CAP, BATCH);
        records.reserve_exact(want.saturating_sub(records.len()));
        let n = records.len();
        (self.store, self.cap) = install(&mut st, records);
        self.len = n;
        outbox.published.store(n, Ordering::Relaxed);
    }

    /// Hands every record in the outbox that no other thread took to the buffer's workflow.
    #[cold]
    #[inline(never)]
    pub(super) fn hand_over(&mut self) {
        self.leave_outbox_of_parent();
        let Some(outbox) = &self.outbox else {
            return;
        };
        let mut st = lock(&outbox.state);
        let mut batch = take_all(&mut st, &outbox.published, self.len);
        self.store = NonNull::dangling().as_ptr();
        self.len = 0;
        self.cap = 0;
        match &self.buffer_owner {
            Some(owner) => owner.submit(&mut batch),
            None if batch.is_empty() => {}
            None => report_orphan(),
        }
        batch.clear();
        (self.store, self.cap) = install(&mut st, batch);
    }

    /// In a child made by `fork()` since this thread's outbox was made: leaves the outbox as it
    /// is (its lock may be held for ever, by a thread the child does not have), with the
    /// records in it, all of workflows of the parent, which record nothing in the child. The
    /// next record makes a new outbox.
    #[inline]
    fn leave_outbox_of_parent(&mut self) {
        if self
            .outbox
            .as_ref()
            .is_some_and(|o| o.gen != FORK_GEN.load(Ordering::Relaxed))
        {
            std::mem::forget(self.outbox.take());
            self.store = NonNull::dangling().as_ptr();
            self.len = 0;
            self.cap = 0;
        }
    }

    /// The buffer's workflow is now `serial`'s (the outbox holds no record).
    #[cold]
    pub(super) fn set_outbox_owner(&mut self, serial: u64) {
        let outbox = self.make_outbox();
        let _st = lock(&outbox.state);
        outbox.owner.store(serial, Ordering::Relaxed);
    }
}

/// Takes the records of an outbox that no other thread took (the owner's `len` were put), as
/// the `Vec` its storage was made from; the outbox is left empty, without storage (so that an
/// unwinding caller leaves nothing behind). Called by the owner, holding the lock (`st`).
fn take_all(st: &mut State, published: &AtomicUsize, len: usize) -> Vec<Record> {
    let (taken, base) = (st.taken, st.ptr.as_ptr());
    // SAFETY: the caller holds the lock, so nobody else reads the storage; places `taken..len`
    // hold the records not taken (every place below `len` was published, places below `taken`
    // were moved out). They are moved down to place 0 and the storage becomes the `Vec` it was
    // made from (capacity `cap`, or a dangling pointer and 0), holding exactly them.
    let records = unsafe {
        if taken > 0 {
            std::ptr::copy(base.add(taken), base, len - taken);
        }
        Vec::from_raw_parts(base, len - taken, st.cap)
    };
    st.ptr = NonNull::dangling();
    st.cap = 0;
    st.taken = 0;
    published.store(0, Ordering::Relaxed);
    records
}

/// Makes `storage` (and the records in it, all published) an outbox's storage; returns where it
/// is and its capacity.
fn install(st: &mut State, storage: Vec<Record>) -> (*mut Record, usize) {
    debug_assert!(st.cap == 0);
    let mut storage = ManuallyDrop::new(storage);
    st.ptr = NonNull::new(storage.as_mut_ptr()).unwrap_or(NonNull::dangling());
    st.cap = storage.capacity();
    st.taken = 0;
    (st.ptr.as_ptr(), st.cap)
}

/// Hands an open notice over to `shared` for every action of it open on any thread since
/// `before` (a tick) or earlier that has none yet.
pub(super) fn notice_open(shared: &LiveWorkflow, before: u64, wait: bool) {
    let mut notices = Vec::new();
    collect(shared.serial, before, wait, &mut notices);
    for rec in notices {
        shared.notice(rec);
    }
}

fn collect(serial: u64, before: u64, wait: bool, out: &mut Vec<Record>) {
    for outbox in all(wait) {
        collect_from(&outbox, serial, before, out);
    }
}

pub(super) fn collect_from(outbox: &Outbox, serial: u64, before: u64, out: &mut Vec<Record>) {
    out.extend(
        outbox
            .open
            .iter()
            .filter_map(|slot| slot.notice(serial, before, outbox.thread)),
    );
}

/// What the journal's writer of workflow `serial` calls each time it looks for open notices:
/// at most every [`LOOK_EVERY_MS`], the actions open for more than [`NOTICE_AFTER_MS`] (see
/// [`open_slots`](super::open_slots)).
pub(crate) fn watcher(serial: u64) -> OpenWatch {
    let last = AtomicU64::new(0);
    Box::new(move |out| {
        let now = clock::now();
        if now.saturating_sub(last.load(Ordering::Relaxed)) < clock::ticks_from_ms(LOOK_EVERY_MS) {
            return;
        }
        last.store(now, Ordering::Relaxed);
        let before = now.saturating_sub(clock::ticks_from_ms(NOTICE_AFTER_MS));
        collect(serial, before, false, out);
    })
}
