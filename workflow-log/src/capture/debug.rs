//! Secrets in the `Debug` text of a value without `Serialize`: the value of a field or entry
//! named like a secret (`api_key: "…"`, `"token": …`), and the content of a tuple struct or
//! variant so named (`Token("…")`, `ApiKey { .. }`), become `[REDACTED]`.

use std::borrow::Cow;

use super::secrets::REDACTED_VALUE;
use super::Config;

/// `text` (a `Debug` text) with the values of secret-named fields redacted.
pub(super) fn redact_fields<'t>(text: &'t str, cfg: &Config) -> Cow<'t, str> {
    if cfg.redact.is_empty() {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        // A name: an identifier, or a string (a map's key).
        let (name, after) = if b[i] == b'"' {
            let end = string_end(b, i);
            (&text[i + 1..end.saturating_sub(1).max(i + 1)], end)
        } else if is_ident_start(b[i]) && (i == 0 || !is_ident(b[i - 1])) {
            let end = i + b[i..].iter().take_while(|c| is_ident(**c)).count();
            (&text[i..end], end)
        } else {
            i += 1;
            continue;
        };
        // What follows it: `: value`, `(content)` or ` { content }`.
        let value = if b[after..].starts_with(b": ") {
            Some((after + 2, value_end(b, after + 2)))
        } else if b[after..].starts_with(b"(") {
            Some((after + 1, value_end(b, after + 1)))
        } else if b[after..].starts_with(b" { ") {
            Some((after + 3, value_end(b, after + 3)))
        } else {
            None
        };
        match value {
            Some((start, end)) if end > start && cfg.is_secret(name) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                // Both are at ASCII bytes: char boundaries.
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED_VALUE);
                copied = end;
                i = end;
            }
            _ => i = after.max(i + 1),
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end (past the closing quote) of the string that opens at `start`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Where a value that begins at `start` ends: at the `,` or closing bracket of its container,
/// outside strings and nested brackets (or a closing bracket with no opening one).
fn value_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i);
                continue;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            b',' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    // A struct's content (` { a: 1 }`) ends before its space.
    while i > start && b[i - 1] == b' ' {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::redact_fields;
    use crate::capture::Config;

    #[test]
    fn secret_fields_of_debug_text_are_redacted() {
        let cfg = Config::default();
        let cases = [
            (
                r#"Login { user: "ann", password: "hunter2", n: 1 }"#,
                r#"Login { user: "ann", password: [REDACTED], n: 1 }"#,
            ),
            (
                r#"{"apiKey": "k, with a comma", "x": [1, 2]}"#,
                r#"{"apiKey": [REDACTED], "x": [1, 2]}"#,
            ),
            (r#"Token("abc")"#, "Token([REDACTED])"),
            (
                r#"Login { credentials: Creds { a: "}" } }"#,
                "Login { credentials: [REDACTED] }",
            ),
            ("Plain { tokens_used: 3 }", "Plain { tokens_used: 3 }"),
        ];
        for (text, want) in cases {
            assert_eq!(redact_fields(text, &cfg), want, "{text}");
        }
    }
}
