use std::borrow::Cow;

use super::super::escape::{escape_into, escape_redacted_into, escape_words};
use super::super::tests::{reference_escape, Rng};
use super::super::{json_with, write_cut_str, Config};
use super::{
    redact_values, redact_values_by_words, redact_values_head, REDACTED_VALUE, SHORTEST_SECRET,
};

#[test]
fn well_known_secrets_are_found_and_prose_is_left_alone() {
    for r in [redact_values, redact_values_by_words] {
        well_known_secrets_and_prose(r);
    }
}

fn well_known_secrets_and_prose(r: fn(&str) -> Cow<'_, str>) {
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
        assert!(matches!(r(prose), Cow::Borrowed(_)), "{prose}");
    }
}

/// Every way to redact (the scan 32 bytes at a time where it runs, word at a time, in the
/// escaping pass, through a capture) gives what the reference gives for `text`.
fn agrees_with_the_reference(text: &str) {
    let want = reference::redact_values(text);
    assert_eq!(redact_values(text), want, "{text:?}");
    assert_eq!(redact_values_by_words(text), want, "{text:?}");
    let mut out = String::from("kept:");
    escape_redacted_into(&mut out, text);
    assert_eq!(out, format!("kept:{}", reference_escape(&want)), "{text:?}");
    let mut out = String::new();
    escape_into(&mut out, text);
    assert_eq!(out, reference_escape(text), "{text:?}");
    let mut out = String::new();
    escape_words(&mut out, text);
    assert_eq!(out, reference_escape(text), "{text:?}");
    let captured = json_with(text, &Config::default());
    assert_eq!(
        captured.as_str(),
        format!("\"{}\"", reference_escape(&want)),
        "{text:?}"
    );
}

const KEY: &str = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";

#[test]
fn a_secret_is_found_at_every_place_in_a_text_of_any_length() {
    // Around the block edges of the scan: a secret at every offset, in texts of every length
    // up to a few blocks, among prose, escaped bytes and non-ASCII text.
    let fillers = [
        "the re-ranked top_k list. ",
        "\"quoted\"\n\ttab\\ \u{7f}\u{1}",
        "é日本語😀 ünï ",
    ];
    for filler in fillers {
        let pad = filler.repeat(8);
        for before in 0..72 {
            let Some(head) = pad.get(..before) else {
                continue;
            };
            agrees_with_the_reference(&format!("{head} {KEY}"));
            for secret in [
                KEY,
                "Bearer abc.def/ghi",
                "AKIAIOSFODNN7EXAMPLE",
                "xoxb-123456789012-ab",
            ] {
                for after in [0, 2, 33] {
                    let Some(tail) = pad.get(..after) else {
                        continue;
                    };
                    agrees_with_the_reference(&format!("{head}{secret}{tail}"));
                }
            }
        }
    }
}

#[test]
fn a_prefix_at_the_end_of_a_text_is_no_secret_and_a_whole_one_there_is() {
    let prose = "a sentence long enough for the scan of thirty-two bytes and more: ";
    for end in [
        "sk-",
        "sk",
        "eyJ",
        "Bearer ",
        "Bearer",
        "AKIA",
        "ghp_",
        "github_pat_",
        "xoxb-",
    ] {
        let text = format!("{prose}{end}");
        assert_eq!(redact_values(&text), text);
        agrees_with_the_reference(&text);
    }
    let text = format!("{prose}{KEY}");
    assert_eq!(redact_values(&text), format!("{prose}[REDACTED]"));
    agrees_with_the_reference(&text);
    let text = format!("{prose}Bearer abcdefgh");
    assert_eq!(redact_values(&text), format!("{prose}Bearer [REDACTED]"));
    agrees_with_the_reference(&text);
}

#[test]
fn a_prefix_split_by_an_escaped_byte_is_no_secret() {
    let tail = "abcdefghijklmnopqrstuvwxyz0123456789";
    for text in [
        format!("key: s\nk-{tail}"),
        format!("key: sk\t-{tail}"),
        format!("auth: Bear\"er {tail}"),
        format!("auth: Bearer\n{tail}"),
        format!("jwt: e\\yJ{tail}.ab.cd and more text"),
        format!("id: AK\u{7f}IA{}", "IOSFODNN7EXAMPLE"),
    ] {
        assert!(!redact_values(&text).contains("[REDACTED]"), "{text:?}");
        agrees_with_the_reference(&text);
    }
    // An escaped byte just before or after one is no part of it: it is found, and the byte
    // is escaped.
    let text = format!("\"{KEY}\"\n\"Bearer {tail}\"");
    let mut out = String::new();
    escape_redacted_into(&mut out, &text);
    assert_eq!(out, "\\\"[REDACTED]\\\"\\n\\\"Bearer [REDACTED]\\\"");
    agrees_with_the_reference(&text);
}

