//! Every function shape the attributes must accept compiles, runs and logs correctly.
//!
//! This file is also the lint test of the expansion (issue #3, item 5): it denies every warning
//! and every `clippy::all` lint, and CI compiles it with `cargo clippy --all-targets -D warnings`,
//! so a macro expansion that trips `unused_braces`, `needless_return`, `unused_mut` ... fails
//! here. (That `dead_code` still fires for an unused annotated function is
//! `workflow-log-macros/ui/dead-code.rs`.)
#![deny(warnings, clippy::all)]

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::{json, Value};
use workflow_log::{action, interaction, iteration};
use workflow_log_tests::capture_valid;

/// The only top-level action of a captured run.
fn only_action(log: &Value) -> &Value {
    let actions = log["actions"].as_array().expect("top-level actions");
    assert_eq!(actions.len(), 1, "{log:#}");
    &actions[0]
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

// --- no arguments, primitives ---------------------------------------------------------------

#[action]
fn no_arguments() -> u32 {
    7
}

#[test]
fn no_arguments_has_an_empty_input() {
    let (out, log) = capture_valid(no_arguments);
    assert_eq!(out, 7);
    let a = only_action(&log);
    assert_eq!(a["action_name"], "no_arguments");
    assert_eq!(a["input_data"], json!({}));
    assert_eq!(a["output_data"], 7);
    assert_eq!(a["status"], "ok");
}

#[action]
fn primitives(n: i64, x: f64, flag: bool, c: char, s: &str, owned: String) -> String {
    format!("{n} {x} {flag} {c} {s} {owned}")
}

#[test]
fn primitives_are_captured_by_name() {
    let (_, log) = capture_valid(|| primitives(-3, 1.5, true, 'z', "hi", "there".to_owned()));
    let a = only_action(&log);
    assert_eq!(
        a["input_data"],
        json!({"n": -3, "x": 1.5, "flag": true, "c": "z", "s": "hi", "owned": "there"})
    );
    assert_eq!(a["output_data"], "-3 1.5 true z hi there");
}

// --- generics --------------------------------------------------------------------------------

#[action]
fn largest<T, U>(items: &[T], label: U) -> Option<T>
where
    T: PartialOrd + Copy + Serialize,
    U: Debug,
{
    let _ = label;
    items.iter().copied().fold(None, |best, x| match best {
        Some(b) if b >= x => Some(b),
        _ => Some(x),
    })
}

#[test]
fn generics_with_a_where_clause() {
    let (out, log) = capture_valid(|| largest(&[3, 9, 2], "numbers"));
    assert_eq!(out, Some(9));
    let a = only_action(&log);
    // `T: Serialize` is in scope: JSON. `U: Debug` only: its Debug text.
    assert_eq!(
        a["input_data"],
        json!({"items": [3, 9, 2], "label": "\"numbers\""})
    );
    assert_eq!(a["output_data"], 9);
}

#[action]
fn chunk_sum<const N: usize>(values: [u32; N]) -> usize {
    N + values.iter().sum::<u32>() as usize
}

#[test]
fn const_generics() {
    let (out, log) = capture_valid(|| chunk_sum([1, 2, 3]));
    assert_eq!(out, 9);
    // serde implements `Serialize` for arrays of each length up to 32, not for `[T; N]` with a
    // generic `N`; the capture serializes any array of `Serialize` items itself (issue 15).
    assert_eq!(only_action(&log)["input_data"]["values"], json!([1, 2, 3]));
}

#[action]
fn longest<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() >= b.len() {
        a
    } else {
        b
    }
}

#[action]
fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or_default()
}

#[test]
fn lifetimes_named_and_elided() {
    let (out, log) = capture_valid(|| (longest("ab", "abc"), first_word("hello world")));
    assert_eq!(out, ("abc", "hello"));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["output_data"], "abc");
    assert_eq!(actions[1]["input_data"], json!({"text": "hello world"}));
    assert_eq!(actions[1]["output_data"], "hello");
}

