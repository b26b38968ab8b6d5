//! Design A, "just works": one line of set-up, then `event(..)` from anywhere.
//!
//! Run it with `cargo run --example design_a`. The nested JSON goes to `logs/` (or
//! `$WORKFLOW_LOG_DIR`).

use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One line of set-up: the process's global workflow. Keep the guard alive for the whole run;
    // `finish()` (or dropping it) writes the file.
    let log = workflow_log::init("my_workflow")?;

    // Events attach to the innermost open record; with nothing open, to the workflow itself.
    workflow_log::event(
        "interaction",
        json!({"agent": "my_agent", "input": "Test Input"}),
    );
    do_some_work();
    workflow_log::event("finished", json!({"steps": 3}));

    let path = log.finish()?;
    println!("wrote {}", path.display());

    // Show what was written: the workflow's own fields and its events.
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    println!(
        "workflow {} (run {}), status {}",
        doc["workflow"], doc["run_id"], doc["status"]
    );
    for event in doc["events"].as_array().into_iter().flatten() {
        println!("  event {:<12} {}", event["event_type"], event["data"]);
    }
    Ok(())
}

/// Code deep in the program logs without being handed a logger.
fn do_some_work() {
    for step in 1..=2 {
        workflow_log::event("step", json!({"step": step, "ok": true}));
    }
}
