//! `errors FILE`: every failed record with its path, its error, and the events just before it.

use std::io::Write;
use std::path::PathBuf;

use workflow_log::document::{Event, Record, Run, Status, Step};

use crate::format::{self, Paint};
use crate::{input, CmdResult, Outcome};

/// List every failed record (error, panicked, cancelled, incomplete) with its path
/// (`iteration 2 › executor › run_tests`), its error, and the events just before it; exit 1
/// if there is any.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run's `.json`, its `.jsonl` journal, or a logs directory (its newest run)
    file: PathBuf,
    /// How many of the events before each failure to show
    #[arg(long, value_name = "N", default_value_t = 3)]
    events: usize,
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    let (file, run) = input::load(&args.file)?;
    let paint = Paint::stdout();
    let failures: Vec<Step<'_>> = run.failures().collect();
    for step in &failures {
        let status = step.record.status().unwrap_or(Status::Unknown);
        writeln!(
            out,
            "{} {}  {}",
            paint.mark(status),
            paint.bold(&step.path().to_string()),
            paint.red(status.as_str())
        )?;
        if let Some(error) = step.record.error() {
            for line in error.lines() {
                writeln!(out, "    {line}")?;
            }
        }
        let events = events_before(&run, step, args.events);
        if !events.is_empty() {
            writeln!(out, "    {}", paint.dim("events before it:"))?;
            for e in events {
                writeln!(out, "      {}", paint.dim(&event_line(e)))?;
            }
        }
    }
    let run_failed = run.status.is_failure();
    if run_failed {
        writeln!(
            out,
            "{} {}  {}",
            paint.mark(run.status),
            paint.bold(&format!("run {}", run.workflow)),
            paint.red(run.status.as_str())
        )?;
    }
    if failures.is_empty() && !run_failed {
        writeln!(out, "{}: no failures", file.display())?;
        return Ok(Outcome::Clean);
    }
    writeln!(
        out,
        "{}: {} failed record(s){}",
        file.display(),
        failures.len(),
        if run_failed {
            ", and the run itself"
        } else {
            ""
        }
    )?;
    Ok(Outcome::Found)
}

/// The last `n` events emitted before the record ended (or at all, for one that never did),
/// among those in the subtree of its parent: its own and its siblings' events, nearest first
/// in time order.
fn events_before<'a>(run: &'a Run, step: &Step<'a>, n: usize) -> Vec<&'a Event> {
    if n == 0 {
        return Vec::new();
    }
    let mut events = Vec::new();
    match step.ancestors.last() {
        Some(parent) => collect_events(*parent, &mut events),
        None => {
            for child in run.children() {
                collect_events(child, &mut events);
            }
        }
    }
    let end = step.record.end_time();
    events.retain(|e| end.is_none_or(|end| e.timestamp.as_str() <= end));
    events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    let skip = events.len().saturating_sub(n);
    events.split_off(skip)
}

fn collect_events<'a>(record: Record<'a>, events: &mut Vec<&'a Event>) {
    match record {
        Record::Event(e) => events.push(e),
        other => {
            for child in other.children() {
                collect_events(child, events);
            }
        }
    }
}

fn event_line(e: &Event) -> String {
    let mut text = format!("{} {}", format::time_of_day(&e.timestamp), e.event_type);
    if let (Some(level), Some(logger)) = (&e.level, &e.logger) {
        text.push_str(&format!(" {level} {logger}"));
    }
    if let Some(message) = &e.message {
        text.push_str(&format!(": {}", format::one_line(message, 100)));
    }
    if !e.data.is_null() && e.data != serde_json::json!({}) {
        text.push_str(&format!(" {}", format::preview(&e.data, 100)));
    }
    text
}
