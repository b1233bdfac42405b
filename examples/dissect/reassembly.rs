//! TCP reassembly for one direction of a connection: segments in, the byte
//! stream out, in order, each byte once, and every hole reported as a gap
//! instead of being papered over.
//!
//! - Sequence numbers become 64-bit stream offsets (0 is the byte after
//!   the SYN, or the first byte seen when the capture starts mid-stream),
//!   so wrap-around needs no special case.
//! - Out-of-order segments wait in a map keyed by offset. Retransmissions
//!   and overlaps are trimmed to the bytes not yet delivered (the first
//!   copy of a byte wins).
//! - Bytes that were on the wire but not captured (cut by the snap length)
//!   are a known hole: a gap as soon as the stream reaches it.
//! - A hole nobody fills becomes a gap when the other side acknowledges
//!   data past it (it was received, so the capture lost it), when the
//!   out-of-order bytes held pass the limit, or when the stream ends.

use std::collections::BTreeMap;
use std::fmt;

/// What the reassembler hands on, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The capture holds no start of this direction (no SYN): the stream
    /// is joined at an arbitrary byte.
    MidStream,
    /// Contiguous bytes. `segment_start`: they begin where a segment began
    /// (a place where a sender's write often began).
    Data {
        /// The bytes.
        bytes: Vec<u8>,
        /// Whether the first byte was the first of its segment.
        segment_start: bool,
    },
    /// Bytes of the stream that are not in the capture.
    Gap {
        /// How many.
        len: u64,
        /// Why they are missing.
        reason: GapReason,
    },
    /// The sender's FIN: the stream ended here.
    Fin,
    /// A RST: the connection was aborted.
    Reset,
}

/// Why bytes are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapReason {
    /// Cut by the capture's snap length.
    NotCaptured,
    /// Never seen: lost by the capture (or seen only after the other side
    /// acknowledged them, or at the end).
    Lost,
    /// Out-of-order data past the memory limit: the hole before it was
    /// given up.
    BufferFull,
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GapReason::NotCaptured => "cut by the snap length",
            GapReason::Lost => "not in the capture",
            GapReason::BufferFull => "out-of-order limit reached",
        })
    }
}

/// The parts of a TCP segment reassembly needs.
#[derive(Debug, Clone, Copy)]
pub struct SegmentInfo<'a> {
    /// Sequence number of the segment.
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// Captured payload.
    pub payload: &'a [u8],
    /// Payload bytes on the wire after `payload` that were not captured.
    pub missing: u32,
}

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes that came again (retransmissions, overlaps) and were dropped.
    pub duplicate: u64,
    /// Bytes reported as gaps.
    pub gap_bytes: u64,
    /// How many gaps.
    pub gaps: u64,
    /// Segments that made no sense at their place (far outside the stream)
    /// and were ignored.
    pub ignored_segments: u64,
    /// The most out-of-order bytes held at once.
    pub peak_buffered: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Data,
    Missing,
}

#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    /// For `Missing`, its length; for `Data`, `data.len()`.
    len: u64,
    segment_start: bool,
}

/// Each held piece costs at least this much against the limit, so a flood
/// of tiny segments is bounded too.
const PIECE_COST: usize = 64;

/// A segment further than this from the next expected byte is not part of
/// this stream.
const WINDOW: u64 = 1 << 30;

/// One direction of a TCP connection.
#[derive(Debug)]
pub struct Stream {
    /// The sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// The next offset to deliver.
    next: u64,
    pending: BTreeMap<(u64, Kind), Piece>,
    buffered: usize,
    max_buffered: usize,
    fin_at: Option<u64>,
    ended: bool,
    /// Counters.
    pub stats: Stats,
}

impl Stream {
    /// A direction that holds at most `max_buffered` bytes out of order.
    pub fn new(max_buffered: usize) -> Self {
        Stream {
            base: None,
            next: 0,
            pending: BTreeMap::new(),
            buffered: 0,
            max_buffered,
            fin_at: None,
            ended: false,
            stats: Stats::default(),
        }
    }

    /// Whether the stream has ended (FIN delivered, RST, or finished).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether a SYN with this sequence number would start a different
    /// connection (the ports were reused).
    pub fn is_new_syn(&self, seq: u32) -> bool {
        self.base.is_some_and(|b| b != seq.wrapping_add(1))
    }

