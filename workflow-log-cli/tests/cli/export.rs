//! `export otlp` to a loopback HTTP server, and `export perfetto`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::thread::{self, JoinHandle};

use serde_json::Value;

use crate::common::{
    agent_run, assert_input_error, crashed_journal, nested, on, usage_doc, write_json, Out,
};

/// One request's head lines (lowercased) and body.
type Request = (Vec<String>, Vec<u8>);

/// A loopback server that answers `count` requests with 200, one connection each, and returns
/// them.
fn server(count: usize) -> (String, JoinHandle<Vec<Request>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let mut got = Vec::new();
        while got.len() < count {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim().to_ascii_lowercase();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                head.push(line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            got.push((head, body));
        }
        got
    });
    (base, handle)
}

/// `workflow-log export otlp FILE ARGS...` with `env` set and no other OTLP variable.
fn export_otlp(file: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_workflow-log"));
    cmd.args(["export", "otlp"]).arg(file).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("OTEL_") || k.starts_with("LANGFUSE_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let output = cmd.output().expect("the binary runs");
    Out {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn spans(body: &[u8]) -> Vec<Value> {
    let request: Value = serde_json::from_slice(body).expect("an OTLP/JSON body");
    request["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap()
        .clone()
}

fn attribute<'a>(span: &'a Value, key: &str) -> &'a Value {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == key)
        .map_or(&Value::Null, |kv| &kv["value"])
}

#[test]
fn otlp_honours_the_otel_variables() {
    let run = agent_run();
    let (base, server) = server(1);
    let out = export_otlp(
        nested(&run),
        &["--project", "evals"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", base.as_str()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-mlflow-experiment-id=0"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("sent "), "{out:?}");
    let requests = server.join().unwrap();
    let (head, body) = &requests[0];
    assert_eq!(head[0], "post /v1/traces http/1.1");
    assert!(
        head.contains(&"x-mlflow-experiment-id: 0".to_owned()),
        "{head:?}"
    );
    assert!(
        head.contains(&"content-type: application/json".to_owned()),
        "{head:?}"
    );
    let spans = spans(body);
    let records = workflow_log_tests::records(&run.doc).len();
    assert_eq!(spans.len(), records + 1);
    assert_eq!(spans[0]["name"], "invoke_workflow coding_agent");
    let request: Value = serde_json::from_slice(body).unwrap();
    let resource = &request["resourceSpans"][0]["resource"];
    assert!(resource["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |kv| kv["key"] == "openinference.project.name" && kv["value"]["stringValue"] == "evals"
        ));
}

#[test]
fn otlp_sends_a_crashed_runs_journal_with_its_open_records_as_errors() {
    let (_dir, journal) = crashed_journal();
    let (base, server) = server(1);
    let endpoint = format!("{base}/v1/traces");
    let out = export_otlp(
        &journal,
        &["--endpoint", &endpoint, "--protocol", "http/json"],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let spans = spans(&server.join().unwrap()[0].1);
    let executor = spans
        .iter()
        .find(|s| s["name"] == "invoke_agent executor")
        .unwrap();
    assert_eq!(executor["status"]["code"], 2, "ERROR");
    assert_eq!(
        attribute(executor, "error.type")["stringValue"],
        "incomplete"
    );
    assert_eq!(executor["events"][0]["name"], "log");
}

#[test]
fn otlp_maps_llm_calls_with_their_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_json(dir.path(), "priced.json", &usage_doc(false));
    let (base, server) = server(1);
    let endpoint = format!("{base}/v1/traces");
    let out = export_otlp(
        &file,
        &["--endpoint", &endpoint, "--protocol", "http/json"],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let spans = spans(&server.join().unwrap()[0].1);
    let chat = spans.iter().find(|s| s["name"] == "chat gpt-4o").unwrap();
    assert_eq!(
        attribute(chat, "gen_ai.usage.input_tokens")["intValue"],
        "100"
    );
    assert_eq!(attribute(chat, "llm.token_count.total")["intValue"], "150");
    assert_eq!(attribute(chat, "llm.cost.total")["doubleValue"], 0.0005);
    assert!(spans.iter().any(|s| s["name"] == "chat claude-haiku"));
    assert!(spans.iter().any(|s| s["name"] == "execute_tool run_tests"));
}

#[test]
fn otlp_to_a_dead_endpoint_exits_2_naming_it_without_the_key() {
    let run = agent_run();
    let endpoint = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1/traces", listener.local_addr().unwrap())
    };
    let out = export_otlp(
        nested(&run),
        &[
            "--endpoint",
            &endpoint,
            "--header",
            "authorization=Bearer cli-test-secret",
            "--timeout",
            "1",
        ],
        &[("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=env-test-secret")],
    );
    assert_input_error(&out, nested(&run), &endpoint);
    assert!(out.stderr.contains("unreachable"), "{out:?}");
    assert!(!out.stderr.contains("secret"), "{out:?}");
}

#[test]
fn otlp_bad_usage_exits_2_without_quoting_a_header() {
    let run = agent_run();
    let out = export_otlp(
        nested(&run),
        &[
            "--to",
            "phoenix",
            "--header",
            "Authorization: Bearer colon-secret",
        ],
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("NAME=VALUE") && !out.stderr.contains("colon-secret"),
        "{out:?}"
    );
    let out = export_otlp(nested(&run), &[], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no OTLP endpoint"), "{out:?}");
    let missing = run.dir.path().join("nope.json");
    let out = export_otlp(&missing, &["--to", "phoenix"], &[]);
    assert_input_error(&out, &missing, "no such file");
}

#[test]
fn perfetto_writes_a_chrome_trace() {
    let run = agent_run();
    let file = run.dir.path().join("trace.json");
    let out = on(
        "export",
        Path::new("perfetto"),
        &[nested(&run).to_str().unwrap(), "-o", file.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let trace: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let slices = events.iter().filter(|e| e["ph"] == "X").count();
    assert_eq!(slices, workflow_log_tests::records(&run.doc).len() + 1);
    assert!(events.iter().any(|e| e["ph"] == "I"));
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["args"]["name"] == "planner"));

    let (_dir, journal) = crashed_journal();
    let out = on(
        "export",
        Path::new("perfetto"),
        &[journal.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let trace: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "executor" && e["args"]["status"] == "incomplete"));
}
