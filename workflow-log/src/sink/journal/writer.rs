//! The journal's writer thread, and the encoding of one record as one line.

use std::fmt::Write as _;
use std::fs::File;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::file::{LineFile, Lost};
use super::{Durability, Msg, Notices, Report, Written, POLL};
use crate::capture::escape_into;
use crate::clock::Anchor;
use crate::record::{thread_names, Record, Usage};
use crate::sink::collector::{Collector, BATCH};
use crate::sink::tree::{NewEntry, Placer, IN_MEMORY};
use crate::util::lock;

pub(super) struct Writer {
    pub(super) notices: Arc<Notices>,
    /// The notice queue's storage between two looks, swapped in for the one taken: opening
    /// an iteration or interaction then seldom allocates.
    pub(super) spare_notices: Vec<Record>,
    pub(super) out: LineFile,
    /// The journal opened for reading, if `finish` can read records back from it (`None`: a
    /// pipe or a device).
    pub(super) readback: Option<File>,
    /// Whether records written are left as entries (the record dropped): while `readback` is
    /// there and no write failed. Else every record goes on to the collector.
    pub(super) leave: bool,
    /// The entries of the record lines written.
    pub(super) entries: Placer,
    /// Records whose lines wait to be written, and where each line starts.
    pub(super) pending: Vec<(u64, Record)>,
    /// Records to hand on to the collector.
    pub(super) keep: Vec<Record>,
    pub(super) durability: Durability,
    pub(super) anchor: Anchor,
    /// The thread names, escaped for a JSON string.
    pub(super) names: Vec<Box<str>>,
    pub(super) line: String,
    pub(super) report: Report,
    pub(super) collector: Arc<Collector>,
}

