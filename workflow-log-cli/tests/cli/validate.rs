use crate::common::{agent_run, crashed_journal, nested, on, write_json};

#[test]
fn a_run_the_library_wrote_is_valid() {
    let run = agent_run();
    let out = on("validate", nested(&run), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{}: valid\n", nested(&run).display()));
    let (_dir, journal) = crashed_journal();
    assert_eq!(on("validate", &journal, &[]).code, 0);
}

#[test]
fn each_violation_is_listed_with_its_path() {
    let run = agent_run();
    let mut doc = run.doc.clone();
    doc["iterations"][1]["interactions"][0]["status"] = "fine".into();
    doc["iterations"][2]["surprise"] = true.into();
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "broken.json", &doc);
    let out = on("validate", &path, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(
        out.stdout
            .contains(": /iterations/1/interactions/0/status: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(": /iterations/2: "), "{}", out.stdout);
    assert!(lines[2].ends_with("2 violation(s) of the workflow-log/1 schema"));
}
