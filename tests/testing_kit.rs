//! The kit itself (`sockwire::testing`): its checks catch broken decoders
//! and say where; every strategy gives valid messages; the network is
//! deterministic and lossy as told; the stream harness meets backpressure
//! and timeouts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use sockwire::builtin::{Protocol, ReplyPolicy};
use sockwire::conn::{ConnectionConfig, Event, Timeout};
use sockwire::room::lab::{LabAnswer, LabChat, LabRequest};
use sockwire::room::{ClientBound, ClientConfig, Name, RoomClient, RoomServer, ServerBound};
use sockwire::testing::{
    Chunking, Faults, Network, Splits, StreamHarness, check_borrow_decoder,
    check_datagram_round_trip, check_decoder, prop_datagram_round_trip, prop_round_trip, strategy,
};
use sockwire::{
    Decoder, FixedPacket, FixedPacketCodec, LineCodec, Text, TextDatagramCodec, Truncated,
    VariablePacketCodec,
};

// ------------------------------------------------------------ broken decoders

/// Wrong: takes whatever one read gave as one line.
#[derive(Debug)]
struct OneReadOneMessage;

impl Decoder for OneReadOneMessage {
    type Item = String;
    type Error = Truncated;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, Truncated> {
        if src.is_empty() {
            return Ok(None);
        }
        let all = src.split();
        let text = String::from_utf8_lossy(&all);
        Ok(Some(text.trim_end_matches('\n').to_owned()))
    }
}

#[test]
fn a_decoder_that_assumes_whole_reads_fails_and_the_report_names_the_split() {
    let err = check_decoder(|| OneReadOneMessage, b"hi\n", &["hi".to_owned()]).unwrap_err();
    assert_eq!(err.chunking(), Some(&Chunking::At(vec![1])));
    let report = err.to_string();
    assert!(
        report.starts_with("when the wire is split at 1 (0x0001) (reads 0..1, 1..3):\n"),
        "{report}"
    );
    assert!(
        report.contains(r#"event 0 differs: expected Ok("hi"), got Ok("h")"#),
        "{report}"
    );
    assert!(
        report.contains("wire, 3 bytes:\n0000  68 69 0a"),
        "{report}"
    );
    // whole reads alone would not have caught it
    let whole = Splits::default().with_max_gap(0).with_random(0);
    assert!(whole.chunkings(3).contains(&Chunking::Whole));
}

/// Wrong: a fixed-packet codec that forgets the bytes of a packet cut
/// across reads once it has seen 10 of them.
#[derive(Debug, Default)]
struct ForgetsAtTen(FixedPacketCodec);

impl Decoder for ForgetsAtTen {
    type Item = FixedPacket;
    type Error = sockwire::DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<FixedPacket>, Self::Error> {
        if src.len() == 10 {
            src.advance(1);
        }
        self.0.decode(src)
    }
}

#[test]
fn a_report_names_the_fields_of_the_crates_own_codecs() {
    let packet = FixedPacket::new(1, "hi");
    let wire = packet.to_bytes();
    // the crate's own codec passes, and a report would name its fields
    check_decoder(FixedPacketCodec::new, &wire, &[packet]).unwrap();
    let err = Splits::default()
        .with_fields(Some(sockwire::dump::fixed_fields))
        .check(ForgetsAtTen::default, &wire, &[packet])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("when the wire is split at 10 (0x000a)"),
        "{err}"
    );
    assert!(err.contains("0001  00 00 00 01"), "{err}");
    assert!(err.contains("order    1"), "{err}");
}

/// Wrong: loses an unterminated last line at the end of the stream.
#[derive(Debug, Default)]
struct DropsLastLine(LineCodec);

