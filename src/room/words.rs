//! What the two room-chat wires share in reading a datagram: the checks
//! of its size and its UTF-8 (behind `TooLong` and `InvalidUtf8` of both
//! [`WireError`](super::WireError) and
//! [`LabWireError`](super::lab::LabWireError)), and the cutting of
//! untrusted input an error quotes. Names and their rules (behind both
//! `BadName`s) are [`Name`](super::Name). The words themselves are split
//! by each wire's own rule: §7 at single spaces, strictly; §8 at any
//! whitespace, as Python's `str.split()` does.

use super::lab::LabWireError;
use super::wire::WireError;

/// The first `max` characters of `s`, for an error message that quotes
/// untrusted input.
pub(crate) fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What is wrong with a datagram's bytes, before any word is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// `size` bytes, over the limit of `max`.
    TooLong { size: usize, max: usize },
    /// Not UTF-8 from byte `offset` on.
    InvalidUtf8 { offset: usize },
}

/// Each wire's error from an [`Unreadable`]: the variant of the same name,
/// with the same fields.
macro_rules! from_unreadable {
    ($($error:ident),*) => {$(
        impl From<Unreadable> for $error {
            fn from(e: Unreadable) -> Self {
                match e {
                    Unreadable::TooLong { size, max } => $error::TooLong { size, max },
                    Unreadable::InvalidUtf8 { offset } => $error::InvalidUtf8 { offset },
                }
            }
        }
    )*};
}

from_unreadable!(WireError, LabWireError);

/// Checks a datagram of `size` bytes against the limit `max`.
pub(crate) fn check_size(size: usize, max: usize) -> Result<(), Unreadable> {
    if size > max {
        return Err(Unreadable::TooLong { size, max });
    }
    Ok(())
}

/// The datagram as text, if it is UTF-8.
pub(crate) fn utf8(datagram: &[u8]) -> Result<&str, Unreadable> {
    std::str::from_utf8(datagram).map_err(|e| Unreadable::InvalidUtf8 {
        offset: e.valid_up_to(),
    })
}

/// The datagram as text, if it is at most `max` bytes of UTF-8.
pub(crate) fn text(datagram: &[u8], max: usize) -> Result<&str, Unreadable> {
    check_size(datagram.len(), max)?;
    utf8(datagram)
}

#[cfg(test)]
mod tests {
    use super::{Unreadable, check_size, cut, text};

    #[test]
    fn size_then_encoding() {
        assert_eq!(cut("héllo", 2), "hé");
        assert_eq!(check_size(4, 4), Ok(()));
        let long = Unreadable::TooLong { size: 5, max: 4 };
        assert_eq!(check_size(5, 4), Err(long));
        assert_eq!(text(b"ab\xffcd", 4), Err(long));
        let bad = Unreadable::InvalidUtf8 { offset: 2 };
        assert_eq!(text(b"ab\xff", 4), Err(bad));
        assert_eq!(text(b"ab", 4), Ok("ab"));
    }
}
