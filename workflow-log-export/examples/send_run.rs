//! Sends a finished run (or a crashed run's journal) to an OTLP/HTTP traces endpoint, from a
//! program: `cargo run -p workflow-log-export --example send_run -- RUN.json [ENDPOINT]`.
//! The endpoint defaults to a Phoenix on this machine; `OTEL_EXPORTER_OTLP_HEADERS` is
//! honoured.

use std::path::PathBuf;

use workflow_log::document::Run;
use workflow_log_export::otlp::{Exporter, Settings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: send_run RUN.json [ENDPOINT]")?);
    let endpoint = args
        .next()
        .unwrap_or_else(|| workflow_log_export::otlp::PHOENIX_ENDPOINT.to_owned());
    let run = Run::from_path(&path)?;
    let exporter = Exporter::from_env(Settings {
        endpoint: Some(endpoint),
        ..Settings::default()
    })?;
    let sent = exporter.send(&run)?;
    println!(
        "sent {} spans in {} request(s) to {}: trace {}",
        sent.spans,
        sent.requests,
        exporter.endpoint(),
        sent.trace_id
    );
    Ok(())
}
