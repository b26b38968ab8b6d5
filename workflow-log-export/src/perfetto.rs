//! A run as a Chrome trace (JSON), for `ui.perfetto.dev` and `chrome://tracing`.
//!
//! Each record is a complete (`X`) slice, in microseconds; each event an instant (`I`) on the
//! track of the record it belongs to. Tracks are lanes: one for the workflow and its
//! iterations, one per agent (an interaction and everything its agent does in it), and where
//! records of one lane overlap without nesting — threads, parallel tool calls — more lanes for
//! that agent (`critic`, `critic (2)`). On every track the slices nest exactly, which is what
//! the viewers need to draw them as a flame graph: each lies wholly inside the one below it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Map, Value};
use workflow_log::document::{Action, Event, Interaction, Iteration, Run, Status};

/// The process id every slice carries (a run is one process in the viewer).
const PID: u64 = 1;

/// Writes `run` as Chrome trace JSON (`{"traceEvents": [...]}`) to `out`.
///
/// # Examples
///
/// ```
/// # let ((), doc) = workflow_log::capture(|| {
/// #     let _it = workflow_log::iteration().start();
/// #     let _agent = workflow_log::interaction("planner").start();
/// #     workflow_log::action("web_search").output(&["a hit"]).log();
/// # });
/// # let run = workflow_log::document::Run::from_value(doc)?;
/// let mut trace = Vec::new();
/// workflow_log_export::perfetto::write(&run, &mut trace)?;
/// let trace: serde_json::Value = serde_json::from_slice(&trace)?;
/// assert!(trace["traceEvents"].as_array().unwrap().iter().any(|e| e["name"] == "web_search"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(run: &Run, mut out: impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut out, &trace(run))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The trace of `run` as a JSON value.
pub fn trace(run: &Run) -> Value {
    let origin = micros(&run.start_time).unwrap_or(0);
    let run_end = run
        .end_time
        .as_deref()
        .and_then(micros)
        .unwrap_or(origin)
        .max(origin);

    let mut c = Collect {
        origin,
        slices: Vec::new(),
        instants: Vec::new(),
    };
    let root = Window {
        start: origin,
        end: run_end,
        lane: Lane::Workflow,
        slice: 0,
    };
    let mut args = Map::new();
    args.insert("run_id".into(), json!(run.run_id));
    args.insert("status".into(), json!(run.status.as_str()));
    if let Some(e) = &run.error {
        args.insert("error".into(), json!(e));
    }
    if let Some(u) = &run.usage_total {
        args.insert("usage_total".into(), json!(u));
    }
    c.slices.push(Slice {
        name: run.workflow.clone(),
        cat: "workflow",
        start: origin,
        end: run_end,
        lane: Lane::Workflow,
        depth: 0,
        parent: None,
        args,
        track: 0,
    });
    c.events(root, 0, &run.events);
    c.children(root, 1, &run.iterations, &run.interactions, &run.actions);

    let mut trace_events = Vec::new();
    trace_events.push(json!({
        "name": "process_name", "ph": "M", "pid": PID, "tid": 0,
        "args": {"name": format!("{} ({})", run.workflow, run.run_id)}
    }));
    let tracks = assign_tracks(&mut c.slices);
    for (tid, name) in tracks.iter().enumerate() {
        trace_events.push(json!({
            "name": "thread_name", "ph": "M", "pid": PID, "tid": tid,
            "args": {"name": name}
        }));
        trace_events.push(json!({
            "name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid,
            "args": {"sort_index": tid}
        }));
    }
    for s in &c.slices {
        trace_events.push(json!({
            "name": s.name, "cat": s.cat, "ph": "X",
            "ts": s.start - c.origin, "dur": s.end - s.start,
            "pid": PID, "tid": s.track,
            "args": Value::Object(s.args.clone()),
        }));
    }
    for i in &c.instants {
        let tid = c.slices[i.owner].track;
        trace_events.push(json!({
            "name": i.name, "cat": "event", "ph": "I", "s": "t",
            "ts": i.at - c.origin, "pid": PID, "tid": tid,
            "args": Value::Object(i.args.clone()),
        }));
    }
    json!({
        "traceEvents": trace_events,
        "displayTimeUnit": "ms",
        "otherData": {"workflow": run.workflow, "run_id": run.run_id, "schema": run.schema},
    })
}

