use workflow_log::action;

#[action(name = 42)]
fn search(query: &str) -> usize {
    query.len()
}

fn main() {
    search("rust");
}
