//! Threads and tasks: a `Context` carries the place to another thread; nothing is lost when
//! many threads log into one workflow.

use std::collections::HashSet;
use std::sync::mpsc;

use serde_json::json;
use workflow_log::{Context, FutureExt};
use workflow_log_tests::{capture_valid, children, find, ids, labels, on_thread_at, records, Kind};

#[test]
fn an_attached_context_nests_records_under_the_open_record() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let _planner = workflow_log::interaction("planner").start();
        let ctx = Context::current();
        assert!(ctx.is_some());
        on_thread_at("worker-1", ctx, || {
            workflow_log::action("background_fetch").log();
            let _sub = workflow_log::interaction("sub_agent").start();
            workflow_log::event("from_worker", json!({"ok": true}));
        });
        workflow_log::action("after_join").log();
    });
    let planner = &log["iterations"][0]["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(
        labels(planner, "actions"),
        ["background_fetch", "after_join"]
    );
    assert_eq!(planner["actions"][0]["thread"], "worker-1");
    assert_ne!(planner["actions"][1]["thread"], "worker-1");
    let sub = &planner["interactions"][0];
    assert_eq!(sub["agent_name"], "sub_agent");
    assert_eq!(sub["thread"], "worker-1");
    assert_eq!(sub["status"], "ok");
    assert_eq!(labels(sub, "events"), ["from_worker"]);
}

#[test]
fn a_context_carries_the_place_it_was_taken_at() {
    let ((), log) = capture_valid(|| {
        let root_ctx = Context::current();
        let _it = workflow_log::iteration().start();
        let it_ctx = Context::current();
        let _agent = workflow_log::interaction("agent").start();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _a = root_ctx.attach();
                workflow_log::action("at_root").log();
            });
            s.spawn(|| {
                let _a = it_ctx.attach();
                workflow_log::action("in_iteration").log();
            });
        });
    });
    assert_eq!(labels(&log, "actions"), ["at_root"]);
    assert_eq!(labels(&log["iterations"][0], "actions"), ["in_iteration"]);
    assert_eq!(
        children(&log["iterations"][0]["interactions"][0], "actions").len(),
        0
    );
}

#[test]
fn spawn_logs_under_the_innermost_open_record() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let _tool = workflow_log::action("orchestrator").start();
        let handle = workflow_log::spawn(|| {
            let _agent = workflow_log::interaction("spawned_agent").start();
            // Spawning again from the spawned thread nests one level deeper.
            workflow_log::spawn(|| workflow_log::action("grandchild").log())
                .join()
                .unwrap();
            7
        });
        assert_eq!(handle.join().unwrap(), 7);
    });
    let orchestrator = find(&log, Kind::Action, "orchestrator");
    assert_eq!(
        labels(orchestrator.value, "interactions"),
        ["spawned_agent"]
    );
    let agent = &orchestrator.value["interactions"][0];
    assert_eq!(labels(agent, "actions"), ["grandchild"]);
}

#[test]
fn many_threads_lose_nothing() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 300;
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let ctx = Context::current();
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let ctx = ctx.clone();
                s.spawn(move || {
                    let _attached = ctx.attach();
                    let _agent = workflow_log::interaction(format!("agent_{t}")).start();
                    for i in 0..PER_THREAD {
                        if i % 3 == 0 {
                            let mut tool = workflow_log::action("timed").start();
                            tool.output(&i);
                        } else {
                            workflow_log::action("instant").input(&i).log();
                        }
                        if i % 10 == 0 {
                            workflow_log::event("tick", json!({"t": t, "i": i}));
                        }
                    }
                });
            }
        });
    });
    let it = &log["iterations"][0];
    let agents = children(it, "interactions");
    assert_eq!(agents.len(), THREADS);
    let names: HashSet<_> = agents.iter().map(|a| a["agent_name"].clone()).collect();
    assert_eq!(names.len(), THREADS);
    for agent in agents {
        let actions = children(agent, "actions");
        assert_eq!(actions.len(), PER_THREAD, "{}", agent["agent_name"]);
        assert_eq!(children(agent, "events").len(), PER_THREAD / 10);
        // One thread's records stay in their order.
        let numbers: Vec<u64> = actions
            .iter()
            .map(|a| {
                let v = if a["action_name"] == "timed" {
                    &a["output_data"]
                } else {
                    &a["input_data"]
                };
                v.as_u64().unwrap()
            })
            .collect();
        assert_eq!(numbers, (0..PER_THREAD as u64).collect::<Vec<_>>());
    }
    let ids = ids(&log);
    assert_eq!(ids.len(), 1 + THREADS + THREADS * PER_THREAD);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
}

