//! Logs from `tracing` and `log` in the run's record: a program whose HTTP client and LLM SDK
//! log through `tracing` (and an older crate through `log`) keeps printing them with `fmt`, and
//! the same lines and spans land in the workflow's JSON, inside the records where they happened,
//! also for `#[tracing::instrument]` async fns on a multi-threaded runtime.
//!
//! Run it with `cargo run --example tracing_bridge`.

use serde_json::Value;
use tracing_subscriber::prelude::*;
use workflow_log::{interaction, FutureExt};

/// Stands for an LLM SDK's call: a span with its fields, events inside it.
#[tracing::instrument(skip(prompt), fields(prompt_chars = prompt.len(), tokens = tracing::field::Empty))]
async fn chat_completion(model: &str, prompt: String) -> String {
    tracing::debug!(target: "llm_sdk::http", url = "https://api.example.com/v1/chat", "POST");
    tokio::task::yield_now().await;
    tracing::Span::current().record("tokens", 42_u64);
    tracing::info!(latency_ms = 180.5, cached = false, "completion received");
    format!("a plan for: {prompt}")
}

/// Stands for a crate that still logs through `log`.
fn legacy_search(query: &str) -> usize {
    log::info!(query = query, hits = 3; "search done");
    3
}

/// One agent's turn: our interaction around a third party's calls.
#[interaction(agent = "planner")]
async fn plan(goal: String) -> String {
    let answer = chat_completion("small-model", goal.clone()).await;
    legacy_search(&goal);
    answer
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The program's subscriber: fmt for the terminal, our layer for the record, leaving out an
    // HTTP stack's internals.
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_target(true))
        .with(
            workflow_log::tracing::layer()
                .skip_target("hyper")
                .skip_target("h2"),
        )
        .with(tracing_subscriber::filter::LevelFilter::DEBUG)
        .init();
    // `log` records too (one `log` logger per process: `install_with` keeps yours).
    workflow_log::log::install()?;

    let log = workflow_log::Workflow::builder("tracing_bridge")
        .filter("info,llm_sdk::http=debug")
        .init()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let _it = workflow_log::iteration().start();
        // Each task carries the place it was spawned from, as it would carry a tracing span.
        let tasks: Vec<_> = ["a trip", "a talk"]
            .into_iter()
            .map(|goal| tokio::spawn(plan(goal.to_owned()).in_current_context()))
            .collect();
        for task in tasks {
            task.await.expect("the task ran");
        }
    });
    tracing::debug!("printed by fmt; the workflow (at info) leaves it out");

    let path = log.finish()?;
    println!("wrote {}", path.display());
    let doc: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    for planner in doc["iterations"][0]["interactions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let call = &planner["actions"][0];
        println!(
            "{}: {} (tokens {}, {} log lines inside), then {} log line(s) from `log`",
            planner["agent_name"],
            call["action_name"],
            call["input_data"]["tokens"],
            call["events"].as_array().map_or(0, Vec::len),
            planner["events"].as_array().map_or(0, Vec::len),
        );
    }
    Ok(())
}
