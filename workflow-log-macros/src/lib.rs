//! Implementation detail of `workflow-log`: the `#[iteration]`, `#[interaction]` and `#[action]`
//! attributes. Use them through the `workflow_log` crate, which re-exports them; this crate's
//! version is pinned by it and its API is not stable on its own.
//!
//! Layout: `args` parses the attribute's arguments, `item` gives a typed view of the annotated
//! function, `ret` classifies its return type, `valid` checks what needs both, `expand`
//! generates the instrumented function (`caller`: the body of a `#[track_caller]` function),
//! and `fallback` is what is emitted on error (the function unchanged, plus the errors).

mod args;
mod caller;
mod expand;
mod fallback;
mod item;
mod ret;
mod valid;

use proc_macro::TokenStream;

use crate::args::Kind;

/// Records each call of the function as an **iteration**: one turn of the workflow's loop.
///
/// ```text
/// #[iteration]                  // numbered 1, 2, 3 ... among its siblings
/// #[iteration(number = expr)]   // an explicit number: any expression of an integer type
///                               // (a negative literal is a compile error; a negative value
///                               // at run time is numbered automatically)
/// #[iteration(crate = path)]    // where `workflow_log` is, for crates that re-export it
/// ```
///
/// Iterations have no input or output: arguments and return value are not captured. A return
/// value that is a `Result::Err` marks the iteration `status: "error"` with the error's
/// `Display` text; a panic inside marks it `"panicked"` and keeps unwinding. Works on `fn`,
/// `async fn`, methods, generic functions and trait impls, like [`macro@action`].
///
/// **A renamed crate.** The generated code names the runtime as `::workflow_log`. If your
/// `Cargo.toml` renames it (`wl = { package = "workflow-log", .. }`) or you reach it through
/// a re-export, the expansion fails with "could not find `workflow_log`": say where it is with
/// `crate = path` (`#[iteration(crate = wl)]`, `#[iteration(crate = my_crate::logging)]`).
///
/// # Examples
///
/// ```
/// use workflow_log::{interaction, iteration};
///
/// #[iteration]
/// fn turn(task: &str) -> Result<usize, String> {
///     let plan = plan(task);
///     if plan.is_empty() {
///         return Err("nothing to do".to_owned());
///     }
///     Ok(plan.len())
/// }
///
/// #[interaction(agent = "planner")]
/// fn plan(task: &str) -> Vec<String> {
///     task.split_whitespace().map(str::to_owned).collect()
/// }
///
/// #[iteration(number = round * 10)]
/// fn checkpoint(round: u32) {}
///
/// let ((), log) = workflow_log::capture(|| {
///     turn("book flights").unwrap();
///     turn("").unwrap_err();
///     checkpoint(7);
/// });
/// let iterations = log["iterations"].as_array().unwrap();
/// assert_eq!(iterations[0]["iteration_number"], 1);
/// assert_eq!(iterations[0]["interactions"][0]["output"][1], "flights");
/// assert_eq!(iterations[1]["iteration_number"], 2);
/// assert_eq!(iterations[1]["status"], "error");
/// assert_eq!(iterations[1]["error"], "nothing to do");
/// assert_eq!(iterations[2]["iteration_number"], 70);
/// ```
#[proc_macro_attribute]
pub fn iteration(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Iteration, args, item)
}

