//! Shared helpers for the integration tests: the JSON Schema of the nested format
//! (`schema/workflow-log-1.schema.json`), validation against it, and small walkers over a nested
//! document.
//!
//! Every document a test looks at goes through [`validate`] first (or comes from
//! [`capture_valid`] / [`read_log`] / [`recover_valid`], which do it), so the schema is checked
//! against what the writer really emits, and the writer against the schema.
//!
//! For file-backed runs: [`start_in_tempdir`] and [`file_run`] (a whole run, every file
//! checked), and readers of the journal ([`journal_lines`], [`read_journal`],
//! [`record_lines`], [`expected_lines`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tempfile::TempDir;
use workflow_log::{Context, WorkflowBuilder, WorkflowGuard};

const SCHEMA_TEXT: &str = include_str!("../../schema/workflow-log-1.schema.json");

/// The JSON Schema of the nested format, parsed once.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(SCHEMA_TEXT)
            .unwrap_or_else(|e| panic!("schema/workflow-log-1.schema.json is not JSON: {e}"))
    })
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema()).unwrap_or_else(|e| {
            panic!("schema/workflow-log-1.schema.json is not a valid schema: {e}")
        })
    })
}

/// Every way `doc` breaks the schema, one line each (`at <json pointer>: <message>`).
pub fn schema_errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect()
}

/// Panics, listing every schema error, unless `doc` matches the schema.
pub fn validate(doc: &Value) {
    let errors = schema_errors(doc);
    if !errors.is_empty() {
        panic!(
            "the document does not match schema/workflow-log-1.schema.json ({} error(s)):\n  {}\n\
             document:\n{}",
            errors.len(),
            errors.join("\n  "),
            serde_json::to_string_pretty(doc).unwrap_or_default()
        );
    }
}

/// [`workflow_log::capture`], with the document validated against the schema.
pub fn capture_valid<R>(f: impl FnOnce() -> R) -> (R, Value) {
    let (value, doc) = workflow_log::capture(f);
    validate(&doc);
    (value, doc)
}

/// [`WorkflowBuilder::capture`], with the document validated against the schema.
pub fn capture_valid_with<R>(builder: WorkflowBuilder, f: impl FnOnce() -> R) -> (R, Value) {
    let (value, doc) = builder.capture(f);
    validate(&doc);
    (value, doc)
}

/// Reads a nested JSON file and validates it.
pub fn read_log(path: &Path) -> Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("can't read `{}`: {e}", path.display()));
    let doc: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", path.display()));
    validate(&doc);
    doc
}

/// The nested file at `path`, parsed without serde_json's depth limit (a workflow whose
/// `max_depth` is above 127 writes payloads deeper than that), validated against the schema.
pub fn read_deep_log(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let doc = serde::Deserialize::deserialize(&mut de).unwrap();
    validate(&doc);
    doc
}

/// [`workflow_log::recover`] of the journal at `path`, validated against the schema, after
/// checking that [`workflow_log::recover_to_writer`] (the streaming path, which reads the
/// journal twice and never holds its records) writes the same document.
pub fn recover_valid(path: &Path) -> Value {
    let doc = workflow_log::recover(path)
        .unwrap_or_else(|e| panic!("can't recover `{}`: {e}", path.display()));
    validate(&doc);
    let mut text = Vec::new();
    workflow_log::recover_to_writer(path, &mut text)
        .unwrap_or_else(|e| panic!("can't recover `{}` to a writer: {e}", path.display()));
    match serde_json::from_slice::<Value>(&text) {
        Ok(streamed) => assert!(
            streamed == doc,
            "recover_to_writer and recover differ for `{}`:\n{}\n---\n{}",
            path.display(),
            String::from_utf8_lossy(&text),
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ),
        // A payload deeper than serde_json's parser allows is its JSON text in `recover`'s
        // value and the value itself in the file: the test of deep payloads compares those.
        Err(e) => assert!(
            e.to_string().contains("recursion limit"),
            "recover_to_writer wrote no JSON for `{}`: {e}",
            path.display()
        ),
    }
    doc
}

/// [`recover_valid`] of `bytes`, written to a temporary file first.
pub fn recover_bytes(bytes: &[u8]) -> Value {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    recover_valid(file.path())
}

