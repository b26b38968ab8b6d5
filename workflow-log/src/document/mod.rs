//! Reading a run back: the nested format as typed structs, and a walk over its records.
//!
//! [`Run::from_path`] reads a run's nested JSON file, or its `.jsonl` journal (through
//! [`recover`](crate::recover), so a crashed run reads too, its open records
//! [`Status::Incomplete`]). Fields this version doesn't know are ignored, so files written by
//! newer versions still read. [`Run::walk`] visits every record depth first, with the path to
//! it.
//!
//! A run reads whatever its depth: records nested thousands deep (a deeply recursive agent) are
//! read, walked and dropped without recursion, on a thread's default 2 MiB stack. A payload
//! nested deeper than serde_json's parser allows (captured with a `max_depth` above 127) reads
//! as its JSON text, a string, as [`capture`](crate::capture()) and [`recover`](crate::recover)
//! give it, so that a run reads the same from its nested file and from its journal.
//!
//! # Examples
//!
//! Load a run and print its failures:
//!
//! ```
//! use workflow_log::document::Run;
//!
//! # let dir = tempfile::tempdir()?;
//! let log = workflow_log::Workflow::builder("ci_fixer").logs_dir(dir.path()).start()?;
//! {
//!     let _entered = log.enter();
//!     let _it = workflow_log::iteration().start();
//!     let _executor = workflow_log::interaction("executor").start();
//!     let mut tests = workflow_log::action("run_tests").start();
//!     tests.error("1 of 12 tests failed");
//! }
//! let path = log.finish()?;
//!
//! let run = Run::from_path(&path)?;
//! for failure in run.failures() {
//!     println!(
//!         "{}: {} {}",
//!         failure.path(),
//!         failure.record.status().unwrap(),
//!         failure.record.error().unwrap_or("")
//!     );
//! }
//! let first = run.failures().next().unwrap();
//! assert_eq!(first.path().to_string(), "iteration 1 › executor › run_tests");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod deep;
mod model;
mod walk;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

pub use crate::Usage;
pub use model::{Action, Event, Interaction, Iteration, Run, Status};
pub use walk::{Kind, Record, RecordPath, Step, Walk};

use crate::Error;

/// The `schema` of the documents this version writes; a document whose `schema` starts with
/// `workflow-log/` reads, whatever its version.
const SCHEMA_PREFIX: &str = "workflow-log/";

impl Run {
    /// Reads a run from a nested JSON file, or from a `.jsonl` journal (recovered: the records
    /// that were open when the process died are `incomplete`).
    ///
    /// The error names the file and what is wrong with it: it can't be read, it is not JSON,
    /// it is cut short, or it is not a workflow-log run.
    pub fn from_path(path: &Path) -> Result<Run, Error> {
        if path.extension().is_some_and(|ext| ext == "jsonl") {
            return Run::from_journal(path);
        }
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            action: "read",
            path: path.to_owned(),
            source: e,
        })?;
        Run::from_json_slice(&bytes).map_err(|e| e.at(path))
    }

    /// Reads a run from a journal (`<stem>.jsonl`), even one cut short by a crash.
    pub fn from_journal(path: &Path) -> Result<Run, Error> {
        Run::from_value(read_journal(path)?).map_err(|e| e.at(path))
    }

    /// Reads a run from the bytes of a nested JSON document, however deeply its records nest.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Run, Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(document_error("the file is empty"));
        }
        let e = match serde_json::from_slice::<Run>(bytes) {
            Ok(run) => return check_schema(run),
            Err(e) => e,
        };
        // The text is checked to be JSON without recursion: serde_json skips a value with an
        // explicit stack, whatever its depth.
        if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return Err(match syntax.classify() {
                serde_json::error::Category::Eof => document_error(format!(
                    "the JSON is cut short (it ends inside a value, at line {} column {})",
                    syntax.line(),
                    syntax.column()
                )),
                _ => document_error(format!("not JSON: {syntax}")),
            });
        }
        let e = match e.classify() {
            // JSON that the parser gave up on: nested deeper than its recursion allows.
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                let read = std::str::from_utf8(bytes)
                    .map_err(serde::de::Error::custom)
                    .and_then(deep::run_from_text);
                match read {
                    Ok(run) => return check_schema(run),
                    Err(e) => e,
                }
            }
            _ => e,
        };
        Err(not_a_run(schema_in(bytes).as_deref(), &e))
    }

    /// Reads a run from a nested JSON value, as [`capture`](crate::capture()) and
    /// [`recover`](crate::recover) return it, however deeply its records nest.
    pub fn from_value(value: Value) -> Result<Run, Error> {
        let schema = value
            .get("schema")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let read = if deep::depth_of_value(&value) > SHALLOW {
            deep::run_from_value(value)
        } else {
            Run::deserialize_value(&value)
        };
        match read {
            Ok(run) => check_schema(run),
            Err(e) => Err(not_a_run(schema.as_deref(), &e)),
        }
    }

    fn deserialize_value(value: &Value) -> Result<Run, serde_json::Error> {
        serde::Deserialize::deserialize(value)
    }
}

