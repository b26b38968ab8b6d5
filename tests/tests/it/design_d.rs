//! Design D: `log_simple` opens an iteration and an interaction itself when none is open.

use serde_json::{json, Value};
use workflow_log_tests::{capture_valid, children, labels, records, Kind};

/// The `message`s of a record's `simple_log` actions.
fn simple_messages(record: &Value) -> Vec<String> {
    children(record, "actions")
        .iter()
        .map(|a| {
            assert_eq!(a["action_name"], "simple_log");
            a["input_data"]["message"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn with_nothing_open_it_opens_an_iteration_and_an_interaction() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple(
            "executor_agent",
            "Hello world",
            json!({"some_key": "value"}),
        );
    });
    assert_eq!(children(&log, "iterations").len(), 1);
    assert!(log.get("actions").is_none());
    let it = &log["iterations"][0];
    assert_eq!(it["iteration_number"], 1);
    assert_eq!(it["status"], "ok");
    assert_eq!(labels(it, "interactions"), ["executor_agent"]);
    let agent = &it["interactions"][0];
    assert_eq!(agent["status"], "ok");
    assert!(agent["end_time"].is_string(), "closed when the run ended");
    let action = &agent["actions"][0];
    assert_eq!(action["action_name"], "simple_log");
    assert_eq!(action["input_data"], json!({"message": "Hello world"}));
    assert_eq!(action["metadata"], json!({"some_key": "value"}));
    assert_eq!(action["status"], "ok");
}

#[test]
fn a_second_call_lands_in_the_same_interaction() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("executor_agent", "first", json!({}));
        workflow_log::log_simple("executor_agent", "second", json!({"n": 2}));
        workflow_log::event("between", ());
        workflow_log::log_simple("executor_agent", "third", json!({}));
    });
    assert_eq!(children(&log, "iterations").len(), 1);
    let it = &log["iterations"][0];
    assert_eq!(children(it, "interactions").len(), 1);
    let agent = &it["interactions"][0];
    assert_eq!(simple_messages(agent), ["first", "second", "third"]);
    assert_eq!(agent["actions"][1]["metadata"], json!({"n": 2}));
    // Other records land in the open interaction too.
    assert_eq!(labels(agent, "events"), ["between"]);
}

/// An agent name with a secret in it is redacted in the record, and the next call for the same
/// agent still lands in the same interaction; another agent whose name redacts the same gets
/// its own.
#[test]
fn an_agent_name_with_a_secret_keeps_one_interaction_and_is_redacted() {
    const AGENT: &str = "agent ghp_AGENTNAME0123456789abcdefghijklmnop";
    const OTHER: &str = "agent ghp_OTHERNAME0123456789abcdefghijklmnop";
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple(AGENT, "first", json!({}));
        workflow_log::log_simple(AGENT, "second", json!({}));
        workflow_log::log_simple(OTHER, "third", json!({}));
    });
    let it = &log["iterations"][0];
    assert_eq!(
        labels(it, "interactions"),
        ["agent [REDACTED]", "agent [REDACTED]"]
    );
    let agents = children(it, "interactions");
    assert_eq!(simple_messages(&agents[0]), ["first", "second"]);
    assert_eq!(simple_messages(&agents[1]), ["third"]);
}

#[test]
fn a_call_for_another_agent_replaces_the_interaction() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("planner", "plan", json!({}));
        workflow_log::log_simple("executor", "execute", json!({}));
        workflow_log::log_simple("executor", "done", json!({}));
        workflow_log::log_simple("planner", "replan", json!({}));
    });
    assert_eq!(children(&log, "iterations").len(), 1);
    let it = &log["iterations"][0];
    assert_eq!(
        labels(it, "interactions"),
        ["planner", "executor", "planner"]
    );
    let agents = children(it, "interactions");
    assert_eq!(simple_messages(&agents[0]), ["plan"]);
    assert_eq!(simple_messages(&agents[1]), ["execute", "done"]);
    assert_eq!(simple_messages(&agents[2]), ["replan"]);
    // The replaced interaction closed before the next one opened.
    assert!(agents[0]["end_time"].as_str() <= agents[1]["start_time"].as_str());
}

#[test]
fn inside_an_open_interaction_it_attaches_to_it() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("explicit").start();
        workflow_log::log_simple("explicit", "same agent", json!({}));
        workflow_log::log_simple("someone_else", "other agent", json!({}));
    });
    assert_eq!(children(&log, "iterations").len(), 1);
    let it = &log["iterations"][0];
    assert_eq!(labels(it, "interactions"), ["explicit"]);
    let agent = &it["interactions"][0];
    assert_eq!(simple_messages(agent), ["same agent", "other agent"]);
    assert!(agent.get("interactions").is_none());
    assert_eq!(records(&log).len(), 4);
}

#[test]
fn inside_an_iteration_it_opens_an_interaction_and_inside_an_action_it_attaches() {
    let ((), log) = capture_valid(|| {
        let _it = workflow_log::iteration().start();
        workflow_log::log_simple("agent", "in iteration", json!({}));
        let _tool = workflow_log::action("tool").start();
        workflow_log::log_simple("agent", "in action", json!({}));
    });
    let it = &log["iterations"][0];
    // As the seed's `log_simple`: an iteration with no interaction gets one for the agent.
    assert_eq!(labels(it, "interactions"), ["agent"]);
    let agent = &it["interactions"][0];
    assert_eq!(labels(agent, "actions"), ["simple_log", "tool"]);
    assert_eq!(agent["actions"][0]["input_data"]["message"], "in iteration");
    assert_eq!(simple_messages(&agent["actions"][1]), ["in action"]);
    // It closed with its iteration, not at the end of the run.
    assert_eq!(agent["status"], "ok");
    assert_eq!(agent["end_time"], it["end_time"]);
}

