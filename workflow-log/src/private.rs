//! Support for the code that `#[iteration]`, `#[interaction]` and `#[action]` generate.
//!
//! **Not public API.** Everything here may change in any release; only the macros may use it.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::clock;
use crate::local::{self, Frame, Open};
use crate::payload;
use crate::record::{Kind, Record, Status};
use crate::workflow::{self, Shared};
use crate::Level;

pub use crate::payload::Payload;

/// Not public API. A record a macro is about to open.
pub struct Span {
    /// Made when some workflow keeps the record; opened in place by [`Span::enter`].
    open: Option<Open>,
    /// The arguments captured so far, as the text of a JSON object being written (`{"a":1`),
    /// in this thread's scratch buffer.
    inputs: String,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Span")
    }
}

impl Span {
    /// What a disabled call pays: a relaxed atomic load (nothing at all with the `off`
    /// feature); for iterations and interactions also a look at this thread's workflow, so that
    /// `name` (an agent's name may be formatted) runs only when the record will be kept. An
    /// action's record is made when any workflow keeps records at `Info`: opening it looks at
    /// this thread's workflow anyway.
    #[inline]
    fn new(kind: Kind, name: impl FnOnce() -> Cow<'static, str>) -> Span {
        let enabled = if kind == Kind::Action {
            workflow::any_enabled(Level::Info)
        } else {
            local::enabled(Level::Info)
        };
        if !enabled {
            // Returned apart, so that the record is not written out (and thrown away) anyway.
            return Span {
                open: None,
                inputs: String::new(),
            };
        }
        Span {
            open: Some(Open {
                rec: Record::new(kind, name()),
                serial: 0,
            }),
            inputs: String::new(),
        }
    }

    /// Not public API. An iteration numbered 1, 2, 3 ... among its siblings.
    #[inline]
    pub fn iteration() -> Span {
        Span::new(Kind::Iteration, || Cow::Borrowed(""))
    }

    /// Not public API. An iteration with an explicit number (`None`: numbered automatically);
    /// `number` runs only when the record will be kept.
    #[inline]
    pub fn numbered_iteration(number: impl FnOnce() -> Option<u64>) -> Span {
        let mut span = Span::iteration();
        if let Some(open) = &mut span.open {
            if let Some(n) = number() {
                open.rec.number = n;
            }
        }
        span
    }

    /// Not public API.
    #[inline]
    pub fn interaction<A: Into<Cow<'static, str>>>(agent: impl FnOnce() -> A) -> Span {
        Span::new(Kind::Interaction, || agent().into())
    }

    /// Not public API.
    #[inline]
    pub fn action(name: &'static str) -> Span {
        Span::new(Kind::Action, || Cow::Borrowed(name))
    }

    /// Not public API. Whether the record will be kept (else inputs need not be captured).
    #[inline]
    pub fn enabled(&self) -> bool {
        self.open.is_some() && local::enabled(Level::Info)
    }

    /// Not public API. One argument of the function, by name, written into the input object by
    /// `write`; `write` is not called for an argument whose name is a secret key (`api_key`,
    /// `password` ...): it is `"[REDACTED]"`.
    pub fn input(&mut self, name: &'static str, write: impl FnOnce(&mut InputWriter<'_>)) {
        let cfg = payload::thread_config();
        let cfg = payload::settings(&cfg);
        let out = &mut self.inputs;
        if out.is_empty() {
            *out = payload::scratch();
            out.push('{');
        } else {
            out.push(',');
        }
        payload::key_append(out, name);
        if cfg.is_secret(name) {
            out.push_str(payload::REDACTED);
        } else {
            write(&mut InputWriter { out, cfg });
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
                    payload::finish_scratch(std::mem::take(&mut self.inputs))
                });
            }
        }
    }

    /// Not public API. Opens the record on this thread, where it lies in the span; it closes
    /// when the guard drops.
    #[inline]
    pub fn enter(&mut self) -> SpanGuard<'_> {
        // A disabled span gives a guard that holds nothing, not a borrow of the span: the
        // optimiser then sees that nothing is recorded (with the `off` feature, nothing at all).
        let slot = if self.open.is_some() {
            self.finish_inputs();
            local::open_in_place(&mut self.open, Level::Info);
            self.open.is_some().then_some(&mut self.open)
        } else {
            None
        };
        SpanGuard {
            slot,
            _not_send: PhantomData,
        }
    }

    /// Not public API. Opens the record for a future: its frame is entered only while the
    /// future is polled.
    pub fn detach(mut self) -> AsyncSpan {
        self.finish_inputs();
        let open = self.open.take().and_then(|Open { mut rec, .. }| {
            let serial = local::open(&mut rec, Level::Info)?;
            let frame = Frame {
                id: rec.id,
                kind: rec.kind,
            };
            // The frame is entered per poll, not kept on this thread's stack.
            let shared = local::leave_frame(frame, serial)?;
            Some(Detached {
                rec,
                serial,
                shared,
            })
        });
        AsyncSpan { open }
    }
}

