//! Shared pieces of the benchmarks: the floor of a record's open + close, and a counting global
//! allocator. The benches themselves are in `benches/`; see `BENCHMARKS.md` at the repo root.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One read of the time-stamp counter (or of `Instant` where there is none).
#[inline(always)]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no preconditions on x86_64.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_rdtsc()
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static BASE: OnceLock<Instant> = OnceLock::new();
        BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

/// What the floor keeps of a record.
#[derive(Debug, Clone, Copy)]
pub struct FloorRecord {
    pub id: u64,
    pub parent: u64,
    pub start: u64,
    pub end: u64,
}

struct FloorState {
    stack: Vec<u64>,
    buffer: Vec<FloorRecord>,
    next_id: u64,
}

thread_local! {
    static FLOOR: RefCell<FloorState> = const {
        RefCell::new(FloorState { stack: Vec::new(), buffer: Vec::new(), next_id: 1 })
    };
}

/// The floor of one record's open + close: two clock reads, a push and a pop on a thread-local
/// stack, and a push of the finished record into a thread-local buffer (handed over, here
/// dropped, every 1024 records).
#[inline(never)]
pub fn floor_open_close() {
    FLOOR.with(|cell| {
        let mut s = cell.borrow_mut();
        let id = s.next_id;
        s.next_id += 1;
        let parent = s.stack.last().copied().unwrap_or(0);
        let start = ticks();
        s.stack.push(id);
        std::hint::black_box(&mut *s);
        s.stack.pop();
        let end = ticks();
        s.buffer.push(FloorRecord {
            id,
            parent,
            start,
            end,
        });
        if s.buffer.len() >= 1024 {
            s.buffer.clear();
        }
    });
}

/// A global allocator that counts the bytes live now and the most live at once.
#[derive(Debug)]
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    /// Bytes allocated and not yet freed.
    pub fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    /// The most bytes live at once since the last [`reset_peak`](Self::reset_peak).
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Bytes allocated in all, ever.
    pub fn total() -> usize {
        TOTAL.load(Ordering::Relaxed)
    }

    /// Starts a new peak from what is live now.
    pub fn reset_peak() {
        PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn add(n: usize) {
        let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
        TOTAL.fetch_add(n, Ordering::Relaxed);
        PEAK.fetch_max(live, Ordering::Relaxed);
    }

    fn sub(n: usize) {
        LIVE.fetch_sub(n, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Counting::add(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Counting::add(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        Counting::sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            Counting::sub(layout.size());
            Counting::add(new_size);
        }
        p
    }
}

/// Grows the heap by `bytes` once, touching every page, and has the allocator keep what is freed
/// from then on: every bench after it finds its memory mapped. Without it, which bench pays the
/// kernel for first-touched pages (about 30 faults per 1,000 calls, which doubles or triples a
/// sample) depends on what ran before it in the process, and a library's median swings 2-3x
/// with its place in the group (BENCHMARKS.md, issue 10, section 1). glibc only: elsewhere the
/// pages are touched but the allocator may give them back.
pub fn steady_heap(bytes: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets glibc's thresholds (freed memory is kept up to 1 GiB at the
    // heap's top; blocks under 32 MiB come from the heap, not a fresh mapping each); it is
    // called before this process starts any thread.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 25);
    }
    const CHUNK: usize = 100_000;
    let chunks: Vec<Vec<u8>> = (0..bytes / CHUNK)
        .map(|_| {
            let mut chunk = vec![0u8; CHUNK];
            for byte in chunk.iter_mut().step_by(4096) {
                *byte = 1;
            }
            std::hint::black_box(chunk)
        })
        .collect();
    drop(chunks);
}

/// Runs one throwaway workflow of `actions` actions, so that every bench (not just the first one
/// in its process) finds the heap grown and its pages mapped: steady state, not first touch.
pub fn warm_up(actions: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = workflow_log::Workflow::builder("warm_up")
        .logs_dir(dir.path())
        .init()
        .expect("init");
    {
        let _it = workflow_log::iteration().start();
        let _parent = workflow_log::interaction("agent").start();
        for _ in 0..actions {
            let _g = workflow_log::action("tool_call").start();
        }
    }
    log.finish().expect("finish");
}

/// CPU time this process has used so far, every thread's, in nanoseconds: threads that already
/// ended included (`CLOCK_PROCESS_CPUTIME_ID`), so a difference taken around `finish` keeps the
/// journal's writer thread, which ends inside it, to its share within. 0 where the clock fails.
pub fn cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable `timespec`; the clock id is a constant the OS defines.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU time this process has used so far in user space and in the kernel, in nanoseconds
/// (`getrusage(RUSAGE_SELF)`: every thread's, ended ones included; microsecond resolution).
/// The kernel's part of `finish` is reading the journal back and writing and syncing the file.
/// (0, 0) where the call fails.
pub fn cpu_split_ns() -> (u64, u64) {
    // SAFETY: `rusage` is plain data, for which all zeroes is a valid value.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable `rusage`; `RUSAGE_SELF` is a constant the OS defines.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) } != 0 {
        return (0, 0);
    }
    let ns = |t: libc::timeval| (t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64) * 1_000;
    (ns(r.ru_utime), ns(r.ru_stime))
}
