//! Reading a run whatever its depth: serde_json's parser stops at 128 levels of nesting (about
//! 60 records, each an object in an array), and its derived readers recurse once a level, so a
//! deeply recursive agent's run can't be read in one piece. Here the records are found with an
//! explicit stack (in the text, or taken out of a `Value`), each record is read on its own with
//! its children left out, and the tree is put together from the innermost records out.
//!
//! A record's own fields are parsed one by one, with the parser's limit: a payload nested
//! deeper than it allows (captured with a `max_depth` above 127) is kept as its JSON text, a
//! string, as [`capture`](crate::capture()) and [`recover`](crate::recover) keep it, so a run
//! reads the same from its nested file and from its journal.

use std::borrow::Cow;

use serde::de::{Deserialize, Error as _, Unexpected};
use serde_json::{Map, Value};

use super::model::{Action, Event, Interaction, Iteration, Run};

/// The deepest nesting serde_json's parser reads (its recursion limit).
const PARSER_DEPTH: usize = 127;

/// What a node of the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Run,
    Iteration,
    Interaction,
    Action,
    Event,
}

impl Node {
    /// The kind of record under `key` of a node of this kind, if `key` holds records.
    fn child(self, key: &str) -> Option<Node> {
        if self == Node::Event {
            return None;
        }
        match key {
            "iterations" => Some(Node::Iteration),
            "interactions" => Some(Node::Interaction),
            "actions" => Some(Node::Action),
            "events" => Some(Node::Event),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Node::Run => "struct Run",
            Node::Iteration => "struct Iteration",
            Node::Interaction => "struct Interaction",
            Node::Action => "struct Action",
            Node::Event => "struct Event",
        }
    }
}

/// A record read on its own: its fields without its children, and its children's places in
/// the list of parts (always after its own: a parent comes before its children).
#[derive(Debug)]
struct Part {
    node: Node,
    fields: Map<String, Value>,
    children: Vec<usize>,
}

impl Part {
    fn new(node: Node) -> Part {
        Part {
            node,
            fields: Map::new(),
            children: Vec::new(),
        }
    }
}

/// The run in `text`, a JSON document (checked to be JSON by the caller).
pub(super) fn run_from_text(text: &str) -> Result<Run, serde_json::Error> {
    assemble(parts_of_text(text)?)
}

/// The run in `value`, taken apart as it is read.
pub(super) fn run_from_value(value: Value) -> Result<Run, serde_json::Error> {
    assemble(parts_of_value(value)?)
}

