//! The one place where flat records become the nested JSON of a run: `finish`, `capture` and
//! `recover` nest records with one [`Index`] and write them with one [`walk()`], whether the
//! records are in memory ([`Tree`]) or read back from a journal.
//!
//! Nothing here recurses, so a deeply recursive agent can't overflow the stack of the thread
//! that writes its log.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use serde_json::Value;

use crate::clock::Anchor;
use crate::record::{Payload, Record, Status, Usage};

mod index;
mod text;
mod value;
mod walk;

pub(crate) use index::{Entries, Index, NewEntry, Placer, IN_MEMORY};
use text::Text;
use value::ValueBuilder;
use walk::walk;
pub(crate) use walk::Nodes;

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

/// Flat records nested by parent id: the records as they arrived (duplicates and superseded
/// open notices included, never reached from the index) and the index of the kept ones.
pub(crate) struct Tree {
    records: Vec<Record>,
    names: Vec<Arc<str>>,
    index: Index,
}

impl Tree {
    /// Nests `records` by parent id (see [`Index::build`]): an open notice is dropped when the
    /// record's close arrived, one that never closed stays `incomplete`, a record (or event)
    /// whose id came before is kept once, and a record whose parent is unknown, an event, or
    /// that sits in a cycle goes under the workflow.
    pub(crate) fn assemble(records: Vec<Record>, names: Vec<Arc<str>>) -> Tree {
        // Locations are places in `records`; more records than an index holds can't be in
        // memory at once (each is over 100 bytes).
        let mut entries = Entries::default();
        for (i, r) in records.iter().enumerate() {
            entries.push(&NewEntry {
                id: r.id,
                parent: r.parent,
                kind: r.kind,
                status: r.status,
                start: r.start,
                location: i as u64,
            });
        }
        Tree {
            records,
            names,
            index: Index::build(entries),
        }
    }
}

impl Nodes for Tree {
    fn index(&self) -> &Index {
        &self.index
    }

    fn record(&mut self, node: u32) -> io::Result<(&Record, &str)> {
        let r = &self.records[self.index.location(node) as usize];
        let thread = self.names.get(r.thread as usize).map_or("?", |n| n);
        Ok((r, thread))
    }
}

/// What the tree walk emits into: JSON text (the file) or a `serde_json::Value` (`capture`,
/// `recover`). One walk serves both, so they can't disagree.
pub(super) trait Emit {
    fn begin_object(&mut self) -> io::Result<()>;
    fn end_object(&mut self) -> io::Result<()>;
    fn begin_array(&mut self) -> io::Result<()>;
    fn end_array(&mut self) -> io::Result<()>;
    /// The next key of the object being emitted: one of the format's own names, which never
    /// need escaping.
    fn key(&mut self, key: &'static str) -> io::Result<()>;
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
    write_nodes(&mut Tree::assemble(records, names), info, pretty, out)
}

/// Writes the nested JSON of the records `nodes` hold to `out`.
pub(crate) fn write_nodes<N: Nodes, W: Write>(
    nodes: &mut N,
    info: &RunInfo<'_>,
    pretty: bool,
    out: &mut W,
) -> io::Result<()> {
    let mut text = Text::new(out, pretty);
    walk(nodes, info, &mut text)?;
    text.done()
}

/// The nested JSON of `records` as a value.
pub(crate) fn to_value(info: &RunInfo<'_>, records: Vec<Record>, names: Vec<Arc<str>>) -> Value {
    let mut v = ValueBuilder::default();
    // Emitting into a value can't fail.
    let _ = walk(&mut Tree::assemble(records, names), info, &mut v);
    v.done.unwrap_or(Value::Null)
}

/// A usage as the JSON text of its object.
fn usage_payload(usage: &Usage) -> Payload {
    Payload::from_json_unchecked(serde_json::to_string(usage).unwrap_or_else(|_| "{}".to_owned()))
}
