//! What the attributes capture: inputs by name (JSON, else Debug text, else type name), the
//! output, `Result`s and their aliases, panics, `skip` / `skip_all`, agent expressions,
//! secrets, `crate = path`, and where records nest.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};
use workflow_log::{action, interaction, iteration};
use workflow_log_tests::capture_valid;

#[derive(Serialize)]
struct Query {
    text: String,
    top_k: u8,
}

#[derive(Debug)]
struct DebugOnly {
    #[allow(dead_code)] // read through Debug
    id: u32,
}

struct Opaque;

#[action]
fn three_ways(q: Query, d: DebugOnly, o: Opaque) -> (u8, DebugOnly) {
    let _ = o;
    (q.top_k, d)
}

#[action]
fn returns_opaque() -> Opaque {
    Opaque
}

#[test]
fn values_are_json_else_debug_text_else_type_name() {
    let (_, log) = capture_valid(|| {
        three_ways(
            Query {
                text: "rust".into(),
                top_k: 3,
            },
            DebugOnly { id: 7 },
            Opaque,
        );
        returns_opaque();
    });
    let a = &log["actions"][0];
    assert_eq!(
        a["input_data"],
        json!({
            "q": {"text": "rust", "top_k": 3},
            "d": "DebugOnly { id: 7 }",
            "o": "it::macro_capture::Opaque",
        })
    );
    // A tuple is Serialize only if all its parts are: this one is Debug.
    assert_eq!(a["output_data"], "(3, DebugOnly { id: 7 })");
    assert_eq!(
        log["actions"][1]["output_data"],
        "it::macro_capture::Opaque"
    );
}

// --- Results ----------------------------------------------------------------------------------

#[derive(Debug)]
struct DisplayError;

impl fmt::Display for DisplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the display text")
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
enum DebugError {
    Timeout { after_ms: u32 },
}

type Fallible<T> = Result<T, DisplayError>;

#[action]
fn display_err(fail: bool) -> Result<Query, DisplayError> {
    if fail {
        Err(DisplayError)
    } else {
        Ok(Query {
            text: "ok".into(),
            top_k: 1,
        })
    }
}

#[action]
fn debug_err() -> Result<(), DebugError> {
    Err(DebugError::Timeout { after_ms: 30 })
}

#[action]
fn alias_err() -> Fallible<u8> {
    Err(DisplayError)
}

#[action]
fn io_err() -> std::io::Result<String> {
    std::fs::read_to_string("/definitely/not/a/file")
}

#[action]
fn option_none() -> Option<u8> {
    None
}

#[test]
fn results_record_the_ok_value_or_the_error() {
    let (_, log) = capture_valid(|| {
        let _ = display_err(false);
        let _ = display_err(true);
        let _ = debug_err();
        let _ = alias_err();
        let _ = io_err();
        let _ = option_none();
    });
    let a = log["actions"].as_array().unwrap();
    assert_eq!(a[0]["status"], "ok");
    assert_eq!(
        a[0]["output_data"],
        json!({"text": "ok", "top_k": 1}),
        "the Ok value, not {{\"Ok\": ...}}"
    );
    assert!(a[0].get("error").is_none());
    assert_eq!(a[1]["status"], "error");
    assert_eq!(a[1]["error"], "the display text");
    assert_eq!(a[1]["output_data"], Value::Null);
    assert_eq!(
        a[2]["error"], "Timeout { after_ms: 30 }",
        "Debug when not Display"
    );
    assert_eq!(a[3]["error"], "the display text", "a type alias");
    assert_eq!(a[4]["status"], "error", "io::Result");
    assert!(a[4]["error"].as_str().unwrap().contains("No such file"));
    assert_eq!(a[5]["status"], "ok", "None is not an error");
    assert_eq!(a[5]["output_data"], Value::Null);
}

// --- panics -----------------------------------------------------------------------------------

#[interaction(agent = "fragile")]
fn explode(depth: u32) -> u32 {
    if depth == 0 {
        panic!("boom");
    }
    explode(depth - 1)
}

