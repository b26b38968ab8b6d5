//! The annotated item, seen as a function: its parts, the names its arguments bind, and whether
//! it returns a future built from an `async` block.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::visit_mut::{self, VisitMut};
use syn::{
    AttrStyle, Attribute, Block, Error, Expr, FnArg, Ident, Item, Pat, Signature, Stmt, Visibility,
};

use crate::args::Kind;

/// A function or method with a body.
pub(crate) struct Func {
    /// Attributes written before the function.
    pub(crate) outer: Vec<Attribute>,
    /// `#![...]` attributes at the top of its body.
    pub(crate) inner: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) block: Block,
}

/// An argument name to capture.
pub(crate) struct Input {
    /// The binding, with the user's span (and hygiene).
    pub(crate) ident: Ident,
    /// The name as written in the JSON (`r#type` is `type`).
    pub(crate) name: String,
    /// `#[cfg(...)]` on the argument: the capture needs the same.
    pub(crate) cfgs: Vec<Attribute>,
}

/// Parses the item the attribute is on; anything but a function with a body is an error on the
/// item's leading tokens.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> Result<Func, Error> {
    let item: Item = syn::parse2(tokens.clone()).map_err(|_| not_a_function(kind, &tokens))?;
    match item {
        Item::Fn(f) => {
            let (inner, outer) = f
                .attrs
                .into_iter()
                .partition(|a| matches!(a.style, AttrStyle::Inner(_)));
            Ok(Func {
                outer,
                inner,
                vis: f.vis,
                sig: f.sig,
                block: *f.block,
            })
        }
        other => Err(not_a_function(kind, &head(&other).unwrap_or(tokens))),
    }
}

fn not_a_function(kind: Kind, tokens: &TokenStream) -> Error {
    // A trait method without a default body parses as a verbatim item ending in `;`.
    let text = tokens.to_string();
    if text.contains("fn ") && text.trim_end().ends_with(';') {
        let semi = tokens.clone().into_iter().last();
        return Error::new_spanned(
            semi.map(ToTokens::into_token_stream).unwrap_or_default(),
            format!("{} needs a function body to record", kind.attr()),
        );
    }
    Error::new_spanned(
        tokens,
        format!("{} can only be used on a function or method", kind.attr()),
    )
}

/// The item's keyword and name (`struct Config`), where "not a function" points.
fn head(item: &Item) -> Option<TokenStream> {
    fn pair(a: &impl ToTokens, b: &impl ToTokens) -> Option<TokenStream> {
        let mut t = a.to_token_stream();
        b.to_tokens(&mut t);
        Some(t)
    }
    match item {
        Item::Struct(i) => pair(&i.struct_token, &i.ident),
        Item::Enum(i) => pair(&i.enum_token, &i.ident),
        Item::Union(i) => pair(&i.union_token, &i.ident),
        Item::Trait(i) => pair(&i.trait_token, &i.ident),
        Item::Type(i) => pair(&i.type_token, &i.ident),
        Item::Const(i) => pair(&i.const_token, &i.ident),
        Item::Static(i) => pair(&i.static_token, &i.ident),
        Item::Mod(i) => pair(&i.mod_token, &i.ident),
        Item::Impl(i) => pair(&i.impl_token, &i.self_ty),
        Item::Use(i) => Some(i.use_token.to_token_stream()),
        _ => None,
    }
}

impl Func {
    /// The names the arguments bind, in order, `self` excluded (a pattern argument contributes
    /// each name it binds; `_` contributes none).
    pub(crate) fn inputs(&self) -> Vec<Input> {
        let mut inputs = Vec::new();
        for arg in &self.sig.inputs {
            if let FnArg::Typed(pat_type) = arg {
                let cfgs: Vec<Attribute> = pat_type
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("cfg"))
                    .cloned()
                    .collect();
                let mut idents = Vec::new();
                bindings(&pat_type.pat, &mut idents);
                for ident in idents {
                    let name = ident.unraw().to_string();
                    inputs.push(Input {
                        ident,
                        name,
                        cfgs: cfgs.clone(),
                    });
                }
            }
        }
        inputs
    }

    /// A non-`async` function whose body ends in `async { ... }` or `Box::pin(async { ... })`
    /// and whose return type is a future: that future is what gets recorded.
    pub(crate) fn async_tail(&self) -> Option<AsyncTail<'_>> {
        if self.sig.asyncness.is_some() {
            return None;
        }
        crate::ret::future_output(&self.sig.output)?;
        let (last, rest) = self.block.stmts.split_last()?;
        let Stmt::Expr(expr, None) = last else {
            return None;
        };
        if rest.iter().any(returns_early) {
            // A `return` before the block would skip the wrapping: the whole body is then run
            // at the call instead, as for any other body.
            return None;
        }
        match expr {
            Expr::Async(block) => Some(AsyncTail {
                before: rest,
                boxed: None,
                block,
            }),
            Expr::Call(call) if call.args.len() == 1 && is_box_pin(&call.func) => {
                match call.args.first() {
                    Some(Expr::Async(block)) => Some(AsyncTail {
                        before: rest,
                        boxed: Some(&call.func),
                        block,
                    }),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The parts of a body that ends in an `async` block.
pub(crate) struct AsyncTail<'a> {
    /// Statements before the block.
    pub(crate) before: &'a [Stmt],
    /// `Box::pin` (as the user spelled it) when the block is boxed.
    pub(crate) boxed: Option<&'a Expr>,
    pub(crate) block: &'a syn::ExprAsync,
}

/// Whether `stmt` holds a `return` of the function itself (not of a closure, an `async` block
/// or a nested item).
fn returns_early(stmt: &Stmt) -> bool {
    // `visit-mut` is the visitor syn is built with here: it looks at a copy.
    struct Finder(bool);
    impl VisitMut for Finder {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            match expr {
                Expr::Closure(_) | Expr::Async(_) => {}
                Expr::Return(_) => self.0 = true,
                _ => visit_mut::visit_expr_mut(self, expr),
            }
        }

        fn visit_item_mut(&mut self, _: &mut Item) {}
    }
    let mut finder = Finder(false);
    finder.visit_stmt_mut(&mut stmt.clone());
    finder.0
}

fn is_box_pin(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments.ends_with(&["Box".to_owned(), "pin".to_owned()])
}

/// Every identifier `pat` binds.
fn bindings(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.clone());
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        Pat::Tuple(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| bindings(&f.pat, out)),
        Pat::Slice(p) => p.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Reference(p) => bindings(&p.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        Pat::Type(p) => bindings(&p.pat, out),
        // Every alternative binds the same names.
        Pat::Or(p) => {
            if let Some(first) = p.cases.first() {
                bindings(first, out);
            }
        }
        _ => {}
    }
}
