//! Actions: LLM calls, tool calls, retrievals; instant (`log`) or timed (`start`).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use super::{capture_at, capture_keyed, log_kept, set_output, Draft};
use crate::record::{Kind, Name, Usage};
use crate::runtime::settings;
use crate::runtime::thread::{self, OpenRecord};
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

    /// The model this action called and the tokens it used (an LLM call). An output that is a
    /// provider's response (OpenAI's or Anthropic's shape) gives both by itself; this wins over
    /// it. Several calls add up. Cost comes from `usage`'s `cost_usd`, else from the workflow's
    /// [`price`](crate::WorkflowBuilder::price) for the model.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_log::Usage;
    ///
    /// let ((), log) = workflow_log::capture(|| {
    ///     workflow_log::action("chat")
    ///         .usage("gpt-4o", Usage::tokens(120, 30).cost_usd(0.0006))
    ///         .log();
    /// });
    /// let action = &log["actions"][0];
    /// assert_eq!(action["model"], "gpt-4o");
    /// assert_eq!(action["usage"]["total_tokens"], 150);
    /// assert_eq!(log["usage_by_model"]["gpt-4o"]["input_tokens"], 120);
    /// ```
    #[inline(always)]
    pub fn usage(mut self, model: impl Into<Cow<'static, str>>, usage: Usage) -> Self {
        if self.p.enabled {
            self.p.add_usage(model.into(), usage);
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
        let name = match &self.p.name {
            Cow::Borrowed(name) => thread::NameRef::Static(name),
            Cow::Owned(name) => thread::NameRef::Made(name),
        };
        let Some(place) = thread::open_action(self.p.level, name) else {
            self.p.discard();
            return ActionGuard::disabled();
        };
        let mut rec = self.p.into_record();
        place.fill(&mut rec);
        ActionGuard {
            open: Some(OpenRecord {
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

    /// Adds the model and tokens of an LLM call to the action (several calls add up, e.g. a
    /// streamed response reported chunk by chunk); see [`ActionBuilder::usage`].
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_log::Usage;
    ///
    /// let ((), log) = workflow_log::capture(|| {
    ///     let mut call = workflow_log::action("chat").start();
    ///     call.usage("claude-sonnet-4", Usage::tokens(10, 5));
    ///     call.usage("claude-sonnet-4", Usage::tokens(0, 7));
    /// });
    /// assert_eq!(log["actions"][0]["usage"]["output_tokens"], 12);
    /// ```
    pub fn usage(&mut self, model: impl Into<Cow<'static, str>>, usage: Usage) -> &mut Self {
        if let Some(open) = &mut self.open {
            open.rec
                .llm_mut()
                .add_explicit(Some(Name::new(model.into())), &usage);
        }
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
