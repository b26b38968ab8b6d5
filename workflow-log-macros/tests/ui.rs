//! The attributes' compile errors (issue #3, item 6): one error per file, on the offending
//! tokens, and no second error, because the function is still emitted when the attribute is
//! wrong. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p workflow-log-macros --test ui`, then read them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
