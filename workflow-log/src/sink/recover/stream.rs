//! A journal's document written in two passes over the file, in memory that stays small
//! whatever the journal's size: the first keeps an index entry per record line, the second
//! writes the tree depth first, reading each record's line back by its offset.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use super::fast;
use super::line::Line;
use super::{head, record, Run};
use crate::clock::Anchor;
use crate::record::Record;
use crate::sink::journal::Written;
use crate::sink::tree::{self, Entries, Index, NewEntry, Nodes, Placer, RunInfo, IN_MEMORY};
use crate::Error;

/// Writes the document of the journal at `path` to `out` (indented). An error of `out` is
/// [`Error::Output`].
pub(crate) fn write<W: Write>(path: &Path, out: &mut W) -> Result<(), Error> {
    let read_error = |e| Error::io("read the journal", path, e);
    let mut file = File::open(path).map_err(read_error)?;
    let (run, entries, len) = scan(&mut file).map_err(read_error)?;
    let mut nodes = JournalNodes::new(Index::build(entries), Lines::new(file, len));
    let info = run.info(&run.workflow, &run.run_id);
    let written = tree::write_nodes(&mut nodes, &info, true, out);
    nodes.result(written).map_err(|e| match e {
        Failed::Journal(e) => read_error(e),
        Failed::Output(source) => Error::Output { source },
    })
}

/// Why a document read back from a journal could not be written.
#[derive(Debug)]
pub(crate) enum Failed {
    /// The journal could not be read.
    Journal(io::Error),
    /// Writing the document failed.
    Output(io::Error),
}

/// Writes the document of a run as `finish` ends it: its records are the lines its journal
/// wrote (`written`) and `memory`, the ones the journal did not take (ticks of `live`'s anchor,
/// threads named by `names`). Memory is `written`'s entries and the records of `memory`.
pub(crate) fn write_finished<W: Write>(
    written: Written,
    mut memory: Vec<Record>,
    names: Vec<Arc<str>>,
    live: &RunInfo<'_>,
    pretty: bool,
    out: &mut W,
) -> Result<(), Failed> {
    let Written {
        file,
        len,
        mut entries,
    } = written;
    // The journal's lines give ticks in its own time: those of the records in memory become so.
    for (i, r) in memory.iter_mut().enumerate() {
        r.start = live.anchor.journal_tick_of(r.start);
        r.end = live.anchor.journal_tick_of(r.end);
        let e = NewEntry {
            id: r.id,
            parent: r.parent,
            kind: r.kind,
            status: r.status,
            start: r.start,
            location: IN_MEMORY + i as u64,
        };
        // More records than an index holds can't be in memory (each is over 100 bytes).
        let _ = entries.push(&e);
    }
    let mut nodes = JournalNodes::new(Index::build(entries), Lines::new(file, len));
    nodes.memory = memory;
    nodes.names = names;
    let info = RunInfo {
        anchor: Anchor::journal(live.anchor.wall()),
        end: live.anchor.journal_tick_of(live.end),
        ..*live
    };
    let written = tree::write_nodes(&mut nodes, &info, pretty, out);
    nodes.result(written)
}

/// The first pass: the run's header and end, an entry per record line, and how many bytes
/// were read (the second pass reads no further, so lines appended since are left out).
fn scan(file: &mut File) -> io::Result<(Run, Entries, u64)> {
    let mut scan = Scan::default();
    // Lines are read where they lie in the buffer; a line longer than it makes it grow.
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = match file.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        let mut at = 0;
        while let Some(end) = newline(&buf[at..filled]) {
            scan.line(&buf[at..at + end + 1])?;
            at += end + 1;
            scan.offset += end as u64 + 1;
        }
        if n == 0 {
            // The last line, without its newline.
            if at < filled {
                scan.line(&buf[at..filled])?;
                scan.offset += (filled - at) as u64;
            }
            break;
        }
        buf.copy_within(at..filled, 0);
        filled -= at;
    }
    Ok((scan.run, scan.entries.into_entries(), scan.offset))
}

#[derive(Default)]
struct Scan {
    run: Run,
    entries: Placer,
    offset: u64,
}

impl Scan {
    /// Takes in a header or end line, or makes the entry of a record line.
    fn line(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(line) = fast::parse(bytes) else {
            return Ok(());
        };
        if self.run.read(&line) {
            return Ok(());
        }
        let Some(h) = head(&line) else {
            return Ok(());
        };
        self.run.saw(h.start, h.end);
        let e = NewEntry {
            id: h.id,
            parent: h.parent,
            kind: h.kind,
            status: h.status,
            start: h.start,
            location: self.offset,
        };
        self.entries.place(&e).ok_or_else(|| {
            io::Error::other("too big to index: more records or bytes than one document can hold")
        })
    }
}

/// The records of an index, read back from the journal as the walk reaches them (or kept in
/// memory: locations from [`IN_MEMORY`] on).
struct JournalNodes {
    index: Index,
    lines: Lines,
    /// The record last read, and its thread's name.
    record: Option<Record>,
    thread: String,
    /// Why the journal couldn't be read in the second pass.
    failed: Option<io::Error>,
    /// Records kept in memory, and the names of their threads.
    memory: Vec<Record>,
    names: Vec<Arc<str>>,
}

impl Nodes for JournalNodes {
    fn index(&self) -> &Index {
        &self.index
    }

