//! `perfetto::write`: Chrome trace JSON whose slices nest exactly on every track.

mod support;

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use support::{agent_run, run_of};
use workflow_log::document::Run;

fn trace_of(run: &Run) -> Value {
    let mut bytes = Vec::new();
    workflow_log_export::perfetto::write(run, &mut bytes).unwrap();
    serde_json::from_slice(&bytes).expect("the trace is JSON")
}

fn events<'a>(trace: &'a Value, ph: &str) -> Vec<&'a Value> {
    trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == ph)
        .collect()
}

/// The track names by tid.
fn tracks(trace: &Value) -> HashMap<u64, String> {
    events(trace, "M")
        .into_iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Panics unless, on every track, each `X` slice lies wholly inside or wholly after every slice
/// that starts before it (a flame graph with no partial overlaps).
fn assert_nests_exactly(trace: &Value) {
    let mut by_track: BTreeMap<u64, Vec<(i64, i64, String)>> = BTreeMap::new();
    for e in events(trace, "X") {
        let ts = e["ts"].as_i64().expect("ts in whole µs");
        let dur = e["dur"].as_i64().expect("dur in whole µs");
        assert!(dur >= 0);
        by_track
            .entry(e["tid"].as_u64().unwrap())
            .or_default()
            .push((ts, ts + dur, e["name"].as_str().unwrap().to_owned()));
    }
    for (tid, mut slices) in by_track {
        slices.sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));
        let mut stack: Vec<(i64, i64, String)> = Vec::new();
        for slice in slices {
            while stack.last().is_some_and(|top| top.1 <= slice.0) {
                stack.pop();
            }
            if let Some(top) = stack.last() {
                assert!(
                    slice.1 <= top.1,
                    "on track {tid}, `{}` [{}, {}] overlaps `{}` [{}, {}] without nesting",
                    slice.2,
                    slice.0,
                    slice.1,
                    top.2,
                    top.0,
                    top.1
                );
            }
            stack.push(slice);
        }
    }
}

#[test]
fn a_real_run_nests_exactly_with_a_lane_per_agent() {
    let (run, doc) = agent_run();
    let trace = trace_of(&run);
    assert_nests_exactly(&trace);
    let tracks = tracks(&trace);
    let mut names: Vec<&str> = tracks.values().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["executor", "planner", "researcher", "workflow"]);

    let slices = events(&trace, "X");
    let records = workflow_log_tests::records(&doc).len();
    assert_eq!(
        slices.len(),
        records + 1,
        "one slice per record, and the run"
    );
    let lane = |name: &str| {
        let e = slices.iter().find(|e| e["name"] == name).unwrap();
        tracks[&e["tid"].as_u64().unwrap()].clone()
    };
    assert_eq!(lane("agent_loop"), "workflow");
    assert_eq!(lane("iteration 1"), "workflow");
    assert_eq!(lane("planner"), "planner");
    assert_eq!(
        lane("web_search"),
        "planner",
        "an action is on its agent's lane"
    );
    assert_eq!(
        lane("researcher"),
        "researcher",
        "a sub-agent has its own lane"
    );
    assert_eq!(lane("read_docs"), "researcher");

    let search = slices.iter().find(|e| e["name"] == "web_search").unwrap();
    assert_eq!(search["args"]["status"], "error");
    assert_eq!(search["args"]["error"], "timed out after 30 s");
    assert_eq!(search["args"]["input"], json!({"query": "clap bool flag"}));
    let llm = slices.iter().find(|e| e["name"] == "llm_call").unwrap();
    assert_eq!(llm["args"]["metadata"], json!({"temperature": 0.2}));
    assert_eq!(llm["cat"], "action");
}

#[test]
fn events_are_instants_on_their_records_track() {
    let (run, _) = agent_run();
    let trace = trace_of(&run);
    let tracks = tracks(&trace);
    let instants = events(&trace, "I");
    assert_eq!(instants.len(), 3, "a workflow event and two log lines");
    let log = instants
        .iter()
        .find(|e| e["name"] == "INFO Planning")
        .expect("a log line named by its level and message");
    assert_eq!(tracks[&log["tid"].as_u64().unwrap()], "planner");
    assert_eq!(log["s"], "t");
    assert_eq!(log["args"]["logger"], "planner");
    assert_eq!(log["args"]["data"], json!({"round": 0}));
    let started = instants.iter().find(|e| e["name"] == "started").unwrap();
    assert_eq!(tracks[&started["tid"].as_u64().unwrap()], "workflow");
}

