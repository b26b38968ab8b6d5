//! Well-known secret values, found wherever a string is captured: OpenAI and Anthropic keys
//! (`sk-…`), `Bearer …` tokens, AWS access key ids (`AKIA…`), GitHub tokens (`ghp_…`, `gho_…`,
//! `ghu_…`, `ghs_…`, `ghr_…`, `github_pat_…`), Slack tokens (`xoxb-…` and kin) and JWTs.
//!
//! Each has a byte that prose rarely holds (`-`, `_`, `B`, `K`, `J`); the text is scanned for
//! those 8 bytes at a time, and only around one of them is a secret looked for.

use std::borrow::Cow;

/// What a secret value is replaced with.
pub(crate) const REDACTED_VALUE: &str = "[REDACTED]";

/// `text` with every well-known secret in it replaced by `[REDACTED]` (borrowed if none).
pub(crate) fn redact_values(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // Where the text not yet copied to `out` begins (nothing before it is looked at again).
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let (mut mask, width) = if at + 8 <= bytes.len() {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            (triggers(u64::from_le_bytes(word)), 8)
        } else {
            let tail = &bytes[at..];
            let mask = tail
                .iter()
                .enumerate()
                .filter(|(_, b)| is_trigger(**b))
                .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
            (mask, tail.len())
        };
        // One candidate byte at a time (the mask may name a few that are not triggers).
        while mask != 0 {
            let p = at + (mask.trailing_zeros() / 8) as usize;
            mask &= mask - 1;
            if p < copied || !is_trigger(bytes[p]) {
                continue;
            }
            if let Some((start, end)) = secret_at(bytes, p).filter(|(s, _)| *s >= copied) {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                // `start` and `end` are at ASCII bytes: char boundaries.
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED_VALUE);
                copied = end;
            }
        }
        at = (at + width).max(copied);
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// [`redact_values`] of as much of `text` as a cut at `keep` bytes needs: the redacted text
/// of a prefix of `text` (all of it when it is short) that is more than `keep` bytes long, so
/// that its first `keep` bytes are those of `redact_values(text)`, without reading the rest.
/// A string far over the size limit then costs what is kept, not its size.
///
/// The prefix ends where no secret can straddle (see [`splits`]), and the redacted text of a
/// text split there is the redacted texts of its two parts, one after the other: a secret is
/// a run of [`is_run_byte`]s after a prefix of them (or after `Bearer `), and what is looked at
/// around it (the byte before, for a word start; the byte after, for its end) is read the
/// same in the part that holds it.
pub(crate) fn redact_values_head(text: &str, keep: usize) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut from = 0;
    loop {
        let kept = out.as_ref().map_or(from, String::len);
        // Replacing a secret changes the length by a few bytes at most: ask for the rest
        // and a margin, and go on if that was not enough.
        let want = from + keep.saturating_sub(kept) + 64;
        let end = (want.min(bytes.len())..bytes.len())
            .find(|&q| splits(bytes, q) && text.is_char_boundary(q))
            .unwrap_or(bytes.len());
        let part = redact_values(&text[from..end]);
        match (&mut out, part) {
            // Nothing redacted so far: the prefix as it is.
            (None, Cow::Borrowed(_)) => {}
            (None, Cow::Owned(part)) => {
                let mut whole = String::with_capacity(end + keep);
                whole.push_str(&text[..from]);
                whole.push_str(&part);
                out = Some(whole);
            }
            (Some(whole), part) => whole.push_str(&part),
        }
        from = end;
        let kept = out.as_ref().map_or(from, String::len);
        if kept > keep || end == bytes.len() {
            return match out {
                None => Cow::Borrowed(&text[..end]),
                Some(whole) => Cow::Owned(whole),
            };
        }
    }
}

/// Whether `text` may be split before byte `q` for [`redact_values`]: a byte no secret holds
/// (not a run byte, and not the space of `Bearer `).
fn splits(text: &[u8], q: usize) -> bool {
    let c = text[q];
    let bearer_space = c == b' ' && text[..q].ends_with(b"Bearer");
    !(is_run_byte(c) || bearer_space)
}

/// The bytes a secret's runs are made of: token bytes, and the `.~+/=` of a `Bearer` token
/// and the dots of a JWT.
fn is_run_byte(c: u8) -> bool {
    is_token_byte(c) || matches!(c, b'.' | b'~' | b'+' | b'/' | b'=')
}

fn is_trigger(b: u8) -> bool {
    matches!(b, b'-' | b'_' | b'B' | b'K' | b'J')
}

/// The high bit of each byte of `x` that is a trigger (and maybe of a few bytes above one:
/// they are checked).
fn triggers(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    // `J` (0x4a) and `K` (0x4b) in one: with the low bit set, both are 0x4b.
    (zero(x ^ (ONES * u64::from(b'-')))
        | zero(x ^ (ONES * u64::from(b'_')))
        | zero(x ^ (ONES * u64::from(b'B')))
        | zero((x | ONES) ^ (ONES * u64::from(b'K'))))
        & HIGH
}

