//! End to end: 1,000,000 actions in 10,000 interactions (in 100 iterations), from `init` to the
//! finished nested file: wall time, peak heap per record (a counting global allocator), MB/s
//! written. Against the floor: the same tree built in memory as plain structs and written with
//! `serde_json::to_writer_pretty` (no journal). Then two threads logging at once against one.
//!
//! `cargo bench -p workflow-log-benches --bench end_to_end` (a custom harness: it prints its own
//! table, medians of `RUNS` runs).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};
use workflow_log::Workflow;
use workflow_log_benches::{cpu_ns, cpu_split_ns, ticks, Counting};

#[global_allocator]
static ALLOC: Counting = Counting;

const ITERATIONS: usize = 100;
const INTERACTIONS: usize = 100; // per iteration
const ACTIONS: usize = 100; // per interaction
const RUNS: usize = 5;

/// Records in the nested file: iterations, interactions and actions.
const RECORDS: usize = ITERATIONS * (1 + INTERACTIONS * (1 + ACTIONS));

struct Run {
    wall: Duration,
    /// `finish` alone: wall time, and CPU of every thread (the journal's writer included).
    finish_wall: Duration,
    finish_cpu: Cpu,
    /// Ours: the journal's writer catching up with the loop (a `flush` before `finish`).
    catch_up: Cpu,
    peak: usize,
    file: u64,
    journal: u64,
    /// The journal, kept for the disk's line (ours only).
    journal_path: Option<std::path::PathBuf>,
}

fn ours(dir: &Path) -> Run {
    let base = Counting::live();
    Counting::reset_peak();
    let t0 = Instant::now();
    let log = Workflow::builder("e2e").logs_dir(dir).init().expect("init");
    for _ in 0..ITERATIONS {
        let _it = workflow_log::iteration().start();
        for _ in 0..INTERACTIONS {
            let _agent = workflow_log::interaction("executor_agent").start();
            for _ in 0..ACTIONS {
                let _tool = workflow_log::action("tool_call").start();
            }
        }
    }
    let journal = log.journal_path().expect("journal on");
    // The loop logs faster than the journal is written (see the threads table): what the
    // journal's writer has still to do is its work, not `finish`'s, so it is timed apart.
    let c0 = cpu_now();
    workflow_log::flush().expect("flush");
    let catch_up = Cpu::since(c0);
    let (f0, c0) = (Instant::now(), cpu_now());
    let path = log.finish().expect("finish");
    let (finish_cpu, finish_wall) = (Cpu::since(c0), f0.elapsed());
    let wall = t0.elapsed();
    let peak = Counting::peak() - base;
    let run = Run {
        wall,
        finish_wall,
        finish_cpu,
        catch_up,
        peak,
        file: std::fs::metadata(&path).expect("file").len(),
        journal: std::fs::metadata(&journal).map_or(0, |m| m.len()),
        journal_path: Some(journal),
    };
    std::fs::remove_file(path).ok();
    run
}

/// CPU time taken by a stretch of work, every thread's: in all, in user space, in the kernel.
#[derive(Clone, Copy)]
struct Cpu {
    all: u64,
    user: u64,
    system: u64,
}

/// Where the CPU clocks stand now: pass to [`Cpu::since`].
fn cpu_now() -> (u64, (u64, u64)) {
    (cpu_ns(), cpu_split_ns())
}

impl Cpu {
    fn since((all, (user, system)): (u64, (u64, u64))) -> Cpu {
        let (u, s) = cpu_split_ns();
        Cpu {
            all: cpu_ns() - all,
            user: u.saturating_sub(user),
            system: s.saturating_sub(system),
        }
    }
}

// ---- the floor: the same document as plain structs, written by serde_json ----

/// Microseconds since the Unix epoch, written as RFC 3339 (`2026-11-24T13:22:07.923426Z`).
struct Time(u64);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 27];
        s.serialize_str(rfc3339_micros(self.0, &mut buf))
    }
}

/// A fast RFC 3339 formatter (days-from-civil inverse), so that the floor is not chrono's.
fn rfc3339_micros(us: u64, buf: &mut [u8; 27]) -> &str {
    let secs = us / 1_000_000;
    let micros = us % 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let mut put = |at: usize, v: u64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y as u64, 4);
    put(5, mo as u64, 2);
    put(8, d as u64, 2);
    put(11, h, 2);
    put(14, m, 2);
    put(17, s, 2);
    put(20, micros, 6);
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b'T';
    buf[13] = b':';
    buf[16] = b':';
    buf[19] = b'.';
    buf[26] = b'Z';
    std::str::from_utf8(buf).expect("ascii")
}