    /// The stream offset of `seq`, relative to the next byte expected.
    fn offset(&self, base: u32, seq: u32) -> i64 {
        let next_seq = base.wrapping_add(self.next as u32);
        self.next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// Takes one segment.
    pub fn segment(&mut self, seg: SegmentInfo<'_>, out: &mut Vec<Event>) {
        if self.ended {
            if !seg.payload.is_empty() || seg.missing > 0 {
                self.stats.duplicate += seg.payload.len() as u64 + u64::from(seg.missing);
            }
            return;
        }
        if seg.rst {
            self.finish(out);
            out.push(Event::Reset);
            self.ended = true;
            return;
        }
        let data_seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let base = match self.base {
            Some(base) => base,
            None if seg.syn => {
                self.base = Some(data_seq);
                data_seq
            }
            None if !seg.payload.is_empty() || seg.missing > 0 || seg.fin => {
                self.base = Some(data_seq);
                out.push(Event::MidStream);
                data_seq
            }
            // A bare ACK before anything else: nothing to anchor on.
            None => return,
        };
        let off = self.offset(base, data_seq);
        let len = seg.payload.len() as u64 + u64::from(seg.missing);
        let far = off.unsigned_abs() > self.next + WINDOW || off < -(WINDOW as i64);
        if far {
            self.stats.ignored_segments += 1;
            return;
        }
        if seg.fin && self.fin_at.is_none() {
            let end = off.saturating_add(len as i64);
            if end >= self.next as i64 {
                self.fin_at = Some(end as u64);
            }
        }
        self.insert(
            off,
            Kind::Data,
            seg.payload.to_vec(),
            len.min(seg.payload.len() as u64),
            true,
        );
        if seg.missing > 0 {
            let at = off.saturating_add(seg.payload.len() as i64);
            self.insert(at, Kind::Missing, Vec::new(), u64::from(seg.missing), false);
        }
        self.drain(out);
        self.enforce_limit(out);
    }

    /// The other direction acknowledged everything before `ack`: a hole
    /// before it that later data waits behind was lost by the capture.
    pub fn acked(&mut self, ack: u32, out: &mut Vec<Event>) {
        let Some(base) = self.base else { return };
        if self.ended || self.pending.is_empty() {
            return;
        }
        let acked = self.offset(base, ack);
        if acked <= self.next as i64 {
            return;
        }
        let acked = acked as u64;
        while let Some((&(off, _), _)) = self.pending.first_key_value() {
            if off > self.next && off <= acked {
                self.gap(off - self.next, GapReason::Lost, out);
                self.drain(out);
            } else {
                break;
            }
        }
    }

    /// Ends the stream where the capture ends (or at a RST): every hole
    /// left is a gap, every byte held is delivered.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if self.ended {
            return;
        }
        while let Some((&(off, _), _)) = self.pending.first_key_value() {
            if off > self.next {
                self.gap(off - self.next, GapReason::Lost, out);
            }
            self.drain(out);
        }
        if let Some(fin) = self.fin_at {
            if fin > self.next {
                self.gap(fin - self.next, GapReason::Lost, out);
                self.drain(out);
            }
        }
    }

    fn gap(&mut self, len: u64, reason: GapReason, out: &mut Vec<Event>) {
        if len == 0 {
            return;
        }
        self.next += len;
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        out.push(Event::Gap { len, reason });
    }

    fn insert(
        &mut self,
        off: i64,
        kind: Kind,
        mut data: Vec<u8>,
        mut len: u64,
        segment_start: bool,
    ) {
        if len == 0 {
            return;
        }
        let mut off = off;
        let mut segment_start = segment_start;
        let next = self.next as i64;
        if off < next {
            let trim = (next - off) as u64;
            if trim >= len {
                self.stats.duplicate += len;
                return;
            }
            self.stats.duplicate += trim;
            if kind == Kind::Data {
                data.drain(..trim as usize);
            }
            len -= trim;
            off = next;
            segment_start = false;
        }
        let off = off as u64;
        if kind == Kind::Data && off == self.next && self.pending.is_empty() {
            // In order, nothing waiting: straight through.
            self.pending.insert(
                (off, kind),
                Piece {
                    data,
                    len,
                    segment_start,
                },
            );
            self.buffered += len as usize + PIECE_COST;
            return;
        }
        let cost = if kind == Kind::Data { len as usize } else { 0 } + PIECE_COST;
        match self.pending.get(&(off, kind)) {
            Some(old) if old.len >= len => {
                self.stats.duplicate += len;
                return;
            }
            Some(old) => {
                let old_cost = if kind == Kind::Data {
                    old.len as usize
                } else {
                    0
                } + PIECE_COST;
                self.stats.duplicate += old.len;
                self.buffered = self.buffered.saturating_sub(old_cost);
            }
            None => {}
        }
        self.pending.insert(
            (off, kind),
            Piece {
                data,
                len,
                segment_start,
            },
        );
        self.buffered += cost;
        self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered);
    }

    fn drain(&mut self, out: &mut Vec<Event>) {
        while let Some(entry) = self.pending.first_entry() {
            let (off, kind) = *entry.key();
            let end = off + entry.get().len;
            if off > self.next {
                break;
            }
            let piece = entry.remove();
            let cost = if kind == Kind::Data {
                piece.len as usize
            } else {
                0
            } + PIECE_COST;
            self.buffered = self.buffered.saturating_sub(cost);
            if end <= self.next {
                self.stats.duplicate += piece.len;
                continue;
            }
            let skip = self.next - off;
            self.stats.duplicate += skip;
            match kind {
                Kind::Data => {
                    let mut bytes = piece.data;
                    bytes.drain(..skip as usize);
                    self.next = end;
                    self.stats.delivered += bytes.len() as u64;
                    out.push(Event::Data {
                        bytes,
                        segment_start: piece.segment_start && skip == 0,
                    });
                }
                Kind::Missing => {
                    // Data that fills part of the hole (a full copy of a
                    // cut segment) wins over the hole.
                    let fill = self
                        .pending
                        .range((self.next, Kind::Data)..(end, Kind::Data))
                        .find(|((_, k), _)| *k == Kind::Data)
                        .map(|((o, _), _)| *o);
                    let gap_end = fill.unwrap_or(end).min(end);
                    self.gap(gap_end - self.next, GapReason::NotCaptured, out);
                    if gap_end < end {
                        self.insert(
                            gap_end as i64,
                            Kind::Missing,
                            Vec::new(),
                            end - gap_end,
                            false,
                        );
                    }
                }
            }
        }
        if self.fin_at.is_some_and(|fin| fin <= self.next) && self.pending.is_empty() && !self.ended
        {
            out.push(Event::Fin);
            self.ended = true;
        }
    }

    fn enforce_limit(&mut self, out: &mut Vec<Event>) {
        while self.buffered > self.max_buffered {
            let Some((&(off, _), _)) = self.pending.first_key_value() else {
                break;
            };
            if off > self.next {
                self.gap(off - self.next, GapReason::BufferFull, out);
            }
            self.drain(out);
        }
    }
}
