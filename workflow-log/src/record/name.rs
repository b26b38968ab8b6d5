//! [`Name`]: a record's name in two words.

use std::borrow::Cow;

/// A record's name, a `&'static str` or an owned string, in two words (a `Cow<str>` takes
/// three): the top bit of the length says which.
pub(crate) struct Name {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

const OWNED: usize = 1 << (usize::BITS - 1);

// SAFETY: a `Name` is a `&'static str` or a `Box<str>`, both `Send + Sync`.
unsafe impl Send for Name {}
// SAFETY: as above.
unsafe impl Sync for Name {}

impl Name {
    #[inline]
    pub(crate) fn new(name: Cow<'static, str>) -> Name {
        match name {
            Cow::Borrowed(s) => Name {
                ptr: std::ptr::NonNull::from(s).cast(),
                len: s.len(),
            },
            Cow::Owned(s) => {
                let boxed: Box<str> = s.into_boxed_str();
                let len = boxed.len();
                // A `str` is never longer than `isize::MAX`: the top bit is free.
                let raw = Box::into_raw(boxed);
                Name {
                    // SAFETY: `Box::into_raw` never returns null.
                    ptr: unsafe { std::ptr::NonNull::new_unchecked(raw.cast::<u8>()) },
                    len: len | OWNED,
                }
            }
        }
    }

    /// The name, if it is a `&'static str` (not made at run time).
    #[inline]
    pub(crate) fn as_static(&self) -> Option<&'static str> {
        if self.len & OWNED != 0 {
            return None;
        }
        // SAFETY: a name that owns nothing was made from a `&'static str`: `ptr` and `len` are
        // its own.
        Some(unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), self.len))
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        let len = self.len & !OWNED;
        // SAFETY: `ptr` and `len` are those of a live `&'static str` or of the `Box<str>` this
        // name owns.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), len)) }
    }
}

impl Drop for Name {
    fn drop(&mut self) {
        if self.len & OWNED != 0 {
            let len = self.len & !OWNED;
            let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), len) as *mut str;
            // SAFETY: made by `Box::into_raw` in `new` and dropped once, here.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl Clone for Name {
    fn clone(&self) -> Name {
        if self.len & OWNED != 0 {
            Name::new(Cow::Owned(self.as_str().to_owned()))
        } else {
            Name {
                ptr: self.ptr,
                len: self.len,
            }
        }
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
