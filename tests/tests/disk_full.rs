//! A disk that fills up and then has space again, made with the file size limit
//! (`RLIMIT_FSIZE`): a write past it is cut short, the next one fails with `EFBIG`. The limit
//! is the process's, so this file holds one test.

use serde_json::Value;
use workflow_log::{Error, Workflow};
use workflow_log_tests::{journal_lines, read_log, record_lines};

/// Sets the soft limit on the size of files this process writes.
fn limit_file_size(bytes: libc::rlim_t) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` to fill in and then to pass back.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
        limit.rlim_cur = bytes.min(limit.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
}

#[test]
fn a_line_longer_than_the_buffer_is_whole_or_absent_and_the_count_is_exact() {
    // SAFETY: ignoring SIGXFSZ makes a write past the limit fail with `EFBIG` instead of
    // ending the process.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("disk_full")
        .logs_dir(dir.path())
        .max_string_bytes(1 << 20)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    let nested = log.path().unwrap();
    {
        let _entered = log.enter();
        workflow_log::action("before").log();
        workflow_log::flush().unwrap();
        // The disk fills up in the middle of a line four times the writer's buffer.
        let written = std::fs::metadata(&journal).unwrap().len();
        limit_file_size(written + 100_000);
        let big = "x".repeat(256 * 1024);
        workflow_log::action("too_big").input(&big).log();
        assert!(matches!(workflow_log::flush(), Err(Error::Journal { .. })));
        // Space again.
        limit_file_size(libc::RLIM_INFINITY);
        workflow_log::action("after").log();
        workflow_log::flush().expect_err("a record was lost");
    }
    let err = log.finish().expect_err("a record was lost");
    assert!(
        matches!(err, Error::RecordsLost { count: 1, .. }),
        "{err:?}"
    );
    // Every line of the journal is whole; only the big one is missing.
    let lines = journal_lines(&std::fs::read(&journal).unwrap());
    let names: Vec<&Value> = record_lines(&lines).iter().map(|l| &l["name"]).collect();
    assert_eq!(names, ["before", "after"]);
    let doc = read_log(&nested);
    assert_eq!(doc["actions"].as_array().unwrap().len(), 3);
}
