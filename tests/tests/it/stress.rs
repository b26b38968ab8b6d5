//! Many threads into one file-backed workflow: 16 named threads × 50,000 actions, each thread
//! inside its own interaction opened under a `Context` taken on the main thread. None is lost,
//! ids are unique, every parent id resolves, each thread's records keep their order and carry
//! the thread's name.
//!
//! The nested file of the big run (≈ 800,000 actions) is parsed with typed structs that borrow
//! from the file's bytes; the schema is checked on a small run of the same shape.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;
use workflow_log::{Context, Workflow};
use workflow_log_tests::{read_log, recover_valid};

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    iterations: Vec<Iteration<'a>>,
    #[serde(default, borrow)]
    interactions: Vec<Interaction<'a>>,
    #[serde(default, borrow)]
    actions: Vec<Action<'a>>,
}

#[derive(Deserialize)]
struct Iteration<'a> {
    id: &'a str,
    status: &'a str,
    #[serde(borrow)]
    interactions: Vec<Interaction<'a>>,
    #[serde(default, borrow)]
    actions: Vec<Action<'a>>,
}

#[derive(Deserialize)]
struct Interaction<'a> {
    id: &'a str,
    agent_name: &'a str,
    input: usize,
    status: &'a str,
    thread: &'a str,
    #[serde(borrow)]
    actions: Vec<Action<'a>>,
    #[serde(default, borrow)]
    interactions: Vec<Interaction<'a>>,
}

#[derive(Deserialize)]
struct Action<'a> {
    id: &'a str,
    action_name: &'a str,
    input_data: Step,
    status: &'a str,
    thread: &'a str,
}

#[derive(Deserialize, serde::Serialize)]
struct Step {
    thread: usize,
    seq: u64,
}

/// One journal line, the fields this test reads.
#[derive(Deserialize)]
struct Line<'a> {
    id: Option<u64>,
    parent: Option<u64>,
    kind: Option<&'a str>,
    status: Option<&'a str>,
}

fn thread_name(t: usize) -> String {
    format!("worker-{t:02}")
}

/// Runs `threads` × `per_thread` actions into one workflow; returns the nested file and the
/// journal.
fn run(dir: &Path, threads: usize, per_thread: u64) -> (PathBuf, PathBuf) {
    let log = Workflow::builder("stress")
        .logs_dir(dir)
        .pretty(false)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let ctx = Context::current();
        std::thread::scope(|s| {
            for t in 0..threads {
                let ctx = ctx.clone();
                std::thread::Builder::new()
                    .name(thread_name(t))
                    .spawn_scoped(s, move || {
                        let _attached = ctx.attach();
                        let mut agent = workflow_log::interaction(format!("agent_{t}"))
                            .input(&t)
                            .start();
                        for seq in 0..per_thread {
                            workflow_log::action("step")
                                .input(&Step { thread: t, seq })
                                .log();
                        }
                        agent.output(&per_thread);
                    })
                    .unwrap();
            }
        });
    }
    (log.finish().unwrap(), journal)
}

/// Checks the nested file: every thread's interaction under the iteration, with all its steps
/// in order, on its own thread, every id unique.
fn check_nested(path: &Path, threads: usize, per_thread: u64) {
    let bytes = std::fs::read(path).unwrap();
    let doc: Doc<'_> = serde_json::from_slice(&bytes).unwrap();
    assert!(doc.interactions.is_empty() && doc.actions.is_empty());
    assert_eq!(doc.iterations.len(), 1);
    let it = &doc.iterations[0];
    assert_eq!(it.status, "ok");
    assert!(
        it.actions.is_empty(),
        "a step landed outside its interaction"
    );
    assert_eq!(it.interactions.len(), threads);
    let mut ids: HashSet<&str> = HashSet::with_capacity(threads * (per_thread as usize + 1) + 1);
    assert!(ids.insert(it.id));
    let mut seen_threads = HashSet::new();
    for agent in &it.interactions {
        let t = agent.input;
        assert_eq!(agent.agent_name, format!("agent_{t}"));
        assert_eq!(agent.thread, thread_name(t));
        assert_eq!(agent.status, "ok");
        assert!(agent.interactions.is_empty());
        assert!(seen_threads.insert(t), "two interactions for thread {t}");
        assert!(ids.insert(agent.id), "duplicate id {}", agent.id);
        assert_eq!(
            agent.actions.len() as u64,
            per_thread,
            "{} lost steps",
            agent.agent_name
        );
        for (i, action) in agent.actions.iter().enumerate() {
            assert_eq!(action.action_name, "step");
            assert_eq!(action.status, "ok");
            assert_eq!(
                (action.input_data.thread, action.input_data.seq),
                (t, i as u64),
                "thread {t}'s steps out of order or misplaced"
            );
            assert_eq!(action.thread, agent.thread);
            assert!(ids.insert(action.id), "duplicate id {}", action.id);
        }
    }
    assert_eq!(ids.len(), 1 + threads * (1 + per_thread as usize));
}

/// Checks the journal, the flat form: every record once, every parent id resolves to a record
/// that can have children, two lines for each iteration and interaction.
fn check_journal(path: &Path, threads: usize, per_thread: u64) {
    let file = BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut parents: HashSet<u64> = HashSet::new();
    let mut children: Vec<u64> = Vec::new();
    let mut lines_per_id: HashMap<u64, u8> = HashMap::new();
    let mut actions = 0u64;
    let mut buf = Vec::new();
    let mut reader = file;
    while {
        buf.clear();
        reader.read_until(b'\n', &mut buf).unwrap() > 0
    } {
        let line: Line<'_> = serde_json::from_slice(&buf).unwrap();
        let (Some(id), Some(kind)) = (line.id, line.kind) else {
            continue; // header or end line
        };
        *lines_per_id.entry(id).or_default() += 1;
        match kind {
            "iteration" | "interaction" => {
                parents.insert(id);
            }
            "action" => {
                actions += 1;
                assert_eq!(line.status, Some("ok"));
            }
            other => panic!("unexpected kind {other}"),
        }
        children.push(line.parent.unwrap());
    }
    assert_eq!(actions, threads as u64 * per_thread);
    for parent in children {
        assert!(
            parent == 0 || parents.contains(&parent),
            "parent {parent} does not resolve"
        );
    }
    for (id, n) in lines_per_id {
        let expected = if parents.contains(&id) { 2 } else { 1 };
        assert_eq!(n, expected, "record {id} has {n} lines");
    }
}

#[test]
fn a_small_run_of_the_same_shape_matches_the_schema_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (path, journal) = run(dir.path(), 16, 50);
    let doc = read_log(&path);
    assert_eq!(
        doc["iterations"][0]["interactions"][3]["actions"][49]["input_data"],
        json!({"thread": doc["iterations"][0]["interactions"][3]["input"], "seq": 49})
    );
    check_nested(&path, 16, 50);
    check_journal(&journal, 16, 50);
    assert_eq!(recover_valid(&journal), doc);
}

#[test]
fn sixteen_threads_times_fifty_thousand_actions_lose_nothing() {
    const THREADS: usize = 16;
    const PER_THREAD: u64 = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let (path, journal) = run(dir.path(), THREADS, PER_THREAD);
    check_nested(&path, THREADS, PER_THREAD);
    check_journal(&journal, THREADS, PER_THREAD);
}
