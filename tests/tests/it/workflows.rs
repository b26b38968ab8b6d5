//! Several workflows at once (a server running many agent sessions): each thread logs into the
//! workflow it entered, and each workflow writes its own file with only its own records.

use serde_json::json;
use workflow_log::Workflow;
use workflow_log_tests::{
    capture_valid, find, labels, read_log, records, recover_valid, start_in_tempdir, Kind,
};

#[test]
fn two_workflows_on_two_threads_write_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = Workflow::builder("session_a")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    let b = Workflow::builder("session_b")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    assert_ne!(a.path(), b.path());
    std::thread::scope(|s| {
        for (guard, tag) in [(&a, "a"), (&b, "b")] {
            let workflow = guard.workflow();
            s.spawn(move || {
                let _entered = workflow.enter();
                for _ in 0..3 {
                    let _it = workflow_log::iteration().start();
                    let mut agent = workflow_log::interaction(format!("agent_{tag}")).start();
                    workflow_log::action(format!("tool_{tag}")).log();
                    workflow_log::logger("sessions").info("step", json!({"session": tag}));
                    agent.output(&tag);
                }
            });
        }
    });
    let run_a = a.workflow().run_id().to_owned();
    let path_a = a.finish().unwrap();
    let path_b = b.finish().unwrap();
    for (path, tag, run) in [(&path_a, "a", Some(&run_a)), (&path_b, "b", None)] {
        assert_eq!(path.parent().unwrap(), dir.path());
        let doc = read_log(path);
        assert_eq!(doc["workflow"], format!("session_{tag}"));
        if let Some(run) = run {
            assert_eq!(doc["run_id"], run.as_str());
        }
        let its = doc["iterations"].as_array().unwrap();
        assert_eq!(its.len(), 3);
        for (n, it) in its.iter().enumerate() {
            assert_eq!(it["iteration_number"], n + 1);
            let agent = &it["interactions"][0];
            assert_eq!(agent["agent_name"], format!("agent_{tag}"));
            assert_eq!(labels(agent, "actions"), [format!("tool_{tag}")]);
            assert_eq!(agent["events"][0]["data"]["session"], tag);
            assert_eq!(agent["output"], tag);
        }
        assert_eq!(records(&doc).len(), 9);
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut expected = vec![path_a, path_b];
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn the_innermost_entered_workflow_wins_on_a_thread() {
    let dir = tempfile::tempdir().unwrap();
    let outer = Workflow::builder("outer")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    let inner = Workflow::builder("inner")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    {
        let _o = outer.enter();
        let _it = workflow_log::iteration().start();
        workflow_log::action("outer_before").log();
        {
            let _i = inner.enter();
            // The outer iteration belongs to another workflow: this one starts at its root.
            workflow_log::action("inner_only").log();
            let _inner_it = workflow_log::iteration().start();
        }
        workflow_log::action("outer_after").log();
    }
    let outer_doc = read_log(&outer.finish().unwrap());
    let inner_doc = read_log(&inner.finish().unwrap());
    assert_eq!(
        labels(&outer_doc["iterations"][0], "actions"),
        ["outer_before", "outer_after"]
    );
    assert_eq!(records(&outer_doc).len(), 3);
    assert_eq!(labels(&inner_doc, "actions"), ["inner_only"]);
    assert_eq!(inner_doc["iterations"][0]["iteration_number"], 1);
    assert_eq!(records(&inner_doc).len(), 2);
}

#[test]
fn a_capture_inside_an_entered_workflow_sees_only_its_own_records() {
    let (_dir, wf) = start_in_tempdir(Workflow::builder("host"));
    let captured = {
        let _e = wf.enter();
        workflow_log::event("host_event", ());
        let ((), captured) = capture_valid(|| workflow_log::event("captured_event", ()));
        workflow_log::event("host_again", ());
        captured
    };
    assert_eq!(labels(&captured, "events"), ["captured_event"]);
    let doc = read_log(&wf.finish().unwrap());
    assert_eq!(labels(&doc, "events"), ["host_event", "host_again"]);
}

#[test]
fn a_started_workflow_is_not_global() {
    let (_dir, wf) = start_in_tempdir(Workflow::builder("not_global"));
    // Not entered: nothing on this thread goes to it.
    workflow_log::event("not_entered", ());
    let it = workflow_log::iteration().start();
    assert!(!it.is_enabled());
    drop(it);
    // Dropping the guard writes the file, like finish.
    let path = wf.path().unwrap();
    drop(wf);
    let doc = read_log(&path);
    assert_eq!(doc["workflow"], "not_global");
    assert_eq!(doc["events"], json!([]));
    assert_eq!(doc["iterations"], json!([]));
}

#[test]
fn a_handle_outlives_its_guard_harmlessly() {
    let (_dir, guard) = start_in_tempdir(Workflow::builder("short_lived"));
    let handle = guard.workflow();
    let path = {
        let _e = handle.enter();
        workflow_log::event("kept", ());
        guard.finish().unwrap()
    };
    // Entered after the file was written: records are dropped (and reported), never a panic.
    {
        let _e = handle.enter();
        workflow_log::event("late", ());
        let _it = workflow_log::iteration().start();
    }
    assert_eq!(handle.name(), "short_lived");
    let doc = read_log(&path);
    assert_eq!(labels(&doc, "events"), ["kept"]);
}

#[test]
fn a_finished_runs_journal_recovers_to_the_same_document() {
    let (_dir, wf) = start_in_tempdir(Workflow::builder("recoverable"));
    let journal = wf.journal_path().expect("file workflows keep a journal");
    {
        let _e = wf.enter();
        for _ in 0..2 {
            let _it = workflow_log::iteration().start();
            let mut agent = workflow_log::interaction("agent")
                .input(&json!({"q": 1}))
                .start();
            let mut tool = workflow_log::action("tool").metadata("k", &[1, 2]).start();
            std::thread::sleep(std::time::Duration::from_micros(50));
            tool.output(&"r").error("flaky");
            drop(tool);
            workflow_log::logger("recoverable").warn("slow", json!({"ms": 3}));
            agent.output(&"a");
        }
        workflow_log::event("done", ());
    }
    let path = wf.finish().unwrap();
    // Same records, same times, same durations, same end.
    assert_eq!(recover_valid(&journal), read_log(&path));
}

/// A guard opened between two entries of the same workflow and dropped before the inner one
/// leaves: the inner scope's frames start where the guard's frame was.
#[test]
fn a_guard_dropped_between_two_entries_leaves_both_scopes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Workflow::builder("nested_entries")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    let workflow = guard.workflow();
    {
        let _outer = workflow.enter();
        workflow_log::log_simple("agent", "step", json!({}));
        let action = workflow_log::action("a").start();
        let inner = workflow.enter();
        drop(action);
        workflow_log::action("inside").log();
        drop(inner);
        workflow_log::action("after").log();
    }
    let doc = read_log(&guard.finish().unwrap());
    for name in ["a", "inside", "after"] {
        let action = find(&doc, Kind::Action, name).value;
        assert_eq!(action["status"], "ok", "{name}");
    }
    // The outer scope's actions nest in the log_simple interaction; the inner scope, entered
    // with no record open in it, logs at the workflow's top.
    let agent = find(&doc, Kind::Interaction, "agent").value;
    assert_eq!(labels(agent, "actions"), ["simple_log", "a", "after"]);
    assert_eq!(labels(&doc, "actions"), ["inside"]);
}
