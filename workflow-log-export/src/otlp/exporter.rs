//! [`Exporter`]: where to send a run, and how.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use prost::Message;
use workflow_log::document::Run;

use super::error::Error;
use super::http::Post;
use super::map::{self, Names};
use super::proto::{ExportTraceServiceRequest, ResourceSpans};

/// The most spans one request carries: collectors commonly refuse bigger bodies.
pub const MAX_BATCH: usize = 1000;

/// The wire format of a request body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`: binary protobuf, `Content-Type: application/x-protobuf` (the default,
    /// and the one every OTLP/HTTP receiver must accept).
    #[default]
    HttpProtobuf,
    /// `http/json`: OTLP/JSON, `Content-Type: application/json`.
    HttpJson,
}

impl Protocol {
    /// The name OpenTelemetry gives it (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }

    /// The request's `Content-Type`.
    pub const fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Protocol, String> {
        match s.trim() {
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Ok(Protocol::HttpJson),
            "grpc" => Err("OTLP over gRPC is not supported; use http/protobuf".to_owned()),
            other => Err(format!(
                "unknown OTLP protocol `{other}` (expected http/protobuf or http/json)"
            )),
        }
    }
}

/// What [`Exporter::send`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// How many spans went out (one per record, plus the run's root span).
    pub spans: usize,
    /// How many requests carried them.
    pub requests: usize,
    /// The run's trace id, lowercase hex, as backends show it.
    pub trace_id: String,
}

/// Sends runs to one OTLP/HTTP traces endpoint.
///
/// `Debug` shows the headers' names but never their values.
///
/// # Examples
///
/// ```no_run
/// use workflow_log::document::Run;
/// use workflow_log_export::otlp::Exporter;
///
/// let run = Run::from_path("logs/my_workflow_20261124_132207_0123456789ab.json".as_ref())?;
/// let sent = Exporter::new("http://127.0.0.1:6006/v1/traces")
///     .header("authorization", "Bearer my-key")
///     .send(&run)?;
/// println!("{} spans, trace {}", sent.spans, sent.trace_id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Exporter {
    endpoint: String,
    headers: Vec<(String, String)>,
    protocol: Protocol,
    timeout: Duration,
    gzip: bool,
    names: Names,
    batch: usize,
    retries: u32,
    backoff: Duration,
}

