//! A realistic agent loop, logged with workflow-log.
//!
//! A planner, an executor and a critic work on a coding task for up to three iterations. The
//! executor hands research to a sub-agent (a `researcher` interaction nested inside its own), and
//! prefetches documentation on a background thread. Every LLM call and tool call is an action
//! with its input and output; one tool fails. The LLM and the tools are simulated: the run is
//! deterministic and needs no network.
//!
//! The agents are ordinary Rust; attributes make their calls into records:
//!
//! - `#[iteration]` on the loop body (`AgentLoop::turn`): each call is an iteration, numbered
//!   1, 2, 3.
//! - `#[interaction(agent = "planner")]` on each agent's turn (the critic's name is an
//!   expression, `agent = self.name.clone()`): the arguments, except `self`, are the `input`,
//!   keyed by name, and the return value is the `output`. The researcher's interaction opens
//!   inside the executor's because it is called from there.
//! - `#[action(name = "llm_call")]` and `#[action]` on the LLM and tool calls; `skip(http)`
//!   leaves a client handle out of `input_data`. A tool that returns `Err(ToolError)` is recorded
//!   with `status: "error"` and the error's text.
//! - The LLM client returns a completion in OpenAI's shape (`model`, `usage.prompt_tokens`,
//!   `usage.completion_tokens`): each `llm_call` action gets its `model` and `usage` from it by
//!   itself, the workflow's prices give it a cost, and every interaction, iteration and the run
//!   carry `usage_total`.
//!
//! What the attributes don't do is written by hand: metadata on an action (a guard on the
//! background thread, a builder for the critic's checks), log lines from hierarchical loggers,
//! workflow events, and carrying the current place to other threads.
//!
//! Run it with `cargo run --example agent_loop`. It writes `logs/agent_loop_<time>_<run id>.json`
//! and its journal, `.jsonl` (or to `$WORKFLOW_LOG_DIR`), then reads the JSON back and prints a
//! summary per agent. Set `WORKFLOW_LOG=info,executor.tools=debug` to also keep the tools' debug
//! events.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::thread;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use workflow_log::{action, interaction, iteration, Context, Logger, Workflow};

const TASK: &str = "Add a --json flag to the CLI that prints results as JSON";
const MAX_ITERATIONS: u64 = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The process's global workflow (`workflow_log::init("agent_loop")` without the prices).
    // Everything below logs into it. Prices are dollars per million input and output tokens.
    let log = Workflow::builder("agent_loop")
        .price("sim-large", 3.0, 15.0)
        .price("sim-small", 0.25, 1.25)
        .init()?;
    workflow_log::event(
        "run_started",
        json!({"task": TASK, "max_iterations": MAX_ITERATIONS}),
    );

    let outcome = AgentLoop::new().run(TASK);
    workflow_log::event("run_finished", &outcome);

    // The journal (JSON Lines) has streamed beside the file all along: after a crash,
    // `workflow_log::recover(&journal)` rebuilds the nested JSON from it.
    let journal = log.journal_path();
    // Writes the nested JSON (through a temp file and a rename) and returns its path.
    let path = log.finish()?;
    println!("outcome: {outcome:?}");
    println!("wrote {}", path.display());
    if let Some(journal) = journal {
        println!("journal {}", journal.display());
    }
    summarize(&path)?;
    println!(
        "look at it: cargo run -p workflow-log-cli -- view {}",
        path.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Outcome {
    approved: bool,
    iterations: u64,
    score: f64,
}

struct AgentLoop {
    planner: Planner,
    executor: Executor,
    critic: Critic,
}

impl AgentLoop {
    fn new() -> Self {
        AgentLoop {
            planner: Planner {
                llm: Llm::new("sim-large"),
                log: workflow_log::logger("planner"),
            },
            executor: Executor {
                llm: Llm::new("sim-small"),
                tools: Tools::new(),
                researcher: Researcher {
                    llm: Llm::new("sim-small"),
                    http: HttpClient {
                        base_url: "https://docs.rs",
                    },
                    log: workflow_log::logger("executor.researcher"),
                },
                log: workflow_log::logger("executor"),
            },
            critic: Critic {
                name: "critic".to_owned(),
                llm: Llm::new("sim-large"),
                log: workflow_log::logger("critic"),
            },
        }
    }

    fn run(&self, task: &str) -> Outcome {
        let mut feedback: Option<String> = None;
        let mut outcome = Outcome {
            approved: false,
            iterations: 0,
            score: 0.0,
        };
        for n in 1..=MAX_ITERATIONS {
            outcome.iterations = n;
            let review = self.turn(task, feedback.as_deref());
            outcome.score = review.score;
            if review.approved {
                outcome.approved = true;
                break;
            }
            feedback = Some(review.feedback);
        }
        outcome
    }

    /// One turn of the loop: plan, execute, review. Each call is an iteration, numbered 1, 2, 3
    /// among its siblings (iterations record no input or output; the agents' interactions do).
    #[iteration]
    fn turn(&self, task: &str, feedback: Option<&str>) -> Review {
        let plan = self.planner.plan(task, feedback);
        let report = self.executor.execute(&plan);
        self.critic.review(&report)
    }
}

// ---------------------------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Plan {
    steps: Vec<String>,
}

