use workflow_log::action;

#[action]
struct Search {
    query: String,
}

fn main() {
    let s = Search {
        query: "rust".to_owned(),
    };
    let _ = s.query;
}
