//! Small helpers every layer may use: locking, reporting on stderr, private files.

use std::hash::{BuildHasherDefault, Hasher};
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

/// A hash map keyed by record ids, hashed with one multiply of the id and a seed drawn once per
/// process (SipHash cost the journal's writer 4% of its time, looking up the id of every
/// record it wrote). The seed keeps a journal read back by `recover`, whose ids anyone may
/// have written, from choosing ids that all land in one bucket.
pub(crate) type IdMap<V> = std::collections::HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// See [`IdMap`].
pub(crate) struct IdHasher(u64);

impl Default for IdHasher {
    #[inline]
    fn default() -> IdHasher {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        IdHasher(*SEED.get_or_init(|| {
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64)
        }))
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, id: u64) {
        // The high and low halves of the 128-bit product, folded: every bit of the id moves
        // both the bucket (low bits) and the tag (high bits).
        let product = u128::from(self.0 ^ id) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}