impl fmt::Debug for Exporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| format!("{k}: [REDACTED]"))
            .collect();
        f.debug_struct("Exporter")
            .field("endpoint", &super::error::shown(&self.endpoint))
            .field("headers", &headers)
            .field("protocol", &self.protocol)
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .field("project", &self.names.project)
            .field("service_name", &self.names.service)
            .field("batch", &self.batch)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl Exporter {
    /// An exporter to the full URL of a traces endpoint (`http://127.0.0.1:6006/v1/traces`):
    /// protobuf, no gzip, a 10 s timeout per request, 1,000 spans a request, 5 retries starting
    /// at 200 ms.
    pub fn new(endpoint: impl Into<String>) -> Exporter {
        Exporter {
            endpoint: endpoint.into(),
            headers: Vec::new(),
            protocol: Protocol::default(),
            timeout: Duration::from_secs(10),
            gzip: false,
            names: Names::default(),
            batch: MAX_BATCH,
            retries: 5,
            backoff: Duration::from_millis(200),
        }
    }

    /// Adds a header to every request (`authorization`, `x-mlflow-experiment-id`, ...); a
    /// header of the same name (in any case) is replaced.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Exporter {
        let name = name.into();
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Protobuf (the default) or JSON.
    pub fn protocol(mut self, protocol: Protocol) -> Exporter {
        self.protocol = protocol;
        self
    }

    /// How long one request may take, connecting included.
    pub fn timeout(mut self, timeout: Duration) -> Exporter {
        self.timeout = timeout;
        self
    }

    /// Whether to gzip request bodies (`Content-Encoding: gzip`).
    pub fn gzip(mut self, gzip: bool) -> Exporter {
        self.gzip = gzip;
        self
    }

    /// The project the spans land in (`openinference.project.name`: Phoenix's project); the
    /// workflow's name by default.
    pub fn project(mut self, project: impl Into<String>) -> Exporter {
        self.names.project = Some(project.into());
        self
    }

    /// The resource's `service.name`; the workflow's name by default.
    pub fn service_name(mut self, name: impl Into<String>) -> Exporter {
        self.names.service = Some(name.into());
        self
    }

    /// At most this many spans a request, between 1 and [`MAX_BATCH`].
    pub fn batch_size(mut self, spans: usize) -> Exporter {
        self.batch = spans.clamp(1, MAX_BATCH);
        self
    }

    /// How many times a request is retried after a `429`, a `5xx` or a failed connection, and
    /// the first wait (doubled each time, unless the server's `Retry-After` says otherwise).
    pub fn retries(mut self, retries: u32, first_backoff: Duration) -> Exporter {
        self.retries = retries;
        self.backoff = first_backoff;
        self
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The protocol requests use.
    pub fn wire_protocol(&self) -> Protocol {
        self.protocol
    }

    /// The names of the headers every request carries (their values stay private).
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|(k, _)| k.as_str())
    }

    /// The requests that [`send`](Exporter::send) would make for `run`, in order: each at most
    /// [`batch_size`](Exporter::batch_size) spans, parents before children.
    pub fn requests(&self, run: &Run) -> Vec<ExportTraceServiceRequest> {
        let resource = map::resource(run, &self.names);
        let mut spans = map::spans(run);
        let mut out = Vec::with_capacity(spans.len().div_ceil(self.batch));
        while !spans.is_empty() {
            let rest = spans.split_off(spans.len().min(self.batch));
            out.push(ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: Some(resource.clone()),
                    scope_spans: vec![map::scope_spans(spans)],
                    schema_url: String::new(),
                }],
            });
            spans = rest;
        }
        out
    }

    /// Encodes one request in this exporter's protocol.
    pub fn encode(&self, request: &ExportTraceServiceRequest) -> Vec<u8> {
        match self.protocol {
            Protocol::HttpProtobuf => request.encode_to_vec(),
            Protocol::HttpJson => super::json::to_vec(request),
        }
    }

    /// Sends `run` as one trace. Sending the same run again sends the same trace and span ids.
    ///
    /// Stops at the first request that fails for good; the error names the endpoint and the
    /// fault, never a header's value.
    pub fn send(&self, run: &Run) -> Result<Sent, Error> {
        self.check()?;
        let requests = self.requests(run);
        let post = Post {
            endpoint: &self.endpoint,
            headers: &self.headers,
            content_type: self.protocol.content_type(),
            gzip: self.gzip,
            timeout: self.timeout,
            retries: self.retries,
            backoff: self.backoff,
            json: self.protocol == Protocol::HttpJson,
        };
        let mut spans = 0;
        for request in &requests {
            let answer = post.send(&self.encode(request))?;
            if answer.rejected_spans > 0 {
                return Err(Error::partially_rejected(
                    &self.endpoint,
                    answer.rejected_spans,
                    answer.message,
                ));
            }
            spans += request
                .resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .map(|ss| ss.spans.len())
                .sum::<usize>();
        }
        Ok(Sent {
            spans,
            requests: requests.len(),
            trace_id: super::json::hex(&super::ids::trace_id(&run.run_id)),
        })
    }

    /// The endpoint and headers are usable: caught here with a clear message rather than as
    /// an HTTP library's error.
    fn check(&self) -> Result<(), Error> {
        let e = &self.endpoint;
        let Some((scheme, rest)) = e.split_once("://") else {
            return Err(Error::bad_endpoint(
                e,
                "not a URL (expected http://host:port/v1/traces)",
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return Err(Error::bad_endpoint(
                    e,
                    "https needs workflow-log-export's `tls` feature",
                ))
            }
            other => {
                return Err(Error::bad_endpoint(
                    e,
                    format!("scheme `{other}` is not http or https"),
                ))
            }
        }
        if rest.is_empty() || rest.starts_with('/') {
            return Err(Error::bad_endpoint(e, "the URL has no host"));
        }
        for (name, value) in &self.headers {
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !name_ok {
                return Err(Error::bad_endpoint(
                    e,
                    format!("header name `{}` is not valid in HTTP", name.escape_debug()),
                ));
            }
            if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(Error::bad_endpoint(
                    e,
                    format!("the value of header `{name}` holds a control character"),
                ));
            }
        }
        Ok(())
    }
}