/// The span of a secret found by the trigger byte at `p`, if there is one.
fn secret_at(b: &[u8], p: usize) -> Option<(usize, usize)> {
    let starts = |start: usize, prefix: &[u8]| b.get(start..start + prefix.len()) == Some(prefix);
    let word_start = |start: usize| start == 0 || !is_token_byte(b[start - 1]);
    match b[p] {
        b'-' => {
            // `sk-…` (OpenAI, `sk-proj-…`, Anthropic `sk-ant-…`): long runs only.
            if p >= 2 && starts(p - 2, b"sk") && word_start(p - 2) {
                return run(b, p - 2, 24, is_token_byte);
            }
            // Slack: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`.
            if p >= 4 && starts(p - 4, b"xox") && word_start(p - 4) {
                return run(b, p - 4, 15, is_token_byte);
            }
            None
        }
        b'_' => {
            if p >= 3 && starts(p - 3, b"gh") && b"pousr".contains(&b[p - 1]) && word_start(p - 3) {
                return run(b, p - 3, 30, is_token_byte);
            }
            if p >= 10 && starts(p - 10, b"github_pat") && word_start(p - 10) {
                return run(b, p - 10, 40, is_token_byte);
            }
            None
        }
        b'K' => {
            // AWS access key id: `AKIA` and 16 more upper-case letters or digits.
            if p >= 1 && starts(p - 1, b"AKIA") && word_start(p - 1) {
                let (start, end) = run(b, p - 1, 20, |c| {
                    c.is_ascii_uppercase() || c.is_ascii_digit()
                })?;
                return (end - start == 20).then_some((start, end));
            }
            None
        }
        b'B' => {
            // `Bearer <token>`: the token goes, the word stays.
            if starts(p, b"Bearer ") && word_start(p) {
                return run(b, p + 7, 8, |c| {
                    is_token_byte(c) || matches!(c, b'.' | b'~' | b'+' | b'/' | b'=')
                });
            }
            None
        }
        b'J' => {
            // A JWT: `eyJ…` (base64url of `{"`), three dot-separated parts.
            if p >= 2 && starts(p - 2, b"ey") && word_start(p - 2) {
                let (start, first) = run(b, p - 2, 10, is_token_byte)?;
                if b.get(first) != Some(&b'.') {
                    return None;
                }
                let (_, second) = run(b, first + 1, 2, is_token_byte)?;
                if b.get(second) != Some(&b'.') {
                    return None;
                }
                let (_, third) = run(b, second + 1, 2, is_token_byte)?;
                return Some((start, third));
            }
            None
        }
        _ => None,
    }
}

/// Letters, digits, `-` and `_`: the bytes of API keys and base64url.
fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// The run of bytes `ok` accepts from `start`, if it has `min` of them or more.
fn run(b: &[u8], start: usize, min: usize, ok: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
    let len = b.get(start..)?.iter().take_while(|c| ok(**c)).count();
    (len >= min).then_some((start, start + len))
}

#[cfg(test)]
mod tests {
    use super::redact_values as r;
    use super::redact_values_head;

    #[test]
    fn the_head_is_redacted_as_the_whole_text_is() {
        let long_key = format!("sk-{}", "a1".repeat(200));
        let long_jwt = format!(
            "eyJ{}.eyJ{}.{}",
            "h".repeat(150),
            "p".repeat(150),
            "s".repeat(60)
        );
        let pieces = [
            "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
            long_key.as_str(),
            "Bearer abc.def/ghi+jkl=",
            "Bearer",
            "Bearer ",
            " ",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            long_jwt.as_str(),
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "xoxb-123456789012-abcdefghij",
            "prose",
            ",",
            "\n",
            ".",
            "-",
            "_",
            "/",
            "é",
            "日本",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let n = next() % 40;
            let text: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let whole = r(&text);
            for keep in [0, 1, 9, 10, 11, 63, 64, 65, 100, 300, 1000] {
                let head = redact_values_head(&text, keep);
                assert!(whole.starts_with(&*head), "{text:?} at {keep}: {head:?}");
                assert!(head.len() > keep || head == whole, "{text:?} at {keep}");
            }
        }
    }

    #[test]
    fn well_known_secrets_are_found_and_prose_is_left_alone() {
        let cases = [
            (
                "key sk-proj-abcdefghijklmnopqrstuvwxyz012345 here",
                "key [REDACTED] here",
            ),
            ("sk-ant-api03-abcdefghijklmnopqrstuvwx", "[REDACTED]"),
            (
                "Authorization: Bearer abc.def-ghi_jkl",
                "Authorization: Bearer [REDACTED]",
            ),
            ("id AKIAIOSFODNN7EXAMPLE.", "id [REDACTED]."),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "[REDACTED]",
            ),
            ("xoxb-123456789012-abcdefghij", "[REDACTED]"),
            (
                "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl;",
                "t=[REDACTED];",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(r(text), want, "{text}");
        }
        for prose in [
            "a well-known task-list, risk-free",
            "snake_case and sk-short",
            "Bearer of bad news",
            "AKIA is not enough",
            "KJB-_",
            "ask-me-anything-please-and-thanks-a-lot",
            "",
        ] {
            assert!(matches!(r(prose), std::borrow::Cow::Borrowed(_)), "{prose}");
        }
    }
}
