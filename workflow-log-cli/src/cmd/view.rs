//! `view FILE`: the run as an indented tree.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

use workflow_log::document::{Record, Run, Step};

use crate::format::{self, Paint};
use crate::{input, CmdResult, Outcome};

/// Show a run as a tree: status mark (✓ ok, ✗ error, ! panicked, ⊘ cancelled, … incomplete),
/// kind, name, duration, tokens and cost; failures in red on a terminal (`NO_COLOR` honoured).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run's `.json`, its `.jsonl` journal, or a logs directory (its newest run)
    file: PathBuf,
    /// Only the failed records and the records above them
    #[arg(long)]
    errors: bool,
    /// Only records this many levels deep (1: the top-level records)
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// Only this agent's interactions (with what is inside them) and the records above them
    #[arg(long, value_name = "NAME")]
    agent: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    let (_, run) = input::load(&args.file)?;
    let paint = Paint::stdout();
    writeln!(out, "{}", run_line(&run, paint))?;
    let steps: Vec<Step<'_>> = run.walk().collect();
    let keep = kept(&steps, &args);
    // A record's usage is summed over what is below it: skipped where no record has any (a
    // chain of records thousands deep would sum the chain below each of its records).
    let usage = has_usage(&run);
    for step in steps.iter().filter(|s| keep(s)) {
        writeln!(out, "{}", line(step, usage, paint))?;
    }
    Ok(Outcome::Clean)
}

/// Whether any record of `run` has usage: an action's own, or a total written on it.
fn has_usage(run: &Run) -> bool {
    let mut todo = run.children();
    while let Some(record) = todo.pop() {
        let found = match record {
            Record::Iteration(it) => it.usage_total.is_some(),
            Record::Interaction(i) => i.usage_total.is_some(),
            Record::Action(a) => a.usage.is_some() || a.usage_total.is_some(),
            Record::Event(_) => false,
        };
        if found {
            return true;
        }
        todo.extend(record.children());
    }
    false
}

/// The run's own line: mark, workflow, run id, start, duration, usage.
fn run_line(run: &Run, paint: Paint) -> String {
    let mut text = format!(
        "{} {} {}",
        paint.mark(run.status),
        paint.bold(&run.workflow),
        paint.dim(&format!(
            "run {} · {}",
            run.run_id,
            format::time(&run.start_time)
        ))
    );
    if let Some(us) = run.duration_us() {
        text.push_str(&format!("  {}", format::duration(us)));
    }
    let usage = format::usage(run.usage());
    if !usage.is_empty() {
        text.push_str(&format!("  {usage}"));
    }
    if run.status.is_failure() {
        text.push_str(&format!("  {}", paint.red(run.status.as_str())));
    }
    text
}

/// Which steps the filters keep.
fn kept<'s>(steps: &'s [Step<'_>], args: &Args) -> impl Fn(&Step<'_>) -> bool + 's {
    let on_path = |pred: &dyn Fn(&Step<'_>) -> bool| -> HashSet<String> {
        // Ids of the records that match, and of every record above one that does.
        let mut ids = HashSet::new();
        for step in steps.iter().filter(|s| pred(s)) {
            for r in step.ancestors.iter().chain(std::iter::once(&step.record)) {
                if let Some(id) = r.id() {
                    ids.insert(id.to_owned());
                }
            }
        }
        ids
    };
    let failures = args
        .errors
        .then(|| on_path(&|s: &Step<'_>| s.record.is_failure()));
    let agent = args.agent.clone();
    let agent_paths = agent.as_ref().map(|name| {
        on_path(&|s: &Step<'_>| in_agent(s, name) && !matches!(s.record, Record::Event(_)))
    });
    let depth = args.depth;
    move |step: &Step<'_>| {
        if depth.is_some_and(|d| step.depth() >= d) {
            return false;
        }
        if let Some(ids) = &failures {
            if !step.record.id().is_some_and(|id| ids.contains(id)) {
                return false;
            }
        }
        if let (Some(name), Some(ids)) = (&agent, &agent_paths) {
            let inside = in_agent(step, name);
            let above = step.record.id().is_some_and(|id| ids.contains(id));
            if !inside && !above {
                return false;
            }
        }
        true
    }
}

/// Whether the record is, or is inside, an interaction of `agent`.
fn in_agent(step: &Step<'_>, agent: &str) -> bool {
    step.ancestors
        .iter()
        .chain(std::iter::once(&step.record))
        .any(|r| matches!(r, Record::Interaction(i) if i.agent_name == agent))
}

/// One record's line: indent, mark, kind, name, duration, usage, error.
fn line(step: &Step<'_>, usage: bool, paint: Paint) -> String {
    let indent = "  ".repeat(step.depth() + 1);
    let record = step.record;
    if let Record::Event(e) = record {
        let mut text = format!("· event {}", e.event_type);
        if let (Some(level), Some(logger)) = (&e.level, &e.logger) {
            text.push_str(&format!(" {level} {logger}"));
        }
        if let Some(message) = &e.message {
            text.push_str(&format!(": {}", format::one_line(message, 100)));
        } else if !e.data.is_null() {
            text.push_str(&format!(" {}", format::preview(&e.data, 80)));
        }
        return format!("{indent}{}", paint.dim(&text));
    }
    let status = record
        .status()
        .unwrap_or(workflow_log::document::Status::Unknown);
    let mut name = format!("{} {}", record.kind(), record.name());
    if let Record::Iteration(_) = record {
        name = record.label().into_owned();
    }
    if let Record::Action(a) = record {
        if let Some(model) = &a.model {
            name.push_str(&format!(" ({model})"));
        }
    }
    let failed = record.is_failure();
    let mut text = format!(
        "{indent}{} {}",
        paint.mark(status),
        if failed { paint.red(&name) } else { name }
    );
    match record.duration_us() {
        Some(us) => text.push_str(&format!("  {}", format::duration(us))),
        None if status == workflow_log::document::Status::Incomplete => {
            text.push_str(&format!("  {}", paint.yellow("(never closed)")));
        }
        None => {}
    }
    let usage = format::usage(if usage { record.usage() } else { None });
    if !usage.is_empty() {
        text.push_str(&format!("  {usage}"));
    }
    if failed {
        let error = record.error().map_or_else(
            || status.as_str().to_owned(),
            |e| format!("{}: {}", status, format::one_line(e, 120)),
        );
        text.push_str(&format!("  {}", paint.red(&error)));
    }
    text
}