#[test]
fn the_interaction_it_opened_closes_with_the_users_iteration() {
    let ((), log) = capture_valid(|| {
        for n in 0..2 {
            let _it = workflow_log::iteration().start();
            workflow_log::log_simple("agent", &format!("turn {n}"), json!({}));
        }
        workflow_log::action("after").log();
    });
    let its = children(&log, "iterations");
    assert_eq!(its.len(), 2);
    for (n, it) in its.iter().enumerate() {
        let agent = &it["interactions"][0];
        assert_eq!(simple_messages(agent), [format!("turn {n}")]);
        assert_eq!(agent["status"], "ok");
    }
    // The action after the loop is not inside a leftover interaction.
    assert_eq!(labels(&log, "actions"), ["after"]);
}

#[test]
fn an_explicit_iteration_closes_the_implicit_records() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("agent", "implicit", json!({}));
        let _it = workflow_log::iteration().start();
        workflow_log::action("explicit").log();
        drop(_it);
        workflow_log::log_simple("agent", "implicit again", json!({}));
    });
    let its = children(&log, "iterations");
    assert_eq!(its.len(), 3, "{log:#}");
    assert_eq!(simple_messages(&its[0]["interactions"][0]), ["implicit"]);
    assert_eq!(labels(&its[1], "actions"), ["explicit"]);
    assert_eq!(its[1]["iteration_number"], 2);
    assert_eq!(
        simple_messages(&its[2]["interactions"][0]),
        ["implicit again"]
    );
    assert_eq!(its[2]["iteration_number"], 3);
}

#[test]
fn an_explicit_interaction_replaces_the_implicit_one() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("agent", "implicit", json!({}));
        let mut explicit = workflow_log::interaction("explicit").start();
        workflow_log::action("tool").log();
        explicit.output(&"ok");
    });
    let its = children(&log, "iterations");
    assert_eq!(its.len(), 1);
    assert_eq!(labels(&its[0], "interactions"), ["agent", "explicit"]);
    assert_eq!(labels(&its[0]["interactions"][1], "actions"), ["tool"]);
}

#[test]
fn metadata_that_is_not_an_object_is_kept_under_value() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("agent", "number", 5);
        workflow_log::log_simple("agent", "list", ["a", "b"]);
        workflow_log::log_simple("agent", "nothing", ());
        workflow_log::log_simple("agent", "nested", json!({"a": {"b": [1, 2]}}));
    });
    let actions = children(&log["iterations"][0]["interactions"][0], "actions");
    assert_eq!(actions[0]["metadata"], json!({"value": 5}));
    assert_eq!(actions[1]["metadata"], json!({"value": ["a", "b"]}));
    assert_eq!(actions[2]["metadata"], json!({}));
    assert_eq!(actions[3]["metadata"], json!({"a": {"b": [1, 2]}}));
}

#[test]
fn each_thread_gets_its_own_implicit_records() {
    let ((), log) = capture_valid(|| {
        workflow_log::log_simple("main_agent", "main", json!({}));
        let ctx = workflow_log::Context::current();
        std::thread::spawn(move || {
            let _attached = ctx.attach();
            workflow_log::log_simple("thread_agent", "thread", json!({}));
        })
        .join()
        .unwrap();
    });
    // The context was taken inside the implicit interaction: the thread's call attaches to it.
    let it = &log["iterations"][0];
    assert_eq!(labels(it, "interactions"), ["main_agent"]);
    assert_eq!(simple_messages(&it["interactions"][0]), ["main", "thread"]);
    let kinds: Vec<Kind> = records(&log).iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Iteration,
            Kind::Interaction,
            Kind::Action,
            Kind::Action
        ]
    );
}

#[test]
fn outside_a_workflow_it_does_nothing() {
    workflow_log::log_simple("nobody", "lost", json!({"k": 1}));
    let ((), log) = capture_valid(|| {});
    assert_eq!(log["iterations"], json!([]));
}

#[test]
fn log_simple_metadata_keeps_each_value_as_captured() {
    #[derive(serde::Serialize)]
    struct Fields {
        zeta: u128,
        alpha: f64,
        nested: [u8; 2],
    }
    let run = workflow_log_tests::file_run(workflow_log::Workflow::builder("exact"), || {
        workflow_log::log_simple(
            "agent",
            "numbers",
            Fields {
                zeta: u128::MAX,
                alpha: 0.1,
                nested: [1, 2],
            },
        );
    });
    let nested = String::from_utf8(run.nested).unwrap();
    assert!(
        nested.contains("\"zeta\":340282366920938463463374607431768211455"),
        "{nested}"
    );
    let action = workflow_log_tests::find(&run.doc, Kind::Action, "simple_log").value;
    assert_eq!(action["metadata"]["alpha"], 0.1);
    assert_eq!(action["metadata"]["nested"], json!([1, 2]));
}
