//! `diff A B`: two runs aligned by structure, and what changed between them.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;
use similar::{capture_diff_slices, Algorithm, DiffOp};
use workflow_log::document::{Kind, Record, Run, Step};

use crate::format::{self, Paint};
use crate::{input, CmdResult, Failure, Outcome};

/// Compare two runs, e.g. an agent's run before and after a change: records are aligned by
/// kind and name in order (a longest common subsequence of the two walks), then every added or
/// removed record, status change, duration change beyond the threshold, token change and
/// changed output is listed. Exit 1 when the runs differ.
///
/// Events are not compared: their timestamps and data differ from run to run.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run to compare from (`.json`, `.jsonl`, or a logs directory)
    a: PathBuf,
    /// The run to compare to
    b: PathBuf,
    /// Report a record slower or faster when its duration changed by more than this percent
    #[arg(long, value_name = "PERCENT", default_value_t = 50.0)]
    threshold: f64,
    /// ... and by more than this many milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1.0)]
    min_ms: f64,
    /// How to write the differences
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One difference; the objects of `--format json`.
#[derive(Debug, Serialize)]
struct Change {
    /// `added`, `removed`, `status`, `slower`, `faster`, `tokens` or `output`.
    change: &'static str,
    kind: &'static str,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<Value>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    a: String,
    b: String,
    differ: bool,
    changes: &'a [Change],
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    if !(args.threshold >= 0.0 && args.min_ms >= 0.0) {
        return Err(Failure::Input(
            "--threshold and --min-ms must be numbers of 0 or more".to_owned(),
        ));
    }
    let (file_a, run_a) = input::load(&args.a)?;
    let (file_b, run_b) = input::load(&args.b)?;
    let changes = compare(&run_a, &run_b, &args);
    match args.format {
        Format::Json => {
            let report = Report {
                a: file_a.display().to_string(),
                b: file_b.display().to_string(),
                differ: !changes.is_empty(),
                changes: &changes,
            };
            serde_json::to_writer_pretty(&mut *out, &report)
                .map_err(|e| Failure::Output(e.into()))?;
            writeln!(out)?;
        }
        Format::Text => write_text(&changes, &file_a, &file_b, out)?,
    }
    Ok(if changes.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

/// The key records are aligned by: depth, kind and name.
fn key(step: &Step<'_>) -> (usize, Kind, String) {
    (
        step.depth(),
        step.record.kind(),
        step.record.name().into_owned(),
    )
}

fn compare(a: &Run, b: &Run, args: &Args) -> Vec<Change> {
    let steps_a: Vec<Step<'_>> = a.walk().filter(|s| !is_event(s)).collect();
    let steps_b: Vec<Step<'_>> = b.walk().filter(|s| !is_event(s)).collect();
    let keys_a: Vec<_> = steps_a.iter().map(key).collect();
    let keys_b: Vec<_> = steps_b.iter().map(key).collect();
    let mut changes = Vec::new();
    if a.status != b.status {
        changes.push(Change {
            change: "status",
            kind: "run",
            path: "run".to_owned(),
            before: Some(a.status.as_str().into()),
            after: Some(b.status.as_str().into()),
        });
    }
    // Myers' algorithm finds a shortest edit script, that is a longest common subsequence,
    // in O((N+M)·D) rather than the O(N·M) table.
    for op in capture_diff_slices(Algorithm::Myers, &keys_a, &keys_b) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    matched(
                        &steps_a[old_index + i],
                        &steps_b[new_index + i],
                        args,
                        &mut changes,
                    );
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for s in &steps_a[old_index..old_index + old_len] {
                    changes.push(one_side("removed", s));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for s in &steps_b[new_index..new_index + new_len] {
                    changes.push(one_side("added", s));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for s in &steps_a[old_index..old_index + old_len] {
                    changes.push(one_side("removed", s));
                }
                for s in &steps_b[new_index..new_index + new_len] {
                    changes.push(one_side("added", s));
                }
            }
        }
    }
    changes
}

fn is_event(step: &Step<'_>) -> bool {
    matches!(step.record, Record::Event(_))
}

fn one_side(change: &'static str, step: &Step<'_>) -> Change {
    Change {
        change,
        kind: step.record.kind().as_str(),
        path: step.path().to_string(),
        before: None,
        after: None,
    }
}

/// The changes between two records the alignment matched.
fn matched(a: &Step<'_>, b: &Step<'_>, args: &Args, changes: &mut Vec<Change>) {
    let (ra, rb) = (a.record, b.record);
    let change = |change: &'static str, before: Value, after: Value| Change {
        change,
        kind: rb.kind().as_str(),
        path: b.path().to_string(),
        before: Some(before),
        after: Some(after),
    };
    if ra.status() != rb.status() {
        let s = |r: Record<'_>| r.status().map_or(Value::Null, |s| s.as_str().into());
        changes.push(change("status", s(ra), s(rb)));
    }
    if let (Some(da), Some(db)) = (ra.duration_us(), rb.duration_us()) {
        let (ms_a, ms_b) = (da as f64 / 1e3, db as f64 / 1e3);
        let delta = ms_b - ms_a;
        let relative = if ms_a > 0.0 {
            delta.abs() / ms_a * 100.0
        } else {
            f64::INFINITY
        };
        if delta.abs() > args.min_ms && relative > args.threshold {
            let which = if delta > 0.0 { "slower" } else { "faster" };
            changes.push(change(which, ms_a.into(), ms_b.into()));
        }
    }
    let tokens = |r: Record<'_>| r.usage().map_or(0, |u| u.total_tokens());
    if tokens(ra) != tokens(rb) {
        changes.push(change("tokens", tokens(ra).into(), tokens(rb).into()));
    }
    if let (Some(oa), Some(ob)) = (output(ra), output(rb)) {
        if oa != ob {
            changes.push(change("output", oa.clone(), ob.clone()));
        }
    }
}

