//! Code generation. The function keeps its signature, attributes and body; the body is wrapped:
//!
//! ```text
//! let mut wl_span = Call::action("name");                   // a branch when disabled
//! if wl_span.enabled() { wl_span.input("arg", |w| ...); }   // nothing runs when disabled
//! // sync fn returning a value: the body runs in a closure, so `return` and `?` land here;
//! // `call_once` takes `FnOnce`, so the body may return borrows of its `&mut` arguments
//! let mut wl_guard = wl_span.enter();                      // opens the record inside wl_span
//! let wl_ret = call_once(move || -> Ret { body });          // `impl Trait` in Ret is `_`
//! if wl_guard.enabled() { output (the `Ok` value) / error (the `Err`) }
//! wl_ret
//! // sync fn returning (): `let _wl_guard = wl_span.enter(); body's statements`, no closure
//! // async fn: the body is a future whose record is entered only while it is polled
//! let (wl_ret, mut wl_done) = instrument(wl_span.detach(), async move {
//!     if false { return type_hint::<Ret>(); }                // fixes the block's output type
//!     body's statements
//! }).await;
//! // fn returning a stream, or a future whose body is not an async block: the record opens at
//! // the call and the body runs inside it; what it returns is wrapped
//! let wl_call = wl_span.detach();
//! let wl_body = { let _wl_scope = wl_call.scope(); call_once(move || -> Ret { body }) };
//! instrument(wl_call, wl_body)  /  instrument_stream(wl_call, wl_body, |item, items| ...)
//! ```
//!
//! The body's statements are spliced, never its block nested in another block: `{ { x } }`
//! would trip `unused_braces` in the user's crate for a one-line body. Spliced statements keep
//! their spans; the braces around them take the body's braces' span; `#![inner]` attributes are
//! moved to the top of the function's body.
//!
//! Generated locals are `Span::mixed_site()` identifiers, which the user's code can't see;
//! the runtime is named only through `::workflow_log::__private` (or `crate = path`).

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Block, Error, Expr, ExprLit, Ident, Lit, LitStr, Type};

use crate::args::{self, Args, Kind};
use crate::caller;
use crate::item::{self, AsyncTail, Func};
use crate::ret::{self, Returns};
use crate::valid;

/// The whole attribute: arguments and item in, the instrumented function out.
pub(crate) fn attribute(
    kind: Kind,
    args: TokenStream,
    item: TokenStream,
) -> Result<TokenStream, Error> {
    let (args, func) = match (args::parse(kind, args), item::parse(kind, item)) {
        (Ok(args), Ok(func)) => (args, func),
        (Err(mut a), Err(b)) => {
            a.combine(b);
            return Err(a);
        }
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
    };
    valid::check(kind, &args, &func)?;
    Ok(Expand::new(kind, &args, &func).function())
}

struct Expand<'a> {
    kind: Kind,
    args: &'a Args,
    func: &'a Func,
    /// `::workflow_log::__private`
    private: TokenStream,
    span: Ident,
    guard: Ident,
    ret: Ident,
    done: Ident,
    fut: Ident,
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

