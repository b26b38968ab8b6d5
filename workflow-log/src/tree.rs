//! The one place where flat records become the nested JSON of a run: `finish`, `capture` and
//! `recover` all go through [`Tree`].
//!
//! The writer walks the tree with an explicit stack, so a deeply recursive agent can't overflow
//! the stack of the thread that writes its log.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::Arc;

use crate::clock::{self, Anchor};
use serde_json::{Map, Value};

use crate::payload::escape_into;
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
            r.kind == Kind::Event
                || (r.status != Status::Incomplete || !closed.contains(&r.id)) && seen.insert(r.id)
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

    /// Walks the tree once, emitting the nested document into `e`. The walk keeps its own
    /// stack, so nesting depth costs heap, not call stack.
    fn emit<E: Emit>(&self, info: &RunInfo<'_>, e: &mut E) -> io::Result<()> {
        let a = &info.anchor;
        e.begin_object()?;
        e.key("schema")?;
        e.str(SCHEMA)?;
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
        // (node, group, next child in the group)
        let root = self.records.len();
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, 0, 0)];
        self.open_group(e, root, 0)?;
        while let Some(top) = stack.last_mut() {
            let (node, g, j) = *top;
            let list = &self.children[node][g];
            if j < list.len() {
                top.2 += 1;
                let child = list[j] as usize;
                if self.records[child].kind == Kind::Event {
                    self.emit_event(e, child, a)?;
                } else {
                    self.emit_record_head(e, child, a)?;
                    stack.push((child, 0, 0));
                    self.open_group(e, child, 0)?;
                }
                continue;
            }
            // This group is done: close it, open the next one or close the node.
            if self.emits_group(node, g) {
                e.end_array()?;
            }
            if g + 1 < 4 {
                top.1 += 1;
                top.2 = 0;
                self.open_group(e, node, g + 1)?;
            } else {
                stack.pop();
                e.end_object()?;
            }
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

    fn open_group<E: Emit>(&self, e: &mut E, node: usize, g: usize) -> io::Result<()> {
        if self.emits_group(node, g) {
            e.key(GROUP_KEYS[g])?;
            e.begin_array()?;
        }
        Ok(())
    }

    fn emit_record_head<E: Emit>(&self, e: &mut E, i: usize, a: &Anchor) -> io::Result<()> {
        let r = &self.records[i];
        e.begin_object()?;
        e.key("id")?;
        e.str(&r.id.to_string())?;
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
            }
        }
        e.key("start_time")?;
        e.str(&a.format(r.start))?;
        e.key("end_time")?;
        if r.status == Status::Incomplete {
            e.null()?;
            e.key("duration_us")?;
            e.null()?;
        } else {
            e.str(&a.format(r.end))?;
            e.key("duration_us")?;
            e.uint(a.duration_us(r.start, r.end))?;
        }
        e.key("status")?;
        e.str(r.status.as_str())?;
        if let Some(error) = &r.error {
            e.key("error")?;
            e.str(error)?;
        }
        e.key("thread")?;
        e.str(self.names.get(r.thread as usize).map_or("?", |n| n))
    }

    fn emit_event<E: Emit>(&self, e: &mut E, i: usize, a: &Anchor) -> io::Result<()> {
        let r = &self.records[i];
        e.begin_object()?;
        e.key("timestamp")?;
        e.str(&a.format(r.start))?;
        e.key("event_type")?;
        e.str(&r.name)?;
        if let Some(log) = &r.log {
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
}

/// What the tree walk emits into: JSON text (the file) or a `serde_json::Value` (`capture`,
/// `recover`). One walk serves both, so they can't disagree.
trait Emit {
    fn begin_object(&mut self) -> io::Result<()>;
    fn end_object(&mut self) -> io::Result<()>;
    fn begin_array(&mut self) -> io::Result<()>;
    fn end_array(&mut self) -> io::Result<()>;
    /// The next key of the object being emitted.
    fn key(&mut self, key: &str) -> io::Result<()>;
    fn str(&mut self, s: &str) -> io::Result<()>;
    fn uint(&mut self, n: u64) -> io::Result<()>;
    fn null(&mut self) -> io::Result<()>;
    /// A captured value, or `null`.
    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()>;
    /// An action's `metadata` object.
    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()>;
}

/// JSON text, indented or compact. Payloads and metadata stay on one line.
struct Text<'a, W> {
    out: &'a mut W,
    pretty: bool,
    /// Per open container: (is an array, has no item yet).
    open: Vec<(bool, bool)>,
}

