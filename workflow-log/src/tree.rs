//! The one place where flat records become the nested JSON of a run: `finish`, `capture` and
//! `recover` all go through [`Tree`].
//!
//! The writer walks the tree with an explicit stack, so a deeply recursive agent can't overflow
//! the stack of the thread that writes its log.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::Arc;

use crate::clock::{self, Anchor};
use crate::record::{Kind, Payload, Record, Status};

/// The workflow-level fields of a run.
#[derive(Debug)]
pub(crate) struct RunInfo<'a> {
    pub(crate) workflow: &'a str,
    pub(crate) run_id: &'a str,
    pub(crate) anchor: Anchor,
    /// Tick at which the run ended.
    pub(crate) end: u64,
    pub(crate) status: Status,
}

/// The `schema` field of every nested JSON document.
pub(crate) const SCHEMA: &str = "workflow-log/1";

const ROOT: usize = usize::MAX;

/// Flat records with their children grouped by kind, each group in start order.
pub(crate) struct Tree {
    records: Vec<Record>,
    /// Per record, then for the root at the end: children by kind (iteration, interaction,
    /// action, event).
    children: Vec<[Vec<u32>; 4]>,
    names: Vec<Arc<str>>,
}

fn group(kind: Kind) -> usize {
    match kind {
        Kind::Iteration => 0,
        Kind::Interaction => 1,
        Kind::Action => 2,
        Kind::Event => 3,
    }
}

const GROUP_KEYS: [&str; 4] = ["iterations", "interactions", "actions", "events"];

impl Tree {
    /// Nests `records` by parent id. An open notice is dropped when the record's close arrived;
    /// one that never closed stays, `incomplete`. A record whose parent is unknown (or that sits
    /// in a cycle) goes under the workflow.
    pub(crate) fn assemble(mut records: Vec<Record>, names: Vec<Arc<str>>) -> Tree {
        let closed: HashSet<u64> = records
            .iter()
            .filter(|r| r.status != Status::Incomplete)
            .map(|r| r.id)
            .collect();
        let mut seen = HashSet::with_capacity(records.len());
        records.retain(|r| {
            let keep = r.kind == Kind::Event
                || (r.status != Status::Incomplete || !closed.contains(&r.id)) && seen.insert(r.id);
            keep
        });
        records.sort_by_key(|r| (r.start, r.id));
        let index: HashMap<u64, usize> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind != Kind::Event)
            .map(|(i, r)| (r.id, i))
            .collect();
        let mut parent_of: Vec<usize> = records
            .iter()
            .map(|r| match index.get(&r.parent) {
                Some(&p) if r.parent != 0 && r.parent != r.id => p,
                _ => ROOT,
            })
            .collect();
        // Break cycles (only a corrupt journal can make them): a record that can't reach the
        // root goes under it.
        let mut state = vec![0u8; records.len()]; // 0 unknown, 1 on the path, 2 reaches root
        for start in 0..records.len() {
            let mut path = Vec::new();
            let mut i = start;
            while i != ROOT && state[i] == 0 {
                state[i] = 1;
                path.push(i);
                i = parent_of[i];
            }
            if i != ROOT && state[i] == 1 {
                parent_of[i] = ROOT;
            }
            for p in path {
                state[p] = 2;
            }
        }
        let mut children = vec![<[Vec<u32>; 4]>::default(); records.len() + 1];
        for (i, r) in records.iter().enumerate() {
            let p = match parent_of[i] {
                ROOT => records.len(),
                p => p,
            };
            children[p][group(r.kind)].push(i as u32);
        }
        Tree {
            records,
            children,
            names,
        }
    }

    /// Writes the nested JSON document.
    pub(crate) fn write<W: Write>(
        &self,
        info: &RunInfo<'_>,
        pretty: bool,
        out: &mut W,
    ) -> io::Result<()> {
        let mut w = Writer {
            out,
            pretty,
            depth: 0,
        };
        let a = &info.anchor;
        w.raw("{")?;
        w.depth += 1;
        w.key_first("schema")?;
        w.string(SCHEMA)?;
        w.key("workflow")?;
        w.string(info.workflow)?;
        w.key("run_id")?;
        w.string(info.run_id)?;
        w.key("start_time")?;
        w.string(&clock::rfc3339(a.wall()))?;
        w.key("end_time")?;
        w.string(&a.format(info.end))?;
        w.key("status")?;
        w.string(info.status.as_str())?;
        // (node, group, next child in the group)
        let root = self.records.len();
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, 0, 0)];
        self.open_group(&mut w, root, 0)?;
        while let Some(top) = stack.last_mut() {
            let (node, g, j) = *top;
            let list = &self.children[node][g];
            if j < list.len() {
                top.2 += 1;
                let child = list[j] as usize;
                w.item(j == 0)?;
                if self.records[child].kind == Kind::Event {
                    self.write_event(&mut w, child, a)?;
                } else {
                    self.write_record_head(&mut w, child, a)?;
                    stack.push((child, 0, 0));
                    self.open_group(&mut w, child, 0)?;
                }
                continue;
            }
            // This group is done: close it, open the next one or close the node.
            if self.emits_group(node, g) {
                w.depth -= 1;
                if !list.is_empty() {
                    w.newline()?;
                }
                w.raw("]")?;
            }
            if g + 1 < 4 {
                top.1 += 1;
                top.2 = 0;
                self.open_group(&mut w, node, g + 1)?;
            } else {
                stack.pop();
                w.depth -= 1;
                w.newline()?;
                w.raw("}")?;
            }
        }
        if pretty {
            w.raw("\n")?;
        }
        Ok(())
    }

    /// Whether `node` writes group `g`: the groups its kind always has, and any non-empty one.
    fn emits_group(&self, node: usize, g: usize) -> bool {
        if !self.children[node][g].is_empty() {
            return true;
        }
        let kind = self.records.get(node).map(|r| r.kind);
        match kind {
            None => g == 0 || g == 3,                    // workflow: iterations, events
            Some(Kind::Iteration) => g == 1,             // interactions
            Some(Kind::Interaction) => g == 2 || g == 3, // actions, events
            Some(_) => false,
        }
    }

    fn open_group<W: Write>(&self, w: &mut Writer<'_, W>, node: usize, g: usize) -> io::Result<()> {
        if self.emits_group(node, g) {
            w.key(GROUP_KEYS[g])?;
            w.raw("[")?;
            w.depth += 1;
        }
        Ok(())
    }

    fn write_record_head<W: Write>(
        &self,
        w: &mut Writer<'_, W>,
        i: usize,
        a: &Anchor,
    ) -> io::Result<()> {
        let r = &self.records[i];
        w.raw("{")?;
        w.depth += 1;
        w.key_first("id")?;
        w.string(&r.id.to_string())?;
        match r.kind {
            Kind::Iteration => {
                w.key("iteration_number")?;
                w.raw(&r.number.to_string())?;
            }
            Kind::Interaction => {
                w.key("agent_name")?;
                w.string(&r.name)?;
                w.key("input")?;
                w.payload(r.input.as_ref())?;
                w.key("output")?;
                w.payload(r.output.as_ref())?;
            }
            Kind::Action | Kind::Event => {
                w.key("action_name")?;
                w.string(&r.name)?;
                w.key("input_data")?;
                w.payload(r.input.as_ref())?;
                w.key("output_data")?;
                w.payload(r.output.as_ref())?;
                w.key("metadata")?;
                w.raw("{")?;
                for (k, (key, value)) in r.metadata.iter().enumerate() {
                    if k > 0 {
                        w.raw(",")?;
                    }
                    w.string(key)?;
                    w.raw(":")?;
                    w.raw(value.as_str())?;
                }
                w.raw("}")?;
            }
        }
        w.key("start_time")?;
        w.string(&a.format(r.start))?;
        w.key("end_time")?;
        if r.status == Status::Incomplete {
            w.raw("null")?;
            w.key("duration_us")?;
            w.raw("null")?;
        } else {
            w.string(&a.format(r.end))?;
            w.key("duration_us")?;
            w.raw(&clock::duration_us(r.start, r.end).to_string())?;
        }
        w.key("status")?;
        w.string(r.status.as_str())?;
        if let Some(error) = &r.error {
            w.key("error")?;
            w.string(error)?;
        }
        w.key("thread")?;
        w.string(self.names.get(r.thread as usize).map_or("?", |n| n))?;
        Ok(())
    }

    fn write_event<W: Write>(&self, w: &mut Writer<'_, W>, i: usize, a: &Anchor) -> io::Result<()> {
        let r = &self.records[i];
        w.raw("{")?;
        w.depth += 1;
        w.key_first("timestamp")?;
        w.string(&a.format(r.start))?;
        w.key("event_type")?;
        w.string(&r.name)?;
        if let Some(log) = &r.log {
            w.key("level")?;
            w.string(log.level.as_str())?;
            w.key("logger")?;
            w.string(&log.logger)?;
            w.key("message")?;
            w.string(&log.message)?;
        }
        w.key("data")?;
        w.payload(r.input.as_ref())?;
        w.depth -= 1;
        w.newline()?;
        w.raw("}")
    }
}

