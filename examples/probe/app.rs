//! §6's own server-mode cases: the search table, other actions, binary
//! requests, headers written another way, and malformed messages.

use bytes::BytesMut;
use sockwire::Encoder;
use sockwire::app::{AppCodec, AppMessage, AppRequest, ByteOrder, ClientCodec};
use sockwire::builtin::Protocol;

use super::case::{Section, Verdict};
use super::stream::{Fate, all_at_once, bad_input};

const P: Protocol = Protocol::App;

/// A request as the Python client writes it.
fn request(r: AppRequest) -> Vec<u8> {
    let mut out = BytesMut::new();
    ClientCodec::new()
        .encode(r, &mut out)
        .expect("a small request encodes");
    out.to_vec()
}

/// A message with a header written by hand: the 2-byte length, then
/// `header` and `content` as they are.
fn raw(header: &[u8], content: &[u8]) -> Vec<u8> {
    let len = u16::try_from(header.len()).expect("a short header");
    [&len.to_be_bytes()[..], header, content].concat()
}

/// The verdict for a malformed §6 message: the contract closes the
/// connection.
fn malformed(fate: Fate) -> (Verdict, String) {
    match fate {
        Fate::Closed => (
            Verdict::Pass,
            format!("refused: the server {}", fate.words()),
        ),
        Fate::Open => (
            Verdict::NonStrict,
            format!("the server {} (the contract closes it)", fate.words()),
        ),
        Fate::Answered => (
            Verdict::Fail,
            "the server answered a malformed message".into(),
        ),
    }
}

/// §6's own cases, after the common ones.
pub fn cases(s: &mut Section) {
    for value in ["morpheus", "ring", "🐶", "neo"] {
        s.case(
            format!("search {value:?}: the table's answer"),
            move |ctx| {
                all_at_once(
                    ctx,
                    P,
                    request(AppRequest::json("search", value)),
                    "the answer is right",
                )
            },
        );
    }
    s.case(
        "a JSON request with another action: an error result",
        |ctx| {
            all_at_once(
                ctx,
                P,
                request(AppRequest::json("find", "ring")),
                "the error result came",
            )
        },
    );
    s.case("a binary request: its first 10 bytes quoted", |ctx| {
        let wire = request(AppRequest::new("double", "the quick brown fox"));
        all_at_once(ctx, P, wire, "the binary reply is right")
    });
    s.case("a header with byteorder big (informational only)", |ctx| {
        let message = AppRequest::json("search", "ring")
            .to_message()
            .with_byteorder(ByteOrder::Big);
        let mut out = BytesMut::new();
        AppCodec::new().encode(&message, &mut out).expect("small");
        all_at_once(ctx, P, out.to_vec(), "answered as any request")
    });
    s.case("a header with its keys in another order, no spaces", |ctx| {
        let content = br#"{"value":"ring","action":"search"}"#;
        let header = format!(
            r#"{{"content-length":{},"content-encoding":"utf-8","content-type":"text/json","byteorder":"big"}}"#,
            content.len()
        );
        all_at_once(ctx, P, raw(header.as_bytes(), content), "answered as any request")
    });
    s.case(
        "a header that is not JSON is refused, other clients still served",
        |ctx| bad_input(ctx, P, raw(b"{not json", b""), malformed),
    );
    s.case("a header missing content-length is refused, other clients still served", |ctx| {
        let header = br#"{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}"#;
        bad_input(ctx, P, raw(header, b""), malformed)
    });
    s.case("a content-length over the limit (1 MiB) is refused, other clients still served", |ctx| {
        let header = format!(
            r#"{{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": {}}}"#,
            AppCodec::DEFAULT_MAX_LEN + 1
        );
        bad_input(ctx, P, raw(header.as_bytes(), b"x"), malformed)
    });
    s.case(
        "text/json content that is not JSON is refused, other clients still served",
        |ctx| {
            let message = AppMessage::new("text/json", "utf-8", &b"{oops"[..]);
            let mut out = BytesMut::new();
            AppCodec::new().encode(&message, &mut out).expect("small");
            bad_input(ctx, P, out.to_vec(), malformed)
        },
    );
}
