//! What one thread publishes (its closed records, its open actions) while other threads take or
//! read it at the same time: each record taken once and in order, each open action read whole.
//! The `unsafe` of `outbox.rs` and the sequence lock of `open_slots.rs` under contention.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::open_slots::NameRef;
use super::{outbox, Local};
use crate::level::Filter;
use crate::record::{Kind, Record};
use crate::runtime::lifecycle::Setup;
use crate::runtime::workflow::{next_number, LiveWorkflow, Output};
use crate::sink::collector::BATCH;

fn workflow() -> Arc<LiveWorkflow> {
    LiveWorkflow::start(Setup {
        name: "outbox",
        output: Output::Memory,
        filter: Filter::default(),
        run_id: "test".into(),
        pretty: false,
        payload: None,
        journal: None,
        prices: Vec::new(),
    })
    .unwrap()
}

/// Runs `f` on another thread until `owner` returns.
fn meanwhile(f: impl Fn() + Send + 'static, owner: impl FnOnce() + Send + 'static) {
    let done = Arc::new(AtomicBool::new(false));
    let other = {
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                f();
                std::thread::yield_now();
            }
        })
    };
    std::thread::spawn(owner).join().unwrap();
    done.store(true, Ordering::Relaxed);
    other.join().unwrap();
}

#[test]
fn records_a_thread_puts_are_taken_by_it_and_by_others_each_once_in_order() {
    const N: u64 = 30_000;
    let shared = workflow();
    let owner = shared.clone();
    let drainer = shared.clone();
    meanwhile(
        move || outbox::drain_all(&drainer, true),
        move || {
            let mut local = Local::new();
            local.set_outbox_owner(owner.serial);
            local.buffer_owner = Some(owner.clone());
            for id in 1..=N {
                let mut rec = Record::new(Kind::Action, "step".into());
                rec.id = id;
                rec.input = Some(crate::capture::Payload::empty_object());
                local.put(rec);
                // The owner's own hand-overs, full and not (with records taken meanwhile).
                if local.len >= BATCH || id % 777 == 0 {
                    local.hand_over();
                }
            }
            // Dropping the state hands the rest over.
        },
    );
    let (records, _) = shared.collector.take();
    let ids: Vec<u64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, (1..=N).collect::<Vec<_>>());
}

#[test]
fn an_open_action_is_read_whole_or_not_at_all_while_its_slot_is_reused() {
    const N: u64 = 30_000;
    let serial = u64::MAX - 1;
    let slots: Arc<std::sync::Mutex<Option<Arc<outbox::Outbox>>>> = Arc::default();
    let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let read = {
        let (slots, seen) = (slots.clone(), seen.clone());
        move || {
            let Some(outbox) = slots.lock().unwrap().clone() else {
                return;
            };
            let mut notices = Vec::new();
            outbox::collect_from(&outbox, serial, u64::MAX, &mut notices);
            for rec in notices {
                // Every field is the one the owner wrote with this id.
                assert_eq!(rec.parent, rec.id * 3);
                assert_eq!(rec.start, rec.id * 5);
                let expected = if rec.id % 2 == 0 {
                    "llm_call".to_owned()
                } else {
                    format!("tool_{}_{}", rec.id, "x".repeat(rec.id as usize % 90))
                };
                // A name made at run time is cut at 72 bytes.
                let cut = &expected[..expected.len().min(72)];
                assert_eq!(&*rec.name, cut);
                seen.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    let owner_slots = slots.clone();
    meanwhile(read.clone(), move || {
        let mut local = Local::new();
        *owner_slots.lock().unwrap() = Some(local.make_outbox());
        for id in 1..=N {
            let depth = (id % 3) as usize;
            let made = format!("tool_{id}_{}", "x".repeat(id as usize % 90));
            let name = if id % 2 == 0 {
                NameRef::Static("llm_call")
            } else {
                NameRef::Made(&made)
            };
            local.publish_open(depth, id, id * 3, id * 5, serial, name);
            if id % 5 != 0 {
                // Some are left behind, taken over by the next action at their depth.
                local.unpublish(depth, id);
            }
        }
    });
    // The last action at depth 0 was left open.
    read();
    assert!(seen.load(Ordering::Relaxed) > 0, "no open action was read");
}

#[test]
fn nested_iteration_counters_are_forgotten_as_their_parents_close_whatever_else_holds_one() {
    let shared = workflow();
    let held = || crate::util::lock(&shared.nested_iterations).len();
    let next = |parent| next_number(&shared.iteration_counter(parent));
    assert_eq!(next(5), 1);
    assert_eq!(next(5), 2);
    // Another parent, in the same bucket (69 % 64 == 5) and in another.
    assert_eq!(next(69), 1);
    assert_eq!(next(70), 1);
    assert_eq!(held(), 3);
    // Records with no counter close: the counters stay.
    shared.forget_counter(133);
    shared.forget_counter(7);
    assert_eq!(held(), 3);
    shared.forget_counter(69);
    shared.forget_counter(5);
    assert_eq!(held(), 1);
    // Only the bucket of the counter left is still set.
    assert_eq!(
        shared.counter_buckets.load(Ordering::Relaxed),
        1 << (70 % 64)
    );
    // The last one gone, no close looks for a counter again until one is made.
    shared.forget_counter(70);
    assert_eq!(held(), 0);
    assert_eq!(shared.counter_buckets.load(Ordering::Relaxed), 0);
    assert_eq!(next(5), 1);
    shared.forget_counter(5);
    assert_eq!(held(), 0);
}
