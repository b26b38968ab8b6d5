use crate::common::{agent_run, cli, crashed_journal, empty_run, nested, on};

#[test]
fn lists_runs_newest_first_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let first = agent_run();
    let second = empty_run();
    let (_crash_dir, crashed) = crashed_journal();
    for path in [nested(&first), nested(&second), &crashed] {
        std::fs::copy(path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.path().join("notes.json"), b"{\"not\": \"a run\"}").unwrap();
    let out = on("ls", dir.path(), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(lines[0].starts_with("STARTED (UTC) ") && lines[0].contains(" WORKFLOW "));
    let cells = |l: &str| {
        l.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let crashy = cells(lines[1]);
    assert_eq!(
        crashy[1..3],
        ["crashy", "incomplete (journal)"],
        "{}",
        out.stdout
    );
    let idle = cells(lines[2]);
    assert_eq!(
        idle[1..9],
        ["idle", "ok", idle[3].as_str(), "0", "0", "0", "0", "-"],
        "{}",
        out.stdout
    );
    let agent = cells(lines[3]);
    // 3 iterations, 12 interactions, 15 actions, 1 failed.
    assert_eq!(agent[1..3], ["coding_agent", "ok"]);
    assert_eq!(agent[4..8], ["3", "12", "15", "1"], "{}", out.stdout);
}

#[test]
fn lists_a_thousand_runs() {
    let run = agent_run();
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(run.nested.clone()).unwrap();
    for i in 0..1000 {
        // Each copy starts a second later than the one before.
        let start = format!(
            "\"start_time\": \"2026-01-01T{:02}:{:02}:{:02}.000000Z\"",
            i / 3600,
            i / 60 % 60,
            i % 60
        );
        let copy = text.replacen(
            "\"start_time\": \"",
            &format!("{start}, \"old_start\": \""),
            1,
        );
        std::fs::write(dir.path().join(format!("run_{i:04}.json")), copy).unwrap();
    }
    let out = on("ls", dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1001);
    assert!(lines[1].ends_with("run_0999.json"), "{}", lines[1]);
    assert!(lines[1000].ends_with("run_0000.json"));
}

#[test]
fn uses_workflow_log_dir_or_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(["ls".as_ref(), dir.path().as_os_str()]);
    crate::common::assert_input_error(&out, dir.path(), "no workflow-log runs");
    let missing = dir.path().join("nope");
    let out = cli(["ls".as_ref(), missing.as_os_str()]);
    crate::common::assert_input_error(&out, &missing, "no such directory");
}
