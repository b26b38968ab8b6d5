//! Design B, hierarchical loggers: `logger("executor_agent")`, dotted children, levels that
//! inherit down the hierarchy, and `RUST_LOG`-style filter directives.
//!
//! Run it with `cargo run --example design_b`.

use serde_json::json;
use workflow_log::{Level, Workflow};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Default level `info`; `executor_agent.patch` and its descendants also keep `debug`.
    // Builder settings win over `$WORKFLOW_LOG`.
    let log = Workflow::builder("hierarchical_demo")
        .filter("info,executor_agent.patch=debug")
        .init()?;

    // Cheap, `Clone`; the same name is the same logger.
    let exec = workflow_log::logger("executor_agent");
    let patch = workflow_log::logger("executor_agent.patch");
    let planner = workflow_log::logger("planner");

    exec.info("Received input", json!({"input": "some data"}));
    exec.debug("dropped: executor_agent is at info", json!({}));
    patch.debug("Applying patch", json!({"details": "patch details..."}));
    patch.trace("dropped: the patch logger is at debug", json!({}));

    // `set_level` overrides what a logger inherits, for it and its children.
    planner.debug("dropped: planner inherits info", json!({}));
    planner.set_level(Level::Trace);
    workflow_log::logger("planner.search").trace("kept: inherited trace", json!({"q": "rust"}));
    planner.set_level(Level::Warn);
    planner.info("dropped: planner is now at warn", json!({}));
    planner.warn("Running out of budget", json!({"tokens_left": 120}));
    exec.error("Tool failed", json!({"tool": "shell", "exit_code": 2}));

    let path = log.finish()?;
    println!("wrote {}", path.display());

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    println!("{} log events kept (5 were filtered out):", events.len());
    for e in &events {
        println!(
            "  {:<5} {:<22} {:<24} {}",
            e["level"].as_str().unwrap_or("?"),
            e["logger"].as_str().unwrap_or("?"),
            e["message"].as_str().unwrap_or("?"),
            e["data"]
        );
    }
    Ok(())
}
