//! When nothing keeps the record (no workflow, or one whose level is above `info`), an annotated
//! function does no capture work: no argument or return value is serialised or formatted, no
//! agent name or iteration number is computed.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Serialize, Serializer};
use workflow_log::{action, interaction, iteration, Level, Workflow};

static WORK: AtomicUsize = AtomicUsize::new(0);

fn work() -> usize {
    WORK.load(Ordering::SeqCst)
}

/// Counts every time it is captured, either way.
#[derive(Clone, Copy)]
struct Counted;

impl Serialize for Counted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WORK.fetch_add(1, Ordering::SeqCst);
        s.serialize_unit()
    }
}

impl std::fmt::Display for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        WORK.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

fn counted_number() -> u32 {
    WORK.fetch_add(1, Ordering::SeqCst);
    1
}

#[interaction(agent = Counted)]
fn agent(input: Counted) -> Counted {
    tool(input).unwrap_or(input)
}

#[action]
fn tool(input: Counted) -> Result<Counted, String> {
    Ok(input)
}

#[iteration(number = counted_number())]
fn turn(input: Counted) -> Counted {
    agent(input)
}

#[action]
async fn async_tool(input: Counted) -> Counted {
    input
}

#[test]
fn disabled_records_cost_no_capture_work() {
    // No workflow at all.
    turn(Counted);
    let _ = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async_tool(Counted));
    assert_eq!(work(), 0);

    // A workflow that keeps only warnings and errors: macro records are `info`.
    let ((), log) = Workflow::builder("quiet").level(Level::Warn).capture(|| {
        turn(Counted);
    });
    assert_eq!(work(), 0);
    assert_eq!(log["iterations"], serde_json::json!([]));

    // The same calls in a workflow that keeps them do the work.
    let ((), log) = workflow_log::capture(|| {
        turn(Counted);
    });
    assert!(work() > 0);
    assert_eq!(
        log["iterations"][0]["interactions"][0]["agent_name"],
        "counted"
    );
}