/// Every line of a journal, parsed; panics (naming the line) unless each is one JSON object and
/// the file ends with a newline.
pub fn journal_lines(bytes: &[u8]) -> Vec<Value> {
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "the journal's last line is not terminated"
    );
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let value: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
                panic!(
                    "journal line {} is not JSON ({e}): {}",
                    i + 1,
                    String::from_utf8_lossy(line)
                )
            });
            assert!(value.is_object(), "journal line {} is {value}", i + 1);
            value
        })
        .collect()
}

/// [`journal_lines`] of the journal file at `path`.
pub fn read_journal(path: &Path) -> Vec<Value> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("can't read `{}`: {e}", path.display()));
    journal_lines(&bytes)
}

/// The record lines of a journal (neither the header nor the end line).
pub fn record_lines(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l.get("kind").is_some()).collect()
}

/// How many journal lines a finished run's document stands for: two per iteration and
/// interaction (the open notice and the close), one per action and event, plus the header and
/// the end line.
pub fn expected_lines(doc: &Value) -> usize {
    2 + nodes(doc)
        .iter()
        .map(|n| match n.kind {
            Kind::Workflow => 0,
            Kind::Iteration | Kind::Interaction => 2,
            Kind::Action | Kind::Event => 1,
        })
        .sum::<usize>()
}

/// The permission bits of the file at `path` (`0o600` for a private file).
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Makes a named pipe `journal.pipe` in `dir` (with `mkfifo`) and returns its path: a journal
/// whose reader the test controls.
pub fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("journal.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    path
}

/// A named pipe as the journal: the test decides when the "disk" takes bytes. Nothing is read
/// until [`release`](Pipe::release); the pipe holds 64 KiB.
#[derive(Debug)]
pub struct Pipe {
    pub path: PathBuf,
    go: std::sync::mpsc::Sender<()>,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Pipe {
    /// Makes the pipe in `dir` (see [`fifo`]) and its reader, which waits for `release`.
    pub fn new(dir: &Path) -> Pipe {
        let path = fifo(dir);
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let at = path.clone();
        let reader = std::thread::spawn(move || {
            // Blocks until the journal's writer opens the pipe.
            let mut file = std::fs::File::open(&at).unwrap();
            let _ = wait.recv();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
            bytes
        });
        Pipe { path, go, reader }
    }

    /// A workflow `name` logging into `dir` whose journal is this pipe, with a queue of one
    /// batch: it fills as soon as the pipe does.
    pub fn workflow(&self, name: &str, dir: &Path) -> WorkflowBuilder {
        workflow_log::Workflow::builder(name)
            .logs_dir(dir)
            .journal_path(&self.path)
            .journal_queue(1)
    }

    /// Lets the reader read.
    pub fn release(&self) {
        let _ = self.go.send(());
    }

    /// Everything the writer wrote, once it closed the pipe.
    pub fn bytes(self) -> Vec<u8> {
        self.release();
        self.reader.join().unwrap()
    }
}

/// Logs 1,000 actions of 1 KB into `workflow` on a new thread: more than an unread [`Pipe`]
/// and a queue of one batch hold, so the thread ends up waiting to hand more over.
pub fn fill_the_pipe(workflow: workflow_log::Workflow) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let _e = workflow.enter();
        let text = "x".repeat(1000);
        for _ in 0..1000 {
            workflow_log::action("filler").input(&text).log();
        }
    })
}

/// The `seq` input of every `step` action of the document, in document order.
pub fn steps(doc: &Value) -> Vec<u64> {
    nodes(doc)
        .iter()
        .filter(|n| n.kind == Kind::Action && n.value["action_name"] == "step")
        .map(|n| n.value["input_data"]["seq"].as_u64().unwrap())
        .collect()
}

/// Runs `f` on a new thread named `name`, logging at `ctx` (attached), and waits for it.
pub fn on_thread_at(name: impl Into<String>, ctx: Context, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _attached = ctx.attach();
            f();
        })
        .expect("spawn a thread")
        .join()
        .expect("the thread ran to its end");
}