// --- methods ---------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct Agent {
    name: String,
    calls: u32,
    notes: Vec<String>,
}

impl Agent {
    #[action]
    fn new(name: &str) -> Self {
        Agent {
            name: name.to_owned(),
            calls: 0,
            notes: Vec::new(),
        }
    }

    #[interaction(agent = self.name.as_str())]
    fn greet(&self, who: &str) -> String {
        format!("{} greets {who}", self.name)
    }

    #[interaction(agent = self.name.clone())]
    fn remember(&mut self, note: String) -> usize {
        self.calls += 1;
        self.notes.push(note);
        self.notes.len()
    }

    /// Returns a borrow of `self` through `&mut self`: the body's closure must be `FnOnce`.
    #[action]
    fn last_note(&mut self) -> Option<&mut String> {
        self.notes.last_mut()
    }

    #[action]
    fn into_notes(self) -> Vec<String> {
        self.notes
    }
}

#[test]
fn self_ref_self_mut_and_an_associated_fn_returning_self() {
    let (notes, log) = capture_valid(|| {
        let mut agent = Agent::new("planner");
        agent.greet("you");
        agent.remember("buy milk".to_owned());
        if let Some(note) = agent.last_note() {
            note.push('!');
        }
        agent.into_notes()
    });
    assert_eq!(notes, ["buy milk!"]);
    let new = &log["actions"][0];
    assert_eq!(new["action_name"], "new");
    assert_eq!(new["input_data"], json!({"name": "planner"}));
    assert_eq!(
        new["output_data"],
        json!({"name": "planner", "calls": 0, "notes": []})
    );
    let inter = log["interactions"].as_array().unwrap();
    assert_eq!(inter[0]["agent_name"], "planner");
    assert_eq!(
        inter[0]["input"],
        json!({"who": "you"}),
        "self is not captured"
    );
    assert_eq!(inter[0]["output"], "planner greets you");
    assert_eq!(inter[1]["input"], json!({"note": "buy milk"}));
    assert_eq!(inter[1]["output"], 1);
    assert_eq!(log["actions"][1]["output_data"], "buy milk");
    assert_eq!(log["actions"][2]["output_data"], json!(["buy milk!"]));
}

// --- traits ----------------------------------------------------------------------------------

trait Tool {
    fn name(&self) -> &'static str;

    fn run(&self, query: &str) -> String;

    /// A default method, annotated in the trait.
    #[action]
    fn describe(&self, verbose: bool) -> String {
        if verbose {
            format!("the {} tool", self.name())
        } else {
            self.name().to_owned()
        }
    }

    async fn fetch(&self, url: &str) -> Result<usize, String>;
}

#[derive(Debug)]
struct Search;

impl Tool for Search {
    fn name(&self) -> &'static str {
        "search"
    }

    #[action(name = "search.run")]
    fn run(&self, query: &str) -> String {
        format!("results for {query}")
    }

    /// A native `async fn` in a trait impl.
    #[action]
    async fn fetch(&self, url: &str) -> Result<usize, String> {
        tokio::task::yield_now().await;
        if url.is_empty() {
            return Err("empty url".to_owned());
        }
        Ok(url.len())
    }
}

#[test]
fn trait_impl_and_default_methods() {
    let (_, log) = capture_valid(|| {
        Search.run("rust");
        Search.describe(true);
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["action_name"], "search.run");
    assert_eq!(actions[0]["input_data"], json!({"query": "rust"}));
    assert_eq!(actions[1]["action_name"], "describe");
    assert_eq!(actions[1]["output_data"], "the search tool");
}

#[test]
fn native_async_fn_in_a_trait_impl() {
    let (out, log) =
        capture_valid(|| block_on(async { (Search.fetch("a.b").await, Search.fetch("").await) }));
    assert_eq!(out, (Ok(3), Err("empty url".to_owned())));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["output_data"], 3);
    assert_eq!(actions[1]["status"], "error");
    assert_eq!(actions[1]["error"], "empty url");
}