impl<W: Write> Text<'_, W> {
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    fn newline(&mut self, depth: usize) -> io::Result<()> {
        if self.pretty {
            self.out.write_all(b"\n")?;
            for _ in 0..depth {
                self.out.write_all(b"  ")?;
            }
        }
        Ok(())
    }

    /// Separates array items (an object's values follow their key).
    fn before_value(&mut self) -> io::Result<()> {
        let depth = self.open.len();
        if let Some((true, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            if !was_first {
                self.raw(",")?;
            }
            self.newline(depth)?;
        }
        Ok(())
    }

    fn close(&mut self, bracket: &str) -> io::Result<()> {
        let (_, empty) = self.open.pop().unwrap_or((false, true));
        if !empty {
            let depth = self.open.len();
            self.newline(depth)?;
        }
        self.raw(bracket)?;
        if self.open.is_empty() && self.pretty {
            self.raw("\n")?;
        }
        Ok(())
    }

    fn quoted(&mut self, s: &str) -> io::Result<()> {
        let mut buf = String::with_capacity(s.len() + 2);
        buf.push('"');
        escape_into(&mut buf, s);
        buf.push('"');
        self.raw(&buf)
    }
}

impl<W: Write> Emit for Text<'_, W> {
    fn begin_object(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((false, true));
        self.raw("{")
    }

    fn end_object(&mut self) -> io::Result<()> {
        self.close("}")
    }

    fn begin_array(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((true, true));
        self.raw("[")
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.close("]")
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        let depth = self.open.len();
        if let Some((_, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            if !was_first {
                self.raw(",")?;
            }
        }
        self.newline(depth)?;
        self.quoted(key)?;
        self.raw(if self.pretty { ": " } else { ":" })
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.before_value()?;
        self.quoted(s)
    }

    fn uint(&mut self, n: u64) -> io::Result<()> {
        self.before_value()?;
        self.raw(&n.to_string())
    }

    fn null(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.raw("null")
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.before_value()?;
        self.raw(p.map_or("null", Payload::as_str))
    }

    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()> {
        self.before_value()?;
        self.raw("{")?;
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.quoted(key)?;
            self.raw(":")?;
            self.raw(value.as_str())?;
        }
        self.raw("}")
    }
}

/// A `serde_json::Value`, built without recursion.
#[derive(Default)]
struct ValueBuilder {
    /// Open containers; an object carries the key its next value goes under.
    open: Vec<(Value, Option<String>)>,
    done: Option<Value>,
}

impl ValueBuilder {
    fn put(&mut self, value: Value) {
        match self.open.last_mut() {
            None => self.done = Some(value),
            Some((Value::Array(items), _)) => items.push(value),
            Some((Value::Object(map), key)) => {
                map.insert(key.take().unwrap_or_default(), value);
            }
            Some(_) => {}
        }
    }

    fn close(&mut self) {
        if let Some((value, _)) = self.open.pop() {
            self.put(value);
        }
    }
}

impl Emit for ValueBuilder {
    fn begin_object(&mut self) -> io::Result<()> {
        self.open.push((Value::Object(Map::new()), None));
        Ok(())
    }

    fn end_object(&mut self) -> io::Result<()> {
        self.close();
        Ok(())
    }

    fn begin_array(&mut self) -> io::Result<()> {
        self.open.push((Value::Array(Vec::new()), None));
        Ok(())
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.close();
        Ok(())
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        if let Some((_, slot)) = self.open.last_mut() {
            *slot = Some(key.to_owned());
        }
        Ok(())
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.put(Value::String(s.to_owned()));
        Ok(())
    }

    fn uint(&mut self, n: u64) -> io::Result<()> {
        self.put(Value::from(n));
        Ok(())
    }

    fn null(&mut self) -> io::Result<()> {
        self.put(Value::Null);
        Ok(())
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.put(p.map_or(Value::Null, payload_value));
        Ok(())
    }

    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()> {
        let map = entries
            .iter()
            .map(|(k, v)| (k.to_string(), payload_value(v)))
            .collect();
        self.put(Value::Object(map));
        Ok(())
    }
}

/// A payload as a value. Payloads are depth-limited when captured; one that is still too deep
/// for the parser (a configured limit above 127) is kept as its JSON text.
fn payload_value(p: &Payload) -> Value {
    serde_json::from_str(p.as_str()).unwrap_or_else(|_| Value::String(p.as_str().to_owned()))
}

/// Writes the nested JSON of `records` to `out`.
pub(crate) fn write<W: Write>(
    info: &RunInfo<'_>,
    records: Vec<Record>,
    names: Vec<Arc<str>>,
    pretty: bool,
    out: &mut W,
) -> io::Result<()> {
    let mut text = Text {
        out,
        pretty,
        open: Vec::new(),
    };
    Tree::assemble(records, names).emit(info, &mut text)
}

/// The nested JSON of `records` as a value.
pub(crate) fn to_value(info: &RunInfo<'_>, records: Vec<Record>, names: Vec<Arc<str>>) -> Value {
    let mut v = ValueBuilder::default();
    // Emitting into a value can't fail.
    let _ = Tree::assemble(records, names).emit(info, &mut v);
    v.done.unwrap_or(Value::Null)
}
