//! Turning a user's value into the compact JSON text a record keeps.
//!
//! Values go through [`Capture`], a `serde::Serializer` that writes JSON and makes bad input
//! safe on the way, in one pass:
//! - values under secret-looking keys (`api_key`, `password`, `token`, ...) become
//!   `"[REDACTED]"`, at any depth, before anything else sees them;
//! - strings over the size limit are cut on a UTF-8 boundary and say how long they were;
//! - NaN and infinities become `null`; map keys that are not strings become strings; bytes
//!   that are not UTF-8 are written lossily, as a string;
//! - a part whose `Serialize` impl fails becomes `"[unserializable: <why>]"` and the rest of
//!   the value is kept;
//! - nesting deeper than the depth limit becomes `"[depth limit]"`, so a 10,000-deep value
//!   can't overflow the stack.

mod debug;
mod escape;
mod key;
mod redact;
mod scan;
mod scratch;
mod secrets;
mod serializer;
#[cfg(test)]
mod tests;
mod writer;

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Serialize;

use escape::escape_redacted_into;
pub(crate) use escape::{clean_run, escape_into};
use redact::Redact;
pub use redact::DEFAULT_REDACTED_KEYS;
use scratch::return_scratch;
pub(crate) use scratch::scratch;
pub(crate) use secrets::redact_values;
use writer::Capture;

/// Compact JSON text, serialised once when the value was captured. Always valid JSON.
#[derive(Clone)]
pub struct Payload(Box<str>);

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Payload {}

impl Payload {
    /// The JSON text.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        // Empty text is never JSON: it stands for `{}` (see `empty_object`).
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }

    /// `{}`, without an allocation: the input of a function with no arguments to capture.
    #[inline]
    pub(crate) fn empty_object() -> Payload {
        Payload(Box::default())
    }

    /// Wraps text the caller knows to be valid JSON.
    pub(crate) fn from_json_unchecked(text: String) -> Payload {
        Payload(text.into_boxed_str())
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Strings longer than this many bytes are cut.
pub const DEFAULT_MAX_STRING_BYTES: usize = 64 * 1024;
/// A whole value whose JSON is longer than this many bytes (after its strings were cut) is
/// replaced by `{"truncated": "<the start of its JSON text>", "more_than_bytes": N}` (N: this
/// limit; serialising stops once the value is known to be over it).
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Values nested deeper than this are cut.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// A hook that may rewrite every captured value (after redaction by key).
pub(crate) type Hook = Arc<dyn Fn(&mut serde_json::Value) + Send + Sync>;

/// How a workflow captures values.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) max_string: usize,
    /// A whole value whose JSON is longer is replaced by its cut text.
    pub(crate) max_total: usize,
    pub(crate) max_depth: usize,
    pub(crate) redact: Redact,
    /// Well-known secret values (`sk-…`, `Bearer …`, ...) are replaced in every string.
    pub(crate) redact_values: bool,
    pub(crate) hook: Option<Hook>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("max_string", &self.max_string)
            .field("max_depth", &self.max_depth)
            .field("redact", &self.redact)
            .field("redact_values", &self.redact_values)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_string: DEFAULT_MAX_STRING_BYTES,
            max_total: DEFAULT_MAX_PAYLOAD_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            redact: DEFAULT_REDACTED_KEYS.iter().map(|k| (*k).into()).collect(),
            redact_values: true,
            hook: None,
        }
    }
}

impl Config {
    pub(crate) fn is_default(&self) -> bool {
        self.max_string == DEFAULT_MAX_STRING_BYTES
            && self.max_total == DEFAULT_MAX_PAYLOAD_BYTES
            && self.max_depth == DEFAULT_MAX_DEPTH
            && self.hook.is_none()
            && self.redact_values
            && self.redact.len() == DEFAULT_REDACTED_KEYS.len()
            && self
                .redact
                .iter()
                .zip(DEFAULT_REDACTED_KEYS)
                .all(|(a, b)| &**a == *b)
    }

    pub(crate) fn is_secret(&self, key: &str) -> bool {
        self.redact.matches(key)
    }

    /// `text` with well-known secret values replaced, if this workflow redacts them.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.redact_values {
            redact_values(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        }
    }
}

static DEFAULT: std::sync::OnceLock<Config> = std::sync::OnceLock::new();

fn default_config() -> &'static Config {
    DEFAULT.get_or_init(Config::default)
}

/// The JSON text of `value` stored under `key` (a metadata entry) under `cfg`: `"[REDACTED]"`
/// if `key` is a secret one.
pub(crate) fn keyed_with<T: Serialize + ?Sized>(key: &str, value: &T, cfg: &Config) -> Payload {
    if cfg.is_secret(key) {
        return redacted();
    }
    json_with(value, cfg)
}

