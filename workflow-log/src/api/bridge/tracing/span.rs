//! A `tracing` span as an action: opened where the span is made, kept in the span's
//! extensions (off every thread's stack), entered on whichever thread enters the span, and
//! closed when the span closes, on whichever thread that is.

use std::borrow::Cow;
use std::sync::Arc;

use tracing_core::span::{Attributes, Id, Record as Values};
use tracing_core::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::visit::Typed;
use crate::api::bridge::fields::{self, Fields, Value};
use crate::capture::{Config, Payload};
use crate::record::{Kind, Record};
use crate::runtime::thread::{self, Entered, Frame, OpenRecord};
use crate::runtime::workflow::LiveWorkflow;
use crate::Level;

/// The open action of a span, in the span's extensions.
pub(super) struct SpanAction {
    /// `Some` until the span closes.
    open: Option<OpenRecord>,
    live: Arc<LiveWorkflow>,
    frame: Frame,
    /// Its fields, written as `input_data` when it closes (`span.record` may set them again).
    fields: Fields,
    cfg: Option<Arc<Config>>,
}

impl SpanAction {
    /// Makes the span's action the innermost record of this thread until the guard drops.
    fn place(&self) -> Entered {
        thread::enter(&self.live, Some(self.frame))
    }
}

/// The place of `id`'s action, if the span has one: entered, records nest under it.
pub(super) fn enter_place<S>(id: &Id, ctx: &Context<'_, S>) -> Option<Entered>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let span = ctx.span(id)?;
    let extensions = span.extensions();
    extensions.get::<SpanAction>().map(SpanAction::place)
}

/// Opens the action of a new span if this thread's workflow keeps it (the span's level for its
/// target, as a log line's): under its explicit parent's action, else under this thread's
/// innermost open record.
pub(super) fn open<S>(attrs: &Attributes<'_>, id: &Id, level: Level, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let meta = attrs.metadata();
    let _parent = attrs.parent().and_then(|parent| enter_place(parent, ctx));
    if crate::api::bridge::line::kept(level, meta.target()).is_none() {
        return;
    }
    let mut slot = Some(OpenRecord::new(Record::new(
        Kind::Action,
        Cow::Borrowed(meta.name()),
    )));
    // The span's level was held against its target's: a record kept at any level.
    thread::open_in_place(&mut slot, Level::Error);
    let Some(open) = slot else { return };
    let frame = Frame {
        id: open.rec.id,
        kind: open.rec.kind,
    };
    // Entered per `on_enter`, not kept on this thread's stack.
    let Some(live) = thread::leave_frame(frame, open.serial) else {
        return;
    };
    let cfg = fields::config();
    let mut action = SpanAction {
        open: Some(open),
        live,
        frame,
        fields: Fields::default(),
        cfg,
    };
    attrs.record(&mut Typed(
        |field: &tracing_core::Field, value: Value<'_>| {
            action.fields.set(field.name(), value, &action.cfg);
        },
    ));
    match ctx.span(id) {
        Some(span) => span.extensions_mut().insert(action),
        None => close_action(action),
    }
}

/// `span.record(..)`: the values join (or replace) the action's input.
pub(super) fn record<S>(id: &Id, values: &Values<'_>, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let Some(cfg) = span.extensions().get::<SpanAction>().map(|a| a.cfg.clone()) else {
        return;
    };
    // Captured with the span unlocked: a value's `Debug` may log, even in this span.
    let mut recorded = Fields::default();
    values.record(&mut Typed(
        |field: &tracing_core::Field, value: Value<'_>| {
            recorded.set(field.name(), value, &cfg);
        },
    ));
    let mut extensions = span.extensions_mut();
    if let Some(action) = extensions.get_mut::<SpanAction>() {
        action.fields.merge(recorded);
    }
}

/// The span was entered on this thread: its action becomes the innermost record here, in its
/// workflow, until the matching [`exit`].
pub(super) fn enter<S>(id: &Id, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let extensions = span.extensions();
    if let Some(action) = extensions.get::<SpanAction>() {
        thread::enter_keyed(&action.live, action.frame, id.into_u64());
    }
}

/// The span was exited on this thread: leaves what [`enter`] entered, if it did. No look at
/// the span: the scope is found by the span's id, which no other live span has.
pub(super) fn exit(id: &Id) {
    thread::leave_keyed(id.into_u64());
}

/// The span closed (its last handle dropped): so does its action, `panicked` if that happens
/// while a panic unwinds.
pub(super) fn close<S>(id: &Id, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let action = span.extensions_mut().remove::<SpanAction>();
    if let Some(action) = action {
        close_action(action);
    }
}

fn close_action(mut action: SpanAction) {
    if let Some(open) = &mut action.open {
        open.rec.input = Some(action.fields.to_payload());
    }
    thread::close_in_place(&mut action.open);
}

/// What `#[tracing::instrument(err, ret)]` reported in an event of the span `id`: its error
/// marks the action failed, its return value is the action's output.
pub(super) fn outcome<S>(id: &Id, error: Option<&str>, ret: Option<Payload>, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = ctx.span(id) else { return };
    let mut extensions = span.extensions_mut();
    let Some(open) = extensions
        .get_mut::<SpanAction>()
        .and_then(|a| a.open.as_mut())
    else {
        return;
    };
    if let Some(error) = error {
        open.rec.set_error(error);
    }
    if ret.is_some() {
        open.rec.output = ret;
    }
}
