//! Sustained open + close: 1,100,000 records into one file-backed workflow (journal on), side
//! by side with fastrace `#[trace]` (a reporter set, 1,000 children per root) and tracing
//! `#[instrument]` (a `Registry`), in one process. Each sample is 1,000 calls (µs per sample is
//! ns per call) and the 1,100 samples of a bench all go into the same workflow, so what a long
//! run pays (the journal's writer, hand-overs, a growing index) is in them: read the **mean**,
//! not only the median.
//!
//! `cargo bench -p workflow-log-benches --bench sustained`

use std::hint::black_box;

use divan::Bencher;
use workflow_log::Workflow;

/// Calls per sample.
const N: usize = 1000;

fn main() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("no other subscriber");
    fastrace::set_reporter(NullReporter, fastrace::collector::Config::default());
    workflow_log_benches::warm_up(400 * N);
    divan::main();
}

/// Runs `f` N times per sample, every sample into one file-backed workflow, inside an
/// iteration and an interaction; then finishes it (not timed).
fn ours(bencher: Bencher, f: fn()) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Workflow::builder("sustained")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("agent").start();
        bencher.bench_local(|| {
            for _ in 0..N {
                f();
            }
        });
    }
    log.finish().expect("finish");
}

#[divan::bench_group(sample_count = 1100, sample_size = 1)]
mod sustained {
    use super::*;

    #[workflow_log::action]
    #[inline(never)]
    fn ours_child() {
        black_box(());
    }

    #[inline(never)]
    fn ours_guard() {
        let _g = workflow_log::action("tool_call").start();
    }

    /// `#[action] fn`, 1.1M records in one workflow.
    #[divan::bench]
    fn ours_action_fn(bencher: Bencher) {
        ours(bencher, ours_child);
    }

    /// `action("tool_call").start()` + drop, 1.1M records in one workflow.
    #[divan::bench]
    fn ours_action_guard(bencher: Bencher) {
        ours(bencher, ours_guard);
    }

    #[fastrace::trace]
    #[inline(never)]
    fn fastrace_child() {
        black_box(());
    }

    /// fastrace `#[trace]` under a root with a reporter set: 1,000 children per root.
    #[divan::bench]
    fn fastrace_trace(bencher: Bencher) {
        use fastrace::prelude::*;
        bencher.bench_local(|| {
            let root = Span::root("root", SpanContext::random());
            let _g = root.set_local_parent();
            for _ in 0..N {
                fastrace_child();
            }
        });
    }

    #[tracing::instrument]
    #[inline(never)]
    fn tracing_child() {
        black_box(());
    }

    /// tracing `#[instrument]` with a `Registry` subscriber, inside a parent span.
    #[divan::bench]
    fn tracing_instrument(bencher: Bencher) {
        let parent = tracing::info_span!("parent");
        let _e = parent.enter();
        bencher.bench_local(|| {
            for _ in 0..N {
                tracing_child();
            }
        });
    }
}

struct NullReporter;

impl fastrace::collector::Reporter for NullReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans);
    }
}
