//! Well-known secret values, found wherever a string is captured: OpenAI and Anthropic keys
//! (`sk-…`), `Bearer …` tokens, AWS access key ids (`AKIA…`), GitHub tokens (`ghp_…`, `gho_…`,
//! `ghu_…`, `ghs_…`, `ghr_…`, `github_pat_…`), Slack tokens (`xoxb-…` and kin) and JWTs.
//!
//! Where to look: on x86-64 with AVX2, `scan.rs` flags the places whose three bytes start one
//! (`sk-`, `eyJ`, `xox`, `AKI`, `Bea`, `gh?`, `git`), 32 bytes at a time, also inside the
//! escaping pass (`escape.rs`). Elsewhere each has a byte that prose rarely holds (`-`, `_`,
//! `B`, `K`, `J`); the text is scanned for those 8 bytes at a time. Whether a place holds one
//! is decided by the same rules either way ([`secret_from`]), and the secrets come out the
//! same: each starts where a word starts and ends where its run of bytes does, so no two
//! overlap and the order they are found in does not matter.

use std::borrow::Cow;

use super::scan;

/// What a secret value is replaced with.
pub(crate) const REDACTED_VALUE: &str = "[REDACTED]";

/// The length of the shortest text that holds a secret: a Slack token (`xoxb-` and 10 more
/// bytes, see [`span`]) or a `Bearer ` and 8 bytes of token. JWTs need 16 bytes, AWS key ids
/// 20, OpenAI keys 24, GitHub tokens 30 (`github_pat_` 40). Shorter texts (agent names, most
/// short values) are left as they are without a scan.
const SHORTEST_SECRET: usize = 15;

/// `text` with every well-known secret in it replaced by `[REDACTED]` (borrowed if none).
pub(crate) fn redact_values(text: &str) -> Cow<'_, str> {
    if text.len() < SHORTEST_SECRET {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Redacted::new(text);
    let scanned = scan::each_flagged(bytes, &scan::SECRETS, |p| {
        // `p` is the third byte of what may be a secret.
        match secret_from(bytes, p - 2).filter(|(s, _)| *s >= out.copied) {
            Some((start, end)) => {
                out.redact(start, end);
                end
            }
            None => p + 1,
        }
    });
    if scanned {
        out.finish()
    } else {
        redact_values_by_words(text)
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

/// [`redact_values`] by the word-at-a-time scan for trigger bytes.
pub(super) fn redact_values_by_words(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = Redacted::new(text);
    each_trigger(bytes, |p| {
        if p < out.copied {
            return;
        }
        if let Some((start, end)) = secret_at(bytes, p).filter(|(s, _)| *s >= out.copied) {
            out.redact(start, end);
        }
    });
    out.finish()
}

/// A text with secrets replaced, made as they are found (in order).
struct Redacted<'t> {
    text: &'t str,
    out: Option<String>,
    /// Where the text not yet copied to `out` begins.
    copied: usize,
}

impl<'t> Redacted<'t> {
    fn new(text: &'t str) -> Self {
        Redacted {
            text,
            out: None,
            copied: 0,
        }
    }

    fn redact(&mut self, start: usize, end: usize) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.text.len()));
        // `start` and `end` are at ASCII bytes: char boundaries.
        out.push_str(&self.text[self.copied..start]);
        out.push_str(REDACTED_VALUE);
        self.copied = end;
    }

    fn finish(self) -> Cow<'t, str> {
        match self.out {
            None => Cow::Borrowed(self.text),
            Some(mut out) => {
                out.push_str(&self.text[self.copied..]);
                Cow::Owned(out)
            }
        }
    }
}

/// The kinds of secret, by what they start with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `sk-` (OpenAI, `sk-proj-…`, Anthropic `sk-ant-…`).
    OpenAi,
    /// `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`: `xox`, a byte, `-`.
    Slack,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`.
    GitHub,
    /// `github_pat_`.
    GitHubPat,
    /// `AKIA`.
    Aws,
    /// `Bearer `: the token after it goes, the word stays.
    Bearer,
    /// `eyJ` (base64url of `{"`): a JWT.
    Jwt,
}

