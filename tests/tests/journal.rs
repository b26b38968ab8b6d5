//! The crash-safe journal: a JSON Lines file beside the nested one, one line per closed record
//! plus a line when an iteration or interaction opens, written by a background thread;
//! `flush()`; the durability settings; lossless back-pressure and the lossy mode's count.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};
use workflow_log::{Context, Durability, Error, Workflow, WorkflowGuard};
use workflow_log_tests::{
    children, expected_lines, fill_the_pipe, find, journal_lines, mode, nodes, on_thread_at,
    read_journal, read_log, record_lines, recover_bytes, recover_valid, start_in_tempdir, steps,
    validate, Kind, Pipe,
};

/// The global workflow is process-wide: tests that `init` one take turns.
static GLOBAL: Mutex<()> = Mutex::new(());

/// The `seq` inputs of the `step` actions in a journal's record lines.
fn journaled_steps(lines: &[Value]) -> Vec<u64> {
    record_lines(lines)
        .iter()
        .filter(|l| l["name"] == "step")
        .map(|l| l["input"]["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_file_workflow_streams_a_journal_beside_its_nested_file() {
    let (dir, log) = start_in_tempdir(Workflow::builder("journaled"));
    let journal = log.journal_path().expect("a file workflow keeps a journal");
    let nested = log.path().unwrap();
    assert_eq!(journal, nested.with_extension("jsonl"));
    assert_eq!(journal.parent(), Some(dir.path()));
    // The journal exists (with its header) as soon as the workflow starts.
    let header = &read_journal(&journal)[0];
    assert_eq!(header["journal"], "workflow-log/1");
    assert_eq!(mode(&journal), 0o600);
    {
        let _entered = log.enter();
        for n in 0..2 {
            let _it = workflow_log::iteration().start();
            let mut agent = workflow_log::interaction("planner").input(&n).start();
            workflow_log::action("instant")
                .input(&json!({"n": n}))
                .log();
            {
                let mut tool = workflow_log::action("timed").start();
                workflow_log::action("nested").log();
                tool.output(&"r").error("flaky");
            }
            workflow_log::logger("planner").warn("slow", json!({"ms": 3}));
            workflow_log::event("tick", json!({"n": n}));
            agent.output(&"a");
        }
    }
    let path = log.finish().unwrap();
    assert_eq!(path, nested);
    let doc = read_log(&path);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&journal), 0o600);

    let lines = read_journal(&journal);
    assert_eq!(lines.len(), expected_lines(&doc), "{lines:#?}");
    let header = &lines[0];
    assert_eq!(header["journal"], "workflow-log/1");
    assert_eq!(header["workflow"], "journaled");
    assert_eq!(header["run_id"], doc["run_id"]);
    assert_eq!(header["start_time"], doc["start_time"]);
    assert_eq!(lines.last().unwrap()["end"], "ok");

    // Per record: an iteration or interaction has its open notice (`incomplete`) first, then
    // its close; an action or event has one line.
    let mut by_id: HashMap<u64, Vec<&Value>> = HashMap::new();
    for line in record_lines(&lines) {
        by_id
            .entry(line["id"].as_u64().expect("ids are numbers"))
            .or_default()
            .push(line);
    }
    let records = workflow_log_tests::records(&doc);
    let events = nodes(&doc).iter().filter(|n| n.kind == Kind::Event).count();
    assert_eq!(by_id.len(), records.len() + events);
    for node in &records {
        let id: u64 = node.value["id"].as_str().unwrap().parse().unwrap();
        let lines = &by_id[&id];
        let statuses: Vec<&str> = lines
            .iter()
            .map(|l| l["status"].as_str().unwrap())
            .collect();
        match node.kind {
            Kind::Iteration | Kind::Interaction => {
                assert_eq!(
                    statuses,
                    ["incomplete", node.value["status"].as_str().unwrap()]
                )
            }
            _ => assert_eq!(statuses, [node.value["status"].as_str().unwrap()]),
        }
    }
    let it = &doc["iterations"][0];
    assert_eq!(it["interactions"][0]["actions"][1]["status"], "error");
    assert_eq!(
        children(&it["interactions"][0]["actions"][1], "actions").len(),
        1
    );
}

