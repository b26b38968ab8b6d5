//! What a function returns, as far as the expansion cares: nothing, never, or a value of a type
//! that can be named inside the body (with `impl Trait` erased to `_`).

use syn::visit_mut::{self, VisitMut};
use syn::{GenericArgument, PathArguments, ReturnType, Type, TypeParamBound};

/// The shape of a return type.
pub(crate) enum Returns {
    /// `()`, written or not: there is no output to capture.
    Unit,
    /// `!`.
    Never,
    /// A value; the type as it may be written inside the body.
    Value(Box<Type>),
}

/// Classifies `-> T` (for an `async fn`, `T` is the future's output).
pub(crate) fn returns(output: &ReturnType) -> Returns {
    match output {
        ReturnType::Default => Returns::Unit,
        ReturnType::Type(_, ty) => of_type(ty),
    }
}

/// Classifies a type.
pub(crate) fn of_type(ty: &Type) -> Returns {
    match strip_parens(ty) {
        Type::Tuple(t) if t.elems.is_empty() => Returns::Unit,
        Type::Never(_) => Returns::Never,
        _ => Returns::Value(Box::new(erase_impl_trait(ty))),
    }
}

/// Whether the type is named `Result` (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`):
/// what a `?` in the body converts its error into.
pub(crate) fn is_result(ty: &Type) -> bool {
    match strip_parens(ty) {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Result"),
        _ => false,
    }
}

fn strip_parens(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip_parens(&p.elem),
        Type::Group(g) => strip_parens(&g.elem),
        other => other,
    }
}

/// `impl Trait` can't be named in a closure's return type or a turbofish: `_` lets the compiler
/// infer the hidden type, while the rest of the type (`Result<_, E>`) still guides `?`.
pub(crate) fn erase_impl_trait(ty: &Type) -> Type {
    struct Erase;
    impl VisitMut for Erase {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(it) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    attrs: Vec::new(),
                    underscore_token: syn::Token![_](it.impl_token.span),
                });
            } else {
                visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    Erase.visit_type_mut(&mut ty);
    ty
}

/// For `-> impl Future<Output = T>`, `-> Pin<Box<dyn Future<Output = T> ...>>` and the
/// `futures` aliases of the latter, `BoxFuture<'a, T>` and `LocalBoxFuture<'a, T>`: `Some(T)`
/// (`Some(None)` when the output is not written), else `None`.
pub(crate) fn future_output(output: &ReturnType) -> Option<Option<&Type>> {
    lazy_output(output, FUTURE)
}

/// For `-> impl Stream<Item = T>` (or `FusedStream`), `-> Pin<Box<dyn Stream<Item = T> ...>>`
/// and `futures`' aliases of the latter, `BoxStream<'a, T>` and `LocalBoxStream<'a, T>`:
/// `Some(T)` (`Some(None)` when the item type is not written), else `None`.
pub(crate) fn stream_item(output: &ReturnType) -> Option<Option<&Type>> {
    lazy_output(output, STREAM)
}

/// A trait whose values the expansion follows until they are done: its names, the aliases of
/// its boxed trait object, and the associated type of what it gives.
struct Lazy {
    traits: &'static [&'static str],
    aliases: &'static [&'static str],
    assoc: &'static str,
}

const FUTURE: &Lazy = &Lazy {
    traits: &["Future"],
    aliases: &["BoxFuture", "LocalBoxFuture"],
    assoc: "Output",
};

const STREAM: &Lazy = &Lazy {
    traits: &["Stream", "FusedStream"],
    aliases: &["BoxStream", "LocalBoxStream"],
    assoc: "Item",
};

fn lazy_output<'a>(output: &'a ReturnType, lazy: &Lazy) -> Option<Option<&'a Type>> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    match strip_parens(ty) {
        Type::ImplTrait(it) => lazy_bound(it.bounds.iter(), lazy),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if lazy.aliases.iter().any(|a| last.ident == a) {
                return Some(Some(single_type_arg(&last.arguments)?));
            }
            // Pin<Box<dyn Trait<Assoc = T> + ...>>
            let pin = last;
            if pin.ident != "Pin" {
                return None;
            }
            let boxed = single_type_arg(&pin.arguments)?;
            let Type::Path(b) = strip_parens(boxed) else {
                return None;
            };
            let boxed = b.path.segments.last()?;
            if boxed.ident != "Box" {
                return None;
            }
            match strip_parens(single_type_arg(&boxed.arguments)?) {
                Type::TraitObject(obj) => lazy_bound(obj.bounds.iter(), lazy),
                _ => None,
            }
        }
        _ => None,
    }
}

fn single_type_arg(args: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = args else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn lazy_bound<'a>(
    mut bounds: impl Iterator<Item = &'a TypeParamBound>,
    lazy: &Lazy,
) -> Option<Option<&'a Type>> {
    bounds.find_map(|b| {
        let TypeParamBound::Trait(t) = b else {
            return None;
        };
        let last = t.path.segments.last()?;
        if !lazy.traits.iter().any(|name| last.ident == name) {
            return None;
        }
        let output = match &last.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                GenericArgument::AssocType(assoc) if assoc.ident == lazy.assoc => Some(&assoc.ty),
                _ => None,
            }),
            _ => None,
        };
        Some(output)
    })
}

/// Whether a function returning a future or a stream (see [`future_output`], [`stream_item`])
/// returns it boxed (`Pin<Box<..>>`, `BoxFuture`, `BoxStream`), so that the recorded one must
/// be boxed again.
pub(crate) fn is_boxed(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => !matches!(strip_parens(ty), Type::ImplTrait(_)),
        ReturnType::Default => false,
    }
}