struct Planner {
    llm: Llm,
    log: Logger,
}

impl Planner {
    /// Input `{"task": .., "feedback": ..}`, output the plan.
    #[interaction(agent = "planner")]
    fn plan(&self, task: &str, feedback: Option<&str>) -> Plan {
        self.log
            .info("Planning", json!({"revision": feedback.is_some()}));

        let prompt = match feedback {
            None => format!("Task: {task}\nWrite a step-by-step plan."),
            Some(feedback) => {
                format!("Task: {task}\nReviewer feedback: {feedback}\nRevise the plan.")
            }
        };
        let reply = self.llm.complete("planner", &prompt);
        let plan = Plan {
            steps: reply.text.lines().map(str::to_owned).collect(),
        };
        self.log
            .debug("Parsed plan", json!({"steps": plan.steps.len()}));
        plan
    }
}

#[derive(Debug, Default, Serialize)]
struct Report {
    notes: Vec<String>,
    files_changed: Vec<String>,
    tests_passed: bool,
    docs_updated: bool,
    docs_prefetched: usize,
}

struct Executor {
    llm: Llm,
    tools: Tools,
    researcher: Researcher,
    log: Logger,
}

impl Executor {
    /// Input `{"plan": ..}`, output the report. Runs the plan's steps, one tool call each.
    #[interaction(agent = "executor")]
    fn execute(&self, plan: &Plan) -> Report {
        let mut report = Report::default();

        // A background thread: `workflow_log::spawn` carries the current place (this
        // interaction) to it, so its action nests under the executor in the log. A closure
        // takes no attribute, and this action has metadata: a guard records it.
        let prefetch = workflow_log::spawn(|| {
            let mut action = workflow_log::action("prefetch_docs")
                .input(&json!({"crate": "clap"}))
                .metadata("source", &"docs.rs")
                .start();
            thread::sleep(Duration::from_millis(1));
            let pages = vec!["derive tutorial", "ArgAction::SetTrue"];
            action.output(&pages).metadata("cache_hit", &false);
            pages.len()
        });

        for step in &plan.steps {
            let (verb, arg) = step.split_once(": ").unwrap_or((step.as_str(), ""));
            match verb {
                // A sub-agent: its interaction opens inside this one.
                "research" => report.notes.push(self.researcher.research(arg)),
                "edit" | "docs" => {
                    let patch = self
                        .llm
                        .complete("executor", &format!("Write a patch: {arg}"));
                    let file = arg.split_whitespace().next().unwrap_or(arg);
                    if self.tools.apply_patch(file, &patch.text).is_ok() {
                        report.files_changed.push(file.to_owned());
                        report.docs_updated |= verb == "docs";
                    }
                }
                "test" => match self.tools.run_tests("cli") {
                    Ok(_) => report.tests_passed = true,
                    Err(e) => {
                        self.log
                            .warn("Tests failed", json!({"error": e.to_string()}));
                        report.notes.push(e.to_string());
                    }
                },
                other => self.log.error("Unknown step", json!({"step": other})),
            }
        }

        report.docs_prefetched = prefetch.join().unwrap_or(0);
        report
    }
}

