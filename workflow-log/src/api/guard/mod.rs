//! Guards in manual scopes: builders that open iterations, interactions and actions, and the
//! RAII guards that close them. Each guard opens its record with the runtime's one primitive
//! (`open_in_place`), after the one test of whether it is wanted (`wanted`).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::capture;
use crate::record::{ErrorText, Kind, Metadata, Payload, Record, Status, Usage};
use crate::runtime::settings;
use crate::runtime::thread::{self, OpenRecord};
use crate::Level;

#[inline(always)]
pub(super) fn close(open: &mut Option<OpenRecord>) {
    // The check inline, the work out of line: a guard that holds nothing costs nothing.
    if open.is_some() {
        thread::close_in_place(open);
    }
}

/// Makes a guard around a record (made only when `$wanted`: below every workflow's level this is
/// one branch) and opens it where it lies, in the guard.
macro_rules! start_guard {
    ($guard:ident, $wanted:expr, $rec:expr, $level:expr) => {
        start_guard!($guard, $wanted, $rec, $level, ())
    };
    ($guard:ident, $wanted:expr, $rec:expr, $level:expr, $discard:expr) => {{
        if !$wanted {
            $discard;
            return $guard::disabled();
        }
        let mut guard = $guard {
            open: Some($crate::runtime::thread::OpenRecord {
                rec: $rec,
                serial: 0,
            }),
            _not_send: ::std::marker::PhantomData,
        };
        $crate::runtime::thread::open_in_place(&mut guard.open, $level);
        guard
    }};
}

/// `log` for a builder's record.
#[inline(never)]
pub(super) fn log_kept(rec: Record, level: Level) {
    thread::emit(rec, Some(level));
}

pub(super) fn set_output<T: Serialize + ?Sized>(open: &mut Option<OpenRecord>, value: &T) {
    if let Some(open) = open {
        open.rec.set_output(settings::json(value));
    }
}

pub(super) fn set_error(open: &mut Option<OpenRecord>, message: &dyn fmt::Display) {
    if let Some(open) = open {
        open.rec.set_error(message);
    }
}

macro_rules! guard_common {
    ($guard:ident) => {
        impl $guard {
            /// A guard that holds nothing (no workflow keeps its record).
            #[inline(always)]
            fn disabled() -> Self {
                $guard {
                    open: None,
                    _not_send: ::std::marker::PhantomData,
                }
            }

            /// Whether a workflow keeps this record (false outside any workflow or below its
            /// level: then every method is a no-op).
            pub fn is_enabled(&self) -> bool {
                self.open.is_some()
            }

            /// The record's id in the JSON (`None` when disabled).
            pub fn id(&self) -> Option<String> {
                self.open.as_ref().map(|o| o.rec.id.to_string())
            }

            /// Marks the record `status: "error"` with `message` in `error`.
            pub fn error(&mut self, message: impl ::std::fmt::Display) -> &mut Self {
                super::set_error(&mut self.open, &message);
                self
            }

            /// Closes the record now (the same as dropping the guard).
            pub fn end(self) {}
        }

        impl Drop for $guard {
            // Inlined, so that a guard that holds nothing (no workflow, below the level, the
            // `off` feature) is dropped with no call.
            #[inline(always)]
            fn drop(&mut self) {
                super::close(&mut self.open);
            }
        }

        impl ::std::fmt::Debug for $guard {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match &self.open {
                    Some(o) => f
                        .debug_struct(stringify!($guard))
                        .field("id", &o.rec.id)
                        .field("name", &o.rec.name)
                        .finish(),
                    None => f.write_str(concat!(stringify!($guard), "(disabled)")),
                }
            }
        }
    };
}

/// Captures a builder's payload, if this thread's workflow keeps records at `level` (one look
/// at the thread's state, for that and its capture settings). Builders call it only when some
/// workflow keeps their level, and with their level, not themselves: the builder never has its
/// address taken, so it stays in registers, and below the level a builder's method is a branch.
#[inline(never)]
pub(super) fn capture_at<T: Serialize + ?Sized>(level: Level, value: &T) -> Option<Payload> {
    let cfg = thread::capture_settings(level)?;
    Some(capture::json_with(value, capture::settings(&cfg)))
}

