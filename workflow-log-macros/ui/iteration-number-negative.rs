use workflow_log::iteration;

// A negative literal can never be an iteration number: the error points at it.
#[iteration(number = -1)]
fn turn() {}

fn main() {
    turn();
}
