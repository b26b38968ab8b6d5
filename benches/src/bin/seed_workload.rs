//! The seed's agent workload with workflow-log: 5000 iterations × 3 agents × 5 actions, each
//! action an `#[action]` fn with a 3-field input, in one file-backed workflow (journal on),
//! then `finish`. `plain` runs the same work through the same functions without the
//! attributes: the difference is what logging costs. Run by `benches/seed/run.py`, which
//! measures this process's CPU time from outside and runs the seed's Python logger beside it.
//!
//! `seed_workload log <dir>` or `seed_workload plain`. With `SEED_PHASES` set, the logged run
//! also prints the wall time of the run and of `finish` on stderr; with `SEED_NO_JOURNAL` set,
//! it runs without the journal.

use workflow_log::{action, interaction, iteration, Workflow};

const ITERATIONS: u64 = 5000;
const ACTIONS: u64 = 5;

/// The agent's own work, the same in the Python program.
fn work(i: u64, a: u64, k: u64) -> u64 {
    (i * 31 + a * 7 + k) % 1000
}

mod logged {
    use super::*;

    #[iteration]
    pub fn run_iteration(i: u64) -> u64 {
        planner(i) + executor(i) + critic(i)
    }

    #[interaction(agent = "planner")]
    fn planner(i: u64) -> u64 {
        agent(i, 0)
    }

    #[interaction(agent = "executor")]
    fn executor(i: u64) -> u64 {
        agent(i, 1)
    }

    #[interaction(agent = "critic")]
    fn critic(i: u64) -> u64 {
        agent(i, 2)
    }

    fn agent(i: u64, a: u64) -> u64 {
        (0..ACTIONS)
            .map(|k| {
                let v = work(i, a, k);
                tool_call(&format!("q{k}"), k, v as f64 / 1000.0);
                v
            })
            .sum()
    }

    #[action]
    fn tool_call(query: &str, top_k: u64, score: f64) -> usize {
        query.len() + top_k as usize + (score > 0.5) as usize
    }
}

mod plain {
    use super::*;

    pub fn run_iteration(i: u64) -> u64 {
        planner(i) + executor(i) + critic(i)
    }

    fn planner(i: u64) -> u64 {
        agent(i, 0)
    }

    fn executor(i: u64) -> u64 {
        agent(i, 1)
    }

    fn critic(i: u64) -> u64 {
        agent(i, 2)
    }

    fn agent(i: u64, a: u64) -> u64 {
        (0..ACTIONS)
            .map(|k| {
                let v = work(i, a, k);
                std::hint::black_box(tool_call(&format!("q{k}"), k, v as f64 / 1000.0));
                v
            })
            .sum()
    }

    #[inline(never)]
    fn tool_call(query: &str, top_k: u64, score: f64) -> usize {
        query.len() + top_k as usize + (score > 0.5) as usize
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: u64 = match args.first().map(String::as_str) {
        Some("log") => {
            let dir = args.get(1).ok_or("usage: seed_workload log <dir>")?;
            let t0 = std::time::Instant::now();
            let mut builder = Workflow::builder("seed_workload").logs_dir(dir);
            if std::env::var_os("SEED_NO_JOURNAL").is_some() {
                builder = builder.journal(false);
            }
            let log = builder.init()?;
            let total = (1..=ITERATIONS).map(logged::run_iteration).sum();
            let t1 = std::time::Instant::now();
            log.finish()?;
            if std::env::var_os("SEED_PHASES").is_some() {
                eprintln!("run {:?}, finish {:?}", t1 - t0, t1.elapsed());
            }
            total
        }
        Some("plain") => (1..=ITERATIONS).map(plain::run_iteration).sum(),
        _ => return Err("usage: seed_workload log <dir> | plain".into()),
    };
    println!("{total}");
    Ok(())
}
