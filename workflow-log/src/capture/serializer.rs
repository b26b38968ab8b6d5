//! The `serde::Serializer` impl of [`Capture`]: a value's JSON text, safe, in one pass.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use super::key::{map_key, PlainKey};
use super::writer::{Capture, CaptureError, Res};
use super::{display_text, REDACTED};

impl<'a, 'b> ser::Serializer for &'b mut Capture<'a> {
    type Ok = ();
    type Error = CaptureError;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Res {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Res {
        self.integer(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Res {
        if v.is_finite() {
            let _ = write!(self.out, "{v:?}");
        } else {
            self.out.push_str("null");
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Res {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        let mut buf = [0; 4];
        self.str(v.encode_utf8(&mut buf));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Res {
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        let text = String::from_utf8_lossy(v);
        self.str(&text);
        Ok(())
    }
    fn serialize_none(self) -> Res {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        self.guarded(value);
        Ok(())
    }
    fn serialize_unit(self) -> Res {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res {
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Res {
        self.guarded(value);
        Ok(())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        if self.begin_variant(variant) {
            self.out.push_str(REDACTED);
        } else {
            self.guarded(value);
        }
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('[');
        if let Some(len) = len {
            // An item is one byte or more, and each but the last has a comma: `2 * len`
            // bytes or more with the `]`.
            self.expect(len.saturating_mul(2));
        }
        Ok(Compound::new(self, "]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, CaptureError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        if self.begin_variant(variant) {
            return Ok(Compound::redacted(self));
        }
        self.out.push('[');
        Ok(Compound::new(self, "]}"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('{');
        if let Some(len) = len {
            // An entry is `"":` and a value or more (4 bytes), and each but the last has a
            // comma: `5 * len` bytes or more with the `}`.
            self.expect(len.saturating_mul(5));
        }
        Ok(Compound::new(self, "}"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        self.out.push('{');
        Ok(Compound::new(self, "}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>, CaptureError> {
        if self.begin_variant(variant) {
            return Ok(Compound::redacted(self));
        }
        self.out.push('{');
        Ok(Compound::new(self, "}}"))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Res {
        let text = display_text(value);
        self.str(&text);
        Ok(())
    }
}

/// A sequence, map or struct being written.
pub(crate) struct Compound<'a, 'b> {
    ser: &'b mut Capture<'a>,
    first: bool,
    close: &'static str,
    /// The value of the current map entry is a secret.
    redact_next: bool,
    /// The content of a variant named like a secret: nothing of it is written.
    skip: bool,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(ser: &'b mut Capture<'a>, close: &'static str) -> Self {
        Compound {
            ser,
            first: true,
            close,
            redact_next: false,
            skip: false,
        }
    }

    /// The content of a variant named like a secret: `"[REDACTED]"` and the variant's `}`.
    fn redacted(ser: &'b mut Capture<'a>) -> Self {
        ser.out.push_str(REDACTED);
        Compound {
            skip: true,
            ..Compound::new(ser, "}")
        }
    }

    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(',');
        }
        self.first = false;
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        if self.skip {
            return;
        }
        self.comma();
        self.ser.str(key);
        self.ser.out.push(':');
        if self.ser.cfg.is_secret(key) {
            self.ser.out.push_str(REDACTED);
        } else {
            self.ser.guarded(value);
        }
    }

    fn end_compound(self) -> Res {
        self.ser.out.push_str(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        if self.skip {
            return Ok(());
        }
        self.ser.check_stop()?;
        self.comma();
        self.ser.guarded(value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

/// Tuples of every kind are written as sequences.
macro_rules! as_seq {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = CaptureError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
                ser::SerializeSeq::serialize_element(self, value)
            }
            fn end(self) -> Res {
                self.end_compound()
            }
        }
    )*};
}

as_seq!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Res {
        self.ser.check_stop()?;
        self.comma();
        let mark = self.ser.out.len();
        let plain = PlainKey {
            ser: &mut *self.ser,
            redact: &mut self.redact_next,
            depth: 0,
        };
        if key.serialize(plain).is_err() {
            self.ser.out.truncate(mark);
            let key = map_key(key, self.ser.cfg);
            self.redact_next = self.ser.cfg.is_secret(&key);
            self.ser.str(&key);
        }
        self.ser.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        if std::mem::take(&mut self.redact_next) {
            self.ser.out.push_str(REDACTED);
        } else {
            self.ser.guarded(value);
        }
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.ser.check_stop()?;
        self.field(key, value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = CaptureError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.ser.check_stop()?;
        self.field(key, value);
        Ok(())
    }
    fn end(self) -> Res {
        self.end_compound()
    }
}
