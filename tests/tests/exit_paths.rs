//! How a process ends, each in a child process (`examples/examples/exit_child.rs`): a normal
//! finish; a panic unwinding out of `main`; a `panic = "abort"` build; a panic hook that
//! aborts; `std::process::exit` after `flush()`; SIGKILL mid-run. Whatever the ending, the
//! journal holds what it promised and `recover` reads it.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use workflow_log_tests::{find, read_log, recover_valid, steps, Kind};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// What `cargo build --workspace --example exit_child` reported: the example's executable and
/// the libraries it links, built once for every test here.
struct Built {
    exe: PathBuf,
    /// `(crate name, rlib)` of each library the build used, with the example's edition.
    libs: Vec<(String, PathBuf)>,
    edition: String,
}

/// Builds `exit_child` of `workflow-log-examples`. `--workspace`, so that cargo resolves features
/// as `cargo test --workspace` does (with `-p workflow-log-examples` alone it compiled the
/// examples' whole dependency tree again with other features). Even so, after `cargo test
/// --workspace` cargo still compiles a few crates again here (`syn`, `serde`, `tokio`, the
/// runtime: their hashes differ, the features do not). Cargo does not hold the build lock while
/// tests run, so this works from inside `cargo test`.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(WORKSPACE)
            .args([
                "build",
                "-q",
                "--workspace",
                "--example",
                "exit_child",
                "--message-format=json",
            ])
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "building example exit_child failed");
        let mut exe = None;
        let mut edition = None;
        let mut libs = Vec::new();
        for msg in String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|msg| msg["reason"] == "compiler-artifact")
        {
            let target = &msg["target"];
            if target["name"] == "exit_child" {
                exe = msg["executable"].as_str().map(PathBuf::from);
                edition = target["edition"].as_str().map(str::to_owned);
            }
            let rlib = msg["filenames"].as_array().into_iter().flatten();
            if let Some(rlib) = rlib
                .filter_map(Value::as_str)
                .find(|f| f.ends_with(".rlib"))
            {
                let name = target["name"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('-', "_");
                libs.push((name, PathBuf::from(rlib)));
            }
        }
        Built {
            exe: exe.expect("cargo named no executable for example exit_child"),
            libs,
            edition: edition.expect("cargo named no edition for example exit_child"),
        }
    })
}

fn exit_child() -> &'static Path {
    &built().exe
}

/// `exit_child_abort` built with `-C panic=abort`: rustc, called as `cargo rustc -p
/// workflow-log-examples --example exit_child_abort -- -C panic=abort` would call it, but against
/// the libraries `built()` reported, so that no dependency is compiled again (a binary that
/// aborts may link libraries built to unwind). It passes `--extern` for the crates
/// `exit_child.rs` uses: `workflow_log` and `serde_json`.
fn exit_child_abort() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let built = built();
        let lib = |name: &str| {
            let (_, rlib) = built
                .libs
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("cargo built no library {name} for exit_child"));
            rlib
        };
        let workflow_log = lib("workflow_log");
        let deps = workflow_log.parent().expect("the rlib sits in a directory");
        let exe = built.exe.with_file_name("exit_child_abort-panic-abort");
        // The rustc that built those libraries: cargo's, next to it, unless cargo was told
        // another one.
        let rustc = std::env::var_os("RUSTC")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO")).with_file_name("rustc"));
        let extern_lib = |name: &str| format!("{name}={}", lib(name).display());
        let status = Command::new(rustc)
            .current_dir(WORKSPACE)
            .args(["--edition", &built.edition])
            .args(["--crate-name", "exit_child_abort", "--crate-type", "bin"])
            .arg("examples/examples/exit_child_abort.rs")
            .args(["-C", "panic=abort"])
            .arg("-L")
            .arg(format!("dependency={}", deps.display()))
            .args(["--extern", &extern_lib("workflow_log")])
            .args(["--extern", &extern_lib("serde_json")])
            .arg("-o")
            .arg(&exe)
            .status()
            .expect("rustc runs");
        assert!(status.success(), "building example exit_child_abort failed");
        exe
    })
}

