//! The crash-safe journal: JSON Lines beside the nested file, one line per record, written by a
//! background thread so that the threads that log never wait for the disk.
//!
//! Line 1 is a header (`{"journal": "workflow-log/1", "workflow": ..., "start_time": ...}`);
//! then one line when an iteration or interaction opens (`"status": "incomplete"`, so a crash
//! keeps its name and place) and one per closed record; the last line, written by `finish`, is
//! `{"end": "<status>", "end_ns": ...}`. Times are nanoseconds from the header's `start_time`.
//! [`recover`](crate::recover) reads it back.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::collector::Collector;
use crate::capture::escape_into;
use crate::clock::{self, Anchor};
use crate::record::{Record, Status};
use crate::sink::tree::{Entries, Placer};
use crate::util::{create_private, lock};
use crate::Error;

mod file;
mod writer;

use file::LineFile;
use writer::Writer;

/// How long the writer polls for the next batch before it sleeps.
const POLL: Duration = Duration::from_micros(50);

/// The `journal` field of a journal's header line.
pub(crate) const JOURNAL_FORMAT: &str = "workflow-log/1";

/// How hard the journal tries to be on disk.
///
/// # Examples
///
/// ```
/// use workflow_log::{Durability, Workflow};
///
/// let dir = tempfile::tempdir()?;
/// let log = Workflow::builder("careful").logs_dir(dir.path()).durability(Durability::Fsync).start()?;
/// log.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// Lines are buffered by the writer thread and written when its buffer fills, on
    /// [`flush`](crate::flush) and at the end: the fewest system calls.
    None,
    /// Every batch of records is written to the file as it arrives: a crash of the process
    /// loses only records its threads had not handed over yet.
    #[default]
    Write,
    /// As `Write`, and [`flush`](crate::flush) and `finish` also `fsync` the file: it survives
    /// a crash of the machine.
    Fsync,
}

/// Journal settings from the builder.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) enabled: bool,
    pub(crate) path: Option<PathBuf>,
    pub(crate) durability: Durability,
    pub(crate) lossy: bool,
    /// Batches that may wait for the writer.
    pub(crate) capacity: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            enabled: true,
            path: None,
            durability: Durability::Write,
            lossy: false,
            capacity: 1024,
        }
    }
}

enum Msg {
    Batch(Batch),
    Flush(SyncSender<Report>),
    Finish {
        status: Status,
        end: u64,
        done: SyncSender<Report>,
    },
}

/// Records on their way to the writer. A batch dropped unread (the writer's queue went away with
/// it still inside: it raced the journal's end, or the writer stopped) gives its records to the
/// collector, which keeps them for the nested file, or counts them as late: none is ever
/// dropped unseen.
struct Batch {
    records: Vec<Record>,
    /// `None` for an empty batch (a wake-up).
    collector: Option<Arc<Collector>>,
}

impl Batch {
    fn new(records: Vec<Record>, collector: &Arc<Collector>) -> Batch {
        let collector = (!records.is_empty()).then(|| collector.clone());
        Batch { records, collector }
    }

    /// The records, which the batch then no longer answers for.
    fn take(mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(collector) = &self.collector {
            collector.deliver_unjournaled(&mut self.records);
        }
    }
}

/// What the writer could not write.
#[derive(Debug, Default, Clone)]
pub(crate) struct Report {
    pub(crate) lost: u64,
    pub(crate) error: Option<String>,
}

/// What a journal wrote, for `finish` to read its records back from instead of keeping them in
/// memory: the journal opened for reading, how many bytes of it are whole lines, and an entry
/// per record line.
pub(crate) struct Written {
    pub(crate) file: File,
    pub(crate) len: u64,
    pub(crate) entries: Entries,
}

/// How long a panicking thread waits for room in a full journal queue before its records go
/// to memory only (the nested file still gets them; the journal does not).
const PANIC_WAIT: Duration = Duration::from_secs(2);

/// A running journal.
pub(crate) struct Journal {
    pub(crate) path: PathBuf,
    /// A spill file, not a journal: kept by a workflow that keeps no journal, only for `finish`
    /// to read its records back from (unlinked once open, so a crash leaves nothing behind).
    /// Nothing waits for it: `flush` is not about it and its losses are no one's.
    pub(crate) spill: bool,
    tx: SyncSender<Msg>,
    lossy: bool,
    thread: Mutex<Option<JoinHandle<Option<Written>>>>,
    notices: Arc<Notices>,
    /// Where a batch the writer never read goes (see [`Batch`]).
    collector: Arc<Collector>,
}

/// Open notices waiting for the writer, who takes them before every batch it writes and
/// whenever it wakes: handing one over wakes no thread. `closed` once the end line is written.
#[derive(Default)]
pub(super) struct Notices {
    pub(super) queue: Mutex<(Vec<Record>, bool)>,
    /// Adds the open notices of records long open (timed actions), asked each time the writer
    /// takes the queue (see [`Journal::watch_open`]).
    pub(super) watch: OnceLock<OpenWatch>,
}

