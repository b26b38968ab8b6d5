//! Running the binary, and the runs it reads: made with the real library, their nested JSON
//! validated against the shipped schema (by `file_run`), or written by hand where the runtime
//! doesn't write a field yet (usage).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use workflow_log::Workflow;
use workflow_log_tests::{file_run, FileRun};

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `workflow-log` with `args`, stdout and stderr piped, `NO_COLOR` and `CI`-independent.
pub fn cli<I, S>(args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    cli_with(args, &[])
}

/// [`cli`] with the environment variables `vars` set.
pub fn cli_with<I, S>(args: I, vars: &[(&str, &str)]) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_workflow-log"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("WORKFLOW_LOG_DIR")
        .env_remove("WORKFLOW_LOG_PROGRESS_BYTES")
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs");
    Out {
        code: output
            .status
            .code()
            .expect("the binary exits, not killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Asserts a clean exit-2 failure: one line on stderr naming `file` and containing `fault`.
pub fn assert_input_error(out: &Out, file: &Path, fault: &str) {
    assert_eq!(out.code, 2, "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {out:?}");
    assert!(
        lines[0].contains(&format!("`{}`", file.display())),
        "names the file: {out:?}"
    );
    assert!(lines[0].contains(fault), "says `{fault}`: {out:?}");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
}

/// An agent's run: three iterations, a planner, an executor with a researcher sub-agent and
/// work on two other threads, a critic; a tool fails in iteration 2 after a warning.
pub fn agent_run() -> FileRun {
    agent_run_with(false)
}

/// [`agent_run`], where `changed` makes the agent behave differently: the failing tool passes,
/// the critic answers something else, and the researcher makes one more search.
pub fn agent_run_with(changed: bool) -> FileRun {
    file_run(Workflow::builder("coding_agent"), || {
        for i in 1..=3u32 {
            let _it = workflow_log::iteration().start();
            {
                let mut planner = workflow_log::interaction("planner")
                    .input(&json!({"task": "add a --json flag"}))
                    .start();
                workflow_log::action("llm_call")
                    .input(&"plan it")
                    .output(&"1. patch 2. test")
                    .log();
                planner.output(&"patch then test");
            }
            {
                let _executor = workflow_log::interaction("executor").start();
                {
                    let _researcher = workflow_log::interaction("researcher").start();
                    workflow_log::action("web_search").input(&"clap json").log();
                    if changed && i == 1 {
                        workflow_log::action("web_search")
                            .input(&"serde json")
                            .log();
                    }
                }
                let workers: Vec<_> = (0..2)
                    .map(|w| {
                        workflow_log::spawn(move || {
                            workflow_log::action("index_docs").input(&w).log();
                        })
                    })
                    .collect();
                for w in workers {
                    w.join().unwrap();
                }
                workflow_log::logger("executor").warn("running the tests", json!({"iteration": i}));
                let mut tests = workflow_log::action("run_tests").start();
                if i == 2 && !changed {
                    tests.error("1 of 12 tests failed: cli::json_flag");
                } else {
                    tests.output(&"12 passed");
                }
            }
            {
                let mut critic = workflow_log::interaction("critic").start();
                critic.output(if changed {
                    &"approve"
                } else {
                    &"changes requested"
                });
            }
        }
    })
}

/// A run with nothing in it.
pub fn empty_run() -> FileRun {
    file_run(Workflow::builder("idle"), || {})
}

/// A run of 10,000 records and more: 10 iterations of 10 interactions of 99 actions.
pub fn big_run() -> FileRun {
    file_run(Workflow::builder("big"), || {
        for _ in 0..10 {
            let _it = workflow_log::iteration().start();
            for a in 0..10 {
                let _agent = workflow_log::interaction(format!("agent_{a}")).start();
                for n in 0..99u32 {
                    workflow_log::action("step").input(&n).log();
                }
            }
        }
    })
}

/// The journal of a run that crashed: a copy of a live run's journal, taken while an
/// iteration and an interaction were open, with its last line cut in half. It lies alone in
/// the returned directory (with no nested file beside it), which is kept alive by the guard.
pub fn crashed_journal() -> (tempfile::TempDir, PathBuf) {
    let crash_dir = tempfile::tempdir().unwrap();
    let live_dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("crashy")
        .logs_dir(live_dir.path())
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    let name = journal.file_name().unwrap().to_owned();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let _executor = workflow_log::interaction("executor").start();
        workflow_log::logger("executor").info("about to deploy", json!({}));
        workflow_log::action("build").output(&"ok").log();
        workflow_log::action("deploy").input(&"prod").log();
        workflow_log::flush().unwrap();
        let bytes = std::fs::read(&journal).unwrap();
        let cut = bytes.len() - 20;
        std::fs::write(crash_dir.path().join(&name), &bytes[..cut]).unwrap();
    }
    log.finish().unwrap();
    let path = crash_dir.path().join(name);
    (crash_dir, path)
}

/// A nested document written by hand with the usage fields of DESIGN.md §7, two models, and
/// durations given: `slow` multiplies the `run_tests` action's duration by 3.
pub fn usage_doc(slow: bool) -> Value {
    let action = |id: &str, name: &str, us: u64, extra: Value| {
        let mut a = json!({
            "id": id, "action_name": name, "input_data": null, "output_data": "done",
            "metadata": {}, "start_time": "2026-11-24T13:22:07.000000Z",
            "end_time": "2026-11-24T13:22:07.010000Z", "duration_us": us, "status": "ok",
            "thread": "main"
        });
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    let usage_a =
        json!({"input_tokens": 100, "output_tokens": 50, "total_tokens": 150, "cost_usd": 0.0005});
    let usage_b =
        json!({"input_tokens": 20, "output_tokens": 10, "total_tokens": 30, "cost_usd": 0.0001});
    let actions = vec![
        action(
            "3",
            "llm_call",
            4_000,
            json!({"model": "gpt-4o", "usage": usage_a}),
        ),
        action(
            "4",
            "llm_call",
            2_000,
            json!({"model": "claude-haiku", "usage": usage_b}),
        ),
        action(
            "5",
            "run_tests",
            if slow { 30_000 } else { 10_000 },
            json!({}),
        ),
    ];
    let interaction = json!({
        "id": "2", "agent_name": "executor", "input": null, "output": "done",
        "start_time": "2026-11-24T13:22:07.000000Z", "end_time": "2026-11-24T13:22:07.050000Z",
        "duration_us": 50_000, "status": "ok", "thread": "main",
        "actions": actions, "events": [],
        "usage_total": {"input_tokens": 120, "output_tokens": 60, "total_tokens": 180, "cost_usd": 0.0006}
    });
    json!({
        "schema": "workflow-log/1", "workflow": "priced", "run_id": "abc123",
        "start_time": "2026-11-24T13:22:07.000000Z", "end_time": "2026-11-24T13:22:07.100000Z",
        "status": "ok",
        "usage_total": {"input_tokens": 120, "output_tokens": 60, "total_tokens": 180, "cost_usd": 0.0006},
        "usage_by_model": {"gpt-4o": usage_a, "claude-haiku": usage_b},
        "iterations": [{
            "id": "1", "iteration_number": 1, "start_time": "2026-11-24T13:22:07.000000Z",
            "end_time": "2026-11-24T13:22:07.100000Z", "duration_us": 100_000, "status": "ok",
            "thread": "main", "interactions": [interaction]
        }],
        "events": []
    })
}

/// Writes `doc` as `name` in `dir` and returns its path.
pub fn write_json(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path
}

/// The nested file of a run.
pub fn nested(run: &FileRun) -> &Path {
    &run.paths.0
}

/// Runs `workflow-log <sub> <path> <extra...>`.
pub fn on(sub: &str, path: &Path, extra: &[&str]) -> Out {
    let mut args: Vec<&OsStr> = vec![sub.as_ref(), path.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    cli(args)
}
