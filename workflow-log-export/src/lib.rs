//! Sends workflow-log runs where teams already look: any OpenTelemetry (OTLP/HTTP) traces
//! endpoint — Arize Phoenix, Langfuse, Jaeger, MLflow, an OpenTelemetry Collector — and
//! Perfetto / Chrome trace files.

pub mod otlp;
pub mod perfetto;
