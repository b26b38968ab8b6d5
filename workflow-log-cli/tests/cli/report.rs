//! The HTML report, loaded in headless Chromium: assertions are on the DOM after the page's
//! scripts ran, not on the file's text.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::json;
use workflow_log::Workflow;
use workflow_log_tests::file_run;

use crate::common::{agent_run, crashed_journal, on};

/// Payloads that would mark the page if they ran: `data-pwned` on `<body>` from an `onerror`,
/// `data-xss` from a script. The markers are built at run time, so their names never appear
/// in the payloads' text.
const IMG: &str = r#"</script><img src=x onerror="document.body.dataset['pw'+'ned']='yes'">"#;
const SCRIPT: &str =
    r#"<script>document.body.setAttribute('data-x'+'ss','ran')</script><!-- U+2028: \u{2028}"#;

/// Chromium's binary: `$CHROMIUM`, else the first of the usual names on the `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` after saying why the test is skipped; in CI, its absence fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is missing: install it (`apt-get install -y chromium`) or set CHROMIUM"
        );
        eprintln!(
            "SKIPPED: the HTML report test needs Chromium (`apt-get install -y chromium`, or set \
             CHROMIUM to its path); none found on the PATH"
        );
    }
    found
}

/// The page's DOM once its scripts ran (the page marks `<body>` with `data-rendered` when its
/// script ends).
///
/// Chromium runs one at a time: on this machine's two cores, several at once next to a build
/// can be slow enough to dump a page whose script has not run yet. A dump without the mark is
/// taken once more, after saying so, and what that second dump holds is what the test sees.
fn dom(chromium: &Path, page: &Path) -> String {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let first = dump(chromium, page);
    if first.contains("data-rendered=") {
        return first;
    }
    eprintln!("Chromium dumped the page before its script ran; once more. It dumped:\n{first}");
    dump(chromium, page)
}

fn dump(chromium: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let dom = String::from_utf8(output.stdout).unwrap();
    if !dom.contains("data-rendered=") {
        eprintln!("Chromium's stderr:\n{stderr}");
    }
    dom
}

fn report(file: &Path, dir: &Path) -> PathBuf {
    let html = dir.join("run.html");
    let out = on("report", file, &["-o", html.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:?}");
    html
}

#[test]
fn the_tree_timeline_and_failures_render() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let run = agent_run();
    let dir = tempfile::tempdir().unwrap();
    let dom = dom(&chromium, &report(&run.paths.0, dir.path()));
    let records = 3 + 12 + 15 + 3; // iterations, interactions, actions, events
    assert!(
        dom.contains(&format!("data-rendered=\"{records}\"")),
        "{dom}"
    );
    assert_eq!(dom.matches("class=\"node ").count(), records);
    assert_eq!(dom.matches("class=\"bar ").count(), records - 3);
    for lane in ["iterations", "planner", "researcher", "critic"] {
        assert!(
            dom.contains(&format!(
                "<div class=\"lane-label\" title=\"{lane}\">{lane}</div>"
            )),
            "{lane}"
        );
    }
    // The failure is listed at the top and selected, its details shown.
    assert!(dom.contains("<h2>1 failure</h2>"), "{dom}");
    assert!(dom.contains("<span class=\"path\">iteration 2 › executor › run_tests</span>"));
    assert!(dom.contains("<h3 class=\"bad\">Error</h3>"));
    assert!(dom.contains("<pre>1 of 12 tests failed: cli::json_flag</pre>"));
}

#[test]
fn payloads_in_the_data_run_nothing_and_show_as_text() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let run = file_run(Workflow::builder("hostile"), || {
        let _it = workflow_log::iteration().start();
        let mut agent = workflow_log::interaction(IMG).input(&SCRIPT).start();
        let mut tool = workflow_log::action(SCRIPT)
            .input(&json!({ "html": IMG }))
            .start();
        tool.output(&IMG);
        tool.error(SCRIPT);
        drop(tool);
        agent.output(&SCRIPT);
    });
    let dir = tempfile::tempdir().unwrap();
    let dom = dom(&chromium, &report(&run.paths.0, dir.path()));
    // The page's script ran to its end ...
    assert!(dom.contains("data-rendered=\"3\""), "{dom}");
    // ... and nothing from the data did.
    assert!(
        !dom.contains("data-pwned"),
        "the onerror payload ran:\n{dom}"
    );
    assert!(!dom.contains("data-xss"), "the script payload ran:\n{dom}");
    assert!(
        !dom.contains("<img"),
        "an <img> element was made from the data"
    );
    // The payloads are shown as text: in the tree, the failures list, and the details pane.
    let img_text =
        "&lt;/script&gt;&lt;img src=x onerror=\"document.body.dataset['pw'+'ned']='yes'\"&gt;";
    let script_text =
        "&lt;script&gt;document.body.setAttribute('data-x'+'ss','ran')&lt;/script&gt;";
    assert!(
        dom.contains(&format!("<span class=\"name\">{img_text}</span>")),
        "{dom}"
    );
    assert!(
        dom.contains(&format!("<span class=\"error\">{script_text}")),
        "{dom}"
    );
    assert!(
        dom.contains(&format!("<pre>{img_text}</pre>")),
        "the tool's output: {dom}"
    );
}

#[test]
fn a_crashed_run_renders() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (dir, journal) = crashed_journal();
    let dom = dom(&chromium, &report(&journal, dir.path()));
    // The iteration, the interaction, its log line and `build`: `deploy` was cut off.
    assert!(dom.contains("data-rendered=\"4\""), "{dom}");
    assert!(dom.contains("<h2>2 failures</h2>"), "{dom}");
    assert!(dom.contains("bar k-interaction s-incomplete"));
}
