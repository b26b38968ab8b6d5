//! Design B: hierarchical loggers, levels inherited by whole name segments, directives, and the
//! workflow's level for records.
//!
//! `Logger::set_level` is process-wide and the tests of this file run in parallel: every test
//! uses logger names of its own (prefixed with the test's name).

use serde_json::{json, Value};
use workflow_log::{Level, Workflow};
use workflow_log_tests::{capture_valid_with, children, labels, records};

/// Logs one line per level from `logger`, the message being the level's name.
fn all_levels(name: &str) {
    let l = workflow_log::logger(name);
    l.trace("TRACE", json!({"n": 0}));
    l.debug("DEBUG", json!({"n": 1}));
    l.info("INFO", json!({"n": 2}));
    l.warn("WARN", json!({"n": 3}));
    l.error("ERROR", json!({"n": 4}));
}

/// The messages of the workflow's top-level events.
fn messages(log: &Value) -> Vec<String> {
    labels(log, "events")
}

#[test]
fn five_levels_are_written_upper_case() {
    let ((), log) = capture_valid_with(Workflow::builder("levels").level(Level::Trace), || {
        all_levels("five_levels");
    });
    let events = children(&log, "events");
    assert_eq!(events.len(), 5);
    for (event, (level, n)) in events.iter().zip([
        ("TRACE", 0),
        ("DEBUG", 1),
        ("INFO", 2),
        ("WARN", 3),
        ("ERROR", 4),
    ]) {
        assert_eq!(event["event_type"], "log");
        assert_eq!(event["level"], level);
        assert_eq!(event["message"], level);
        assert_eq!(event["logger"], "five_levels");
        assert_eq!(event["data"], json!({"n": n}));
    }
}

#[test]
fn the_default_level_is_info() {
    let ((), log) = capture_valid_with(Workflow::builder("levels"), || {
        all_levels("default_level");
    });
    assert_eq!(messages(&log), ["INFO", "WARN", "ERROR"]);
}

#[test]
fn the_workflow_level_filters_loggers() {
    let ((), log) = capture_valid_with(Workflow::builder("levels").level(Level::Warn), || {
        all_levels("workflow_level");
    });
    assert_eq!(messages(&log), ["WARN", "ERROR"]);
}

#[test]
fn levels_inherit_by_whole_segments() {
    let builder = Workflow::builder("levels").filter("warn,segments_planner=debug");
    let ((), log) = capture_valid_with(builder, || {
        let search = workflow_log::logger("segments_planner.search");
        let deep = workflow_log::logger("segments_planner.search.deep");
        let lookalike = workflow_log::logger("segments_plannerx");
        search.debug("search debug", ());
        deep.debug("deep debug", ());
        search.trace("search trace", ());
        lookalike.debug("lookalike debug", ());
        lookalike.info("lookalike info", ());
        lookalike.warn("lookalike warn", ());
    });
    assert_eq!(
        messages(&log),
        ["search debug", "deep debug", "lookalike warn"]
    );
}

#[test]
fn the_most_specific_directive_wins() {
    let builder = Workflow::builder("levels")
        .filter("info,specific=error,specific.search=trace,specific.search.deep=warn");
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::logger("specific").warn("specific warn", ());
        workflow_log::logger("specific").error("specific error", ());
        workflow_log::logger("specific.search").trace("search trace", ());
        workflow_log::logger("specific.search.other").trace("other trace", ());
        workflow_log::logger("specific.search.deep").info("deep info", ());
        workflow_log::logger("specific.search.deep").warn("deep warn", ());
        workflow_log::logger("specific.plan").warn("plan warn", ());
        workflow_log::logger("specific_other").info("unrelated info", ());
    });
    assert_eq!(
        messages(&log),
        [
            "specific error",
            "search trace",
            "other trace",
            "deep warn",
            "unrelated info"
        ]
    );
}

#[test]
fn directive_order_does_not_matter_and_later_duplicates_win() {
    let builder = Workflow::builder("levels")
        .filter("order_a.b=trace,order_a=error,warn,order_c=debug,order_c=error");
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::logger("order_a.b").trace("a.b trace", ());
        workflow_log::logger("order_a").warn("a warn", ());
        workflow_log::logger("order_c").warn("c warn", ());
        workflow_log::logger("order_c").error("c error", ());
        workflow_log::logger("order_z").info("z info", ());
        workflow_log::logger("order_z").warn("z warn", ());
    });
    assert_eq!(messages(&log), ["a.b trace", "c error", "z warn"]);
}

#[test]
fn off_silences_a_logger() {
    let builder = Workflow::builder("levels").filter("trace,off_quiet=off");
    let ((), log) = capture_valid_with(builder, || {
        all_levels("off_quiet");
        all_levels("off_quiet.child");
        workflow_log::logger("off_loud").error("loud", ());
    });
    assert_eq!(messages(&log), ["loud"]);
}

#[test]
fn set_level_overrides_what_a_logger_inherits() {
    workflow_log::logger("set_level_a").set_level(Level::Debug);
    workflow_log::logger("set_level_b").set_level(Level::Error);
    let ((), log) = capture_valid_with(Workflow::builder("levels"), || {
        workflow_log::logger("set_level_a").debug("a debug", ());
        workflow_log::logger("set_level_a").trace("a trace", ());
        // Children without a level of their own inherit it.
        workflow_log::logger("set_level_a.child").debug("child debug", ());
        workflow_log::logger("set_level_b").warn("b warn", ());
        workflow_log::logger("set_level_b.child").warn("b child warn", ());
        workflow_log::logger("set_level_b").error("b error", ());
        workflow_log::logger("set_level_ab").debug("lookalike debug", ());
    });
    assert_eq!(messages(&log), ["a debug", "child debug", "b error"]);
}