#[test]
fn without_a_journal_there_is_no_jsonl_and_flush_still_works() {
    let (dir, log) = start_in_tempdir(Workflow::builder("no_journal").journal(false));
    assert_eq!(log.journal_path(), None);
    {
        let _entered = log.enter();
        workflow_log::action("a").log();
        workflow_log::flush().unwrap();
    }
    let path = log.finish().unwrap();
    assert_eq!(read_log(&path)["actions"][0]["action_name"], "a");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, [path.file_name().unwrap()]);
    // Outside any workflow, flush has nothing to do.
    workflow_log::flush().unwrap();
}

/// `flush()` returns once the records closed before it are in the file: read right after it,
/// before `finish`, under each durability setting (with `None` the writer would otherwise keep
/// them in its 64 KiB buffer; with the open iteration, this thread would keep them in its own).
#[test]
fn flush_puts_every_record_closed_before_it_in_the_file() {
    for durability in [Durability::None, Durability::Write, Durability::Fsync] {
        let (_dir, log) = start_in_tempdir(Workflow::builder("flushing").durability(durability));
        let journal = log.journal_path().unwrap();
        let entered = log.enter();
        let it = workflow_log::iteration().start();
        let mut seq = 0;
        for round in 0..3 {
            let agent = workflow_log::interaction("planner").start();
            for _ in 0..10 {
                workflow_log::action("step")
                    .input(&json!({"seq": seq}))
                    .log();
                seq += 1;
            }
            // A thread whose own interaction closed has handed its records over.
            let ctx = Context::current();
            std::thread::spawn(move || {
                let _attached = ctx.attach();
                let _helper = workflow_log::interaction("helper").start();
                workflow_log::action("help").input(&round).log();
            })
            .join()
            .unwrap();
            drop(agent);
            workflow_log::flush().unwrap();

            let lines = read_journal(&journal);
            let steps = journaled_steps(&lines);
            assert_eq!(
                steps,
                (0..seq).collect::<Vec<_>>(),
                "{durability:?}, round {round}"
            );
            let records = record_lines(&lines);
            let count = |kind: &str, name: &str, status: &str| {
                records
                    .iter()
                    .filter(|l| l["kind"] == kind && l["name"] == name && l["status"] == status)
                    .count()
            };
            assert_eq!(count("interaction", "planner", "ok"), round + 1);
            assert_eq!(count("interaction", "helper", "ok"), round + 1);
            assert_eq!(count("action", "help", "ok"), round + 1);
            // The iteration is still open: only its notice is there.
            assert_eq!(count("iteration", "", "incomplete"), 1);
            assert_eq!(count("iteration", "", "ok"), 0);
        }
        drop(it);
        drop(entered);
        let path = log.finish().unwrap();
        let doc = read_log(&path);
        let lines = read_journal(&journal);
        assert_eq!(lines.len(), expected_lines(&doc), "{durability:?}");
        assert_eq!(recover_valid(&journal), doc, "{durability:?}");
    }
}

#[test]
fn the_global_workflow_keeps_a_journal_too() {
    let _turn = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("global_journal")
        .logs_dir(dir.path())
        .durability(Durability::Fsync)
        .init()
        .unwrap();
    let journal = log.journal_path().unwrap();
    {
        let _it = workflow_log::iteration().start();
        workflow_log::log_simple("agent", "hello", json!({"k": 1}));
        workflow_log::action("step").input(&json!({"seq": 0})).log();
        workflow_log::flush().unwrap();
        assert_eq!(journaled_steps(&read_journal(&journal)), [0]);
    }
    let path = log.finish().unwrap();
    let doc = read_log(&path);
    assert_eq!(read_journal(&journal).len(), expected_lines(&doc));
    assert_eq!(workflow_log::recover(&journal).unwrap(), doc);
}

const THREADS: usize = 4;
const PER_THREAD: u64 = 5_000;