/// The executor's sub-agent.
struct Researcher {
    llm: Llm,
    http: HttpClient,
    log: Logger,
}

impl Researcher {
    /// Input `{"question": ..}`, output the summary.
    #[interaction(agent = "researcher")]
    fn research(&self, question: &str) -> String {
        let hits = web_search(&self.http, question, 3).unwrap_or_default();
        self.log.info("Search done", json!({"hits": hits.len()}));
        let titles: Vec<&str> = hits.iter().map(|hit| hit.title.as_str()).collect();
        self.llm
            .complete(
                "researcher",
                &format!("Summarise for '{question}': {titles:?}"),
            )
            .text
    }
}

#[derive(Debug, Serialize)]
struct Review {
    approved: bool,
    score: f64,
    feedback: String,
}

struct Critic {
    name: String,
    llm: Llm,
    log: Logger,
}

impl Critic {
    /// Input `{"report": ..}`, output the review. The agent's name is an expression, evaluated
    /// only when the record is kept.
    #[interaction(agent = self.name.clone())]
    fn review(&self, report: &Report) -> Review {
        // Two static checks in parallel. `Context::current()` is where we are (this
        // interaction); a thread that attaches it logs there too.
        let here = Context::current();
        let checks: Vec<(&str, bool)> = thread::scope(|s| {
            let handles: Vec<_> = [("lint", "clippy"), ("format_check", "rustfmt")]
                .into_iter()
                .map(|(check, tool)| {
                    let here = here.clone();
                    thread::Builder::new()
                        .name(format!("critic-{check}"))
                        .spawn_scoped(s, move || {
                            let _attached = here.attach();
                            // The simulated linter fails while the tests do.
                            let ok = check != "lint" || report.tests_passed;
                            // An instant action, everything known up front: a builder, with
                            // metadata.
                            workflow_log::action(check)
                                .input(&report.files_changed)
                                .output(&json!({"ok": ok}))
                                .metadata("tool", &tool)
                                .log();
                            (check, ok)
                        })
                        .expect("spawn a check thread")
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });

        let prompt = format!(
            "Review this work. tests_passed: {}, docs_updated: {}, checks: {checks:?}",
            report.tests_passed, report.docs_updated
        );
        let reply = self.llm.complete("critic", &prompt);
        // "APPROVE 0.92 ship it" / "REJECT 0.2 the reason"
        let mut words = reply.text.splitn(3, ' ');
        let verdict = words.next().unwrap_or_default();
        let score = words.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let review = Review {
            approved: verdict == "APPROVE",
            score,
            feedback: words.next().unwrap_or_default().to_owned(),
        };
        if review.approved {
            self.log.info("Approved", json!({"score": review.score}));
        } else {
            self.log
                .warn("Changes requested", json!({"feedback": review.feedback}));
        }
        review
    }
}

// ---------------------------------------------------------------------------------------------
// Simulated LLM and tools: each call is an action with its input and output
// ---------------------------------------------------------------------------------------------

/// A completion as an LLM client returns it: the text, and what it cost.
#[derive(Debug, Serialize)]
struct Completion {
    text: String,
    model: &'static str,
    usage: Usage,
}

#[derive(Debug, Serialize)]
struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
}

struct Llm {
    model: &'static str,
}

impl Llm {
    fn new(model: &'static str) -> Self {
        Llm { model }
    }

