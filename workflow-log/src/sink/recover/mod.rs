//! Reading a journal back into the nested JSON, even the journal of a run that crashed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde_json::value::RawValue;
use serde_json::Value;

use super::journal::JOURNAL_FORMAT;
use super::tree::{self, RunInfo};
use crate::clock::Anchor;
use crate::record::{ErrorText, Kind, LogLine, Name, Payload, Record, Status, Usage};
use crate::util::create_private;
use crate::{Error, Level};

mod line;

use line::Line;

/// Rebuilds the nested JSON of a run from its journal (`<stem>.jsonl`), with the same tree
/// assembly as [`WorkflowGuard::finish`](crate::WorkflowGuard::finish).
///
/// Records that were still open when the process died are `incomplete` (with `end_time` and
/// `duration_us` null); so is the workflow if the journal has no end line. A torn last line, or
/// any line that is not a journal line, is skipped: whatever bytes the file holds, this returns a
/// document and never panics. Only a file that can't be read is an `Err`.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let log = workflow_log::Workflow::builder("crashy").logs_dir(dir.path()).start()?;
/// let journal = log.journal_path().unwrap();
/// {
///     let _entered = log.enter();
///     let _it = workflow_log::iteration().start();
///     workflow_log::action("step").log();
///     workflow_log::flush()?;
///     std::mem::forget(_it); // as if the process died here
/// }
/// let recovered = workflow_log::recover(&journal)?;
/// assert_eq!(recovered["iterations"][0]["status"], "incomplete");
/// assert_eq!(recovered["iterations"][0]["actions"][0]["action_name"], "step");
/// # drop(log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recover(journal: &Path) -> Result<Value, Error> {
    let bytes = std::fs::read(journal).map_err(|e| Error::io("read the journal", journal, e))?;
    Ok(from_bytes(&bytes))
}

/// Ticks are nanoseconds from the journal's start, shifted so that earlier ones stay positive.
/// The shift is whole microseconds, like a live workflow's anchor, so that durations come out
/// as they do in the nested file.
const ZERO: i128 = (1 << 62) / 1000 * 1000;

/// No run lasts a century: offsets beyond it are corrupt, and are clamped to it so that every
/// time written stays within four-digit years.
const MAX_OFFSET_NS: i128 = 100 * 366 * 86_400 * 1_000_000_000;

fn tick(ns: i128) -> u64 {
    (ZERO + ns.clamp(-MAX_OFFSET_NS, MAX_OFFSET_NS)) as u64
}

/// A start time from a header, if it is one a run can have (a century either way from it is
/// still a four-digit year).
fn start_time(text: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (1000..9000).contains(&t.year()).then_some(t)
}

/// Rebuilds the nested JSON of a run from its journal, as [`recover`] does, and writes it to
/// `out` (indented, through a temp file beside it and a rename, mode 0600), without a
/// `serde_json::Value`: the journal is read a line at a time, each payload stays its JSON text
/// and the document is written as it is walked. For journals too big for `recover`'s `Value`
/// (a command-line tool, a service that rebuilds logs after a crash).
///
/// Memory is about that of the records themselves (their payloads' text and one small struct
/// each), not of a parsed document.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let log = workflow_log::Workflow::builder("crashy").logs_dir(dir.path()).start()?;
/// let journal = log.journal_path().unwrap();
/// {
///     let _entered = log.enter();
///     workflow_log::action("step").log();
///     workflow_log::flush()?;
/// }
/// let out = dir.path().join("recovered.json");
/// workflow_log::recover_to_file(&journal, &out)?;
/// let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out)?)?;
/// assert_eq!(doc, workflow_log::recover(&journal)?);
/// # drop(log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recover_to_file(journal: &Path, out: &Path) -> Result<(), Error> {
    let file = File::open(journal).map_err(|e| Error::io("read the journal", journal, e))?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut reader = Reader::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => reader.line(&line),
            Err(e) => return Err(Error::io("read the journal", journal, e)),
        }
    }
    let Reader {
        run,
        names,
        records,
        ..
    } = reader;
    let info = run.info(&run.workflow, &run.run_id);
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = out.with_file_name(format!(".{}.tmp", name.unwrap_or_default()));
    let write = || -> std::io::Result<()> {
        let file = create_private(&tmp, true)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        tree::write(&info, records, names, true, &mut w)?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io("rename the temp file to", out, e))
}

/// The nested JSON of a journal's bytes.
pub(crate) fn from_bytes(bytes: &[u8]) -> Value {
    let mut reader = Reader::default();
    for line in bytes.split(|b| *b == b'\n') {
        reader.line(line);
    }
    let Reader {
        run,
        names,
        records,
        ..
    } = reader;
    tree::to_value(&run.info(&run.workflow, &run.run_id), records, names)
}

