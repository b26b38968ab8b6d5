//! Recover at scale: the nested file rebuilt from a big journal by the streaming path
//! (`recover_to_file`, and `recover_to_writer` into `io::sink()` to leave the disk out), in MB
//! of journal per second of wall time and per second of CPU, and peak memory. Each recovery
//! runs in a child process of its own that does nothing else, and reports its wall time, its
//! CPU time (user + system, `/proc/self/stat`) and its peak resident set (`VmHWM` from
//! `/proc/self/status`), so the memory of making the journal is not counted. On a machine
//! shared with other work, MB per CPU second moves much less than MB per second.
//!
//! Two journals, each at least `RECOVER_MB` (default 300) MB, made by a real workflow:
//! - `agent`: iterations of three agents, each with an LLM call (prompt and response payloads,
//!   usage), three tool calls with small payloads and two log lines;
//! - `bare`: actions without any payload, a hundred per interaction: the smallest lines a
//!   journal has, where the index is the largest share of the file.
//!
//! `cargo bench -p workflow-log-benches --bench recover` (a custom harness: it prints its own
//! table, ranges and medians of `RUNS` runs). `RECOVER_VALUE=1` also runs `recover` (the
//! `serde_json::Value`) once per journal, for comparison.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::json;
use workflow_log::{Usage, Workflow};

const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2..]);
        return;
    }
    let mb: u64 = std::env::var("RECOVER_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let with_value = std::env::var("RECOVER_VALUE").is_ok_and(|v| v == "1");
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = run_child("none", Path::new("-"), dir.path()).2;
    println!(
        "recover at scale: journals of at least {mb} MB, {RUNS} runs each (min / median / max)"
    );
    println!(
        "peak RSS of a child process that does nothing: {:.1} MB",
        baseline
    );
    println!(
        "{:<6} {:>10} {:>10} {:>8} {:<24} {:>18} {:>18} {:>24} {:>9}",
        "shape",
        "journal MB",
        "records",
        "B/line",
        "path",
        "MB/s",
        "MB/CPU s",
        "peak RSS MB",
        "% journal"
    );
    for shape in [Shape::Agent, Shape::Bare] {
        let (journal, nested, records) = make_journal(dir.path(), shape, mb << 20);
        let size = std::fs::metadata(&journal).expect("journal").len();
        let mut modes = vec![
            ("file", "recover_to_file"),
            ("sink", "recover_to_writer(sink)"),
        ];
        if with_value {
            modes.push(("value", "recover (Value)"));
        }
        for (mode, label) in modes {
            let runs = if mode == "value" { 1 } else { RUNS };
            let mut rates = Vec::new();
            let mut cpu_rates = Vec::new();
            let mut peaks = Vec::new();
            for _ in 0..runs {
                let (wall, cpu, peak) = run_child(mode, &journal, dir.path());
                rates.push(size as f64 / 1e6 / wall);
                cpu_rates.push(size as f64 / 1e6 / cpu);
                peaks.push(peak);
            }
            let peak_median = median(&peaks);
            println!(
                "{:<6} {:>10.0} {:>10} {:>8.0} {:<24} {:>18} {:>18} {:>24} {:>9.1}",
                shape.name(),
                size as f64 / 1e6,
                records,
                size as f64 / records as f64,
                label,
                range(&rates, 0),
                range(&cpu_rates, 0),
                range(&peaks, 1),
                peak_median * 1e6 / size as f64 * 100.0,
            );
            if mode == "file" {
                let recovered = std::fs::read(dir.path().join("recovered.json")).expect("out");
                let written = std::fs::read(&nested).expect("nested file");
                println!(
                    "       the recovered file is the nested file `finish` wrote, byte for byte: {}",
                    if recovered == written { "yes" } else { "NO" }
                );
            }
        }
        std::fs::remove_file(&journal).ok();
        std::fs::remove_file(&nested).ok();
        std::fs::remove_file(dir.path().join("recovered.json")).ok();
    }
}

/// "min / median / max".
fn range(values: &[f64], decimals: usize) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    format!(
        "{:.*} / {:.*} / {:.*}",
        decimals,
        v[0],
        decimals,
        median(&v),
        decimals,
        v[v.len() - 1]
    )
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs one recovery in a child process: its wall time and CPU time (s) and peak RSS (MB of
/// 10^6 bytes).
fn run_child(mode: &str, journal: &Path, dir: &Path) -> (f64, f64, f64) {
    // Not timed: replacing the last run's file would free its blocks in the rename.
    std::fs::remove_file(dir.join("recovered.json")).ok();
    let exe = std::env::current_exe().expect("this bench's path");
    let out = Command::new(exe)
        .arg("--child")
        .arg(mode)
        .arg(journal)
        .arg(dir.join("recovered.json"))
        .output()
        .expect("run the child");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().expect("a number"));
    let wall = fields.next().expect("wall");
    let cpu = fields.next().expect("cpu");
    let peak_kb = fields.next().expect("peak");
    // `VmHWM` counts kibibytes; MB here are 10^6 bytes, as for the journal.
    (wall, cpu, peak_kb * 1024.0 / 1e6)
}

