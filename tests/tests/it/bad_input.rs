//! Bad input (DESIGN.md section 5): NaN and infinities, huge strings, non-string map keys,
//! bytes that are not UTF-8, `Serialize` impls that fail, values nested 10,000 deep, control
//! characters in names and payloads, a journal that stops taking bytes, a logs directory that
//! can't be made. Each is recorded readably or reported as an `Err`, never a panic, and every
//! file stays valid: the nested one against the schema, the journal one record per line.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::ser::{Error as _, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use workflow_log::{Error, Workflow, WorkflowBuilder, DEFAULT_MAX_DEPTH, DEFAULT_MAX_STRING_BYTES};
use workflow_log_tests::{
    expected_lines, fifo, file_run, find, journal_lines, nodes, on_thread_at, read_log,
    start_in_tempdir, validate, Kind,
};

fn plain() -> WorkflowBuilder {
    Workflow::builder("bad_input")
}

/// The payloads of the one action named `name`: input, output and metadata.
fn action<'a>(doc: &'a Value, name: &str) -> &'a Value {
    find(doc, Kind::Action, name).value
}

#[test]
fn nan_and_infinities_become_null() {
    #[derive(Serialize)]
    struct Reading {
        value: f64,
        low: f32,
        ok: f64,
    }
    let run = file_run(plain(), || {
        let mut agent = workflow_log::interaction("a")
            .input(&[f64::NAN, f64::INFINITY])
            .start();
        workflow_log::action("floats")
            .input(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5, -0.0])
            .output(&Reading {
                value: f64::NAN,
                low: f32::NEG_INFINITY,
                ok: 2.5,
            })
            .metadata("score", &f32::NAN)
            .log();
        workflow_log::event("reading", json!({"nested": [1.0]})); // json! can't hold NaN
        workflow_log::event("raw", [f64::INFINITY]);
        workflow_log::logger("sensor").warn("odd", BTreeMap::from([("v", f64::NAN)]));
        agent.output(&f64::NEG_INFINITY);
    });
    let a = action(&run.doc, "floats");
    assert_eq!(a["input_data"], json!([null, null, null, 1.5, -0.0]));
    assert_eq!(
        a["output_data"],
        json!({"value": null, "low": null, "ok": 2.5})
    );
    assert_eq!(a["metadata"]["score"], Value::Null);
    let agent = find(&run.doc, Kind::Interaction, "a").value;
    assert_eq!(agent["input"], json!([null, null]));
    assert_eq!(agent["output"], Value::Null);
    let events = &agent["events"];
    assert_eq!(events[1]["data"], json!([null]));
    assert_eq!(events[2]["data"], json!({"v": null}));
}

#[test]
fn a_ten_megabyte_string_is_cut_at_64_kib_on_a_char_boundary_with_its_length() {
    // Three bytes a char: 64 KiB is not a char boundary.
    let huge = "€".repeat(3_333_334);
    assert_eq!(huge.len(), 10_000_002);
    assert_ne!(DEFAULT_MAX_STRING_BYTES % 3, 0);
    let check = |v: &Value, limit: usize| {
        let kept = v.as_str().expect("still a string");
        let (body, note) = kept.rsplit_once('…').expect("a truncation note");
        assert_eq!(note, "[truncated: 10000002 bytes]");
        assert!(
            body.len() <= limit && body.len() > limit - 4,
            "{}",
            body.len()
        );
        assert!(huge.starts_with(body));
    };
    let run = file_run(plain(), || {
        let _agent = workflow_log::interaction("reader").input(&huge).start();
        workflow_log::action("read")
            .input(&json!({"doc": huge}))
            .output(&[&huge])
            .metadata("page", &huge)
            .log();
        workflow_log::event("page", &huge);
    });
    let a = action(&run.doc, "read");
    check(&a["input_data"]["doc"], DEFAULT_MAX_STRING_BYTES);
    check(&a["output_data"][0], DEFAULT_MAX_STRING_BYTES);
    check(&a["metadata"]["page"], DEFAULT_MAX_STRING_BYTES);
    let agent = find(&run.doc, Kind::Interaction, "reader").value;
    check(&agent["input"], DEFAULT_MAX_STRING_BYTES);
    check(&agent["events"][0]["data"], DEFAULT_MAX_STRING_BYTES);
    // The journal never carries the 10 MB either.
    for line in &run.lines {
        assert!(line.to_string().len() < 4 * DEFAULT_MAX_STRING_BYTES);
    }
    // The limit is configurable.
    let run = file_run(plain().max_string_bytes(100), || {
        workflow_log::action("read").input(&huge).log();
    });
    check(&action(&run.doc, "read")["input_data"], 100);
}