impl Kind {
    /// The kind whose prefix is at `s` (the whole prefix, up to the byte that the
    /// word-at-a-time scan finds it by).
    fn at(b: &[u8], s: usize) -> Option<Kind> {
        let rest = b.get(s..)?;
        let kind = match *rest.first()? {
            b's' if rest.starts_with(b"sk-") => Kind::OpenAi,
            b'x' if rest.starts_with(b"xox") && rest.get(4) == Some(&b'-') => Kind::Slack,
            b'g' if rest.starts_with(b"github_pat_") => Kind::GitHubPat,
            b'g' if rest.starts_with(b"gh")
                && rest.get(2).is_some_and(|c| b"pousr".contains(c))
                && rest.get(3) == Some(&b'_') =>
            {
                Kind::GitHub
            }
            b'A' if rest.starts_with(b"AKIA") => Kind::Aws,
            b'B' if rest.starts_with(b"Bearer ") => Kind::Bearer,
            b'e' if rest.starts_with(b"eyJ") => Kind::Jwt,
            _ => return None,
        };
        Some(kind)
    }

    /// Where in the prefix the byte is that the word-at-a-time scan finds it by.
    fn trigger(self) -> usize {
        match self {
            Kind::OpenAi | Kind::Jwt => 2,
            Kind::Slack => 4,
            Kind::GitHub => 3,
            Kind::GitHubPat => 10,
            Kind::Aws => 1,
            Kind::Bearer => 0,
        }
    }
}

/// The span of the secret that starts at `s`, if one does (for `Bearer `, of its token).
pub(super) fn secret_from(b: &[u8], s: usize) -> Option<(usize, usize)> {
    span(b, s, Kind::at(b, s)?)
}

/// The span of a secret of `kind` whose prefix is at `s`: it starts a word and its run of
/// bytes is long enough.
fn span(b: &[u8], s: usize, kind: Kind) -> Option<(usize, usize)> {
    if s > 0 && is_token_byte(b[s - 1]) {
        return None;
    }
    match kind {
        Kind::OpenAi => run(b, s, 24, is_token_byte),
        Kind::Slack => run(b, s, 15, is_token_byte),
        Kind::GitHub => run(b, s, 30, is_token_byte),
        Kind::GitHubPat => run(b, s, 40, is_token_byte),
        Kind::Aws => {
            // `AKIA` and 16 more upper-case letters or digits.
            let (start, end) = run(b, s, 20, |c| c.is_ascii_uppercase() || c.is_ascii_digit())?;
            (end - start == 20).then_some((start, end))
        }
        Kind::Bearer => run(b, s + 7, 8, |c| {
            is_token_byte(c) || matches!(c, b'.' | b'~' | b'+' | b'/' | b'=')
        }),
        Kind::Jwt => {
            // Three dot-separated parts.
            let (start, first) = run(b, s, 10, is_token_byte)?;
            if b.get(first) != Some(&b'.') {
                return None;
            }
            let (_, second) = run(b, first + 1, 2, is_token_byte)?;
            if b.get(second) != Some(&b'.') {
                return None;
            }
            let (_, third) = run(b, second + 1, 2, is_token_byte)?;
            Some((start, third))
        }
    }
}

/// Calls `found(p)` for each byte at `p` that could be a secret's trigger, in order, 8 bytes at
/// a time (a few more bytes may be named than are triggers: they are checked).
fn each_trigger(bytes: &[u8], mut found: impl FnMut(usize)) {
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
        while mask != 0 {
            let p = at + (mask.trailing_zeros() / 8) as usize;
            mask &= mask - 1;
            if is_trigger(bytes[p]) {
                found(p);
            }
        }
        at += width;
    }
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

/// The span of a secret found by the trigger byte at `p`, if there is one: a kind whose
/// prefix has its trigger there.
fn secret_at(b: &[u8], p: usize) -> Option<(usize, usize)> {
    let offsets: &[usize] = match b[p] {
        b'-' => &[2, 4],
        b'_' => &[3, 10],
        b'K' => &[1],
        b'B' => &[0],
        b'J' => &[2],
        _ => &[],
    };
    offsets.iter().find_map(|&off| {
        let s = p.checked_sub(off)?;
        let kind = Kind::at(b, s).filter(|k| k.trigger() == off)?;
        span(b, s, kind)
    })
}

/// Letters, digits, `-` and `_`: the bytes of API keys and base64url.
pub(super) fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// The run of bytes `ok` accepts from `start`, if it has `min` of them or more.
fn run(b: &[u8], start: usize, min: usize, ok: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
    let len = b.get(start..)?.iter().take_while(|c| ok(**c)).count();
    (len >= min).then_some((start, start + len))
}

#[cfg(test)]
mod tests;
