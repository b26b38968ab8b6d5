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
    pub(crate) name: Cow<'static, str>,
    pub(crate) input: Option<Payload>,
    pub(crate) output: Option<Payload>,
    pub(crate) error: Option<Box<str>>,
    pub(crate) metadata: Vec<(Cow<'static, str>, Payload)>,
    pub(crate) log: Option<Box<LogLine>>,
}

impl Record {
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
            name,
            input: None,
            output: None,
            error: None,
            metadata: Vec::new(),
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
            metadata: Vec::new(),
            log: None,
        }
    }

    pub(crate) fn set_metadata(&mut self, key: Cow<'static, str>, value: Payload) {
        match self.metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.metadata.push((key, value)),
        }
    }

    pub(crate) fn set_error(&mut self, message: impl std::fmt::Display) {
        self.status = Status::Error;
        self.error = Some(message.to_string().into_boxed_str());
    }
}
