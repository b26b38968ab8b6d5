//! `stats FILE`: counts, failures, latency percentiles, tokens and cost per agent, action or
//! model.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use serde::Serialize;
use workflow_log::document::{Record, Usage};

use crate::format::{self, Paint};
use crate::{input, CmdResult, Failure, Outcome};

/// Sum a run up per agent, action or model: count, errors, p50/p95/max/total duration, tokens,
/// cost.
///
/// Per agent, the rows are the agent's interactions, and tokens and cost are those of the LLM
/// calls it made itself (not its sub-agents'), so the rows add up to the run's total. Per
/// action and per model, the rows are actions.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run's `.json`, its `.jsonl` journal, or a logs directory (its newest run)
    file: PathBuf,
    /// What a row stands for
    #[arg(long, value_enum, default_value_t = By::Agent)]
    by: By,
    /// How to write the rows
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum By {
    Agent,
    Action,
    Model,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

/// One row; the keys of `--format json` and the columns of `--format csv`.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    count: u64,
    errors: u64,
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
    total_ms: f64,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: Option<f64>,
}

#[derive(Default)]
struct Group {
    durations_us: Vec<u64>,
    count: u64,
    errors: u64,
    usage: Usage,
}

pub fn run(args: Args, out: &mut dyn Write) -> CmdResult {
    let (_, run) = input::load(&args.file)?;
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut add = |key: &str, record: &Record<'_>, usage: Option<Usage>| {
        let g = groups.entry(key.to_owned()).or_default();
        g.count += 1;
        if record.is_failure() {
            g.errors += 1;
        }
        g.durations_us.extend(record.duration_us());
        if let Some(u) = usage {
            g.usage += u;
        }
    };
    // An agent's own usage: its actions' (walk order puts them under the nearest interaction).
    let mut own_usage: BTreeMap<String, Usage> = BTreeMap::new();
    for step in run.walk() {
        match (args.by, step.record) {
            (By::Agent, Record::Interaction(i)) => add(&i.agent_name, &step.record, None),
            (By::Agent, Record::Action(a)) => {
                if let (Some(agent), Some(u)) = (step.agent(), a.usage) {
                    *own_usage.entry(agent.to_owned()).or_default() += u;
                }
            }
            (By::Action, Record::Action(a)) => add(&a.action_name, &step.record, a.usage),
            (By::Model, Record::Action(a)) => {
                if let Some(model) = &a.model {
                    add(model, &step.record, a.usage);
                }
            }
            _ => {}
        }
    }
    for (agent, usage) in own_usage {
        groups.entry(agent).or_default().usage += usage;
    }
    let rows: Vec<Row> = groups.into_iter().map(|(name, g)| row(name, g)).collect();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)
                .map_err(|e| Failure::Output(e.into()))?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&rows, out)?,
        Format::Table => write_table(&rows, args.by, out)?,
    }
    Ok(Outcome::Clean)
}

fn row(name: String, mut g: Group) -> Row {
    g.durations_us.sort_unstable();
    let ms = |us: u64| us as f64 / 1e3;
    let total: u64 = g.durations_us.iter().sum();
    Row {
        name,
        count: g.count,
        errors: g.errors,
        p50_ms: ms(percentile(&g.durations_us, 50)),
        p95_ms: ms(percentile(&g.durations_us, 95)),
        max_ms: ms(g.durations_us.last().copied().unwrap_or(0)),
        total_ms: ms(total),
        input_tokens: g.usage.input_tokens,
        output_tokens: g.usage.output_tokens,
        cost_usd: g.usage.cost_usd,
    }
}

/// The nearest-rank percentile of sorted values (0 for none).
fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn write_table(rows: &[Row], by: By, out: &mut dyn Write) -> std::io::Result<()> {
    let first = match by {
        By::Agent => "AGENT",
        By::Action => "ACTION",
        By::Model => "MODEL",
    };
    let header = [
        first, "COUNT", "ERRORS", "P50", "P95", "MAX", "TOTAL", "IN TOK", "OUT TOK", "COST",
    ];
    let right = [false, true, true, true, true, true, true, true, true, true];
    let ms = |v: f64| format::duration((v * 1e3).round() as u64);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                format::count(r.count),
                format::count(r.errors),
                ms(r.p50_ms),
                ms(r.p95_ms),
                ms(r.max_ms),
                ms(r.total_ms),
                format::count(r.input_tokens),
                format::count(r.output_tokens),
                r.cost_usd.map_or_else(|| "-".to_owned(), format::cost),
            ]
        })
        .collect();
    let paint = Paint::stdout();
    let table = format::table(&header, &cells, &right);
    for (i, line) in table.lines().enumerate() {
        match i {
            0 => writeln!(out, "{}", paint.bold(line))?,
            _ if rows[i - 1].errors > 0 => writeln!(out, "{}", paint.red(line))?,
            _ => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

fn write_csv(rows: &[Row], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "name,count,errors,p50_ms,p95_ms,max_ms,total_ms,input_tokens,output_tokens,cost_usd"
    )?;
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.name),
            r.count,
            r.errors,
            r.p50_ms,
            r.p95_ms,
            r.max_ms,
            r.total_ms,
            r.input_tokens,
            r.output_tokens,
            r.cost_usd.map_or_else(String::new, |c| c.to_string()),
        )?;
    }
    Ok(())
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_field, percentile};

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), 10);
        assert_eq!(percentile(&v, 95), 19);
        assert_eq!(percentile(&[7], 95), 7);
        assert_eq!(percentile(&[], 50), 0);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("planner"), "planner");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
