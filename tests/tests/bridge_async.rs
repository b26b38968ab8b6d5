//! The `tracing` bridge on a multi-threaded tokio runtime: 64 `#[tracing::instrument]` async
//! tasks at once, each polled by whichever worker is free, each keeping its own records: its
//! span is an action, and the events, spans and our own records made between its awaits land in
//! it, not in a neighbour's.
//!
//! An `#[instrument]` async fn makes its span when it is first polled, on the worker: a spawned
//! task carries its place there as it would carry `tracing`'s, with `.in_current_context()` or
//! `.in_current_span()` (the span then is the task's place). The subscriber is the process's
//! global one (set once in this test binary), as in a program: tokio's workers have no
//! subscriber of their own.

use std::sync::Once;

use serde_json::Value;
use tracing::Instrument;
use tracing_subscriber::prelude::*;
use workflow_log::{FutureExt, Workflow};
use workflow_log_tests::{children, file_run, labels};

use workflow_log_third_party as third_party;

const TASKS: u64 = 64;

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::registry()
            .with(workflow_log::tracing::layer())
            .init();
    });
}

/// One agent's task: a span of its own, our action and a third party's instrumented call
/// between awaits.
#[tracing::instrument(fields(task = task))]
async fn agent(task: u64) -> usize {
    tracing::info!(task, "started");
    third_party::yield_now().await;
    workflow_log::action("think").input(&task).log();
    let found = third_party::search(task, format!("query {task}")).await;
    tokio::task::yield_now().await;
    tracing::info!(task, "done");
    found.len()
}

#[test]
fn instrumented_tasks_on_a_multi_threaded_runtime_keep_their_own_records() {
    install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let run = file_run(
        Workflow::builder("tasks").level(workflow_log::Level::Debug),
        || {
            let _it = workflow_log::iteration().start();
            runtime.block_on(async {
                // Half carry our place, half a span's.
                let mut handles: Vec<_> = (0..TASKS / 2)
                    .map(|task| tokio::spawn(agent(task).in_current_context()))
                    .collect();
                tracing::info_span!("fan_out").in_scope(|| {
                    handles.extend(
                        (TASKS / 2..TASKS).map(|task| tokio::spawn(agent(task).in_current_span())),
                    )
                });
                for handle in handles {
                    assert_eq!(handle.await.unwrap(), 1);
                }
            });
        },
    );
    let doc = &run.doc;
    let iteration = &doc["iterations"][0];
    let (fan_out, mut agents): (Vec<&Value>, Vec<&Value>) = children(iteration, "actions")
        .iter()
        .partition(|a| a["action_name"] == "fan_out");
    assert_eq!(fan_out.len(), 1, "the fan-out span");
    let fan_out = fan_out[0];
    assert_eq!(agents.len() as u64, TASKS / 2, "one action per task");
    agents.extend(children(fan_out, "actions"));
    assert_eq!(agents.len() as u64, TASKS, "one action per task");
    let mut seen = Vec::new();
    for agent in agents {
        assert_eq!(agent["action_name"], "agent");
        assert_eq!(agent["status"], "ok");
        let task = agent["input_data"]["task"].as_u64().unwrap();
        seen.push(task);
        assert_eq!(labels(agent, "events"), ["started", "done"]);
        for line in children(agent, "events") {
            assert_eq!(line["data"]["task"], task);
        }
        assert_eq!(labels(agent, "actions"), ["think", "search"]);
        let think = &children(agent, "actions")[0];
        assert_eq!(think["input_data"], task);
        let search = &children(agent, "actions")[1];
        assert_eq!(search["input_data"]["task"], task);
        assert_eq!(search["input_data"]["attempts"], 2);
        assert_eq!(
            labels(search, "events"),
            ["searching", "first page", "second page"]
        );
        for line in children(search, "events") {
            assert_eq!(line["data"]["task"], task, "{search:#}");
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..TASKS).collect::<Vec<_>>());
    // Nothing strayed to the iteration or the workflow.
    assert!(children(iteration, "events").is_empty());
    assert!(children(doc, "events").is_empty());
    assert!(children(doc, "actions").is_empty());
}

#[test]
fn a_task_spawned_with_a_span_carries_the_workflow_to_the_worker() {
    install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let run = file_run(Workflow::builder("spawned"), || {
        let _planner = workflow_log::interaction("planner").start();
        let span = tracing::info_span!("background");
        let handle = runtime.spawn(
            async {
                third_party::yield_now().await;
                tracing::info!("from a worker");
                third_party::fetch("u")
            }
            .instrument(span),
        );
        assert_eq!(runtime.block_on(handle).unwrap(), 512);
    });
    let planner = &run.doc["interactions"][0];
    let background = &children(planner, "actions")[0];
    assert_eq!(background["action_name"], "background");
    assert_eq!(labels(background, "events"), ["from a worker"]);
    assert_eq!(labels(background, "actions"), ["fetch"]);
}
