//! The one walk that writes a run's document: depth first over an [`Index`], reading each
//! record as it is reached from wherever its [`Nodes`] keep it (a vector, or a journal on
//! disk). The walk keeps its own stack, so nesting depth costs heap, not call stack, and it
//! sums usage on the way back up, so no pass over the records comes before it.

use std::collections::BTreeMap;
use std::io;

use super::index::{group, Index, NONE};
use super::{usage_payload, Emit, RunInfo, SCHEMA_VERSION};
use crate::clock::{self, Anchor};
use crate::record::{Kind, Payload, Record, Status, Usage};

/// Where the walk finds the tree's shape and each node's record.
pub(crate) trait Nodes {
    fn index(&self) -> &Index;

    /// The record of `node`, and the name of the thread it ran on.
    fn record(&mut self, node: u32) -> io::Result<(&Record, &str)>;
}

const GROUP_KEYS: [&str; 4] = ["iterations", "interactions", "actions", "events"];

/// A node being written: the workflow (`kind` `None`) or a record with children.
struct Frame {
    kind: Option<Kind>,
    /// The group being written, and the next child to look at (in it, or a later one).
    group: usize,
    next: u32,
    /// Whether the group's array was opened.
    open: bool,
    /// The usage of the children written so far, with everything below them.
    below: Usage,
    /// The node's own usage.
    own: Usage,
}

/// Writes the document of `nodes` into `e`.
pub(super) fn walk<N: Nodes, E: Emit>(
    nodes: &mut N,
    info: &RunInfo<'_>,
    e: &mut E,
) -> io::Result<()> {
    let a = &info.anchor;
    e.begin_object()?;
    e.key("schema")?;
    e.str(SCHEMA_VERSION)?;
    e.key("workflow")?;
    e.str(info.workflow)?;
    e.key("run_id")?;
    e.str(info.run_id)?;
    e.key("start_time")?;
    e.str(&clock::rfc3339(a.wall()))?;
    e.key("end_time")?;
    e.str(&a.format(info.end))?;
    e.key("status")?;
    e.str(info.status.as_str())?;
    // Each model's usage, summed over the actions in the order they are written.
    let mut by_model: BTreeMap<String, Usage> = BTreeMap::new();
    let mut stack = vec![Frame {
        kind: None,
        group: 0,
        next: nodes.index().first_child(None),
        open: false,
        below: Usage::default(),
        own: Usage::default(),
    }];
    open_group(e, nodes.index(), &mut stack[0])?;
    while let Some(top) = stack.last_mut() {
        let index = nodes.index();
        let child = top.next;
        if child != NONE && group(index.kind(child)) == top.group {
            top.next = index.next_sibling(child);
            let kind = index.kind(child);
            let first = index.first_child(Some(child));
            let (rec, thread) = nodes.record(child)?;
            let mut own = Usage::default();
            if let Some(llm) = rec.llm() {
                own = llm.usage;
                if kind == Kind::Action {
                    let model = llm.model.as_deref().unwrap_or_default();
                    match by_model.get_mut(model) {
                        Some(sum) => sum.add(&own),
                        None => {
                            by_model.insert(model.to_owned(), own);
                        }
                    }
                }
            }
            if kind == Kind::Event {
                emit_event(e, rec, a)?;
                if let Some(top) = stack.last_mut() {
                    top.below.add(&own);
                }
                continue;
            }
            emit_record_head(e, rec, thread, a)?;
            stack.push(Frame {
                kind: Some(kind),
                group: 0,
                next: first,
                open: false,
                below: Usage::default(),
                own,
            });
            if let Some(top) = stack.last_mut() {
                open_group(e, nodes.index(), top)?;
            }
            continue;
        }
        // This group is done: close it, open the next one or close the node.
        if top.open {
            e.end_array()?;
        }
        if top.group < 3 {
            top.group += 1;
            open_group(e, index, top)?;
            continue;
        }
        let Some(done) = stack.pop() else { break };
        let mut total = done.below;
        total.add(&done.own);
        if matches!(done.kind, None | Some(Kind::Iteration | Kind::Interaction))
            && !total.is_empty()
        {
            e.key("usage_total")?;
            e.payload(Some(&usage_payload(&total)))?;
            if done.kind.is_none() {
                let text = serde_json::to_string(&by_model).unwrap_or_else(|_| "{}".to_owned());
                e.key("usage_by_model")?;
                e.payload(Some(&Payload::from_json_unchecked(text)))?;
            }
        }
        e.end_object()?;
        if let Some(parent) = stack.last_mut() {
            parent.below.add(&total);
        }
    }
    Ok(())
}

