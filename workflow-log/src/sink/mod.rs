//! Sinks: finished records in, bytes or values out. Nothing here touches a thread's state or
//! the registry of live workflows; what a sink needs comes in as an argument.
//!
//! - [`collector`]: where finished records wait until the nested JSON is written;
//! - [`journal`]: the crash-safe JSON Lines file, written by a background thread;
//! - [`tree`]: flat records nested into the document (file, or `serde_json::Value`);
//! - [`recover`](mod@recover): a journal read back into the document.

pub(crate) mod collector;
pub(crate) mod journal;
pub(crate) mod recover;
pub(crate) mod tree;
