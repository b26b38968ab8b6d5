//! Filtered-out logging allocates nothing: a logger event below its level, and a record below
//! the workflow's level.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use serde_json::json;
use workflow_log::{Level, Workflow};
use workflow_log_tests::capture_valid_with;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts (per thread) on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations this thread made while running `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn an_event_below_its_loggers_level_allocates_nothing() {
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
