use workflow_log::iteration;

#[iteration(number)]
fn turn(round: u32) -> u32 {
    round
}

fn main() {
    turn(1);
}