/// Logs `THREADS` × `PER_THREAD` steps, each thread in its own interaction, counting progress.
fn log_from_threads(ctx: &Context, progress: &Arc<AtomicUsize>) -> Vec<JoinHandle<()>> {
    (0..THREADS)
        .map(|t| {
            let ctx = ctx.clone();
            let progress = progress.clone();
            std::thread::Builder::new()
                .name(format!("producer-{t}"))
                .spawn(move || {
                    let _attached = ctx.attach();
                    let _agent = workflow_log::interaction(format!("agent_{t}")).start();
                    for i in 0..PER_THREAD {
                        let seq = t as u64 * PER_THREAD + i;
                        workflow_log::action("step")
                            .input(&json!({"seq": seq}))
                            .log();
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .unwrap()
        })
        .collect()
}

/// The `seq` of every `step` action of the document, sorted.
fn all_steps(doc: &Value) -> Vec<u64> {
    let mut steps = steps(doc);
    steps.sort_unstable();
    steps
}

/// [`log_from_threads`] inside an iteration of `log`, waiting for every thread to end; returns
/// how many steps they logged.
fn log_in_an_iteration(log: &WorkflowGuard) -> usize {
    let progress = Arc::new(AtomicUsize::new(0));
    let _entered = log.enter();
    let _it = workflow_log::iteration().start();
    for p in log_from_threads(&Context::current(), &progress) {
        p.join().unwrap();
    }
    progress.load(Ordering::Relaxed)
}

/// Lossless (the default): when the writer can't keep up, the threads that log wait. Here the
/// journal is a pipe nobody reads, far too small for what is logged: the producers must stall
/// short of the end, and once the pipe drains, every record is in the journal.
#[test]
fn a_full_lossless_queue_makes_the_producers_wait_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = Pipe::new(dir.path());
    let log = pipe.workflow("lossless", dir.path()).start().unwrap();
    let total = THREADS * PER_THREAD as usize;
    let progress = Arc::new(AtomicUsize::new(0));
    // This thread logs too (the iteration), so it would wait like the producers: it keeps the
    // iteration open until the pipe is read.
    let entered = log.enter();
    let iteration = workflow_log::iteration().start();
    let producers = log_from_threads(&Context::current(), &progress);
    // Wait until the producers stop making progress: with nothing read, they must.
    let mut last = usize::MAX;
    let mut still = 0;
    while still < 5 {
        std::thread::sleep(Duration::from_millis(20));
        let now = progress.load(Ordering::Relaxed);
        assert!(
            now < total,
            "all {total} records were logged while the journal took no byte: nobody waited"
        );
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    pipe.release();
    for p in producers {
        p.join().unwrap();
    }
    drop(iteration);
    drop(entered);
    let path = log.finish().expect("a lossless journal loses nothing");
    let doc = read_log(&path);
    let lines = journal_lines(&pipe.bytes());
    assert_eq!(lines.len(), expected_lines(&doc));
    let mut steps = journaled_steps(&lines);
    steps.sort_unstable();
    assert_eq!(steps, (0..total as u64).collect::<Vec<_>>());
    assert_eq!(all_steps(&doc), steps);
}

/// Lossy: the same pipe, but the producers never wait; `finish` says how many records the
/// journal lost, exactly, and the nested file still has every one.
#[test]
fn a_lossy_journal_never_waits_and_finish_counts_exactly_what_it_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = Pipe::new(dir.path());
    let log = pipe
        .workflow("lossy", dir.path())
        .lossy(true)
        .start()
        .unwrap();
    let total = THREADS * PER_THREAD as usize;
    // Every producer runs to its end although the journal takes nothing.
    assert_eq!(log_in_an_iteration(&log), total);
    let nested = log.path().unwrap();
    let reader = std::thread::spawn(move || pipe.bytes());
    let err = log.finish().expect_err("the lossy journal dropped records");
    let bytes = reader.join().unwrap();
    let doc = read_log(&nested);
    assert_eq!(all_steps(&doc), (0..total as u64).collect::<Vec<_>>());
    let lines = journal_lines(&bytes);
    let missing = expected_lines(&doc) - lines.len();
    assert!(missing > 0);
    let message = err.to_string();
    match err {
        Error::RecordsLost { count, path, .. } => {
            assert_eq!(count as usize, missing, "{message}");
            assert_eq!(path, Some(nested));
        }
        other => panic!("expected RecordsLost, got {other:?}"),
    }
    assert!(
        message.contains(&format!("{missing} record(s) were lost")),
        "{message}"
    );
    // What the journal did get is still a journal `recover` reads.
    let recovered = recover_bytes(&bytes);
    assert_eq!(
        all_steps(&recovered).len(),
        journaled_steps(&lines).len(),
        "recover keeps every step the journal holds"
    );
}

/// Lossy into a regular file: whatever the journal took is read back from it by `finish`, the
/// rest was kept in memory; the nested file has every step once, each under its thread's
/// interaction, and `finish` counts exactly the records the journal lacks.
#[test]
fn a_lossy_file_journal_and_the_records_it_dropped_make_one_nested_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("lossy_file")
        .logs_dir(dir.path())
        .lossy(true)
        .journal_queue(1)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    let total = THREADS * PER_THREAD as usize;
    log_in_an_iteration(&log);
    let nested = log.path().unwrap();
    let result = log.finish();
    let doc = read_log(&nested);
    assert_eq!(all_steps(&doc), (0..total as u64).collect::<Vec<_>>());
    let iteration = &doc["iterations"][0];
    for agent in children(iteration, "interactions") {
        let t: u64 = agent["agent_name"].as_str().unwrap()["agent_".len()..]
            .parse()
            .unwrap();
        let steps: Vec<u64> = children(agent, "actions")
            .iter()
            .map(|a| a["input_data"]["seq"].as_u64().unwrap())
            .collect();
        let own: Vec<u64> = (t * PER_THREAD..(t + 1) * PER_THREAD).collect();
        assert_eq!(steps, own, "agent_{t}'s steps, in the order they ran");
    }
    let lines = read_journal(&journal);
    let missing = expected_lines(&doc) - lines.len();
    match result {
        Ok(_) => assert_eq!(missing, 0),
        Err(Error::RecordsLost { count, .. }) => assert_eq!(count as usize, missing),
        Err(other) => panic!("expected RecordsLost, got {other:?}"),
    }
}

/// A consumer can tail the journal while the run goes on: after each `flush()`, every complete
/// line is a whole record, and the new step is there.
#[test]
fn a_journal_can_be_tailed_line_by_line_while_the_run_goes_on() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("tailed"));
    let journal = log.journal_path().unwrap();
    let mut tail = BufReader::new(File::open(&journal).unwrap());
    let mut seen = Vec::new();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        for seq in 0..5u64 {
            workflow_log::action("step")
                .input(&json!({"seq": seq}))
                .log();
            workflow_log::flush().unwrap();
            let mut line = String::new();
            // Header and the iteration's notice first.
            while tail.read_line(&mut line).unwrap() > 0 {
                let value: Value = serde_json::from_str(line.trim_end()).unwrap();
                if value["name"] == "step" {
                    seen.push(value["input"]["seq"].as_u64().unwrap());
                }
                line.clear();
            }
            assert_eq!(seen, (0..=seq).collect::<Vec<_>>());
        }
    }
    log.finish().unwrap();
}