#[test]
fn maps_with_non_string_keys_keep_every_entry_under_a_readable_key() {
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Role {
        Planner,
    }
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Point {
        x: i32,
        y: i32,
    }
    let run = file_run(plain(), || {
        workflow_log::action("keys")
            .input(&BTreeMap::from([((1u8, 2u8), "pair"), ((3, 4), "other")]))
            .output(&HashMap::from([(7u64, "seven")]))
            .metadata("bools", &BTreeMap::from([(true, 1), (false, 0)]))
            .metadata(
                "options",
                &BTreeMap::from([(None, "none"), (Some(5), "five")]),
            )
            .metadata("enums", &BTreeMap::from([(Role::Planner, "p")]))
            .metadata("structs", &BTreeMap::from([(Point { x: 1, y: -2 }, "pt")]))
            .metadata("chars", &BTreeMap::from([('k', 1), ('\n', 2)]))
            .metadata(
                "floats",
                &vec![(1.5f64, "x")].into_iter().collect::<Pairs>(),
            )
            .log();
    });
    let a = action(&run.doc, "keys");
    assert_eq!(a["input_data"], json!({"[1,2]": "pair", "[3,4]": "other"}));
    assert_eq!(a["output_data"], json!({"7": "seven"}));
    let m = &a["metadata"];
    assert_eq!(m["bools"], json!({"true": 1, "false": 0}));
    assert_eq!(m["options"], json!({"null": "none", "5": "five"}));
    assert_eq!(m["enums"], json!({"Planner": "p"}));
    assert_eq!(m["structs"], json!({"{\"x\":1,\"y\":-2}": "pt"}));
    assert_eq!(m["chars"], json!({"k": 1, "\n": 2}));
    assert_eq!(m["floats"], json!({"1.5": "x"}));
}

/// A map with float keys (which `BTreeMap` can't hold), serialised as a map.
struct Pairs(Vec<(f64, &'static str)>);

impl FromIterator<(f64, &'static str)> for Pairs {
    fn from_iter<I: IntoIterator<Item = (f64, &'static str)>>(iter: I) -> Self {
        Pairs(iter.into_iter().collect())
    }
}

impl Serialize for Pairs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Bytes through `serialize_bytes`, as `serde_bytes` does.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[test]
fn bytes_that_are_not_utf8_are_recorded_as_readable_strings() {
    let run = file_run(plain(), || {
        workflow_log::action("bytes")
            .input(&Bytes(b"ok \xff\xfe end"))
            .output(&Bytes("plain text é".as_bytes()))
            .metadata("path", Path::new(OsStr::from_bytes(b"/tmp/\xff.txt")))
            .metadata("os_string", OsStr::from_bytes(b"a\xffb"))
            .log();
    });
    let a = action(&run.doc, "bytes");
    assert_eq!(a["input_data"], "ok \u{fffd}\u{fffd} end");
    assert_eq!(a["output_data"], "plain text é");
    // serde refuses a non-UTF-8 path: its error is kept, readably.
    let path = a["metadata"]["path"].as_str().unwrap();
    assert!(
        path.starts_with("[unserializable: ") && path.contains("UTF-8"),
        "{path}"
    );
    // serde writes an OsStr as its raw bytes.
    assert_eq!(a["metadata"]["os_string"], json!({"Unix": [97, 255, 98]}));
}

/// A `Serialize` impl that fails, after writing part of its value.
struct Failing {
    written: usize,
}

impl Serialize for Failing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for i in 0..self.written {
            seq.serialize_element(&i)?;
        }
        Err(S::Error::custom("the connection pool can't be serialised"))
    }
}