#[test]
fn a_panic_marks_every_open_record_panicked_and_keeps_unwinding() {
    let (caught, log) = capture_valid(|| catch_unwind(AssertUnwindSafe(|| explode(1))).is_err());
    assert!(caught, "the panic reached the caller");
    let outer = &log["interactions"][0];
    assert_eq!(outer["status"], "panicked");
    assert_eq!(outer["interactions"][0]["status"], "panicked");
    assert_eq!(outer["interactions"][0]["input"], json!({"depth": 0}));
}

// --- skip -------------------------------------------------------------------------------------

#[interaction(agent = "planner", skip(cache, self_note))]
fn skips_some(task: &str, cache: &[u8], self_note: &str) -> usize {
    task.len() + cache.len() + self_note.len()
}

#[action(skip_all)]
fn skips_all(task: &str, n: u32) -> u32 {
    task.len() as u32 + n
}

struct Client {
    base: String,
}

impl Client {
    #[action(skip(self))]
    fn get(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

#[test]
fn skip_and_skip_all_leave_arguments_out() {
    let client = Client {
        base: "https://x".into(),
    };
    let (_, log) = capture_valid(|| {
        skips_some("t", &[1], "n");
        skips_all("t", 1);
        client.get("/a");
    });
    assert_eq!(log["interactions"][0]["input"], json!({"task": "t"}));
    assert_eq!(log["actions"][0]["input_data"], json!({}));
    assert_eq!(
        log["actions"][0]["output_data"], 2,
        "the output is still captured"
    );
    assert_eq!(log["actions"][1]["input_data"], json!({"path": "/a"}));
}

/// Arguments may be called anything, the expansion's own locals included.
#[action]
fn weigh(w: u32, wl_writer: &str, wl_span: u8, wl_ret: u8) -> u32 {
    w * 2 + wl_writer.len() as u32 + u32::from(wl_span) + u32::from(wl_ret)
}

#[interaction(agent = "writer")]
fn writer(w: String) {
    let _ = w;
}

#[test]
fn arguments_may_share_names_with_the_expansions_locals() {
    let (total, log) = capture_valid(|| {
        writer("draft".into());
        weigh(21, "ab", 1, 2)
    });
    assert_eq!(total, 47);
    assert_eq!(log["interactions"][0]["input"], json!({"w": "draft"}));
    assert_eq!(
        log["actions"][0]["input_data"],
        json!({"w": 21, "wl_writer": "ab", "wl_span": 1, "wl_ret": 2})
    );
    assert_eq!(log["actions"][0]["output_data"], 47);
}

#[action]
fn call_llm(prompt: &str, api_key: &str, openai_api_key: String, password: &Opaque) -> usize {
    let _ = password;
    prompt.len() + api_key.len() + openai_api_key.len()
}

#[test]
fn arguments_named_like_secrets_are_redacted() {
    let (_, log) = capture_valid(|| call_llm("hi", "sk-live-123", "sk-2".into(), &Opaque));
    let input = &log["actions"][0]["input_data"];
    assert_eq!(
        *input,
        json!({
            "prompt": "hi",
            "api_key": "[REDACTED]",
            "openai_api_key": "[REDACTED]",
            "password": "[REDACTED]",
        })
    );
    assert!(!log.to_string().contains("sk-live-123"));
}

// --- agent expressions ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Role {
    Critic,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("critic")
    }
}

struct Named {
    name: String,
    shared: Arc<str>,
    role: Role,
}

impl Named {
    fn name(&self) -> &str {
        &self.name
    }

    #[interaction(agent = self.name)]
    fn by_field(&self) {}

    #[interaction(agent = self.name())]
    fn by_method(&self) {}

    #[interaction(agent = self.shared.clone())]
    fn by_arc(&self) {}

    #[interaction(agent = self.role)]
    fn by_display(&self) {}

    #[interaction(agent = format!("{}-{}", self.name, n))]
    fn by_format(&self, n: u32) {}

    #[interaction(agent = self.name.clone() + "-" + suffix)]
    fn by_sum(&self, suffix: &str) {}
}

const PLANNER: &str = "planner_const";

#[interaction(agent = PLANNER)]
fn by_const() {}