impl<'a> Expand<'a> {
    fn new(kind: Kind, args: &'a Args, func: &'a Func) -> Self {
        let krate = args.krate();
        Expand {
            kind,
            args,
            func,
            private: quote!(#krate::__private),
            span: local("wl_span"),
            guard: local("wl_guard"),
            ret: local("wl_ret"),
            done: local("wl_done"),
            fut: local("wl_fut"),
        }
    }

    fn function(&self) -> TokenStream {
        let Func {
            outer,
            inner,
            vis,
            sig,
            ..
        } = self.func;
        let span = &self.span;
        let open = self.open();
        let inputs = self.inputs();
        let (body, enters) = if sig.asyncness.is_some() {
            (self.async_fn_body(), false)
        } else if ret::stream_item(&sig.output).is_some() {
            (self.stream_body(), false)
        } else if let Some(tail) = self.func.async_tail() {
            (self.future_body(&tail), false)
        } else if ret::future_output(&sig.output).is_some() {
            (self.any_future_body(), false)
        } else {
            (self.sync_body(), true)
        };
        // `enter` borrows the span mutably (the record is opened and closed where it lies);
        // `detach` takes it by value.
        let mutability = (enters || !inputs.is_empty()).then(|| quote!(mut));
        // The new body's braces carry the user's body's span: the function's span then lies in
        // the user's code, and lints on the function itself (`dead_code`) still fire.
        let mut braces = Group::new(
            Delimiter::Brace,
            quote! {
                #(#inner)*
                let #mutability #span = #open;
                #inputs
                #body
            },
        );
        braces.set_span(self.func.block.brace_token.span.join());
        quote! {
            #(#outer)*
            #vis #sig #braces
        }
    }

    /// The `Span` constructor call.
    fn open(&self) -> TokenStream {
        let p = &self.private;
        match self.kind {
            Kind::Iteration => match &self.args.number {
                None => quote!(#p::Call::iteration()),
                Some(number) => {
                    quote!(#p::Call::numbered_iteration(|| #p::iteration_number(#number)))
                }
            },
            Kind::Interaction => {
                let agent = self.args.agent.as_ref().expect("checked in valid");
                match agent {
                    // A literal is borrowed: no allocation per call.
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(lit),
                        attrs,
                    }) if attrs.is_empty() => quote!(#p::Call::interaction(|| #lit)),
                    _ => {
                        // Spanned on the expression: a type that is neither a string nor
                        // `Display` is reported there, not on the whole attribute.
                        let name = quote_spanned!(agent.span()=> __wl_agent);
                        let agent = grouped(agent);
                        quote! {
                            #p::Call::interaction(|| {
                                use #p::autoref::*;
                                (&&#p::Wrap(&#agent)).#name()
                            })
                        }
                    }
                }
            }
            Kind::Action => {
                let name = match &self.args.name {
                    Some(name) => name.to_token_stream(),
                    None => {
                        let ident = &self.func.sig.ident;
                        LitStr::new(&ident.unraw().to_string(), ident.span()).into_token_stream()
                    }
                };
                quote!(#p::Call::action(#name))
            }
        }
    }

    /// The statements that capture the arguments, when there are any to capture.
    fn inputs(&self) -> TokenStream {
        if !self.kind.captures_arguments() || self.args.skip_all.is_some() {
            return TokenStream::new();
        }
        let skip = self.args.skip.as_deref().unwrap_or_default();
        let p = &self.private;
        let span = &self.span;
        // Hygienic, like every generated local: an argument may be called anything.
        let writer = local("wl_writer");
        let captures: Vec<TokenStream> = self
            .func
            .inputs()
            .into_iter()
            .filter(|input| !skip.contains(&input.ident))
            .map(|input| {
                let item::Input { ident, name, cfgs } = input;
                let ident = unlinted(ident);
                quote! {
                    #(#cfgs)*
                    #span.input(#name, |#writer| (&&&&#p::Wrap(&#ident)).__wl_append(#writer));
                }
            })
            .collect();
        if captures.is_empty() {
            return TokenStream::new();
        }
        quote! {
            if #span.enabled() {
                use #p::autoref::*;
                #(#captures)*
            }
        }
    }

    /// Records the returned value `wl_ret` on `target` (a guard or a finished future's span):
    /// the `Ok` value or the value as output, an `Err` as the error. Iterations have no output.
    fn outcome(&self, target: &Ident) -> TokenStream {
        self.outcome_of(target, &self.ret)
    }

    /// [`outcome`](Self::outcome) of the value in `ret`.
    fn outcome_of(&self, target: &Ident, ret: &Ident) -> TokenStream {
        let p = &self.private;
        let ok = local("wl_ok");
        let err = local("wl_err");
        let output = self.kind.captures_arguments().then(|| {
            quote! {
                if let ::core::option::Option::Some(#ok) = (&&#p::Wrap(&#ret)).__wl_ok() {
                    #target.output((&&&&#p::Wrap(#ok)).__wl_payload());
                }
            }
        });
        quote! {
            if #target.enabled() {
                use #p::autoref::*;
                #output
                if let ::core::option::Option::Some(#err) = (&&&&&#p::Wrap(&#ret)).__wl_error() {
                    #target.error(#err);
                }
            }
        }
    }