#[test]
fn a_failing_serialize_impl_becomes_a_readable_string_and_the_run_goes_on() {
    #[derive(Serialize)]
    struct Request {
        url: &'static str,
        pool: Failing,
        retries: u32,
    }
    const WHY: &str = "[unserializable: the connection pool can't be serialised]";
    let run = file_run(plain(), || {
        let _agent = workflow_log::interaction("client")
            .input(&Failing { written: 0 })
            .start();
        workflow_log::action("request")
            .input(&Request {
                url: "https://example.com",
                pool: Failing { written: 3 },
                retries: 2,
            })
            .output(&[Failing { written: 1 }, Failing { written: 0 }])
            .metadata("pool", &Failing { written: 2 })
            .log();
        workflow_log::event("pool", Failing { written: 5 });
        workflow_log::logger("client").error("pool", Failing { written: 0 });
        // The run goes on.
        workflow_log::action("after").input(&1).log();
    });
    let a = action(&run.doc, "request");
    assert_eq!(
        a["input_data"],
        json!({"url": "https://example.com", "pool": WHY, "retries": 2})
    );
    assert_eq!(a["output_data"], json!([WHY, WHY]));
    assert_eq!(a["metadata"]["pool"], WHY);
    let agent = find(&run.doc, Kind::Interaction, "client").value;
    assert_eq!(agent["input"], WHY);
    assert_eq!(agent["events"][0]["data"], WHY);
    assert_eq!(agent["events"][1]["data"], WHY);
    assert_eq!(action(&run.doc, "after")["input_data"], 1);
}

/// `Display` and `Debug` impls that fail, as a formatting adapter over a broken writer does:
/// `ToString` panics on them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct BrokenFmt;

impl fmt::Display for BrokenFmt {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

impl fmt::Debug for BrokenFmt {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

impl Serialize for BrokenFmt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Only `Debug`: an `Err` of it is recorded by its `Debug` text.
struct BrokenDebug;

impl fmt::Debug for BrokenDebug {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[workflow_log::action]
fn fails_with_broken_display() -> Result<u8, BrokenFmt> {
    Err(BrokenFmt)
}

#[workflow_log::action]
fn fails_with_broken_debug() -> Result<u8, BrokenDebug> {
    Err(BrokenDebug)
}

#[workflow_log::interaction(agent = BrokenFmt)]
fn agent_with_a_broken_name() {}

#[test]
fn display_and_debug_impls_that_fail_are_recorded_not_a_panic() {
    const DISPLAY: &str = "[Display impl failed]";
    let run = file_run(plain(), || {
        workflow_log::action("logged").error(BrokenFmt).log();
        let mut guard = workflow_log::action("started").start();
        guard.error(BrokenFmt);
        drop(guard);
        workflow_log::action("collect_str").input(&BrokenFmt).log();
        // As a map key (a key goes through its own serializer).
        let keyed: BTreeMap<BrokenFmt, u8> = BTreeMap::from([(BrokenFmt, 1)]);
        workflow_log::action("collect_str_key").input(&keyed).log();
        let _ = fails_with_broken_display();
        let _ = fails_with_broken_debug();
        agent_with_a_broken_name();
    });
    for name in ["logged", "started", "fails_with_broken_display"] {
        let a = action(&run.doc, name);
        assert_eq!(a["status"], "error", "{name}");
        assert_eq!(a["error"], DISPLAY, "{name}");
    }
    let a = action(&run.doc, "fails_with_broken_debug");
    assert_eq!(a["error"], "[Debug impl failed]");
    assert_eq!(action(&run.doc, "collect_str")["input_data"], DISPLAY);
    assert_eq!(
        action(&run.doc, "collect_str_key")["input_data"],
        json!({ DISPLAY: 1 })
    );
    assert!(find(&run.doc, Kind::Interaction, DISPLAY).value.is_object());
}

/// A value `depth` levels deep: `[[[ ... ]]]`, made on the fly (no heap, nothing to drop).
struct Deep(usize);

impl Serialize for Deep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(1))?;
        if self.0 > 1 {
            seq.serialize_element(&Deep(self.0 - 1))?;
        }
        seq.end()
    }
}

