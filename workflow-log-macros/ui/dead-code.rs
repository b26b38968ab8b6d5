//! The expansion must not hide an unused function from the `dead_code` lint.
#![deny(dead_code)]

use workflow_log::action;

#[action]
fn never_called(query: &str) -> usize {
    query.len()
}

fn main() {}
