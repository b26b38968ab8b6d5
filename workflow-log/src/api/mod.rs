//! What users call: workflows (builder, `init`, `finish`, `capture`), the guards of iterations,
//! interactions and actions, events, loggers, contexts, and the support module of the macros.

#[cfg(any(feature = "tracing", feature = "log"))]
pub(crate) mod bridge;
pub(crate) mod context;
pub(crate) mod event;
pub(crate) mod guard;
pub(crate) mod logger;
pub mod macro_support;
pub(crate) mod usage;
pub(crate) mod workflow;
