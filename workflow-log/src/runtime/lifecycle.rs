//! A workflow's life: started (its journal too) and registered, then finished: every thread's
//! records asked in, the journal closed, the nested JSON written.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::workflow::{LiveWorkflow, Output};
use super::{registry, thread};
use crate::capture;
use crate::clock::{self, Anchor};
use crate::level::Filter;
use crate::record::{thread_names, Record, Status};
use crate::sink::collector::Collector;
use crate::sink::journal::{self, Journal};
use crate::sink::recover::{self, Failed};
use crate::sink::tree::{self, RunInfo};
use crate::util::create_private;
use crate::Error;

/// What a workflow starts with: the builder's settings, resolved.
pub(crate) struct Setup<'a> {
    pub(crate) name: &'a str,
    pub(crate) output: Output,
    pub(crate) filter: Filter,
    pub(crate) run_id: String,
    pub(crate) pretty: bool,
    /// How values are captured; `None` for the defaults.
    pub(crate) payload: Option<Arc<capture::Config>>,
    /// The journal's path and settings, if it keeps one.
    pub(crate) journal: Option<(PathBuf, &'a journal::Options)>,
    /// Dollars per million input and output tokens, by model.
    pub(crate) prices: Vec<(Box<str>, f64, f64)>,
}

impl LiveWorkflow {
    fn run_info(&self, status: Status, end: u64) -> RunInfo<'_> {
        RunInfo {
            workflow: &self.name,
            run_id: &self.run_id,
            anchor: self.anchor,
            end,
            status,
        }
    }

    /// Closes what this thread still holds for the workflow, stops the journal, and collects
    /// every record: those the journal wrote as the lines to read back, the others in memory.
    /// Returns them with the run's end tick, the same in the journal and in the nested JSON.
    fn collect(&self, status: Status) -> (Collected, Option<journal::Report>, u64) {
        thread::flush_for(self);
        let end = clock::now();
        let (mut report, written) = match self.journal.as_ref().map(|j| j.finish(status, end)) {
            // A spill file's losses are no one's: what it did not take is in memory.
            Some((report, written)) => (self.kept_journal().map(|_| report), written),
            None => (None, None),
        };
        // Threads may still hand records over: those the collector takes from here on are in
        // neither file, and those it took without the journal are counted.
        let (records, unjournaled) = self.collector.take();
        if let (Some(report), Some(journal)) = (&mut report, self.kept_journal()) {
            if unjournaled > 0 {
                report.lost += unjournaled;
                report
                    .error
                    .get_or_insert_with(|| journal.why_not_taken().to_owned());
            }
        }
        let collected = Collected {
            written,
            records,
            names: thread_names(),
        };
        (collected, report, end)
    }

    /// The workflow's journal, if it keeps one (a spill file is none).
    pub(crate) fn kept_journal(&self) -> Option<&Journal> {
        self.journal.as_ref().filter(|j| !j.spill)
    }

    /// Why the journal could not be read back: an error naming it.
    fn read_back_error(&self, e: std::io::Error) -> Error {
        let path = self.journal.as_ref().map(|j| j.path.as_path());
        Error::io("read back the journal", path.unwrap_or(Path::new("")), e)
    }

    /// Starts a workflow (and its journal's writer) and registers it as live.
    pub(crate) fn start(setup: Setup<'_>) -> Result<Arc<LiveWorkflow>, Error> {
        let anchor = Anchor::now();
        let collector = Arc::new(Collector::new(setup.name));
        let header = journal::Header {
            workflow: setup.name,
            run_id: &setup.run_id,
            anchor,
        };
        let journal = match (setup.journal, &setup.output) {
            (Some((path, options)), _) => {
                Some(Journal::start(path, options, header, collector.clone())?)
            }
            // Without a journal, a file-backed workflow's records still go to disk as they
            // close, into a spill file, so that its memory doesn't grow with them.
            (None, Output::File { dir, stem }) => {
                Journal::spill(dir, stem, header, collector.clone())
            }
            (None, Output::Memory) => None,
        };
        let live = Arc::new(LiveWorkflow {
            serial: registry::NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            name: setup.name.to_owned(),
            run_id: setup.run_id,
            anchor,
            filter: setup.filter,
            pretty: setup.pretty,
            output: setup.output,
            payload: setup.payload,
            prices: setup.prices,
            collector,
            journal,
            root_iterations: AtomicU64::new(0),
            nested_iterations: Mutex::new(Default::default()),
            counter_buckets: AtomicU64::new(0),
            pid: std::process::id(),
        });
        if let Some(journal) = &live.journal {
            // Timed actions long open get their open lines when the writer wakes.
            journal.watch_open(thread::watcher(live.serial));
        }
        registry::register(&live);
        Ok(live)
    }

    /// Ends the workflow and returns its nested JSON as a value (`capture`).
    pub(crate) fn finish_to_value(&self, status: Status) -> serde_json::Value {
        if self.forked() {
            // The records are the parent's to write.
            let info = self.run_info(status, clock::now());
            return tree::to_value(&info, Vec::new(), Vec::new());
        }
        let (collected, _, end) = self.collect(status);
        registry::unregister(self.serial);
        // A `capture` workflow keeps no journal and no spill file: its records are in memory.
        debug_assert!(collected.written.is_none());
        let info = self.run_info(status, end);
        tree::to_value(&info, collected.records, collected.names)
    }

    /// Ends the workflow and writes its nested JSON file (through a temp file and a rename);
    /// returns its path. An in-memory workflow writes nothing.
    pub(crate) fn finish_to_file(&self, status: Status) -> Result<PathBuf, Error> {
        if self.forked() {
            return Err(Error::ForkedChild {
                workflow: self.name.clone(),
            });
        }
        let (collected, report, end) = self.collect(status);
        registry::unregister(self.serial);
        let info = self.run_info(status, end);
        let Output::File { dir, stem } = &self.output else {
            return Ok(PathBuf::new());
        };
        let path = dir.join(format!("{stem}.json"));
        let tmp = dir.join(format!(".{stem}.json.tmp"));
        let write = || -> Result<(), Failed> {
            let file = create_private(&tmp, true).map_err(Failed::Output)?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            let Collected {
                written,
                records,
                names,
            } = collected;
            match written {
                Some(written) => {
                    recover::write_finished(written, records, names, &info, self.pretty, &mut out)?
                }
                None => tree::write(&info, records, names, self.pretty, &mut out)
                    .map_err(Failed::Output)?,
            }
            out.flush().map_err(Failed::Output)?;
            let file = out
                .into_inner()
                .map_err(|e| Failed::Output(e.into_error()))?;
            file.sync_all().map_err(Failed::Output)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(match e {
                Failed::Output(e) => Error::io("write", &tmp, e),
                Failed::Journal(e) => self.read_back_error(e),
            });
        }
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename the temp file to", &path, e))?;
        if let Some(report) = report.filter(|r| r.lost > 0) {
            let journal = self.kept_journal().map(|j| j.path.display().to_string());
            return Err(Error::RecordsLost {
                path: Some(path),
                count: report.lost,
                reason: format!(
                    "the journal `{}` could not take them: {}",
                    journal.unwrap_or_default(),
                    report.error.unwrap_or_default()
                ),
            });
        }
        Ok(path)
    }
}

/// A finished workflow's records: the lines its journal wrote, if they can be read back, and
/// the records kept in memory (all of them, without such a journal), with the threads' names.
struct Collected {
    written: Option<journal::Written>,
    records: Vec<Record>,
    names: Vec<Arc<str>>,
}

/// On a panic (also under `panic = "abort"`, where no guard's `Drop` will run), hand this
/// thread's records over and wait briefly for every live journal to be written. Installed by the
/// builder of the first workflow that keeps a journal.
pub(crate) fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    // Swapping hooks panics on a panicking thread (a workflow started in a `Drop` during
    // unwinding): try again with the next journal instead.
    if std::thread::panicking() {
        return;
    }
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            thread::flush_all(Duration::from_secs(2));
            previous(info);
        }));
    });
}

/// A workflow dropped without finishing (its guard leaked, its last handle gone) leaves the
/// registry, so that the lowest level any live workflow keeps is right again.
impl Drop for LiveWorkflow {
    fn drop(&mut self) {
        registry::unregister(self.serial);
    }
}