/// Not public API. The input object of a function being written: each argument appends its
/// value (see [`autoref`]).
pub struct InputWriter<'a> {
    out: &'a mut String,
    cfg: &'a payload::Config,
}

impl fmt::Debug for InputWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputWriter")
    }
}

/// Not public API. An open record of a synchronous function.
#[must_use]
pub struct SpanGuard<'a> {
    /// The span's open record, when there is one.
    slot: Option<&'a mut Option<Open>>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for SpanGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpanGuard")
    }
}

impl SpanGuard<'_> {
    /// Not public API.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.slot.is_some()
    }

    fn open(&mut self) -> Option<&mut Open> {
        self.slot.as_mut().and_then(|slot| slot.as_mut())
    }

    /// Not public API.
    pub fn output(&mut self, value: Payload) {
        if let Some(open) = self.open() {
            open.rec.output = Some(value);
        }
    }

    /// Not public API.
    pub fn error(&mut self, message: String) {
        if let Some(open) = self.open() {
            open.rec.set_error(message);
        }
    }
}

impl Drop for SpanGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(slot) = &mut self.slot {
            local::close_in_place(slot);
        }
    }
}

struct Detached {
    rec: Record,
    serial: u64,
    shared: Arc<Shared>,
}

impl Detached {
    fn close(mut self, status: Status) {
        rec_close(&mut self.rec, status);
        local::close(self.rec, self.serial);
    }
}

fn rec_close(rec: &mut Record, status: Status) {
    rec.end = clock::now();
    if rec.status == Status::Ok {
        rec.status = status;
    }
}

/// Not public API. An open record of an `async fn`, not yet polled.
pub struct AsyncSpan {
    open: Option<Detached>,
}

impl fmt::Debug for AsyncSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncSpan")
    }
}

impl Drop for AsyncSpan {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            // Dropped unfinished: cancelled, or panicked when a panic unwinds through it (a
            // panicking `async` body drops its live locals, this future among them, while
            // unwinding; tokio drops a panicked task's future while unwinding too).
            open.close(local::drop_status(Status::Cancelled));
        }
    }
}

/// Not public API. Polls `future` with the span's record entered; resolves to the future's
/// output and the still-open record, so that the generated code can capture the output.
pub fn instrument<F: Future>(span: AsyncSpan, future: F) -> Instrumented<F> {
    Instrumented {
        inner: ManuallyDrop::new(future),
        span,
    }
}

/// Not public API.
pub struct Instrumented<F: Future> {
    inner: ManuallyDrop<F>,
    span: AsyncSpan,
}

impl<F: Future> fmt::Debug for Instrumented<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Instrumented")
    }
}

impl<F: Future> Instrumented<F> {
    fn entered(&self) -> Option<local::Entered> {
        let open = self.span.open.as_ref()?;
        let frame = Frame {
            id: open.rec.id,
            kind: open.rec.kind,
        };
        Some(local::enter(&open.shared, Some(frame)))
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = (F::Output, SpanDone);

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved, only polled in place and
        // dropped in place by `Drop`; `span` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let entered = this.entered();
        // SAFETY: as above.
        let inner = unsafe { Pin::new_unchecked(&mut *this.inner) };
        let result = inner.poll(cx);
        drop(entered);
        match result {
            Poll::Ready(output) => Poll::Ready((
                output,
                SpanDone {
                    open: this.span.open.take(),
                },
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> Drop for Instrumented<F> {
    fn drop(&mut self) {
        // Whatever the future logs while it is dropped belongs under its record.
        let entered = self.entered();
        // SAFETY: `inner` is dropped exactly once, here, in place.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
        drop(entered);
        // A span still held here was never completed: `AsyncSpan`'s drop marks it cancelled.
    }
}

/// Not public API. The record of a completed future; closes when dropped.
pub struct SpanDone {
    open: Option<Detached>,
}

impl fmt::Debug for SpanDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpanDone")
    }
}

impl SpanDone {
    /// Not public API.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.open.is_some()
    }

    /// Not public API.
    pub fn output(&mut self, value: Payload) {
        if let Some(open) = &mut self.open {
            open.rec.output = Some(value);
        }
    }

    /// Not public API.
    pub fn error(&mut self, message: String) {
        if let Some(open) = &mut self.open {
            open.rec.set_error(message);
        }
    }
}

impl Drop for SpanDone {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            let status = local::drop_status(Status::Ok);
            open.close(status);
        }
    }
}

