//! Small text helpers both room-chat wires use.

/// The first `max` characters of `s`, for an error message that quotes
/// untrusted input.
pub(crate) fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