/// What a child left behind.
struct Run {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
    journal: PathBuf,
    nested: PathBuf,
    _dir: tempfile::TempDir,
}

impl Run {
    fn recovered(&self) -> Value {
        recover_valid(&self.journal)
    }

    fn said(&self, line: &str) -> bool {
        self.stdout.iter().any(|l| l == line)
    }
}

fn path_after(stdout: &[String], prefix: &str) -> PathBuf {
    stdout
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("the child did not print `{prefix}...`: {stdout:?}"))
}

fn run(exe: &Path, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(exe)
        .args(args)
        .arg(dir.path())
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the child runs");
    let stdout: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        status: out.status,
        journal: path_after(&stdout, "journal "),
        nested: path_after(&stdout, "nested "),
        stdout,
        stderr,
        _dir: dir,
    }
}

#[test]
fn a_normal_finish_writes_the_nested_file_and_a_complete_journal() {
    let run = run(exit_child(), &["finish"]);
    assert!(run.status.success(), "{:?}\n{}", run.status, run.stderr);
    let finished = path_after(&run.stdout, "finished ");
    assert_eq!(finished, run.nested);
    let doc = read_log(&run.nested);
    assert_eq!(doc["status"], "ok");
    assert_eq!(steps(&doc), [0, 1]);
    assert_eq!(
        find(&doc, Kind::Interaction, "planner").value["output"],
        "done"
    );
    assert_eq!(run.recovered(), doc);
}

