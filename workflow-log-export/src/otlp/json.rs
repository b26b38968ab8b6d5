//! OTLP/JSON: the protobuf messages in the JSON mapping OTLP prescribes.
//!
//! Its rules differ from protobuf's canonical JSON in places, and collectors are strict about
//! them: trace and span ids are lowercase hex (not base64), enums are their integer values,
//! 64-bit integers are decimal strings, field names are lowerCamelCase, and fields holding
//! their default value may be left out.

use serde_json::{json, Map, Value};

use super::proto::{
    any_value, AnyValue, Event, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    Resource, Span, Status,
};

/// The request as OTLP/JSON.
pub fn request(req: &ExportTraceServiceRequest) -> Value {
    let resource_spans: Vec<Value> = req
        .resource_spans
        .iter()
        .map(|rs| {
            let mut out = Map::new();
            if let Some(resource) = &rs.resource {
                out.insert("resource".into(), self::resource(resource));
            }
            let scope_spans: Vec<Value> = rs
                .scope_spans
                .iter()
                .map(|ss| {
                    let mut o = Map::new();
                    if let Some(scope) = &ss.scope {
                        o.insert("scope".into(), self::scope(scope));
                    }
                    o.insert("spans".into(), ss.spans.iter().map(span).collect());
                    put_str(&mut o, "schemaUrl", &ss.schema_url);
                    Value::Object(o)
                })
                .collect();
            out.insert("scopeSpans".into(), Value::Array(scope_spans));
            put_str(&mut out, "schemaUrl", &rs.schema_url);
            Value::Object(out)
        })
        .collect();
    json!({ "resourceSpans": resource_spans })
}

/// The request as OTLP/JSON bytes.
pub fn to_vec(req: &ExportTraceServiceRequest) -> Vec<u8> {
    // Serialising a `Value` can't fail: every map key is a string.
    serde_json::to_vec(&request(req)).unwrap_or_default()
}

fn resource(r: &Resource) -> Value {
    let mut o = Map::new();
    o.insert("attributes".into(), attributes(&r.attributes));
    put_u32(&mut o, "droppedAttributesCount", r.dropped_attributes_count);
    Value::Object(o)
}

fn scope(s: &InstrumentationScope) -> Value {
    let mut o = Map::new();
    put_str(&mut o, "name", &s.name);
    put_str(&mut o, "version", &s.version);
    if !s.attributes.is_empty() {
        o.insert("attributes".into(), attributes(&s.attributes));
    }
    Value::Object(o)
}

fn span(s: &Span) -> Value {
    let mut o = Map::new();
    o.insert("traceId".into(), Value::String(hex(&s.trace_id)));
    o.insert("spanId".into(), Value::String(hex(&s.span_id)));
    put_str(&mut o, "traceState", &s.trace_state);
    if !s.parent_span_id.is_empty() {
        o.insert("parentSpanId".into(), Value::String(hex(&s.parent_span_id)));
    }
    put_u32(&mut o, "flags", s.flags);
    o.insert("name".into(), Value::String(s.name.clone()));
    o.insert("kind".into(), Value::from(s.kind));
    o.insert(
        "startTimeUnixNano".into(),
        Value::String(s.start_time_unix_nano.to_string()),
    );
    o.insert(
        "endTimeUnixNano".into(),
        Value::String(s.end_time_unix_nano.to_string()),
    );
    o.insert("attributes".into(), attributes(&s.attributes));
    put_u32(&mut o, "droppedAttributesCount", s.dropped_attributes_count);
    if !s.events.is_empty() {
        o.insert("events".into(), s.events.iter().map(event).collect());
    }
    put_u32(&mut o, "droppedEventsCount", s.dropped_events_count);
    if let Some(status) = &s.status {
        o.insert("status".into(), self::status(status));
    }
    Value::Object(o)
}

fn event(e: &Event) -> Value {
    let mut o = Map::new();
    o.insert(
        "timeUnixNano".into(),
        Value::String(e.time_unix_nano.to_string()),
    );
    o.insert("name".into(), Value::String(e.name.clone()));
    o.insert("attributes".into(), attributes(&e.attributes));
    put_u32(&mut o, "droppedAttributesCount", e.dropped_attributes_count);
    Value::Object(o)
}

fn status(s: &Status) -> Value {
    let mut o = Map::new();
    put_str(&mut o, "message", &s.message);
    o.insert("code".into(), Value::from(s.code));
    Value::Object(o)
}

fn attributes(kvs: &[KeyValue]) -> Value {
    kvs.iter()
        .map(|kv| {
            let mut o = Map::new();
            o.insert("key".into(), Value::String(kv.key.clone()));
            o.insert(
                "value".into(),
                kv.value.as_ref().map_or_else(|| json!({}), any),
            );
            Value::Object(o)
        })
        .collect()
}

fn any(v: &AnyValue) -> Value {
    use any_value::Value as V;
    match &v.value {
        None => json!({}),
        Some(V::StringValue(s)) => json!({ "stringValue": s }),
        Some(V::BoolValue(b)) => json!({ "boolValue": b }),
        Some(V::IntValue(i)) => json!({ "intValue": i.to_string() }),
        // JSON has no NaN or infinities; OTLP/JSON spells them as strings.
        Some(V::DoubleValue(d)) if d.is_nan() => json!({ "doubleValue": "NaN" }),
        Some(V::DoubleValue(d)) if d.is_infinite() => {
            json!({ "doubleValue": if *d > 0.0 { "Infinity" } else { "-Infinity" } })
        }
        Some(V::DoubleValue(d)) => json!({ "doubleValue": d }),
        Some(V::ArrayValue(a)) => {
            json!({ "arrayValue": { "values": a.values.iter().map(any).collect::<Vec<_>>() } })
        }
        Some(V::KvlistValue(l)) => json!({ "kvlistValue": { "values": attributes(&l.values) } }),
        Some(V::BytesValue(b)) => json!({ "bytesValue": base64(b) }),
    }
}

fn put_str(o: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        o.insert(key.into(), Value::String(value.to_owned()));
    }
}

fn put_u32(o: &mut Map<String, Value>, key: &str, value: u32) {
    if value != 0 {
        o.insert(key.into(), Value::from(value));
    }
}

/// Lowercase hex, as OTLP/JSON writes trace and span ids.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Standard base64 with padding, as protobuf's JSON mapping writes `bytes` fields.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
    }

    #[test]
    fn values_follow_the_otlp_json_rules() {
        let kv = |v| AnyValue { value: Some(v) };
        use any_value::Value as V;
        assert_eq!(
            any(&kv(V::IntValue(-5))),
            json!({"intValue": "-5"}),
            "int64 as a string"
        );
        assert_eq!(
            any(&kv(V::DoubleValue(f64::NAN))),
            json!({"doubleValue": "NaN"})
        );
        assert_eq!(
            any(&kv(V::BytesValue(b"hi".to_vec()))),
            json!({"bytesValue": "aGk="})
        );
    }
}
