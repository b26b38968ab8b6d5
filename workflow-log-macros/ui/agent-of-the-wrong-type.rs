use workflow_log::interaction;

struct Config {
    retries: u32,
}

// An agent name must be a string (or Display): the error points at the expression.
#[interaction(agent = config)]
fn plan(config: &Config) -> u32 {
    config.retries
}

fn main() {
    plan(&Config { retries: 1 });
}
