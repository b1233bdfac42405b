//! The `dissect` example on captures built here (pcap-file's writers and
//! etherparse's `PacketBuilder`), one property each: every link type,
//! IPv6, reordered, duplicated and overlapping segments, gaps, a capture
//! that starts mid-stream, every protocol, a message split across many
//! segments, bad capture files; and on a real capture of the lab's
//! programs (`tests/data/lab.pcap`, made by `tests/data/make_lab_capture.sh`),
//! checked message by message.

mod common {
    pub mod examples;
    pub mod hex;
}

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::examples::{example, run_stdout_closed};
use common::hex::to_hex;
use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use serde_json::{Value, json};

const CLIENT: &str = "127.0.0.1:40000";
const SERVER: &str = "127.0.0.1:5005";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("an address")
}

/// TCP flags of a built segment.
#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    fin: bool,
    rst: bool,
    ack: Option<u32>,
}

const NONE: Flags = Flags {
    syn: false,
    fin: false,
    rst: false,
    ack: None,
};

/// One packet of a built capture: an IP packet (v4 or v6 by the
/// addresses), then how many of its bytes the capture keeps.
struct Pkt {
    ip: Vec<u8>,
    keep: Option<usize>,
}

fn tcp(src: &str, dst: &str, seq: u32, flags: Flags, payload: &[u8]) -> Pkt {
    let (src, dst) = (addr(src), addr(dst));
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        _ => panic!("mixed address families"),
    };
    let mut b = builder.tcp(src.port(), dst.port(), seq, 65535);
    if flags.syn {
        b = b.syn();
    }
    if flags.fin {
        b = b.fin();
    }
    if flags.rst {
        b = b.rst();
    }
    if let Some(ack) = flags.ack {
        b = b.ack(ack);
    }
    let mut ip = Vec::new();
    b.write(&mut ip, payload).expect("build a TCP packet");
    Pkt { ip, keep: None }
}

fn udp(src: &str, dst: &str, payload: &[u8]) -> Pkt {
    let (src, dst) = (addr(src), addr(dst));
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        _ => panic!("mixed address families"),
    };
    let mut ip = Vec::new();
    builder
        .udp(src.port(), dst.port())
        .write(&mut ip, payload)
        .expect("build a UDP packet");
    Pkt { ip, keep: None }
}

#[derive(Clone, Copy, Debug)]
enum Link {
    Ethernet,
    Sll,
    Sll2,
    Raw,
    Null,
}

/// The link header for an IP packet (`v6`: IPv6).
fn frame(link: Link, ip: &[u8]) -> Vec<u8> {
    let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
    let ether_type: u16 = if v6 { 0x86dd } else { 0x0800 };
    let mut f = Vec::new();
    match link {
        Link::Ethernet => {
            let eth = etherparse::Ethernet2Header {
                source: [0; 6],
                destination: [0; 6],
                ether_type: etherparse::EtherType(ether_type),
            };
            f.extend_from_slice(&eth.to_bytes());
        }
        Link::Sll => {
            // What `tcpdump -i any` (libpcap < 1.10) writes for `lo`:
            // packet type 0 (to us), ARPHRD_LOOPBACK, 6-byte address.
            f.extend_from_slice(&0u16.to_be_bytes());
            f.extend_from_slice(&772u16.to_be_bytes());
            f.extend_from_slice(&6u16.to_be_bytes());
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&ether_type.to_be_bytes());
        }
        Link::Sll2 => {
            f.extend_from_slice(&ether_type.to_be_bytes());
            f.extend_from_slice(&[0; 2]); // reserved
            f.extend_from_slice(&1u32.to_be_bytes()); // interface index
            f.extend_from_slice(&772u16.to_be_bytes());
            f.push(0); // packet type
            f.push(6); // address length
            f.extend_from_slice(&[0; 8]);
        }
        Link::Raw => {}
        Link::Null => {
            // AF_INET, or AF_INET6 as macOS numbers it, in host order.
            let family: u32 = if v6 { 30 } else { 2 };
            f.extend_from_slice(&family.to_le_bytes());
        }
    }
    f.extend_from_slice(ip);
    f
}

fn datalink(link: Link) -> DataLink {
    match link {
        Link::Ethernet => DataLink::ETHERNET,
        Link::Sll => DataLink::LINUX_SLL,
        Link::Sll2 => DataLink::LINUX_SLL2,
        Link::Raw => DataLink::RAW,
        Link::Null => DataLink::NULL,
    }
}

/// Packet `i` is captured at 1,700,000,000 s + `i` ms.
fn ts(i: usize) -> Duration {
    Duration::from_secs(1_700_000_000) + Duration::from_millis(i as u64)
}

fn pcap(link: Link, packets: &[Pkt]) -> Vec<u8> {
    let header = PcapHeader {
        datalink: datalink(link),
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).expect("pcap header");
    for (i, p) in packets.iter().enumerate() {
        let data = frame(link, &p.ip);
        let keep = p.keep.unwrap_or(data.len()).min(data.len());
        let orig = data.len() as u32;
        w.write_packet(&PcapPacket::new(ts(i), orig, &data[..keep]))
            .expect("pcap packet");
    }
    w.into_writer()
}

