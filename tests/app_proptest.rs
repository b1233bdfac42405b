//! Property tests for the §6 application message: round trips of arbitrary
//! requests, replies and messages, at arbitrary split points.
#![cfg(feature = "json")]

mod common;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::Value;
use sockwire::app::{
    AppCodec, AppHeader, AppMessage, AppMessageRef, AppRequest, AppResponse, ByteOrder,
    ClientCodec, ServerCodec,
};
use sockwire::builtin::SearchService;
use sockwire::{DecodeError, Decoder, Encoder};

/// Feeds `wire` cut at `cuts` (sorted, deduplicated positions) and collects
/// every item, then EOF.
/// Decodes `wire` cut at `cuts` and ended: the messages, or the first
/// error.
fn decode_cut<D: Decoder<Error = DecodeError>>(
    mut codec: D,
    wire: &[u8],
    cuts: &[usize],
) -> Result<Vec<D::Item>, DecodeError> {
    common::run(&mut codec, wire, cuts, true)
        .events
        .into_iter()
        .collect()
}

fn cuts(len: usize, raw: &[prop::sample::Index]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|i| i.index(len + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,12}",
        Just("search".to_owned()),
        "[\\x00-\\x1f\"\\\\/\u{7f}\u{2028}ü🐶]{0,8}",
    ]
}

fn any_request() -> impl Strategy<Value = AppRequest> {
    prop_oneof![
        (any_text(), any_text()).prop_map(|(a, v)| AppRequest::new(&a, &v)),
        (any_text(), any_text()).prop_map(|(a, v)| AppRequest::json(a, v)),
        ("[a-z/.-]{0,20}", prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(t, c)| {
            // text/json would be read as JSON: keep binary types binary.
            let content_type = if t == "text/json" { "b".to_owned() } else { t };
            AppRequest::Binary {
                content_type,
                content: c.into(),
            }
        }),
    ]
}

fn any_response() -> impl Strategy<Value = AppResponse> {
    prop_oneof![
        any_text().prop_map(AppResponse::json),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(AppResponse::binary),
    ]
}

fn any_extra_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any_text().prop_map(Value::from),
        prop::collection::vec(any_text(), 0..3).prop_map(Value::from),
    ]
}