    fn record(&mut self, node: u32) -> io::Result<(&Record, &str)> {
        let kind = self.index.kind(node);
        let location = self.index.location(node);
        let in_memory = location.checked_sub(IN_MEMORY).map(|i| i as usize);
        if let Some(i) = in_memory.filter(|i| *i < self.memory.len()) {
            let r = &self.memory[i];
            return Ok((r, self.names.get(r.thread as usize).map_or("?", |n| n)));
        }
        let thread = &mut self.thread;
        let last = self.record.take();
        let read = self.lines.line_at(location).map(|bytes| {
            let mut line = Line::default();
            if !fast::parse_into(bytes, &mut line) {
                return None;
            }
            let rec = record(&line, 0, last).filter(|r| r.kind == kind)?;
            let name = line.thread.str().unwrap_or("?");
            if thread != name {
                thread.clear();
                thread.push_str(name);
            }
            Some(rec)
        });
        match read {
            Ok(Some(rec)) => Ok((self.record.insert(rec), &self.thread)),
            Ok(None) => Err(self.fail(io::Error::new(
                io::ErrorKind::InvalidData,
                "the journal changed while it was read",
            ))),
            Err(e) => Err(self.fail(e)),
        }
    }
}

impl JournalNodes {
    fn new(index: Index, lines: Lines) -> JournalNodes {
        JournalNodes {
            index,
            lines,
            record: None,
            thread: String::new(),
            failed: None,
            memory: Vec::new(),
            names: Vec::new(),
        }
    }

    /// What the walk's `result` comes to: a failure is the journal's if reading it failed.
    fn result<T>(&mut self, result: io::Result<T>) -> Result<T, Failed> {
        result.map_err(|e| match self.failed.take() {
            Some(e) => Failed::Journal(e),
            None => Failed::Output(e),
        })
    }

    /// Keeps the reason the journal couldn't be read; the walk stops with an error of its own.
    fn fail(&mut self, e: io::Error) -> io::Error {
        self.failed = Some(e);
        io::Error::other("the journal could not be read")
    }
}

/// Bytes read at once; a line that crosses a block is read on its own.
const BLOCK: usize = 128 << 10;
/// Blocks kept: the walk goes back and forth within a few (a record's line comes after its
/// children's, as it closes after them).
const BLOCKS: usize = 8;

/// Lines of a file read by offset, through a few cached blocks.
pub(super) struct Lines {
    file: File,
    /// Bytes a block holds ([`BLOCK`]; tests use small ones).
    block: u64,
    /// Bytes of the file that count: what the first pass read.
    len: u64,
    /// (block number, last use), and the block's bytes.
    blocks: Vec<(u64, u64, Vec<u8>)>,
    uses: u64,
    /// A line that crosses blocks.
    long: Vec<u8>,
}

impl Lines {
    pub(super) fn new(file: File, len: u64) -> Lines {
        Lines::with_blocks_of(file, len, BLOCK)
    }

    pub(super) fn with_blocks_of(file: File, len: u64, block: usize) -> Lines {
        Lines {
            file,
            block: block as u64,
            len,
            blocks: Vec::with_capacity(BLOCKS),
            uses: 0,
            long: Vec::new(),
        }
    }

    /// The line at `offset`, without its newline.
    pub(super) fn line_at(&mut self, offset: u64) -> io::Result<&[u8]> {
        let mut number = offset / self.block;
        let b = self.block(number)?;
        let from = (offset % self.block) as usize;
        let rest = self.blocks[b].2.get(from..).unwrap_or_default();
        let found = newline(rest);
        if found.is_some() || self.end_of(number, b) >= self.len {
            let rest = &self.blocks[b].2[from..];
            return Ok(&rest[..found.unwrap_or(rest.len())]);
        }
        // The line goes on in the next blocks (which the next lines are in too).
        self.long.clear();
        self.long.extend_from_slice(rest);
        loop {
            number += 1;
            let b = self.block(number)?;
            let bytes = &self.blocks[b].2;
            match newline(bytes) {
                Some(end) => {
                    self.long.extend_from_slice(&bytes[..end]);
                    break;
                }
                None => self.long.extend_from_slice(bytes),
            }
            if self.end_of(number, b) >= self.len {
                break;
            }
        }
        Ok(&self.long)
    }

    /// Where block `number`, in slot `b`, ends in the file.
    fn end_of(&self, number: u64, b: usize) -> u64 {
        number * self.block + self.blocks[b].2.len() as u64
    }

    /// The cache's slot holding block `number`, read in if it isn't there.
    fn block(&mut self, number: u64) -> io::Result<usize> {
        self.uses += 1;
        if let Some(i) = self.blocks.iter().position(|(n, _, _)| *n == number) {
            self.blocks[i].1 = self.uses;
            return Ok(i);
        }
        let slot = if self.blocks.len() < BLOCKS {
            self.blocks.push((number, 0, Vec::new()));
            self.blocks.len() - 1
        } else {
            let oldest = self.blocks.iter().enumerate().min_by_key(|(_, b)| b.1);
            oldest.map_or(0, |(i, _)| i)
        };
        let at = number * self.block;
        let size = (self.len.saturating_sub(at)).min(self.block) as usize;
        let (n, used, bytes) = &mut self.blocks[slot];
        // Marked unused until read whole, so that a failed read leaves no stale block.
        *n = u64::MAX;
        bytes.resize(size, 0);
        read_at(&mut self.file, at, bytes)?;
        *n = number;
        *used = self.uses;
        Ok(slot)
    }
}

/// Where the first `\n` in `bytes` is: eight bytes at a time (the classic test for a zero
/// byte in a word), as lines are a few hundred bytes long.
pub(super) fn newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_le_bytes([b'\n'; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default()) ^ NEWLINES;
        // The lowest byte flagged is the first that is zero (a borrow only flags bytes above).
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(at + zero.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words.remainder().iter().position(|&c| c == b'\n');
    tail.map(|i| at + i)
}

fn read_at(file: &mut File, at: u64, buf: &mut [u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(e.kind(), "the journal got shorter while it was read")
        } else {
            e
        }
    })
}