    /// Input `{"role": .., "prompt": ..}`, output the completion with its model and usage.
    #[action(name = "llm_call")]
    fn complete(&self, role: &str, prompt: &str) -> Completion {
        thread::sleep(Duration::from_millis(2)); // "network latency"
        let text = scripted_reply(role, prompt);
        Completion {
            model: self.model,
            usage: Usage {
                prompt_tokens: tokens(prompt),
                completion_tokens: tokens(&text),
            },
            text,
        }
    }
}

/// A rough token count, as a real client would report.
fn tokens(text: &str) -> usize {
    text.split_whitespace().count() * 4 / 3 + 1
}

/// What the simulated model answers: enough to make the loop take three iterations.
fn scripted_reply(role: &str, prompt: &str) -> String {
    let reply = match role {
        "planner" if prompt.contains("tests fail") => {
            "edit: src/cli.rs parse --json as a bool flag\ntest"
        }
        "planner" if prompt.contains("README") => "docs: README.md document --json\ntest",
        "planner" => {
            "research: how to add a bool flag with clap derive\nedit: src/cli.rs add --json\ntest"
        }
        "researcher" => "Use #[arg(long)] on a bool field; clap sets it to true when present.",
        "executor" if prompt.contains("README") => "+ `--json`: print results as JSON.",
        "executor" => "--- a/src/cli.rs\n+++ b/src/cli.rs\n+    #[arg(long)]\n+    json: bool,",
        "critic" if prompt.contains("tests_passed: false") => {
            "REJECT 0.2 tests fail: --json is parsed as a string"
        }
        "critic" if prompt.contains("docs_updated: false") => {
            "REJECT 0.7 works, but document --json in the README"
        }
        "critic" => "APPROVE 0.92 ship it",
        _ => "I don't know.",
    };
    reply.to_owned()
}

/// A tool's failure. Its `Display` text is what the log records in `error`.
#[derive(Debug)]
struct ToolError(String);

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

/// A handle to the (simulated) HTTP client: nothing worth logging, hence `skip(http)`.
struct HttpClient {
    base_url: &'static str,
}

#[derive(Debug, Serialize)]
struct SearchHit {
    title: String,
    url: String,
}

/// The researcher's search tool. Input `{"query": .., "max_results": ..}`, output the hits.
#[action(skip(http))]
fn web_search(
    http: &HttpClient,
    query: &str,
    max_results: usize,
) -> Result<Vec<SearchHit>, ToolError> {
    if query.is_empty() {
        return Err(ToolError("empty query".to_owned()));
    }
    thread::sleep(Duration::from_millis(1));
    let hits = [
        ("clap derive tutorial", "clap"),
        ("ArgAction::SetTrue", "clap/latest/clap/enum.ArgAction.html"),
    ];
    Ok(hits
        .into_iter()
        .take(max_results)
        .map(|(title, page)| SearchHit {
            title: title.to_owned(),
            url: format!("{}/{page}", http.base_url),
        })
        .collect())
}

/// The executor's tools, over a tiny simulated repository: how many times `src/cli.rs` was
/// patched.
struct Tools {
    cli_patches: Cell<u32>,
    log: Logger,
}

impl Tools {
    fn new() -> Self {
        Tools {
            cli_patches: Cell::new(0),
            log: workflow_log::logger("executor.tools"),
        }
    }

    /// Input `{"file": .., "patch": ..}`.
    #[action]
    fn apply_patch(&self, file: &str, patch: &str) -> Result<Value, ToolError> {
        self.log
            .debug("Applying patch", json!({"lines": patch.lines().count()}));
        thread::sleep(Duration::from_millis(1));
        if file == "src/cli.rs" {
            self.cli_patches.set(self.cli_patches.get() + 1);
        }
        Ok(json!({"applied": true, "file": file}))
    }

