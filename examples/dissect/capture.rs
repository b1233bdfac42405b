//! Reading capture files: classic pcap and pcapng, from any `Read` (a file
//! or standard input), one packet at a time, with the file offset of each
//! record so that a problem can be named by where it is.
//!
//! The formats are parsed by `pcap-file` (its slice parsers, fed from a
//! bounded buffer); this module only buffers, detects the format, and
//! turns each record into a [`Frame`].

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, Endianness, PcapError, TsResolution};

/// The largest record (pcap) or block (pcapng) read; a longer one is an
/// error, so a corrupt length cannot make the reader buffer without end.
pub const MAX_RECORD: usize = 1 << 20;

/// pcapng block types read here.
const PACKET_BLOCK: u32 = 2;
const SIMPLE_PACKET_BLOCK: u32 = 3;
const ENHANCED_PACKET_BLOCK: u32 = 6;

/// How much is read from the source at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The link layer a frame starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// Ethernet II (`tcpdump -i lo` on Linux).
    Ethernet,
    /// Linux cooked capture v1 (`tcpdump -i any`, older libpcap).
    LinuxSll,
    /// Linux cooked capture v2 (`tcpdump -i any`, libpcap 1.10+).
    LinuxSll2,
    /// Raw IPv4 or IPv6, no link header.
    RawIp,
    /// BSD loopback: a 4-byte address family in the capturing host's
    /// byte order (`NULL`) or in network order (`LOOP`, OpenBSD).
    Null,
    /// Anything else, by its link-type number.
    Other(u32),
}

impl LinkType {
    fn from_datalink(link: DataLink) -> LinkType {
        match link {
            DataLink::ETHERNET => LinkType::Ethernet,
            DataLink::LINUX_SLL => LinkType::LinuxSll,
            DataLink::LINUX_SLL2 => LinkType::LinuxSll2,
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => LinkType::RawIp,
            DataLink::NULL | DataLink::LOOP => LinkType::Null,
            other => LinkType::Other(u32::from(other)),
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkType::Ethernet => f.write_str("Ethernet"),
            LinkType::LinuxSll => f.write_str("Linux cooked v1"),
            LinkType::LinuxSll2 => f.write_str("Linux cooked v2"),
            LinkType::RawIp => f.write_str("raw IP"),
            LinkType::Null => f.write_str("BSD loopback"),
            LinkType::Other(n) => write!(f, "link type {n}"),
        }
    }
}

/// One captured packet.
#[derive(Debug, Clone)]
pub struct Frame {
    /// When it was captured, since the Unix epoch.
    pub ts: Duration,
    /// Its link layer.
    pub link: LinkType,
    /// The captured bytes (maybe fewer than were on the wire).
    pub data: Vec<u8>,
    /// How long the packet was on the wire.
    pub orig_len: u32,
    /// Where its record starts in the file.
    pub offset: u64,
}

/// A capture file that cannot be read further, and where.
#[derive(Debug)]
pub struct CaptureError {
    /// Byte offset in the file of the record (or header) at fault.
    pub offset: u64,
    /// What is wrong there.
    pub what: String,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at byte offset {} (0x{:x}): {}",
            self.offset, self.offset, self.what
        )
    }
}

impl std::error::Error for CaptureError {}

/// Something odd in the capture that did not stop the reading.
#[derive(Debug, Clone)]
pub struct Warning {
    /// Where.
    pub offset: u64,
    /// What.
    pub what: String,
}

enum Format {
    Pcap {
        parser: PcapParser,
        link: LinkType,
        nanos: bool,
    },
    PcapNg {
        parser: Box<PcapNgParser>,
    },
}

/// Reads frames from a capture.
pub struct CaptureReader<R> {
    src: R,
    buf: Vec<u8>,
    /// Start of the unread part of `buf`.
    start: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    eof: bool,
    format: Option<Format>,
    /// Things skipped over, for the caller to report.
    pub warnings: Vec<Warning>,
    /// Name of the format, once known.
    pub format_name: &'static str,
}

impl<R: Read> CaptureReader<R> {
    /// A reader of `src`; the format is found from its first bytes.
    pub fn new(src: R) -> Self {
        CaptureReader {
            src,
            buf: Vec::new(),
            start: 0,
            offset: 0,
            eof: false,
            format: None,
            warnings: Vec::new(),
            format_name: "capture",
        }
    }

    fn error(&self, what: impl Into<String>) -> CaptureError {
        CaptureError {
            offset: self.offset,
            what: what.into(),
        }
    }

