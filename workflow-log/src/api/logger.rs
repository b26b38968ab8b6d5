//! Hierarchical, dotted loggers with levels that inherit by whole name segments.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;

use crate::level::OFF;
use crate::record::{Kind, LogLine, Record};
use crate::runtime::settings;
use crate::runtime::thread;
use crate::runtime::workflow::LiveWorkflow;
use crate::util::lock;
use crate::Level;

/// A named source of log events, like Python's `logging.getLogger(name)`.
///
/// Names are dotted (`executor_agent.patch`). A logger's level is, in order: its own
/// [`set_level`](Logger::set_level), else the workflow's directive for its name, else its nearest
/// ancestor's (`planner.search` inherits from `planner`, `plannerx` does not), else the
/// workflow's default level. Events land under the innermost open record of the thread's
/// workflow, with `event_type: "log"`.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use workflow_log::{Level, Workflow};
///
/// let ((), log) = Workflow::builder("demo").filter("info,executor_agent.patch=debug").capture(|| {
///     let exec = workflow_log::logger("executor_agent");
///     let patch = workflow_log::logger("executor_agent.patch");
///     exec.info("Received input", json!({"input": "some data"}));
///     exec.debug("not kept: below info", json!({}));
///     patch.debug("Applying patch", json!({"details": "..."}));
/// });
/// let events = log["events"].as_array().unwrap();
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[0]["logger"], "executor_agent");
/// assert_eq!(events[1]["level"], "DEBUG");
/// ```
#[derive(Clone)]
pub struct Logger {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    /// (workflow serial: 28 bits, generation: 28 bits, threshold: 8 bits); 0 = nothing cached.
    cache: AtomicU64,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Logger").field(&self.inner.name).finish()
    }
}

static LOGGERS: Mutex<Option<HashMap<Arc<str>, Logger>>> = Mutex::new(None);
/// Levels set with [`Logger::set_level`], by name.
static OVERRIDES: RwLock<Option<HashMap<Arc<str>, Level>>> = RwLock::new(None);
/// Bumped by every `set_level`: cached thresholds older than it are recomputed.
static GENERATION: AtomicU64 = AtomicU64::new(1);
/// The lowest level ever given to `set_level` (`OFF`: none), so that a bridge can tell with one
/// load that no logger was lowered below the workflows' directives.
static LOWEST_OVERRIDE: AtomicU8 = AtomicU8::new(OFF);

/// What a threshold resolved for `shared` is valid for: the workflow and the levels set so far
/// (the low 8 bits are left for the threshold). Never 0.
pub(crate) fn cache_key(shared: &LiveWorkflow) -> u64 {
    let gen = GENERATION.load(Ordering::Acquire) & 0xFFF_FFFF;
    ((shared.serial & 0xFFF_FFFF) << 36) | (gen << 8)
}

#[cfg(any(feature = "tracing", feature = "log"))]
/// The lowest level any logger was set to with [`Logger::set_level`] (`OFF` if none).
#[inline]
pub(crate) fn lowest_override() -> u8 {
    LOWEST_OVERRIDE.load(Ordering::Relaxed)
}

/// `name` with `::` read as the segment separator `.` (a `tracing` target or a `log` module
/// path), as filter directives read it.
pub(crate) fn dotted(name: &str) -> Cow<'_, str> {
    if name.contains("::") {
        Cow::Owned(name.replace("::", "."))
    } else {
        Cow::Borrowed(name)
    }
}

/// The threshold of the logger named `name` (dotted) in `shared`: walks the name's prefixes by
/// whole segments, most specific first, each looked up among the levels set with
/// [`Logger::set_level`] and then among the workflow's directives.
pub(crate) fn resolve(name: &str, shared: &LiveWorkflow) -> u8 {
    let overrides = OVERRIDES.read().unwrap_or_else(|p| p.into_inner());
    let mut prefix: &str = name;
    loop {
        if let Some(level) = overrides.as_ref().and_then(|o| o.get(prefix)) {
            return *level as u8;
        }
        if let Some(threshold) = shared.filter.names.get(prefix) {
            return *threshold;
        }
        match prefix.rfind('.') {
            Some(i) => prefix = &prefix[..i],
            None => return shared.filter.default.min(OFF),
        }
    }
}

/// The logger named `name`: cheap, `Clone`; the same name gives the same logger.
///
/// # Examples
///
/// ```
/// let a = workflow_log::logger("planner.search");
/// let b = workflow_log::logger("planner.search");
/// assert_eq!(a, b);
/// assert_eq!(a.name(), "planner.search");
/// ```
pub fn logger(name: &str) -> Logger {
    let mut loggers = lock(&LOGGERS);
    let map = loggers.get_or_insert_with(HashMap::new);
    if let Some(logger) = map.get(name) {
        return logger.clone();
    }
    let name: Arc<str> = name.into();
    let logger = Logger {
        inner: Arc::new(Inner {
            name: name.clone(),
            cache: AtomicU64::new(0),
        }),
    };
    map.insert(name, logger.clone());
    logger
}

impl PartialEq for Logger {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Logger {}

impl Logger {
    /// The logger's dotted name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Sets this logger's level, for it and every descendant that has no level of its own. It
    /// overrides the workflow's directives for this name, in every workflow of the process.
    pub fn set_level(&self, level: Level) {
        let mut overrides = OVERRIDES.write().unwrap_or_else(|p| p.into_inner());
        overrides
            .get_or_insert_with(HashMap::new)
            .insert(dotted(&self.inner.name).into(), level);
        LOWEST_OVERRIDE.fetch_min(level as u8, Ordering::Relaxed);
        GENERATION.fetch_add(1, Ordering::Release);
    }

    /// Whether an event at `level` from this logger would be kept by this thread's workflow.
    pub fn enabled(&self, level: Level) -> bool {
        thread::with_current(|shared| level as u8 >= self.threshold(shared)).unwrap_or(false)
    }

    fn threshold(&self, shared: &LiveWorkflow) -> u8 {
        let key = cache_key(shared);
        let cached = self.inner.cache.load(Ordering::Relaxed);
        if cached & !0xFF == key && cached != 0 {
            return (cached & 0xFF) as u8;
        }
        let threshold = resolve(&dotted(&self.inner.name), shared);
        self.inner
            .cache
            .store(key | u64::from(threshold), Ordering::Relaxed);
        threshold
    }

    /// Records a log event at `level`. Below the logger's level nothing is allocated or
    /// serialised.
    pub fn log(&self, level: Level, message: &str, fields: impl Serialize) {
        if !self.enabled(level) {
            return;
        }
        let mut rec = Record::new(Kind::Event, "log".into());
        rec.input = Some(settings::json(&fields));
        rec.set_log(LogLine {
            level,
            logger: self.inner.name.clone(),
            message: message.into(),
        });
        thread::emit(rec, None);
    }

    /// Records a `TRACE` event.
    pub fn trace(&self, message: &str, fields: impl Serialize) {
        self.log(Level::Trace, message, fields);
    }

    /// Records a `DEBUG` event.
    pub fn debug(&self, message: &str, fields: impl Serialize) {
        self.log(Level::Debug, message, fields);
    }

    /// Records an `INFO` event.
    pub fn info(&self, message: &str, fields: impl Serialize) {
        self.log(Level::Info, message, fields);
    }

    /// Records a `WARN` event.
    pub fn warn(&self, message: &str, fields: impl Serialize) {
        self.log(Level::Warn, message, fields);
    }

    /// Records an `ERROR` event.
    pub fn error(&self, message: &str, fields: impl Serialize) {
        self.log(Level::Error, message, fields);
    }
}
