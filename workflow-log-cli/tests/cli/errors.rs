use crate::common::{agent_run, crashed_journal, empty_run, nested, on};

#[test]
fn lists_each_failure_with_its_path_error_and_events_before_it() {
    let run = agent_run();
    let out = on("errors", nested(&run), &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0], "✗ iteration 2 › executor › run_tests  error",
        "{}",
        out.stdout
    );
    assert_eq!(lines[1], "    1 of 12 tests failed: cli::json_flag");
    assert_eq!(lines[2], "    events before it:");
    assert!(
        lines[3].ends_with(r#"log WARN executor: running the tests {"iteration":2}"#),
        "{}",
        out.stdout
    );
    assert!(lines.last().unwrap().ends_with(": 1 failed record(s)"));
}

#[test]
fn a_crashed_run_fails_with_its_open_records() {
    let (_dir, journal) = crashed_journal();
    let out = on("errors", &journal, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("… iteration 1  incomplete"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("… iteration 1 › executor  incomplete"));
    assert!(out.stdout.contains("… run crashy  incomplete"));
}

#[test]
fn a_clean_run_has_none() {
    let run = empty_run();
    let out = on("errors", nested(&run), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.ends_with(": no failures\n"), "{}", out.stdout);
}
