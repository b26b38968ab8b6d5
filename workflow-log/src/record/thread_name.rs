//! Thread names, interned: a record carries an index into this table, not a string.

use std::sync::{Arc, Mutex};

use crate::util::lock;

/// Threads with the same name share one entry; an unnamed thread is named after its id.
struct ThreadNames {
    names: Vec<Arc<str>>,
    index: Option<std::collections::HashMap<Arc<str>, u32>>,
}

static THREAD_NAMES: Mutex<ThreadNames> = Mutex::new(ThreadNames {
    names: Vec::new(),
    index: None,
});

/// The index of the calling thread's name, added to the table if it is new.
pub(crate) fn register_thread() -> u32 {
    let current = std::thread::current();
    let name: Arc<str> = match current.name() {
        Some(name) => name.into(),
        None => format!("{:?}", current.id()).into(),
    };
    let mut registry = lock(&THREAD_NAMES);
    let ThreadNames { names, index } = &mut *registry;
    *index
        .get_or_insert_with(Default::default)
        .entry(name)
        .or_insert_with_key(|name| {
            names.push(name.clone());
            (names.len() - 1) as u32
        })
}

/// Thread names by index, for writing records out.
pub(crate) fn thread_names() -> Vec<Arc<str>> {
    lock(&THREAD_NAMES).names.clone()
}
