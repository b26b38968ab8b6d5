//! Map keys: written straight into the output when plain, else as their JSON text.

use serde::ser::{self, Serialize};

use super::writer::{Capture, CaptureError, Res};
use super::Config;
use super::{display_text, write_str};

/// Writes a map key that is a string, an integer or a unit variant (as nearly all are), in
/// newtypes or not, straight into the output, as `map_key` would have it written: it fails,
/// before writing anything, on any other key, and on a key `map_key` would change (a string
/// over the size limit, a part past the depth limit).
pub(super) struct PlainKey<'a, 'b> {
    pub(super) ser: &'b mut Capture<'a>,
    /// Set to whether the key is a secret one.
    pub(super) redact: &'b mut bool,
    /// The depth at which `map_key` would serialise this part of the key.
    pub(super) depth: usize,
}

impl PlainKey<'_, '_> {
    fn write(self, key: &str) -> Res {
        let cfg = self.ser.cfg;
        if self.depth >= cfg.max_depth || key.len() > cfg.max_string {
            return Err(not_plain());
        }
        *self.redact = cfg.is_secret(key);
        write_str(self.ser.out, key, cfg.max_string);
        Ok(())
    }
}

fn not_plain() -> CaptureError {
    CaptureError(String::new())
}

macro_rules! plain_key_integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Res {
            self.write(itoa::Buffer::new().format(v))
        }
    )*};
}

macro_rules! not_plain_keys {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ret, CaptureError> {
            Err(not_plain())
        }
    )*};
}

impl ser::Serializer for PlainKey<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = ser::Impossible<(), CaptureError>;
    type SerializeTuple = ser::Impossible<(), CaptureError>;
    type SerializeTupleStruct = ser::Impossible<(), CaptureError>;
    type SerializeTupleVariant = ser::Impossible<(), CaptureError>;
    type SerializeMap = ser::Impossible<(), CaptureError>;
    type SerializeStruct = ser::Impossible<(), CaptureError>;
    type SerializeStructVariant = ser::Impossible<(), CaptureError>;

    fn serialize_str(self, v: &str) -> Res {
        self.write(v)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res {
        self.write(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Res {
        if self.depth >= self.ser.cfg.max_depth {
            return Err(not_plain());
        }
        value.serialize(PlainKey {
            depth: self.depth + 1,
            ..self
        })
    }
    plain_key_integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    not_plain_keys! {
        serialize_bool(bool) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Res {
        Err(not_plain())
    }
    /// serde's default goes through `ToString`, which panics on a `Display` impl that fails.
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Res {
        self.write(&display_text(value))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Res {
        Err(not_plain())
    }
}

/// A map key as a string: strings as they are, anything else as its compact JSON text.
pub(super) fn map_key<T: Serialize + ?Sized>(key: &T, cfg: &Config) -> String {
    let mut out = String::new();
    Capture::new(&mut out, cfg, 0, usize::MAX).guarded(key);
    // A string key comes back quoted: unquote it (it is valid JSON, so this can't fail).
    if out.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(&out) {
            return s;
        }
    }
    out
}
