//! The collector: where finished records wait, directly or through the journal writer, until
//! the nested JSON is written.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::record::Record;
use crate::util::{lock, report};

/// Records a thread keeps before handing them over in one batch.
pub(crate) const BATCH: usize = 1024;

/// What the collector holds: the finished records, in the order the threads handed them over.
#[derive(Debug, Default)]
struct Store {
    records: Vec<Record>,
    finished: bool,
    /// Records that arrived after the workflow was written.
    late: u64,
    /// Records among `records` that the journal did not take.
    unjournaled: u64,
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
    pub(crate) fn new(name: &str) -> Self {
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
        self.deliver_as(buffer, false);
    }

    /// [`deliver`](Self::deliver) of records the journal did not take (its queue was full, or
    /// it had ended): they are counted with the records, under the same lock, so that `take`
    /// says exactly how many of the records it returns are not in the journal.
    pub(crate) fn deliver_unjournaled(&self, buffer: &mut Vec<Record>) {
        self.deliver_as(buffer, true);
    }

    fn deliver_as(&self, buffer: &mut Vec<Record>, unjournaled: bool) {
        if buffer.is_empty() {
            return;
        }
        let mut store = lock(&self.store);
        if store.finished {
            store.late += buffer.len() as u64;
            buffer.clear();
            drop(store);
            if !self.late_reported.swap(true, Ordering::Relaxed) {
                report(format_args!(
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
        if unjournaled {
            store.unjournaled += buffer.len() as u64;
        }
        store.records.append(buffer);
    }

    /// Keeps an emptied batch for the live workflow's `submit` to hand out again.
    pub(crate) fn recycle(&self, batch: Vec<Record>) {
        if batch.is_empty() && batch.capacity() >= BATCH {
            let mut spare = lock(&self.spare);
            if spare.len() < MAX_SPARE {
                spare.push(batch);
            }
        }
    }

    /// A batch to fill: an emptied one if there is one.
    pub(crate) fn fresh_batch(&self) -> Vec<Record> {
        lock(&self.spare)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BATCH))
    }

    /// Every record delivered so far, and how many of them the journal did not take; later
    /// ones are late (in neither file).
    pub(crate) fn take(&self) -> (Vec<Record>, u64) {
        let mut store = lock(&self.store);
        store.finished = true;
        (std::mem::take(&mut store.records), store.unjournaled)
    }
}

/// The collector's first capacity, in records.
const CHUNK: usize = 4096;
/// Emptied batches kept for reuse, per workflow.
const MAX_SPARE: usize = 16;
