//! Actions: LLM calls, tool calls, retrievals; instant (`log`) or timed (`start`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use super::{capture_at, capture_keyed, log_kept, set_output, Draft};
use crate::record::Kind;
use crate::runtime::settings;
use crate::runtime::thread::OpenRecord;
use crate::Level;

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
    p: Draft,
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
            p: Draft::new(Kind::Action, name, level),
        }
    }

    /// The action's input, serialised now.
    #[inline(always)]
    pub fn input<T: Serialize + ?Sized>(mut self, input: &T) -> Self {
        if self.p.enabled {
            if let Some(input) = capture_at(self.p.level, input) {
                self.p.input = Some(input);
            }
        }
        self
    }

    /// The action's output (for `.log()`; a started action sets it on its guard).
    #[inline(always)]
    pub fn output<T: Serialize + ?Sized>(mut self, output: &T) -> Self {
        if self.p.enabled {
            if let Some(output) = capture_at(self.p.level, output) {
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
        let level = self.p.level;
        start_guard!(
            ActionGuard,
            self.p.enabled,
            self.p.into_record(),
            level,
            self.p.discard()
        )
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
    open: Option<OpenRecord>,
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
            let value = settings::keyed(&key, value);
            open.rec.set_metadata(key, value);
        }
        self
    }
}
