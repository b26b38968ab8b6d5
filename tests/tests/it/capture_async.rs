//! `capture_async`: an async test's workflow, on current-thread and multi-thread runtimes, with
//! the tasks it spawns in its context.

use std::time::Duration;

use serde_json::Value;
use workflow_log::{action, interaction, FutureExt, Workflow};
use workflow_log_tests::{children, labels, validate};

#[action]
async fn search(query: String) -> usize {
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    query.len()
}

#[interaction(agent = "planner")]
async fn plan(goal: &str) -> usize {
    let mut tasks = Vec::new();
    for topic in ["flights", "hotels", "trains"] {
        let query = format!("{topic} for {goal}");
        tasks.push(tokio::spawn(search(query).in_current_context()));
    }
    let mut total = search(goal.to_owned()).await;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}

async fn run() -> (usize, Value) {
    let (total, log) = workflow_log::capture_async(async {
        let _turn = workflow_log::iteration().start();
        workflow_log::event("started", "trip");
        plan("a trip").await
    })
    .await;
    validate(&log);
    (total, log)
}

fn check(total: usize, log: &Value) {
    assert_eq!(total, 6 + 18 + 17 + 17);
    let turn = &log["iterations"][0];
    assert_eq!(labels(turn, "events"), ["started"]);
    let planner = &turn["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(planner["output"], 58);
    let mut queries: Vec<&str> = children(planner, "actions")
        .iter()
        .map(|a| a["input_data"]["query"].as_str().unwrap())
        .collect();
    queries.sort_unstable();
    assert_eq!(
        queries,
        [
            "a trip",
            "flights for a trip",
            "hotels for a trip",
            "trains for a trip"
        ]
    );
    assert!(children(log, "actions").is_empty(), "{log:#}");
}

#[tokio::test]
async fn on_a_current_thread_runtime() {
    let (total, log) = run().await;
    check(total, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime() {
    let (total, log) = run().await;
    check(total, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capture_itself_may_move_between_threads() {
    // The whole capture runs as a spawned task: its polls may happen on either worker.
    let handle = tokio::spawn(async {
        let (total, log) = workflow_log::capture_async(async {
            let mut total = 0;
            for round in 0..20 {
                total += search(format!("round {round}")).await;
            }
            total
        })
        .await;
        validate(&log);
        (total, log)
    });
    let (total, log) = handle.await.unwrap();
    assert_eq!(total, 10 * 7 + 10 * 8);
    assert_eq!(children(&log, "actions").len(), 20);
}

#[tokio::test]
async fn nothing_leaks_out_of_the_capture() {
    let (_, log) = workflow_log::capture_async(async { search("inside".to_owned()).await }).await;
    // Outside the capture nothing is recorded: this action goes nowhere.
    search("outside".to_owned()).await;
    assert_eq!(labels(&log, "actions"), ["search"]);
}

#[tokio::test]
async fn the_builder_configures_it() {
    let (_, log) = Workflow::builder("configured")
        .max_string_bytes(4)
        .capture_async(search("a long query".to_owned()))
        .await;
    validate(&log);
    assert_eq!(log["workflow"], "configured");
    let query = log["actions"][0]["input_data"]["query"].as_str().unwrap();
    assert!(query.starts_with("a lo"), "{query}");
    assert!(query.contains("truncated"), "{query}");
}
