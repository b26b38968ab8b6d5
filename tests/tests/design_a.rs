//! Design A: one global workflow per process, written as `<logs_dir>/<name>_<time>_<run id>.json`.
//!
//! The global workflow and the environment are process-wide, and the tests of a file run in
//! parallel threads: every test here takes `GLOBAL_LOCK` first.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use workflow_log::{Level, Workflow};
use workflow_log_tests::{labels, read_log, time};

static GLOBAL_LOCK: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    // A test that failed while holding the lock must not fail the others.
    GLOBAL_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The parts of a log file's name: (workflow part, `YYYYmmdd_HHMMSS`, run id).
fn name_parts(path: &Path) -> (String, String, String) {
    let file = path
        .file_name()
        .unwrap()
        .to_str()
        .expect("a UTF-8 file name");
    let stem = file
        .strip_suffix(".json")
        .unwrap_or_else(|| panic!("`{file}` does not end in .json"));
    let parts: Vec<&str> = stem.rsplitn(4, '_').collect();
    assert_eq!(
        parts.len(),
        4,
        "`{file}` is not <name>_<date>_<time>_<run id>.json"
    );
    let (run, hms, ymd, name) = (parts[0], parts[1], parts[2], parts[3]);
    assert!(
        ymd.len() == 8 && ymd.bytes().all(|b| b.is_ascii_digit()),
        "bad date in `{file}`"
    );
    assert!(
        hms.len() == 6 && hms.bytes().all(|b| b.is_ascii_digit()),
        "bad time in `{file}`"
    );
    assert!(
        !run.is_empty()
            && run
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "bad run id in `{file}`"
    );
    (name.to_owned(), format!("{ymd}_{hms}"), run.to_owned())
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The nested JSON files in `dir`. Everything else there must be a finished run's journal
/// (`<stem>.jsonl` beside `<stem>.json`): no temp file is left behind.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let files = files_in(dir);
    let json: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .cloned()
        .collect();
    for f in &files {
        if f.extension().is_some_and(|e| e == "jsonl") {
            assert!(
                json.contains(&f.with_extension("json")),
                "a journal without its nested file: {f:?}"
            );
        } else {
            assert!(json.contains(f), "an unexpected file: {f:?}");
        }
    }
    json
}

#[test]
fn init_then_finish_writes_the_nested_file() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("my_workflow")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    let expected_path = log.path().expect("a file workflow has a path");
    let run_id = log.workflow().run_id().to_owned();
    workflow_log::event(
        "interaction",
        json!({"agent": "my_agent", "input": "Test Input"}),
    );
    {
        let _it = workflow_log::iteration().start();
        let mut agent = workflow_log::interaction("my_agent").input(&"hi").start();
        agent.output(&"hello");
    }
    let path = log.finish().expect("finish");
    assert_eq!(path, expected_path);
    assert_eq!(path.parent().unwrap(), dir.path());
    // Only the file (and its journal): the temp file was renamed.
    assert_eq!(json_files(dir.path()), std::slice::from_ref(&path));

    let (name, stamp, file_run_id) = name_parts(&path);
    assert_eq!(name, "my_workflow");
    assert_eq!(file_run_id, run_id);

    let doc = read_log(&path);
    assert_eq!(doc["workflow"], "my_workflow");
    assert_eq!(doc["run_id"], run_id.as_str());
    assert_eq!(doc["status"], "ok");
    assert_eq!(labels(&doc, "events"), ["interaction"]);
    assert_eq!(doc["events"][0]["data"]["input"], "Test Input");
    assert_eq!(doc["iterations"][0]["interactions"][0]["output"], "hello");
    // The file's time is the run's start, to the second (read a moment apart).
    let start = time(&doc["start_time"]);
    let named = chrono::NaiveDateTime::parse_from_str(&stamp, "%Y%m%d_%H%M%S")
        .unwrap()
        .and_utc();
    let gap = (start - named).num_seconds();
    assert!((0..=1).contains(&gap), "file time {named}, start {start}");

    #[cfg(unix)]
    for file in files_in(dir.path()) {
        let mode = workflow_log_tests::mode(&file);
        assert_eq!(mode, 0o600, "{file:?} has mode {mode:o}");
    }
}