/// The placeholder of a redacted value.
pub(crate) fn redacted() -> Payload {
    Payload(REDACTED.into())
}

/// The JSON text of a redacted value.
pub(crate) const REDACTED: &str = "\"[REDACTED]\"";

/// JSON text of `value` under `cfg`.
pub(crate) fn json_with<T: Serialize + ?Sized>(value: &T, cfg: &Config) -> Payload {
    let mut out = scratch();
    let mut ser = Capture::new(&mut out, cfg, 0, cfg.max_total);
    ser.guarded(value);
    let payload = if ser.over() {
        Payload(whole_value_cut(&out, cfg).into_boxed_str())
    } else {
        Payload(out.as_str().into())
    };
    return_scratch(out);
    match &cfg.hook {
        None => payload,
        Some(hook) => apply_hook(payload, hook, cfg),
    }
}

/// The settings a workflow's optional capture settings stand for (`None`: the defaults).
pub(crate) fn settings(cfg: &Option<Arc<Config>>) -> &Config {
    match cfg {
        Some(cfg) => cfg,
        None => default_config(),
    }
}

/// Appends the JSON text of `value` to `out` as [`json_with`] captures it (the same limits and
/// redaction hook): a field of a bridged event, written straight into its object.
#[cfg(any(feature = "tracing", feature = "log"))]
pub(crate) fn json_append<T: Serialize + ?Sized>(out: &mut String, value: &T, cfg: &Config) {
    let _ = json_append_in(out, value, cfg, None);
}

/// Appends the JSON text of `value` to `out` as [`json_with`] captures it (the same limits and
/// redaction hook): a function's argument, written straight into its input object. Or, with
/// `whole: Some(at)`, as a part of a whole value whose text begins at `at` in `out` (an item of
/// a stream's array of items): serialising stops once the whole passes the payload limit, and
/// it is the whole that is cut (see [`array_payload`]), not this part. The redaction hook, when
/// there is one, sees each part on its own.
///
/// For a part: returns whether the whole is over the limit, and must be cut (`false` for a
/// value of its own, cut here).
pub(crate) fn json_append_in<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    cfg: &Config,
    whole: Option<usize>,
) -> bool {
    if cfg.hook.is_some() {
        // The hook sees the value on its own, as a captured payload.
        out.push_str(json_with(value, cfg).as_str());
        return whole.is_some_and(|at| out.len() - at > cfg.max_total);
    }
    let start = out.len();
    let mut ser = Capture::new(&mut *out, cfg, whole.unwrap_or(start), cfg.max_total);
    ser.guarded(value);
    let over = ser.over();
    if whole.is_none() && over {
        let cut = whole_value_cut(&out[start..], cfg);
        out.truncate(start);
        out.push_str(&cut);
        return false;
    }
    over
}

/// Appends the `Debug` text of `value` as a JSON string, as a `Debug` capture is written: the
/// values of fields named like secrets (`api_key: "…"`, `"token": …`) are redacted in it.
#[cfg(any(feature = "tracing", feature = "log"))]
pub(crate) fn debug_append<T: fmt::Debug + ?Sized>(out: &mut String, value: &T, cfg: &Config) {
    let _ = debug_append_in(out, value, cfg, None);
}

/// Appends the `Debug` text of `value` as a JSON string, as a `Debug` capture is written (the
/// values of fields named like secrets, `api_key: "…"`, are redacted in it); as a part of a
/// whole value when `whole` says where it begins (see [`json_append_in`]).
pub(crate) fn debug_append_in<T: fmt::Debug + ?Sized>(
    out: &mut String,
    value: &T,
    cfg: &Config,
    whole: Option<usize>,
) -> bool {
    let text = debug_text(value);
    json_append_in(out, debug::redact_fields(&text, cfg).as_ref(), cfg, whole)
}

/// The payload of a JSON array written item by item with [`json_append_in`] (`text`: `[` and
/// the items, comma-separated, without the closing `]`; empty when there was none): cut as a
/// whole value, like any other, when its text is over the payload limit (or `over`, as an
/// item's capture said).
pub(crate) fn array_payload(mut text: String, over: bool, cfg: &Config) -> Payload {
    if text.is_empty() {
        text.push('[');
    }
    text.push(']');
    if over || text.len() > cfg.max_total {
        Payload(whole_value_cut(&text, cfg).into_boxed_str())
    } else {
        Payload(text.into_boxed_str())
    }
}

