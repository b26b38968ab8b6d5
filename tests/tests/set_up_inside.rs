//! An `#[interaction]` around the workflow's own set-up (`#[interaction] fn main() { let log =
//! init(..)?; .. }`, issue 15): the call was made before any workflow existed, so it can't be
//! recorded. It is said once on stderr, with what to write instead. Each case runs in a child
//! process of this test binary (the note is said once per process).

use std::path::Path;
use std::process::Command;

use workflow_log::{interaction, Workflow};
use workflow_log_tests::{children, read_log};

const CHILD: &str = "WORKFLOW_LOG_TEST_CHILD";
const NOTE: &str = "a workflow was started inside an #[iteration] or #[interaction] function";

/// The program's whole run inside an interaction: the workflow starts in it.
#[interaction(agent = "main")]
fn app(dir: &Path) -> usize {
    let log = Workflow::builder("app").logs_dir(dir).init().unwrap();
    workflow_log::action("step").log();
    let doc = read_log(&log.finish().unwrap());
    assert!(children(&doc, "interactions").is_empty());
    children(&doc, "actions").len()
}

/// The same as an `async fn`, as under `#[tokio::main]`.
#[interaction(agent = "main")]
async fn app_async(dir: &Path) -> usize {
    tokio::task::yield_now().await;
    app_inner(dir)
}

fn app_inner(dir: &Path) -> usize {
    let log = Workflow::builder("app").logs_dir(dir).init().unwrap();
    workflow_log::action("step").log();
    let doc = read_log(&log.finish().unwrap());
    assert!(children(&doc, "interactions").is_empty());
    children(&doc, "actions").len()
}

/// The right way: the workflow first, then the interaction.
#[interaction(agent = "main")]
fn work() {
    workflow_log::action("step").log();
}

/// Not a test of its own: what a child process runs, chosen by the environment.
#[test]
fn child() {
    let Ok(case) = std::env::var(CHILD) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    match case.as_str() {
        "sync" => {
            assert_eq!(app(dir.path()), 1);
            assert_eq!(app(dir.path()), 1);
        }
        "async" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            assert_eq!(rt.block_on(app_async(dir.path())), 1);
        }
        "first" => {
            let log = Workflow::builder("app")
                .logs_dir(dir.path())
                .init()
                .unwrap();
            work();
            let doc = read_log(&log.finish().unwrap());
            assert_eq!(doc["interactions"][0]["agent_name"], "main");
        }
        other => panic!("unknown case {other}"),
    }
}

/// Runs the `child` test in a child process with `case`; returns its stderr.
fn run(case: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "child `{case}` failed:\n{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

#[test]
fn a_workflow_started_inside_an_interaction_is_said_once() {
    let stderr = run("sync");
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");
    assert!(stderr.contains("call `init` in a plain `main`"), "{stderr}");
}

#[test]
fn the_same_inside_an_async_interaction() {
    let stderr = run("async");
    assert_eq!(stderr.matches(NOTE).count(), 1, "{stderr}");
}

#[test]
fn nothing_is_said_when_the_workflow_comes_first() {
    let stderr = run("first");
    assert!(!stderr.contains(NOTE), "{stderr}");
}
