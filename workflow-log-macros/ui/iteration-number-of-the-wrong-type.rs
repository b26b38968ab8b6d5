use workflow_log::iteration;

// `number` takes any integer type, and nothing else: the error points at the expression.
#[iteration(number = label)]
fn turn(label: &str) {
    let _ = label;
}

fn main() {
    turn("first");
}