/// An id, written as a string as in our file.
struct Id(u64);

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

#[derive(serde::Serialize)]
struct Action {
    id: Id,
    action_name: &'static str,
    input_data: Option<()>,
    output_data: Option<()>,
    metadata: Empty,
    start_time: Time,
    end_time: Time,
    duration_us: u64,
    status: &'static str,
    thread: &'static str,
}

#[derive(serde::Serialize)]
struct Interaction {
    id: Id,
    agent_name: &'static str,
    input: Option<()>,
    output: Option<()>,
    start_time: Time,
    end_time: Time,
    duration_us: u64,
    status: &'static str,
    thread: &'static str,
    actions: Vec<Action>,
    events: Vec<()>,
}

#[derive(serde::Serialize)]
struct Iteration {
    id: Id,
    iteration_number: u64,
    start_time: Time,
    end_time: Time,
    duration_us: u64,
    status: &'static str,
    thread: &'static str,
    interactions: Vec<Interaction>,
}

#[derive(serde::Serialize)]
struct Document {
    schema: &'static str,
    workflow: &'static str,
    run_id: &'static str,
    start_time: Time,
    end_time: Time,
    status: &'static str,
    iterations: Vec<Iteration>,
    events: Vec<()>,
}

/// Ticks to wall-clock microseconds, calibrated once.
struct Clock {
    wall_us: u64,
    tick0: u64,
    ns_per_tick: f64,
}

impl Clock {
    fn new() -> Clock {
        let (t0, c0) = (Instant::now(), ticks());
        std::thread::sleep(Duration::from_millis(20));
        let (t1, c1) = (Instant::now(), ticks());
        let ns_per_tick = t1.duration_since(t0).as_nanos() as f64 / (c1 - c0).max(1) as f64;
        let wall_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_micros() as u64;
        Clock {
            wall_us,
            tick0: ticks(),
            ns_per_tick,
        }
    }

    fn us(&self, tick: u64) -> u64 {
        self.wall_us + (tick.saturating_sub(self.tick0) as f64 * self.ns_per_tick / 1000.0) as u64
    }

    fn times(&self, start: u64, end: u64) -> (Time, Time, u64) {
        let (s, e) = (self.us(start), self.us(end));
        (Time(s), Time(e), e - s)
    }
}

fn floor(dir: &Path, clock: &Clock) -> Run {
    let base = Counting::live();
    Counting::reset_peak();
    let t0 = Instant::now();
    let start = ticks();
    let mut next_id = 0u64;
    let mut id = || {
        next_id += 1;
        Id(next_id)
    };
    let mut iterations = Vec::new();
    for n in 0..ITERATIONS {
        let it_start = ticks();
        let it_id = id();
        let mut interactions = Vec::new();
        for _ in 0..INTERACTIONS {
            let in_start = ticks();
            let in_id = id();
            let mut actions = Vec::new();
            for _ in 0..ACTIONS {
                let a_start = ticks();
                let a_id = id();
                let a_end = ticks();
                let (start_time, end_time, duration_us) = clock.times(a_start, a_end);
                actions.push(Action {
                    id: a_id,
                    action_name: "tool_call",
                    input_data: None,
                    output_data: None,
                    metadata: Empty,
                    start_time,
                    end_time,
                    duration_us,
                    status: "ok",
                    thread: "main",
                });
            }
            let (start_time, end_time, duration_us) = clock.times(in_start, ticks());
            interactions.push(Interaction {
                id: in_id,
                agent_name: "executor_agent",
                input: None,
                output: None,
                start_time,
                end_time,
                duration_us,
                status: "ok",
                thread: "main",
                actions,
                events: Vec::new(),
            });
        }
        let (start_time, end_time, duration_us) = clock.times(it_start, ticks());
        iterations.push(Iteration {
            id: it_id,
            iteration_number: n as u64 + 1,
            start_time,
            end_time,
            duration_us,
            status: "ok",
            thread: "main",
            interactions,
        });
    }
    let doc = Document {
        schema: "workflow-log/1",
        workflow: "e2e",
        run_id: "0123456789ab",
        start_time: Time(clock.us(start)),
        end_time: Time(clock.us(ticks())),
        status: "ok",
        iterations,
        events: Vec::new(),
    };
    let (f0, c0) = (Instant::now(), cpu_now());
    let path = dir.join("floor.json");
    let file = File::create(&path).expect("create");
    let mut out = BufWriter::with_capacity(1 << 16, file);
    serde_json::to_writer_pretty(&mut out, &doc).expect("write");
    out.write_all(b"\n").expect("write");
    out.flush().expect("flush");
    out.into_inner().expect("flush").sync_all().expect("sync");
    drop(doc);
    let (finish_cpu, finish_wall) = (Cpu::since(c0), f0.elapsed());
    let wall = t0.elapsed();
    let peak = Counting::peak() - base;
    let run = Run {
        wall,
        finish_wall,
        finish_cpu,
        catch_up: Cpu {
            all: 0,
            user: 0,
            system: 0,
        },
        peak,
        file: std::fs::metadata(&path).expect("file").len(),
        journal: 0,
        journal_path: None,
    };
    std::fs::remove_file(path).ok();
    run
}

