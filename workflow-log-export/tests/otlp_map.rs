//! A run as OTLP spans: the §9 mapping, ids, and the protobuf round trip.

mod support;

use std::collections::HashMap;

use prost::Message;
use serde_json::json;
use support::{agent_run, run_of, with_usage};
use workflow_log::document::Run;
use workflow_log_export::otlp::proto::{
    any_value::Value as V, ExportTraceServiceRequest, KeyValue, Span, SpanKind, StatusCode,
};
use workflow_log_export::otlp::{spans, Exporter};

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a V> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> &'a str {
    match attr(&span.attributes, key) {
        Some(V::StringValue(s)) => s,
        other => panic!("`{}`: {key} is {other:?}", span.name),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attr(&span.attributes, key) {
        Some(V::IntValue(n)) => *n,
        other => panic!("`{}`: {key} is {other:?}", span.name),
    }
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

#[test]
fn the_encoder_round_trips_through_prost_decoding() {
    let (run, _) = agent_run();
    let exporter = Exporter::new("http://127.0.0.1:1/v1/traces");
    let requests = exporter.requests(&run);
    assert_eq!(requests.len(), 1);
    let bytes = exporter.encode(&requests[0]);
    let decoded = ExportTraceServiceRequest::decode(&bytes[..]).unwrap();
    assert_eq!(decoded, requests[0]);
    assert_eq!(decoded.encode_to_vec(), bytes);
}

#[test]
fn records_map_to_the_span_names_and_kinds_of_the_contract() {
    let (run, _) = agent_run();
    let spans = spans(&run);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[0], "invoke_workflow agent_loop");
    for name in [
        "iteration 1",
        "iteration 2",
        "invoke_agent planner",
        "invoke_agent executor",
        "invoke_agent researcher",
        "execute_tool web_search",
        "execute_tool read_docs",
        "execute_tool llm_call",
    ] {
        assert!(names.contains(&name), "no span `{name}` in {names:?}");
    }
    let kind = |name: &str| text(named(&spans, name)[0], "openinference.span.kind").to_owned();
    assert_eq!(kind("invoke_workflow agent_loop"), "CHAIN");
    assert_eq!(kind("iteration 1"), "CHAIN");
    assert_eq!(kind("invoke_agent planner"), "AGENT");
    assert_eq!(kind("execute_tool web_search"), "TOOL");
    let langfuse =
        |name: &str| text(named(&spans, name)[0], "langfuse.observation.type").to_owned();
    assert_eq!(langfuse("invoke_agent planner"), "agent");
    assert_eq!(langfuse("execute_tool web_search"), "tool");
    assert_eq!(langfuse("iteration 1"), "chain");

    let root = &spans[0];
    assert!(root.parent_span_id.is_empty());
    assert_eq!(text(root, "gen_ai.operation.name"), "invoke_workflow");
    assert_eq!(text(root, "gen_ai.workflow.name"), "agent_loop");
    assert_eq!(text(root, "session.id"), run.run_id);
    assert_eq!(text(root, "gen_ai.conversation.id"), run.run_id);
    let agent = named(&spans, "invoke_agent planner")[0];
    assert_eq!(text(agent, "gen_ai.operation.name"), "invoke_agent");
    assert_eq!(text(agent, "gen_ai.agent.name"), "planner");
    assert_eq!(text(agent, "agent.name"), "planner");
    assert_eq!(agent.kind, SpanKind::Internal as i32);
    let tool = named(&spans, "execute_tool web_search")[1];
    assert_eq!(text(tool, "gen_ai.operation.name"), "execute_tool");
    assert_eq!(text(tool, "gen_ai.tool.name"), "web_search");
    assert_eq!(text(tool, "tool.name"), "web_search");
    assert_eq!(
        int(
            named(&spans, "iteration 2")[0],
            "workflow_log.iteration_number"
        ),
        2
    );
}

