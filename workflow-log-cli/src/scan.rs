//! The runs in a logs directory, read from the files' heads (and, for small files, a light
//! pass that counts records without keeping payloads).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use workflow_log::document::Usage;

use crate::Failure;

/// How much of a file `ls` reads to find the run's name, times and status.
const HEAD_BYTES: u64 = 4096;
/// Files up to this size are read whole, to count their records.
pub const COUNT_LIMIT: u64 = 1024 * 1024;

/// One run as `ls` lists it.
#[derive(Debug, Default)]
pub struct Listed {
    pub path: PathBuf,
    pub workflow: String,
    pub start_time: String,
    pub end_time: Option<String>,
    pub status: String,
    /// Record counts and usage, for files small enough to read whole.
    pub counts: Option<Counts>,
    /// A journal with no nested file beside it: a run still going, or one that crashed.
    pub journal_only: bool,
}

/// How many records of each kind a run has, how many failed, and its usage.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub iterations: u64,
    pub interactions: u64,
    pub actions: u64,
    pub events: u64,
    pub failed: u64,
    pub usage: Option<Usage>,
}

/// The run files of `dir` (a `.json`, or a `.jsonl` with no `.json` beside it), newest first.
/// Files that are not runs are left out.
pub fn runs(dir: &Path, count: bool) -> Result<Vec<Listed>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::Input(format!(
            "`{}`: can't read the directory: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    // stem -> (has .json, has .jsonl)
    let mut stems: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        if let Some(stem) = name.strip_suffix(".jsonl") {
            stems.entry(stem.to_owned()).or_default().1 = true;
        } else if let Some(stem) = name.strip_suffix(".json") {
            stems.entry(stem.to_owned()).or_default().0 = true;
        }
    }
    let mut listed: Vec<Listed> = stems
        .into_iter()
        .filter_map(|(stem, (json, _))| {
            if json {
                read_json(&dir.join(format!("{stem}.json")), count)
            } else {
                read_journal(&dir.join(format!("{stem}.jsonl")))
            }
        })
        .collect();
    // RFC 3339 UTC times with a fixed width sort as text.
    listed.sort_by(|a, b| (&b.start_time, &b.path).cmp(&(&a.start_time, &a.path)));
    Ok(listed)
}

/// The newest run of `dir`, if it has any.
pub fn newest(dir: &Path) -> Result<Option<PathBuf>, Failure> {
    Ok(runs(dir, false)?.into_iter().next().map(|r| r.path))
}

/// A nested JSON file's head (and counts, when small and asked for); `None` if it is no run.
fn read_json(path: &Path, count: bool) -> Option<Listed> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let listed = if count && len <= COUNT_LIMIT {
        let mut bytes = Vec::with_capacity(usize::try_from(len).ok()?);
        file.read_to_end(&mut bytes).ok()?;
        let root: Root = serde_json::from_slice(&bytes).ok()?;
        if !root.schema.starts_with("workflow-log/") {
            return None;
        }
        let mut counts = Counts::default();
        let mut usage = None;
        count_records(
            &root.iterations,
            &root.interactions,
            &root.actions,
            root.events.len(),
            &mut counts,
            &mut usage,
        );
        counts.usage = root.usage_total.or(usage);
        Listed {
            path: path.to_owned(),
            workflow: root.workflow,
            start_time: root.start_time,
            end_time: root.end_time,
            status: root.status,
            counts: Some(counts),
            journal_only: false,
        }
    } else {
        let mut head = Vec::with_capacity(HEAD_BYTES as usize);
        file.take(HEAD_BYTES).read_to_end(&mut head).ok()?;
        let mut found = Head::default();
        // The head is cut mid-document: the error at its end is expected.
        let _ = HeadSeed(&mut found).deserialize(&mut serde_json::Deserializer::from_slice(&head));
        if !found.schema?.starts_with("workflow-log/") {
            return None;
        }
        Listed {
            path: path.to_owned(),
            workflow: found.workflow?,
            start_time: found.start_time?,
            end_time: found.end_time,
            status: found.status?,
            counts: None,
            journal_only: false,
        }
    };
    Some(listed)
}

