//! The records `log_simple` opens by itself (an iteration and an interaction), and when they close.

use super::{with, Implicit, Local};
use crate::clock;
use crate::record::{Kind, Record};
use crate::Level;

impl Local {
    /// Closes the `log_simple` records that an explicit iteration (both) or interaction (the
    /// interaction) would otherwise open inside.
    pub(super) fn close_implicit_before(&mut self, kind: Kind) {
        while let Some(Implicit { rec, .. }) = self.implicit.last() {
            let on_top = self.top().is_some_and(|f| f.id == rec.id);
            if !on_top || (kind == Kind::Interaction && rec.kind == Kind::Iteration) {
                break;
            }
            self.close_last_implicit();
        }
    }

    pub(super) fn close_last_implicit(&mut self) {
        self.close_last_implicit_at(clock::now());
    }

    pub(super) fn close_last_implicit_at(&mut self, end: u64) {
        if let Some(Implicit {
            serial, mut rec, ..
        }) = self.implicit.pop()
        {
            rec.end = end.max(rec.start);
            self.close(rec, serial);
        }
    }

    /// A record is closing: the `log_simple` records opened inside it close with it, at its end.
    #[cold]
    pub(super) fn close_implicit_above(&mut self, id: u64, end: u64) {
        let Some(pos) = self.stack.iter().rposition(|f| f.id == id) else {
            return;
        };
        while let Some(Implicit { rec: last, .. }) = self.implicit.last() {
            if !self.stack[pos + 1..].iter().any(|f| f.id == last.id) {
                break;
            }
            self.close_last_implicit_at(end);
        }
    }

    /// Closes this thread's `log_simple` records of workflow `serial`.
    pub(super) fn close_implicit_of(&mut self, serial: u64) {
        while let Some(i) = self.implicit.iter().rposition(|i| i.serial == serial) {
            let Implicit {
                serial, mut rec, ..
            } = self.implicit.remove(i);
            rec.end = clock::now();
            self.close(rec, serial);
        }
    }
}

/// `log_simple`: opens an iteration and an interaction for `agent` when nothing is open, then records
/// `rec` (an instant action) where it belongs.
pub(crate) fn log_simple(agent: &str, rec: Record) {
    with(|l| {
        let Some(shared) = l.current() else { return };
        if !shared.records_enabled(Level::Info) {
            return;
        }
        let serial = shared.serial;
        // Our own interaction for another agent on top: replace it. (Its name was scrubbed as
        // it opened: a name that changed then is compared as it was given.)
        let other_agent = l.implicit.last().is_some_and(|last| {
            last.serial == serial
                && l.top().is_some_and(|f| f.id == last.rec.id)
                && last.rec.kind == Kind::Interaction
                && last.rec.name != agent
                && last.agent.as_deref() != Some(agent)
        });
        if other_agent {
            l.close_last_implicit();
        }
        if l.top().is_none() {
            let mut it = Record::new(Kind::Iteration, "".into());
            if l.open(&mut it, Level::Info).is_some() {
                l.implicit.push(Implicit {
                    serial,
                    rec: it,
                    agent: None,
                });
            }
        }
        // An iteration (ours or the user's) with no interaction open: open one for the agent,
        // as the seed's `log_simple` does.
        if l.top().is_some_and(|top| top.kind == Kind::Iteration) {
            let mut inter = Record::new(Kind::Interaction, agent.to_owned().into());
            if l.open(&mut inter, Level::Info).is_some() {
                // Opening scrubbed its name: keep the agent's as given, to compare.
                let agent = (inter.name != agent).then(|| agent.into());
                l.implicit.push(Implicit {
                    serial,
                    rec: inter,
                    agent,
                });
            }
        }
        let mut rec = rec;
        rec.id = l.next_id();
        rec.parent = l.top().map_or(0, |f| f.id);
        rec.thread = l.thread();
        rec.start = clock::now();
        rec.end = rec.start;
        l.push(rec, serial);
    });
}
