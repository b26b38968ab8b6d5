//! A run as OTLP spans: the mapping table of DESIGN.md §9.
//!
//! Every record becomes a span whose parent is the span of the record it was opened in; the run
//! itself is the root span. Attributes speak two conventions at once, so that each backend
//! finds its own: OpenTelemetry's GenAI semantic conventions (`gen_ai.*`, read by Langfuse,
//! Jaeger, MLflow) and OpenInference (`openinference.span.kind`, `input.value`,
//! `llm.token_count.*`, read by Phoenix), plus `langfuse.observation.type`.

use serde_json::Value;
use workflow_log::document::{Action, Event, Interaction, Iteration, Run, Status};
use workflow_log::Usage;

use super::ids;
use super::proto::{
    self, InstrumentationScope, KeyValue, Resource, ScopeSpans, Span, SpanKind, StatusCode,
};

/// What the resource (the process the spans come from) is called.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// `openinference.project.name` (Phoenix's project); the workflow's name when `None`.
    pub project: Option<String>,
    /// `service.name`; the workflow's name when `None`.
    pub service: Option<String>,
}

/// The resource of `run`'s spans: `service.name`, `openinference.project.name`, and what made
/// them.
pub fn resource(run: &Run, names: &Names) -> Resource {
    let project = names.project.as_deref().unwrap_or(&run.workflow);
    let service = names.service.as_deref().unwrap_or(&run.workflow);
    Resource {
        attributes: vec![
            KeyValue::string("service.name", service),
            KeyValue::string("openinference.project.name", project),
            KeyValue::string("telemetry.sdk.name", "workflow-log"),
            KeyValue::string("telemetry.sdk.language", "rust"),
            KeyValue::string("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ],
        dropped_attributes_count: 0,
    }
}

/// The instrumentation scope: this crate.
pub fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "workflow-log".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    }
}

/// Every span of `run`, parents before children: the run's root span first, then its records
/// depth first.
pub fn spans(run: &Run) -> Vec<Span> {
    let trace_id = ids::trace_id(&run.run_id).to_vec();
    let start = nanos(&run.start_time).unwrap_or(0);
    let end = run
        .end_time
        .as_deref()
        .and_then(nanos)
        .unwrap_or(start)
        .max(start);
    let mut m = Mapper {
        run_id: &run.run_id,
        trace_id,
        spans: Vec::new(),
    };

    let root_id = ids::span_id(&run.run_id, None).to_vec();
    let mut attributes = vec![
        KeyValue::string("gen_ai.operation.name", "invoke_workflow"),
        KeyValue::string("gen_ai.workflow.name", run.workflow.as_str()),
        KeyValue::string("openinference.span.kind", "CHAIN"),
        KeyValue::string("langfuse.observation.type", "chain"),
        KeyValue::string("langfuse.trace.name", run.workflow.as_str()),
        KeyValue::string("session.id", run.run_id.as_str()),
        KeyValue::string("gen_ai.conversation.id", run.run_id.as_str()),
        KeyValue::string("langfuse.session.id", run.run_id.as_str()),
        KeyValue::string("workflow_log.run_id", run.run_id.as_str()),
        KeyValue::string("workflow_log.status", run.status.as_str()),
    ];
    usage_total(&mut attributes, run.usage_total.as_ref());
    let index = m.push(Span {
        span_id: root_id.clone(),
        name: format!("invoke_workflow {}", run.workflow),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        attributes,
        status: Some(status(run.status, run.error.as_deref())),
        ..Span::default()
    });
    m.events(index, &run.events, run.status, run.error.as_deref());
    let frame = Frame {
        span_id: &root_id,
        end,
    };
    m.children(frame, &run.iterations, &run.interactions, &run.actions);
    m.spans
}

/// Where a child is: its parent's span id, and the end that an unfinished child takes.
#[derive(Clone, Copy)]
struct Frame<'a> {
    span_id: &'a [u8],
    end: u64,
}

struct Mapper<'r> {
    run_id: &'r str,
    trace_id: Vec<u8>,
    spans: Vec<Span>,
}

