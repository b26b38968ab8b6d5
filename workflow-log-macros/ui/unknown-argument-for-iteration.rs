use workflow_log::iteration;

// `agent` belongs to #[interaction]: the message lists what #[iteration] takes.
#[iteration(agent = "planner")]
fn turn() {}

fn main() {
    turn();
}