/// Records each call of the function as an **interaction**: an agent takes an input and gives
/// a response.
///
/// ```text
/// #[interaction(agent = "planner")]          // a string literal: no allocation per call
/// #[interaction(agent = self.name.clone())]  // or any expression: a string (&str, String,
///                                            // Cow, Arc<str> ...) or anything Display
/// #[interaction(agent = "planner", skip(api_key, cache))]  // arguments left out of `input`
/// #[interaction(agent = "planner", skip_all)]              // `input` is `{}`
/// #[interaction(agent = "planner", crate = path)]          // where `workflow_log` is
/// ```
///
/// `agent` is required; the expression is evaluated only when the record is kept.
///
/// **Input.** Every argument except `self` goes into the record's `input`, an object keyed by
/// argument name; a pattern argument such as `(a, b): (u32, u32)` contributes each name it
/// binds. **Output.** The return value. Each value is captured as JSON where its type
/// implements `serde::Serialize`, else as its `Debug` text, else as its type name — chosen at
/// compile time, without adding any bound to your function (in a generic function, the bounds
/// in scope decide). An argument named like a secret (`api_key`, `password`, `token` ..., the
/// workflow's redaction list) is recorded as `"[REDACTED]"` without being formatted at all.
///
/// **Results.** A return type that is a `Result` (aliases such as `anyhow::Result<T>` or
/// `io::Result<T>` too) is unwrapped: `Ok(v)` records `v` as the output, `Err(e)` records no
/// output, `status: "error"` and `e`'s `Display` text (else its `Debug` text) in `error`.
/// When `e` has causes (a `std::error::Error` whose `source()` is set, or what dereferences
/// to one: `anyhow::Error` with `.context(..)`, `Box<dyn Error>`), `error` is every message
/// of the chain joined by `": "` (anyhow's `{:#}`) and `error_chain` lists them, outermost
/// first. A panic inside marks the record `"panicked"` and keeps unwinding.
///
/// **async.** On an `async fn` the record spans the whole future, from its first poll until it
/// completes; the record is "current" only while the future is being polled, so concurrent
/// tasks each log into their own record, and the future stays `Send` when the body's is. The
/// record opens at the first poll, so a future dropped after it but before it completes is
/// recorded `"cancelled"`, and one dropped before it was ever polled leaves no record. A plain
/// `fn` that returns `impl Future`, `Pin<Box<dyn Future>>`, `BoxFuture` or `LocalBoxFuture`
/// (recognised by these names) has that future recorded, from the call on: when its body
/// ends in `async { }` or `Box::pin(async { })`, the statements before the block run outside
/// the record; any other body (`std::future::ready(x)`, another function's future) runs inside
/// it. A future type behind another alias is recorded as a plain value.
///
/// **Streams.** A plain `fn` that returns `impl Stream` (or `impl FusedStream`),
/// `Pin<Box<dyn Stream>>`, `BoxStream` or `LocalBoxStream` (recognised by these names) has
/// that stream recorded across its life: the record opens at the call (the body runs inside
/// it), is the current record while the stream is polled (what polling logs nests under it),
/// and closes when the stream ends (`ok`) or is dropped before its end (`"cancelled"`). The
/// output is the JSON array of the items the stream gave (of a `Result` item, its `Ok` value;
/// an `Err` item is the record's error). Once the array passes the payload limit, items are
/// no longer serialised and it is cut as any value over the limit is.
///
/// The function keeps its signature and what compiles: arguments are captured by reference,
/// `return` and `?` work, `&mut` arguments stay usable, `#![inner]` attributes stay.
///
/// **`#[track_caller]`** keeps working on a synchronous function: `Location::caller()` and a
/// panic inside report the caller's line. Its body then stays in the function instead of a
/// closure, and its exits are rewritten to record the outcome: a `return`, the body's last
/// expression and, when the return type is named `Result` (`io::Result`, `anyhow::Result`
/// ...), each `?` (its error converted as `?` converts it) are recorded as usual. A `?` in a
/// function returning anything else (an `Option`, a `Result` under another alias name) and a
/// `return` inside a macro (`anyhow::bail!`) close the record without an output or error.
///
/// **A renamed crate.** The generated code names the runtime as `::workflow_log`. If your
/// `Cargo.toml` renames it (`wl = { package = "workflow-log", .. }`) or you reach it through
/// a re-export, the expansion fails with "could not find `workflow_log`": say where it is with
/// `crate = path` (`#[interaction(agent = "planner", crate = wl)]`,
/// `#[interaction(agent = "planner", crate = my_crate::logging)]`).
///
/// # Examples
///
/// ```
/// use serde::Serialize;
/// use workflow_log::interaction;
///
/// #[derive(Serialize)]
/// struct Task {
///     goal: String,
/// }
///
/// struct Agent {
///     name: String,
/// }
///
/// impl Agent {
///     #[interaction(agent = self.name.as_str(), skip(api_key))]
///     fn respond(&self, task: &Task, api_key: &str, attempt: u32) -> Result<String, String> {
///         if attempt == 0 {
///             return Err("rate limited".to_owned());
///         }
///         Ok(format!("plan for {}", task.goal))
///     }
/// }
///
/// let agent = Agent { name: "planner".to_owned() };
/// let task = Task { goal: "a trip".to_owned() };
/// let ((), log) = workflow_log::capture(|| {
///     let _ = agent.respond(&task, "sk-123", 0);
///     let _ = agent.respond(&task, "sk-123", 1);
/// });
/// let first = &log["interactions"][0];
/// assert_eq!(first["agent_name"], "planner");
/// assert_eq!(first["input"], serde_json::json!({"task": {"goal": "a trip"}, "attempt": 0}));
/// assert_eq!(first["status"], "error");
/// assert_eq!(first["error"], "rate limited");
/// assert_eq!(log["interactions"][1]["output"], "plan for a trip");
/// ```
///
/// An `async fn`, recorded across its `.await`s (any executor will do; this one polls once):
///
/// ```
/// use std::future::Future;
/// use workflow_log::{action, interaction};
///
/// #[interaction(agent = "researcher")]
/// async fn research(topic: &str) -> usize {
///     search(topic).await.len()
/// }
///
/// #[action(name = "web_search")]
/// async fn search(query: &str) -> Vec<String> {
///     vec![format!("{query} on wikipedia")]
/// }
///
/// let (hits, log) = workflow_log::capture(|| {
///     let mut task = std::pin::pin!(research("rust"));
///     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
///     task.as_mut().poll(&mut cx)
/// });
/// assert_eq!(hits, std::task::Poll::Ready(1));
/// let research = &log["interactions"][0];
/// assert_eq!(research["output"], 1);
/// assert_eq!(research["actions"][0]["action_name"], "web_search");
/// assert_eq!(research["actions"][0]["input_data"]["query"], "rust");
/// ```
#[proc_macro_attribute]
pub fn interaction(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Interaction, args, item)
}

