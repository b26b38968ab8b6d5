//! The `tracing` bridge on one thread (or a few): events and spans of a third party's crate
//! (`workflow-log-third-party`, which knows only `tracing`) land in the caller's records, typed,
//! nested, filtered by the workflow's levels, whether the layer was set up before or after the
//! workflow started; a span entered on one thread and closed on another, and a span whose body
//! panics, still close their action.
//!
//! Each test installs its subscriber for its own thread only (`with_default`), so tests running
//! side by side see nothing of each other.

use std::io;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tracing::dispatcher::{self, Dispatch};
use tracing_subscriber::prelude::*;
use workflow_log::{Level, Workflow};
use workflow_log_tests::{capture_valid, capture_valid_with, children, find, labels, Kind};

use workflow_log_third_party as third_party;

/// A subscriber with only our layer.
fn ours() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(workflow_log::tracing::layer()))
}

/// `f` with `dispatch` as this thread's subscriber.
fn with<R>(dispatch: &Dispatch, f: impl FnOnce() -> R) -> R {
    dispatcher::with_default(dispatch, f)
}

#[test]
fn an_event_lands_in_the_innermost_record_with_typed_fields() {
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Opaque {
        id: u32,
    }
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let _planner = workflow_log::interaction("planner").start();
            tracing::info!(
                count = 3,
                ratio = 0.5,
                ok = true,
                name = "web",
                big = u64::MAX,
                neg = -7_i64,
                opaque = ?Opaque { id: 9 },
                shown = %"displayed",
                "picked {} tools",
                3
            );
        })
    });
    let line = &log["interactions"][0]["events"][0];
    assert_eq!(line["event_type"], "log");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["logger"], module_path!());
    assert_eq!(line["message"], "picked 3 tools");
    assert_eq!(
        line["data"],
        json!({
            "count": 3, "ratio": 0.5, "ok": true, "name": "web", "big": u64::MAX, "neg": -7,
            "opaque": "Opaque { id: 9 }", "shown": "displayed"
        })
    );
}

#[test]
fn a_third_party_span_is_an_action_with_its_events_inside() {
    let (bytes, log) = with(&ours(), || {
        capture_valid(|| {
            let _planner = workflow_log::interaction("planner").start();
            third_party::fetch("https://example.com/a")
        })
    });
    assert_eq!(bytes, 512);
    let fetch = &log["interactions"][0]["actions"][0];
    assert_eq!(fetch["action_name"], "fetch");
    assert_eq!(fetch["input_data"], json!({"url": "https://example.com/a"}));
    assert_eq!(fetch["status"], "ok");
    let line = &fetch["events"][0];
    assert_eq!(line["logger"], "workflow_log_third_party");
    assert_eq!(line["message"], "fetched");
    assert_eq!(
        line["data"],
        json!({"bytes": 512, "status": 200, "cached": false})
    );
}

#[test]
fn our_records_opened_inside_a_span_are_its_children() {
    #[workflow_log::action]
    fn tool(n: u32) -> u32 {
        tracing::info!(n, "in the tool");
        n + 1
    }
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let outer = tracing::info_span!("agent_step", step = 1);
            let _entered = outer.enter();
            assert_eq!(tool(1), 2);
            let _it = workflow_log::interaction("critic").start();
            workflow_log::event("note", json!({"k": 1}));
        })
    });
    let step = find(&log, Kind::Action, "agent_step").value;
    assert_eq!(step["input_data"], json!({"step": 1}));
    let tool = &children(step, "actions")[0];
    assert_eq!(tool["action_name"], "tool");
    assert_eq!(tool["events"][0]["message"], "in the tool");
    let critic = &children(step, "interactions")[0];
    assert_eq!(critic["agent_name"], "critic");
    assert_eq!(critic["events"][0]["event_type"], "note");
}

#[test]
fn values_recorded_later_join_the_input_and_err_and_ret_mark_the_action() {
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let span = tracing::info_span!("call", model = "m1", tokens = tracing::field::Empty);
            span.record("tokens", 42_u64);
            span.record("model", "m2");
            drop(span);
            assert!(third_party::parse("x1").is_err());
            assert_eq!(third_party::parse("12"), Ok(12));
            assert_eq!(third_party::double(2), 4);
        })
    });
    let actions = children(&log, "actions");
    assert_eq!(
        labels(&log, "actions"),
        ["call", "parse", "parse", "double"]
    );
    assert_eq!(
        actions[0]["input_data"],
        json!({"model": "m2", "tokens": 42})
    );
    assert_eq!(actions[1]["status"], "error");
    assert!(actions[1]["error"]
        .as_str()
        .unwrap()
        .contains("bad number \"x1\""));
    assert_eq!(actions[2]["status"], "ok");
    // `ret` records the value with `?`: its `Debug` text.
    assert_eq!(actions[3]["output_data"], "4");
}

