//! Support for the code that `#[iteration]`, `#[interaction]` and `#[action]` generate.
//!
//! **Not public API.** Everything here may change in any release; only the macros may use it.
//!
//! A synchronous function's record is a [`Call`], entered for the body as a [`CallGuard`]; an
//! `async fn`'s is an [`AsyncCall`], opened off the thread's stack and entered at each poll of
//! its [`Instrumented`] future. A function that returns a stream has an [`AsyncCall`] too, opened
//! at the call and entered at each poll of its [`InstrumentedStream`]. All open and close
//! through the runtime's one primitive, as the guards of the public API do.

use std::fmt;

use crate::capture;
pub use crate::capture::Payload;

pub mod autoref;
mod call;
mod future;
mod stream;

pub use call::{Call, CallGuard, InputWriter};
pub use future::{instrument, AsyncCall, AsyncScope, Instrumented};
pub use stream::{instrument_stream, InstrumentedStream, StreamItems};

/// Not public API. One read of the clock every record reads twice: for the benches, which
/// compare it with other clocks.
#[inline]
pub fn clock_now() -> u64 {
    crate::clock::now()
}

/// Not public API. Runs `f`. The body of a synchronous function runs in a closure so that its
/// `return` and `?` end the closure and the output can still be captured; passing the closure
/// to a function that takes `FnOnce` (instead of calling it in place) lets the body return
/// borrows of its `&mut` arguments, which a closure inferred `FnMut` could not.
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Not public API. Never called: `if false { return type_hint::<T>(); }` at the top of an
/// `async` block fixes the block's output type to `T` before its body is checked, so that
/// `return` and `?` in the body coerce to the function's return type as in the function itself.
#[inline(always)]
pub fn type_hint<T>() -> T {
    unreachable!("workflow-log: `type_hint` is only named, never called")
}

/// Not public API. Converts an iteration number of any integer type (`None` when it does not
/// fit in a `u64`, e.g. a negative number: the iteration is then numbered automatically).
#[inline]
pub fn iteration_number<N: IterationNumber>(n: N) -> Option<u64> {
    n.__wl_number()
}

/// Not public API. The integer types `#[iteration(number = ...)]` accepts.
#[diagnostic::on_unimplemented(
    message = "an iteration number must be an integer, not `{Self}`",
    label = "not an integer"
)]
pub trait IterationNumber {
    /// Not public API.
    fn __wl_number(self) -> Option<u64>;
}

macro_rules! iteration_numbers {
    ($($t:ty)*) => {$(
        impl IterationNumber for $t {
            #[inline]
            fn __wl_number(self) -> Option<u64> {
                u64::try_from(self).ok()
            }
        }
        impl IterationNumber for &$t {
            #[inline]
            fn __wl_number(self) -> Option<u64> {
                u64::try_from(*self).ok()
            }
        }
    )*};
}

iteration_numbers!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

/// Not public API. The error a function returned: its whole message, and the messages of its
/// chain of causes (outermost first) when it has some.
pub struct Failure {
    pub(crate) text: String,
    pub(crate) chain: Vec<String>,
}

/// A chain longer than this is cut (a `source()` that loops would never end).
const MAX_CAUSES: usize = 64;

impl Failure {
    fn text(text: String) -> Failure {
        Failure {
            text,
            chain: Vec::new(),
        }
    }

    /// `error` and its `source()`s: the text is every message joined by `": "`, as anyhow's
    /// `{:#}` writes it.
    fn of_error<E: std::error::Error + ?Sized>(error: &E) -> Failure {
        let mut chain = vec![capture::display_text(error)];
        let mut next = error.source();
        while let Some(cause) = next {
            if chain.len() == MAX_CAUSES {
                chain.push("[more causes left out]".to_owned());
                break;
            }
            chain.push(capture::display_text(cause));
            next = cause.source();
        }
        Failure {
            text: chain.join(": "),
            chain,
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Not public API. Wraps a value for capture by autoref specialisation (see [`autoref`]):
/// `(&&&&Wrap(&x)).__wl_payload()` is its JSON if it implements `Serialize`, else its `Debug`
/// text, else its type name.
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> fmt::Debug for Wrap<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wrap")
    }
}
