//! Design C, guards in manual scopes: an iteration, interactions and actions open when started
//! and close when their guard drops. (Attribute macros `#[iteration]`, `#[interaction]` and
//! `#[action]` will do the same on whole functions.)
//!
//! Run it with `cargo run --example design_c`.

use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = workflow_log::init("guards_demo")?;

    for question in ["What is Rust?", "What is a borrow checker?"] {
        // Iterations are numbered 1, 2, ... among their siblings.
        let _it = workflow_log::iteration().start();

        // An interaction: the agent's input now, its output before the guard drops.
        let mut planner = workflow_log::interaction("planner")
            .input(&json!({"question": question}))
            .start();

        // A timed action: open it, do the work, set its output.
        let mut search = workflow_log::action("web_search")
            .input(&json!({"query": question}))
            .metadata("engine", &"duckduckgo")
            .start();
        let results = vec![
            format!("{question} - Wikipedia"),
            "The Rust Book".to_owned(),
        ];
        search.output(&results);
        drop(search); // closes the action now (so does `search.end()` or leaving the scope)

        // An instant action: everything known up front, logged in one call.
        workflow_log::action("rank_results")
            .input(&results)
            .output(&results[0])
            .metadata("model", &"reranker-small")
            .log();

        // A failed action: `.error(..)` marks it `status: "error"`.
        let mut fetch = workflow_log::action("fetch_page")
            .input(&json!({"url": "https://example.invalid/"}))
            .start();
        fetch.error("dns lookup failed: example.invalid");
        drop(fetch);

        planner.output(&format!("answer drafted from {:?}", results[0]));
    } // `planner`, then `_it`, close here

    let path = log.finish()?;
    println!("wrote {}", path.display());

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    for it in doc["iterations"].as_array().into_iter().flatten() {
        println!(
            "iteration {} ({} us)",
            it["iteration_number"], it["duration_us"]
        );
        for inter in it["interactions"].as_array().into_iter().flatten() {
            println!("  {} -> {}", inter["agent_name"], inter["output"]);
            for a in inter["actions"].as_array().into_iter().flatten() {
                println!(
                    "    {:<13} {:<6} {}",
                    a["action_name"].as_str().unwrap_or("?"),
                    a["status"].as_str().unwrap_or("?"),
                    a.get("error").unwrap_or(&a["output_data"])
                );
            }
        }
    }
    Ok(())
}