/// How deep `value` nests (a scalar: 0), counted with an explicit stack.
pub(super) fn depth_of_value(value: &Value) -> usize {
    let mut deepest = 0;
    let mut todo = vec![(value, 0)];
    while let Some((value, depth)) = todo.pop() {
        deepest = deepest.max(depth);
        match value {
            Value::Array(items) => todo.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => todo.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    deepest
}

fn not_a_record(node: Node) -> serde_json::Error {
    serde_json::Error::invalid_type(Unexpected::Other("something else"), &node.name())
}

/// The parts of `value`, each record's children taken out of its fields.
fn parts_of_value(value: Value) -> Result<Vec<Part>, serde_json::Error> {
    let Value::Object(fields) = value else {
        return Err(not_a_record(Node::Run));
    };
    let mut parts = vec![Part {
        fields,
        ..Part::new(Node::Run)
    }];
    let mut todo = vec![0];
    while let Some(at) = todo.pop() {
        let node = parts[at].node;
        let keys: Vec<(String, Node)> = parts[at]
            .fields
            .iter()
            .filter(|(_, v)| v.is_array())
            .filter_map(|(k, _)| Some((k.clone(), node.child(k)?)))
            .collect();
        for (key, kind) in keys {
            let Some(Value::Array(items)) = parts[at].fields.remove(&key) else {
                continue;
            };
            for item in items {
                let Value::Object(fields) = item else {
                    return Err(not_a_record(kind));
                };
                let child = parts.len();
                parts.push(Part {
                    fields,
                    ..Part::new(kind)
                });
                parts[at].children.push(child);
                todo.push(child);
            }
        }
    }
    Ok(parts)
}

/// A record whose text is being read: its part, and the kind of the records of the array of
/// its children being read, if one is.
struct Open {
    part: usize,
    array: Option<Node>,
}

/// The parts of the JSON document `text`, in one pass with an explicit stack of the records
/// being read. A record's fields other than its children are parsed one by one as they come.
fn parts_of_text(text: &str) -> Result<Vec<Part>, serde_json::Error> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err(not_a_record(Node::Run));
    }
    let mut parts = vec![Part::new(Node::Run)];
    let mut open = vec![Open {
        part: 0,
        array: None,
    }];
    i += 1;
    while let Some(top) = open.last_mut() {
        i = skip_ws(b, i);
        let Some(&c) = b.get(i) else {
            return Err(serde_json::Error::custom("the JSON ends inside a record"));
        };
        if let Some(kind) = top.array {
            i += 1;
            match c {
                b']' => top.array = None,
                b',' => {}
                b'{' => {
                    let child = parts.len();
                    parts[top.part].children.push(child);
                    parts.push(Part::new(kind));
                    open.push(Open {
                        part: child,
                        array: None,
                    });
                }
                _ => return Err(not_a_record(kind)),
            }
            continue;
        }
        match c {
            b'}' => {
                i += 1;
                open.pop();
            }
            b',' => i += 1,
            b'"' => {
                let key_end = string_end(b, i);
                let key = &text[i..key_end];
                // The `:` after the key, and the value.
                i = skip_ws(b, skip_ws(b, key_end) + 1);
                let name = key_name(key)?;
                let part = &mut parts[top.part];
                let kind = part.node.child(&name);
                if let (Some(kind), Some(b'[')) = (kind, b.get(i)) {
                    // The last array under a key is the one kept, as for any key of a map.
                    if !part.children.is_empty() {
                        let earlier = std::mem::take(&mut part.children);
                        let kinds: Vec<Node> = earlier.iter().map(|c| parts[*c].node).collect();
                        parts[top.part].children = earlier
                            .into_iter()
                            .zip(kinds)
                            .filter(|(_, k)| *k != kind)
                            .map(|(c, _)| c)
                            .collect();
                    }
                    top.array = Some(kind);
                    i += 1;
                    continue;
                }
                let (end, depth) = value_end(b, i);
                let value = field_value(&name, &text[i..end], depth)?;
                parts[top.part].fields.insert(name.into_owned(), value);
                i = end;
            }
            _ => return Err(serde_json::Error::custom("a record's key is not a string")),
        }
    }
    Ok(parts)
}

/// The value of a record's field from its text, `depth` levels deep: parsed if the parser
/// allows it, else kept as its JSON text (compact, as captured); `metadata`, entry by entry.
fn field_value(key: &str, text: &str, depth: usize) -> Result<Value, serde_json::Error> {
    if depth <= PARSER_DEPTH {
        return serde_json::from_str(text);
    }
    if key != "metadata" || !text.starts_with('{') {
        return Ok(Value::String(compact(text)));
    }
    // `{"key": payload, ...}`: each payload as any other.
    let b = text.as_bytes();
    let mut entries = Map::new();
    let mut i = skip_ws(b, 1);
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let key_end = string_end(b, i);
                let name = key_name(&text[i..key_end])?;
                i = skip_ws(b, skip_ws(b, key_end) + 1);
                let (end, depth) = value_end(b, i);
                let value = if depth <= PARSER_DEPTH {
                    serde_json::from_str(&text[i..end])?
                } else {
                    Value::String(compact(&text[i..end]))
                };
                entries.insert(name.into_owned(), value);
                i = end;
            }
            b'}' => break,
            _ => i += 1,
        }
    }
    Ok(Value::Object(entries))
}

/// JSON text without the whitespace between its tokens.
fn compact(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let end = string_end(b, i);
                out.push_str(&text[i..end]);
                i = end;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                // Outside strings JSON is ASCII.
                out.push(char::from(c));
                i += 1;
            }
        }
    }
    out
}

/// The name a key's text (with its quotes) stands for.
fn key_name(key: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    if key.contains('\\') {
        serde_json::from_str::<String>(key).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(key.get(1..key.len() - 1).unwrap_or("")))
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// Where the string that starts at `i` (its `"`) ends: after its closing `"`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Where the value that starts at `i` ends, and how deep it nests (a scalar: 0).
fn value_end(b: &[u8], i: usize) -> (usize, usize) {
    match b.get(i) {
        Some(b'"') => (string_end(b, i), 0),
        Some(b'{' | b'[') => {
            let (mut depth, mut deepest) = (0, 0);
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j);
                        continue;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        deepest = deepest.max(depth);
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return (j + 1, deepest);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            (b.len(), deepest)
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            (j, 0)
        }
    }
}

