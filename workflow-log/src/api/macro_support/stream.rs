//! [`InstrumentedStream`]: the record of a function that returns a `Stream`. It opens at the
//! call, is entered at each poll of the stream (so the records made while polling it are its
//! children), keeps the items as its output, and closes when the stream ends (`ok`) or is
//! dropped before its end (`cancelled`, with the items it had yielded).

use std::fmt;
use std::mem::{self, ManuallyDrop};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use super::future::AsyncCall;
use super::{Failure, InputWriter};
use crate::capture::{self, Config};
use crate::runtime::settings;

/// Not public API. Records `stream` under `call` (opened at the call, see `Call::detach`):
/// `on_item` is given each item it yields while the record is kept, and hands the item's `Ok`
/// value (or the item) to [`StreamItems::push`], an `Err` to [`StreamItems::error`].
pub fn instrument_stream<S, F>(call: AsyncCall, stream: S, on_item: F) -> InstrumentedStream<S, F>
where
    S: Stream,
    F: FnMut(&S::Item, &mut StreamItems),
{
    InstrumentedStream {
        inner: ManuallyDrop::new(stream),
        call,
        items: StreamItems::default(),
        on_item,
    }
}

/// Not public API. The items a stream yielded, as the text of a JSON array, kept while it is
/// within the workflow's payload limit; past it, no item is serialised any more and the array
/// is cut as any value over the limit is (`{"truncated": .., "more_than_bytes": ..}`).
#[derive(Default)]
pub struct StreamItems {
    /// `[` and the items so far, comma-separated (empty before the first).
    text: String,
    /// The settings of the workflow, looked up at the first item.
    cfg: Option<Arc<Config>>,
    looked_up: bool,
    /// The text is over the payload limit: the items after are not kept.
    over: bool,
    /// The last `Err` item's error.
    failure: Option<Failure>,
}

impl fmt::Debug for StreamItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamItems")
    }
}

impl StreamItems {
    /// Not public API. Appends one item, written by `write` (see
    /// [`autoref`](super::autoref)); nothing once the items are over the payload limit.
    pub fn push(&mut self, write: impl FnOnce(&mut InputWriter<'_>)) {
        if self.over {
            return;
        }
        if !self.looked_up {
            self.cfg = settings::config();
            self.looked_up = true;
        }
        let cfg = capture::settings(&self.cfg);
        let text = &mut self.text;
        text.push(if text.is_empty() { '[' } else { ',' });
        let mut writer = InputWriter {
            out: text,
            cfg,
            whole: Some(0),
            over: false,
        };
        write(&mut writer);
        self.over = writer.over || text.len() > cfg.max_total;
    }

    /// Not public API. An item that is an `Err`: the record's error (the last one wins).
    pub fn error(&mut self, failure: Failure) {
        self.failure = Some(failure);
    }

    /// Sets the record's output (the items so far) and error, if it is still open.
    fn finish(&mut self, call: &mut AsyncCall) {
        if let Some(failure) = self.failure.take() {
            call.error(failure);
        }
        if call.keeps_output() {
            let text = mem::take(&mut self.text);
            let cfg = capture::settings(&self.cfg);
            call.output(capture::array_payload(text, self.over, cfg));
        }
    }
}

pin_project! {
    /// Not public API. The stream returned by an annotated function that returns a `Stream`.
    pub struct InstrumentedStream<S, F> {
        // Dropped by hand, inside the record (see `PinnedDrop`).
        #[pin]
        inner: ManuallyDrop<S>,
        call: AsyncCall,
        items: StreamItems,
        on_item: F,
    }

    impl<S, F> PinnedDrop for InstrumentedStream<S, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Whatever the stream logs while it is dropped belongs under its record.
            let scope = this.call.scope();
            // SAFETY: `inner` is dropped exactly once, here, in place, and never used again.
            unsafe { ManuallyDrop::drop(this.inner.get_unchecked_mut()) };
            drop(scope);
            // Still open: the stream did not end. Its items so far are the output, and
            // `AsyncCall`'s drop marks it cancelled (panicked while unwinding).
            this.items.finish(this.call);
        }
    }
}

impl<S, F> fmt::Debug for InstrumentedStream<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstrumentedStream")
    }
}

impl<S, F> Stream for InstrumentedStream<S, F>
where
    S: Stream,
    F: FnMut(&S::Item, &mut StreamItems),
{
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        let scope = this.call.scope();
        // SAFETY: the `ManuallyDrop` is pinned, and so is the stream in it: it is never moved
        // out, only polled and dropped in place.
        let inner = unsafe { this.inner.map_unchecked_mut(|inner| &mut **inner) };
        let poll = inner.poll_next(cx);
        match &poll {
            Poll::Ready(Some(item)) => {
                if this.call.enabled() {
                    // Inside the record: its workflow's settings apply.
                    (this.on_item)(item, this.items);
                }
            }
            Poll::Ready(None) => {
                drop(scope);
                this.items.finish(this.call);
                this.call.complete();
                return poll;
            }
            Poll::Pending => {}
        }
        drop(scope);
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S, F> FusedStream for InstrumentedStream<S, F>
where
    S: FusedStream,
    F: FnMut(&S::Item, &mut StreamItems),
{
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}
