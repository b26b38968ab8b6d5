//! An action with a small payload (a 3-field struct as its input), against the floor of
//! capturing it: `serde_json::to_writer` of the same struct into a `Vec`. Each iteration is
//! 1,000 calls: µs per iteration = ns per call.

use std::hint::black_box;

use divan::Bencher;
use serde::Serialize;
use workflow_log::Workflow;

const N: usize = 1000;

fn main() {
    workflow_log_benches::warm_up(400 * N);
    divan::main();
}

#[derive(Serialize)]
struct Query {
    query: &'static str,
    top_k: u32,
    temperature: f64,
}

const QUERY: Query = Query {
    query: "rust tracing benchmarks",
    top_k: 5,
    temperature: 0.2,
};

fn bench_ours(bencher: Bencher, f: fn(&Query)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Workflow::builder("bench")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        let _parent = workflow_log::interaction("agent").start();
        bencher.bench_local(|| {
            for _ in 0..N {
                f(black_box(&QUERY));
            }
        });
    }
    log.finish().expect("finish");
}

#[divan::bench_group(sample_count = 100, sample_size = 4)]
mod small_payload {
    use super::*;

    /// `action("web_search").input(&query).start()` + drop.
    #[divan::bench]
    fn action_guard_input(bencher: Bencher) {
        bench_ours(bencher, |q| {
            let _g = workflow_log::action("web_search").input(q).start();
        });
    }

    /// `action("web_search").input(&query).log()`: an instant action.
    #[divan::bench]
    fn action_log_input(bencher: Bencher) {
        bench_ours(bencher, |q| {
            workflow_log::action("web_search").input(q).log();
        });
    }

    #[workflow_log::action]
    #[inline(never)]
    fn web_search(query: &Query) {
        black_box(query);
    }

    /// `#[action] fn web_search(query: &Query)`, called: the argument is the input.
    #[divan::bench]
    fn action_macro_input(bencher: Bencher) {
        bench_ours(bencher, web_search);
    }

    /// The floor: `serde_json::to_writer` into a new `Vec` (a record keeps its own copy).
    #[divan::bench]
    fn serde_json_to_writer(bencher: Bencher) {
        bencher.bench_local(|| {
            for _ in 0..N {
                let mut out = Vec::new();
                serde_json::to_writer(&mut out, black_box(&QUERY)).expect("serialize");
                black_box(out);
            }
        });
    }

    /// `serde_json::to_writer` into one `Vec`, cleared and reused: no allocation at all.
    #[divan::bench]
    fn serde_json_to_writer_reused(bencher: Bencher) {
        let mut out = Vec::with_capacity(256);
        bencher.bench_local(|| {
            for _ in 0..N {
                out.clear();
                serde_json::to_writer(&mut out, black_box(&QUERY)).expect("serialize");
                black_box(&out);
            }
        });
    }
}
