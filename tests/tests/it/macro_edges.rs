//! Edges of the attributes (issue 15): const-generic arrays, `_x` arguments, `#[track_caller]`,
//! error chains, futures and streams recognised by what they return.
//!
//! Also a lint test: the expansion must stay clean under `clippy::pedantic` too (CI runs
//! `cargo clippy --all-targets -D warnings` over this file).
#![deny(warnings, clippy::all, clippy::pedantic)]

use std::fmt;

use anyhow::Context as _;
use serde_json::json;
use workflow_log::{action, interaction, Workflow};
use workflow_log_tests::{capture_valid, file_run};

// --- arrays and `_x` arguments -----------------------------------------------------------------

#[action]
fn checksum<const N: usize>(bytes: [u8; N]) -> [u8; N] {
    bytes
}

#[action]
fn big_array(bytes: [u16; 40]) -> usize {
    bytes.len()
}

#[test]
fn const_generic_arrays_are_captured_as_json() {
    let ((), log) = capture_valid(|| {
        checksum([1, 2, 3]);
        big_array([7; 40]);
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["input_data"], json!({"bytes": [1, 2, 3]}));
    assert_eq!(actions[0]["output_data"], json!([1, 2, 3]));
    // Longer than the 32 items serde implements `Serialize` for.
    assert_eq!(actions[1]["input_data"]["bytes"], json!(vec![7; 40]));
}

#[interaction(agent = "critic")]
fn critique(_draft: &str, _round: u32) -> &'static str {
    "fine"
}

#[test]
fn underscore_arguments_are_captured_without_a_lint() {
    let (_, log) = capture_valid(|| critique("a draft", 2));
    assert_eq!(
        log["interactions"][0]["input"],
        json!({"_draft": "a draft", "_round": 2})
    );
}

// --- error chains --------------------------------------------------------------------------------

#[action]
fn read_config(path: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).context("the config file can't be read")?;
    Ok(text)
}

#[interaction(agent = "loader")]
fn load(path: &str) -> anyhow::Result<usize> {
    let text = read_config(path).with_context(|| format!("loading `{path}`"))?;
    Ok(text.len())
}

/// An error with a `source()`, the standard way.
#[derive(Debug)]
struct ToolFailed {
    tool: &'static str,
    cause: std::num::ParseIntError,
}

impl fmt::Display for ToolFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the tool `{}` failed", self.tool)
    }
}

impl std::error::Error for ToolFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

#[action]
fn parse_count(text: &str) -> Result<u32, ToolFailed> {
    text.parse().map_err(|cause| ToolFailed {
        tool: "counter",
        cause,
    })
}

#[action]
fn boxed(text: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(parse_count(text)?)
}

#[action]
async fn fetch(text: &str) -> Result<u32, ToolFailed> {
    parse_count(text)
}

const MISSING: &str = "/definitely/not/here.toml";

#[test]
fn anyhow_errors_keep_their_context_chain() {
    let (_, log) = capture_valid(|| load(MISSING));
    let loader = &log["interactions"][0];
    let top = format!("loading `{MISSING}`");
    let io = std::fs::read_to_string(MISSING).unwrap_err().to_string();
    assert_eq!(loader["status"], "error");
    assert_eq!(
        loader["error"],
        format!("{top}: the config file can't be read: {io}")
    );
    assert_eq!(
        loader["error_chain"],
        json!([top, "the config file can't be read", io])
    );
    let action = &loader["actions"][0];
    assert_eq!(
        action["error_chain"],
        json!(["the config file can't be read", io])
    );
}

#[test]
fn std_errors_keep_their_sources() {
    let ((), log) = capture_valid(|| {
        let _ = parse_count("seven");
        let _ = boxed("eight");
        let _ = parse_count("7");
        workflow_log::action("manual").start().error("no cause");
    });
    let actions = log["actions"].as_array().unwrap();
    let chain = json!(["the tool `counter` failed", "invalid digit found in string"]);
    assert_eq!(
        actions[0]["error"],
        "the tool `counter` failed: invalid digit found in string"
    );
    assert_eq!(actions[0]["error_chain"], chain);
    // Through `Box<dyn Error>`, which is not itself an `Error`.
    assert_eq!(actions[1]["error_chain"], chain);
    assert_eq!(actions[1]["actions"][0]["error_chain"], chain);
    // No error, or an error without causes: no chain.
    assert_eq!(actions[2]["status"], "ok");
    assert!(actions[2].get("error_chain").is_none());
    assert_eq!(actions[3]["error"], "no cause");
    assert!(actions[3].get("error_chain").is_none());
}

#[test]
fn chains_reach_the_journal_and_recover() {
    // `file_run` also checks that `recover` of the journal equals the nested file.
    let run = file_run(Workflow::builder("chains"), || {
        let _ = load(MISSING);
        let _ = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(fetch("nine"));
    });
    let lines: Vec<_> = run
        .lines
        .iter()
        .filter(|l| l.get("error_chain").is_some())
        .collect();
    // read_config, loader, and fetch with the parse_count inside it.
    assert_eq!(lines.len(), 4, "{:#?}", run.lines);
    let fetch = &run.doc["actions"][0];
    assert_eq!(fetch["action_name"], "fetch");
    assert_eq!(fetch["error_chain"][1], "invalid digit found in string");
}

// --- big arguments -------------------------------------------------------------------------------

/// A sequence of `len` zeros that counts how many of its items were serialised.
struct Counted {
    len: usize,
    visited: std::cell::Cell<usize>,
}

impl serde::Serialize for Counted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for _ in 0..self.len {
            self.visited.set(self.visited.get() + 1);
            seq.serialize_element(&0u8)?;
        }
        seq.end()
    }
}

