use workflow_log::action;

trait Tool {
    #[action]
    fn run(&self, query: &str) -> String;
}

struct Search;

impl Tool for Search {
    fn run(&self, query: &str) -> String {
        query.to_owned()
    }
}

fn main() {
    Search.run("rust");
}
