//! [`Call`]: the record of one call of an annotated function, from its inputs to its close.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use super::future::AsyncCall;
use super::Failure;
use crate::capture::{self, Config, Payload};
use crate::record::{Kind, Record};
use crate::runtime::settings;
use crate::runtime::thread::{self, OpenRecord};
use crate::Level;

/// Not public API. The record of one call, before it opens: made only when a workflow wants it
/// (the runtime's `wanted`), then filled with the call's inputs and opened by [`Call::enter`] (a
/// synchronous body) or [`Call::detach`] (a future).
pub struct Call {
    /// The record, while some workflow wants it; opened in place by [`Call::enter`].
    open: Option<OpenRecord>,
    /// The arguments captured so far, as the text of a JSON object being written (`{"a":1`),
    /// in this thread's scratch buffer.
    inputs: String,
    /// An iteration or interaction not kept because no workflow was live at the call (counted
    /// on this thread while it runs; see `WorkflowBuilder::init`).
    unrecorded: bool,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Call")
    }
}

impl Call {
    /// What a disabled call pays: see [`thread::wanted`]. `name` (an agent's name may be
    /// formatted) runs only when the record will be made.
    #[inline]
    fn new(kind: Kind, name: impl FnOnce() -> Cow<'static, str>) -> Call {
        if !thread::wanted(kind, Level::Info) {
            // Returned apart, so that the record is not written out (and thrown away) anyway.
            let unrecorded = !cfg!(feature = "off")
                && matches!(kind, Kind::Iteration | Kind::Interaction)
                && thread::no_workflow();
            if unrecorded {
                thread::count_unrecorded(true);
            }
            return Call {
                open: None,
                inputs: String::new(),
                unrecorded,
            };
        }
        Call {
            open: Some(OpenRecord::new(Record::new(kind, name()))),
            inputs: String::new(),
            unrecorded: false,
        }
    }

    /// Not public API. An iteration numbered 1, 2, 3 ... among its siblings.
    #[inline]
    pub fn iteration() -> Call {
        Call::new(Kind::Iteration, || Cow::Borrowed(""))
    }

    /// Not public API. An iteration with an explicit number (`None`: numbered automatically);
    /// `number` runs only when the record will be kept.
    #[inline]
    pub fn numbered_iteration(number: impl FnOnce() -> Option<u64>) -> Call {
        let mut call = Call::iteration();
        if let Some(open) = &mut call.open {
            if let Some(n) = number() {
                open.rec.set_number(n);
            }
        }
        call
    }

    /// Not public API.
    #[inline]
    pub fn interaction<A: Into<Cow<'static, str>>>(agent: impl FnOnce() -> A) -> Call {
        Call::new(Kind::Interaction, || agent().into())
    }

    /// Not public API.
    #[inline]
    pub fn action(name: &'static str) -> Call {
        Call::new(Kind::Action, || Cow::Borrowed(name))
    }

    /// Not public API. Whether the record will be kept (else inputs need not be captured).
    #[inline]
    pub fn enabled(&self) -> bool {
        self.open.is_some() && thread::enabled(Level::Info)
    }

    /// Not public API. One argument of the function, by name, written into the input object by
    /// `write`; `write` is not called for an argument whose name is a secret key (`api_key`,
    /// `password` ...): it is `"[REDACTED]"`.
    pub fn input(&mut self, name: &'static str, write: impl FnOnce(&mut InputWriter<'_>)) {
        let cfg = settings::config();
        let cfg = capture::settings(&cfg);
        let out = &mut self.inputs;
        if out.is_empty() {
            *out = capture::scratch();
            out.push('{');
        } else {
            out.push(',');
        }
        capture::key_append(out, name);
        if cfg.is_secret(name) {
            out.push_str(capture::REDACTED);
        } else {
            write(&mut InputWriter {
                out,
                cfg,
                whole: None,
                over: false,
            });
        }
    }

    #[inline]
    fn finish_inputs(&mut self) {
        if let Some(open) = &mut self.open {
            if open.rec.kind != Kind::Iteration {
                open.rec.input = Some(if self.inputs.is_empty() {
                    // No allocation for a function with nothing to capture.
                    Payload::empty_object()
                } else {
                    self.inputs.push('}');
                    capture::finish_scratch(std::mem::take(&mut self.inputs))
                });
            }
        }
    }

    /// Not public API. Opens the record on this thread, where it lies in the call; it closes
    /// when the guard drops.
    #[inline]
    pub fn enter(&mut self) -> CallGuard<'_> {
        // A disabled call gives a guard that holds nothing, not a borrow of the call: the
        // optimiser then sees that nothing is recorded (with the `off` feature, nothing at all).
        let slot = if self.open.is_some() {
            self.finish_inputs();
            thread::open_in_place(&mut self.open, Level::Info);
            self.open.is_some().then_some(&mut self.open)
        } else {
            None
        };
        CallGuard {
            slot,
            unrecorded: std::mem::take(&mut self.unrecorded),
            _not_send: PhantomData,
        }
    }

    /// Not public API. Opens the record for a future: its frame is entered only while the
    /// future is polled.
    pub fn detach(mut self) -> AsyncCall {
        self.finish_inputs();
        let unrecorded = std::mem::take(&mut self.unrecorded);
        if unrecorded {
            // Counted again at each poll, on the thread that polls.
            thread::count_unrecorded(false);
        }
        AsyncCall::open(self.open.take(), unrecorded)
    }
}

/// Not public API. The input object of a function being written: each argument appends its
/// value (see [`autoref`](super::autoref)); or a stream's array of items, each item appended.
pub struct InputWriter<'a> {
    pub(super) out: &'a mut String,
    pub(super) cfg: &'a Config,
    /// Where the whole value begins in `out` when the value written is one item of it (the
    /// limit is then the whole's); `None` for an argument, a value of its own.
    pub(super) whole: Option<usize>,
    /// Set when the whole is over the limit (see `capture::json_append_in`).
    pub(super) over: bool,
}

impl InputWriter<'_> {
    /// Appends `value`'s JSON text.
    #[inline]
    pub(super) fn json<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.over |= capture::json_append_in(self.out, value, self.cfg, self.whole);
    }

    /// Appends `value`'s `Debug` text, as a JSON string.
    #[inline]
    pub(super) fn debug<T: fmt::Debug + ?Sized>(&mut self, value: &T) {
        self.over |= capture::debug_append_in(self.out, value, self.cfg, self.whole);
    }
}

impl fmt::Debug for InputWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputWriter")
    }
}

/// Not public API. A synchronous call's record, open on this thread while the body runs; it
/// closes when dropped (`panicked` if the body panicked).
#[must_use]
pub struct CallGuard<'a> {
    slot: Option<&'a mut Option<OpenRecord>>,
    unrecorded: bool,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for CallGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallGuard")
    }
}

impl CallGuard<'_> {
    /// Not public API. Whether the record is kept.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.slot.is_some()
    }

    fn open(&mut self) -> Option<&mut OpenRecord> {
        self.slot.as_mut().and_then(|slot| slot.as_mut())
    }

    /// Not public API.
    pub fn output(&mut self, value: Payload) {
        if let Some(open) = self.open() {
            open.rec.set_output(value);
        }
    }

    /// Not public API.
    pub fn error(&mut self, failure: Failure) {
        if let Some(open) = self.open() {
            open.rec.set_error_chain(failure.text, failure.chain);
        }
    }
}

impl Drop for CallGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(slot) = &mut self.slot {
            thread::close_in_place(slot);
        }
        if self.unrecorded {
            thread::count_unrecorded(false);
        }
    }
}
