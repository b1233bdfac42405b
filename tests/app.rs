//! The §6 application message: golden bytes, decoding any JSON layout,
//! every error, every split, and the search service.
#![cfg(feature = "json")]

mod common {
    pub mod feed;
}

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};
use sockwire::app::{
    AppCodec, AppHeader, AppMessage, AppRequest, AppResponse, ByteOrder, ClientCodec, ServerCodec,
};
use sockwire::builtin::SearchService;
use sockwire::{
    BorrowDecoder, ContentError, DecodeError, Decoder, EncodeError, Encoder, HeaderError,
};

/// The real request of §6, as the Python client sends it.
const PY_REQUEST: &[u8] = b"\x00g{\"byteorder\": \"little\", \"content-type\": \"text/json\", \
\"content-encoding\": \"utf-8\", \"content-length\": 41}{\"action\": \"search\", \"value\": \"morpheus\"}";

/// The Python server's reply to it (from `json.dumps(..., ensure_ascii=False)`).
const PY_REPLY: &[u8] = b"\x00g{\"byteorder\": \"little\", \"content-type\": \"text/json\", \
\"content-encoding\": \"utf-8\", \"content-length\": 43}{\"result\": \"Follow the white rabbit. \xf0\x9f\x90\xb0\"}";

/// The Python client's binary request for `double 0123456789abc`, and the reply.
const PY_BINARY_REQUEST: &[u8] = b"\x00\x7f{\"byteorder\": \"little\", \"content-type\": \
\"binary/custom-client-binary-type\", \"content-encoding\": \"binary\", \"content-length\": 19}\
double0123456789abc";
const PY_BINARY_REPLY: &[u8] = b"\x00\x7f{\"byteorder\": \"little\", \"content-type\": \
\"binary/custom-server-binary-type\", \"content-encoding\": \"binary\", \"content-length\": 37}\
First 10 bytes of request: double0123";

/// Prefix + header + content.
fn frame(header: &str, content: &[u8]) -> Vec<u8> {
    let len = u16::try_from(header.len()).unwrap();
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(content);
    out
}

fn header(content_type: &str, encoding: &str, length: u64) -> String {
    format!(
        r#"{{"byteorder": "little", "content-type": "{content_type}", "content-encoding": "{encoding}", "content-length": {length}}}"#
    )
}

/// Everything a decoder yields for `input` fed as `chunks`, then at EOF.
fn run<D: Decoder<Error = DecodeError>>(
    mut codec: D,
    chunks: &[&[u8]],
) -> Vec<Result<D::Item, DecodeError>> {
    common::feed::feed(&mut codec, chunks, true, |_, _| ()).events
}