/// A worker that logs under a record opened on another thread: after a crash, its records must
/// still find their parents in the journal. Taking the `Context` hands the opening thread's
/// notices over, so the worker's own `flush` makes the whole chain durable.
#[test]
fn a_crash_keeps_the_parents_of_records_logged_through_a_context() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("context_crash"));
    let journal = log.journal_path().unwrap();
    let snapshot = {
        let _entered = log.enter();
        let it = workflow_log::iteration().start();
        let planner = workflow_log::interaction("planner").start();
        let ctx = Context::current();
        std::thread::spawn(move || {
            let _attached = ctx.attach();
            workflow_log::action("background_fetch").log();
            workflow_log::flush().unwrap();
        })
        .join()
        .unwrap();
        // The process "dies" here: nothing more is handed over, the guards never close.
        let bytes = std::fs::read(&journal).unwrap();
        std::mem::forget(planner);
        std::mem::forget(it);
        bytes
    };
    let recovered = recover_bytes(&snapshot);
    validate(&recovered);
    let iteration = &recovered["iterations"][0];
    assert_eq!(iteration["status"], "incomplete");
    let planner = &iteration["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(planner["status"], "incomplete");
    assert_eq!(planner["actions"][0]["action_name"], "background_fetch");
    assert!(
        recovered["actions"].is_null(),
        "nothing lands at the root: {recovered}"
    );
    drop(log);
}

