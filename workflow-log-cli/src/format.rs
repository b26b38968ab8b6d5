//! How values read in a terminal: status marks, durations, tokens, cost, color.

use std::io::IsTerminal;

use workflow_log::document::{Status, Usage};

/// Whether to color stdout: a terminal, and `NO_COLOR` unset or empty (no-color.org).
pub fn color_stdout() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// Paints text with ANSI colors, or leaves it plain.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint {
            color: color_stdout(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// A status's mark, colored by how bad it is.
    pub fn mark(self, status: Status) -> String {
        let mark = mark(status);
        match status {
            Status::Ok => self.green(mark),
            Status::Cancelled | Status::Incomplete => self.yellow(mark),
            _ => self.red(mark),
        }
    }
}

/// ✓ ok, ✗ error, ! panicked, ⊘ cancelled, … incomplete, ? a status this version doesn't know.
pub fn mark(status: Status) -> &'static str {
    match status {
        Status::Ok => "✓",
        Status::Error => "✗",
        Status::Panicked => "!",
        Status::Cancelled => "⊘",
        Status::Incomplete => "…",
        _ => "?",
    }
}

/// A duration for a person: `840µs`, `12.3ms`, `4.20s`, `3m07s`, `2h05m`.
pub fn duration(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else if us < 60_000_000 {
        format!("{:.2}s", us as f64 / 1e6)
    } else if us < 3_600_000_000 {
        let s = us / 1_000_000;
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        let m = us / 60_000_000;
        format!("{}h{:02}m", m / 60, m % 60)
    }
}

/// A count with thousands separators: `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A cost in dollars: `$0.0006`, `$1.25`.
pub fn cost(usd: f64) -> String {
    if usd >= 1.0 {
        format!("${usd:.2}")
    } else {
        format!("${usd:.4}")
    }
}

/// `150 tok $0.0006`, or what of it is known; empty for no usage.
pub fn usage(usage: Option<Usage>) -> String {
    let Some(u) = usage else {
        return String::new();
    };
    let mut parts = Vec::new();
    if u.total_tokens() > 0 {
        parts.push(format!("{} tok", count(u.total_tokens())));
    }
    if let Some(c) = u.cost_usd {
        parts.push(cost(c));
    }
    parts.join(" ")
}

/// A run's start time as a person reads it: `2026-11-24 13:22:07`.
pub fn time(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replacen('T', " ", 1)
}

/// A time of day with milliseconds: `13:22:07.923`.
pub fn time_of_day(rfc3339: &str) -> &str {
    rfc3339.get(11..23).unwrap_or(rfc3339)
}

/// Compact JSON cut to about `max` characters (on a char boundary), for one line.
pub fn preview(value: &serde_json::Value, max: usize) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    one_line(&text, max)
}

/// `text` on one line, cut to about `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Rows as a table: columns padded to their widest cell, numbers (`right[i]`) right-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                text.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}