// --- unsafe ----------------------------------------------------------------------------------

/// # Safety
/// `ptr` must point to a readable `u32`.
#[action]
unsafe fn read_raw(ptr: *const u32) -> u32 {
    // SAFETY: the caller promises `ptr` is readable.
    unsafe { *ptr }
}

/// # Safety
/// `ptr` must point to a readable `u32`.
#[action]
async unsafe fn read_raw_later(ptr: *const u32) -> u32 {
    tokio::task::yield_now().await;
    // SAFETY: the caller promises `ptr` is readable.
    unsafe { *ptr }
}

#[test]
fn unsafe_fn_and_async_unsafe_fn() {
    let x = 41_u32;
    // SAFETY: `&x` is readable for the whole call.
    let (out, log) = capture_valid(|| unsafe { read_raw(&x) + block_on(read_raw_later(&x)) });
    assert_eq!(out, 82);
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["action_name"], "read_raw");
    assert_eq!(actions[1]["action_name"], "read_raw_later");
    assert_eq!(actions[1]["output_data"], 41);
}

// --- patterns and mut arguments ---------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
}

#[action]
fn patterns((a, b): (u32, u32), &c: &u32, Point { x, y: why }: Point, [first, ..]: [u8; 3]) -> u32 {
    a + b + c + x.unsigned_abs() + why.unsigned_abs() + u32::from(first)
}

#[test]
fn tuple_reference_struct_and_slice_patterns_capture_the_names_they_bind() {
    let (out, log) = capture_valid(|| patterns((1, 2), &3, Point { x: 4, y: -5 }, [6, 7, 8]));
    assert_eq!(out, 21);
    assert_eq!(
        only_action(&log)["input_data"],
        json!({"a": 1, "b": 2, "c": 3, "x": 4, "why": -5, "first": 6})
    );
}

#[action]
fn countdown(mut n: u32, mut trail: Vec<u32>) -> Vec<u32> {
    while n > 0 {
        trail.push(n);
        n -= 1;
    }
    trail
}

#[test]
fn mut_arguments_are_captured_as_passed() {
    let (out, log) = capture_valid(|| countdown(3, vec![9]));
    assert_eq!(out, [9, 3, 2, 1]);
    let a = only_action(&log);
    assert_eq!(a["input_data"], json!({"n": 3, "trail": [9]}));
    assert_eq!(a["output_data"], json!([9, 3, 2, 1]));
}

// --- recursion, early return and ? ------------------------------------------------------------

#[action]
fn factorial(n: u64) -> u64 {
    if n <= 1 {
        1
    } else {
        n * factorial(n - 1)
    }
}

#[test]
fn a_recursive_fn_nests_its_calls() {
    let (out, log) = capture_valid(|| factorial(3));
    assert_eq!(out, 6);
    let outer = only_action(&log);
    assert_eq!(outer["output_data"], 6);
    assert_eq!(outer["actions"][0]["input_data"]["n"], 2);
    assert_eq!(outer["actions"][0]["actions"][0]["output_data"], 1);
}

#[derive(Debug)]
struct ParseError(String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "can't parse {:?}", self.0)
    }
}

impl std::error::Error for ParseError {}

impl From<std::num::ParseIntError> for ParseError {
    fn from(e: std::num::ParseIntError) -> Self {
        ParseError(e.to_string())
    }
}

#[action]
fn parse_sum(text: &str) -> Result<i32, ParseError> {
    if text.is_empty() {
        return Ok(0);
    }
    let mut total = 0;
    for part in text.split('+') {
        total += part.trim().parse::<i32>()?;
    }
    Ok(total)
}

#[action]
fn boxed_error(fail: bool) -> Result<u8, Box<dyn std::error::Error>> {
    if fail {
        // Coerces to `Box<dyn Error>` as it would without the attribute.
        return Err(Box::new(ParseError("x".to_owned())));
    }
    Ok("7".parse::<u8>()?)
}

