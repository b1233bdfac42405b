//! The split-feed driver: feeds a stream to a decoder as a chosen series of
//! reads (cut at chosen points, whole, byte by byte) and records what it
//! yields. The split and round-trip property tests use `sockwire::testing`
//! instead; this is for tests that look at one chosen cut.
//!
//! One source for the integration tests (`mod common { pub mod feed; }`)
//! and the fuzz checks (`fuzz/checks.rs` includes this file with `#[path]`),
//! so it depends only on `sockwire` and `bytes`.

#![allow(dead_code)] // each test file uses part of this

use bytes::BytesMut;
use sockwire::{BorrowDecoder, DecodeError, Decoder};

/// Everything a decoder produced for one stream, in order.
pub type Events<T> = Vec<Result<T, DecodeError>>;

/// The outcome of feeding one stream to a decoder.
#[derive(Debug)]
pub struct Run<T> {
    /// Messages and errors, in the order the decoder gave them.
    pub events: Events<T>,
    /// The most bytes left in the buffer after `decode` answered `Ok(None)`.
    pub max_held: usize,
    /// The largest buffer capacity seen after any `decode` call.
    pub max_capacity: usize,
}

/// `data` cut at `cuts`: positions, taken modulo `data.len() + 1`, in any
/// order, repeats allowed.
pub fn cut_at<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    bounds.push(0);
    bounds.push(data.len());
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .filter_map(|pair| data.get(pair.first().copied()?..pair.get(1).copied()?))
        .collect()
}

/// `data` one byte per read.
pub fn one_byte_reads(data: &[u8]) -> Vec<&[u8]> {
    data.chunks(1).collect()
}

/// `data` cut into reads of the lengths `lens`, used in turn over and over
/// (a 0 is an empty read); all-zero or empty `lens` mean one byte per read.
pub fn reads_of_lens<'a>(data: &'a [u8], lens: &[u8]) -> Vec<&'a [u8]> {
    let lens: &[u8] = if lens.iter().all(|&b| b == 0) {
        &[1]
    } else {
        lens
    };
    let mut reads = Vec::new();
    let mut rest = data;
    for &len in lens.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(usize::from(len).min(rest.len()));
        reads.push(head);
        rest = tail;
    }
    reads
}

/// Feeds `reads` to `decoder` one after the other, calling `decode` after
/// each until it answers `Ok(None)` (then calling `after_none` with the
/// buffer and the bytes fed so far); then, if `eof`, `decode_eof` until
/// `Ok(None)`.
///
/// Panics if a message or an error consumed no input, if the decoder keeps
/// answering without making progress (it would loop forever otherwise), or
/// if `decode_eof` answers `Ok(None)` with bytes left.
pub fn feed<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    reads: &[&[u8]],
    eof: bool,
    after_none: impl FnMut(&BytesMut, u64),
) -> Run<D::Item> {
    drive(reads, eof, "decode_eof", after_none, |buf, end| {
        if end {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        }
    })
}

/// The loop of [`feed`] and [`feed_borrowed`]: `step(buf, false)` decodes,
/// `step(buf, true)` decodes at the end of the stream (`eof_call` names it
/// in a panic).
fn drive<T>(
    reads: &[&[u8]],
    eof: bool,
    eof_call: &str,
    mut after_none: impl FnMut(&BytesMut, u64),
    mut step: impl FnMut(&mut BytesMut, bool) -> Result<Option<T>, DecodeError>,
) -> Run<T> {
    let total: usize = reads.iter().map(|r| r.len()).sum();
    // Every answer but `Ok(None)` consumes input; one `Ok(None)` ends each
    // read; a few more at the end of the stream.
    let mut budget = total + reads.len() + 8;
    let mut spend = || {
        budget = budget
            .checked_sub(1)
            .expect("decoder keeps answering without consuming its input");
    };
    let mut out = Run {
        events: Vec::new(),
        max_held: 0,
        max_capacity: 0,
    };
    let mut buf = BytesMut::new();
    let mut fed = 0u64;
    for read in reads {
        buf.extend_from_slice(read);
        fed += read.len() as u64;
        loop {
            spend();
            let before = buf.len();
            let answer = step(&mut buf, false);
            out.max_capacity = out.max_capacity.max(buf.capacity());
            match answer {
                Ok(None) => {
                    out.max_held = out.max_held.max(buf.len());
                    after_none(&buf, fed);
                    break;
                }
                Ok(Some(item)) => {
                    assert!(buf.len() < before, "a message consumed no input");
                    out.events.push(Ok(item));
                }
                Err(e) => {
                    assert!(buf.len() < before, "an error consumed no input: {e}");
                    out.events.push(Err(e));
                }
            }
        }
    }
    if eof {
        loop {
            spend();
            match step(&mut buf, true) {
                Ok(None) => break,
                Ok(Some(item)) => out.events.push(Ok(item)),
                Err(e) => out.events.push(Err(e)),
            }
        }
        assert!(
            buf.is_empty(),
            "{eof_call} answered Ok(None) with {} bytes left",
            buf.len()
        );
    }
    out
}

