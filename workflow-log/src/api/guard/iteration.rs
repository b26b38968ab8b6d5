//! Iterations: one turn of the workflow's loop.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::record::{Kind, Record};
use crate::runtime::thread::{self, OpenRecord};
use crate::Level;

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
                rec.set_number(number);
            }
            rec
        };
        start_guard!(
            IterationGuard,
            thread::wanted(Kind::Iteration, self.level),
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
    open: Option<OpenRecord>,
    _not_send: PhantomData<*const ()>,
}

guard_common!(IterationGuard);

impl IterationGuard {
    /// The iteration's number (`None` when disabled).
    pub fn number(&self) -> Option<u64> {
        self.open.as_ref().map(|o| o.rec.number)
    }
}
