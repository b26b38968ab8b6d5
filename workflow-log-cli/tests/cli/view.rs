use crate::common::{
    agent_run, big_run, crashed_journal, empty_run, nested, on, usage_doc, write_json,
};

#[test]
fn shows_the_tree_with_marks_durations_and_failures() {
    let run = agent_run();
    let out = on("view", nested(&run), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("✓ coding_agent run "), "{}", lines[0]);
    assert!(lines.iter().any(|l| l.starts_with("  ✓ iteration 1  ")));
    // The sub-agent sits one level below its parent, and the failure reads at a glance.
    let executor = lines
        .iter()
        .position(|l| l.starts_with("    ✓ interaction executor"))
        .unwrap();
    assert!(
        lines[executor + 1].starts_with("      ✓ interaction researcher"),
        "{}",
        out.stdout
    );
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains('✗')).collect();
    assert_eq!(failed.len(), 1, "{}", out.stdout);
    assert!(
        failed[0].contains("action run_tests") && failed[0].contains("error: 1 of 12 tests failed")
    );
    // Work done on other threads is in the tree, under the executor.
    assert_eq!(out.stdout.matches("action index_docs").count(), 6);
    assert!(out
        .stdout
        .contains("· event log WARN executor: running the tests"));
    // Piped: no color codes.
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn filters_by_errors_depth_and_agent() {
    let run = agent_run();
    let out = on("view", nested(&run), &["--errors"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().skip(1).collect();
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            l.split("  ")
                .find(|p| !p.is_empty())
                .unwrap()
                .trim()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "✓ iteration 2",
            "✓ interaction executor",
            "✗ action run_tests"
        ],
        "{}",
        out.stdout
    );

    let out = on("view", nested(&run), &["--depth", "1"]);
    assert_eq!(out.stdout.lines().count(), 4, "{}", out.stdout);
    assert!(out.stdout.lines().skip(1).all(|l| l.contains("iteration")));

    let out = on("view", nested(&run), &["--agent", "researcher"]);
    assert_eq!(
        out.stdout.matches("interaction researcher").count(),
        3,
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("action web_search").count(), 3);
    assert!(!out.stdout.contains("planner") && !out.stdout.contains("run_tests"));
    assert_eq!(
        out.stdout.matches("interaction executor").count(),
        3,
        "the path to it stays"
    );
}

#[test]
fn shows_a_crashed_run_an_empty_run_and_a_big_run() {
    let (_dir, journal) = crashed_journal();
    let out = on("view", &journal, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("… crashy"), "{}", out.stdout);
    assert!(
        out.stdout.contains("  … iteration 1  (never closed)"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("    … interaction executor  (never closed)"));
    assert!(out.stdout.contains("action build"));

    let empty = empty_run();
    let out = on("view", nested(&empty), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    // A directory stands for its newest run.
    let out = on("view", empty.dir.path(), &[]);
    assert!(out.stdout.starts_with("✓ idle run "), "{out:?}");

    let big = big_run();
    let out = on("view", nested(&big), &[]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().count(), 1 + 10 + 10 * 10 + 10 * 10 * 99);
}

#[test]
fn shows_tokens_and_cost_where_the_run_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "priced.json", &usage_doc(false));
    let out = on("view", &path, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].ends_with("100.0ms  180 tok $0.0006"),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "✓ action llm_call (gpt-4o)  4.0ms  150 tok $0.0005"),
        "{}",
        out.stdout
    );
}
