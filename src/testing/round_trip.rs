//! Round trips: encode messages, decode them back at every split, compare;
//! for stream and datagram codecs, on given messages or on a proptest
//! [`Strategy`].

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::any;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use super::{Mismatch, Splits};
use crate::{DatagramDecoder, DatagramEncoder, Decoder, Encoder};

/// Encodes `items` one after the other with a fresh codec from `make`,
/// then decodes the wire back in every chunking of [`Splits`]: each way
/// must give `items` again, in order.
///
/// ```
/// use sockwire::testing::check_round_trip;
/// use sockwire::{VariablePacket, VariablePacketCodec};
///
/// let packets = [VariablePacket::new(1, "hi"), VariablePacket::new(2, "")];
/// check_round_trip(VariablePacketCodec::new, &packets)?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] when an item cannot be encoded, or the wire decodes to
/// anything else in some chunking (named, with the wire in hex).
pub fn check_round_trip<C, F>(make: F, items: &[C::Item]) -> Result<(), Mismatch>
where
    C: Decoder + for<'a> Encoder<&'a C::Item> + 'static,
    C::Item: PartialEq + Debug,
    <C as Decoder>::Error: Debug,
    for<'a> <C as Encoder<&'a C::Item>>::Error: Debug,
    F: FnMut() -> C,
{
    round_trip(&Splits::default(), make, items)
}

fn round_trip<C, F>(splits: &Splits, mut make: F, items: &[C::Item]) -> Result<(), Mismatch>
where
    C: Decoder + for<'a> Encoder<&'a C::Item> + 'static,
    C::Item: PartialEq + Debug,
    <C as Decoder>::Error: Debug,
    for<'a> <C as Encoder<&'a C::Item>>::Error: Debug,
    F: FnMut() -> C,
{
    let mut encoder = make();
    let mut wire = BytesMut::new();
    for (i, item) in items.iter().enumerate() {
        encoder.encode(item, &mut wire).map_err(|e| {
            Mismatch::new(format!(
                "item {i} cannot be encoded: {e:?}\n  item: {item:?}"
            ))
        })?;
    }
    splits.check(make, &wire, items)
}

/// Property test of a stream codec: for lists of up to 8 messages drawn
/// from `items`, encodes them and decodes them back whole, byte by byte
/// and in random chunkings seeded by the case ([`Splits::quick`]), as
/// [`check_round_trip`] does at every split. Runs proptest's default number of cases (256, or
/// `PROPTEST_CASES`) and shrinks a failure to a minimal list.
///
/// ```
/// use sockwire::testing::{prop_round_trip, strategy};
/// use sockwire::LineCodec;
///
/// prop_round_trip(LineCodec::new, strategy::line(64))?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] with the minimal failing list and what went wrong.
pub fn prop_round_trip<C, F, S>(make: F, items: S) -> Result<(), Mismatch>
where
    C: Decoder + for<'a> Encoder<&'a C::Item> + 'static,
    C::Item: PartialEq + Debug,
    <C as Decoder>::Error: Debug,
    for<'a> <C as Encoder<&'a C::Item>>::Error: Debug,
    F: Fn() -> C,
    S: Strategy<Value = C::Item>,
{
    let cases = (vec(items, 0..8), any::<u64>());
    run(&cases, |(items, seed)| {
        round_trip(&Splits::quick().with_seed(seed), &make, &items)
    })
}