/// Asserts that `input` gives the same results whole, split at every
/// point, and one byte at a time; returns them.
fn every_split<D, F>(make: F, input: &[u8]) -> Vec<Result<D::Item, DecodeError>>
where
    D: Decoder<Error = DecodeError>,
    D::Item: PartialEq + std::fmt::Debug,
    F: Fn() -> D,
{
    let whole = run(make(), &[input]);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run(make(), &[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(make(), &bytes), whole, "byte at a time");
    whole
}

fn decode_one<D: Decoder<Error = DecodeError>>(
    mut codec: D,
    input: &[u8],
) -> Result<Option<D::Item>, DecodeError> {
    codec.decode(&mut BytesMut::from(input))
}

fn header_err(input: &[u8]) -> HeaderError {
    match decode_one(AppCodec::new(), input) {
        Err(DecodeError::InvalidHeader(e)) => e,
        other => panic!("expected a header error, got {other:?}"),
    }
}

fn content_err(input: &[u8]) -> ContentError {
    match decode_one(ServerCodec::new(), input) {
        Err(DecodeError::InvalidContent(e)) => e,
        other => panic!("expected a content error, got {other:?}"),
    }
}

// ---- golden bytes -------------------------------------------------------

#[test]
fn python_request_decodes_to_the_search_request() {
    let msg = decode_one(AppCodec::new(), PY_REQUEST).unwrap().unwrap();
    assert_eq!(msg.header().byteorder, ByteOrder::Little);
    assert_eq!(msg.header().content_type, "text/json");
    assert_eq!(msg.header().content_encoding, "utf-8");
    assert_eq!(msg.header().content_length, 41);
    assert!(msg.header().extra.is_empty());
    assert_eq!(
        &msg.content()[..],
        br#"{"action": "search", "value": "morpheus"}"#
    );
    let request = every_split(ServerCodec::new, PY_REQUEST);
    assert_eq!(request, [Ok(AppRequest::json("search", "morpheus"))]);
}

#[test]
fn client_encoder_writes_the_python_request_byte_for_byte() {
    let mut codec = ClientCodec::new().with_byteorder(ByteOrder::Little);
    let mut out = BytesMut::new();
    codec
        .encode(AppRequest::new("search", "morpheus"), &mut out)
        .unwrap();
    assert_eq!(&out[..], PY_REQUEST);
    out.clear();
    codec
        .encode(AppRequest::new("double", "0123456789abc"), &mut out)
        .unwrap();
    assert_eq!(&out[..], PY_BINARY_REQUEST);
}

#[test]
fn server_encoder_writes_the_python_replies_byte_for_byte() {
    let mut service = SearchService::new();
    let mut codec = ServerCodec::new().with_byteorder(ByteOrder::Little);
    let mut out = BytesMut::new();
    for (request, reply) in [(PY_REQUEST, PY_REPLY), (PY_BINARY_REQUEST, PY_BINARY_REPLY)] {
        let request = decode_one(ServerCodec::new(), request).unwrap().unwrap();
        out.clear();
        codec.encode(service.respond(&request), &mut out).unwrap();
        assert_eq!(&out[..], reply);
    }
    assert_eq!(
        every_split(ClientCodec::new, PY_REPLY),
        [Ok(AppResponse::json("Follow the white rabbit. 🐰"))]
    );
    assert_eq!(
        every_split(ClientCodec::new, PY_BINARY_REPLY),
        [Ok(AppResponse::binary(
            &b"First 10 bytes of request: double0123"[..]
        ))]
    );
}

#[test]
fn native_byteorder_is_the_default() {
    let mut out = BytesMut::new();
    ClientCodec::new()
        .encode(AppRequest::new("search", "x"), &mut out)
        .unwrap();
    let msg = decode_one(AppCodec::new(), &out).unwrap().unwrap();
    assert_eq!(msg.header().byteorder, ByteOrder::native());
    let expected = if cfg!(target_endian = "little") {
        "little"
    } else {
        "big"
    };
    assert_eq!(ByteOrder::native().as_str(), expected);
}

// ---- any JSON layout ----------------------------------------------------

#[test]
fn any_key_order_and_spacing_decodes_the_same() {
    let content = br#"{"action": "search", "value": "morpheus"}"#;
    let content_variants: [&[u8]; 3] = [
        content,
        br#"{"value":"morpheus","action":"search"}"#,
        b"\n{ \"action\" :\t\"search\" ,\r\n \"value\" : \"morpheus\" , \"extra\": [1, 2] }\n",
    ];
    let headers = [
        r#"{"byteorder":"little","content-type":"text/json","content-encoding":"utf-8","content-length":LEN}"#,
        r#"{"content-length":LEN,"content-encoding":"utf-8","content-type":"text/json","byteorder":"big"}"#,
        "  {\n  \"content-type\" : \"text/json\",\n\t\"byteorder\":\"little\" ,\r\n \"content-length\"   :LEN ,\"content-encoding\"\n:\n\"utf-8\"}  ",
        r#"{"x": {"nested": [true, null]}, "content-encoding": "utf-8", "byteorder": "little", "content-length": LEN, "content-type": "text/json"}"#,
    ];
    for content in content_variants {
        for header in headers {
            let header = header.replace("LEN", &content.len().to_string());
            let input = frame(&header, content);
            let decoded = every_split(ServerCodec::new, &input);
            assert_eq!(
                decoded,
                [Ok(AppRequest::json("search", "morpheus"))],
                "{header}"
            );
        }
    }
}

#[test]
fn our_output_decodes_after_reformatting_with_serde_json() {
    // Take our encoding apart, reformat header and content compactly and
    // pretty-printed, in another key order: it still decodes the same.
    let requests = [
        AppRequest::new("search", "🐶 \"quoted\" \\ \n\t\u{1}"),
        AppRequest::json("find", ""),
    ];
    for request in requests {
        let mut out = BytesMut::new();
        ClientCodec::new().encode(&request, &mut out).unwrap();
        let msg = decode_one(AppCodec::new(), &out).unwrap().unwrap();
        let content: Value = serde_json::from_slice(msg.content()).unwrap();
        for pretty in [false, true] {
            let content = if pretty {
                serde_json::to_vec_pretty(&content).unwrap()
            } else {
                serde_json::to_vec(&content).unwrap()
            };
            // serde_json's map is sorted: content-encoding, content-length, ...
            let header = json!({
                "content-type": "text/json",
                "byteorder": "big",
                "content-length": content.len(),
                "content-encoding": "utf-8",
            });
            let header = if pretty {
                serde_json::to_string_pretty(&header).unwrap()
            } else {
                serde_json::to_string(&header).unwrap()
            };
            let input = frame(&header, &content);
            assert_eq!(
                decode_one(ServerCodec::new(), &input).unwrap(),
                Some(request.clone())
            );
        }
    }
}

#[test]
fn extra_header_keys_are_kept_in_order_and_written_back() {
    let header = r#"{"zeta": 1, "byteorder": "little", "alpha": {"b": [1, "x"]}, "content-type": "binary/x", "content-encoding": "binary", "content-length": 3, "mid": null, "zeta": "last"}"#;
    let input = frame(header, b"abc");
    let msg = decode_one(AppCodec::new(), &input).unwrap().unwrap();
    let extra: Vec<(&str, &Value)> = msg
        .header()
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    // A repeated key keeps its first place and its last value, as in Python.
    assert_eq!(
        extra,
        [
            ("zeta", &json!("last")),
            ("alpha", &json!({"b": [1, "x"]})),
            ("mid", &Value::Null)
        ]
    );
    let mut out = BytesMut::new();
    AppCodec::new().encode(&msg, &mut out).unwrap();
    let expected = frame(
        r#"{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": 3, "zeta": "last", "alpha": {"b": [1, "x"]}, "mid": null}"#,
        b"abc",
    );
    assert_eq!(&out[..], &expected[..]);
    assert_eq!(decode_one(AppCodec::new(), &out).unwrap().unwrap(), msg);
}

#[test]
fn with_extra_adds_or_replaces_a_key() {
    let msg = AppMessage::binary("b/x", &b""[..])
        .with_byteorder(ByteOrder::Big)
        .with_extra("k", 1)
        .with_extra("j", "v")
        .with_extra("k", 2);
    assert_eq!(msg.header().get_extra("k"), Some(&json!(2)));
    assert_eq!(
        AppHeader::to_json(msg.header()).unwrap(),
        br#"{"byteorder": "big", "content-type": "b/x", "content-encoding": "binary", "content-length": 0, "k": 2, "j": "v"}"#
    );
}

// ---- header errors ------------------------------------------------------

#[test]
fn each_missing_key_is_named() {
    let full = [
        r#""byteorder": "little""#,
        r#""content-type": "text/json""#,
        r#""content-encoding": "utf-8""#,
        r#""content-length": 2"#,
    ];
    let keys = [
        "byteorder",
        "content-type",
        "content-encoding",
        "content-length",
    ];
    for (i, key) in keys.into_iter().enumerate() {
        let fields: Vec<&str> = full
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, f)| *f)
            .collect();
        let header = format!("{{{}}}", fields.join(", "));
        assert_eq!(
            header_err(&frame(&header, b"{}")),
            HeaderError::MissingKey { key },
            "{header}"
        );
    }
    assert_eq!(
        header_err(&frame("{}", b"")),
        HeaderError::MissingKey { key: "byteorder" }
    );
}

