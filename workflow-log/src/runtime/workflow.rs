//! A live workflow: the state every thread logging into it shares, and how its records are handed
//! over, flushed and collected.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{registry, thread};
use crate::capture;
use crate::clock::{self, Anchor};
use crate::level::Filter;
use crate::record::{thread_names, Kind, Name, Record, Status};
use crate::sink::collector::{Collector, BATCH};
use crate::sink::journal::{self, Journal};
use crate::sink::tree::{self, RunInfo};
use crate::util::{create_private, lock};
use crate::{Error, Level};

/// Where a workflow's nested JSON goes.
#[derive(Debug)]
pub(crate) enum Output {
    /// `capture`: kept in memory, returned as a `serde_json::Value`.
    Memory,
    /// A file in the logs directory, written through a temp file and a rename.
    File { dir: PathBuf, stem: String },
}

/// The state of one workflow that every thread logging into it shares.
pub(crate) struct LiveWorkflow {
    pub(crate) serial: u64,
    pub(crate) name: String,
    pub(crate) run_id: String,
    pub(crate) anchor: Anchor,
    pub(crate) filter: Filter,
    pub(crate) pretty: bool,
    pub(crate) output: Output,
    /// How values are captured; `None` for the defaults.
    pub(crate) payload: Option<Arc<capture::Config>>,
    collector: Arc<Collector>,
    pub(crate) journal: Option<Journal>,
    /// Bumped by `flush` and `finish`: each thread hands its buffer over at its next close.
    pub(crate) flush_epoch: AtomicU64,
    /// Auto-numbers of iterations directly under the workflow.
    root_iterations: AtomicU64,
    /// Auto-numbers of iterations under other records, by parent id.
    nested_iterations: Mutex<HashMap<u64, u64>>,
    /// The process it started in: in a child made by `fork()` it records nothing.
    pub(crate) pid: u32,
}

impl Drop for LiveWorkflow {
    fn drop(&mut self) {
        registry::unregister(self.serial);
    }
}

impl fmt::Debug for LiveWorkflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("name", &self.name)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

impl LiveWorkflow {
    /// Whether records (iterations, interactions, actions, events) at `level` are kept.
    #[inline]
    pub(crate) fn records_enabled(&self, level: Level) -> bool {
        level as u8 >= self.filter.default
    }

    /// Whether this process is a child made by `fork()` since the workflow started (its
    /// writer thread is not here): it then records nothing and writes no file.
    pub(crate) fn forked(&self) -> bool {
        registry::forked_since(self.pid, true)
    }

    /// Hands a batch of finished records over: to the journal writer if there is one (it
    /// passes them on to the collector once written), else to the collector.
    pub(crate) fn submit(&self, buffer: &mut Vec<Record>) {
        if buffer.is_empty() {
            return;
        }
        if registry::forked_since(self.pid, false) {
            // A forked child: nobody would ever take them.
            buffer.clear();
            return;
        }
        let cfg = capture::settings(&self.payload);
        if cfg.redact_values {
            // Before any sink: the texts a record keeps outside its payloads.
            buffer.iter_mut().for_each(|rec| scrub_texts(rec, cfg));
        }
        match &self.journal {
            None => self.collector.deliver(buffer),
            Some(journal) => {
                // A full buffer goes as it is and the thread gets an emptied one back; a few
                // records (a flush, the outermost record closing) go as a copy, and the thread
                // keeps its buffer.
                let batch = if buffer.len() >= BATCH / 2 {
                    std::mem::replace(buffer, self.collector.fresh_batch())
                } else {
                    let mut batch = Vec::with_capacity(buffer.len());
                    batch.append(buffer);
                    batch
                };
                if let Err(mut batch) = journal.submit(batch) {
                    self.collector.deliver_unjournaled(&mut batch);
                }
            }
        }
    }

    /// Waits until the journal has written everything handed over so far.
    pub(crate) fn flush_journal(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        if self.forked() {
            return Ok(());
        }
        journal
            .flush(timeout.unwrap_or(Duration::MAX))
            .map_err(|why| Error::Journal {
                path: journal.path.clone(),
                reason: why,
            })
    }