/// The disk's own share of `finish`: `bytes` bytes (the size of our nested file) written 1 MiB
/// at a time and `fsync`ed, with nothing to compute; then the same after reading the journal
/// through once, 1 MiB at a time (what `finish` reads, without parsing a byte of it). Wall time
/// and CPU time of the write alone, and the CPU time of the read and the write.
fn disk(dir: &Path, bytes: u64, journal: &Path) -> (Duration, Cpu, Cpu) {
    let block = vec![b' '; 1 << 20];
    let write = |path: &Path| {
        let mut file = File::create(path).expect("create");
        let mut left = bytes as usize;
        while left > 0 {
            let n = left.min(block.len());
            file.write_all(&block[..n]).expect("write");
            left -= n;
        }
        file.sync_all().expect("sync");
    };
    let path = dir.join("disk.bin");
    let (t0, c0) = (Instant::now(), cpu_now());
    write(&path);
    let (wall, cpu) = (t0.elapsed(), Cpu::since(c0));
    std::fs::remove_file(&path).ok();
    let c0 = cpu_now();
    let mut buf = vec![0u8; 1 << 20];
    let mut read = File::open(journal).expect("journal");
    while std::io::Read::read(&mut read, &mut buf).expect("read") > 0 {}
    write(&path);
    let both = Cpu::since(c0);
    std::fs::remove_file(path).ok();
    (wall, cpu, both)
}

// ---- two threads logging at once against one ----

/// Actions per thread.
const PER_THREAD: usize = 200_000;

