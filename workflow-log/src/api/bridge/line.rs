//! Whether a bridged log line is kept, and recording it: the line's target is its logger's
//! name (`::` separating segments as `.` does), and its level is held against that logger's
//! level in the thread's workflow, as [`Logger::log`](crate::Logger::log) does.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use crate::api::logger;
use crate::capture::Payload;
use crate::record::{Kind, LogLine, Record};
use crate::runtime::registry;
use crate::runtime::thread;
use crate::runtime::workflow::LiveWorkflow;
use crate::Level;

/// Whether some live workflow may keep a line at `level`: one relaxed load when none does
/// (no workflow at all, or every one above `level` for every name), two when a logger was set
/// below its workflow's directives. Run first, before anything about the line is looked at.
#[inline(always)]
pub(crate) fn wanted(level: Level) -> bool {
    registry::any_log_enabled(level)
        || (registry::any_live() && level as u8 >= logger::lowest_override())
}

/// The logger name of a line from `target` if this thread's workflow keeps it at `level`.
pub(crate) fn kept(level: Level, target: &str) -> Option<Arc<str>> {
    let (threshold, name) = thread::peek_current(|shared| threshold(target, shared)).flatten()?;
    (level as u8 >= threshold).then_some(name)
}

/// Records a log line under the innermost open record of this thread's workflow (the caller
/// checked [`kept`]).
pub(crate) fn emit(level: Level, logger: Arc<str>, message: Box<str>, data: Payload) {
    let mut rec = Record::new(Kind::Event, Cow::Borrowed("log"));
    rec.input = Some(data);
    rec.set_log(LogLine {
        level,
        logger,
        message,
    });
    // The logger's level was applied: not the workflow's record level again.
    thread::emit(rec, None);
}

/// Thresholds of recent targets in this thread's workflow, so that a line does not walk the
/// filter (nor allocate its dotted name) each time. Direct-mapped by the target's address:
/// targets are nearly always `'static` (a module path), and the text is compared anyway.
struct Targets {
    slots: Vec<Option<Slot>>,
}

struct Slot {
    target: Arc<str>,
    /// `logger::cache_key` of the workflow and the levels set when the threshold was resolved.
    key: u64,
    threshold: u8,
}

const SLOTS: usize = 64;

thread_local! {
    static TARGETS: RefCell<Targets> = const { RefCell::new(Targets { slots: Vec::new() }) };
}

/// `target`'s threshold in `shared`, and its name as the record keeps it.
fn threshold(target: &str, shared: &LiveWorkflow) -> Option<(u8, Arc<str>)> {
    let key = logger::cache_key(shared);
    let at = ((target.as_ptr() as usize >> 3) ^ target.len()) % SLOTS;
    let cached = TARGETS.try_with(|targets| {
        let mut targets = targets.try_borrow_mut().ok()?;
        if targets.slots.is_empty() {
            targets.slots.resize_with(SLOTS, || None);
        }
        let slot = targets.slots.get_mut(at)?;
        match slot {
            Some(s) if &*s.target == target => {
                if s.key != key {
                    s.threshold = logger::resolve(&logger::dotted(target), shared);
                    s.key = key;
                }
                Some((s.threshold, s.target.clone()))
            }
            _ => {
                let threshold = logger::resolve(&logger::dotted(target), shared);
                let name: Arc<str> = target.into();
                *slot = Some(Slot {
                    target: name.clone(),
                    key,
                    threshold,
                });
                Some((threshold, name))
            }
        }
    });
    match cached {
        Ok(Some(found)) => Some(found),
        // During thread teardown (or re-entered): resolved without the cache.
        _ => Some((
            logger::resolve(&logger::dotted(target), shared),
            target.into(),
        )),
    }
}