    /// The number of the next auto-numbered iteration under `parent`.
    pub(crate) fn next_iteration_number(&self, parent: u64) -> u64 {
        if parent == 0 {
            return self.root_iterations.fetch_add(1, Ordering::Relaxed) + 1;
        }
        let mut map = lock(&self.nested_iterations);
        let n = map.entry(parent).or_insert(0);
        *n += 1;
        *n
    }

    /// Forgets the iteration counter of a record that closed.
    pub(crate) fn forget_counter(&self, id: u64) {
        let mut map = lock(&self.nested_iterations);
        if !map.is_empty() {
            map.remove(&id);
        }
    }

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
    /// every record.
    /// Returns them with the run's end tick, the same in the journal and in the nested JSON.
    fn collect(&self, status: Status) -> (Vec<Record>, Option<journal::Report>, u64) {
        self.flush_epoch.fetch_add(1, Ordering::Relaxed);
        thread::flush_for(self);
        let end = clock::now();
        let mut report = self.journal.as_ref().map(|j| j.finish(status, end));
        // Threads may still hand records over: those the collector takes from here on are in
        // neither file, and those it took without the journal are counted.
        let (records, unjournaled) = self.collector.take();
        if let (Some(report), Some(journal)) = (&mut report, &self.journal) {
            if unjournaled > 0 {
                report.lost += unjournaled;
                report
                    .error
                    .get_or_insert_with(|| journal.why_not_taken().to_owned());
            }
        }
        (records, report, end)
    }
}

/// Replaces well-known secret values in the texts a record keeps outside its payloads (which
/// were redacted when captured): its error, an interaction's agent name, a log line's message.
fn scrub_texts(rec: &mut Record, cfg: &capture::Config) {
    if let Some(error) = &rec.error {
        if let Cow::Owned(clean) = cfg.scrub(error) {
            rec.error = Some(clean.into());
        }
    }
    if rec.kind == Kind::Interaction {
        if let Cow::Owned(clean) = cfg.scrub(&rec.name) {
            rec.name = Name::new(Cow::Owned(clean));
        }
    }
    if let Some(log) = &mut rec.log {
        if let Cow::Owned(clean) = cfg.scrub(&log.message) {
            log.message = clean.into();
        }
    }
}

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
}

impl LiveWorkflow {
    /// Starts a workflow (and its journal's writer) and registers it as live.
    pub(crate) fn start(setup: Setup<'_>) -> Result<Arc<LiveWorkflow>, Error> {
        let anchor = Anchor::now();
        let collector = Arc::new(Collector::new(setup.name));
        let journal = match setup.journal {
            Some((path, options)) => Some(Journal::start(
                path,
                options,
                journal::Header {
                    workflow: setup.name,
                    run_id: &setup.run_id,
                    anchor,
                },
                collector.clone(),
            )?),
            None => None,
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
            collector,
            journal,
            flush_epoch: AtomicU64::new(0),
            root_iterations: AtomicU64::new(0),
            nested_iterations: Mutex::new(HashMap::new()),
            pid: std::process::id(),
        });
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
        let (records, _, end) = self.collect(status);
        registry::unregister(self.serial);
        tree::to_value(&self.run_info(status, end), records, thread_names())
    }

    /// Ends the workflow and writes its nested JSON file (through a temp file and a rename);
    /// returns its path. An in-memory workflow writes nothing.
    pub(crate) fn finish_to_file(&self, status: Status) -> Result<PathBuf, Error> {
        if self.forked() {
            return Err(Error::ForkedChild {
                workflow: self.name.clone(),
            });
        }
        let (records, report, end) = self.collect(status);
        registry::unregister(self.serial);
        let info = self.run_info(status, end);
        let Output::File { dir, stem } = &self.output else {
            return Ok(PathBuf::new());
        };
        let path = dir.join(format!("{stem}.json"));
        let tmp = dir.join(format!(".{stem}.json.tmp"));
        let write = || -> std::io::Result<()> {
            let file = create_private(&tmp, true)?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            tree::write(&info, records, thread_names(), self.pretty, &mut out)?;
            out.flush()?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io("write", &tmp, e));
        }
        fs::rename(&tmp, &path).map_err(|e| Error::io("rename the temp file to", &path, e))?;
        if let Some(report) = report.filter(|r| r.lost > 0) {
            let journal = self.journal.as_ref().map(|j| j.path.display().to_string());
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