fn pcapng(link: Link, packets: &[Pkt]) -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).expect("pcapng section");
    let interface = InterfaceDescriptionBlock {
        linktype: datalink(link),
        snaplen: 0,
        // pcap-file writes nanoseconds: say so.
        options: vec![InterfaceDescriptionOption::IfTsResol(9)],
    };
    w.write_pcapng_block(interface).expect("interface block");
    for (i, p) in packets.iter().enumerate() {
        let data = frame(link, &p.ip);
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: ts(i),
            original_len: data.len() as u32,
            data: data.into(),
            options: vec![],
        };
        w.write_pcapng_block(block).expect("packet block");
    }
    w.into_inner()
}

/// Runs dissect on `capture` (given on standard input, `-`) with `args`;
/// returns whether it succeeded, stdout and stderr.
fn dissect(capture: &[u8], args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(example("dissect"))
        .arg("-")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dissect");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = capture.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("dissect output");
    writer.join().expect("stdin writer");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// The JSON objects dissect printed: the messages, then the summary.
fn json_run(capture: &[u8], args: &[&str]) -> (Vec<Value>, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (ok, out, err) = dissect(capture, &all);
    assert!(ok, "dissect failed: {err}\n{out}");
    let mut objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = objects.pop().expect("a summary object");
    assert_eq!(summary["summary"], json!(true), "{out}");
    (objects, summary)
}

/// A whole connection: handshake, then `client` and `server` payloads in
/// turn (one segment each), then both FINs.
fn conversation(client: &str, server: &str, turns: &[(&[u8], &[u8])]) -> Vec<Pkt> {
    let (mut c, mut s) = (1000u32, 9000u32);
    let mut p = vec![
        tcp(client, server, c, Flags { syn: true, ..NONE }, b""),
        tcp(
            server,
            client,
            s,
            Flags {
                syn: true,
                ack: Some(c + 1),
                ..NONE
            },
            b"",
        ),
    ];
    c += 1;
    s += 1;
    for (to_server, back) in turns {
        if !to_server.is_empty() {
            p.push(tcp(
                client,
                server,
                c,
                Flags {
                    ack: Some(s),
                    ..NONE
                },
                to_server,
            ));
            c += to_server.len() as u32;
        }
        if !back.is_empty() {
            p.push(tcp(
                server,
                client,
                s,
                Flags {
                    ack: Some(c),
                    ..NONE
                },
                back,
            ));
            s += back.len() as u32;
        }
    }
    p.push(tcp(
        client,
        server,
        c,
        Flags {
            fin: true,
            ack: Some(s),
            ..NONE
        },
        b"",
    ));
    p.push(tcp(
        server,
        client,
        s,
        Flags {
            fin: true,
            ack: Some(c + 1),
            ..NONE
        },
        b"",
    ));
    p
}

fn variable(order: u32, text: &str) -> Vec<u8> {
    let mut v = vec![1];
    v.extend_from_slice(&(text.len() as u32).to_be_bytes());
    v.extend_from_slice(&order.to_be_bytes());
    v.extend_from_slice(text.as_bytes());
    v
}

fn fixed(order: u32, text: &str) -> Vec<u8> {
    let mut field: Vec<u8> = format!("{text:-<20}").into_bytes();
    field.resize(20, 0);
    let mut v = vec![1];
    v.extend_from_slice(&order.to_be_bytes());
    v.extend_from_slice(&(text.chars().count() as u32).to_be_bytes());
    v.extend_from_slice(&field);
    v
}

fn app(header: &str, content: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(content);
    v
}

fn app_json(content: &str) -> Vec<u8> {
    let header = format!(
        r#"{{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": {}}}"#,
        content.len()
    );
    app(&header, content.as_bytes())
}

/// The (src, dst, text) of each variable/fixed/text message.
fn texts(messages: &[Value]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .map(|m| {
            (
                m["src"].as_str().unwrap_or_default().to_owned(),
                m["dst"].as_str().unwrap_or_default().to_owned(),
                m["text"].as_str().unwrap_or("<no text>").to_owned(),
            )
        })
        .collect()
}

fn hello_exchange(client: &str, server: &str) -> Vec<Pkt> {
    conversation(
        client,
        server,
        &[
            (&variable(1, "hello"), &variable(1, "hello")),
            (&variable(2, "ação 🐰"), &variable(2, "AÇÃO 🐰")),
        ],
    )
}

fn assert_hello_exchange(messages: &[Value], client: &str, server: &str) {
    let (c, s) = (client.to_owned(), server.to_owned());
    assert_eq!(
        texts(messages),
        [
            (c.clone(), s.clone(), "hello".to_owned()),
            (s.clone(), c.clone(), "hello".to_owned()),
            (c.clone(), s.clone(), "ação 🐰".to_owned()),
            (s, c, "AÇÃO 🐰".to_owned()),
        ]
    );
    for m in messages {
        assert_eq!(m["transport"], "tcp");
        assert_eq!(m["protocol"], "variable");
        assert_eq!(m["version"], 1);
        assert!(m["ts"].as_f64().is_some_and(|t| t > 1.7e9), "{m}");
    }
}

#[test]
fn every_link_type_over_pcap_and_pcapng() {
    for link in [Link::Ethernet, Link::Sll, Link::Sll2, Link::Raw, Link::Null] {
        let packets = hello_exchange(CLIENT, SERVER);
        for capture in [pcap(link, &packets), pcapng(link, &packets)] {
            let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
            assert_hello_exchange(&messages, CLIENT, SERVER);
            assert_eq!(summary["gaps"], json!([]), "{link:?}");
            assert_eq!(summary["messages"], json!({"variable": 4}), "{link:?}");
        }
    }
}

#[test]
fn ipv6_on_every_link_type_that_carries_it() {
    let (c, s) = ("[::1]:40000", "[::1]:5005");
    for link in [Link::Ethernet, Link::Sll, Link::Sll2, Link::Raw, Link::Null] {
        let (messages, _) = json_run(
            &pcap(link, &hello_exchange(c, s)),
            &["--port", "5005=variable"],
        );
        assert_hello_exchange(&messages, c, s);
    }
}

#[test]
fn pcapng_timestamps_follow_the_interface_resolution() {
    let (messages, _) = json_run(
        &pcapng(Link::Ethernet, &hello_exchange(CLIENT, SERVER)),
        &["--port", "5005=variable"],
    );
    // Packet 2 (the first data) is at 1,700,000,000.002 s.
    assert_eq!(messages[0]["ts"].as_f64(), Some(1_700_000_000.002));
}

/// Segments of `stream`, sent from CLIENT after a handshake, cut at `cuts`
/// and sent in `order` (indexes into the pieces; repeats are duplicates).
fn client_stream(stream: &[u8], pieces: &[(usize, usize)], fin: bool) -> Vec<Pkt> {
    let base = 1001u32;
    let mut p = vec![
        tcp(CLIENT, SERVER, base - 1, Flags { syn: true, ..NONE }, b""),
        tcp(
            SERVER,
            CLIENT,
            9000,
            Flags {
                syn: true,
                ack: Some(base),
                ..NONE
            },
            b"",
        ),
    ];
    for &(from, to) in pieces {
        p.push(tcp(
            CLIENT,
            SERVER,
            base + from as u32,
            NONE,
            &stream[from..to],
        ));
    }
    if fin {
        p.push(tcp(
            CLIENT,
            SERVER,
            base + stream.len() as u32,
            Flags { fin: true, ..NONE },
            b"",
        ));
    }
    p
}

#[test]
fn reordered_duplicated_and_overlapping_segments_give_each_byte_once() {
    let stream = b"hello world\nsecond line\r\nthird\n";
    // 0..5 late, 8..14 before 3..10 (overlap), 0..5 twice, a retransmission
    // of 10..20 that overlaps what came, then the rest.
    let pieces = [
        (8, 14),
        (3, 10),
        (0, 5),
        (0, 5),
        (14, 20),
        (10, 20),
        (20, stream.len()),
    ];
    let capture = pcap(Link::Ethernet, &client_stream(stream, &pieces, true));
    let (messages, summary) = json_run(&capture, &["--port", "5005=line"]);
    let lines: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["hello world", "second line", "third"]);
    assert_eq!(summary["gaps"], json!([]));
    assert_eq!(summary["errors"], 0);
}

