//! `#[track_caller]` functions. A synchronous body normally runs in a closure, so that its
//! `return` and `?` land where the output can be captured; but a closure can't be
//! `#[track_caller]` on stable Rust, and a panic inside would report the body's line instead of
//! the caller's. So for these functions the body stays in the function itself, and its exits
//! are rewritten to record the outcome on their way out:
//!
//! ```text
//! return e;   →  return { let wl_exit: Ret = e; <record wl_exit>; wl_exit };
//! e?          →  match e {                          // when Ret is a `Result`
//!                    Ok(v) => v,
//!                    Err(e) => return { let wl_exit: Ret = Err(From::from(e)); <record>; wl_exit },
//!                }
//! ```
//!
//! The `match` is what `?` did before the `Try` trait: the operand's type may still be inferred
//! from what the `?` gives (`let n: u32 = s.parse()?`), and the error is converted as `?`
//! converts it. It is written only when the return type is named `Result` (`io::Result`,
//! `anyhow::Result` ...): under another name (an `Option`, an alias) the `?` is left as it is.
//! Closures, `async` blocks and nested items have exits of their own and are left alone. An
//! exit inside a macro call (`anyhow::bail!`) can't be seen: a call that leaves through one
//! closes its record without an output or error.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Attribute, Block, Expr, Ident, Item, Type};

/// Whether the function asks for its caller's location.
pub(crate) fn tracks_caller(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("track_caller"))
}

/// Rewrites each `return e` of `block` (its tail is left to the caller) into
/// `return { let exit: ty = e; record; exit }`, and each `e?` too when `ty` is a `Result`.
pub(crate) fn rewrite_exits(block: &mut Block, exit: &Ident, ty: &Type, record: &TokenStream) {
    struct Exits<'a> {
        exit: &'a Ident,
        ty: &'a Type,
        record: &'a TokenStream,
        result: bool,
    }
    impl Exits<'_> {
        /// `{ let exit: ty = value; record; exit }`
        fn recorded(&self, value: TokenStream) -> TokenStream {
            let (exit, ty, record) = (self.exit, self.ty, self.record);
            quote!({
                let #exit: #ty = #value;
                #record
                #exit
            })
        }
    }
    impl VisitMut for Exits<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            match expr {
                Expr::Closure(_) | Expr::Async(_) => {}
                Expr::Return(ret) => {
                    if let Some(value) = &mut ret.expr {
                        self.visit_expr_mut(value);
                        let inner = &**value;
                        let recorded = self.recorded(quote!(#inner));
                        **value = parse_quote!(#recorded);
                    }
                }
                Expr::Try(t) if self.result => {
                    self.visit_expr_mut(&mut t.expr);
                    let operand = &t.expr;
                    let ok = Ident::new("wl_ok", Span::mixed_site());
                    // The error's binding is the `?` token itself (rustc shows a token of the
                    // expansion at the attribute): an error that doesn't convert is reported
                    // on the `?`. Only generated code is in its scope. The conversion keeps the
                    // expansion's span, so that lints (`useless_conversion`) see ours.
                    let at = t.question_token.span();
                    let err = Ident::new("wl_err", at);
                    let recorded = self.recorded(quote!(
                        ::core::result::Result::Err(::core::convert::From::from(#err))
                    ));
                    *expr = parse_quote!(match #operand {
                        ::core::result::Result::Ok(#ok) => #ok,
                        ::core::result::Result::Err(#err) => return #recorded,
                    });
                }
                _ => visit_mut::visit_expr_mut(self, expr),
            }
        }

        fn visit_item_mut(&mut self, _: &mut Item) {}
    }
    let result = crate::ret::is_result(ty);
    Exits {
        exit,
        ty,
        record,
        result,
    }
    .visit_block_mut(block);
}
