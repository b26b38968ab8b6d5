//! A depth-first walk over every record of a run, with the path to each.

use std::borrow::Cow;
use std::fmt;

use super::model::{Action, Event, Interaction, Iteration, Run, Status};
use crate::Usage;

/// The kind of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An [`Iteration`].
    Iteration,
    /// An [`Interaction`].
    Interaction,
    /// An [`Action`].
    Action,
    /// An [`Event`].
    Event,
}

impl Kind {
    /// `iteration`, `interaction`, `action` or `event`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Iteration => "iteration",
            Kind::Interaction => "interaction",
            Kind::Action => "action",
            Kind::Event => "event",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A borrowed record of any kind, as the walk yields it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Record<'a> {
    /// An iteration.
    Iteration(&'a Iteration),
    /// An interaction.
    Interaction(&'a Interaction),
    /// An action.
    Action(&'a Action),
    /// An event.
    Event(&'a Event),
}

impl<'a> Record<'a> {
    /// The record's kind.
    pub const fn kind(&self) -> Kind {
        match self {
            Record::Iteration(_) => Kind::Iteration,
            Record::Interaction(_) => Kind::Interaction,
            Record::Action(_) => Kind::Action,
            Record::Event(_) => Kind::Event,
        }
    }

    /// The record's name: an iteration's number, an agent's name, an action's name or an
    /// event's type.
    pub fn name(&self) -> Cow<'a, str> {
        match *self {
            Record::Iteration(it) => Cow::Owned(it.iteration_number.to_string()),
            Record::Interaction(i) => Cow::Borrowed(&i.agent_name),
            Record::Action(a) => Cow::Borrowed(&a.action_name),
            Record::Event(e) => Cow::Borrowed(&e.event_type),
        }
    }

    /// How the record reads in a path: `iteration 2`, the agent's name, the action's name, or
    /// `event <type>`.
    pub fn label(&self) -> Cow<'a, str> {
        match *self {
            Record::Iteration(it) => Cow::Owned(format!("iteration {}", it.iteration_number)),
            Record::Event(e) => Cow::Owned(format!("event {}", e.event_type)),
            _ => self.name(),
        }
    }

    /// The record's id (events have none).
    pub fn id(&self) -> Option<&'a str> {
        match *self {
            Record::Iteration(it) => Some(&it.id),
            Record::Interaction(i) => Some(&i.id),
            Record::Action(a) => Some(&a.id),
            Record::Event(_) => None,
        }
    }

    /// How the record ended (events have no status).
    pub fn status(&self) -> Option<Status> {
        match *self {
            Record::Iteration(it) => Some(it.status),
            Record::Interaction(i) => Some(i.status),
            Record::Action(a) => Some(a.status),
            Record::Event(_) => None,
        }
    }

    /// Whether the record failed: a status other than `ok`.
    pub fn is_failure(&self) -> bool {
        self.status().is_some_and(Status::is_failure)
    }

    /// The error's message, where one was set.
    pub fn error(&self) -> Option<&'a str> {
        match *self {
            Record::Iteration(it) => it.error.as_deref(),
            Record::Interaction(i) => i.error.as_deref(),
            Record::Action(a) => a.error.as_deref(),
            Record::Event(_) => None,
        }
    }