#[test]
fn each_wrong_type_is_named() {
    let cases: [(&str, &str, &str); 11] = [
        ("byteorder", "1", r#""little" or "big""#),
        ("byteorder", r#""middle""#, r#""little" or "big""#),
        ("byteorder", "null", r#""little" or "big""#),
        ("content-type", "5", "a string"),
        ("content-type", "[\"text/json\"]", "a string"),
        ("content-encoding", "true", "a string"),
        ("content-encoding", "{}", "a string"),
        ("content-length", "-1", "a non-negative integer"),
        ("content-length", "1.5", "a non-negative integer"),
        ("content-length", r#""0""#, "a non-negative integer"),
        (
            "content-length",
            "18446744073709551616",
            "a non-negative integer",
        ),
    ];
    for (key, bad, expected) in cases {
        let mut fields = vec![
            ("byteorder", r#""little""#),
            ("content-type", r#""binary/x""#),
            ("content-encoding", r#""binary""#),
            ("content-length", "0"),
        ];
        for field in &mut fields {
            if field.0 == key {
                field.1 = bad;
            }
        }
        let header = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let header = format!("{{{header}}}");
        assert_eq!(
            header_err(&frame(&header, b"")),
            HeaderError::WrongType { key, expected },
            "{header}"
        );
    }
}

#[test]
fn invalid_json_invalid_utf8_and_non_objects_are_errors() {
    for bad in [
        "{",
        "{\"byteorder\": \"little\",}",
        "{'byteorder': 'little'}",
        "{} {}",
        "nope",
        " ",
    ] {
        assert!(
            matches!(
                header_err(&frame(bad, b"")),
                HeaderError::InvalidJson { .. }
            ),
            "{bad:?}"
        );
    }
    for bad in [
        "[]",
        "[{\"byteorder\": \"little\"}]",
        "\"x\"",
        "1",
        "null",
        "true",
    ] {
        assert_eq!(
            header_err(&frame(bad, b"")),
            HeaderError::NotAnObject,
            "{bad}"
        );
    }
    let mut input = frame(&header("binary/x", "binary", 0), b"");
    input[5] = 0xff; // inside "byteorder"
    assert_eq!(header_err(&input), HeaderError::InvalidUtf8 { offset: 3 });
}

#[test]
fn zero_header_length_is_an_error() {
    let results = every_split(AppCodec::new, b"\x00\x00{}");
    assert_eq!(
        results,
        [Err(DecodeError::InvalidHeader(HeaderError::Empty))]
    );
}

#[test]
fn text_json_needs_utf8_encoding() {
    for encoding in ["latin-1", "binary", "utf-16", ""] {
        let input = frame(&header("text/json", encoding, 2), b"{}");
        assert_eq!(
            header_err(&input),
            HeaderError::UnsupportedEncoding {
                encoding: encoding.to_owned()
            }
        );
    }
    // Binary content may declare any encoding.
    let input = frame(&header("binary/x", "latin-1", 2), b"{}");
    assert!(decode_one(AppCodec::new(), &input).unwrap().is_some());
}

#[test]
fn content_limit_at_limit_minus_one_limit_and_plus_one() {
    const MAX: usize = 16;
    for len in [MAX - 1, MAX] {
        let content = vec![b'x'; len];
        let input = frame(&header("binary/x", "binary", len as u64), &content);
        let results = every_split(|| AppCodec::with_max_len(MAX), &input);
        assert_eq!(results.len(), 1);
        let msg = results.into_iter().next().unwrap().unwrap();
        assert_eq!(&msg.content()[..], &content[..]);
    }
    // Over: an error as soon as the header is in, content or not.
    let over = frame(&header("binary/x", "binary", MAX as u64 + 1), b"");
    let err = DecodeError::InvalidHeader(HeaderError::ContentTooLarge {
        size: MAX as u64 + 1,
        max: MAX as u64,
    });
    let mut with_content = over.clone();
    with_content.extend_from_slice(&[b'x'; MAX + 1]);
    for input in [&over, &with_content] {
        let results = every_split(|| AppCodec::with_max_len(MAX), input);
        assert_eq!(results, [Err(err.clone())]);
    }
    assert!(!err.is_recoverable());
}

#[test]
fn default_limit_is_one_mib_and_nothing_is_reserved_for_a_huge_length() {
    assert_eq!(AppCodec::DEFAULT_MAX_LEN, 1 << 20);
    let at = frame(&header("binary/x", "binary", 1 << 20), b"");
    assert_eq!(decode_one(AppCodec::new(), &at), Ok(None));

    for size in [(1 << 20) + 1, u64::MAX, 1 << 40] {
        let input = frame(&header("binary/x", "binary", size), b"");
        let mut codec = AppCodec::new();
        let mut buf = BytesMut::from(&input[..]);
        assert_eq!(
            codec.decode(&mut buf),
            Err(DecodeError::InvalidHeader(HeaderError::ContentTooLarge {
                size,
                max: 1 << 20
            }))
        );
        assert!(buf.capacity() < 4096, "reserved {}", buf.capacity());
    }
}

#[test]
fn truncated_messages_are_unexpected_eof_with_what_arrived() {
    let input = PY_REQUEST;
    for cut in 1..input.len() {
        let results = run(AppCodec::new(), &[&input[..cut]]);
        assert_eq!(
            results,
            [Err(DecodeError::UnexpectedEof {
                pending: cut as u64
            })],
            "cut at {cut}"
        );
        assert!(!results[0].as_ref().unwrap_err().is_recoverable());
    }
    assert_eq!(run(AppCodec::new(), &[b""]), []);
}

#[test]
fn after_an_error_the_codec_drops_everything() {
    let mut input = frame(&header("text/json", "latin-1", 2), b"{}");
    input.extend_from_slice(PY_REQUEST);
    let results = every_split(ServerCodec::new, &input);
    assert_eq!(
        results,
        [Err(DecodeError::InvalidHeader(
            HeaderError::UnsupportedEncoding {
                encoding: "latin-1".into()
            }
        ))]
    );
    let mut codec = AppCodec::new();
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    assert!(codec.decode(&mut buf).is_err());
    assert!(codec.has_failed());
    buf.extend_from_slice(PY_REQUEST);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(buf.is_empty());
}

// ---- content errors -----------------------------------------------------

#[test]
fn bad_request_content_is_a_typed_error() {
    let json = |content: &[u8]| frame(&header("text/json", "utf-8", content.len() as u64), content);
    assert_eq!(
        content_err(&json(br#"{"value": "x"}"#)),
        ContentError::MissingKey { key: "action" }
    );
    assert_eq!(
        content_err(&json(br#"{"action": "search"}"#)),
        ContentError::MissingKey { key: "value" }
    );
    assert_eq!(
        content_err(&json(br#"{"action": 1, "value": "x"}"#)),
        ContentError::WrongType {
            key: "action",
            expected: "a string"
        }
    );
    assert_eq!(
        content_err(&json(br#"{"action": "search", "value": ["x"]}"#)),
        ContentError::WrongType {
            key: "value",
            expected: "a string"
        }
    );
    assert_eq!(
        content_err(&json(br#"["search", "x"]"#)),
        ContentError::NotAnObject
    );
    assert!(matches!(
        content_err(&json(br#"{"action": "search", "value": "x""#)),
        ContentError::InvalidJson { .. }
    ));
    assert_eq!(
        content_err(&json(b"{\"action\": \"s\xe9\", \"value\": \"x\"}")),
        ContentError::InvalidUtf8 { offset: 13 }
    );
    let err = DecodeError::from(ContentError::NotAnObject);
    assert!(!err.is_recoverable());
}

#[test]
fn bad_reply_content_is_a_typed_error() {
    let content = br#"{"answer": "x"}"#;
    let input = frame(&header("text/json", "utf-8", content.len() as u64), content);
    assert_eq!(
        decode_one(ClientCodec::new(), &input),
        Err(DecodeError::InvalidContent(ContentError::MissingKey {
            key: "result"
        }))
    );
    // Any other content type is a binary reply, whatever it holds.
    let input = frame(&header("image/png", "binary", 2), b"\x89P");
    assert_eq!(
        decode_one(ClientCodec::new(), &input),
        Ok(Some(AppResponse::Binary {
            content_type: "image/png".into(),
            content: Bytes::from_static(b"\x89P")
        }))
    );
}

#[test]
fn content_errors_hold_at_every_split_and_stop_the_stream() {
    let bad = br#"{"action": "search"}"#;
    let mut input = frame(&header("text/json", "utf-8", bad.len() as u64), bad);
    input.extend_from_slice(PY_REQUEST);
    let mut first = PY_REQUEST.to_vec();
    first.extend_from_slice(&input);
    let results = every_split(ServerCodec::new, &first);
    assert_eq!(
        results,
        [
            Ok(AppRequest::json("search", "morpheus")),
            Err(DecodeError::InvalidContent(ContentError::MissingKey {
                key: "value"
            }))
        ]
    );
}

// ---- encoding errors ----------------------------------------------------

#[test]
fn encoding_refuses_what_the_peer_could_not_read() {
    let mut dst = BytesMut::from(&b"kept"[..]);
    let big = AppMessage::binary("b/x", vec![0u8; 17]);
    assert_eq!(
        AppCodec::with_max_len(16).encode(&big, &mut dst),
        Err(EncodeError::TooLarge { size: 17, max: 16 })
    );
    let long_type = AppMessage::binary("t".repeat(70_000), &b""[..]);
    assert!(matches!(
        AppCodec::new().encode(&long_type, &mut dst),
        Err(EncodeError::TooLarge { max: 65_535, .. })
    ));
    let dup = AppMessage::binary("b/x", &b""[..]).with_extra("content-length", 5);
    assert!(matches!(
        AppCodec::new().encode(&dup, &mut dst),
        Err(EncodeError::Unrepresentable { .. })
    ));
    let latin = AppMessage::new("text/json", "latin-1", &b"{}"[..]);
    assert!(matches!(
        AppCodec::new().encode(&latin, &mut dst),
        Err(EncodeError::Unrepresentable { .. })
    ));
    let wrong = AppRequest::Binary {
        content_type: "text/json".into(),
        content: Bytes::from_static(b"{}"),
    };
    assert!(matches!(
        ClientCodec::new().encode(&wrong, &mut dst),
        Err(EncodeError::Unrepresentable { .. })
    ));
    let mut header = AppHeader::new("b/x", "binary", 0);
    header.extra.push(("k".into(), json!(1)));
    header.extra.push(("k".into(), json!(2)));
    assert!(matches!(
        AppCodec::new().encode(AppMessage::from_parts(header, Bytes::new()), &mut dst),
        Err(EncodeError::Unrepresentable { .. })
    ));
    assert_eq!(&dst[..], b"kept");
}

#[test]
fn content_length_written_is_the_contents() {
    let mut header = AppHeader::new("b/x", "binary", 999);
    header.byteorder = ByteOrder::Little;
    let msg = AppMessage::from_parts(header, &b"abc"[..]);
    assert_eq!(msg.header().content_length, 3);
    let mut out = BytesMut::new();
    AppCodec::new().encode(msg, &mut out).unwrap();
    assert_eq!(
        &out[..],
        &frame(&header_with("little", "b/x", "binary", 3), b"abc")[..]
    );
}

fn header_with(order: &str, ty: &str, enc: &str, len: u64) -> String {
    header(ty, enc, len).replace("\"little\"", &format!("\"{order}\""))
}

// ---- the service --------------------------------------------------------

#[test]
fn service_answers_each_table_entry_and_misses() {
    let mut service = SearchService::new();
    let cases = [
        ("morpheus", "Follow the white rabbit. 🐰"),
        ("ring", "In the caves beneath the Misty Mountains. 💍"),
        ("🐶", "🐾 Playing ball! 🏐"),
        ("neo", "No match for 'neo'."),
        ("", "No match for ''."),
        ("Ring", "No match for 'Ring'."),
        (" ring", "No match for ' ring'."),
    ];
    for (value, answer) in cases {
        assert_eq!(
            service.respond(&AppRequest::new("search", value)),
            AppResponse::json(answer),
            "{value}"
        );
    }
    assert_eq!(service.answered(), cases.len() as u64);
}

#[test]
fn service_rejects_other_json_actions() {
    let mut service = SearchService::new();
    for action in ["find", "Search", "", "🐶"] {
        assert_eq!(
            service.respond(&AppRequest::json(action, "morpheus")),
            AppResponse::json(format!("Error: invalid action '{action}'."))
        );
    }
}

#[test]
fn service_quotes_the_first_ten_bytes_of_binary_requests() {
    let mut service = SearchService::new();
    let cases: [(&[u8], &[u8]); 5] = [
        (b"", b""),
        (b"abc", b"abc"),
        (b"0123456789", b"0123456789"),
        (b"0123456789X", b"0123456789"),
        (
            b"\xff\x00\xf0\x9f\x90\xb6\x01\x02\x03\x04\x05",
            b"\xff\x00\xf0\x9f\x90\xb6\x01\x02\x03\x04",
        ),
    ];
    for (content, quoted) in cases {
        let request = AppRequest::Binary {
            content_type: "binary/custom-client-binary-type".into(),
            content: Bytes::copy_from_slice(content),
        };
        let mut expected = b"First 10 bytes of request: ".to_vec();
        expected.extend_from_slice(quoted);
        let reply = service.respond(&request);
        assert_eq!(reply, AppResponse::binary(expected));
        let msg = reply.to_message();
        assert_eq!(
            msg.header().content_type,
            "binary/custom-server-binary-type"
        );
        assert_eq!(msg.header().content_encoding, "binary");
    }
    // The client rule makes `find` + `ring` binary: "findring".
    assert_eq!(
        service.respond(&AppRequest::new("find", "ring")),
        AppResponse::binary(&b"First 10 bytes of request: findring"[..])
    );
    // An empty action and value give an empty binary request.
    assert_eq!(
        service.respond(&AppRequest::new("", "")),
        AppResponse::binary(&b"First 10 bytes of request: "[..])
    );
}

#[test]
fn pipelined_requests_are_answered_in_order_at_every_split() {
    let requests = [
        AppRequest::new("search", "morpheus"),
        AppRequest::new("search", "🐶"),
        AppRequest::new("double", "0123456789abc"),
        AppRequest::new("search", "neo"),
        AppRequest::new("", ""),
        AppRequest::json("find", "x"),
        AppRequest::new("search", "ring"),
    ];
    let mut client = ClientCodec::new();
    let mut wire = BytesMut::new();
    for request in &requests {
        client.encode(request, &mut wire).unwrap();
    }
    let expected: Vec<AppResponse> = {
        let mut service = SearchService::new();
        requests.iter().map(|r| service.respond(r)).collect()
    };
    let mut expected_wire = BytesMut::new();
    for reply in &expected {
        ServerCodec::new()
            .encode(reply, &mut expected_wire)
            .unwrap();
    }

    // The server side, fed at every split: same replies, same bytes, in order.
    let serve = |chunks: &[&[u8]]| {
        let mut codec = ServerCodec::new();
        let mut service = SearchService::new();
        let mut buf = BytesMut::new();
        let mut out = BytesMut::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(request) = codec.decode(&mut buf).unwrap() {
                codec.encode(service.respond(&request), &mut out).unwrap();
            }
        }
        assert_eq!(codec.decode_eof(&mut buf), Ok(None));
        out
    };
    for i in 0..=wire.len() {
        let (a, b) = wire.split_at(i);
        assert_eq!(serve(&[a, b]), expected_wire, "split at {i}");
    }
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(serve(&bytes), expected_wire);

    // The client side reads the replies back, in order, at every split.
    let replies = every_split(ClientCodec::new, &expected_wire);
    let replies: Vec<AppResponse> = replies.into_iter().map(Result::unwrap).collect();
    assert_eq!(replies, expected);
    assert_eq!(
        every_split(ServerCodec::new, &wire)
            .into_iter()
            .map(Result::unwrap)
            .collect::<Vec<_>>(),
        requests
    );
}

#[test]
fn message_level_conversions_round_trip() {
    for request in [
        AppRequest::new("search", "ring"),
        AppRequest::new("x", "y"),
        AppRequest::Binary {
            content_type: "text/plain".into(),
            content: Bytes::from_static(b"hi"),
        },
    ] {
        let msg = AppMessage::from(&request);
        assert_eq!(AppRequest::try_from(&msg), Ok(request));
    }
    for response in [AppResponse::json("ok"), AppResponse::binary(&b"\x00"[..])] {
        let msg = AppMessage::from(&response);
        assert_eq!(AppResponse::try_from(&msg), Ok(response));
    }
    let msg = AppMessage::json(&json!({"action": "search", "value": "ring", "n": 1})).unwrap();
    assert_eq!(
        AppRequest::try_from(&msg),
        Ok(AppRequest::new("search", "ring"))
    );
}

#[test]
fn respond_message_answers_messages_and_refuses_bad_content() {
    let mut service = SearchService::new();
    let request = AppMessage::json(&json!({"value": "ring", "action": "search"})).unwrap();
    let reply = service.respond_message(&request).unwrap();
    assert_eq!(
        AppResponse::try_from(&reply),
        Ok(AppResponse::json(
            "In the caves beneath the Misty Mountains. 💍"
        ))
    );
    let bad = AppMessage::json(&json!({"action": "search"})).unwrap();
    assert_eq!(
        service.respond_message(&bad),
        Err(ContentError::MissingKey { key: "value" })
    );
    assert_eq!(service.answered(), 1);
}

// ---- reading the header in place ----------------------------------------

#[test]
fn a_header_whose_content_comes_later_is_read_again_the_same() {
    // Escapes and an extra key, so the second reading has work to do.
    let json = r#"{"byteorder": "big", "content-type": "binary/\u00e9\"x", "content-encoding": "binary", "content-length": 4, "note": [1, "ü"]}"#;
    let input = frame(json, b"\x00\x01\x02\x03");
    let header_end = 2 + json.len();
    let expected = AppHeader::from_json(json.as_bytes()).unwrap();
    assert_eq!(expected.content_type, "binary/é\"x");

    for path in ["owned", "borrowed"] {
        let mut codec = AppCodec::new();
        let mut buf = BytesMut::from(&input[..header_end]);
        let got = match path {
            "owned" => codec
                .decode(&mut buf)
                .map(|m| m.map(AppMessage::into_parts)),
            _ => codec.decode_with(&mut buf, |m| (m.header().to_owned_header(), Bytes::new())),
        };
        assert_eq!(got, Ok(None), "{path}: header alone");
        // The prefix and header stay in the input until the content is whole.
        assert_eq!(buf.len(), header_end, "{path}");
        buf.extend_from_slice(&input[header_end..header_end + 3]);
        assert_eq!(codec.decode(&mut buf), Ok(None), "{path}: content short");
        buf.extend_from_slice(&input[header_end + 3..]);
        match path {
            "owned" => {
                let message = codec.decode(&mut buf).unwrap().unwrap();
                assert_eq!(message.header(), &expected);
                assert_eq!(&message.content()[..], b"\x00\x01\x02\x03");
            }
            _ => {
                let seen = codec
                    .decode_with(&mut buf, |m| {
                        assert_eq!(m.header(), &expected);
                        assert_eq!(m.content(), b"\x00\x01\x02\x03");
                        m.header().content_type.len()
                    })
                    .unwrap();
                assert_eq!(seen, Some("binary/é\"x".len()));
            }
        }
        assert!(buf.is_empty(), "{path}");
    }
}

#[test]
fn header_strings_are_lent_from_the_input_unless_escaped() {
    let plain = frame(&header("binary/x", "binary", 2), b"hi");
    let mut buf = BytesMut::from(&plain[..]);
    let borrowed = AppCodec::new()
        .decode_with(&mut buf, |m| {
            let h = m.header();
            matches!(h.content_type, Cow::Borrowed("binary/x"))
                && matches!(h.content_encoding, Cow::Borrowed("binary"))
        })
        .unwrap();
    assert_eq!(borrowed, Some(true));

    let escaped = frame(&header(r"binary\/x", "binary", 2), b"hi");
    let mut buf = BytesMut::from(&escaped[..]);
    let owned = AppCodec::new()
        .decode_with(&mut buf, |m| match &m.header().content_type {
            Cow::Owned(s) => Some(s.clone()),
            Cow::Borrowed(_) => None,
        })
        .unwrap();
    assert_eq!(owned, Some(Some("binary/x".to_owned())));
}

#[test]
fn a_bad_header_is_reported_before_its_content_arrives_on_both_paths() {
    let input = frame(&header("text/json", "latin-1", 1000), b"");
    let expected = DecodeError::InvalidHeader(HeaderError::UnsupportedEncoding {
        encoding: "latin-1".into(),
    });
    assert_eq!(decode_one(AppCodec::new(), &input), Err(expected.clone()));
    let mut buf = BytesMut::from(&input[..]);
    assert_eq!(AppCodec::new().decode_with(&mut buf, |_| ()), Err(expected));
    assert!(buf.is_empty());
}