/// Not public API. Runs `f`. The body of a synchronous function runs in a closure so that its
/// `return` and `?` end the closure and the output can still be captured; passing the closure
/// to a function that takes `FnOnce` (instead of calling it in place) lets the body return
/// borrows of its `&mut` arguments, which a closure inferred `FnMut` could not.
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Not public API. Never called: `if false { return type_hint::<T>(); }` at the top of an
/// `async` block fixes the block's output type to `T` before its body is checked, so that
/// `return` and `?` in the body coerce to the function's return type as in the function itself.
#[inline(always)]
pub fn type_hint<T>() -> T {
    unreachable!("workflow-log: `type_hint` is only named, never called")
}

/// Not public API. Converts an iteration number of any integer type (`None` when it does not
/// fit in a `u64`, e.g. a negative number: the iteration is then numbered automatically).
#[inline]
pub fn iteration_number<N: IterationNumber>(n: N) -> Option<u64> {
    n.__wl_number()
}

/// Not public API. The integer types `#[iteration(number = ...)]` accepts.
#[diagnostic::on_unimplemented(
    message = "an iteration number must be an integer, not `{Self}`",
    label = "not an integer"
)]
pub trait IterationNumber {
    /// Not public API.
    fn __wl_number(self) -> Option<u64>;
}

macro_rules! iteration_numbers {
    ($($t:ty)*) => {$(
        impl IterationNumber for $t {
            #[inline]
            fn __wl_number(self) -> Option<u64> {
                u64::try_from(self).ok()
            }
        }
        impl IterationNumber for &$t {
            #[inline]
            fn __wl_number(self) -> Option<u64> {
                u64::try_from(*self).ok()
            }
        }
    )*};
}

iteration_numbers!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

/// Not public API. Wraps a value for capture by autoref specialisation (see [`autoref`]):
/// `(&&&Wrap(&x)).__wl_payload()` is its JSON if it implements `Serialize`, else its `Debug`
/// text, else its type name.
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> fmt::Debug for Wrap<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wrap")
    }
}

/// Not public API. The traits that choose, at compile time and with no bound added to the
/// user's function, how a value is captured: generated code glob-imports this module inside a
/// block of its own (the user's code never sees these names) and calls the methods on
/// `&&&Wrap(&value)` or `&&Wrap(&value)`; method resolution takes the impl with the most `&`s
/// whose bounds hold. The module holds traits only, so the glob import can't shadow a variable.
pub mod autoref {
    use std::borrow::Cow;
    use std::fmt;

    use serde::Serialize;

    use super::{InputWriter, Payload, Wrap};
    use crate::payload;

    /// Not public API. `__wl_payload` (and `__wl_append`, the same written into a function's
    /// input object), first choice: JSON through `Serialize`.
    pub trait ViaSerialize {
        /// Not public API.
        fn __wl_payload(&self) -> Payload;
        /// Not public API.
        fn __wl_append(&self, w: &mut InputWriter<'_>);
    }

    impl<T: Serialize + ?Sized> ViaSerialize for &&Wrap<'_, T> {
        #[inline]
        fn __wl_payload(&self) -> Payload {
            payload::json(self.0)
        }

        #[inline]
        fn __wl_append(&self, w: &mut InputWriter<'_>) {
            payload::json_append(w.out, self.0, w.cfg);
        }
    }

    /// Not public API. `__wl_payload` / `__wl_append`, second choice: the `Debug` text.
    pub trait ViaDebug {
        /// Not public API.
        fn __wl_payload(&self) -> Payload;
        /// Not public API.
        fn __wl_append(&self, w: &mut InputWriter<'_>);
    }