/// A journal's header line and its end line (read from the file's tail); `None` if it is no
/// journal.
fn read_journal(path: &Path) -> Option<Listed> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = Vec::new();
    (&mut file).take(HEAD_BYTES).read_to_end(&mut head).ok()?;
    let first = head.split(|b| *b == b'\n').next()?;
    let header: JournalHeader = serde_json::from_slice(first).ok()?;
    if !header.journal.starts_with("workflow-log/") {
        return None;
    }
    let mut status = "incomplete".to_owned();
    let tail_start = len.saturating_sub(HEAD_BYTES);
    file.seek(SeekFrom::Start(tail_start)).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    if let Some(last) = tail
        .split(|b| *b == b'\n')
        .rev()
        .find(|line| !line.is_empty())
    {
        if let Ok(end) = serde_json::from_slice::<JournalEnd>(last) {
            status = end.end;
        }
    }
    Some(Listed {
        path: path.to_owned(),
        workflow: header.workflow,
        start_time: header.start_time,
        end_time: None,
        status,
        counts: None,
        journal_only: true,
    })
}

#[derive(Deserialize)]
struct JournalHeader {
    journal: String,
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    start_time: String,
}

#[derive(Deserialize)]
struct JournalEnd {
    end: String,
}

/// The root of a nested document, read for its counts: payloads are skipped, not kept.
#[derive(Deserialize)]
struct Root {
    schema: String,
    workflow: String,
    start_time: String,
    #[serde(default)]
    end_time: Option<String>,
    status: String,
    #[serde(default)]
    usage_total: Option<Usage>,
    #[serde(default)]
    iterations: Vec<Node>,
    #[serde(default)]
    interactions: Vec<Node>,
    #[serde(default)]
    actions: Vec<Node>,
    #[serde(default)]
    events: Vec<IgnoredAny>,
}

/// A record below the root, read for its counts.
#[derive(Deserialize)]
struct Node {
    #[serde(default)]
    status: String,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    iterations: Vec<Node>,
    #[serde(default)]
    interactions: Vec<Node>,
    #[serde(default)]
    actions: Vec<Node>,
    #[serde(default)]
    events: Vec<IgnoredAny>,
}

fn count_records(
    iterations: &[Node],
    interactions: &[Node],
    actions: &[Node],
    events: usize,
    counts: &mut Counts,
    usage: &mut Option<Usage>,
) {
    counts.iterations += iterations.len() as u64;
    counts.interactions += interactions.len() as u64;
    counts.actions += actions.len() as u64;
    counts.events += events as u64;
    for (node, is_action) in iterations
        .iter()
        .chain(interactions)
        .map(|n| (n, false))
        .chain(actions.iter().map(|n| (n, true)))
    {
        if node.status != "ok" {
            counts.failed += 1;
        }
        if let (true, Some(u)) = (is_action, node.usage) {
            *usage.get_or_insert_with(Usage::default) += u;
        }
        count_records(
            &node.iterations,
            &node.interactions,
            &node.actions,
            node.events.len(),
            counts,
            usage,
        );
    }
}

/// The fields of a document's head, as far as they could be read.
#[derive(Default)]
struct Head {
    schema: Option<String>,
    workflow: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    status: Option<String>,
}

/// Reads the root's fields one by one into a [`Head`], stopping at the first list of records.
struct HeadSeed<'h>(&'h mut Head);

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a workflow-log document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "schema" => &mut self.0.schema,
                "workflow" => &mut self.0.workflow,
                "start_time" => &mut self.0.start_time,
                "end_time" => &mut self.0.end_time,
                "status" => &mut self.0.status,
                "iterations" | "interactions" | "actions" | "events" => {
                    return Err(de::Error::custom("the records begin"));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Option<String>>()?;
        }
        Ok(())
    }
}

/// An I/O error's text without the `(os error N)` suffix a person has no use for.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