#[test]
fn siblings_from_two_threads_sort_by_start() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let ctx = Context::current();
        let (opened_tx, opened_rx) = mpsc::channel();
        let (close_tx, close_rx) = mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            let _attached = ctx.attach();
            let _slow = workflow_log::action("started_first").start();
            opened_tx.send(()).unwrap();
            close_rx.recv().unwrap();
        });
        opened_rx.recv().unwrap();
        // Starts second, closes first.
        workflow_log::action("started_second").start().end();
        close_tx.send(()).unwrap();
        worker.join().unwrap();
    });
    let it = &log["iterations"][0];
    assert_eq!(labels(it, "actions"), ["started_first", "started_second"]);
}

#[test]
fn threads_without_a_context_log_nowhere() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        std::thread::spawn(|| {
            assert!(!Context::current().is_some());
            workflow_log::action("lost").log();
        })
        .join()
        .unwrap();
    });
    assert_eq!(records(&log).len(), 1);
}

#[test]
fn an_empty_context_attaches_to_nothing() {
    let ctx = Context::current();
    assert!(!ctx.is_some());
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        {
            // Attaching "no workflow" doesn't hide the capture from this thread.
            let _nothing = ctx.attach();
            workflow_log::action("still_captured").log();
        }
    });
    assert_eq!(labels(&log["iterations"][0], "actions"), ["still_captured"]);
}

#[test]
fn tasks_on_a_multi_threaded_runtime_log_under_their_context() {
    let ((), log) = capture_valid(|| {
        let _agent = workflow_log::interaction("async_agent").start();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    tokio::spawn(
                        async move {
                            tokio::task::yield_now().await;
                            workflow_log::action("async_tool").input(&i).log();
                            tokio::task::yield_now().await;
                            workflow_log::event("async_event", json!({"i": i}));
                        }
                        .in_current_context(),
                    )
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
    let agent = &log["interactions"][0];
    let mut inputs: Vec<u64> = children(agent, "actions")
        .iter()
        .map(|a| a["input_data"].as_u64().unwrap())
        .collect();
    inputs.sort_unstable();
    assert_eq!(inputs, (0..8).collect::<Vec<_>>());
    assert_eq!(children(agent, "events").len(), 8);
}

#[test]
fn spawn_scoped_threads_borrow_and_nest_where_they_were_spawned() {
    let queries = vec![
        "flights".to_owned(),
        "hotels".to_owned(),
        "trains".to_owned(),
    ];
    let ((), log) = workflow_log_tests::capture_valid(|| {
        let _planner = workflow_log::interaction("planner").start();
        std::thread::scope(|s| {
            for q in &queries {
                workflow_log::spawn_scoped(s, move || {
                    workflow_log::action("search").input(q).log();
                });
            }
        });
    });
    let planner = &log["interactions"][0];
    let mut inputs: Vec<&str> = planner["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["input_data"].as_str().unwrap())
        .collect();
    inputs.sort_unstable();
    assert_eq!(inputs, ["flights", "hotels", "trains"]);
}

#[test]
fn context_guards_dropped_out_of_order_keep_the_inner_place() {
    let ((), log) = workflow_log_tests::capture_valid(|| {
        let a = {
            let _planner = workflow_log::interaction("planner").start();
            workflow_log::Context::current()
        };
        let b = {
            let _critic = workflow_log::interaction("critic").start();
            workflow_log::Context::current()
        };
        std::thread::spawn(move || {
            let outer = a.attach();
            let inner = b.attach();
            drop(outer); // out of order: the inner place stays
            workflow_log::action("still_under_critic").log();
            drop(inner);
            // Both left: this thread is outside any workflow again.
            workflow_log::action("nowhere").log();
        })
        .join()
        .unwrap();
    });
    let interactions = log["interactions"].as_array().unwrap();
    assert_eq!(interactions[1]["agent_name"], "critic");
    assert_eq!(
        interactions[1]["actions"][0]["action_name"],
        "still_under_critic"
    );
    assert!(log.get("actions").is_none(), "{log}");
}
