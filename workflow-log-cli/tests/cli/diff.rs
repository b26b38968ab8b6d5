use serde_json::Value;

use crate::common::{agent_run, agent_run_with, big_run, nested, on, usage_doc, write_json};

#[test]
fn the_same_run_has_no_differences() {
    let run = agent_run();
    let out = on("diff", nested(&run), &[nested(&run).to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.ends_with(": no differences\n"));
    let big = big_run();
    let out = on("diff", nested(&big), &[nested(&big).to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn a_changed_agent_shows_added_records_fixed_statuses_and_new_outputs() {
    let before = agent_run();
    let after = agent_run_with(true);
    let out = on("diff", nested(&before), &[nested(&after).to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:?}");
    let text = &out.stdout;
    assert!(
        text.contains("+ added    action iteration 1 › executor › researcher › web_search"),
        "{text}"
    );
    assert!(
        text.contains("~ status   iteration 2 › executor › run_tests  error → ok"),
        "{text}"
    );
    assert!(
        text.contains(r#"~ output   iteration 2 › executor › run_tests  null → 12 passed"#),
        "{text}"
    );
    assert_eq!(text.matches("~ output   iteration ").count(), 4, "{text}");
    assert!(!text.contains("removed"), "{text}");

    let out = on(
        "diff",
        nested(&before),
        &[nested(&after).to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(out.code, 1);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["differ"], true);
    let changes = report["changes"].as_array().unwrap();
    let status = changes.iter().find(|c| c["change"] == "status").unwrap();
    assert_eq!(status["path"], "iteration 2 › executor › run_tests");
    assert_eq!(
        (&status["before"], &status["after"]),
        (&"error".into(), &"ok".into())
    );
    assert_eq!(changes.iter().filter(|c| c["change"] == "added").count(), 1);
}

#[test]
fn slower_beyond_the_threshold_and_token_changes() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_json(dir.path(), "a.json", &usage_doc(false));
    let b = write_json(dir.path(), "b.json", &usage_doc(true));
    let out = on("diff", &a, &[b.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        "~ slower   iteration 1 › executor › run_tests  10.0ms → 30.0ms (+200%)"
    );
    let out = on("diff", &a, &[b.to_str().unwrap(), "--threshold", "250"]);
    assert_eq!(out.code, 0, "{out:?}");

    let mut cheaper = usage_doc(false);
    cheaper["iterations"][0]["interactions"][0]["actions"][0]["usage"]["output_tokens"] = 10.into();
    cheaper["iterations"][0]["interactions"][0]
        .as_object_mut()
        .unwrap()
        .remove("usage_total");
    let c = write_json(dir.path(), "c.json", &cheaper);
    let out = on("diff", &a, &[c.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let tokens: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "tokens")
        .collect();
    assert_eq!(tokens.len(), 3, "{report:#}");
    assert_eq!(tokens[2]["path"], "iteration 1 › executor › llm_call");
    assert_eq!(
        (&tokens[2]["before"], &tokens[2]["after"]),
        (&150.into(), &110.into())
    );
}
