//! `arbitrary::Arbitrary` (feature `arbitrary`) gives valid messages: each
//! one encodes and decodes (or parses) back to itself.
#![cfg(feature = "arbitrary")]

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use sockwire::room::lab::{LabAnswer, LabChat, LabRequest};
use sockwire::room::{ClientBound, ServerBound};
use sockwire::{
    Decoder, Encoder, FixedPacket, FixedPacketCodec, Text, VariablePacket, VariablePacketCodec,
};

/// Fuzzer-like inputs: 3,000 buffers of pseudo-random bytes, 0 to 600 long.
fn inputs() -> impl Iterator<Item = Vec<u8>> {
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..3000).map(move |_| {
        let len = (next() % 600) as usize;
        (0..len).map(|_| next() as u8).collect()
    })
}

fn each<T: for<'a> Arbitrary<'a>>(mut check: impl FnMut(T)) {
    for data in inputs() {
        if let Ok(value) = T::arbitrary_take_rest(Unstructured::new(&data)) {
            check(value);
        }
    }
}

fn round_trip<C: Decoder + for<'a> Encoder<&'a C::Item>>(mut codec: C, item: &C::Item) -> C::Item
where
    <C as Decoder>::Error: std::fmt::Debug,
    for<'a> <C as Encoder<&'a C::Item>>::Error: std::fmt::Debug,
{
    let mut wire = BytesMut::new();
    codec.encode(item, &mut wire).unwrap();
    let back = codec.decode_eof(&mut wire).unwrap().unwrap();
    assert!(wire.is_empty());
    back
}

#[test]
fn stream_messages_round_trip() {
    each(|p: FixedPacket| assert_eq!(round_trip(FixedPacketCodec::new(), &p), p));
    each(|p: VariablePacket| assert_eq!(round_trip(VariablePacketCodec::new(), &p), p));
    each(|t: Text| assert_eq!(Text::from(t.as_str()), t));
}

#[test]
fn room_messages_parse_back() {
    let mut seen = 0;
    each(|m: ServerBound| {
        assert_eq!(ServerBound::parse(&m.to_bytes().unwrap()).unwrap(), m);
        seen += 1;
    });
    each(|m: ClientBound| assert_eq!(ClientBound::parse(&m.to_bytes().unwrap()).unwrap(), m));
    each(|m: LabRequest| assert_eq!(LabRequest::parse(&m.to_bytes()).unwrap(), m));
    each(|m: LabAnswer| assert_eq!(LabAnswer::parse(&m.to_bytes()).unwrap(), m));
    each(|m: LabChat| assert_eq!(LabChat::parse(&m.to_bytes().unwrap()).unwrap(), m));
    assert!(seen > 2000, "{seen} of 3000 inputs made a message");
}

#[cfg(feature = "json")]
#[test]
fn app_messages_round_trip() {
    use sockwire::app::{AppCodec, AppMessage, AppRequest, AppResponse, ClientCodec, ServerCodec};
    each(|m: AppMessage| assert_eq!(round_trip(AppCodec::new(), &m), m));
    each(|r: AppRequest| {
        let mut wire = BytesMut::new();
        ClientCodec::new().encode(&r, &mut wire).unwrap();
        assert_eq!(ServerCodec::new().decode_eof(&mut wire).unwrap(), Some(r));
    });
    each(|r: AppResponse| {
        let mut wire = BytesMut::new();
        ServerCodec::new().encode(&r, &mut wire).unwrap();
        assert_eq!(ClientCodec::new().decode_eof(&mut wire).unwrap(), Some(r));
    });
}