fn any_message() -> impl Strategy<Value = AppMessage> {
    (
        prop_oneof![Just("text/json".to_owned()), any_text()],
        any_text(),
        prop::collection::vec(any::<u8>(), 0..100),
        prop::collection::vec(("x-[a-z]{1,6}", any_extra_value()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(content_type, encoding, content, extra, big)| {
            let encoding = if content_type == "text/json" {
                "utf-8".to_owned()
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
        })
}

proptest! {
    #[test]
    fn requests_round_trip_at_any_split(
        requests in prop::collection::vec(any_request(), 1..5),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut client = ClientCodec::new();
        let mut wire = BytesMut::new();
        for request in &requests {
            client.encode(request, &mut wire).unwrap();
        }
        let cuts = cuts(wire.len(), &raw_cuts);
        prop_assert_eq!(decode_cut(ServerCodec::new(), &wire, &cuts)?, requests);
    }

    #[test]
    fn replies_round_trip_at_any_split(
        replies in prop::collection::vec(any_response(), 1..5),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut server = ServerCodec::new();
        let mut wire = BytesMut::new();
        for reply in &replies {
            server.encode(reply, &mut wire).unwrap();
        }
        let cuts = cuts(wire.len(), &raw_cuts);
        prop_assert_eq!(decode_cut(ClientCodec::new(), &wire, &cuts)?, replies);
    }

    #[test]
    fn messages_round_trip_at_any_split(
        messages in prop::collection::vec(any_message(), 1..4),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut codec = AppCodec::new();
        let mut wire = BytesMut::new();
        for message in &messages {
            codec.encode(message, &mut wire).unwrap();
        }
        let cuts = cuts(wire.len(), &raw_cuts);
        prop_assert_eq!(decode_cut(AppCodec::new(), &wire, &cuts)?, messages);
    }

    #[test]
    fn borrowed_path_is_the_owned_path_at_any_split(
        messages in prop::collection::vec(any_message(), 0..4),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        limit in prop::sample::select(vec![0usize, 8, 64, AppCodec::DEFAULT_MAX_LEN]),
        end in prop::option::of(any::<prop::sample::Index>()),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        eof in any::<bool>(),
    ) {
        // Valid streams, mutated, cut short, over a limit: the borrowed
        // path gives the owned path's messages and errors at every split.
        let mut wire = BytesMut::new();
        for message in &messages {
            AppCodec::new().encode(message, &mut wire).unwrap();
        }
        if !wire.is_empty() {
            for (at, byte) in flips {
                let i = at.index(wire.len());
                wire[i] = byte;
            }
        }
        if let Some(end) = end {
            wire.truncate(end.index(wire.len() + 1));
        }
        let cuts = cuts(wire.len(), &raw_cuts);
        let feeds = [
            vec![&wire[..]],
            common::one_byte_reads(&wire),
            common::cut_at(&wire, &cuts),
        ];
        common::same_both_paths(
            &AppCodec::with_max_len(limit),
            &feeds,
            eof,
            |m: AppMessage| m,
            |v: AppMessageRef<'_>| {
                assert_eq!(v.is_json(), v.header().is_json());
                v.to_message()
            },
        );
    }

    #[test]
    fn header_written_is_json_serde_reads_back(message in any_message()) {
        let json = message.header().to_json().unwrap();
        let value: Value = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(&value["content-type"], &Value::from(message.header().content_type.clone()));
        prop_assert_eq!(&value["content-length"], &Value::from(message.content().len()));
        for (key, extra) in &message.header().extra {
            prop_assert_eq!(&value[key], extra);
        }
        // Our text re-parses to exactly itself after serde_json reformats it.
        let compact = serde_json::to_vec(&value).unwrap();
        let reparsed = AppHeader::from_json(&compact).unwrap();
        prop_assert_eq!(&reparsed.content_type, &message.header().content_type);
        prop_assert_eq!(reparsed.content_length, message.content().len() as u64);
    }

    #[test]
    fn the_service_answers_every_request(request in any_request()) {
        let reply = SearchService::new().respond(&request);
        match (&request, &reply) {
            (AppRequest::Json { .. }, AppResponse::Json { result }) => prop_assert!(!result.is_empty()),
            (AppRequest::Binary { content, .. }, AppResponse::Binary { content: out, .. }) => {
                let quoted = &content[..content.len().min(10)];
                prop_assert_eq!(&out[..], &[&b"First 10 bytes of request: "[..], quoted].concat()[..]);
            }
            _ => prop_assert!(false, "{request:?} got {reply:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_errors_are_final(
        input in prop::collection::vec(any::<u8>(), 0..200),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let cuts = cuts(input.len(), &raw_cuts);
        let whole = decode_cut(ServerCodec::with_max_len(64), &input, &[]);
        let split = decode_cut(ServerCodec::with_max_len(64), &input, &cuts);
        prop_assert_eq!(&whole, &split);
        if let Err(e) = whole {
            prop_assert!(!e.is_recoverable());
        }
    }

    #[test]
    fn mutated_valid_streams_give_the_same_results_at_any_split(
        requests in prop::collection::vec(any_request(), 1..4),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut wire = BytesMut::new();
        for request in &requests {
            ClientCodec::new().encode(request, &mut wire).unwrap();
        }
        for (at, byte) in flips {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        let cuts = cuts(wire.len(), &raw_cuts);
        let whole = decode_cut(ServerCodec::with_max_len(256), &wire, &[]);
        let split = decode_cut(ServerCodec::with_max_len(256), &wire, &cuts);
        prop_assert_eq!(&whole, &split);
        if let Err(e) = whole {
            prop_assert!(!e.is_recoverable());
        }
    }
}

#[test]
fn bytes_content_is_split_off_without_copying() {
    let mut wire = BytesMut::new();
    AppCodec::new()
        .encode(AppMessage::binary("b/x", vec![7u8; 1000]), &mut wire)
        .unwrap();
    let start = wire.as_ptr() as usize;
    let end = start + wire.len();
    let message = AppCodec::new().decode(&mut wire).unwrap().unwrap();
    let content: Bytes = message.into_parts().1;
    let at = content.as_ptr() as usize;
    assert!(
        at >= start && at + content.len() <= end,
        "content was copied"
    );
}
