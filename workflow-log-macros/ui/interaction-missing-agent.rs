use workflow_log::interaction;

#[interaction]
fn plan(task: &str) -> String {
    task.to_owned()
}

fn main() {
    plan("trip");
}
