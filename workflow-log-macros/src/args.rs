//! The attribute's arguments: `agent = expr`, `name = expr`, `number = expr`, `skip(a, b)`,
//! `skip_all`, `crate = path`, each accepted only by the attributes it makes sense on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Ident, Path, Token};

mod kw {
    syn::custom_keyword!(agent);
    syn::custom_keyword!(name);
    syn::custom_keyword!(number);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(skip_all);
}

/// Which attribute this is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Iteration,
    Interaction,
    Action,
}

impl Kind {
    /// How the user wrote it, for messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Iteration => "#[iteration]",
            Kind::Interaction => "#[interaction]",
            Kind::Action => "#[action]",
        }
    }

    /// Whether the record has an input (iterations have none).
    pub(crate) fn captures_arguments(self) -> bool {
        self != Kind::Iteration
    }
}

/// The parsed arguments of one attribute.
pub(crate) struct Args {
    pub(crate) agent: Option<Expr>,
    pub(crate) name: Option<Expr>,
    pub(crate) number: Option<Expr>,
    pub(crate) skip: Option<Vec<Ident>>,
    pub(crate) skip_all: Option<()>,
    pub(crate) krate: Option<Path>,
    /// The argument tokens (empty for a bare `#[interaction]`), for "missing `agent`".
    pub(crate) tokens: TokenStream,
}

impl Args {
    /// Where the runtime is: `crate = path`, else `::workflow_log`.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => path.to_token_stream(),
            None => quote::quote!(::workflow_log),
        }
    }

    /// Where an error about the arguments as a whole points: the arguments, or the attribute
    /// itself when it has none.
    pub(crate) fn span_tokens(&self) -> Option<&TokenStream> {
        (!self.tokens.is_empty()).then_some(&self.tokens)
    }
}

/// Parses `tokens`, reporting every bad argument (not only the first) in one error.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> Result<Args, Error> {
    let mut args = Args {
        agent: None,
        name: None,
        number: None,
        skip: None,
        skip_all: None,
        krate: None,
        tokens: tokens.clone(),
    };
    let mut errors = Errors::default();
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            if let Err(err) = parse_one(kind, input, &mut args, &mut errors) {
                errors.push(err);
                skip_to_comma(input);
            }
            if !input.is_empty() {
                if let Err(err) = input.parse::<Token![,]>() {
                    errors.push(err);
                    skip_to_comma(input);
                    let _ = input.parse::<Option<Token![,]>>();
                }
            }
        }
        Ok(())
    };
    if let Err(err) = parser.parse2(tokens) {
        errors.push(err);
    }
    errors.finish()?;
    Ok(args)
}

/// One `key` or `key = value` or `key(...)`.
fn parse_one(
    kind: Kind,
    input: ParseStream,
    args: &mut Args,
    errors: &mut Errors,
) -> syn::Result<()> {
    let lookahead = input.lookahead1();
    if kind == Kind::Interaction && lookahead.peek(kw::agent) {
        let key: kw::agent = input.parse()?;
        let value = value(input, &key, "agent", "\"planner\"")?;
        set(&mut args.agent, key, value, errors);
    } else if kind == Kind::Action && lookahead.peek(kw::name) {
        let key: kw::name = input.parse()?;
        let value = value(input, &key, "name", "\"web_search\"")?;
        set(&mut args.name, key, value, errors);
    } else if kind == Kind::Iteration && lookahead.peek(kw::number) {
        let key: kw::number = input.parse()?;
        let value = value(input, &key, "number", "n")?;
        set(&mut args.number, key, value, errors);
    } else if kind.captures_arguments() && lookahead.peek(kw::skip) {
        let key: kw::skip = input.parse()?;
        if !input.peek(syn::token::Paren) {
            return Err(Error::new_spanned(
                key,
                "`skip` lists the arguments to leave out: `skip(a, b)`",
            ));
        }
        let content;
        syn::parenthesized!(content in input);
        // `Ident::parse_any` so that `skip(self)` is accepted (and ignored).
        let name = |input: ParseStream| {
            Ident::parse_any(input).map_err(|e| Error::new(e.span(), "expected an argument name"))
        };
        let names = match Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, name) {
            Ok(names) => names,
            Err(err) => {
                // Consume the rest, or syn adds an "unexpected token" error of its own.
                content.parse::<TokenStream>()?;
                return Err(err);
            }
        };
        if args.skip_all.is_some() {
            return Err(exclusive(key));
        }
        set(&mut args.skip, key, names.into_iter().collect(), errors);
    } else if kind.captures_arguments() && lookahead.peek(kw::skip_all) {
        let key: kw::skip_all = input.parse()?;
        if args.skip.is_some() {
            return Err(exclusive(key));
        }
        set(&mut args.skip_all, key, (), errors);
    } else if lookahead.peek(Token![crate]) {
        let key: Token![crate] = input.parse()?;
        let value = value(input, &key, "crate", "path::to::workflow_log")?;
        set(&mut args.krate, key, value, errors);
    } else {
        return Err(lookahead.error());
    }
    Ok(())
}

