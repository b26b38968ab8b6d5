//! A live workflow: the state every thread logging into it shares, and how its records are handed
//! over, flushed and collected.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::capture;
use crate::clock::Anchor;
use crate::level::Filter;
use crate::record::{Kind, Name, Record};
use crate::sink::collector::{Collector, BATCH};
use crate::sink::journal::Journal;
use crate::util::lock;
use crate::{Error, Level};

/// Where a workflow's nested JSON goes.
#[derive(Debug)]
pub(crate) enum Output {
    /// `capture`: kept in memory, returned as a `serde_json::Value`.
    Memory,
    /// A file in the logs directory, written through a temp file and a rename.
    File { dir: PathBuf, stem: String },
}

/// The state of one workflow that every thread logging into it shares.
pub(crate) struct LiveWorkflow {
    pub(crate) serial: u64,
    pub(crate) name: String,
    pub(crate) run_id: String,
    pub(crate) anchor: Anchor,
    pub(crate) filter: Filter,
    pub(crate) pretty: bool,
    pub(crate) output: Output,
    /// How values are captured; `None` for the defaults.
    pub(crate) payload: Option<Arc<capture::Config>>,
    /// Dollars per million input and output tokens, by model.
    pub(crate) prices: Vec<(Box<str>, f64, f64)>,
    pub(super) collector: Arc<Collector>,
    pub(crate) journal: Option<Journal>,
    /// Auto-numbers of iterations directly under the workflow.
    pub(super) root_iterations: AtomicU64,
    /// Auto-numbers of iterations under other records, by parent id: the last number given.
    /// A thread keeps the counter it used last (see `Local::iteration_number`), so that the
    /// next iteration under the same parent takes its number without this lock.
    pub(super) nested_iterations: Mutex<crate::util::IdMap<Arc<AtomicU64>>>,
    /// The buckets ([`counter_bucket`]) of the parents `nested_iterations` holds counters of,
    /// or held since it last held [`REBUILT_BELOW`] or fewer; read without its lock: an
    /// iteration or interaction closing with no counter to forget (the usual case) takes no
    /// lock, also while another record holds one.
    pub(super) counter_buckets: AtomicU64,
    /// The process it started in: in a child made by `fork()` it records nothing.
    pub(crate) pid: u32,
}

impl fmt::Debug for LiveWorkflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("name", &self.name)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl LiveWorkflow {
    /// Whether records (iterations, interactions, actions, events) at `level` are kept.
    #[inline]
    pub(crate) fn records_enabled(&self, level: Level) -> bool {
        level as u8 >= self.filter.default
    }

    /// Whether this process is a child made by `fork()` since the workflow started (its
    /// writer thread is not here): it then records nothing and writes no file.
    pub(crate) fn forked(&self) -> bool {
        forked_since(self.pid, true)
    }

    /// Hands a batch of finished records over: to the journal writer if there is one (it
    /// passes them on to the collector once written), else to the collector.
    pub(crate) fn submit(&self, buffer: &mut Vec<Record>) {
        if buffer.is_empty() {
            return;
        }
        if forked_since(self.pid, false) {
            // A forked child: nobody would ever take them.
            buffer.clear();
            return;
        }
        let cfg = capture::settings(&self.payload);
        if cfg.redact_values {
            // Before any sink: the texts a record keeps outside its payloads.
            buffer.iter_mut().for_each(|rec| scrub_texts(rec, cfg));
        }
        match &self.journal {
            None => self.collector.deliver(buffer),
            Some(journal) => {
                // A full buffer goes as it is and the thread gets an emptied one back; a few
                // records (a flush, the outermost record closing) go as a copy, and the thread
                // keeps its buffer.
                let batch = if buffer.len() >= BATCH / 2 {
                    std::mem::replace(buffer, self.collector.fresh_batch())
                } else {
                    let mut batch = Vec::with_capacity(buffer.len());
                    batch.append(buffer);
                    batch
                };
                if let Err(mut batch) = journal.submit(batch) {
                    self.collector.deliver_unjournaled(&mut batch);
                }
            }
        }
    }

    /// Hands an open notice over (an iteration's or interaction's as it opens, a timed action's
    /// found open by a flush), so that a crash, or a `finish` while the record is still open,
    /// keeps its name and place: to the journal's writer without waking it (see
    /// [`nudge`](Self::nudge)), else to the collector. An interaction's agent name was scrubbed
    /// as it opened ([`scrub_agent`](Self::scrub_agent)); an action's notice (see
    /// `outbox::notice_open`) has only its name, which, as in its close line, is not scrubbed.
    pub(crate) fn notice(&self, rec: Record) {
        if forked_since(self.pid, false) {
            return;
        }
        let rec = match &self.journal {
            Some(journal) => match journal.notice(rec) {
                Ok(()) => return,
                Err(rec) => rec,
            },
            None => return self.collector.deliver(&mut vec![rec]),
        };
        self.collector.deliver_unjournaled(&mut vec![rec]);
    }

