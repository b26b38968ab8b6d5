use workflow_log::action;

#[derive(Debug)]
struct ConfigError;

// In a `#[track_caller]` function the `?` is rewritten to record the error: an error that
// doesn't convert is still reported on the `?`.
#[action]
#[track_caller]
fn port(text: &str) -> Result<u16, ConfigError> {
    let port: u16 = text.parse()?;
    Ok(port)
}

fn main() {
    let _ = port("8080");
}
