//! Bridges from the logging facades other crates use: `tracing` events and spans, and `log`
//! records, land in the innermost open record of the thread's workflow.
//!
//! What both share is here: whether a log line is kept ([`line`]), by the same levels and
//! filter directives as a [`Logger`](crate::Logger) of the same name, and the typed fields of a
//! line or a span, written as JSON ([`fields`]).

pub(crate) mod fields;
pub(crate) mod line;
#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;
