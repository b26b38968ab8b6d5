//! The `log` bridge: records of a third party's crate (`workflow-log-third-party`, which knows
//! only `log`) land in the caller's records with typed key-values, filtered by the workflow's
//! levels, and every record also reaches the logger the program had before. One `log` logger per
//! process: this test binary installs ours once, and a second install is an `Err`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use serde_json::json;
use workflow_log::{Error, Workflow};
use workflow_log_tests::{capture_valid, capture_valid_with, children, labels};

use workflow_log_third_party as third_party;

/// Every record our bridge passed on to the program's previous logger.
static PASSED_ON: AtomicUsize = AtomicUsize::new(0);

struct Previous;

impl log::Log for Previous {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "passed_on"
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target() == "passed_on" {
            PASSED_ON.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn flush(&self) {}
}

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| workflow_log::log::install_with(Box::new(Previous)).unwrap());
}

#[test]
fn a_log_record_lands_in_the_innermost_record_with_typed_key_values() {
    install();
    let ((), log) = capture_valid(|| {
        let _planner = workflow_log::interaction("planner").start();
        third_party::legacy(3);
    });
    let planner = &log["interactions"][0];
    let line = &children(planner, "events")[0];
    assert_eq!(line["event_type"], "log");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["logger"], "workflow_log_third_party");
    assert_eq!(line["message"], "legacy call done");
    assert_eq!(line["data"], json!({"count": 3, "ok": true}));
    // Debug and trace are below the workflow's level.
    assert_eq!(children(planner, "events").len(), 1);
}

#[test]
fn levels_and_filters_are_the_workflows() {
    install();
    let builder = Workflow::builder("levels")
        .filter("warn,workflow_log_third_party=debug,third_party::wire=trace");
    let ((), log) = capture_valid_with(builder, || {
        third_party::legacy(1);
        log::info!(target: "elsewhere", "dropped: below warn");
        log::warn!(target: "elsewhere", ratio = 0.25, name = "x"; "kept: warn");
    });
    assert_eq!(
        labels(&log, "events"),
        [
            "legacy call done",
            "legacy detail",
            "bytes on the wire",
            "kept: warn"
        ]
    );
    assert_eq!(
        log["events"][3]["data"],
        json!({"ratio": 0.25, "name": "x"})
    );
}

#[test]
fn every_record_also_reaches_the_previous_logger() {
    install();
    let before = PASSED_ON.load(Ordering::Relaxed);
    log::trace!(target: "passed_on", "outside any workflow");
    let ((), log) = capture_valid(|| {
        log::info!(target: "passed_on", "inside");
        log::trace!(target: "passed_on", "inside, below the level");
    });
    assert_eq!(labels(&log, "events"), ["inside"]);
    // Other tests may log to other targets meanwhile, never to this one.
    assert_eq!(PASSED_ON.load(Ordering::Relaxed) - before, 3);
}

#[test]
fn outside_a_workflow_nothing_is_recorded() {
    install();
    log::error!("before the workflow");
    let ((), log) = capture_valid(|| log::error!("inside"));
    assert_eq!(labels(&log, "events"), ["inside"]);
}

#[test]
fn a_second_logger_is_an_error_not_a_panic() {
    install();
    assert!(matches!(
        workflow_log::log::install(),
        Err(Error::LoggerAlreadySet)
    ));
    let err = workflow_log::log::install_with(Box::new(Previous)).unwrap_err();
    assert!(err.to_string().contains("install_with"), "{err}");
}

#[test]
fn log_enabled_tells_what_the_workflow_keeps() {
    install();
    assert!(!log::log_enabled!(target: "x", log::Level::Error));
    let ((), _) = capture_valid(|| {
        assert!(log::log_enabled!(target: "x", log::Level::Info));
        assert!(!log::log_enabled!(target: "x", log::Level::Debug));
        // The previous logger's say counts too.
        assert!(log::log_enabled!(target: "passed_on", log::Level::Trace));
    });
}
