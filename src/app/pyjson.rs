//! JSON the way Python's `json.dumps(obj, ensure_ascii=False)` writes it;
//! [`parse`] reads JSON objects keeping their keys in order.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::EncodeError;

mod parse;

pub(crate) use parse::{Field, ObjectError, parse_object};

/// A [`serde_json` formatter](Formatter) that writes what Python's
/// `json.dumps(obj, ensure_ascii=False)` writes: `", "` between items,
/// `": "` between a key and its value, no newlines.
///
/// String escaping is serde_json's, which is Python's with
/// `ensure_ascii=False`: non-ASCII characters raw, `"` and `\` escaped,
/// `\n \r \t \b \f` by name, other control characters as lower-case
/// `\u00XX`. Floats are written by serde_json (shortest round-trip form),
/// which can differ from Python's `repr` (`1e16` against `1e+16`); integers
/// and strings match byte for byte.
///
/// ```
/// use sockwire::app::PythonFormatter;
/// let value = serde_json::json!({"a": [1, "ü\n"], "b": null});
/// let mut out = Vec::new();
/// let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
/// serde::Serialize::serialize(&value, &mut ser)?;
/// assert_eq!(out, "{\"a\": [1, \"ü\\n\"], \"b\": null}".as_bytes());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // Python's item separator: `, ` before every item but the first.
        writer.write_all(if first { b"" } else { b", " })
    }

    fn begin_object_key<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // Python's item separator: `, ` before every item but the first.
        writer.write_all(if first { b"" } else { b", " })
    }

    fn begin_object_value<W>(&mut self, writer: &mut W) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        writer.write_all(b": ")
    }
}

/// Serializes `value` as Python's `json.dumps(value, ensure_ascii=False)`
/// would, UTF-8 encoded (see [`PythonFormatter`] for the one difference,
/// floats).
///
/// # Errors
///
/// [`EncodeError::Unrepresentable`] if `value` does not serialize to JSON
/// (a map with non-string keys, a failing `Serialize` impl).
///
/// ```
/// let bytes = sockwire::app::to_python_json(&serde_json::json!({"result": "ok 🐰"}))?;
/// assert_eq!(bytes, "{\"result\": \"ok 🐰\"}".as_bytes());
/// # Ok::<(), sockwire::EncodeError>(())
/// ```
pub fn to_python_json<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    write_python_json(&mut out, value)?;
    Ok(out)
}

pub(crate) fn write_python_json<T: ?Sized + Serialize>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), EncodeError> {
    let mut ser = serde_json::Serializer::with_formatter(out, PythonFormatter);
    value
        .serialize(&mut ser)
        .map_err(|e| EncodeError::Unrepresentable {
            reason: e.to_string(),
        })
}

/// Appends `s` as a JSON string literal, escaped as Python's `json.dumps`
/// with `ensure_ascii=False` does. Infallible, unlike going through serde.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        // Copy the run of bytes that need no escape, then escape the byte
        // after it, if any.
        let run = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        out.extend_from_slice(plain);
        let Some((&b, after)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            // Other control characters (below 0x20): `\u00XX`, lower case.
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                hex_digit(b >> 4),
                hex_digit(b & 0xf),
            ]),
        }
        rest = after;
    }
    out.push(b'"');
}

/// The lower-case hex digit for `nibble` (below 16).
fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    }
}

/// Appends a JSON object of string values, Python style.
pub(crate) fn write_str_object(out: &mut Vec<u8>, entries: &[(&str, &str)]) {
    out.push(b'{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_str(out, key);
        out.extend_from_slice(b": ");
        write_str(out, value);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_json(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_str(&mut out, s);
        out
    }

    #[test]
    fn write_str_matches_serde_json_escaping() {
        let samples = [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "ação 🐰 \u{2028}",
        ];
        for s in samples {
            let serde = serde_json::to_vec(s).unwrap();
            assert_eq!(str_json(s), serde, "{s:?}");
        }
        assert_eq!(str_json("\u{1}"), b"\"\\u0001\"");
        assert_eq!(str_json("\u{1f}"), b"\"\\u001f\"");
    }
}
