//! The one place where flat records become the nested JSON of a run: `finish`, `capture` and
//! `recover` all go through [`Tree`].
//!
//! The writer walks the tree with an explicit stack, so a deeply recursive agent can't overflow
//! the stack of the thread that writes its log.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::Arc;

use serde_json::Value;

use crate::clock::{self, Anchor, TimeFormat};
use crate::record::{Kind, Payload, Record, Status, Usage};

mod text;
mod value;

use text::Text;
use value::ValueBuilder;

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

/// The version of the nested JSON format, written in every document's `schema` field.
pub const SCHEMA_VERSION: &str = "workflow-log/1";

/// Flat records with their children grouped by kind, each group in start order.
pub(crate) struct Tree {
    /// As they arrived (duplicates and superseded open notices included, never referenced).
    records: Vec<Record>,
    /// Children by (parent, kind), each group in start order: group `g` of node `n` (the root
    /// is node `records.len()`) is `children[starts[4 * n + g]..starts[4 * n + g + 1]]`.
    starts: Vec<u32>,
    children: Vec<u32>,
    names: Vec<Arc<str>>,
}

/// A hasher for ids (`u64`s that are unique already): one multiply, no SipHash.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        self.0 ^= self.0 >> 29;
    }
}

type IdMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<IdHasher>>;

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
    /// one that never closed stays, `incomplete`. A record (or event) whose id came before is
    /// kept once (a journal concatenated with itself). A record whose parent is unknown, an
    /// event, or that sits in a cycle goes under the workflow.
    pub(crate) fn assemble(records: Vec<Record>, names: Vec<Arc<str>>) -> Tree {
        assert!(
            records.len() < u32::MAX as usize,
            "too many records for one document"
        );
        let n = records.len();
        // The record kept for each id: the first that closed, else the first open notice.
        let mut index: IdMap<u32> = IdMap::default();
        index.reserve(n);
        for (i, r) in records.iter().enumerate() {
            if r.kind == Kind::Event && r.id == 0 {
                continue;
            }
            index
                .entry(r.id)
                .and_modify(|kept| {
                    let k = &records[*kept as usize];
                    if k.status == Status::Incomplete && r.status != Status::Incomplete {
                        *kept = i as u32;
                    }
                })
                .or_insert(i as u32);
        }
        // Kept records in start order, as (start, id, index): sorted on their own, the records
        // stay where they are.
        let mut order: Vec<(u64, u64, u32)> = records
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                (r.kind == Kind::Event && r.id == 0) || index.get(&r.id) == Some(&(*i as u32))
            })
            .map(|(i, r)| (r.start, r.id, i as u32))
            .collect();
        order.sort_by_key(|&(start, id, _)| (start, id));
        const NONE: u32 = u32::MAX;
        let root = n as u32;
        let mut parent_of: Vec<u32> = vec![NONE; n];
        for &(_, _, i) in &order {
            let r = &records[i as usize];
            parent_of[i as usize] = match index.get(&r.parent) {
                Some(&p)
                    if r.parent != 0
                        && r.parent != r.id
                        && records[p as usize].kind != Kind::Event =>
                {
                    p
                }
                _ => root,
            };
        }
        drop(index);
        // Break cycles (only a corrupt journal can make them): a record that can't reach the
        // root goes under it.
        let mut state = vec![0u8; n]; // 0 unknown, 1 on the path, 2 reaches root
        let mut path = Vec::new();
        for &(_, _, start) in &order {
            path.clear();
            let mut i = start;
            while i != root && state[i as usize] == 0 {
                state[i as usize] = 1;
                path.push(i);
                i = parent_of[i as usize];
            }
            if i != root && state[i as usize] == 1 {
                parent_of[i as usize] = root;
            }
            for &p in &path {
                state[p as usize] = 2;
            }
        }
        drop(state);
        // Children grouped by (parent, kind), in start order: count, then place.
        let slot = |i: u32| {
            let r = &records[i as usize];
            parent_of[i as usize] as usize * 4 + group(r.kind)
        };
        let mut starts = vec![0u32; 4 * (n + 1) + 1];
        for &(_, _, i) in &order {
            starts[slot(i) + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut next = starts.clone();
        let mut children = vec![0u32; order.len()];
        for &(_, _, i) in &order {
            let s = &mut next[slot(i)];
            children[*s as usize] = i;
            *s += 1;
        }
        Tree {
            records,
            starts,
            children,
            names,
        }
    }

    /// The children of `node` (the root is `records.len()`) in group `g`.
    fn kids(&self, node: usize, g: usize) -> &[u32] {
        let k = 4 * node + g;
        &self.children[self.starts[k] as usize..self.starts[k + 1] as usize]
    }

    /// Walks the tree once, emitting the nested document into `e`. The walk keeps its own
    /// stack, so nesting depth costs heap, not call stack.
    fn emit<E: Emit>(&self, info: &RunInfo<'_>, e: &mut E) -> io::Result<()> {
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
        let totals = self.usage_totals();
        // (node, group, next child in the group)
        let root = self.records.len();
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, 0, 0)];
        self.open_group(e, root, 0)?;
        while let Some(top) = stack.last_mut() {
            let (node, g, j) = *top;
            let list = self.kids(node, g);
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
                if let Some(totals) = &totals {
                    self.emit_totals(e, node, totals)?;
                }
                e.end_object()?;
            }
        }
        Ok(())
    }

    /// The sum of the usage of each record and everything below it (the root last), or `None`
    /// when no record has usage. Walked with a stack of its own, like `emit`.
    fn usage_totals(&self) -> Option<Vec<Usage>> {
        if !self.records.iter().any(|r| r.llm().is_some()) {
            return None;
        }
        let root = self.records.len();
        let mut totals = vec![Usage::default(); root + 1];
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, 0, 0)];
        while let Some(top) = stack.last_mut() {
            let (node, g, j) = *top;
            if g < 4 {
                let list = self.kids(node, g);
                if j < list.len() {
                    top.2 += 1;
                    stack.push((list[j] as usize, 0, 0));
                } else {
                    top.1 += 1;
                    top.2 = 0;
                }
                continue;
            }
            stack.pop();
            if let Some(llm) = self.records.get(node).and_then(Record::llm) {
                totals[node].add(&llm.usage);
            }
            if let Some(&(parent, _, _)) = stack.last() {
                let sum = totals[node];
                totals[parent].add(&sum);
            }
        }
        Some(totals)
    }

    /// `usage_total` of an iteration, an interaction or the run (with usage below it), and the
    /// run's `usage_by_model`.
    fn emit_totals<E: Emit>(&self, e: &mut E, node: usize, totals: &[Usage]) -> io::Result<()> {
        let kind = self.records.get(node).map(|r| r.kind);
        if !matches!(kind, None | Some(Kind::Iteration | Kind::Interaction)) {
            return Ok(());
        }
        if totals[node].is_empty() {
            return Ok(());
        }
        e.key("usage_total")?;
        e.payload(Some(&usage_payload(&totals[node])))?;
        if kind.is_none() {
            let mut by_model: BTreeMap<&str, Usage> = BTreeMap::new();
            for r in &self.records {
                if let Some(llm) = r.llm().filter(|_| r.kind == Kind::Action) {
                    let model = llm.model.as_deref().unwrap_or_default();
                    by_model.entry(model).or_default().add(&llm.usage);
                }
            }
            let text = serde_json::to_string(&by_model).unwrap_or_else(|_| "{}".to_owned());
            e.key("usage_by_model")?;
            e.payload(Some(&Payload::from_json_unchecked(text)))?;
        }
        Ok(())
    }

    /// Whether `node` writes group `g`: the groups its kind always has, and any non-empty one.
    fn emits_group(&self, node: usize, g: usize) -> bool {
        if !self.kids(node, g).is_empty() {
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
        e.str(self.names.get(r.thread as usize).map_or("?", |n| n))
    }

    fn emit_event<E: Emit>(&self, e: &mut E, i: usize, a: &Anchor) -> io::Result<()> {
        let r = &self.records[i];
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
}

/// What the tree walk emits into: JSON text (the file) or a `serde_json::Value` (`capture`,
/// `recover`). One walk serves both, so they can't disagree.
pub(super) trait Emit {
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
    /// A record's id, as a string.
    fn id(&mut self, id: u64) -> io::Result<()> {
        self.str(&id.to_string())
    }
    /// A tick's time, as an RFC 3339 string.
    fn time(&mut self, anchor: &Anchor, tick: u64) -> io::Result<()> {
        self.str(&anchor.format(tick))
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
    let mut text = Text {
        out,
        pretty,
        open: Vec::new(),
        times: TimeFormat::new(),
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

/// A usage as the JSON text of its object.
fn usage_payload(usage: &Usage) -> Payload {
    Payload::from_json_unchecked(serde_json::to_string(usage).unwrap_or_else(|_| "{}".to_owned()))
}
