//! `validate FILE`: a document checked against the JSON Schema that ships with workflow-log.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{input, CmdResult, Failure, Outcome};

const SCHEMA: &str = include_str!("../../../schema/workflow-log-1.schema.json");

/// Check a run against the JSON Schema of the nested format (a journal is recovered first);
/// exit 1 with each violation's path.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run's `.json`, its `.jsonl` journal, or a logs directory (its newest run)
    file: PathBuf,
}

fn validator() -> Result<&'static jsonschema::Validator, Failure> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: serde_json::Value =
                serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::validator_for(&schema).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Failure::Input(format!("the shipped schema does not load: {e}")))
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    let (file, doc) = input::load_value(&args.file)?;
    let validator = validator()?;
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("{at}: {e}")
        })
        .collect();
    if errors.is_empty() {
        writeln!(out, "{}: valid", file.display())?;
        return Ok(Outcome::Clean);
    }
    for error in &errors {
        writeln!(out, "{}: {error}", file.display())?;
    }
    writeln!(
        out,
        "{}: {} violation(s) of the workflow-log/1 schema",
        file.display(),
        errors.len()
    )?;
    Ok(Outcome::Found)
}
