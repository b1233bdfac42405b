//! Proptest strategies for every message of the crate, valid by
//! construction: each value encodes, and decodes back to itself.
//!
//! Texts lean on the edges: empty, exactly the maximum length, and
//! multi-byte UTF-8 characters (2, 3 and 4 bytes) ending right at the
//! limit or at a field's boundary. Use them with the round-trip checks of
//! [`testing`](super) or in a `proptest!` of your own:
//!
//! ```
//! use proptest::prelude::*;
//! use sockwire::testing::strategy;
//!
//! proptest!(|(p in strategy::fixed_packet())| {
//!     prop_assert_eq!(sockwire::FixedPacket::from_bytes(&p.to_bytes()), p);
//! });
//! ```
//!
//! The §7 and §8 strategies live in [`room`].

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::{FixedPacket, Text, VariablePacket};

pub mod room;

/// Characters that make text awkward: ASCII, 2-, 3- and 4-byte UTF-8, the
/// byte order mark, the last scalar value, control characters.
pub fn awkward_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        3 => prop::char::range('a', 'z'),
        2 => any::<char>(),
        2 => prop::sample::select(vec![
            ' ', '-', '\0', '\t', 'é', 'ç', 'ã', '€', '日', '\u{feff}', '🦀', '🐰', '\u{10ffff}',
        ]),
    ]
}

/// A string of at most `max` bytes of `chars`, often empty or exactly
/// `max` bytes long, with a multi-byte character ending at the limit.
pub fn sized_string(
    max: usize,
    chars: impl Strategy<Value = char> + Clone,
) -> impl Strategy<Value = String> {
    let some = vec(chars.clone(), 0..=max.min(48)).prop_map(move |cs| fit(cs, max));
    prop_oneof![1 => Just(String::new()), 4 => some, 2 => full_string(max, chars)]
}

/// A string of exactly `max` bytes: some of `chars`, then `x`s, then a
/// 2-, 3- or 4-byte character ending right at `max` (when it fits).
pub fn full_string(
    max: usize,
    chars: impl Strategy<Value = char> + Clone,
) -> impl Strategy<Value = String> {
    let last = prop::sample::select(vec!['é', '€', '🦀']);
    (vec(chars, 0..=max.min(48)), last).prop_map(move |(cs, last)| fill(cs, last, max))
}

/// `chars` cut to at most `max` bytes, at a character boundary.
fn fit(chars: Vec<char>, max: usize) -> String {
    let mut s = String::new();
    for c in chars {
        if s.len() + c.len_utf8() > max {
            break;
        }
        s.push(c);
    }
    s
}

/// Exactly `max` bytes: `chars` cut, then `x`s, then `last` ending right at
/// `max` (when it fits at all).
fn fill(chars: Vec<char>, last: char, max: usize) -> String {
    let room = max.saturating_sub(last.len_utf8());
    let mut s = fit(chars, room);
    while s.len() < room {
        s.push('x');
    }
    if s.len() + last.len_utf8() <= max {
        s.push(last);
    }
    while s.len() < max {
        s.push('x');
    }
    s
}

/// §1 and §2: any text of at most `max` bytes.
pub fn text(max: usize) -> impl Strategy<Value = Text> {
    sized_string(max, awkward_char()).prop_map(Text::from)
}

/// §3: a line the [`LineCodec`](crate::LineCodec) writes: at most `max`
/// bytes, no LF, no CR at its end (CRs elsewhere are kept).
pub fn line(max: usize) -> impl Strategy<Value = Text> {
    let chars = prop_oneof![5 => awkward_char(), 1 => Just('\r')];
    sized_string(max, chars).prop_map(|s| {
        let s = s.replace('\n', " ");
        Text::from(s.trim_end_matches('\r'))
    })
}

/// §4: a fixed packet as [`FixedPacket::new`] makes it: any order, a text
/// that fits the 20-byte field, fills it exactly, or is cut (`size` then
/// says more characters than the field holds).
pub fn fixed_packet() -> impl Strategy<Value = FixedPacket> {
    let text = prop_oneof![
        3 => sized_string(FixedPacket::TEXT_LEN, awkward_char()),
        1 => sized_string(40, awkward_char()),
    ];
    (any::<u32>(), text).prop_map(|(order, text)| FixedPacket::new(order, &text))
}