    /// Reads more input into the buffer; false at end of input.
    fn fill(&mut self) -> Result<bool, CaptureError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let got = loop {
            match self.src.read(self.buf.get_mut(old..).unwrap_or_default()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(CaptureError {
                        offset: self.offset + (old - self.start) as u64,
                        what: format!("read error: {e}"),
                    });
                }
            }
        };
        self.buf.truncate(old + got);
        if got == 0 {
            self.eof = true;
        }
        Ok(got > 0)
    }

    fn unread(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn advance(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    /// Handles "need more bytes": reads more, or says why it cannot.
    fn more(&mut self, what: &str) -> Result<bool, CaptureError> {
        let have = self.unread().len();
        if have > MAX_RECORD {
            return Err(self.error(format!(
                "{what} is longer than {MAX_RECORD} bytes: the file is corrupt or not a capture"
            )));
        }
        if self.fill()? {
            return Ok(true);
        }
        if have == 0 {
            Ok(false)
        } else {
            Err(self.error(format!(
                "the file ends inside a {what}: {have} bytes of it are there (truncated capture)"
            )))
        }
    }

    fn detect(&mut self) -> Result<Option<()>, CaptureError> {
        while self.unread().len() < 4 {
            if !self.fill()? {
                return if self.unread().is_empty() {
                    Err(self.error("the input is empty: not a pcap or pcapng file"))
                } else {
                    Err(self.error("the input is too short to be a pcap or pcapng file"))
                };
            }
        }
        let magic = self
            .unread()
            .first_chunk::<4>()
            .map_or(0, |m| u32::from_be_bytes(*m));
        match magic {
            0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => loop {
                match PcapParser::new(self.unread()) {
                    Ok((rest, parser)) => {
                        let used = self.unread().len() - rest.len();
                        let header = parser.header();
                        let link = LinkType::from_datalink(header.datalink);
                        let nanos = header.ts_resolution == TsResolution::NanoSecond;
                        self.advance(used);
                        self.format = Some(Format::Pcap {
                            parser,
                            link,
                            nanos,
                        });
                        self.format_name = "pcap";
                        return Ok(Some(()));
                    }
                    Err(PcapError::IncompleteBuffer) => {
                        if !self.more("pcap file header")? {
                            return Ok(None);
                        }
                    }
                    Err(e) => return Err(self.error(format!("bad pcap file header: {e}"))),
                }
            },
            0x0a0d_0d0a => loop {
                match PcapNgParser::new(self.unread()) {
                    Ok((rest, parser)) => {
                        let used = self.unread().len() - rest.len();
                        self.advance(used);
                        self.format = Some(Format::PcapNg {
                            parser: Box::new(parser),
                        });
                        self.format_name = "pcapng";
                        return Ok(Some(()));
                    }
                    Err(PcapError::IncompleteBuffer) => {
                        if !self.more("pcapng section header block")? {
                            return Ok(None);
                        }
                    }
                    Err(e) => {
                        return Err(self.error(format!("bad pcapng section header block: {e}")));
                    }
                }
            },
            other => Err(self.error(format!(
                "not a pcap or pcapng file (it starts with 0x{other:08x})"
            ))),
        }
    }

    /// The next frame, `Ok(None)` at the end of the capture.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        if self.format.is_none() && self.detect()?.is_none() {
            return Ok(None);
        }
        loop {
            let offset = self.offset;
            let step = match &mut self.format {
                Some(Format::Pcap {
                    parser,
                    link,
                    nanos,
                }) => pcap_step(
                    parser,
                    *link,
                    *nanos,
                    self.buf.get(self.start..).unwrap_or_default(),
                ),
                Some(Format::PcapNg { parser }) => {
                    pcapng_step(parser, self.buf.get(self.start..).unwrap_or_default())
                }
                None => return Ok(None),
            };
            match step {
                Step::Frame { used, mut frame } => {
                    frame.offset = offset;
                    self.advance(used);
                    return Ok(Some(frame));
                }
                Step::Skip { used, warning } => {
                    if let Some(what) = warning {
                        self.warnings.push(Warning { offset, what });
                    }
                    self.advance(used);
                }
                Step::More(what) => {
                    if !self.more(what)? {
                        return Ok(None);
                    }
                }
                Step::Fail(what) => return Err(self.error(what)),
            }
        }
    }
}

