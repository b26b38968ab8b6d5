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

/// A hash map keyed by record ids, with foldhash's fast hasher (one folded multiply of the id,
/// seeded per process): SipHash cost the journal's writer 4% of its time, looking up the id of
/// every record it wrote. The seed keeps a journal read back by `recover`, whose ids anyone may
/// have written, from choosing ids that all land in one bucket.
pub(crate) type IdMap<V> = std::collections::HashMap<u64, V, foldhash::fast::RandomState>;
