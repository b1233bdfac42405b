//! Feeding a wire to a decoder one chunking at a time, and the seeded
//! generator of the random chunkings and the network's faults.

use bytes::BytesMut;

use super::report::{Chunking, Events};
use crate::{BorrowDecoder, Decoder};

/// What one chunking fed gave.
pub(crate) struct Fed<T, E> {
    pub(crate) events: Events<T, E>,
    /// Bytes left in the buffer after each read's last `decode` (none
    /// for [`Chunking::EofOnly`], which calls no `decode`).
    pub(crate) held: Vec<usize>,
    /// The largest buffer capacity after any call.
    pub(crate) capacity: usize,
}

/// Calls `step` after each read until it answers `Ok(None)`, then, if
/// `eof`, `end` until `Ok(None)`; fails if the decoder keeps answering
/// without consuming, or leaves bytes behind at the end.
fn drive<T, E>(
    way: &Chunking,
    wire: &[u8],
    eof: bool,
    mut step: impl FnMut(&mut BytesMut, bool) -> Result<Option<T>, E>,
) -> Result<Fed<T, E>, String> {
    let reads = way.reads(wire);
    let mut budget = wire.len() + reads.len() + 8;
    let mut fed = Fed {
        events: Vec::new(),
        held: Vec::new(),
        capacity: 0,
    };
    let mut buf = BytesMut::new();
    let eof_only = *way == Chunking::EofOnly;
    let mut next = |buf: &mut BytesMut, end: bool, fed: &mut Fed<T, E>| {
        budget = budget.checked_sub(1).ok_or_else(|| {
            format!(
                "the decoder keeps answering without consuming its input ({} bytes left)",
                buf.len()
            )
        })?;
        let answer = step(buf, end);
        fed.capacity = fed.capacity.max(buf.capacity());
        let event = match answer {
            Ok(None) => return Ok::<bool, String>(false),
            Ok(Some(item)) => Ok(item),
            Err(e) => Err(e),
        };
        fed.events.push(event);
        Ok(true)
    };
    for read in &reads {
        buf.extend_from_slice(read);
        if !eof_only {
            while next(&mut buf, false, &mut fed)? {}
            fed.held.push(buf.len());
        }
    }
    if eof || eof_only {
        while next(&mut buf, true, &mut fed)? {}
        if !buf.is_empty() {
            return Err(format!(
                "decode_eof answered Ok(None) with {} bytes left",
                buf.len()
            ));
        }
    }
    Ok(fed)
}

pub(crate) fn feed_owned<D: Decoder>(
    decoder: &mut D,
    way: &Chunking,
    wire: &[u8],
    eof: bool,
) -> Result<Fed<D::Item, D::Error>, String> {
    drive(way, wire, eof, |buf, end| {
        if end {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        }
    })
}

pub(crate) fn feed_borrowed<D: BorrowDecoder>(
    decoder: &mut D,
    way: &Chunking,
    wire: &[u8],
    eof: bool,
    to_owned: &impl for<'a> Fn(D::View<'a>) -> D::Item,
) -> Result<Fed<D::Item, D::Error>, String> {
    drive(way, wire, eof, |buf, end| {
        if end {
            decoder.decode_eof_with(buf, to_owned)
        } else {
            decoder.decode_with(buf, to_owned)
        }
    })
}

/// A small, fast, seeded generator (SplitMix64): the same seed gives the
/// same numbers on every platform.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
}
