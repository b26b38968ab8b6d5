//! The journal's writer thread, and the encoding of one record as one line.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Durability, Msg, Report, POLL};
use crate::capture::escape_into;
use crate::clock::Anchor;
use crate::record::{thread_names, Record};
use crate::sink::collector::Collector;

pub(super) struct Writer {
    pub(super) out: BufWriter<File>,
    pub(super) durability: Durability,
    pub(super) anchor: Anchor,
    pub(super) names: Vec<Arc<str>>,
    pub(super) line: String,
    pub(super) report: Report,
    pub(super) collector: Arc<Collector>,
}

impl Writer {
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
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
                self.names = thread_names();
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
        if !e.chain().is_empty() {
            out.push_str(",\"error_chain\":[");
            for (i, cause) in e.chain().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                escape_into(out, cause);
                out.push('"');
            }
            out.push(']');
        }
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
