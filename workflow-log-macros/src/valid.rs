//! Checks that need both the arguments and the function: each error points at the tokens that
//! caused it.

use proc_macro2::Span;
use syn::{Attribute, Error, Expr, ExprLit, Lit, UnOp};

use crate::args::{Args, Errors, Kind};
use crate::item::Func;

pub(crate) fn check(kind: Kind, args: &Args, func: &Func) -> Result<(), Error> {
    let mut errors = Errors::default();

    if kind == Kind::Interaction && args.agent.is_none() {
        let message = "missing `agent`: write `#[interaction(agent = \"name\")]` (a string \
                       literal or any expression, e.g. `agent = self.name()`)";
        errors.push(match args.span_tokens() {
            Some(tokens) => Error::new_spanned(tokens, message),
            None => Error::new(Span::call_site(), message),
        });
    }

    if let Some(number) = &args.number {
        if let Some(minus) = negative_literal(number) {
            errors.push(Error::new_spanned(
                minus,
                "an iteration number can't be negative: numbers start at 0",
            ));
        }
    }

    for attr in &func.outer {
        if let Some(other) = record_attribute(attr) {
            let message = if other == kind.attr() {
                format!(
                    "{other} twice: each call would be recorded twice, one record inside the \
                     other; keep one"
                )
            } else {
                format!(
                    "{} and {other} on one function: each call would be recorded twice, one \
                     record inside the other; keep one (call a second function for a nested \
                     record)",
                    kind.attr()
                )
            };
            errors.push(Error::new_spanned(attr, message));
        }
    }

    if let Some(constness) = &func.sig.constness {
        errors.push(Error::new_spanned(
            constness,
            format!(
                "{} can't be used on a `const fn`: a record can't be opened at compile time",
                kind.attr()
            ),
        ));
    }

    if let Some(variadic) = &func.sig.variadic {
        errors.push(Error::new_spanned(
            variadic,
            format!("{} can't record a variadic function", kind.attr()),
        ));
    }

    if let Some(skip) = &args.skip {
        let inputs = func.inputs();
        for name in skip {
            let known = name == "self" || inputs.iter().any(|i| i.ident == *name);
            if !known {
                let list = inputs
                    .iter()
                    .map(|i| format!("`{}`", i.ident))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = if list.is_empty() {
                    format!("`{name}` is not an argument: `{}` has none", func.sig.ident)
                } else {
                    format!(
                        "`{name}` is not an argument of `{}`; its arguments are {list}",
                        func.sig.ident
                    )
                };
                errors.push(Error::new_spanned(name, message));
            }
        }
    }

    errors.finish()
}

/// `-1`, `-(1)`, `(-1)`: a negative integer literal (an expression such as `n - 1` is checked
/// at run time instead). Returns the expression, where the error points.
fn negative_literal(expr: &Expr) -> Option<&Expr> {
    let mut inner = expr;
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    let Expr::Unary(unary) = inner else {
        return None;
    };
    if !matches!(unary.op, UnOp::Neg(_)) {
        return None;
    }
    let mut operand = &*unary.expr;
    while let Expr::Paren(p) = operand {
        operand = &p.expr;
    }
    match operand {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) if int.base10_digits() != "0" => Some(inner),
        _ => None,
    }
}

/// `#[action]`, `#[interaction(..)]`, `#[iteration]` (or `#[workflow_log::action]` ...) among
/// the function's other attributes: how it was written, for the message.
fn record_attribute(attr: &Attribute) -> Option<&'static str> {
    let last = attr.path().segments.last()?;
    Some(match last.ident.to_string().as_str() {
        "action" => Kind::Action.attr(),
        "interaction" => Kind::Interaction.attr(),
        "iteration" => Kind::Iteration.attr(),
        _ => return None,
    })
}