impl Decoder for DropsLastLine {
    type Item = Text;
    type Error = sockwire::DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Text>, Self::Error> {
        self.0.decode(src)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Text>, Self::Error> {
        let item = self.0.decode(src)?;
        src.clear();
        Ok(item)
    }
}

#[test]
fn decode_eof_must_agree() {
    let lines = [Text::from("a"), Text::from("b")];
    check_decoder(LineCodec::new, b"a\nb", &lines).unwrap();
    let err = check_decoder(DropsLastLine::default, b"a\nb", &lines).unwrap_err();
    assert_eq!(err.chunking(), Some(&Chunking::Whole));
    assert!(err.to_string().contains("event 1 missing"), "{err}");
}

#[test]
fn the_borrowed_path_must_agree_with_the_owned_one() {
    let lines = [Text::from("ab"), Text::from("ç")];
    let wire = "ab\r\nç\n".as_bytes();
    check_borrow_decoder(LineCodec::new, wire, &lines, |s: &str| Text::from(s)).unwrap();
    let shouting = |s: &str| Text::from(s.to_uppercase());
    let err = check_borrow_decoder(LineCodec::new, wire, &lines, shouting).unwrap_err();
    assert!(err.to_string().contains("borrowed path"), "{err}");
}

#[test]
fn errors_are_events_too() {
    let decoded = Splits::default()
        .events(|| LineCodec::with_max_len(2), b"ok\ntoo long\nok")
        .unwrap();
    assert_eq!(decoded.events.len(), 3);
    assert_eq!(
        decoded.events[1],
        Err(sockwire::DecodeError::LineTooLong { max: 2 })
    );
    // the limit holds in every chunking: at most the line and a CR
    assert!(decoded.max_held <= 3, "{decoded:?}");
}

// ------------------------------------------------------------ strategies

#[test]
fn stream_strategies_round_trip_at_every_split() {
    prop_round_trip(LineCodec::new, strategy::line(200)).unwrap();
    prop_round_trip(|| LineCodec::with_max_len(12), strategy::line(12)).unwrap();
    prop_round_trip(FixedPacketCodec::new, strategy::fixed_packet()).unwrap();
    prop_round_trip(FixedPacketCodec::new, strategy::fixed_packet_any()).unwrap();
    prop_round_trip(
        || VariablePacketCodec::with_max_len(300),
        strategy::variable_packet(300),
    )
    .unwrap();
}

#[test]
fn datagram_strategies_round_trip() {
    prop_datagram_round_trip(TextDatagramCodec::new, strategy::text(1000)).unwrap();
    let max = || TextDatagramCodec::with_max_len(7);
    prop_datagram_round_trip(max, strategy::text(7)).unwrap();
    let too_long = check_datagram_round_trip(max, &[Text::from("12345678")]).unwrap_err();
    assert!(
        too_long.to_string().starts_with("item 0 cannot be encoded"),
        "{too_long}"
    );
}

#[test]
fn texts_reach_their_edges() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut lens = std::collections::BTreeSet::new();
    let mut multibyte_at_end = false;
    for _ in 0..400 {
        let text = strategy::text(20).new_tree(&mut runner).unwrap().current();
        assert!(text.len() <= 20);
        multibyte_at_end |=
            text.len() == 20 && text.chars().last().is_some_and(|c| c.len_utf8() > 1);
        lens.insert(text.len());
    }
    assert!(lens.contains(&0) && lens.contains(&20), "{lens:?}");
    assert!(multibyte_at_end);
}

#[test]
fn room_datagrams_reach_their_limit() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut server_bound, mut client_bound, mut chat) = (0, 0, 0);
    for _ in 0..300 {
        let sb = strategy::room::server_bound()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        server_bound += usize::from(sb.to_bytes().unwrap().len() == ServerBound::MAX_LEN);
        let cb = strategy::room::client_bound()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        client_bound += usize::from(cb.to_bytes().unwrap().len() == ClientBound::MAX_LEN);
        let c = strategy::room::lab_chat()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        chat += usize::from(c.to_bytes().unwrap().len() == LabRequest::MAX_LEN);
    }
    assert!(
        server_bound > 0 && client_bound > 0 && chat > 0,
        "{server_bound} {client_bound} {chat}"
    );
}

#[cfg(feature = "json")]
#[test]
fn app_strategies_round_trip_at_every_split() {
    use sockwire::Encoder;
    use sockwire::app::{AppCodec, ClientCodec, ServerCodec};
    use sockwire::testing::prop_check;
    prop_round_trip(AppCodec::new, strategy::app_message()).unwrap();
    let quick = Splits::quick();
    prop_check(&strategy::app_request(), |request| {
        let mut wire = BytesMut::new();
        ClientCodec::new().encode(&request, &mut wire).unwrap();
        quick.check(ServerCodec::new, &wire, &[request])
    })
    .unwrap();
    prop_check(&strategy::app_response(), |response| {
        let mut wire = BytesMut::new();
        ServerCodec::new().encode(&response, &mut wire).unwrap();
        quick.check(ClientCodec::new, &wire, &[response])
    })
    .unwrap();
}