/// Starts the file-backed workflow `builder` describes with a new temporary directory as its
/// logs directory. Keep the directory alive (bind it to a named variable, not `_`) for as long
/// as the workflow's files are used.
pub fn start_in_tempdir(builder: WorkflowBuilder) -> (TempDir, WorkflowGuard) {
    let dir = tempfile::tempdir().unwrap();
    let log = builder.logs_dir(dir.path()).start().unwrap();
    (dir, log)
}

/// A finished file-backed run of [`file_run`].
#[derive(Debug)]
pub struct FileRun {
    /// The nested document, validated.
    pub doc: Value,
    /// The journal's lines, parsed.
    pub lines: Vec<Value>,
    /// The nested file's raw bytes.
    pub nested: Vec<u8>,
    /// The journal's raw bytes.
    pub journal: Vec<u8>,
    /// The paths of the nested file and of the journal.
    pub paths: (PathBuf, PathBuf),
    /// The logs directory, kept alive as long as the run.
    pub dir: TempDir,
}

/// Runs `f` in the file-backed workflow `builder` describes (started by [`start_in_tempdir`]
/// and entered on this thread), finishes it and checks every file: the nested file matches the
/// schema, the journal has exactly one JSON object per line ([`journal_lines`]) and one line per
/// record ([`expected_lines`]), and `recover` of the journal gives the nested file back.
pub fn file_run(builder: WorkflowBuilder, f: impl FnOnce()) -> FileRun {
    let (dir, log) = start_in_tempdir(builder);
    let journal_path = log.journal_path().expect("a file workflow keeps a journal");
    {
        let _entered = log.enter();
        f();
    }
    let path = log.finish().unwrap();
    let doc = read_log(&path);
    let journal = std::fs::read(&journal_path).unwrap();
    let lines = journal_lines(&journal);
    assert_eq!(lines.len(), expected_lines(&doc), "one record per line");
    assert_eq!(recover_valid(&journal_path), doc);
    FileRun {
        doc,
        lines,
        nested: std::fs::read(&path).unwrap(),
        journal,
        paths: (path, journal_path),
        dir,
    }
}

/// The files of a run whose records nest `depth` deep, each the only record in the one before
/// (a deeply recursive agent): iterations, interactions and actions in turn, each with its place
/// as input (`{"level": n}`), and an event and a log line in the innermost. Made by the library
/// on the calling thread (the writer needs no deep stack); the nested file is not read here.
pub fn deep_run(depth: usize) -> (TempDir, PathBuf, PathBuf) {
    enum Guard {
        Iteration(#[allow(dead_code)] workflow_log::IterationGuard),
        Interaction(#[allow(dead_code)] workflow_log::InteractionGuard),
        Action(#[allow(dead_code)] workflow_log::ActionGuard),
    }
    let (dir, log) = start_in_tempdir(workflow_log::Workflow::builder("deep_agent"));
    let journal = log.journal_path().expect("a file workflow keeps a journal");
    {
        let _entered = log.enter();
        let mut guards = Vec::with_capacity(depth);
        for level in 0..depth {
            let input = serde_json::json!({ "level": level });
            guards.push(match level % 3 {
                0 => Guard::Iteration(workflow_log::iteration().start()),
                1 => Guard::Interaction(workflow_log::interaction("agent").input(&input).start()),
                _ => Guard::Action(workflow_log::action("step").input(&input).start()),
            });
        }
        workflow_log::event("reached", serde_json::json!({ "depth": depth }));
        workflow_log::logger("agent").info("at the bottom", serde_json::json!({}));
        // Closed innermost first, as returning from the recursion would.
        while let Some(guard) = guards.pop() {
            drop(guard);
        }
    }
    let nested = log.finish().unwrap();
    (dir, nested, journal)
}

/// What a node of the nested document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The document's root.
    Workflow,
    /// An element of an `iterations` group.
    Iteration,
    /// An element of an `interactions` group.
    Interaction,
    /// An element of an `actions` group.
    Action,
    /// An element of an `events` group.
    Event,
}

/// The child groups, in the order the writer emits them, with the kind each holds.
pub const GROUPS: [(&str, Kind); 4] = [
    ("iterations", Kind::Iteration),
    ("interactions", Kind::Interaction),
    ("actions", Kind::Action),
    ("events", Kind::Event),
];

/// One node of the document, with its parent.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    /// What it is.
    pub kind: Kind,
    /// Its JSON.
    pub value: &'a Value,
    /// Its parent's JSON and kind (`None` for the workflow).
    pub parent: Option<(Kind, &'a Value)>,
}

/// The children of `record` in `group` (`iterations`, `interactions`, `actions`, `events`); an
/// empty slice when the group is absent.
pub fn children<'a>(record: &'a Value, group: &str) -> &'a [Value] {
    match record.get(group) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => panic!("`{group}` is not an array: {other}"),
    }
}