/// Without any `flush()`: what closed before a timed record opens (an LLM call that may block
/// for minutes) is handed to the journal, so a crash during the call doesn't lose it.
#[test]
fn what_closed_before_a_long_call_reaches_the_journal_without_a_flush() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("long_call"));
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("planner").start();
        for seq in 0..3u64 {
            workflow_log::action("step")
                .input(&json!({"seq": seq}))
                .log();
        }
        std::thread::sleep(Duration::from_millis(5));
        let _llm_call = workflow_log::action("llm_call").start();
        // The call "blocks" here; the journal writer catches up meanwhile.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let steps = journaled_steps(&read_journal(&journal));
            if steps == [0, 1, 2] {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the steps never reached the journal: {steps:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    log.finish().unwrap();
}

/// An interaction's open line waits in its thread's buffer (handing it over at once cost a
/// wake-up of the writer per interaction), but never past the opening of a timed record inside
/// it: a crash during that call (an LLM call that blocks) keeps the interaction's name and place.
#[test]
fn an_interaction_open_line_reaches_the_journal_before_a_call_inside_it_blocks() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("open_line"));
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        // A hand-over just now: the next one is not due by time.
        workflow_log::action("warm_up").log();
        let _agent = workflow_log::interaction("planner").start();
        let _llm_call = workflow_log::action("llm_call").start();
        // The call "blocks" here.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let lines = read_journal(&journal);
            let open = record_lines(&lines)
                .iter()
                .any(|l| l["name"] == "planner" && l["status"] == "incomplete");
            if open {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the interaction's open line never reached the journal: {lines:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    log.finish().unwrap();
}

/// Threads that keep logging while `finish` runs: what reaches the nested file but not the
/// journal is counted, exactly, in `RecordsLost` (and when nothing is missing, `finish` is `Ok`).
#[test]
fn records_handed_over_while_finish_runs_are_in_both_files_or_counted() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("racing")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    let nested = log.path().unwrap();
    let ctx = {
        let _entered = log.enter();
        Context::current()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (ctx, stop, progress) = (ctx.clone(), stop.clone(), progress.clone());
            std::thread::spawn(move || {
                let _attached = ctx.attach();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // Each one is handed over as it closes: the thread's outermost record.
                    workflow_log::action("step")
                        .input(&json!({"seq": t as u64 * 1_000_000_000 + i}))
                        .log();
                    i += 1;
                    progress.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    while progress.load(Ordering::Relaxed) < THREADS * 1000 {
        std::thread::yield_now();
    }
    let result = log.finish();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let in_file = all_steps(&read_log(&nested));
    let mut in_journal = journaled_steps(&read_journal(&journal));
    in_journal.sort_unstable();
    assert!(in_journal.iter().all(|s| in_file.binary_search(s).is_ok()));
    let missing = (in_file.len() - in_journal.len()) as u64;
    match result {
        Ok(_) => assert_eq!(missing, 0, "finish was Ok, yet the journal lacks records"),
        Err(Error::RecordsLost { count, .. }) => assert_eq!(count, missing),
        Err(other) => panic!("{other:?}"),
    }
}

/// `finish` while another thread is still inside an interaction and logs nothing (it waits on
/// a channel, or computes): the interaction is in both files, `incomplete`, under its parent.
#[test]
fn finish_while_a_thread_waits_inside_an_interaction_keeps_it_incomplete_in_both_files() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("waiting"));
    let journal = log.journal_path().unwrap();
    let (opened_tx, opened_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let ctx = Context::current();
        let worker = std::thread::spawn(move || {
            let _attached = ctx.attach();
            let _agent = workflow_log::interaction("planner").start();
            opened_tx.send(()).unwrap();
            let _ = done_rx.recv();
        });
        opened_rx.recv().unwrap();
        worker
    };
    let nested = log.finish().unwrap();
    for doc in [read_log(&nested), recover_valid(&journal)] {
        let planner = &doc["iterations"][0]["interactions"][0];
        assert_eq!(planner["agent_name"], "planner", "{doc}");
        assert_eq!(planner["status"], "incomplete");
    }
    done_tx.send(()).unwrap();
    worker.join().unwrap();
}

