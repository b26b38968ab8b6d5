//! Record lines in exactly the shape the journal writes them (`encode`: its keys in its order,
//! no whitespace, names without escapes), read by hand, about three times faster than serde's
//! derived visitor, which matches every key by name and dispatches every value. Payloads are
//! still read by serde_json (as `RawValue`s), so they are checked as they always were.
//!
//! Anything else, even a line that is only slightly off, returns `None` and is read by serde:
//! a line read here gives exactly the [`Line`] serde gives, and a line serde would refuse is
//! never read here. `tests.rs` holds the two side by side on damaged lines.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::line::{by_serde, Entries, Line, Scalar};

/// A line as a [`Line`], or `None` if it is not one JSON object: by hand when it has the
/// journal's own shape ([`line`]), else by serde.
pub(super) fn parse(line: &[u8]) -> Option<Line<'_>> {
    self::line(line).or_else(|| by_serde(line))
}

/// The record line `bytes`, if it has the journal's own shape and is whole.
pub(super) fn line(bytes: &[u8]) -> Option<Line<'_>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut c = Cursor { text, at: 0 };
    c.lit(b"{\"id\":")?;
    let id = c.uint()?;
    c.lit(b",\"parent\":")?;
    let parent = c.uint()?;
    c.lit(b",\"kind\":")?;
    let kind = c.string()?;
    c.lit(b",\"status\":")?;
    let status = c.string()?;
    c.lit(b",\"name\":")?;
    let name = c.string()?;
    c.lit(b",\"number\":")?;
    let number = c.uint()?;
    c.lit(b",\"start_ns\":")?;
    let start_ns = c.int()?;
    c.lit(b",\"end_ns\":")?;
    let end_ns = c.int()?;
    c.lit(b",\"thread\":")?;
    let thread = c.string()?;
    let mut line = Line {
        id,
        parent,
        kind,
        status,
        name,
        number,
        start_ns,
        end_ns,
        thread,
        ..Line::default()
    };
    if c.lit(b",\"input\":").is_some() {
        line.input = c.payload()?;
    }
    if c.lit(b",\"output\":").is_some() {
        line.output = c.payload()?;
    }
    if c.lit(b",\"error\":").is_some() {
        line.error = c.string()?;
    }
    if c.lit(b",\"metadata\":{").is_some() {
        line.metadata = c.entries()?;
    }
    if c.lit(b",\"model\":").is_some() {
        line.model = c.string()?;
    }
    if c.lit(b",\"usage\":").is_some() {
        line.usage = c.payload()?;
    }
    if c.lit(b",\"level\":").is_some() {
        line.level = c.string()?;
        c.lit(b",\"logger\":")?;
        line.logger = c.string()?;
        c.lit(b",\"message\":")?;
        line.message = c.string()?;
    }
    c.lit(b"}")?;
    // What serde allows after the value: whitespace.
    let rest = &text.as_bytes()[c.at..];
    rest.iter()
        .all(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
        .then_some(line)
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.at..]
    }

    /// Steps over `token`, or leaves the cursor where it is. (Compared as an array of known
    /// length: a few integer compares instead of a call to `memcmp`.)
    fn lit<const N: usize>(&mut self, token: &[u8; N]) -> Option<()> {
        (self.rest().first_chunk::<N>() == Some(token)).then(|| {
            self.at += N;
        })
    }

    /// A string without escapes or control characters (anything else: `None`).
    fn string(&mut self) -> Option<Scalar<'a>> {
        self.lit(b"\"")?;
        let len = self
            .rest()
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.rest()[len] != b'"' {
            return None;
        }
        let s = &self.text[self.at..self.at + len];
        self.at += len + 1;
        Some(Scalar::Str(Cow::Borrowed(s)))
    }

    /// Digits as serde_json reads an integer: no leading zero, within `u64`, and not the start
    /// of a float.
    fn digits(&mut self) -> Option<u64> {
        let rest = self.rest();
        let len = rest.iter().position(|b| !b.is_ascii_digit())?;
        if len == 0 || (rest[0] == b'0' && len > 1) || matches!(rest[len], b'.' | b'e' | b'E') {
            return None;
        }
        let mut n = 0u64;
        for &d in &rest[..len] {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        self.at += len;
        Some(n)
    }

    fn uint(&mut self) -> Option<Scalar<'a>> {
        self.digits().map(Scalar::U64)
    }

    /// An integer; negative ones as serde_json reads them (`-0` is a float there: not here).
    fn int(&mut self) -> Option<Scalar<'a>> {
        if self.lit(b"-").is_none() {
            return self.uint();
        }
        let n = self.digits()?;
        if n == 0 || n > 1 << 63 {
            return None;
        }
        Some(Scalar::I64((n as i64).wrapping_neg()))
    }

    /// Any JSON value, as serde_json checks it and keeps its text.
    fn raw(&mut self) -> Option<&'a RawValue> {
        let rest = &self.text[self.at..];
        let mut de = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut de).ok()?;
        // Whitespace before the value is not the journal's shape.
        if raw.get().as_ptr() != rest.as_ptr() {
            return None;
        }
        self.at += raw.get().len();
        Some(raw)
    }

    /// An optional payload: `null` is none, as serde reads an `Option`.
    fn payload(&mut self) -> Option<Option<&'a RawValue>> {
        let raw = self.raw()?;
        Some((raw.get() != "null").then_some(raw))
    }

    /// The entries of a `metadata` object, after its `{`.
    fn entries(&mut self) -> Option<Entries<'a>> {
        let mut entries = Vec::new();
        if self.lit(b"}").is_some() {
            return Some(Entries(entries));
        }
        loop {
            let Scalar::Str(key) = self.string()? else {
                return None;
            };
            self.lit(b":")?;
            entries.push((key, self.raw()?));
            if self.lit(b"}").is_some() {
                return Some(Entries(entries));
            }
            self.lit(b",")?;
        }
    }
}