    /// When the record started (an event: when it was emitted).
    pub fn start_time(&self) -> &'a str {
        match *self {
            Record::Iteration(it) => &it.start_time,
            Record::Interaction(i) => &i.start_time,
            Record::Action(a) => &a.start_time,
            Record::Event(e) => &e.timestamp,
        }
    }

    /// When the record ended; `None` when it never did (an event ends when it starts).
    pub fn end_time(&self) -> Option<&'a str> {
        match *self {
            Record::Iteration(it) => it.end_time.as_deref(),
            Record::Interaction(i) => i.end_time.as_deref(),
            Record::Action(a) => a.end_time.as_deref(),
            Record::Event(e) => Some(&e.timestamp),
        }
    }

    /// Microseconds from start to end; `None` for an event and a record that never closed.
    pub fn duration_us(&self) -> Option<u64> {
        match *self {
            Record::Iteration(it) => it.duration_us,
            Record::Interaction(i) => i.duration_us,
            Record::Action(a) => a.duration_us,
            Record::Event(_) => None,
        }
    }

    /// The thread the record was opened on (empty for events).
    pub fn thread(&self) -> &'a str {
        match *self {
            Record::Iteration(it) => &it.thread,
            Record::Interaction(i) => &i.thread,
            Record::Action(a) => &a.thread,
            Record::Event(_) => "",
        }
    }

    /// The usage of the record and everything below it: its `usage_total` where the file has
    /// one, else the sum of the usage of the actions below it (an action's own `usage` too).
    pub fn usage(&self) -> Option<Usage> {
        let written = match *self {
            Record::Iteration(it) => it.usage_total,
            Record::Interaction(i) => i.usage_total,
            Record::Action(a) => a.usage_total,
            Record::Event(_) => return None,
        };
        written.or_else(|| actions_usage(vec![*self]))
    }

    /// The record's children, in the order of the file: iterations, interactions, actions,
    /// events, each in the order they started.
    pub fn children(&self) -> Vec<Record<'a>> {
        match *self {
            Record::Iteration(it) => {
                children(&it.iterations, &it.interactions, &it.actions, &it.events)
            }
            Record::Interaction(i) => {
                children(&i.iterations, &i.interactions, &i.actions, &i.events)
            }
            Record::Action(a) => children(&a.iterations, &a.interactions, &a.actions, &a.events),
            Record::Event(_) => Vec::new(),
        }
    }
}

/// The sum of the usage of the actions among `records` and below them (`None` if none has
/// any), added in walk order. No paths are kept and nothing is allocated a record: a record's
/// usage costs the size of what is below it, not that times its depth.
fn actions_usage(mut records: Vec<Record<'_>>) -> Option<Usage> {
    let mut sum: Option<Usage> = None;
    records.reverse();
    while let Some(record) = records.pop() {
        let (iterations, interactions, actions, events): Lists<'_> = match record {
            Record::Iteration(it) => (&it.iterations, &it.interactions, &it.actions, &it.events),
            Record::Interaction(i) => (&i.iterations, &i.interactions, &i.actions, &i.events),
            Record::Action(a) => {
                if let Some(u) = a.usage {
                    *sum.get_or_insert_with(Usage::default) += u;
                }
                (&a.iterations, &a.interactions, &a.actions, &a.events)
            }
            Record::Event(_) => continue,
        };
        // Children last first, so that they come off the stack in the file's order.
        records.extend(events.iter().rev().map(Record::Event));
        records.extend(actions.iter().rev().map(Record::Action));
        records.extend(interactions.iter().rev().map(Record::Interaction));
        records.extend(iterations.iter().rev().map(Record::Iteration));
    }
    sum
}

/// A record's lists of children.
type Lists<'a> = (
    &'a [Iteration],
    &'a [Interaction],
    &'a [Action],
    &'a [Event],
);

fn children<'a>(
    iterations: &'a [Iteration],
    interactions: &'a [Interaction],
    actions: &'a [Action],
    events: &'a [Event],
) -> Vec<Record<'a>> {
    let mut out =
        Vec::with_capacity(iterations.len() + interactions.len() + actions.len() + events.len());
    out.extend(iterations.iter().map(Record::Iteration));
    out.extend(interactions.iter().map(Record::Interaction));
    out.extend(actions.iter().map(Record::Action));
    out.extend(events.iter().map(Record::Event));
    out
}