#[test]
fn a_panic_unwinding_out_of_main_still_writes_the_nested_file() {
    let run = run(exit_child(), &["panic"]);
    assert_eq!(run.status.code(), Some(101), "{}", run.stderr);
    assert!(run.said("panicking"));
    assert!(
        run.stderr.contains("the agent panicked on purpose"),
        "{}",
        run.stderr
    );
    // Written by the workflow guard's drop during the unwinding.
    let doc = read_log(&run.nested);
    assert_eq!(doc["status"], "panicked");
    let it = &doc["iterations"][0];
    assert_eq!(it["status"], "panicked");
    let planner = &it["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(planner["status"], "panicked");
    assert_eq!(steps(&doc), [0, 1]);
    assert_eq!(planner["actions"][0]["status"], "ok");
    assert_eq!(planner["actions"][1]["status"], "ok");
    let doomed = find(&doc, Kind::Action, "doomed").value;
    assert_eq!(doomed["status"], "panicked");
    assert!(doomed["end_time"].is_string());
    // A thread still waiting inside an open record: `finish` took what it closed.
    check_helper(&doc, "incomplete");
    assert_eq!(run.recovered(), doc);
}

/// Under `panic = "abort"` no destructor runs: there is no nested file, but the panic hook
/// flushed the journal, so every record closed before the panic is in it (no `flush()` was
/// called), and the records open at the panic are `incomplete`.
fn check_aborted(run: &Run) {
    assert_eq!(
        run.status.signal(),
        Some(6),
        "expected SIGABRT, got {:?}\n{}",
        run.status,
        run.stderr
    );
    assert!(run.said("panicking"));
    assert!(!run.nested.exists(), "no destructor should have run");
    let doc = run.recovered();
    assert_eq!(doc["status"], "incomplete");
    let it = &doc["iterations"][0];
    assert_eq!(it["status"], "incomplete");
    let planner = &it["interactions"][0];
    assert_eq!(planner["agent_name"], "planner");
    assert_eq!(planner["input"], "plan");
    assert_eq!(planner["status"], "incomplete");
    assert_eq!(planner["end_time"], Value::Null);
    assert_eq!(steps(&doc), [0, 1]);
    // The timed action still open at the panic: the hook's flush wrote its open line.
    let doomed = &planner["actions"][2];
    assert_eq!(doomed["action_name"], "doomed");
    assert_eq!(doomed["status"], "incomplete");
    assert_eq!(doomed["end_time"], Value::Null);
    check_helper(&doc, "incomplete");
}

/// The helper thread of the `panic` mode: it closed two `fetch` actions (kept with it) and
/// waits inside `wait_for_reply`, all inside its `helper` interaction.
fn check_helper(doc: &Value, status: &str) {
    let helper = find(doc, Kind::Interaction, "helper").value;
    assert_eq!(helper["status"], status, "{doc}");
    let actions = helper["actions"].as_array().expect("the helper's actions");
    let names: Vec<_> = actions.iter().map(|a| &a["action_name"]).collect();
    assert_eq!(names, ["fetch", "fetch", "wait_for_reply"], "{doc}");
    assert_eq!(actions[1]["input_data"]["n"], 1);
    assert_eq!(actions[2]["status"], status);
    assert_eq!(actions[2]["end_time"], Value::Null);
}

#[test]
fn a_panic_abort_build_leaves_a_journal_with_every_record_closed_before_the_panic() {
    let run = run(exit_child_abort(), &[]);
    assert_eq!(
        run.stdout.first().map(String::as_str),
        Some("panic=abort"),
        "the child was not built with panic=abort"
    );
    check_aborted(&run);
}

#[test]
fn a_panic_hook_that_aborts_still_gets_the_journal_flushed() {
    // The user's hook, installed before `init`, aborts; workflow-log's hook wraps it.
    let run = run(exit_child(), &["abort_hook"]);
    check_aborted(&run);
}

#[test]
fn process_exit_right_after_flush_leaves_a_complete_journal() {
    let run = run(exit_child(), &["exit"]);
    assert!(run.status.success(), "{:?}\n{}", run.status, run.stderr);
    assert!(run.said("flushed 3"));
    assert!(!run.nested.exists(), "exit runs no destructor");
    let doc = run.recovered();
    assert_eq!(doc["status"], "incomplete");
    assert_eq!(steps(&doc), [0, 1, 2]);
    let planner = find(&doc, Kind::Interaction, "planner").value;
    assert_eq!(planner["status"], "ok");
    let critic = find(&doc, Kind::Interaction, "critic").value;
    assert_eq!(critic["status"], "incomplete");
    assert_eq!(critic["actions"][0]["input_data"]["seq"], 2);
    assert_eq!(doc["iterations"][0]["status"], "incomplete");
}

/// The child logs `step`s without end, calling `flush()` every 50 and printing `flushed <n>`
/// when it returns. Killed with SIGKILL, it leaves a journal with at least every step before
/// the last `flushed` it printed: a contiguous prefix of the steps, each once.
#[test]
fn sigkill_keeps_every_record_closed_before_the_last_flush_that_returned() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(exit_child())
        .arg("loop")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut journal = None;
    let mut flushes = 0;
    let mut last_flushed = 0;
    let note = |line: &str, journal: &mut Option<PathBuf>, last_flushed: &mut u64| {
        if let Some(path) = line.strip_prefix("journal ") {
            *journal = Some(PathBuf::from(path));
        }
        if let Some(n) = line.strip_prefix("flushed ") {
            *last_flushed = n.parse().unwrap();
            return true;
        }
        false
    };
    while flushes < 20 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                panic!("the child stopped talking ({e}) after {flushes} flushes");
            }
        };
        if note(&line, &mut journal, &mut last_flushed) {
            flushes += 1;
        }
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    reader.join().unwrap();
    // Also the `flushed` lines still in the pipe at the kill: each was printed after its
    // flush returned.
    for line in rx.try_iter() {
        note(&line, &mut journal, &mut last_flushed);
    }
    assert!(last_flushed >= 20 * 50);
    let journal = journal.expect("the child printed its journal");
    let doc = recover_valid(&journal);
    let got = steps(&doc);
    assert!(
        got.len() as u64 >= last_flushed,
        "{} steps recovered, {last_flushed} were flushed",
        got.len()
    );
    assert_eq!(got, (0..got.len() as u64).collect::<Vec<_>>());
    assert_eq!(doc["status"], "incomplete");
    let planner = find(&doc, Kind::Interaction, "planner").value;
    assert_eq!(planner["status"], "incomplete");
    assert_eq!(doc["iterations"][0]["status"], "incomplete");
}
