//! An `#[action]` whose argument is big: what a call costs as the argument grows past the
//! payload limit (1 MiB of JSON by default; the first 64 KiB of its text is kept). A byte
//! buffer says its length up front, so it is known to be over the limit before it is written:
//! serialising stops once the 64 KiB that are kept are written. A sequence that does not say
//! its length is found out at the limit, after 1 MiB of text: the floor at the default limit.
//! A string is cut at 64 KiB whatever its size.

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

/// `len` bytes as a sequence that does not say its length (an iterator's `serialize_seq(None)`).
struct Unannounced<'a>(&'a [u8]);

impl serde::Serialize for Unannounced<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for b in self.0 {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
}

#[action]
fn upload_unannounced(data: &Unannounced<'_>) -> usize {
    data.0.len()
}

/// The bytes as a sequence of unknown length, at the default limit.
#[divan::bench(args = SIZES, sample_count = 20, sample_size = 1)]
fn action_with_unannounced_bytes(bencher: Bencher, size: usize) {
    let data = vec![7u8; size];
    in_workflow(Workflow::builder("bench"), || {
        bencher.bench_local(|| upload_unannounced(black_box(&Unannounced(&data))));
    });
}

#[action]
fn summarise(text: &str) -> usize {
    text.len()
}

/// A string argument of this many bytes (prose, with no secret in it), at the default limit.
#[divan::bench(args = SIZES, sample_count = 20, sample_size = 1)]
fn action_with_string(bencher: Bencher, size: usize) {
    let line = "The agent read the page and wrote a summary of what it found there. ";
    let text: String = line.chars().cycle().take(size).collect();
    in_workflow(Workflow::builder("bench"), || {
        bencher.bench_local(|| summarise(black_box(&text)));
    });
}

fn in_workflow(builder: workflow_log::WorkflowBuilder, f: impl FnOnce()) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = builder
        .logs_dir(dir.path())
        .journal(false)
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        f();
    }
    log.finish().expect("finish");
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
    in_workflow(builder, || {
        bencher.bench_local(|| upload(black_box(&data)));
    });
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