/// [`capture_at`] for a metadata entry (redacted under a secret key).
#[inline(never)]
pub(super) fn capture_keyed<T: Serialize + ?Sized>(
    level: Level,
    key: &str,
    value: &T,
) -> Option<Payload> {
    let cfg = thread::capture_settings(level)?;
    Some(capture::keyed_with(key, value, capture::settings(&cfg)))
}

/// A record being configured by a builder: its parts, not yet a record (which is made in the
/// guard at `start`, or for `log`). Small, as builders are passed by value.
pub(super) struct Draft {
    name: Cow<'static, str>,
    input: Option<Payload>,
    output: Option<Payload>,
    metadata: Metadata,
    error: Option<ErrorText>,
    /// Model and usage of an LLM call (`ActionBuilder::usage`).
    usage: Option<Box<(Box<str>, Usage)>>,
    kind: Kind,
    level: Level,
    /// Whether some workflow keeps records at `level`: one relaxed load when the builder is
    /// made (or its level set). Below every workflow's level nothing else happens: nothing is
    /// captured, and each method of the builder is a branch.
    enabled: bool,
}

impl Draft {
    #[inline(always)]
    fn new(kind: Kind, name: Cow<'static, str>, level: Level) -> Self {
        Draft {
            name,
            input: None,
            output: None,
            metadata: Metadata::default(),
            error: None,
            usage: None,
            kind,
            level,
            enabled: thread::wanted(kind, level),
        }
    }

    /// Keeps the error even below the level (a later `.level()` may raise the record) while
    /// some workflow keeps records at all.
    fn set_error(&mut self, message: &dyn fmt::Display) {
        if self.enabled || thread::wanted(self.kind, Level::Error) {
            self.error = Some(ErrorText::from(capture::display_text(message)));
        }
    }

    /// Adds the usage of an LLM call (several calls add up; the last model named is kept).
    pub(super) fn add_usage(&mut self, model: Cow<'static, str>, usage: Usage) {
        if !self.enabled {
            return;
        }
        match &mut self.usage {
            Some(kept) => {
                kept.0 = model.into_owned().into_boxed_str();
                kept.1.add(&usage);
            }
            None => self.usage = Some(Box::new((model.into_owned().into_boxed_str(), usage))),
        }
    }

    /// Sets the level.
    fn set_level(&mut self, level: Level) {
        self.level = level;
        self.enabled = thread::wanted(self.kind, level);
    }

    /// Drops a builder's parts that were not recorded: with nothing owned in them (the common
    /// case below the level), inline and with no call.
    #[inline(always)]
    fn discard(self) {
        let owns_nothing = matches!(self.name, Cow::Borrowed(_))
            && self.input.is_none()
            && self.output.is_none()
            && self.metadata.is_unset()
            && self.error.is_none()
            && self.usage.is_none();
        if owns_nothing {
            // Nothing to free: skips the drop glue (a call).
            std::mem::forget(self);
        } else {
            drop(self);
        }
    }

    /// The record to start or log (call only when `enabled`).
    #[inline(always)]
    fn into_record(self) -> Record {
        let mut rec = Record::new(self.kind, self.name);
        rec.input = self.input;
        if let Some(output) = self.output {
            rec.set_output(output);
        }
        rec.metadata = self.metadata;
        if let Some(usage) = self.usage {
            let (model, usage) = *usage;
            rec.llm_mut().add_explicit(Some(model), &usage);
        }
        if self.error.is_some() {
            rec.status = Status::Error;
            rec.error = self.error;
        }
        rec
    }
}

// After the macros above, which the guards' modules use.
mod action;
mod interaction;
mod iteration;

pub use action::{action, ActionBuilder, ActionGuard};
pub use interaction::{interaction, InteractionBuilder, InteractionGuard};
pub use iteration::{iteration, IterationBuilder, IterationGuard};