/// §4: any 29 bytes read as a packet (any version, any `size`, field bytes
/// that need not be UTF-8): every packet the decoder can give.
pub fn fixed_packet_any() -> impl Strategy<Value = FixedPacket> {
    any::<[u8; FixedPacket::LEN]>().prop_map(|bytes| FixedPacket::from_bytes(&bytes))
}

/// §5: a variable packet of any version and order, its payload at most
/// `max` bytes: UTF-8 text (to the limit) or any bytes.
pub fn variable_packet(max: usize) -> impl Strategy<Value = VariablePacket> {
    let payload = prop_oneof![
        sized_string(max, awkward_char()).prop_map(Bytes::from),
        vec(any::<u8>(), 0..=max.min(256)).prop_map(Bytes::from),
    ];
    (any::<u8>(), any::<u32>(), payload).prop_map(|(version, order, payload)| {
        VariablePacket::from_payload(order, payload).with_version(version)
    })
}

#[cfg(feature = "json")]
pub use app::{app_message, app_request, app_response};

#[cfg(feature = "json")]
mod app {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{awkward_char, sized_string};
    use crate::app::{AppHeader, AppMessage, AppRequest, AppResponse, ByteOrder};

    /// Strings that stress JSON: escapes, controls, `/`, U+2028, emoji.
    fn json_text() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            3 => awkward_char(),
            2 => prop::sample::select(vec!['"', '\\', '/', '\u{7f}', '\u{2028}', '\u{1f}', '\n']),
        ];
        sized_string(40, chars)
    }

    fn extra_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            json_text().prop_map(Value::from),
            vec(json_text(), 0..3).prop_map(Value::from),
        ]
    }

    /// §6 (`json` feature): any message, JSON or not, either byte order,
    /// with extra header keys; empty and binary content included.
    pub fn app_message() -> impl Strategy<Value = AppMessage> {
        let content_type = prop_oneof![Just(AppHeader::JSON_CONTENT_TYPE.to_owned()), json_text()];
        let content = prop_oneof![
            1 => Just(Vec::new()),
            4 => vec(any::<u8>(), 0..200),
            2 => json_text().prop_map(String::into_bytes),
        ];
        let extra = vec(("x-[a-z]{1,6}", extra_value()), 0..4);
        (content_type, json_text(), content, extra, any::<bool>()).prop_map(
            |(content_type, encoding, content, extra, big)| {
                let encoding = if content_type == AppHeader::JSON_CONTENT_TYPE {
                    AppHeader::JSON_ENCODING.to_owned()
                } else {
                    encoding
                };
                let mut header = AppHeader::new(content_type, encoding, 0);
                header.byteorder = if big {
                    ByteOrder::Big
                } else {
                    ByteOrder::Little
                };
                for (key, value) in extra {
                    if header.get_extra(&key).is_none() {
                        header.extra.push((key, value));
                    }
                }
                AppMessage::from_parts(header, content)
            },
        )
    }

    /// §6 (`json` feature): a client's request, JSON (`search`) or binary.
    pub fn app_request() -> impl Strategy<Value = AppRequest> {
        prop_oneof![
            (
                prop_oneof![Just("search".to_owned()), json_text()],
                json_text()
            )
                .prop_map(|(a, v)| AppRequest::new(&a, &v)),
            (json_text(), json_text()).prop_map(|(a, v)| AppRequest::json(a, v)),
            ("[a-z/.-]{0,20}", vec(any::<u8>(), 0..64)).prop_map(|(t, content)| {
                // `text/json` would be read back as JSON
                let content_type = if t == AppHeader::JSON_CONTENT_TYPE {
                    "b".to_owned()
                } else {
                    t
                };
                AppRequest::Binary {
                    content_type,
                    content: content.into(),
                }
            }),
        ]
    }

    /// §6 (`json` feature): a server's response, JSON or binary.
    pub fn app_response() -> impl Strategy<Value = AppResponse> {
        prop_oneof![
            json_text().prop_map(AppResponse::json),
            vec(any::<u8>(), 0..64).prop_map(AppResponse::binary),
        ]
    }
}
