//! `log` records in the run's record (feature `log`).
//!
//! [`install()`] makes this crate the `log` facade's logger: `log::info!` and friends, from your
//! code or any crate you call, become events of the innermost open record of the thread's
//! workflow (`event_type: "log"`, `level`, `logger` = the record's target, `message`, and its
//! key-values as `data`, typed). A record is kept when the thread's workflow keeps a log line of
//! its level from a logger named by its target, `::` separating segments as `.` does (the
//! directive `my_crate.net=debug` or `my_crate::net=debug` lets `my_crate::net`'s debug lines
//! in). Outside any workflow a record costs about an atomic load.
//!
//! There is one `log` logger per process: [`install_with`] keeps yours, passing every record on
//! to it as well.
//!
//! # Examples
//!
//! ```
//! workflow_log::log::install()?;
//! let ((), log) = workflow_log::capture(|| {
//!     let _planner = workflow_log::interaction("planner").start();
//!     log::warn!(target: "my_agent::tools", attempt = 2; "retrying the search");
//! });
//! let line = &log["interactions"][0]["events"][0];
//! assert_eq!(line["level"], "WARN");
//! assert_eq!(line["logger"], "my_agent::tools");
//! assert_eq!(line["message"], "retrying the search");
//! assert_eq!(line["data"]["attempt"], 2);
//! # Ok::<(), workflow_log::Error>(())
//! ```

use std::fmt;

use log::kv::{self, VisitSource};

use crate::api::bridge::fields::{self, Object, Value};
use crate::api::bridge::line;
use crate::capture;
use crate::{Error, Level};

/// Makes this crate the `log` facade's logger, with every level let through the facade
/// (`log::set_max_level(Trace)`; the workflows' levels decide what is kept).
///
/// # Errors
///
/// [`Error::LoggerAlreadySet`] if the process already has a `log` logger (this one or
/// another): pass that one to [`install_with`] instead.
///
/// # Examples
///
/// ```
/// workflow_log::log::install()?;
/// // Once per process: a second logger is an error, not a panic.
/// assert!(workflow_log::log::install().is_err());
/// # Ok::<(), workflow_log::Error>(())
/// ```
pub fn install() -> Result<(), Error> {
    set(Bridge { previous: None })
}

/// [`install()`], passing every record on to `previous` as well (the logger your program used
/// before, e.g. `env_logger`'s), whether a workflow keeps it or not. `previous` filters by its
/// own levels; lower `log::set_max_level` afterwards if none of them wants the verbose levels.
///
/// # Errors
///
/// [`Error::LoggerAlreadySet`] if the process already has a `log` logger.
///
/// # Examples
///
/// ```
/// struct Stderr;
///
/// impl log::Log for Stderr {
///     fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
///         metadata.level() <= log::Level::Warn
///     }
///     fn log(&self, record: &log::Record<'_>) {
///         if self.enabled(record.metadata()) {
///             eprintln!("{}: {}", record.level(), record.args());
///         }
///     }
///     fn flush(&self) {}
/// }
///
/// workflow_log::log::install_with(Box::new(Stderr))?;
/// let ((), log) = workflow_log::capture(|| log::error!("disk full")); // also on stderr
/// assert_eq!(log["events"][0]["message"], "disk full");
/// # Ok::<(), workflow_log::Error>(())
/// ```
pub fn install_with(previous: Box<dyn log::Log>) -> Result<(), Error> {
    set(Bridge {
        previous: Some(previous),
    })
}

fn set(bridge: Bridge) -> Result<(), Error> {
    log::set_boxed_logger(Box::new(bridge)).map_err(|_| Error::LoggerAlreadySet)?;
    log::set_max_level(log::LevelFilter::Trace);
    Ok(())
}

/// The logger [`install`] sets.
struct Bridge {
    previous: Option<Box<dyn log::Log>>,
}

/// Our level of a `log` level.
#[inline]
fn level_of(level: log::Level) -> Level {
    match level {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warn,
        log::Level::Info => Level::Info,
        log::Level::Debug => Level::Debug,
        log::Level::Trace => Level::Trace,
    }
}

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let level = level_of(metadata.level());
        (line::wanted(level) && line::kept(level, metadata.target()).is_some())
            || self.previous.as_ref().is_some_and(|p| p.enabled(metadata))
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = level_of(record.level());
        // Outside any workflow, or below every workflow's levels: this load and branch.
        if line::wanted(level) {
            record_line(record, level);
        }
        if let Some(previous) = &self.previous {
            previous.log(record);
        }
    }

    fn flush(&self) {
        if let Some(previous) = &self.previous {
            previous.flush();
        }
    }
}

/// Records a `log` record some workflow may keep.
#[inline(never)]
fn record_line(record: &log::Record<'_>, level: Level) {
    let Some(logger) = line::kept(level, record.target()) else {
        return;
    };
    let message = capture::boxed_text(*record.args());
    let mut data = Object::new(fields::config());
    let _ = record.key_values().visit(&mut KeyValues(&mut data));
    line::emit(level, logger, message, data.finish());
}

/// Writes a record's key-values into its `data`, typed.
struct KeyValues<'a>(&'a mut Object);

impl<'kvs> VisitSource<'kvs> for KeyValues<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        let value = &value;
        let typed = if let Some(v) = value.to_bool() {
            Value::Bool(v)
        } else if let Some(v) = value.to_u64() {
            Value::U64(v)
        } else if let Some(v) = value.to_i64() {
            Value::I64(v)
        } else if let Some(v) = value.to_f64() {
            Value::F64(v)
        } else if let Some(v) = value.to_borrowed_str() {
            Value::Str(v)
        } else {
            Value::Display(value as &dyn fmt::Display)
        };
        self.0.field(key.as_str(), typed);
        Ok(())
    }
}
