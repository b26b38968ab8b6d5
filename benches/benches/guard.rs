//! Open + close of one record with no payload: ours (guards, the macro path), fastrace
//! `#[trace]`, tracing `#[instrument]`, and the floor. Each iteration is 1,000 calls, so the
//! time per iteration in µs is the time per call in ns (the hand-over of a batch every 1,024
//! records, and fastrace's root every 1,000 children, are in it, spread out). The `sustained`
//! group puts 1.1M records into one workflow, for what a long run pays.

use std::hint::black_box;

use divan::Bencher;
use workflow_log::{Workflow, WorkflowGuard};

/// Calls per iteration.
const N: usize = 1000;

fn main() {
    // First, before any thread starts: no bench pays for pages new to the process.
    workflow_log_benches::steady_heap(600 << 20);
    // Only this bench binary uses tracing: its subscriber is the global default, as in an
    // application, so tracing takes its fast path.
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("no other subscriber");
    fastrace::set_reporter(NullReporter, fastrace::collector::Config::default());
    workflow_log_benches::warm_up(400 * N);
    divan::main();
}

/// A default file-backed workflow (journal on), logging into a temp dir.
fn workflow() -> (tempfile::TempDir, WorkflowGuard) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Workflow::builder("bench")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    (dir, log)
}

/// Runs `f` N times per iteration inside an iteration and an interaction of a fresh workflow.
fn bench_ours(bencher: Bencher, f: fn()) {
    bench_in(bencher, workflow(), f);
}

fn bench_in(bencher: Bencher, (_dir, log): (tempfile::TempDir, WorkflowGuard), f: fn()) {
    {
        let _it = workflow_log::iteration().start();
        let _parent = workflow_log::interaction("agent").start();
        bencher.bench_local(|| {
            for _ in 0..N {
                f();
            }
        });
    }
    log.finish().expect("finish");
}

#[divan::bench_group(sample_count = 100, sample_size = 4)]
mod open_close {
    use super::*;

    #[inline(never)]
    pub(super) fn ours_action() {
        let _g = workflow_log::action("tool_call").start();
    }

    #[inline(never)]
    fn ours_span_action() {
        // What `#[action] fn tool_call()` expands to, minus the argument capture.
        let mut span = workflow_log::__private::Call::action("tool_call");
        let _g = span.enter();
    }

    #[inline(never)]
    fn ours_action_usage() {
        let mut g = workflow_log::action("llm_call").start();
        g.usage("gpt-4o", workflow_log::Usage::tokens(120, 30));
    }

    #[inline(never)]
    fn ours_action_usage_fn() {
        let _g = workflow_log::action("llm_call").start();
        workflow_log::usage("gpt-4o", workflow_log::Usage::tokens(120, 30));
    }

    #[inline(never)]
    fn ours_interaction() {
        let _g = workflow_log::interaction("sub_agent").start();
    }

    #[inline(never)]
    fn ours_iteration() {
        let _g = workflow_log::iteration().start();
    }

    /// `action("tool_call").start()` + drop.
    #[divan::bench]
    fn action_guard(bencher: Bencher) {
        bench_ours(bencher, ours_action);
    }

    /// `action("llm_call").start()`, `.usage("gpt-4o", ..)` on the guard, drop: against
    /// `action_guard`, what usage adds to an action.
    #[divan::bench]
    fn action_guard_usage(bencher: Bencher) {
        bench_ours(bencher, ours_action_usage);
    }

    /// `action("llm_call").start()`, `workflow_log::usage("gpt-4o", ..)` (the call for code
    /// inside an `#[action]` fn, where no guard is in reach), drop.
    #[divan::bench]
    fn action_usage_fn(bencher: Bencher) {
        bench_ours(bencher, ours_action_usage_fn);
    }

    /// `action("tool_call").start()` + drop in a workflow with no journal (its records go to
    /// a spill file, whose writer thread skips the journal's `fsync`s and never makes it wait).
    #[divan::bench]
    fn action_guard_no_journal(bencher: Bencher) {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Workflow::builder("bench")
            .logs_dir(dir.path())
            .journal(false)
            .init()
            .expect("init");
        bench_in(bencher, (dir, log), ours_action);
    }

    /// `__private::Call::action("tool_call").enter()` + drop: what `#[action]` expands to on a
    /// function with no arguments, without the function around it.
    #[divan::bench]
    fn action_macro_path(bencher: Bencher) {
        bench_ours(bencher, ours_span_action);
    }

    #[workflow_log::action]
    #[inline(never)]
    pub(super) fn tool_call() {
        black_box(());
    }

