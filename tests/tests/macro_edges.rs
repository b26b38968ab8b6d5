//! Edges of the attributes (issue 15): const-generic arrays, `_x` arguments, `#[track_caller]`,
//! error chains, futures and streams recognised by what they return.
//!
//! Also a lint test: the expansion must stay clean under `clippy::pedantic` too (CI runs
//! `cargo clippy --all-targets -D warnings` over this file).
#![deny(warnings, clippy::all, clippy::pedantic)]

use serde_json::json;
use workflow_log::{action, interaction};
use workflow_log_tests::capture_valid;

// --- arrays and `_x` arguments -----------------------------------------------------------------

#[action]
fn checksum<const N: usize>(bytes: [u8; N]) -> [u8; N] {
    bytes
}

#[action]
fn big_array(bytes: [u16; 40]) -> usize {
    bytes.len()
}

#[test]
fn const_generic_arrays_are_captured_as_json() {
    let ((), log) = capture_valid(|| {
        checksum([1, 2, 3]);
        big_array([7; 40]);
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["input_data"], json!({"bytes": [1, 2, 3]}));
    assert_eq!(actions[0]["output_data"], json!([1, 2, 3]));
    // Longer than the 32 items serde implements `Serialize` for.
    assert_eq!(actions[1]["input_data"]["bytes"], json!(vec![7; 40]));
}

#[interaction(agent = "critic")]
fn critique(_draft: &str, _round: u32) -> &'static str {
    "fine"
}

#[test]
fn underscore_arguments_are_captured_without_a_lint() {
    let (_, log) = capture_valid(|| critique("a draft", 2));
    assert_eq!(
        log["interactions"][0]["input"],
        json!({"_draft": "a draft", "_round": 2})
    );
}