    fn sync_body(&self) -> TokenStream {
        let p = &self.private;
        let span = &self.span;
        let block = &self.func.block;
        match ret::returns(&self.func.sig.output) {
            // Nothing to capture: the body stays in the function itself.
            Returns::Unit | Returns::Never => {
                let guard = local("_wl_guard");
                let stmts = &block.stmts;
                quote! {
                    let #guard = #span.enter();
                    #(#stmts)*
                }
            }
            Returns::Value(ty) if caller::tracks_caller(&self.func.outer) => {
                // No closure: the body stays in the function, whose caller's location a panic
                // then reports (see `caller`).
                let guard = &self.guard;
                let ret = &self.ret;
                let exit = local("wl_exit");
                let mut block = block.clone();
                caller::rewrite_exits(&mut block, &exit, &ty, &self.outcome_of(guard, &exit));
                let outcome = self.outcome(guard);
                let stmts = &block.stmts;
                let mut braces = Group::new(Delimiter::Brace, quote!(#(#stmts)*));
                braces.set_span(block.brace_token.span.join());
                quote! {
                    let mut #guard = #span.enter();
                    let #ret: #ty = #braces;
                    #outcome
                    #ret
                }
            }
            Returns::Value(ty) => {
                let guard = &self.guard;
                let ret = &self.ret;
                let outcome = self.outcome(guard);
                quote! {
                    let mut #guard = #span.enter();
                    let #ret = #p::call_once(move || -> #ty #block);
                    #outcome
                    #ret
                }
            }
        }
    }

    fn async_fn_body(&self) -> TokenStream {
        let p = &self.private;
        let span = &self.span;
        let block = &self.func.block;
        match ret::returns(&self.func.sig.output) {
            Returns::Unit => quote! {
                #p::instrument(#span.detach(), async move #block).await;
            },
            Returns::Never => quote! {
                #p::instrument(#span.detach(), async move #block).await;
                ::core::unreachable!()
            },
            Returns::Value(ty) => {
                let ret = &self.ret;
                let done = &self.done;
                let outcome = self.outcome(done);
                let body = self.hinted_async(quote!(async move), Some(&ty), block);
                quote! {
                    let (#ret, mut #done) = #p::instrument(#span.detach(), #body).await;
                    #outcome
                    #ret
                }
            }
        }
    }

    /// `async { body }` (after `head`: attributes, `async`, `move`) whose output type is fixed
    /// to `ty` before the body is checked, so that `return` and `?` inside coerce to it as they
    /// would in the function itself (an async block has no return type to write). The body's
    /// statements follow the hint in the same block, in braces with the body's span.
    fn hinted_async(&self, head: TokenStream, ty: Option<&Type>, block: &Block) -> TokenStream {
        let p = &self.private;
        match ty {
            Some(ty) if !matches!(ty, Type::Infer(_)) => {
                let stmts = &block.stmts;
                let mut braces = Group::new(
                    Delimiter::Brace,
                    quote! {
                        if false {
                            return #p::type_hint::<#ty>();
                        }
                        #(#stmts)*
                    },
                );
                braces.set_span(block.brace_token.span.join());
                quote!(#head #braces)
            }
            _ => quote!(#head #block),
        }
    }

    /// A non-async function returning a future built from an async block: the statements
    /// before the block run as they are, and the future is recorded from the call until it
    /// completes or is dropped.
    fn future_body(&self, tail: &AsyncTail<'_>) -> TokenStream {
        let p = &self.private;
        let span = &self.span;
        let fut = &self.fut;
        let before = tail.before;
        let syn::ExprAsync {
            attrs,
            async_token,
            capture,
            block,
            ..
        } = tail.block;
        let output = ret::future_output(&self.func.sig.output).flatten();
        let returns = output.map_or(Returns::Value(Box::new(syn::parse_quote!(_))), ret::of_type);
        let hint = match (&returns, output) {
            (Returns::Value(ty), Some(_)) => Some(&**ty),
            _ => None,
        };
        let user_future = self.hinted_async(quote!(#(#attrs)* #async_token #capture), hint, block);
        let wrapper = match returns {
            Returns::Unit | Returns::Never => quote!(async move { #fut.await; }),
            Returns::Value(_) => {
                let ret = &self.ret;
                let done = &self.done;
                let outcome = self.outcome(done);
                quote! {
                    async move {
                        let (#ret, mut #done) = #fut.await;
                        #outcome
                        #ret
                    }
                }
            }
        };
        let wrapper = match tail.boxed {
            Some(boxed) => quote!(#boxed(#wrapper)),
            None => wrapper,
        };
        quote! {
            #(#before)*
            let #fut = #p::instrument(#span.detach(), #user_future);
            #wrapper
        }
    }
}

impl Expand<'_> {
    /// A non-async function returning a future (`impl Future`, `Pin<Box<dyn Future>>`,
    /// `BoxFuture`) whose body is not an `async` block, e.g. `std::future::ready(x)` or another
    /// function's future: the record opens at the call, the body runs inside it (so the future
    /// of an annotated function it calls nests under it), and the future it evaluates to is
    /// recorded until it completes or is dropped (boxed again when the function returns a box).
    fn any_future_body(&self) -> TokenStream {
        let p = &self.private;
        let fut = &self.fut;
        let ret = &self.ret;
        let done = &self.done;
        let outcome = self.outcome(done);
        let (call, body, prelude) = self.body_at_the_call();
        let wrapper = self.boxed_again(quote! {
            async move {
                let (#ret, mut #done) = #fut.await;
                #outcome
                #ret
            }
        });
        quote! {
            #prelude
            let #fut = #p::instrument(#call, #body);
            #wrapper
        }
    }

    /// A non-async function returning a stream (`impl Stream`, `Pin<Box<dyn Stream>>`,
    /// `BoxStream`): the record opens at the call, the body runs inside it, and the stream it
    /// evaluates to is recorded until it ends or is dropped, entered at each poll, its items
    /// (their `Ok` values; an `Err` is the record's error) kept as the output.
    fn stream_body(&self) -> TokenStream {
        let p = &self.private;
        let (call, body, prelude) = self.body_at_the_call();
        let item = local("wl_item");
        let items = local("wl_items");
        let ok = local("wl_ok");
        let err = local("wl_err");
        let writer = local("wl_writer");
        let keep = self.kind.captures_arguments().then(|| {
            quote! {
                if let ::core::option::Option::Some(#ok) = (&&#p::Wrap(#item)).__wl_ok() {
                    #items.push(|#writer| (&&&&#p::Wrap(#ok)).__wl_append(#writer));
                }
            }
        });
        let stream = self.boxed_again(quote! {
            #p::instrument_stream(#call, #body, |#item, #items| {
                use #p::autoref::*;
                #keep
                if let ::core::option::Option::Some(#err) = (&&&&&#p::Wrap(#item)).__wl_error() {
                    #items.error(#err);
                }
            })
        });
        quote! {
            #prelude
            #stream
        }
    }

    /// The record of a function returning a future or a stream, opened at the call, and the
    /// body run inside it, in a closure so that a `return` lands where the value is wrapped:
    /// `(call, body, statements that bind both)`.
    fn body_at_the_call(&self) -> (Ident, Ident, TokenStream) {
        let p = &self.private;
        let span = &self.span;
        let call = local("wl_call");
        let body = local("wl_body");
        let scope = local("_wl_scope");
        let ty = match ret::returns(&self.func.sig.output) {
            Returns::Value(ty) => ty,
            Returns::Unit | Returns::Never => unreachable!("a future or a stream is a value"),
        };
        let block = &self.func.block;
        let prelude = quote! {
            let #call = #span.detach();
            let #body = {
                let #scope = #call.scope();
                #p::call_once(move || -> #ty #block)
            };
        };
        (call, body, prelude)
    }

    /// `Box::pin(value)` when the function returns its future or stream boxed.
    fn boxed_again(&self, value: TokenStream) -> TokenStream {
        if ret::is_boxed(&self.func.sig.output) {
            quote!(::std::boxed::Box::pin(#value))
        } else {
            value
        }
    }
}

/// A user expression in parentheses, so that `&#expr` borrows all of it (invisible delimiters
/// are not enough: rustc flattens them here).
fn grouped(expr: &Expr) -> TokenStream {
    let mut group = Group::new(Delimiter::Parenthesis, expr.to_token_stream());
    group.set_span(Span::call_site());
    group.into_token_stream()
}

/// An argument named `_x` says "unused" to `clippy::used_underscore_binding`, which would
/// fire on the capture's use of it in the user's crate: the use is given the expansion's
/// hygiene (which resolves like the user's code at the call site) at the argument's location,
/// so that lints see generated code. Other names keep the user's span untouched.
fn unlinted(ident: Ident) -> Ident {
    if ident.to_string().starts_with('_') {
        let mut ident = ident;
        ident.set_span(Span::call_site().located_at(ident.span()));
        ident
    } else {
        ident
    }
}