#[test]
fn levels_and_filters_are_the_workflows() {
    let builder = Workflow::builder("levels").filter("info,noisy=warn,my_crate::net=debug");
    let ((), log) = with(&ours(), || {
        capture_valid_with(builder, || {
            tracing::debug!("dropped: below info");
            tracing::info!(target: "noisy::inner", "dropped: noisy is warn");
            tracing::warn!(target: "noisy::inner", "kept: warn");
            tracing::debug!(target: "my_crate::net::http", "kept: my_crate.net is debug");
            tracing::trace!(target: "my_crate::net", "dropped: below debug");
            tracing::info!(target: "my_crate::netx", "kept: netx is not net");
            tracing::debug!(target: "my_crate::netx", "dropped: netx is info");
            // A span below its target's level is no action; its event still lands above it.
            let span = tracing::debug_span!(target: "noisy", "quiet");
            span.in_scope(|| tracing::error!(target: "noisy", "kept: error"));
        })
    });
    assert_eq!(
        labels(&log, "events"),
        [
            "kept: warn",
            "kept: my_crate.net is debug",
            "kept: netx is not net",
            "kept: error"
        ]
    );
    assert!(children(&log, "actions").is_empty());
}

#[test]
fn a_loggers_level_applies_to_the_target_of_the_same_name() {
    workflow_log::logger("bridge_test.verbose").set_level(Level::Trace);
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            tracing::trace!(target: "bridge_test::verbose::x", "kept: the logger is trace");
            tracing::trace!(target: "bridge_test::other", "dropped");
            let _span = tracing::trace_span!(target: "bridge_test::verbose", "traced").entered();
        })
    });
    assert_eq!(labels(&log, "events"), ["kept: the logger is trace"]);
    assert_eq!(labels(&log, "actions"), ["traced"]);
}

#[test]
fn the_layers_options_leave_out_spans_levels_and_targets() {
    let layer = workflow_log::tracing::layer()
        .spans(false)
        .min_level(Level::Info)
        .skip_target("h2")
        .skip_target("hyper");
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let ((), log) = with(&dispatch, || {
        capture_valid_with(Workflow::builder("options").level(Level::Trace), || {
            let span = tracing::info_span!("not_recorded");
            let _entered = span.enter();
            tracing::debug!("dropped: below the layer's level");
            tracing::info!(target: "hyper::proto::h1", "dropped: hyper");
            tracing::info!(target: "hyper_util::client", "dropped: a prefix of hyper");
            tracing::warn!(target: "h2::codec", "dropped: h2");
            tracing::info!(target: "h3", "kept");
        })
    });
    assert_eq!(labels(&log, "events"), ["kept"]);
    assert!(children(&log, "actions").is_empty());
}

#[test]
fn outside_a_workflow_nothing_is_recorded() {
    let ((), log) = with(&ours(), || {
        let span = tracing::info_span!("before");
        span.in_scope(|| tracing::info!("before the workflow"));
        drop(span);
        capture_valid(|| tracing::info!("inside"))
    });
    assert_eq!(labels(&log, "events"), ["inside"]);
    assert!(children(&log, "actions").is_empty());
}

#[test]
fn the_layer_may_be_set_up_before_or_after_the_workflow_starts() {
    let run = || {
        let _it = workflow_log::iteration().start();
        third_party::fetch("u");
    };
    let ((), before) = with(&ours(), || capture_valid(run));
    let ((), after) = capture_valid(|| with(&ours(), run));
    for log in [&before, &after] {
        let fetch = &log["iterations"][0]["actions"][0];
        assert_eq!(fetch["action_name"], "fetch");
        assert_eq!(fetch["events"][0]["message"], "fetched");
    }
}