#[test]
fn a_message_split_across_many_segments_is_one_message() {
    let request = app_json(r#"{"action": "search", "value": "morpheus ação 🐰"}"#);
    // Pieces of 1 to 7 bytes.
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut n = 1;
    while at < request.len() {
        let to = (at + n).min(request.len());
        pieces.push((at, to));
        at = to;
        n = n % 7 + 1;
    }
    assert!(pieces.len() > 40);
    let capture = pcap(Link::Raw, &client_stream(&request, &pieces, true));
    let (messages, _) = json_run(&capture, &["--port", "5005=app"]);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(
        m["header"],
        json!({"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": request.len() - 2 - 103})
    );
    assert_eq!(
        m["content"],
        json!({"action": "search", "value": "morpheus ação 🐰"})
    );
}

#[test]
fn a_gap_is_reported_and_the_decoder_resynchronises_without_the_missing_bytes() {
    let stream: Vec<u8> = [fixed(1, "one"), fixed(2, "two"), fixed(3, "three")].concat();
    // The second packet's segment is not in the capture.
    let pieces = [(0, 29), (58, 87)];
    let capture = pcap(Link::Ethernet, &client_stream(&stream, &pieces, true));
    let (messages, summary) = json_run(&capture, &["--port", "5005=fixed"]);
    let orders: Vec<u64> = messages
        .iter()
        .map(|m| m["order"].as_u64().unwrap())
        .collect();
    assert_eq!(orders, [1, 3], "{messages:?}");
    assert_eq!(summary["errors"], 0, "never fed bytes that were not there");
    let gaps = summary["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["bytes"], 29);
    assert_eq!(gaps[0]["src"], CLIENT);

    // Human output says so, in words.
    let (ok, out, _) = dissect(&capture, &["--port", "5005=fixed"]);
    assert!(ok);
    assert!(out.contains("gap: 29 bytes not in the capture"), "{out}");
    assert!(
        out.contains("resynchronised at a segment that starts like a message"),
        "{out}"
    );
}

#[test]
fn a_gap_inside_a_message_drops_it_and_the_next_whole_one_decodes() {
    let stream: Vec<u8> = [
        variable(1, "first"),
        variable(2, "second message"),
        variable(3, "third"),
    ]
    .concat();
    let second = 14..14 + 23;
    // The middle of the second packet is lost; it started in one segment
    // and ended in another.
    let pieces = [(0, 14), (14, 20), (30, 37), (37, stream.len())];
    assert_eq!(second.end, 37);
    let capture = pcap(Link::Ethernet, &client_stream(&stream, &pieces, true));
    let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
    let got: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["first", "third"]);
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["gaps"][0]["bytes"], 10);
}

