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

/// Creates (or truncates) a file only its owner can read and write, never through a symlink.
///
/// A `fresh` file must not exist yet: the open fails rather than reuse a file someone else put
/// there. A path the user named (a journal path) may exist: a regular file there is made
/// private (0600) and emptied once it is open, before a byte is written; a pipe or a device is
/// written as it is. A symlink at the path, even a dangling one, is an error, as is a regular
/// file with other hard links (writing it would change the other names' content).
pub(crate) fn create_private(path: &Path, fresh: bool) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    if fresh {
        opts.create_new(true);
    } else {
        // Not `truncate`: a file is emptied only once it is known to be a plain one of ours.
        opts.create(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = opts.open(path)?;
    if !fresh {
        make_private(&file)?;
    }
    Ok(file)
}

/// An existing file opened for writing, made private and emptied if it is a regular file.
fn make_private(file: &File) -> std::io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.nlink() > 1 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the file has other hard links",
            ));
        }
        if meta.mode() & 0o7777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    file.set_len(0)
}

/// A file written front to back whose pages are handed to the disk as it goes (every 32 MiB,
/// on Linux): the `sync_all` that ends it then waits for the last stretch only, and writing a
/// big file overlaps the work that makes it instead of following it.
#[derive(Debug)]
pub(crate) struct WriteBehind {
    file: File,
    written: u64,
    started: u64,
}

impl WriteBehind {
    const STRIDE: u64 = 32 << 20;

    pub(crate) fn new(file: File) -> WriteBehind {
        WriteBehind {
            file,
            written: 0,
            started: 0,
        }
    }

    pub(crate) fn into_file(self) -> File {
        self.file
    }

    /// Starts writing back what was written since the last start (a hint: its errors are the
    /// final `sync_all`'s to report).
    fn start(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            let (from, len) = (self.started as libc::off64_t, self.written - self.started);
            // SAFETY: the descriptor is this file's, open for as long as `self`; the call
            // reads no memory of ours.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    from,
                    len as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.started = self.written;
    }
}

impl std::io::Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= Self::STRIDE {
            self.start();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
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
