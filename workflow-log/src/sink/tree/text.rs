//! The nested JSON as text, indented or compact.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Emit;
use crate::capture::escape_into;
use crate::clock::{Anchor, TimeFormat};
use crate::record::Payload;

/// Two spaces per level of indentation, written in one call, up to 64 levels (32 records
/// deep): deeper lines are indented as much as that. Indenting without a bound makes the file
/// grow with the square of the depth (a chain of 5,000 nested records took 500 MB of spaces).
const INDENT: &[u8; 128] = &[b' '; 128];

/// JSON text, indented or compact. Payloads and metadata stay on one line.
pub(super) struct Text<'a, W> {
    pub(super) out: &'a mut W,
    pub(super) pretty: bool,
    /// Per open container: (is an array, has no item yet).
    pub(super) open: Vec<(bool, bool)>,
    pub(super) times: TimeFormat,
}

impl<W: Write> Text<'_, W> {
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    fn newline(&mut self, depth: usize) -> io::Result<()> {
        if self.pretty {
            self.out.write_all(b"\n")?;
            self.out
                .write_all(&INDENT[..depth.saturating_mul(2).min(INDENT.len())])?;
        }
        Ok(())
    }

    /// Separates array items (an object's values follow their key).
    fn before_value(&mut self) -> io::Result<()> {
        let depth = self.open.len();
        if let Some((true, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            if !was_first {
                self.raw(",")?;
            }
            self.newline(depth)?;
        }
        Ok(())
    }

    fn close(&mut self, bracket: &str) -> io::Result<()> {
        let (_, empty) = self.open.pop().unwrap_or((false, true));
        if !empty {
            let depth = self.open.len();
            self.newline(depth)?;
        }
        self.raw(bracket)?;
        if self.open.is_empty() && self.pretty {
            self.raw("\n")?;
        }
        Ok(())
    }

    fn quoted(&mut self, s: &str) -> io::Result<()> {
        if s.bytes()
            .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f)
        {
            // Nothing to escape (names and times almost always): no copy.
            self.out.write_all(b"\"")?;
            self.out.write_all(s.as_bytes())?;
            return self.out.write_all(b"\"");
        }
        let mut buf = String::with_capacity(s.len() + 8);
        buf.push('"');
        escape_into(&mut buf, s);
        buf.push('"');
        self.raw(&buf)
    }
}

impl<W: Write> Emit for Text<'_, W> {
    fn begin_object(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((false, true));
        self.raw("{")
    }

    fn end_object(&mut self) -> io::Result<()> {
        self.close("}")
    }

    fn begin_array(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((true, true));
        self.raw("[")
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.close("]")
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        let depth = self.open.len();
        if let Some((_, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            if !was_first {
                self.raw(",")?;
            }
        }
        self.newline(depth)?;
        self.quoted(key)?;
        self.raw(if self.pretty { ": " } else { ":" })
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.before_value()?;
        self.quoted(s)
    }

    fn uint(&mut self, n: u64) -> io::Result<()> {
        self.before_value()?;
        self.out.write_all(itoa::Buffer::new().format(n).as_bytes())
    }

    fn id(&mut self, id: u64) -> io::Result<()> {
        self.before_value()?;
        self.out.write_all(b"\"")?;
        self.out
            .write_all(itoa::Buffer::new().format(id).as_bytes())?;
        self.out.write_all(b"\"")
    }

    fn time(&mut self, anchor: &Anchor, tick: u64) -> io::Result<()> {
        self.before_value()?;
        let mut buf = [0; 27];
        let text = self.times.format(anchor, tick, &mut buf);
        self.out.write_all(b"\"")?;
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\"")
    }

    fn null(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.raw("null")
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.before_value()?;
        self.raw(p.map_or("null", Payload::as_str))
    }

    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()> {
        self.before_value()?;
        self.raw("{")?;
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.quoted(key)?;
            self.raw(":")?;
            self.raw(value.as_str())?;
        }
        self.raw("}")
    }
}
