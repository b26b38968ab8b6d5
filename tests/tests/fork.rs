//! A child process made by `fork()` while a workflow runs: the journal's writer thread is not
//! in the child, so the child must never wait for it. The parent's workflows record nothing in
//! the child, and `flush` and `finish` return at once. The tests run one at a time: `fork` in a
//! process running another test's threads would copy them mid-way.

use std::sync::Mutex;
use std::time::Duration;

use workflow_log::{Error, Workflow};
use workflow_log_tests::{fill_the_pipe, read_journal, read_log, record_lines, Pipe};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for the child `pid` and returns its exit code; `None` if it hung (it is killed after
/// 60 s).
fn exit_code(pid: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    let mut polls = 0;
    loop {
        // SAFETY: `status` is a valid place for the child's status.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            break;
        }
        polls += 1;
        if polls > 1200 {
            // SAFETY: `pid` is our child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
    Some(libc::WEXITSTATUS(status))
}

#[test]
fn a_forked_child_never_hangs_and_writes_nothing_into_the_parents_files() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("forked")
        .logs_dir(dir.path())
        .journal_queue(1)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    let entered = log.enter();
    workflow_log::action("before_fork").log();
    workflow_log::flush().unwrap();
    // SAFETY: the child only logs (which must not block) and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // Far more hand-overs than the journal's queue holds.
        for i in 0..10_000 {
            workflow_log::action("in_child").input(&i).log();
        }
        let flushed = workflow_log::flush().is_ok();
        drop(entered);
        let finished = matches!(log.finish(), Err(Error::ForkedChild { .. }));
        // SAFETY: leaves the child at once, without running the parent's exit handlers.
        unsafe { libc::_exit(if flushed && finished { 0 } else { 1 }) };
    }
    // The child must be done soon; a child that hangs is killed and fails the test.
    assert_eq!(
        exit_code(pid),
        Some(0),
        "the child hung, or its flush or finish failed"
    );
    // The parent goes on as if nothing happened.
    workflow_log::action("after_fork").log();
    drop(entered);
    let doc = read_log(&log.finish().unwrap());
    let names: Vec<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["before_fork", "after_fork"]);
    let lines = read_journal(&journal);
    let journaled: Vec<&str> = record_lines(&lines)
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(journaled, ["before_fork", "after_fork"]);
}

/// A `flush` on another thread takes a thread's closed records, and waits, holding that
/// thread's outbox, while the journal's queue is full. A child forked by that thread then: the
/// flushing thread is not in the child, and the child's records must not wait for it.
#[test]
fn a_child_forked_while_another_thread_flushes_its_records_never_hangs() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // The journal is a pipe that nobody reads until released: its writer then waits, and the
    // journal's queue (one batch) fills.
    let pipe = Pipe::new(dir.path());
    let log = pipe
        .workflow("forked_while_flushed", dir.path())
        .start()
        .unwrap();
    let entered = log.enter();
    let interaction = workflow_log::interaction("agent").start();
    // This thread's records: the last ones are not handed over yet (a hand-over comes at
    // most every 1 ms while a thread logs).
    for _ in 0..4 {
        workflow_log::action("mine").log();
    }
    // Another thread fills the pipe and the queue, and then waits to hand more over.
    let filler = fill_the_pipe(log.workflow());
    std::thread::sleep(Duration::from_millis(300));
    // A third thread flushes: it takes this thread's records and waits for the queue, holding
    // this thread's outbox.
    let wf = log.workflow();
    let flusher = std::thread::spawn(move || {
        let _e = wf.enter();
        let _ = workflow_log::flush();
    });
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: the child only closes a record and flushes (which must not block), and leaves
    // with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // Closing the interaction hands this thread's records over.
        drop(interaction);
        workflow_log::action("in_child").log();
        let flushed = workflow_log::flush().is_ok();
        // SAFETY: leaves the child at once, without running the parent's exit handlers.
        unsafe { libc::_exit(if flushed { 0 } else { 1 }) };
    }
    let code = exit_code(pid);
    pipe.release();
    filler.join().unwrap();
    flusher.join().unwrap();
    drop(interaction);
    drop(entered);
    let doc = read_log(&log.finish().unwrap());
    drop(pipe.bytes());
    assert_eq!(code, Some(0), "the child hung, or its flush failed");
    let names: Vec<&str> = doc["interactions"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mine"; 4]);
}
