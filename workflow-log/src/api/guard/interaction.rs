//! Interactions: an agent takes an input and gives a response.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;

use super::{capture_at, set_output, Draft};
use crate::record::Kind;
use crate::runtime::thread::OpenRecord;
use crate::Level;

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
    p: Draft,
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
            p: Draft::new(Kind::Interaction, agent, level),
        }
    }

    /// The agent's input, serialised now.
    #[inline(always)]
    pub fn input<T: Serialize + ?Sized>(mut self, input: &T) -> Self {
        if self.p.enabled {
            if let Some(input) = capture_at(self.p.level, input) {
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
    open: Option<OpenRecord>,
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
