//! Levels and `RUST_LOG`-style filter directives.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::Error;

/// How important a record or a log event is, from the most verbose to the most severe.
///
/// Levels are ordered: `Trace < Debug < Info < Warn < Error`. A workflow (or a logger) set to a
/// level keeps what is at that level or above it.
///
/// # Examples
///
/// ```
/// use workflow_log::Level;
///
/// assert!(Level::Debug < Level::Info);
/// assert_eq!("warn".parse::<Level>().unwrap(), Level::Warn);
/// assert_eq!(Level::Error.as_str(), "ERROR");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The most verbose: step-by-step detail.
    Trace = 0,
    /// Detail for debugging.
    Debug = 1,
    /// The normal level of records and events.
    Info = 2,
    /// Something unexpected that the program survived.
    Warn = 3,
    /// Something failed.
    Error = 4,
}

/// The threshold that lets nothing through (`off` in a directive).
pub(crate) const OFF: u8 = 5;

impl Level {
    /// The upper-case name written in the JSON (`"INFO"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    pub(crate) const fn from_u8(v: u8) -> Option<Level> {
        match v {
            0 => Some(Level::Trace),
            1 => Some(Level::Debug),
            2 => Some(Level::Info),
            3 => Some(Level::Warn),
            4 => Some(Level::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_threshold(s) {
            Some(v) => Level::from_u8(v).ok_or_else(|| invalid(s, "`off` is not a level")),
            None => Err(invalid(s, "expected trace, debug, info, warn or error")),
        }
    }
}

fn invalid(directive: &str, reason: &str) -> Error {
    Error::InvalidFilter {
        directive: directive.to_owned(),
        reason: reason.to_owned(),
    }
}

/// `trace`..`error` or `off`, any case, as a threshold.
fn parse_threshold(s: &str) -> Option<u8> {
    let s = s.trim();
    let v = if s.eq_ignore_ascii_case("trace") {
        0
    } else if s.eq_ignore_ascii_case("debug") {
        1
    } else if s.eq_ignore_ascii_case("info") {
        2
    } else if s.eq_ignore_ascii_case("warn") || s.eq_ignore_ascii_case("warning") {
        3
    } else if s.eq_ignore_ascii_case("error") {
        4
    } else if s.eq_ignore_ascii_case("off") {
        OFF
    } else {
        return None;
    };
    Some(v)
}

/// A parsed filter: a default threshold and per-logger thresholds, e.g.
/// `info,planner=debug,planner.search=trace`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) default: u8,
    pub(crate) names: HashMap<Box<str>, u8>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            default: Level::Info as u8,
            names: HashMap::new(),
        }
    }
}

impl Filter {
    pub(crate) fn from_level(level: Level) -> Self {
        Filter {
            default: level as u8,
            names: HashMap::new(),
        }
    }

    /// Parses comma-separated directives. Later directives for the same name win.
    pub(crate) fn parse(spec: &str) -> Result<Self, Error> {
        let mut filter = Filter::default();
        for directive in spec.split(',') {
            let directive = directive.trim();
            if directive.is_empty() {
                continue;
            }
            match directive.split_once('=') {
                None => {
                    filter.default = parse_threshold(directive).ok_or_else(|| {
                        invalid(
                            directive,
                            "expected a level (trace, debug, info, warn, error, off) or name=level",
                        )
                    })?;
                }
                Some((name, level)) => {
                    // `::` separates segments as `.` does: a `tracing` target or `log` module
                    // path (`hyper::proto`) is the logger `hyper.proto`.
                    let name = name.trim().replace("::", ".");
                    if name.is_empty()
                        || name.starts_with('.')
                        || name.ends_with('.')
                        || name.contains("..")
                    {
                        return Err(invalid(
                            directive,
                            "a logger name is dot-separated segments, none of them empty",
                        ));
                    }
                    let level = parse_threshold(level).ok_or_else(|| {
                        invalid(
                            directive,
                            "expected a level after `=` (trace, debug, info, warn, error, off)",
                        )
                    })?;
                    filter.names.insert(name.into_boxed_str(), level);
                }
            }
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse_into_a_default_and_names() {
        let f = Filter::parse("warn,planner=debug,planner.search=trace").unwrap();
        assert_eq!(f.default, 3);
        assert_eq!(f.names["planner"], 1);
        assert_eq!(f.names["planner.search"], 0);
        assert_eq!(f.names.len(), 2);
        let later = Filter::parse("planner=debug,planner=error").unwrap();
        assert_eq!(later.names["planner"], 4);
    }

    #[test]
    fn double_colons_separate_segments_like_dots() {
        let f = Filter::parse("warn,hyper::proto=trace").unwrap();
        assert_eq!(f.names["hyper.proto"], 0);
        assert!(Filter::parse("a::::b=info").is_err());
    }

    #[test]
    fn bad_directives_name_the_directive() {
        let err = Filter::parse("info,planner=loud").unwrap_err().to_string();
        assert!(err.contains("planner=loud"), "{err}");
        let err = Filter::parse("verbose").unwrap_err().to_string();
        assert!(err.contains("verbose"), "{err}");
        assert!(Filter::parse("a..b=info").is_err());
        assert!(Filter::parse("=info").is_err());
    }

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!("TRACE".parse::<Level>().unwrap(), Level::Trace);
        assert_eq!(" Error ".parse::<Level>().unwrap(), Level::Error);
        assert!("off".parse::<Level>().is_err());
        assert_eq!(Filter::parse("OFF").unwrap().default, OFF);
    }
}
