//! The progress bar a big file is read with: on a terminal it shows, in a pipe it never does.
//! `WORKFLOW_LOG_PROGRESS_BYTES` lowers the size from 50 MiB so that small runs can be used;
//! the terminal is a pseudo-terminal on the binary's stderr.

use std::path::Path;

use crate::common::{agent_run, assert_input_error, cli_with, crashed_journal, nested};

/// The size variable: a file bigger than this many bytes gets the bar.
const VAR: &str = "WORKFLOW_LOG_PROGRESS_BYTES";

#[cfg(unix)]
#[test]
fn a_big_file_read_on_a_terminal_shows_a_progress_bar_and_its_output_is_unchanged() {
    let run = agent_run();
    let file = nested(&run);
    let term = pty::run(&["view".as_ref(), file.as_os_str()], &[(VAR, "0")]);
    assert_eq!(term.code, 0, "{term:?}");
    assert!(
        term.terminal
            .contains(&format!("reading {}", file.display())),
        "{term:?}"
    );
    // It is cleared at the end (the line erased), and drawn on stderr only: what goes to
    // stdout is as without it.
    assert!(term.terminal.ends_with("\r\x1b[2K"), "{term:?}");
    let plain = cli_with(["view".as_ref(), file.as_os_str()], &[]);
    assert_eq!(term.stdout, plain.stdout);
    // A journal's recovery has a spinner instead.
    let (_dir, journal) = crashed_journal();
    let term = pty::run(&["errors".as_ref(), journal.as_os_str()], &[(VAR, "0")]);
    assert_eq!(term.code, 1, "{term:?}");
    assert!(
        term.terminal
            .contains(&format!("recovering {}", journal.display())),
        "{term:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_file_no_bigger_than_the_size_gets_no_bar() {
    let run = agent_run();
    let file = nested(&run);
    let size = std::fs::metadata(file).unwrap().len().to_string();
    for vars in [&[(VAR, size.as_str())][..], &[]] {
        let term = pty::run(&["stats".as_ref(), file.as_os_str()], vars);
        assert_eq!(term.code, 0, "{term:?}");
        assert!(!term.terminal.contains("reading"), "{term:?}");
    }
    let bigger = (std::fs::metadata(file).unwrap().len() - 1).to_string();
    let term = pty::run(&["stats".as_ref(), file.as_os_str()], &[(VAR, &bigger)]);
    assert!(term.terminal.contains("reading"), "{term:?}");
}

#[test]
fn in_a_pipe_nothing_is_drawn_however_big_the_file() {
    let run = agent_run();
    let file = nested(&run);
    let (_dir, journal) = crashed_journal();
    for (sub, path) in [
        ("view", file),
        ("validate", file),
        ("view", journal.as_path()),
    ] {
        let out = cli_with([sub.as_ref(), path.as_os_str()], &[(VAR, "0")]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.stderr, "", "{out:?}");
        assert!(!out.stdout.contains('\x1b'), "{out:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_dumb_terminal_gets_no_bar() {
    let run = agent_run();
    let file = nested(&run);
    let term = pty::run(
        &["view".as_ref(), file.as_os_str()],
        &[(VAR, "0"), ("TERM", "dumb")],
    );
    assert_eq!(term.code, 0, "{term:?}");
    assert_eq!(term.terminal, "", "{term:?}");
}

#[test]
fn a_size_that_is_no_number_is_an_error_naming_the_variable() {
    let run = agent_run();
    let file: &Path = nested(&run);
    let out = cli_with(["view".as_ref(), file.as_os_str()], &[(VAR, "50MB")]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(
        out.stderr
            .contains("`WORKFLOW_LOG_PROGRESS_BYTES`: `50MB` is not a number of bytes"),
        "{out:?}"
    );
    // Its fault is the variable's, not the file's.
    let missing = file.with_extension("missing.json");
    let out = cli_with(["view".as_ref(), missing.as_os_str()], &[(VAR, "1")]);
    assert_input_error(&out, &missing, "can't read it");
}

/// The binary with its stderr on a pseudo-terminal (stdout piped), as a user at a terminal
/// who pipes the output on runs it.
#[cfg(unix)]
mod pty {
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::process::{Command, Stdio};

    /// What a run gave: its exit code, its stdout, and what it wrote to the terminal.
    #[derive(Debug)]
    pub struct Term {
        pub code: i32,
        pub stdout: String,
        pub terminal: String,
    }

    pub fn run(args: &[&OsStr], vars: &[(&str, &str)]) -> Term {
        let (master, slave) = open();
        let mut command = Command::new(env!("CARGO_BIN_EXE_workflow-log"));
        command
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("WORKFLOW_LOG_DIR")
            .env_remove("WORKFLOW_LOG_PROGRESS_BYTES")
            // A terminal indicatif draws on (it draws nothing with `TERM` unset or `dumb`).
            .env("TERM", "xterm")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(slave));
        let child = command.spawn().expect("the binary runs");
        // The parent's copy of the terminal's side goes: only the child holds it now, and
        // reading the other end fails (EIO) once it has exited and all it wrote was read.
        drop(command);
        // Read as it is written: a full terminal would make the child wait.
        let reader = std::thread::spawn(move || drain(master));
        let output = child.wait_with_output().expect("the binary exits");
        let terminal = reader.join().expect("the terminal is read");
        Term {
            code: output.status.code().expect("not killed by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            terminal: String::from_utf8_lossy(&terminal).into_owned(),
        }
    }

    /// A pseudo-terminal of 24 × 200, both ends closed on `exec` (the child gets a copy of
    /// its side as stderr, which stays open), so that no other child of these tests holds it.
    fn open() -> (OwnedFd, OwnedFd) {
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: `openpty` writes two file descriptors to the two pointers; the name and
        // terminal settings may be null; `size` outlives the call.
        let made = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both were just opened and are owned by nothing else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        for fd in [master.as_raw_fd(), slave.as_raw_fd()] {
            // SAFETY: `fd` is open; this only sets its close-on-exec flag.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        (master, slave)
    }

    /// Everything the terminal's reading end gives until the child's side is closed (`EIO` on
    /// Linux, end of file elsewhere).
    fn drain(master: OwnedFd) -> Vec<u8> {
        let mut file = File::from(master);
        let mut all = Vec::new();
        let mut buf = [0; 4096];
        loop {
            match file.read(&mut buf) {
                Ok(0) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
                Err(e) if e.raw_os_error() == Some(libc::EIO) => return all,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("reading the terminal: {e}"),
            }
        }
    }
}