enum Step {
    Frame {
        used: usize,
        frame: Frame,
    },
    Skip {
        used: usize,
        warning: Option<String>,
    },
    More(&'static str),
    Fail(String),
}

fn pcap_step(parser: &PcapParser, link: LinkType, nanos: bool, input: &[u8]) -> Step {
    match parser.next_raw_packet(input) {
        Ok((rest, raw)) => {
            let used = input.len() - rest.len();
            let frac = u64::from(raw.ts_frac) * if nanos { 1 } else { 1000 };
            let ts = Duration::from_secs(u64::from(raw.ts_sec)) + Duration::from_nanos(frac);
            let data = raw.data.into_owned();
            let orig_len = raw.orig_len.max(raw.incl_len);
            Step::Frame {
                used,
                frame: Frame {
                    ts,
                    link,
                    data,
                    orig_len,
                    offset: 0,
                },
            }
        }
        Err(PcapError::IncompleteBuffer) => Step::More("packet record"),
        Err(e) => Step::Fail(format!("bad packet record: {e}")),
    }
}

/// The timestamp unit of an interface, in nanoseconds per unit as a
/// fraction: (multiply, divide).
fn tsresol(interface: Option<&InterfaceDescriptionBlock<'_>>) -> (u128, u128) {
    let code = interface
        .and_then(|i| {
            i.options.iter().find_map(|o| match o {
                InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                _ => None,
            })
        })
        .unwrap_or(6);
    if code & 0x80 == 0 {
        let exp = u32::from(code);
        if exp <= 9 {
            (10u128.pow(9 - exp), 1)
        } else {
            (1, 10u128.checked_pow(exp - 9).unwrap_or(u128::MAX))
        }
    } else {
        let exp = u32::from(code & 0x7f);
        (1_000_000_000, 2u128.checked_pow(exp).unwrap_or(u128::MAX))
    }
}

/// A packet block's interface, raw timestamp units (none for a simple
/// packet), original length and data; `None` for any other block.
fn packet_fields(block: Block<'_>) -> Option<(u32, Option<u128>, u32, Vec<u8>)> {
    match block {
        Block::EnhancedPacket(p) => Some((
            p.interface_id,
            // pcap-file 2 stores the raw timestamp units as nanoseconds.
            Some(p.timestamp.as_nanos()),
            p.original_len,
            p.data.into_owned(),
        )),
        Block::SimplePacket(p) => Some((0, None, p.original_len, p.data.into_owned())),
        Block::Packet(p) => Some((
            u32::from(p.interface_id),
            Some(u128::from(p.timestamp)),
            p.original_len,
            p.data.into_owned(),
        )),
        _ => None,
    }
}

fn pcapng_step(parser: &mut PcapNgParser, input: &[u8]) -> Step {
    let raw = match parser.next_raw_block(input) {
        Ok((rest, raw)) => (input.len() - rest.len(), raw),
        Err(PcapError::IncompleteBuffer) => return Step::More("pcapng block"),
        Err(e) => return Step::Fail(format!("bad pcapng block: {e}")),
    };
    let (used, raw) = raw;
    let type_ = raw.type_;
    // Only packet blocks are read further (the parser has already taken
    // section and interface blocks in): the others are skipped unparsed,
    // which also keeps pcap-file's parsers of blocks this program does not
    // need (name resolution, statistics, ...) away from hostile input.
    if !matches!(
        type_,
        PACKET_BLOCK | SIMPLE_PACKET_BLOCK | ENHANCED_PACKET_BLOCK
    ) {
        return Step::Skip {
            used,
            warning: None,
        };
    }
    let block = match parser.section().endianness {
        Endianness::Big => raw.try_into_block::<byteorder_slice::BigEndian>(),
        Endianness::Little => raw.try_into_block::<byteorder_slice::LittleEndian>(),
    };
    let block = match block {
        Ok(block) => block,
        Err(e) => {
            return Step::Skip {
                used,
                warning: Some(format!(
                    "skipped a malformed pcapng block of type {type_}: {e}"
                )),
            };
        }
    };
    let Some((interface_id, units, orig_len, data)) = packet_fields(block) else {
        return Step::Skip {
            used,
            warning: None,
        };
    };
    let interface = parser
        .interfaces()
        .get(usize::try_from(interface_id).unwrap_or(usize::MAX));
    let Some(interface) = interface else {
        return Step::Skip {
            used,
            warning: Some(format!(
                "skipped a packet of interface {interface_id}, which no interface block described"
            )),
        };
    };
    let (mul, div) = tsresol(Some(interface));
    let nanos = units.map_or(0, |u| u.saturating_mul(mul) / div.max(1));
    let ts = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
    let orig_len = orig_len.max(u32::try_from(data.len()).unwrap_or(u32::MAX));
    Step::Frame {
        used,
        frame: Frame {
            ts,
            link: LinkType::from_datalink(interface.linktype),
            data,
            orig_len,
            offset: 0,
        },
    }
}
