//! An [`Exporter`] from OpenTelemetry's environment variables and from presets for the
//! backends people use most.
//!
//! Precedence, highest first: what the caller gives ([`Settings`]), then
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as it is), then `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (with `/v1/traces` appended), then the preset's own endpoint. Headers from
//! `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (`k=v,k2=v2`, values
//! percent-decoded) come first, the preset's next, the caller's last, a later one replacing an
//! earlier one of the same name.

use std::fmt;
use std::str::FromStr;

use super::exporter::{Exporter, Protocol};
use super::json::base64;

/// Phoenix's traces endpoint when it runs on this machine with its default port.
pub const PHOENIX_ENDPOINT: &str = "http://127.0.0.1:6006/v1/traces";

/// Langfuse Cloud (EU), used when `LANGFUSE_HOST` is not set.
pub const LANGFUSE_DEFAULT_HOST: &str = "https://cloud.langfuse.com";

/// Where Langfuse takes OTLP traces, below its host.
pub const LANGFUSE_PATH: &str = "/api/public/otel/v1/traces";

/// A backend whose endpoint and authentication are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Arize Phoenix: [`PHOENIX_ENDPOINT`] unless said otherwise.
    Phoenix,
    /// Langfuse: `$LANGFUSE_HOST` + [`LANGFUSE_PATH`], Basic auth from `LANGFUSE_PUBLIC_KEY`
    /// and `LANGFUSE_SECRET_KEY`, and `x-langfuse-ingestion-version: 4`.
    Langfuse,
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Preset, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "phoenix" => Ok(Preset::Phoenix),
            "langfuse" => Ok(Preset::Langfuse),
            other => Err(format!(
                "unknown backend `{other}` (expected phoenix or langfuse)"
            )),
        }
    }
}

/// What a caller (the `workflow-log export otlp` command) says explicitly.
///
/// `Debug` shows the headers' names, not their values.
#[derive(Clone, Default)]
pub struct Settings {
    /// The full traces URL.
    pub endpoint: Option<String>,
    /// Headers, added after the environment's and the preset's.
    pub headers: Vec<(String, String)>,
    /// Protobuf or JSON; else `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, else protobuf.
    pub protocol: Option<Protocol>,
    /// The project (`openinference.project.name`).
    pub project: Option<String>,
    /// A backend's preset.
    pub preset: Option<Preset>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, _)| format!("{k}: [REDACTED]"))
            .collect();
        f.debug_struct("Settings")
            .field(
                "endpoint",
                &self.endpoint.as_deref().map(super::error::shown),
            )
            .field("headers", &headers)
            .field("protocol", &self.protocol)
            .field("project", &self.project)
            .field("preset", &self.preset)
            .finish()
    }
}

/// Why no exporter could be made from the settings and the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Exporter {
    /// An exporter from `settings` and the process's environment.
    ///
    /// ```
    /// use workflow_log_export::otlp::{Exporter, Preset, Settings};
    ///
    /// let settings = Settings { preset: Some(Preset::Phoenix), ..Settings::default() };
    /// let exporter = Exporter::configure(settings, |_| None)?; // no environment variables
    /// assert_eq!(exporter.endpoint(), "http://127.0.0.1:6006/v1/traces");
    /// # Ok::<(), workflow_log_export::otlp::ConfigError>(())
    /// ```
    pub fn from_env(settings: Settings) -> Result<Exporter, ConfigError> {
        Exporter::configure(settings, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Exporter::from_env) with the environment read through `env`.
    pub fn configure(
        settings: Settings,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Exporter, ConfigError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut preset_headers = Vec::new();
        let preset_endpoint = match settings.preset {
            None => None,
            Some(Preset::Phoenix) => Some(PHOENIX_ENDPOINT.to_owned()),
            Some(Preset::Langfuse) => {
                let host = var("LANGFUSE_HOST").unwrap_or_else(|| LANGFUSE_DEFAULT_HOST.into());
                let (Some(public), Some(secret)) =
                    (var("LANGFUSE_PUBLIC_KEY"), var("LANGFUSE_SECRET_KEY"))
                else {
                    return Err(ConfigError(
                        "--to langfuse needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY set"
                            .to_owned(),
                    ));
                };
                let credentials = base64(format!("{public}:{secret}").as_bytes());
                preset_headers.push(("authorization".to_owned(), format!("Basic {credentials}")));
                preset_headers.push(("x-langfuse-ingestion-version".to_owned(), "4".to_owned()));
                Some(format!("{}{LANGFUSE_PATH}", host.trim_end_matches('/')))
            }
        };
        // A preset's endpoint is what the user chose by naming the backend: only an explicit
        // --endpoint overrides it, not a generic OTEL_* variable left in the shell.
        let endpoint = settings
            .endpoint
            .or(preset_endpoint)
            .or_else(|| var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
            .or_else(|| {
                var("OTEL_EXPORTER_OTLP_ENDPOINT")
                    .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
            })
            .ok_or_else(|| {
                ConfigError(
                    "no OTLP endpoint: give --endpoint URL or --to phoenix|langfuse, or set \
                     OTEL_EXPORTER_OTLP_ENDPOINT"
                        .to_owned(),
                )
            })?;

        let protocol = match settings.protocol {
            Some(p) => p,
            None => match var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            {
                Some(p) => p.parse().map_err(ConfigError)?,
                None => Protocol::HttpProtobuf,
            },
        };

        let mut exporter = Exporter::new(endpoint).protocol(protocol);
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        ] {
            if let Some(list) = var(name) {
                for (k, v) in
                    parse_headers(&list).map_err(|e| ConfigError(format!("{name}: {e}")))?
                {
                    exporter = exporter.header(k, v);
                }
            }
        }
        for (k, v) in preset_headers.into_iter().chain(settings.headers) {
            exporter = exporter.header(k, v);
        }
        if let Some(project) = settings.project {
            exporter = exporter.project(project);
        }
        Ok(exporter)
    }
}

/// Parses `k=v,k2=v2` (OpenTelemetry's header list): names trimmed, values percent-decoded.
/// An error names the entry by its key only, never its value.
pub fn parse_headers(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, entry) in list.split(',').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = entry.split_once('=') else {
            return Err(format!("entry {} has no `=`", i + 1));
        };
        let key = percent_decode(k.trim()).map_err(|e| format!("entry {}: {e}", i + 1))?;
        if key.is_empty() {
            return Err(format!("entry {} has an empty name", i + 1));
        }
        let value = percent_decode(v.trim()).map_err(|e| format!("the value of `{key}`: {e}"))?;
        out.push((key, value));
    }
    Ok(out)
}

/// Parses one `K=V` (the `--header` option); the error never shows the value.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        Some(_) => Err("a header needs a name before `=`".to_owned()),
        None => Err("a header is NAME=VALUE".to_owned()),
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a `%` not followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once percent-decoded".to_owned())
}