#[test]
fn early_return_and_question_mark_still_record_the_outcome() {
    let (out, log) = capture_valid(|| {
        (
            parse_sum("").ok(),
            parse_sum("1 + 2").ok(),
            parse_sum("1 + x").is_err(),
            boxed_error(true).is_err(),
            boxed_error(false).ok(),
        )
    });
    assert_eq!(out, (Some(0), Some(3), true, true, Some(7)));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["output_data"], 0, "early return");
    assert_eq!(actions[1]["output_data"], 3);
    assert_eq!(actions[2]["status"], "error", "`?`");
    assert_eq!(
        actions[2]["error"],
        "can't parse \"invalid digit found in string\""
    );
    assert_eq!(actions[2]["output_data"], Value::Null);
    assert_eq!(actions[3]["error"], "can't parse \"x\"");
    assert_eq!(actions[4]["output_data"], 7);
}

// --- &mut and impl Trait ----------------------------------------------------------------------

#[action]
fn record_visit(visits: &mut HashMap<String, u32>, page: &str) -> u32 {
    let n = visits.entry(page.to_owned()).or_default();
    *n += 1;
    *n
}

#[action]
fn push_twice(list: &mut Vec<u8>, x: u8) {
    list.push(x);
    list.push(x);
}

#[test]
fn a_mutated_mut_argument_stays_usable() {
    let mut visits = HashMap::new();
    let mut list = vec![];
    let (_, log) = capture_valid(|| {
        record_visit(&mut visits, "home");
        record_visit(&mut visits, "home");
        push_twice(&mut list, 5);
    });
    visits.insert("about".to_owned(), 1);
    assert_eq!(visits["home"], 2);
    assert_eq!(list, [5, 5]);
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(
        actions[1]["input_data"],
        json!({"visits": {"home": 1}, "page": "home"})
    );
    assert_eq!(actions[1]["output_data"], 2);
    assert_eq!(actions[2]["input_data"], json!({"list": [], "x": 5}));
    assert_eq!(
        actions[2]["output_data"],
        Value::Null,
        "a unit fn has no output"
    );
}

#[action]
fn total(values: impl IntoIterator<Item = u32> + Debug) -> u32 {
    values.into_iter().sum()
}

#[action]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[action]
fn checked_evens(limit: u32) -> Result<impl Iterator<Item = u32> + Debug, String> {
    if limit > 100 {
        return Err(format!("{limit} is too many"));
    }
    let v: Vec<u32> = (0..limit).filter(|n| n % 2 == 0).collect();
    Ok(v.into_iter())
}

#[test]
fn impl_trait_argument_and_return_types() {
    let (out, log) = capture_valid(|| {
        let sum = total(vec![1, 2, 3]);
        let evens: Vec<u32> = evens(5).collect();
        let checked: Vec<u32> = checked_evens(5).unwrap().collect();
        (sum, evens, checked, checked_evens(1000).is_err())
    });
    assert_eq!(out, (6, vec![0, 2, 4], vec![0, 2, 4], true));
    let actions = log["actions"].as_array().unwrap();
    // `impl Trait + Debug`: the Debug text of the value passed.
    assert_eq!(actions[0]["input_data"]["values"], "[1, 2, 3]");
    // An opaque return type is captured through its hidden type.
    assert!(actions[1]["output_data"]
        .as_str()
        .unwrap()
        .contains("Filter"));
    assert_eq!(actions[2]["output_data"], "IntoIter([0, 2, 4])");
    assert_eq!(actions[3]["status"], "error");
    assert_eq!(actions[3]["error"], "1000 is too many");
}

// --- bodies -----------------------------------------------------------------------------------

#[action]
fn inner_attribute(x: u32) -> u32 {
    #![allow(clippy::identity_op)]
    x + 0
}

