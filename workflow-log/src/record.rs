//! The flat record: what a guard or an event leaves behind, before any nesting.

use std::borrow::Cow;
use std::sync::Arc;

use crate::Level;

pub(crate) use crate::payload::Payload;

/// What a record is; any kind may be the parent of any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Iteration,
    Interaction,
    Action,
    Event,
}

/// How a record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Error,
    Panicked,
    Cancelled,
    /// Still open when the log was written (or when the process died).
    Incomplete,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Iteration => "iteration",
            Kind::Interaction => "interaction",
            Kind::Action => "action",
            Kind::Event => "event",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "iteration" => Kind::Iteration,
            "interaction" => Kind::Interaction,
            "action" => Kind::Action,
            "event" => Kind::Event,
            _ => return None,
        })
    }
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Panicked => "panicked",
            Status::Cancelled => "cancelled",
            Status::Incomplete => "incomplete",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "ok" => Status::Ok,
            "error" => Status::Error,
            "panicked" => Status::Panicked,
            "cancelled" => Status::Cancelled,
            "incomplete" => Status::Incomplete,
            _ => return None,
        })
    }
}

/// The extra fields of a Design B log line.
#[derive(Debug)]
pub(crate) struct LogLine {
    pub(crate) level: Level,
    pub(crate) logger: Arc<str>,
    pub(crate) message: Box<str>,
}

/// The `number` of an iteration that takes the next number among its siblings when it opens.
pub(crate) const AUTO_NUMBER: u64 = u64::MAX;

/// One record, flat: it knows its parent only by id. `parent == 0` is the workflow itself.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) kind: Kind,
    /// `Incomplete` marks an open notice, sent when an iteration or interaction opens.
    pub(crate) status: Status,
    /// Index into the thread-name registry.
    pub(crate) thread: u32,
    /// Iteration number (iterations only).
    pub(crate) number: u64,
    /// Ticks (see [`crate::clock`]).
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Agent name, action name or event type.
    pub(crate) name: Name,
    pub(crate) input: Option<Payload>,
    pub(crate) output: Option<Payload>,
    pub(crate) error: Option<ErrorText>,
    pub(crate) metadata: Metadata,
    pub(crate) log: Option<Box<LogLine>>,
}

// A record is moved into its guard and again into its thread's buffer: at 120 bytes (and its
// guard's 128), each move is a few vector stores inline instead of a call to `memcpy`. The
// rarely set fields are a word each.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Record>() <= 120);

impl Record {
    #[inline(always)]
    pub(crate) fn new(kind: Kind, name: Cow<'static, str>) -> Self {
        Record {
            id: 0,
            parent: 0,
            kind,
            status: Status::Ok,
            thread: 0,
            number: if kind == Kind::Iteration {
                AUTO_NUMBER
            } else {
                0
            },
            start: 0,
            end: 0,
            name: Name::new(name),
            input: None,
            output: None,
            error: None,
            metadata: Metadata::default(),
            log: None,
        }
    }

    /// The notice sent when an iteration or interaction opens, so that its name and place
    /// survive even if it never closes.
    pub(crate) fn open_notice(&self) -> Record {
        Record {
            id: self.id,
            parent: self.parent,
            kind: self.kind,
            status: Status::Incomplete,
            thread: self.thread,
            number: self.number,
            start: self.start,
            end: self.start,
            name: self.name.clone(),
            input: self.input.clone(),
            output: None,
            error: None,
            metadata: Metadata::default(),
            log: None,
        }
    }

    pub(crate) fn set_metadata(&mut self, key: Cow<'static, str>, value: Payload) {
        self.metadata.set(key, value);
    }

    pub(crate) fn set_error(&mut self, message: impl std::fmt::Display) {
        self.status = Status::Error;
        self.error = Some(ErrorText(Box::new(crate::payload::display_text(&message))));
    }
}

/// Metadata entries: key and captured value.
pub(crate) type Entry = (Cow<'static, str>, Payload);

/// A record's `metadata` entries, in the order they were first set: one word while empty.
#[derive(Debug, Default)]
#[allow(clippy::box_collection)]
pub(crate) struct Metadata(Option<Box<Vec<Entry>>>);

impl Metadata {
    /// Whether no entry was ever set (then it owns nothing).
    #[inline]
    pub(crate) fn is_unset(&self) -> bool {
        self.0.is_none()
    }

    /// Sets `key` (the same key twice keeps the last value, in the first one's place).
    pub(crate) fn set(&mut self, key: Cow<'static, str>, value: Payload) {
        let entries = self.0.get_or_insert_with(Box::default);
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        }
    }
}

impl std::ops::Deref for Metadata {
    type Target = [Entry];

    #[inline]
    fn deref(&self) -> &Self::Target {
        self.0.as_deref().map_or(&[], |v| v.as_slice())
    }
}

/// A record's error text: one word (a `Box<str>` takes two), as errors are rare.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::box_collection)]
pub(crate) struct ErrorText(Box<String>);

impl std::ops::Deref for ErrorText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ErrorText {
    fn from(s: &str) -> Self {
        ErrorText(Box::new(s.to_owned()))
    }
}

impl From<String> for ErrorText {
    fn from(s: String) -> Self {
        ErrorText(Box::new(s))
    }
}

/// A record's name, a `&'static str` or an owned string, in two words (a `Cow<str>` takes
/// three): the top bit of the length says which.
pub(crate) struct Name {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

const OWNED: usize = 1 << (usize::BITS - 1);

// SAFETY: a `Name` is a `&'static str` or a `Box<str>`, both `Send + Sync`.
unsafe impl Send for Name {}
// SAFETY: as above.
unsafe impl Sync for Name {}

impl Name {
    #[inline]
    pub(crate) fn new(name: Cow<'static, str>) -> Name {
        match name {
            Cow::Borrowed(s) => Name {
                ptr: std::ptr::NonNull::from(s).cast(),
                len: s.len(),
            },
            Cow::Owned(s) => {
                let boxed: Box<str> = s.into_boxed_str();
                let len = boxed.len();
                // A `str` is never longer than `isize::MAX`: the top bit is free.
                let raw = Box::into_raw(boxed);
                Name {
                    // SAFETY: `Box::into_raw` never returns null.
                    ptr: unsafe { std::ptr::NonNull::new_unchecked(raw.cast::<u8>()) },
                    len: len | OWNED,
                }
            }
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        let len = self.len & !OWNED;
        // SAFETY: `ptr` and `len` are those of a live `&'static str` or of the `Box<str>` this
        // name owns.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), len)) }
    }
}

impl Drop for Name {
    fn drop(&mut self) {
        if self.len & OWNED != 0 {
            let len = self.len & !OWNED;
            let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), len) as *mut str;
            // SAFETY: made by `Box::into_raw` in `new` and dropped once, here.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl Clone for Name {
    fn clone(&self) -> Name {
        if self.len & OWNED != 0 {
            Name::new(Cow::Owned(self.as_str().to_owned()))
        } else {
            Name {
                ptr: self.ptr,
                len: self.len,
            }
        }
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
