//! The flat record: what a guard or an event leaves behind, before any nesting.

use std::borrow::Cow;
use std::sync::Arc;

use crate::Level;

pub(crate) use crate::capture::Payload;
pub(crate) use name::Name;
pub(crate) use thread_name::{register_thread, thread_names};
pub use usage::Usage;

mod name;
mod thread_name;
mod usage;

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

/// The extra fields of a logger's log line.
#[derive(Debug)]
pub(crate) struct LogLine {
    pub(crate) level: Level,
    pub(crate) logger: Arc<str>,
    pub(crate) message: Box<str>,
}

/// An LLM call's model and token usage (on an action).
#[derive(Debug, Clone, Default)]
pub(crate) struct Llm {
    pub(crate) model: Option<Name>,
    pub(crate) usage: Usage,
    /// Reported by a `usage` call, which wins over usage read from a provider's response.
    pub(crate) explicit: bool,
}

impl Llm {
    /// Adds usage reported by a `usage` call: explicit usage adds up (a streamed response,
    /// reported chunk by chunk) and replaces usage read from the output.
    pub(crate) fn add_explicit(&mut self, model: Option<Name>, usage: &Usage) {
        if !self.explicit {
            self.usage = Usage::default();
            self.explicit = true;
        }
        self.usage.add(usage);
        if model.is_some() {
            self.model = model;
        }
    }

    /// Usage read from a provider's response: kept only where no `usage` call reported any.
    pub(crate) fn set_detected(&mut self, model: Box<str>, usage: Usage) {
        if !self.explicit {
            self.model = Some(Name::new(Cow::Owned(model.into())));
            self.usage = usage;
        }
    }
}

/// The parts of a record that few records have, boxed: one word while none is set.
#[derive(Debug, Default)]
pub(crate) struct Rare {
    /// A logger's log line (events with `event_type: "log"`).
    pub(crate) log: Option<LogLine>,
    /// An LLM call's model and usage (actions).
    pub(crate) llm: Option<Llm>,
}

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
    /// An iteration that takes the next number among its siblings when it opens (every `u64`
    /// is a number a user may give).
    pub(crate) auto_number: bool,
    /// Ticks (see [`crate::clock`]).
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Agent name, action name or event type.
    pub(crate) name: Name,
    pub(crate) input: Option<Payload>,
    pub(crate) output: Option<Payload>,
    pub(crate) error: Option<ErrorText>,
    pub(crate) metadata: Metadata,
    /// Log line, model and usage: rare, so boxed.
    pub(crate) rare: Option<Box<Rare>>,
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
            number: 0,
            auto_number: kind == Kind::Iteration,
            start: 0,
            end: 0,
            name: Name::new(name),
            input: None,
            output: None,
            error: None,
            metadata: Metadata::default(),
            rare: None,
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
            auto_number: false,
            start: self.start,
            end: self.start,
            name: self.name.clone(),
            input: self.input.clone(),
            output: None,
            error: None,
            metadata: Metadata::default(),
            rare: None,
        }
    }

    /// An explicit iteration number.
    pub(crate) fn set_number(&mut self, number: u64) {
        self.number = number;
        self.auto_number = false;
    }

    pub(crate) fn set_metadata(&mut self, key: Cow<'static, str>, value: Payload) {
        self.metadata.set(key, value);
    }

    /// Sets the output. An action's output that is a provider's response (OpenAI's or
    /// Anthropic's shape) gives the action its model and usage, unless a `usage` call did.
    pub(crate) fn set_output(&mut self, output: Payload) {
        if self.kind == Kind::Action {
            if let Some((model, usage)) = usage::from_response(output.as_str()) {
                self.llm_mut().set_detected(model, usage);
            }
        }
        self.output = Some(output);
    }

    /// The log line of a logger's event.
    pub(crate) fn log(&self) -> Option<&LogLine> {
        self.rare.as_ref()?.log.as_ref()
    }

    pub(crate) fn set_log(&mut self, line: LogLine) {
        self.rare.get_or_insert_with(Box::default).log = Some(line);
    }

    /// The model and usage of an LLM call.
    pub(crate) fn llm(&self) -> Option<&Llm> {
        self.rare.as_ref()?.llm.as_ref()
    }

    pub(crate) fn llm_mut(&mut self) -> &mut Llm {
        self.rare
            .get_or_insert_with(Box::default)
            .llm
            .get_or_insert_with(Llm::default)
    }

    pub(crate) fn set_error(&mut self, message: impl std::fmt::Display) {
        self.status = Status::Error;
        self.error = Some(ErrorText::from(crate::capture::display_text(&message)));
    }

    /// An error with its causes: `text` is the whole message, `chain` each message of the
    /// chain, outermost first.
    pub(crate) fn set_error_chain(&mut self, text: String, chain: Vec<String>) {
        self.status = Status::Error;
        self.error = Some(ErrorText::with_chain(text, chain));
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

/// A record's error text, and the messages of its chain of causes when it has some (`error`
/// and `error_chain` in the JSON): one word, as errors are rare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorText(Box<ErrorParts>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorParts {
    text: String,
    /// Empty, or every message of the chain, outermost first (two or more).
    chain: Vec<String>,
}

impl ErrorText {
    /// `text`, with `chain` kept only when it holds causes (two messages or more).
    pub(crate) fn with_chain(text: String, mut chain: Vec<String>) -> Self {
        if chain.len() < 2 {
            chain = Vec::new();
        }
        ErrorText(Box::new(ErrorParts { text, chain }))
    }

    /// The messages of the error and its causes, outermost first; empty when it has no cause.
    pub(crate) fn chain(&self) -> &[String] {
        &self.0.chain
    }
}

impl std::ops::Deref for ErrorText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0.text
    }
}

impl From<&str> for ErrorText {
    fn from(s: &str) -> Self {
        ErrorText::from(s.to_owned())
    }
}

impl From<String> for ErrorText {
    fn from(text: String) -> Self {
        ErrorText::with_chain(text, Vec::new())
    }
}

/// The status a guard dropped now should get: `panicked` while unwinding.
#[inline]
pub(crate) fn drop_status(current: Status) -> Status {
    if std::thread::panicking() {
        Status::Panicked
    } else {
        current
    }
}