#[rustfmt::skip]
#[action]
fn one_line(x: u32) -> u32 { x * 2 }

#[test]
fn an_inner_attribute_and_a_one_line_body() {
    let (out, log) = capture_valid(|| inner_attribute(1) + one_line(2));
    assert_eq!(out, 5);
    assert_eq!(log["actions"][1]["output_data"], 4);
}

/// Arguments named like the expansion's own locals: those are hygienic, so no clash.
#[action]
fn same_names_as_the_expansion(wl_span: u32, wl_guard: u32, wl_ret: u32, wl_ok: u32) -> u32 {
    wl_span + wl_guard + wl_ret + wl_ok
}

#[test]
fn argument_names_do_not_clash_with_generated_locals() {
    let (out, log) = capture_valid(|| same_names_as_the_expansion(1, 2, 3, 4));
    assert_eq!(out, 10);
    assert_eq!(
        only_action(&log)["input_data"],
        json!({"wl_span": 1, "wl_guard": 2, "wl_ret": 3, "wl_ok": 4})
    );
}

/// A module whose names would break an expansion that used relative paths.
mod shadowing {
    #![allow(dead_code, non_camel_case_types)]

    pub mod workflow_log {}
    pub mod core {}
    pub mod std {}
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Wrap;
    pub type Result<T> = ::std::result::Result<T, String>;

    #[::workflow_log::action]
    pub fn shadowed(x: u32) -> Result<u32> {
        if x == 0 {
            return Err("zero".into());
        }
        Ok(x)
    }

    #[::workflow_log::interaction(agent = "shadow")]
    pub async fn shadowed_async(x: u32) -> Result<u32> {
        shadowed(x)
    }
}

#[test]
fn a_module_with_its_own_workflow_log_result_and_option() {
    let (_, log) = capture_valid(|| {
        let _ = shadowing::shadowed(0);
        let _ = shadowing::shadowed(2);
        let _ = block_on(shadowing::shadowed_async(3));
    });
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["status"], "error");
    assert_eq!(actions[0]["error"], "zero");
    assert_eq!(actions[1]["output_data"], 2);
    let inter = &log["interactions"][0];
    assert_eq!(inter["output"], 3);
    assert_eq!(inter["actions"][0]["output_data"], 3);
}

// --- iterations, async shapes, futures from plain fns -----------------------------------------

#[iteration]
fn auto_turn() {}

#[iteration(number = round)]
fn numbered_turn(round: u16) -> Result<(), String> {
    if round == 13 {
        return Err("unlucky".to_owned());
    }
    Ok(())
}

#[iteration]
async fn async_turn(agent: &Agent) -> usize {
    agent.greet("async").len()
}

#[test]
fn iterations_auto_numbered_explicit_and_async() {
    let agent = Agent::new("a");
    let (_, log) = capture_valid(|| {
        auto_turn();
        auto_turn();
        let _ = numbered_turn(13);
        block_on(async_turn(&agent));
    });
    let its = log["iterations"].as_array().unwrap();
    let numbers: Vec<_> = its.iter().map(|i| i["iteration_number"].clone()).collect();
    assert_eq!(numbers, [json!(1), json!(2), json!(13), json!(3)]);
    assert_eq!(its[2]["status"], "error");
    assert_eq!(its[2]["error"], "unlucky");
    assert_eq!(its[3]["interactions"][0]["agent_name"], "a");
}

#[action]
async fn async_fact(n: u64) -> u64 {
    if n <= 1 {
        return 1;
    }
    n * Box::pin(async_fact(n - 1)).await
}

#[action]
async fn async_name(agent: &Agent) -> &str {
    tokio::task::yield_now().await;
    &agent.name
}

#[action]
async fn async_unit(list: &mut Vec<u32>) {
    tokio::task::yield_now().await;
    list.push(1);
}