    /// `#[action] fn tool_call()`, called.
    #[divan::bench]
    fn action_macro(bencher: Bencher) {
        bench_ours(bencher, tool_call);
    }

    /// `interaction("sub_agent").start()` + drop (it also sends an open notice).
    #[divan::bench]
    fn interaction_guard(bencher: Bencher) {
        bench_ours(bencher, ours_interaction);
    }

    /// `iteration().start()` + drop, auto-numbered (it also sends an open notice).
    #[divan::bench]
    fn iteration_guard(bencher: Bencher) {
        bench_ours(bencher, ours_iteration);
    }

    /// fastrace `#[trace]` under a root with a reporter set: 1,000 children per root.
    #[divan::bench]
    fn fastrace_trace(bencher: Bencher) {
        bench_fastrace(bencher);
    }

    /// tracing `#[instrument]` with a `Registry` subscriber, inside a parent span.
    #[divan::bench]
    fn tracing_instrument(bencher: Bencher) {
        bench_tracing(bencher);
    }

    /// Two TSC reads, a thread-local stack push + pop and a record push.
    #[divan::bench]
    fn floor(bencher: Bencher) {
        bencher.bench_local(|| {
            for _ in 0..N {
                workflow_log_benches::floor_open_close();
            }
        });
    }
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_child() {
    black_box(());
}

/// fastrace `#[trace]` under a root with a reporter set: 1,000 children per root.
fn bench_fastrace(bencher: Bencher) {
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
fn bench_tracing(bencher: Bencher) {
    let parent = tracing::info_span!("parent");
    let _e = parent.enter();
    bencher.bench_local(|| {
        for _ in 0..N {
            tracing_child();
        }
    });
}

/// Sustained open + close: each bench's 1,100 samples of 1,000 calls go into one file-backed
/// workflow (journal on), 1.1M records, beside fastrace and tracing in the same process. What a
/// long run pays (the journal's writer, hand-overs, the growing index) is in the samples: read
/// the **mean**, not only the median.
#[divan::bench_group(sample_count = 1100, sample_size = 1)]
mod sustained {
    use super::open_close::{ours_action, tool_call};
    use super::*;

    /// `action("tool_call").start()` + drop.
    #[divan::bench]
    fn ours_action_guard(bencher: Bencher) {
        bench_ours(bencher, ours_action);
    }

    /// `#[action] fn tool_call()`, called.
    #[divan::bench]
    fn ours_action_fn(bencher: Bencher) {
        bench_ours(bencher, tool_call);
    }

    /// fastrace `#[trace]`, 1,000 children per root.
    #[divan::bench]
    fn fastrace_trace(bencher: Bencher) {
        bench_fastrace(bencher);
    }

    /// tracing `#[instrument]` with a `Registry`.
    #[divan::bench]
    fn tracing_instrument(bencher: Bencher) {
        bench_tracing(bencher);
    }
}

/// The pieces of the budget.
#[divan::bench_group(sample_count = 100, sample_size = 4)]
mod clocks {
    use super::*;

    /// `Instant::now()`.
    #[divan::bench]
    fn instant_now(bencher: Bencher) {
        bencher.bench_local(|| {
            for _ in 0..N {
                black_box(std::time::Instant::now());
            }
        });
    }

    /// `rdtsc`.
    #[divan::bench]
    fn tsc(bencher: Bencher) {
        bencher.bench_local(|| {
            for _ in 0..N {
                black_box(workflow_log_benches::ticks());
            }
        });
    }

    /// The clock every record reads twice (`rdtsc` where the kernel keeps time with it, behind
    /// one relaxed load of which source is in use).
    #[divan::bench]
    fn workflow_log_clock(bencher: Bencher) {
        black_box(workflow_log::__private::clock_now());
        bencher.bench_local(|| {
            for _ in 0..N {
                black_box(workflow_log::__private::clock_now());
            }
        });
    }

    /// quanta's raw reading (`Clock::raw`, also `rdtsc`), the one to compare with ours.
    #[divan::bench]
    fn quanta_raw(bencher: Bencher) {
        let clock = quanta::Clock::new();
        bencher.bench_local(|| {
            for _ in 0..N {
                black_box(clock.raw());
            }
        });
    }

    /// quanta's `Instant::now` (a raw reading, scaled to nanoseconds).
    #[divan::bench]
    fn quanta_now(bencher: Bencher) {
        let clock = quanta::Clock::new();
        bencher.bench_local(|| {
            for _ in 0..N {
                black_box(clock.now());
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
