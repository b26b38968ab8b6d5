//! Design C in manual scopes: builders that open iterations, interactions and actions, and the
//! RAII guards that close them.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use crate::local::{self, Open};
use crate::payload;
use crate::record::{ErrorText, Kind, Metadata, Payload, Record, Status};
use crate::workflow;
use crate::Level;

#[inline(always)]
fn close(open: &mut Option<Open>) {
    // The check inline, the work out of line: a guard that holds nothing costs nothing.
    if open.is_some() {
        local::close_in_place(open);
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
            open: Some(Open {
                rec: $rec,
                serial: 0,
            }),
            _not_send: PhantomData,
        };
        local::open_in_place(&mut guard.open, $level);
        guard
    }};
}

/// `log` for a builder's record.
#[inline(never)]
fn log_kept(rec: Record, level: Level) {
    local::emit(rec, Some(level));
}

fn set_output<T: Serialize + ?Sized>(open: &mut Option<Open>, value: &T) {
    if let Some(open) = open {
        open.rec.output = Some(payload::json(value));
    }
}

fn set_error(open: &mut Option<Open>, message: &dyn fmt::Display) {
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
                    _not_send: PhantomData,
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
            pub fn error(&mut self, message: impl fmt::Display) -> &mut Self {
                set_error(&mut self.open, &message);
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
                close(&mut self.open);
            }
        }

        impl fmt::Debug for $guard {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// Starts building an iteration: one turn of the workflow's loop.
///
/// Iterations are numbered 1, 2, 3 ... among their siblings unless given a
/// [`number`](IterationBuilder::number).
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     for _ in 0..2 {
///         let _it = workflow_log::iteration().start();
///     }
///     let _fifth = workflow_log::iteration().number(5).start();
/// });
/// let numbers: Vec<_> = log["iterations"].as_array().unwrap().iter()
///     .map(|it| it["iteration_number"].as_u64().unwrap()).collect();
/// assert_eq!(numbers, [1, 2, 5]);
/// ```
pub fn iteration() -> IterationBuilder {
    IterationBuilder {
        number: None,
        level: Level::Info,
    }
}

/// Configures an iteration before it starts; see [`iteration`].
#[derive(Debug)]
#[must_use = "an iteration is only recorded once `.start()` is called"]
pub struct IterationBuilder {
    number: Option<u64>,
    level: Level,
}

impl IterationBuilder {
    /// An explicit number instead of the next among its siblings: any integer type; one that
    /// doesn't fit in a `u64` (a negative number) leaves the iteration numbered automatically.
    pub fn number(mut self, number: impl TryInto<u64>) -> Self {
        self.number = number.try_into().ok();
        self
    }

    /// The record's level (default `Info`): below the workflow's level it is not recorded.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Opens the iteration; it closes when the guard drops.
    pub fn start(self) -> IterationGuard {
        let record = || {
            let mut rec = Record::new(Kind::Iteration, Cow::Borrowed(""));
            if let Some(number) = self.number {
                rec.number = number;
            }
            rec
        };
        start_guard!(
            IterationGuard,
            workflow::any_enabled(self.level),
            record(),
            self.level
        )
    }
}

/// An open iteration; it closes when dropped.
///
/// Guards belong to the thread that opened them:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(workflow_log::iteration().start());
/// ```
#[must_use = "the record closes when this guard drops"]
pub struct IterationGuard {
    open: Option<Open>,
    _not_send: PhantomData<*const ()>,
}

guard_common!(IterationGuard);

impl IterationGuard {
    /// The iteration's number (`None` when disabled).
    pub fn number(&self) -> Option<u64> {
        self.open.as_ref().map(|o| o.rec.number)
    }
}

/// Captures a builder's payload, if this thread's workflow keeps records at `level` (one look
/// at the thread's state, for that and its capture settings). Builders call it only when some
/// workflow keeps their level, and with their level, not themselves: the builder never has its
/// address taken, so it stays in registers, and below the level a builder's method is a branch.
#[inline(never)]
fn capture<T: Serialize + ?Sized>(level: Level, value: &T) -> Option<Payload> {
    let cfg = local::capture_settings(level)?;
    Some(payload::json_with(value, payload::settings(&cfg)))
}

/// [`capture`] for a metadata entry (redacted under a secret key).
#[inline(never)]
fn capture_keyed<T: Serialize + ?Sized>(level: Level, key: &str, value: &T) -> Option<Payload> {
    let cfg = local::capture_settings(level)?;
    Some(payload::keyed_with(key, value, payload::settings(&cfg)))
}

/// A record being configured by a builder: its parts, not yet a record (which is made in the
/// guard at `start`, or for `log`). Small, as builders are passed by value.
struct Pending {
    name: Cow<'static, str>,
    input: Option<Payload>,
    output: Option<Payload>,
    metadata: Metadata,
    error: Option<ErrorText>,
    kind: Kind,
    level: Level,
    /// Whether some workflow keeps records at `level`: one relaxed load when the builder is
    /// made (or its level set). Below every workflow's level nothing else happens: nothing is
    /// captured, and each method of the builder is a branch.
    enabled: bool,
}

impl Pending {
    #[inline(always)]
    fn new(kind: Kind, name: Cow<'static, str>, level: Level) -> Self {
        Pending {
            name,
            input: None,
            output: None,
            metadata: Metadata::default(),
            error: None,
            kind,
            level,
            enabled: workflow::any_enabled(level),
        }
    }

    /// Keeps the error even below the level (a later `.level()` may raise the record) while
    /// some workflow keeps records at all.
    fn set_error(&mut self, message: &dyn fmt::Display) {
        if self.enabled || workflow::any_enabled(Level::Error) {
            self.error = Some(ErrorText::from(payload::display_text(message)));
        }
    }

    /// Sets the level.
    fn set_level(&mut self, level: Level) {
        self.level = level;
        self.enabled = workflow::any_enabled(level);
    }

    /// Drops a builder's parts that were not recorded: with nothing owned in them (the common
    /// case below the level), inline and with no call.
    #[inline(always)]
    fn discard(self) {
        let owns_nothing = matches!(self.name, Cow::Borrowed(_))
            && self.input.is_none()
            && self.output.is_none()
            && self.metadata.is_unset()
            && self.error.is_none();
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
        rec.output = self.output;
        rec.metadata = self.metadata;
        if self.error.is_some() {
            rec.status = Status::Error;
            rec.error = self.error;
        }
        rec
    }
}

/// Starts building an interaction: an agent takes an input and gives a response.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     let _it = workflow_log::iteration().start();
///     let mut planner = workflow_log::interaction("planner")
///         .input(&serde_json::json!({"task": "plan a trip"}))
///         .start();
///     planner.output(&"1. book flights");
/// });
/// let planner = &log["iterations"][0]["interactions"][0];
/// assert_eq!(planner["agent_name"], "planner");
/// assert_eq!(planner["input"]["task"], "plan a trip");
/// assert_eq!(planner["output"], "1. book flights");
/// ```
#[inline(always)]
pub fn interaction(agent: impl Into<Cow<'static, str>>) -> InteractionBuilder {
    InteractionBuilder::new(agent.into(), Level::Info)
}

/// Configures an interaction before it starts; see [`interaction`].
#[must_use = "an interaction is only recorded once `.start()` is called"]
pub struct InteractionBuilder {
    p: Pending,
}

impl fmt::Debug for InteractionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractionBuilder")
            .field("agent", &self.p.name)
            .finish_non_exhaustive()
    }
}

