//! From a captured frame to a TCP segment or a UDP datagram: the link
//! header, IPv4 or IPv6 and the transport header, parsed by `etherparse`
//! (its lax slicer, so that a packet cut short by the snap length still
//! gives what was captured, and says how much is missing).

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, LaxNetSlice, LaxSlicedPacket, LinuxSllHeaderSlice, LinuxSllProtocolType,
    TransportSlice,
};

use super::capture::LinkType;

/// A TCP segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first byte (or of the SYN).
    pub seq: u32,
    /// Acknowledgement number, when the ACK flag is set.
    pub ack: Option<u32>,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes that were on the wire but not captured (snap length).
    pub missing: u32,
}

/// A UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes that were on the wire but not captured.
    pub missing: u32,
}

/// What a frame holds, for this program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    /// TCP.
    Tcp(Segment<'a>),
    /// UDP.
    Udp(Datagram<'a>),
    /// Not TCP or UDP over IP, or not readable; the reason, for the
    /// summary (`"ARP"`, `"IP fragment"`, ...).
    Other(String),
}

/// Linux cooked capture v1 header length.
const SLL_LEN: usize = 16;
/// Linux cooked capture v2 header length.
const SLL2_LEN: usize = 20;

/// Parses one frame of link type `link`.
pub fn parse(link: LinkType, data: &[u8]) -> Packet<'_> {
    let sliced = match link {
        LinkType::Ethernet => match LaxSlicedPacket::from_ethernet(data) {
            Ok(p) => p,
            Err(e) => return Packet::Other(format!("bad Ethernet header: {e}")),
        },
        LinkType::LinuxSll => match LinuxSllHeaderSlice::from_slice(data) {
            Ok(sll) => match sll.protocol_type() {
                LinuxSllProtocolType::EtherType(ether_type) => {
                    let rest = data.get(sll.slice().len()..).unwrap_or_default();
                    LaxSlicedPacket::from_ether_type(ether_type, rest)
                }
                other => return Packet::Other(format!("Linux cooked protocol {other:?}")),
            },
            // etherparse refuses the ARPHRD_LOOPBACK device type that
            // `tcpdump -i any` writes for `lo`; there, as for Ethernet,
            // the last 2 of the 16 header bytes are the EtherType.
            Err(etherparse::err::linux_sll::HeaderSliceError::Content(_)) => {
                let (Some(proto), Some(rest)) = (
                    data.get(SLL_LEN - 2..SLL_LEN)
                        .and_then(|p| p.first_chunk::<2>()),
                    data.get(SLL_LEN..),
                ) else {
                    return Packet::Other("Linux cooked header cut short".into());
                };
                LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes(*proto)), rest)
            }
            Err(e) => return Packet::Other(format!("bad Linux cooked header: {e}")),
        },
        LinkType::LinuxSll2 => {
            // etherparse has no SLL2 slicer: the header is 20 bytes and
            // begins with the EtherType of what follows.
            let (Some(&[hi, lo]), Some(rest)) = (data.first_chunk::<2>(), data.get(SLL2_LEN..))
            else {
                return Packet::Other("Linux cooked v2 header cut short".into());
            };
            LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([hi, lo])), rest)
        }
        LinkType::RawIp => match LaxSlicedPacket::from_ip(data) {
            Ok(p) => p,
            Err(e) => return Packet::Other(format!("bad IP header: {e}")),
        },
        LinkType::Null => {
            // A 4-byte address family (AF_INET, or one of the AF_INET6
            // values of the BSDs), then the IP packet: the IP version
            // nibble says which.
            let Some(rest) = data.get(4..) else {
                return Packet::Other("BSD loopback header cut short".into());
            };
            match LaxSlicedPacket::from_ip(rest) {
                Ok(p) => p,
                Err(e) => return Packet::Other(format!("bad IP header: {e}")),
            }
        }
        LinkType::Other(n) => return Packet::Other(format!("unsupported link type {n}")),
    };
    from_sliced(&sliced)
}

fn from_sliced<'a>(p: &LaxSlicedPacket<'a>) -> Packet<'a> {
    let Some(net) = &p.net else {
        return Packet::Other(match &p.stop_err {
            Some((e, _)) => format!("no IP header: {e}"),
            None => "not IP".into(),
        });
    };
    let (src_ip, dst_ip, claimed): (IpAddr, IpAddr, Option<usize>) = match net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            let total = usize::from(h.total_len());
            let exts = v4.extensions().to_header().header_len();
            let claimed = total.checked_sub(h.slice().len() + exts);
            (h.source_addr().into(), h.destination_addr().into(), claimed)
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            let claimed =
                usize::from(h.payload_length()).checked_sub(v6.extensions().slice().len());
            (h.source_addr().into(), h.destination_addr().into(), claimed)
        }
        LaxNetSlice::Arp(_) => return Packet::Other("ARP".into()),
    };
    let Some(ip_payload) = net.ip_payload_ref() else {
        return Packet::Other("no IP payload".into());
    };
    if ip_payload.fragmented {
        return Packet::Other("IP fragment (not reassembled)".into());
    }
    // Bytes of the transport packet that were on the wire but are not in
    // the capture.
    let cut = if ip_payload.incomplete {
        claimed.map_or(0, |c| c.saturating_sub(ip_payload.payload.len()))
    } else {
        0
    };
    let missing = u32::try_from(cut).unwrap_or(u32::MAX);
    match &p.transport {
        Some(TransportSlice::Tcp(tcp)) => Packet::Tcp(Segment {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
            seq: tcp.sequence_number(),
            ack: tcp.ack().then(|| tcp.acknowledgment_number()),
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            payload: tcp.payload(),
            missing,
        }),
        Some(TransportSlice::Udp(udp)) => {
            // The UDP length field is the datagram's own claim.
            let claimed = usize::from(udp.length()).saturating_sub(8);
            let payload = udp.payload();
            let missing = if ip_payload.incomplete || payload.len() < claimed {
                u32::try_from(claimed.saturating_sub(payload.len())).unwrap_or(u32::MAX)
            } else {
                0
            };
            Packet::Udp(Datagram {
                src: SocketAddr::new(src_ip, udp.source_port()),
                dst: SocketAddr::new(dst_ip, udp.destination_port()),
                payload,
                missing,
            })
        }
        Some(_) => Packet::Other("ICMP or IGMP".into()),
        None => Packet::Other(match &p.stop_err {
            Some((e, _)) => format!("transport header not readable: {e}"),
            None => format!("IP protocol {}", ip_payload.ip_number.0),
        }),
    }
}
