//! The nested JSON as text, indented or compact.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Emit;
use crate::capture::{clean_run, escape_into};
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

/// Bytes gathered before they are handed to the writer in one call.
const SPILL: usize = 256 << 10;

/// Keys kept with the separator and indentation that go before them (a record has about a dozen
/// keys, at a few depths).
const KEY_SLOTS: usize = 128;

/// A key's text as written at one depth, from its comma on: `,\n    "start_time": `.
#[derive(Default)]
struct KeyText {
    /// The key (a `&'static str`, so its address and length name its text) and the depth.
    key: (usize, usize, usize),
    text: Vec<u8>,
}

/// JSON text, indented or compact. Payloads and metadata stay on one line.
///
/// The text is gathered in a buffer of its own and handed to the writer [`SPILL`] bytes at a
/// time: a key with its indentation is a few copies into the buffer instead of as many calls
/// to the writer. Call [`Text::done`] at the end.
pub(super) struct Text<'a, W> {
    out: &'a mut W,
    buf: Vec<u8>,
    pretty: bool,
    /// Per open container: (is an array, has no item yet).
    open: Vec<(bool, bool)>,
    times: TimeFormat,
    keys: Vec<KeyText>,
}

impl<'a, W: Write> Text<'a, W> {
    pub(super) fn new(out: &'a mut W, pretty: bool) -> Self {
        Text {
            out,
            buf: Vec::with_capacity(SPILL + (4 << 10)),
            pretty,
            open: Vec::new(),
            times: TimeFormat::new(),
            keys: (0..KEY_SLOTS).map(|_| KeyText::default()).collect(),
        }
    }

    /// Hands the rest of the text to the writer.
    pub(super) fn done(self) -> io::Result<()> {
        self.out.write_all(&self.buf)
    }

    /// Hands the text gathered so far to the writer once there is enough of it.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= SPILL {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A comma (unless `first`), then a newline and the indentation of `depth` when pretty.
    fn separate(&mut self, first: bool, depth: usize) {
        let from = usize::from(first);
        let to = if self.pretty {
            2 + 2 * depth.min(MAX_INDENT_LEVEL)
        } else {
            1
        };
        self.buf.extend_from_slice(&BREAK[from..to.max(from)]);
    }

    /// Separates array items (an object's values follow their key).
    fn before_value(&mut self) -> io::Result<()> {
        self.spill()?;
        let depth = self.open.len();
        if let Some((true, first)) = self.open.last_mut() {
            let was_first = std::mem::replace(first, false);
            self.separate(was_first, depth);
        }
        Ok(())
    }

    fn close(&mut self, bracket: &str) -> io::Result<()> {
        self.spill()?;
        let (_, empty) = self.open.pop().unwrap_or((false, true));
        if !empty {
            let depth = self.open.len();
            self.separate(true, depth);
        }
        self.raw(bracket);
        if self.open.is_empty() && self.pretty {
            self.raw("\n");
        }
        Ok(())
    }

    fn quoted(&mut self, s: &str) {
        if clean_run(s.as_bytes()) == s.len() {
            // Nothing to escape (names and times almost always): the bytes as they are.
            self.buf.reserve(s.len() + 2);
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'"');
            return;
        }
        let mut escaped = String::with_capacity(s.len() + 8);
        escaped.push('"');
        escape_into(&mut escaped, s);
        escaped.push('"');
        self.raw(&escaped);
    }
}

impl<W: Write> Emit for Text<'_, W> {
    fn begin_object(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((false, true));
        self.raw("{");
        Ok(())
    }

    fn end_object(&mut self) -> io::Result<()> {
        self.close("}")
    }

    fn begin_array(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.open.push((true, true));
        self.raw("[");
        Ok(())
    }

    fn end_array(&mut self) -> io::Result<()> {
        self.close("]")
    }

    fn key(&mut self, key: &'static str) -> io::Result<()> {
        self.spill()?;
        let depth = self.open.len();
        let first = match self.open.last_mut() {
            Some((_, first)) => std::mem::replace(first, false),
            None => true,
        };
        let id = (key.as_ptr() as usize, key.len(), depth);
        let slot = (id.0 ^ (id.0 >> 7) ^ id.1 ^ depth.wrapping_mul(37)) % KEY_SLOTS;
        let k = &mut self.keys[slot];
        if k.key != id || k.text.is_empty() {
            let to = if self.pretty {
                2 + 2 * depth.min(MAX_INDENT_LEVEL)
            } else {
                1
            };
            k.text.clear();
            k.text.extend_from_slice(&BREAK[..to]);
            // The format's own names: nothing to escape.
            k.text.push(b'"');
            k.text.extend_from_slice(key.as_bytes());
            let colon: &[u8] = if self.pretty { b"\": " } else { b"\":" };
            k.text.extend_from_slice(colon);
            k.key = id;
        }
        self.buf.extend_from_slice(&k.text[usize::from(first)..]);
        Ok(())
    }

    fn str(&mut self, s: &str) -> io::Result<()> {
        self.before_value()?;
        self.quoted(s);
        Ok(())
    }

    fn uint(&mut self, n: u64) -> io::Result<()> {
        self.before_value()?;
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        Ok(())
    }

    fn id(&mut self, id: u64) -> io::Result<()> {
        self.before_value()?;
        let mut digits = itoa::Buffer::new();
        self.buf.push(b'"');
        self.buf.extend_from_slice(digits.format(id).as_bytes());
        self.buf.push(b'"');
        Ok(())
    }

    fn time(&mut self, anchor: &Anchor, tick: u64) -> io::Result<()> {
        self.before_value()?;
        let mut text = [b'"'; 29];
        let filled = match <&mut [u8; 27]>::try_from(&mut text[1..28]) {
            Ok(inner) => self.times.fill(anchor, tick, inner),
            Err(_) => false,
        };
        if filled {
            self.buf.extend_from_slice(&text);
        } else {
            self.quoted(&anchor.format(tick));
        }
        Ok(())
    }

    fn null(&mut self) -> io::Result<()> {
        self.before_value()?;
        self.raw("null");
        Ok(())
    }

    fn payload(&mut self, p: Option<&Payload>) -> io::Result<()> {
        self.before_value()?;
        self.raw(p.map_or("null", Payload::as_str));
        Ok(())
    }

    fn metadata(&mut self, entries: &[(Cow<'static, str>, Payload)]) -> io::Result<()> {
        self.before_value()?;
        self.raw("{");
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.quoted(key);
            self.raw(":");
            self.raw(value.as_str());
        }
        self.raw("}");
        Ok(())
    }
}
