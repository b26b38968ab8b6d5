//! `tracing` events and spans in the run's record (feature `tracing`).
//!
//! [`layer()`] is a [`tracing_subscriber::Layer`]: add it to your subscriber beside your other
//! layers (`fmt`, `EnvFilter`, OpenTelemetry), and what the crates you call log through
//! `tracing` lands in the workflow, where it happened:
//!
//! - an **event** becomes an event of the innermost open record of the thread's workflow:
//!   `event_type: "log"`, its `level`, `logger` = its target, its `message`, and its other
//!   fields as `data`, typed (numbers stay numbers, booleans booleans; a value recorded with `?`
//!   becomes its `Debug` text);
//! - a **span** becomes an **action**: `action_name` = the span's name, `input_data` = its
//!   fields (with the values `span.record(..)` sets later), from the span's creation to its
//!   close. It nests under the record that was innermost where the span was made (or under its
//!   explicit parent span), and records opened while it is entered (events, spans, our own
//!   iterations, interactions and actions) are its children, on any thread that enters it, so
//!   `#[tracing::instrument]` async fns are right across `.await`s on a multi-threaded runtime.
//!   `#[instrument(err)]` marks the action `error` with the error's text, `#[instrument(ret)]`
//!   gives it `output_data` (an event with no message and an `error` or `return` field, in the
//!   span, is read so); a span that closes while a panic unwinds is `panicked`.
//!
//! A line or span is kept when the thread's workflow keeps a log line of its level from a
//! logger named by its target (`::` separates segments as `.` does: `hyper::proto` is held
//! against the directive `hyper.proto=warn` or `hyper=warn`, and against
//! [`Logger::set_level`](crate::Logger::set_level)). Outside any workflow the layer does
//! nothing, for about the cost of an atomic load per event.
//!
//! # Examples
//!
//! ```
//! use tracing_subscriber::prelude::*;
//!
//! let subscriber = tracing_subscriber::registry().with(workflow_log::tracing::layer());
//! let ((), log) = tracing::subscriber::with_default(subscriber, || {
//!     workflow_log::capture(|| {
//!         let _planner = workflow_log::interaction("planner").start();
//!         let span = tracing::info_span!("http_request", url = "https://example.com");
//!         let _entered = span.enter();
//!         tracing::info!(status = 200, cached = false, "response received");
//!     })
//! });
//! let request = &log["interactions"][0]["actions"][0];
//! assert_eq!(request["action_name"], "http_request");
//! assert_eq!(request["input_data"]["url"], "https://example.com");
//! let line = &request["events"][0];
//! assert_eq!(line["event_type"], "log");
//! assert_eq!(line["level"], "INFO");
//! assert_eq!(line["message"], "response received");
//! assert_eq!(line["data"]["status"], 200);
//! assert_eq!(line["data"]["cached"], false);
//! ```

mod span;
mod visit;

use std::borrow::Cow;
use std::fmt;

use tracing_core::span::{Attributes, Id, Record as Values};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::api::bridge::{fields, line};
use crate::runtime::registry;
use crate::Level;

/// The layer that records `tracing` events and spans in the thread's workflow, with every
/// option at its default: spans as actions, every level, no target left out.
///
/// # Examples
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let subscriber = tracing_subscriber::registry().with(workflow_log::tracing::layer());
/// let ((), log) = tracing::subscriber::with_default(subscriber, || {
///     workflow_log::capture(|| tracing::warn!(attempt = 2, "retrying"))
/// });
/// assert_eq!(log["events"][0]["level"], "WARN");
/// assert_eq!(log["events"][0]["data"]["attempt"], 2);
/// ```
pub fn layer() -> WorkflowLayer {
    WorkflowLayer {
        spans: true,
        min_level: Level::Trace,
        skipped: Vec::new(),
    }
}

