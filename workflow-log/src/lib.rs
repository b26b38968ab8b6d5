//! Structured, nested logs of what agentic (LLM agent) programs do.
//!
//! A workflow runs **iterations**; in each, agents have **interactions** (an input, a response);
//! inside them they take **actions** (LLM calls, tool calls) and emit **events**. Open records
//! by annotating your functions with [`#[iteration]`](macro@iteration),
//! [`#[interaction(agent = ...)]`](macro@interaction) and [`#[action]`](macro@action), or with
//! guards in manual scopes; the run comes out as one nested JSON file.
//!
//! ```
//! use serde_json::json;
//!
//! # let dir = tempfile::tempdir()?;
//! # std::env::set_var("WORKFLOW_LOG_DIR", dir.path());
//! let log = workflow_log::init("trip_planner")?;          // one line of set-up
//!
//! for _ in 0..2 {
//!     let _it = workflow_log::iteration().start();         // guards in scopes
//!     let mut planner = workflow_log::interaction("planner").input(&"plan a trip").start();
//!     workflow_log::action("web_search").input(&json!({"query": "flights"})).log();
//!     workflow_log::logger("planner").info("found flights", json!({"count": 3})); // loggers
//!     planner.output(&"book the 9:40");
//! }
//! workflow_log::log_simple("critic", "looks good", json!({"score": 0.9})); // one call
//!
//! let path = log.finish()?;
//! let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
//! assert_eq!(json["iterations"][1]["interactions"][0]["agent_name"], "planner");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same run with annotated functions: arguments become the record's input, the return value
//! its output (an `Err` marks it failed), and `async fn`s are recorded across their `.await`s.
//!
//! ```
//! use workflow_log::{action, interaction, iteration};
//!
//! #[iteration]
//! fn turn(goal: &str) -> Result<(), String> {
//!     let answer = planner(goal)?;
//!     assert_eq!(answer, "book the 9:40");
//!     Ok(())
//! }
//!
//! #[interaction(agent = "planner")]
//! fn planner(goal: &str) -> Result<String, String> {
//!     let flights = web_search(&format!("flights for {goal}"));
//!     flights.into_iter().next().ok_or_else(|| "no flights".to_owned())
//! }
//!
//! #[action(name = "web_search")]
//! fn web_search(query: &str) -> Vec<String> {
//!     vec!["book the 9:40".to_owned()]
//! }
//!
//! let (result, log) = workflow_log::capture(|| turn("a trip"));
//! assert!(result.is_ok());
//! let planner = &log["iterations"][0]["interactions"][0];
//! assert_eq!(planner["input"]["goal"], "a trip");
//! assert_eq!(planner["output"], "book the 9:40");
//! assert_eq!(planner["actions"][0]["input_data"]["query"], "flights for a trip");
//! ```
//!
//! Logging never panics: outside a workflow every call is a no-op, a payload whose `Serialize`
//! fails is recorded as a readable string, and guards dropped out of order or during thread
//! teardown still leave a well-formed log. Set-up errors are [`Error`]s that name the path or
//! value at fault.
//!
//! While a file-backed workflow runs, a background thread streams a JSON Lines journal beside
//! the nested file. [`flush`] returns once the calling thread's finished records are in it, a
//! panic hook flushes it (also under `panic = "abort"`), and [`recover`] rebuilds the nested
//! JSON from it after a crash, with the records that were still open marked `incomplete`.
//! Values under secret-looking keys are `"[REDACTED]"` before either file sees them, and so are
//! well-known secret values (`sk-…`, `Bearer …`, ...) wherever a string is captured.
//!
//! A child process made by `fork()` records nothing into the workflows its parent started (the
//! threads that write their journals are not in the child): every call there is a no-op,
//! [`flush`] returns at once and `finish` returns [`Error::ForkedChild`]. A workflow the child
//! starts itself logs as usual.

#![warn(missing_docs)]

mod api;
mod capture;
mod clock;
pub mod document;
mod error;
mod level;
mod record;
mod runtime;
mod sink;
mod util;

#[doc(hidden)]
pub mod __private {
    //! Not public API: used by the code the macros generate.
    pub use crate::api::macro_support::*;
}

pub use workflow_log_macros::{action, interaction, iteration};

#[cfg(feature = "log")]
pub use api::bridge::log;
#[cfg(feature = "tracing")]
pub use api::bridge::tracing;
pub use api::context::{flush, spawn, spawn_scoped, Context, ContextGuard, FutureExt, WithContext};
pub use api::event::{event, log_simple};
pub use api::guard::{
    action, interaction, iteration, ActionBuilder, ActionGuard, InteractionBuilder,
    InteractionGuard, IterationBuilder, IterationGuard,
};
pub use api::logger::{logger, Logger};
pub use api::usage::usage;
pub use api::workflow::{
    capture, capture_async, init, EnterGuard, Workflow, WorkflowBuilder, WorkflowGuard,
    DEFAULT_LOGS_DIR, FILTER_ENV, LOGS_DIR_ENV,
};
pub use capture::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_STRING_BYTES, DEFAULT_REDACTED_KEYS,
};
pub use error::Error;
pub use level::Level;
pub use record::Usage;
pub use sink::journal::Durability;
pub use sink::recover::{recover, recover_to_file, recover_to_writer};
pub use sink::tree::SCHEMA_VERSION;
