use super::*;
use serde::ser::{self, Error as _};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn value<T: Serialize + ?Sized>(v: &T) -> Value {
    let p = json_with(v, &Config::default());
    serde_json::from_str(p.as_str()).unwrap_or_else(|e| panic!("invalid JSON {p:?}: {e}"))
}

struct Failing;
impl Serialize for Failing {
    fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("the database handle can't be serialised"))
    }
}

#[test]
fn matches_serde_json_on_plain_values() {
    let v = json!({"a": [1, -2, 3.5, "x\"y\n", null, true], "b": {"c": 1e300}});
    assert_eq!(value(&v), v);
}

#[test]
fn a_failing_part_becomes_a_readable_string_and_the_rest_stays() {
    #[derive(serde::Serialize)]
    struct S {
        ok: u32,
        db: Failing,
    }
    assert_eq!(
        value(&S { ok: 1, db: Failing }),
        json!({"ok": 1, "db": "[unserializable: the database handle can't be serialised]"})
    );
    assert_eq!(
        value(&Failing),
        json!("[unserializable: the database handle can't be serialised]")
    );
}

#[test]
fn nan_and_infinities_are_null() {
    assert_eq!(
        value(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5]),
        json!([null, null, null, 1.5])
    );
    assert_eq!(value(&f32::NAN), Value::Null);
}

#[test]
fn long_strings_are_cut_on_a_char_boundary() {
    let s = "é".repeat(DEFAULT_MAX_STRING_BYTES); // two bytes each
    let v = value(&s);
    let kept = v.as_str().unwrap();
    let (body, note) = kept.split_once('…').unwrap();
    assert!(body.len() <= DEFAULT_MAX_STRING_BYTES && body.chars().all(|c| c == 'é'));
    assert_eq!(note, format!("[truncated: {} bytes]", s.len()));
}

#[test]
fn secrets_are_redacted_at_any_depth() {
    let v = json!({"user": "ada", "API_KEY": "sk-1", "nested": [{"openai-api-key": "sk-2", "Password": 1}],
                   "tokens": 12, "max_tokens": 5, "auth": {"token": {"deep": true}}});
    assert_eq!(
        value(&v),
        json!({"user": "ada", "API_KEY": "[REDACTED]", "nested": [{"openai-api-key": "[REDACTED]", "Password": "[REDACTED]"}],
               "tokens": 12, "max_tokens": 5, "auth": {"token": "[REDACTED]"}})
    );
}

#[test]
fn non_string_keys_become_strings() {
    let mut m = BTreeMap::new();
    m.insert((1, 2), "pair");
    assert_eq!(value(&m), json!({"[1,2]": "pair"}));
    let mut m = BTreeMap::new();
    m.insert(7u8, "seven");
    assert_eq!(value(&m), json!({"7": "seven"}));
}

#[test]
fn bytes_that_are_not_utf8_are_written_lossily() {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    assert_eq!(
        value(&Bytes(b"ok \xff\xfe end")),
        json!("ok \u{fffd}\u{fffd} end")
    );
}

#[test]
fn deep_nesting_is_cut_without_overflowing_the_stack() {
    enum Deep {
        Leaf,
        Node(Box<Deep>),
    }
    impl Serialize for Deep {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeSeq;
            let mut seq = s.serialize_seq(None)?;
            if let Deep::Node(inner) = self {
                seq.serialize_element(inner)?;
            }
            seq.end()
        }
    }
    let mut d = Deep::Leaf;
    for _ in 0..10_000 {
        d = Deep::Node(Box::new(d));
    }
    let p = json_with(&d, &Config::default());
    assert!(p.as_str().contains("[depth limit]"));
    assert!(p.as_str().len() < 1000);
    // Dropping `d` recursively is the test's own business: leak it.
    std::mem::forget(d);
}

#[test]
fn control_characters_are_escaped() {
    let p = json_with("a\u{0}b\u{1f}\n\u{7f}", &Config::default());
    assert_eq!(p.as_str(), "\"a\\u0000b\\u001f\\n\\u007f\"");
    assert!(!p.as_str().contains('\n'));
}