/// A record read, of any kind.
enum Built {
    Run(Run),
    Iteration(Iteration),
    Interaction(Interaction),
    Action(Action),
    Event(Event),
}

/// The lists of children of a record that has them.
type Lists<'r> = (
    &'r mut Vec<Iteration>,
    &'r mut Vec<Interaction>,
    &'r mut Vec<Action>,
    &'r mut Vec<Event>,
);

impl Built {
    fn lists(&mut self) -> Option<Lists<'_>> {
        Some(match self {
            Built::Run(r) => (
                &mut r.iterations,
                &mut r.interactions,
                &mut r.actions,
                &mut r.events,
            ),
            Built::Iteration(r) => (
                &mut r.iterations,
                &mut r.interactions,
                &mut r.actions,
                &mut r.events,
            ),
            Built::Interaction(r) => (
                &mut r.iterations,
                &mut r.interactions,
                &mut r.actions,
                &mut r.events,
            ),
            Built::Action(r) => (
                &mut r.iterations,
                &mut r.interactions,
                &mut r.actions,
                &mut r.events,
            ),
            Built::Event(_) => return None,
        })
    }

    /// Puts `child` last among this record's children of its kind.
    fn adopt(&mut self, child: Built) {
        let Some((iterations, interactions, actions, events)) = self.lists() else {
            return;
        };
        match child {
            Built::Iteration(c) => iterations.push(c),
            Built::Interaction(c) => interactions.push(c),
            Built::Action(c) => actions.push(c),
            Built::Event(c) => events.push(c),
            Built::Run(_) => {}
        }
    }
}

/// The typed tree of `parts`: each part read from its fields, from the last (the innermost
/// records) to the first (the run), and given its children, already read.
fn assemble(parts: Vec<Part>) -> Result<Run, serde_json::Error> {
    let mut built: Vec<Option<Built>> = Vec::new();
    built.resize_with(parts.len(), || None);
    for (at, part) in parts.into_iter().enumerate().rev() {
        let fields = Value::Object(part.fields);
        let mut record = match part.node {
            Node::Run => Built::Run(Run::deserialize(fields)?),
            Node::Iteration => Built::Iteration(Iteration::deserialize(fields)?),
            Node::Interaction => Built::Interaction(Interaction::deserialize(fields)?),
            Node::Action => Built::Action(Action::deserialize(fields)?),
            Node::Event => Built::Event(Event::deserialize(fields)?),
        };
        for child in part.children {
            // A child comes after its parent: it was read already.
            if let Some(child) = built.get_mut(child).and_then(Option::take) {
                record.adopt(child);
            }
        }
        built[at] = Some(record);
    }
    match built.into_iter().next().flatten() {
        Some(Built::Run(run)) => Ok(run),
        _ => Err(not_a_record(Node::Run)),
    }
}

impl Drop for Run {
    /// Drops the records one at a time, not by recursion: a run thousands of records deep
    /// drops on a small stack too. (Here, beside the reader of deep runs, whose types it
    /// uses: the model itself needs nothing from this file.)
    fn drop(&mut self) {
        drop_flat(self);
    }
}

/// Drops the records below `run` one at a time, each once its children were moved out, so
/// that a tree thousands of records deep is not dropped by recursion as deep.
fn drop_flat(run: &mut Run) {
    let mut todo: Vec<Built> = Vec::new();
    let take = |lists: Lists<'_>, todo: &mut Vec<Built>| {
        let (iterations, interactions, actions, events) = lists;
        todo.extend(std::mem::take(iterations).into_iter().map(Built::Iteration));
        todo.extend(
            std::mem::take(interactions)
                .into_iter()
                .map(Built::Interaction),
        );
        todo.extend(std::mem::take(actions).into_iter().map(Built::Action));
        todo.extend(std::mem::take(events).into_iter().map(Built::Event));
    };
    take(
        (
            &mut run.iterations,
            &mut run.interactions,
            &mut run.actions,
            &mut run.events,
        ),
        &mut todo,
    );
    while let Some(mut record) = todo.pop() {
        if let Some(lists) = record.lists() {
            take(lists, &mut todo);
        }
    }
}