#[test]
fn non_ascii_text_around_a_secret_leaves_it_found_and_itself_intact() {
    for (text, want) in [
        (format!("é{KEY}é"), "é[REDACTED]é"),
        (
            format!("日本語の鍵は {KEY} です。😀"),
            "日本語の鍵は [REDACTED] です。😀",
        ),
        (format!("😀{KEY}"), "😀[REDACTED]"),
        (
            "ключ: Bearer abc.def_ghi, ещё".to_owned(),
            "ключ: Bearer [REDACTED], ещё",
        ),
    ] {
        assert_eq!(redact_values(&text), want);
        agrees_with_the_reference(&text);
    }
    // A byte of a multi-byte character is never taken for part of a prefix.
    let text = format!("{}sk-{}", "é".repeat(20), "ü".repeat(30));
    assert_eq!(redact_values(&text), text);
    agrees_with_the_reference(&text);
}

#[test]
fn random_texts_of_prefixes_and_bytes_around_them_agree_with_the_reference() {
    let pieces = [
        "sk-",
        "sk-proj-",
        "xox",
        "xoxb-",
        "ghp_",
        "gho_",
        "github_pat_",
        "AKIA",
        "Bearer ",
        "eyJ",
        "eyJhbGciOiJIUzI1NiJ9",
        ".",
        "-",
        "_",
        " ",
        "a",
        "Z",
        "0",
        "abcdefghij",
        "ABCDEFGHIJKLMNOP",
        "0123456789",
        "\"",
        "\\",
        "\n",
        "\u{1}",
        "\u{7f}",
        "é",
        "日",
        "😀",
        "/",
        "=",
        "~",
        "+",
        "k",
        "s",
        "x",
        "o",
        "g",
        "h",
        "i",
        "t",
        "B",
        "e",
        "y",
        "J",
        "K",
        "I",
        "A",
        "p",
        "u",
        "r",
    ];
    let mut rng = Rng(7);
    for _ in 0..2_000 {
        let n = (rng.next() % 48) as usize;
        let text: String = (0..n)
            .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
            .collect();
        agrees_with_the_reference(&text);
    }
}

#[test]
fn the_string_limit_cuts_the_redacted_text_on_either_side_of_the_one_pass_bound() {
    // Redaction can make a text longer (`Bearer ` and a token of 8 bytes: 2 bytes more): the
    // limit is on the text as redacted, whether it is written in one pass or not.
    let text = format!("a Bearer abcdefgh, then Bearer abcdefgh and {KEY} é and more");
    let want = reference::redact_values(&text);
    for max in 0..text.len() + 20 {
        let cfg = Config {
            max_string: max,
            ..Config::default()
        };
        // Cut as redacted; the note gives the text's own length.
        let mut expected = String::new();
        write_cut_str(&mut expected, &want, max, text.len());
        assert_eq!(json_with(&text, &cfg).as_str(), expected, "limit {max}");
    }
}

/// The scan as first written (a word at a time, from each trigger byte): what every path must
/// still give.
mod reference {
    use std::borrow::Cow;

    use super::super::REDACTED_VALUE;

    pub(super) fn redact_values(text: &str) -> Cow<'_, str> {
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
        let starts =
            |start: usize, prefix: &[u8]| b.get(start..start + prefix.len()) == Some(prefix);
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
                if p >= 3
                    && starts(p - 3, b"gh")
                    && b"pousr".contains(&b[p - 1])
                    && word_start(p - 3)
                {
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
}

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
        let whole = redact_values(&text);
        for keep in [0, 1, 9, 10, 11, 63, 64, 65, 100, 300, 1000] {
            let head = redact_values_head(&text, keep);
            assert!(whole.starts_with(&*head), "{text:?} at {keep}: {head:?}");
            assert!(head.len() > keep || head == whole, "{text:?} at {keep}");
        }
    }
}

/// The shortest secret of each kind is found, and one byte less is not one: texts shorter than
/// the shortest of them all can be left without a scan.
#[test]
fn the_shortest_secret_of_each_kind_is_found_and_none_is_shorter_than_the_bound() {
    let shortest = [
        "sk-abcdefghijklmnopqrstu",
        "xoxb-0123456789",
        "ghp_abcdefghijklmnopqrstuvwxyz",
        "github_pat_abcdefghijklmnopqrstuvwxyz012",
        "AKIA0123456789ABCDEF",
        "Bearer abcdefgh",
        "eyJabcdefg.ab.cd",
    ];
    for secret in shortest {
        assert!(secret.len() >= SHORTEST_SECRET, "{secret}");
        // (Of `Bearer …`, the token is redacted.)
        assert!(redact_values(secret).ends_with(REDACTED_VALUE), "{secret}");
        assert!(
            redact_values_by_words(secret).ends_with(REDACTED_VALUE),
            "{secret}"
        );
        // One byte less: no secret, by the scan's own rules.
        let less = if secret.starts_with("eyJ") {
            "eyJabcdef.ab.cd"
        } else {
            &secret[..secret.len() - 1]
        };
        assert_eq!(redact_values_by_words(less), less, "{less}");
    }
    assert!(shortest.iter().any(|s| s.len() == SHORTEST_SECRET));
}