/// An interaction's output or an action's output_data.
fn output<'a>(record: Record<'a>) -> Option<&'a Value> {
    match record {
        Record::Interaction(i) => Some(&i.output),
        Record::Action(a) => Some(&a.output_data),
        _ => None,
    }
}

fn write_text(
    changes: &[Change],
    a: &std::path::Path,
    b: &std::path::Path,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let paint = Paint::stdout();
    for c in changes {
        let line = match c.change {
            "added" => paint.green(&format!("+ added    {} {}", c.kind, c.path)),
            "removed" => paint.red(&format!("- removed  {} {}", c.kind, c.path)),
            "status" => {
                let text = format!(
                    "~ status   {}  {} → {}",
                    c.path,
                    c.before.as_ref().and_then(Value::as_str).unwrap_or("?"),
                    c.after.as_ref().and_then(Value::as_str).unwrap_or("?")
                );
                if c.after.as_ref().and_then(Value::as_str) == Some("ok") {
                    paint.green(&text)
                } else {
                    paint.red(&text)
                }
            }
            "slower" | "faster" => {
                let num = |v: &Option<Value>| v.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
                let (x, y) = (num(&c.before), num(&c.after));
                let pct = if x > 0.0 {
                    format!(" ({:+.0}%)", (y - x) / x * 100.0)
                } else {
                    String::new()
                };
                let us = |ms: f64| format::duration((ms * 1e3).round() as u64);
                let text = format!("~ {:<8} {}  {} → {}{pct}", c.change, c.path, us(x), us(y));
                if c.change == "slower" {
                    paint.yellow(&text)
                } else {
                    text
                }
            }
            "tokens" => format!(
                "~ tokens   {}  {} → {}",
                c.path,
                num_text(&c.before),
                num_text(&c.after)
            ),
            _ => format!(
                "~ output   {}  {} → {}",
                c.path,
                format::preview(c.before.as_ref().unwrap_or(&Value::Null), 60),
                format::preview(c.after.as_ref().unwrap_or(&Value::Null), 60)
            ),
        };
        writeln!(out, "{line}")?;
    }
    if changes.is_empty() {
        writeln!(out, "{} and {}: no differences", a.display(), b.display())
    } else {
        writeln!(
            out,
            "{} → {}: {} difference(s)",
            a.display(),
            b.display(),
            changes.len()
        )
    }
}

fn num_text(v: &Option<Value>) -> String {
    v.as_ref().map_or_else(|| "?".to_owned(), Value::to_string)
}