#[test]
fn set_level_beats_the_directive_for_the_same_name() {
    let builder = Workflow::builder("levels").filter("info,beats_x=error");
    let before = capture_valid_with(builder.clone(), || {
        workflow_log::logger("beats_x").info("before", ());
    })
    .1;
    assert_eq!(messages(&before), Vec::<String>::new());
    workflow_log::logger("beats_x").set_level(Level::Debug);
    let ((), after) = capture_valid_with(builder, || {
        workflow_log::logger("beats_x").debug("after", ());
    });
    assert_eq!(messages(&after), ["after"]);
}

#[test]
fn set_level_applies_to_a_running_workflow() {
    let ((), log) = capture_valid_with(Workflow::builder("levels"), || {
        let l = workflow_log::logger("running_r");
        l.debug("dropped", ());
        assert!(!l.enabled(Level::Debug));
        l.set_level(Level::Debug);
        assert!(l.enabled(Level::Debug));
        l.debug("kept", ());
        l.set_level(Level::Error);
        l.warn("dropped again", ());
    });
    assert_eq!(messages(&log), ["kept"]);
}

#[test]
fn a_child_directive_beats_a_parent_set_level() {
    workflow_log::logger("child_dir_p").set_level(Level::Trace);
    let builder = Workflow::builder("levels").filter("child_dir_p.c=error");
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::logger("child_dir_p.c").warn("child warn", ());
        workflow_log::logger("child_dir_p.d").trace("sibling trace", ());
    });
    assert_eq!(messages(&log), ["sibling trace"]);
}

#[test]
fn level_then_filter_combine() {
    // `.filter` is applied after `.level`: names add to it, a bare level replaces it.
    let builder = Workflow::builder("levels")
        .level(Level::Debug)
        .filter("combine_p=trace");
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::logger("combine_q").debug("q debug", ());
        workflow_log::logger("combine_q").trace("q trace", ());
        workflow_log::logger("combine_p").trace("p trace", ());
    });
    assert_eq!(messages(&log), ["q debug", "p trace"]);

    let builder = Workflow::builder("levels")
        .level(Level::Debug)
        .filter("error");
    let ((), log) = capture_valid_with(builder, || {
        workflow_log::logger("combine_r").warn("r warn", ());
        workflow_log::logger("combine_r").error("r error", ());
    });
    assert_eq!(messages(&log), ["r error"]);
}

#[test]
fn enabled_answers_for_this_threads_workflow() {
    let l = workflow_log::logger("enabled_e");
    assert!(!l.enabled(Level::Error), "no workflow on this thread");
    let (answers, _) = capture_valid_with(Workflow::builder("levels").level(Level::Warn), || {
        [
            l.enabled(Level::Info),
            l.enabled(Level::Warn),
            l.enabled(Level::Error),
        ]
    });
    assert_eq!(answers, [false, true, true]);
}

#[test]
fn records_below_the_workflow_level_are_not_recorded() {
    let builder = Workflow::builder("levels").level(Level::Warn);
    let ((), log) = capture_valid_with(builder, || {
        let it = workflow_log::iteration().start();
        assert!(!it.is_enabled());
        let _agent = workflow_log::interaction("agent").start();
        workflow_log::action("tool").log();
        let _timed = workflow_log::action("timed").start();
        workflow_log::event("event", 1);
        workflow_log::logger("below_wf").warn("still logged", ());
        // A record asked for at a higher level is kept.
        let _important = workflow_log::action("important")
            .level(Level::Error)
            .start();
        workflow_log::action("inside").level(Level::Warn).log();
    });
    assert_eq!(log["iterations"], json!([]));
    assert_eq!(labels(&log, "actions"), ["important"]);
    assert_eq!(labels(&log["actions"][0], "actions"), ["inside"]);
    assert_eq!(messages(&log), ["still logged"]);
    assert_eq!(records(&log).len(), 2);
}

#[test]
fn what_an_unrecorded_record_would_hold_goes_to_its_recorded_parent() {
    let ((), log) = capture_valid_with(Workflow::builder("levels"), || {
        let _it = workflow_log::iteration().start();
        let _verbose = workflow_log::iteration().level(Level::Debug).start();
        let _chatty = workflow_log::interaction("chatty")
            .level(Level::Trace)
            .start();
        workflow_log::action("tool").log();
        workflow_log::action("noise").level(Level::Debug).log();
    });
    let it = &log["iterations"][0];
    assert_eq!(children(it, "iterations").len(), 0);
    assert_eq!(children(it, "interactions").len(), 0);
    assert_eq!(labels(it, "actions"), ["tool"]);
    assert_eq!(records(&log).len(), 2);
}

#[test]
fn a_bad_filter_is_an_error_naming_the_directive() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workflow::builder("levels")
        .logs_dir(dir.path())
        .filter("info,bad_filter=loud")
        .start()
        .expect_err("`loud` is not a level");
    assert!(matches!(err, workflow_log::Error::InvalidFilter { .. }));
    assert!(err.to_string().contains("bad_filter=loud"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn capture_with_a_bad_filter_still_captures_at_info() {
    let builder = Workflow::builder("levels").filter("nonsense_level");
    let ((), log) = capture_valid_with(builder, || {
        all_levels("bad_capture");
    });
    assert_eq!(messages(&log), ["INFO", "WARN", "ERROR"]);
}
