//! The `tracing` and `log` bridges, per event: outside any workflow (the no-op every crate's
//! logging pays once the bridge is installed), and inside one, side by side with
//! `workflow_log::event`, a `Logger` line, and `tracing_subscriber::fmt` writing to
//! `std::io::sink`. Each iteration is 1,000 events, so the time per iteration in µs is the time
//! per event in ns.
//!
//! Every `tracing` variant runs under its subscriber as this thread's default
//! (`dispatcher::with_default`), the same path for all: compare a variant with the `Registry`
//! alone to see what the layer adds.

use std::hint::black_box;

use divan::Bencher;
use tracing::dispatcher::{self, Dispatch};
use tracing_subscriber::prelude::*;
use workflow_log::WorkflowGuard;

/// Events per iteration.
const N: u64 = 1000;

fn main() {
    workflow_log::log::install().expect("the only logger of this process");
    workflow_log_benches::warm_up(400 * N as usize);
    divan::main();
}

fn registry() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry())
}

fn ours() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(workflow_log::tracing::layer()))
}

fn fmt_to_sink() -> Dispatch {
    Dispatch::new(
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink)),
    )
}

/// A global file-backed workflow (journal on) in a temp dir, with an iteration and an
/// interaction open around the events.
fn inside(bencher: Bencher, f: impl Fn(u64)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log: WorkflowGuard = workflow_log::Workflow::builder("bench")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("agent").start();
        bencher.bench_local(|| {
            for i in 0..N {
                f(black_box(i));
            }
        });
    }
    log.finish().expect("finish");
}

fn outside(bencher: Bencher, f: impl Fn(u64)) {
    bencher.bench_local(|| {
        for i in 0..N {
            f(black_box(i));
        }
    });
}

#[inline(never)]
fn tracing_event(i: u64) {
    tracing::info!(target: "agent::tools", count = i, "tool called");
}

#[inline(never)]
fn log_record(i: u64) {
    log::info!(target: "agent::tools", count = i; "tool called");
}

/// A logger that does nothing: what `log` itself costs, without us.
struct Noop;

impl log::Log for Noop {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        false
    }
    fn log(&self, _: &log::Record<'_>) {}
    fn flush(&self) {}
}

/// The record `log::info!` makes, handed to `logger`.
#[inline(never)]
fn log_record_to(logger: &dyn log::Log, i: u64) {
    let kvs = [("count", i)];
    logger.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("agent::tools")
            .args(format_args!("tool called"))
            .key_values(&kvs)
            .build(),
    );
}

#[inline(never)]
fn tracing_span(i: u64) {
    tracing::info_span!("tool", count = i).in_scope(|| black_box(()));
}

/// No workflow anywhere in the process.
#[divan::bench_group(sample_count = 100, sample_size = 20)]
mod outside_a_workflow {
    use super::*;

    /// `tracing::info!` with the `Registry` alone: what tracing costs without us.
    #[divan::bench]
    fn tracing_registry_alone(bencher: Bencher) {
        dispatcher::with_default(&registry(), || outside(bencher, tracing_event));
    }

    /// `tracing::info!` with our layer on the `Registry`.
    #[divan::bench]
    fn tracing_with_our_layer(bencher: Bencher) {
        dispatcher::with_default(&ours(), || outside(bencher, tracing_event));
    }

    /// `log::info!` with our logger installed.
    #[divan::bench]
    fn log_with_our_logger(bencher: Bencher) {
        outside(bencher, log_record);
    }

    /// The record of `log::info!`, built and handed to a logger that does nothing: what `log`
    /// costs without us.
    #[divan::bench]
    fn log_record_to_a_noop_logger(bencher: Bencher) {
        outside(bencher, |i| log_record_to(black_box(&Noop), i));
    }

    /// The same record handed to our logger.
    #[divan::bench]
    fn log_record_to_our_logger(bencher: Bencher) {
        outside(bencher, |i| log_record_to(log::logger(), i));
    }

    /// A span made, entered, exited and closed, with the `Registry` alone.
    #[divan::bench]
    fn span_registry_alone(bencher: Bencher) {
        dispatcher::with_default(&registry(), || outside(bencher, tracing_span));
    }

    /// The same span with our layer on the `Registry`.
    #[divan::bench]
    fn span_with_our_layer(bencher: Bencher) {
        dispatcher::with_default(&ours(), || outside(bencher, tracing_span));
    }
}

/// In an interaction of a live file-backed workflow: every event is recorded.
#[divan::bench_group(sample_count = 50, sample_size = 4)]
mod inside_a_workflow {
    use super::*;

    /// `workflow_log::event("log", i)`: our own event, for reference.
    #[divan::bench]
    fn workflow_log_event(bencher: Bencher) {
        inside(bencher, |i| workflow_log::event("tool called", i));
    }

    /// A `Logger` line with one field: what a bridged line is made into.
    #[divan::bench]
    fn workflow_log_logger(bencher: Bencher) {
        let logger = workflow_log::logger("agent.tools");
        inside(bencher, |i| {
            #[derive(serde::Serialize)]
            struct Fields {
                count: u64,
            }
            logger.info("tool called", Fields { count: i });
        });
    }

    /// `tracing::info!` through our layer.
    #[divan::bench]
    fn tracing_with_our_layer(bencher: Bencher) {
        dispatcher::with_default(&ours(), || inside(bencher, tracing_event));
    }

    /// `log::info!` through our logger.
    #[divan::bench]
    fn log_with_our_logger(bencher: Bencher) {
        inside(bencher, log_record);
    }

    /// `tracing::info!` through `tracing_subscriber::fmt` into `std::io::sink` (no workflow
    /// involved): the usual way to log an event, for comparison.
    #[divan::bench]
    fn tracing_fmt_to_sink(bencher: Bencher) {
        dispatcher::with_default(&fmt_to_sink(), || outside(bencher, tracing_event));
    }

    /// A span as an action: made, entered, exited and closed through our layer.
    #[divan::bench]
    fn span_with_our_layer(bencher: Bencher) {
        dispatcher::with_default(&ours(), || inside(bencher, tracing_span));
    }

    /// The same span through `fmt` into `std::io::sink` (which prints nothing for a span but
    /// formats its fields).
    #[divan::bench]
    fn span_fmt_to_sink(bencher: Bencher) {
        dispatcher::with_default(&fmt_to_sink(), || outside(bencher, tracing_span));
    }
}
