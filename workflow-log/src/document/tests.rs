use serde_json::json;

use super::{Kind, Record, Run, Status, Usage};

fn action(name: &str, status: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut a = json!({
        "id": name, "action_name": name, "input_data": null, "output_data": null, "metadata": {},
        "start_time": "2026-11-24T13:22:07.000000Z", "end_time": "2026-11-24T13:22:07.000800Z",
        "duration_us": 800, "status": status, "thread": "main"
    });
    for (k, v) in extra.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

/// A document as a newer runtime writes it: usage on actions, totals above, unknown fields.
fn with_usage() -> serde_json::Value {
    let llm = action(
        "llm",
        "ok",
        json!({"model": "gpt-4o", "usage": {"input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0006}}),
    );
    let tests = action("run_tests", "a_new_status", json!({"shiny": true}));
    let event = json!({"timestamp": "2026-11-24T13:22:07.000900Z", "event_type": "log",
                       "level": "WARN", "logger": "executor", "message": "Tests failed", "data": {}});
    let interaction = json!({
        "id": "2", "agent_name": "executor", "input": {"task": "x"}, "output": null,
        "start_time": "2026-11-24T13:22:07.000000Z", "end_time": "2026-11-24T13:22:07.001000Z",
        "duration_us": 1000, "status": "error", "error": "boom", "thread": "main",
        "actions": [llm, tests], "events": [event]
    });
    let iteration = json!({
        "id": "1", "iteration_number": 1, "start_time": "2026-11-24T13:22:07.000000Z",
        "end_time": null, "duration_us": null, "status": "incomplete", "thread": "main",
        "usage_total": {"input_tokens": 120, "output_tokens": 30},
        "interactions": [interaction]
    });
    let by_model =
        json!({"gpt-4o": {"input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0006}});
    json!({
        "schema": "workflow-log/1", "workflow": "w", "run_id": "r",
        "start_time": "2026-11-24T13:22:07.000000Z", "end_time": "2026-11-24T13:22:08.500000Z",
        "status": "ok", "a_field_from_the_future": [1, 2],
        "usage_total": {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150, "cost_usd": 0.0006},
        "usage_by_model": by_model,
        "iterations": [iteration],
        "events": []
    })
}

#[test]
fn reads_usage_and_ignores_unknown_fields() {
    let run = Run::from_value(with_usage()).unwrap();
    assert_eq!(run.usage_total.unwrap().total_tokens(), 150);
    assert_eq!(run.usage_by_model["gpt-4o"].cost_usd, Some(0.0006));
    assert_eq!(run.duration_us(), Some(1_500_000));
    let it = &run.iterations[0];
    assert_eq!(it.status, Status::Incomplete);
    assert_eq!(it.usage_total.unwrap().input_tokens, 120);
    let llm = &it.interactions[0].actions[0];
    assert_eq!(llm.model.as_deref(), Some("gpt-4o"));
    assert_eq!(llm.usage, Some(Usage::tokens(120, 30).cost_usd(0.0006)));
    assert_eq!(it.interactions[0].actions[1].status, Status::Unknown);
}

#[test]
fn usage_sums_actions_when_no_total_is_written() {
    let mut doc = with_usage();
    doc.as_object_mut().unwrap().remove("usage_total");
    doc["iterations"][0]
        .as_object_mut()
        .unwrap()
        .remove("usage_total");
    let run = Run::from_value(doc).unwrap();
    assert_eq!(run.usage().unwrap().total_tokens(), 150);
    let it = Record::Iteration(&run.iterations[0]);
    assert_eq!(it.usage().unwrap().cost_usd, Some(0.0006));
}

#[test]
fn walks_depth_first_with_paths() {
    let run = Run::from_value(with_usage()).unwrap();
    let steps: Vec<(Kind, String, Option<&str>)> = run
        .walk()
        .map(|s| (s.record.kind(), s.path().to_string(), s.agent()))
        .collect();
    assert_eq!(
        steps,
        [
            (Kind::Iteration, "iteration 1".to_owned(), None),
            (
                Kind::Interaction,
                "iteration 1 › executor".to_owned(),
                Some("executor")
            ),
            (
                Kind::Action,
                "iteration 1 › executor › llm".to_owned(),
                Some("executor")
            ),
            (
                Kind::Action,
                "iteration 1 › executor › run_tests".to_owned(),
                Some("executor")
            ),
            (
                Kind::Event,
                "iteration 1 › executor › event log".to_owned(),
                Some("executor")
            ),
        ]
    );
    let failed: Vec<String> = run.failures().map(|s| s.path().to_string()).collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
}

#[test]
fn bad_documents_say_what_is_wrong() {
    let cut = br#"{"schema": "workflow-log/1", "workflow": "w", "iter"#;
    let err = Run::from_json_slice(cut).unwrap_err().to_string();
    assert!(err.contains("cut short"), "{err}");
    let err = Run::from_json_slice(b"hello").unwrap_err().to_string();
    assert!(err.contains("not JSON"), "{err}");
    let err = Run::from_json_slice(br#"{"schema": "other/3", "x": 1}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`other/3`"), "{err}");
    let err = Run::from_json_slice(br#"{"name": "package.json"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no `schema` field"), "{err}");
    let err = Run::from_json_slice(b"  ").unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn round_trips_through_serialize() {
    let run = Run::from_value(with_usage()).unwrap();
    let again = Run::from_value(serde_json::to_value(&run).unwrap()).unwrap();
    assert_eq!(run, again);
}

/// Runs read by the derived readers in one piece, and by the reader of any depth (`deep.rs`),
/// from their text (compact and indented) and from their value.
fn read_both_ways(doc: &serde_json::Value) {
    let whole: Run = serde_json::from_value(doc.clone()).unwrap();
    for text in [doc.to_string(), serde_json::to_string_pretty(doc).unwrap()] {
        assert_eq!(super::deep::run_from_text(&text).unwrap(), whole, "{text}");
    }
    assert_eq!(super::deep::run_from_value(doc.clone()).unwrap(), whole);
}

#[test]
fn the_reader_of_any_depth_reads_what_the_derived_readers_read() {
    read_both_ways(&with_usage());
    // Every kind inside every kind, strings with escapes, metadata, events with fields.
    let search = action(
        "search",
        "ok",
        json!({"input_data": "q \"quoted\" \\ é 😀\n", "output_data": [null, -3, 1e300, 0.1],
               "metadata": {"source": {"url": "https://example.com", "rank": 1.5}}}),
    );
    let llm = action(
        "llm",
        "error",
        json!({"error": "refused", "events": [
        {"timestamp": "t", "event_type": "log", "level": "WARN", "logger": "planner",
         "message": "careful", "data": {"n": [1, {"deep": [true]}]}}]}),
    );
    let tool = action(
        "tool",
        "ok",
        json!({"actions": [llm], "interactions": [{
        "id": "5", "agent_name": "critic", "start_time": "t", "status": "ok", "thread": "w-1",
        "iterations": [{"id": "6", "iteration_number": 7, "start_time": "t", "status": "ok"}]}]}),
    );
    let doc = json!({
        "schema": "workflow-log/1", "workflow": "w", "run_id": "r", "start_time": "t",
        "status": "error", "error": "boom", "actions": [search], "events": [],
        "interactions": [{"id": "2", "agent_name": "planner", "input": {"task": "x"},
                          "start_time": "t", "status": "ok", "actions": [tool]}]
    });
    read_both_ways(&doc);
    // Keys written with escapes, and fields this version doesn't know.
    let text = r#"{"schema": "workflow-log/1", "workflow": "w", "run_id": "r",
        "start_time": "t", "status": "ok", "future": {"iterations": [1]},
        "iter\u0061tions": [{"id": "1", "iteration_number": 1, "start_time": "t",
            "status": "ok", "thread": "main", "interactions": []}]}"#;
    let whole: Run = serde_json::from_str(text).unwrap();
    assert_eq!(whole.iterations.len(), 1);
    assert_eq!(super::deep::run_from_text(text).unwrap(), whole);
}

#[test]
fn a_run_a_hundred_thousand_records_deep_drops_on_a_small_stack() {
    use super::Action;
    let leaf: Action = serde_json::from_value(json!({
        "id": "0", "action_name": "step", "start_time": "t", "status": "ok"
    }))
    .unwrap();
    let mut chain = leaf.clone();
    for _ in 0..100_000 {
        let mut parent = leaf.clone();
        parent.actions.push(chain);
        chain = parent;
    }
    let mut run = Run::from_value(with_usage()).unwrap();
    run.actions.push(chain);
    // Dropped by recursion, this needs some 10 MB of stack (about 100 bytes a level).
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || drop(run))
        .unwrap()
        .join()
        .expect("no stack overflow");
}