/// A [`tracing_subscriber::Layer`] that records `tracing` events and spans in the thread's
/// workflow: made by [`layer()`], configured by its methods.
///
/// It never turns anything off for the other layers: what it leaves out (below its level, a
/// target left out, outside any workflow) it just does not record.
///
/// # Examples
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use workflow_log::Level;
///
/// let layer = workflow_log::tracing::layer()
///     .spans(false)
///     .min_level(Level::Debug)
///     .skip_target("h2")
///     .skip_target("hyper");
/// let subscriber = tracing_subscriber::registry().with(layer);
/// let ((), log) = tracing::subscriber::with_default(subscriber, || {
///     workflow_log::Workflow::builder("demo").level(Level::Trace).capture(|| {
///         let _span = tracing::info_span!("not_an_action").entered();
///         tracing::trace!("below the layer's level");
///         tracing::debug!(target: "hyper::proto", "left out");
///         tracing::debug!(target: "my_agent", "kept");
///     })
/// });
/// let events = log["events"].as_array().unwrap();
/// assert_eq!(events.len(), 1);
/// assert_eq!(events[0]["logger"], "my_agent");
/// assert!(log.get("actions").map_or(true, |a| a.as_array().unwrap().is_empty()));
/// ```
#[derive(Clone)]
pub struct WorkflowLayer {
    spans: bool,
    min_level: Level,
    skipped: Vec<Cow<'static, str>>,
}

impl fmt::Debug for WorkflowLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowLayer")
            .field("spans", &self.spans)
            .field("min_level", &self.min_level)
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl WorkflowLayer {
    /// Whether spans become actions (default `true`). Off, events still land in the records
    /// that are open, and spans are not recorded at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = workflow_log::tracing::layer().spans(false);
    /// # let _ = layer;
    /// ```
    pub fn spans(mut self, on: bool) -> Self {
        self.spans = on;
        self
    }

    /// Leaves out events and spans below `level` (default: none), whatever the workflow's
    /// level. The workflow's levels apply as well.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = workflow_log::tracing::layer().min_level(workflow_log::Level::Info);
    /// # let _ = layer;
    /// ```
    pub fn min_level(mut self, level: Level) -> Self {
        self.min_level = level;
        self
    }

    /// Leaves out events and spans whose target starts with `prefix` (`"hyper"` leaves out
    /// `hyper`, `hyper::proto::h1` and `hyper_util`), such as an HTTP stack's internals.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = workflow_log::tracing::layer().skip_target("h2").skip_target("hyper");
    /// # let _ = layer;
    /// ```
    pub fn skip_target(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.skipped.push(prefix.into());
        self
    }

    /// Whether a line or span at `level` from `target` passes the layer's own options.
    #[inline]
    fn passes(&self, level: Level, target: &str) -> bool {
        level >= self.min_level && !self.skipped.iter().any(|p| target.starts_with(&**p))
    }
}

/// Our level of a `tracing` level.
#[inline]
fn level_of(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::TRACE => Level::Trace,
        tracing_core::Level::DEBUG => Level::Debug,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::WARN => Level::Warn,
        _ => Level::Error,
    }
}

impl<S> tracing_subscriber::Layer<S> for WorkflowLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        let level = level_of(meta.level());
        if !self.spans || !line::wanted(level) || !self.passes(level, meta.target()) {
            return;
        }
        span::open(attrs, id, level, &ctx);
    }

    fn on_record(&self, id: &Id, values: &Values<'_>, ctx: Context<'_, S>) {
        if self.spans && registry::any_live() {
            span::record(id, values, &ctx);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = level_of(meta.level());
        // Outside any workflow, or below every workflow's levels: this load and branch.
        if !line::wanted(level) || !self.passes(level, meta.target()) {
            return;
        }
        record_event(event, level, &ctx, self.spans);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        // With no workflow live there is nothing to log into (an action whose workflow was
        // written is not entered either).
        if self.spans && registry::any_live() {
            span::enter(id, &ctx);
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        if self.spans {
            span::exit(id);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        // With no workflow live, an action left in the span is dropped with its extensions:
        // its workflow was written already.
        if self.spans && registry::any_live() {
            span::close(&id, &ctx);
        }
    }
}

/// Records an event some workflow may keep, under its explicit parent span's action if it has
/// one, else under this thread's innermost open record.
#[inline(never)]
fn record_event<S>(event: &Event<'_>, level: Level, ctx: &Context<'_, S>, spans: bool)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = event.metadata();
    let _parent = match event.parent() {
        Some(parent) if spans => span::enter_place(parent, ctx),
        _ => None,
    };
    let Some(logger) = line::kept(level, meta.target()) else {
        return;
    };
    let read = visit::event_fields(fields::config(), |visitor| event.record(visitor));
    if spans && read.message.is_empty() && (read.error.is_some() || read.ret.is_some()) {
        // `#[instrument(err, ret)]` reports in an event of the span itself, with no message.
        if let Some(span) = ctx.event_span(event) {
            let error = read.error.as_deref().filter(|_| level == Level::Error);
            span::outcome(&span.id(), error, read.ret.clone(), ctx);
        }
    }
    line::emit(level, logger, read.message, read.data);
}
