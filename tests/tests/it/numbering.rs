//! Iteration numbers: 1, 2, 3 … among siblings, separately under each parent, or explicit.

use serde_json::Value;
use workflow_log_tests::{capture_valid, children, labels};

fn numbers(record: &Value) -> Vec<u64> {
    children(record, "iterations")
        .iter()
        .map(|it| it["iteration_number"].as_u64().expect("a number"))
        .collect()
}

#[test]
fn top_level_iterations_count_from_one() {
    let (guard_numbers, log) = capture_valid(|| {
        (0..3)
            .map(|_| workflow_log::iteration().start().number())
            .collect::<Vec<_>>()
    });
    assert_eq!(guard_numbers, [Some(1), Some(2), Some(3)]);
    assert_eq!(numbers(&log), [1, 2, 3]);
}

#[test]
fn each_capture_counts_from_one() {
    for _ in 0..2 {
        let ((), log) = capture_valid(|| {
            let _a = workflow_log::iteration().start();
        });
        assert_eq!(numbers(&log), [1]);
    }
}

#[test]
fn nested_iterations_are_numbered_under_their_parent() {
    let ((), log) = capture_valid(|| {
        for _ in 0..2 {
            let _outer = workflow_log::iteration().start();
            for _ in 0..3 {
                let _inner = workflow_log::iteration().start();
                let _innermost = workflow_log::iteration().start();
            }
        }
    });
    assert_eq!(numbers(&log), [1, 2]);
    for outer in children(&log, "iterations") {
        assert_eq!(numbers(outer), [1, 2, 3]);
        for inner in children(outer, "iterations") {
            assert_eq!(numbers(inner), [1]);
        }
    }
}

#[test]
fn iterations_under_other_records_count_separately() {
    let ((), log) = capture_valid(|| {
        let _top = workflow_log::iteration().start();
        {
            let _planner = workflow_log::interaction("planner").start();
            let _a = workflow_log::iteration().start();
        }
        {
            let _critic = workflow_log::interaction("critic").start();
            for _ in 0..2 {
                let _b = workflow_log::iteration().start();
            }
        }
        let _tool = workflow_log::action("tool").start();
        let _c = workflow_log::iteration().start();
    });
    let top = &log["iterations"][0];
    assert_eq!(top["iteration_number"], 1);
    assert_eq!(labels(top, "interactions"), ["planner", "critic"]);
    assert_eq!(numbers(&top["interactions"][0]), [1]);
    assert_eq!(numbers(&top["interactions"][1]), [1, 2]);
    assert_eq!(numbers(&top["actions"][0]), [1]);
}

#[test]
fn explicit_numbers_are_kept() {
    let ((), log) = capture_valid(|| {
        let _first = workflow_log::iteration().start();
        drop(_first);
        let _ten = workflow_log::iteration().number(10).start();
        drop(_ten);
        let _auto = workflow_log::iteration().start();
        drop(_auto);
        let big = workflow_log::iteration()
            .number(u64::from(u32::MAX) + 7)
            .start();
        assert_eq!(big.number(), Some(u64::from(u32::MAX) + 7));
    });
    // Explicit numbers don't move the automatic count.
    assert_eq!(numbers(&log), [1, 10, 2, u64::from(u32::MAX) + 7]);
}

#[test]
fn an_explicit_zero_is_kept() {
    let ((), log) = capture_valid(|| {
        for n in 0..3 {
            let _it = workflow_log::iteration().number(n).start();
        }
    });
    assert_eq!(numbers(&log), [0, 1, 2]);
}

#[test]
fn numbering_of_siblings_continues_after_a_nested_parent_closes() {
    let ((), log) = capture_valid(|| {
        let _outer = workflow_log::iteration().start();
        {
            let _agent = workflow_log::interaction("agent").start();
            let _x = workflow_log::iteration().start();
        }
        {
            let _agent = workflow_log::interaction("agent").start();
            let _y = workflow_log::iteration().start();
        }
        let _z = workflow_log::iteration().start();
    });
    let outer = &log["iterations"][0];
    // Each interaction is a new parent, so its iterations start again at 1.
    assert_eq!(numbers(&outer["interactions"][0]), [1]);
    assert_eq!(numbers(&outer["interactions"][1]), [1]);
    assert_eq!(numbers(outer), [1]);
}

#[test]
fn explicit_numbers_take_any_integer_type() {
    let ((), log) = capture_valid(|| {
        for i in 0..2usize {
            let _it = workflow_log::iteration().number(i + 7).start();
        }
        let _it = workflow_log::iteration().number(3u8).start();
        drop(_it);
        // A number that doesn't fit (negative) leaves the iteration numbered automatically.
        let _it = workflow_log::iteration().number(-1i64).start();
    });
    assert_eq!(numbers(&log), [7, 8, 3, 1]);
}

#[workflow_log::iteration(number = u64::MAX)]
fn the_last_number() {}

#[test]
fn every_u64_is_an_explicit_number_even_the_largest() {
    let (guard_number, log) = capture_valid(|| {
        drop(workflow_log::iteration().start());
        let last = workflow_log::iteration().number(u64::MAX).start();
        let number = last.number();
        drop(last);
        the_last_number();
        number
    });
    assert_eq!(guard_number, Some(u64::MAX));
    assert_eq!(numbers(&log), [1, u64::MAX, u64::MAX]);
}

#[test]
fn threads_numbering_iterations_under_one_parent_share_its_count() {
    const PER_THREAD: u64 = 200;
    let ((), log) = capture_valid(|| {
        let _agent = workflow_log::interaction("planner").start();
        let under_agent = workflow_log::Context::current();
        std::thread::scope(|s| {
            for _ in 0..3 {
                let ctx = under_agent.clone();
                s.spawn(move || {
                    let _at = ctx.attach();
                    for _ in 0..PER_THREAD {
                        let _it = workflow_log::iteration().start();
                    }
                });
            }
            // And the parent's own thread, alternating with a second parent, so that a
            // thread's kept counter is given up and taken again.
            for _ in 0..PER_THREAD {
                let _it = workflow_log::iteration().start();
                let _other = workflow_log::action("tool").start();
                let _nested = workflow_log::iteration().start();
            }
        });
    });
    let agent = &log["interactions"][0];
    let mut got = numbers(agent);
    got.sort_unstable();
    // Every sibling has its own number: 1 to N, none twice, whichever thread opened it.
    assert_eq!(got, (1..=4 * PER_THREAD).collect::<Vec<_>>());
    for it in children(agent, "iterations") {
        for tool in children(it, "actions") {
            assert_eq!(numbers(tool), [1]);
        }
    }
}
