//! The journal's file, written a whole line at a time: after any failure (a full disk, a file
//! that became unwritable), each line is in the file whole or not at all, and the lines that
//! are not are counted.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Lines are gathered up to this many bytes before they are written.
const CAPACITY: usize = 1 << 16;

/// Lines that could not be written, and why.
#[derive(Debug)]
pub(super) struct Lost {
    pub(super) lines: u64,
    pub(super) error: io::Error,
}

/// A journal file and the whole lines not written to it yet.
pub(super) struct LineFile {
    file: File,
    buf: Vec<u8>,
    /// Bytes at the start of the file that are whole lines: where the next write goes.
    len: u64,
    /// A failed write left part of a line in a file that can't be cut back (a pipe): the next
    /// write ends that fragment first, so that the next record is a line of its own.
    torn: bool,
}

impl LineFile {
    /// `file`, empty (or a pipe or device).
    pub(super) fn new(file: File) -> LineFile {
        LineFile {
            file,
            buf: Vec::with_capacity(CAPACITY),
            len: 0,
            torn: false,
        }
    }

    /// Adds one line (ending in `\n`), and writes the gathered lines once they are many.
    pub(super) fn push(&mut self, line: &[u8]) -> Result<(), Lost> {
        self.buf.extend_from_slice(line);
        if self.buf.len() >= CAPACITY {
            return self.flush();
        }
        Ok(())
    }

    /// Writes the gathered lines. On a failure, the lines written whole stay, the file is cut
    /// back to the end of the last of them, and the others are dropped and counted.
    pub(super) fn flush(&mut self) -> Result<(), Lost> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.torn {
            self.buf.insert(0, b'\n');
        }
        let mut done = 0;
        let result = loop {
            if done == self.buf.len() {
                break Ok(());
            }
            match self.file.write(&self.buf[done..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if let Err(error) = result {
            return Err(self.failed(done, error));
        }
        self.torn = false;
        self.len += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// `done` bytes of the buffer got into the file before `error`.
    #[cold]
    fn failed(&mut self, done: usize, error: io::Error) -> Lost {
        // The lines written whole are kept; a part of the next one is cut off again.
        let whole = self.buf[..done]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let lines = self.buf[whole..].iter().filter(|b| **b == b'\n').count() as u64;
        let lines = if self.torn && whole == 0 {
            // The newline that would have ended an earlier fragment is no record.
            lines.saturating_sub(1)
        } else {
            lines
        };
        if whole > 0 {
            self.torn = false;
        }
        self.len += whole as u64;
        if done > whole {
            let end = self.len;
            let cut = self
                .file
                .set_len(end)
                .and_then(|()| self.file.seek(SeekFrom::Start(end)).map(|_| ()));
            if cut.is_err() {
                self.torn = true;
            }
        }
        self.buf.clear();
        Lost { lines, error }
    }

    /// Where the next line pushed will start in the file, once written.
    pub(super) fn next_offset(&self) -> u64 {
        self.len + self.buf.len() as u64
    }

    /// Whether lines wait to be written.
    pub(super) fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Bytes at the start of the file that are whole lines.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// `fsync` of what was written.
    pub(super) fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}