/// In the child: one recovery, then "<wall seconds> <CPU seconds> <VmHWM kB>" on stdout.
fn child(args: &[String]) {
    let [mode, journal, out] = args else {
        panic!("--child MODE JOURNAL OUT");
    };
    let (journal, out) = (Path::new(journal), Path::new(out));
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    match mode.as_str() {
        "none" => {}
        "file" => workflow_log::recover_to_file(journal, out).expect("recover_to_file"),
        "sink" => {
            workflow_log::recover_to_writer(journal, std::io::sink()).expect("recover_to_writer");
        }
        "value" => {
            let value = workflow_log::recover(journal).expect("recover");
            std::hint::black_box(&value);
            // Dropping a big `Value` takes seconds of its own: counted, as a caller pays it.
            drop(value);
        }
        other => panic!("unknown mode {other}"),
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{wall} {cpu} {hwm}");
}

/// User + system time of this process so far (`/proc/self/stat`, in clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are the 12th
    // and 13th of them.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / 100.0
}

#[derive(Clone, Copy)]
enum Shape {
    Agent,
    Bare,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Agent => "agent",
            Shape::Bare => "bare",
        }
    }
}

/// Runs a workflow of `shape` until its journal holds at least `bytes`; returns the journal's
/// path, the nested file's and the number of records.
fn make_journal(dir: &Path, shape: Shape, bytes: u64) -> (PathBuf, PathBuf, u64) {
    let log = Workflow::builder(shape.name())
        .logs_dir(dir)
        .start()
        .expect("start");
    let journal = log.journal_path().expect("journal on");
    let mut records = 0u64;
    {
        let _entered = log.enter();
        let mut n = 0u64;
        loop {
            records += match shape {
                Shape::Agent => agent_iteration(n),
                Shape::Bare => bare_iteration(),
            };
            n += 1;
            if n % 64 == 0 {
                workflow_log::flush().expect("flush");
                if std::fs::metadata(&journal).map_or(0, |m| m.len()) >= bytes {
                    break;
                }
            }
        }
    }
    let nested = log.finish().expect("finish");
    (journal, nested, records)
}

const PROMPT: &str = "You are the executor agent of a coding assistant. Read the plan, pick the next step, \
    call the tools you need and report what changed. Keep answers short; cite file paths and line numbers.";
const ANSWER: &str = "The failing test is `parser::tests::nested_arrays`: the tokenizer drops the closing \
    bracket when a comment follows it. I changed `lex_comment` to stop before `]` and re-ran the suite: \
    142 passed, 0 failed. Next: update the changelog and ask the critic to review the diff.";

/// One iteration of three agents; returns the records it made.
fn agent_iteration(n: u64) -> u64 {
    let _it = workflow_log::iteration().start();
    let mut records = 1;
    for agent in ["planner", "executor", "critic"] {
        let mut interaction = workflow_log::interaction(agent)
            .input(&json!({"task": "fix the failing parser test", "iteration": n}))
            .start();
        {
            let mut chat = workflow_log::action("chat")
                .input(&json!({"model": "gpt-4o", "messages": [
                    {"role": "system", "content": PROMPT},
                    {"role": "user", "content": format!("Step {n}: what next?")}]}))
                .start();
            chat.usage("gpt-4o", Usage::tokens(850 + n % 100, 120).cost_usd(0.0033));
            chat.output(&ANSWER);
        }
        for (tool, query) in [
            ("web_search", "tokenizer closing bracket comment"),
            ("read_file", "src/parser/lex.rs"),
            ("run_tests", "cargo test -p parser"),
        ] {
            workflow_log::action(tool)
                .input(&json!({"query": query}))
                .output(&json!({"ok": true, "summary": "142 passed; 0 failed", "ms": 38}))
                .log();
        }
        let logger = workflow_log::logger(agent);
        logger.info("step done", json!({"step": n, "ms": 12}));
        logger.info("tokens", json!({"in": 850, "out": 120}));
        interaction.output(&"applied the fix and re-ran the tests");
        records += 1 + 1 + 3 + 2;
    }
    records
}

/// One iteration of ten interactions of a hundred actions without payloads.
fn bare_iteration() -> u64 {
    let _it = workflow_log::iteration().start();
    for _ in 0..10 {
        let _agent = workflow_log::interaction("executor_agent").start();
        for _ in 0..100 {
            let _tool = workflow_log::action("tool_call").start();
        }
    }
    1 + 10 * 101
}
