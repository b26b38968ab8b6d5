//! The shape of the nested JSON: what nests in what, grouping and order, statuses, payloads.

use std::collections::HashSet;

use serde_json::{json, Value};
use workflow_log_tests::{capture_valid, children, find, ids, labels, records, Kind};

#[test]
fn iteration_interaction_action_and_events_nest() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let mut exec = workflow_log::interaction("executor_agent")
            .input(&json!({"task": "fix the bug"}))
            .start();
        let mut search = workflow_log::action("web_search")
            .input(&json!({"query": "rust borrowck"}))
            .metadata("engine", &"ddg")
            .start();
        search.output(&["result 1", "result 2"]);
        drop(search);
        workflow_log::event("note", json!({"k": 1}));
        workflow_log::logger("executor_agent").info("Received input", json!({"input": "x"}));
        exec.output(&"patched");
    });
    assert_eq!(log["schema"], "workflow-log/1");
    assert_eq!(log["workflow"], "capture");
    assert_eq!(log["status"], "ok");
    assert_eq!(children(&log, "iterations").len(), 1);
    assert_eq!(log["events"], json!([]));
    let it = &log["iterations"][0];
    assert_eq!(it["iteration_number"], 1);
    assert_eq!(it["status"], "ok");
    assert_eq!(labels(it, "interactions"), ["executor_agent"]);
    let exec = &it["interactions"][0];
    assert_eq!(exec["input"], json!({"task": "fix the bug"}));
    assert_eq!(exec["output"], "patched");
    assert_eq!(exec["status"], "ok");
    assert!(exec.get("error").is_none());
    let search = &exec["actions"][0];
    assert_eq!(search["action_name"], "web_search");
    assert_eq!(search["input_data"], json!({"query": "rust borrowck"}));
    assert_eq!(search["output_data"], json!(["result 1", "result 2"]));
    assert_eq!(search["metadata"], json!({"engine": "ddg"}));
    assert_eq!(exec["actions"].as_array().unwrap().len(), 1);
    let events = children(exec, "events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event_type"], "note");
    assert_eq!(events[0]["data"], json!({"k": 1}));
    assert!(events[0].get("level").is_none());
    assert_eq!(events[1]["event_type"], "log");
    assert_eq!(events[1]["level"], "INFO");
    assert_eq!(events[1]["logger"], "executor_agent");
    assert_eq!(events[1]["message"], "Received input");
    assert_eq!(events[1]["data"], json!({"input": "x"}));
}

#[test]
fn unset_payloads_are_null_and_metadata_an_empty_object() {
    let ((), log) = capture_valid(|| {
        let _i = workflow_log::interaction("quiet").start();
        workflow_log::action("bare").log();
    });
    let quiet = &log["interactions"][0];
    assert_eq!(quiet["input"], Value::Null);
    assert_eq!(quiet["output"], Value::Null);
    let bare = &quiet["actions"][0];
    assert_eq!(bare["input_data"], Value::Null);
    assert_eq!(bare["output_data"], Value::Null);
    assert_eq!(bare["metadata"], json!({}));
}

#[test]
fn children_are_grouped_by_kind_in_start_order() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        workflow_log::event("e1", 1);
        workflow_log::action("a1").log();
        {
            let _i = workflow_log::interaction("first").start();
        }
        workflow_log::event("e2", 2);
        workflow_log::action("a2").log();
        {
            let _nested = workflow_log::iteration().start();
        }
        {
            let _i = workflow_log::interaction("second").start();
        }
        workflow_log::action("a3").log();
    });
    let it = &log["iterations"][0];
    assert_eq!(labels(it, "iterations"), ["#1"]);
    assert_eq!(labels(it, "interactions"), ["first", "second"]);
    assert_eq!(labels(it, "actions"), ["a1", "a2", "a3"]);
    assert_eq!(labels(it, "events"), ["e1", "e2"]);
}