/// Which lane a slice belongs to before lanes are split into tracks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Lane<'a> {
    /// The workflow, its iterations and what runs outside any agent.
    Workflow,
    /// An agent's interactions and their actions.
    Agent(&'a str),
}

#[derive(Clone, Copy)]
struct Window<'a> {
    start: i64,
    end: i64,
    lane: Lane<'a>,
    /// The index of the window's slice.
    slice: usize,
}

struct Slice<'a> {
    name: String,
    cat: &'static str,
    start: i64,
    end: i64,
    lane: Lane<'a>,
    depth: usize,
    /// The slice of the record it was opened in.
    parent: Option<usize>,
    args: Map<String, Value>,
    /// Filled in by [`assign_tracks`].
    track: usize,
}

struct Instant {
    name: String,
    at: i64,
    owner: usize,
    args: Map<String, Value>,
}

struct Collect<'a> {
    origin: i64,
    slices: Vec<Slice<'a>>,
    instants: Vec<Instant>,
}

impl<'a> Collect<'a> {
    fn children(
        &mut self,
        parent: Window<'a>,
        depth: usize,
        iterations: &'a [Iteration],
        interactions: &'a [Interaction],
        actions: &'a [Action],
    ) {
        for it in iterations {
            let mut args = common(&it.id, it.status, it.error.as_deref(), &it.thread);
            if let Some(u) = &it.usage_total {
                args.insert("usage_total".into(), json!(u));
            }
            let w = self.open(
                parent,
                depth,
                format!("iteration {}", it.iteration_number),
                "iteration",
                (&it.start_time, it.end_time.as_deref()),
                parent.lane,
                args,
            );
            self.events(w, w.slice, &it.events);
            self.children(w, depth + 1, &it.iterations, &it.interactions, &it.actions);
        }
        for inter in interactions {
            let mut args = common(
                &inter.id,
                inter.status,
                inter.error.as_deref(),
                &inter.thread,
            );
            payload(&mut args, "input", &inter.input);
            payload(&mut args, "output", &inter.output);
            if let Some(u) = &inter.usage_total {
                args.insert("usage_total".into(), json!(u));
            }
            let w = self.open(
                parent,
                depth,
                inter.agent_name.clone(),
                "interaction",
                (&inter.start_time, inter.end_time.as_deref()),
                Lane::Agent(&inter.agent_name),
                args,
            );
            self.events(w, w.slice, &inter.events);
            self.children(
                w,
                depth + 1,
                &inter.iterations,
                &inter.interactions,
                &inter.actions,
            );
        }
        for action in actions {
            let mut args = common(
                &action.id,
                action.status,
                action.error.as_deref(),
                &action.thread,
            );
            payload(&mut args, "input", &action.input_data);
            payload(&mut args, "output", &action.output_data);
            if !action.metadata.is_empty() {
                args.insert("metadata".into(), json!(action.metadata));
            }
            if let Some(model) = &action.model {
                args.insert("model".into(), json!(model));
            }
            if let Some(u) = &action.usage {
                args.insert("usage".into(), json!(u));
            }
            let name = match &action.model {
                Some(model) => format!("{} ({model})", action.action_name),
                None => action.action_name.clone(),
            };
            let w = self.open(
                parent,
                depth,
                name,
                "action",
                (&action.start_time, action.end_time.as_deref()),
                parent.lane,
                args,
            );
            self.events(w, w.slice, &action.events);
            self.children(
                w,
                depth + 1,
                &action.iterations,
                &action.interactions,
                &action.actions,
            );
        }
    }

