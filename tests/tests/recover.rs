//! `recover`: the nested JSON rebuilt from a journal, the same as the finished file for a run
//! that finished, with `incomplete` records for one that crashed; torn lines and arbitrary
//! bytes never make it panic, and what it returns always matches the schema.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use workflow_log::{Context, Workflow};
use workflow_log_tests::{
    children, find, nodes, on_thread_at, read_deep_log, read_log, records, recover_bytes,
    recover_valid, start_in_tempdir, Kind,
};

/// A run with every kind of record, nested every way, on three threads; returns the nested
/// file's document and the journal's bytes.
fn rich_run(dir: &Path) -> (Value, Vec<u8>) {
    let log = Workflow::builder("rich").logs_dir(dir).start().unwrap();
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        workflow_log::event("run_started", json!({"task": "x"}));
        for n in 0..2 {
            let _it = workflow_log::iteration().start();
            let mut planner = workflow_log::interaction("planner")
                .input(&json!({"n": n, "list": [1, 2.5, "three", null, true]}))
                .start();
            workflow_log::action("instant")
                .input(&"q")
                .output(&[1, 2])
                .metadata("model", &"m")
                .metadata("tokens", &json!({"in": 1, "out": 2}))
                .log();
            {
                let mut tool = workflow_log::action("tool").start();
                workflow_log::action("llm_inside_tool").log();
                {
                    let mut sub = workflow_log::interaction("sub_agent").input(&n).start();
                    workflow_log::logger("planner.sub").info("thinking", json!({"depth": 2}));
                    sub.output(&"sub done");
                }
                tool.output(&"r").error("flaky tool");
            }
            let ctx = Context::current();
            on_thread_at(format!("worker-{n}"), ctx, move || {
                let _helper = workflow_log::interaction("helper").start();
                workflow_log::action("fetch").input(&n).log();
                workflow_log::event("fetched", json!({"n": n}));
            });
            workflow_log::logger("planner").warn("slow", json!({"ms": 3}));
            planner.output(&"plan").error("partly wrong");
        }
        let _explicit = workflow_log::iteration().number(7).start();
        workflow_log::log_simple("critic", "looks good", json!({"score": 0.9}));
    }
    let path = log.finish().unwrap();
    let doc = read_log(&path);
    (doc, std::fs::read(journal).unwrap())
}

/// The journal of `rich_run`, made once.
fn rich_journal() -> &'static [u8] {
    static JOURNAL: OnceLock<Vec<u8>> = OnceLock::new();
    JOURNAL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        rich_run(dir.path()).1
    })
}

#[test]
fn a_finished_runs_journal_recovers_to_exactly_its_nested_file() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, journal) = rich_run(dir.path());
    // The run really has all of it.
    assert_eq!(doc["iterations"].as_array().unwrap().len(), 3);
    assert!(nodes(&doc).iter().any(|n| n.value["thread"] == "worker-1"));
    let recovered = recover_bytes(&journal);
    assert_eq!(recovered, doc);
}

/// Guards leaked with `mem::forget` stand for a process that died with them open: the journal
/// read at that moment gives them back `incomplete`, with no end.
#[test]
fn records_open_at_a_crash_come_back_incomplete() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("crashing"));
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let it = workflow_log::iteration().start();
        let agent = workflow_log::interaction("planner").input(&"task").start();
        workflow_log::action("done_before").output(&1).log();
        {
            let _closed = workflow_log::interaction("finished_agent").start();
        }
        let tool = workflow_log::action("open_tool").start();
        workflow_log::flush().unwrap();
        std::mem::forget(tool);
        std::mem::forget(agent);
        std::mem::forget(it);
    }
    // "The crash": the journal as it is now.
    let crashed = recover_bytes(&std::fs::read(&journal).unwrap());
    assert_eq!(crashed["status"], "incomplete");
    let it = &crashed["iterations"][0];
    assert_eq!(it["status"], "incomplete");
    assert_eq!(it["end_time"], Value::Null);
    assert_eq!(it["duration_us"], Value::Null);
    let agent = &it["interactions"][0];
    assert_eq!(agent["agent_name"], "planner");
    assert_eq!(agent["input"], "task");
    assert_eq!(agent["status"], "incomplete");
    assert_eq!(agent["end_time"], Value::Null);
    assert_eq!(agent["duration_us"], Value::Null);
    assert_eq!(agent["actions"][0]["action_name"], "done_before");
    assert_eq!(agent["actions"][0]["status"], "ok");
    assert_eq!(agent["interactions"][0]["agent_name"], "finished_agent");
    assert_eq!(agent["interactions"][0]["status"], "ok");
    // A timed action open when a flush happened has an open line too.
    let tool = &agent["actions"][1];
    assert_eq!(tool["action_name"], "open_tool");
    assert_eq!(tool["status"], "incomplete");
    assert_eq!(tool["end_time"], Value::Null);
    assert_eq!(tool["duration_us"], Value::Null);

    // Finishing anyway: the leaked records are `incomplete` in the nested file too, and the
    // finished journal still recovers to it.
    let path = log.finish().unwrap();
    let doc = read_log(&path);
    assert_eq!(doc["iterations"][0]["status"], "incomplete");
    assert_eq!(
        doc["iterations"][0]["interactions"][0]["status"],
        "incomplete"
    );
    assert_eq!(workflow_log::recover(&journal).unwrap(), doc);
}

