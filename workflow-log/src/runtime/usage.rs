//! Usage reported by [`crate::usage`] for a record that is open somewhere up the call stack, in a
//! guard the caller can't reach (inside an `#[action]` fn): kept by record id until the record
//! closes, on whichever thread that is; and the workflow's prices, applied as records close.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::workflow::LiveWorkflow;
use crate::record::{Record, Usage};
use crate::util::lock;

/// Reports not yet merged into their records: (record id, model, usage).
static PENDING: Mutex<Vec<(u64, Box<str>, Usage)>> = Mutex::new(Vec::new());
/// How many there are: a closing record looks at this one counter, not at the lock.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Keeps `usage` of `model` for the open record `id`.
pub(crate) fn report(id: u64, model: &str, usage: Usage) {
    let mut pending = lock(&PENDING);
    pending.push((id, model.into(), usage));
    COUNT.store(pending.len(), Ordering::Release);
}

/// Whether any report waits for its record: one relaxed load.
#[inline(always)]
pub(crate) fn any_pending() -> bool {
    COUNT.load(Ordering::Relaxed) != 0
}

/// Whether a closing record needs [`settle`]: it carries usage, or usage may wait for it.
#[inline(always)]
pub(crate) fn needs_settling(rec: &Record) -> bool {
    rec.rare.is_some() || any_pending()
}

/// Merges the usage reported for `rec` into it, and prices usage that came without a cost.
#[cold]
#[inline(never)]
pub(crate) fn settle(rec: &mut Record, live: Option<&LiveWorkflow>) {
    if any_pending() {
        let mut pending = lock(&PENDING);
        let mut i = 0;
        while i < pending.len() {
            if pending[i].0 == rec.id {
                let (_, model, usage) = pending.swap_remove(i);
                rec.llm_mut().add_explicit(Some(model), &usage);
            } else {
                i += 1;
            }
        }
        COUNT.store(pending.len(), Ordering::Release);
    }
    let Some(live) = live else { return };
    if live.prices.is_empty() {
        return;
    }
    if let Some(llm) = rec.rare.as_mut().and_then(|r| r.llm.as_mut()) {
        if let Some((input, output)) = llm.model.as_deref().and_then(|m| live.price_of(m)) {
            llm.usage = llm.usage.priced(input, output);
        }
    }
}