#[test]
fn async_recursion_borrowed_returns_and_unit() {
    let agent = Agent::new("named");
    let mut list = vec![];
    let (out, log) = capture_valid(|| {
        block_on(async {
            async_unit(&mut list).await;
            (async_fact(3).await, async_name(&agent).await.to_owned())
        })
    });
    assert_eq!(list, [1]);
    assert_eq!(out, (6, "named".to_owned()));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["input_data"], json!({"list": []}));
    assert_eq!(actions[1]["actions"][0]["actions"][0]["output_data"], 1);
    assert_eq!(actions[2]["output_data"], "named");
}

#[action]
fn later(x: u32) -> impl Future<Output = u32> {
    let doubled = x * 2;
    async move {
        tokio::task::yield_now().await;
        doubled + 1
    }
}

#[action(name = "boxed_later")]
fn boxed_later(x: u32) -> Pin<Box<dyn Future<Output = Result<u32, String>> + Send>> {
    Box::pin(async move {
        if x == 0 {
            return Err("zero".into());
        }
        Ok(x)
    })
}

#[test]
fn futures_built_by_plain_fns_are_recorded_until_they_complete() {
    let (out, log) = capture_valid(|| {
        block_on(async {
            let f = later(4);
            let g = boxed_later(0);
            (f.await, g.await)
        })
    });
    assert_eq!(out, (9, Err("zero".to_owned())));
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[0]["action_name"], "later");
    assert_eq!(actions[0]["input_data"], json!({"x": 4}));
    assert_eq!(
        actions[0]["output_data"], 9,
        "the future's output, not the future"
    );
    assert_eq!(actions[1]["status"], "error");
    assert_eq!(actions[1]["error"], "zero");
}

// --- one-expression bodies ----------------------------------------------------------------------
//
// A body that is a single expression on one line is where `unused_braces` fires if the
// expansion nests the user's block in another block (`{ ... { q.len() } }`): these shapes keep
// every expansion path honest. `rustfmt::skip` keeps the bodies on one line, as written.

#[rustfmt::skip]
#[action]
async fn one_expr_async(q: &str) -> usize { q.len() }

#[rustfmt::skip]
#[action]
async fn one_expr_async_result(q: &str) -> Result<u32, std::num::ParseIntError> { q.parse() }

#[rustfmt::skip]
#[action]
async fn one_expr_async_unit(list: &mut Vec<u32>) { list.push(1) }

#[rustfmt::skip]
#[action]
fn one_expr_future(q: String) -> impl Future<Output = usize> { async move { q.len() } }

