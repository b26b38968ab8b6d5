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

use serde::Serialize;

use crate::clock;
use crate::local::{self, Frame};
use crate::payload;
use crate::record::{Kind, Record, Status};
use crate::workflow::{self, Shared};
use crate::Level;

pub use crate::payload::Payload;

/// Not public API. A record a macro is about to open.
pub struct Span {
    rec: Option<Record>,
    inputs: Vec<(&'static str, Payload)>,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Span")
    }
}

impl Span {
    #[inline]
    fn new(kind: Kind, name: impl FnOnce() -> Cow<'static, str>) -> Span {
        Span {
            rec: workflow::any_enabled(Level::Info).then(|| Record::new(kind, name())),
            inputs: Vec::new(),
        }
    }

    /// Not public API.
    #[inline]
    pub fn iteration(number: Option<u64>) -> Span {
        let mut span = Span::new(Kind::Iteration, || Cow::Borrowed(""));
        if let (Some(rec), Some(n)) = (&mut span.rec, number) {
            rec.number = n;
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
        self.rec.is_some()
    }

    /// Not public API. One argument of the function, by name.
    pub fn input(&mut self, name: &'static str, value: Payload) {
        self.inputs.push((name, value));
    }

    fn finish_inputs(&mut self) {
        if let Some(rec) = &mut self.rec {
            if rec.kind != Kind::Iteration {
                rec.input = Some(inputs_object(&self.inputs));
            }
        }
    }

    /// Not public API. Opens the record on this thread; it closes when the guard drops.
    #[inline]
    pub fn enter(mut self) -> SpanGuard {
        self.finish_inputs();
        let open = self.rec.and_then(|mut rec| {
            let serial = local::open(&mut rec, Level::Info)?;
            Some((rec, serial))
        });
        SpanGuard {
            open,
            _not_send: PhantomData,
        }
    }

    /// Not public API. Opens the record for a future: its frame is entered only while the
    /// future is polled.
    pub fn detach(mut self) -> AsyncSpan {
        self.finish_inputs();
        let open = self.rec.and_then(|mut rec| {
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

/// `{"arg": value, ...}` from captured arguments, in order.
fn inputs_object(inputs: &[(&'static str, Payload)]) -> Payload {
    payload::object(inputs.iter().map(|(k, v)| (*k, v)))
}

/// Not public API. An open record of a synchronous function.
#[must_use]
pub struct SpanGuard {
    open: Option<(Record, u64)>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for SpanGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpanGuard")
    }
}

impl SpanGuard {
    /// Not public API.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.open.is_some()
    }

    /// Not public API.
    pub fn output(&mut self, value: Payload) {
        if let Some((rec, _)) = &mut self.open {
            rec.output = Some(value);
        }
    }

    /// Not public API.
    pub fn error(&mut self, message: String) {
        if let Some((rec, _)) = &mut self.open {
            rec.set_error(message);
        }
    }
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        if let Some((mut rec, serial)) = self.open.take() {
            rec.end = clock::now();
            rec.status = local::drop_status(rec.status);
            local::close(rec, serial);
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
            open.close(Status::Cancelled);
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

/// Not public API. Wraps a value for capture by autoref specialisation:
/// `(&&&Wrap(&x)).__wl_payload()` is its JSON if it implements `Serialize`, else its `Debug`
/// text, else its type name.
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> fmt::Debug for Wrap<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wrap")
    }
}

/// Not public API.
pub trait ViaSerialize {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
}

impl<T: Serialize + ?Sized> ViaSerialize for &&Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        payload::json(self.0)
    }
}

/// Not public API.
pub trait ViaDebug {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
}

impl<T: fmt::Debug + ?Sized> ViaDebug for &Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        payload::debug(self.0)
    }
}

/// Not public API.
pub trait ViaTypeName {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
}

impl<T: ?Sized> ViaTypeName for Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        payload::string(std::any::type_name::<T>())
    }
}

/// Not public API. `(&&&Wrap(&ret)).__wl_error()`: the error text of a `Result` that is `Err`
/// (its `Display`, else its `Debug`, else its type name), `None` for `Ok` and for every other
/// type.
pub trait ErrDisplay {
    /// Not public API.
    fn __wl_error(&self) -> Option<String>;
}

impl<T, E: fmt::Display> ErrDisplay for &&Wrap<'_, Result<T, E>> {
    #[inline]
    fn __wl_error(&self) -> Option<String> {
        self.0.as_ref().err().map(ToString::to_string)
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
        self.0.as_ref().err().map(|e| format!("{e:?}"))
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

/// Not public API. Converts an iteration number of any integer type.
#[inline]
pub fn iteration_number<N: TryInto<u64>>(n: N) -> Option<u64> {
    n.try_into().ok()
}
