//! `export otlp FILE` and `export perfetto FILE -o trace.json`: a run sent to an OpenTelemetry
//! backend, or written as a Perfetto / Chrome trace.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use workflow_log_export::otlp::{self, Exporter, Preset, Protocol, Settings};

use crate::{input, CmdResult, Failure, Outcome};

/// Send a run to an OpenTelemetry backend (Phoenix, Langfuse, Jaeger, MLflow, a collector), or
/// write it as a Perfetto trace.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(Debug, clap::Subcommand)]
enum Target {
    Otlp(OtlpArgs),
    Perfetto(PerfettoArgs),
}

/// Send a run as one trace to an OTLP/HTTP traces endpoint. Sending it again makes the same
/// trace. Honours OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` appended),
/// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS and
/// OTEL_EXPORTER_OTLP_PROTOCOL.
#[derive(clap::Args)]
struct OtlpArgs {
    /// A run's `.json`, its `.jsonl` journal (a crashed run), or a logs directory (its newest
    /// run)
    file: PathBuf,
    /// The traces endpoint's full URL, e.g. http://127.0.0.1:6006/v1/traces
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// A header for every request, e.g. `x-mlflow-experiment-id=0` (repeatable)
    // Parsed in `otlp()`, not by clap: clap's error would quote the value, an API key maybe.
    #[arg(long = "header", value_name = "K=V")]
    headers: Vec<String>,
    /// The wire format
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_protocol)]
    protocol: Option<Protocol>,
    /// The project the trace lands in (Phoenix's project; the workflow's name by default)
    #[arg(long, value_name = "NAME")]
    project: Option<String>,
    /// A backend's preset: `phoenix` (http://127.0.0.1:6006/v1/traces) or `langfuse`
    /// ($LANGFUSE_HOST/api/public/otel/v1/traces, Basic auth from LANGFUSE_PUBLIC_KEY and
    /// LANGFUSE_SECRET_KEY)
    #[arg(long = "to", value_name = "BACKEND", value_parser = parse_preset)]
    preset: Option<Preset>,
    /// Gzip the request bodies
    #[arg(long)]
    gzip: bool,
    /// Seconds one request may take
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    timeout: u64,
}

/// Header values may be API keys: `Debug` shows their names only.
impl std::fmt::Debug for OtlpArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self
            .headers
            .iter()
            .map(|h| h.split_once('=').map_or("[malformed]", |(k, _)| k))
            .collect();
        f.debug_struct("OtlpArgs")
            .field("file", &self.file)
            .field("endpoint", &self.endpoint)
            .field("header_names", &headers)
            .field("protocol", &self.protocol)
            .field("project", &self.project)
            .field("preset", &self.preset)
            .field("gzip", &self.gzip)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Write a run as Chrome trace JSON for ui.perfetto.dev or chrome://tracing: a lane per agent,
/// a slice per record, an instant per event.
#[derive(Debug, clap::Args)]
struct PerfettoArgs {
    /// A run's `.json`, its `.jsonl` journal (a crashed run), or a logs directory (its newest
    /// run)
    file: PathBuf,
    /// Write the trace to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    s.parse()
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    s.parse()
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    match args.target {
        Target::Otlp(args) => otlp(args, out),
        Target::Perfetto(args) => perfetto(args, out),
    }
}

fn otlp(args: OtlpArgs, out: &mut dyn Write) -> CmdResult {
    let headers = args
        .headers
        .iter()
        .map(|h| otlp::parse_header(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Input(format!("export otlp: --header: {e}")))?;
    let settings = Settings {
        endpoint: args.endpoint,
        headers,
        protocol: args.protocol,
        project: args.project,
        preset: args.preset,
    };
    let exporter = Exporter::from_env(settings)
        .map_err(|e| Failure::Input(format!("export otlp: {e}")))?
        .gzip(args.gzip)
        .timeout(Duration::from_secs(args.timeout.max(1)));
    let (file, run) = input::load(&args.file)?;
    let sent = exporter
        .send(&run)
        .map_err(|e| Failure::Input(format!("`{}`: {e}", file.display())))?;
    writeln!(
        out,
        "sent {} spans of {} in {} request(s) to {}: trace {}",
        sent.spans,
        file.display(),
        sent.requests,
        exporter.endpoint(),
        sent.trace_id
    )?;
    Ok(Outcome::Clean)
}

fn perfetto(args: PerfettoArgs, out: &mut dyn Write) -> CmdResult {
    let (file, run) = input::load(&args.file)?;
    match args.output {
        Some(path) => {
            let mut bytes = Vec::new();
            workflow_log_export::perfetto::write(&run, &mut bytes)?;
            std::fs::write(&path, bytes).map_err(|e| {
                Failure::Input(format!(
                    "`{}`: can't write it: {}",
                    path.display(),
                    input::io_reason(&e)
                ))
            })?;
            let _ = writeln!(
                std::io::stderr(),
                "wrote {} (from {}); open it in ui.perfetto.dev",
                path.display(),
                file.display()
            );
        }
        None => workflow_log_export::perfetto::write(&run, out)?,
    }
    Ok(Outcome::Clean)
}