/// Cut anywhere inside the last record line (a write torn by the crash): the torn record is
/// left out, every other one is kept; the same line whole but without its newline counts.
#[test]
fn a_torn_last_line_is_tolerated() {
    let journal = rich_journal();
    // Without the end line, the last line is a record.
    let end_line = journal[..journal.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    let records_part = &journal[..end_line];
    let last = records_part[..records_part.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    let last_line: Value = serde_json::from_slice(&records_part[last..]).unwrap();
    assert!(last_line.get("kind").is_some(), "{last_line}");
    let without_last = recover_bytes(&records_part[..last]);
    let with_last = recover_bytes(records_part);
    assert_ne!(without_last, with_last);
    assert_eq!(with_last["status"], "incomplete");
    // Every cut that leaves the line without its closing brace.
    for cut in last..records_part.len() - 2 {
        assert_eq!(
            recover_bytes(&records_part[..cut]),
            without_last,
            "cut at byte {cut}, {} into the last line",
            cut - last
        );
    }
    assert_eq!(
        recover_bytes(&records_part[..records_part.len() - 1]),
        with_last
    );
}

#[test]
fn a_journal_without_a_header_or_records_still_gives_a_valid_document() {
    for bytes in [
        &b""[..],
        b"\n\n\n",
        b"not json at all",
        b"{}",
        b"[1,2,3]\n\"string\"\n42\nnull\n",
        b"\xff\xfe\x00\x01",
    ] {
        let doc = recover_bytes(bytes);
        assert_eq!(doc["status"], "incomplete");
        assert_eq!(doc["iterations"], json!([]));
    }
}

/// Corrupt lines that still parse as JSON: unknown kinds and statuses, ids that are not
/// numbers, parents that don't exist or form a cycle, times at the ends of the range, a level
/// on an event that is not a log line. Each is skipped or placed, never a panic, and the
/// document still matches the schema.
#[test]
fn corrupt_records_are_skipped_or_placed_and_the_document_stays_valid() {
    let header = json!({"journal": "workflow-log/1", "workflow": "w", "run_id": "r",
                        "start_time": "0001-01-01T00:00:00.000000Z"});
    let lines = [
        header,
        json!({"id": 1, "parent": 2, "kind": "action", "status": "ok", "name": "cycle_a", "start_ns": 1}),
        json!({"id": 2, "parent": 1, "kind": "action", "status": "ok", "name": "cycle_b", "start_ns": 2}),
        json!({"id": 3, "parent": 3, "kind": "interaction", "status": "ok", "name": "self_parent", "start_ns": 3}),
        json!({"id": 4, "parent": 999, "kind": "iteration", "status": "error", "name": "", "start_ns": -9_000_000_000_000_000_000_i64, "end_ns": 9_000_000_000_000_000_000_i64}),
        json!({"id": "5", "parent": 0, "kind": "action", "status": "ok", "name": "string_id", "start_ns": 5}),
        json!({"id": 6, "parent": 0, "kind": "spell", "status": "ok", "name": "unknown_kind", "start_ns": 6}),
        json!({"id": 7, "parent": 0, "kind": "action", "status": "done", "name": "unknown_status", "start_ns": 7}),
        json!({"id": 8, "parent": 0, "kind": "event", "status": "ok", "name": "not_a_log", "start_ns": 8, "level": "INFO", "logger": "l", "message": "m"}),
        json!({"id": 9, "parent": 0, "kind": "event", "status": "ok", "name": "log", "start_ns": 9, "level": "LOUD", "logger": "l", "message": "m"}),
        json!({"id": 10, "parent": 0, "kind": "action", "status": "incomplete", "name": "open_action", "start_ns": 10}),
        json!({"id": 11, "kind": "action", "status": "ok", "name": "no_times"}),
        json!({"id": 12, "parent": 0, "kind": "action", "status": "ok", "name": "dup", "start_ns": 12}),
        json!({"id": 12, "parent": 0, "kind": "action", "status": "ok", "name": "dup", "start_ns": 12}),
        json!({"end": "ok", "end_ns": 9_000_000_000_000_000_000_i64}),
    ];
    let mut bytes = Vec::new();
    for line in &lines {
        bytes.extend_from_slice(line.to_string().as_bytes());
        bytes.push(b'\n');
    }
    let doc = recover_bytes(&bytes);
    let names: Vec<String> = records(&doc)
        .iter()
        .map(|n| workflow_log_tests::label(n.kind, n.value))
        .collect();
    for kept in ["cycle_a", "cycle_b", "self_parent", "open_action", "dup"] {
        assert!(names.iter().any(|n| n == kept), "{kept} missing: {names:?}");
    }
    assert_eq!(names.iter().filter(|n| *n == "dup").count(), 1);
    for skipped in ["string_id", "unknown_kind", "unknown_status", "no_times"] {
        assert!(!names.iter().any(|n| n == skipped), "{skipped} kept");
    }
    assert_eq!(
        find(&doc, Kind::Action, "open_action").value["status"],
        "incomplete"
    );
    assert_eq!(doc["status"], "ok");
}

/// A line of the journal's shape with fields drawn from the values that make readers trip.
fn journal_like_line() -> impl Strategy<Value = String> {
    let int = prop_oneof![
        Just(json!(0)),
        (0u64..8).prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!("3")),
        Just(Value::Null),
    ];
    let text = prop_oneof![
        Just(json!("iteration")),
        Just(json!("interaction")),
        Just(json!("action")),
        Just(json!("event")),
        Just(json!("ok")),
        Just(json!("error")),
        Just(json!("incomplete")),
        Just(json!("log")),
        Just(json!("INFO")),
        Just(json!("workflow-log/1")),
        Just(json!("1969-12-31T23:59:59.999999Z")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("9999-12-31T23:59:59.999999Z")),
        ".{0,8}".prop_map(|s| json!(s)),
    ];
    let value = prop_oneof![int, text.clone(), Just(json!({"nested": [1, {"a": null}]}))];
    let key = prop_oneof![
        Just("journal"),
        Just("workflow"),
        Just("run_id"),
        Just("start_time"),
        Just("end"),
        Just("end_ns"),
        Just("id"),
        Just("parent"),
        Just("kind"),
        Just("status"),
        Just("name"),
        Just("number"),
        Just("start_ns"),
        Just("thread"),
        Just("input"),
        Just("output"),
        Just("error"),
        Just("metadata"),
        Just("level"),
        Just("logger"),
        Just("message"),
    ];
    proptest::collection::btree_map(key, value, 0..12)
        .prop_map(|fields| serde_json::to_string(&fields).unwrap())
}

/// One way to damage a journal.
#[derive(Clone, Debug)]
enum Damage {
    Truncate(usize),
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    DropLine(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Damage::Delete(i, n)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        any::<usize>().prop_map(Damage::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Damage::SwapLines(a, b)),
        any::<usize>().prop_map(Damage::DropLine),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match damage {
        Damage::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Damage::Flip(i, b) => {
            if !bytes.is_empty() {
                let i = i % bytes.len();
                bytes[i] ^= b | 1;
            }
        }
        Damage::Delete(i, n) => {
            let start = at(*i, bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Damage::Insert(i, b) => {
            let at = at(*i, bytes.len());
            bytes.splice(at..at, b.iter().copied());
        }
        Damage::DuplicateLine(i) | Damage::DropLine(i) | Damage::SwapLines(i, _) => {
            let mut lines: Vec<Vec<u8>> =
                bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let n = lines.len();
            match damage {
                Damage::DuplicateLine(_) => {
                    let line = lines[i % n].clone();
                    lines.insert(i % n, line);
                }
                Damage::DropLine(_) => {
                    lines.remove(i % n);
                }
                Damage::SwapLines(_, j) => lines.swap(i % n, j % n),
                _ => unreachable!(),
            }
            *bytes = lines.join(&b'\n');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_give_a_valid_document(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048)
    ) {
        recover_bytes(&bytes);
    }

    #[test]
    fn journal_shaped_garbage_gives_a_valid_document(
        lines in proptest::collection::vec(journal_like_line(), 0..24)
    ) {
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        recover_bytes(&bytes);
    }

    #[test]
    fn a_damaged_real_journal_gives_a_valid_document(
        damages in proptest::collection::vec(damage(), 1..6)
    ) {
        let mut bytes = rich_journal().to_vec();
        for d in &damages {
            apply(&mut bytes, d);
        }
        let doc = recover_bytes(&bytes);
        // Damage only ever removes or misplaces records: never more than the run had.
        let whole = recover_bytes(rich_journal());
        prop_assert!(records(&doc).len() <= records(&whole).len() + damages.len());
        prop_assert!(children(&doc, "iterations").len() <= 3 + damages.len());
    }
}

/// A value `depth` arrays deep, made on the fly.
struct Deep(usize);

impl serde::Serialize for Deep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(1))?;
        if self.0 > 1 {
            seq.serialize_element(&Deep(self.0 - 1))?;
        }
        seq.end()
    }
}

#[test]
fn a_payload_deeper_than_the_json_parser_allows_keeps_its_record_and_children() {
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("deep")
        .logs_dir(dir.path())
        .max_depth(300)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let mut tool = workflow_log::action("deep_tool").input(&Deep(200)).start();
        workflow_log::action("inside").log();
        tool.output(&"done");
    }
    let mut doc = read_deep_log(&log.finish().unwrap());
    let mut recovered = recover_valid(&journal);
    let tool = &mut recovered["iterations"][0]["actions"][0];
    assert_eq!(tool["action_name"], "deep_tool");
    assert_eq!(tool["actions"][0]["action_name"], "inside");
    // A `Value` keeps a payload too deep for serde_json's parser as its JSON text.
    let nested = &mut doc["iterations"][0]["actions"][0]["input_data"];
    assert_eq!(tool["input_data"], serde_json::to_string(nested).unwrap());
    tool["input_data"] = Value::Null;
    *nested = Value::Null;
    assert_eq!(recovered, doc);
    // Written as text, the recovered file is the nested file, deep payload and all.
    let out = dir.path().join("recovered.json");
    workflow_log::recover_to_file(&journal, &out).unwrap();
    let nested_file = dir.path().join(log_name(&dir));
    assert_eq!(read_deep_log(&out), read_deep_log(&nested_file));
}

/// The one nested file (`*.json`) in `dir` that is not `recovered.json`.
fn log_name(dir: &tempfile::TempDir) -> std::path::PathBuf {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .find(|n| {
            let n = n.to_string_lossy();
            n.ends_with(".json") && n != "recovered.json"
        })
        .unwrap()
        .into()
}

#[test]
fn a_journal_concatenated_with_itself_recovers_each_record_and_event_once() {
    let once = recover_bytes(rich_journal());
    let twice = recover_bytes(&[rich_journal(), rich_journal()].concat());
    assert!(
        nodes(&once).iter().any(|n| n.kind == Kind::Event),
        "the run has events"
    );
    assert_eq!(twice, once);
}

#[test]
fn recover_to_file_writes_what_recover_returns() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("twice.jsonl");
    // Damaged a little: concatenated with itself, and a torn last line.
    let mut bytes = [rich_journal(), rich_journal()].concat();
    bytes.extend_from_slice(br#"{"id":1,"par"#);
    std::fs::write(&journal, &bytes).unwrap();
    let out = dir.path().join("recovered.json");
    workflow_log::recover_to_file(&journal, &out).unwrap();
    assert_eq!(read_log(&out), recover_valid(&journal));
    assert_eq!(read_log(&out), recover_bytes(rich_journal()));
}

/// A journal whose records nest `depth` deep, each the parent of the next, written by hand: an
/// agent that recursed that far, or a crafted file.
fn deep_journal(depth: u64) -> Vec<u8> {
    let mut bytes = br#"{"journal":"workflow-log/1","workflow":"deep","run_id":"r","start_time":"2026-01-01T00:00:00.000000Z"}"#.to_vec();
    bytes.push(b'\n');
    // Closed innermost first, as a run writes them; every third one an interaction.
    for id in (1..=depth).rev() {
        let kind = if id % 3 == 0 { "interaction" } else { "action" };
        let line = json!({"id": id, "parent": id - 1, "kind": kind, "status": "ok",
                          "name": format!("r{id}"), "start_ns": id, "end_ns": 2 * depth - id,
                          "thread": "main", "input": {"depth": id}});
        bytes.extend_from_slice(line.to_string().as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(br#"{"end":"ok","end_ns":99999999}"#);
    bytes.push(b'\n');
    bytes
}

/// Five thousand records deep, on a thread with a 2 MiB stack: `recover_to_file` writes the
/// whole chain (the walk keeps its own stack), each record once, innermost last.
#[test]
fn a_tree_five_thousand_records_deep_is_recovered_on_a_small_stack() {
    const DEPTH: u64 = 5_000;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("deep.jsonl");
    std::fs::write(&journal, deep_journal(DEPTH)).unwrap();
    let out = dir.path().join("recovered.json");
    let (j, o) = (journal.clone(), out.clone());
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || workflow_log::recover_to_file(&j, &o))
        .unwrap()
        .join()
        .expect("no stack overflow")
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    // Parsed on a thread with room to spare for serde_json's recursion (its own, not ours),
    // and walked down the chain without recursion.
    let depth_found = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut de = serde_json::Deserializer::from_str(&text);
            de.disable_recursion_limit();
            let doc: Value = serde::Deserialize::deserialize(&mut de).unwrap();
            assert_eq!(doc["status"], "ok");
            let mut node = &doc;
            let mut depth = 0;
            loop {
                let kids: Vec<&Value> = ["interactions", "actions"]
                    .iter()
                    .filter_map(|k| node.get(*k)?.as_array())
                    .flatten()
                    .collect();
                match kids.as_slice() {
                    [] => break,
                    [only] => {
                        depth += 1;
                        let name = only
                            .get("agent_name")
                            .or_else(|| only.get("action_name"))
                            .unwrap();
                        assert_eq!(name, &json!(format!("r{depth}")));
                        assert_eq!(only["status"], "ok");
                        node = only;
                    }
                    more => panic!("{} children at depth {depth}", more.len()),
                }
            }
            depth
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(depth_found, DEPTH);
}

/// A writer that fails: `recover_to_writer` returns `Error::Output` (the journal is fine), and
/// a journal that can't be read is an error naming it.
#[test]
fn a_failing_writer_and_a_missing_journal_are_errors_that_say_which() {
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("no space left"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("rich.jsonl");
    std::fs::write(&journal, rich_journal()).unwrap();
    for room in [0, 100, 5000] {
        match workflow_log::recover_to_writer(&journal, Full(room)) {
            Err(workflow_log::Error::Output { source }) => {
                assert_eq!(source.to_string(), "no space left");
            }
            other => panic!("{other:?}"),
        }
    }
    let missing = dir.path().join("missing.jsonl");
    let err = workflow_log::recover_to_writer(&missing, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("missing.jsonl"), "{err}");
    let err = workflow_log::recover_to_file(&missing, &dir.path().join("out.json")).unwrap_err();
    assert!(err.to_string().contains("missing.jsonl"), "{err}");
    assert!(!dir.path().join("out.json").exists());
    assert!(!dir.path().join(".out.json.tmp").exists());
}

/// A line longer than the buffers the journal is read through (a payload of 3 MiB, between
/// ordinary lines and as the last line, without its newline): the record is kept whole, and
/// the streaming path gives what `recover` gives (`recover_bytes` checks both).
#[test]
fn a_line_longer_than_the_read_buffers_is_kept_whole() {
    let big = "x".repeat(3 << 20);
    let header = json!({"journal": "workflow-log/1", "workflow": "w", "run_id": "r",
                        "start_time": "2026-01-01T00:00:00.000000Z"});
    let line = |id: u64, input: &str| {
        json!({"id": id, "parent": 0, "kind": "action", "status": "ok", "name": format!("a{id}"),
               "number": 0, "start_ns": id, "end_ns": id + 1, "thread": "main", "input": input})
        .to_string()
    };
    let text = [
        header.to_string(),
        line(1, "small"),
        line(2, &big),
        line(3, "after"),
        line(4, &big),
    ]
    .join("\n");
    let doc = recover_bytes(text.as_bytes());
    let actions = doc["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 4);
    assert_eq!(actions[1]["input_data"].as_str().unwrap().len(), 3 << 20);
    assert_eq!(actions[3]["input_data"].as_str().unwrap().len(), 3 << 20);
    assert_eq!(actions[2]["input_data"], "after");
}