#[test]
fn a_capture_that_starts_mid_stream_finds_the_next_message() {
    let stream: Vec<u8> = [
        variable(1, "lost start"),
        variable(2, "b"),
        variable(3, "c"),
    ]
    .concat();
    // No handshake; the first segment captured is the tail of packet 1.
    let base = 5_000u32;
    let packets = vec![
        tcp(CLIENT, SERVER, base + 12, NONE, &stream[12..19]),
        tcp(CLIENT, SERVER, base + 19, NONE, &stream[19..29]),
        tcp(CLIENT, SERVER, base + 29, NONE, &stream[29..]),
    ];
    assert_eq!(&stream[19..20], &[1]);
    let capture = pcap(Link::Raw, &packets);
    let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
    let got: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["b", "c"]);
    assert_eq!(summary["errors"], 0);
    let (_, out, _) = dissect(&capture, &["--port", "5005=variable"]);
    assert!(
        out.contains("the capture starts inside this stream"),
        "{out}"
    );
    assert!(out.contains("7 bytes skipped"), "{out}");
}

#[test]
fn line_streams_resynchronise_after_the_next_lf() {
    let stream = b"first\nsec-ond\nthird\n";
    // Bytes 8..10 are lost: "sec-ond" is damaged and skipped.
    let capture = pcap(
        Link::Raw,
        &client_stream(stream, &[(0, 8), (10, stream.len())], true),
    );
    let (messages, summary) = json_run(&capture, &["--port", "5005=line"]);
    let got: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["first", "third"]);
    assert_eq!(summary["gaps"][0]["bytes"], 2);
}

#[test]
fn bytes_cut_by_the_snap_length_are_a_gap() {
    let stream: Vec<u8> = [
        variable(1, "kept"),
        variable(2, "a longer text that the snap length cuts"),
    ]
    .concat();
    let mut packets = client_stream(&stream, &[(0, 13), (13, stream.len())], true);
    // Keep 14 (Ethernet) + 20 (IP) + 20 (TCP) + 10 bytes of the second segment.
    packets[3].keep = Some(14 + 20 + 20 + 10);
    let capture = pcap(Link::Ethernet, &packets);
    let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
    assert_eq!(texts(&messages).len(), 1);
    assert_eq!(summary["packets_cut"], 1);
    assert_eq!(summary["gaps"][0]["reason"], "cut by the snap length");
    assert_eq!(summary["gaps"][0]["bytes"], (stream.len() - 13 - 10) as u64);
}

#[test]
fn out_of_order_memory_is_bounded_and_what_passes_it_is_reported() {
    let stream: Vec<u8> = (1..=20).flat_map(|i| variable(i, "0123456789")).collect();
    // The first packet never comes; the rest wait behind the hole.
    let pieces: Vec<(usize, usize)> = (1..20).map(|i| (i * 19, (i + 1) * 19)).collect();
    let capture = pcap(Link::Raw, &client_stream(&stream, &pieces, false));
    let (messages, summary) = json_run(
        &capture,
        &["--port", "5005=variable", "--max-out-of-order", "200"],
    );
    assert_eq!(summary["gaps"][0]["reason"], "out-of-order limit reached");
    assert_eq!(summary["gaps"][0]["bytes"], 19);
    assert_eq!(
        messages.len(),
        19,
        "all but the first, resynchronised at once"
    );
}

#[test]
fn an_ack_past_a_hole_gives_it_up_at_once() {
    let stream: Vec<u8> = [variable(1, "a"), variable(2, "b"), variable(3, "c")].concat();
    let mut packets = client_stream(&stream, &[(0, 10), (20, 30)], false);
    // The server acknowledges everything: the hole was received, not captured.
    packets.push(tcp(
        SERVER,
        CLIENT,
        9001,
        Flags {
            ack: Some(1001 + 30),
            ..NONE
        },
        b"",
    ));
    packets.push(tcp(
        CLIENT,
        SERVER,
        1001 + 30,
        Flags { fin: true, ..NONE },
        b"",
    ));
    let (ok, out, _) = dissect(&pcap(Link::Raw, &packets), &["--port", "5005=variable"]);
    assert!(ok);
    let gap = out
        .lines()
        .position(|l| l.contains("gap: 10 bytes"))
        .expect("a gap line");
    let fin = out
        .lines()
        .position(|l| l.contains("close (FIN)"))
        .expect("a FIN line");
    assert!(gap < fin, "{out}");
}

