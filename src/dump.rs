//! Hex dumps with the fields named, like a packet analyser's detail pane.
//!
//! A dissector (`*_fields`) splits one message's wire bytes into named
//! [`Field`]s; [`render`] prints the bytes in hex, one field per row (a
//! field longer than 16 bytes takes more rows), with the field's name and
//! decoded value beside it.
//!
//! ```
//! use sockwire::dump;
//!
//! let wire = sockwire::FixedPacket::new(1, "hi").to_bytes();
//! let out = dump::render(&wire, &dump::fixed_fields(&wire));
//! assert_eq!(out, "\
//! 0000  01                                               version  1
//! 0001  00 00 00 01                                      order    1
//! 0005  00 00 00 02                                      size     2 characters
//! 0009  68 69                                            text     \"hi\"
//! 000b  2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d  padding  18 × '-'
//! 001b  2d 2d
//! ");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use crate::FixedPacket;

const FIELD_LEN: usize = FixedPacket::TEXT_LEN;
const FIXED_PACKET_LEN: usize = FixedPacket::LEN;
const HEADER_LEN: usize = crate::VariablePacket::HEADER_LEN;

/// Bytes shown per row.
pub const BYTES_PER_ROW: usize = 16;
/// Rows shown per field before the rest is elided.
pub const MAX_ROWS_PER_FIELD: usize = 4;

const UNPARSED: &str = "(unparsed)";

/// One named field of a message: its byte range and decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name (`version`, `order`, `text`, ...).
    pub name: &'static str,
    /// Where its bytes are in the message.
    pub range: Range<usize>,
    /// What they mean, for a person.
    pub value: String,
}

impl Field {
    /// A field.
    #[must_use]
    pub fn new(name: &'static str, range: Range<usize>, value: impl Into<String>) -> Self {
        Field {
            name,
            range,
            value: value.into(),
        }
    }
}

/// Renders `bytes` as rows of hex, one field per row (or more rows for a
/// long field), each with its name and value. Bytes no field covers are
/// shown as `(unparsed)`; a field longer than [`MAX_ROWS_PER_FIELD`] rows is
/// cut with a `… N more bytes` row. Offsets are hex, from the start of
/// `bytes`. Fields must be in order and not overlap; ranges past the end
/// are cut to it.
#[must_use]
pub fn render(bytes: &[u8], fields: &[Field]) -> String {
    let mut covered = 0;
    let mut gaps = false;
    for f in fields {
        gaps |= f.range.start.min(bytes.len()) > covered;
        covered = covered.max(f.range.end.min(bytes.len()));
    }
    gaps |= covered < bytes.len();
    let unparsed = if gaps { UNPARSED.len() } else { 0 };
    let width = fields
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        .max(unparsed)
        .max(4);
    let mut out = String::new();
    let mut at = 0;
    // `range` is always within `bytes`: the callers clamp it to its length
    let row = |out: &mut String, range: Range<usize>, name: &str, value: &str| {
        let (_, from_start) = bytes.split_at(range.start);
        let (chunk, _) = from_start.split_at(range.end - range.start);
        let (first, more) = chunk.split_at(chunk.len().min(BYTES_PER_ROW));
        let rows = more.chunks(BYTES_PER_ROW);
        let shown = if first.is_empty() {
            "(no bytes)".to_owned()
        } else {
            hex(first)
        };
        let line = format!("{:04x}  {shown:<47}  {name:<width$}  {value}", range.start);
        let _ = writeln!(out, "{}", line.trim_end());
        let mut offset = range.start + first.len();
        for (i, more) in rows.enumerate() {
            if i + 2 == MAX_ROWS_PER_FIELD && range.end - offset > BYTES_PER_ROW {
                let _ = writeln!(out, "{:04x}  … {} more bytes", offset, range.end - offset);
                break;
            }
            let _ = writeln!(out, "{offset:04x}  {}", hex(more));
            offset += more.len();
        }
    };
    for field in fields {
        let start = field.range.start.min(bytes.len());
        let end = field.range.end.clamp(start, bytes.len());
        if start > at {
            row(&mut out, at..start, UNPARSED, "");
        }
        row(&mut out, start..end, field.name, &field.value);
        at = at.max(end);
    }
    if at < bytes.len() {
        row(&mut out, at..bytes.len(), UNPARSED, "");
    }
    out
}