#[test]
fn events_from_any_thread_reach_the_global_workflow() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("threads")
        .logs_dir(dir.path())
        .init()
        .unwrap();
    std::thread::spawn(|| {
        workflow_log::event("from_thread", json!({"n": 1}));
        let _it = workflow_log::iteration().start();
        workflow_log::action("thread_action").log();
    })
    .join()
    .unwrap();
    workflow_log::event("from_main", json!({"n": 2}));
    let doc = read_log(&log.finish().unwrap());
    assert_eq!(labels(&doc, "events"), ["from_thread", "from_main"]);
    assert_eq!(labels(&doc["iterations"][0], "actions"), ["thread_action"]);
}

#[test]
fn a_second_init_is_an_error_until_the_first_finishes() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let first = Workflow::builder("first")
        .logs_dir(dir.path())
        .init()
        .unwrap();
    let err = Workflow::builder("second")
        .logs_dir(dir.path())
        .init()
        .expect_err("a global workflow is live");
    assert!(matches!(
        &err,
        workflow_log::Error::AlreadyInitialized { workflow } if workflow == "first"
    ));
    assert!(err.to_string().contains("first"), "{err}");
    // The failed init changed nothing: records still go to the first workflow.
    workflow_log::event("still_first", ());
    let first_path = first.finish().unwrap();
    assert_eq!(labels(&read_log(&first_path), "events"), ["still_first"]);

    let second = workflow_log::Workflow::builder("second")
        .logs_dir(dir.path())
        .init()
        .expect("init works again after finish");
    workflow_log::event("in_second", ());
    let second_path = second.finish().unwrap();
    assert_ne!(first_path, second_path);
    assert_eq!(labels(&read_log(&second_path), "events"), ["in_second"]);
    assert_eq!(json_files(dir.path()).len(), 2);
}

#[test]
fn records_after_finish_go_nowhere() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("short")
        .logs_dir(dir.path())
        .init()
        .unwrap();
    let path = log.finish().unwrap();
    // No workflow: no-ops, not panics, and the file is unchanged.
    workflow_log::event("late", ());
    let it = workflow_log::iteration().start();
    assert!(!it.is_enabled());
    drop(it);
    let doc = read_log(&path);
    assert_eq!(doc["events"], json!([]));
    assert_eq!(doc["iterations"], json!([]));
}

#[test]
fn dropping_the_guard_writes_the_file() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("dropped")
        .logs_dir(dir.path())
        .init()
        .unwrap();
    let path = log.path().unwrap();
    workflow_log::event("before_drop", ());
    drop(log);
    assert_eq!(json_files(dir.path()), std::slice::from_ref(&path));
    let doc = read_log(&path);
    assert_eq!(doc["status"], "ok");
    assert_eq!(labels(&doc, "events"), ["before_drop"]);
    // And the global slot is free again.
    Workflow::builder("after")
        .logs_dir(dir.path())
        .init()
        .unwrap()
        .finish()
        .unwrap();
}

#[test]
fn a_guard_dropped_by_a_panic_writes_a_panicked_run() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = Mutex::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let log = Workflow::builder("crashing")
            .logs_dir(dir.path())
            .init()
            .unwrap();
        *path.lock().unwrap() = log.path();
        let _it = workflow_log::iteration().start();
        panic!("the agent crashed");
    }));
    assert!(result.is_err());
    let path = path.into_inner().unwrap().expect("the path was taken");
    let doc = read_log(&path);
    assert_eq!(doc["status"], "panicked");
    assert_eq!(doc["iterations"][0]["status"], "panicked");
}

