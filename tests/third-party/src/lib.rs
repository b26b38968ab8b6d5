//! A stand-in for a crate an agent calls (an HTTP client, an LLM SDK): it logs through
//! `tracing` and `log` only, and knows nothing of workflow-log. The bridge tests check that what
//! it logs lands in the caller's records.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A synchronous call in a span, with an event inside it.
#[tracing::instrument]
pub fn fetch(url: &str) -> usize {
    tracing::info!(bytes = 512_u64, status = 200, cached = false, "fetched");
    512
}

/// An async call in a span (`#[instrument]`), with events between its awaits and a field
/// recorded later.
#[tracing::instrument(fields(attempts = tracing::field::Empty))]
pub async fn search(task: u64, query: String) -> Vec<String> {
    tracing::debug!(task, "searching");
    yield_now().await;
    tracing::info!(task, step = 1_u64, "first page");
    yield_now().await;
    tracing::Span::current().record("attempts", 2_u64);
    tracing::info!(task, step = 2_u64, "second page");
    vec![format!("{query} #{task}")]
}

/// A call whose `Err` `#[instrument(err)]` reports.
#[tracing::instrument(err)]
pub fn parse(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|e| format!("bad number {text:?}: {e}"))
}

/// A call whose return value `#[instrument(ret)]` reports.
#[tracing::instrument(ret)]
pub fn double(n: u64) -> u64 {
    n * 2
}

/// A call in a span that panics.
#[tracing::instrument]
pub fn explode(reason: &str) {
    tracing::warn!("about to fail");
    panic!("{reason}");
}

/// A call that logs through `log`, with key-values.
pub fn legacy(count: u32) {
    log::info!(count = count, ok = true; "legacy call done");
    log::debug!("legacy detail");
    log::trace!(target: "third_party::wire", "bytes on the wire");
}

/// Returns `Pending` once, so that an async call really awaits (and may move to another thread).
pub fn yield_now() -> impl Future<Output = ()> {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
    YieldNow(false)
}
