//! Which keys are secret: a key is split into words the way serde names fields and variants
//! (`snake_case`, `SCREAMING_SNAKE`, `kebab-case`, `camelCase`, `PascalCase`, dotted), and it
//! is secret when its last words are an entry's words, ignoring case, the last one maybe
//! plural: `accessToken`, `ACCESS_TOKEN`, `openai-api-key`, `api_keys`, `credentials`.

use std::fmt;

/// Keys whose values are redacted by default (matched by words; see
/// [`redact_keys`](crate::WorkflowBuilder::redact_keys)).
pub const DEFAULT_REDACTED_KEYS: &[&str] = &[
    "api_key",
    "apikey",
    "authorization",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "client_secret",
    "secret_key",
    "access_key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "private_key",
    "credential",
    "cookie",
    "set_cookie",
];

/// The most words of a key that are compared (an entry with more matches nothing).
const MAX_WORDS: usize = 8;

/// An entry, as words in lower case.
#[derive(Clone)]
struct Entry {
    words: Vec<Box<[u8]>>,
    /// Whether the last word may be plural: not for `token` alone, whose plural counts
    /// tokens in LLM logs (`max_tokens`, `input_tokens`).
    plural: bool,
}

/// The keys whose values are redacted.
#[derive(Clone)]
pub(crate) struct Redact {
    keys: Vec<Box<str>>,
    entries: Vec<Entry>,
    /// The entries' last words, each once, and whether it may be plural: a key that ends in
    /// none of them matches nothing, found without splitting the key into words.
    last: Vec<(Box<[u8]>, bool)>,
}

impl Redact {
    pub(super) fn new(keys: Vec<Box<str>>) -> Redact {
        let entries = keys
            .iter()
            .filter_map(|key| {
                let split = Words::of(key.as_bytes());
                let words: Vec<Box<[u8]>> = split
                    .iter()
                    .map(|(s, e)| key.as_bytes()[*s..*e].to_ascii_lowercase().into())
                    .collect();
                let plural = words.len() > 1 || words.first().is_some_and(|w| &**w != b"token");
                (!words.is_empty() && split.count <= MAX_WORDS).then_some(Entry { words, plural })
            })
            .collect::<Vec<_>>();
        let mut last: Vec<(Box<[u8]>, bool)> = Vec::new();
        for entry in &entries {
            let word = entry.words.last().expect("an entry has a word");
            if !last.iter().any(|(w, p)| w == word && *p == entry.plural) {
                last.push((word.clone(), entry.plural));
            }
        }
        Redact {
            keys,
            entries,
            last,
        }
    }

    /// Whether `key`, less the separators it ends with, ends in an entry's last word (ignoring
    /// case, maybe plural): a key's last word ends it so, and a key that does not can't match.
    fn may_match(&self, mut key: &[u8]) -> bool {
        while let [rest @ .., c] = key {
            if c.is_ascii_alphanumeric() || *c >= 0x80 {
                break;
            }
            key = rest;
        }
        let ends_in = |key: &[u8], word: &[u8]| {
            key.len() >= word.len() && key[key.len() - word.len()..].eq_ignore_ascii_case(word)
        };
        let singular = key.strip_suffix(b"s").or_else(|| key.strip_suffix(b"S"));
        self.last.iter().any(|(word, plural)| {
            ends_in(key, word) || (*plural && singular.is_some_and(|k| ends_in(k, word)))
        })
    }

    /// Whether `key`'s last words are an entry's (ignoring case; the last one maybe plural).
    pub(super) fn matches(&self, key: &str) -> bool {
        let key = key.as_bytes();
        if !self.may_match(key) {
            return false;
        }
        let words = Words::of(key);
        let have = words.len();
        self.entries.iter().any(|entry| {
            let n = entry.words.len();
            n <= have
                && entry.words.iter().enumerate().all(|(i, want)| {
                    let (s, e) = words.get(have - n + i);
                    let word = &key[s..e];
                    word.eq_ignore_ascii_case(want)
                        || (i + 1 == n
                            && entry.plural
                            && word.len() == want.len() + 1
                            && word[..want.len()].eq_ignore_ascii_case(want)
                            && word[want.len()].eq_ignore_ascii_case(&b's'))
                })
        })
    }
}

/// The last [`MAX_WORDS`] words of a key, as byte ranges, oldest first.
struct Words {
    ring: [(usize, usize); MAX_WORDS],
    count: usize,
}

impl Words {
    fn of(key: &[u8]) -> Words {
        let mut words = Words {
            ring: [(0, 0); MAX_WORDS],
            count: 0,
        };
        let class = |c: u8| match c {
            b'a'..=b'z' | 0x80..=0xff => Class::Lower,
            b'A'..=b'Z' => Class::Upper,
            b'0'..=b'9' => Class::Digit,
            _ => Class::Separator,
        };
        let mut start: Option<usize> = None;
        for (i, &c) in key.iter().enumerate() {
            let now = class(c);
            if now == Class::Separator {
                if let Some(s) = start.take() {
                    words.push(s, i);
                }
                continue;
            }
            let Some(s) = start else {
                start = Some(i);
                continue;
            };
            let before = class(key[i - 1]);
            // `accessToken`, `key2Value`; and `APIKey`: the last capital of a run that goes
            // on in lower case begins a word.
            let boundary = now == Class::Upper
                && (matches!(before, Class::Lower | Class::Digit)
                    || (before == Class::Upper
                        && key.get(i + 1).is_some_and(|n| class(*n) == Class::Lower)));
            if boundary {
                words.push(s, i);
                start = Some(i);
            }
        }
        if let Some(s) = start {
            words.push(s, key.len());
        }
        words
    }

    fn push(&mut self, start: usize, end: usize) {
        self.ring[self.count % MAX_WORDS] = (start, end);
        self.count += 1;
    }

    /// How many words are kept.
    fn len(&self) -> usize {
        self.count.min(MAX_WORDS)
    }

    /// The `i`th kept word.
    fn get(&self, i: usize) -> (usize, usize) {
        let first = self.count - self.len();
        self.ring[(first + i) % MAX_WORDS]
    }

    fn iter(&self) -> impl Iterator<Item = &(usize, usize)> {
        (0..self.len()).map(move |i| &self.ring[(self.count - self.len() + i) % MAX_WORDS])
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    Digit,
    Separator,
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

#[cfg(test)]
mod tests {
    use super::{Redact, DEFAULT_REDACTED_KEYS};

    #[test]
    fn keys_are_matched_by_words_in_every_way_serde_names_them() {
        let r: Redact = DEFAULT_REDACTED_KEYS.iter().map(|k| (*k).into()).collect();
        for secret in [
            "api_key",
            "apiKey",
            "ApiKey",
            "APIKey",
            "API_KEY",
            "x-api-key",
            "openai.api_key",
            "api_keys",
            "apikey",
            "accessToken",
            "ACCESS_TOKEN",
            "github_token",
            "Token",
            "credentials",
            "AWS_SECRET_ACCESS_KEY",
            "Password",
            "db-passwords",
            "Set-Cookie",
        ] {
            assert!(r.matches(secret), "{secret}");
        }
        for plain in [
            "max_tokens",
            "input_tokens",
            "token_count",
            "tokenizer",
            "author",
            "keyboard",
            "monkey",
            "secretary",
            "secret_name",
            "",
            "_",
        ] {
            assert!(!r.matches(plain), "{plain}");
        }
    }
}
