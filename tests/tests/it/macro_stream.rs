//! A function that returns a `Stream` (issue 15): its record opens at the call, the records
//! made while the stream is polled are its children, its items are the output (within the
//! payload limit), and it closes when the stream ends (`ok`) or is dropped before (`cancelled`).
//!
//! Also a lint test: the expansion must stay clean under `clippy::pedantic` too.
#![deny(warnings, clippy::all, clippy::pedantic)]

use std::cell::Cell;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use serde::Serialize;
use serde_json::json;
use workflow_log::{action, interaction, iteration, Workflow};
use workflow_log_tests::{capture_valid, capture_valid_with};

/// Runs `f` to completion on a current-thread runtime.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[action]
fn numbers(n: u32) -> impl Stream<Item = u32> {
    stream::iter(0..n)
}

#[test]
fn a_stream_that_ends_is_ok_with_its_items_as_output() {
    let (items, log) = capture_valid(|| {
        block_on(async {
            let mut s = numbers(3);
            let mut items = Vec::new();
            while let Some(i) = s.next().await {
                items.push(i);
            }
            // Ended: the record is closed, though the stream is still alive.
            workflow_log::action("after_the_end").log();
            drop(s);
            items
        })
    });
    assert_eq!(items, [0, 1, 2]);
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:#?}");
    assert_eq!(actions[0]["action_name"], "numbers");
    assert_eq!(actions[0]["status"], "ok");
    assert_eq!(actions[0]["input_data"], json!({"n": 3}));
    assert_eq!(actions[0]["output_data"], json!([0, 1, 2]));
    assert_eq!(actions[1]["action_name"], "after_the_end");
    // Closed when the stream ended, not when it was dropped.
    assert!(
        actions[0]["end_time"].as_str() <= actions[1]["start_time"].as_str(),
        "{actions:#?}"
    );
}

#[test]
fn a_stream_dropped_before_its_end_is_cancelled_with_the_items_it_gave() {
    let ((), log) = capture_valid(|| {
        block_on(async {
            let taken: Vec<u32> = numbers(10).take(2).collect().await;
            assert_eq!(taken, [0, 1]);
            // Never polled at all: open from the call, so cancelled too.
            drop(numbers(5));
        });
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["status"], "cancelled");
    assert_eq!(actions[0]["output_data"], json!([0, 1]));
    assert_eq!(actions[1]["status"], "cancelled");
    assert_eq!(actions[1]["output_data"], json!([]));
}

#[action]
async fn lookup(i: u32) -> u32 {
    i * 10
}

#[interaction(agent = "streamer")]
fn lookups(n: u32) -> impl Stream<Item = u32> {
    // Made while the stream is built: inside the record too.
    workflow_log::action("plan").log();
    stream::iter(0..n).then(lookup)
}

/// A hand-written stream that logs an event at each poll.
struct Ticks {
    left: u32,
}

impl Stream for Ticks {
    type Item = u32;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.left -= 1;
        workflow_log::event("tick", json!({"left": self.left}));
        Poll::Ready(Some(self.left))
    }
}

#[action]
fn ticks(n: u32) -> impl Stream<Item = u32> + Send + Unpin {
    Ticks { left: n }
}

#[test]
fn records_made_while_the_stream_is_polled_are_its_children() {
    let ((), log) = capture_valid(|| {
        block_on(async {
            let mut s = std::pin::pin!(lookups(2));
            assert_eq!(s.next().await, Some(0));
            // Between two polls the stream's record is not the current one.
            workflow_log::action("between").log();
            assert_eq!(s.next().await, Some(10));
            assert_eq!(s.next().await, None);
            let mut t = ticks(2);
            while t.next().await.is_some() {}
        });
    });
    let streamer = &log["interactions"][0];
    assert_eq!(streamer["agent_name"], "streamer");
    assert_eq!(streamer["status"], "ok");
    assert_eq!(streamer["output"], json!([0, 10]));
    let children: Vec<_> = streamer["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action_name"].clone(), a["output_data"].clone()))
        .collect();
    assert_eq!(
        children,
        [
            (json!("plan"), serde_json::Value::Null),
            (json!("lookup"), json!(0)),
            (json!("lookup"), json!(10))
        ]
    );
    let top: Vec<_> = log["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action_name"].clone())
        .collect();
    assert_eq!(top, [json!("between"), json!("ticks")]);
    let ticks = &log["actions"][1];
    assert_eq!(ticks["output_data"], json!([1, 0]));
    assert_eq!(ticks["events"].as_array().unwrap().len(), 2);
    assert_eq!(ticks["events"][1]["data"], json!({"left": 0}));
}

#[derive(Serialize)]
struct Chunk {
    text: &'static str,
    api_key: &'static str,
}

#[derive(Debug)]
struct Opaque(u8);