/// See [`Journal::watch_open`].
pub(crate) type OpenWatch = Box<dyn Fn(&mut Vec<Record>) + Send + Sync>;

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Workflow facts the header line records.
pub(crate) struct Header<'a> {
    pub(crate) workflow: &'a str,
    pub(crate) run_id: &'a str,
    pub(crate) anchor: Anchor,
}

impl Journal {
    /// Creates the journal file (mode 0600) and starts its writer thread.
    pub(crate) fn start(
        path: PathBuf,
        opts: &Options,
        header: Header<'_>,
        collector: Arc<Collector>,
    ) -> Result<Journal, Error> {
        let file = create_private(&path, opts.path.is_none())
            .map_err(|e| Error::io("create the journal", &path, e))?;
        let mut line = String::new();
        line.push_str("{\"journal\":\"");
        line.push_str(JOURNAL_FORMAT);
        line.push_str("\",\"workflow\":\"");
        escape_into(&mut line, header.workflow);
        line.push_str("\",\"run_id\":\"");
        escape_into(&mut line, header.run_id);
        line.push_str("\",\"start_time\":\"");
        line.push_str(&clock::rfc3339(header.anchor.wall()));
        line.push_str("\"}\n");
        let readback = open_to_read(&file, &path);
        let mut out = LineFile::new(file);
        // Written now so that a crash before the first record still leaves a readable journal.
        out.push(line.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|lost| Error::io("write the journal", &path, lost.error))?;
        let (tx, rx) = mpsc::sync_channel(opts.capacity.max(1));
        let notices = Arc::new(Notices::default());
        let writer = Writer {
            notices: notices.clone(),
            spare_notices: Vec::new(),
            out,
            leave: readback.is_some(),
            readback,
            entries: Placer::default(),
            pending: Vec::new(),
            keep: Vec::new(),
            durability: opts.durability,
            anchor: header.anchor,
            names: Vec::new(),
            line: String::with_capacity(256),
            report: Report::default(),
            collector: collector.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("workflow-log-journal".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| Error::io("start the journal writer for", &path, e))?;
        Ok(Journal {
            path,
            spill: false,
            tx,
            lossy: opts.lossy,
            thread: Mutex::new(Some(thread)),
            notices,
            collector,
        })
    }

    /// A spill file for a workflow without a journal, `.<stem>.spill.jsonl` in `dir`: a
    /// journal that buffers its lines (`Durability::None`) and never makes a thread wait (a
    /// batch it can't take stays in memory), unlinked as soon as it is open for reading back.
    /// `None` if it can't be made: the records then stay in memory.
    pub(crate) fn spill(
        dir: &Path,
        stem: &str,
        header: Header<'_>,
        collector: Arc<Collector>,
    ) -> Option<Journal> {
        let opts = Options {
            durability: Durability::None,
            lossy: true,
            ..Options::default()
        };
        let path = dir.join(format!(".{stem}.spill.jsonl"));
        let mut journal = Journal::start(path, &opts, header, collector).ok()?;
        journal.spill = true;
        // On Unix the writer and the reader keep the file open; elsewhere `finish` removes it.
        #[cfg(unix)]
        let _ = std::fs::remove_file(&journal.path);
        Some(journal)
    }

    /// Hands an open notice over without waking the writer: it is written before the next
    /// batch, at the writer's next wake-up (within 200 ms), or by [`nudge`](Self::nudge).
    /// Gives it back once the journal has ended.
    pub(crate) fn notice(&self, rec: Record) -> Result<(), Record> {
        let mut queue = lock(&self.notices.queue);
        if queue.1 {
            return Err(rec);
        }
        queue.0.push(rec);
        Ok(())
    }

    /// Has the writer call `watch` each time it takes the open notices (before each batch and
    /// whenever it wakes, at least every 200 ms), to add those of records that opened without
    /// one and are open for long now. The first call sets it.
    pub(crate) fn watch_open(&self, watch: OpenWatch) {
        let _ = self.notices.watch.set(watch);
    }

    /// Wakes the writer, so that waiting open notices are written now (a call that may block
    /// is about to start inside their records).
    pub(crate) fn nudge(&self) {
        let _ = self
            .tx
            .try_send(Msg::Batch(Batch::new(Vec::new(), &self.collector)));
    }

    /// Hands a batch to the writer. Lossless mode waits while the queue is full; lossy mode
    /// gives the batch back instead. A batch given back, or one the writer can no longer take,
    /// goes straight to the collector, which counts it: the nested file still gets it.
    pub(crate) fn submit(&self, batch: Vec<Record>) -> Result<(), Vec<Record>> {
        let batch = Batch::new(batch, &self.collector);
        let result = if self.lossy {
            self.tx.try_send(Msg::Batch(batch)).map_err(|e| match e {
                TrySendError::Full(m) | TrySendError::Disconnected(m) => m,
            })
        } else if std::thread::panicking() {
            self.send_while_panicking(batch)
        } else {
            self.tx.send(Msg::Batch(batch)).map_err(|e| e.0)
        };
        match result {
            Ok(()) => Ok(()),
            Err(Msg::Batch(batch)) => Err(batch.take()),
            Err(_) => Ok(()),
        }
    }

    /// `submit` from the panic hook or a drop while unwinding: waits for room in the queue at
    /// most [`PANIC_WAIT`], so that a writer that is stuck (a pipe nobody reads) or that is
    /// this very thread can't hang a panicking program.
    #[cold]
    fn send_while_panicking(&self, batch: Batch) -> Result<(), Msg> {
        let deadline = Instant::now() + PANIC_WAIT;
        let mut msg = Msg::Batch(batch);
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(m)) => return Err(m),
                Err(TrySendError::Full(m)) if Instant::now() >= deadline => return Err(m),
                Err(TrySendError::Full(m)) => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// Returns once everything handed over so far is in the file (and on disk, with
    /// [`Durability::Fsync`]), or after `timeout`.
    /// Fails if the writer did not answer in time, or if records could not be written (so
    /// far in the run: the journal stays incomplete).
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), String> {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let mut msg = Msg::Flush(done_tx);
        match Instant::now().checked_add(timeout) {
            None => {
                if self.tx.send(msg).is_err() {
                    return Err("the journal writer stopped".into());
                }
            }
            // Bounded (the panic hook): never block on a full queue past the deadline.
            Some(deadline) => loop {
                match self.tx.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                        msg = m;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(_) => return Err("the journal writer did not answer in time".into()),
                }
            },
        }
        let report = done_rx
            .recv_timeout(timeout)
            .map_err(|_| "the journal writer did not answer in time".to_owned())?;
        match report.lost {
            0 => Ok(()),
            lost => Err(format!(
                "{lost} record(s) could not be written to it ({})",
                report.error.unwrap_or_default()
            )),
        }
    }

    /// Writes the last line, stops the writer and says what was lost, and what the records
    /// can be read back from (`None`: they all went to the collector).
    pub(crate) fn finish(&self, status: Status, end: u64) -> (Report, Option<Written>) {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let report = if self
            .tx
            .send(Msg::Finish {
                status,
                end,
                done: done_tx,
            })
            .is_ok()
        {
            done_rx.recv().unwrap_or_else(|_| Report {
                lost: 0,
                error: Some("the journal writer stopped".into()),
            })
        } else {
            Report {
                lost: 0,
                error: Some("the journal writer stopped".into()),
            }
        };
        let written = lock(&self.thread)
            .take()
            .and_then(|thread| thread.join().ok().flatten());
        #[cfg(not(unix))]
        if self.spill {
            let _ = std::fs::remove_file(&self.path);
        }
        (report, written)
    }

    /// Why records the journal did not take are missing from it.
    pub(crate) fn why_not_taken(&self) -> &'static str {
        if self.lossy {
            "the lossy journal's queue was full, or they were handed over as the run ended"
        } else {
            "they were handed over as the run ended, or by a panicking thread while the queue \
             stayed full"
        }
    }
}

