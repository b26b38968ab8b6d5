//! [`Capture`]: the JSON writer the serializer drives, and the error it reports. Its
//! `serde::Serializer` impl is in `serializer.rs`, the map keys in `key.rs`: both use this file,
//! neither the other's writer.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use super::secrets::redact_values_head;
use super::{display_text, write_cut_str, write_str, write_text, Config};

/// The error our serializer reports (only `Serialize` impls produce it).
#[derive(Debug)]
pub(crate) struct CaptureError(pub(super) String);

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaptureError {}

impl ser::Error for CaptureError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CaptureError(display_text(&msg))
    }
}

/// A JSON writer that never fails as a whole: see the module docs.
pub(super) struct Capture<'a> {
    pub(super) out: &'a mut String,
    pub(super) cfg: &'a Config,
    pub(super) depth: usize,
    /// Where the text of the value being limited begins in `out` (the value itself, or the
    /// whole it is a part of).
    start: usize,
    /// Once `out` is longer than this, the value is over its size limit and will be cut.
    limit_at: usize,
    /// Once `out` is longer than this, serialising stops (a sequence, map or struct returns an
    /// error to the `Serialize` impl, which gives up), so a huge value costs its limit, not its
    /// size: [`limit_at`](Self::limit_at), or the end of what a cut keeps once the value is
    /// known to be over its limit (see [`expect`](Self::expect)).
    stop_at: usize,
    /// A length hint said that the value can't fit in its limit.
    over: bool,
}

pub(super) type Res = Result<(), CaptureError>;

impl<'a> Capture<'a> {
    /// A writer appending to `out`, for a value whose text begins at `start` in `out` and may
    /// be `limit` bytes long before it is cut.
    pub(super) fn new(out: &'a mut String, cfg: &'a Config, start: usize, limit: usize) -> Self {
        let limit_at = start.saturating_add(limit);
        Capture {
            out,
            cfg,
            depth: 0,
            start,
            limit_at,
            stop_at: limit_at,
            over: false,
        }
    }
}

impl Capture<'_> {
    /// Whether the value is over its limit, and its text (cut off where serialising stopped)
    /// must be cut as a whole.
    pub(super) fn over(&self) -> bool {
        self.out.len() > self.stop_at && (self.over || self.out.len() > self.limit_at)
    }

    /// At least `more` bytes of the value are still to come (a sequence or map's length hint
    /// says so): if they can't fit in the limit, the value is over it, and only what a cut
    /// keeps (its first `max_string` bytes) is written from here on. Its cost then grows with
    /// what is kept, not with its size. (A `Serialize` impl whose hint is larger than what it
    /// gives may so have a value cut that would have fit: it is marked as cut, never lost.)
    #[inline]
    pub(super) fn expect(&mut self, more: usize) {
        if self.out.len().saturating_add(more) > self.limit_at {
            self.over = true;
            self.stop_at = self
                .stop_at
                .min(self.start.saturating_add(self.cfg.max_string));
        }
    }

    /// Serialises one value in place; on failure its partial output is replaced by a readable
    /// string, and on too much depth the value is not visited at all.
    pub(super) fn guarded<T: Serialize + ?Sized>(&mut self, value: &T) {
        if self.stopped() {
            return;
        }
        if self.depth >= self.cfg.max_depth {
            self.out.push_str("\"[depth limit]\"");
            return;
        }
        let mark = self.out.len();
        let depth = self.depth;
        self.depth += 1;
        let result = value.serialize(&mut *self);
        self.depth = depth;
        if let Err(e) = result {
            if self.stopped() {
                // Not the value's fault: the text is over the limit and is cut as a whole.
                return;
            }
            self.out.truncate(mark);
            let text = format!("[unserializable: {e}]");
            write_str(self.out, &text, self.cfg.max_string);
        }
    }

    pub(super) fn str(&mut self, s: &str) {
        let max = self.cfg.max_string;
        if s.len() <= max || !self.cfg.redact_values {
            // Escaped and redacted in one pass where it fits (see `write_text`).
            write_text(self.out, s, self.cfg);
        } else {
            // Only what a cut keeps is looked at for secrets (a head not over `max` is all of
            // the string, redacted). The note gives the length the string had.
            let head = redact_values_head(s, max);
            write_cut_str(self.out, &head, max, s.len());
        }
    }

    /// Whether the text is past [`stop_at`](Self::stop_at).
    #[inline]
    pub(super) fn stopped(&self) -> bool {
        self.out.len() > self.stop_at
    }

    /// What a compound returns to the `Serialize` impl once [`stopped`](Self::stopped).
    #[inline]
    pub(super) fn check_stop(&self) -> Res {
        if self.stopped() {
            Err(CaptureError(String::new()))
        } else {
            Ok(())
        }
    }

    /// An integer, as its `Display` text.
    pub(super) fn integer(&mut self, v: impl itoa::Integer) {
        self.out.push_str(itoa::Buffer::new().format(v));
    }

    /// A float, as its `Debug` text (`null` if it is not finite).
    pub(super) fn float(&mut self, v: f64) {
        if !v.is_finite() {
            self.out.push_str("null");
        } else if zmij_writes_debug_text(v) {
            self.out.push_str(zmij::Buffer::new().format_finite(v));
        } else {
            let _ = write!(self.out, "{v:?}");
        }
    }

    /// `{"<variant>":`; `true` if the variant is named like a secret (`Auth::Token(..)`): its
    /// content is then `"[REDACTED]"`, written by the caller.
    pub(super) fn begin_variant(&mut self, variant: &str) -> bool {
        self.out.push('{');
        write_str(self.out, variant, self.cfg.max_string);
        self.out.push(':');
        self.cfg.is_secret(variant)
    }
}

/// Whether zmij writes the same text for `v` (finite) as `{v:?}` does. Both write the shortest
/// digits that read back as `v` (the closest to it if several do), but:
/// - `{:?}` writes an exponent below 1e-4 and from 1e16 on, zmij in other places and with a
///   `+` in positive ones: only plain decimals are left to zmij;
/// - when two are equally close, they may pick different ones (`{:?}` rounds such a tie away
///   from zero, zmij to even). That needs `v` exactly halfway between them, so `v`'s exact
///   decimal expansion would have at most 18 significant digits (at most 17 for the shortest,
///   then a `5`). It is longer for most fractions; integers below 1e16 are written whole,
///   with no tie.
fn zmij_writes_debug_text(v: f64) -> bool {
    if v == 0.0 {
        return true;
    }
    if !(1e-4..1e16).contains(&v.abs()) {
        return false;
    }
    let bits = v.to_bits();
    // `v` is normal in this range: `mantissa * 2^(exponent - 1075)`, with the implicit bit.
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let zeros = mantissa.trailing_zeros();
    // `v = m * 2^e` with `m` odd, of `significant` bits.
    let significant = i64::from(53 - zeros);
    let e = ((bits >> 52) & 0x7ff) as i64 - 1075 + i64::from(zeros);
    if e >= 0 {
        return true;
    }
    // `v = m * 5^-e / 10^-e`: its exact expansion has the digits of `m * 5^-e`, more than
    // `(significant - 1) * log10(2) - e * log10(5)` of them (both logs rounded down here).
    (significant - 1) * 30_102 - e * 69_897 >= 18 * 100_000
}
