//! Checks that need both the arguments and the function: each error points at the tokens that
//! caused it.

use proc_macro2::Span;
use syn::Error;

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
