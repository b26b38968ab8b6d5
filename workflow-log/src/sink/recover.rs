//! Reading a journal back into the nested JSON, even the journal of a run that crashed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value};

use super::journal::JOURNAL_FORMAT;
use super::tree::{self, RunInfo};
use crate::clock::Anchor;
use crate::record::{ErrorText, Kind, LogLine, Payload, Record, Status};
use crate::{Error, Level};

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

/// The nested JSON of a journal's bytes.
pub(crate) fn from_bytes(bytes: &[u8]) -> Value {
    let mut workflow = String::from("unknown");
    let mut run_id = String::new();
    let mut wall: Option<DateTime<Utc>> = None;
    let mut end: Option<(Status, u64)> = None;
    let mut names: Vec<Arc<str>> = Vec::new();
    let mut name_index: HashMap<String, u32> = HashMap::new();
    let mut records = Vec::new();
    let mut last_tick = tick(0);

    for line in bytes.split(|b| *b == b'\n') {
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if obj.get("journal").and_then(Value::as_str) == Some(JOURNAL_FORMAT) {
            workflow = str_field(&obj, "workflow").unwrap_or("unknown").to_owned();
            run_id = str_field(&obj, "run_id").unwrap_or_default().to_owned();
            wall = str_field(&obj, "start_time").and_then(start_time);
            continue;
        }
        if let Some(status) = str_field(&obj, "end").and_then(Status::parse) {
            let at = obj.get("end_ns").and_then(Value::as_i64).unwrap_or(0);
            end = Some((status, tick(at.into())));
            continue;
        }
        let thread = str_field(&obj, "thread").unwrap_or("?");
        let thread = *name_index.entry(thread.to_owned()).or_insert_with(|| {
            names.push(thread.into());
            (names.len() - 1) as u32
        });
        if let Some(rec) = record(&obj, thread) {
            last_tick = last_tick.max(rec.end).max(rec.start);
            records.push(rec);
        }
    }

    if run_id.is_empty() {
        // A journal without a (readable) header: the document still needs a run id.
        run_id.push_str("unknown");
    }
    let anchor = Anchor::from_parts(wall.unwrap_or(DateTime::UNIX_EPOCH), tick(0));
    let (status, end_tick) = end.unwrap_or((Status::Incomplete, last_tick));
    let info = RunInfo {
        workflow: &workflow,
        run_id: &run_id,
        anchor,
        end: end_tick,
        status,
    };
    tree::to_value(&info, records, names)
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn payload(obj: &Map<String, Value>, key: &str) -> Option<Payload> {
    obj.get(key)
        .and_then(|v| serde_json::to_string(v).ok())
        .map(Payload::from_json_unchecked)
}

/// One record line, or `None` if it isn't one.
fn record(obj: &Map<String, Value>, thread: u32) -> Option<Record> {
    let kind = Kind::parse(str_field(obj, "kind")?)?;
    let status = Status::parse(str_field(obj, "status")?)?;
    let mut rec = Record::new(kind, str_field(obj, "name")?.to_owned().into());
    rec.id = obj.get("id")?.as_u64()?;
    rec.parent = obj.get("parent").and_then(Value::as_u64).unwrap_or(0);
    rec.status = status;
    rec.thread = thread;
    rec.number = obj.get("number").and_then(Value::as_u64).unwrap_or(0);
    rec.start = tick(obj.get("start_ns")?.as_i64()?.into());
    rec.end = tick(
        obj.get("end_ns")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .into(),
    )
    .max(rec.start);
    rec.input = payload(obj, "input");
    rec.output = payload(obj, "output");
    rec.error = str_field(obj, "error").map(|text| {
        let chain = match obj.get("error_chain") {
            Some(Value::Array(causes)) => causes
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        ErrorText::with_chain(text.to_owned(), chain)
    });
    if let Some(Value::Object(meta)) = obj.get("metadata") {
        for (k, v) in meta {
            if let Ok(text) = serde_json::to_string(v) {
                rec.set_metadata(k.clone().into(), Payload::from_json_unchecked(text));
            }
        }
    }
    // Only a logger's line (`event_type: "log"`) has a level, a logger and a message.
    let log_line = kind == Kind::Event && rec.name == "log";
    if let (true, Some(level), Some(logger)) =
        (log_line, str_field(obj, "level"), str_field(obj, "logger"))
    {
        rec.log = Some(Box::new(LogLine {
            level: level.parse::<Level>().ok()?,
            logger: logger.into(),
            message: str_field(obj, "message").unwrap_or_default().into(),
        }));
    }
    Some(rec)
}
