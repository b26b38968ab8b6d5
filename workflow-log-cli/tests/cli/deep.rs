//! A run whose records nest 2,000 deep (a deeply recursive agent), made by the library: every
//! command that reads it reads it whole.

use std::path::PathBuf;

use crate::common::{assert_input_error, on};

const DEPTH: usize = 2000;

/// A run `DEPTH` records deep: its directory (kept alive by the guard), nested file and
/// journal.
fn deep() -> (tempfile::TempDir, PathBuf, PathBuf) {
    workflow_log_tests::deep_run(DEPTH)
}

#[test]
fn view_shows_every_level_of_a_run_two_thousand_records_deep() {
    let (_dir, nested, journal) = deep();
    for file in [&nested, &journal] {
        let out = on("view", file, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        // The run's line, every record, the event and the log line.
        assert_eq!(lines.len(), 1 + DEPTH + 2, "{}", out.stderr);
        for (level, line) in lines[1..=DEPTH].iter().enumerate() {
            let text = line.trim_start();
            assert_eq!(line.len() - text.len(), 2 * (level + 1), "line {level}");
            let kind = ["iteration 1", "interaction agent", "action step"][level % 3];
            assert!(
                text.starts_with(&format!("✓ {kind}")),
                "line {level}: {text}"
            );
        }
        assert!(lines[DEPTH + 1].trim_start().starts_with("· event reached"));
    }
}

#[test]
fn stats_counts_every_record_of_a_run_two_thousand_records_deep() {
    let (_dir, nested, journal) = deep();
    let out = on("stats", &nested, &["--by", "action", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "step");
    assert_eq!(rows[0]["count"], DEPTH / 3);
    assert_eq!(rows[0]["errors"], 0);
    let out = on("stats", &journal, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("agent ")),
        "{}",
        out.stdout
    );
}

#[test]
fn validate_checks_a_run_two_thousand_records_deep_against_the_schema() {
    let (_dir, nested, journal) = deep();
    for file in [&nested, &journal] {
        let out = on("validate", file, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, format!("{}: valid\n", file.display()));
    }
}

#[test]
fn json_nested_deeper_than_any_command_reads_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deep.json");
    let depth = 60_000;
    std::fs::write(&file, "[".repeat(depth) + &"]".repeat(depth)).unwrap();
    let out = on("validate", &file, &[]);
    assert_input_error(&out, &file, "nested 60000 levels deep, more than the 50000");
    for sub in ["view", "stats"] {
        assert_input_error(&on(sub, &file, &[]), &file, "not a workflow-log run");
    }
}