#[test]
fn it_composes_with_the_fmt_layer() {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let text = Buffer::default();
    let writer = text.clone();
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone());
    let dispatch = Dispatch::new(
        tracing_subscriber::registry()
            .with(fmt)
            .with(workflow_log::tracing::layer())
            .with(tracing_subscriber::filter::LevelFilter::DEBUG),
    );
    let ((), log) = with(&dispatch, || {
        capture_valid(|| {
            third_party::fetch("https://example.com/b");
            tracing::trace!("dropped by the filter for both");
        })
    });
    let text = String::from_utf8(text.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("fetched"), "{text}");
    assert!(!text.contains("dropped"), "{text}");
    assert_eq!(log["actions"][0]["events"][0]["message"], "fetched");
    assert_eq!(children(&log, "events").len(), 0);
}

#[test]
fn an_explicit_parent_places_a_span_and_an_event() {
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let outer = tracing::info_span!("outer");
            let _it = workflow_log::interaction("elsewhere").start();
            let inner = tracing::info_span!(parent: &outer, "inner");
            tracing::info!(parent: &outer, "to the outer span");
            drop(inner);
        })
    });
    let outer = find(&log, Kind::Action, "outer").value;
    assert_eq!(labels(outer, "actions"), ["inner"]);
    assert_eq!(labels(outer, "events"), ["to the outer span"]);
    assert!(children(&log["interactions"][0], "events").is_empty());
}

#[test]
fn a_span_entered_on_one_thread_closes_on_another() {
    let dispatch = ours();
    let ((), log) = with(&dispatch, || {
        capture_valid(|| {
            let _planner = workflow_log::interaction("planner").start();
            let span = tracing::info_span!("handoff", n = 1);
            span.in_scope(|| tracing::info!("on the first thread"));
            let dispatch = dispatch.clone();
            std::thread::spawn(move || {
                with(&dispatch, || {
                    span.in_scope(|| tracing::info!("on the second thread"));
                    drop(span);
                })
            })
            .join()
            .unwrap();
            tracing::info!("after the hand-off");
        })
    });
    let planner = &log["interactions"][0];
    let handoff = &children(planner, "actions")[0];
    assert_eq!(handoff["action_name"], "handoff");
    assert_eq!(handoff["status"], "ok");
    assert_eq!(
        labels(handoff, "events"),
        ["on the first thread", "on the second thread"]
    );
    assert_eq!(labels(planner, "events"), ["after the hand-off"]);
}

#[test]
fn a_span_whose_body_panics_is_panicked() {
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let _planner = workflow_log::interaction("planner").start();
            let result = std::panic::catch_unwind(|| third_party::explode("boom"));
            assert!(result.is_err());
            tracing::info!("the program goes on");
        })
    });
    let planner = &log["interactions"][0];
    let explode = &children(planner, "actions")[0];
    assert_eq!(explode["action_name"], "explode");
    assert_eq!(explode["status"], "panicked");
    assert_eq!(explode["input_data"], json!({"reason": "boom"}));
    assert_eq!(labels(explode, "events"), ["about to fail"]);
    assert_eq!(labels(planner, "events"), ["the program goes on"]);
}

#[test]
fn a_secret_field_is_redacted() {
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let _span = tracing::info_span!("login", user = "ada", password = "hunter2").entered();
            tracing::info!(api_key = "sk-123", model = "m", "calling");
        })
    });
    let login = &log["actions"][0];
    assert_eq!(
        login["input_data"],
        json!({"user": "ada", "password": "[REDACTED]"})
    );
    assert_eq!(
        login["events"][0]["data"],
        json!({"api_key": "[REDACTED]", "model": "m"})
    );
    let text: Value = log;
    assert!(!text.to_string().contains("hunter2"));
    assert!(!text.to_string().contains("sk-123"));
}

#[test]
fn a_value_that_logs_while_it_is_recorded_is_fine() {
    struct Chatty;
    impl std::fmt::Debug for Chatty {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // What `#[instrument(err)]` emits: read as the span's error.
            tracing::error!(error = "raised while formatted");
            f.write_str("chatty")
        }
    }
    let ((), log) = with(&ours(), || {
        capture_valid(|| {
            let span = tracing::info_span!("s", v = tracing::field::Empty);
            let _entered = span.enter();
            span.record("v", tracing::field::debug(Chatty));
        })
    });
    let s = &log["actions"][0];
    assert_eq!(s["input_data"], json!({"v": "chatty"}));
    assert_eq!(s["status"], "error");
    assert_eq!(s["error"], "raised while formatted");
}