    /// Replaces well-known secret values in an interaction's agent name, as it opens: once, for
    /// its open notice and its close alike (the name does not change while it is open).
    pub(crate) fn scrub_agent(&self, rec: &mut Record) {
        if rec.kind != Kind::Interaction {
            return;
        }
        let cfg = capture::settings(&self.payload);
        if cfg.redact_values {
            if let Cow::Owned(clean) = cfg.scrub(&rec.name) {
                rec.name = Name::new(Cow::Owned(clean));
            }
        }
    }

    /// Has the journal write the open notices handed over so far now, not at its writer's next
    /// wake-up: a call that may block is starting inside their records.
    pub(crate) fn nudge(&self) {
        if let Some(journal) = &self.journal {
            journal.nudge();
        }
    }

    /// Waits until the journal has written everything handed over so far (a spill file too,
    /// whose failures are no one's: what it did not write is in memory).
    pub(crate) fn flush_journal(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        if self.forked() {
            return Ok(());
        }
        let flushed = journal.flush(timeout.unwrap_or(Duration::MAX));
        if journal.spill {
            return Ok(());
        }
        flushed.map_err(|why| Error::Journal {
            path: journal.path.clone(),
            reason: why,
        })
    }

    /// The price of `model`: its own, else that of the longest priced name it starts with
    /// (`gpt-4o` prices `gpt-4o-2024-08-06`).
    pub(crate) fn price_of(&self, model: &str) -> Option<(f64, f64)> {
        self.prices
            .iter()
            .filter(|(name, _, _)| model.starts_with(&**name))
            .max_by_key(|(name, _, _)| name.len())
            .map(|(_, input, output)| (*input, *output))
    }

    /// The number of the next auto-numbered iteration directly under the workflow.
    pub(crate) fn next_root_number(&self) -> u64 {
        next_number(&self.root_iterations)
    }

    /// The counter of the auto-numbered iterations under `parent` (not 0), made at the first:
    /// each, on whichever thread, takes its [`next_number`].
    pub(crate) fn iteration_counter(&self, parent: u64) -> Arc<AtomicU64> {
        let mut map = lock(&self.nested_iterations);
        let counter = map.entry(parent).or_default().clone();
        // Under the lock, so it can't cross the clearing in `forget_counter`; an atomic
        // read-modify-write only when the bit is new.
        let buckets = self.counter_buckets.load(Ordering::Relaxed);
        if buckets & counter_bucket(parent) == 0 {
            self.counter_buckets
                .store(buckets | counter_bucket(parent), Ordering::Relaxed);
        }
        counter
    }

    /// Forgets the iteration counter of a record that closed.
    /// Counters are made and forgotten on the thread whose stack the parent is on; a counter
    /// made on another thread at the moment its parent closes may be kept (a few dozen bytes).
    pub(crate) fn forget_counter(&self, id: u64) {
        if self.counter_buckets.load(Ordering::Relaxed) & counter_bucket(id) == 0 {
            return;
        }
        let mut map = lock(&self.nested_iterations);
        if map.remove(&id).is_some() && map.len() <= REBUILT_BELOW {
            // Made again from the counters left, so that a long-lived parent's counter does
            // not keep every other bucket set.
            let buckets = map.keys().fold(0, |b, &k| b | counter_bucket(k));
            self.counter_buckets.store(buckets, Ordering::Relaxed);
        }
    }
}

/// The next number `counter` gives: the count so far plus one.
pub(crate) fn next_number(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed) + 1
}

/// Counters left after a removal up to which the bucket set is made again from them.
const REBUILT_BELOW: usize = 8;

/// The bit of record `id` in [`LiveWorkflow::counter_buckets`].
fn counter_bucket(id: u64) -> u64 {
    1 << (id % 64)
}

/// Replaces well-known secret values in the texts a record keeps outside its payloads (which
/// were redacted when captured): its error and a log line's message. (An interaction's agent
/// name was scrubbed as it opened: see [`LiveWorkflow::scrub_agent`].)
fn scrub_texts(rec: &mut Record, cfg: &capture::Config) {
    if let Some(error) = &rec.error {
        if let Cow::Owned(clean) = cfg.scrub(error) {
            rec.error = Some(clean.into());
        }
    }
    if let Some(log) = rec.rare.as_mut().and_then(|r| r.log.as_mut()) {
        if let Cow::Owned(clean) = cfg.scrub(&log.message) {
            log.message = clean.into();
        }
    }
}

/// How many `fork()`s led to this process (0 in a process no fork made), counted by the handler
/// the registry installs. In a child, workflows the parent started record nothing; and what a
/// thread made before the fork, and its locks, which a thread the child does not have may have
/// held at that moment, are left alone.
pub(crate) static FORK_GEN: AtomicU64 = AtomicU64::new(0);

/// Whether `pid` (the process a workflow started in) is not this process: `true` in a child
/// made by `fork()`. Without a system call until a fork was seen; `certain` asks the system
/// anyway (a fork that skipped the handlers: a raw `clone`), for the calls that could block.
pub(crate) fn forked_since(pid: u32, certain: bool) -> bool {
    (certain || FORK_GEN.load(Ordering::Relaxed) != 0) && pid != std::process::id()
}