proptest! {
    #[test]
    fn room_strategies_parse_back(
        server_bound in strategy::room::server_bound(),
        client_bound in strategy::room::client_bound(),
    ) {
        let wire = server_bound.to_bytes().unwrap();
        prop_assert!(wire.len() <= ServerBound::MAX_LEN);
        prop_assert_eq!(ServerBound::parse(&wire).unwrap(), server_bound);
        let wire = client_bound.to_bytes().unwrap();
        prop_assert_eq!(ClientBound::parse(&wire).unwrap(), client_bound);
    }

    #[test]
    fn lab_strategies_parse_back(
        request in strategy::room::lab_request(),
        answer in strategy::room::lab_answer(),
        chat in strategy::room::lab_chat(),
    ) {
        prop_assert_eq!(LabRequest::parse(&request.to_bytes()).unwrap(), request);
        prop_assert_eq!(LabAnswer::parse(&answer.to_bytes()).unwrap(), answer);
        let wire = chat.to_bytes().unwrap();
        prop_assert!(wire.len() <= LabRequest::MAX_LEN);
        prop_assert_eq!(LabChat::parse(&wire).unwrap(), chat);
    }
}

// ------------------------------------------------------------ the network

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 4000))
}

/// A server and three clients on a network with `faults` and `seed`,
/// run for 30 s of fake time: the users the server has, and the traffic.
fn room(faults: Faults, seed: u64) -> (Vec<String>, sockwire::testing::Traffic) {
    let start = Instant::now();
    let mut net = Network::new(start, faults, seed);
    net.add(addr(1), RoomServer::default());
    for (i, name) in ["ann", "bob", "cy"].into_iter().enumerate() {
        let name = Name::new(name).unwrap();
        let client = RoomClient::new(start, addr(1), name, ClientConfig::default());
        net.add(addr(i as u8 + 2), client);
    }
    net.run_for(Duration::from_secs(30)).unwrap();
    let server: &RoomServer = net.machine(addr(1)).unwrap();
    let users = server.users().map(|n| n.to_string()).collect();
    assert!(!net.take_events::<RoomClient>(addr(2)).is_empty());
    (users, net.traffic())
}

#[test]
fn the_network_is_lossy_as_told_and_the_same_seed_runs_the_same() {
    let lossy = || {
        Faults::default()
            .with_drop(0.3)
            .with_duplicate(0.2)
            .with_reorder(0.2)
            .with_delay(Duration::from_millis(1), Duration::from_millis(80))
    };
    let (users, traffic) = room(lossy(), 42);
    assert_eq!(users, ["ann", "bob", "cy"]);
    assert!(traffic.dropped > 0 && traffic.duplicated > 0, "{traffic:?}");
    assert_eq!(room(lossy(), 42), (users.clone(), traffic));
    assert_ne!(room(lossy(), 43).1, traffic);
    let (_, clean) = room(Faults::default(), 42);
    assert_eq!((clean.dropped, clean.duplicated), (0, 0));
}

#[test]
fn a_perfect_network_settles() {
    let start = Instant::now();
    let mut net = Network::new(start, Faults::default(), 1);
    net.add(addr(1), RoomServer::default());
    let alice = RoomClient::new(
        start,
        addr(1),
        Name::new("alice").unwrap(),
        ClientConfig::default(),
    );
    net.add(addr(2), alice);
    let steps = net.run_until_idle().unwrap();
    assert!(steps > 0);
    assert_eq!(net.in_flight(), 0);
    let server: &RoomServer = net.machine(addr(1)).unwrap();
    assert_eq!(server.users().count(), 1);
    assert!(net.machine::<RoomServer>(addr(2)).is_none(), "not a server");
}

#[test]
fn the_lab_machines_plug_in_the_same_way() {
    use sockwire::room::lab::{LabClient, LabClientEvent, LabServer};
    let start = Instant::now();
    let mut net = Network::new(start, Faults::default(), 3);
    net.add(addr(1), LabServer::default());
    for (i, name) in [(2, "alice"), (3, "bob")] {
        let client = LabClient::new(addr(1), Name::new(name).unwrap(), Default::default());
        net.add(addr(i), client);
    }
    let lines = [
        (2, "$roomcreate lobby"),
        (2, "$roomjoin lobby"),
        (3, "$roomjoin lobby"),
        (2, "hello bob"),
    ];
    net.run_until_idle().unwrap();
    for (i, line) in lines {
        let now = net.now();
        let client: &mut LabClient = net.machine_mut(addr(i)).unwrap();
        client.handle_line(now, line).unwrap();
        net.run_until_idle().unwrap();
    }
    let heard: Vec<String> = net
        .take_events::<LabClient>(addr(3))
        .into_iter()
        .filter(|e| matches!(e, LabClientEvent::Chat { .. }))
        .map(|e| e.to_string())
        .collect();
    assert_eq!(heard, ["alice> hello bob"]);
}

