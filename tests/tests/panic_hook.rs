//! Starting the first journal (which installs the panic hook) on a thread that is already
//! panicking — in a `Drop` during unwinding — neither aborts nor panics. Alone in its binary, so
//! that no earlier test has installed the hook already.

use std::panic;

use workflow_log::Workflow;

struct StartsAWorkflowOnDrop(std::path::PathBuf);

impl Drop for StartsAWorkflowOnDrop {
    fn drop(&mut self) {
        assert!(std::thread::panicking());
        let log = Workflow::builder("during_unwinding")
            .logs_dir(&self.0)
            .start()
            .expect("a workflow starts during unwinding");
        log.finish().expect("and finishes");
    }
}

#[test]
fn the_first_journal_can_start_while_the_thread_unwinds() {
    let dir = tempfile::tempdir().unwrap();
    let caught = panic::catch_unwind(|| {
        let _starts = StartsAWorkflowOnDrop(dir.path().to_owned());
        panic!("unwinding on purpose");
    });
    assert!(caught.is_err());
    let written = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(written, 1);
    // A later workflow still gets the hook (and works).
    let log = Workflow::builder("after")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    log.finish().unwrap();
}
