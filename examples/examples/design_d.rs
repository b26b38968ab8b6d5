//! Design D, structured and simple: `log_simple(agent, message, metadata)` opens an iteration and
//! an interaction for the agent by itself when none is open, and records a `simple_log` action.
//!
//! Run it with `cargo run --example design_d`.

use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = workflow_log::init("simple_demo")?;

    // Nothing is open: this opens iteration 1 and an `executor_agent` interaction, and leaves
    // them open for the calls that follow.
    workflow_log::log_simple(
        "executor_agent",
        "Hello world",
        json!({"some_key": "value"}),
    );
    workflow_log::log_simple("executor_agent", "Patch applied", json!({"files": 2}));
    // Another agent: its own interaction replaces the executor's.
    workflow_log::log_simple("critic", "Looks good", json!({"score": 0.9}));

    // The structured API mixes freely: an explicit iteration closes the implicit records first,
    // and inside it `log_simple` just attaches to what is open.
    {
        let _it = workflow_log::iteration().start();
        let _inter = workflow_log::interaction("executor_agent").start();
        workflow_log::log_simple(
            "executor_agent",
            "Inside an explicit interaction",
            json!({}),
        );
    }

    let path = log.finish()?;
    println!("wrote {}", path.display());

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    for it in doc["iterations"].as_array().into_iter().flatten() {
        println!("iteration {}", it["iteration_number"]);
        for inter in it["interactions"].as_array().into_iter().flatten() {
            println!("  interaction {}", inter["agent_name"]);
            for a in inter["actions"].as_array().into_iter().flatten() {
                println!(
                    "    {} {} metadata={}",
                    a["action_name"], a["input_data"]["message"], a["metadata"]
                );
            }
        }
    }
    Ok(())
}