fn exclusive(key: impl ToTokens) -> Error {
    Error::new_spanned(key, "`skip` and `skip_all` can't be used together")
}

/// `= value` after `key`, with an error on the key when the value is missing.
fn value<T: syn::parse::Parse>(
    input: ParseStream,
    key: &impl ToTokens,
    name: &str,
    example: &str,
) -> syn::Result<T> {
    if !input.peek(Token![=]) {
        return Err(Error::new_spanned(
            key,
            format!("`{name}` needs a value: `{name} = {example}`"),
        ));
    }
    input.parse::<Token![=]>()?;
    input.parse()
}

/// Stores an argument, or reports it as a duplicate (the one place duplicates are caught).
fn set<T>(slot: &mut Option<T>, key: impl ToTokens, value: T, errors: &mut Errors) {
    if slot.is_some() {
        let key = key.into_token_stream();
        errors.push(Error::new_spanned(
            &key,
            format!("duplicate argument `{key}`"),
        ));
    } else {
        *slot = Some(value);
    }
}

/// After a bad argument, skips to the next top-level comma so the rest can still be checked.
fn skip_to_comma(input: ParseStream) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<proc_macro2::TokenTree>().is_err() {
            break;
        }
    }
}

/// Errors collected so far, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn messages(kind: Kind, tokens: TokenStream) -> Vec<String> {
        match parse(kind, tokens) {
            Ok(_) => Vec::new(),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn every_bad_argument_is_reported_not_only_the_first() {
        let errors = messages(
            Kind::Action,
            quote!(foo = 1, name = "a", name = "b", skip(x), skip_all, bar),
        );
        assert_eq!(
            errors,
            [
                "expected one of: `name`, `skip`, `skip_all`, `crate`",
                "duplicate argument `name`",
                "`skip` and `skip_all` can't be used together",
                "expected one of: `name`, `skip`, `skip_all`, `crate`",
            ]
        );
    }

    #[test]
    fn each_attribute_accepts_its_own_arguments() {
        assert!(messages(Kind::Iteration, quote!(number = n + 1, crate = ::wl)).is_empty());
        assert!(messages(
            Kind::Interaction,
            quote!(agent = self.name(), skip(self, a))
        )
        .is_empty());
        assert!(messages(Kind::Action, quote!(name = "x", skip_all,)).is_empty());
        assert_eq!(
            messages(Kind::Iteration, quote!(skip_all)),
            ["expected `number` or `crate`"]
        );
    }

    #[test]
    fn a_key_without_its_value() {
        assert_eq!(
            messages(Kind::Interaction, quote!(agent, skip)),
            [
                "`agent` needs a value: `agent = \"planner\"`",
                "`skip` lists the arguments to leave out: `skip(a, b)`",
            ]
        );
        assert_eq!(
            messages(Kind::Action, quote!(skip(1), name =)),
            [
                "expected an argument name",
                "unexpected end of input, expected an expression"
            ]
        );
    }
}
