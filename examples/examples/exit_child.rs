//! A child program for the exit-path tests (`tests/tests/exit_paths.rs`): it logs into a global
//! workflow and then leaves the process in the way its first argument names.
//!
//! ```text
//! cargo run --example exit_child -- <mode> <logs dir>
//! ```
//!
//! | mode         | how the process ends                                                          |
//! |--------------|-------------------------------------------------------------------------------|
//! | `finish`     | `finish()`, exit code 0                                                       |
//! | `panic`      | a panic unwinds out of `main` (exit code 101; the guards' drops write the log) |
//! | `abort_hook` | a panic hook installed before `init` aborts the process (SIGABRT)             |
//! | `exit`       | `flush()`, then `std::process::exit(0)`: no destructor runs                   |
//! | `loop`       | logs forever, calling `flush()` after every 50 records; the parent kills it   |
//!
//! Every mode prints `journal <path>` first, and `flushed <n>` each time a `flush()` returned
//! with `n` records (`step` actions numbered by `seq`) closed before it. `exit_child_abort` runs
//! the `panic` mode in a build with `-C panic=abort`. In the `panic` and `abort_hook` modes a
//! `helper` thread closed two `fetch` actions and waits inside an open `wait_for_reply` action
//! when the process ends.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

/// Records a run keeps: one iteration with a `planner` interaction that takes two steps.
fn steps(first_seq: u64, count: u64) {
    for seq in first_seq..first_seq + count {
        workflow_log::action("step")
            .input(&json!({"seq": seq}))
            .log();
    }
}

/// Starts a thread that logs two `fetch` actions in a `helper` interaction, then waits inside an
/// open `wait_for_reply` action until the returned sender is dropped: the records it closed stay
/// with it, as a blocked worker's would.
fn waiting_helper() -> std::sync::mpsc::Sender<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (keep_tx, keep_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("helper".into())
        .spawn(move || {
            let _helper = workflow_log::interaction("helper").start();
            for n in 0..2u64 {
                workflow_log::action("fetch").input(&json!({"n": n})).log();
            }
            let _wait = workflow_log::action("wait_for_reply").start();
            let _ = ready_tx.send(());
            let _ = keep_rx.recv();
        })
        .expect("the helper thread starts");
    let _ = ready_rx.recv();
    keep_tx
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // The parent reads these lines to know what happened before the process ended.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs `mode`, logging into `dir`.
pub fn run(mode: &str, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    if mode == "abort_hook" {
        // A user's hook that aborts, installed before `init`: ours runs first, then this one.
        std::panic::set_hook(Box::new(|_| std::process::abort()));
    }
    let log = workflow_log::Workflow::builder("exit_child")
        .logs_dir(dir)
        .init()?;
    let journal = log.journal_path().ok_or("no journal")?;
    say(&format!("journal {}", journal.display()));
    say(&format!(
        "nested {}",
        log.path().ok_or("no nested file")?.display()
    ));

    let _iteration = workflow_log::iteration().start();
    match mode {
        "finish" => {
            {
                let mut planner = workflow_log::interaction("planner").input(&"plan").start();
                steps(0, 2);
                planner.output(&"done");
            }
            workflow_log::event("finished", json!({"ok": true}));
            drop(_iteration);
            let path = log.finish()?;
            say(&format!("finished {}", path.display()));
            Ok(())
        }
        "panic" | "abort_hook" => {
            // Still waiting when the run ends, whichever way it ends.
            std::mem::forget(waiting_helper());
            let _planner = workflow_log::interaction("planner").input(&"plan").start();
            steps(0, 2);
            let _doomed = workflow_log::action("doomed").start();
            say("panicking");
            panic!("the agent panicked on purpose");
        }
        "exit" => {
            {
                let _planner = workflow_log::interaction("planner").input(&"plan").start();
                steps(0, 2);
            }
            // Still open at the exit: recovered as `incomplete`.
            let _open = workflow_log::interaction("critic").start();
            steps(2, 1);
            workflow_log::flush()?;
            say("flushed 3");
            std::process::exit(0);
        }
        "loop" => {
            let _planner = workflow_log::interaction("planner").start();
            // The parent kills this process long before the deadline: it only keeps an orphan
            // from running forever.
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut seq = 0;
            while Instant::now() < deadline {
                steps(seq, 50);
                seq += 50;
                workflow_log::flush()?;
                say(&format!("flushed {seq}"));
            }
            Err("the parent did not kill this process".into())
        }
        other => Err(format!("unknown mode `{other}`").into()),
    }
}

#[allow(dead_code)] // `exit_child_abort` includes this file and has a `main` of its own.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: exit_child <finish|panic|abort_hook|exit|loop> <logs dir>".into());
    };
    run(&mode, Path::new(&dir))
}