/// A thread that closed records and now waits inside an open record, logging nothing more (a
/// worker blocked on a channel, or computing): `flush()` on another thread takes its records
/// into the journal, so a crash right after keeps them, each once.
#[test]
fn flush_takes_the_records_of_a_thread_that_waits_inside_an_open_record() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("waiting_worker"));
    let journal = log.journal_path().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let entered = log.enter();
    let it = workflow_log::iteration().start();
    let ctx = Context::current();
    let worker = std::thread::spawn(move || {
        let _attached = ctx.attach();
        let _agent = workflow_log::interaction("planner").start();
        // Handed over at once (the thread's first): the steps after it stay with the thread.
        workflow_log::action("warm_up").log();
        for seq in 0..3u64 {
            workflow_log::action("step")
                .input(&json!({"seq": seq}))
                .log();
        }
        ready_tx.send(()).unwrap();
        let _ = done_rx.recv();
    });
    ready_rx.recv().unwrap();
    workflow_log::flush().unwrap();
    // The process "dies" here.
    let snapshot = std::fs::read(&journal).unwrap();
    assert_eq!(journaled_steps(&journal_lines(&snapshot)), [0, 1, 2]);
    let recovered = recover_bytes(&snapshot);
    let planner = &recovered["iterations"][0]["interactions"][0];
    assert_eq!(planner["status"], "incomplete", "{recovered}");
    assert_eq!(steps(&recovered), [0, 1, 2]);
    assert_eq!(planner["actions"].as_array().map(Vec::len), Some(4));

    done_tx.send(()).unwrap();
    worker.join().unwrap();
    drop(it);
    drop(entered);
    let doc = read_log(&log.finish().unwrap());
    assert_eq!(steps(&doc), [0, 1, 2]);
    // Each record once in the journal, and it recovers to the nested file.
    assert_eq!(read_journal(&journal).len(), expected_lines(&doc));
    assert_eq!(recover_valid(&journal), doc);
}

