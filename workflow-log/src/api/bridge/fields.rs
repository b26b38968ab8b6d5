//! The fields of a bridged log line or span, typed: numbers stay numbers, booleans booleans,
//! and a value that only has `Debug` (or `Display`) becomes its text.

// Spans' fields (and 128-bit and `Debug` values) come from `tracing` only.
#![cfg_attr(not(feature = "tracing"), allow(dead_code))]

use std::fmt;
use std::sync::Arc;

use crate::capture::{self, Config, Payload};
use crate::runtime::settings;

/// One field's value, as a facade hands it over.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Str(&'a str),
    Debug(&'a dyn fmt::Debug),
    Display(&'a dyn fmt::Display),
}

impl Value<'_> {
    /// Appends the value's JSON text to `out`, captured under `cfg` (string limits, the
    /// redaction hook).
    fn append(&self, out: &mut String, cfg: &Config) {
        match *self {
            Value::I64(v) => capture::json_append(out, &v, cfg),
            Value::U64(v) => capture::json_append(out, &v, cfg),
            Value::I128(v) => capture::json_append(out, &v, cfg),
            Value::U128(v) => capture::json_append(out, &v, cfg),
            Value::F64(v) => capture::json_append(out, &v, cfg),
            Value::Bool(v) => capture::json_append(out, &v, cfg),
            Value::Str(v) => capture::json_append(out, v, cfg),
            Value::Debug(v) => capture::debug_append(out, v, cfg),
            Value::Display(v) => capture::json_append(out, capture::display_text(v).as_str(), cfg),
        }
    }

    /// The value's text, for a message.
    pub(crate) fn text(&self) -> Box<str> {
        match *self {
            Value::Str(v) => v.into(),
            Value::Debug(v) => capture::boxed_text(format_args!("{v:?}")),
            Value::Display(v) => capture::boxed_text(format_args!("{v}")),
            Value::I64(v) => v.to_string().into(),
            Value::U64(v) => v.to_string().into(),
            Value::I128(v) => v.to_string().into(),
            Value::U128(v) => v.to_string().into(),
            Value::F64(v) => v.to_string().into(),
            Value::Bool(v) => v.to_string().into(),
        }
    }
}

/// The capture settings of this thread's workflow (`None`: the defaults).
pub(crate) fn config() -> Option<Arc<Config>> {
    settings::config()
}

/// `value` on its own, captured under `cfg`.
pub(crate) fn payload(value: Value<'_>, cfg: &Option<Arc<Config>>) -> Payload {
    let mut out = capture::scratch();
    value.append(&mut out, capture::settings(cfg));
    capture::finish_scratch(out)
}

/// A JSON object being written, one field at a time: a log line's `data`. Values under a
/// secret key (`api_key`, `password` ...) are `"[REDACTED]"`.
pub(crate) struct Object {
    out: String,
    cfg: Option<Arc<Config>>,
}

impl Object {
    pub(crate) fn new(cfg: Option<Arc<Config>>) -> Object {
        Object {
            out: String::new(),
            cfg,
        }
    }

    /// Appends `name: value`.
    pub(crate) fn field(&mut self, name: &str, value: Value<'_>) {
        let cfg = capture::settings(&self.cfg);
        if self.out.is_empty() {
            self.out = capture::scratch();
            self.out.push('{');
        } else {
            self.out.push(',');
        }
        capture::key_append(&mut self.out, name);
        if cfg.is_secret(name) {
            self.out.push_str(capture::REDACTED);
        } else {
            value.append(&mut self.out, cfg);
        }
    }

    /// The object's JSON text (`{}` when no field was written).
    pub(crate) fn finish(mut self) -> Payload {
        if self.out.is_empty() {
            return Payload::empty_object();
        }
        self.out.push('}');
        capture::finish_scratch(std::mem::take(&mut self.out))
    }
}

/// Fields kept by name until they are written as one object: a span's, which `span.record(..)`
/// may set again later. A name set twice keeps its last value, in its first place.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    entries: Vec<(&'static str, Payload)>,
}

impl Fields {
    /// Sets `name` to `value`, captured under `cfg` now.
    pub(crate) fn set(&mut self, name: &'static str, value: Value<'_>, cfg: &Option<Arc<Config>>) {
        let payload = if capture::settings(cfg).is_secret(name) {
            capture::redacted()
        } else {
            payload(value, cfg)
        };
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = payload,
            None => self.entries.push((name, payload)),
        }
    }

    /// Sets every field of `other`, in its order.
    pub(crate) fn merge(&mut self, other: Fields) {
        for (name, payload) in other.entries {
            match self.entries.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = payload,
                None => self.entries.push((name, payload)),
            }
        }
    }

    /// The fields as one JSON object.
    pub(crate) fn to_payload(&self) -> Payload {
        if self.entries.is_empty() {
            return Payload::empty_object();
        }
        let mut out = capture::scratch();
        out.push('{');
        for (i, (name, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            capture::key_append(&mut out, name);
            out.push_str(value.as_str());
        }
        out.push('}');
        capture::finish_scratch(out)
    }
}
