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

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::ser::{self, Serialize};

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
/// replaced by `{"truncated": "<the start of its JSON text>", "original_bytes": N}`.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Values nested deeper than this are cut.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Keys whose values are redacted by default (case-insensitive; `-` counts as `_`; a key that
/// ends in `_<key>`, like `openai_api_key`, matches too).
pub const DEFAULT_REDACTED_KEYS: &[&str] = &[
    "api_key",
    "apikey",
    "authorization",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "private_key",
    "cookie",
    "set_cookie",
];

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
    pub(crate) hook: Option<Hook>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("max_string", &self.max_string)
            .field("max_depth", &self.max_depth)
            .field("redact", &self.redact)
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
}

/// The keys whose values are redacted, with a filter that rules out most other keys at once.
#[derive(Clone)]
pub(crate) struct Redact {
    keys: Vec<Box<str>>,
    /// Bit `tail_hash(..)` is set for the last two bytes (as compared) of each entry.
    tails: [u64; 4],
    /// Some entry is shorter than two bytes: every key is compared with every entry.
    short: bool,
}

impl Redact {
    fn new(keys: Vec<Box<str>>) -> Redact {
        let mut tails = [0; 4];
        let mut short = false;
        for key in &keys {
            match *key.as_bytes() {
                [.., a, b] => {
                    let h = tail_hash(a, b);
                    tails[h / 64] |= 1 << (h % 64);
                }
                _ => short = true,
            }
        }
        Redact { keys, tails, short }
    }

    /// Whether `key` is an entry, or ends with `_` and an entry, ignoring case and `-`/`_`.
    fn matches(&self, key: &str) -> bool {
        let key = key.as_bytes();
        if !self.short {
            // Every entry has two bytes or more, so a key that matches one ends with its last
            // two.
            let [.., a, b] = *key else { return false };
            let h = tail_hash(a, b);
            if self.tails[h / 64] & (1 << (h % 64)) == 0 {
                return false;
            }
        }
        self.keys
            .iter()
            .any(|entry| key_matches(key, entry.as_bytes()))
    }
}

/// A hash of the last two bytes of a key as compared (equal for keys that compare equal there).
fn tail_hash(a: u8, b: u8) -> usize {
    let (a, b) = (KEY_BYTE[usize::from(a)], KEY_BYTE[usize::from(b)]);
    (usize::from(a) << 3 ^ usize::from(b)) & 0xff
}

impl FromIterator<Box<str>> for Redact {
    fn from_iter<I: IntoIterator<Item = Box<str>>>(keys: I) -> Redact {
        Redact::new(keys.into_iter().collect())
    }
}

impl std::ops::Deref for Redact {
    type Target = [Box<str>];
    fn deref(&self) -> &[Box<str>] {
        &self.keys
    }
}

impl fmt::Debug for Redact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.keys.fmt(f)
    }
}

/// Each byte as keys are compared: ASCII letters in lower case, `-` as `_`.
static KEY_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).to_ascii_lowercase();
        b += 1;
    }
    table[b'-' as usize] = b'_';
    table
};

/// `key` is `entry`, or ends with `_entry`, ignoring case and `-`/`_`.
fn key_matches(key: &[u8], entry: &[u8]) -> bool {
    let Some(cut) = key.len().checked_sub(entry.len()) else {
        return false;
    };
    key[cut..]
        .iter()
        .rev()
        .zip(entry.iter().rev())
        .all(|(a, b)| KEY_BYTE[usize::from(*a)] == KEY_BYTE[usize::from(*b)])
        && (cut == 0 || matches!(key[cut - 1], b'_' | b'-'))
}

static DEFAULT: std::sync::OnceLock<Config> = std::sync::OnceLock::new();

fn default_config() -> &'static Config {
    DEFAULT.get_or_init(Config::default)
}

/// JSON text of `value` under this thread's workflow's configuration.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Payload {
    json_with(value, settings(&thread_config()))
}

/// JSON text of `value` stored under `key` (a metadata entry): `"[REDACTED]"` if `key` is a
/// secret one.
pub(crate) fn keyed<T: Serialize + ?Sized>(key: &str, value: &T) -> Payload {
    keyed_with(key, value, settings(&thread_config()))
}

