//! The OTLP trace messages this crate sends, declared with `prost`'s derive.
//!
//! Only what a trace export needs: `opentelemetry/proto/collector/trace/v1` (the request and its
//! response), `trace/v1`, `resource/v1` and `common/v1`. Field numbers and types follow the
//! OTLP protocol definitions (`.proto` files) of the OpenTelemetry project, version 1.x; fields
//! this crate never sets (links, trace state, dropped counts) are declared anyway where a
//! response or a round-trip test may carry them.

/// `ExportTraceServiceRequest`: the body of a `POST /v1/traces`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTraceServiceRequest {
    /// Spans grouped by the resource (process) that made them.
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// `ExportTraceServiceResponse`: what a collector answers.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTraceServiceResponse {
    /// Set when the collector kept only some of the spans.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportTracePartialSuccess>,
}

/// `ExportTracePartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTracePartialSuccess {
    /// How many spans the collector dropped.
    #[prost(int64, tag = "1")]
    pub rejected_spans: i64,
    /// Why.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// `ResourceSpans`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceSpans {
    /// The process (here: the workflow) the spans come from.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// Spans grouped by the instrumentation scope that made them.
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
    /// The semantic-conventions schema URL (unused).
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `Resource`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    /// `service.name`, `openinference.project.name`, ...
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Always 0 here.
    #[prost(uint32, tag = "2")]
    pub dropped_attributes_count: u32,
}

/// `ScopeSpans`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeSpans {
    /// The instrumentation library: this crate.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The spans.
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<Span>,
    /// The semantic-conventions schema URL (unused).
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `InstrumentationScope`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InstrumentationScope {
    /// The library's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The library's version.
    #[prost(string, tag = "2")]
    pub version: String,
    /// Unused.
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Unused.
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `Span`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Span {
    /// 16 bytes, the same for every span of a run.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes, unique within the trace.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// W3C trace state (unused).
    #[prost(string, tag = "3")]
    pub trace_state: String,
    /// 8 bytes, or empty for the root span.
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    /// W3C trace flags (unused).
    #[prost(fixed32, tag = "16")]
    pub flags: u32,
    /// The span's name, e.g. `invoke_agent planner`.
    #[prost(string, tag = "5")]
    pub name: String,
    /// A [`SpanKind`] as its number.
    #[prost(enumeration = "SpanKind", tag = "6")]
    pub kind: i32,
    /// Nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    /// Nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    /// The span's attributes.
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Always 0 here.
    #[prost(uint32, tag = "10")]
    pub dropped_attributes_count: u32,
    /// Timed events (the record's events and log lines).
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<Event>,
    /// Always 0 here.
    #[prost(uint32, tag = "12")]
    pub dropped_events_count: u32,
    /// Links to other spans (unused).
    #[prost(message, repeated, tag = "13")]
    pub links: Vec<Link>,
    /// Always 0 here.
    #[prost(uint32, tag = "14")]
    pub dropped_links_count: u32,
    /// OK, ERROR or unset.
    #[prost(message, optional, tag = "15")]
    pub status: Option<Status>,
}

/// `Span.Event`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    /// The event's name (its `event_type`).
    #[prost(string, tag = "2")]
    pub name: String,
    /// `level`, `logger`, `message`, `data`.
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Always 0 here.
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `Span.Link` (declared for completeness of decoding; never sent).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Link {
    /// The linked span's trace.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// The linked span.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// W3C trace state.
    #[prost(string, tag = "3")]
    pub trace_state: String,
    /// The link's attributes.
    #[prost(message, repeated, tag = "4")]
    pub attributes: Vec<KeyValue>,
    /// Dropped attributes.
    #[prost(uint32, tag = "5")]
    pub dropped_attributes_count: u32,
    /// W3C trace flags.
    #[prost(fixed32, tag = "6")]
    pub flags: u32,
}

/// `Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// The error's message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// A [`StatusCode`] as its number.
    #[prost(enumeration = "StatusCode", tag = "3")]
    pub code: i32,
}

/// `Span.SpanKind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SpanKind {
    /// Unspecified.
    Unspecified = 0,
    /// Work inside the process: workflows, iterations, agents, tools.
    Internal = 1,
    /// Serving a request.
    Server = 2,
    /// A call out of the process: an LLM request.
    Client = 3,
    /// Sending a message.
    Producer = 4,
    /// Receiving a message.
    Consumer = 5,
}

/// `Status.StatusCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum StatusCode {
    /// Nothing said.
    Unset = 0,
    /// Finished well.
    Ok = 1,
    /// Failed.
    Error = 2,
}

/// `AnyValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AnyValue {
    /// The value, one of several types.
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<any_value::Value>,
}

/// The types an [`AnyValue`] can hold.
pub mod any_value {
    /// `AnyValue.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// Text.
        #[prost(string, tag = "1")]
        StringValue(String),
        /// A boolean.
        #[prost(bool, tag = "2")]
        BoolValue(bool),
        /// An integer.
        #[prost(int64, tag = "3")]
        IntValue(i64),
        /// A float.
        #[prost(double, tag = "4")]
        DoubleValue(f64),
        /// A list.
        #[prost(message, tag = "5")]
        ArrayValue(super::ArrayValue),
        /// A map.
        #[prost(message, tag = "6")]
        KvlistValue(super::KeyValueList),
        /// Bytes.
        #[prost(bytes = "vec", tag = "7")]
        BytesValue(Vec<u8>),
    }
}

/// `ArrayValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArrayValue {
    /// The elements.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

/// `KeyValueList`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValueList {
    /// The entries.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// `KeyValue`: one attribute.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    /// The attribute's name, e.g. `gen_ai.agent.name`.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Its value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

impl KeyValue {
    /// A text attribute.
    pub fn string(key: &str, value: impl Into<String>) -> KeyValue {
        KeyValue::of(key, any_value::Value::StringValue(value.into()))
    }

    /// An integer attribute.
    pub fn int(key: &str, value: i64) -> KeyValue {
        KeyValue::of(key, any_value::Value::IntValue(value))
    }

    /// A float attribute.
    pub fn double(key: &str, value: f64) -> KeyValue {
        KeyValue::of(key, any_value::Value::DoubleValue(value))
    }

    /// A boolean attribute.
    pub fn bool(key: &str, value: bool) -> KeyValue {
        KeyValue::of(key, any_value::Value::BoolValue(value))
    }

    fn of(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(value) }),
        }
    }
}