/// The journal just created as `file`, opened again for reading, if it is a regular file (not a
/// pipe or a device) and `path` still names it.
fn open_to_read(file: &File, path: &Path) -> Option<File> {
    let ours = file.metadata().ok().filter(|m| m.is_file())?;
    let read = File::open(path).ok()?;
    let theirs = read.metadata().ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (ours.dev(), ours.ino()) != (theirs.dev(), theirs.ino()) {
            return None;
        }
    }
    #[cfg(not(unix))]
    let _ = (ours, theirs);
    Some(read)
}

/// The journal path for a nested file's stem.
pub(crate) fn path_for(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Kind;

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| Record::new(Kind::Action, format!("step_{i}").into()))
            .collect()
    }

    /// A batch still in the writer's queue when the writer lets the queue go (it raced the
    /// journal's end) reaches the collector, counted as not journaled: not dropped unseen.
    #[test]
    fn a_batch_left_in_the_queue_reaches_the_collector() {
        let collector = Arc::new(Collector::new("raced"));
        let (tx, rx) = mpsc::sync_channel(4);
        tx.send(Msg::Batch(Batch::new(records(3), &collector)))
            .map_err(|_| ())
            .unwrap();
        tx.send(Msg::Batch(Batch::new(Vec::new(), &collector)))
            .map_err(|_| ())
            .unwrap();
        drop(rx);
        let (kept, unjournaled) = collector.take();
        let names: Vec<&str> = kept.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["step_0", "step_1", "step_2"]);
        assert_eq!(unjournaled, 3);
    }

    /// A batch taken by the writer (or given back to `submit`'s caller) is no longer the
    /// collector's.
    #[test]
    fn a_batch_taken_out_gives_nothing_to_the_collector() {
        let collector = Arc::new(Collector::new("taken"));
        let taken = Batch::new(records(2), &collector).take();
        assert_eq!(taken.len(), 2);
        let (kept, unjournaled) = collector.take();
        assert!(kept.is_empty());
        assert_eq!(unjournaled, 0);
    }
}