#[test]
fn init_reads_the_environment() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var(workflow_log::LOGS_DIR_ENV, dir.path());
    std::env::set_var(workflow_log::FILTER_ENV, "warn,env_logger_x=debug");
    let result = std::panic::catch_unwind(|| {
        let log = workflow_log::init("from_env").expect("init with WORKFLOW_LOG_DIR");
        workflow_log::event("info_event", ());
        workflow_log::logger("env_logger_x").debug("kept", ());
        workflow_log::logger("env_logger_y").info("dropped", ());
        log.finish().unwrap()
    });
    std::env::remove_var(workflow_log::FILTER_ENV);
    std::env::remove_var(workflow_log::LOGS_DIR_ENV);
    let path = result.expect("init from the environment");
    assert_eq!(path.parent().unwrap(), dir.path());
    assert_eq!(name_parts(&path).0, "from_env");
    let doc = read_log(&path);
    // `warn` applies to records too: the info-level event is not kept.
    assert_eq!(labels(&doc, "events"), ["kept"]);
}

#[test]
fn the_builder_wins_over_the_environment() {
    let _lock = serial();
    let env_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var(workflow_log::LOGS_DIR_ENV, env_dir.path());
    std::env::set_var(workflow_log::FILTER_ENV, "error");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let log = Workflow::builder("builder_wins")
            .logs_dir(dir.path())
            .level(Level::Info)
            .init()
            .unwrap();
        workflow_log::event("info_event", ());
        log.finish().unwrap()
    }));
    std::env::remove_var(workflow_log::FILTER_ENV);
    std::env::remove_var(workflow_log::LOGS_DIR_ENV);
    let path = result.unwrap();
    assert_eq!(path.parent().unwrap(), dir.path());
    assert!(files_in(env_dir.path()).is_empty());
    assert_eq!(labels(&read_log(&path), "events"), ["info_event"]);
}

#[test]
fn a_logs_dir_that_cannot_be_created_is_an_error_naming_it() {
    let _lock = serial();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not_a_dir");
    std::fs::write(&file, "a regular file").unwrap();
    let bad = file.join("logs");
    let err = Workflow::builder("nowhere")
        .logs_dir(&bad)
        .init()
        .expect_err("a directory under a regular file can't be created");
    assert!(
        matches!(&err, workflow_log::Error::Io { path, .. } if *path == bad),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&bad.display().to_string()),
        "the message doesn't name the path: {err}"
    );
    // Nothing was left half set up.
    Workflow::builder("somewhere")
        .logs_dir(dir.path())
        .init()
        .expect("init after a failed init")
        .finish()
        .unwrap();
}

#[test]
fn hostile_workflow_names_stay_inside_the_logs_dir() {
    let _lock = serial();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("one").join("two");
    let names = [
        "../../x".to_owned(),
        "../escape".to_owned(),
        "..".to_owned(),
        ".".to_owned(),
        String::new(),
        ".hidden".to_owned(),
        "a/b".to_owned(),
        "/etc/passwd".to_owned(),
        "a\\b".to_owned(),
        "C:\\Windows\\x".to_owned(),
        "nul\0byte".to_owned(),
        "control\n\r\t\x07\x1b[31m".to_owned(),
        "x".repeat(300),
        "é".repeat(300),
        "spaces and * ? < > | \" :".to_owned(),
    ];
    for name in &names {
        let log = Workflow::builder(name).logs_dir(&dir).init().unwrap();
        workflow_log::event("hostile", json!({"name": name}));
        let path = log.finish().unwrap();
        assert_eq!(path.parent().unwrap(), dir, "{name:?} escaped: {path:?}");
        let file = path.file_name().unwrap().to_str().unwrap();
        assert!(
            !file.starts_with('.'),
            "{name:?} made a hidden file `{file}`"
        );
        assert!(
            !file.contains("..") && file.chars().all(|c| !c.is_control()),
            "{name:?} made `{file:?}`"
        );
        assert!(
            file.len() <= 255,
            "{name:?} made a name of {} bytes",
            file.len()
        );
        name_parts(&path);
        let doc: Value = read_log(&path);
        assert_eq!(doc["workflow"], name.as_str(), "the JSON keeps the name");
        assert_eq!(doc["events"][0]["data"]["name"], name.as_str());
    }
    // Every file is in the logs dir, and nothing was written anywhere else.
    assert_eq!(json_files(&dir).len(), names.len());
    assert_eq!(files_in(root.path()), [root.path().join("one")]);
    assert_eq!(
        files_in(&root.path().join("one")),
        std::slice::from_ref(&dir)
    );
}
