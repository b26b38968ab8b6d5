//! One module a subcommand: its `Args` (clap) and its `run`.

pub mod diff;
pub mod errors;
pub mod ls;
pub mod recover;
pub mod report;
pub mod stats;
pub mod validate;
pub mod view;
