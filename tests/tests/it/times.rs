//! Times: UTC RFC 3339 with microseconds, ordered, durations that match, children inside
//! their parents.

use serde_json::{json, Value};
use workflow_log_tests::{capture_valid, micros, nodes, time, Kind};

/// A run with every kind of record, nested, and some real time passing.
fn busy_run() -> Value {
    let ((), log) = capture_valid(|| {
        for _ in 0..2 {
            let _it = workflow_log::iteration().start();
            let mut agent = workflow_log::interaction("agent").input(&"task").start();
            workflow_log::event("thinking", json!({"step": 1}));
            {
                let _tool = workflow_log::action("tool").start();
                std::thread::sleep(std::time::Duration::from_micros(300));
                let _llm = workflow_log::action("llm").start();
                workflow_log::logger("times.agent").info("called", json!({}));
            }
            {
                let _sub = workflow_log::interaction("sub_agent").start();
                let _loop = workflow_log::iteration().start();
                workflow_log::action("instant").log();
            }
            agent.output(&"done");
        }
        workflow_log::event("end", ());
    });
    log
}

/// The start (or timestamp) and end of a node, in microseconds since the epoch.
fn span(kind: Kind, v: &Value) -> (i64, i64) {
    match kind {
        Kind::Event => {
            let t = micros(time(&v["timestamp"]));
            (t, t)
        }
        _ => (micros(time(&v["start_time"])), micros(time(&v["end_time"]))),
    }
}

#[test]
fn every_time_is_utc_rfc3339_with_microseconds() {
    let log = busy_run();
    let mut count = 0;
    for node in nodes(&log) {
        let keys: &[&str] = match node.kind {
            Kind::Event => &["timestamp"],
            _ => &["start_time", "end_time"],
        };
        for key in keys {
            let text = node.value[key].as_str().expect("a string");
            let parsed = time(&node.value[key]);
            // Exactly what chrono writes back for that instant: no other spelling.
            assert_eq!(
                parsed.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                text
            );
            count += 1;
        }
    }
    assert!(count > 20, "only {count} times");
}

#[test]
fn the_run_happens_now() {
    let before = chrono::Utc::now();
    let log = busy_run();
    let after = chrono::Utc::now();
    let start = time(&log["start_time"]);
    let end = time(&log["end_time"]);
    // The workflow's clock is read once; allow a millisecond for its truncation and the reads.
    let slack = chrono::TimeDelta::milliseconds(1);
    assert!(before - slack <= start, "{before} > {start}");
    assert!(start <= end);
    assert!(end <= after + slack, "{end} > {after}");
}

#[test]
fn ends_follow_starts_and_durations_match() {
    let log = busy_run();
    for node in nodes(&log) {
        if matches!(node.kind, Kind::Workflow | Kind::Event) {
            continue;
        }
        let (start, end) = span(node.kind, node.value);
        assert!(start <= end, "ends before it starts: {}", node.value);
        let duration = node.value["duration_us"]
            .as_i64()
            .expect("a closed record has a duration");
        // The writer rounds both ends down to the microsecond, as the timestamps do, so the
        // duration is exactly the difference of the two times.
        assert_eq!(
            duration,
            end - start,
            "duration_us disagrees with the times: {}",
            node.value
        );
    }
}

#[test]
fn a_timed_action_lasts_as_long_as_its_scope() {
    let ((), log) = capture_valid(|| {
        let _tool = workflow_log::action("sleepy").start();
        std::thread::sleep(std::time::Duration::from_millis(2));
    });
    let tool = &log["actions"][0];
    assert!(tool["duration_us"].as_u64().unwrap() >= 2000, "{tool}");
}

#[test]
fn instant_actions_start_and_end_together() {
    let ((), log) = capture_valid(|| workflow_log::action("instant").output(&1).log());
    let a = &log["actions"][0];
    assert_eq!(a["start_time"], a["end_time"]);
    assert_eq!(a["duration_us"], 0);
}

#[test]
fn children_lie_within_their_parents() {
    let log = busy_run();
    let mut checked = 0;
    for node in nodes(&log) {
        let Some((parent_kind, parent)) = node.parent else {
            continue;
        };
        let (start, end) = span(node.kind, node.value);
        let (parent_start, parent_end) = span(parent_kind, parent);
        assert!(
            parent_start <= start && end <= parent_end,
            "{:?} [{start}, {end}] is outside its parent [{parent_start}, {parent_end}]: {}",
            node.kind,
            node.value
        );
        checked += 1;
    }
    assert_eq!(checked, nodes(&log).len() - 1);
}

#[test]
fn siblings_start_in_order() {
    let log = busy_run();
    for node in nodes(&log) {
        if node.kind == Kind::Event {
            continue;
        }
        for (group, kind) in workflow_log_tests::GROUPS {
            let starts: Vec<i64> = workflow_log_tests::children(node.value, group)
                .iter()
                .map(|c| span(kind, c).0)
                .collect();
            assert!(
                starts.windows(2).all(|w| w[0] <= w[1]),
                "{group} out of start order: {starts:?}"
            );
        }
    }
}
