//! LLM usage and cost: on actions, summed up every level, priced, read from provider responses,
//! reported from threads and tasks, and back from a journal.

use serde_json::{json, Value};
use workflow_log::{action, interaction, iteration, FutureExt, Usage, Workflow};
use workflow_log_tests::{capture_valid, capture_valid_with, file_run, recover_bytes};

fn tokens(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

#[iteration]
fn turn() {
    planner();
    executor();
}

#[interaction(agent = "planner")]
fn planner() {
    workflow_log::action("plan")
        .usage("gpt-4o", Usage::tokens(100, 20).cost_usd(0.001))
        .log();
}

#[interaction(agent = "executor")]
fn executor() {
    let mut call = workflow_log::action("write_code").start();
    call.usage("claude-sonnet-4", Usage::tokens(50, 10).cache_read(40));
    call.usage("claude-sonnet-4", Usage::tokens(0, 5));
    drop(call);
    research();
}

#[interaction(agent = "research")]
fn research() {
    lookup("rust logging");
}

#[action]
fn lookup(query: &str) -> String {
    workflow_log::usage("gpt-4o", Usage::tokens(7, 3).cost_usd(0.0001));
    format!("results for {query}")
}

#[test]
fn usage_is_on_actions_and_summed_at_every_level() {
    let ((), log) = capture_valid(|| {
        turn();
        turn();
    });
    let it = &log["iterations"][0];
    let plan = &it["interactions"][0]["actions"][0];
    assert_eq!(plan["model"], "gpt-4o");
    assert_eq!(
        plan["usage"],
        json!({"input_tokens": 100, "output_tokens": 20, "total_tokens": 120, "cost_usd": 0.001})
    );
    // A guard's reports add up; zero counts and an unknown cost are left out.
    let write = &it["interactions"][1]["actions"][0];
    assert_eq!(
        write["usage"],
        json!({"input_tokens": 50, "output_tokens": 15, "cache_read_tokens": 40, "total_tokens": 65})
    );
    // `usage()` inside an #[action] fn lands on that action, under a sub-agent.
    let lookup = &it["interactions"][1]["interactions"][0]["actions"][0];
    assert_eq!(lookup["action_name"], "lookup");
    assert_eq!(lookup["model"], "gpt-4o");
    assert_eq!(tokens(&lookup["usage"], "total_tokens"), 10);
    // Totals: the executor holds its own action and its sub-agent's.
    let executor = &it["interactions"][1];
    assert_eq!(tokens(&executor["usage_total"], "input_tokens"), 57);
    assert_eq!(tokens(&executor["usage_total"], "output_tokens"), 18);
    assert_eq!(
        executor["usage_total"]["cost_usd"], 0.0001,
        "only the known cost is summed"
    );
    assert_eq!(tokens(&it["usage_total"], "total_tokens"), 120 + 65 + 10);
    assert_eq!(tokens(&log["usage_total"], "total_tokens"), 2 * 195);
    let by_model = &log["usage_by_model"];
    assert_eq!(tokens(&by_model["gpt-4o"], "input_tokens"), 2 * 107);
    assert_eq!(
        tokens(&by_model["claude-sonnet-4"], "cache_read_tokens"),
        80
    );
    assert!(by_model["claude-sonnet-4"].get("cost_usd").is_none());
}

#[test]
fn a_run_without_usage_has_no_usage_keys() {
    let ((), log) = capture_valid(|| {
        let _it = iteration().start();
        let _a = interaction("planner").start();
        action("search").input(&"q").log();
    });
    fn keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    keys(&log, &mut all);
    for key in ["usage", "usage_total", "usage_by_model", "model"] {
        assert!(!all.iter().any(|k| k == key), "{key} in {log}");
    }
}

#[test]
fn prices_give_a_cost_to_usage_without_one() {
    let builder = Workflow::builder("priced")
        .price("gpt-4o", 2.5, 10.0)
        .price("gpt-4o-mini", 0.15, 0.6)
        .price("bad", f64::NAN, 1.0);
    let ((), log) = capture_valid_with(builder, || {
        action("a")
            .usage("gpt-4o", Usage::tokens(1_000_000, 100_000))
            .log();
        action("b")
            .usage("gpt-4o-2024-08-06", Usage::tokens(1_000_000, 0))
            .log();
        action("c")
            .usage("gpt-4o-mini", Usage::tokens(1_000_000, 1_000_000))
            .log();
        action("d")
            .usage("gpt-4o", Usage::tokens(1, 1).cost_usd(9.0))
            .log();
        action("e").usage("bad", Usage::tokens(5, 5)).log();
        action("f").usage("llama", Usage::tokens(5, 5)).log();
    });
    let cost = |i: usize| log["actions"][i]["usage"]["cost_usd"].as_f64();
    assert_eq!(cost(0), Some(3.5));
    assert_eq!(cost(1), Some(2.5), "a dated model takes its family's price");
    assert_eq!(cost(2), Some(0.75), "the longest priced prefix wins");
    assert_eq!(cost(3), Some(9.0), "a reported cost is kept");
    assert_eq!(cost(4), None, "an invalid price is ignored");
    assert_eq!(cost(5), None, "no price, no cost: unknown is not zero");
}

#[derive(serde::Serialize)]
struct OpenAiResponse {
    id: &'static str,
    model: &'static str,
    choices: Vec<Value>,
    usage: Value,
}

#[action]
fn chat_openai() -> OpenAiResponse {
    OpenAiResponse {
        id: "chatcmpl-1",
        model: "gpt-4o-2024-08-06",
        choices: vec![json!({"message": {"content": "hi"}})],
        usage: json!({"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
                      "prompt_tokens_details": {"cached_tokens": 100},
                      "completion_tokens_details": {"reasoning_tokens": 12}}),
    }
}

#[action]
fn chat_anthropic() -> Value {
    json!({"id": "msg_1", "model": "claude-sonnet-4", "content": [],
           "usage": {"input_tokens": 12, "output_tokens": 5, "cache_read_input_tokens": 3,
                     "cache_creation_input_tokens": 4}})
}

#[action]
fn chat_reported() -> Value {
    workflow_log::usage("gpt-4o", Usage::tokens(1, 1));
    json!({"model": "gpt-4o", "usage": {"prompt_tokens": 999, "completion_tokens": 999}})
}

#[test]
fn provider_responses_fill_model_and_usage_and_a_usage_call_wins() {
    let ((), log) = capture_valid(|| {
        chat_openai();
        chat_anthropic();
        chat_reported();
        let mut guard = action("guarded").start();
        guard.usage("mine", Usage::tokens(2, 2));
        guard.output(&json!({"model": "theirs", "usage": {"input_tokens": 50}}));
    });
    let a = &log["actions"];
    assert_eq!(a[0]["model"], "gpt-4o-2024-08-06");
    assert_eq!(
        a[0]["usage"],
        json!({"input_tokens": 120, "output_tokens": 30, "cache_read_tokens": 100,
               "reasoning_tokens": 12, "total_tokens": 150})
    );
    assert_eq!(a[1]["model"], "claude-sonnet-4");
    assert_eq!(
        a[1]["usage"],
        json!({"input_tokens": 12, "output_tokens": 5, "cache_read_tokens": 3,
               "cache_write_tokens": 4, "total_tokens": 17})
    );
    assert_eq!(
        tokens(&a[2]["usage"], "total_tokens"),
        2,
        "the usage call wins"
    );
    assert_eq!(a[3]["model"], "mine");
    assert_eq!(tokens(&a[3]["usage"], "total_tokens"), 4);
}

#[test]
fn usage_after_an_error_and_outside_any_record() {
    let ((), log) = capture_valid(|| {
        let mut call = action("chat").start();
        call.error("rate limited");
        call.usage("gpt-4o", Usage::tokens(10, 0));
        drop(call);
        workflow_log::usage("gpt-4o", Usage::tokens(3, 4));
    });
    let a = &log["actions"];
    assert_eq!(a[0]["status"], "error");
    assert_eq!(tokens(&a[0]["usage"], "input_tokens"), 10);
    assert_eq!(
        a[1]["action_name"], "gpt-4o",
        "no record open: an instant action"
    );
    assert_eq!(tokens(&log["usage_total"], "total_tokens"), 17);
}

#[test]
fn huge_counts_saturate_and_bad_costs_are_unknown() {
    let ((), log) = capture_valid(|| {
        let _i = interaction("a").start();
        action("x")
            .usage("m", Usage::tokens(u64::MAX, u64::MAX).cost_usd(f64::NAN))
            .log();
        action("y")
            .usage("m", Usage::tokens(u64::MAX, 1).cost_usd(-1.0))
            .log();
        action("z")
            .usage("m", Usage::tokens(1, 1).cost_usd(f64::INFINITY))
            .log();
    });
    let total = &log["interactions"][0]["usage_total"];
    assert_eq!(total["input_tokens"], u64::MAX);
    assert_eq!(total["total_tokens"], u64::MAX);
    assert!(total.get("cost_usd").is_none());
    assert!(log["actions"].as_array().is_none_or(Vec::is_empty));
}

#[test]
fn a_hostile_model_name_is_recorded_as_text() {
    let hostile = format!("evil\u{0}\n\"}}</script>{}", "m".repeat(100_000));
    let ((), log) = capture_valid(|| {
        action("chat")
            .usage(hostile.clone(), Usage::tokens(1, 2))
            .log();
    });
    assert_eq!(log["actions"][0]["model"], hostile.as_str());
    assert_eq!(tokens(&log["usage_by_model"][&hostile], "total_tokens"), 3);
}

#[test]
fn threads_and_tasks_report_to_their_own_records() {
    let ((), log) = capture_valid(|| {
        let _it = iteration().start();
        std::thread::scope(|s| {
            for i in 0..8u64 {
                workflow_log::spawn_scoped(s, move || {
                    let _a = action(format!("worker_{i}")).start();
                    workflow_log::usage("m", Usage::tokens(i, 1));
                });
            }
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..16u64)
                .map(|i| tokio::spawn(task_chat(i).in_current_context()))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
    let actions = log["iterations"][0]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 24);
    for a in actions {
        let name = a["action_name"].as_str().unwrap();
        let input = if name == "task_chat" {
            // Reported twice, across an await that may move the task to another thread.
            2 * a["input_data"]["i"].as_u64().unwrap()
        } else {
            name.rsplit('_').next().unwrap().parse().unwrap()
        };
        assert_eq!(tokens(&a["usage"], "input_tokens"), input, "{name}");
    }
    let expected: u64 = (0..8).sum::<u64>() + (0..16).map(|i| i * 2).sum::<u64>();
    assert_eq!(tokens(&log["usage_total"], "input_tokens"), expected);
}

#[action]
async fn task_chat(i: u64) {
    workflow_log::usage("m", Usage::tokens(i, 0));
    tokio::task::yield_now().await;
    workflow_log::usage("m", Usage::tokens(i, 1));
}

#[test]
fn recover_gives_the_same_usage_as_the_nested_file() {
    let builder = Workflow::builder("journal_usage").price("gpt-4o", 2.5, 10.0);
    let run = file_run(builder, || {
        turn();
        chat_openai();
    });
    // `file_run` checks recover == nested file; here, that usage made it into both.
    assert_eq!(tokens(&run.doc["usage_total"], "input_tokens"), 277);
    let line = run
        .lines
        .iter()
        .find(|l| l["name"] == "write_code")
        .expect("the action's line");
    assert_eq!(line["model"], "claude-sonnet-4");
    assert_eq!(line["usage"]["output_tokens"], 15);
}

/// Usage is summed over the records the document holds: a journal concatenated with itself
/// (each LLM call's line twice) gives the same totals and the same `usage_by_model` as once.
#[test]
fn a_journal_concatenated_with_itself_counts_each_llm_call_once() {
    let run = file_run(Workflow::builder("twice_usage"), || {
        turn();
        chat_openai();
    });
    assert!(run.doc["usage_by_model"].as_object().unwrap().len() >= 2);
    let twice = recover_bytes(&[&run.journal[..], &run.journal[..]].concat());
    assert_eq!(twice["usage_by_model"], run.doc["usage_by_model"]);
    assert_eq!(twice, run.doc);
}