/// How many arrays deep `v` goes, and what is at the bottom.
fn depth(mut v: &Value) -> (usize, &Value) {
    let mut n = 0;
    while let Some(inner) = v.as_array() {
        n += 1;
        match inner.first() {
            Some(next) => v = next,
            None => return (n, v),
        }
    }
    (n, v)
}

#[test]
fn a_value_nested_ten_thousand_deep_is_cut_without_overflowing_a_small_stack() {
    // serde_json alone would need far more than 256 KiB of stack for this.
    let logged = std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(256 * 1024)
        .spawn(|| {
            let (_dir, log) = start_in_tempdir(Workflow::builder("deep"));
            let journal = log.journal_path().unwrap();
            {
                let _entered = log.enter();
                let mut agent = workflow_log::interaction("deep")
                    .input(&Deep(10_000))
                    .start();
                workflow_log::action("deep")
                    .input(&Deep(10_000))
                    .output(&[Deep(10_000)])
                    .metadata("deep", &Deep(10_000))
                    .log();
                workflow_log::event("deep", Deep(10_000));
                agent.output(&Deep(10_000));
            }
            let path = log.finish().unwrap();
            let nested = std::fs::read(&path).unwrap();
            let journal = std::fs::read(journal).unwrap();
            // An in-memory capture on the same small stack.
            let ((), captured) = workflow_log::capture(|| {
                workflow_log::action("deep").input(&Deep(10_000)).log();
            });
            let small = Workflow::builder("shallow")
                .max_depth(8)
                .capture(|| workflow_log::action("deep").input(&Deep(10_000)).log())
                .1;
            (nested, journal, captured, small)
        })
        .unwrap()
        .join()
        .expect("no stack overflow, no panic");
    let (nested, journal, captured, small) = logged;
    let doc: Value = serde_json::from_slice(&nested).unwrap();
    validate(&doc);
    validate(&captured);
    validate(&small);
    let bottom = json!("[depth limit]");
    let a = action(&doc, "deep");
    for v in [
        &a["input_data"],
        &a["output_data"],
        &a["metadata"]["deep"],
        &find(&doc, Kind::Interaction, "deep").value["input"],
        &find(&doc, Kind::Interaction, "deep").value["output"],
        &find(&doc, Kind::Interaction, "deep").value["events"][0]["data"],
        &captured["actions"][0]["input_data"],
    ] {
        assert_eq!(depth(v), (DEFAULT_MAX_DEPTH, &bottom));
    }
    assert_eq!(depth(&small["actions"][0]["input_data"]), (8, &bottom));
    journal_lines(&journal);
}

