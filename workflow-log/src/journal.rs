//! The crash-safe journal: JSON Lines beside the nested file, one line per record, written by a
//! background thread so that the threads that log never wait for the disk.
//!
//! Line 1 is a header (`{"journal": "workflow-log/1", "workflow": ..., "start_time": ...}`);
//! then one line when an iteration or interaction opens (`"status": "incomplete"`, so a crash
//! keeps its name and place) and one per closed record; the last line, written by `finish`, is
//! `{"end": "<status>", "end_ns": ...}`. Times are nanoseconds from the header's `start_time`.
//! [`recover`](crate::recover) reads it back.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::clock::{self, Anchor};
use crate::local;
use crate::payload::escape_into;
use crate::record::{Record, Status};
use crate::workflow::{lock, Collector};
use crate::Error;

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
    Batch(Vec<Record>),
    Flush(SyncSender<Report>),
    Finish {
        status: Status,
        end: u64,
        done: SyncSender<Report>,
    },
}

/// What the writer could not write.
#[derive(Debug, Default, Clone)]
pub(crate) struct Report {
    pub(crate) lost: u64,
    pub(crate) error: Option<String>,
}

/// A running journal.
pub(crate) struct Journal {
    pub(crate) path: PathBuf,
    tx: SyncSender<Msg>,
    lossy: bool,
    /// Records the lossy mode did not journal because the writer was behind.
    dropped: AtomicU64,
    thread: Mutex<Option<JoinHandle<()>>>,
}

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
        let file = crate::workflow::create_private(&path, opts.path.is_none())
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
        let mut out = BufWriter::with_capacity(1 << 16, file);
        // Written now so that a crash before the first record still leaves a readable journal.
        out.write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("write the journal", &path, e))?;
        let (tx, rx) = mpsc::sync_channel(opts.capacity.max(1));
        let writer = Writer {
            out,
            durability: opts.durability,
            anchor: header.anchor,
            names: Vec::new(),
            line: String::with_capacity(256),
            report: Report::default(),
            collector,
        };
        let thread = std::thread::Builder::new()
            .name("workflow-log-journal".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| Error::io("start the journal writer for", &path, e))?;
        install_panic_hook();
        Ok(Journal {
            path,
            tx,
            lossy: opts.lossy,
            dropped: AtomicU64::new(0),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands a batch to the writer. Lossless mode waits while the queue is full; lossy mode
    /// gives the batch back (counted) instead. A batch given back, or one the writer can no
    /// longer take, goes straight to the collector: the nested file still gets it.
    pub(crate) fn submit(&self, batch: Vec<Record>) -> Result<(), Vec<Record>> {
        let result = if self.lossy {
            self.tx.try_send(Msg::Batch(batch)).map_err(|e| match e {
                TrySendError::Full(m) | TrySendError::Disconnected(m) => m,
            })
        } else {
            self.tx.send(Msg::Batch(batch)).map_err(|e| e.0)
        };
        match result {
            Ok(()) => Ok(()),
            Err(Msg::Batch(batch)) => {
                self.dropped
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                Err(batch)
            }
            Err(_) => Ok(()),
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

    /// Writes the last line, stops the writer and says what was lost.
    pub(crate) fn finish(&self, status: Status, end: u64) -> Report {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let mut report = if self
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
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            report.lost += dropped;
            report
                .error
                .get_or_insert_with(|| "the lossy journal's queue was full".into());
        }
        report
    }
}

struct Writer {
    out: BufWriter<File>,
    durability: Durability,
    anchor: Anchor,
    names: Vec<Arc<str>>,
    line: String,
    report: Report,
    collector: Arc<Collector>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) {
        // A message taken while looking for more batches to write with the last one.
        let mut next: Option<Msg> = None;
        loop {
            // Handed-over batches come in bursts: poll a little before sleeping, so that a
            // thread handing one over mid-burst (an interaction's open notice, the periodic
            // hand-over) finds the writer awake and pays no wake-up system call.
            let msg = match next.take().or_else(|| Self::poll(&rx)) {
                Some(msg) => Ok(msg),
                // With `Durability::None`, wait a little for more before writing anyway.
                None => rx.recv_timeout(Duration::from_millis(200)),
            };
            let msg = match msg {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    self.io(|out| out.flush(), 0);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.io(|out| out.flush(), 0);
                    return;
                }
            };
            match msg {
                Msg::Batch(mut batch) => {
                    self.write_batch(&batch);
                    self.collector.deliver(&mut batch);
                    self.collector.recycle(batch);
                    // Batches already waiting go out in the same write: one system call for a
                    // burst of small hand-overs, each still written as soon as it is read.
                    if let Ok(msg) = rx.try_recv() {
                        next = Some(msg);
                        continue;
                    }
                    if self.durability != Durability::None {
                        self.io(|out| out.flush(), 0);
                    }
                }
                Msg::Flush(done) => {
                    self.sync();
                    // Lines the file refused are still in the buffer: not in the file.
                    let mut report = self.report.clone();
                    report.lost += self.unwritten();
                    let _ = done.send(report);
                }
                Msg::Finish { status, end, done } => {
                    self.sync();
                    self.count_unwritten();
                    let mut line = String::new();
                    let _ = writeln!(
                        line,
                        "{{\"end\":\"{}\",\"end_ns\":{}}}",
                        status.as_str(),
                        self.anchor.ns(end)
                    );
                    self.io(|out| out.write_all(line.as_bytes()), 0);
                    self.sync();
                    let _ = done.send(self.report.clone());
                    // Batches that raced the end reach the collector, which counts them late
                    // (never dropped unseen).
                    for msg in rx.try_iter() {
                        if let Msg::Batch(mut batch) = msg {
                            self.collector.deliver(&mut batch);
                        }
                    }
                    return;
                }
            }
        }
    }

    /// A message that arrives within [`POLL`], without sleeping.
    fn poll(rx: &Receiver<Msg>) -> Option<Msg> {
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                match rx.try_recv() {
                    Ok(msg) => return Some(msg),
                    Err(TryRecvError::Disconnected) => return None,
                    Err(TryRecvError::Empty) => std::hint::spin_loop(),
                }
            }
            if start.elapsed() > POLL {
                return None;
            }
        }
    }

    fn write_batch(&mut self, batch: &[Record]) {
        for rec in batch {
            if rec.thread as usize >= self.names.len() {
                self.names = local::thread_names();
            }
            self.line.clear();
            encode(rec, &self.anchor, &self.names, &mut self.line);
            let line = std::mem::take(&mut self.line);
            self.io(|out| out.write_all(line.as_bytes()), 1);
            self.line = line;
        }
    }

    fn sync(&mut self) {
        self.io(|out| out.flush(), 0);
        if self.durability == Durability::Fsync {
            self.io(|out| out.get_ref().sync_data(), 0);
        }
    }

    /// Runs one write; a failure counts `records` as lost and keeps the first error.
    fn io(&mut self, f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>, records: u64) {
        if let Err(e) = f(&mut self.out) {
            self.report.lost += records;
            self.report.error.get_or_insert_with(|| e.to_string());
        }
    }

    /// At the end: lines still buffered because the file refused them are lost.
    fn count_unwritten(&mut self) {
        self.report.lost += self.unwritten();
    }

    /// Lines still in the buffer.
    fn unwritten(&self) -> u64 {
        self.out.buffer().iter().filter(|b| **b == b'\n').count() as u64
    }
}

