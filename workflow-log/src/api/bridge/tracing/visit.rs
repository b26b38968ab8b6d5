//! Reading a `tracing` event's or span's fields, typed.

use std::fmt;
use std::sync::Arc;

use tracing_core::field::{Field, Visit};

use crate::api::bridge::fields::{self, Object, Value};
use crate::capture::{Config, Payload};

/// Hands every field of a value set to `put` as a typed [`Value`].
pub(super) struct Typed<F: FnMut(&Field, Value<'_>)>(pub(super) F);

impl<F: FnMut(&Field, Value<'_>)> Visit for Typed<F> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        (self.0)(field, Value::F64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        (self.0)(field, Value::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        (self.0)(field, Value::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        (self.0)(field, Value::I128(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        (self.0)(field, Value::U128(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        (self.0)(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        (self.0)(field, Value::Str(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        (self.0)(field, Value::Display(&value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        (self.0)(field, Value::Debug(value));
    }
}

/// An event's fields: its `message`, the others as the `data` object, and the text of the
/// `error` and `return` fields that `#[tracing::instrument(err, ret)]` emits, for its span.
pub(super) struct EventFields {
    pub(super) message: Box<str>,
    pub(super) data: Payload,
    pub(super) error: Option<Box<str>>,
    pub(super) ret: Option<Payload>,
}

/// Reads an event's fields (`record` is `Event::record`).
pub(super) fn event_fields(
    cfg: Option<Arc<Config>>,
    record: impl FnOnce(&mut dyn Visit),
) -> EventFields {
    let mut message: Box<str> = Box::default();
    let mut error = None;
    let mut ret = None;
    let mut data = Object::new(cfg.clone());
    record(&mut Typed(|field: &Field, value: Value<'_>| {
        match field.name() {
            "message" => message = value.text(),
            "error" => {
                error = Some(value.text());
                data.field("error", value);
            }
            "return" => {
                ret = Some(fields::payload(value, &cfg));
                data.field("return", value);
            }
            name => data.field(name, value),
        }
    }));
    EventFields {
        message,
        data: data.finish(),
        error,
        ret,
    }
}