/// Bytes as lower-case hex pairs separated by spaces: `68 69`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A text value as a person reads it: quoted, escaped, `(not UTF-8)` when
/// it is not.
fn text_value(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => format!("{s:?}"),
        Err(e) => format!(
            "{:?} (not UTF-8 from byte {})",
            lossy(bytes),
            e.valid_up_to()
        ),
    }
}

/// Describes padding bytes: `18 × '-'`, `3 × NUL`, or the bytes as text.
fn padding_value(bytes: &[u8]) -> String {
    match bytes.first() {
        None => String::new(),
        Some(&b) if bytes.iter().all(|&x| x == b) => match b {
            0 => format!("{} × NUL", bytes.len()),
            b if b.is_ascii_graphic() || b == b' ' => format!("{} × '{}'", bytes.len(), b as char),
            b => format!("{} × 0x{b:02x}", bytes.len()),
        },
        Some(_) => text_value(bytes),
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.first_chunk::<4>())
        .map(|b| u32::from_be_bytes(*b))
}

/// §1 and §2: the whole message is one `text` field.
///
/// ```
/// let f = sockwire::dump::text_fields(b"Hello");
/// assert_eq!((f[0].name, f[0].value.as_str()), ("text", "\"Hello\""));
/// ```
#[must_use]
pub fn text_fields(bytes: &[u8]) -> Vec<Field> {
    vec![Field::new("text", 0..bytes.len(), text_value(bytes))]
}

/// §3: one line with its terminator: `line`, then `CR` if there is one,
/// then `LF`.
///
/// ```
/// let f = sockwire::dump::line_fields(b"hi\r\n");
/// let names: Vec<_> = f.iter().map(|f| f.name).collect();
/// assert_eq!(names, ["line", "CR", "LF"]);
/// ```
#[must_use]
pub fn line_fields(bytes: &[u8]) -> Vec<Field> {
    let (body, lf) = match bytes.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (bytes, false),
    };
    // a CR counts only before the LF
    let (line, cr) = match body.strip_suffix(b"\r") {
        Some(line) if lf => (line, true),
        _ => (body, false),
    };
    let end = line.len();
    let mut fields = vec![Field::new("line", 0..end, text_value(line))];
    if cr {
        fields.push(Field::new(
            "CR",
            end..end + 1,
            "carriage return, not part of the line",
        ));
    }
    if lf {
        fields.push(Field::new(
            "LF",
            bytes.len() - 1..bytes.len(),
            "end of line",
        ));
    }
    fields
}

/// §4: `version`, `order`, `size`, then the 20-byte field as `text` and
/// `padding`. Fewer than 29 bytes: the fields that are there.
#[must_use]
pub fn fixed_fields(bytes: &[u8]) -> Vec<Field> {
    let Some(wire) = bytes.first_chunk::<FIXED_PACKET_LEN>() else {
        return header_fields(
            bytes,
            &[
                ("version", 1),
                ("order", 4),
                ("size", 4),
                ("field", FIELD_LEN),
            ],
        );
    };
    let p = FixedPacket::from_bytes(wire);
    let text_end = 9 + p.text().len();
    let size = if p.is_truncated() {
        format!(
            "{} characters (the field holds {}: truncated)",
            p.size(),
            p.text().chars().count()
        )
    } else {
        format!("{} characters", p.size())
    };
    let mut fields = vec![
        Field::new("version", 0..1, p.version().to_string()),
        Field::new("order", 1..5, p.order().to_string()),
        Field::new("size", 5..9, size),
        Field::new("text", 9..text_end, format!("{:?}", p.text())),
    ];
    if let Some(pad) = wire.get(text_end..).filter(|pad| !pad.is_empty()) {
        fields.push(Field::new(
            "padding",
            text_end..FIXED_PACKET_LEN,
            padding_value(pad),
        ));
    }
    fields
}

