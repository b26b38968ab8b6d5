//! JSON string escaping: 32 bytes at a time where `scan.rs` runs, else a word at a time; and
//! the same pass with well-known secret values redacted on the way.

use super::scan;
use super::secrets::{redact_values, secret_from, REDACTED_VALUE};

/// JSON string escaping: `"`, `\` and control characters (and DEL, as `\u007f`).
///
/// Runs that need no escaping, the bulk of any text, are found a block at a time and copied
/// whole.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    let scanned = scan::each_flagged(bytes, &scan::ESCAPES, |p| {
        out.push_str(&s[copied..p]);
        push_escaped(out, bytes[p]);
        copied = p + 1;
        p + 1
    });
    if scanned {
        out.push_str(&s[copied..]);
    } else {
        escape_words(out, s);
    }
}

/// [`escape_into`] of `s` with its well-known secret values redacted (as
/// [`redact_values`] does), in one pass where `scan.rs` runs.
pub(crate) fn escape_redacted_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    let scanned = scan::each_flagged(bytes, &scan::ESCAPES_AND_SECRETS, |p| {
        let b = bytes[p];
        if ESCAPE[usize::from(b)] != 0 {
            out.push_str(&s[copied..p]);
            push_escaped(out, b);
            copied = p + 1;
            return p + 1;
        }
        // The third byte of what may be a secret (no escaped byte is one).
        match secret_from(bytes, p - 2).filter(|(start, _)| *start >= copied) {
            Some((start, end)) => {
                // Both are at ASCII bytes: char boundaries.
                out.push_str(&s[copied..start]);
                out.push_str(REDACTED_VALUE);
                copied = end;
                end
            }
            None => p + 1,
        }
    });
    if scanned {
        out.push_str(&s[copied..]);
    } else {
        escape_words(out, &redact_values(s));
    }
}

/// The escaped text of one byte that needs it.
fn push_escaped(out: &mut String, b: u8) {
    // `b` is ASCII (see `ESCAPE`).
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
}

/// [`escape_into`] a word (8 bytes) at a time.
pub(super) fn escape_words(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let end = start + clean_run(&bytes[start..]);
        out.push_str(&s[start..end]);
        let Some(&b) = bytes.get(end) else { return };
        // `b` is ASCII (see `ESCAPE`), so `end + 1` is a char boundary.
        push_escaped(out, b);
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
pub(crate) fn clean_run(bytes: &[u8]) -> usize {
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