/// A timed action still open (an LLM call that never returns, inside a tool call whose name was
/// made at run time): a `flush()` writes an `incomplete` line for each, at once; without any
/// flush, the journal's writer writes one for an action open more than a few ms when it wakes
/// (at least every 200 ms). A crash then recovers them `incomplete`, in their places; once they
/// close, the close lines win everywhere.
#[test]
fn a_timed_action_still_open_at_a_crash_is_in_the_journal_as_incomplete() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("open_actions"));
    let journal = log.journal_path().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let done_rx = Arc::new(Mutex::new(done_rx));
    let entered = log.enter();
    let it = workflow_log::iteration().start();
    let ctx = Context::current();
    let worker = |agent: &'static str, outer: String, inner: &'static str| {
        let (ctx, ready_tx, done_rx) = (ctx.clone(), ready_tx.clone(), done_rx.clone());
        std::thread::spawn(move || {
            let _attached = ctx.attach();
            let _agent = workflow_log::interaction(agent).start();
            let _tool = workflow_log::action(outer).input(&"query").start();
            let _call = workflow_log::action(inner).start();
            ready_tx.send(()).unwrap();
            let _ = done_rx.lock().unwrap().recv();
        })
    };
    let crashed = |snapshot: &[u8], agent: &str, outer: &str, inner: &str| {
        let recovered = recover_bytes(snapshot);
        let interaction = find(&recovered, Kind::Interaction, agent).value;
        let tool = &interaction["actions"][0];
        assert_eq!(tool["action_name"], outer, "{recovered}");
        assert_eq!(tool["status"], "incomplete");
        assert_eq!(tool["end_time"], Value::Null);
        let call = &tool["actions"][0];
        assert_eq!(call["action_name"], inner, "{recovered}");
        assert_eq!(call["status"], "incomplete");
        assert_eq!(call["duration_us"], Value::Null);
    };

    // With a flush: at once.
    let planner = worker("planner", format!("tool_{}", 7), "llm_call");
    ready_rx.recv().unwrap();
    workflow_log::flush().unwrap();
    crashed(
        &std::fs::read(&journal).unwrap(),
        "planner",
        "tool_7",
        "llm_call",
    );

    // Without: when the writer wakes.
    let critic = worker("critic", "review".to_owned(), "llm_review");
    ready_rx.recv().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let snapshot = loop {
        let snapshot = std::fs::read(&journal).unwrap();
        let open = record_lines(&journal_lines(&snapshot))
            .iter()
            .filter(|l| l["status"] == "incomplete")
            .filter(|l| l["name"] == "review" || l["name"] == "llm_review")
            .count();
        if open == 2 {
            break snapshot;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the open actions never reached the journal"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    crashed(&snapshot, "critic", "review", "llm_review");

    for _ in 0..2 {
        done_tx.send(()).unwrap();
    }
    planner.join().unwrap();
    critic.join().unwrap();
    drop(it);
    drop(entered);
    let doc = read_log(&log.finish().unwrap());
    for name in ["tool_7", "llm_call", "review", "llm_review"] {
        let action = find(&doc, Kind::Action, name).value;
        assert_eq!(action["status"], "ok", "{name}");
        assert!(action["end_time"].is_string(), "{name}");
        // Its open line and its close line, each once.
        let lines = read_journal(&journal);
        let statuses: Vec<_> = record_lines(&lines)
            .iter()
            .filter(|l| l["name"] == name)
            .map(|l| l["status"].clone())
            .collect();
        assert_eq!(statuses, ["incomplete", "ok"], "{name}");
    }
    assert_eq!(recover_valid(&journal), doc);
}

/// A tree thousands of records deep (a deeply recursive agent): the journal, the nested file
/// and everything the run held are written and dropped on a thread with a 2 MiB stack (Rust's
/// default for spawned threads), and the nested file holds the whole chain.
#[test]
fn a_tree_five_thousand_records_deep_is_written_and_dropped_on_a_two_mib_stack() {
    const DEPTH: usize = 5000;
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().to_owned();
    let (nested, journal) = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let log = Workflow::builder("deep_tree")
                .logs_dir(&logs)
                .start()
                .unwrap();
            let journal = log.journal_path().unwrap();
            {
                let _entered = log.enter();
                let guards: Vec<_> = (0..DEPTH)
                    .map(|i| {
                        workflow_log::action("step")
                            .input(&json!({"seq": i}))
                            .start()
                    })
                    .collect();
                // Closed innermost first, as returning from the recursion would.
                for guard in guards.into_iter().rev() {
                    drop(guard);
                }
            }
            (log.finish().unwrap(), journal)
        })
        .unwrap()
        .join()
        .expect("the writing thread panicked");
    // Each action is the only child of the one before: the file nests DEPTH levels of them.
    let text = std::fs::read_to_string(&nested).unwrap();
    assert_eq!(text.matches("\"action_name\": \"step\"").count(), DEPTH);
    // Read as text (a `Value` this deep would need a big stack to drop): the steps come in
    // order, each opening the `actions` array of the next; the indentation stops growing, so
    // the file stays a few kilobytes a record at most.
    let seqs: Vec<usize> = text
        .split("\"seq\":")
        .skip(1)
        .map(|rest| {
            rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap()]
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (0..DEPTH).collect::<Vec<_>>());
    assert_eq!(text.matches("\"actions\": [").count(), DEPTH);
    assert!(text.len() < DEPTH * 4000, "{} bytes", text.len());
    // Every step closed once; the outermost ones, open for a while as the tree grew, may also
    // have an open line (at most one each).
    let lines = read_journal(&journal);
    let step_lines = |status: &str| {
        record_lines(&lines)
            .iter()
            .filter(|l| l["name"] == "step" && l["status"] == status)
            .map(|l| l["id"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let closed = step_lines("ok");
    assert_eq!(closed.len(), DEPTH);
    let open = step_lines("incomplete");
    let unique: std::collections::HashSet<_> = open.iter().collect();
    assert_eq!(unique.len(), open.len());
    assert!(open.iter().all(|id| closed.contains(id)));
}

/// A thread that panics while the journal can take nothing (a pipe nobody reads, its queue
/// full): the panic hook hands the thread's records over and waits for the journal, but not
/// for ever. The panic goes on; the nested file has the panicked record and what the journal
/// did not take, and `finish` says how many records those are.
#[test]
fn a_panic_while_the_journal_takes_nothing_goes_on_and_its_records_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = Pipe::new(dir.path());
    let log = pipe.workflow("stalled_panic", dir.path()).start().unwrap();
    let (ready, is_ready) = mpsc::channel();
    let (go, may_go) = mpsc::channel::<()>();
    let (done, panicked) = mpsc::channel();
    let wf = log.workflow();
    // Logs while the journal takes records, then panics once it takes none.
    let panicking = std::thread::spawn(move || {
        let _e = wf.enter();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _call = workflow_log::action("panics").start();
            for i in 0..4 {
                workflow_log::action("step").input(&i).log();
            }
            let _ = ready.send(());
            let _ = may_go.recv();
            panic!("boom");
        }));
        let _ = done.send(result.is_err());
    });
    is_ready.recv().unwrap();
    let filler = fill_the_pipe(log.workflow());
    std::thread::sleep(Duration::from_millis(300));
    go.send(()).unwrap();
    let unwound = panicked.recv_timeout(Duration::from_secs(60));
    pipe.release();
    filler.join().unwrap();
    panicking.join().unwrap();
    let finished = log.finish();
    assert_eq!(
        unwound,
        Ok(true),
        "the panic hook hung while the journal took nothing"
    );
    let Err(Error::RecordsLost {
        path: Some(path),
        count,
        reason,
    }) = finished
    else {
        panic!("the records the journal did not take are not reported: {finished:?}");
    };
    assert!((1..=5).contains(&count), "{count} records lost");
    assert!(reason.contains("panicking"), "{reason}");
    let doc = read_log(&path);
    let panicked = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_name"] == "panics")
        .expect("the panicked action is in the nested file");
    assert_eq!(panicked["status"], "panicked");
    assert_eq!(panicked["actions"].as_array().unwrap().len(), 4);
}

/// A thread name with quotes, a backslash and a control character in it is written escaped:
/// the journal's line reads back as JSON with the name whole, and so does the nested file.
#[test]
fn a_thread_name_that_needs_escaping_reads_back_whole() {
    const NAME: &str = "we\"ird\\name\u{1}";
    let (_dir, log) = start_in_tempdir(Workflow::builder("odd_thread"));
    let journal = log.journal_path().unwrap();
    let ctx = {
        let _entered = log.enter();
        Context::current()
    };
    on_thread_at(NAME, ctx, || workflow_log::action("step").log());
    let path = log.finish().unwrap();
    let lines = read_journal(&journal);
    let step = record_lines(&lines)
        .into_iter()
        .find(|l| l["name"] == "step")
        .expect("the step's line");
    assert_eq!(step["thread"], NAME);
    let doc = read_log(&path);
    assert_eq!(find(&doc, Kind::Action, "step").value["thread"], NAME);
}