    /// Input `{"filter": ..}`. The first patch parses --json wrongly: the tests fail until a
    /// second one fixes it, and the `Err` is recorded as `status: "error"` with its text.
    #[action]
    fn run_tests(&self, filter: &str) -> Result<Value, ToolError> {
        self.log.debug("Running tests", json!({"filter": filter}));
        thread::sleep(Duration::from_millis(1));
        if self.cli_patches.get() < 2 {
            return Err(ToolError(
                "1 of 12 tests failed: cli::json_flag (expected `{`, found `Usage:`)".to_owned(),
            ));
        }
        Ok(json!({"passed": 12, "failed": 0}))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the log back
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct AgentStats {
    interactions: u64,
    actions: u64,
    errors: u64,
    duration_us: u64,
    tokens: u64,
    cost_usd: f64,
}

/// Reads the nested JSON back and prints, per agent, what it did.
fn summarize(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let doc: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let mut stats = BTreeMap::new();
    let mut failures = Vec::new();
    walk(&doc, "(workflow)", &mut stats, &mut failures);

    let iterations = items(&doc, "iterations");
    let total_us: u64 = iterations
        .iter()
        .filter_map(|it| it["duration_us"].as_u64())
        .sum();
    println!(
        "workflow {} status {}: {} iterations, {:.1} ms in iterations, {} workflow events",
        doc["workflow"],
        doc["status"],
        iterations.len(),
        total_us as f64 / 1000.0,
        items(&doc, "events").len()
    );
    println!(
        "  {:<12} {:>12} {:>8} {:>7} {:>10} {:>8} {:>10}",
        "agent", "interactions", "actions", "errors", "time (ms)", "tokens", "cost ($)"
    );
    for (agent, s) in &stats {
        println!(
            "  {:<12} {:>12} {:>8} {:>7} {:>10.1} {:>8} {:>10.6}",
            agent,
            s.interactions,
            s.actions,
            s.errors,
            s.duration_us as f64 / 1000.0,
            s.tokens,
            s.cost_usd
        );
    }
    let total = &doc["usage_total"];
    println!(
        "  tokens: {} in, {} out; cost ${:.6}",
        total["input_tokens"].as_u64().unwrap_or(0),
        total["output_tokens"].as_u64().unwrap_or(0),
        total["cost_usd"].as_f64().unwrap_or(0.0)
    );
    for failure in failures {
        println!("  failed: {failure}");
    }
    Ok(())
}

/// Walks the tree: iterations contain interactions; interactions contain actions, events and
/// other interactions (sub-agents); actions may contain actions. `agent` owns what is below it
/// until an interaction of another agent opens.
fn walk(
    node: &Value,
    agent: &str,
    stats: &mut BTreeMap<String, AgentStats>,
    failures: &mut Vec<String>,
) {
    for it in items(node, "iterations") {
        walk(it, agent, stats, failures);
    }
    for inter in items(node, "interactions") {
        let name = inter["agent_name"].as_str().unwrap_or("?");
        let s = stats.entry(name.to_owned()).or_default();
        s.interactions += 1;
        s.duration_us += inter["duration_us"].as_u64().unwrap_or(0);
        if inter["status"] != "ok" {
            s.errors += 1;
            failures.push(format!("{name}: {}", inter["error"]));
        }
        walk(inter, name, stats, failures);
    }
    for action in items(node, "actions") {
        let s = stats.entry(agent.to_owned()).or_default();
        s.actions += 1;
        s.tokens += action["usage"]["total_tokens"].as_u64().unwrap_or(0);
        s.cost_usd += action["usage"]["cost_usd"].as_f64().unwrap_or(0.0);
        if action["status"] != "ok" {
            s.errors += 1;
            failures.push(format!(
                "{agent} / {}: {}",
                action["action_name"].as_str().unwrap_or("?"),
                action["error"].as_str().unwrap_or("?")
            ));
        }
        walk(action, agent, stats, failures);
    }
}

fn items<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node[key].as_array().map_or(&[], Vec::as_slice)
}
