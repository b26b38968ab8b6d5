//! `exit_child`'s `panic` mode, for a build with `panic = "abort"`: the panic ends the process
//! with SIGABRT and no destructor runs, so only the journal (flushed by workflow-log's panic
//! hook) is left. `tests/tests/exit_paths.rs` builds it as
//!
//! ```text
//! cargo rustc -p workflow-log-examples --example exit_child_abort -- -C panic=abort
//! ```
//!
//! would (calling rustc itself, against the libraries of the workspace's build, so that nothing
//! is compiled again with `-p`'s features), and checks the first line it prints, `panic=abort`.
//! Built the ordinary way it unwinds, like `exit_child panic`.

#[path = "exit_child.rs"]
#[allow(dead_code)] // its `main` is not ours
mod exit_child;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let strategy = if cfg!(panic = "abort") {
        "abort"
    } else {
        "unwind"
    };
    println!("panic={strategy}");
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: exit_child_abort <logs dir>")?;
    exit_child::run("panic", std::path::Path::new(&dir))
}
