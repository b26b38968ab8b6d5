use workflow_log::action;

// One function, one record: the second attribute is the error.
#[action]
#[action(name = "search_again")]
fn search(query: &str) -> usize {
    query.len()
}

fn main() {
    search("flights");
}