impl Writer {
    /// Writes until the journal ends; returns what `finish` reads the records back from, if it
    /// can.
    pub(super) fn run(mut self, rx: Receiver<Msg>) -> Option<Written> {
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
                    self.write_notices(false);
                    self.write_out();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.write_notices(true);
                    self.write_out();
                    return None;
                }
            };
            match msg {
                Msg::Batch(batch) => {
                    let mut batch = batch.take();
                    // Open notices first: a record's children may be in this batch.
                    self.write_notices(false);
                    self.write_batch(&mut batch);
                    self.collector.recycle(batch);
                    // Batches already waiting go out in the same write: one system call for a
                    // burst of small hand-overs, each still written as soon as it is read.
                    if let Ok(msg) = rx.try_recv() {
                        next = Some(msg);
                        continue;
                    }
                    if self.durability != Durability::None {
                        self.write_out();
                    }
                }
                Msg::Flush(done) => {
                    self.write_notices(false);
                    self.sync();
                    let _ = done.send(self.report.clone());
                }
                Msg::Finish { status, end, done } => {
                    // After the end line, `Journal::notice` gives notices back.
                    self.write_notices(true);
                    self.sync();
                    let mut line = String::new();
                    let _ = writeln!(
                        line,
                        "{{\"end\":\"{}\",\"end_ns\":{}}}",
                        status.as_str(),
                        self.anchor.ns(end)
                    );
                    // After `sync` nothing else waits: the end line is the last of any lines
                    // lost now, and it is no record.
                    let written = self
                        .out
                        .push(line.as_bytes())
                        .and_then(|()| self.out.flush());
                    self.count(written.map_err(|mut lost| {
                        lost.lines = lost.lines.saturating_sub(1);
                        lost
                    }));
                    self.sync();
                    let _ = done.send(self.report.clone());
                    // Batches that raced the end reach the collector as the queue goes (see
                    // `Batch`), and so does any sent after this: `submit` then fails.
                    drop(rx);
                    let len = self.out.len();
                    return self.readback.take().map(|file| Written {
                        file,
                        len,
                        entries: std::mem::take(&mut self.entries).into_entries(),
                    });
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

    /// Writes the open notices handed over since the last look, as
    /// [`write_batch`](Self::write_batch) does; `close`: none are taken after this.
    fn write_notices(&mut self, close: bool) {
        let mut notices = std::mem::take(&mut self.spare_notices);
        {
            let mut queue = lock(&self.notices.queue);
            queue.1 |= close;
            std::mem::swap(&mut queue.0, &mut notices);
        }
        if let (false, Some(watch)) = (close, self.notices.watch.get()) {
            watch(&mut notices);
        }
        if !notices.is_empty() {
            self.write_batch(&mut notices);
        }
        if notices.capacity() <= BATCH {
            self.spare_notices = notices;
        }
    }

    /// Writes a line for each record of `batch` (emptying it): a record whose line is written
    /// leaves only its entry behind, if `finish` can read it back, and else goes on to the
    /// collector.
    fn write_batch(&mut self, batch: &mut Vec<Record>) {
        for rec in batch.drain(..) {
            if rec.thread as usize >= self.names.len() {
                // Escaped once here, not in every line; names are only ever added.
                let known = self.names.len();
                self.names
                    .extend(thread_names().iter().skip(known).map(|name| {
                        let mut escaped = String::with_capacity(name.len());
                        escape_into(&mut escaped, name);
                        escaped.into_boxed_str()
                    }));
            }
            self.line.clear();
            encode(&rec, &self.anchor, &self.names, &mut self.line);
            if self.leave {
                self.pending.push((self.out.next_offset(), rec));
                let pushed = self.out.push(self.line.as_bytes());
                self.settle(pushed);
            } else {
                let pushed = self.out.push(self.line.as_bytes());
                self.count(pushed);
                self.keep.push(rec);
            }
        }
        self.collector.deliver(&mut self.keep);
    }

    /// After lines were pushed or written: the records whose lines are in the file are left
    /// as entries. Once a write failed, the records of the lines it lost, and every record
    /// after them, go to the collector: the nested file still gets them.
    fn settle(&mut self, result: Result<(), Lost>) {
        match result {
            Ok(()) if self.out.pending() => {}
            Ok(()) => self.leave_entries(self.pending.len()),
            Err(lost) => {
                let written = self.pending.len().saturating_sub(lost.lines as usize);
                self.leave_entries(written);
                self.keep.extend(self.pending.drain(..).map(|(_, rec)| rec));
                // Offsets past a failed write can't be trusted (a line may have been torn).
                self.leave = false;
                self.count(Err(lost));
            }
        }
    }

    /// Keeps the entries of the first `n` pending records (written), and drops the records.
    fn leave_entries(&mut self, n: usize) {
        for (at, rec) in self.pending.drain(..n) {
            let entry = NewEntry {
                id: rec.id,
                parent: rec.parent,
                kind: rec.kind,
                status: rec.status,
                start: self.anchor.journal_tick_of(rec.start),
                location: at,
            };
            if at >= IN_MEMORY || self.entries.place(&entry).is_none() {
                // Past what an index holds: kept whole instead.
                self.keep.push(rec);
            }
        }
    }

    /// Writes the lines gathered so far.
    fn write_out(&mut self) {
        let written = self.out.flush();
        self.settle(written);
        self.collector.deliver(&mut self.keep);
    }

    fn sync(&mut self) {
        self.write_out();
        if self.durability == Durability::Fsync {
            if let Err(e) = self.out.sync_data() {
                self.report.error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    /// Counts the lines a write lost, and keeps the first error.
    fn count(&mut self, result: Result<(), Lost>) {
        if let Err(lost) = result {
            self.report.lost += lost.lines;
            self.report
                .error
                .get_or_insert_with(|| lost.error.to_string());
        }
    }
}

/// One record as a journal line (with the trailing newline).
/// `names` are the thread names, escaped for a JSON string.
pub(crate) fn encode(rec: &Record, anchor: &Anchor, names: &[Box<str>], out: &mut String) {
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
    out.push_str(names.get(rec.thread as usize).map_or("?", |n| n));
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
    if let Some(llm) = rec.llm() {
        if let Some(model) = &llm.model {
            out.push_str(",\"model\":\"");
            escape_into(out, model);
            out.push('"');
        }
        out.push_str(",\"usage\":");
        push_usage(out, &llm.usage);
    }
    if let Some(log) = rec.log() {
        let _ = write!(out, ",\"level\":\"{}\",\"logger\":\"", log.level.as_str());
        escape_into(out, &log.logger);
        out.push_str("\",\"message\":\"");
        escape_into(out, &log.message);
        out.push('"');
    }
    out.push_str("}\n");
}

/// Appends `usage` as its JSON object (zero counts and an unknown cost left out, with
/// `total_tokens`), as `Usage`'s `Serialize` writes it, without serde: this is on the writer
/// thread's path for every LLM call.
fn push_usage(out: &mut String, usage: &Usage) {
    out.push('{');
    let mut first = true;
    for (key, count) in [
        ("input_tokens", usage.input_tokens),
        ("output_tokens", usage.output_tokens),
        ("cache_read_tokens", usage.cache_read_tokens),
        ("cache_write_tokens", usage.cache_write_tokens),
        ("reasoning_tokens", usage.reasoning_tokens),
        ("total_tokens", usage.total_tokens()),
    ] {
        if count != 0 {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            push_int(out, count);
        }
    }
    // Only a cost that is finite and not negative is known (as `Usage`'s `Serialize` says; the
    // field is public, so any `f64` may be here): the shortest digits that read back as it.
    if let Some(cost) = usage.cost_usd.filter(|c| c.is_finite() && *c >= 0.0) {
        if !first {
            out.push(',');
        }
        out.push_str("\"cost_usd\":");
        out.push_str(zmij::Buffer::new().format_finite(cost));
    }
    out.push('}');
}

/// Appends `n` in decimal.
fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The journal's usage reads back as the same `Usage`, and as the same JSON `Usage`'s
    /// `Serialize` writes (what `recover` and the nested file rely on).
    #[test]
    fn usage_is_written_as_serde_writes_it() {
        let cases = [
            Usage::default(),
            Usage::tokens(120, 30),
            Usage::tokens(0, 7),
            Usage::tokens(u64::MAX, u64::MAX)
                .cache_read(3)
                .cache_write(4)
                .reasoning(5),
            Usage::tokens(1, 2).cost_usd(0.0006),
            Usage::tokens(1, 2).cost_usd(0.1 + 0.2),
            Usage::default().cost_usd(1e-9),
            Usage::default().cost_usd(2.5e17),
            Usage::default().cost_usd(0.0),
            Usage::default().cost_usd(f64::NAN),
            // Set directly (the fields are public): unknown, as `Serialize` has it.
            Usage {
                cost_usd: Some(-1.0),
                ..Usage::tokens(1, 2)
            },
            Usage {
                cost_usd: Some(f64::INFINITY),
                ..Usage::default()
            },
        ];
        for usage in cases {
            let mut ours = String::new();
            push_usage(&mut ours, &usage);
            let ours: serde_json::Value = serde_json::from_str(&ours).expect(&ours);
            assert_eq!(ours, serde_json::to_value(usage).unwrap(), "{usage:?}");
            let known = Usage {
                cost_usd: usage.cost_usd.filter(|c| c.is_finite() && *c >= 0.0),
                ..usage
            };
            assert_eq!(serde_json::from_value::<Usage>(ours).unwrap(), known);
        }
    }
}
