//! Entering a workflow on this thread (`capture`, `Workflow::enter`, `Context::attach`, a poll of
//! an instrumented future), and leaving it.

use std::marker::PhantomData;
use std::sync::Arc;

use super::{with, Frame, Local, Scope};
use crate::runtime::workflow::LiveWorkflow;

/// Keeps a workflow entered on this thread; leaving it restores the thread's previous place.
#[derive(Debug)]
pub(crate) struct Entered {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

/// Enters `shared` on this thread, optionally under an open record of it (`Context::attach`).
pub(crate) fn enter(shared: &Arc<LiveWorkflow>, parent: Option<Frame>) -> Entered {
    enter_with_key(shared, parent, 0)
}

fn enter_with_key(shared: &Arc<LiveWorkflow>, parent: Option<Frame>, key: u64) -> Entered {
    let token = with(|l| {
        l.next_token += 1;
        let token = l.next_token;
        let base = l.stack.len();
        if let Some(frame) = parent {
            l.stack.push(frame);
        }
        l.scopes.push(Scope {
            shared: shared.clone(),
            base,
            flush_depth: l.stack.len(),
            token,
            key,
        });
        token
    })
    .unwrap_or(0);
    Entered {
        token,
        _not_send: PhantomData,
    }
}

#[cfg(feature = "tracing")]
/// [`enter`] for a caller that is told when to leave rather than holding a guard (a `tracing`
/// span, entered and exited by callbacks): the scope is named by `key` (not 0), and
/// [`leave_keyed`] with the same key on this thread leaves it.
pub(crate) fn enter_keyed(shared: &Arc<LiveWorkflow>, parent: Frame, key: u64) {
    if key != 0 {
        // Left by `leave_keyed`, which makes the guard again from the scope's token.
        std::mem::forget(enter_with_key(shared, Some(parent), key));
    }
}

#[cfg(feature = "tracing")]
/// Leaves the innermost scope this thread entered with [`enter_keyed`] and `key`, if any.
pub(crate) fn leave_keyed(key: u64) {
    if key == 0 {
        return;
    }
    let token = with(|l| {
        l.scopes
            .iter()
            .rev()
            .find(|s| s.key == key)
            .map(|s| s.token)
    })
    .flatten();
    if let Some(token) = token {
        drop(Entered {
            token,
            _not_send: PhantomData,
        });
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        if self.token == 0 {
            return;
        }
        let token = self.token;
        with(|l| {
            let Some(i) = l.scopes.iter().rposition(|s| s.token == token) else {
                return;
            };
            let serial = l.scopes[i].shared.serial;
            if i == l.scopes.len() - 1 {
                // Only the scope's own `log_simple` records: an outer scope of the same
                // workflow keeps its own.
                let base = l.scopes[i].base;
                while let Some(last) = l.implicit.last() {
                    let frames = l.stack.get(base..).unwrap_or_default();
                    let mine = last.serial == serial && frames.iter().any(|f| f.id == last.rec.id);
                    if !mine {
                        break;
                    }
                    l.close_last_implicit();
                }
            }
            if (l.buffer_is_for(serial) && !l.stays_in(i)) || l.notice_waiting.is_some() {
                l.flush();
            }
            let scope = l.scopes.remove(i);
            // The scope's own frames go: up to where a scope entered after it (and still
            // entered: guards may drop out of order) begins. Frames a leaked guard left open
            // are forgotten here; the guard still closes its record when it drops.
            let end = l.scopes.get(i).map_or(l.stack.len(), |next| next.base);
            let (start, end) = (scope.base.min(l.stack.len()), end.min(l.stack.len()));
            if start < end {
                l.stack.drain(start..end);
                let removed = end - start;
                for s in &mut l.scopes[i..] {
                    s.base = s.base.saturating_sub(removed);
                    s.flush_depth = s.flush_depth.saturating_sub(removed);
                }
            }
        });
    }
}

impl Local {
    /// Whether leaving the keyed scope `i` (a span, entered and left at each poll) leaves this
    /// thread in the same workflow with a record of it still open below: then the buffer is
    /// handed over when that record (or the scope below) closes, not at every span exit.
    fn stays_in(&self, i: usize) -> bool {
        let scope = &self.scopes[i];
        if scope.key == 0 {
            return false;
        }
        let serial = scope.shared.serial;
        match i.checked_sub(1) {
            Some(below) => self.scopes[below].shared.serial == serial,
            None => scope.base > 0 && self.global.as_ref().is_some_and(|g| g.serial == serial),
        }
    }
}