#[test]
fn control_characters_and_newlines_in_names_and_payloads_keep_one_record_per_line() {
    const NASTY: &str = "line1\nline2\r\n\ttab \u{0} nul \u{1b}[31m esc \u{7f} del \"quote\" \\ back \u{2028} ls \u{85} nel";
    let name = format!("workflow {NASTY}");
    let run = file_run(Workflow::builder(&name), || {
        let _it = workflow_log::iteration().start();
        let mut agent = workflow_log::interaction(format!("agent {NASTY}"))
            .input(&NASTY)
            .start();
        workflow_log::action(format!("action {NASTY}"))
            .input(&json!({ NASTY: NASTY }))
            .output(&[NASTY])
            .metadata(format!("key {NASTY}"), &NASTY)
            .error(NASTY)
            .log();
        workflow_log::event(&format!("event {NASTY}"), NASTY);
        workflow_log::logger(&format!("logger {NASTY}")).error(NASTY, json!({"f": NASTY}));
        let nasty_thread = format!("thread {}", NASTY.replace('\0', ""));
        let ctx = workflow_log::Context::current();
        on_thread_at(nasty_thread, ctx, || {
            workflow_log::action("on_nasty_thread").log();
        });
        agent.output(&NASTY).error(NASTY);
    });
    let doc = &run.doc;
    assert_eq!(doc["workflow"], name);
    let agent = &doc["iterations"][0]["interactions"][0];
    assert_eq!(agent["agent_name"], format!("agent {NASTY}"));
    assert_eq!(agent["input"], NASTY);
    assert_eq!(agent["output"], NASTY);
    assert_eq!(agent["error"], NASTY);
    let a = &agent["actions"][0];
    assert_eq!(a["action_name"], format!("action {NASTY}"));
    assert_eq!(a["input_data"], json!({ NASTY: NASTY }));
    assert_eq!(a["metadata"][format!("key {NASTY}")], NASTY);
    assert_eq!(a["error"], NASTY);
    assert_eq!(
        agent["actions"][1]["thread"],
        format!("thread {}", NASTY.replace('\0', ""))
    );
    assert_eq!(agent["events"][0]["event_type"], format!("event {NASTY}"));
    assert_eq!(agent["events"][1]["logger"], format!("logger {NASTY}"));
    assert_eq!(agent["events"][1]["message"], NASTY);
    // The header keeps the name as given too.
    assert_eq!(run.lines[0]["workflow"], name);
}

/// A named pipe whose reader goes away right after the header: every later write fails
/// (`EPIPE`), as on a disk that filled up or a file that became unwritable mid-run.
fn pipe_that_breaks(dir: &Path) -> (PathBuf, std::sync::mpsc::Receiver<Vec<u8>>) {
    let path = fifo(dir);
    let (tx, rx) = std::sync::mpsc::channel();
    let at = path.clone();
    std::thread::spawn(move || {
        let mut file = std::fs::File::open(&at).unwrap();
        let mut header = Vec::new();
        let mut byte = [0u8];
        while file.read(&mut byte).unwrap() == 1 {
            header.push(byte[0]);
            if byte[0] == b'\n' {
                break;
            }
        }
        drop(file);
        tx.send(header).unwrap();
    });
    (path, rx)
}

#[test]
fn a_journal_that_becomes_unwritable_mid_run_loses_records_but_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (pipe, header) = pipe_that_breaks(dir.path());
    let log = Workflow::builder("broken_journal")
        .logs_dir(dir.path())
        .journal_path(&pipe)
        .start()
        .unwrap();
    let header: Value = serde_json::from_slice(&header.recv().unwrap()).unwrap();
    assert_eq!(header["workflow"], "broken_journal");
    let nested = log.path().unwrap();
    {
        let _entered = log.enter();
        for n in 0..3 {
            let _it = workflow_log::iteration().start();
            let _agent = workflow_log::interaction("agent").start();
            for seq in 0..100 {
                workflow_log::action("step")
                    .input(&json!({"n": n, "seq": seq}))
                    .log();
            }
            // The program goes on, and flush says that the journal is incomplete.
            match workflow_log::flush() {
                Err(Error::Journal { path, reason }) => {
                    assert_eq!(path, pipe);
                    assert!(reason.contains("could not be written"), "{reason}");
                }
                other => panic!("expected Err(Journal), got {other:?}"),
            }
        }
    }
    let err = log.finish().expect_err("the journal lost records");
    let doc = read_log(&nested);
    let message = err.to_string();
    let expected = expected_lines(&doc) - 2; // every record line; the header got through
    match &err {
        Error::RecordsLost { count, path, .. } => {
            assert_eq!(*count as usize, expected, "{message}");
            assert_eq!(path.as_deref(), Some(nested.as_path()));
        }
        other => panic!("expected RecordsLost, got {other:?}"),
    }
    assert!(
        message.contains(&format!("{expected} record(s) were lost")),
        "{message}"
    );
    assert!(message.contains(&pipe.display().to_string()), "{message}");
    // The nested file has every record.
    let steps = nodes(&doc)
        .iter()
        .filter(|n| n.value["action_name"] == "step")
        .count();
    assert_eq!(steps, 300);
}

