//! `Exporter::configure`: the OTEL_EXPORTER_OTLP_* variables and the Phoenix and Langfuse
//! presets, with the environment given as a map (the process's is never touched).

use std::collections::HashMap;

use workflow_log_export::otlp::{parse_headers, Exporter, Preset, Protocol, Settings};

fn configure(settings: Settings, env: &[(&str, &str)]) -> Result<Exporter, String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Exporter::configure(settings, |k| env.get(k).cloned()).map_err(|e| e.to_string())
}

fn names(e: &Exporter) -> Vec<&str> {
    e.header_names().collect()
}

#[test]
fn the_generic_endpoint_gets_the_traces_path() {
    let e = configure(
        Settings::default(),
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")],
    )
    .unwrap();
    assert_eq!(e.endpoint(), "http://collector:4318/v1/traces");
}

#[test]
fn the_traces_endpoint_is_used_as_it_is_and_wins() {
    let e = configure(
        Settings::default(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom"),
        ],
    )
    .unwrap();
    assert_eq!(e.endpoint(), "http://b:4318/custom");
}

#[test]
fn an_explicit_endpoint_wins_over_everything() {
    let settings = Settings {
        endpoint: Some("http://c/v1/traces".into()),
        preset: Some(Preset::Phoenix),
        ..Settings::default()
    };
    let e = configure(
        settings,
        &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b")],
    )
    .unwrap();
    assert_eq!(e.endpoint(), "http://c/v1/traces");
}

#[test]
fn phoenix_defaults_to_this_machine() {
    let settings = Settings {
        preset: Some(Preset::Phoenix),
        ..Settings::default()
    };
    let e = configure(settings, &[]).unwrap();
    assert_eq!(e.endpoint(), "http://127.0.0.1:6006/v1/traces");
    assert_eq!(e.wire_protocol(), Protocol::HttpProtobuf);
}

#[test]
fn no_endpoint_at_all_is_a_clear_error() {
    let err = configure(Settings::default(), &[]).unwrap_err();
    assert!(
        err.contains("--endpoint") && err.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{err}"
    );
}

#[test]
fn langfuse_uses_its_path_basic_auth_and_ingestion_version() {
    let settings = Settings {
        preset: Some(Preset::Langfuse),
        ..Settings::default()
    };
    let e = configure(
        settings,
        &[
            ("LANGFUSE_HOST", "http://127.0.0.1:3000/"),
            ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
            ("LANGFUSE_SECRET_KEY", "sk-lf-2"),
        ],
    )
    .unwrap();
    assert_eq!(
        e.endpoint(),
        "http://127.0.0.1:3000/api/public/otel/v1/traces"
    );
    assert_eq!(names(&e), ["authorization", "x-langfuse-ingestion-version"]);
    let debug = format!("{e:?}");
    assert!(
        !debug.contains("sk-lf-2") && !debug.contains("cGstbGYtMTpzay1sZi0y"),
        "{debug}"
    );
}

#[test]
fn langfuse_sends_the_credentials_it_was_given() {
    // Checked on the wire: a one-request loopback server that keeps the request's head.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Read, Write};
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            head.push(line.trim().to_owned());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
        head
    });
    let settings = Settings {
        preset: Some(Preset::Langfuse),
        ..Settings::default()
    };
    let e = configure(
        settings,
        &[
            ("LANGFUSE_HOST", host.as_str()),
            ("LANGFUSE_PUBLIC_KEY", "pk-lf-1"),
            ("LANGFUSE_SECRET_KEY", "sk-lf-2"),
        ],
    )
    .unwrap();
    let ((), doc) = workflow_log_tests::capture_valid(|| {
        let _it = workflow_log::iteration().start();
    });
    e.send(&workflow_log::document::Run::from_value(doc).unwrap())
        .unwrap();
    let head = server.join().unwrap();
    assert_eq!(head[0], "POST /api/public/otel/v1/traces HTTP/1.1");
    let has = |line: &str| head.iter().any(|h| h.eq_ignore_ascii_case(line));
    // base64("pk-lf-1:sk-lf-2")
    assert!(has("authorization: Basic cGstbGYtMTpzay1sZi0y"), "{head:?}");
    assert!(has("x-langfuse-ingestion-version: 4"), "{head:?}");
}

#[test]
fn settings_do_not_show_header_values() {
    let settings = Settings {
        endpoint: Some("http://user:pw-secret@h/v1/traces".into()),
        headers: vec![("authorization".into(), "Bearer settings-secret".into())],
        ..Settings::default()
    };
    let debug = format!("{settings:?}");
    assert!(debug.contains("authorization"), "{debug}");
    assert!(!debug.contains("secret"), "{debug}");
}

#[test]
fn langfuse_without_keys_says_which_are_missing() {
    let settings = Settings {
        preset: Some(Preset::Langfuse),
        ..Settings::default()
    };
    let err = configure(settings, &[("LANGFUSE_PUBLIC_KEY", "pk")]).unwrap_err();
    assert!(err.contains("LANGFUSE_SECRET_KEY"), "{err}");
}

#[test]
fn headers_come_from_the_environment_and_the_caller_overrides_them() {
    let settings = Settings {
        endpoint: Some("http://h/v1/traces".into()),
        headers: vec![("X-Team".into(), "evals".into())],
        ..Settings::default()
    };
    let e = configure(
        settings,
        &[
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-team=core, api-key=a%20b%3Dc",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                "x-mlflow-experiment-id=0",
            ),
        ],
    )
    .unwrap();
    assert_eq!(names(&e), ["api-key", "x-mlflow-experiment-id", "X-Team"]);
}

#[test]
fn header_lists_decode_and_errors_never_show_values() {
    assert_eq!(
        parse_headers("a=1,b = x%2Cy ,,c=").unwrap(),
        [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "x,y".to_owned()),
            ("c".to_owned(), String::new())
        ]
    );
    let err = parse_headers("authorization=Bearer%zzsecret").unwrap_err();
    assert!(
        err.contains("authorization") && !err.contains("secret"),
        "{err}"
    );
    let err = parse_headers("Bearer-secret-without-equals").unwrap_err();
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn the_protocol_comes_from_the_environment_unless_given() {
    let base = || Settings {
        endpoint: Some("http://h/v1/traces".into()),
        ..Settings::default()
    };
    let e = configure(base(), &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]).unwrap();
    assert_eq!(e.wire_protocol(), Protocol::HttpJson);
    let e = configure(
        base(),
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ],
    )
    .unwrap();
    assert_eq!(e.wire_protocol(), Protocol::HttpProtobuf);
    let err = configure(base(), &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap_err();
    assert!(err.contains("gRPC"), "{err}");
}
