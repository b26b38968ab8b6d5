//! `ls [DIR]`: the runs in a logs directory, newest first.

use std::io::Write;
use std::path::PathBuf;

use crate::{format, scan, CmdResult, Failure, Outcome};

/// List the runs in a logs directory, newest first: time, workflow, status, duration, record
/// counts, tokens and cost.
///
/// Only the head of a file over 1 MiB is read, so its counts show as `-`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The logs directory [default: $WORKFLOW_LOG_DIR, else `logs`]
    dir: Option<PathBuf>,
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    let dir = args.dir.unwrap_or_else(|| {
        std::env::var_os(workflow_log::LOGS_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map_or_else(
                || PathBuf::from(workflow_log::DEFAULT_LOGS_DIR),
                PathBuf::from,
            )
    });
    if !dir.is_dir() {
        let why = if dir.exists() {
            "not a directory"
        } else {
            "no such directory"
        };
        return Err(Failure::Input(format!("`{}`: {why}", dir.display())));
    }
    let runs = scan::runs(&dir, true)?;
    if runs.is_empty() {
        return Err(Failure::Input(format!(
            "`{}`: no workflow-log runs in this directory",
            dir.display()
        )));
    }
    let paint = format::Paint::stdout();
    let header = [
        "STARTED (UTC)",
        "WORKFLOW",
        "STATUS",
        "DURATION",
        "ITER",
        "INTER",
        "ACTIONS",
        "FAILED",
        "TOKENS",
        "COST",
        "FILE",
    ];
    let right = [
        false, false, false, true, true, true, true, true, true, true, false,
    ];
    let dash = || "-".to_owned();
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let duration = r
                .end_time
                .as_deref()
                .and_then(|end| {
                    let start = workflow_log::document::timestamp_us(&r.start_time)?;
                    let end = workflow_log::document::timestamp_us(end)?;
                    u64::try_from(end - start).ok()
                })
                .map_or_else(dash, format::duration);
            let c = r.counts;
            let n =
                |f: fn(&scan::Counts) -> u64| c.as_ref().map_or_else(dash, |c| format::count(f(c)));
            let usage = c.and_then(|c| c.usage);
            let status = if r.journal_only && r.status == "incomplete" {
                "incomplete (journal)".to_owned()
            } else {
                r.status.clone()
            };
            vec![
                format::time(&r.start_time),
                r.workflow.clone(),
                status,
                duration,
                n(|c| c.iterations),
                n(|c| c.interactions),
                n(|c| c.actions),
                n(|c| c.failed),
                usage
                    .map(|u| u.total_tokens())
                    .filter(|t| *t > 0)
                    .map_or_else(dash, format::count),
                usage
                    .and_then(|u| u.cost_usd)
                    .map_or_else(dash, format::cost),
                r.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            ]
        })
        .collect();
    let table = format::table(&header, &rows, &right);
    for (i, line) in table.lines().enumerate() {
        if i == 0 {
            writeln!(out, "{}", paint.bold(line))?;
        } else if rows[i - 1][2] != "ok" {
            writeln!(out, "{}", paint.red(line))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(Outcome::Clean)
}
