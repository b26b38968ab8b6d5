//! Sends workflow-log runs where teams already look: any OpenTelemetry (OTLP/HTTP) traces
//! endpoint — Arize Phoenix, Langfuse, Jaeger, MLflow, an OpenTelemetry Collector — and
//! Perfetto / Chrome trace files.
//!
//! - [`otlp::Exporter`]: `Exporter::new(endpoint).header(k, v).send(&run)` sends a run as one
//!   trace, protobuf or JSON, in batches of at most 1,000 spans, with retries; the span names
//!   and attributes follow the GenAI semantic conventions and OpenInference together.
//! - [`perfetto::write`]: the run as Chrome trace JSON, a track per agent.
//!
//! Both take a [`workflow_log::document::Run`]: a finished run's `.json`, or a crashed run's
//! `.jsonl` journal, read with `Run::from_path`.
//!
//! # Examples
//!
//! ```
//! use workflow_log::document::Run;
//! use workflow_log_export::{otlp::Exporter, perfetto};
//!
//! let ((), doc) = workflow_log::capture(|| {
//!     let _it = workflow_log::iteration().start();
//!     let _planner = workflow_log::interaction("planner").start();
//!     workflow_log::action("web_search").input(&"flights").log();
//! });
//! let run = Run::from_value(doc)?;
//!
//! // What would be sent (`send` posts it): the run, its iteration, the agent and the tool.
//! let exporter = Exporter::new("http://127.0.0.1:6006/v1/traces");
//! let spans = &exporter.requests(&run)[0].resource_spans[0].scope_spans[0].spans;
//! let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
//! assert_eq!(
//!     names,
//!     ["invoke_workflow capture", "iteration 1", "invoke_agent planner", "execute_tool web_search"]
//! );
//!
//! let mut trace = Vec::new();
//! perfetto::write(&run, &mut trace)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod otlp;
pub mod perfetto;