/// One record as a journal line (with the trailing newline).
pub(crate) fn encode(rec: &Record, anchor: &Anchor, names: &[Arc<str>], out: &mut String) {
    // Without `core::fmt`: this runs once per record on the writer thread.
    out.push_str("{\"id\":");
    push_int(out, rec.id);
    out.push_str(",\"parent\":");
    push_int(out, rec.parent);
    out.push_str(",\"kind\":\"");
    out.push_str(rec.kind.as_str());
    out.push_str("\",\"status\":\"");
    out.push_str(rec.status.as_str());
    out.push_str("\",\"name\":\"");
    escape_into(out, &rec.name);
    out.push_str("\",\"number\":");
    push_int(out, rec.number);
    out.push_str(",\"start_ns\":");
    push_int(out, anchor.ns(rec.start));
    out.push_str(",\"end_ns\":");
    push_int(out, anchor.ns(rec.end));
    out.push_str(",\"thread\":\"");
    escape_into(out, names.get(rec.thread as usize).map_or("?", |n| n));
    out.push('"');
    if let Some(p) = &rec.input {
        out.push_str(",\"input\":");
        out.push_str(p.as_str());
    }
    if let Some(p) = &rec.output {
        out.push_str(",\"output\":");
        out.push_str(p.as_str());
    }
    if let Some(e) = &rec.error {
        out.push_str(",\"error\":\"");
        escape_into(out, e);
        out.push('"');
    }
    if !rec.metadata.is_empty() {
        out.push_str(",\"metadata\":{");
        for (i, (k, v)) in rec.metadata.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            escape_into(out, k);
            out.push_str("\":");
            out.push_str(v.as_str());
        }
        out.push('}');
    }
    if let Some(log) = &rec.log {
        let _ = write!(out, ",\"level\":\"{}\",\"logger\":\"", log.level.as_str());
        escape_into(out, &log.logger);
        out.push_str("\",\"message\":\"");
        escape_into(out, &log.message);
        out.push('"');
    }
    out.push_str("}\n");
}

/// Appends `n` in decimal.
fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// The journal path for a nested file's stem.
pub(crate) fn path_for(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.jsonl"))
}

/// On a panic (also under `panic = "abort"`, where no guard's `Drop` will run), hand this
/// thread's records over and wait briefly for every live journal to be written.
fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    // Swapping hooks panics on a panicking thread (a workflow started in a `Drop` during
    // unwinding): try again with the next journal instead.
    if std::thread::panicking() {
        return;
    }
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            crate::workflow::flush_all(Duration::from_secs(2));
            previous(info);
        }));
    });
}
