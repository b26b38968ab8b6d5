//! The registry of live workflows: the global one, every live one by serial, and the lowest level
//! any of them keeps, so that a disabled record costs one load and a branch.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};

pub(crate) use super::workflow::forked_since;
use super::workflow::{LiveWorkflow, FORK_GEN};
use crate::level::OFF;
use crate::util::lock;
use crate::Level;

pub(crate) static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A live workflow: its serial, the workflow, its record threshold, the lowest threshold of its
/// filter's directives, and the process it started in.
type Entry = (u64, Weak<LiveWorkflow>, u8, u8, u32);

/// Every live workflow, so that a record can find its workflow by serial on the slow path, and
/// the lowest thresholds among them, so that a disabled record costs one load and a branch.
static LIVE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static MIN_THRESHOLD: AtomicU8 = AtomicU8::new(OFF);
/// The lowest threshold of any directive of any live workflow (`planner=debug`): below it, no
/// log line of any name is kept.
static MIN_LOG_THRESHOLD: AtomicU8 = AtomicU8::new(OFF);

/// Whether any live workflow keeps records at `level`: one relaxed load.
#[inline]
pub(crate) fn any_enabled(level: Level) -> bool {
    // With the `off` feature nothing is ever kept: every call compiles to nothing.
    !cfg!(feature = "off") && level as u8 >= MIN_THRESHOLD.load(Ordering::Relaxed)
}

#[cfg(any(feature = "tracing", feature = "log"))]
/// Whether any live workflow keeps log lines at `level` for some name (its default level or a
/// directive's): one relaxed load. Levels set with `Logger::set_level` are not counted.
#[inline]
pub(crate) fn any_log_enabled(level: Level) -> bool {
    !cfg!(feature = "off") && level as u8 >= MIN_LOG_THRESHOLD.load(Ordering::Relaxed)
}

#[cfg(any(feature = "tracing", feature = "log"))]
/// Whether any workflow is live: one relaxed load.
#[inline]
pub(crate) fn any_live() -> bool {
    !cfg!(feature = "off") && MIN_LOG_THRESHOLD.load(Ordering::Relaxed) != OFF
}

/// Makes the child of every later `fork()` see that it is one ([`FORK_GEN`]), before it runs anything else:
/// the threads that write journals are not in the child, so a workflow the parent started
/// must record nothing there, or its queue would fill and `flush` and `finish` never return.
fn watch_forks() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        extern "C" fn in_child() {
            // Only atomic operations: all a fork handler may safely do.
            FORK_GEN.fetch_add(1, Ordering::Relaxed);
            MIN_THRESHOLD.store(OFF, Ordering::Relaxed);
            MIN_LOG_THRESHOLD.store(OFF, Ordering::Relaxed);
        }
        // SAFETY: `in_child` is a plain function that touches only atomics, safe to run in a
        // child right after `fork()`.
        ONCE.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        });
    }
}

pub(crate) fn register(shared: &Arc<LiveWorkflow>) {
    watch_forks();
    let mut live = lock(&LIVE);
    // In a forked child, the parent's workflows keep no records here.
    live.retain(|(_, w, _, _, pid)| w.strong_count() > 0 && !forked_since(*pid, false));
    let filter = &shared.filter;
    let lowest = filter.names.values().copied().fold(filter.default, u8::min);
    live.push((
        shared.serial,
        Arc::downgrade(shared),
        filter.default,
        lowest,
        shared.pid,
    ));
    update_min(&live);
}

pub(crate) fn unregister(serial: u64) {
    let mut live = lock(&LIVE);
    live.retain(|(s, w, _, _, _)| *s != serial && w.strong_count() > 0);
    update_min(&live);
}

fn update_min(live: &[Entry]) {
    let min = live.iter().map(|(_, _, t, _, _)| *t).min().unwrap_or(OFF);
    MIN_THRESHOLD.store(min, Ordering::Relaxed);
    // A workflow whose every directive is `off` is still live (`any_live`): the lowest is then
    // `error`, which costs a look at the thread's state and keeps nothing.
    let min_log = live.iter().map(|(_, _, _, l, _)| *l).min().unwrap_or(OFF);
    let min_log = if live.is_empty() {
        OFF
    } else {
        min_log.min(OFF - 1)
    };
    MIN_LOG_THRESHOLD.store(min_log, Ordering::Relaxed);
}

/// Every live workflow, unless the registry is locked (the panic hook must not wait).
pub(crate) fn try_live() -> Option<Vec<Arc<LiveWorkflow>>> {
    let live = LIVE.try_lock().ok()?;
    Some(
        live.iter()
            .filter_map(|(_, w, _, _, _)| w.upgrade())
            .collect(),
    )
}

/// The live workflow with this serial, if it is still live.
pub(crate) fn find(serial: u64) -> Option<Arc<LiveWorkflow>> {
    lock(&LIVE)
        .iter()
        .find(|(s, _, _, _, _)| *s == serial)
        .and_then(|(_, w, _, _, _)| w.upgrade())
}

/// The global workflow (`init`) and a generation counter that threads compare against the
/// copy they cache, so that the hot path takes no lock.
pub(crate) static GLOBAL: Mutex<Option<Arc<LiveWorkflow>>> = Mutex::new(None);
pub(crate) static GLOBAL_GEN: AtomicU64 = AtomicU64::new(0);
