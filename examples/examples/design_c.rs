//! Design C, decorators and context managers.
//!
//! Part 1, guards in manual scopes: an iteration, interactions and actions open when started and
//! close when their guard drops. Part 2, the same run with the attributes `#[iteration]`,
//! `#[interaction(agent = ..)]` and `#[action]` on whole functions: a record opens when the
//! function is called and closes when it returns; the arguments are its input, the return
//! value its output, and an `Err` marks it `status: "error"`.
//!
//! Run it with `cargo run --example design_c`.

use serde_json::json;
use workflow_log::{action, interaction, iteration};

const QUESTIONS: [&str; 2] = ["What is Rust?", "What is a borrow checker?"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = workflow_log::init("guards_demo")?;

    with_guards();
    // Iterations 3 and 4: numbering goes on among the workflow's iterations.
    for question in QUESTIONS {
        ask(question);
    }

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

// ---------------------------------------------------------------------------------------------
// Part 1: guards in manual scopes
// ---------------------------------------------------------------------------------------------

fn with_guards() {
    for question in QUESTIONS {
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
}

// ---------------------------------------------------------------------------------------------
// Part 2: the same with attributes
// ---------------------------------------------------------------------------------------------

/// One iteration per call, numbered among its siblings.
#[iteration]
fn ask(question: &str) {
    planner(question);
}

/// The interaction's input is `{"question": ..}`, its output the returned answer.
#[interaction(agent = "planner")]
fn planner(question: &str) -> String {
    let results = web_search(question);
    let best = rank_results(&results);
    // The `Err` is recorded as `status: "error"` with its text; the agent carries on.
    let _page = fetch_page("https://example.invalid/");
    format!("answer drafted from {best:?}")
}

/// `input_data` is `{"query": ..}`. (Metadata such as the engine needs a guard or a builder.)
#[action]
fn web_search(query: &str) -> Vec<String> {
    vec![format!("{query} - Wikipedia"), "The Rust Book".to_owned()]
}

#[action]
fn rank_results(results: &[String]) -> String {
    results[0].clone()
}

#[action]
fn fetch_page(url: &str) -> Result<String, String> {
    Err(format!(
        "dns lookup failed: {}",
        url.trim_start_matches("https://").trim_end_matches('/')
    ))
}
