use workflow_log::action;

#[action(skip(querry))]
fn search(query: &str, limit: u32) -> usize {
    query.len() + limit as usize
}

fn main() {
    search("rust", 3);
}