impl InteractionBuilder {
    #[inline(always)]
    fn new(agent: Cow<'static, str>, level: Level) -> Self {
        InteractionBuilder {
            p: Pending::new(Kind::Interaction, agent, level),
        }
    }

    /// The agent's input, serialised now.
    #[inline(always)]
    pub fn input<T: Serialize + ?Sized>(mut self, input: &T) -> Self {
        if self.p.enabled {
            if let Some(input) = capture(self.p.level, input) {
                self.p.input = Some(input);
            }
        }
        self
    }

    /// The record's level (default `Info`): below the workflow's level it is not recorded.
    /// Set it before the payloads: they are only captured when the record is kept.
    pub fn level(mut self, level: Level) -> Self {
        self.p.set_level(level);
        self
    }

    /// Opens the interaction; it closes when the guard drops.
    #[inline(always)]
    pub fn start(self) -> InteractionGuard {
        let level = self.p.level;
        start_guard!(
            InteractionGuard,
            self.p.enabled,
            self.p.into_record(),
            level,
            self.p.discard()
        )
    }
}

/// An open interaction; it closes when dropped. Set its output before that.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(workflow_log::interaction("planner").start());
/// ```
#[must_use = "the record closes when this guard drops"]
pub struct InteractionGuard {
    open: Option<Open>,
    _not_send: PhantomData<*const ()>,
}

guard_common!(InteractionGuard);

impl InteractionGuard {
    /// The agent's response, serialised now; a second call replaces the first.
    pub fn output<T: Serialize + ?Sized>(&mut self, output: &T) -> &mut Self {
        set_output(&mut self.open, output);
        self
    }
}