/// Feeds `data` to `decoder` as reads cut at `cuts` (positions, taken modulo
/// `data.len() + 1`, in any order), calling `decode` after each read until
/// it answers `Ok(None)`; then, if `eof`, `decode_eof` until `Ok(None)`.
/// See [`feed`] for what it checks on the way.
pub fn run<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    cuts: &[usize],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &cut_at(data, cuts), eof, |_, _| ())
}

/// The whole stream in one read.
pub fn all_at_once<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &[data], eof, |_, _| ())
}

/// The stream one byte per read.
pub fn byte_by_byte<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &one_byte_reads(data), eof, |_, _| ())
}

/// Decodes a whole stream in one read, then ends it, and returns the events.
pub fn decode_stream<D: Decoder<Error = DecodeError>>(
    mut decoder: D,
    data: &[u8],
) -> Events<D::Item> {
    all_at_once(&mut decoder, data, true).events
}

/// Feeds the same stream, cut in each of the ways of `feeds`, to a fresh
/// clone of `decoder`; panics unless every way yields the same events as
/// the first. Returns the first way's events with the largest `max_held`
/// and `max_capacity` of all.
pub fn same_every_way<D: Decoder<Error = DecodeError> + Clone>(
    decoder: &D,
    feeds: &[Vec<&[u8]>],
    eof: bool,
    mut after_none: impl FnMut(&BytesMut, u64),
) -> Run<D::Item>
where
    D::Item: PartialEq + std::fmt::Debug,
{
    let mut runs = feeds
        .iter()
        .map(|reads| feed(&mut decoder.clone(), reads, eof, &mut after_none));
    let Some(mut first) = runs.next() else {
        panic!("no way to feed the stream");
    };
    for (run, reads) in runs.zip(feeds.iter().skip(1)) {
        assert_eq!(
            first.events,
            run.events,
            "fed in {} reads, the stream decodes differently from the first way",
            reads.len()
        );
        first.max_held = first.max_held.max(run.max_held);
        first.max_capacity = first.max_capacity.max(run.max_capacity);
    }
    first
}

/// As [`feed`], through the borrowed path: `decode_with` and
/// `decode_eof_with`, each view turned into a `T` by `own` inside the
/// closure. Checks the same progress rules as [`feed`].
pub fn feed_borrowed<D: BorrowDecoder<Error = DecodeError>, T>(
    decoder: &mut D,
    reads: &[&[u8]],
    eof: bool,
    own: impl for<'a> Fn(D::View<'a>) -> T,
) -> Run<T> {
    drive(
        reads,
        eof,
        "decode_eof_with",
        |_, _| (),
        |buf, end| {
            if end {
                decoder.decode_eof_with(buf, &own)
            } else {
                decoder.decode_with(buf, &own)
            }
        },
    )
}

/// Feeds the same stream, cut in each of the ways of `feeds`, to fresh
/// clones of `decoder` through both paths: the owned one (each item made a
/// `T` by `owned`) and the borrowed one (each view by `borrowed`). Panics
/// unless, for every way, the two paths yield the same events and hold at
/// most the same bytes between reads. Returns the events of the first way.
pub fn same_both_paths<D, T>(
    decoder: &D,
    feeds: &[Vec<&[u8]>],
    eof: bool,
    owned: impl Fn(D::Item) -> T,
    borrowed: impl for<'a> Fn(D::View<'a>) -> T,
) -> Events<T>
where
    D: BorrowDecoder<Error = DecodeError> + Clone,
    T: PartialEq + std::fmt::Debug,
{
    let mut first = None;
    for reads in feeds {
        let own = feed(&mut decoder.clone(), reads, eof, |_, _| ());
        let own_events: Events<T> = own.events.into_iter().map(|e| e.map(&owned)).collect();
        let lent = feed_borrowed(&mut decoder.clone(), reads, eof, &borrowed);
        assert_eq!(
            own_events,
            lent.events,
            "fed in {} reads, the owned and borrowed paths differ",
            reads.len()
        );
        assert_eq!(own.max_held, lent.max_held, "bytes held between reads");
        first.get_or_insert(own_events);
    }
    first.unwrap_or_default()
}
