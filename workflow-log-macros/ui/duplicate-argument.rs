use workflow_log::action;

#[action(name = "search", name = "lookup")]
fn search(query: &str) -> usize {
    query.len()
}

fn main() {
    search("rust");
}
