//! One OTLP/HTTP `POST`, with retries and backoff.
//!
//! What is retried follows the OTLP/HTTP specification: `429 Too Many Requests` and the 5xx
//! answers, and failures of the connection itself (refused, reset, timed out), with a doubling
//! delay, or the server's `Retry-After` when it gives one. Anything else fails at once.

use std::io::{ErrorKind, Write};
use std::thread;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use prost::Message;

use super::error::{Error, Redactor};
use super::proto::ExportTraceServiceResponse;

/// The longest wait a server's `Retry-After` may ask for between two attempts.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How much of an error response's body an error quotes.
const QUOTED_BODY: usize = 300;

/// Where and how one request goes.
pub(crate) struct Post<'a> {
    pub endpoint: &'a str,
    pub headers: &'a [(String, String)],
    pub content_type: &'static str,
    pub gzip: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub json: bool,
}

/// What a request that succeeded was told.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    /// Spans the collector said it dropped (OTLP partial success).
    pub rejected_spans: u64,
    /// Its reason, if it gave one.
    pub message: String,
}

impl Post<'_> {
    pub fn send(&self, body: &[u8]) -> Result<Answer, Error> {
        let redactor = Redactor::new(self.headers);
        let body = if self.gzip {
            let mut gz = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
            gz.write_all(body)
                .and_then(|()| gz.finish())
                .map_err(|e| Error::internal(self.endpoint, format!("gzip failed: {e}")))?
        } else {
            body.to_vec()
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.timeout))
            .user_agent(concat!("workflow-log-export/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();

        let mut delay = self.backoff;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut request = agent
                .post(self.endpoint)
                .header("content-type", self.content_type);
            if self.gzip {
                request = request.header("content-encoding", "gzip");
            }
            for (k, v) in self.headers {
                request = request.header(k.as_str(), v.as_str());
            }
            let retry_after = match request.send(&body[..]) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let text = response
                        .body_mut()
                        .with_config()
                        .limit(1 << 20)
                        .read_to_vec()
                        .unwrap_or_default();
                    if (200..300).contains(&status) {
                        return Ok(self.answer(&text));
                    }
                    let retryable = status == 429 || (500..600).contains(&status);
                    if !retryable || attempt > self.retries {
                        let quoted = quote(&text);
                        return Err(Error::rejected(
                            self.endpoint,
                            status,
                            redactor.scrub(&quoted),
                            attempt,
                        ));
                    }
                    retry_after(response.headers())
                }
                Err(ureq::Error::BadUri(reason)) => {
                    return Err(Error::bad_endpoint(self.endpoint, redactor.scrub(&reason)));
                }
                Err(e) => {
                    if !transient(&e) || attempt > self.retries {
                        return Err(Error::unreachable(
                            self.endpoint,
                            redactor.scrub(&e.to_string()),
                            attempt,
                        ));
                    }
                    None
                }
            };
            thread::sleep(retry_after.unwrap_or(delay));
            delay = delay.saturating_mul(2);
        }
    }

    /// Reads an `ExportTraceServiceResponse` from a success body; a body that is not one (some
    /// backends answer with nothing, or with their own text) counts as full success.
    fn answer(&self, body: &[u8]) -> Answer {
        if self.json {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let partial = &value["partialSuccess"];
            let rejected = match &partial["rejectedSpans"] {
                serde_json::Value::String(s) => s.parse().unwrap_or(0),
                v => v.as_u64().unwrap_or(0),
            };
            Answer {
                rejected_spans: rejected,
                message: partial["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            }
        } else {
            let partial = ExportTraceServiceResponse::decode(body)
                .ok()
                .and_then(|r| r.partial_success)
                .unwrap_or_default();
            Answer {
                rejected_spans: u64::try_from(partial.rejected_spans).unwrap_or(0),
                message: partial.error_message,
            }
        }
    }
}

/// Whether a failure of the connection may pass if tried again.
fn transient(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::TimedOut
                | ErrorKind::Interrupted
        ),
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_) => true,
        _ => false,
    }
}

/// A `Retry-After` given in seconds, capped.
fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The start of a response body, as one line of text.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > QUOTED_BODY {
        let mut cut = QUOTED_BODY;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}
