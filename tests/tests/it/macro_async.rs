//! The attributes on `async fn` (and on plain fns returning futures) under a real multi-threaded
//! tokio runtime: one record per future, entered only while it is polled, `Send` whenever the
//! body is, `cancelled` when dropped unfinished, `panicked` when its poll panics.

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use serde_json::{json, Value};
use workflow_log::{action, interaction, FutureExt};
use workflow_log_tests::capture_valid;

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("a runtime")
}

fn assert_send<T: Send>(_: &T) {}

#[interaction(agent = format!("agent_{id}"))]
async fn agent_task(id: u32) -> u32 {
    let a = tool(id, 1).await;
    tokio::task::yield_now().await;
    workflow_log::event("between_tools", json!({ "id": id }));
    let b = tool(id, 2).await;
    a + b
}

#[action]
async fn tool(owner: u32, step: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(owner % 3))).await;
    tokio::task::yield_now().await;
    owner * 10 + step
}

#[test]
fn hundreds_of_concurrent_tasks_each_log_into_their_own_interaction() {
    const TASKS: u32 = 300;
    let (sum, log) = capture_valid(|| {
        multi_thread().block_on(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|id| {
                    let task = agent_task(id);
                    assert_send(&task);
                    tokio::spawn(task.in_current_context())
                })
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("the task finished");
            }
            sum
        })
    });
    assert_eq!(sum, (0..TASKS).map(|id| id * 20 + 3).sum::<u32>());

    let interactions = log["interactions"]
        .as_array()
        .expect("top-level interactions");
    assert_eq!(interactions.len(), TASKS as usize);
    let mut seen = vec![false; TASKS as usize];
    for inter in interactions {
        let id = inter["input"]["id"].as_u64().unwrap() as u32;
        seen[id as usize] = true;
        assert_eq!(inter["agent_name"], format!("agent_{id}"));
        assert_eq!(inter["status"], "ok");
        assert_eq!(inter["output"], id * 20 + 3);
        let actions = inter["actions"].as_array().unwrap();
        let steps: Vec<(Value, Value)> = actions
            .iter()
            .map(|a| {
                (
                    a["input_data"]["owner"].clone(),
                    a["input_data"]["step"].clone(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [(json!(id), json!(1)), (json!(id), json!(2))],
            "{inter:#}"
        );
        assert_eq!(inter["events"][0]["data"]["id"], id);
    }
    assert!(seen.iter().all(|s| *s));
    assert!(
        log["actions"].is_null(),
        "no action escaped its interaction"
    );
}

/// A `Cell` is `Send` but not `Sync`: if the expansion kept `&c` alive across an `.await`, the
/// future would not be `Send` and this would not compile.
#[action]
async fn with_cell(c: Cell<u32>) -> u32 {
    tokio::task::yield_now().await;
    c.set(c.get() + 1);
    c.get()
}

#[action]
fn boxed_send(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        tokio::task::yield_now().await;
        x + 1
    })
}

#[test]
fn instrumented_futures_are_send_and_spawnable() {
    let (out, log) = capture_valid(|| {
        multi_thread().block_on(async {
            let a = tokio::spawn(with_cell(Cell::new(1)).in_current_context());
            let b = tokio::spawn(boxed_send(4).in_current_context());
            (a.await.unwrap(), b.await.unwrap())
        })
    });
    assert_eq!(out, (2, 5));
    let actions = log["actions"].as_array().unwrap();
    let mut names: Vec<&str> = actions
        .iter()
        .map(|a| a["action_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["boxed_send", "with_cell"]);
    assert!(actions.iter().all(|a| a["status"] == "ok"));
}

#[interaction(agent = "slow")]
async fn slow(step: u32) -> u32 {
    tokio::time::sleep(Duration::from_secs(30)).await;
    step
}

#[action]
fn slow_future() -> impl Future<Output = u32> {
    async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        1
    }
}

#[test]
fn a_future_dropped_before_it_completes_is_cancelled() {
    let (_, log) = capture_valid(|| {
        multi_thread().block_on(async {
            let timed_out = tokio::time::timeout(Duration::from_millis(20), slow(1)).await;
            assert!(timed_out.is_err());
            // A plain fn's future is recorded from the call: dropped unpolled, it is cancelled.
            drop(slow_future());
        })
    });
    let slow = &log["interactions"][0];
    assert_eq!(slow["agent_name"], "slow");
    assert_eq!(slow["status"], "cancelled");
    assert_eq!(slow["input"], json!({"step": 1}));
    assert_eq!(slow["output"], Value::Null);
    assert_eq!(log["actions"][0]["action_name"], "slow_future");
    assert_eq!(log["actions"][0]["status"], "cancelled");
}

#[interaction(agent = "waiter")]
async fn waits_once() -> &'static str {
    workflow_log::action("inside_first_poll").log();
    Pending::once().await;
    workflow_log::action("inside_second_poll").log();
    "done"
}

/// Pending on its first poll, ready on its second.
struct Pending(bool);

impl Pending {
    fn once() -> Self {
        Pending(false)
    }
}

impl Future for Pending {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

#[test]
fn the_record_is_current_only_while_its_future_is_polled() {
    let (out, log) = capture_valid(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut task = pin!(waits_once());
        assert!(task.as_mut().poll(&mut cx).is_pending());
        // The interaction is open but not being polled: this goes to the workflow.
        workflow_log::action("between_polls").log();
        task.as_mut().poll(&mut cx)
    });
    assert_eq!(out, Poll::Ready("done"));
    let waiter = &log["interactions"][0];
    assert_eq!(waiter["output"], "done");
    let inside: Vec<&str> = waiter["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(inside, ["inside_first_poll", "inside_second_poll"]);
    assert_eq!(log["actions"][0]["action_name"], "between_polls");
}

#[action]
async fn panics_when_polled(fail: bool) -> u32 {
    tokio::task::yield_now().await;
    assert!(!fail, "tool failed");
    1
}

#[test]
fn a_panicking_poll_marks_the_record_panicked() {
    let (joined, log) = capture_valid(|| {
        multi_thread().block_on(async {
            // tokio catches the panic and drops the task's future afterwards.
            tokio::spawn(panics_when_polled(true).in_current_context()).await
        })
    });
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(log["actions"][0]["status"], "panicked");
}

#[action]
async fn panics_on_second_poll() -> u32 {
    Pending::once().await;
    panic!("tool failed");
}

#[test]
fn a_panic_caught_by_the_executor_is_recorded_even_if_the_future_drops_later() {
    let (caught, log) = capture_valid(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut task = Box::pin(panics_on_second_poll());
        assert!(task.as_mut().poll(&mut cx).is_pending());
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = task.as_mut().poll(&mut cx);
        }));
        // The body's locals (the record among them) went while the panic unwound; the future
        // itself is dropped only now, when the thread no longer unwinds.
        drop(task);
        caught.is_err()
    });
    assert!(caught);
    assert_eq!(log["actions"][0]["status"], "panicked");
}