#[test]
fn any_kind_nests_in_any_other() {
    let ((), log) = capture_valid(|| {
        let _planner = workflow_log::interaction("planner").start();
        {
            // A sub-agent: an interaction inside an interaction.
            let _critic = workflow_log::interaction("critic").start();
            let _tool = workflow_log::action("tool").start();
            // A tool that calls an LLM: an action inside an action.
            let _llm = workflow_log::action("llm_call").start();
            // A tool that asks another agent, with its own loop.
            let _helper = workflow_log::interaction("helper").start();
            let _loop = workflow_log::iteration().start();
            workflow_log::event("deep", json!({"depth": 6}));
        }
        let _it = workflow_log::action("outer_tool").start();
        let _inner_loop = workflow_log::iteration().start();
        workflow_log::action("step").log();
    });
    let planner = find(&log, Kind::Interaction, "planner");
    assert_eq!(planner.parent.unwrap().0, Kind::Workflow);
    let critic = find(&log, Kind::Interaction, "critic");
    assert_eq!(critic.parent.unwrap().1["agent_name"], "planner");
    let tool = find(&log, Kind::Action, "tool");
    assert_eq!(tool.parent.unwrap().1["agent_name"], "critic");
    let llm = find(&log, Kind::Action, "llm_call");
    assert_eq!(llm.parent.unwrap().1["action_name"], "tool");
    let helper = find(&log, Kind::Interaction, "helper");
    assert_eq!(helper.parent.unwrap().1["action_name"], "llm_call");
    let lp = &helper.value["iterations"][0];
    assert_eq!(lp["iteration_number"], 1);
    assert_eq!(labels(lp, "events"), ["deep"]);
    let outer = find(&log, Kind::Action, "outer_tool");
    assert_eq!(outer.parent.unwrap().1["agent_name"], "planner");
    assert_eq!(labels(&outer.value["iterations"][0], "actions"), ["step"]);
    assert_eq!(labels(planner.value, "interactions"), ["critic"]);
    assert_eq!(labels(planner.value, "actions"), ["outer_tool"]);
}

#[test]
fn actions_and_events_with_nothing_open_attach_to_the_workflow() {
    let ((), log) = capture_valid(|| {
        workflow_log::event("boot", json!({"version": 1}));
        workflow_log::action("warm_cache").log();
        workflow_log::logger("structure.root").warn("low disk", json!({"free": 3}));
    });
    assert_eq!(labels(&log, "events"), ["boot", "low disk"]);
    assert_eq!(labels(&log, "actions"), ["warm_cache"]);
    assert_eq!(log["iterations"], json!([]));
}

#[test]
fn actions_and_events_attach_to_the_innermost_open_record() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        workflow_log::action("in_iteration").log();
        workflow_log::event("in_iteration", ());
        let _step = workflow_log::action("step").start();
        workflow_log::event("in_action", ());
        workflow_log::action("in_action").log();
    });
    let it = &log["iterations"][0];
    assert_eq!(labels(it, "actions"), ["in_iteration", "step"]);
    assert_eq!(labels(it, "events"), ["in_iteration"]);
    assert_eq!(labels(&it["actions"][1], "actions"), ["in_action"]);
    assert_eq!(labels(&it["actions"][1], "events"), ["in_action"]);
}

#[test]
fn guards_dropped_out_of_order_give_a_well_formed_log() {
    let ((), log) = capture_valid(|| {
        let it = workflow_log::iteration().start();
        let outer = workflow_log::interaction("outer").start();
        let inner = workflow_log::action("inner").start();
        drop(it); // the outermost first
        workflow_log::action("after_iteration").log();
        drop(outer);
        workflow_log::action("after_outer").log();
        drop(inner);
        workflow_log::action("after_all").log();
    });
    let it = &log["iterations"][0];
    assert_eq!(it["status"], "ok");
    let outer = &it["interactions"][0];
    assert_eq!(outer["agent_name"], "outer");
    assert_eq!(outer["status"], "ok");
    let inner = &outer["actions"][0];
    assert_eq!(inner["action_name"], "inner");
    assert_eq!(inner["status"], "ok");
    // While `inner` is open, it stays the innermost record.
    assert_eq!(labels(inner, "actions"), ["after_iteration", "after_outer"]);
    assert_eq!(labels(&log, "actions"), ["after_all"]);
    assert_eq!(records(&log).len(), 6);
}