impl Run {
    /// The run's top-level records, in the order of the file.
    pub fn children(&self) -> Vec<Record<'_>> {
        children(
            &self.iterations,
            &self.interactions,
            &self.actions,
            &self.events,
        )
    }

    /// Every record of the run, depth first (a record before its children, children in the
    /// order of the file), each with the path to it.
    ///
    /// ```
    /// use workflow_log::document::Run;
    ///
    /// let (_, doc) = workflow_log::capture(|| {
    ///     let _it = workflow_log::iteration().start();
    ///     let _exec = workflow_log::interaction("executor").start();
    ///     workflow_log::action("run_tests").log();
    /// });
    /// let run = Run::from_value(doc)?;
    /// let paths: Vec<String> = run.walk().map(|step| step.path().to_string()).collect();
    /// assert_eq!(paths, ["iteration 1", "iteration 1 › executor", "iteration 1 › executor › run_tests"]);
    /// # Ok::<(), workflow_log::Error>(())
    /// ```
    pub fn walk(&self) -> Walk<'_> {
        let mut stack = self.children();
        stack.reverse();
        Walk {
            stack: stack.into_iter().map(|r| (r, 0)).collect(),
            path: Vec::new(),
        }
    }

    /// The usage of the whole run: its `usage_total` where the file has one, else the sum of
    /// the usage of its actions.
    pub fn usage(&self) -> Option<Usage> {
        self.usage_total.or_else(|| actions_usage(self.children()))
    }

    /// Microseconds from the run's start to its end, when both times read.
    pub fn duration_us(&self) -> Option<u64> {
        let start = super::timestamp_us(&self.start_time)?;
        let end = super::timestamp_us(self.end_time.as_deref()?)?;
        u64::try_from(end - start).ok()
    }

    /// Every failed record (a status other than `ok`), in walk order.
    pub fn failures(&self) -> impl Iterator<Item = Step<'_>> {
        self.walk().filter(|step| step.record.is_failure())
    }
}

/// A record met on a [`walk`](Run::walk), with the records above it.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    /// The record.
    pub record: Record<'a>,
    /// Its ancestors, outermost first (empty for a top-level record).
    pub ancestors: Vec<Record<'a>>,
}

impl<'a> Step<'a> {
    /// How deep the record is: 0 for a top-level record.
    pub fn depth(&self) -> usize {
        self.ancestors.len()
    }

    /// The path to the record, e.g. `iteration 2 › executor › run_tests`.
    pub fn path(&self) -> RecordPath<'_, 'a> {
        RecordPath(self)
    }

    /// The agent the record works for: the nearest interaction at or above it.
    pub fn agent(&self) -> Option<&'a str> {
        std::iter::once(&self.record)
            .chain(self.ancestors.iter().rev())
            .find_map(|r| match r {
                Record::Interaction(i) => Some(i.agent_name.as_str()),
                _ => None,
            })
    }
}

/// The path to a record, displayed as its ancestors' and its own labels joined by ` › `.
#[derive(Clone, Copy, Debug)]
pub struct RecordPath<'s, 'a>(&'s Step<'a>);

impl fmt::Display for RecordPath<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for ancestor in &self.0.ancestors {
            write!(f, "{} › ", ancestor.label())?;
        }
        f.write_str(&self.0.record.label())
    }
}

/// The iterator of [`Run::walk`].
#[derive(Debug)]
pub struct Walk<'a> {
    /// Records still to visit, the next one last, with their depth.
    stack: Vec<(Record<'a>, usize)>,
    /// The ancestors of the next record to visit.
    path: Vec<Record<'a>>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = Step<'a>;

    fn next(&mut self) -> Option<Step<'a>> {
        let (record, depth) = self.stack.pop()?;
        self.path.truncate(depth);
        let step = Step {
            record,
            ancestors: self.path.clone(),
        };
        let kids = record.children();
        if !kids.is_empty() {
            self.path.push(record);
            self.stack
                .extend(kids.into_iter().rev().map(|r| (r, depth + 1)));
        }
        Some(step)
    }
}