/// §5: `version`, `size`, `order`, `payload`.
#[must_use]
pub fn variable_fields(bytes: &[u8]) -> Vec<Field> {
    let (Some((header, rest)), Some(size), Some(order)) = (
        bytes.split_first_chunk::<HEADER_LEN>(),
        be_u32(bytes, 1),
        be_u32(bytes, 5),
    ) else {
        return header_fields(bytes, &[("version", 1), ("size", 4), ("order", 4)]);
    };
    let [version, ..] = *header;
    let (payload, _) = rest.split_at(rest.len().min(size as usize));
    let end = HEADER_LEN + payload.len();
    let mut value = text_value(payload);
    if payload.len() < size as usize {
        let _ = write!(value, " ({} of {size} bytes here)", payload.len());
    }
    vec![
        Field::new("version", 0..1, version.to_string()),
        Field::new("size", 1..5, format!("{size} bytes")),
        Field::new("order", 5..9, order.to_string()),
        Field::new("payload", HEADER_LEN..end, value),
    ]
}

/// Names what there is of a cut header.
fn header_fields(bytes: &[u8], layout: &[(&'static str, usize)]) -> Vec<Field> {
    let mut at = 0;
    let mut fields = Vec::new();
    for &(name, len) in layout {
        if at >= bytes.len() {
            break;
        }
        let end = (at + len).min(bytes.len());
        fields.push(Field::new(
            name,
            at..end,
            format!("({} of {len} bytes)", end - at),
        ));
        at = end;
    }
    fields
}

/// §6: `header length`, `header` (the JSON, as it is) and `content` (as
/// it is when it is UTF-8, such as JSON; quoted with escapes otherwise).
///
/// ```
/// let wire = b"\x00\x02{}ok";
/// let f = sockwire::dump::app_fields(wire);
/// let shown: Vec<_> = f.iter().map(|f| (f.name, f.value.as_str())).collect();
/// assert_eq!(shown, [("header length", "2 bytes"), ("header", "{}"), ("content", "ok")]);
/// ```
#[cfg(feature = "json")]
#[must_use]
pub fn app_fields(bytes: &[u8]) -> Vec<Field> {
    let Some((&prefix, rest)) = bytes.split_first_chunk::<2>() else {
        return header_fields(bytes, &[("header length", 2)]);
    };
    let n = usize::from(u16::from_be_bytes(prefix));
    let (header, content) = rest.split_at(rest.len().min(n));
    let header_end = 2 + header.len();
    let mut header_value = lossy(header).into_owned();
    if header.len() < n {
        let _ = write!(header_value, " ({} of {n} bytes here)", header.len());
    }
    let content_value = match std::str::from_utf8(content) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_owned(),
        _ => text_value(content),
    };
    vec![
        Field::new("header length", 0..2, format!("{n} bytes")),
        Field::new("header", 2..header_end, header_value),
        Field::new("content", header_end..bytes.len(), content_value),
    ]
}

/// §7 room chat: `tag`, `op` (each with the space that ends it), then
/// the rest as `args`. A notification's tag `n<seq>` is marked as such;
/// any numeric tag (a request's, its reply's, a `pm`'s) is shown as it is.
///
/// ```
/// let f = sockwire::dump::room_fields(b"3 rc lobby");
/// let shown: Vec<_> = f.iter().map(|f| (f.name, f.range.clone(), f.value.as_str())).collect();
/// assert_eq!(shown, [("tag", 0..2, "3"), ("op", 2..5, "rc"), ("args", 5..10, "lobby")]);
/// assert_eq!(sockwire::dump::room_fields(b"n3 ms lobby bob hi")[0].value, "n3 (notification)");
/// assert_eq!(sockwire::dump::room_fields(b"0 pm bob hi")[0].value, "0");
/// ```
#[must_use]
pub fn room_fields(bytes: &[u8]) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut at = 0;
    let mut rest = bytes;
    for name in ["tag", "op"] {
        // the word, and what follows the space that ends it
        let (word, after, taken) = match rest.iter().position(|&b| b == b' ') {
            Some(i) => {
                let (word, space_and_after) = rest.split_at(i);
                let (_space, after) = space_and_after.split_at(1);
                (word, after, i + 1)
            }
            None => (rest, &[][..], rest.len()),
        };
        let word = lossy(word).into_owned();
        let notification = word
            .strip_prefix('n')
            .is_some_and(|seq| !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()));
        let value = if name == "tag" && notification {
            format!("{word} (notification)")
        } else {
            word
        };
        fields.push(Field::new(name, at..at + taken, value));
        at += taken;
        rest = after;
        if rest.is_empty() {
            return fields;
        }
    }
    let args = lossy(rest).into_owned();
    fields.push(Field::new("args", at..bytes.len(), args));
    fields
}