/// A value nested up to this deep is read by the derived readers in one piece (they recurse
/// once a level, as serde_json's parser, which allows this much).
const SHALLOW: usize = 127;

/// The `schema` of a document, when it is an object with a string there (its other fields are
/// skipped, without recursion).
fn schema_in(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        schema: Option<Box<serde_json::value::RawValue>>,
    }
    let head: Head = serde_json::from_slice(bytes).ok()?;
    serde_json::from_str(head.schema?.get()).ok()
}

/// The nested JSON of a journal, as [`recover`](crate::recover) rebuilds it, once the file's
/// first line shows it is a workflow-log journal: the error names the file and says why not.
pub fn read_journal(path: &Path) -> Result<Value, Error> {
    check_journal(path)?;
    crate::recover(path)
}

/// Whether the file at `path` is a workflow-log journal: `Ok` when its first line is a
/// journal header, else an error that names the file and says why not (it can't be read, is
/// empty, or is something else). Reads the first line only.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let log = workflow_log::Workflow::builder("checked").logs_dir(dir.path()).start()?;
/// workflow_log::document::check_journal(&log.journal_path().unwrap())?;
/// let notes = dir.path().join("notes.jsonl");
/// std::fs::write(&notes, "{\"msg\": \"hi\"}\n")?;
/// let err = workflow_log::document::check_journal(&notes).unwrap_err();
/// assert!(err.to_string().contains("not a workflow-log journal"));
/// # drop(log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_journal(path: &Path) -> Result<(), Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::Io {
        action: "read",
        path: path.to_owned(),
        source: e,
    })?;
    let mut first = Vec::new();
    // The header is the first line, and a short one: a bounded read will do.
    let read = BufReader::new(file)
        .take(1 << 20)
        .read_until(b'\n', &mut first);
    if let Err(e) = read {
        return Err(Error::Io {
            action: "read",
            path: path.to_owned(),
            source: e,
        });
    }
    let header: Option<Value> = serde_json::from_slice(&first).ok();
    let is_journal = header
        .as_ref()
        .and_then(|h| h.get("journal"))
        .and_then(Value::as_str)
        .is_some_and(|format| format.starts_with(SCHEMA_PREFIX));
    if !is_journal {
        let reason = if first.iter().all(u8::is_ascii_whitespace) {
            "the file is empty"
        } else {
            "not a workflow-log journal (its first line is not a journal header)"
        };
        return Err(Error::Document {
            path: Some(path.to_owned()),
            reason: reason.to_owned(),
        });
    }
    Ok(())
}

fn document_error(reason: impl Into<String>) -> Error {
    Error::Document {
        path: None,
        reason: reason.into(),
    }
}

fn check_schema(run: Run) -> Result<Run, Error> {
    if run.schema.starts_with(SCHEMA_PREFIX) {
        Ok(run)
    } else {
        Err(other_schema(&run.schema))
    }
}

fn other_schema(schema: &str) -> Error {
    document_error(format!(
        "not a workflow-log run: its schema is `{schema}`, not `{}1`",
        SCHEMA_PREFIX
    ))
}

/// The error for a JSON document that did not read as a run: another schema, or a field at
/// fault (`schema`: the document's, when it has a string there).
fn not_a_run(schema: Option<&str>, e: &serde_json::Error) -> Error {
    match schema {
        Some(schema) if !schema.starts_with(SCHEMA_PREFIX) => other_schema(schema),
        Some(_) => document_error(format!("not a valid workflow-log run: {e}")),
        None => document_error(format!(
            "not a workflow-log run (it has no `schema` field): {e}"
        )),
    }
}

impl Error {
    /// The same error, naming `path` as the file at fault.
    fn at(self, path: &Path) -> Error {
        match self {
            Error::Document { path: None, reason } => Error::Document {
                path: Some(path.to_owned()),
                reason,
            },
            other => other,
        }
    }
}

/// Microseconds since the Unix epoch of an RFC 3339 time as the format writes them, or `None`
/// when `text` is not one.
///
/// ```
/// use workflow_log::document::timestamp_us;
/// assert_eq!(timestamp_us("1970-01-01T00:00:01.000002Z"), Some(1_000_002));
/// assert_eq!(timestamp_us("yesterday"), None);
/// ```
pub fn timestamp_us(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

#[cfg(test)]
mod tests;
