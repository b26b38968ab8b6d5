//! Files and names: the run id, file names made safe, files only their owner can read.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// A short random id for the run: 12 hex digits.
pub(crate) fn run_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// A file-name-safe version of a workflow name: no separators, dots runs, control characters or
/// NUL, at most 100 bytes, never empty.
pub(crate) fn sanitize_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(100));
    for c in name.chars() {
        let keep = c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
        let c = if keep { c } else { '_' };
        if out.len() + c.len_utf8() > 100 {
            break;
        }
        out.push(c);
    }
    // No leading dot (hidden file, `..`), and no `..` anywhere.
    let mut out = out.replace("..", "__");
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push_str("workflow");
    }
    out
}

/// Creates (or truncates) a file only its owner can read and write.
///
/// A `fresh` file must not exist yet: the open fails rather than follow a symlink or reuse a
/// file someone else put there. Paths the user named (a journal path) are opened as they are.
pub(crate) fn create_private(path: &Path, fresh: bool) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    if fresh {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::sanitize_file_name as s;

    #[test]
    fn file_names_stay_inside_the_logs_dir() {
        assert_eq!(s("my_workflow"), "my_workflow");
        assert_eq!(s("../../etc/passwd"), "______etc_passwd");
        assert_eq!(s(".."), "__");
        assert_eq!(s("a\\b\0c\nd"), "a_b_c_d");
        assert_eq!(s(""), "workflow");
        assert_eq!(s(".hidden"), "_hidden");
        assert!(s(&"x".repeat(300)).len() <= 100);
        assert!(s(&"é".repeat(300)).len() <= 100);
    }
}
