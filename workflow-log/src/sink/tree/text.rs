//! The nested JSON as text, indented or compact.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Emit;
use crate::capture::escape_into;
use crate::clock::{Anchor, TimeFormat};
use crate::record::Payload;

/// Levels deeper than this are indented as this one: a tree of records thousands deep (an agent
/// that recursed) would otherwise take space quadratic in its depth (2.8 GB for a 1.6 MB
/// journal 10,000 records deep).
const MAX_INDENT_LEVEL: usize = 64;

/// A comma, a newline and the deepest indentation (two spaces a level): what goes between two
/// items, cut to size and written in one call.
const BREAK: [u8; 2 + 2 * MAX_INDENT_LEVEL] = {
    let mut b = [b' '; 2 + 2 * MAX_INDENT_LEVEL];
    b[0] = b',';
    b[1] = b'\n';
    b
};

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

    /// A comma (unless `first`), then a newline and the indentation of `depth` when pretty.
    fn separate(&mut self, first: bool, depth: usize) -> io::Result<()> {
        let from = usize::from(first);
        if self.pretty {
            self.out
                .write_all(&BREAK[from..2 + 2 * depth.min(MAX_INDENT_LEVEL)])
        } else {
            self.out.write_all(&BREAK[from..1])
        }
    }

    fn newline(&mut self, depth: usize) -> io::Result<()> {
        self.separate(true, depth)
    }

    /// Separates array items (an object's values follow their key).
    fn before_value(&mut self) -> io::Result<()> {
        let depth = self.open.len();
        if let Some((true, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            self.separate(was_first, depth)?;
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
        let first = match self.open.last_mut() {
            Some((_, first)) => std::mem::replace(first, false),
            None => true,
        };
        self.separate(first, depth)?;
        // The format's own names: nothing to escape.
        self.out.write_all(b"\"")?;
        self.out.write_all(key.as_bytes())?;
        self.out
            .write_all(if self.pretty { b"\": " } else { b"\":" })
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
