//! The first clock reading of a process, ours beside quanta's: the one a program's first record
//! pays. It can't be a divan bench (a process reads its clock for the first time only once), so
//! this re-runs itself: each child process takes one first reading and prints how long it took.
//!
//! `cargo bench -p workflow-log-benches --bench first_tick` (20 processes of each, by default;
//! `-- 50` for more).

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child-ours") => child(|| black_box(workflow_log::__private::clock_now())),
        Some("--child-quanta") => child(|| black_box(quanta::Clock::new().raw())),
        _ => {
            let runs = args
                .iter()
                .find_map(|a| a.parse().ok())
                .unwrap_or(20)
                .max(1);
            parent(runs);
        }
    }
}

/// Times the first reading, in nanoseconds.
fn child(read: impl Fn() -> u64) {
    let t = Instant::now();
    read();
    println!("{}", t.elapsed().as_nanos());
}

fn parent(runs: usize) {
    let exe = std::env::current_exe().expect("the bench's own path");
    println!("first clock reading in a fresh process, {runs} processes each (µs)");
    println!("{:<32} {:>8} {:>8} {:>8}", "clock", "min", "median", "max");
    for (name, flag) in [
        ("ours (clock::now)", "--child-ours"),
        ("quanta 0.12 Clock::new().raw()", "--child-quanta"),
    ] {
        let mut first = Vec::with_capacity(runs);
        for _ in 0..runs {
            let out = Command::new(&exe)
                .arg(flag)
                .output()
                .expect("a child process");
            let text = String::from_utf8_lossy(&out.stdout);
            match text.trim().parse::<u128>() {
                Ok(ns) if out.status.success() => first.push(ns),
                _ => panic!("a child process failed ({}): {text}", out.status),
            }
        }
        first.sort_unstable();
        let us = |ns: u128| ns as f64 / 1000.0;
        println!(
            "{name:<32} {:>8.0} {:>8.0} {:>8.0}",
            us(first[0]),
            us(first[runs / 2]),
            us(first[runs - 1])
        );
    }
}
