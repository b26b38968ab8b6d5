//! Secret-looking keys are redacted wherever a key names a value: metadata entries set on
//! builders and guards, and `log_simple`'s metadata, not only keys inside payloads.

use serde_json::json;
use workflow_log_tests::{capture_valid, capture_valid_with};

#[test]
fn metadata_entries_under_secret_keys_are_redacted() {
    let ((), log) = capture_valid(|| {
        workflow_log::action("call_llm")
            .metadata("api_key", &"sk-live-1")
            .metadata("model", &"small")
            .log();
        let mut g = workflow_log::action("call_tool").start();
        g.metadata("Authorization", &"Bearer abc");
        g.metadata("github-token", &json!({"value": "ghp_x"}));
        g.metadata("tokens", &12);
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(
        actions[0]["metadata"],
        json!({"api_key": "[REDACTED]", "model": "small"})
    );
    assert_eq!(
        actions[1]["metadata"],
        json!({"Authorization": "[REDACTED]", "github-token": "[REDACTED]", "tokens": 12})
    );
}

#[test]
fn log_simple_metadata_under_secret_keys_is_redacted() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple(
            "executor_agent",
            "calling the API",
            json!({"password": "hunter2", "attempt": 1}),
        );
    });
    let action = &log["iterations"][0]["interactions"][0]["actions"][0];
    assert_eq!(
        action["metadata"],
        json!({"password": "[REDACTED]", "attempt": 1})
    );
    assert!(!log.to_string().contains("hunter2"));
}

#[test]
fn a_custom_key_list_applies_to_metadata_too() {
    let builder = workflow_log::Workflow::builder("custom").redact_keys(["ssn"]);
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::action("lookup")
            .metadata("ssn", &"123-45-6789")
            .metadata("api_key", &"kept: not in the custom list")
            .log();
    });
    assert_eq!(
        log["actions"][0]["metadata"],
        json!({"ssn": "[REDACTED]", "api_key": "kept: not in the custom list"})
    );
}
