//! Reading a journal back into the nested JSON, even the journal of a run that crashed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde_json::value::RawValue;
use serde_json::Value;

use super::journal::JOURNAL_FORMAT;
use super::tree::{self, RunInfo};
use crate::clock::{self, Anchor};
use crate::record::{ErrorText, Kind, LogLine, Name, Payload, Record, Status, Usage};
use crate::util::{create_private, WriteBehind};
use crate::{Error, Level};

mod fast;
mod line;
mod stream;
#[cfg(test)]
mod tests;

use line::Line;
pub(crate) use stream::{write_finished, Failed};

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

fn tick(ns: i128) -> u64 {
    clock::journal_tick(ns)
}

/// A start time from a header, if it is one a run can have (a century either way from it is
/// still a four-digit year).
fn start_time(text: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (1000..9000).contains(&t.year()).then_some(t)
}

/// Rebuilds the nested JSON of a run from its journal, as [`recover`] does, and writes it to
/// `out` (indented, through a temp file beside it and a rename, mode 0600), without a
/// `serde_json::Value`: see [`recover_to_writer`], which this calls, for how and at what cost.
/// For journals too big for `recover`'s `Value` (a command-line tool, a service that rebuilds
/// logs after a crash).
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
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = out.with_file_name(format!(".{}.tmp", name.unwrap_or_default()));
    let file = create_private(&tmp, true).map_err(|e| Error::io("create", &tmp, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, WriteBehind::new(file));
    let written = stream::write(journal, &mut w).and_then(|()| {
        let synced = w.flush().and_then(|()| {
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.into_file().sync_all()
        });
        synced.map_err(|e| Error::io("write", &tmp, e))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(match e {
            Error::Output { source } => Error::io("write", &tmp, source),
            e => e,
        });
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io("rename the temp file to", out, e))
}

/// Rebuilds the nested JSON of a run from its journal, as [`recover`] does, and writes it to
/// `out`, indented as [`WorkflowGuard::finish`](crate::WorkflowGuard::finish) writes it.
///
/// Made for journals of any size: it reads the journal twice and keeps neither its records
/// nor a `serde_json::Value` in memory. The first pass keeps 24 bytes per record line (32 if
/// an id needs more than 32 bits: ids, start time, kind and where the line is), from which
/// the tree is assembled; the second writes the document depth first, reading each record's
/// line back from the file as it is reached. Memory is that index, a few MiB of buffers and
/// the longest line, and the nesting depth costs heap, not stack. Each payload is written as
/// the journal holds it, so a payload deeper than serde_json's parser allows is written whole.
///
/// A journal still being written can be read: lines appended after the first pass are left
/// out. An `Err` is a journal that can't be read (or got shorter between the passes), or
/// [`Error::Output`] when `out` fails; what was written to `out` by then is not a document.
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
/// let mut text = Vec::new();
/// workflow_log::recover_to_writer(&journal, &mut text)?;
/// let doc: serde_json::Value = serde_json::from_slice(&text)?;
/// assert_eq!(doc["actions"][0]["action_name"], "step");
/// assert_eq!(doc, workflow_log::recover(&journal)?);
/// # drop(log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recover_to_writer<W: Write>(journal: &Path, out: W) -> Result<(), Error> {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    stream::write(journal, &mut w)?;
    w.flush().map_err(|source| Error::Output { source })
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
        let Some(line) = fast::parse(line) else {
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
        if let Some(rec) = record(&line, thread, None) {
            self.run.saw(rec.start, rec.end);
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
    fn saw(&mut self, start: u64, end: u64) {
        self.last_tick = self.last_tick.max(end).max(start);
    }

    /// The run's fields, once every line was read.
    fn info<'a>(&self, workflow: &'a str, run_id: &'a str) -> RunInfo<'a> {
        // A journal without a (readable) header: the document still needs a run id.
        let run_id = if run_id.is_empty() { "unknown" } else { run_id };
        let anchor = Anchor::journal(self.wall.unwrap_or(DateTime::UNIX_EPOCH));
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

/// What both passes over a journal need of a record line: the fields that decide whether it
/// is one, where it goes and when it ran.
struct Head {
    kind: Kind,
    status: Status,
    id: u64,
    parent: u64,
    start: u64,
    end: u64,
}

/// The head of a record line, or `None` if the line is not a record.
fn head(line: &Line<'_>) -> Option<Head> {
    let kind = Kind::parse(line.kind.str()?)?;
    let status = Status::parse(line.status.str()?)?;
    let name = line.name.str()?;
    let start = tick(line.start_ns.i64()?.into());
    // Only a logger's line (`event_type: "log"`) has a level, a logger and a message; a level
    // that is none makes the line no record.
    if let (Kind::Event, "log", Some(level), Some(_)) =
        (kind, name, line.level.str(), line.logger.str())
    {
        level.parse::<Level>().ok()?;
    }
    Some(Head {
        kind,
        status,
        id: line.id.u64()?,
        parent: line.parent.u64().unwrap_or(0),
        start,
        end: tick(line.end_ns.i64().unwrap_or(0).into()).max(start),
    })
}

/// One record line, or `None` if it isn't one. The name of `last` (the record read before)
/// is taken when it is the same, instead of a copy of its own.
fn record(line: &Line<'_>, thread: u32, last: Option<Record>) -> Option<Record> {
    let head = head(line)?;
    let kind = head.kind;
    let name = line.name.str()?;
    let mut rec = Record::new(kind, Cow::Borrowed(""));
    rec.name = match last {
        Some(mut last) if last.name.as_str() == name => {
            std::mem::replace(&mut last.name, Name::new(Cow::Borrowed("")))
        }
        _ => Name::new(name.to_owned().into()),
    };
    rec.id = head.id;
    rec.parent = head.parent;
    rec.status = head.status;
    rec.thread = thread;
    rec.number = line.number.u64().unwrap_or(0);
    rec.start = head.start;
    rec.end = head.end;
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