/// A printable view of bytes that may not be UTF-8: each invalid sequence
/// becomes U+FFFD. Borrows when the bytes are valid.
///
/// ```
/// assert_eq!(sockwire::dump::lossy(b"ok\xff"), "ok\u{fffd}");
/// ```
#[must_use]
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_packet_rows() {
        let wire = b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello";
        assert_eq!(
            render(wire, &variable_fields(wire)),
            "\
0000  01                                               version  1
0001  00 00 00 05                                      size     5 bytes
0005  00 00 00 01                                      order    1
0009  68 65 6c 6c 6f                                   payload  \"hello\"
"
        );
    }

    #[test]
    fn long_field_is_elided_and_gaps_are_unparsed() {
        let bytes = vec![b'a'; 100];
        let fields = [Field::new("x", 2..98, "many")];
        let out = render(&bytes, &fields);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1 + 4 + 1, "{out}");
        assert!(lines[0].starts_with("0000  61 61 ") && lines[0].ends_with("(unparsed)"));
        assert!(
            lines[1].starts_with("0002  61") && lines[1].ends_with(&format!("{:<10}  many", "x"))
        );
        assert_eq!(lines[3], format!("0022  {}", hex(&[b'a'; 16])));
        assert_eq!(lines[4], "0032  … 48 more bytes");
        assert!(lines[5].starts_with("0062  61 61  "));
    }

    #[test]
    fn empty_and_truncated_messages() {
        assert_eq!(
            render(b"", &text_fields(b"")),
            "0000  (no bytes)                                       text  \"\"\n"
        );
        let fields = fixed_fields(b"\x01\x00\x00");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].value, "(2 of 4 bytes)");
        let fields = variable_fields(b"\x01\x00\x00\x00\x09\x00\x00\x00\x01abc");
        assert_eq!(fields[3].value, "\"abc\" (3 of 9 bytes here)");
    }

    #[test]
    fn fixed_truncated_and_nul_padded() {
        let wire = FixedPacket::new(2, "a long text of 25 chars..").to_bytes();
        let f = fixed_fields(&wire);
        assert_eq!(f.len(), 4, "no padding: the text fills the field");
        assert_eq!(f[2].value, "25 characters (the field holds 20: truncated)");
        let mut field = [0u8; 20];
        field[..2].copy_from_slice(b"ok");
        let wire = FixedPacket::from_parts(1, 3, 2, field).to_bytes();
        assert_eq!(fixed_fields(&wire)[4].value, "18 × NUL");
    }

    #[test]
    fn text_not_utf8_and_lines() {
        assert_eq!(
            text_fields(b"a\xff")[0].value,
            "\"a\u{fffd}\" (not UTF-8 from byte 1)"
        );
        let f = line_fields(b"hello\n");
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].range, 5..6);
        assert_eq!(line_fields(b"tail").len(), 1);
    }
}