/// Every node of the document in pre-order (the workflow first, then each node's groups in
/// `GROUPS` order).
pub fn nodes(doc: &Value) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![Node {
        kind: Kind::Workflow,
        value: doc,
        parent: None,
    }];
    while let Some(node) = stack.pop() {
        out.push(node);
        if node.kind == Kind::Event {
            continue;
        }
        let mut kids = Vec::new();
        for (group, kind) in GROUPS {
            for child in children(node.value, group) {
                kids.push(Node {
                    kind,
                    value: child,
                    parent: Some((node.kind, node.value)),
                });
            }
        }
        stack.extend(kids.into_iter().rev());
    }
    out
}

/// A short, readable name for a node: `#3` for iteration 3, an agent or action name, a log
/// line's message or an event's type.
pub fn label(kind: Kind, value: &Value) -> String {
    let text = |key: &str| value[key].as_str().unwrap_or("?").to_owned();
    match kind {
        Kind::Workflow => text("workflow"),
        Kind::Iteration => format!("#{}", value["iteration_number"]),
        Kind::Interaction => text("agent_name"),
        Kind::Action => text("action_name"),
        Kind::Event if value.get("message").is_some() => text("message"),
        Kind::Event => text("event_type"),
    }
}

/// The labels of `record`'s children in `group`, in order.
pub fn labels(record: &Value, group: &str) -> Vec<String> {
    let kind = GROUPS
        .iter()
        .find(|(g, _)| *g == group)
        .unwrap_or_else(|| panic!("`{group}` is not a child group"))
        .1;
    children(record, group)
        .iter()
        .map(|v| label(kind, v))
        .collect()
}

/// The records (not events) of the document, in pre-order, without the workflow.
pub fn records(doc: &Value) -> Vec<Node<'_>> {
    nodes(doc)
        .into_iter()
        .filter(|n| !matches!(n.kind, Kind::Workflow | Kind::Event))
        .collect()
}

/// The first record in pre-order of `kind` whose [`label`] is `name`; panics if there is none.
pub fn find<'a>(doc: &'a Value, kind: Kind, name: &str) -> Node<'a> {
    nodes(doc)
        .into_iter()
        .find(|n| n.kind == kind && label(n.kind, n.value) == name)
        .unwrap_or_else(|| panic!("no {kind:?} named `{name}` in\n{doc:#}"))
}

/// The ids of every record, in pre-order.
pub fn ids(doc: &Value) -> Vec<&str> {
    records(doc)
        .iter()
        .map(|n| n.value["id"].as_str().expect("ids are strings"))
        .collect()
}