/// A journal read a line at a time into its run, records and thread names.
#[derive(Default)]
struct Reader {
    run: Run,
    names: Vec<Arc<str>>,
    name_index: HashMap<String, u32>,
    records: Vec<Record>,
}

impl Reader {
    fn line(&mut self, line: &[u8]) {
        let Some(line) = line::parse(line) else {
            return;
        };
        if self.run.read(&line) {
            return;
        }
        let thread = line.thread.str().unwrap_or("?");
        let thread = match self.name_index.get(thread) {
            Some(&i) => i,
            None => {
                self.names.push(thread.into());
                let i = (self.names.len() - 1) as u32;
                self.name_index.insert(thread.to_owned(), i);
                i
            }
        };
        if let Some(rec) = record(&line, thread) {
            self.run.saw(&rec);
            self.records.push(rec);
        }
    }
}

/// What a journal says about its run as a whole: its header, its end line, the last tick seen.
struct Run {
    workflow: String,
    run_id: String,
    wall: Option<DateTime<Utc>>,
    end: Option<(Status, u64)>,
    last_tick: u64,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            workflow: "unknown".to_owned(),
            run_id: String::new(),
            wall: None,
            end: None,
            last_tick: tick(0),
        }
    }
}

impl Run {
    /// Takes in a header or end line (and returns `true`), or returns `false` for any other.
    fn read(&mut self, line: &Line<'_>) -> bool {
        if line.journal.str() == Some(JOURNAL_FORMAT) {
            self.workflow = line.workflow.str().unwrap_or("unknown").to_owned();
            self.run_id = line.run_id.str().unwrap_or_default().to_owned();
            self.wall = line.start_time.str().and_then(start_time);
            return true;
        }
        if let Some(status) = line.end.str().and_then(Status::parse) {
            let at = line.end_ns.i64().unwrap_or(0);
            self.end = Some((status, tick(at.into())));
            return true;
        }
        false
    }

    /// Notes the times of a record (a run without an end line ends at the last one).
    fn saw(&mut self, rec: &Record) {
        self.last_tick = self.last_tick.max(rec.end).max(rec.start);
    }

    /// The run's fields, once every line was read.
    fn info<'a>(&self, workflow: &'a str, run_id: &'a str) -> RunInfo<'a> {
        // A journal without a (readable) header: the document still needs a run id.
        let run_id = if run_id.is_empty() { "unknown" } else { run_id };
        let anchor = Anchor::from_parts(self.wall.unwrap_or(DateTime::UNIX_EPOCH), tick(0));
        let (status, end) = self.end.unwrap_or((Status::Incomplete, self.last_tick));
        RunInfo {
            workflow,
            run_id,
            anchor,
            end,
            status,
        }
    }
}

fn payload(raw: Option<&RawValue>) -> Option<Payload> {
    raw.map(|raw| Payload::from_json_unchecked(raw.get().to_owned()))
}

/// One record line, or `None` if it isn't one.
fn record(line: &Line<'_>, thread: u32) -> Option<Record> {
    let kind = Kind::parse(line.kind.str()?)?;
    let status = Status::parse(line.status.str()?)?;
    let mut rec = Record::new(kind, line.name.str()?.to_owned().into());
    rec.id = line.id.u64()?;
    rec.parent = line.parent.u64().unwrap_or(0);
    rec.status = status;
    rec.thread = thread;
    rec.number = line.number.u64().unwrap_or(0);
    rec.start = tick(line.start_ns.i64()?.into());
    rec.end = tick(line.end_ns.i64().unwrap_or(0).into()).max(rec.start);
    rec.input = payload(line.input);
    rec.output = payload(line.output);
    rec.error = line.error.str().map(|text| {
        let chain = line.error_chain.clone().unwrap_or_default();
        ErrorText::with_chain(text.to_owned(), chain)
    });
    for (k, v) in &line.metadata.0 {
        rec.set_metadata(
            k.to_string().into(),
            Payload::from_json_unchecked(v.get().to_owned()),
        );
    }
    // Only a logger's line (`event_type: "log"`) has a level, a logger and a message.
    let log_line = kind == Kind::Event && rec.name == "log";
    if let (true, Some(level), Some(logger)) = (log_line, line.level.str(), line.logger.str()) {
        rec.set_log(LogLine {
            level: level.parse::<Level>().ok()?,
            logger: logger.into(),
            message: line.message.str().unwrap_or_default().into(),
        });
    }
    if kind == Kind::Action {
        let usage = line
            .usage
            .and_then(|raw| serde_json::from_str::<Usage>(raw.get()).ok());
        let model = line.model.str();
        if usage.is_some() || model.is_some() {
            let llm = rec.llm_mut();
            llm.model = model.map(|m| Name::new(m.to_owned().into()));
            llm.usage = usage.unwrap_or_default();
        }
    }
    Some(rec)
}
