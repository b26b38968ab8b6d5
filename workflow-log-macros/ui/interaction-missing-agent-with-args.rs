use workflow_log::interaction;

#[interaction(skip(task))]
fn plan(task: &str) -> String {
    task.to_owned()
}

fn main() {
    plan("trip");
}