/// Records each call of the function as an **action**: an LLM call, a tool call, a retrieval.
///
/// ```text
/// #[action]                          // action_name: the function's name
/// #[action(name = "web_search")]     // or this name
/// #[action(skip(api_key))]           // arguments left out of `input_data`
/// #[action(skip_all)]                // `input_data` is `{}`
/// #[action(crate = path)]            // where `workflow_log` is
/// ```
///
/// One record per function: a second `#[action]` (or `#[interaction]`, `#[iteration]`) on the
/// same function is a compile error, as it would record each call twice, nested in itself.
///
/// Arguments (except `self`) are captured as `input_data`, the return value as `output_data`,
/// exactly as [`macro@interaction`] captures them: JSON where the type implements
/// `Serialize`, else `Debug` text, else the type name; a `Result` records its `Ok` value, or
/// its `Err` as `status: "error"`; a panic records `"panicked"`; an `async fn` is recorded
/// from its first poll across its `.await`s, and `"cancelled"` when dropped unfinished after
/// that first poll (never polled, it leaves no record); a returned stream is recorded from
/// the call until it ends, with its items as `output_data`.
///
/// **A renamed crate.** The generated code names the runtime as `::workflow_log`. If your
/// `Cargo.toml` renames it (`wl = { package = "workflow-log", .. }`) or you reach it through
/// a re-export, the expansion fails with "could not find `workflow_log`": say where it is with
/// `crate = path` (`#[action(crate = wl)]`, `#[action(crate = my_crate::logging)]`).
///
/// # Examples
///
/// ```
/// use workflow_log::action;
///
/// #[derive(Debug)]
/// struct Embedding(Vec<f32>); // Debug but not Serialize: captured as its Debug text
///
/// #[action(name = "embed")]
/// fn embed(text: &str) -> Embedding {
///     Embedding(vec![text.len() as f32])
/// }
///
/// #[action(skip_all)]
/// fn read_file(path: &str) -> std::io::Result<String> {
///     std::fs::read_to_string(path)
/// }
///
/// #[action]
/// fn tally((hits, misses): (u32, u32), seen: &mut Vec<u32>) -> u32 {
///     seen.push(hits);
///     hits + misses
/// }
///
/// let mut seen = Vec::new();
/// let ((), log) = workflow_log::capture(|| {
///     embed("hello");
///     let _ = read_file("/definitely/not/here");
///     tally((3, 1), &mut seen);
/// });
/// seen.push(0); // still usable: the macro only borrowed it for the call
///
/// let actions = log["actions"].as_array().unwrap();
/// assert_eq!(actions[0]["action_name"], "embed");
/// assert_eq!(actions[0]["output_data"], "Embedding([5.0])");
/// assert_eq!(actions[1]["action_name"], "read_file");
/// assert_eq!(actions[1]["input_data"], serde_json::json!({}));
/// assert_eq!(actions[1]["status"], "error");
/// assert_eq!(actions[2]["input_data"], serde_json::json!({"hits": 3, "misses": 1, "seen": []}));
/// assert_eq!(actions[2]["output_data"], 4);
/// ```
///
/// Through a re-export (or a dependency renamed in `Cargo.toml`), with `crate = path`:
///
/// ```
/// mod agents {
///     pub use workflow_log as logging;
/// }
///
/// #[agents::logging::action(crate = agents::logging)]
/// fn lookup(key: u32) -> u32 {
///     key * 2
/// }
///
/// let (_, log) = workflow_log::capture(|| lookup(21));
/// assert_eq!(log["actions"][0]["output_data"], 42);
/// ```
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(Kind::Action, args, item)
}

fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    expand::attribute(kind, args.into(), item.clone())
        .unwrap_or_else(|error| fallback::expand(item, error))
        .into()
}
