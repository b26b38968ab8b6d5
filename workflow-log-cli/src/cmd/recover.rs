//! `recover JOURNAL [-o FILE]`: the nested JSON of a crashed run.

use std::io::Write;
use std::path::PathBuf;

use workflow_log::document;

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
    // Through the typed model, so that the keys come in the format's order.
    let run = document::Run::from_value(document::read_journal(&file)?)?;
    let mut text = serde_json::to_string_pretty(&run)
        .map_err(|e| Failure::Input(format!("`{}`: {e}", file.display())))?;
    text.push('\n');
    match args.output {
        Some(path) => {
            std::fs::write(&path, text).map_err(|e| {
                Failure::Input(format!(
                    "`{}`: can't write it: {}",
                    path.display(),
                    input::io_reason(&e)
                ))
            })?;
            let _ = writeln!(
                std::io::stderr(),
                "wrote {} (recovered from {})",
                path.display(),
                file.display()
            );
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(Outcome::Clean)
}
