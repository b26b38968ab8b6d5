//! What a call costs when nothing is recorded. Each iteration is 1,000 calls: µs per iteration
//! = ns per call.
//!
//! Built normally, it measures records below the workflow's level (`Level::Warn` keeps no
//! `Info` record) and calls outside any workflow. Built with workflow-log's `off` feature
//! (`cargo bench -p workflow-log-benches --features off --bench off`), the same calls are
//! compiled away.

use std::hint::black_box;

use divan::Bencher;
use workflow_log::{Level, Workflow};

const N: usize = 1000;

fn main() {
    println!(
        "workflow-log `off` feature: {}",
        if cfg!(feature = "off") {
            "ON (records compiled away)"
        } else {
            "off"
        }
    );
    divan::main();
}

#[workflow_log::action]
#[inline(never)]
fn tool_call(x: u64) -> u64 {
    black_box(x)
}

/// `tool_call` without the attribute: what the call costs with nothing recorded at all.
#[inline(never)]
fn plain_call(x: u64) -> u64 {
    black_box(x)
}

#[inline(never)]
fn calls(which: u8) {
    for i in 0..N as u64 {
        match which {
            0 => {
                let _g = workflow_log::action("tool_call").start();
            }
            1 => {
                black_box(tool_call(i));
            }
            2 => workflow_log::event("tick", i),
            _ => {
                let _g = workflow_log::interaction("agent").input(&i).start();
            }
        }
    }
}

fn below_level(bencher: Bencher, which: u8) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Workflow::builder("bench")
        .logs_dir(dir.path())
        .level(Level::Warn)
        .init()
        .expect("init");
    bencher.bench_local(|| calls(which));
    log.finish().expect("finish");
}

/// Info records in a workflow at level `Warn`.
#[divan::bench_group(sample_count = 100, sample_size = 20)]
mod below_the_level {
    use super::*;

    /// `action("tool_call").start()` + drop.
    #[divan::bench]
    fn action_guard(bencher: Bencher) {
        below_level(bencher, 0);
    }

    /// `#[action] fn tool_call(x: u64) -> u64`, called.
    #[divan::bench]
    fn action_macro(bencher: Bencher) {
        below_level(bencher, 1);
    }

    /// `event("tick", i)`.
    #[divan::bench]
    fn event(bencher: Bencher) {
        below_level(bencher, 2);
    }

    /// `interaction("agent").input(&i).start()` + drop.
    #[divan::bench]
    fn interaction_with_input(bencher: Bencher) {
        below_level(bencher, 3);
    }
}

/// The same calls with no workflow live.
#[divan::bench_group(sample_count = 100, sample_size = 20)]
mod no_workflow {
    use super::*;

    #[divan::bench]
    fn action_guard(bencher: Bencher) {
        bencher.bench_local(|| calls(0));
    }

    #[divan::bench]
    fn action_macro(bencher: Bencher) {
        bencher.bench_local(|| calls(1));
    }
}

/// The same loop calling `fn tool_call(x: u64) -> u64` without `#[action]`, for reference:
/// an annotated call's own cost is its time minus this.
#[divan::bench(sample_count = 100, sample_size = 20)]
fn plain_fn_loop(bencher: Bencher) {
    bencher.bench_local(|| {
        for i in 0..N as u64 {
            black_box(plain_call(i));
        }
    });
}

/// The loop alone, for reference.
#[divan::bench(sample_count = 100, sample_size = 20)]
fn empty_loop(bencher: Bencher) {
    bencher.bench_local(|| {
        for i in 0..N as u64 {
            black_box(i);
        }
    });
}
