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

/// A damaged journal (concatenated with itself, a torn last line): the command writes what the
/// library's `recover` gives, on stdout and with `-o` alike, and the written file is the nested
/// file's format (0600, indented).
#[test]
fn a_damaged_journal_gives_what_the_library_recovers() {
    let run = agent_run();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("twice.jsonl");
    let mut bytes = [&run.journal[..], &run.journal[..]].concat();
    bytes.extend_from_slice(br#"{"id":7,"parent":1,"kind":"act"#);
    std::fs::write(&journal, &bytes).unwrap();
    let expected = workflow_log::recover(&journal).unwrap();
    assert_eq!(expected, run.doc);
    let out = on("recover", &journal, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).unwrap(),
        expected
    );
    let file = dir.path().join("out.json");
    let out = on("recover", &journal, &["-o", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), expected);
    assert_eq!(written, std::fs::read_to_string(&run.paths.0).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// An output file that can't be written: exit 2, one line naming it.
#[test]
fn an_output_that_cant_be_written_is_named() {
    let (dir, journal) = crashed_journal();
    let out_path = dir.path().join("no_such_dir").join("out.json");
    let out = on("recover", &journal, &["-o", out_path.to_str().unwrap()]);
    crate::common::assert_input_error(&out, &out_path, "can't write it");
}

/// A reader that goes away early (`workflow-log recover run.jsonl | head`): what it read is all
/// it wanted, and the command exits 0 without a word.
#[test]
fn a_reader_that_goes_away_early_is_no_failure() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // A document of 4 MiB and more: far beyond what a pipe holds.
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("big.jsonl");
    let header = r#"{"journal":"workflow-log/1","workflow":"w","run_id":"r","start_time":"2026-01-01T00:00:00.000000Z"}"#;
    let action = serde_json::json!({"id": 1, "parent": 0, "kind": "action", "status": "ok",
        "name": "a", "number": 0, "start_ns": 1, "end_ns": 2, "thread": "main",
        "input": "x".repeat(4 << 20)});
    std::fs::write(&journal, format!("{header}\n{action}\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_workflow-log"))
        .arg("recover")
        .arg(&journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"{"));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}
