use workflow_log::action;

#[action]
const fn double(x: u32) -> u32 {
    x * 2
}

const FOUR: u32 = double(2);

fn main() {
    let _ = FOUR + double(1);
}
