//! From frames to records: flows, TCP reassembly per direction, decoding
//! per protocol, resynchronisation after gaps, and the counts the summary
//! shows.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use super::capture::Frame;
use super::decode::{self, Message, Protocol, StreamDecoder};
use super::events::Sink;
use super::packet::{self, Packet};
use super::reassembly::{GapReason, SegmentInfo, Stream};

/// What to decode and how.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Server ports and their protocols (`--port`).
    pub ports: HashMap<u16, Protocol>,
    /// Out-of-order bytes held per direction of a TCP flow.
    pub max_buffered: usize,
    /// Keep hex dumps of every message.
    pub hex: bool,
    /// Only flows with this endpoint (`--flow`).
    pub flow: Option<SocketAddr>,
}

/// The default out-of-order limit per direction.
pub const DEFAULT_MAX_BUFFERED: usize = 1 << 20;

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Transport {
    /// `tcp` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
    }
}

/// Where a record happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Capture time of the packet that completed it.
    pub ts: Duration,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// TCP or UDP.
    pub transport: Transport,
    /// The flow's protocol, if any.
    pub protocol: Option<Protocol>,
}

/// One line of output.
#[derive(Debug, Clone)]
pub enum Record {
    /// A decoded message (or a decode error).
    Message(Place, Message),
    /// Something about the stream: a connection, a gap, a resync.
    Note(Place, String),
}

/// One gap, for the summary.
#[derive(Debug, Clone)]
pub struct GapInfo {
    /// Where.
    pub place: Place,
    /// How many bytes.
    pub len: u64,
    /// Why.
    pub reason: String,
}

/// One flow, for the summary.
#[derive(Debug, Clone)]
pub struct FlowInfo {
    /// TCP or UDP.
    pub transport: Transport,
    /// The client (or the first sender).
    pub client: SocketAddr,
    /// The server (or the first receiver).
    pub server: SocketAddr,
    /// The protocol it was decoded as.
    pub protocol: Option<Protocol>,
    /// Why it was not decoded, when `--port` named a protocol that does
    /// not run on its transport.
    pub mismatch: Option<String>,
    /// Payload bytes client to server and back, as captured (with
    /// retransmissions).
    pub bytes: [u64; 2],
    /// Packets.
    pub packets: u64,
    /// Messages decoded.
    pub messages: u64,
    /// Decode errors.
    pub errors: u64,
    /// Gaps.
    pub gaps: u64,
}

/// One direction of a TCP flow.
pub(super) struct Dir {
    pub(super) stream: Stream,
    pub(super) decoder: Option<StreamDecoder>,
    /// Skipping bytes until decoding can start again; how many so far.
    pub(super) resync: Option<u64>,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) to_server: bool,
}

struct Flow {
    info: FlowInfo,
    /// TCP only: client to server, server to client.
    dirs: Option<Box<[Dir; 2]>>,
}

/// Counts over the whole capture.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Frames read.
    pub frames: u64,
    /// Frames that were not TCP or UDP, by why.
    pub other: BTreeMap<String, u64>,
    /// Frames of flows left out by `--flow`.
    pub filtered: u64,
    /// Frames cut short by the capture's snap length.
    pub cut: u64,
    /// Every flow, in order of first packet.
    pub flows: Vec<FlowInfo>,
    /// Messages per protocol.
    pub messages: BTreeMap<Protocol, u64>,
    /// Decode errors.
    pub errors: u64,
    /// Gaps.
    pub gaps: Vec<GapInfo>,
}

/// The dissector.
pub struct Engine {
    config: Config,
    flows: HashMap<(Transport, SocketAddr, SocketAddr), usize>,
    all: Vec<Flow>,
    summary: Summary,
    last_ts: Duration,
}

impl Engine {
    /// A dissector with `config`.
    pub fn new(mut config: Config) -> Self {
        if config.max_buffered == 0 {
            config.max_buffered = DEFAULT_MAX_BUFFERED;
        }
        Engine {
            config,
            flows: HashMap::new(),
            all: Vec::new(),
            summary: Summary::default(),
            last_ts: Duration::ZERO,
        }
    }