#[rustfmt::skip]
#[action]
fn one_expr_boxed_future(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> { Box::pin(async move { x + 1 }) }

#[rustfmt::skip]
#[action]
fn one_expr_sync(x: u32) -> u32 { x + 1 }

#[rustfmt::skip]
#[action]
fn one_expr_result(q: &str) -> Result<u32, std::num::ParseIntError> { q.parse() }

#[rustfmt::skip]
#[action]
fn one_expr_unit(list: &mut Vec<u32>) { list.push(2) }

#[rustfmt::skip]
#[action]
fn one_expr_never(message: &str) -> ! { panic!("{message}") }

#[rustfmt::skip]
#[iteration]
fn one_expr_iteration(fail: bool) -> Result<(), String> { if fail { Err("failed".to_owned()) } else { Ok(()) } }

#[rustfmt::skip]
#[iteration]
async fn one_expr_async_iteration(n: u32) -> u32 { n }

#[rustfmt::skip]
#[action]
async fn one_expr_async_question(q: &str) -> Result<u8, Box<dyn std::error::Error>> { Ok(q.parse::<u8>()?) }

/// The hoisted inner attribute still covers the spliced statements of an async body.
#[action]
async fn one_expr_async_inner_attribute(x: u32) -> u32 {
    #![allow(clippy::identity_op)]
    x + 0
}

#[action]
fn one_expr_unit_inner_attribute(list: &mut Vec<u32>) {
    #![allow(clippy::identity_op)]
    list.push(3 + 0)
}

impl Agent {
    #[rustfmt::skip]
    #[interaction(agent = self.name.as_str())]
    fn one_expr_method(&self, n: u32) -> u32 { self.calls + n }

    #[rustfmt::skip]
    #[interaction(agent = self.name.as_str())]
    async fn one_expr_async_method(&self, n: u32) -> u32 { self.calls + n }
}

#[test]
fn one_expression_bodies_compile_without_warnings_and_record() {
    let agent = Agent::new("one");
    let mut list = vec![];
    let (out, log) = capture_valid(|| {
        let sync = (
            one_expr_sync(1),
            one_expr_result("12").ok(),
            one_expr_result("x").is_err(),
            agent.one_expr_method(3),
        );
        one_expr_unit(&mut list);
        let asynchronous = block_on(async {
            one_expr_async_unit(&mut list).await;
            (
                one_expr_async("abc").await,
                one_expr_async_result("7").await.ok(),
                one_expr_future("ab".to_owned()).await,
                one_expr_boxed_future(4).await,
                agent.one_expr_async_method(5).await,
            )
        });
        (sync, asynchronous)
    });
    assert_eq!(out, ((2, Some(12), true, 3), (3, Some(7), 2, 5, 5)),);
    assert_eq!(list, [2, 1]);
    let actions = log["actions"].as_array().unwrap();
    let names: Vec<_> = actions.iter().map(|a| a["action_name"].clone()).collect();
    assert_eq!(
        names,
        [
            "one_expr_sync",
            "one_expr_result",
            "one_expr_result",
            "one_expr_unit",
            "one_expr_async_unit",
            "one_expr_async",
            "one_expr_async_result",
            "one_expr_future",
            "one_expr_boxed_future",
        ]
    );
    assert_eq!(actions[0]["output_data"], 2);
    assert_eq!(actions[1]["output_data"], 12);
    assert_eq!(actions[2]["status"], "error");
    assert_eq!(actions[4]["input_data"], json!({"list": [2]}));
    assert_eq!(actions[5]["output_data"], 3);
    assert_eq!(actions[6]["output_data"], 7);
    assert_eq!(actions[7]["input_data"], json!({"q": "ab"}));
    assert_eq!(actions[7]["output_data"], 2, "the future's output");
    assert_eq!(actions[8]["output_data"], 5);
    let inter = log["interactions"].as_array().unwrap();
    assert_eq!(inter[0]["output"], 3);
    assert_eq!(inter[1]["output"], 5);
}

#[test]
fn one_expression_iterations_and_a_never_returning_fn() {
    let (out, log) = capture_valid(|| {
        (
            one_expr_iteration(false).is_ok(),
            one_expr_iteration(true).is_err(),
            block_on(one_expr_async_iteration(9)),
        )
    });
    assert_eq!(out, (true, true, 9));
    let its = log["iterations"].as_array().unwrap();
    assert_eq!(its[0]["status"], "ok");
    assert_eq!(its[1]["status"], "error");
    assert_eq!(its[1]["error"], "failed");
    assert_eq!(its[2]["iteration_number"], 3);

    let panicked = std::panic::catch_unwind(|| one_expr_never("never returns"));
    assert!(panicked.is_err());
}

#[test]
fn one_expression_question_marks_and_inner_attributes() {
    let mut list = vec![];
    let (out, log) = capture_valid(|| {
        one_expr_unit_inner_attribute(&mut list);
        block_on(async {
            (
                one_expr_async_question("8").await.ok(),
                one_expr_async_question("x").await.is_err(),
                one_expr_async_inner_attribute(4).await,
            )
        })
    });
    assert_eq!(out, (Some(8), true, 4));
    assert_eq!(list, [3]);
    let actions = log["actions"].as_array().unwrap();
    assert_eq!(actions[1]["output_data"], 8);
    assert_eq!(actions[2]["status"], "error", "`?` converted the error");
    assert_eq!(actions[3]["output_data"], 4);
}
