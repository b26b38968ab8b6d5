//! The capture of a 1 KiB string (an LLM's answer: prose with hyphens, underscores and a few
//! capitals; and a piece of code, with quotes, newlines and snake_case) with the redaction of
//! secret values on (the default) and off, side by side in one process. Each iteration is
//! 1,000 captures: µs per iteration = ns per capture.

use std::hint::black_box;

use divan::Bencher;
use workflow_log::{Workflow, WorkflowBuilder};

const N: usize = 1000;

fn main() {
    workflow_log_benches::warm_up(400 * N);
    divan::main();
}

/// 1 KiB of prose, as a model's answer might read.
fn answer() -> String {
    let sentence = "The re-ranked results use top_k = 5; see docs/api_reference for the \
                    well-known trade-offs. Keep temperature low for JSON output. ";
    let mut text = String::new();
    while text.len() < 1024 {
        text.push_str(sentence);
    }
    text.truncate(1024);
    text
}

/// 1 KiB of code, as a model's tool call might carry: every line ends in an escaped newline,
/// with quotes and snake_case names (`get_`, `has_`, `_path`).
fn code() -> String {
    let lines = "def get_user(repo_path, user_id):\n    \"\"\"Fetch a user by id.\"\"\"\n    \
                 if not has_access(repo_path):\n        raise PermissionError(\"no access\")\n    \
                 return db.query(\"SELECT * FROM users WHERE id = ?\", [user_id])\n";
    let mut text = String::new();
    while text.len() < 1024 {
        text.push_str(lines);
    }
    text.truncate(1024);
    text
}

/// Captures `text` as an action's output, again and again.
fn bench(bencher: Bencher, builder: WorkflowBuilder, text: String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = builder.logs_dir(dir.path()).start().expect("start");
    {
        let _entered = log.enter();
        let mut action = workflow_log::action("answer").start();
        bencher.bench_local(|| {
            for _ in 0..N {
                action.output(black_box(text.as_str()));
            }
        });
    }
    log.finish().expect("finish");
}

#[divan::bench_group(sample_count = 100, sample_size = 4)]
mod capture_1_kib_string {
    use super::*;

    /// Secret values redacted (the default).
    #[divan::bench]
    fn values_redacted(bencher: Bencher) {
        bench(bencher, Workflow::builder("bench"), answer());
    }

    /// Secret values kept (`.redact_values(false)`): the capture without the scan.
    #[divan::bench]
    fn values_kept(bencher: Bencher) {
        bench(
            bencher,
            Workflow::builder("bench").redact_values(false),
            answer(),
        );
    }
}

#[divan::bench_group(sample_count = 100, sample_size = 4)]
mod capture_1_kib_code {
    use super::*;

    /// Secret values redacted (the default).
    #[divan::bench]
    fn values_redacted(bencher: Bencher) {
        bench(bencher, Workflow::builder("bench"), code());
    }

    /// Secret values kept (`.redact_values(false)`).
    #[divan::bench]
    fn values_kept(bencher: Bencher) {
        bench(
            bencher,
            Workflow::builder("bench").redact_values(false),
            code(),
        );
    }
}
