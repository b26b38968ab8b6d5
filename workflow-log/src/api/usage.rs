//! Token usage of LLM calls, reported from where no guard is in reach.

use crate::api::guard::action;
use crate::record::{Kind, Usage};
use crate::runtime::{thread, usage as pending};
use crate::Level;

/// Adds the usage of an LLM call to the innermost open action (inside an `#[action]` fn, where
/// no guard is in reach), else to the innermost open record. Several calls add up: a streamed
/// response reported chunk by chunk. With no record open, it is logged as an instant action
/// named after the model. Threads and async tasks report to their own records: the record is
/// found on the calling thread, and the usage waits for it to close wherever that is.
///
/// # Examples
///
/// ```
/// use workflow_log::{action, Usage};
///
/// #[action]
/// fn summarize(text: &str) -> String {
///     // ... call the model, streaming ...
///     workflow_log::usage("gpt-4o-mini", Usage::tokens(900, 40));
///     workflow_log::usage("gpt-4o-mini", Usage::tokens(0, 25));
///     "a summary".to_owned()
/// }
///
/// let (_, log) = workflow_log::Workflow::builder("demo")
///     .price("gpt-4o-mini", 0.15, 0.60)
///     .capture(|| summarize("a long text"));
/// let call = &log["actions"][0];
/// assert_eq!(call["model"], "gpt-4o-mini");
/// assert_eq!(call["usage"]["output_tokens"], 65);
/// assert!(call["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
/// ```
pub fn usage(model: &str, usage: Usage) {
    if !thread::wanted(Kind::Action, Level::Info) {
        return;
    }
    match thread::usage_target() {
        Some(id) => pending::report(id, model, usage),
        None => action(model.to_owned())
            .usage(model.to_owned(), usage)
            .log(),
    }
}
