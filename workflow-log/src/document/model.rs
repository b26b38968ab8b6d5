//! The nested format as typed structs: what `finish`, `capture` and `recover` write.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Usage;

/// How a record (or the run) ended.
///
/// A status this version doesn't know, from a file of a newer version, reads as
/// [`Status::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Status {
    /// It finished normally.
    Ok,
    /// It returned an error (the record's `error` says which).
    Error,
    /// It was closed while its thread unwound from a panic.
    Panicked,
    /// A future or a stream dropped before it finished.
    Cancelled,
    /// Still open when the log was written or the process died.
    Incomplete,
    /// A status this version of the reader doesn't know.
    #[serde(other)]
    Unknown,
}

impl Status {
    /// The status as written in the file (`ok`, `error`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Panicked => "panicked",
            Status::Cancelled => "cancelled",
            Status::Incomplete => "incomplete",
            Status::Unknown => "unknown",
        }
    }

    /// Whether this is a failure: anything but `ok`.
    ///
    /// ```
    /// use workflow_log::document::Status;
    /// assert!(Status::Incomplete.is_failure());
    /// assert!(!Status::Ok.is_failure());
    /// ```
    pub const fn is_failure(self) -> bool {
        !matches!(self, Status::Ok)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run of a workflow: the root of the nested document.
///
/// Fields this version doesn't know are ignored, so files of newer versions still read.
///
/// Dropping a run drops its records one at a time (it implements `Drop`, so its fields are
/// taken with [`std::mem::take`] rather than moved out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The format's version, `workflow-log/1`.
    pub schema: String,
    /// The workflow's name.
    pub workflow: String,
    /// The run's id.
    pub run_id: String,
    /// When the workflow started (UTC, RFC 3339).
    pub start_time: String,
    /// When the workflow was written (UTC, RFC 3339).
    #[serde(default)]
    pub end_time: Option<String>,
    /// How the run ended.
    pub status: Status,
    /// The error's message, where one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Iterations opened with nothing else open.
    #[serde(default)]
    pub iterations: Vec<Iteration>,
    /// Interactions opened with nothing else open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interactions: Vec<Interaction>,
    /// Actions taken with nothing else open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Events emitted with nothing else open.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The usage of every LLM call of the run, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_total: Option<Usage>,
    /// The usage of the run's LLM calls, per model.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub usage_by_model: BTreeMap<String, Usage>,
}

/// One turn of the workflow's loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iteration {
    /// The record's id, unique within the run.
    pub id: String,
    /// 1, 2, 3 … among its siblings, or the number given explicitly.
    pub iteration_number: u64,
    /// When it opened (UTC, RFC 3339).
    pub start_time: String,
    /// When it closed; `None` when it never did.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Microseconds from start to end; `None` when it never closed.
    #[serde(default)]
    pub duration_us: Option<u64>,
    /// How it ended.
    pub status: Status,
    /// The error's message, where one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The thread it was opened on.
    #[serde(default)]
    pub thread: String,
    /// Nested iterations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iterations: Vec<Iteration>,
    /// The agents' interactions in this iteration.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
    /// Actions taken with no interaction open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Events emitted with no interaction open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The usage of every LLM call below it, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_total: Option<Usage>,
}

/// An agent takes an input and gives a response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The record's id, unique within the run.
    pub id: String,
    /// The agent's name.
    pub agent_name: String,
    /// What the agent was given (`null` when not set).
    #[serde(default)]
    pub input: Value,
    /// The agent's response (`null` when not set).
    #[serde(default)]
    pub output: Value,
    /// When it opened (UTC, RFC 3339).
    pub start_time: String,
    /// When it closed; `None` when it never did.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Microseconds from start to end; `None` when it never closed.
    #[serde(default)]
    pub duration_us: Option<u64>,
    /// How it ended.
    pub status: Status,
    /// The error's message, where one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The thread it was opened on.
    #[serde(default)]
    pub thread: String,
    /// Iterations opened inside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iterations: Vec<Iteration>,
    /// Sub-agents' interactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interactions: Vec<Interaction>,
    /// The agent's actions.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Events and log lines emitted inside.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The usage of every LLM call below it, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_total: Option<Usage>,
}

/// An LLM call, a tool call, a retrieval: timed, or instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The record's id, unique within the run.
    pub id: String,
    /// The action's name.
    pub action_name: String,
    /// The action's input (`null` when not set).
    #[serde(default)]
    pub input_data: Value,
    /// The action's output (`null` when not set).
    #[serde(default)]
    pub output_data: Value,
    /// Extra key/value pairs.
    #[serde(default)]
    pub metadata: BTreeMap<String, Value>,
    /// When it started (UTC, RFC 3339).
    pub start_time: String,
    /// When it ended; `None` when it never did.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Microseconds from start to end; `None` when it never ended.
    #[serde(default)]
    pub duration_us: Option<u64>,
    /// How it ended.
    pub status: Status,
    /// The error's message, where one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The thread it was opened on.
    #[serde(default)]
    pub thread: String,
    /// The model an LLM call used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The tokens and cost of this LLM call itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Iterations opened inside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iterations: Vec<Iteration>,
    /// Interactions opened inside (a tool that asks another agent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interactions: Vec<Interaction>,
    /// Nested actions (a tool that calls an LLM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Events emitted inside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The usage of this action and everything below it, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_total: Option<Usage>,
}

/// An instant event, or a log line of a hierarchical logger (`event_type` `log`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it was emitted (UTC, RFC 3339).
    pub timestamp: String,
    /// The event's type as given, or `log` for a logger's line.
    pub event_type: String,
    /// A log line's level (`INFO`, `WARN`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The dotted name of the logger that wrote the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    /// A log line's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The event's data, or a log line's fields.
    #[serde(default)]
    pub data: Value,
}
