//! Rebuilds a run's nested JSON from its journal, as a command-line tool would:
//!
//! ```text
//! cargo run --release -p workflow-log-examples --example recover_journal -- run.jsonl run.json
//! ```

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [journal, out] = args.as_slice() else {
        eprintln!("usage: recover_journal <journal.jsonl> <out.json>");
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    match workflow_log::recover_to_file(journal.as_ref(), out.as_ref()) {
        Ok(()) => println!("wrote {out} in {:.2?}", started.elapsed()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
