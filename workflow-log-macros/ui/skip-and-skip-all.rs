use workflow_log::action;

#[action(skip(query), skip_all)]
fn search(query: &str) -> usize {
    query.len()
}

fn main() {
    search("rust");
}
