//! The registry of live workflows: the global one, every live one by serial, and the lowest level
//! any of them keeps, so that a disabled record costs one load and a branch.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::workflow::LiveWorkflow;
use crate::level::OFF;
use crate::util::lock;
use crate::Level;

pub(crate) static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// Every live workflow, so that a record can find its workflow by serial on the slow path, and
/// the lowest record threshold among them, so that a disabled record costs one load and a branch.
static LIVE: Mutex<Vec<(u64, Weak<LiveWorkflow>, u8)>> = Mutex::new(Vec::new());
static MIN_THRESHOLD: AtomicU8 = AtomicU8::new(OFF);

/// Whether any live workflow keeps records at `level`: one relaxed load.
#[inline]
pub(crate) fn any_enabled(level: Level) -> bool {
    // With the `off` feature nothing is ever kept: every call compiles to nothing.
    !cfg!(feature = "off") && level as u8 >= MIN_THRESHOLD.load(Ordering::Relaxed)
}

pub(crate) fn register(shared: &Arc<LiveWorkflow>) {
    let mut live = lock(&LIVE);
    live.retain(|(_, w, _)| w.strong_count() > 0);
    live.push((shared.serial, Arc::downgrade(shared), shared.filter.default));
    update_min(&live);
}

pub(crate) fn unregister(serial: u64) {
    let mut live = lock(&LIVE);
    live.retain(|(s, w, _)| *s != serial && w.strong_count() > 0);
    update_min(&live);
}

fn update_min(live: &[(u64, Weak<LiveWorkflow>, u8)]) {
    let min = live.iter().map(|(_, _, t)| *t).min().unwrap_or(OFF);
    MIN_THRESHOLD.store(min, Ordering::Relaxed);
}

/// Every live workflow, unless the registry is locked (the panic hook must not wait).
pub(crate) fn try_live() -> Option<Vec<Arc<LiveWorkflow>>> {
    let live = LIVE.try_lock().ok()?;
    Some(live.iter().filter_map(|(_, w, _)| w.upgrade()).collect())
}

/// The live workflow with this serial, if it is still live.
pub(crate) fn find(serial: u64) -> Option<Arc<LiveWorkflow>> {
    lock(&LIVE)
        .iter()
        .find(|(s, _, _)| *s == serial)
        .and_then(|(_, w, _)| w.upgrade())
}

/// The global workflow (`init`) and a generation counter that threads compare against the
/// copy they cache, so that the hot path takes no lock.
pub(crate) static GLOBAL: Mutex<Option<Arc<LiveWorkflow>>> = Mutex::new(None);
pub(crate) static GLOBAL_GEN: AtomicU64 = AtomicU64::new(0);
