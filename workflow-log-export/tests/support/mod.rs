//! Helpers shared by the export tests: runs made with the real library, and a loopback HTTP
//! server that records what it was sent and answers from a script.

#![allow(dead_code)] // each test file uses its own part of this module

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{json, Value};
use workflow_log::document::Run;

/// A small agent run made with the real library: two iterations, a planner with a tool that
/// fails, an executor with a sub-agent, log lines and a workflow event. Validated against the
/// schema.
pub fn agent_run() -> (Run, Value) {
    let builder = workflow_log::Workflow::builder("agent_loop");
    let ((), doc) = workflow_log_tests::capture_valid_with(builder, || {
        workflow_log::event("started", json!({"task": "add --json"}));
        for n in 0..2 {
            let _it = workflow_log::iteration().start();
            {
                let mut planner = workflow_log::interaction("planner")
                    .input(&json!({"task": "add --json", "round": n}))
                    .start();
                workflow_log::logger("planner").info("Planning", json!({"round": n}));
                workflow_log::action("llm_call")
                    .input(&json!({"prompt": "plan"}))
                    .output(&"research, edit, test")
                    .metadata("temperature", &0.2)
                    .log();
                let mut search = workflow_log::action("web_search")
                    .input(&json!({"query": "clap bool flag"}))
                    .start();
                if n == 0 {
                    search.error("timed out after 30 s");
                } else {
                    search.output(&["clap docs"]);
                }
                drop(search);
                planner.output(&"plan ready");
            }
            {
                let mut executor = workflow_log::interaction("executor").start();
                {
                    let _researcher = workflow_log::interaction("researcher")
                        .input(&"how?")
                        .start();
                    workflow_log::action("read_docs")
                        .output(&"use #[arg]")
                        .log();
                }
                executor.output(&json!({"patched": true}));
            }
        }
    });
    (run_of(&doc), doc)
}

/// The typed run of a nested document.
pub fn run_of(doc: &Value) -> Run {
    Run::from_value(doc.clone()).expect("the document reads as a Run")
}

/// `doc` with `model` and `usage` set on its `llm_call` actions, as a runtime that records LLM
/// usage writes them (DESIGN.md §7). The runtime of this version doesn't write them yet, and the
/// shipped schema doesn't admit them, so this document is not validated.
pub fn with_usage(doc: &Value) -> Value {
    let mut doc = doc.clone();
    fn walk(v: &mut Value) {
        if let Some(obj) = v.as_object_mut() {
            if obj.get("action_name") == Some(&json!("llm_call")) {
                obj.insert("model".into(), json!("gpt-4o"));
                obj.insert(
                    "usage".into(),
                    json!({"input_tokens": 120, "output_tokens": 30, "total_tokens": 150,
                           "cache_read_tokens": 100, "cost_usd": 0.0006}),
                );
            }
            for (_, child) in obj.iter_mut() {
                walk(child);
            }
        } else if let Some(items) = v.as_array_mut() {
            items.iter_mut().for_each(walk);
        }
    }
    walk(&mut doc);
    doc
}

/// A run with `actions` instant actions in one iteration: many spans.
pub fn wide_run(actions: usize) -> Run {
    let ((), doc) = workflow_log_tests::capture_valid(|| {
        let _it = workflow_log::iteration().start();
        let _agent = workflow_log::interaction("worker").start();
        for i in 0..actions {
            workflow_log::action("step").input(&i).log();
        }
    });
    run_of(&doc)
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    /// As sent (gzip still on, if it was).
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body with any gzip taken off.
    pub fn plain_body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("a gzip body");
            out
        } else {
            self.body.clone()
        }
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status and body.
    Status(u16, Vec<u8>),
    /// Close the connection without answering.
    Hang,
}

/// A loopback HTTP/1.1 server on 127.0.0.1, on a port of its own. It answers requests from its
/// script in order, then `200` with an empty body; it stops when dropped.
pub struct Server {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            let mut script: VecDeque<Reply> = script.into();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    serve(stream, &received, &mut script);
                }
            })
        };
        Server {
            url: format!("http://{addr}/v1/traces"),
            received,
            stop,
            addr,
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves the requests of one connection (a client may keep it open for several).
fn serve(stream: TcpStream, received: &Mutex<Vec<Received>>, script: &mut VecDeque<Reply>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        received.lock().unwrap().push(Received {
            method,
            path,
            headers,
            body,
        });
        match script.pop_front().unwrap_or(Reply::Status(200, Vec::new())) {
            Reply::Hang => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Status(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/x-protobuf\r\n\
                     content-length: {}\r\n\r\n",
                    body.len()
                );
                if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
                    return;
                }
            }
        }
    }
}