impl Mapper<'_> {
    fn push(&mut self, mut span: Span) -> usize {
        span.trace_id.clone_from(&self.trace_id);
        self.spans.push(span);
        self.spans.len() - 1
    }

    fn children(
        &mut self,
        parent: Frame<'_>,
        iterations: &[Iteration],
        interactions: &[Interaction],
        actions: &[Action],
    ) {
        for it in iterations {
            self.iteration(parent, it);
        }
        for inter in interactions {
            self.interaction(parent, inter);
        }
        for action in actions {
            self.action(parent, action);
        }
    }

    /// Opens the span of one record; returns its index, its id and its end.
    fn open(
        &mut self,
        parent: Frame<'_>,
        record: Common<'_>,
        name: String,
        kind: SpanKind,
        mut attributes: Vec<KeyValue>,
    ) -> (usize, Vec<u8>, u64) {
        let span_id = ids::span_id(self.run_id, Some(record.id)).to_vec();
        let start = nanos(record.start_time).unwrap_or(0);
        let end = record
            .end_time
            .and_then(nanos)
            .unwrap_or(parent.end)
            .max(start);
        attributes.push(KeyValue::string("workflow_log.id", record.id));
        attributes.push(KeyValue::string(
            "workflow_log.status",
            record.status.as_str(),
        ));
        if !record.thread.is_empty() {
            attributes.push(KeyValue::string("thread.name", record.thread));
        }
        if record.status.is_failure() {
            attributes.push(KeyValue::string("error.type", record.status.as_str()));
        }
        let index = self.push(Span {
            span_id: span_id.clone(),
            parent_span_id: parent.span_id.to_vec(),
            name,
            kind: kind as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            attributes,
            status: Some(status(record.status, record.error)),
            ..Span::default()
        });
        (index, span_id, end)
    }

    fn iteration(&mut self, parent: Frame<'_>, it: &Iteration) {
        let mut attributes = vec![
            KeyValue::string("openinference.span.kind", "CHAIN"),
            KeyValue::string("langfuse.observation.type", "chain"),
            KeyValue::int(
                "workflow_log.iteration_number",
                i64::try_from(it.iteration_number).unwrap_or(i64::MAX),
            ),
        ];
        usage_total(&mut attributes, it.usage_total.as_ref());
        let common = Common {
            id: &it.id,
            start_time: &it.start_time,
            end_time: it.end_time.as_deref(),
            status: it.status,
            error: it.error.as_deref(),
            thread: &it.thread,
        };
        let name = format!("iteration {}", it.iteration_number);
        let (index, span_id, end) = self.open(parent, common, name, SpanKind::Internal, attributes);
        self.events(index, &it.events, it.status, it.error.as_deref());
        let frame = Frame {
            span_id: &span_id,
            end,
        };
        self.children(frame, &it.iterations, &it.interactions, &it.actions);
    }

    fn interaction(&mut self, parent: Frame<'_>, inter: &Interaction) {
        let agent = inter.agent_name.as_str();
        let mut attributes = vec![
            KeyValue::string("gen_ai.operation.name", "invoke_agent"),
            KeyValue::string("gen_ai.agent.name", agent),
            KeyValue::string("openinference.span.kind", "AGENT"),
            KeyValue::string("agent.name", agent),
            KeyValue::string("langfuse.observation.type", "agent"),
        ];
        payload(&mut attributes, "input", &inter.input);
        payload(&mut attributes, "output", &inter.output);
        usage_total(&mut attributes, inter.usage_total.as_ref());
        let common = Common {
            id: &inter.id,
            start_time: &inter.start_time,
            end_time: inter.end_time.as_deref(),
            status: inter.status,
            error: inter.error.as_deref(),
            thread: &inter.thread,
        };
        let name = format!("invoke_agent {agent}");
        let (index, span_id, end) = self.open(parent, common, name, SpanKind::Internal, attributes);
        self.events(index, &inter.events, inter.status, inter.error.as_deref());
        let frame = Frame {
            span_id: &span_id,
            end,
        };
        self.children(
            frame,
            &inter.iterations,
            &inter.interactions,
            &inter.actions,
        );
    }

    fn action(&mut self, parent: Frame<'_>, action: &Action) {
        let tool = action.action_name.as_str();
        let (name, kind, mut attributes) = match action.model.as_deref() {
            Some(model) => {
                let mut a = vec![
                    KeyValue::string("gen_ai.operation.name", "chat"),
                    KeyValue::string("gen_ai.request.model", model),
                    KeyValue::string("gen_ai.response.model", model),
                    KeyValue::string("llm.model_name", model),
                    KeyValue::string("openinference.span.kind", "LLM"),
                    KeyValue::string("langfuse.observation.type", "generation"),
                    KeyValue::string("workflow_log.action_name", tool),
                ];
                if let Some(usage) = &action.usage {
                    tokens(&mut a, usage);
                }
                (format!("chat {model}"), SpanKind::Client, a)
            }
            None => (
                format!("execute_tool {tool}"),
                SpanKind::Internal,
                vec![
                    KeyValue::string("gen_ai.operation.name", "execute_tool"),
                    KeyValue::string("gen_ai.tool.name", tool),
                    KeyValue::string("tool.name", tool),
                    KeyValue::string("openinference.span.kind", "TOOL"),
                    KeyValue::string("langfuse.observation.type", "tool"),
                    KeyValue::string("workflow_log.action_name", tool),
                ],
            ),
        };
        payload(&mut attributes, "input", &action.input_data);
        payload(&mut attributes, "output", &action.output_data);
        if !action.metadata.is_empty() {
            attributes.push(KeyValue::string("metadata", json_text(&action.metadata)));
        }
        if action.model.is_none() || !action.actions.is_empty() {
            usage_total(&mut attributes, action.usage_total.as_ref());
        }
        let common = Common {
            id: &action.id,
            start_time: &action.start_time,
            end_time: action.end_time.as_deref(),
            status: action.status,
            error: action.error.as_deref(),
            thread: &action.thread,
        };
        let (index, span_id, end) = self.open(parent, common, name, kind, attributes);
        self.events(
            index,
            &action.events,
            action.status,
            action.error.as_deref(),
        );
        let frame = Frame {
            span_id: &span_id,
            end,
        };
        self.children(
            frame,
            &action.iterations,
            &action.interactions,
            &action.actions,
        );
    }

    /// The record's events as span events, and for a failure an `exception` event, which is
    /// where Phoenix and Jaeger show an error's message.
    fn events(&mut self, index: usize, events: &[Event], status: Status, error: Option<&str>) {
        let span = &mut self.spans[index];
        for e in events {
            let mut attributes = Vec::new();
            if let Some(level) = &e.level {
                attributes.push(KeyValue::string("level", level.as_str()));
            }
            if let Some(logger) = &e.logger {
                attributes.push(KeyValue::string("logger", logger.as_str()));
            }
            if let Some(message) = &e.message {
                attributes.push(KeyValue::string("message", message.as_str()));
            }
            if !e.data.is_null() {
                attributes.push(KeyValue::string("data", json_text(&e.data)));
            }
            span.events.push(proto::Event {
                time_unix_nano: nanos(&e.timestamp).unwrap_or(span.start_time_unix_nano),
                name: e.event_type.clone(),
                attributes,
                dropped_attributes_count: 0,
            });
        }
        if status.is_failure() {
            span.events.push(proto::Event {
                time_unix_nano: span.end_time_unix_nano,
                name: "exception".to_owned(),
                attributes: vec![
                    KeyValue::string("exception.type", status.as_str()),
                    KeyValue::string("exception.message", failure_text(status, error)),
                ],
                dropped_attributes_count: 0,
            });
        }
    }
}

