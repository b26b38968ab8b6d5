//! OpenTelemetry export over OTLP/HTTP.
//!
//! A run is one trace: the run is the root span, and each iteration, interaction and action a
//! span under the record it was opened in (the mapping table of DESIGN.md §9). Ids derive from
//! the run's id and the records' ids, so sending a run twice makes the same trace.

mod config;
mod error;
mod exporter;
mod http;
pub mod ids;
pub mod json;
mod map;
pub mod proto;

pub use config::{
    parse_header, parse_headers, ConfigError, Preset, Settings, LANGFUSE_DEFAULT_HOST,
    LANGFUSE_PATH, PHOENIX_ENDPOINT,
};
pub use error::Error;
pub use exporter::{Exporter, Protocol, Sent, MAX_BATCH};
pub use map::{resource, spans, Names};