/// Opens the frame's group when it has children, or when its kind always lists it.
fn open_group<E: Emit>(e: &mut E, index: &Index, f: &mut Frame) -> io::Result<()> {
    let g = f.group;
    let any = f.next != NONE && group(index.kind(f.next)) == g;
    f.open = any
        || match f.kind {
            None => g == 0 || g == 3,                    // workflow: iterations, events
            Some(Kind::Iteration) => g == 1,             // interactions
            Some(Kind::Interaction) => g == 2 || g == 3, // actions, events
            Some(_) => false,
        };
    if f.open {
        e.key(GROUP_KEYS[g])?;
        e.begin_array()?;
    }
    Ok(())
}

fn emit_record_head<E: Emit>(e: &mut E, r: &Record, thread: &str, a: &Anchor) -> io::Result<()> {
    e.begin_object()?;
    e.key("id")?;
    e.id(r.id)?;
    match r.kind {
        Kind::Iteration => {
            e.key("iteration_number")?;
            e.uint(r.number)?;
        }
        Kind::Interaction => {
            e.key("agent_name")?;
            e.str(&r.name)?;
            e.key("input")?;
            e.payload(r.input.as_ref())?;
            e.key("output")?;
            e.payload(r.output.as_ref())?;
        }
        Kind::Action | Kind::Event => {
            e.key("action_name")?;
            e.str(&r.name)?;
            e.key("input_data")?;
            e.payload(r.input.as_ref())?;
            e.key("output_data")?;
            e.payload(r.output.as_ref())?;
            e.key("metadata")?;
            e.metadata(&r.metadata)?;
            if let Some(llm) = r.llm() {
                if let Some(model) = &llm.model {
                    e.key("model")?;
                    e.str(model)?;
                }
                e.key("usage")?;
                e.payload(Some(&usage_payload(&llm.usage)))?;
            }
        }
    }
    e.key("start_time")?;
    e.time(a, r.start)?;
    e.key("end_time")?;
    if r.status == Status::Incomplete {
        e.null()?;
        e.key("duration_us")?;
        e.null()?;
    } else {
        e.time(a, r.end)?;
        e.key("duration_us")?;
        e.uint(a.duration_us(r.start, r.end))?;
    }
    e.key("status")?;
    e.str(r.status.as_str())?;
    if let Some(error) = &r.error {
        e.key("error")?;
        e.str(error)?;
        if !error.chain().is_empty() {
            e.key("error_chain")?;
            e.begin_array()?;
            for cause in error.chain() {
                e.str(cause)?;
            }
            e.end_array()?;
        }
    }
    e.key("thread")?;
    e.str(thread)
}

fn emit_event<E: Emit>(e: &mut E, r: &Record, a: &Anchor) -> io::Result<()> {
    e.begin_object()?;
    e.key("timestamp")?;
    e.time(a, r.start)?;
    e.key("event_type")?;
    e.str(&r.name)?;
    if let Some(log) = r.log() {
        e.key("level")?;
        e.str(log.level.as_str())?;
        e.key("logger")?;
        e.str(&log.logger)?;
        e.key("message")?;
        e.str(&log.message)?;
    }
    e.key("data")?;
    e.payload(r.input.as_ref())?;
    e.end_object()
}