/// A full disk at set-up is a set-up error: the journal's header can't be written, and
/// `start` says so, naming the file.
#[test]
fn a_full_disk_at_start_is_an_error_naming_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workflow::builder("full")
        .logs_dir(dir.path())
        .journal_path("/dev/full")
        .start()
        .expect_err("/dev/full takes no byte");
    assert!(
        matches!(&err, Error::Io { path, .. } if path == Path::new("/dev/full")),
        "{err:?}"
    );
    assert!(err.to_string().contains("/dev/full"), "{err}");
}

#[test]
fn a_logs_dir_that_cant_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a_file");
    std::fs::write(&file, "not a directory").unwrap();
    let logs = file.join("logs");
    for err in [
        Workflow::builder("x").logs_dir(&logs).start().unwrap_err(),
        Workflow::builder("x").logs_dir(&logs).init().unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Io { path, .. } if path == &logs),
            "{err:?}"
        );
        assert!(
            err.to_string().contains(&logs.display().to_string()),
            "{err}"
        );
    }
}

/// The logs directory disappears mid-run: `finish` can't write the file and says where, and
/// nothing panics.
#[test]
fn a_logs_dir_removed_mid_run_makes_finish_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let log = Workflow::builder("vanishing")
        .logs_dir(&logs)
        .start()
        .unwrap();
    {
        let _entered = log.enter();
        workflow_log::action("before").log();
        std::fs::remove_dir_all(&logs).unwrap();
        workflow_log::action("after").log();
        workflow_log::flush().unwrap();
    }
    let err = log.finish().expect_err("the directory is gone");
    assert!(
        matches!(&err, Error::Io { path, .. } if path.starts_with(&logs)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&logs.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_value_too_big_as_a_whole_is_cut_and_says_it_was_over_the_limit() {
    let big = vec!["ab"; 1_000_000]; // 5,000,001 bytes of JSON, every string short
    let ((), doc) = workflow_log_tests::capture_valid(|| {
        workflow_log::action("bulk").input(&big).log();
    });
    let input = &doc["actions"][0]["input_data"];
    // Serialising stopped at the limit (issue 15): the whole size is not known.
    assert_eq!(
        input["more_than_bytes"],
        workflow_log::DEFAULT_MAX_PAYLOAD_BYTES
    );
    let kept = input["truncated"].as_str().unwrap();
    assert!(kept.starts_with("[\"ab\",\"ab\""), "{}", &kept[..40]);
    assert!(kept.len() <= DEFAULT_MAX_STRING_BYTES);
    // The limit is configurable.
    let ((), doc) = workflow_log_tests::capture_valid_with(
        Workflow::builder("roomy").max_payload_bytes(10_000_000),
        || workflow_log::action("bulk").input(&big).log(),
    );
    assert_eq!(
        doc["actions"][0]["input_data"].as_array().unwrap().len(),
        1_000_000
    );
}

#[test]
fn log_simple_metadata_nested_ten_thousand_deep_is_cut_on_a_small_stack() {
    // 1 MiB: 64 levels of a debug build's frames fit; 10,000 levels would need far more.
    let doc = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let mut deep = json!("bottom");
            for _ in 0..10_000 {
                // (not `json!({"next": deep})`: that clones `deep` through `to_value`)
                let mut map = serde_json::Map::new();
                map.insert("next".to_owned(), deep);
                deep = Value::Object(map);
            }
            let ((), doc) = workflow_log::capture(|| {
                workflow_log::log_simple("agent", "deep", &deep);
            });
            std::mem::forget(deep); // serde_json drops recursively: not this test's subject
            serde_json::to_string(&doc).unwrap()
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(doc.contains("[depth limit]"));
    let doc: Value = serde_json::from_str(&doc).unwrap();
    validate(&doc);
}