/// The fields every record has.
#[derive(Clone, Copy)]
struct Common<'a> {
    id: &'a str,
    start_time: &'a str,
    end_time: Option<&'a str>,
    status: Status,
    error: Option<&'a str>,
    thread: &'a str,
}

fn status(status: Status, error: Option<&str>) -> proto::Status {
    if status.is_failure() {
        proto::Status {
            message: failure_text(status, error),
            code: StatusCode::Error as i32,
        }
    } else {
        proto::Status {
            message: String::new(),
            code: StatusCode::Ok as i32,
        }
    }
}

/// The error's text, or what the status means when none was set.
fn failure_text(status: Status, error: Option<&str>) -> String {
    match (error, status) {
        (Some(e), _) => e.to_owned(),
        (None, Status::Panicked) => "panicked".to_owned(),
        (None, Status::Cancelled) => "cancelled: dropped before it finished".to_owned(),
        (None, Status::Incomplete) => "incomplete: still open when the log was written".to_owned(),
        (None, other) => other.as_str().to_owned(),
    }
}

/// `input.value` + `input.mime_type` (or `output.*`): text as it is, anything else as JSON.
fn payload(attributes: &mut Vec<KeyValue>, which: &str, value: &Value) {
    let (text, mime) = match value {
        Value::Null => return,
        Value::String(s) => (s.clone(), "text/plain"),
        other => (json_text(other), "application/json"),
    };
    attributes.push(KeyValue::string(&format!("{which}.value"), text));
    attributes.push(KeyValue::string(&format!("{which}.mime_type"), mime));
}

