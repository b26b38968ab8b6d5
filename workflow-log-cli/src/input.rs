//! FILE arguments: a run's `.json`, its `.jsonl` journal, or a directory (its newest run).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use workflow_log::document::{self, Run};

use crate::{scan, Failure};

/// Files bigger than this get a progress bar while they are read (on a terminal).
const PROGRESS_BYTES: u64 = 50 * 1024 * 1024;

/// The environment variable that sets another size for the progress bar, in bytes.
pub const PROGRESS_BYTES_VAR: &str = "WORKFLOW_LOG_PROGRESS_BYTES";

/// The size above which a file read gets a progress bar: [`PROGRESS_BYTES`], or the value of
/// [`PROGRESS_BYTES_VAR`].
fn progress_bytes() -> Result<u64, Failure> {
    let Some(value) = std::env::var_os(PROGRESS_BYTES_VAR) else {
        return Ok(PROGRESS_BYTES);
    };
    value
        .to_str()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            Failure::Input(format!(
                "`{PROGRESS_BYTES_VAR}`: `{}` is not a number of bytes",
                value.to_string_lossy()
            ))
        })
}

/// The run file FILE stands for: FILE itself, or a directory's newest run.
pub fn resolve(path: &Path) -> Result<PathBuf, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::Input(format!(
            "`{}`: can't read it: {}",
            path.display(),
            io_reason(&e)
        ))
    })?;
    if meta.is_dir() {
        scan::newest(path)?.ok_or_else(|| {
            Failure::Input(format!(
                "`{}`: no workflow-log runs in this directory",
                path.display()
            ))
        })
    } else {
        Ok(path.to_owned())
    }
}

/// The run FILE stands for, read and checked.
pub fn load(path: &Path) -> Result<(PathBuf, Run), Failure> {
    let file = resolve(path)?;
    let run = if is_journal(&file) {
        let value = with_spinner(&file, || document::read_journal(&file))??;
        Run::from_value(value).map_err(|e| at(&file, e))?
    } else {
        Run::from_json_slice(&read_bytes(&file)?).map_err(|e| at(&file, e))?
    };
    let depth = record_depth(&run);
    if 2 * depth > crate::MAX_DEPTH {
        return Err(Failure::Input(format!(
            "`{}`: records nested {depth} deep, more than the {} this command reads",
            file.display(),
            crate::MAX_DEPTH / 2
        )));
    }
    Ok((file, run))
}

/// How deep the records of `run` nest (a top-level record: 1), counted without recursion.
fn record_depth(run: &Run) -> usize {
    let mut deepest = 0;
    let mut todo: Vec<_> = run.children().into_iter().map(|r| (r, 1)).collect();
    while let Some((record, depth)) = todo.pop() {
        deepest = deepest.max(depth);
        todo.extend(record.children().into_iter().map(|r| (r, depth + 1)));
    }
    deepest
}

/// The nested JSON FILE stands for, as a value (a journal recovered), not checked further.
pub fn load_value(path: &Path) -> Result<(PathBuf, Value), Failure> {
    let file = resolve(path)?;
    if is_journal(&file) {
        let value = with_spinner(&file, || document::read_journal(&file))??;
        return Ok((file, value));
    }
    let bytes = read_bytes(&file)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::Input(format!(
            "`{}`: the file is empty",
            file.display()
        )));
    }
    let fault = |e: serde_json::Error| {
        let what = if e.is_eof() {
            "the JSON is cut short"
        } else {
            "not JSON"
        };
        Failure::Input(format!("`{}`: {what}: {e}", file.display()))
    };
    let value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => {
            // JSON nested deeper than the parser's recursion limit (a run of thousands of
            // records) is read without it, on the command's deep stack (see `main`), if it is
            // JSON (checked without recursion) and no deeper than that stack allows.
            serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(fault)?;
            let depth = json_depth(&bytes);
            if depth <= 128 {
                return Err(fault(e));
            }
            if depth > crate::MAX_DEPTH {
                return Err(Failure::Input(format!(
                    "`{}`: nested {depth} levels deep, more than the {} this command reads",
                    file.display(),
                    crate::MAX_DEPTH
                )));
            }
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            de.disable_recursion_limit();
            serde::Deserialize::deserialize(&mut de).map_err(fault)?
        }
    };
    Ok((file, value))
}

/// How deep the JSON text `bytes` nests, counted without recursion.
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

pub fn is_journal(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

/// A document error, naming `file` where it doesn't already.
fn at(file: &Path, e: workflow_log::Error) -> Failure {
    let text = e.to_string();
    if text.contains(&format!("`{}`", file.display())) {
        Failure::Input(text)
    } else {
        Failure::Input(format!("`{}`: {text}", file.display()))
    }
}

/// The file's bytes, with a progress bar on stderr for a big one.
fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    let fail = |e: std::io::Error| {
        Failure::Input(format!(
            "`{}`: can't read it: {}",
            path.display(),
            io_reason(&e)
        ))
    };
    let file = File::open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    if len > progress_bytes()? {
        let bar = ProgressBar::new(len).with_message(format!("reading {}", path.display()));
        if let Ok(style) =
            ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
        {
            bar.set_style(style);
        }
        bar.wrap_read(file).read_to_end(&mut bytes).map_err(fail)?;
        bar.finish_and_clear();
    } else {
        let mut file = file;
        file.read_to_end(&mut bytes).map_err(fail)?;
    }
    Ok(bytes)
}

/// Runs `f` (a journal's recovery) with a spinner on stderr when the file is big.
fn with_spinner<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, Failure> {
    let limit = progress_bytes()?;
    let big = std::fs::metadata(path).is_ok_and(|m| m.len() > limit);
    if !big {
        return Ok(f());
    }
    let spinner = ProgressBar::new_spinner().with_message(format!("recovering {}", path.display()));
    // Drawn now, not at the first tick: a recovery can be over before it.
    spinner.tick();
    spinner.enable_steady_tick(Duration::from_millis(100));
    let value = f();
    spinner.finish_and_clear();
    Ok(value)
}

pub use crate::scan::io_reason;
