//! Filtered-out logging allocates nothing: a logger event below its level, and a record below
//! the workflow's level. A file-backed run's records are on disk, not in memory, once written.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use workflow_log::{Level, Workflow};
use workflow_log_tests::{capture_valid_with, read_log, records};

struct Counting;

/// Bytes allocated and not freed, by every thread.
static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts (per thread) on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Held by each test while it runs: `LIVE` counts every thread's bytes, so a test running
/// beside the one that reads it would move its figure (by up to 30 bytes a record).
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Allocations this thread made while running `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn an_event_below_its_loggers_level_allocates_nothing() {
    let _alone = alone();
    let ((), doc) = capture_valid_with(
        Workflow::builder("quiet").filter("warn,alloc_probe.loud=debug"),
        || {
            let quiet = workflow_log::logger("alloc_probe.quiet");
            let loud = workflow_log::logger("alloc_probe.loud");
            // Warm up: the first call resolves and caches the logger's level.
            quiet.info("warm-up", json!(null));
            let fields = json!({"big": "x".repeat(1000)});
            let n = allocations(|| {
                for _ in 0..100 {
                    quiet.info("not kept", &fields);
                    quiet.debug("not kept", &fields);
                }
            });
            assert_eq!(n, 0, "filtered-out events allocated {n} times");
            // The same call above the level does allocate: the probe can see allocations.
            let n = allocations(|| loud.debug("kept", &fields));
            assert!(n > 0);
        },
    );
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["message"], "kept");
}

#[test]
fn records_below_the_workflows_level_allocate_nothing() {
    let _alone = alone();
    let ((), doc) = capture_valid_with(Workflow::builder("quiet").level(Level::Warn), || {
        let input = json!({"query": "x".repeat(1000)});
        let n = allocations(|| {
            for _ in 0..100 {
                let _it = workflow_log::iteration().start();
                let _g = workflow_log::interaction("planner").input(&input).start();
                workflow_log::action("search").input(&input).log();
                let mut a = workflow_log::action("fetch").input(&input).start();
                a.output(&input);
            }
        });
        assert_eq!(n, 0, "records below the level allocated {n} times");
    });
    assert!(doc["iterations"].as_array().unwrap().is_empty());
}

/// A file-backed run doesn't keep its records until `finish`: once its journal (or, without
/// one, its spill file) has them, a record costs the run the entry `finish` finds its line by
/// (24 bytes), within the 64 bytes a record DESIGN.md allows, where the record itself (with
/// its payload) is over 300.
#[test]
fn a_file_backed_run_keeps_its_records_on_disk_not_in_memory() {
    let _alone = alone();
    for journal in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let log = Workflow::builder("on_disk")
            .logs_dir(dir.path())
            .journal(journal)
            .start()
            .unwrap();
        let (per_record, logged) = {
            let _entered = log.enter();
            // Warm-up: the thread's buffer, the batches that circulate, the writer's buffers.
            log_agents(6);
            let before = LIVE.load(Ordering::Relaxed);
            let logged = log_agents(60);
            let grown = LIVE.load(Ordering::Relaxed) - before;
            (grown as f64 / logged as f64, logged)
        };
        assert!(
            per_record < 64.0,
            "journal {journal}: {per_record:.0} bytes per record"
        );
        let doc = read_log(&log.finish().unwrap());
        assert_eq!(records(&doc).len(), logged * 66 / 60);
        // Nothing but the nested file (and the journal) is left in the logs directory.
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1 + usize::from(journal));
    }
}

/// Logs `iterations` iterations of 4 agents with 50 actions each (3-field payloads), then
/// flushes; returns how many records that was.
fn log_agents(iterations: usize) -> usize {
    let input = json!({"query": "x".repeat(200), "top_k": 5, "temperature": 0.2});
    for _ in 0..iterations {
        let _it = workflow_log::iteration().start();
        for _ in 0..4 {
            let _agent = workflow_log::interaction("planner").start();
            for _ in 0..50 {
                workflow_log::action("search").input(&input).log();
            }
        }
    }
    workflow_log::flush().unwrap();
    iterations * (1 + 4 * (1 + 50))
}
