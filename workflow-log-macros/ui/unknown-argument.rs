use workflow_log::interaction;

#[interaction(agent = "planner", level = "debug")]
fn plan(task: &str) -> String {
    task.to_owned()
}

fn main() {
    plan("trip");
}