    /// Takes one frame; records go to `emit` as they happen.
    pub fn frame(&mut self, frame: &Frame, emit: &mut dyn FnMut(Record)) {
        self.summary.frames += 1;
        self.last_ts = frame.ts;
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            self.summary.cut += 1;
        }
        match packet::parse(frame.link, &frame.data) {
            Packet::Tcp(seg) => self.tcp(frame.ts, &seg, emit),
            Packet::Udp(dgram) => self.udp(frame.ts, &dgram, emit),
            Packet::Other(why) => *self.summary.other.entry(why).or_default() += 1,
        }
    }

    fn wanted(&self, a: SocketAddr, b: SocketAddr) -> bool {
        self.config.flow.is_none_or(|f| f == a || f == b)
    }

    /// The protocol of a flow between `a` (the sender of its first packet)
    /// and `b`, and which of them is the server.
    fn classify(
        &self,
        transport: Transport,
        a: SocketAddr,
        b: SocketAddr,
        syn_to_b: bool,
    ) -> (SocketAddr, SocketAddr, Option<Protocol>, Option<String>) {
        let pa = self.config.ports.get(&a.port()).copied();
        let pb = self.config.ports.get(&b.port()).copied();
        let (client, server, protocol) = match (pa, pb) {
            (_, Some(p)) if syn_to_b || pa.is_none() || b.port() <= a.port() => (a, b, Some(p)),
            (Some(p), _) => (b, a, Some(p)),
            (None, Some(p)) => (a, b, Some(p)),
            (None, None) if syn_to_b || b.port() <= a.port() => (a, b, None),
            (None, None) => (b, a, None),
        };
        match protocol {
            Some(p) if transport == Transport::Tcp && !p.on_stream() => (
                client,
                server,
                None,
                Some(format!("{} runs over UDP, this flow is TCP", p.name())),
            ),
            Some(p) if transport == Transport::Udp && !p.on_datagram() => (
                client,
                server,
                None,
                Some(format!("{} runs over TCP, this flow is UDP", p.name())),
            ),
            p => (client, server, p, None),
        }
    }

    fn key(
        transport: Transport,
        a: SocketAddr,
        b: SocketAddr,
    ) -> (Transport, SocketAddr, SocketAddr) {
        if a <= b {
            (transport, a, b)
        } else {
            (transport, b, a)
        }
    }

    fn new_flow(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        syn: bool,
    ) -> usize {
        let (client, server, protocol, mismatch) = self.classify(transport, src, dst, syn);
        let dirs = (transport == Transport::Tcp && protocol.is_some()).then(|| {
            let dir = |src, dst, to_server| Dir {
                stream: Stream::new(self.config.max_buffered),
                decoder: None,
                resync: None,
                src,
                dst,
                to_server,
            };
            Box::new([dir(client, server, true), dir(server, client, false)])
        });
        let flow = Flow {
            info: FlowInfo {
                transport,
                client,
                server,
                protocol,
                mismatch,
                bytes: [0, 0],
                packets: 0,
                messages: 0,
                errors: 0,
                gaps: 0,
            },
            dirs,
        };
        let id = self.all.len();
        self.all.push(flow);
        self.flows.insert(Self::key(transport, src, dst), id);
        id
    }

    fn tcp(&mut self, ts: Duration, seg: &packet::Segment<'_>, emit: &mut dyn FnMut(Record)) {
        if !self.wanted(seg.src, seg.dst) {
            self.summary.filtered += 1;
            return;
        }
        let pure_syn = seg.syn && seg.ack.is_none();
        let id = self.tcp_flow(seg, pure_syn, emit);
        let hex = self.config.hex;
        let Some(flow) = self.all.get_mut(id) else {
            return;
        };
        let forward = seg.src == flow.info.client;
        let index = usize::from(!forward);
        flow.info.packets += 1;
        if let Some(b) = flow.info.bytes.get_mut(index) {
            *b += seg.payload.len() as u64;
        }
        let Some(protocol) = flow.info.protocol else {
            return;
        };
        let Some(dirs) = flow.dirs.as_mut() else {
            return;
        };
        let place = |dir: &Dir| Place {
            ts,
            src: dir.src,
            dst: dir.dst,
            transport: Transport::Tcp,
            protocol: Some(protocol),
        };
        if pure_syn {
            if let Some(dir) = dirs.get(index) {
                emit(Record::Note(place(dir), "connect (SYN)".into()));
            }
        }
        let info = SegmentInfo {
            seq: seg.seq,
            syn: seg.syn,
            fin: seg.fin,
            rst: seg.rst,
            payload: seg.payload,
            missing: seg.missing,
        };
        let mut events = Vec::new();
        let mut back = Vec::new();
        let [d0, d1] = &mut **dirs;
        let (this, other) = if forward { (d0, d1) } else { (d1, d0) };
        this.stream.segment(info, &mut events);
        if seg.rst {
            other.stream.segment(info, &mut back);
        } else if let Some(ack) = seg.ack {
            other.stream.acked(ack, &mut back);
        }
        let mut records = Vec::new();
        for (dir, events) in [(this, events), (other, back)] {
            let place = place(dir);
            let mut sink = Sink::new(protocol, hex, &place, &mut flow.info, &mut self.summary);
            for event in events {
                sink.handle(dir, event);
            }
            records.append(&mut sink.out);
        }
        for r in records {
            emit(r);
        }
    }

    /// The flow of a TCP segment: the one of its ports, or a new one for a
    /// new connection (a SYN, also on ports seen before).
    fn tcp_flow(
        &mut self,
        seg: &packet::Segment<'_>,
        pure_syn: bool,
        emit: &mut dyn FnMut(Record),
    ) -> usize {
        let key = Self::key(Transport::Tcp, seg.src, seg.dst);
        let Some(id) = self.flows.get(&key).copied() else {
            return self.new_flow(Transport::Tcp, seg.src, seg.dst, pure_syn);
        };
        // A new SYN on ports seen before: a new connection.
        let reused = pure_syn
            && self
                .all
                .get(id)
                .and_then(|f| f.dirs.as_ref())
                .is_some_and(|d| {
                    d.iter()
                        .find(|d| d.src == seg.src)
                        .is_some_and(|d| d.stream.is_new_syn(seg.seq))
                });
        if reused {
            self.end_flow(id, emit);
            self.new_flow(Transport::Tcp, seg.src, seg.dst, true)
        } else {
            id
        }
    }

    fn udp(&mut self, ts: Duration, d: &packet::Datagram<'_>, emit: &mut dyn FnMut(Record)) {
        if !self.wanted(d.src, d.dst) {
            self.summary.filtered += 1;
            return;
        }
        let key = Self::key(Transport::Udp, d.src, d.dst);
        let id = match self.flows.get(&key) {
            Some(&id) => id,
            None => self.new_flow(Transport::Udp, d.src, d.dst, false),
        };
        let hex = self.config.hex;
        let Some(flow) = self.all.get_mut(id) else {
            return;
        };
        let to_server = d.dst == flow.info.server;
        flow.info.packets += 1;
        if let Some(b) = flow.info.bytes.get_mut(usize::from(!to_server)) {
            *b += d.payload.len() as u64;
        }
        let Some(protocol) = flow.info.protocol else {
            return;
        };
        let place = Place {
            ts,
            src: d.src,
            dst: d.dst,
            transport: Transport::Udp,
            protocol: Some(protocol),
        };
        if d.missing > 0 {
            let len = u64::from(d.missing);
            flow.info.gaps += 1;
            self.summary.gaps.push(GapInfo {
                place,
                len,
                reason: GapReason::NotCaptured.to_string(),
            });
            emit(Record::Note(
                place,
                format!(
                    "datagram cut by the snap length: {} bytes captured, {len} missing; not decoded",
                    d.payload.len()
                ),
            ));
            return;
        }
        let message = decode::datagram(protocol, d.payload, to_server, hex);
        Sink::new(protocol, hex, &place, &mut flow.info, &mut self.summary).count(&message);
        emit(Record::Message(place, message));
    }

    fn end_flow(&mut self, id: usize, emit: &mut dyn FnMut(Record)) {
        let ts = self.last_ts;
        let hex = self.config.hex;
        let Some(flow) = self.all.get_mut(id) else {
            return;
        };
        let Some(protocol) = flow.info.protocol else {
            return;
        };
        let Some(dirs) = flow.dirs.as_mut() else {
            return;
        };
        let mut records = Vec::new();
        for dir in dirs.iter_mut() {
            let place = Place {
                ts,
                src: dir.src,
                dst: dir.dst,
                transport: Transport::Tcp,
                protocol: Some(protocol),
            };
            let was_ended = dir.stream.is_ended();
            let mut events = Vec::new();
            dir.stream.finish(&mut events);
            let mut sink = Sink::new(protocol, hex, &place, &mut flow.info, &mut self.summary);
            for event in events {
                sink.handle(dir, event);
            }
            records.append(&mut sink.out);
            if !was_ended && !dir.stream.is_ended() {
                let pending = dir.decoder.as_ref().map_or(0, StreamDecoder::pending);
                if pending > 0 {
                    records.push(Record::Note(
                        place,
                        format!(
                            "the capture ends inside a message: {pending} bytes of it not decoded"
                        ),
                    ));
                }
                if let Some(skipped) = dir.resync.take().filter(|&s| s > 0) {
                    records.push(Record::Note(
                        place,
                        format!("{skipped} bytes skipped, no place to resynchronise found"),
                    ));
                }
            }
        }
        for r in records {
            emit(r);
        }
    }

    /// Ends the capture: holes left are gaps, unfinished messages are
    /// reported. Then the summary.
    pub fn finish(mut self, emit: &mut dyn FnMut(Record)) -> Summary {
        for id in 0..self.all.len() {
            self.end_flow(id, emit);
        }
        self.summary.flows = self.all.into_iter().map(|f| f.info).collect();
        self.summary
    }
}