#[test]
fn spans_nest_like_the_records() {
    let (run, _) = agent_run();
    let spans = spans(&run);
    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (&s.span_id[..], s)).collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let parent = |s: &Span| by_id[&s.parent_span_id[..]].name.clone();
    assert_eq!(
        parent(named(&spans, "iteration 1")[0]),
        "invoke_workflow agent_loop"
    );
    assert_eq!(
        parent(named(&spans, "invoke_agent planner")[0]),
        "iteration 1"
    );
    assert_eq!(
        parent(named(&spans, "invoke_agent researcher")[0]),
        "invoke_agent executor"
    );
    assert_eq!(
        parent(named(&spans, "execute_tool read_docs")[0]),
        "invoke_agent researcher"
    );
    for s in &spans[1..] {
        let p = by_id[&s.parent_span_id[..]];
        assert!(
            p.start_time_unix_nano <= s.start_time_unix_nano
                && s.end_time_unix_nano <= p.end_time_unix_nano,
            "`{}` lies inside `{}`",
            s.name,
            p.name
        );
        assert_eq!(s.trace_id, spans[0].trace_id);
    }
}

#[test]
fn inputs_outputs_and_metadata_are_text_with_mime_types() {
    let (run, _) = agent_run();
    let spans = spans(&run);
    let planner = named(&spans, "invoke_agent planner")[0];
    let input: serde_json::Value = serde_json::from_str(text(planner, "input.value")).unwrap();
    assert_eq!(input, json!({"task": "add --json", "round": 0}));
    assert_eq!(text(planner, "input.mime_type"), "application/json");
    assert_eq!(text(planner, "output.value"), "plan ready");
    assert_eq!(text(planner, "output.mime_type"), "text/plain");
    let llm = named(&spans, "execute_tool llm_call")[0];
    assert_eq!(text(llm, "metadata"), r#"{"temperature":0.2}"#);
    let executor = named(&spans, "invoke_agent executor")[0];
    assert!(
        attr(&executor.attributes, "input.value").is_none(),
        "no input was set"
    );
}

#[test]
fn failures_are_error_status_with_the_message_and_type() {
    let (run, _) = agent_run();
    let spans = spans(&run);
    let searches = named(&spans, "execute_tool web_search");
    let failed = searches[0];
    let status = failed.status.as_ref().unwrap();
    assert_eq!(status.code, StatusCode::Error as i32);
    assert_eq!(status.message, "timed out after 30 s");
    assert_eq!(text(failed, "error.type"), "error");
    let exception = failed
        .events
        .iter()
        .find(|e| e.name == "exception")
        .unwrap();
    assert_eq!(
        attr(&exception.attributes, "exception.message"),
        Some(&V::StringValue("timed out after 30 s".into()))
    );
    let fine = searches[1];
    assert_eq!(fine.status.as_ref().unwrap().code, StatusCode::Ok as i32);
    assert!(attr(&fine.attributes, "error.type").is_none());
}

#[test]
fn events_are_span_events_with_their_fields() {
    let (run, _) = agent_run();
    let spans = spans(&run);
    let started = &spans[0].events[0];
    assert_eq!(started.name, "started");
    assert_eq!(
        attr(&started.attributes, "data"),
        Some(&V::StringValue(r#"{"task":"add --json"}"#.into()))
    );
    let planner = named(&spans, "invoke_agent planner")[0];
    let log = &planner.events[0];
    assert_eq!(log.name, "log");
    assert_eq!(
        attr(&log.attributes, "level"),
        Some(&V::StringValue("INFO".into()))
    );
    assert_eq!(
        attr(&log.attributes, "logger"),
        Some(&V::StringValue("planner".into()))
    );
    assert_eq!(
        attr(&log.attributes, "message"),
        Some(&V::StringValue("Planning".into()))
    );
    assert!(
        planner.start_time_unix_nano <= log.time_unix_nano
            && log.time_unix_nano <= planner.end_time_unix_nano
    );
}

#[test]
fn an_action_with_a_model_is_a_chat_span_with_tokens_and_cost() {
    let (_, doc) = agent_run();
    let run = run_of(&with_usage(&doc));
    let spans = spans(&run);
    assert!(named(&spans, "execute_tool llm_call").is_empty());
    let chat = named(&spans, "chat gpt-4o");
    assert_eq!(chat.len(), 2);
    let chat = chat[0];
    assert_eq!(chat.kind, SpanKind::Client as i32);
    assert_eq!(text(chat, "gen_ai.operation.name"), "chat");
    assert_eq!(text(chat, "gen_ai.request.model"), "gpt-4o");
    assert_eq!(text(chat, "llm.model_name"), "gpt-4o");
    assert_eq!(text(chat, "openinference.span.kind"), "LLM");
    assert_eq!(text(chat, "langfuse.observation.type"), "generation");
    assert_eq!(int(chat, "gen_ai.usage.input_tokens"), 120);
    assert_eq!(int(chat, "gen_ai.usage.output_tokens"), 30);
    assert_eq!(int(chat, "llm.token_count.prompt"), 120);
    assert_eq!(int(chat, "llm.token_count.completion"), 30);
    assert_eq!(int(chat, "llm.token_count.total"), 150);
    assert_eq!(int(chat, "llm.token_count.prompt_details.cache_read"), 100);
    assert_eq!(
        attr(&chat.attributes, "llm.cost.total"),
        Some(&V::DoubleValue(0.0006))
    );
    assert_eq!(
        attr(&chat.attributes, "gen_ai.usage.cost"),
        Some(&V::DoubleValue(0.0006))
    );
}

#[test]
fn the_same_run_makes_the_same_ids_and_another_run_others() {
    let (run, _) = agent_run();
    let (other, _) = agent_run();
    let a = spans(&run);
    let b = spans(&Run::from_value(serde_json::to_value(&run).unwrap()).unwrap());
    assert_eq!(a, b);
    let c = spans(&other);
    assert_ne!(a[0].trace_id, c[0].trace_id);
    assert_ne!(a[1].span_id, c[1].span_id);
}

#[test]
fn resource_names_the_workflow_unless_overridden() {
    let (run, _) = agent_run();
    let resource = |e: Exporter| {
        e.requests(&run)[0].resource_spans[0]
            .resource
            .clone()
            .unwrap()
            .attributes
    };
    let plain = resource(Exporter::new("http://h/v1/traces"));
    assert_eq!(
        attr(&plain, "openinference.project.name"),
        Some(&V::StringValue("agent_loop".into()))
    );
    assert_eq!(
        attr(&plain, "service.name"),
        Some(&V::StringValue("agent_loop".into()))
    );
    let named = resource(
        Exporter::new("http://h/v1/traces")
            .project("evals")
            .service_name("ci-fixer"),
    );
    assert_eq!(
        attr(&named, "openinference.project.name"),
        Some(&V::StringValue("evals".into()))
    );
    assert_eq!(
        attr(&named, "service.name"),
        Some(&V::StringValue("ci-fixer".into()))
    );
}

#[test]
fn a_crashed_runs_journal_maps_open_records_to_errors() {
    let (dir, log) = workflow_log_tests::start_in_tempdir(workflow_log::Workflow::builder("crash"));
    let journal = log.journal_path().unwrap();
    let run = {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("executor").start();
        workflow_log::action("apply_patch").output(&"ok").log();
        workflow_log::flush().unwrap();
        // Read while the iteration and the interaction are open, as after a crash.
        let doc = workflow_log_tests::recover_valid(&journal);
        Run::from_path(&journal).map(|run| (run, doc))
    };
    let (run, _doc) = run.unwrap();
    drop(log);
    drop(dir);
    let spans = spans(&run);
    let agent = named(&spans, "invoke_agent executor")[0];
    let status = agent.status.as_ref().unwrap();
    assert_eq!(status.code, StatusCode::Error as i32);
    assert!(
        status.message.starts_with("incomplete"),
        "{}",
        status.message
    );
    assert_eq!(text(agent, "error.type"), "incomplete");
    assert!(agent.end_time_unix_nano >= agent.start_time_unix_nano);
    let tool = named(&spans, "execute_tool apply_patch")[0];
    assert_eq!(tool.status.as_ref().unwrap().code, StatusCode::Ok as i32);
}