    /// Adds a record's slice, kept inside its parent's window (clocks are read to the
    /// microsecond on each side, so a child may seem to stick out by one); an unfinished record
    /// ends where its parent does.
    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        parent: Window<'a>,
        depth: usize,
        name: String,
        cat: &'static str,
        (start, end): (&str, Option<&str>),
        lane: Lane<'a>,
        args: Map<String, Value>,
    ) -> Window<'a> {
        let start = micros(start)
            .unwrap_or(parent.start)
            .clamp(parent.start, parent.end);
        let end = end
            .and_then(micros)
            .unwrap_or(parent.end)
            .clamp(start, parent.end);
        self.slices.push(Slice {
            name,
            cat,
            start,
            end,
            lane,
            depth,
            parent: Some(parent.slice),
            args,
            track: 0,
        });
        Window {
            start,
            end,
            lane,
            slice: self.slices.len() - 1,
        }
    }

    fn events(&mut self, window: Window<'a>, owner: usize, events: &[Event]) {
        for e in events {
            let at = micros(&e.timestamp)
                .unwrap_or(window.start)
                .clamp(window.start, window.end);
            let mut args = Map::new();
            args.insert("event_type".into(), json!(e.event_type));
            if let Some(level) = &e.level {
                args.insert("level".into(), json!(level));
            }
            if let Some(logger) = &e.logger {
                args.insert("logger".into(), json!(logger));
            }
            if let Some(message) = &e.message {
                args.insert("message".into(), json!(message));
            }
            if !e.data.is_null() {
                args.insert("data".into(), e.data.clone());
            }
            let name = match (&e.level, &e.message) {
                (Some(level), Some(message)) => format!("{level} {message}"),
                (None, Some(message)) => message.clone(),
                _ => e.event_type.clone(),
            };
            self.instants.push(Instant {
                name,
                at,
                owner,
                args,
            });
        }
    }
}

/// Gives every slice a track: the first track of its lane on which it nests exactly under one
/// of its own ancestors (or starts the track), else a new track of that lane. A sibling that
/// merely fits inside another sibling's time is not drawn as its child. Returns the tracks'
/// names, in track order.
fn assign_tracks(slices: &mut [Slice<'_>]) -> Vec<String> {
    // Outer slices first: by start, then the longer first, then the shallower.
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by_key(|&i| {
        let s = &slices[i];
        (s.start, std::cmp::Reverse(s.end), s.depth)
    });
    // Per lane: each track's id and stack of open slices (their indices).
    let mut lanes: BTreeMap<Lane<'_>, Vec<(usize, Vec<usize>)>> = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut track_of = vec![0; slices.len()];
    for i in order {
        let (start, end, lane) = (slices[i].start, slices[i].end, slices[i].lane);
        let tracks = lanes.entry(lane).or_default();
        let mut placed = None;
        for (track, stack) in tracks.iter_mut() {
            while stack.last().is_some_and(|&top| slices[top].end <= start) {
                stack.pop();
            }
            let fits = match stack.last() {
                None => true,
                Some(&top) => end <= slices[top].end && is_ancestor(slices, top, i),
            };
            if fits {
                stack.push(i);
                placed = Some(*track);
                break;
            }
        }
        let track = placed.unwrap_or_else(|| {
            let id = names.len();
            let base = match lane {
                Lane::Workflow => "workflow".to_owned(),
                Lane::Agent(agent) => agent.to_owned(),
            };
            names.push(if tracks.is_empty() {
                base
            } else {
                format!("{base} ({})", tracks.len() + 1)
            });
            tracks.push((id, vec![i]));
            id
        });
        track_of[i] = track;
    }
    for (s, t) in slices.iter_mut().zip(track_of) {
        s.track = t;
    }
    names
}

/// Whether slice `a` is slice `b`'s parent, grandparent, ...
fn is_ancestor(slices: &[Slice<'_>], a: usize, b: usize) -> bool {
    let mut at = slices[b].parent;
    while let Some(p) = at {
        if p == a {
            return true;
        }
        at = slices[p].parent;
    }
    false
}

fn common(id: &str, status: Status, error: Option<&str>, thread: &str) -> Map<String, Value> {
    let mut args = Map::new();
    args.insert("id".into(), json!(id));
    args.insert("status".into(), json!(status.as_str()));
    if let Some(e) = error {
        args.insert("error".into(), json!(e));
    }
    if !thread.is_empty() {
        args.insert("thread".into(), json!(thread));
    }
    args
}

fn payload(args: &mut Map<String, Value>, key: &str, value: &Value) {
    if !value.is_null() {
        args.insert(key.into(), value.clone());
    }
}

/// Microseconds since the Unix epoch of an RFC 3339 time.
fn micros(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}