/// A small deterministic generator for the tests below (xorshift64*).
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn text<T: Serialize + ?Sized>(v: &T) -> String {
    // Made once: building the default redaction list is most of a small value's capture in a
    // debug build, and the float test captures 600,000 values.
    static DEFAULT: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default);
    json_with(v, &DEFAULT).as_str().to_owned()
}

#[test]
fn floats_are_written_as_their_debug_text() {
    let pinned: &[(f64, &str)] = &[
        (0.2, "0.2"),
        (1.0, "1.0"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (-3.5, "-3.5"),
        (1e300, "1e300"),
        (-1.5e300, "-1.5e300"),
        (1e-5, "1e-5"),
        (1.5e-5, "1.5e-5"),
        (1e-4, "0.0001"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e16"),
        (9007199254740993.0, "9007199254740992.0"),
        (f64::MAX, "1.7976931348623157e308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (5e-324, "5e-324"),
        (0.1 + 0.2, "0.30000000000000004"),
        (0.5, "0.5"),
        (2.75, "2.75"),
        (2251799813685248.5, "2251799813685248.5"),
        (123456789012345.6, "123456789012345.6"),
        (1e16f64.next_down(), "9999999999999998.0"),
        (1e-4f64.next_down(), "9.999999999999999e-5"),
        // Two shortest texts equally close: the larger one.
        (f64::from_bits(0x42bb_9264_a8d7_1050), "30315567961872.313"),
        (f64::from_bits(0xc2e4_d530_9506_ea34), "-183247005300561.63"),
    ];
    for (v, want) in pinned {
        assert_eq!(text(v), *want, "{v:?}");
    }
    let pinned32: &[(f32, &str)] = &[
        (0.2, "0.2"),
        (1.0, "1.0"),
        (-0.0, "-0.0"),
        (16777216.0, "16777216.0"),
        (1e-5, "1e-5"),
        (1e16, "1e16"),
        (f32::MAX, "3.4028235e38"),
        (1e16f32.next_down(), "9999999000000000.0"),
        (f32::from_bits(0x3980_0000), "0.00024414063"),
    ];
    for (v, want) in pinned32 {
        assert_eq!(text(v), *want, "{v:?}");
    }
    // Every float is its `Debug` text (or `null`): random bit patterns, and short decimals
    // of every magnitude, like the values programs log.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..300_000u32 {
        let bits = rng.next();
        let sign = if bits & 128 == 0 { 1.0 } else { -1.0 };
        let v = match i % 3 {
            0 => f64::from_bits(bits),
            1 => {
                let scale = 10f64.powi((bits % 40) as i32 - 20);
                ((bits >> 8) % 100_000) as f64 * scale * sign
            }
            _ => {
                // Short binary fractions: their exact decimal text is short too.
                let m = rng.next() % (1 << (bits % 54));
                m as f64 / 2f64.powi(((bits >> 8) % 80) as i32) * sign
            }
        };
        let want = if v.is_finite() {
            format!("{v:?}")
        } else {
            "null".to_owned()
        };
        assert_eq!(text(&v), want);
        let v32 = if i % 3 == 0 {
            f32::from_bits(bits as u32)
        } else {
            v as f32
        };
        let want = if v32.is_finite() {
            format!("{v32:?}")
        } else {
            "null".to_owned()
        };
        assert_eq!(text(&v32), want);
    }
}

#[test]
fn integers_are_written_as_their_display_text() {
    assert_eq!(text(&[i8::MIN, 0, i8::MAX]), "[-128,0,127]");
    assert_eq!(text(&[i16::MIN, -1, i16::MAX]), "[-32768,-1,32767]");
    assert_eq!(text(&i32::MIN), i32::MIN.to_string());
    assert_eq!(text(&i64::MIN), i64::MIN.to_string());
    assert_eq!(text(&i128::MIN), i128::MIN.to_string());
    assert_eq!(text(&i128::MAX), i128::MAX.to_string());
    assert_eq!(text(&[0u8, u8::MAX]), "[0,255]");
    assert_eq!(text(&u16::MAX), u16::MAX.to_string());
    assert_eq!(text(&u32::MAX), u32::MAX.to_string());
    assert_eq!(text(&u64::MAX), u64::MAX.to_string());
    assert_eq!(text(&u128::MAX), u128::MAX.to_string());
    let mut rng = Rng(7);
    for _ in 0..10_000 {
        let n = rng.next();
        assert_eq!(text(&n), n.to_string());
        assert_eq!(text(&(n as i64)), (n as i64).to_string());
    }
}

/// The escaping as first written, byte by byte: the optimised one must agree with it.
pub(super) fn reference_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[test]
fn escaping_agrees_with_the_reference_for_every_ascii_byte_and_mixed_text() {
    for b in 0..=0x7fu8 {
        let s = format!("ab{}c", b as char);
        let mut out = String::new();
        escape_into(&mut out, &s);
        assert_eq!(out, reference_escape(&s), "byte {b:#x}");
    }
    let samples = [
        "",
        "plain text with no escapes at all, a little longer than thirty-two bytes",
        "\"",
        "\\",
        "é\u{0}ü\n日本語\"\u{7f}\u{80}\u{ff}😀\t\r\u{1b}[0m",
        "ends with an escape\n",
        "\u{1}\u{2}\u{3}",
    ];
    for s in samples {
        let mut out = String::from("kept:");
        escape_into(&mut out, s);
        assert_eq!(out, format!("kept:{}", reference_escape(s)));
    }
    let mut rng = Rng(99);
    let alphabet: Vec<char> = "ab \"\\\n\r\t\u{0}\u{1f}\u{7f}é日😀".chars().collect();
    for _ in 0..2_000 {
        let len = (rng.next() % 40) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        let mut out = String::new();
        escape_into(&mut out, &s);
        assert_eq!(out, reference_escape(&s));
    }
}

/// Key matching as first written: `key` is `entry` or ends with `_entry`, ignoring ASCII
/// case and `-`/`_`.
fn reference_key_matches(key: &str, entry: &str) -> bool {
    // Words, told apart by anything but letters and digits, by a capital after a small letter
    // or a digit, and by the last capital of a run that goes on in small letters.
    fn words(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        let upper = |c: char| c.is_ascii_uppercase();
        let small = |c: char| c.is_ascii_lowercase() || !c.is_ascii();
        let mut words: Vec<String> = Vec::new();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if !(upper(c) || small(c) || c.is_ascii_digit()) {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            if !word.is_empty() && upper(c) {
                let before = chars[i - 1];
                let next_small = chars.get(i + 1).is_some_and(|n| small(*n));
                if small(before) || before.is_ascii_digit() || (upper(before) && next_small) {
                    words.push(std::mem::take(&mut word));
                }
            }
            word.push(c);
        }
        if !word.is_empty() {
            words.push(word);
        }
        words.into_iter().map(|w| w.to_ascii_lowercase()).collect()
    }
    let (k, e) = (words(key), words(entry));
    if e.is_empty() || e.len() > k.len() || e.len() > 8 {
        return false;
    }
    let tail = &k[k.len() - e.len()..];
    let plural = e != ["token"];
    tail.iter()
        .zip(&e)
        .enumerate()
        .all(|(i, (w, want))| w == want || (i + 1 == e.len() && plural && *w == format!("{want}s")))
}

#[test]
fn secret_keys_agree_with_the_reference_matching() {
    let default = Config::default();
    let custom = Config {
        redact: ["", "x", "Session-ID", "ünï_cödé", "a_", "_b", "--"]
            .iter()
            .map(|k| (*k).into())
            .collect(),
        ..Config::default()
    };
    // No entry shorter than two bytes: keys are first filtered by their last two.
    let long = Config {
        redact: ["Session-ID", "ünï_cödé", "a_", "_b", "--", "Xy", "é"]
            .iter()
            .map(|k| (*k).into())
            .collect(),
        ..Config::default()
    };
    let none = Config {
        redact: std::iter::empty().collect(),
        ..Config::default()
    };
    let mut keys: Vec<String> = [
        "",
        "_",
        "-",
        "x",
        "X",
        "query",
        "top_k",
        "temperature",
        "tokens",
        "max_tokens",
        "token",
        "TOKEN",
        "Token",
        "my_token",
        "my-token",
        "my token",
        "mytoken",
        "_token",
        "-token",
        "token_",
        "__token",
        "api-key",
        "API_KEY",
        "openai-api-key",
        "apikey",
        "api_keys",
        "pass_word",
        "passwd",
        "set-cookie",
        "SET_COOKIE",
        "cookies",
        "id_token",
        "idtoken",
        "x_id-token",
        "session_id",
        "SESSION-id",
        "my-session_ID",
        "ÜNÏ_CÖDÉ",
        "ünï-cödé",
        "x_ünï_cödé",
        "a_",
        "a-",
        "xa_",
        "x_a_",
        "_b",
        "-b",
        "x__b",
        "--",
        "__",
        "x---",
        "é_token",
        "tokén",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    for entry in DEFAULT_REDACTED_KEYS {
        keys.push(entry.to_string());
        keys.push(entry.to_ascii_uppercase());
        keys.push(entry.replace('_', "-"));
        keys.push(format!("x_{entry}"));
        keys.push(format!("x-{entry}"));
        keys.push(format!("x{entry}"));
        keys.push(format!("{entry}x"));
        keys.push(entry[1..].to_owned());
        keys.push(entry[..entry.len() - 1].to_owned());
    }
    for cfg in [&default, &custom, &long, &none] {
        for key in &keys {
            let want = cfg.redact.iter().any(|e| reference_key_matches(key, e));
            assert_eq!(cfg.is_secret(key), want, "{key:?} against {:?}", cfg.redact);
        }
    }
}

#[test]
fn map_keys_are_cut_written_and_checked_as_before() {
    // A key over the string limit is cut like any string; the cut text, with its note, is
    // the key (so it is cut again when written).
    let cfg = Config {
        max_string: 8,
        ..Config::default()
    };
    let mut m = BTreeMap::new();
    m.insert("a_long_key_name", 1);
    m.insert("short", 2);
    m.insert("x\"y", 3);
    assert_eq!(
        json_with(&m, &cfg).as_str(),
        "{\"a_long_k…[truncated: 32 bytes]\":1,\"short\":2,\"x\\\"y\":3}"
    );
    // A key cut to a secret name is checked as cut.
    let mut m = BTreeMap::new();
    m.insert("password_and_more", 1);
    let cfg = Config {
        max_string: 8,
        redact: ["password…[truncated: 17 bytes]".into()]
            .into_iter()
            .collect(),
        ..Config::default()
    };
    assert_eq!(
        json_with(&m, &cfg).as_str(),
        "{\"password…[truncated: 32 bytes]\":\"[REDACTED]\"}"
    );
    // Keys that are not strings, and keys whose `Serialize` fails.
    let mut m = BTreeMap::new();
    m.insert(-7i64, "minus seven");
    m.insert(300, "three hundred");
    assert_eq!(text(&m), r#"{"-7":"minus seven","300":"three hundred"}"#);
    struct Map(Vec<(Failing, u8)>);
    impl Serialize for Map {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }
    assert_eq!(
        text(&Map(vec![(Failing, 1)])),
        r#"{"[unserializable: the database handle can't be serialised]":1}"#
    );
    // Unit variants, chars, bools, integers of every size; an integer key over the size
    // limit is cut as it is written.
    #[derive(serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Role {
        #[serde(rename = "api-key")]
        Key,
        User,
    }
    let m: BTreeMap<Role, u8> = [(Role::Key, 1), (Role::User, 2)].into_iter().collect();
    assert_eq!(text(&m), r#"{"api-key":"[REDACTED]","User":2}"#);
    let m: BTreeMap<char, u8> = [('"', 1), ('t', 2)].into_iter().collect();
    assert_eq!(text(&m), r#"{"\"":1,"t":2}"#);
    let m: BTreeMap<bool, u8> = [(true, 1)].into_iter().collect();
    assert_eq!(text(&m), r#"{"true":1}"#);
    let m: BTreeMap<i128, u8> = [(i128::MIN, 1), (12345, 2)].into_iter().collect();
    assert_eq!(
        text(&m),
        r#"{"-170141183460469231731687303715884105728":1,"12345":2}"#
    );
    let cfg = Config {
        max_string: 2,
        ..Config::default()
    };
    assert_eq!(
        json_with(&m, &cfg).as_str(),
        r#"{"-1…[truncated: 40 bytes]":1,"12…[truncated: 5 bytes]":2}"#
    );
    // A key that writes a string and then fails anyway.
    struct Fickle;
    impl Serialize for Fickle {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str("token")?;
            Err(S::Error::custom("changed its mind"))
        }
    }
    struct FickleMap;
    impl Serialize for FickleMap {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry(&Fickle, &1)?;
            m.serialize_entry("b", &2)?;
            m.end()
        }
    }
    assert_eq!(
        text(&FickleMap),
        r#"{"[unserializable: changed its mind]":1,"b":2}"#
    );
    // A key is captured from depth 0: under a depth limit of 1 the string inside a newtype
    // key is past it, a plain string key is not.
    #[derive(serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Name(&'static str);
    let mut m = BTreeMap::new();
    m.insert(Name("token"), 1);
    assert_eq!(text(&m), r#"{"token":"[REDACTED]"}"#);
    let cfg = Config {
        max_depth: 1,
        ..Config::default()
    };
    assert_eq!(
        json_with(&m, &cfg).as_str(),
        r#"{"[depth limit]":"[depth limit]"}"#
    );
    let mut m = BTreeMap::new();
    m.insert("token", 1);
    m.insert("n", 2);
    assert_eq!(
        json_with(&m, &cfg).as_str(),
        r#"{"n":"[depth limit]","token":"[REDACTED]"}"#
    );
}

#[test]
fn a_serialize_impl_may_capture_values_itself() {
    struct Nested(u32);
    impl Serialize for Nested {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let inner = if self.0 == 0 {
                json_with(&"leaf", &Config::default())
            } else {
                json_with(&[Nested(self.0 - 1), Nested(0)], &Config::default())
            };
            s.serialize_str(inner.as_str())
        }
    }
    // What each level writes: its inner capture's JSON text, as a JSON string.
    fn expected(n: u32) -> String {
        let inner = if n == 0 {
            "\"leaf\"".to_owned()
        } else {
            format!("[{},{}]", expected(n - 1), expected(0))
        };
        serde_json::to_string(&inner).unwrap()
    }
    assert_eq!(
        text(&[Nested(2), Nested(0)]),
        format!("[{},{}]", expected(2), expected(0))
    );
}

/// `len` zeros, counting how many were serialised; `hint`: the length it announces.
struct Zeros {
    len: usize,
    hint: Option<usize>,
    visited: std::cell::Cell<usize>,
}

impl Zeros {
    fn new(len: usize, hint: Option<usize>) -> Zeros {
        Zeros {
            len,
            hint,
            visited: std::cell::Cell::new(0),
        }
    }
}

impl Serialize for Zeros {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeSeq;
        let mut seq = s.serialize_seq(self.hint)?;
        for _ in 0..self.len {
            self.visited.set(self.visited.get() + 1);
            seq.serialize_element(&0u8)?;
        }
        seq.end()
    }
}

fn small_limits() -> Config {
    Config {
        max_total: 1000,
        max_string: 100,
        ..Config::default()
    }
}

#[test]
fn a_length_hint_over_the_limit_stops_at_what_the_cut_keeps() {
    let cfg = small_limits();
    // The first 100 bytes of the text.
    let cut = format!(
        r#"{{"truncated":"[{}0","more_than_bytes":1000}}"#,
        "0,".repeat(49)
    );
    // Announced: known to be over from the start, so serialising stops once the 100 bytes a
    // cut keeps are written (`0,` a byte: item 51 passes them, item 52 is refused).
    let hinted = Zeros::new(1_000_000, Some(1_000_000));
    assert_eq!(json_with(&hinted, &cfg).as_str(), cut);
    assert_eq!(hinted.visited.get(), 52);
    // Not announced: found out at the limit, 1000 bytes in; the same text is kept.
    let unhinted = Zeros::new(1_000_000, None);
    assert_eq!(json_with(&unhinted, &cfg).as_str(), cut);
    assert_eq!(unhinted.visited.get(), 502);
    // A map's hint too.
    let map: BTreeMap<u32, u8> = (0..10_000).map(|i| (i, 0)).collect();
    let p = json_with(&map, &cfg);
    assert!(
        p.as_str().starts_with(r#"{"truncated":"{\"0\":0,\"1\":0,"#),
        "{p:?}"
    );
    assert!(
        p.as_str().ends_with(r#"","more_than_bytes":1000}"#),
        "{p:?}"
    );
    // In a value: the limit is the whole value's.
    let nested = json_with(&json!({"a": 1}), &cfg);
    assert_eq!(nested.as_str(), r#"{"a":1}"#);
    let inner = Zeros::new(10_000, Some(10_000));
    let p = json_with(&("head", &inner), &cfg);
    assert!(
        p.as_str().starts_with(r#"{"truncated":"[\"head\",[0,0,"#),
        "{p:?}"
    );
    assert_eq!(inner.visited.get(), 48);
}

#[test]
fn a_length_hint_larger_than_the_value_costs_nothing_when_it_fits() {
    let cfg = small_limits();
    // Says a million, gives three: kept whole.
    let liar = Zeros::new(3, Some(1_000_000));
    assert_eq!(json_with(&liar, &cfg).as_str(), "[0,0,0]");
    // Gives more than a cut keeps but less than the limit: cut, and marked as cut.
    let liar = Zeros::new(200, Some(1_000_000));
    let p = json_with(&liar, &cfg);
    assert!(p.as_str().contains("\"more_than_bytes\":1000"), "{p:?}");
}

#[test]
fn items_of_a_whole_share_its_limit() {
    let cfg = small_limits();
    let mut out = String::from("[");
    assert!(!json_append_in(&mut out, &[1, 2, 3], &cfg, Some(0)));
    out.push(',');
    // This item is known to push the whole over its limit: it stops where a cut ends.
    let big = Zeros::new(10_000, Some(10_000));
    assert!(json_append_in(&mut out, &big, &cfg, Some(0)));
    assert_eq!(big.visited.get(), 47);
    let p = array_payload(out, true, &cfg);
    assert!(
        p.as_str().starts_with(r#"{"truncated":"[[1,2,3],[0,0,"#),
        "{p:?}"
    );
    // Under the limit, the array is kept as it is.
    let mut out = String::from("[");
    assert!(!json_append_in(&mut out, "a", &cfg, Some(0)));
    assert_eq!(array_payload(out, false, &cfg).as_str(), r#"["a"]"#);
    assert_eq!(array_payload(String::new(), false, &cfg).as_str(), "[]");
}

#[test]
fn a_secret_across_the_cut_of_a_long_string_is_redacted_and_the_note_gives_its_length() {
    let cfg = small_limits();
    // A key that begins 5 bytes before the cut, in a string far over the limit.
    let text = format!(
        "{}sk-proj-abcdefghijklmnopqrstuvwxyz{}",
        "x ".repeat(95 / 2),
        " and more".repeat(100_000)
    );
    let p = json_with(&text, &cfg);
    let s: String = serde_json::from_str(p.as_str()).unwrap();
    assert!(!s.contains("sk-"), "{s}");
    assert!(s.contains(" [RED"), "{s}");
    assert!(
        s.ends_with(&format!("…[truncated: {} bytes]", text.len())),
        "{s}"
    );
}
