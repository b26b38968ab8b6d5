//! [`AsyncCall`] and [`Instrumented`]: an `async fn`'s record, entered at each poll of its
//! future, so that it is right on a multi-threaded runtime (tracing's `Instrument` model).

use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;

use super::Failure;
use crate::capture::Payload;
use crate::clock;
use crate::record::{drop_status, Kind, Status};
use crate::runtime::thread::{self, Frame, OpenRecord};
use crate::runtime::workflow::LiveWorkflow;
use crate::Level;

/// Not public API. The open record of an `async fn` call, off the thread's stack: entered while
/// its future is polled. Dropped before the future completed, it closes `cancelled` (or
/// `panicked`, when a panic unwinds through it); once the future has completed, `ok` unless an
/// error was set.
pub struct AsyncCall {
    open: Option<(OpenRecord, Arc<LiveWorkflow>)>,
    completed: bool,
    /// Not kept because no workflow was live at the call: counted while it is polled.
    unrecorded: bool,
}

impl fmt::Debug for AsyncCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncCall")
    }
}

impl AsyncCall {
    /// Opens the record in `slot` (if any) and takes its frame off this thread's stack again:
    /// it is entered per poll, not kept on the stack.
    pub(super) fn open(mut slot: Option<OpenRecord>, unrecorded: bool) -> AsyncCall {
        thread::open_in_place(&mut slot, Level::Info);
        let open = slot.and_then(|open| {
            let frame = Frame {
                id: open.rec.id,
                kind: open.rec.kind,
            };
            let live = thread::leave_frame(frame, open.serial)?;
            Some((open, live))
        });
        AsyncCall {
            open,
            completed: false,
            unrecorded,
        }
    }

    /// Makes the record the innermost on this thread while the guard lives.
    fn enter(&self) -> Option<Polled> {
        if self.unrecorded {
            thread::count_unrecorded(true);
            return Some(Polled::Unrecorded);
        }
        let (open, live) = self.open.as_ref()?;
        let frame = Frame {
            id: open.rec.id,
            kind: open.rec.kind,
        };
        Some(Polled::Entered(thread::enter(live, Some(frame))))
    }

    /// Not public API. Whether the record is kept.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.open.is_some()
    }

    /// Not public API. Makes the record the innermost on this thread until the guard drops:
    /// for the body of a function that builds its future without an `async` block, so that
    /// the records that body opens (another function's future) nest under it.
    pub fn scope(&self) -> AsyncScope {
        AsyncScope {
            _entered: self.enter(),
        }
    }

    /// Not public API.
    pub fn output(&mut self, value: Payload) {
        if let Some((open, _)) = &mut self.open {
            open.rec.set_output(value);
        }
    }

    /// Not public API.
    pub fn error(&mut self, failure: Failure) {
        if let Some((open, _)) = &mut self.open {
            open.rec.set_error_chain(failure.text, failure.chain);
        }
    }

    /// Whether the record keeps an output (an iteration has none).
    pub(super) fn keeps_output(&self) -> bool {
        self.open
            .as_ref()
            .is_some_and(|(open, _)| open.rec.kind != Kind::Iteration)
    }

    /// Closes the record now, as completed: `ok` unless an error was set. What polls it after
    /// that runs outside any record.
    pub(super) fn complete(&mut self) {
        self.unrecorded = false;
        drop(AsyncCall {
            open: self.open.take(),
            completed: true,
            unrecorded: false,
        });
    }
}

impl Drop for AsyncCall {
    fn drop(&mut self) {
        if let Some((OpenRecord { mut rec, serial }, _)) = self.open.take() {
            // Unfinished: cancelled, or panicked when a panic unwinds through it (a panicking
            // `async` body drops its live locals, this future among them, while unwinding;
            // tokio drops a panicked task's future while unwinding too).
            let status = if self.completed {
                Status::Ok
            } else {
                Status::Cancelled
            };
            rec.end = clock::now();
            if rec.status == Status::Ok {
                rec.status = drop_status(status);
            }
            thread::close(rec, serial);
        }
    }
}

/// Not public API. See [`AsyncCall::scope`].
pub struct AsyncScope {
    _entered: Option<Polled>,
}

impl fmt::Debug for AsyncScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncScope")
    }
}

/// The record entered for one poll (or one drop) of its future.
enum Polled {
    // Held for its `Drop`, which leaves the record.
    Entered(#[allow(dead_code)] thread::Entered),
    /// Counted as an unrecorded record running on this thread until dropped.
    Unrecorded,
}

impl Drop for Polled {
    fn drop(&mut self) {
        if let Polled::Unrecorded = self {
            thread::count_unrecorded(false);
        }
    }
}

/// Not public API. Polls `future` with the call's record entered; resolves to the future's
/// output and the still-open record, so that the generated code can capture the output.
pub fn instrument<F: Future>(call: AsyncCall, future: F) -> Instrumented<F> {
    Instrumented {
        inner: ManuallyDrop::new(future),
        call,
    }
}

pin_project! {
    /// Not public API. The future of an annotated `async fn`.
    pub struct Instrumented<F: Future> {
        // Dropped by hand, inside the record (see `PinnedDrop`).
        #[pin]
        inner: ManuallyDrop<F>,
        call: AsyncCall,
    }

    impl<F: Future> PinnedDrop for Instrumented<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Whatever the future logs while it is dropped belongs under its record.
            let entered = this.call.enter();
            // SAFETY: `inner` is dropped exactly once, here, in place, and never used again.
            unsafe { ManuallyDrop::drop(this.inner.get_unchecked_mut()) };
            drop(entered);
            // A record still held here was never completed: `AsyncCall`'s drop marks it
            // cancelled.
        }
    }
}

impl<F: Future> fmt::Debug for Instrumented<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Instrumented")
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = (F::Output, AsyncCall);

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let entered = this.call.enter();
        // SAFETY: the `ManuallyDrop` is pinned, and so is the future in it: it is never moved
        // out, only polled and dropped in place.
        let inner = unsafe { this.inner.map_unchecked_mut(|inner| &mut **inner) };
        let result = inner.poll(cx);
        drop(entered);
        match result {
            Poll::Ready(output) => Poll::Ready((
                output,
                AsyncCall {
                    open: this.call.open.take(),
                    completed: true,
                    unrecorded: false,
                },
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}
