//! Events attached to the innermost open record, and `log_simple`, the one-call logging that
//! opens an iteration and an interaction itself.

use std::borrow::Cow;

use serde::Serialize;

use crate::capture;
use crate::record::{Kind, Record};
use crate::runtime::settings;
use crate::runtime::thread;
use crate::Level;

/// Records an event under the innermost open record of this thread's workflow, or under the
/// workflow itself when nothing is open. Outside any workflow it does nothing.
///
/// # Examples
///
/// ```
/// use serde_json::json;
///
/// let ((), log) = workflow_log::capture(|| {
///     workflow_log::event("interaction", json!({"agent": "my_agent", "input": "Test Input"}));
/// });
/// assert_eq!(log["events"][0]["event_type"], "interaction");
/// assert_eq!(log["events"][0]["data"]["agent"], "my_agent");
/// ```
pub fn event(event_type: &str, data: impl Serialize) {
    if !thread::enabled(Level::Info) {
        return;
    }
    let mut rec = Record::new(Kind::Event, Cow::Owned(event_type.to_owned()));
    rec.input = Some(settings::json(&data));
    thread::emit(rec, Some(Level::Info));
}

/// Records `message` with `metadata` as a `simple_log` action.
///
/// When nothing is open on this thread it opens an iteration and an interaction for
/// `agent_name` and leaves them open, so that the calls that follow land in them (a call for
/// another agent replaces the interaction); inside an iteration with no interaction open, it
/// opens just the interaction. What it opened closes when the record around it closes, when an
/// explicit iteration (or interaction) opens, when the workflow finishes (for the finishing
/// thread), or when the thread exits. When an interaction or action is open, the action
/// attaches to it.
///
/// # Examples
///
/// ```
/// use serde_json::json;
///
/// let ((), log) = workflow_log::capture(|| {
///     workflow_log::log_simple("executor_agent", "Hello world", json!({"some_key": "value"}));
///     workflow_log::log_simple("executor_agent", "Done", json!({}));
/// });
/// let interaction = &log["iterations"][0]["interactions"][0];
/// assert_eq!(interaction["agent_name"], "executor_agent");
/// assert_eq!(interaction["actions"][0]["input_data"]["message"], "Hello world");
/// assert_eq!(interaction["actions"][0]["metadata"]["some_key"], "value");
/// assert_eq!(interaction["actions"][1]["input_data"]["message"], "Done");
/// ```
pub fn log_simple(agent_name: &str, message: &str, metadata: impl Serialize) {
    if !thread::enabled(Level::Info) {
        return;
    }
    let mut rec = Record::new(Kind::Action, Cow::Borrowed("simple_log"));
    #[derive(Serialize)]
    struct Input<'a> {
        message: &'a str,
    }
    rec.input = Some(settings::json(&Input { message }));
    // Captured like any value (depth-limited, redacted, cut), then split into entries.
    let captured = settings::json(&metadata);
    // Each entry keeps its captured text as it is (a `Value` would turn big integers into
    // floats); the keys come out sorted, as before.
    type Entries<'a> = Option<std::collections::BTreeMap<String, &'a serde_json::value::RawValue>>;
    match serde_json::from_str::<Entries<'_>>(captured.as_str()) {
        Ok(Some(map)) => {
            for (key, value) in map {
                let value = capture::Payload::from_json_unchecked(value.get().to_owned());
                rec.set_metadata(Cow::Owned(key), value);
            }
        }
        Ok(None) => {}
        Err(_) => rec.set_metadata(Cow::Borrowed("value"), captured),
    }
    thread::log_simple(agent_name, rec);
}
