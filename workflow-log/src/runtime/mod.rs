//! The process's and threads' state: the registry of live workflows, each thread's stack of open
//! records and its buffer of finished ones, the scopes a thread enters, and the hand-over of
//! finished records to the sinks.
//!
//! The layer above (`api`) opens every record the same way, guards and macros alike: it asks
//! [`thread::wanted`] whether to build it, then opens it with [`thread::open_in_place`], which
//! decides for good by the same workflow's level, and closes it with
//! [`thread::close_in_place`] (or [`thread::close`] for a record that is not in a slot).

pub(crate) mod lifecycle;
pub(crate) mod registry;
pub(crate) mod settings;
pub(crate) mod thread;
pub(crate) mod usage;
pub(crate) mod workflow;