/// A critic whose three checks ran at once on threads, and an interaction still open when the
/// process died: the checks need three lanes, and the open record ends with its parent.
fn parallel_doc() -> Value {
    let t = |us: u32| format!("2026-11-24T13:22:07.{us:06}Z");
    let check = |id: &str, name: &str, start: u32, end: u32| {
        json!({
            "id": id, "action_name": name, "input_data": null, "output_data": true,
            "metadata": {}, "start_time": t(start), "end_time": t(end),
            "duration_us": end - start, "status": "ok", "thread": format!("check-{id}")
        })
    };
    let doc = json!({
        "schema": "workflow-log/1", "workflow": "review", "run_id": "0123456789ab",
        "start_time": t(0), "end_time": t(900), "status": "ok",
        "iterations": [{
            "id": "1", "iteration_number": 1, "start_time": t(10), "end_time": null,
            "duration_us": null, "status": "incomplete", "thread": "main",
            "interactions": [
                {
                    "id": "2", "agent_name": "critic", "input": null, "output": "APPROVE",
                    "start_time": t(20), "end_time": t(500), "duration_us": 480,
                    "status": "ok", "thread": "main",
                    "actions": [
                        check("3", "lint", 30, 300),
                        check("4", "format_check", 40, 320),
                        check("5", "spelling", 50, 100),
                        check("6", "summary", 410, 450)
                    ],
                    "events": []
                },
                {
                    "id": "7", "agent_name": "executor", "input": null, "output": null,
                    "start_time": t(600), "end_time": null, "duration_us": null,
                    "status": "incomplete", "thread": "main", "actions": [], "events": []
                }
            ]
        }],
        "events": []
    });
    workflow_log_tests::validate(&doc);
    doc
}

#[test]
fn overlapping_work_goes_on_separate_lanes_of_its_agent() {
    let run = run_of(&parallel_doc());
    let trace = trace_of(&run);
    assert_nests_exactly(&trace);
    let tracks = tracks(&trace);
    let slices = events(&trace, "X");
    let lane = |name: &str| {
        let e = slices.iter().find(|e| e["name"] == name).unwrap();
        tracks[&e["tid"].as_u64().unwrap()].clone()
    };
    assert_eq!(lane("critic"), "critic");
    assert_eq!(lane("lint"), "critic");
    assert_eq!(
        lane("format_check"),
        "critic (2)",
        "overlaps lint without nesting in it"
    );
    assert_eq!(
        lane("spelling"),
        "critic (3)",
        "inside lint's time, but not lint's child"
    );
    assert_eq!(lane("summary"), "critic", "under the critic, after lint");
    // Microseconds from the run's start.
    let lint = slices.iter().find(|e| e["name"] == "lint").unwrap();
    assert_eq!(
        (lint["ts"].as_i64(), lint["dur"].as_i64()),
        (Some(30), Some(270))
    );
    // Records that never closed end with what holds them.
    let executor = slices.iter().find(|e| e["name"] == "executor").unwrap();
    let iteration = slices.iter().find(|e| e["name"] == "iteration 1").unwrap();
    assert_eq!(
        executor["ts"].as_i64().unwrap() + executor["dur"].as_i64().unwrap(),
        900
    );
    assert_eq!(
        iteration["ts"].as_i64().unwrap() + iteration["dur"].as_i64().unwrap(),
        900
    );
    assert_eq!(executor["args"]["status"], "incomplete");
}

#[test]
fn a_crashed_runs_journal_writes_a_trace() {
    let (dir, log) = workflow_log_tests::start_in_tempdir(workflow_log::Workflow::builder("crash"));
    let journal = log.journal_path().unwrap();
    let run = {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("executor").start();
        workflow_log::action("apply_patch").output(&"ok").log();
        workflow_log::flush().unwrap();
        workflow_log_tests::recover_valid(&journal);
        Run::from_path(&journal).unwrap()
    };
    drop(log);
    drop(dir);
    let trace = trace_of(&run);
    assert_nests_exactly(&trace);
    let slices = events(&trace, "X");
    let names: Vec<&str> = slices.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["crash", "iteration 1", "executor", "apply_patch"]);
}
