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
    let mut out = Line::default();
    parse_into(line, &mut out).then_some(out)
}

/// [`parse`] into `out`, a [`Line::default()`] (a line is a few hundred bytes: filled where it
/// is, not moved): `false` if the line is not one JSON object.
pub(super) fn parse_into<'a>(bytes: &'a [u8], out: &mut Line<'a>) -> bool {
    if fill(bytes, out).is_some() {
        return true;
    }
    match by_serde(bytes) {
        Some(line) => {
            *out = line;
            true
        }
        None => false,
    }
}

/// The record line `bytes`, if it has the journal's own shape and is whole.
#[cfg(test)]
pub(super) fn line(bytes: &[u8]) -> Option<Line<'_>> {
    let mut out = Line::default();
    fill(bytes, &mut out).map(|()| out)
}

/// [`line`] into `line`, a [`Line::default()`]; on `None` some of its fields may be set.
fn fill<'a>(bytes: &'a [u8], line: &mut Line<'a>) -> Option<()> {
    // Only strings and payloads may hold other than ASCII: each is checked to be UTF-8 as it
    // is read, so the rest of the line needs no check of its own.
    let mut c = Cursor { bytes, at: 0 };
    c.lit(b"{\"id\":")?;
    line.id = c.uint()?;
    c.lit(b",\"parent\":")?;
    line.parent = c.uint()?;
    c.lit(b",\"kind\":")?;
    line.kind = c.string()?;
    c.lit(b",\"status\":")?;
    line.status = c.string()?;
    c.lit(b",\"name\":")?;
    line.name = c.string()?;
    c.lit(b",\"number\":")?;
    line.number = c.uint()?;
    c.lit(b",\"start_ns\":")?;
    line.start_ns = c.int()?;
    c.lit(b",\"end_ns\":")?;
    line.end_ns = c.int()?;
    c.lit(b",\"thread\":")?;
    line.thread = c.string()?;
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
    c.rest()
        .iter()
        .all(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
        .then_some(())
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.at..).unwrap_or_default()
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
        let rest = self.rest();
        let len = plain_ascii(rest)?;
        let s = match rest[len] {
            // SAFETY: every byte before `len` is ASCII (`plain_ascii` stops at any other), so
            // they are UTF-8.
            b'"' => unsafe { std::str::from_utf8_unchecked(&rest[..len]) },
            0x80.. => {
                let len = rest
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
                if rest[len] != b'"' {
                    return None;
                }
                std::str::from_utf8(&rest[..len]).ok()?
            }
            _ => return None,
        };
        self.at += s.len() + 1;
        Some(Scalar::Str(Cow::Borrowed(s)))
    }

    /// Digits as serde_json reads an integer: no leading zero, within `u64`, and not the start
    /// of a float.
    fn digits(&mut self) -> Option<u64> {
        let rest = self.rest();
        let mut n = 0u64;
        let mut len = 0;
        // Nineteen digits always fit in a `u64`; a twentieth may not.
        while let Some(d) = rest
            .get(len)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d < 10)
        {
            n = if len < 19 {
                n * 10 + u64::from(d)
            } else {
                n.checked_mul(10)?.checked_add(u64::from(d))?
            };
            len += 1;
        }
        let after = *rest.get(len)?;
        if len == 0 || (rest[0] == b'0' && len > 1) || matches!(after, b'.' | b'e' | b'E') {
            return None;
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
        let rest = self.rest();
        let mut de = serde_json::Deserializer::from_slice(rest);
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

/// Where the first byte that ends a plain ASCII string is (a `"`, a `\\`, a control character
/// or a byte above ASCII), eight bytes at a time: the classic test for a zero byte in a word,
/// which flags the first such byte exactly (bytes above it may be flagged wrongly: they don't
/// count).
fn plain_ascii(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_le_bytes([b'\\'; 8]);
    const SPACES: u64 = u64::from_le_bytes([0x20; 8]);
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // Below 0x20: the same test against 0x20 instead of 1 in each byte; above ASCII: the
        // high bit itself.
        let below = w.wrapping_sub(SPACES) & !w & HIGHS;
        let found = zero(w ^ QUOTES) | zero(w ^ BACKSLASHES) | below | (w & HIGHS);
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words.remainder();
    let end = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b));
    end.map(|i| at + i)
}
