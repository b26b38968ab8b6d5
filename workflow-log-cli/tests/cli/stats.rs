use serde_json::Value;

use crate::common::{agent_run, big_run, crashed_journal, nested, on, usage_doc, write_json};

const KEYS: [&str; 10] = [
    "name",
    "count",
    "errors",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "total_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
];

#[test]
fn a_table_per_agent_aligned() {
    let run = agent_run();
    let out = on("stats", nested(&run), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("AGENT "), "{}", out.stdout);
    let agents: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(agents, ["critic", "executor", "planner", "researcher"]);
    // Aligned: every column ends where its header ends.
    let count_end = lines[0].find("COUNT").unwrap() + "COUNT".len();
    for line in &lines[1..] {
        assert_eq!(line.as_bytes()[count_end - 1], b'3', "{}", out.stdout);
        assert_eq!(
            line.chars().count(),
            lines[1].chars().count(),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn json_and_csv_have_exactly_the_documented_keys() {
    let run = agent_run();
    let out = on(
        "stats",
        nested(&run),
        &["--by", "action", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let rows: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&out.stdout).unwrap();
    for row in &rows {
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        let mut expected = KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
    let tests = rows.iter().find(|r| r["name"] == "run_tests").unwrap();
    assert_eq!(tests["count"], 3);
    assert_eq!(tests["errors"], 1);
    let index = rows.iter().find(|r| r["name"] == "index_docs").unwrap();
    assert_eq!(index["count"], 6);

    let out = on("stats", nested(&run), &["--format", "csv"]);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next().unwrap(), KEYS.join(","));
    assert!(
        lines.next().unwrap().starts_with("critic,3,0,"),
        "{}",
        out.stdout
    );
}

#[test]
fn tokens_and_cost_per_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "priced.json", &usage_doc(false));
    let out = on("stats", &path, &["--by", "model", "--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["name"], "gpt-4o");
    assert_eq!(rows[1]["input_tokens"], 100);
    assert_eq!(rows[1]["output_tokens"], 50);
    assert_eq!(rows[1]["cost_usd"], 0.0005);
    assert_eq!(rows[1]["p50_ms"], 4.0);
    let out = on("stats", &path, &[]);
    let executor = out.stdout.lines().nth(1).unwrap();
    assert!(executor.starts_with("executor "), "{}", out.stdout);
    assert!(
        executor.ends_with("120       60  $0.0006"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_crashed_run_and_a_big_run() {
    let (_dir, journal) = crashed_journal();
    let out = on("stats", &journal, &["--format", "json"]);
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "executor");
    assert_eq!(rows[0]["errors"], 1, "incomplete is a failure");

    let big = big_run();
    let out = on(
        "stats",
        nested(&big),
        &["--by", "action", "--format", "csv"],
    );
    assert!(
        out.stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("step,9900,0,"),
        "{}",
        out.stdout
    );
}
