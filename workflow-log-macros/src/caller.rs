//! `#[track_caller]` functions. A synchronous body normally runs in a closure, so that its
//! `return` and `?` land where the output can be captured; but a closure can't be
//! `#[track_caller]` on stable Rust, and a panic inside would report the body's line instead of
//! the caller's. So for these functions the body stays in the function itself, and its exits
//! are rewritten to record the outcome on their way out:
//!
//! ```text
//! return e;   →  return { let wl_exit: Ret = e; <record wl_exit>; wl_exit };
//! ```
//!
//! Closures, `async` blocks and nested items have exits of their own and are left alone. A `?`
//! is not rewritten (its operand's type is often inferred from the `?` itself, which a capture
//! in between would break), and an exit inside a macro call (`anyhow::bail!`) can't be seen:
//! a call that leaves through one of them closes its record without an output or error.

use proc_macro2::TokenStream;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Attribute, Block, Expr, Ident, Item, Type};

/// Whether the function asks for its caller's location.
pub(crate) fn tracks_caller(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("track_caller"))
}

/// Rewrites each `return e` of `block` (its tail is left to the caller) into
/// `return { let exit: ty = e; record; exit }`.
pub(crate) fn rewrite_returns(block: &mut Block, exit: &Ident, ty: &Type, record: &TokenStream) {
    struct Returns<'a> {
        exit: &'a Ident,
        ty: &'a Type,
        record: &'a TokenStream,
    }
    impl VisitMut for Returns<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            match expr {
                Expr::Closure(_) | Expr::Async(_) => {}
                Expr::Return(ret) => {
                    if let Some(value) = &mut ret.expr {
                        self.visit_expr_mut(value);
                        let (exit, ty, record) = (self.exit, self.ty, self.record);
                        let inner = &**value;
                        **value = parse_quote!({
                            let #exit: #ty = #inner;
                            #record
                            #exit
                        });
                    }
                }
                _ => visit_mut::visit_expr_mut(self, expr),
            }
        }

        fn visit_item_mut(&mut self, _: &mut Item) {}
    }
    Returns { exit, ty, record }.visit_block_mut(block);
}
