//! Captures under the settings of this thread's workflow: the capture layer takes its settings
//! as an argument, and this is where they are looked up.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::thread;
use crate::capture::{self, Config, Payload};

/// The capture settings of this thread's workflow when it set its own, `None` for the
/// defaults: see [`capture::settings`].
pub(crate) fn config() -> Option<Arc<Config>> {
    thread::payload_config()
}

/// JSON text of `value` under this thread's workflow's configuration.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Payload {
    capture::json_with(value, capture::settings(&config()))
}

/// JSON text of `value` stored under `key` (a metadata entry): `"[REDACTED]"` if `key` is a
/// secret one.
pub(crate) fn keyed<T: Serialize + ?Sized>(key: &str, value: &T) -> Payload {
    capture::keyed_with(key, value, capture::settings(&config()))
}

/// The `Debug` text of `value`, as a JSON string captured like any other (the workflow's
/// string limit and redaction hook apply).
pub(crate) fn debug<T: fmt::Debug + ?Sized>(value: &T) -> Payload {
    json(capture::debug_text(value).as_str())
}
