//! Not public API. The traits that choose, at compile time and with no bound added to the
//! user's function, how a value is captured: generated code glob-imports this module inside a
//! block of its own (the user's code never sees these names) and calls the methods on
//! `&&&&Wrap(&value)`, `&&&Wrap(&value)` or `&&Wrap(&value)`; method resolution takes the impl
//! with the most `&`s whose bounds hold. The module holds traits only, so the glob import
//! can't shadow a variable.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use std::ops::Deref;

use super::{Failure, InputWriter, Payload, Wrap};
use crate::capture;
use crate::runtime::settings;

/// Not public API. `__wl_payload` / `__wl_append` for an array of any length whose items
/// implement `Serialize`: serde implements `Serialize` for arrays up to 32 items only, so a
/// const-generic `[T; N]` would otherwise fall back to its `Debug` text.
pub trait ViaArray {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
    /// Not public API.
    fn __wl_append(&self, w: &mut InputWriter<'_>);
}

impl<T: Serialize, const N: usize> ViaArray for &&&Wrap<'_, [T; N]> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        settings::json(&self.0[..])
    }

    #[inline]
    fn __wl_append(&self, w: &mut InputWriter<'_>) {
        w.json(&self.0[..]);
    }
}

/// Not public API. `__wl_payload` (and `__wl_append`, the same written into a function's
/// input object), the usual first choice: JSON through `Serialize`.
pub trait ViaSerialize {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
    /// Not public API.
    fn __wl_append(&self, w: &mut InputWriter<'_>);
}

impl<T: Serialize + ?Sized> ViaSerialize for &&Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        settings::json(self.0)
    }

    #[inline]
    fn __wl_append(&self, w: &mut InputWriter<'_>) {
        w.json(self.0);
    }
}

/// Not public API. `__wl_payload` / `__wl_append`, second choice: the `Debug` text.
pub trait ViaDebug {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
    /// Not public API.
    fn __wl_append(&self, w: &mut InputWriter<'_>);
}

impl<T: fmt::Debug + ?Sized> ViaDebug for &Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        settings::debug(self.0)
    }

    #[inline]
    fn __wl_append(&self, w: &mut InputWriter<'_>) {
        w.debug(self.0);
    }
}

/// Not public API. `__wl_payload` / `__wl_append`, last choice: the type's name.
pub trait ViaTypeName {
    /// Not public API.
    fn __wl_payload(&self) -> Payload;
    /// Not public API.
    fn __wl_append(&self, w: &mut InputWriter<'_>);
}

impl<T: ?Sized> ViaTypeName for Wrap<'_, T> {
    #[inline]
    fn __wl_payload(&self) -> Payload {
        settings::json(std::any::type_name::<T>())
    }

    #[inline]
    fn __wl_append(&self, w: &mut InputWriter<'_>) {
        w.json(std::any::type_name::<T>());
    }
}

/// Not public API. `(&&&&&Wrap(&ret)).__wl_error()`: the error of a `Result` that is `Err`,
/// `None` for `Ok` and for every other type. First choice, an `E: std::error::Error`: its
/// message and its causes (`source()`, all the way down).
pub trait ErrSource {
    /// Not public API.
    fn __wl_error(&self) -> Option<Failure>;
}

impl<T, E: std::error::Error> ErrSource for &&&&Wrap<'_, Result<T, E>> {
    #[inline]
    fn __wl_error(&self) -> Option<Failure> {
        self.0.as_ref().err().map(Failure::of_error)
    }
}

/// Not public API. Second choice: an error that dereferences to a `std::error::Error`
/// (`anyhow::Error`, `Box<dyn Error + Send + Sync>` ...): the same chain, through it.
pub trait ErrDerefSource {
    /// Not public API.
    fn __wl_error(&self) -> Option<Failure>;
}

impl<T, E, D> ErrDerefSource for &&&Wrap<'_, Result<T, E>>
where
    E: Deref<Target = D>,
    D: std::error::Error + ?Sized,
{
    #[inline]
    fn __wl_error(&self) -> Option<Failure> {
        self.0.as_ref().err().map(|e| Failure::of_error(&**e))
    }
}

/// Not public API. Then: the `Display` text.
pub trait ErrDisplay {
    /// Not public API.
    fn __wl_error(&self) -> Option<Failure>;
}

impl<T, E: fmt::Display> ErrDisplay for &&Wrap<'_, Result<T, E>> {
    #[inline]
    fn __wl_error(&self) -> Option<Failure> {
        self.0
            .as_ref()
            .err()
            .map(|e| Failure::text(capture::display_text(e)))
    }
}

/// Not public API. Then: the `Debug` text.
pub trait ErrDebug {
    /// Not public API.
    fn __wl_error(&self) -> Option<Failure>;
}

impl<T, E: fmt::Debug> ErrDebug for &Wrap<'_, Result<T, E>> {
    #[inline]
    fn __wl_error(&self) -> Option<Failure> {
        self.0
            .as_ref()
            .err()
            .map(|e| Failure::text(capture::debug_text(e)))
    }
}

/// Not public API.
pub trait NotErr {
    /// Not public API.
    fn __wl_error(&self) -> Option<Failure>;
}

impl<T: ?Sized> NotErr for Wrap<'_, T> {
    #[inline]
    fn __wl_error(&self) -> Option<Failure> {
        None
    }
}

/// Not public API. `(&&Wrap(&ret)).__wl_ok()`: what is captured as the output — the `Ok`
/// value of a `Result` (`None` when it is `Err`), the value itself for any other type.
pub trait OkOfResult<'a> {
    /// Not public API.
    type Ok: ?Sized + 'a;
    /// Not public API.
    fn __wl_ok(&self) -> Option<&'a Self::Ok>;
}

impl<'a, T: 'a, E> OkOfResult<'a> for &Wrap<'a, Result<T, E>> {
    type Ok = T;
    #[inline]
    fn __wl_ok(&self) -> Option<&'a T> {
        self.0.as_ref().ok()
    }
}

/// Not public API.
pub trait OkOfValue<'a> {
    /// Not public API.
    type Ok: ?Sized + 'a;
    /// Not public API.
    fn __wl_ok(&self) -> Option<&'a Self::Ok>;
}

impl<'a, T: ?Sized + 'a> OkOfValue<'a> for Wrap<'a, T> {
    type Ok = T;
    #[inline]
    fn __wl_ok(&self) -> Option<&'a T> {
        Some(self.0)
    }
}

/// Not public API. `(&&Wrap(&agent)).__wl_agent()`: an agent name from any string-like
/// value (`&str`, `String`, `Cow<str>`, `Arc<str>` ...), else from its `Display` text.
pub trait AgentStr {
    /// Not public API.
    fn __wl_agent(&self) -> Cow<'static, str>;
}

impl<T: AsRef<str> + ?Sized> AgentStr for &Wrap<'_, T> {
    #[inline]
    fn __wl_agent(&self) -> Cow<'static, str> {
        Cow::Owned(self.0.as_ref().to_owned())
    }
}

/// Not public API.
pub trait AgentDisplay {
    /// Not public API.
    fn __wl_agent(&self) -> Cow<'static, str>;
}

impl<T: fmt::Display + ?Sized> AgentDisplay for Wrap<'_, T> {
    #[inline]
    fn __wl_agent(&self) -> Cow<'static, str> {
        Cow::Owned(capture::display_text(self.0))
    }
}
