//! What to emit when the attribute is used wrongly: the item exactly as written, then the
//! errors. The function still exists, so calls to it don't add "cannot find function" errors,
//! and completion and go-to-definition keep working while the attribute is being fixed.

use proc_macro2::TokenStream;
use syn::Error;

pub(crate) fn expand(item: TokenStream, error: Error) -> TokenStream {
    let mut out = item;
    out.extend(error.into_compile_error());
    out
}
