//! Most integration tests, one module per former test file, in one binary: linking a test
//! binary against jsonschema, tokio and the runtime costs more than compiling the tests
//! themselves, so each binary of its own made the build slower.
//!
//! A test file stays a binary of its own (`tests/tests/*.rs`) when it changes what a whole
//! process shares: the global workflow (`init`), environment variables, the panic hook, a
//! `log` logger or a global `tracing` subscriber, the global allocator, rlimits, `fork`, a
//! re-run of its own executable; or when it must be alone in its process.

mod async_tasks;
mod bad_input;
mod bridge_tracing;
mod capture_async;
mod design_d;
mod document;
mod layers;
mod levels;
mod macro_async;
mod macro_capture;
mod macro_edges;
mod macro_off;
mod macro_shapes;
mod macro_stream;
mod metadata_redaction;
mod numbering;
mod security;
mod stress;
mod structure;
mod threads;
mod times;
mod usage;
mod workflows;