/// Encodes each of `items` as one datagram with a fresh codec from
/// `make`, decodes it with another fresh codec and with one codec reused
/// for all of them: both must give the item back.
///
/// ```
/// use sockwire::testing::check_datagram_round_trip;
/// use sockwire::{Text, TextDatagramCodec};
///
/// let texts = [Text::from("hello"), Text::from(""), Text::from("🦀")];
/// check_datagram_round_trip(TextDatagramCodec::new, &texts)?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] naming the item, its datagram in hex and what came back.
pub fn check_datagram_round_trip<C, F>(mut make: F, items: &[C::Item]) -> Result<(), Mismatch>
where
    C: DatagramDecoder + for<'a> DatagramEncoder<&'a C::Item>,
    C::Item: PartialEq + Debug,
    <C as DatagramDecoder>::Error: Debug,
    for<'a> <C as DatagramEncoder<&'a C::Item>>::Error: Debug,
    F: FnMut() -> C,
{
    let mut reused = make();
    for (i, item) in items.iter().enumerate() {
        let mut dst = BytesMut::new();
        make().encode_datagram(item, &mut dst).map_err(|e| {
            Mismatch::new(format!(
                "item {i} cannot be encoded: {e:?}\n  item: {item:?}"
            ))
        })?;
        let datagram: Bytes = dst.freeze();
        for (codec, how) in [
            (&mut make(), "a fresh decoder"),
            (&mut reused, "a reused decoder"),
        ] {
            let back = codec.decode_datagram(datagram.clone());
            if back.as_ref().ok() != Some(item) {
                return Err(Mismatch::new(format!(
                    "item {i} does not come back from {how}:\n  sent: {item:?}\n  got:  {back:?}\ndatagram, {} bytes: {}",
                    datagram.len(),
                    crate::dump::hex(&datagram)
                )));
            }
        }
    }
    Ok(())
}

/// [`check_datagram_round_trip`] as a property test on lists of up to 8
/// messages drawn from `items`.
///
/// ```
/// use sockwire::testing::{prop_datagram_round_trip, strategy};
/// use sockwire::TextDatagramCodec;
///
/// prop_datagram_round_trip(TextDatagramCodec::new, strategy::text(100))?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] with the minimal failing list and what went wrong.
pub fn prop_datagram_round_trip<C, F, S>(make: F, items: S) -> Result<(), Mismatch>
where
    C: DatagramDecoder + for<'a> DatagramEncoder<&'a C::Item>,
    C::Item: PartialEq + Debug,
    <C as DatagramDecoder>::Error: Debug,
    for<'a> <C as DatagramEncoder<&'a C::Item>>::Error: Debug,
    F: Fn() -> C,
    S: Strategy<Value = C::Item>,
{
    run(&vec(items, 0..8), |items| {
        check_datagram_round_trip(&make, &items)
    })
}

/// Runs `test` on values of `strategy` with proptest's default settings
/// (`PROPTEST_CASES` and the other `PROPTEST_*` variables apply), and
/// turns a failure, shrunk, into a [`Mismatch`]: the entry point for a
/// property of your own written with the kit's checks.
///
/// ```
/// use sockwire::testing::{check_decoder, prop_check, strategy};
/// use sockwire::{FixedPacketCodec, FixedPacket};
///
/// prop_check(&strategy::fixed_packet(), |p| {
///     check_decoder(FixedPacketCodec::new, &p.to_bytes(), &[p])
/// })?;
/// # Ok::<(), sockwire::testing::Mismatch>(())
/// ```
///
/// # Errors
///
/// [`Mismatch`] with the minimal failing value and its report.
pub fn prop_check<S: Strategy>(
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), Mismatch>,
) -> Result<(), Mismatch>
where
    S::Value: Debug,
{
    run(strategy, test)
}

fn run<S: Strategy>(
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), Mismatch>,
) -> Result<(), Mismatch>
where
    S::Value: Debug,
{
    let mut runner = TestRunner::new(Config {
        // a library's check has no source file to keep regressions in
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(strategy, |value| {
            test(value).map_err(|m| TestCaseError::fail(m.to_string()))
        })
        .map_err(|e| match e {
            TestError::Fail(why, value) => {
                Mismatch::new(format!("minimal failing input: {value:?}\n{why}"))
            }
            TestError::Abort(why) => Mismatch::new(format!("property test aborted: {why}")),
        })
}
