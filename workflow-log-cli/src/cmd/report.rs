//! `report FILE [-o run.html]`: one self-contained HTML page of a run.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::{input, CmdResult, Failure, Outcome};

const TEMPLATE: &str = include_str!("../../assets/report.html");
const STYLE: &str = include_str!("../../assets/report.css");
const SCRIPT: &str = include_str!("../../assets/report.js");

/// Write one self-contained HTML page of a run: a timeline with a lane per agent, the tree, a
/// details pane, the failures at the top, and usage and cost totals. It loads nothing from the
/// network, and its Content-Security-Policy allows only its own script and style.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A run's `.json`, its `.jsonl` journal, or a logs directory (its newest run)
    file: PathBuf,
    /// Where to write the page [default: the run's file name with `.html`, in the current
    /// directory]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args, _out: &mut dyn Write) -> CmdResult {
    let (file, run) = input::load(&args.file)?;
    let data = serde_json::to_string(&run)
        .map_err(|e| Failure::Input(format!("`{}`: {e}", file.display())))?;
    let title = format!("{} · {} · workflow-log", run.workflow, run.run_id);
    let page = page(&title, &data);
    let output = args.output.unwrap_or_else(|| default_output(&file));
    std::fs::write(&output, page).map_err(|e| {
        Failure::Input(format!(
            "`{}`: can't write it: {}",
            output.display(),
            input::io_reason(&e)
        ))
    })?;
    let _ = writeln!(std::io::stderr(), "wrote {}", output.display());
    Ok(Outcome::Clean)
}

fn default_output(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}.html"))
}

/// The page: the template with the title, the policy, the style, the script and the data.
fn page(title: &str, data_json: &str) -> String {
    let policy = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
        sha256_source(SCRIPT),
        sha256_source(STYLE)
    );
    // One pass over the template, so that nothing substituted is scanned again.
    let mut out = String::with_capacity(TEMPLATE.len() + data_json.len() + SCRIPT.len());
    let mut rest = TEMPLATE;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find("}}") else {
            break;
        };
        let name = &rest[at + 2..at + end];
        match name {
            "title" => out.push_str(&html_text(title)),
            "policy" => out.push_str(&html_text(&policy)),
            "style" => out.push_str(STYLE),
            "script" => out.push_str(SCRIPT),
            "data" => out.push_str(&script_safe_json(data_json)),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &rest[at + end + 2..];
    }
    out.push_str(rest);
    out
}

/// A CSP source that allows exactly `text` as an inline script or style.
fn sha256_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` (so no `</script>` or
/// `<!--`), and U+2028 / U+2029, become `\uXXXX` escapes. In JSON they can only occur inside
/// strings, where the escapes mean the same characters.
fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for an HTML element's content or a quoted attribute value.
fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{page, script_safe_json, sha256_source};

    #[test]
    fn embedded_json_cannot_end_the_script() {
        let doc = serde_json::json!({"output": "</script><!-- <script>\u{2028}\u{2029} & done"});
        let safe = script_safe_json(&doc.to_string());
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!safe.contains(bad), "{safe}");
        }
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn the_policy_hashes_the_inline_script_and_style() {
        // The digest of "abc", from FIPS 180-2.
        assert_eq!(
            sha256_source("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        let html = page("t <b>", "{}");
        assert!(html.contains(&sha256_source(super::SCRIPT)));
        assert!(html.contains("t &lt;b&gt;"));
        assert!(!html.contains("{{"));
    }
}