/// [`keyed`] under `cfg`.
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
    let mut ser = Capture {
        out: &mut out,
        cfg,
        depth: 0,
    };
    ser.guarded(value);
    let payload = if out.len() > cfg.max_total {
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

/// The capture settings of this thread's workflow when it set its own, `None` for the
/// defaults: see [`settings`].
pub(crate) fn thread_config() -> Option<Arc<Config>> {
    crate::local::payload_config()
}

/// The settings a [`thread_config`] stands for.
pub(crate) fn settings(cfg: &Option<Arc<Config>>) -> &Config {
    match cfg {
        Some(cfg) => cfg,
        None => default_config(),
    }
}

/// Appends the JSON text of `value` to `out` as [`json_with`] captures it (the same limits and
/// redaction hook): a function's argument, written straight into its input object.
pub(crate) fn json_append<T: Serialize + ?Sized>(out: &mut String, value: &T, cfg: &Config) {
    if cfg.hook.is_some() {
        // The hook sees the value on its own, as a captured payload.
        out.push_str(json_with(value, cfg).as_str());
        return;
    }
    let start = out.len();
    Capture {
        out: &mut *out,
        cfg,
        depth: 0,
    }
    .guarded(value);
    if out.len() - start > cfg.max_total {
        let cut = whole_value_cut(&out[start..], cfg);
        out.truncate(start);
        out.push_str(&cut);
    }
}

/// Appends the `Debug` text of `value` as a JSON string, as [`debug`] captures it.
pub(crate) fn debug_append<T: fmt::Debug + ?Sized>(out: &mut String, value: &T, cfg: &Config) {
    json_append(out, debug_text(value).as_str(), cfg);
}

/// The payload of the JSON text written into a [`scratch`] buffer: one allocation, of its
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

thread_local! {
    /// The buffer this thread writes JSON into before copying it into a box of its exact size,
    /// so a capture allocates once. Empty while in use: a capture within a capture (a
    /// `Serialize` impl that logs) writes into a buffer of its own.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// A scratch buffer that grew bigger than this is freed after use rather than kept.
const SCRATCH_KEEP: usize = 16 * 1024;

/// A buffer to write a payload's JSON text into: this thread's scratch buffer when it is free
/// (see [`finish_scratch`]).
pub(crate) fn scratch() -> String {
    SCRATCH.try_with(Cell::take).unwrap_or_default()
}

fn return_scratch(mut out: String) {
    if out.capacity() <= SCRATCH_KEEP {
        out.clear();
        // During thread teardown there is nowhere to keep it: it is freed.
        let _ = SCRATCH.try_with(|scratch| scratch.set(out));
    }
}

/// A value whose JSON is over the total limit: `{"truncated": "<its JSON text, cut>",
/// "original_bytes": N}`.
fn whole_value_cut(text: &str, cfg: &Config) -> String {
    let mut end = cfg.max_string.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 64);
    out.push_str("{\"truncated\":\"");
    escape_into(&mut out, &text[..end]);
    let _ = write!(out, "\",\"original_bytes\":{}}}", text.len());
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

/// The `Debug` text of `value`, as a JSON string captured like any other (the workflow's
/// string limit and redaction hook apply).
pub(crate) fn debug<T: fmt::Debug + ?Sized>(value: &T) -> Payload {
    json(debug_text(value).as_str())
}

fn string_with(text: &str, cfg: &Config) -> Payload {
    let mut out = String::with_capacity(text.len().min(cfg.max_string) + 2);
    write_str(&mut out, text, cfg.max_string);
    Payload(out.into_boxed_str())
}

/// Writes `s` as a JSON string, cut to `max` bytes on a char boundary with a note of its size.
fn write_str(out: &mut String, s: &str, max: usize) {
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
        let _ = write!(out, "…[truncated: {} bytes]", s.len());
    }
    out.push('"');
}

/// JSON string escaping: `"`, `\` and control characters (and DEL, as `\u007f`).
///
/// Runs that need no escaping, the bulk of any text, are found 8 bytes at a time and copied
/// whole.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let end = start + clean_run(&bytes[start..]);
        out.push_str(&s[start..end]);
        let Some(&b) = bytes.get(end) else { return };
        // `b` is ASCII (see `ESCAPE`), so `end + 1` is a char boundary.
        match ESCAPE[usize::from(b)] {
            b'u' => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            letter => {
                out.push('\\');
                out.push(char::from(letter));
            }
        }
        start = end + 1;
    }
}

/// For each byte, 0 if it stands for itself in a JSON string, else the letter after its `\`
/// (`u` for `\u00XX`). Only ASCII bytes are escaped.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x7f] = b'u';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How many bytes at the start of `bytes` need no escaping.
fn clean_run(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let mut start = 0;
    while start + 8 <= len {
        if needs_escape(word(bytes, start)) {
            if let Some(i) = first_to_escape(&bytes[start..start + 8]) {
                return start + i;
            }
        }
        start += 8;
    }
    if start == len {
        return len;
    }
    // The last 1 to 7 bytes, read as one word with bytes already found clean, or with
    // themselves (4 to 7 bytes as two overlapping halves).
    let last = if len >= 8 {
        word(bytes, len - 8)
    } else if len >= 4 {
        u64::from(half(bytes, 0)) | u64::from(half(bytes, len - 4)) << 32
    } else {
        return first_to_escape(bytes).unwrap_or(len);
    };
    if needs_escape(last) {
        first_to_escape(&bytes[start..]).map_or(len, |i| start + i)
    } else {
        len
    }
}

fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| ESCAPE[usize::from(b)] != 0)
}

/// The 8 bytes from `at`, as one little-endian word.
fn word(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The 4 bytes from `at`.
fn half(bytes: &[u8], at: usize) -> u32 {
    let mut half = [0; 4];
    half.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(half)
}

/// Whether any byte of `x` needs escaping: below 0x20 (a control character), `"`, `\` or DEL.
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte below `n` (for `n` up to 0x80) is set in `below(v, n)`, and
    // maybe of bytes above those; none if no byte is below `n`.
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v;
    let zero = |v: u64| below(v, 1);
    (below(x, 0x20)
        | zero(x ^ (ONES * u64::from(b'"')))
        | zero(x ^ (ONES * u64::from(b'\\')))
        | zero(x ^ (ONES * 0x7f)))
        & HIGH
        != 0
}

/// The error our serializer reports (only `Serialize` impls produce it).
#[derive(Debug)]
pub(crate) struct CaptureError(String);

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaptureError {}

impl ser::Error for CaptureError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CaptureError(display_text(&msg))
    }
}

/// A JSON writer that never fails as a whole: see the module docs.
struct Capture<'a> {
    out: &'a mut String,
    cfg: &'a Config,
    depth: usize,
}

type Res = Result<(), CaptureError>;

impl Capture<'_> {
    /// Serialises one value in place; on failure its partial output is replaced by a readable
    /// string, and on too much depth the value is not visited at all.
    fn guarded<T: Serialize + ?Sized>(&mut self, value: &T) {
        if self.depth >= self.cfg.max_depth {
            self.out.push_str("\"[depth limit]\"");
            return;
        }
        let mark = self.out.len();
        let depth = self.depth;
        self.depth += 1;
        let result = value.serialize(&mut *self);
        self.depth = depth;
        if let Err(e) = result {
            self.out.truncate(mark);
            let text = format!("[unserializable: {e}]");
            write_str(self.out, &text, self.cfg.max_string);
        }
    }

    fn str(&mut self, s: &str) {
        write_str(self.out, s, self.cfg.max_string);
    }

    /// An integer, as its `Display` text.
    fn integer(&mut self, v: impl itoa::Integer) {
        self.out.push_str(itoa::Buffer::new().format(v));
    }

    /// A float, as its `Debug` text (`null` if it is not finite).
    fn float(&mut self, v: f64) {
        if !v.is_finite() {
            self.out.push_str("null");
        } else if zmij_writes_debug_text(v) {
            self.out.push_str(zmij::Buffer::new().format_finite(v));
        } else {
            let _ = write!(self.out, "{v:?}");
        }
    }

    fn begin_variant(&mut self, variant: &str) {
        self.out.push('{');
        self.str(variant);
        self.out.push(':');
    }
}

/// Whether zmij writes the same text for `v` (finite) as `{v:?}` does. Both write the shortest
/// digits that read back as `v` (the closest to it if several do), but:
/// - `{:?}` writes an exponent below 1e-4 and from 1e16 on, zmij in other places and with a
///   `+` in positive ones: only plain decimals are left to zmij;
/// - when two are equally close, they may pick different ones (`{:?}` rounds such a tie away
///   from zero, zmij to even). That needs `v` exactly halfway between them, so `v`'s exact
///   decimal expansion would have at most 18 significant digits (at most 17 for the shortest,
///   then a `5`). It is longer for most fractions; integers below 1e16 are written whole,
///   with no tie.
fn zmij_writes_debug_text(v: f64) -> bool {
    if v == 0.0 {
        return true;
    }
    if !(1e-4..1e16).contains(&v.abs()) {
        return false;
    }
    let bits = v.to_bits();
    // `v` is normal in this range: `mantissa * 2^(exponent - 1075)`, with the implicit bit.
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let zeros = mantissa.trailing_zeros();
    // `v = m * 2^e` with `m` odd, of `significant` bits.
    let significant = i64::from(53 - zeros);
    let e = ((bits >> 52) & 0x7ff) as i64 - 1075 + i64::from(zeros);
    if e >= 0 {
        return true;
    }
    // `v = m * 5^-e / 10^-e`: its exact expansion has the digits of `m * 5^-e`, more than
    // `(significant - 1) * log10(2) - e * log10(5)` of them (both logs rounded down here).
    (significant - 1) * 30_102 - e * 69_897 >= 18 * 100_000
}

