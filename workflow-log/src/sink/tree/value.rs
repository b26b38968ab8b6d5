//! The nested JSON as a `serde_json::Value` (`capture`, `recover`).

use std::borrow::Cow;
use std::io;

use serde_json::{Map, Value};

use super::Emit;
use crate::record::Payload;

/// A `serde_json::Value`, built without recursion.
#[derive(Default)]
pub(super) struct ValueBuilder {
    /// Open containers; an object carries the key its next value goes under.
    open: Vec<(Value, Option<String>)>,
    pub(super) done: Option<Value>,
}

impl ValueBuilder {
    fn put(&mut self, value: Value) {
        match self.open.last_mut() {
            None => self.done = Some(value),
            Some((Value::Array(items), _)) => items.push(value),
            Some((Value::Object(map), key)) => {
                map.insert(key.take().unwrap_or_default(), value);
            }
            Some(_) => {}
        }
    }

    fn close(&mut self) {
        if let Some((value, _)) = self.open.pop() {
            self.put(value);
        }
    }
}

impl Emit for ValueBuilder {
    fn begin_object(&mut self) -> io::Result<()> {
        self.open.push((Value::Object(Map::new()), None));
        Ok(())
    }

    fn end_object(&mut self) -> io::Result<()> {
        self.close();
        Ok(())
    }

    fn begin_array(&mut self) -> io::Result<()> {
        self.open.push((Value::Array(Vec::new()), None));
        Ok(())
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.close();
        Ok(())
    }

    fn key(&mut self, key: &'static str) -> io::Result<()> {
        if let Some((_, slot)) = self.open.last_mut() {
            *slot = Some(key.to_owned());
        }
        Ok(())
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.put(Value::String(s.to_owned()));
        Ok(())
    }

    fn uint(&mut self, n: u64) -> io::Result<()> {
        self.put(Value::from(n));
        Ok(())
    }

    fn null(&mut self) -> io::Result<()> {
        self.put(Value::Null);
        Ok(())
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.put(p.map_or(Value::Null, payload_value));
        Ok(())
    }

    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()> {
        let map = entries
            .iter()
            .map(|(k, v)| (k.to_string(), payload_value(v)))
            .collect();
        self.put(Value::Object(map));
        Ok(())
    }
}

/// A payload as a value. Payloads are depth-limited when captured; one that is still too deep
/// for the parser (a configured limit above 127) is kept as its JSON text.
fn payload_value(p: &Payload) -> Value {
    serde_json::from_str(p.as_str()).unwrap_or_else(|_| Value::String(p.as_str().to_owned()))
}
