//! What can go wrong sending a run, always naming the endpoint and never a header's value.

use std::fmt;

/// Why a run could not be sent. Its `Display` is one line naming the endpoint and the fault.
///
/// Header values (API keys, `Authorization`) appear neither here nor in `Debug`: the endpoint's
/// user and password, if its URL has them, are shown as `***`, and any text quoted from the
/// server has the header values cut out.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint is not an `http://` or `https://` URL this build can reach.
    BadEndpoint {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No HTTP answer: the connection was refused, reset or timed out, on every attempt.
    Unreachable {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The last failure.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The endpoint answered with a status other than 2xx (after retries where they apply).
    Rejected {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The HTTP status of the last answer.
        status: u16,
        /// The start of the last answer's body.
        body: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The endpoint took the request but dropped some of its spans (OTLP partial success).
    PartiallyRejected {
        /// The endpoint, without credentials.
        endpoint: String,
        /// How many spans it dropped.
        rejected_spans: u64,
        /// Its reason.
        message: String,
    },
    /// Something failed on this side before a request could be made.
    Internal {
        /// The endpoint, without credentials.
        endpoint: String,
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn bad_endpoint(endpoint: &str, reason: impl Into<String>) -> Error {
        Error::BadEndpoint {
            endpoint: shown(endpoint),
            reason: reason.into(),
        }
    }

    pub(crate) fn unreachable(endpoint: &str, reason: String, attempts: u32) -> Error {
        Error::Unreachable {
            endpoint: shown(endpoint),
            reason,
            attempts,
        }
    }

    pub(crate) fn rejected(endpoint: &str, status: u16, body: String, attempts: u32) -> Error {
        Error::Rejected {
            endpoint: shown(endpoint),
            status,
            body,
            attempts,
        }
    }

    pub(crate) fn partially_rejected(
        endpoint: &str,
        rejected_spans: u64,
        message: String,
    ) -> Error {
        Error::PartiallyRejected {
            endpoint: shown(endpoint),
            rejected_spans,
            message,
        }
    }

    pub(crate) fn internal(endpoint: &str, reason: String) -> Error {
        Error::Internal {
            endpoint: shown(endpoint),
            reason,
        }
    }

    /// The endpoint the error is about (credentials in its URL shown as `***`).
    pub fn endpoint(&self) -> &str {
        match self {
            Error::BadEndpoint { endpoint, .. }
            | Error::Unreachable { endpoint, .. }
            | Error::Rejected { endpoint, .. }
            | Error::PartiallyRejected { endpoint, .. }
            | Error::Internal { endpoint, .. } => endpoint,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tries = |n: &u32| {
            if *n == 1 {
                String::from("1 attempt")
            } else {
                format!("{n} attempts")
            }
        };
        match self {
            Error::BadEndpoint { endpoint, reason } => {
                write!(f, "OTLP endpoint `{endpoint}`: {reason}")
            }
            Error::Unreachable {
                endpoint,
                reason,
                attempts,
            } => write!(
                f,
                "OTLP endpoint `{endpoint}` is unreachable ({}): {reason}",
                tries(attempts)
            ),
            Error::Rejected {
                endpoint,
                status,
                body,
                attempts,
            } => {
                write!(
                    f,
                    "OTLP endpoint `{endpoint}` answered HTTP {status} ({})",
                    tries(attempts)
                )?;
                if body.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {body}")
                }
            }
            Error::PartiallyRejected {
                endpoint,
                rejected_spans,
                message,
            } => write!(
                f,
                "OTLP endpoint `{endpoint}` dropped {rejected_spans} span(s): {message}"
            ),
            Error::Internal { endpoint, reason } => {
                write!(f, "sending to OTLP endpoint `{endpoint}`: {reason}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The endpoint as errors show it: `user:password@` in the authority becomes `***@`.
pub(crate) fn shown(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => endpoint.to_owned(),
    }
}

/// Cuts header values out of text quoted from elsewhere (a server's answer, a transport error).
pub(crate) struct Redactor<'a> {
    secrets: Vec<&'a str>,
}

impl<'a> Redactor<'a> {
    /// Values shorter than this are not secrets worth hiding (and hiding them, `0` say, would
    /// garble every message).
    const SHORTEST: usize = 6;

    pub fn new(headers: &'a [(String, String)]) -> Redactor<'a> {
        let mut secrets = Vec::new();
        for (_, value) in headers {
            if value.len() >= Self::SHORTEST {
                secrets.push(value.as_str());
            }
            // `Basic <base64>` and `Bearer <token>`: the credential alone may be echoed too.
            if let Some((_, credential)) = value.split_once(' ') {
                if credential.len() >= Self::SHORTEST {
                    secrets.push(credential);
                }
            }
        }
        // The longest first, so a credential inside a longer value doesn't leave a remainder.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret) {
                out = out.replace(secret, "[REDACTED]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_hidden() {
        assert_eq!(
            shown("https://pk:sk@cloud.example/api?x=1"),
            "https://***@cloud.example/api?x=1"
        );
        assert_eq!(
            shown("http://127.0.0.1:1/v1/traces"),
            "http://127.0.0.1:1/v1/traces"
        );
        assert_eq!(shown("not a url"), "not a url");
        assert_eq!(shown("http://h/p@q"), "http://h/p@q");
    }

    #[test]
    fn header_values_are_scrubbed_from_quoted_text() {
        let headers = vec![
            ("authorization".to_owned(), "Basic cGs6c2s=".to_owned()),
            ("x-mlflow-experiment-id".to_owned(), "0".to_owned()),
        ];
        let r = Redactor::new(&headers);
        assert_eq!(
            r.scrub("bad credentials cGs6c2s= in Basic cGs6c2s=, experiment 0"),
            "bad credentials [REDACTED] in [REDACTED], experiment 0"
        );
    }
}