#[action]
fn upload(data: &Counted, name: &str) -> usize {
    data.len + name.len()
}

#[test]
fn a_big_argument_is_serialised_only_up_to_the_limit() {
    let data = Counted {
        len: 50_000_000,
        visited: std::cell::Cell::new(0),
    };
    let (_, log) = capture_valid(|| upload(&data, "weights.bin"));
    let limit = workflow_log::DEFAULT_MAX_PAYLOAD_BYTES;
    let kept = workflow_log::DEFAULT_MAX_STRING_BYTES;
    // Its length says it can't fit in the limit: only what the cut keeps is serialised. Each
    // item takes two bytes (`0,`): the text passes `kept` bytes with item `kept / 2 + 1`, and
    // the next one is refused (it counted itself before asking).
    assert_eq!(data.visited.get(), kept / 2 + 2);
    let input = &log["actions"][0]["input_data"];
    assert_eq!(input["data"]["more_than_bytes"], limit);
    assert!(input["data"]["truncated"]
        .as_str()
        .unwrap()
        .starts_with("[0,0,0"));
    // The arguments after it are captured as usual.
    assert_eq!(input["name"], "weights.bin");
}

// --- #[track_caller] (more in track_caller.rs) ---------------------------------------------------

#[action]
#[track_caller]
fn caller_line() -> u32 {
    std::panic::Location::caller().line()
}

#[test]
fn a_one_line_track_caller_body_is_lint_clean_and_recorded() {
    let (line, log) = capture_valid(|| (line!(), caller_line()));
    assert_eq!(line.0, line.1);
    assert_eq!(log["actions"][0]["output_data"], line.0);
}

#[action]
#[track_caller]
fn parse_port(text: &str) -> anyhow::Result<u16> {
    // The operand's type is inferred from what the `?` gives.
    let n: u32 = text.parse()?;
    let port = u16::try_from(n).context("out of range")?;
    Ok(port)
}

#[interaction(agent = "reader")]
#[track_caller]
fn read_count(text: &str) -> Result<u8, std::num::ParseIntError> {
    // A `?` in the body's last expression.
    Ok(text.trim().parse::<u8>()? + 1)
}

#[action]
#[track_caller]
fn first_char(text: &str) -> Option<char> {
    // Not a `Result`: the `?` is left as it is.
    let c = text.chars().next()?;
    Some(c)
}

#[test]
fn a_track_caller_function_leaving_through_a_question_mark_records_the_error() {
    let ((), log) = capture_valid(|| {
        assert_eq!(parse_port("8080").unwrap(), 8080);
        assert!(parse_port("port").is_err());
        assert!(parse_port("70000").is_err());
        assert_eq!(read_count(" 4 ").unwrap(), 5);
        assert!(read_count("many").is_err());
        assert_eq!(first_char("ok"), Some('o'));
        assert_eq!(first_char(""), None);
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["status"], "ok");
    assert_eq!(actions[0]["output_data"], 8080);
    assert_eq!(actions[1]["status"], "error");
    assert_eq!(actions[1]["error"], "invalid digit found in string");
    assert_eq!(actions[2]["status"], "error");
    assert_eq!(
        actions[2]["error"],
        "out of range: out of range integral type conversion attempted"
    );
    assert_eq!(actions[2]["error_chain"][0], "out of range");
    let readers = log["interactions"].as_array().unwrap();
    assert_eq!(readers[0]["output"], 5);
    assert_eq!(readers[1]["status"], "error");
    assert_eq!(readers[1]["error"], "invalid digit found in string");
    assert_eq!(actions[3]["output_data"], "o");
    assert_eq!(actions[4]["status"], "ok");
}

// --- futures by what they return -----------------------------------------------------------------

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

#[action]
fn ready_answer(x: u32) -> impl std::future::Future<Output = u32> {
    std::future::ready(x * 2)
}

#[action]
fn boxed_alias(query: &str) -> BoxFuture<'_, usize> {
    Box::pin(async move {
        workflow_log::action("inner").log();
        query.len()
    })
}

#[interaction(agent = "delegate")]
fn delegate(query: &str) -> BoxFuture<'_, usize> {
    // Not an async block: another function's future.
    boxed_alias(query)
}

#[action]
fn cached_or_fetched(cached: bool) -> BoxFuture<'static, u32> {
    if cached {
        // An early `return` of the future is recorded like the body's last expression.
        return Box::pin(std::future::ready(1));
    }
    Box::pin(async { 2 })
}

#[test]
fn a_future_returned_early_is_recorded() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (sum, log) = capture_valid(|| {
        rt.block_on(async { cached_or_fetched(true).await + cached_or_fetched(false).await })
    });
    assert_eq!(sum, 3);
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["status"], "ok");
    assert_eq!(actions[0]["output_data"], 1);
    assert_eq!(actions[1]["output_data"], 2);
}

#[test]
fn futures_are_recorded_whatever_their_type_is_called() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ((a, b, c), log) = capture_valid(|| {
        rt.block_on(async {
            (
                ready_answer(21).await,
                boxed_alias("four").await,
                delegate("three").await,
            )
        })
    });
    assert_eq!((a, b, c), (42, 4, 5));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["output_data"], 42);
    assert_eq!(actions[1]["action_name"], "boxed_alias");
    assert_eq!(actions[1]["output_data"], 4);
    // The inner record nests under the future's record, not beside it.
    assert_eq!(actions[1]["actions"][0]["action_name"], "inner");
    let delegate = &log["interactions"][0];
    assert_eq!(delegate["output"], 5);
    assert_eq!(delegate["actions"][0]["action_name"], "boxed_alias");
    assert_eq!(delegate["actions"][0]["actions"][0]["action_name"], "inner");
}
