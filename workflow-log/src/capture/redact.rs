//! Which keys are secret: matched ignoring case and separators, with a filter that rules out
//! most keys by their last two bytes.

use std::fmt;

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
    pub(super) fn new(keys: Vec<Box<str>>) -> Redact {
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
    pub(super) fn matches(&self, key: &str) -> bool {
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
