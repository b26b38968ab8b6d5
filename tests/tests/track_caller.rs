//! `#[track_caller]` on an annotated function keeps working (issue 15): `Location::caller()`
//! and a panic inside report the caller's line, and the call is still recorded. In a file of
//! its own, as the panic test swaps the process's panic hook.

use std::panic::Location;
use std::sync::{Arc, Mutex};

use workflow_log::{action, interaction};
use workflow_log_tests::capture_valid;

#[action]
#[track_caller]
fn checked_div(a: u32, b: u32) -> u32 {
    assert!(b != 0, "division by zero");
    a / b
}

#[track_caller]
#[interaction(agent = "locator")]
fn locate(early: bool) -> Result<u32, String> {
    if early {
        return Err(format!("early at {}", Location::caller().line()));
    }
    Ok(Location::caller().line())
}

#[track_caller]
#[action]
fn parse_here(text: &str) -> Result<u32, String> {
    let line = Location::caller().line();
    let n: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number (called at {line})"))?;
    Ok(n + line)
}

#[test]
fn the_caller_s_line_is_kept_with_a_question_mark_exit() {
    let (here, log) = capture_valid(|| {
        let here = line!() + 1;
        let ok = parse_here("1");
        let err = parse_here("x");
        assert_eq!(ok, Ok(here + 1));
        assert_eq!(
            err,
            Err(format!("`x` is not a number (called at {})", here + 1))
        );
        here
    });
    let calls = log["actions"].as_array().unwrap();
    assert_eq!(calls[0]["output_data"], here + 1);
    assert_eq!(calls[1]["status"], "error");
    assert_eq!(
        calls[1]["error"],
        format!("`x` is not a number (called at {})", here + 1)
    );
}

#[test]
fn the_caller_s_line_is_reported() {
    let (lines, log) = capture_valid(|| {
        let here = line!() + 1;
        let ok = locate(false);
        let early = locate(true);
        (here, ok, early)
    });
    let (here, ok, early) = lines;
    assert_eq!(ok, Ok(here));
    assert_eq!(early, Err(format!("early at {}", here + 1)));
    // Recorded as usual, `return` included.
    let calls = log["interactions"].as_array().unwrap();
    assert_eq!(calls[0]["output"], here);
    assert_eq!(calls[1]["status"], "error");
    assert_eq!(calls[1]["error"], format!("early at {}", here + 1));

    // A panic inside, with the panic hook recording where it was reported.
    let reported: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let seen = reported.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            *seen.lock().unwrap() = Some((location.file().to_owned(), location.line()));
        }
    }));
    let (call_line, log) = capture_valid(|| {
        let line = line!() + 1;
        let result = std::panic::catch_unwind(|| checked_div(1, 0));
        assert!(result.is_err());
        line
    });
    std::panic::set_hook(previous);
    let (file, line) = reported
        .lock()
        .unwrap()
        .clone()
        .expect("a panic was reported");
    assert!(file.ends_with("track_caller.rs"), "{file}");
    assert_eq!(line, call_line, "the panic is reported at the call");
    assert_eq!(log["actions"][0]["status"], "panicked");
}
