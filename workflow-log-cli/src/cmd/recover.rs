//! `recover JOURNAL [-o FILE]`: the nested JSON of a crashed run.

use std::io::Write;
use std::path::{Path, PathBuf};

use workflow_log::{document, Error};

use crate::{input, CmdResult, Failure, Outcome};

/// Rebuild the nested JSON of a run from its journal (`.jsonl`), even one a crash cut short;
/// records still open are `incomplete`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journal (`<run>.jsonl`)
    journal: PathBuf,
    /// Write the JSON to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    if !input::is_journal(&args.journal) && !args.journal.is_dir() {
        return Err(Failure::Input(format!(
            "`{}`: not a journal (a journal's name ends in `.jsonl`)",
            args.journal.display()
        )));
    }
    let file = input::resolve(&args.journal)?;
    document::check_journal(&file)?;
    // Streamed: the journal is read twice and never held, so a journal of any size fits.
    match args.output {
        Some(path) => {
            workflow_log::recover_to_file(&file, &path)
                .map_err(|e| output_error(e, &file, &path))?;
            let _ = writeln!(
                std::io::stderr(),
                "wrote {} (recovered from {})",
                path.display(),
                file.display()
            );
        }
        None => workflow_log::recover_to_writer(&file, out).map_err(|e| match e {
            Error::Output { source } => Failure::Output(source),
            e => Failure::from(e),
        })?,
    }
    Ok(Outcome::Clean)
}

/// An error of `recover_to_file`: the journal's as it is, anything else as the output's.
fn output_error(e: Error, journal: &Path, output: &Path) -> Failure {
    match &e {
        Error::Io { path, .. } if path == journal => Failure::from(e),
        Error::Io { source, .. } => Failure::Input(format!(
            "`{}`: can't write it: {}",
            output.display(),
            input::io_reason(source)
        )),
        _ => Failure::from(e),
    }
}