struct Writer<'a, W> {
    out: &'a mut W,
    pretty: bool,
    depth: usize,
}

impl<W: Write> Writer<'_, W> {
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    fn newline(&mut self) -> io::Result<()> {
        if self.pretty {
            self.out.write_all(b"\n")?;
            for _ in 0..self.depth {
                self.out.write_all(b"  ")?;
            }
        }
        Ok(())
    }

    fn key_first(&mut self, key: &str) -> io::Result<()> {
        self.newline()?;
        self.string(key)?;
        self.raw(if self.pretty { ": " } else { ":" })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.raw(",")?;
        self.key_first(key)
    }

    fn item(&mut self, first: bool) -> io::Result<()> {
        if !first {
            self.raw(",")?;
        }
        self.newline()
    }

    fn string(&mut self, s: &str) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, s).map_err(io::Error::from)
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.raw(p.map_or("null", Payload::as_str))
    }
}

/// Writes the nested JSON of `records` to `out`.
pub(crate) fn write<W: Write>(
    info: &RunInfo<'_>,
    records: Vec<Record>,
    names: Vec<Arc<str>>,
    pretty: bool,
    out: &mut W,
) -> io::Result<()> {
    Tree::assemble(records, names).write(info, pretty, out)
}

/// The nested JSON of `records` as a value.
pub(crate) fn to_value(
    info: &RunInfo<'_>,
    records: Vec<Record>,
    names: Vec<Arc<str>>,
) -> serde_json::Value {
    let mut buf = Vec::new();
    if let Err(e) = write(info, records, names, false, &mut buf) {
        return serde_json::json!({ "schema": SCHEMA, "error": e.to_string() });
    }
    serde_json::from_slice(&buf).unwrap_or_else(|e| {
        serde_json::json!({ "schema": SCHEMA, "error": format!("the log could not be read back: {e}") })
    })
}
