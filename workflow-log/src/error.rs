//! The crate's one error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What can go wrong when a workflow is set up or written.
///
/// Logging itself never fails: a record that can't be written is counted and reported by
/// [`WorkflowGuard::finish`](crate::WorkflowGuard::finish). Every variant names the path or the
/// value at fault.
///
/// # Examples
///
/// ```
/// let err = workflow_log::Workflow::builder("demo")
///     .filter("info,planner=loud")
///     .init()
///     .unwrap_err();
/// assert!(err.to_string().contains("planner=loud"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A global workflow is already live in this process; finish it (or drop its guard) first.
    AlreadyInitialized {
        /// The name of the workflow that is live.
        workflow: String,
    },
    /// A file or directory could not be created, written or renamed.
    Io {
        /// What was being done ("create the logs directory", "write", ...).
        action: &'static str,
        /// The path at fault.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A document could not be written to the writer it was given (a closed pipe, a full
    /// disk): see [`recover_to_writer`](crate::recover_to_writer).
    Output {
        /// The writer's error.
        source: io::Error,
    },
    /// A level or filter directive could not be parsed.
    InvalidFilter {
        /// The directive at fault, as given.
        directive: String,
        /// Why it is wrong.
        reason: String,
    },
    /// The journal could not take every record (a full disk, a closed pipe...); logging goes
    /// on, and the nested file still gets every record.
    Journal {
        /// The journal's path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The workflow's nested JSON was written with every record, but its journal lost some
    /// (a full disk, a closed pipe, or a lossy journal whose writer fell behind).
    RecordsLost {
        /// The nested JSON file that was written.
        path: Option<PathBuf>,
        /// How many records are missing from the journal.
        count: u64,
        /// Why they were lost.
        reason: String,
    },
    /// A file (or value) could not be read as a run: it is not JSON, is cut short, or is not a
    /// workflow-log document.
    Document {
        /// The file at fault, when the run was read from one.
        path: Option<PathBuf>,
        /// What is wrong with it.
        reason: String,
    },
    /// `finish` in a child process made by `fork()` of a workflow the parent started: the
    /// child records nothing into it and writes none of its files (the parent still does).
    ForkedChild {
        /// The workflow's name.
        workflow: String,
    },
    /// The `log` crate's logger is already set in this process (by `workflow_log::log::install`
    /// or another logger): there is one per process. Pass the other logger to `install_with`
    /// to keep it.
    LoggerAlreadySet,
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyInitialized { workflow } => write!(
                f,
                "a global workflow (`{workflow}`) is already running; finish it or drop its guard before calling init again"
            ),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "failed to {action} `{}`: {source}", path.display()),
            Error::Output { source } => write!(f, "failed to write the document: {source}"),
            Error::InvalidFilter { directive, reason } => {
                write!(f, "invalid filter directive `{directive}`: {reason}")
            }
            Error::Journal { path, reason } => {
                write!(f, "the journal `{}` is incomplete: {reason}", path.display())
            }
            Error::RecordsLost {
                path,
                count,
                reason,
            } => {
                write!(f, "{count} record(s) were lost: {reason}")?;
                if let Some(path) = path {
                    write!(f, " (`{}` was written with every record)", path.display())?;
                }
                Ok(())
            }
            Error::Document { path, reason } => match path {
                Some(path) => write!(f, "`{}`: {reason}", path.display()),
                None => f.write_str(reason),
            },
            Error::ForkedChild { workflow } => write!(
                f,
                "workflow `{workflow}` belongs to the parent process: a forked child writes none of its files"
            ),
            Error::LoggerAlreadySet => f.write_str(
                "a `log` logger is already set in this process; pass it to `workflow_log::log::install_with` instead of installing it",
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Output { source } => Some(source),
            _ => None,
        }
    }
}