    impl<T: fmt::Debug + ?Sized> ViaDebug for &Wrap<'_, T> {
        #[inline]
        fn __wl_payload(&self) -> Payload {
            payload::debug(self.0)
        }

        #[inline]
        fn __wl_append(&self, w: &mut InputWriter<'_>) {
            payload::debug_append(w.out, self.0, w.cfg);
        }
    }

    /// Not public API. `__wl_payload` / `__wl_append`, last choice: the type's name.
    pub trait ViaTypeName {
        /// Not public API.
        fn __wl_payload(&self) -> Payload;
        /// Not public API.
        fn __wl_append(&self, w: &mut InputWriter<'_>);
    }

    impl<T: ?Sized> ViaTypeName for Wrap<'_, T> {
        #[inline]
        fn __wl_payload(&self) -> Payload {
            payload::json(std::any::type_name::<T>())
        }

        #[inline]
        fn __wl_append(&self, w: &mut InputWriter<'_>) {
            payload::json_append(w.out, std::any::type_name::<T>(), w.cfg);
        }
    }

    /// Not public API. `(&&&Wrap(&ret)).__wl_error()`: the error text of a `Result` that is
    /// `Err` (its `Display`, else its `Debug`), `None` for `Ok` and for every other type.
    pub trait ErrDisplay {
        /// Not public API.
        fn __wl_error(&self) -> Option<String>;
    }

    impl<T, E: fmt::Display> ErrDisplay for &&Wrap<'_, Result<T, E>> {
        #[inline]
        fn __wl_error(&self) -> Option<String> {
            self.0.as_ref().err().map(payload::display_text)
        }
    }

    /// Not public API.
    pub trait ErrDebug {
        /// Not public API.
        fn __wl_error(&self) -> Option<String>;
    }

    impl<T, E: fmt::Debug> ErrDebug for &Wrap<'_, Result<T, E>> {
        #[inline]
        fn __wl_error(&self) -> Option<String> {
            self.0.as_ref().err().map(payload::debug_text)
        }
    }

    /// Not public API.
    pub trait NotErr {
        /// Not public API.
        fn __wl_error(&self) -> Option<String>;
    }

    impl<T: ?Sized> NotErr for Wrap<'_, T> {
        #[inline]
        fn __wl_error(&self) -> Option<String> {
            None
        }
    }

    /// Not public API. `(&&Wrap(&ret)).__wl_ok()`: what is captured as the output — the `Ok`
    /// value of a `Result` (`None` when it is `Err`), the value itself for any other type.
    pub trait OkOfResult<'a> {
        /// Not public API.
        type Ok: ?Sized + 'a;
        /// Not public API.
        fn __wl_ok(&self) -> Option<&'a Self::Ok>;
    }

    impl<'a, T: 'a, E> OkOfResult<'a> for &Wrap<'a, Result<T, E>> {
        type Ok = T;
        #[inline]
        fn __wl_ok(&self) -> Option<&'a T> {
            self.0.as_ref().ok()
        }
    }

    /// Not public API.
    pub trait OkOfValue<'a> {
        /// Not public API.
        type Ok: ?Sized + 'a;
        /// Not public API.
        fn __wl_ok(&self) -> Option<&'a Self::Ok>;
    }

    impl<'a, T: ?Sized + 'a> OkOfValue<'a> for Wrap<'a, T> {
        type Ok = T;
        #[inline]
        fn __wl_ok(&self) -> Option<&'a T> {
            Some(self.0)
        }
    }

    /// Not public API. `(&&Wrap(&agent)).__wl_agent()`: an agent name from any string-like
    /// value (`&str`, `String`, `Cow<str>`, `Arc<str>` ...), else from its `Display` text.
    pub trait AgentStr {
        /// Not public API.
        fn __wl_agent(&self) -> Cow<'static, str>;
    }

    impl<T: AsRef<str> + ?Sized> AgentStr for &Wrap<'_, T> {
        #[inline]
        fn __wl_agent(&self) -> Cow<'static, str> {
            Cow::Owned(self.0.as_ref().to_owned())
        }
    }

    /// Not public API.
    pub trait AgentDisplay {
        /// Not public API.
        fn __wl_agent(&self) -> Cow<'static, str>;
    }

    impl<T: fmt::Display + ?Sized> AgentDisplay for Wrap<'_, T> {
        #[inline]
        fn __wl_agent(&self) -> Cow<'static, str> {
            Cow::Owned(payload::display_text(self.0))
        }
    }
}