/// (time until every thread's loop ended, time until the journal had written it all)
fn threads(dir: &Path, n: usize) -> (Duration, Duration) {
    let log = Workflow::builder("threads")
        .logs_dir(dir)
        .init()
        .expect("init");
    let t0 = Instant::now();
    let workers: Vec<_> = (0..n)
        .map(|_| {
            std::thread::spawn(|| {
                let _agent = workflow_log::interaction("worker").start();
                for _ in 0..PER_THREAD {
                    let _tool = workflow_log::action("tool_call").start();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let logged = t0.elapsed();
    workflow_log::flush().expect("flush");
    let journaled = t0.elapsed();
    let path = log.finish().expect("finish");
    std::fs::remove_file(path).ok();
    (logged, journaled)
}

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter, if any, is ignored.
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Clock::new();
    // Warm up the page cache, the allocator and the clock's calibration.
    if let Some(journal) = ours(dir.path()).journal_path {
        std::fs::remove_file(journal).ok();
    }
    floor(dir.path(), &clock);

    let mut our_runs = Vec::new();
    let mut floor_runs = Vec::new();
    let mut disk_runs = Vec::new();
    for _ in 0..RUNS {
        our_runs.push(ours(dir.path()));
        floor_runs.push(floor(dir.path(), &clock));
        let last = our_runs.last().expect("a run");
        let journal = last.journal_path.clone().expect("a journal");
        disk_runs.push(disk(dir.path(), last.file, &journal));
        std::fs::remove_file(journal).ok();
    }
    println!("end to end: {ITERATIONS} iterations x {INTERACTIONS} interactions x {ACTIONS} actions = {RECORDS} records, median of {RUNS} runs");
    println!(
        "{:<34} {:>10} {:>12} {:>13} {:>10} {:>12}",
        "", "wall ms", "records/s", "peak B/rec", "JSON B/rec", "MB/s (file)"
    );
    for (name, runs) in [
        ("workflow-log (init..finish)", &our_runs),
        ("floor: serde_json in-memory tree", &floor_runs),
    ] {
        let wall = median(runs.iter().map(|r| r.wall.as_secs_f64()).collect());
        let peak = median(runs.iter().map(|r| r.peak).collect());
        let file = median(runs.iter().map(|r| r.file).collect());
        let journal = median(runs.iter().map(|r| r.journal).collect());
        println!(
            "{:<34} {:>10.1} {:>12.0} {:>13.0} {:>10.0} {:>12.1}",
            name,
            wall * 1e3,
            RECORDS as f64 / wall,
            peak as f64 / RECORDS as f64,
            file as f64 / RECORDS as f64,
            file as f64 / wall / 1e6,
        );
        if journal > 0 {
            println!(
                "{:<34} {:>10} {:>12} {:>13} {:>10.0} {:>12.1}",
                "  + its journal (JSONL)",
                "",
                "",
                "",
                journal as f64 / RECORDS as f64,
                journal as f64 / wall / 1e6,
            );
        }
    }
    println!();
    println!("writing the file (ours: `finish`; the floor: serialize, write, `sync_all`), per record of the file");
    println!(
        "{:<38} {:>8} {:>8} {:>8} {:>8}",
        "", "wall ns", "CPU ns", "user", "kernel"
    );
    let row = |name: &str, wall: Option<f64>, cpu: &[Cpu]| {
        let per = |v: Vec<u64>| median(v) as f64 / RECORDS as f64;
        let wall = wall.map_or(String::new(), |w| {
            format!("{:.0}", w * 1e9 / RECORDS as f64)
        });
        println!(
            "{:<38} {:>8} {:>8.0} {:>8.0} {:>8.0}",
            name,
            wall,
            per(cpu.iter().map(|c| c.all).collect()),
            per(cpu.iter().map(|c| c.user).collect()),
            per(cpu.iter().map(|c| c.system).collect()),
        );
    };
    for (name, runs) in [("workflow-log finish", &our_runs), ("floor", &floor_runs)] {
        let wall = median(runs.iter().map(|r| r.finish_wall.as_secs_f64()).collect());
        let cpu: Vec<Cpu> = runs.iter().map(|r| r.finish_cpu).collect();
        row(name, Some(wall), &cpu);
    }
    let cpu: Vec<Cpu> = our_runs.iter().map(|r| r.catch_up).collect();
    row("  before it: the journal catching up", None, &cpu);
    let wall = median(disk_runs.iter().map(|r| r.0.as_secs_f64()).collect());
    let cpu: Vec<Cpu> = disk_runs.iter().map(|r| r.1).collect();
    row("the disk: as many bytes, write+fsync", Some(wall), &cpu);
    let cpu: Vec<Cpu> = disk_runs.iter().map(|r| r.2).collect();
    row("  + reading the journal once", None, &cpu);
    // The kernel's share swings with the state of the page cache: each run, to read ranges.
    let each = |f: &dyn Fn(&Run) -> u64| {
        let v: Vec<String> = our_runs
            .iter()
            .map(|r| format!("{:.0}", f(r) as f64 / RECORDS as f64))
            .collect();
        v.join(" / ")
    };
    println!(
        "finish run by run, ns a record: user {}; kernel {}",
        each(&|r| r.finish_cpu.user),
        each(&|r| r.finish_cpu.system)
    );
    let ours_wall = median(our_runs.iter().map(|r| r.wall.as_secs_f64()).collect());
    let floor_wall = median(floor_runs.iter().map(|r| r.wall.as_secs_f64()).collect());
    println!(
        "throughput, workflow-log / floor: {:.2}x",
        floor_wall / ours_wall
    );

    println!();
    println!("threads: {PER_THREAD} actions per thread, each thread in its own interaction, median of {RUNS} runs");
    println!(
        "{:<10} {:>18} {:>22}",
        "threads", "logged, Mrec/s", "journaled, Mrec/s"
    );
    let mut one = 0.0;
    for n in [1, 2] {
        threads(dir.path(), n); // warm-up
        let runs: Vec<_> = (0..RUNS).map(|_| threads(dir.path(), n)).collect();
        let logged = median(runs.iter().map(|r| r.0.as_secs_f64()).collect());
        let journaled = median(runs.iter().map(|r| r.1.as_secs_f64()).collect());
        let records = (n * (PER_THREAD + 1)) as f64;
        let rate = records / logged / 1e6;
        if n == 1 {
            one = rate;
        }
        println!(
            "{:<10} {:>18.2} {:>22.2}   ({:.2}x one thread)",
            n,
            rate,
            records / journaled / 1e6,
            rate / one
        );
    }
}
