//! The `workflow-log` binary, run as a user runs it, on runs these tests make with the library.

mod bad_input;
mod common;
mod deep;
mod diff;
mod errors;
mod export;
mod ls;
mod progress;
mod recover;
mod report;
mod stats;
mod validate;
mod view;