/// Starts building an action: an LLM call, a tool call, a retrieval.
///
/// `.log()` records an instant action; `.start()` opens a timed one.
///
/// # Examples
///
/// ```
/// let ((), log) = workflow_log::capture(|| {
///     workflow_log::action("cache_hit").input(&"q").output(&42).log();
///     let mut search = workflow_log::action("web_search")
///         .input(&serde_json::json!({"query": "rust"}))
///         .metadata("engine", &"ddg")
///         .start();
///     search.output(&["result 1", "result 2"]);
/// });
/// assert_eq!(log["actions"][0]["action_name"], "cache_hit");
/// assert_eq!(log["actions"][1]["output_data"][1], "result 2");
/// assert_eq!(log["actions"][1]["metadata"]["engine"], "ddg");
/// ```
#[inline(always)]
pub fn action(name: impl Into<Cow<'static, str>>) -> ActionBuilder {
    ActionBuilder::new(name.into(), Level::Info)
}

/// Configures an action before it is logged or started; see [`action`].
#[must_use = "an action is only recorded by `.log()` or `.start()`"]
pub struct ActionBuilder {
    p: Pending,
}

impl fmt::Debug for ActionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionBuilder")
            .field("name", &self.p.name)
            .finish_non_exhaustive()
    }
}

impl ActionBuilder {
    #[inline(always)]
    fn new(name: Cow<'static, str>, level: Level) -> Self {
        ActionBuilder {
            p: Pending::new(Kind::Action, name, level),
        }
    }

    /// The action's input, serialised now.
    #[inline(always)]
    pub fn input<T: Serialize + ?Sized>(mut self, input: &T) -> Self {
        if self.p.enabled {
            if let Some(input) = capture(self.p.level, input) {
                self.p.input = Some(input);
            }
        }
        self
    }

    /// The action's output (for `.log()`; a started action sets it on its guard).
    #[inline(always)]
    pub fn output<T: Serialize + ?Sized>(mut self, output: &T) -> Self {
        if self.p.enabled {
            if let Some(output) = capture(self.p.level, output) {
                self.p.output = Some(output);
            }
        }
        self
    }

    /// One entry of the action's `metadata` object; the same key twice keeps the last value.
    #[inline(always)]
    pub fn metadata<T: Serialize + ?Sized>(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: &T,
    ) -> Self {
        if self.p.enabled {
            let key = key.into();
            if let Some(value) = capture_keyed(self.p.level, &key, value) {
                self.p.metadata.set(key, value);
            }
        }
        self
    }

    /// Marks the action failed (for `.log()`).
    pub fn error(mut self, message: impl fmt::Display) -> Self {
        self.p.set_error(&message);
        self
    }

    /// The record's level (default `Info`): below the workflow's level it is not recorded.
    /// Set it before the payloads: they are only captured when the record is kept.
    pub fn level(mut self, level: Level) -> Self {
        self.p.set_level(level);
        self
    }

    /// Records an instant action (start and end at the same time) under the innermost open
    /// record.
    #[inline(always)]
    pub fn log(self) {
        if !self.p.enabled {
            return self.p.discard();
        }
        let level = self.p.level;
        log_kept(self.p.into_record(), level);
    }

    /// Opens a timed action; it closes when the guard drops.
    #[inline(always)]
    pub fn start(self) -> ActionGuard {
        if !self.p.enabled {
            self.p.discard();
            return ActionGuard::disabled();
        }
        // The record is opened first and built after, in the guard where it will live.
        let Some(place) = local::open_action(self.p.level) else {
            self.p.discard();
            return ActionGuard::disabled();
        };
        let mut rec = self.p.into_record();
        place.fill(&mut rec);
        ActionGuard {
            open: Some(Open {
                rec,
                serial: place.serial,
            }),
            _not_send: PhantomData,
        }
    }
}

/// An open action; it closes when dropped. Set its output before that.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(workflow_log::action("web_search").start());
/// ```
#[must_use = "the record closes when this guard drops"]
pub struct ActionGuard {
    open: Option<Open>,
    _not_send: PhantomData<*const ()>,
}

guard_common!(ActionGuard);

impl ActionGuard {
    /// The action's output, serialised now; a second call replaces the first.
    pub fn output<T: Serialize + ?Sized>(&mut self, output: &T) -> &mut Self {
        set_output(&mut self.open, output);
        self
    }

    /// One entry of the action's `metadata` object.
    pub fn metadata<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: &T,
    ) -> &mut Self {
        if let Some(open) = &mut self.open {
            let key = key.into();
            let value = payload::keyed(&key, value);
            open.rec.set_metadata(key, value);
        }
        self
    }
}
