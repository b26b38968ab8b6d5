//! Turning a user's value into the compact JSON text a record keeps.
//!
//! Serialising never fails from the caller's point of view: a value whose `Serialize` impl
//! errors is recorded as a readable string saying so, and a value over the size limit is cut
//! and marked with its original size.

use std::fmt;

use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};

use crate::record::Payload;

/// Payloads above this many bytes of JSON are cut (see [`capped`]).
pub(crate) const DEFAULT_MAX_BYTES: usize = 64 * 1024;

/// JSON text of `value`, or a readable replacement when it can't be serialised.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Payload {
    match serde_json::to_string(value) {
        Ok(text) => capped(text),
        Err(err) => string(&format!("[unserializable: {err}]")),
    }
}

/// The `Debug` text of `value`, as a JSON string.
pub(crate) fn debug<T: fmt::Debug + ?Sized>(value: &T) -> Payload {
    let text = format!("{value:?}");
    if text.len() > DEFAULT_MAX_BYTES {
        return truncated_string(&text);
    }
    string(&text)
}

/// A JSON string.
pub(crate) fn string(text: &str) -> Payload {
    if text.len() > DEFAULT_MAX_BYTES {
        return truncated_string(text);
    }
    raw(serde_json::to_string(text).unwrap_or_else(|_| "null".to_owned()))
}

pub(crate) fn null() -> Payload {
    raw("null".to_owned())
}

fn raw(text: String) -> Payload {
    RawValue::from_string(text).unwrap_or_else(|_| {
        to_raw_value(&()).expect("`null` always serialises") // unit is `null`
    })
}

/// `text` is valid JSON; cut it if it is over the limit.
fn capped(text: String) -> Payload {
    if text.len() <= DEFAULT_MAX_BYTES {
        // `to_string` produced valid JSON: wrap it without parsing it again.
        return RawValue::from_string(text).unwrap_or_else(|_| null());
    }
    truncated_string(&text)
}

/// `{"truncated": "<the first bytes, cut on a UTF-8 boundary>", "original_bytes": N}`.
fn truncated_string(text: &str) -> Payload {
    let mut cut = DEFAULT_MAX_BYTES.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    #[derive(Serialize)]
    struct Truncated<'a> {
        truncated: &'a str,
        original_bytes: usize,
    }
    to_raw_value(&Truncated {
        truncated: &text[..cut],
        original_bytes: text.len(),
    })
    .unwrap_or_else(|_| null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::ser::Error as _;

    struct Failing;
    impl Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(S::Error::custom("the database handle can't be serialised"))
        }
    }

    #[test]
    fn failing_serialize_becomes_a_readable_string() {
        let p = json(&Failing);
        let v: serde_json::Value = serde_json::from_str(p.get()).unwrap();
        assert_eq!(
            v,
            "[unserializable: the database handle can't be serialised]"
        );
    }

    #[test]
    fn nan_is_null() {
        assert_eq!(json(&f64::NAN).get(), "null");
        assert_eq!(json(&[1.0, f64::INFINITY]).get(), "[1.0,null]");
    }

    #[test]
    fn huge_values_are_cut_on_a_char_boundary() {
        let s = "é".repeat(DEFAULT_MAX_BYTES); // two bytes each
        let p = json(&s);
        let v: serde_json::Value = serde_json::from_str(p.get()).unwrap();
        assert_eq!(v["original_bytes"], s.len() + 2);
        let kept = v["truncated"].as_str().unwrap();
        assert!(kept.len() <= DEFAULT_MAX_BYTES);
        assert!(kept.starts_with("\"éé"));
    }
}
