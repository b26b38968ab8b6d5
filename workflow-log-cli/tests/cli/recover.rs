use serde_json::Value;
use workflow_log_tests::validate;

use crate::common::{agent_run, crashed_journal, on};

#[test]
fn rebuilds_a_crashed_run_as_valid_nested_json() {
    let (dir, journal) = crashed_journal();
    let out = on("recover", &journal, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    validate(&doc);
    assert_eq!(doc["workflow"], "crashy");
    assert_eq!(doc["status"], "incomplete");
    let executor = &doc["iterations"][0]["interactions"][0];
    assert_eq!(executor["status"], "incomplete");
    assert_eq!(executor["actions"][0]["action_name"], "build");

    let file = dir.path().join("recovered.json");
    let out = on("recover", &journal, &["-o", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written, doc);
    // What recover wrote reads back as a run.
    assert_eq!(on("view", &file, &[]).code, 0);
}

#[test]
fn a_finished_runs_journal_gives_its_nested_file() {
    let run = agent_run();
    let out = on("recover", &run.paths.1, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc, run.doc);
}