/// The token counts and cost of one LLM call, in both conventions.
fn tokens(attributes: &mut Vec<KeyValue>, usage: &Usage) {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let a = attributes;
    a.push(KeyValue::int(
        "gen_ai.usage.input_tokens",
        int(usage.input_tokens),
    ));
    a.push(KeyValue::int(
        "gen_ai.usage.output_tokens",
        int(usage.output_tokens),
    ));
    a.push(KeyValue::int(
        "llm.token_count.prompt",
        int(usage.input_tokens),
    ));
    a.push(KeyValue::int(
        "llm.token_count.completion",
        int(usage.output_tokens),
    ));
    a.push(KeyValue::int(
        "llm.token_count.total",
        int(usage.total_tokens()),
    ));
    if usage.cache_read_tokens > 0 {
        let n = int(usage.cache_read_tokens);
        a.push(KeyValue::int("gen_ai.usage.cache_read.input_tokens", n));
        a.push(KeyValue::int(
            "llm.token_count.prompt_details.cache_read",
            n,
        ));
    }
    if usage.cache_write_tokens > 0 {
        let n = int(usage.cache_write_tokens);
        a.push(KeyValue::int("gen_ai.usage.cache_creation.input_tokens", n));
        a.push(KeyValue::int(
            "llm.token_count.prompt_details.cache_write",
            n,
        ));
    }
    if usage.reasoning_tokens > 0 {
        let n = int(usage.reasoning_tokens);
        a.push(KeyValue::int("gen_ai.usage.reasoning.output_tokens", n));
        a.push(KeyValue::int(
            "llm.token_count.completion_details.reasoning",
            n,
        ));
    }
    if let Some(cost) = usage.cost_usd {
        a.push(KeyValue::double("gen_ai.usage.cost", cost));
        a.push(KeyValue::double("llm.cost.total", cost));
    }
}

/// The usage summed below a record, in this crate's own namespace (backends sum LLM spans
/// themselves; repeating the sums under their names would count them twice).
fn usage_total(attributes: &mut Vec<KeyValue>, usage: Option<&Usage>) {
    let Some(usage) = usage else { return };
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    attributes.push(KeyValue::int(
        "workflow_log.usage_total.input_tokens",
        int(usage.input_tokens),
    ));
    attributes.push(KeyValue::int(
        "workflow_log.usage_total.output_tokens",
        int(usage.output_tokens),
    ));
    if let Some(cost) = usage.cost_usd {
        attributes.push(KeyValue::double("workflow_log.usage_total.cost_usd", cost));
    }
}

fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("[unserializable: {e}]"))
}

/// Nanoseconds since the Unix epoch of an RFC 3339 time.
pub(crate) fn nanos(text: &str) -> Option<u64> {
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    u64::try_from(t.timestamp_nanos_opt()?).ok()
}

/// One scope's worth of spans.
pub(crate) fn scope_spans(spans: Vec<Span>) -> ScopeSpans {
    ScopeSpans {
        scope: Some(scope()),
        spans,
        schema_url: String::new(),
    }
}