#[action]
fn chunks() -> impl Stream<Item = Chunk> {
    stream::iter([
        Chunk {
            text: "Hel",
            api_key: "k1",
        },
        Chunk {
            text: "lo",
            api_key: "k2",
        },
    ])
}

#[action]
fn opaque() -> impl Stream<Item = Opaque> {
    stream::iter([Opaque(1), Opaque(2)])
}

#[action]
fn replies(fail: bool) -> BoxStream<'static, Result<String, std::io::Error>> {
    if !fail {
        // An early return is recorded too.
        return stream::iter([Ok("fine".to_owned())]).boxed();
    }
    stream::iter([
        Ok("partial".to_owned()),
        Err(std::io::Error::other("connection reset")),
    ])
    .boxed()
}

#[test]
fn items_are_captured_like_return_values() {
    let ((), log) = capture_valid(|| {
        block_on(async {
            let _: Vec<Chunk> = chunks().collect().await;
            let o: Vec<Opaque> = opaque().collect().await;
            assert_eq!(o[1].0, 2);
            let ok: Vec<_> = replies(false).collect().await;
            assert_eq!(ok.len(), 1);
            let failed: Vec<_> = replies(true).collect().await;
            assert!(failed[1].is_err());
            // A consumer that stops at the error: dropped before the end, still an error.
            let mut s = replies(true);
            while let Some(Ok(_)) = s.next().await {}
            drop(s);
        });
    });
    let actions = log["actions"].as_array().unwrap();
    // Serialize, with secrets redacted.
    assert_eq!(
        actions[0]["output_data"],
        json!([{"text": "Hel", "api_key": "[REDACTED]"}, {"text": "lo", "api_key": "[REDACTED]"}])
    );
    // Debug text.
    assert_eq!(actions[1]["output_data"], json!(["Opaque(1)", "Opaque(2)"]));
    // `Ok` values as the items; an `Err` is the record's error.
    assert_eq!(actions[2]["status"], "ok");
    assert_eq!(actions[2]["output_data"], json!(["fine"]));
    assert_eq!(actions[3]["status"], "error");
    assert_eq!(actions[3]["error"], "connection reset");
    assert_eq!(actions[3]["output_data"], json!(["partial"]));
    assert_eq!(actions[4]["status"], "error");
    assert_eq!(actions[4]["error"], "connection reset");
}

/// An item that counts how often it was serialised.
struct Counted<'a>(&'a Cell<usize>);

impl Serialize for Counted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.set(self.0.get() + 1);
        serializer.serialize_str("0123456789")
    }
}

#[action]
fn many(seen: &Cell<usize>, n: usize) -> Pin<Box<dyn Stream<Item = Counted<'_>> + '_>> {
    Box::pin(stream::iter((0..n).map(move |_| Counted(seen))))
}

#[test]
fn items_past_the_payload_limit_are_not_kept_nor_serialised() {
    let seen = Cell::new(0);
    let builder = Workflow::builder("limits")
        .max_payload_bytes(100)
        .max_string_bytes(30);
    let (count, log) = capture_valid_with(builder, || block_on(many(&seen, 1000).count()));
    assert_eq!(count, 1000, "every item still reaches the caller");
    // `"0123456789"` and a comma: 13 bytes an item; the 8th passes 100 bytes.
    assert_eq!(seen.get(), 8);
    let output = &log["actions"][0]["output_data"];
    assert_eq!(output["more_than_bytes"], 100);
    assert_eq!(output["truncated"], "[\"0123456789\",\"0123456789\",\"01");
    assert_eq!(log["actions"][0]["status"], "ok");
}

#[test]
fn outside_a_workflow_the_stream_runs_and_nothing_is_serialised() {
    let seen = Cell::new(0);
    assert_eq!(block_on(many(&seen, 5).count()), 5);
    assert_eq!(seen.get(), 0);
}

#[iteration]
fn round() -> impl Stream<Item = u32> {
    stream::iter([1, 2])
}

#[test]
fn an_iterations_stream_records_no_output() {
    let (sum, log) = capture_valid(|| block_on(round().fold(0, |a, b| async move { a + b })));
    assert_eq!(sum, 3);
    let it = &log["iterations"][0];
    assert_eq!(it["status"], "ok");
    assert!(it.get("output").is_none(), "{it}");
}

#[test]
fn a_recorded_stream_is_send_and_runs_on_a_multi_threaded_runtime() {
    use workflow_log::FutureExt;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (sum, log) = capture_valid(|| {
        rt.block_on(async {
            let task = tokio::spawn(
                async { lookups(3).fold(0, |a, b| async move { a + b }).await }
                    .in_current_context(),
            );
            task.await.unwrap()
        })
    });
    assert_eq!(sum, 30);
    let streamer = &log["interactions"][0];
    assert_eq!(streamer["output"], json!([0, 10, 20]));
    assert_eq!(streamer["actions"].as_array().unwrap().len(), 4);
}