impl<'a, 'b> ser::Serializer for &'b mut Capture<'a> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Res {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Res {
        if v.is_finite() {
            let _ = write!(self.out, "{v:?}");
        } else {
            self.out.push_str("null");
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Res {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        let mut buf = [0; 4];
        self.str(v.encode_utf8(&mut buf));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Res {
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        let text = String::from_utf8_lossy(v);
        self.str(&text);
        Ok(())
    }
    fn serialize_none(self) -> Res {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        self.guarded(value);
        Ok(())
    }
    fn serialize_unit(self) -> Res {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res {
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Res {
        self.guarded(value);
        Ok(())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        self.begin_variant(variant);
        self.guarded(value);
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('[');
        Ok(Compound::new(self, "]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, CaptureError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.begin_variant(variant);
        self.out.push('[');
        Ok(Compound::new(self, "]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('{');
        Ok(Compound::new(self, "}"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('{');
        Ok(Compound::new(self, "}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.begin_variant(variant);
        self.out.push('{');
        Ok(Compound::new(self, "}}"))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Res {
        let text = display_text(value);
        self.str(&text);
        Ok(())
    }
}

/// A sequence, map or struct being written.
pub(crate) struct Compound<'a, 'b> {
    ser: &'b mut Capture<'a>,
    first: bool,
    close: &'static str,
    /// The value of the current map entry is a secret.
    redact_next: bool,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(ser: &'b mut Capture<'a>, close: &'static str) -> Self {
        Compound {
            ser,
            first: true,
            close,
            redact_next: false,
        }
    }

    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(',');
        }
        self.first = false;
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.comma();
        self.ser.str(key);
        self.ser.out.push(':');
        if self.ser.cfg.is_secret(key) {
            self.ser.out.push_str(REDACTED);
        } else {
            self.ser.guarded(value);
        }
    }

    fn end_compound(self) -> Res {
        self.ser.out.push_str(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.comma();
        self.ser.guarded(value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

/// Tuples of every kind are written as sequences.
macro_rules! as_seq {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = CaptureError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
                ser::SerializeSeq::serialize_element(self, value)
            }
            fn end(self) -> Res {
                self.end_compound()
            }
        }
    )*};
}

as_seq!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Res {
        self.comma();
        let mark = self.ser.out.len();
        let plain = PlainKey {
            ser: &mut *self.ser,
            redact: &mut self.redact_next,
            depth: 0,
        };
        if key.serialize(plain).is_err() {
            self.ser.out.truncate(mark);
            let key = map_key(key, self.ser.cfg);
            self.redact_next = self.ser.cfg.is_secret(&key);
            self.ser.str(&key);
        }
        self.ser.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        if std::mem::take(&mut self.redact_next) {
            self.ser.out.push_str(REDACTED);
        } else {
            self.ser.guarded(value);
        }
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.field(key, value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.field(key, value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

/// Writes a map key that is a string, an integer or a unit variant (as nearly all are), in
/// newtypes or not, straight into the output, as `map_key` would have it written: it fails,
/// before writing anything, on any other key, and on a key `map_key` would change (a string
/// over the size limit, a part past the depth limit).
struct PlainKey<'a, 'b> {
    ser: &'b mut Capture<'a>,
    /// Set to whether the key is a secret one.
    redact: &'b mut bool,
    /// The depth at which `map_key` would serialise this part of the key.
    depth: usize,
}

impl PlainKey<'_, '_> {
    fn write(self, key: &str) -> Res {
        let cfg = self.ser.cfg;
        if self.depth >= cfg.max_depth || key.len() > cfg.max_string {
            return Err(not_plain());
        }
        *self.redact = cfg.is_secret(key);
        write_str(self.ser.out, key, cfg.max_string);
        Ok(())
    }
}

fn not_plain() -> CaptureError {
    CaptureError(String::new())
}

macro_rules! plain_key_integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Res {
            self.write(itoa::Buffer::new().format(v))
        }
    )*};
}

macro_rules! not_plain_keys {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ret, CaptureError> {
            Err(not_plain())
        }
    )*};
}

impl ser::Serializer for PlainKey<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = ser::Impossible<(), CaptureError>;
    type SerializeTuple = ser::Impossible<(), CaptureError>;
    type SerializeTupleStruct = ser::Impossible<(), CaptureError>;
    type SerializeTupleVariant = ser::Impossible<(), CaptureError>;
    type SerializeMap = ser::Impossible<(), CaptureError>;
    type SerializeStruct = ser::Impossible<(), CaptureError>;
    type SerializeStructVariant = ser::Impossible<(), CaptureError>;

    fn serialize_str(self, v: &str) -> Res {
        self.write(v)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res {
        self.write(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Res {
        if self.depth >= self.ser.cfg.max_depth {
            return Err(not_plain());
        }
        value.serialize(PlainKey {
            depth: self.depth + 1,
            ..self
        })
    }
    plain_key_integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    not_plain_keys! {
        serialize_bool(bool) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Res {
        Err(not_plain())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Res {
        Err(not_plain())
    }
}

/// A map key as a string: strings as they are, anything else as its compact JSON text.
fn map_key<T: Serialize + ?Sized>(key: &T, cfg: &Config) -> String {
    let mut out = String::new();
    let mut ser = Capture {
        out: &mut out,
        cfg,
        depth: 0,
    };
    ser.guarded(key);
    // A string key comes back quoted: unquote it (it is valid JSON, so this can't fail).
    if out.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(&out) {
            return s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::ser::Error as _;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    fn value<T: Serialize + ?Sized>(v: &T) -> Value {
        let p = json_with(v, &Config::default());
        serde_json::from_str(p.as_str()).unwrap_or_else(|e| panic!("invalid JSON {p:?}: {e}"))
    }

    struct Failing;
    impl Serialize for Failing {
        fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(S::Error::custom("the database handle can't be serialised"))
        }
    }

    #[test]
    fn matches_serde_json_on_plain_values() {
        let v = json!({"a": [1, -2, 3.5, "x\"y\n", null, true], "b": {"c": 1e300}});
        assert_eq!(value(&v), v);
    }

    #[test]
    fn a_failing_part_becomes_a_readable_string_and_the_rest_stays() {
        #[derive(serde::Serialize)]
        struct S {
            ok: u32,
            db: Failing,
        }
        assert_eq!(
            value(&S { ok: 1, db: Failing }),
            json!({"ok": 1, "db": "[unserializable: the database handle can't be serialised]"})
        );
        assert_eq!(
            value(&Failing),
            json!("[unserializable: the database handle can't be serialised]")
        );
    }

    #[test]
    fn nan_and_infinities_are_null() {
        assert_eq!(
            value(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5]),
            json!([null, null, null, 1.5])
        );
        assert_eq!(value(&f32::NAN), Value::Null);
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary() {
        let s = "é".repeat(DEFAULT_MAX_STRING_BYTES); // two bytes each
        let v = value(&s);
        let kept = v.as_str().unwrap();
        let (body, note) = kept.split_once('…').unwrap();
        assert!(body.len() <= DEFAULT_MAX_STRING_BYTES && body.chars().all(|c| c == 'é'));
        assert_eq!(note, format!("[truncated: {} bytes]", s.len()));
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = json!({"user": "ada", "API_KEY": "sk-1", "nested": [{"openai-api-key": "sk-2", "Password": 1}],
                       "tokens": 12, "max_tokens": 5, "auth": {"token": {"deep": true}}});
        assert_eq!(
            value(&v),
            json!({"user": "ada", "API_KEY": "[REDACTED]", "nested": [{"openai-api-key": "[REDACTED]", "Password": "[REDACTED]"}],
                   "tokens": 12, "max_tokens": 5, "auth": {"token": "[REDACTED]"}})
        );
    }

    #[test]
    fn non_string_keys_become_strings() {
        let mut m = BTreeMap::new();
        m.insert((1, 2), "pair");
        assert_eq!(value(&m), json!({"[1,2]": "pair"}));
        let mut m = BTreeMap::new();
        m.insert(7u8, "seven");
        assert_eq!(value(&m), json!({"7": "seven"}));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_written_lossily() {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        assert_eq!(
            value(&Bytes(b"ok \xff\xfe end")),
            json!("ok \u{fffd}\u{fffd} end")
        );
    }

    #[test]
    fn deep_nesting_is_cut_without_overflowing_the_stack() {
        enum Deep {
            Leaf,
            Node(Box<Deep>),
        }
        impl Serialize for Deep {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeSeq;
                let mut seq = s.serialize_seq(None)?;
                if let Deep::Node(inner) = self {
                    seq.serialize_element(inner)?;
                }
                seq.end()
            }
        }
        let mut d = Deep::Leaf;
        for _ in 0..10_000 {
            d = Deep::Node(Box::new(d));
        }
        let p = json_with(&d, &Config::default());
        assert!(p.as_str().contains("[depth limit]"));
        assert!(p.as_str().len() < 1000);
        // Dropping `d` recursively is the test's own business: leak it.
        std::mem::forget(d);
    }

    #[test]
    fn control_characters_are_escaped() {
        let p = json_with("a\u{0}b\u{1f}\n\u{7f}", &Config::default());
        assert_eq!(p.as_str(), "\"a\\u0000b\\u001f\\n\\u007f\"");
        assert!(!p.as_str().contains('\n'));
    }

    /// A small deterministic generator for the tests below (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    fn text<T: Serialize + ?Sized>(v: &T) -> String {
        json_with(v, &Config::default()).as_str().to_owned()
    }

    #[test]
    fn floats_are_written_as_their_debug_text() {
        let pinned: &[(f64, &str)] = &[
            (0.2, "0.2"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (-3.5, "-3.5"),
            (1e300, "1e300"),
            (-1.5e300, "-1.5e300"),
            (1e-5, "1e-5"),
            (1.5e-5, "1.5e-5"),
            (1e-4, "0.0001"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e16"),
            (9007199254740993.0, "9007199254740992.0"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.5, "0.5"),
            (2.75, "2.75"),
            (2251799813685248.5, "2251799813685248.5"),
            (123456789012345.6, "123456789012345.6"),
            (1e16f64.next_down(), "9999999999999998.0"),
            (1e-4f64.next_down(), "9.999999999999999e-5"),
            // Two shortest texts equally close: the larger one.
            (f64::from_bits(0x42bb_9264_a8d7_1050), "30315567961872.313"),
            (f64::from_bits(0xc2e4_d530_9506_ea34), "-183247005300561.63"),
        ];
        for (v, want) in pinned {
            assert_eq!(text(v), *want, "{v:?}");
        }
        let pinned32: &[(f32, &str)] = &[
            (0.2, "0.2"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (16777216.0, "16777216.0"),
            (1e-5, "1e-5"),
            (1e16, "1e16"),
            (f32::MAX, "3.4028235e38"),
            (1e16f32.next_down(), "9999999000000000.0"),
            (f32::from_bits(0x3980_0000), "0.00024414063"),
        ];
        for (v, want) in pinned32 {
            assert_eq!(text(v), *want, "{v:?}");
        }
        // Every float is its `Debug` text (or `null`): random bit patterns, and short decimals
        // of every magnitude, like the values programs log.
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..300_000u32 {
            let bits = rng.next();
            let sign = if bits & 128 == 0 { 1.0 } else { -1.0 };
            let v = match i % 3 {
                0 => f64::from_bits(bits),
                1 => {
                    let scale = 10f64.powi((bits % 40) as i32 - 20);
                    ((bits >> 8) % 100_000) as f64 * scale * sign
                }
                _ => {
                    // Short binary fractions: their exact decimal text is short too.
                    let m = rng.next() % (1 << (bits % 54));
                    m as f64 / 2f64.powi(((bits >> 8) % 80) as i32) * sign
                }
            };
            let want = if v.is_finite() {
                format!("{v:?}")
            } else {
                "null".to_owned()
            };
            assert_eq!(text(&v), want);
            let v32 = if i % 3 == 0 {
                f32::from_bits(bits as u32)
            } else {
                v as f32
            };
            let want = if v32.is_finite() {
                format!("{v32:?}")
            } else {
                "null".to_owned()
            };
            assert_eq!(text(&v32), want);
        }
    }

    #[test]
    fn integers_are_written_as_their_display_text() {
        assert_eq!(text(&[i8::MIN, 0, i8::MAX]), "[-128,0,127]");
        assert_eq!(text(&[i16::MIN, -1, i16::MAX]), "[-32768,-1,32767]");
        assert_eq!(text(&i32::MIN), i32::MIN.to_string());
        assert_eq!(text(&i64::MIN), i64::MIN.to_string());
        assert_eq!(text(&i128::MIN), i128::MIN.to_string());
        assert_eq!(text(&i128::MAX), i128::MAX.to_string());
        assert_eq!(text(&[0u8, u8::MAX]), "[0,255]");
        assert_eq!(text(&u16::MAX), u16::MAX.to_string());
        assert_eq!(text(&u32::MAX), u32::MAX.to_string());
        assert_eq!(text(&u64::MAX), u64::MAX.to_string());
        assert_eq!(text(&u128::MAX), u128::MAX.to_string());
        let mut rng = Rng(7);
        for _ in 0..10_000 {
            let n = rng.next();
            assert_eq!(text(&n), n.to_string());
            assert_eq!(text(&(n as i64)), (n as i64).to_string());
        }
    }

    /// The escaping as first written, byte by byte: the optimised one must agree with it.
    fn reference_escape(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\0'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn escaping_agrees_with_the_reference_for_every_ascii_byte_and_mixed_text() {
        for b in 0..=0x7fu8 {
            let s = format!("ab{}c", b as char);
            let mut out = String::new();
            escape_into(&mut out, &s);
            assert_eq!(out, reference_escape(&s), "byte {b:#x}");
        }
        let samples = [
            "",
            "plain text with no escapes at all, a little longer than thirty-two bytes",
            "\"",
            "\\",
            "é\u{0}ü\n日本語\"\u{7f}\u{80}\u{ff}😀\t\r\u{1b}[0m",
            "ends with an escape\n",
            "\u{1}\u{2}\u{3}",
        ];
        for s in samples {
            let mut out = String::from("kept:");
            escape_into(&mut out, s);
            assert_eq!(out, format!("kept:{}", reference_escape(s)));
        }
        let mut rng = Rng(99);
        let alphabet: Vec<char> = "ab \"\\\n\r\t\u{0}\u{1f}\u{7f}é日😀".chars().collect();
        for _ in 0..2_000 {
            let len = (rng.next() % 40) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            let mut out = String::new();
            escape_into(&mut out, &s);
            assert_eq!(out, reference_escape(&s));
        }
    }

    /// Key matching as first written: `key` is `entry` or ends with `_entry`, ignoring ASCII
    /// case and `-`/`_`.
    fn reference_key_matches(key: &str, entry: &str) -> bool {
        let norm = |c: u8| {
            if c == b'-' {
                b'_'
            } else {
                c.to_ascii_lowercase()
            }
        };
        let eq = |a: &[u8], b: &[u8]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| norm(*x) == norm(*y))
        };
        let (k, e) = (key.as_bytes(), entry.as_bytes());
        if k.len() == e.len() {
            return eq(k, e);
        }
        if k.len() > e.len() {
            let cut = k.len() - e.len();
            return (k[cut - 1] == b'_' || k[cut - 1] == b'-') && eq(&k[cut..], e);
        }
        false
    }

    #[test]
    fn secret_keys_agree_with_the_reference_matching() {
        let default = Config::default();
        let custom = Config {
            redact: ["", "x", "Session-ID", "ünï_cödé", "a_", "_b", "--"]
                .iter()
                .map(|k| (*k).into())
                .collect(),
            ..Config::default()
        };
        // No entry shorter than two bytes: keys are first filtered by their last two.
        let long = Config {
            redact: ["Session-ID", "ünï_cödé", "a_", "_b", "--", "Xy", "é"]
                .iter()
                .map(|k| (*k).into())
                .collect(),
            ..Config::default()
        };
        let none = Config {
            redact: std::iter::empty().collect(),
            ..Config::default()
        };
        let mut keys: Vec<String> = [
            "",
            "_",
            "-",
            "x",
            "X",
            "query",
            "top_k",
            "temperature",
            "tokens",
            "max_tokens",
            "token",
            "TOKEN",
            "Token",
            "my_token",
            "my-token",
            "my token",
            "mytoken",
            "_token",
            "-token",
            "token_",
            "__token",
            "api-key",
            "API_KEY",
            "openai-api-key",
            "apikey",
            "api_keys",
            "pass_word",
            "passwd",
            "set-cookie",
            "SET_COOKIE",
            "cookies",
            "id_token",
            "idtoken",
            "x_id-token",
            "session_id",
            "SESSION-id",
            "my-session_ID",
            "ÜNÏ_CÖDÉ",
            "ünï-cödé",
            "x_ünï_cödé",
            "a_",
            "a-",
            "xa_",
            "x_a_",
            "_b",
            "-b",
            "x__b",
            "--",
            "__",
            "x---",
            "é_token",
            "tokén",
        ]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
        for entry in DEFAULT_REDACTED_KEYS {
            keys.push(entry.to_string());
            keys.push(entry.to_ascii_uppercase());
            keys.push(entry.replace('_', "-"));
            keys.push(format!("x_{entry}"));
            keys.push(format!("x-{entry}"));
            keys.push(format!("x{entry}"));
            keys.push(format!("{entry}x"));
            keys.push(entry[1..].to_owned());
            keys.push(entry[..entry.len() - 1].to_owned());
        }
        for cfg in [&default, &custom, &long, &none] {
            for key in &keys {
                let want = cfg.redact.iter().any(|e| reference_key_matches(key, e));
                assert_eq!(cfg.is_secret(key), want, "{key:?} against {:?}", cfg.redact);
            }
        }
    }

    #[test]
    fn map_keys_are_cut_written_and_checked_as_before() {
        // A key over the string limit is cut like any string; the cut text, with its note, is
        // the key (so it is cut again when written).
        let cfg = Config {
            max_string: 8,
            ..Config::default()
        };
        let mut m = BTreeMap::new();
        m.insert("a_long_key_name", 1);
        m.insert("short", 2);
        m.insert("x\"y", 3);
        assert_eq!(
            json_with(&m, &cfg).as_str(),
            "{\"a_long_k…[truncated: 32 bytes]\":1,\"short\":2,\"x\\\"y\":3}"
        );
        // A key cut to a secret name is checked as cut.
        let mut m = BTreeMap::new();
        m.insert("password_and_more", 1);
        let cfg = Config {
            max_string: 8,
            redact: ["password…[truncated: 17 bytes]".into()]
                .into_iter()
                .collect(),
            ..Config::default()
        };
        assert_eq!(
            json_with(&m, &cfg).as_str(),
            "{\"password…[truncated: 32 bytes]\":\"[REDACTED]\"}"
        );
        // Keys that are not strings, and keys whose `Serialize` fails.
        let mut m = BTreeMap::new();
        m.insert(-7i64, "minus seven");
        m.insert(300, "three hundred");
        assert_eq!(text(&m), r#"{"-7":"minus seven","300":"three hundred"}"#);
        struct Map(Vec<(Failing, u8)>);
        impl Serialize for Map {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in &self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        assert_eq!(
            text(&Map(vec![(Failing, 1)])),
            r#"{"[unserializable: the database handle can't be serialised]":1}"#
        );
        // Unit variants, chars, bools, integers of every size; an integer key over the size
        // limit is cut as it is written.
        #[derive(serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
        enum Role {
            #[serde(rename = "api-key")]
            Key,
            User,
        }
        let m: BTreeMap<Role, u8> = [(Role::Key, 1), (Role::User, 2)].into_iter().collect();
        assert_eq!(text(&m), r#"{"api-key":"[REDACTED]","User":2}"#);
        let m: BTreeMap<char, u8> = [('"', 1), ('t', 2)].into_iter().collect();
        assert_eq!(text(&m), r#"{"\"":1,"t":2}"#);
        let m: BTreeMap<bool, u8> = [(true, 1)].into_iter().collect();
        assert_eq!(text(&m), r#"{"true":1}"#);
        let m: BTreeMap<i128, u8> = [(i128::MIN, 1), (12345, 2)].into_iter().collect();
        assert_eq!(
            text(&m),
            r#"{"-170141183460469231731687303715884105728":1,"12345":2}"#
        );
        let cfg = Config {
            max_string: 2,
            ..Config::default()
        };
        assert_eq!(
            json_with(&m, &cfg).as_str(),
            r#"{"-1…[truncated: 40 bytes]":1,"12…[truncated: 5 bytes]":2}"#
        );
        // A key that writes a string and then fails anyway.
        struct Fickle;
        impl Serialize for Fickle {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str("token")?;
                Err(S::Error::custom("changed its mind"))
            }
        }
        struct FickleMap;
        impl Serialize for FickleMap {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry(&Fickle, &1)?;
                m.serialize_entry("b", &2)?;
                m.end()
            }
        }
        assert_eq!(
            text(&FickleMap),
            r#"{"[unserializable: changed its mind]":1,"b":2}"#
        );
        // A key is captured from depth 0: under a depth limit of 1 the string inside a newtype
        // key is past it, a plain string key is not.
        #[derive(serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
        struct Name(&'static str);
        let mut m = BTreeMap::new();
        m.insert(Name("token"), 1);
        assert_eq!(text(&m), r#"{"token":"[REDACTED]"}"#);
        let cfg = Config {
            max_depth: 1,
            ..Config::default()
        };
        assert_eq!(
            json_with(&m, &cfg).as_str(),
            r#"{"[depth limit]":"[depth limit]"}"#
        );
        let mut m = BTreeMap::new();
        m.insert("token", 1);
        m.insert("n", 2);
        assert_eq!(
            json_with(&m, &cfg).as_str(),
            r#"{"n":"[depth limit]","token":"[REDACTED]"}"#
        );
    }

    #[test]
    fn a_serialize_impl_may_capture_values_itself() {
        struct Nested(u32);
        impl Serialize for Nested {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let inner = if self.0 == 0 {
                    json(&"leaf")
                } else {
                    json(&[Nested(self.0 - 1), Nested(0)])
                };
                s.serialize_str(inner.as_str())
            }
        }
        // What each level writes: its inner capture's JSON text, as a JSON string.
        fn expected(n: u32) -> String {
            let inner = if n == 0 {
                "\"leaf\"".to_owned()
            } else {
                format!("[{},{}]", expected(n - 1), expected(0))
            };
            serde_json::to_string(&inner).unwrap()
        }
        assert_eq!(
            text(&[Nested(2), Nested(0)]),
            format!("[{},{}]", expected(2), expected(0))
        );
    }
}