/// A machine of the user's own: sends `1` to `n` to its peer, each again
/// every second until the peer echoes it.
struct Pinger {
    peer: SocketAddr,
    unanswered: std::collections::BTreeSet<u8>,
    due: Option<Instant>,
    out: Vec<u8>,
}

impl sockwire::DatagramMachine for Pinger {
    type Event = u8;
    fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, datagram: &[u8]) {
        for n in datagram {
            self.unanswered.remove(n);
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.out.extend(&self.unanswered);
        self.due = (!self.unanswered.is_empty()).then(|| now + Duration::from_secs(1));
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.due
    }
    fn poll_transmit(&mut self) -> Option<sockwire::Transmit> {
        let n = self.out.pop()?;
        Some(sockwire::Transmit {
            destination: self.peer,
            payload: vec![n].into(),
        })
    }
    fn poll_event(&mut self) -> Option<u8> {
        None
    }
}

/// Echoes every datagram to its sender.
#[derive(Default)]
struct Echo(Vec<sockwire::Transmit>);

impl sockwire::DatagramMachine for Echo {
    type Event = ();
    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, datagram: &[u8]) {
        let payload = bytes::Bytes::copy_from_slice(datagram);
        self.0.push(sockwire::Transmit {
            destination: from,
            payload,
        });
    }
    fn poll_transmit(&mut self) -> Option<sockwire::Transmit> {
        self.0.pop()
    }
    fn poll_event(&mut self) -> Option<()> {
        None
    }
}

#[test]
fn a_users_own_machine_gets_through_a_lossy_network_on_its_timer() {
    let start = Instant::now();
    let faults = Faults::default().with_drop(0.5).with_duplicate(0.3);
    let mut net = Network::new(start, faults, 9);
    let pinger = Pinger {
        peer: addr(2),
        unanswered: (1..=20).collect(),
        due: Some(start),
        out: Vec::new(),
    };
    net.add(addr(1), pinger);
    net.add(addr(2), Echo::default());
    net.run_for(Duration::from_secs(60)).unwrap();
    let pinger: &Pinger = net.machine(addr(1)).unwrap();
    assert!(pinger.unanswered.is_empty(), "{:?}", pinger.unanswered);
    assert_eq!(pinger.due, None, "the timer stops once all are answered");
    let traffic = net.traffic();
    assert!(traffic.sent > 40 && traffic.dropped > 0, "{traffic:?}");
}

// ------------------------------------------------------------ the stream harness

#[test]
fn a_slow_reader_meets_backpressure_and_still_gets_every_reply() {
    let config = || {
        let mut config = ConnectionConfig::default();
        config.high_water_mark = 8;
        config
    };
    let input = b"one\ntwo\nthree\nfour\n".repeat(4);
    let slow = StreamHarness::default()
        .with_reads(vec![5, 1, 9])
        .with_write_per_turn(2);
    let run = slow.run(
        Instant::now(),
        Protocol::Line.service(ReplyPolicy::Echo),
        config(),
        &input,
    );
    assert!(run.closed, "{run:?}");
    assert_eq!(run.output, input);
    assert!(run.backpressured_turns > 0, "{run:?}");
    assert!(run.max_pending <= 8 + 9, "{run:?}");
    slow.check(
        Instant::now(),
        || Protocol::Line.service(ReplyPolicy::Echo),
        config(),
        &input,
        &input,
    )
    .unwrap();
}

#[test]
fn a_reader_that_stops_reading_times_out() {
    let mut config = ConnectionConfig::default();
    config.idle_timeout = Some(Duration::from_secs(5));
    let stalled = StreamHarness::default()
        .with_write_per_turn(0)
        .with_eof(false)
        .with_turn(Duration::from_secs(1));
    let service = Protocol::Line.service(ReplyPolicy::Echo);
    let run = stalled.run(Instant::now(), service, config, b"hi\n");
    assert!(run.closed);
    assert!(run.output.is_empty());
    assert!(matches!(
        run.events.last(),
        Some(Event::TimedOut(Timeout::Idle { .. }))
    ));
    assert!(run.elapsed >= Duration::from_secs(5));
}

#[test]
fn a_check_that_fails_names_the_chunking() {
    let err = StreamHarness::default()
        .check(
            Instant::now(),
            || Protocol::Line.service(ReplyPolicy::Upper),
            ConnectionConfig::default(),
            b"hi\n",
            b"hi\n",
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the service, its input read whole, closed:"),
        "{err}"
    );
}
