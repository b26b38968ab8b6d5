//! The per-thread buffer a capture writes into, so that a capture allocates once.
//!
//! This is an allocation cache, not logging state: it holds no record and no setting.

use std::cell::Cell;

thread_local! {
    /// The buffer this thread writes JSON into before copying it into a box of its exact size,
    /// so a capture allocates once. Empty while in use: a capture within a capture (a
    /// `Serialize` impl that logs) writes into a buffer of its own.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// A scratch buffer that grew bigger than this is freed after use rather than kept.
const SCRATCH_KEEP: usize = 16 * 1024;

/// A buffer to write a payload's JSON text into: this thread's scratch buffer when it is free
/// (see [`finish_scratch`](super::finish_scratch)).
pub(crate) fn scratch() -> String {
    SCRATCH.try_with(Cell::take).unwrap_or_default()
}

pub(super) fn return_scratch(mut out: String) {
    if out.capacity() <= SCRATCH_KEEP {
        out.clear();
        // During thread teardown there is nowhere to keep it: it is freed.
        let _ = SCRATCH.try_with(|scratch| scratch.set(out));
    }
}