#[test]
fn a_panic_marks_open_records_panicked() {
    let (caught, log) = capture_valid(|| {
        std::panic::catch_unwind(|| {
            let _it = workflow_log::iteration().start();
            let _agent = workflow_log::interaction("doomed").start();
            {
                let _ok = workflow_log::action("finished_before").start();
            }
            let _tool = workflow_log::action("exploding_tool").start();
            panic!("boom");
        })
        .is_err()
    });
    assert!(caught);
    assert_eq!(log["status"], "ok", "the panic was caught inside the run");
    let it = &log["iterations"][0];
    assert_eq!(it["status"], "panicked");
    let agent = &it["interactions"][0];
    assert_eq!(agent["status"], "panicked");
    assert_eq!(agent["actions"][0]["status"], "ok");
    assert_eq!(agent["actions"][1]["status"], "panicked");
    assert!(agent["actions"][1]["end_time"].is_string());
}

#[test]
fn records_after_a_caught_panic_are_ok_again() {
    let ((), log) = capture_valid(|| {
        let _ = std::panic::catch_unwind(|| {
            let _it = workflow_log::iteration().start();
            panic!("first attempt");
        });
        let _retry = workflow_log::iteration().start();
    });
    assert_eq!(log["iterations"][0]["status"], "panicked");
    assert_eq!(log["iterations"][1]["status"], "ok");
    assert_eq!(log["iterations"][1]["iteration_number"], 2);
}

#[test]
fn the_last_output_wins() {
    let ((), log) = capture_valid(|| {
        let mut agent = workflow_log::interaction("writer").start();
        agent.output(&"draft").output(&json!({"final": true}));
        let mut tool = workflow_log::action("tool").start();
        tool.output(&1);
        tool.output(&2);
    });
    let agent = &log["interactions"][0];
    assert_eq!(agent["output"], json!({"final": true}));
    assert_eq!(agent["actions"][0]["output_data"], 2);
}

#[test]
fn error_sets_the_status_and_the_message() {
    let ((), log) = capture_valid(|| {
        let mut agent = workflow_log::interaction("flaky").start();
        agent.error("rate limited");
        let mut tool = workflow_log::action("fetch").start();
        tool.error(std::io::Error::other("connection reset"));
        drop(tool);
        workflow_log::action("instant")
            .error(format_args!("{} retries left", 0))
            .log();
        let mut it = workflow_log::iteration().start();
        it.error("gave up");
    });
    let agent = &log["interactions"][0];
    assert_eq!(agent["status"], "error");
    assert_eq!(agent["error"], "rate limited");
    assert_eq!(agent["actions"][0]["status"], "error");
    assert_eq!(agent["actions"][0]["error"], "connection reset");
    assert_eq!(agent["actions"][1]["status"], "error");
    assert_eq!(agent["actions"][1]["error"], "0 retries left");
    assert_eq!(agent["iterations"][0]["status"], "error");
    assert_eq!(agent["iterations"][0]["error"], "gave up");
}

struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a socket can't be serialised"))
    }
}

#[test]
fn a_failing_serialize_is_recorded_as_a_readable_string() {
    let ((), log) = capture_valid(|| {
        let mut agent = workflow_log::interaction("agent")
            .input(&Unserializable)
            .start();
        workflow_log::action("tool")
            .input(&Unserializable)
            .metadata("conn", &Unserializable)
            .output(&"still recorded")
            .log();
        workflow_log::event("ev", Unserializable);
        agent.output(&Unserializable);
        drop(agent);
        // The run goes on.
        workflow_log::action("next").input(&1).log();
    });
    let agent = &log["interactions"][0];
    for value in [
        &agent["input"],
        &agent["output"],
        &agent["actions"][0]["input_data"],
        &agent["actions"][0]["metadata"]["conn"],
        &agent["events"][0]["data"],
    ] {
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("not a string: {value}"));
        assert!(
            text.contains("a socket can't be serialised"),
            "unreadable: {text}"
        );
    }
    assert_eq!(agent["status"], "ok");
    assert_eq!(agent["actions"][0]["output_data"], "still recorded");
    assert_eq!(log["actions"][0]["input_data"], 1);
}

#[test]
fn ids_are_unique_strings() {
    let ((), log) = capture_valid(|| {
        for _ in 0..3 {
            let _it = workflow_log::iteration().start();
            let _a = workflow_log::interaction("a").start();
            let _b = workflow_log::interaction("b").start();
            workflow_log::action("x").log();
            let _y = workflow_log::action("y").start();
        }
    });
    let ids = ids(&log);
    assert_eq!(ids.len(), 15);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert!(ids.iter().all(|id| !id.is_empty()));
}

