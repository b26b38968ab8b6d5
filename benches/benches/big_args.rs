//! An `#[action]` whose argument is a big byte buffer: what a call costs as the argument grows
//! past the payload limit (1 MiB of JSON by default; 64 KiB of it is kept). Serialising stops
//! at the limit, so from there on the cost stays flat instead of growing with the size.

use std::hint::black_box;

use divan::Bencher;
use workflow_log::{action, Workflow};

fn main() {
    workflow_log_benches::warm_up(400_000);
    divan::main();
}

#[action]
fn upload(data: &[u8]) -> usize {
    data.len()
}

/// The bytes of the argument: 64 KiB (kept whole), 1 MB, 16 MB.
const SIZES: [usize; 3] = [64 * 1024, 1_000_000, 16_000_000];

#[divan::bench(args = SIZES, sample_count = 20, sample_size = 1)]
fn action_with_bytes(bencher: Bencher, size: usize) {
    bench_action(bencher, size, Workflow::builder("bench"));
}

/// The same with the payload limit at 64 KiB: the cost follows the limit.
#[divan::bench(args = SIZES, sample_count = 20, sample_size = 1)]
fn action_with_bytes_limit_64k(bencher: Bencher, size: usize) {
    bench_action(
        bencher,
        size,
        Workflow::builder("bench").max_payload_bytes(64 * 1024),
    );
}

fn bench_action(bencher: Bencher, size: usize, builder: workflow_log::WorkflowBuilder) {
    let data = vec![7u8; size];
    let dir = tempfile::tempdir().expect("temp dir");
    let log = builder
        .logs_dir(dir.path())
        .journal(false)
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        bencher.bench_local(|| upload(black_box(&data)));
    }
    log.finish().expect("finish");
}

/// The floor: `serde_json::to_writer` of the whole argument.
#[divan::bench(args = SIZES, sample_count = 20, sample_size = 1)]
fn serde_json_whole(bencher: Bencher, size: usize) {
    let data = vec![7u8; size];
    let mut out = Vec::with_capacity(4 * size + 2);
    bencher.bench_local(|| {
        out.clear();
        serde_json::to_writer(&mut out, black_box(&data[..])).expect("serialises");
        out.len()
    });
}
