//! Small helpers every layer may use: locking, reporting on stderr, private files.

use std::sync::{Mutex, MutexGuard};

mod fs;

pub(crate) use fs::{create_private, run_id, sanitize_file_name, WriteBehind};

/// Locks a mutex even if a thread panicked while holding it: the data is a log, and a
/// partially updated log is better than none.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tells the user something went wrong where no `Result` can: on stderr, ignoring a stderr that
/// is gone (`eprintln!` would panic, and abort during unwinding).
pub(crate) fn report(message: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "workflow-log: {message}");
}
