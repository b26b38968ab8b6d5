//! Bad input: exit 2 and one line naming the file and the fault, from every subcommand.

use std::path::Path;

use crate::common::{agent_run, assert_input_error, cli, on, Out};

/// Runs every subcommand that reads a FILE on `path`.
fn every_subcommand(path: &Path) -> Vec<(&'static str, Out)> {
    let other = agent_run();
    let good = other.paths.0.to_str().unwrap().to_owned();
    let out_html = tempfile::tempdir().unwrap();
    let html = out_html.path().join("r.html");
    vec![
        ("view", on("view", path, &[])),
        ("stats", on("stats", path, &[])),
        ("errors", on("errors", path, &[])),
        ("diff", on("diff", path, &[&good])),
        (
            "diff B",
            cli(["diff".as_ref(), good.as_ref(), path.as_os_str()]),
        ),
        (
            "report",
            on("report", path, &["-o", html.to_str().unwrap()]),
        ),
    ]
}

fn check_all(path: &Path, fault: &str) {
    for (sub, out) in every_subcommand(path) {
        eprintln!("{sub}");
        assert_input_error(&out, path, fault);
    }
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.json");
    check_all(&path, "no such file or directory");
    assert_input_error(&on("validate", &path, &[]), &path, "no such file");
    let journal = dir.path().join("nope.jsonl");
    assert_input_error(&on("recover", &journal, &[]), &journal, "no such file");
}

#[test]
fn a_truncated_file_and_a_file_that_is_not_json() {
    let run = agent_run();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &run.nested[..run.nested.len() / 2]).unwrap();
    check_all(&cut, "the JSON is cut short");
    assert_input_error(&on("validate", &cut, &[]), &cut, "cut short");

    let text = dir.path().join("notes.json");
    std::fs::write(&text, "# not json\n").unwrap();
    check_all(&text, "not JSON");
    assert_input_error(&on("validate", &text, &[]), &text, "not JSON");

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    check_all(&empty, "the file is empty");

    let not_journal = dir.path().join("other.jsonl");
    std::fs::write(&not_journal, "{\"level\":\"info\",\"msg\":\"hi\"}\n").unwrap();
    check_all(&not_journal, "not a workflow-log journal");
    assert_input_error(
        &on("recover", &not_journal, &[]),
        &not_journal,
        "not a workflow-log journal",
    );
}

#[test]
fn a_file_of_another_schema() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("package.json");
    std::fs::write(&package, r#"{"name": "left-pad", "version": "1.3.0"}"#).unwrap();
    check_all(
        &package,
        "not a workflow-log run (it has no `schema` field)",
    );
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"schema": "otel-trace/2", "spans": []}"#).unwrap();
    check_all(&other, "its schema is `otel-trace/2`");
    let array = dir.path().join("array.json");
    std::fs::write(&array, "[1, 2, 3]").unwrap();
    check_all(&array, "not a workflow-log run");
}

#[test]
fn a_directory_with_no_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "hello").unwrap();
    check_all(dir.path(), "no workflow-log runs in this directory");
}

#[test]
fn bad_usage_exits_2() {
    let run = agent_run();
    assert_eq!(cli(["frobnicate"]).code, 2);
    assert_eq!(cli(["export"]).code, 2, "no export subcommand yet");
    assert_eq!(on("stats", &run.paths.0, &["--by", "colour"]).code, 2);
    assert_eq!(on("view", &run.paths.0, &["--depth", "many"]).code, 2);
    let out = cli(["--help"]);
    assert_eq!(out.code, 0);
    for sub in [
        "ls", "view", "stats", "errors", "diff", "recover", "report", "validate",
    ] {
        assert!(
            out.stdout.contains(&format!("  {sub} ")),
            "{sub}: {}",
            out.stdout
        );
    }
}