#[test]
fn every_protocol_with_its_json_keys() {
    // §2 text stream, §3 line, §4 fixed, §5 variable, §6 app on TCP.
    let mut packets = conversation(
        "127.0.0.1:40001",
        "127.0.0.1:5001",
        &[(b"Hello, world", b"HELLO, WORLD")],
    );
    packets.extend(conversation(
        "127.0.0.1:40002",
        "127.0.0.1:5002",
        &[(b"hi\r\n", b"")],
    ));
    packets.extend(conversation(
        "127.0.0.1:40003",
        "127.0.0.1:5003",
        &[(&fixed(7, "a long text of 25 chars.."), b"")],
    ));
    packets.extend(conversation(
        "127.0.0.1:40004",
        "127.0.0.1:5004",
        &[(&variable(9, "var"), b"")],
    ));
    let binary = app(
        r#"{"byteorder": "big", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": 4, "x-extra": [1]}"#,
        b"\x00\xffab",
    );
    packets.extend(conversation(
        "127.0.0.1:40005",
        "127.0.0.1:5006",
        &[(&binary, &app_json(r#"{"result": "ok"}"#))],
    ));
    // §1 text datagram, §7 room chat on UDP.
    packets.push(udp(
        "127.0.0.1:40006",
        "127.0.0.1:5007",
        "  ação  ".as_bytes(),
    ));
    packets.push(udp(
        "127.0.0.1:40007",
        "127.0.0.1:5008",
        b"4 ms hello  everyone ",
    ));
    packets.push(udp("127.0.0.1:5008", "127.0.0.1:40007", b"4 ok"));
    packets.push(udp(
        "127.0.0.1:5008",
        "127.0.0.1:40007",
        b"n1 ms lobby bob hi there",
    ));
    packets.push(udp("127.0.0.1:5008", "127.0.0.1:40007", b"5 ul alice bob"));
    packets.push(udp("127.0.0.1:40007", "127.0.0.1:5008", b"x garbage"));
    let args = [
        "--port",
        "5001=text",
        "--port",
        "5002=line",
        "--port",
        "5003=fixed",
        "--port",
        "5004=variable",
        "--port",
        "5006=app",
        "--port",
        "5007=text",
        "--port",
        "5008=room",
    ];
    let (messages, summary) = json_run(&pcap(Link::Ethernet, &packets), &args);
    let strip = |m: &Value| {
        let mut m = m.as_object().unwrap().clone();
        for k in ["ts", "src", "dst"] {
            assert!(m.remove(k).is_some(), "{k} in every object");
        }
        Value::Object(m)
    };
    let got: Vec<Value> = messages.iter().map(strip).collect();
    let expected = [
        json!({"transport": "tcp", "protocol": "text", "text": "Hello, world"}),
        json!({"transport": "tcp", "protocol": "text", "text": "HELLO, WORLD"}),
        json!({"transport": "tcp", "protocol": "line", "text": "hi"}),
        json!({"transport": "tcp", "protocol": "fixed", "version": 1, "order": 7, "size": 25, "text": "a long text of 25 ch"}),
        json!({"transport": "tcp", "protocol": "variable", "version": 1, "order": 9, "size": 3, "text": "var"}),
        json!({"transport": "tcp", "protocol": "app",
               "header": {"byteorder": "big", "content-type": "binary/custom-client-binary-type",
                          "content-encoding": "binary", "content-length": 4, "x-extra": [1]},
               "content_hex": "00ff6162"}),
        json!({"transport": "tcp", "protocol": "app",
               "header": {"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 16},
               "content": {"result": "ok"}}),
        json!({"transport": "udp", "protocol": "text", "text": "  ação  "}),
        json!({"transport": "udp", "protocol": "room", "tag": "4", "op": "ms", "args": ["hello  everyone "]}),
        json!({"transport": "udp", "protocol": "room", "tag": "4", "op": "ok", "args": []}),
        json!({"transport": "udp", "protocol": "room", "tag": "n1", "op": "ms", "args": ["lobby", "bob", "hi there"]}),
        json!({"transport": "udp", "protocol": "room", "tag": "5", "op": "ul", "args": ["alice", "bob"]}),
        json!({"transport": "udp", "protocol": "room", "error": "the tag \"x\" is not a decimal u32"}),
    ];
    assert_eq!(got, expected);
    assert_eq!(summary["errors"], 1);
    assert_eq!(
        summary["messages"],
        json!({"text": 3, "line": 1, "fixed": 1, "variable": 1, "app": 2, "room": 4})
    );
    // The header keeps the wire's key order.
    let (_, out, _) = dissect(
        &pcap(Link::Ethernet, &packets),
        &["--json", "--port", "5006=app"],
    );
    assert!(out.contains(r#""header":{"byteorder":"big","content-type":"binary/custom-client-binary-type","content-encoding":"binary","content-length":4,"x-extra":[1]}"#), "{out}");
}

#[test]
fn decode_errors_are_reported_per_message_and_recoverable_ones_go_on() {
    // An oversized variable packet (recoverable: skipped), then a good one.
    let mut big = vec![1];
    big.extend_from_slice(&(2u32 << 20).to_be_bytes());
    big.extend_from_slice(&1u32.to_be_bytes());
    let stream: Vec<u8> = [big, vec![b'x'; 2 << 20], variable(2, "after")].concat();
    let pieces: Vec<(usize, usize)> = (0..stream.len())
        .step_by(60_000)
        .map(|a| (a, (a + 60_000).min(stream.len())))
        .collect();
    let capture = pcap(Link::Raw, &client_stream(&stream, &pieces, true));
    let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0]["error"],
        "frame of 2097152 bytes exceeds the limit of 1048576 bytes"
    );
    assert_eq!(messages[1]["text"], "after");
    assert_eq!(summary["errors"], 1);
}

#[test]
fn hex_dumps_name_the_fields() {
    let capture = pcap(Link::Ethernet, &hello_exchange(CLIENT, SERVER));
    let (ok, out, _) = dissect(&capture, &["--port", "5005=variable", "--hex"]);
    assert!(ok);
    assert!(
        out.contains("0001  00 00 00 05                                      size     5 bytes"),
        "{out}"
    );
    assert!(out.contains("payload  \"hello\""), "{out}");
}

#[test]
fn undecoded_flows_are_listed_with_a_hint_and_flow_filters() {
    let mut packets = hello_exchange(CLIENT, SERVER);
    packets.extend(hello_exchange("127.0.0.1:40010", "127.0.0.1:6000"));
    packets.push(udp("127.0.0.1:40011", "127.0.0.1:7000", b"whatever"));
    let capture = pcap(Link::Ethernet, &packets);
    let (ok, out, _) = dissect(&capture, &["--port", "5005=variable"]);
    assert!(ok);
    assert!(out.contains("undecoded flows: 2"), "{out}");
    assert!(
        out.contains(
            "TCP 127.0.0.1:40010 → 127.0.0.1:6000  8 packets, 68 bytes: add --port 6000=PROTOCOL"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "UDP 127.0.0.1:40011 → 127.0.0.1:7000  1 packet, 8 bytes: add --port 7000=PROTOCOL"
        ),
        "{out}"
    );

    let (messages, summary) = json_run(
        &capture,
        &[
            "--port",
            "5005=variable",
            "--port",
            "6000=variable",
            "--flow",
            "127.0.0.1:6000",
        ],
    );
    assert_eq!(messages.len(), 4);
    assert!(
        messages
            .iter()
            .all(|m| m["src"] == "127.0.0.1:6000" || m["dst"] == "127.0.0.1:6000")
    );
    assert_eq!(summary["flows"].as_array().unwrap().len(), 1);
}

#[test]
fn connections_reset_and_ports_reused() {
    let mut packets = conversation(CLIENT, SERVER, &[(&variable(1, "one"), b"")]);
    // Same ports, a new connection, reset after a partial packet.
    packets.push(tcp(
        CLIENT,
        SERVER,
        77_000,
        Flags { syn: true, ..NONE },
        b"",
    ));
    packets.push(tcp(
        SERVER,
        CLIENT,
        88_000,
        Flags {
            syn: true,
            ack: Some(77_001),
            ..NONE
        },
        b"",
    ));
    packets.push(tcp(CLIENT, SERVER, 77_001, NONE, &variable(1, "two")));
    packets.push(tcp(CLIENT, SERVER, 77_013, NONE, &variable(2, "cut")[..5]));
    packets.push(tcp(
        SERVER,
        CLIENT,
        88_001,
        Flags { rst: true, ..NONE },
        b"",
    ));
    let capture = pcap(Link::Ethernet, &packets);
    let (messages, summary) = json_run(&capture, &["--port", "5005=variable"]);
    let got: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["one", "two"]);
    assert_eq!(summary["flows"].as_array().unwrap().len(), 2);
    let (_, out, _) = dissect(&capture, &["--port", "5005=variable"]);
    assert!(out.contains("reset (RST)"), "{out}");
    assert!(
        out.contains("5 bytes of an unfinished message dropped"),
        "{out}"
    );
}

#[test]
fn a_stream_that_ends_inside_a_message_says_so() {
    let stream = variable(1, "whole");
    let cut = [stream.clone(), variable(2, "never finished")[..6].to_vec()].concat();
    let capture = pcap(Link::Raw, &client_stream(&cut, &[(0, cut.len())], true));
    let (messages, _) = json_run(&capture, &["--port", "5005=variable"]);
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1]["error"],
        "stream ended inside a message (6 bytes of it were received)"
    );
}

#[test]
fn bad_capture_files_name_the_offset_and_never_panic() {
    // Not a capture at all.
    let (ok, _, err) = dissect(b"GET / HTTP/1.1\r\n\r\n", &[]);
    assert!(!ok);
    assert!(
        err.contains("at byte offset 0 (0x0): not a pcap or pcapng file"),
        "{err}"
    );
    // Empty.
    let (ok, _, err) = dissect(b"", &[]);
    assert!(!ok && err.contains("empty"), "{err}");
    // Truncated inside the fourth record: the first three are decoded.
    let whole = pcap(Link::Ethernet, &hello_exchange(CLIENT, SERVER));
    let offsets = record_offsets(&whole);
    let cut = &whole[..offsets[3] + 20];
    let (ok, out, err) = dissect(cut, &["--port", "5005=variable"]);
    assert!(!ok);
    assert!(
        err.contains(&format!("at byte offset {}", offsets[3]))
            && err.contains("truncated capture"),
        "{err}"
    );
    assert!(err.contains("decoded the 3 packets before it"), "{err}");
    assert!(out.contains("#1 v1 size=5 \"hello\""), "{out}");
    assert!(out.contains("capture error: at byte offset"), "{out}");
    // Garbage after a good header, and every cut of a small capture.
    for end in (0..whole.len()).step_by(3) {
        let (_, _, err) = dissect(&whole[..end], &["--port", "5005=variable"]);
        assert!(!err.contains("panicked"), "cut at {end}: {err}");
    }
    let mut bad = whole.clone();
    bad[offsets[2] + 8..offsets[2] + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    let (ok, _, err) = dissect(&bad, &["--port", "5005=variable"]);
    assert!(!ok);
    assert!(
        err.contains(&format!("at byte offset {}", offsets[2])),
        "{err}"
    );
}

/// Where each packet record of a pcap file written here (big-endian, as
/// pcap-file's default header says) starts.
fn record_offsets(pcap: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= pcap.len() {
        out.push(at);
        let len = u32::from_be_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
    }
    out
}

#[test]
fn a_capture_file_by_path_and_help() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lab.pcap");
    let out = Command::new(example("dissect"))
        .arg(&path)
        .output()
        .expect("run dissect");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("undecoded flows: 10"), "{text}");
    assert!(text.contains("add --port 5105=PROTOCOL"), "{text}");
    let help = Command::new(example("dissect"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port <PORT=PROTOCOL>"));
}

/// The real capture: every message of the lab's programs, in order.
#[test]
fn the_real_lab_capture_decodes_message_by_message() {
    let capture =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lab.pcap"))
            .expect("tests/data/lab.pcap");
    let args = [
        "--port",
        "5105=variable",
        "--port",
        "5106=app",
        "--port",
        "5107=room",
        "--port",
        "5108=fixed",
        "--port",
        "5109=text",
        "--port",
        "5110=line",
        "--port",
        "5111=text",
    ];
    let (messages, summary) = json_run(&capture, &args);
    // Each message: which server port, whether it went to the server, and
    // its fields (ts, ports and addresses aside).
    let shown: Vec<(u64, bool, Value)> = messages
        .iter()
        .map(|m| {
            let src: SocketAddr = m["src"].as_str().unwrap().parse().unwrap();
            let dst: SocketAddr = m["dst"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                (src.ip().to_string(), dst.ip().to_string()),
                ("127.0.0.1".into(), "127.0.0.1".into())
            );
            let to_server = (5105..=5111).contains(&dst.port());
            let port = if to_server { dst.port() } else { src.port() };
            let mut m = m.as_object().unwrap().clone();
            for k in ["ts", "src", "dst", "transport"] {
                m.remove(k);
            }
            (u64::from(port), to_server, Value::Object(m))
        })
        .collect();
    let var = |order: u32, text: &str| json!({"protocol": "variable", "version": 1, "order": order, "size": text.len(), "text": text});
    let fix = |order: u32, size: u32, text: &str| json!({"protocol": "fixed", "version": 1, "order": order, "size": size, "text": text});
    let json_header = |len: u64| json!({"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": len});
    let text = |t: &str| json!({"protocol": "text", "text": t});
    let line = |t: &str| json!({"protocol": "line", "text": t});
    let room = |tag: &str, op: &str, args: &[&str]| json!({"protocol": "room", "tag": tag, "op": op, "args": args});
    let both = 2 * "Message 1 from client.".len();
    assert_eq!(both, 44);
    let multi = "Message 1 from client.Message 2 from client.";
    let expected: Vec<(u64, bool, Value)> = vec![
        // Python peer_client.py: three variable packets, each echoed.
        (5105, true, var(1, "hi")),
        (5105, false, var(1, "hi")),
        (5105, true, var(2, "ação 🐰")),
        (5105, false, var(2, "ação 🐰")),
        (5105, true, var(3, "a text longer than twenty characters")),
        (5105, false, var(3, "a text longer than twenty characters")),
        // app_client search morpheus.
        (
            5106,
            true,
            json!({"protocol": "app", "header": json_header(41), "content": {"action": "search", "value": "morpheus"}}),
        ),
        (
            5106,
            false,
            json!({"protocol": "app", "header": json_header(43), "content": {"result": "Follow the white rabbit. 🐰"}}),
        ),
        // app_client.py: search ring (json), then double 0123456789 (binary).
        (
            5106,
            true,
            json!({"protocol": "app", "header": json_header(37), "content": {"action": "search", "value": "ring"}}),
        ),
        (
            5106,
            true,
            json!({"protocol": "app",
            "header": {"byteorder": "little", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": 16},
            "content_hex": "646f75626c6530313233343536373839"}),
        ),
        (
            5106,
            false,
            json!({"protocol": "app", "header": json_header(60), "content": {"result": "In the caves beneath the Misty Mountains. 💍"}}),
        ),
        (
            5106,
            false,
            json!({"protocol": "app",
            "header": {"byteorder": "little", "content-type": "binary/custom-server-binary-type", "content-encoding": "binary", "content-length": 37},
            "content_hex": format!("{}{}", to_hex(b"First 10 bytes of request: "), to_hex(b"double0123"))}),
        ),
        // tcp_client --protocol fixed, echoed.
        (5108, true, fix(1, 2, "hi")),
        (5108, false, fix(1, 2, "hi")),
        (5108, true, fix(2, 6, "ação 🐰")),
        (5108, false, fix(2, 6, "ação 🐰")),
        (5108, true, fix(3, 26, "abcdefghijklmnopqrst")),
        (5108, false, fix(3, 26, "abcdefghijklmnopqrst")),
        // udp_client to udp_server --reply upper.
        (5109, true, text("hello")),
        (5109, false, text("HELLO")),
        (5109, true, text("  ação, mundo  ")),
        (5109, false, text("AÇÃO, MUNDO")),
        // multiconn_client, two connections, each echoed.
        (5111, true, text(multi)),
        (5111, true, text(multi)),
        (5111, false, text(multi)),
        (5111, false, text(multi)),
        // tcp_chat peer to peer.
        (5110, true, line("hello")),
        (5110, false, line("hi there")),
        // udp_chat: alice and bob; notifications are tagged n<seq> and
        // acknowledged with `n<seq> ak`.
        (5107, true, room("1", "hi", &["alice"])),
        (5107, false, room("1", "ok", &[])),
        (5107, true, room("1", "hi", &["bob"])),
        (5107, false, room("1", "ok", &[])),
        (5107, true, room("2", "rc", &["lobby"])),
        (5107, false, room("2", "ok", &[])),
        (5107, true, room("2", "rj", &["lobby"])),
        (5107, false, room("n1", "jn", &["lobby", "bob"])),
        (5107, true, room("n1", "ak", &[])),
        (5107, false, room("2", "ok", &[])),
        (5107, true, room("3", "ms", &["hello bob"])),
        (
            5107,
            false,
            room("n1", "ms", &["lobby", "alice", "hello bob"]),
        ),
        (5107, true, room("n1", "ak", &[])),
        (5107, false, room("3", "ok", &[])),
        (5107, true, room("4", "by", &[])),
        (5107, false, room("n2", "lv", &["lobby", "alice"])),
        (5107, true, room("n2", "ak", &[])),
        (5107, true, room("3", "by", &[])),
        (5107, false, room("4", "ok", &[])),
        (5107, false, room("3", "ok", &[])),
    ];
    assert_eq!(shown.len(), expected.len(), "{shown:#?}");
    for (i, (got, want)) in shown.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "message {i}");
    }
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["gaps"], json!([]));
    assert_eq!(summary["undecoded"], json!([]));
    assert_eq!(summary["flows"].as_array().unwrap().len(), 10);
}

