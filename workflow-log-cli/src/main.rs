//! `workflow-log`: look at the runs that workflow-log wrote.
//!
//! Exit codes: 0 success, 1 the subcommand found failures or differences, 2 bad usage or
//! unreadable input (with one line naming the file and what is wrong).

mod cmd;
mod format;
mod input;
mod scan;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Look at the runs workflow-log wrote: list them, view one as a tree, sum it up, find its
/// failures, compare two, or write an HTML report.
///
/// FILE is a run's `.json`, its `.jsonl` journal (a crashed run), or a logs directory (its
/// newest run). Exit codes: 0 success, 1 failures or differences found, 2 bad usage or
/// unreadable input.
///
/// A file over 50 MiB is read with a progress bar on stderr when stderr is a terminal (never
/// in a pipe); `WORKFLOW_LOG_PROGRESS_BYTES` sets that size in bytes (`0`: every file).
#[derive(Debug, Parser)]
#[command(name = "workflow-log", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Ls(cmd::ls::Args),
    View(cmd::view::Args),
    Stats(cmd::stats::Args),
    Errors(cmd::errors::Args),
    Diff(cmd::diff::Args),
    Recover(cmd::recover::Args),
    Report(cmd::report::Args),
    Validate(cmd::validate::Args),
    Export(cmd::export::Args),
}

/// What a subcommand found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// Failures or differences: exit 1.
    Found,
}

/// Why a subcommand could not do its job.
#[derive(Debug)]
pub enum Failure {
    /// Unreadable or wrong input: one line naming the file and the fault, exit 2.
    Input(String),
    /// Writing the output failed.
    Output(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl From<workflow_log::Error> for Failure {
    fn from(e: workflow_log::Error) -> Self {
        Failure::Input(e.to_string())
    }
}

/// The result of a subcommand.
pub type CmdResult = Result<Outcome, Failure>;

/// The stack a command runs on. Reading a run is iterative, but the JSON Schema validator
/// (`validate`), serde_json's `Value` and serializing a run (`recover`, `report`) recurse once a
/// level of JSON: a run thousands of records deep needs more than the main thread's 8 MiB
/// (2,000 records deep: 4 to 8 MiB in a debug build). Only what is used is ever touched.
const STACK: usize = 512 << 20;

/// The deepest JSON a command reads (a record nests 2 levels below its parent), well inside
/// [`STACK`] at about 2 KiB a level (a debug build).
pub const MAX_DEPTH: usize = 50_000;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // A bug, not bad input: still one line, never a backtrace.
        let _ = writeln!(io::stderr(), "workflow-log: internal error: {info}");
    }));
    let cli = Cli::parse();
    match std::thread::Builder::new()
        .name("workflow-log".into())
        .stack_size(STACK)
        .spawn(move || execute(cli.command))
    {
        Ok(command) => command.join().unwrap_or(ExitCode::from(2)),
        // No room for the stack: the command on this thread, where only less deep runs read.
        Err(_) => execute(Cli::parse().command),
    }
}

/// Runs `command` and says how it went: the exit code, and one line on stderr for a failure.
fn execute(command: Command) -> ExitCode {
    let cli = Cli { command };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result =
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli.command, &mut out)))
        {
            Ok(result) => result,
            Err(_) => return ExitCode::from(2),
        };
    let result = result.and_then(|outcome| {
        out.flush()?;
        Ok(outcome)
    });
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Found) => ExitCode::from(1),
        // The reader went away (`| head`): what it read is all it wanted.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            let _ = writeln!(io::stderr(), "workflow-log: can't write the output: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            let line = message.replace('\n', " ");
            let _ = writeln!(io::stderr(), "workflow-log: {line}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, out: &mut dyn Write) -> CmdResult {
    match command {
        Command::Ls(args) => cmd::ls::run(args, out),
        Command::View(args) => cmd::view::run(args, out),
        Command::Stats(args) => cmd::stats::run(args, out),
        Command::Errors(args) => cmd::errors::run(args, out),
        Command::Diff(args) => cmd::diff::run(args, out),
        Command::Recover(args) => cmd::recover::run(args, out),
        Command::Report(args) => cmd::report::run(args, out),
        Command::Validate(args) => cmd::validate::run(args, out),
        Command::Export(args) => cmd::export::run(args, out),
    }
}
