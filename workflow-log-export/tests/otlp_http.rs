//! `Exporter::send` against a loopback HTTP server: content types, headers, gzip, batching,
//! retries, and the errors.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use prost::Message;
use serde_json::Value;
use support::{agent_run, wide_run, Received, Reply, Server};
use workflow_log_export::otlp::proto::ExportTraceServiceRequest;
use workflow_log_export::otlp::{Error, Exporter, Protocol, MAX_BATCH};

const SECRET: &str = "sk-lf-0123456789-very-secret";

/// Retries that don't make the tests slow.
fn quick(exporter: Exporter) -> Exporter {
    exporter.retries(3, Duration::from_millis(5))
}

fn decode(r: &Received) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(&r.plain_body()[..]).expect("a protobuf request")
}

fn span_count(req: &ExportTraceServiceRequest) -> usize {
    req.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

#[test]
fn protobuf_is_posted_with_its_content_type_and_the_headers() {
    let (run, _) = agent_run();
    let server = Server::start(vec![]);
    let sent = quick(Exporter::new(&server.url))
        .header("authorization", format!("Bearer {SECRET}"))
        .header("x-mlflow-experiment-id", "0")
        .send(&run)
        .unwrap();

    let got = server.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/traces"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(r.header("x-mlflow-experiment-id"), Some("0"));
    let req = decode(r);
    assert_eq!(span_count(&req), sent.spans);
    assert_eq!(sent.requests, 1);
    assert_eq!(
        workflow_log_export::otlp::json::hex(
            &req.resource_spans[0].scope_spans[0].spans[0].trace_id
        ),
        sent.trace_id
    );
}

#[test]
fn json_follows_the_otlp_json_encoding() {
    let (run, _) = agent_run();
    let server = Server::start(vec![]);
    let sent = quick(Exporter::new(&server.url))
        .protocol(Protocol::HttpJson)
        .send(&run)
        .unwrap();
    let got = server.received();
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&got[0].body).expect("a JSON body");
    let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    assert_eq!(spans.len(), sent.spans);
    let root = &spans[0];
    assert_eq!(root["traceId"], Value::String(sent.trace_id.clone()));
    assert_eq!(root["spanId"].as_str().unwrap().len(), 16, "8 bytes in hex");
    assert!(root.get("parentSpanId").is_none(), "the root has no parent");
    assert!(root["startTimeUnixNano"].is_string(), "fixed64 as a string");
    assert!(root["kind"].is_i64(), "enums as their numbers");
    assert!(spans[1]["parentSpanId"].is_string());
    let iteration = spans
        .iter()
        .find(|s| s["name"] == "iteration 1")
        .expect("an iteration span");
    let number = iteration["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv["key"] == "workflow_log.iteration_number")
        .unwrap();
    assert_eq!(number["value"]["intValue"], "1", "int64 as a string");
    let resource = &body["resourceSpans"][0]["resource"]["attributes"];
    assert!(resource.as_array().unwrap().iter().any(
        |kv| kv["key"] == "service.name" && kv["value"]["stringValue"] == run.workflow.as_str()
    ));
}

#[test]
fn gzip_bodies_say_so_and_decompress_to_the_request() {
    let (run, _) = agent_run();
    let server = Server::start(vec![]);
    let exporter = quick(Exporter::new(&server.url)).gzip(true);
    exporter.send(&run).unwrap();
    let got = server.received();
    assert_eq!(got[0].header("content-encoding"), Some("gzip"));
    assert_eq!(&got[0].body[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(decode(&got[0]), exporter.requests(&run)[0]);
}

#[test]
fn more_than_a_thousand_spans_go_in_several_requests_of_one_trace() {
    let run = wide_run(2_300);
    let server = Server::start(vec![]);
    let sent = quick(Exporter::new(&server.url)).send(&run).unwrap();
    // The root, the iteration, the interaction and 2,300 actions.
    assert_eq!(sent.spans, 2_303);
    assert_eq!(sent.requests, 3);
    let got = server.received();
    assert_eq!(got.len(), 3);
    let mut ids = HashSet::new();
    let mut parents = Vec::new();
    let mut traces = HashSet::new();
    for r in &got {
        let req = decode(r);
        assert!(span_count(&req) <= MAX_BATCH);
        assert!(
            req.resource_spans[0].resource.is_some(),
            "each request has the resource"
        );
        for s in &req.resource_spans[0].scope_spans[0].spans {
            assert!(ids.insert(s.span_id.clone()), "span ids are unique");
            traces.insert(s.trace_id.clone());
            parents.push(s.parent_span_id.clone());
        }
    }
    assert_eq!(ids.len(), 2_303);
    assert_eq!(traces.len(), 1, "one run, one trace");
    for p in parents.iter().filter(|p| !p.is_empty()) {
        assert!(ids.contains(p), "every parent is a span of the run");
    }
}

#[test]
fn a_smaller_batch_size_makes_more_requests() {
    let run = wide_run(10);
    let server = Server::start(vec![]);
    let sent = quick(Exporter::new(&server.url))
        .batch_size(4)
        .send(&run)
        .unwrap();
    assert_eq!((sent.spans, sent.requests), (13, 4));
    assert_eq!(server.received().len(), 4);
}

#[test]
fn too_many_requests_and_unavailable_are_retried() {
    let (run, _) = agent_run();
    let server = Server::start(vec![
        Reply::Status(429, b"slow down".to_vec()),
        Reply::Status(503, Vec::new()),
    ]);
    let sent = quick(Exporter::new(&server.url)).send(&run).unwrap();
    let got = server.received();
    assert_eq!(got.len(), 3, "two refusals, then the one that is taken");
    assert_eq!(got[0].body, got[2].body, "the same request each time");
    assert_eq!(sent.requests, 1);
}

#[test]
fn a_reset_connection_is_retried() {
    let (run, _) = agent_run();
    let server = Server::start(vec![Reply::Hang]);
    quick(Exporter::new(&server.url)).send(&run).unwrap();
    assert_eq!(server.received().len(), 2);
}

#[test]
fn retries_end_with_an_error_naming_the_endpoint_and_status() {
    let (run, _) = agent_run();
    let server = Server::start(vec![Reply::Status(503, b"overloaded".to_vec()); 10]);
    let err = quick(Exporter::new(&server.url))
        .header("authorization", SECRET)
        .send(&run)
        .unwrap_err();
    assert_eq!(
        server.received().len(),
        4,
        "the first attempt and 3 retries"
    );
    assert!(
        matches!(
            err,
            Error::Rejected {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(&server.url), "{text}");
    assert!(
        text.contains("503") && text.contains("overloaded"),
        "{text}"
    );
}

#[test]
fn a_client_error_is_not_retried() {
    let (run, _) = agent_run();
    let server = Server::start(vec![Reply::Status(401, Vec::new())]);
    let err = quick(Exporter::new(&server.url)).send(&run).unwrap_err();
    assert_eq!(server.received().len(), 1);
    assert!(err.to_string().contains("HTTP 401"), "{err}");
}

#[test]
fn an_answer_that_echoes_the_key_is_quoted_without_it() {
    let (run, _) = agent_run();
    let echo = format!("invalid key Bearer {SECRET}").into_bytes();
    let server = Server::start(vec![Reply::Status(403, echo)]);
    let err = quick(Exporter::new(&server.url))
        .header("Authorization", format!("Bearer {SECRET}"))
        .send(&run)
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("invalid key [REDACTED]"), "{text}");
    assert!(!text.contains(SECRET) && !format!("{err:?}").contains(SECRET));
}

#[test]
fn a_dead_endpoint_is_named_and_no_header_value_is_shown() {
    let (run, _) = agent_run();
    // A port that was just free: nothing listens there.
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1/traces", listener.local_addr().unwrap())
    };
    let exporter = Exporter::new(&url)
        .retries(2, Duration::from_millis(5))
        .header("authorization", format!("Basic {SECRET}"))
        .header("x-api-key", SECRET);
    let err = exporter.send(&run).unwrap_err();
    assert!(
        matches!(err, Error::Unreachable { attempts: 3, .. }),
        "{err:?}"
    );
    let shown = [err.to_string(), format!("{err:?}"), format!("{exporter:?}")];
    for text in &shown {
        assert!(!text.contains(SECRET), "a header value leaked: {text}");
    }
    assert!(shown[0].contains(&url), "{}", shown[0]);
    assert!(
        shown[2].contains("authorization"),
        "names are shown: {}",
        shown[2]
    );
}

#[test]
fn bad_endpoints_and_headers_fail_before_any_request() {
    let (run, _) = agent_run();
    let cases = [
        (Exporter::new("127.0.0.1:6006/v1/traces"), "not a URL"),
        (Exporter::new("ftp://127.0.0.1/v1/traces"), "scheme `ftp`"),
        (Exporter::new("http:///v1/traces"), "no host"),
        (
            Exporter::new("http://127.0.0.1:1/v1/traces").header("x-key", "a\r\nb: c"),
            "control character",
        ),
        (
            Exporter::new("http://127.0.0.1:1/v1/traces").header("bad name", "v"),
            "header name",
        ),
    ];
    for (exporter, expected) in cases {
        let err = exporter.send(&run).unwrap_err();
        assert!(matches!(err, Error::BadEndpoint { .. }), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
        assert!(!err.to_string().contains("a\r\nb"), "{err}");
    }
    #[cfg(not(feature = "tls"))]
    {
        let err = Exporter::new("https://cloud.example/api/public/otel/v1/traces")
            .send(&run)
            .unwrap_err();
        assert!(err.to_string().contains("`tls` feature"), "{err}");
    }
}

#[test]
fn credentials_in_the_endpoint_are_not_shown() {
    let (run, _) = agent_run();
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://pk:{SECRET}@{}/v1/traces",
            listener.local_addr().unwrap()
        )
    };
    let exporter = Exporter::new(&url).retries(0, Duration::ZERO);
    let err = exporter.send(&run).unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{exporter:?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("http://***@127.0.0.1:"), "{text}");
    }
}

#[test]
fn sending_a_run_twice_sends_the_same_bytes() {
    let (run, _) = agent_run();
    let server = Server::start(vec![]);
    let exporter = quick(Exporter::new(&server.url));
    exporter.send(&run).unwrap();
    exporter.send(&run).unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body);
}

#[test]
fn a_partial_success_is_an_error() {
    use workflow_log_export::otlp::proto::{ExportTracePartialSuccess, ExportTraceServiceResponse};
    let (run, _) = agent_run();
    let answer = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 2,
            error_message: "spans too old".to_owned(),
        }),
    }
    .encode_to_vec();
    let server = Server::start(vec![Reply::Status(200, answer)]);
    let err = quick(Exporter::new(&server.url)).send(&run).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "OTLP endpoint `{}` dropped 2 span(s): spans too old",
            server.url
        )
    );
}