#[test]
fn an_unrecoverable_error_stops_the_decoder_until_a_message_start() {
    // A §6 request whose JSON has no action (the server would close the
    // connection), then a whole valid request in the next segment.
    let bad = app_json(r#"{"x": 1}"#);
    let good = app_json(r#"{"action": "search", "value": "ring"}"#);
    let stream = [bad.clone(), good].concat();
    let capture = pcap(
        Link::Raw,
        &client_stream(&stream, &[(0, bad.len()), (bad.len(), stream.len())], true),
    );
    let (messages, summary) = json_run(&capture, &["--port", "5005=app"]);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(
        messages[0]["error"],
        "invalid application content: content lacks the required key \"action\""
    );
    assert_eq!(
        messages[1]["content"],
        json!({"action": "search", "value": "ring"})
    );
    assert_eq!(summary["errors"], 1);
    let (_, out, _) = dissect(&capture, &["--port", "5005=app"]);
    assert!(
        out.contains("the error is unrecoverable: finding the next message start"),
        "{out}"
    );
}

/// A real capture with a snap length of 100 bytes: the long message is cut
/// in both directions (a gap each), the rest decodes around it.
#[test]
fn the_real_snap_length_capture_reports_the_cut_message_as_gaps() {
    let capture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/snaplen.pcap"),
    )
    .expect("tests/data/snaplen.pcap");
    let (messages, summary) = json_run(&capture, &["--port", "5125=variable"]);
    let got: Vec<(u64, &str, bool)> = messages
        .iter()
        .map(|m| {
            let to_server = m["dst"].as_str().unwrap().ends_with(":5125");
            (
                m["order"].as_u64().unwrap(),
                m["text"].as_str().unwrap(),
                to_server,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "hello", true),
            (1, "hello", false),
            (3, "bye", true),
            (3, "bye", false)
        ]
    );
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["packets_cut"], 2);
    let gaps = summary["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 2);
    for gap in gaps {
        // 9 + 90 bytes on the wire, 34 captured after the 66 bytes of headers.
        assert_eq!(gap["bytes"], 65);
        assert_eq!(gap["reason"], "cut by the snap length");
    }
}

#[test]
fn stdout_closed_early_ends_dissect_quietly_with_success() {
    // As `tcpdump -w - | dissect - | head`: the reader of the output has
    // gone and the capture has not ended (stdin stays open), so only the
    // failed write can stop it.
    let capture = pcap(Link::Ethernet, &hello_exchange(CLIENT, SERVER));
    let mut cmd = Command::new(example("dissect"));
    cmd.args(["-", "--port", "5005=variable"]);
    let (status, stderr) = run_stdout_closed(cmd, &capture);
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?} (None: still running), stderr: {stderr}"
    );
    assert_eq!(stderr, "", "nothing on stderr");
}