#[interaction(agent = if urgent { "fast" } else { "slow" })]
fn by_argument(urgent: bool) {}

#[test]
fn agent_names_from_literals_fields_methods_and_expressions() {
    let named = Named {
        name: "ann".into(),
        shared: "shared".into(),
        role: Role::Critic,
    };
    let (_, log) = capture_valid(|| {
        named.by_field();
        named.by_method();
        named.by_arc();
        named.by_display();
        named.by_format(2);
        named.by_sum("x");
        by_const();
        by_argument(true);
    });
    let names: Vec<&str> = log["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["agent_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ann",
            "ann",
            "shared",
            "critic",
            "ann-2",
            "ann-x",
            "planner_const",
            "fast"
        ]
    );
}

// --- numbers, crate = path, nesting -----------------------------------------------------------

#[iteration(number = n)]
fn numbered_u8(n: u8) {}

#[iteration(number = n)]
fn numbered_i64(n: i64) {}

#[iteration(number = base + offset)]
fn numbered_usize(base: usize, offset: usize) {}

#[test]
fn iteration_numbers_of_any_integer_type() {
    let (_, log) = capture_valid(|| {
        numbered_u8(4);
        numbered_usize(10, 2);
        numbered_i64(-1); // doesn't fit a u64: numbered automatically
    });
    let numbers: Vec<u64> = log["iterations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["iteration_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [4, 12, 1]);
}

/// A crate that re-exports workflow-log under another name.
mod reexport {
    pub use workflow_log as logging;
}

#[reexport::logging::action(crate = crate::macro_capture::reexport::logging, name = "via_reexport")]
fn via_reexport(x: u8) -> u8 {
    x
}

#[test]
fn crate_path_for_reexports() {
    let (_, log) = capture_valid(|| via_reexport(1));
    assert_eq!(log["actions"][0]["action_name"], "via_reexport");
}

#[iteration]
fn turn(task: &str) -> usize {
    let plan = plan(task);
    plan.iter().map(|step| run_tool(step)).sum()
}

#[interaction(agent = "planner")]
fn plan(task: &str) -> Vec<String> {
    workflow_log::logger("planner").info("planning", json!({"task": task}));
    task.split(' ').map(str::to_owned).collect()
}

#[action]
fn run_tool(step: &str) -> usize {
    step.len()
}

#[test]
fn records_nest_under_the_innermost_open_record() {
    let (_, log) = capture_valid(|| {
        turn("a bb");
        turn("ccc");
    });
    let its = log["iterations"].as_array().unwrap();
    assert_eq!(its.len(), 2);
    assert_eq!(its[0]["iteration_number"], 1);
    let planner = &its[0]["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(planner["output"], json!(["a", "bb"]));
    assert_eq!(planner["events"][0]["message"], "planning");
    // The tools ran after the planner returned: they belong to the iteration.
    assert_eq!(its[0]["actions"][1]["input_data"], json!({"step": "bb"}));
    assert_eq!(its[1]["iteration_number"], 2);
}

#[test]
fn outside_any_workflow_the_function_just_runs() {
    assert_eq!(turn("a b"), 2);
}

/// A `!Send`, `!Sync` argument is fine: the capture only borrows it for the call.
#[action]
fn takes_rc(shared: Rc<Vec<u8>>) -> usize {
    shared.len()
}

#[test]
fn non_send_arguments() {
    let (n, log) = capture_valid(|| takes_rc(Rc::new(vec![1, 2])));
    assert_eq!(n, 2);
    // serde's `rc` feature is off: `Rc<T>` is not Serialize here, so this is its Debug text.
    assert_eq!(log["actions"][0]["input_data"], json!({"shared": "[1, 2]"}));
}

#[action]
fn r#match(r#type: &str, r#loop: u32) -> u32 {
    r#type.len() as u32 + r#loop
}

#[test]
fn raw_identifiers_are_named_without_their_prefix() {
    let (_, log) = capture_valid(|| r#match("ab", 1));
    let a = &log["actions"][0];
    assert_eq!(a["action_name"], "match");
    assert_eq!(a["input_data"], json!({"type": "ab", "loop": 1}));
}
