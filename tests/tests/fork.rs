//! A child process made by `fork()` while a workflow runs: the journal's writer thread is not
//! in the child, so the child must never wait for it. The parent's workflows record nothing in
//! the child, and `flush` and `finish` return at once. One test: `fork` in a process running
//! other tests' threads would copy them mid-way.

use std::time::Duration;

use workflow_log::{Error, Workflow};
use workflow_log_tests::{read_journal, read_log, record_lines};

#[test]
fn a_forked_child_never_hangs_and_writes_nothing_into_the_parents_files() {
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
            panic!("the forked child hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "flush or finish failed in the child"
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