/// Parses a time of the document; panics unless it is UTC RFC 3339 with exactly six fractional
/// digits and `Z`.
pub fn time(value: &Value) -> DateTime<Utc> {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("a time is a string, not {value}"));
    let b = s.as_bytes();
    let shape_ok = b.len() == 27
        && b[10] == b'T'
        && b[19] == b'.'
        && b[26] == b'Z'
        && b[20..26].iter().all(u8::is_ascii_digit);
    assert!(shape_ok, "`{s}` is not `YYYY-MM-DDTHH:MM:SS.ffffffZ`");
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{s}` is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// Microseconds since the Unix epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A document in the shape the writer emits, with every kind of node, a sub-agent, a nested
    /// action, an error, a log line and an incomplete record.
    fn good() -> Value {
        let t = "2026-11-24T13:22:07.923426Z";
        let u = "2026-11-24T13:22:07.924946Z";
        let log_line = json!({
            "timestamp": t, "event_type": "log", "level": "INFO",
            "logger": "executor_agent", "message": "Received input",
            "data": {"input": "some data"}
        });
        let llm = json!({
            "id": "4", "action_name": "llm", "input_data": null, "output_data": null,
            "metadata": {}, "start_time": t, "end_time": t, "duration_us": 0,
            "status": "panicked", "thread": "main"
        });
        let search = json!({
            "id": "3", "action_name": "web_search", "input_data": {"query": "q"},
            "output_data": ["a"], "metadata": {"engine": "ddg"},
            "start_time": t, "end_time": u, "duration_us": 1520,
            "status": "ok", "thread": "main", "actions": [llm]
        });
        let critic = json!({
            "id": "5", "agent_name": "critic", "input": null, "output": null,
            "start_time": t, "end_time": null, "duration_us": null,
            "status": "incomplete", "thread": "worker-1", "actions": [], "events": []
        });
        let executor = json!({
            "id": "2", "agent_name": "executor_agent", "input": {"task": "x"},
            "output": "done", "start_time": t, "end_time": u, "duration_us": 1520,
            "status": "error", "error": "timed out", "thread": "main",
            "interactions": [critic], "actions": [search], "events": [log_line]
        });
        let iteration = json!({
            "id": "1", "iteration_number": 1, "start_time": t, "end_time": u,
            "duration_us": 1520, "status": "ok", "thread": "main",
            "interactions": [executor]
        });
        json!({
            "schema": "workflow-log/1",
            "workflow": "my_workflow",
            "run_id": "a20af5beec34",
            "start_time": t, "end_time": u, "status": "ok",
            "iterations": [iteration],
            "events": [{"timestamp": t, "event_type": "interaction", "data": {"agent": "a"}}]
        })
    }

    #[track_caller]
    fn rejected(doc: &Value, what: &str) {
        assert!(
            !schema_errors(doc).is_empty(),
            "the schema accepted a document with {what}"
        );
    }

    fn interaction(doc: &mut Value) -> &mut Value {
        &mut doc["iterations"][0]["interactions"][0]
    }

    #[test]
    fn the_schema_accepts_a_well_formed_document() {
        validate(&good());
    }

    #[test]
    fn the_schema_accepts_what_capture_writes() {
        let ((), doc) = capture_valid(|| {
            let _it = workflow_log::iteration().start();
            let mut i = workflow_log::interaction("a")
                .input(&json!({"k": 1}))
                .start();
            workflow_log::action("t").metadata("m", &[1, 2]).log();
            workflow_log::event("e", json!(null));
            i.output(&"o");
        });
        assert_eq!(doc["schema"], workflow_log::SCHEMA_VERSION);
        assert_eq!(schema()["properties"]["schema"]["const"], doc["schema"]);
    }

    #[test]
    fn the_schema_rejects_bad_statuses() {
        let mut doc = good();
        doc["status"] = json!("done");
        rejected(&doc, "an unknown workflow status");
        let mut doc = good();
        doc["iterations"][0]["status"] = json!("OK");
        rejected(&doc, "an upper-case status");
        let mut doc = good();
        interaction(&mut doc)["actions"][0]["actions"][0]["status"] = json!("failed");
        rejected(&doc, "an unknown status on a nested action");
    }

    #[test]
    fn the_schema_rejects_missing_and_misspelt_fields() {
        for key in [
            "schema",
            "workflow",
            "run_id",
            "start_time",
            "status",
            "iterations",
        ] {
            let mut doc = good();
            doc.as_object_mut().unwrap().remove(key);
            rejected(&doc, &format!("no `{key}`"));
        }
        for key in [
            "id",
            "agent_name",
            "input",
            "output",
            "thread",
            "duration_us",
        ] {
            let mut doc = good();
            interaction(&mut doc).as_object_mut().unwrap().remove(key);
            rejected(&doc, &format!("an interaction without `{key}`"));
        }
        let mut doc = good();
        interaction(&mut doc)["actions"][0]
            .as_object_mut()
            .unwrap()
            .remove("metadata");
        rejected(&doc, "an action without metadata");
        let mut doc = good();
        interaction(&mut doc)["agent"] = json!("typo");
        rejected(&doc, "a misspelt field");
        let mut doc = good();
        doc["iteration"] = json!([]);
        rejected(&doc, "a misspelt group");
        let mut doc = good();
        doc["events"][0]["level"] = json!("INFO");
        rejected(&doc, "a level without logger and message");
    }

    #[test]
    fn the_schema_rejects_bad_values() {
        let mut doc = good();
        doc["schema"] = json!("workflow-log/2");
        rejected(&doc, "another version");
        let mut doc = good();
        doc["iterations"][0]["iteration_number"] = json!(-1);
        rejected(&doc, "a negative iteration number");
        let mut doc = good();
        doc["iterations"][0]["iteration_number"] = json!("1");
        rejected(&doc, "an iteration number as a string");
        let mut doc = good();
        doc["iterations"][0]["id"] = json!(1);
        rejected(&doc, "a numeric id");
        let mut doc = good();
        interaction(&mut doc)["events"][0]["level"] = json!("info");
        rejected(&doc, "a lower-case level");
        let mut doc = good();
        interaction(&mut doc)["actions"][0]["metadata"] = json!([1]);
        rejected(&doc, "metadata that is not an object");
        let mut doc = good();
        interaction(&mut doc)["duration_us"] = json!(-3);
        rejected(&doc, "a negative duration");
        let mut doc = good();
        doc["events"] = json!({});
        rejected(&doc, "a group that is not an array");
    }

    #[test]
    fn the_schema_rejects_bad_times() {
        for bad in [
            "2026-11-24T13:22:07.923Z",
            "2026-11-24T13:22:07.923426789Z",
            "2026-11-24T13:22:07Z",
            "2026-11-24T13:22:07.923426+00:00",
            "2026-11-24 13:22:07.923426Z",
            "2026-13-24T13:22:07.923426Z",
            "2026-11-24T13:22:07.923426z",
            "1764000000",
        ] {
            let mut doc = good();
            doc["start_time"] = json!(bad);
            rejected(&doc, &format!("start_time `{bad}`"));
            let mut doc = good();
            interaction(&mut doc)["events"][0]["timestamp"] = json!(bad);
            rejected(&doc, &format!("timestamp `{bad}`"));
        }
    }

    #[test]
    fn the_schema_ties_the_end_to_the_status() {
        let mut doc = good();
        interaction(&mut doc)["end_time"] = Value::Null;
        rejected(&doc, "a closed record without an end");
        let mut doc = good();
        interaction(&mut doc)["interactions"][0]["end_time"] = json!("2026-11-24T13:22:07.923426Z");
        rejected(&doc, "an incomplete record with an end time");
        let mut doc = good();
        interaction(&mut doc)["interactions"][0]["duration_us"] = json!(5);
        rejected(&doc, "an incomplete record with a duration");
        let mut doc = good();
        doc["end_time"] = Value::Null;
        rejected(&doc, "a workflow without an end");
    }

    #[test]
    fn validate_lists_every_error() {
        let mut doc = good();
        doc["status"] = json!("done");
        doc["iterations"][0]["start_time"] = json!("yesterday");
        let message = std::panic::catch_unwind(|| validate(&doc))
            .expect_err("validate accepted a bad document")
            .downcast::<String>()
            .expect("a formatted panic message");
        assert!(message.contains("2 error(s)"), "{message}");
        assert!(message.contains("/status"), "{message}");
        assert!(message.contains("/iterations/0/start_time"), "{message}");
    }

    #[test]
    fn walkers_visit_every_node_in_order() {
        let doc = good();
        let names: Vec<_> = nodes(&doc).iter().map(|n| label(n.kind, n.value)).collect();
        assert_eq!(
            names,
            [
                "my_workflow",
                "#1",
                "executor_agent",
                "critic",
                "web_search",
                "llm",
                "Received input",
                "interaction"
            ]
        );
        assert_eq!(ids(&doc), ["1", "2", "5", "3", "4"]);
        let llm = find(&doc, Kind::Action, "llm");
        assert_eq!(llm.parent.unwrap().0, Kind::Action);
        assert_eq!(labels(interaction(&mut good()), "actions"), ["web_search"]);
        assert_eq!(micros(time(&doc["start_time"])) % 1_000_000, 923_426);
    }
}