#[test]
fn the_thread_field_names_the_thread() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("a").start();
        workflow_log::action("x").log();
    });
    // The harness names its threads after the tests; an unnamed thread is known by its id.
    let current = std::thread::current();
    let me = match current.name() {
        Some(name) => name.to_owned(),
        None => format!("{:?}", current.id()),
    };
    let recs = records(&log);
    assert_eq!(recs.len(), 3);
    for r in recs {
        assert_eq!(r.value["thread"], me.as_str());
    }
}

#[test]
fn nothing_is_recorded_outside_a_workflow() {
    // No global workflow in this test binary: these are no-ops, not panics.
    let mut agent = workflow_log::interaction("nobody").start();
    assert!(!agent.is_enabled());
    assert_eq!(agent.id(), None);
    agent.output(&"ignored").error("ignored");
    workflow_log::action("nothing").log();
    workflow_log::event("nothing", 1);
    drop(agent);
    let ((), log) = capture_valid(|| {});
    assert_eq!(records(&log).len(), 0);
    assert_eq!(log["events"], json!([]));
}

#[test]
fn an_empty_run_is_a_valid_document() {
    let (answer, log) = capture_valid(|| 42);
    assert_eq!(answer, 42);
    assert_eq!(log["iterations"], json!([]));
    assert_eq!(log["events"], json!([]));
    assert!(log.get("interactions").is_none());
    assert!(log.get("actions").is_none());
}

#[test]
fn a_guard_id_matches_its_record() {
    let (id, log) = capture_valid(|| {
        let agent = workflow_log::interaction("a").start();
        agent.id().expect("enabled inside capture")
    });
    assert_eq!(log["interactions"][0]["id"], id.as_str());
}

#[test]
fn a_record_still_open_at_the_end_is_incomplete() {
    let (guard, log) = workflow_log::capture(|| workflow_log::interaction("leaked").start());
    workflow_log_tests::validate(&log);
    drop(guard);
    let leaked = &log["interactions"][0];
    assert_eq!(leaked["agent_name"], "leaked");
    assert_eq!(leaked["status"], "incomplete");
    assert_eq!(leaked["end_time"], Value::Null);
    assert_eq!(leaked["duration_us"], Value::Null);
}

#[test]
fn deep_nesting_keeps_its_shape() {
    // Deeper than serde_json's parser goes (128): the document is built without parsing it.
    const DEPTH: usize = 300;
    let ((), log) = capture_valid(|| {
        let mut guards = Vec::new();
        for depth in 0..DEPTH {
            let mut g = workflow_log::action(format!("level_{depth}")).start();
            g.output(&depth);
            guards.push(g);
        }
        workflow_log::event("bottom", ());
        while let Some(g) = guards.pop() {
            drop(g);
        }
    });
    let mut node = &log;
    for depth in 0..DEPTH {
        let actions = children(node, "actions");
        assert_eq!(actions.len(), 1);
        node = &actions[0];
        assert_eq!(node["action_name"], format!("level_{depth}"));
        assert_eq!(node["output_data"], depth);
    }
    assert_eq!(labels(node, "events"), ["bottom"]);
}

/// A tree thousands of records deep (an agent that recursed) is written indented, but no line
/// is indented more than 64 levels: the file grows with the records, not with the square of
/// the depth (3,000 deep would otherwise take about 140 MB).
#[test]
fn a_tree_thousands_deep_is_written_in_space_linear_in_its_records() {
    const DEPTH: usize = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let log = workflow_log::Workflow::builder("deep")
        .logs_dir(dir.path())
        .journal(false)
        .start()
        .unwrap();
    {
        let _entered = log.enter();
        let mut open = Vec::with_capacity(DEPTH);
        for n in 0..DEPTH {
            open.push(workflow_log::action(format!("step_{n}")).start());
        }
        while let Some(guard) = open.pop() {
            drop(guard);
        }
    }
    let path = log.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("\"step_{}\"", DEPTH - 1)));
    let widest = text.lines().map(|l| l.len() - l.trim_start().len()).max();
    assert_eq!(widest, Some(128));
    assert!(text.len() < DEPTH * 4096, "{} bytes", text.len());
}
