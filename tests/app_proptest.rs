//! Property tests for the §6 application message: round trips of arbitrary
//! requests, replies and messages, at arbitrary split points.
#![cfg(feature = "json")]

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use serde_json::Value;
use sockwire::app::{
    AppCodec, AppHeader, AppMessage, AppMessageRef, AppRequest, AppResponse, ClientCodec,
    ServerCodec,
};
use sockwire::builtin::SearchService;
use sockwire::testing::{Events, Splits, prop_round_trip, strategy};
use sockwire::{DecodeError, Decoder, Encoder};

/// The events up to the first error: what an unrecoverable error leaves
/// of a stream.
fn until_error<T>(events: Events<T, DecodeError>) -> Events<T, DecodeError> {
    let mut out = Vec::new();
    for event in events {
        let stop = event.is_err();
        out.push(event);
        if stop {
            break;
        }
    }
    out
}

#[test]
fn messages_round_trip_at_any_split() {
    prop_round_trip(AppCodec::new, strategy::app_message()).unwrap();
}

proptest! {
    #[test]
    fn requests_round_trip_at_any_split(
        requests in prop::collection::vec(strategy::app_request(), 1..5),
        seed in any::<u64>(),
    ) {
        let mut client = ClientCodec::new();
        let mut wire = BytesMut::new();
        for request in &requests {
            client.encode(request, &mut wire).unwrap();
        }
        Splits::quick().with_seed(seed).check(ServerCodec::new, &wire, &requests)?;
    }

    #[test]
    fn replies_round_trip_at_any_split(
        replies in prop::collection::vec(strategy::app_response(), 1..5),
        seed in any::<u64>(),
    ) {
        let mut server = ServerCodec::new();
        let mut wire = BytesMut::new();
        for reply in &replies {
            server.encode(reply, &mut wire).unwrap();
        }
        Splits::quick().with_seed(seed).check(ClientCodec::new, &wire, &replies)?;
    }

    #[test]
    fn borrowed_path_is_the_owned_path_at_any_split(
        messages in prop::collection::vec(strategy::app_message(), 0..4),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        limit in prop::sample::select(vec![0usize, 8, 64, AppCodec::DEFAULT_MAX_LEN]),
        end in prop::option::of(any::<prop::sample::Index>()),
        seed in any::<u64>(),
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
        // (across splits, up to the first error: an unrecoverable one ends
        // the stream)
        Splits::quick().with_seed(seed).with_eof(eof).events_borrowed_by(
            || AppCodec::with_max_len(limit),
            &wire,
            |v: AppMessageRef<'_>| {
                assert_eq!(v.is_json(), v.header().is_json());
                v.to_message()
            },
            until_error,
        )?;
    }

    #[test]
    fn header_written_is_json_serde_reads_back(message in strategy::app_message()) {
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
    fn the_service_answers_every_request(request in strategy::app_request()) {
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
        seed in any::<u64>(),
    ) {
        let splits = Splits::quick().with_seed(seed);
        let decoded = splits.events_by(|| ServerCodec::with_max_len(64), &input, until_error)?;
        if let Some(Err(e)) = decoded.events.last() {
            prop_assert!(!e.is_recoverable());
        }
    }

    #[test]
    fn mutated_valid_streams_give_the_same_results_at_any_split(
        requests in prop::collection::vec(strategy::app_request(), 1..4),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        seed in any::<u64>(),
    ) {
        let mut wire = BytesMut::new();
        for request in &requests {
            ClientCodec::new().encode(request, &mut wire).unwrap();
        }
        for (at, byte) in flips {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        let splits = Splits::quick().with_seed(seed);
        let decoded = splits.events_by(|| ServerCodec::with_max_len(256), &wire, until_error)?;
        if let Some(Err(e)) = decoded.events.last() {
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
