//! The runtime's floor plan (DESIGN.md §4.1, ARCHITECTURE.md) holds: every `crate::` path in a
//! source file of `workflow-log/src` points to its own layer or one below, nothing below
//! `runtime/` keeps thread-local state, `lib.rs` only declares and re-exports, and no source file
//! of the runtime or the macros grows past the size limit.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Lines of code (not blank, not comments) a source file may have. Unit tests in a file of
/// their own (`tests.rs`) are not counted.
const MAX_CODE_LINES: usize = 500;

/// The layers, bottom up: a file may use its own top-level module and any of a lower rank.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("util", 0),
    ("level", 1),
    ("clock", 1),
    ("capture", 2),
    ("record", 3),
    ("sink", 4),
    ("runtime", 5),
    ("api", 6),
    ("document", 6),
];

/// Files below `runtime/` allowed a `thread_local!`, and why.
const THREAD_LOCAL_ALLOWED: &[(&str, &str)] = &[(
    "capture/scratch.rs",
    "an allocation cache for the serializer's output: no record, no setting",
)];

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments (line comments, doc comments, block comments);
/// string literals are kept, which is harmless for what is looked for.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_block = 0usize;
    for line in text.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if in_block > 0 {
                match rest.find("*/") {
                    Some(i) => {
                        in_block -= 1;
                        rest = &rest[i + 2..];
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), None) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (Some(l), Some(b)) if l < b => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (_, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        in_block += 1;
                        rest = &rest[b + 2..];
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first segment of every `crate::` path in `code` (`crate::{a::b, c}` gives `a` and `c`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("crate::") {
        let start = at + i;
        at = start + "crate::".len();
        // `crate::` as a whole word (also `$crate::`), not the end of `some_crate::`.
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| is_ident(c) && c != '$') {
            continue;
        }
        let rest = &code[at..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group up to its closing brace, split at its own commas.
            let mut depth = 1;
            let mut items = vec![String::new()];
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        items.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                items.last_mut().expect("one item at least").push(c);
            }
            for item in items {
                let name: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// What each name re-exported at the crate root stands for: `Error` → `error`, `capture` → `api`.
fn root_names(lib: &str) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let code = code(lib);
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let module: String = path.chars().take_while(|c| is_ident(*c)).collect();
        let items = match (path.find('{'), path.rfind('}')) {
            (Some(a), Some(b)) => path[a + 1..b].to_owned(),
            _ => path.rsplit("::").next().unwrap_or_default().to_owned(),
        };
        for item in items.split(',') {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.clone());
            }
        }
    }
    names
}

/// The layer a file belongs to: its top-level module under `src`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("a file under src");
    let first = rel.components().next().expect("a path");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

/// Every import of `file` (module `module`) that points up a layer, or sideways to another
/// module of the same layer.
fn upward_imports(module: &str, code: &str, root: &HashMap<String, String>) -> Vec<String> {
    let Some(own) = rank(module) else {
        return vec![format!(
            "`{module}` is in no layer: add it to LAYERS and to ARCHITECTURE.md"
        )];
    };
    let mut faults = Vec::new();
    for first in crate_paths(code) {
        let target = match root.get(&first) {
            Some(module) if rank(&first).is_none() => module.clone(),
            _ => first.clone(),
        };
        if target == module || target == "__private" {
            continue;
        }
        match rank(&target) {
            Some(r) if r < own => {}
            Some(_) => faults.push(format!("uses `crate::{first}` (layer `{target}`)")),
            None => faults.push(format!("uses `crate::{first}`, which is in no layer")),
        }
    }
    faults
}

fn code_lines(code: &str) -> usize {
    code.lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn the_checker_sees_an_import_that_points_up() {
    let root = root_names("pub use api::guard::{action, ActionGuard};\npub use error::Error;");
    let code =
        code("use crate::runtime::thread;\n// use crate::api::x;\nfn f() -> crate::Error {}");
    assert_eq!(
        upward_imports("sink", &code, &root),
        ["uses `crate::runtime` (layer `runtime`)"]
    );
    let grouped = code_lines_and_paths("use crate::{action, record::Kind};");
    assert_eq!(grouped, ["action", "record"]);
    assert_eq!(
        upward_imports("record", "use crate::{action, capture};", &root),
        ["uses `crate::action` (layer `api`)"]
    );
    assert!(upward_imports("api", "use crate::{action, sink::tree};", &root).is_empty());
}

fn code_lines_and_paths(text: &str) -> Vec<String> {
    crate_paths(&code(text))
}

#[test]
fn every_import_of_the_runtime_points_down_a_layer() {
    let src = root().join("workflow-log/src");
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let root_names = root_names(&lib);
    let mut faults = Vec::new();
    for file in sources(&src) {
        if file == src.join("lib.rs") {
            continue;
        }
        let module = module_of(&src, &file);
        let text = fs::read_to_string(&file).expect("a source file");
        let code = code(&text);
        for fault in upward_imports(&module, &code, &root_names) {
            faults.push(format!("{}: {fault}", file.display()));
        }
        let below_runtime = rank(&module).is_some_and(|r| r < rank("runtime").unwrap_or(0));
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy();
        let allowed = THREAD_LOCAL_ALLOWED.iter().any(|(f, _)| *f == rel);
        if below_runtime && code.contains("thread_local!") && !allowed {
            faults.push(format!(
                "{}: thread-local state below runtime/ (the layers below get what they need as arguments)",
                file.display()
            ));
        }
    }
    assert!(
        faults.is_empty(),
        "imports that break the layers:\n{}",
        faults.join("\n")
    );
}

#[test]
fn lib_rs_only_declares_and_re_exports() {
    let lib = fs::read_to_string(root().join("workflow-log/src/lib.rs")).expect("lib.rs");
    let code = code(&lib);
    let mut depth = 0i32;
    let mut faults = Vec::new();
    for line in code.lines() {
        let line = line.trim();
        let top = depth == 0;
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if !top || line.is_empty() || line.starts_with("#") || line.starts_with('}') {
            continue;
        }
        let declares = line.starts_with("mod ")
            || line.starts_with("pub mod ")
            || line.starts_with("pub use ")
            || line.starts_with("use ");
        // The continuation lines of a multi-line `pub use`.
        let continues = line.chars().next().is_some_and(|c| is_ident(c) || c == '}')
            && (line.ends_with(',') || line.ends_with("};"));
        if !declares && !continues {
            faults.push(line.to_owned());
        }
    }
    assert!(faults.is_empty(), "lib.rs defines things: {faults:#?}");
}

#[test]
fn no_source_file_grows_past_the_limit() {
    let mut faults = Vec::new();
    for dir in ["workflow-log/src", "workflow-log-macros/src"] {
        for file in sources(&root().join(dir)) {
            if file.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = fs::read_to_string(&file).expect("a source file");
            let lines = code_lines(&code(&text));
            if lines > MAX_CODE_LINES {
                faults.push(format!("{}: {lines} lines of code", file.display()));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "files over {MAX_CODE_LINES} lines of code (split them by concept, tests in tests.rs):\n{}",
        faults.join("\n")
    );
}