/// The payload of the JSON text written into a [`scratch`](scratch::scratch) buffer: one allocation, of its
/// exact size; the buffer is kept for the next capture.
pub(crate) fn finish_scratch(out: String) -> Payload {
    let payload = Payload(out.as_str().into());
    return_scratch(out);
    payload
}

/// Appends `"key":`.
pub(crate) fn key_append(out: &mut String, key: &str) {
    out.push('"');
    escape_into(out, key);
    out.push_str("\":");
}

/// A value whose JSON is over the total limit: `{"truncated": "<its JSON text, cut>",
/// "more_than_bytes": <the limit>}`. Serialising stopped at the limit, so how long the whole
/// text would have been is not known.
fn whole_value_cut(text: &str, cfg: &Config) -> String {
    let mut end = cfg.max_string.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 64);
    out.push_str("{\"truncated\":\"");
    escape_into(&mut out, &text[..end]);
    let _ = write!(out, "\",\"more_than_bytes\":{}}}", cfg.max_total);
    out
}

fn apply_hook(payload: Payload, hook: &Hook, cfg: &Config) -> Payload {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(payload.as_str()) else {
        // Too deep for the parser (a depth limit set above 127): the hook can't see it, so it
        // is not written either.
        return string_with(
            "[redaction hook could not run: the value is nested too deep]",
            cfg,
        );
    };
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&mut value)));
    if ran.is_err() {
        return string_with("[redaction hook panicked]", cfg);
    }
    let plain = Config {
        hook: None,
        ..cfg.clone()
    };
    json_with(&value, &plain)
}

/// The `Display` text of `value` (`ToString` would panic on a `Display` impl that fails:
/// logging never does; the text is then `[Display impl failed]`).
pub(crate) fn display_text<T: fmt::Display + ?Sized>(value: &T) -> String {
    let mut text = String::new();
    if write!(text, "{value}").is_err() {
        text = "[Display impl failed]".to_owned();
    }
    text
}

/// The `Debug` text of `value` (`[Debug impl failed]` if the impl fails).
pub(crate) fn debug_text<T: fmt::Debug + ?Sized>(value: &T) -> String {
    let mut text = String::new();
    if write!(text, "{value:?}").is_err() {
        text = "[Debug impl failed]".to_owned();
    }
    text
}

#[cfg(any(feature = "tracing", feature = "log"))]
/// The text of `args` (a `Display` or `Debug` rendering) in a box of its exact size: written
/// into this thread's scratch buffer first, so that it allocates once (`[Display impl failed]`
/// if an impl fails).
pub(crate) fn boxed_text(args: fmt::Arguments<'_>) -> Box<str> {
    if let Some(text) = args.as_str() {
        return text.into();
    }
    let mut out = scratch();
    let text: Box<str> = if out.write_fmt(args).is_err() {
        "[Display impl failed]".into()
    } else {
        out.as_str().into()
    };
    return_scratch(out);
    text
}

fn string_with(text: &str, cfg: &Config) -> Payload {
    let mut out = String::with_capacity(text.len().min(cfg.max_string) + 2);
    write_str(&mut out, text, cfg.max_string);
    Payload(out.into_boxed_str())
}

/// Writes `s` as a JSON string under `cfg`: its well-known secret values redacted if `cfg`
/// says so, then cut to `cfg.max_string` bytes as [`write_str`] does.
fn write_text(out: &mut String, s: &str, cfg: &Config) {
    // Redaction makes a text longer only by 2 bytes for each `Bearer ` token of 8 bytes (15
    // with the word): a text this short stays under the limit, and is escaped and redacted in
    // one pass.
    if cfg.redact_values && s.len() + s.len() / 4 <= cfg.max_string {
        out.push('"');
        escape_redacted_into(out, s);
        out.push('"');
    } else {
        // When cut, the note gives the string's own length, as for a longer one (`Capture::str`).
        write_cut_str(out, &cfg.scrub(s), cfg.max_string, s.len());
    }
}

/// Writes `s` as a JSON string, cut to `max` bytes on a char boundary with a note of its size.
fn write_str(out: &mut String, s: &str, max: usize) {
    write_cut_str(out, s, max, s.len());
}

/// [`write_str`] of `s`, the start of a string `len` bytes long (all of it when it is not
/// over `max`): when cut, the note gives `len`.
fn write_cut_str(out: &mut String, s: &str, max: usize, len: usize) {
    let (body, cut) = if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        (&s[..end], true)
    } else {
        (s, false)
    };
    out.push('"');
    escape_into(out, body);
    if cut {
        let _ = write!(out, "…[truncated: {len} bytes]");
    }
    out.push('"');
}
