//! The sans-IO connection layer: every split of the input, events, partial
//! output, the high-water mark, errors, the UDP handler and the client.

mod common {
    pub mod conn;
}

use common::conn::t0;
use proptest::prelude::*;
use sockwire::builtin::{
    BuiltinService, Client, DatagramService, Message, Protocol, ReplyPolicy as Reply,
};
use sockwire::conn::{Connection, ConnectionConfig, Event};
use sockwire::{DecodeError, FixedPacket, VariablePacket};

type Ev = Event<BuiltinService>;

/// A server connection for `protocol` and `reply`, with `config`.
fn serve(protocol: Protocol, reply: Reply, config: ConnectionConfig) -> Connection<BuiltinService> {
    Connection::new(t0(), protocol.service(reply), config)
}

/// A server connection for `protocol` and `reply`, default config.
fn conn(protocol: Protocol, reply: Reply) -> Connection<BuiltinService> {
    serve(protocol, reply, ConnectionConfig::default())
}

const REPLIES: [Reply; 3] = [Reply::None, Reply::Echo, Reply::Upper];

const STREAM_PROTOCOLS: [Protocol; 4] = [
    Protocol::Text,
    Protocol::Line,
    Protocol::Fixed,
    Protocol::Variable,
];

/// Wire bytes of three messages of `protocol`.
fn three_messages(protocol: Protocol) -> Vec<u8> {
    ["hello", "ação 🐰", "Message 2 from client."]
        .iter()
        .enumerate()
        .flat_map(|(i, t)| protocol.encode(i as u32 + 1, t).unwrap().to_vec())
        .collect()
}

/// Feeds `chunks` then EOF; returns the received messages, the output
/// (consumed as it comes) and the other events.
fn run<'a>(
    mut conn: Connection<BuiltinService>,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Message>, Vec<u8>, Vec<Ev>) {
    let (mut messages, mut output, mut other) = (Vec::new(), Vec::new(), Vec::new());
    let mut drain = |conn: &mut Connection<BuiltinService>| {
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Received(m) => messages.push(m),
                e => other.push(e),
            }
        }
        output.extend_from_slice(conn.pending_output());
        let n = conn.pending_output().len();
        conn.consume_output(t0(), n);
    };
    for chunk in chunks {
        assert!(conn.wants_read());
        conn.handle_input(t0(), chunk);
        drain(&mut conn);
    }
    conn.handle_eof(t0());
    drain(&mut conn);
    assert!(conn.is_closed());
    (messages, output, other)
}

/// The texts of messages, joined (text stream messages follow the reads).
fn joined(messages: &[Message]) -> String {
    messages
        .iter()
        .map(|m| match m {
            Message::Text(t) | Message::Line(t) => t.to_string(),
            Message::Fixed(p) => format!("[{}:{}]", p.order(), p.text()),
            Message::Variable(p) => format!("[{}:{}]", p.order(), p.text().unwrap()),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn echo_is_byte_exact_at_every_split() {
    for protocol in STREAM_PROTOCOLS {
        let wire = three_messages(protocol);
        let (whole, out, other) = run(conn(protocol, Reply::Echo), [&wire[..]]);
        assert_eq!(out, wire, "{protocol}");
        assert_eq!(other, [Event::PeerClosed]);
        for cut in 0..=wire.len() {
            let (a, b) = wire.split_at(cut);
            let (messages, out, other) = run(conn(protocol, Reply::Echo), [a, b]);
            assert_eq!(out, wire, "{protocol} cut at {cut}");
            assert_eq!(joined(&messages), joined(&whole), "{protocol} cut at {cut}");
            assert_eq!(other, [Event::PeerClosed]);
            if protocol != Protocol::Text {
                assert_eq!(messages, whole, "{protocol} cut at {cut}");
            }
        }
        let (messages, out, _) = run(conn(protocol, Reply::Echo), wire.chunks(1));
        assert_eq!(out, wire, "{protocol} byte by byte");
        assert_eq!(joined(&messages), joined(&whole));
    }
}

#[test]
fn text_stream_holds_a_split_character() {
    let mut conn = conn(Protocol::Text, Reply::Echo);
    conn.handle_input(t0(), b"\xf0\x9f");
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.buffered_input(), 2);
    conn.handle_input(t0(), b"\x90\xb0!");
    assert_eq!(
        conn.poll_event(),
        Some(Event::Received(Message::Text("🐰!".into())))
    );
    assert_eq!(conn.pending_output(), "🐰!".as_bytes());
}

#[test]
fn upper_replies() {
    let (_, out, _) = run(conn(Protocol::Text, Reply::Upper), [&b"Hello, world"[..]]);
    assert_eq!(out, b"HELLO, WORLD", "12 bytes, nothing stripped");
    let (_, out, _) = run(conn(Protocol::Text, Reply::Upper), [&b" x\n"[..]]);
    assert_eq!(out, b" X\n");
    let (_, out, _) = run(conn(Protocol::Line, Reply::Upper), [&b"hi\r\nyo\n"[..]]);
    assert_eq!(out, b"HI\nYO\n");
    let (_, out, _) = run(
        conn(Protocol::Fixed, Reply::Upper),
        [&FixedPacket::new(4, "straße").with_version(3).to_bytes()[..]],
    );
    assert_eq!(
        out,
        FixedPacket::new(4, "STRASSE").with_version(3).to_bytes()
    );
    // truncated: the declared size is kept
    let long = FixedPacket::new(5, "abcdefghijklmnopqrstuvwxyz");
    let (_, out, _) = run(conn(Protocol::Fixed, Reply::Upper), [&long.to_bytes()[..]]);
    let back = FixedPacket::from_bytes(out.first_chunk().unwrap());
    assert_eq!(
        (back.order(), back.size(), back.text()),
        (5, 26, "ABCDEFGHIJKLMNOPQRST")
    );
    assert!(back.is_truncated());
    let wire = Protocol::Variable.encode(9, "hello").unwrap();
    let (_, out, _) = run(conn(Protocol::Variable, Reply::Upper), [&wire[..]]);
    assert_eq!(out, b"\x01\x00\x00\x00\x05\x00\x00\x00\x09HELLO");
    // not UTF-8: ASCII letters upper-cased, other bytes kept
    let mut raw = bytes::BytesMut::new();
    sockwire::Encoder::encode(
        &mut sockwire::VariablePacketCodec::new(),
        VariablePacket::from_payload(1, &b"a\xffb"[..]),
        &mut raw,
    )
    .unwrap();
    let (_, out, _) = run(conn(Protocol::Variable, Reply::Upper), [&raw[..]]);
    assert_eq!(&out[9..], b"A\xffB");
}

#[test]
fn reply_none_logs_only() {
    for protocol in STREAM_PROTOCOLS {
        let wire = three_messages(protocol);
        let (messages, out, _) = run(conn(protocol, Reply::None), [&wire[..]]);
        assert!(out.is_empty());
        assert!(!messages.is_empty());
    }
}

#[test]
fn error_closes_after_queued_output() {
    let mut wire = Protocol::Variable.encode(1, "ok").unwrap().to_vec();
    wire.extend_from_slice(b"\x01\x00\x20\x00\x00\x00\x00\x00\x02"); // 2 MiB
    wire.extend_from_slice(&Protocol::Variable.encode(3, "never").unwrap());
    let mut conn = conn(Protocol::Variable, Reply::Echo);
    conn.handle_input(t0(), &wire);
    assert!(matches!(conn.poll_event(), Some(Event::Received(_))));
    let error = conn.poll_event().unwrap();
    assert_eq!(
        error,
        Event::PeerError {
            error: DecodeError::FrameTooLarge {
                size: 2 << 20,
                max: 1 << 20
            },
            closes: true
        }
    );
    assert_eq!(
        error.to_string(),
        "error: frame of 2097152 bytes exceeds the limit of 1048576 bytes (closing the connection)"
    );
    assert_eq!(conn.poll_event(), None, "nothing after the error");
    assert!(!conn.wants_read());
    assert!(!conn.is_closed(), "the echo of #1 is still to be written");
    assert_eq!(conn.pending_output(), &wire[..11]);
    conn.consume_output(t0(), 11);
    assert!(conn.is_closed());
    conn.handle_input(t0(), b"more");
    conn.handle_eof(t0());
    assert_eq!(conn.poll_event(), None, "ignored once closed");
}

#[test]
fn recoverable_errors_can_keep_the_connection() {
    let mut wire = b"\x01\x00\x00\x00\x05\x00\x00\x00\x02abcde".to_vec();
    wire.extend_from_slice(&Protocol::Variable.encode(3, "next").unwrap());
    let service = sockwire::conn::CodecService::new(
        sockwire::VariablePacketCodec::with_max_len(4),
        Message::Variable,
        |m: &Message, dst: &mut bytes::BytesMut| Reply::Echo.write(m, dst),
    );
    let recover = || ConnectionConfig::default().with_recover_from_errors(true);
    let conn = Connection::new(t0(), Box::new(service) as BuiltinService, recover());
    let (messages, out, other) = run(conn, [&wire[..]]);
    assert_eq!(joined(&messages), "[3:next]");
    assert_eq!(out, &wire[14..]);
    assert!(matches!(
        other[0],
        Event::PeerError {
            error: DecodeError::FrameTooLarge { size: 5, max: 4 },
            closes: false
        }
    ));
    assert_eq!(other[1], Event::PeerClosed);

    let mut conn = serve(Protocol::Text, Reply::Echo, recover());
    conn.handle_input(t0(), b"a\xffb");
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(conn.wants_read());
    assert_eq!(conn.pending_output(), b"ab");
}

#[test]
fn invalid_utf8_closes_by_default() {
    let mut conn = conn(Protocol::Text, Reply::Echo);
    conn.handle_input(t0(), b"ok\xff rest");
    assert_eq!(
        conn.poll_event(),
        Some(Event::Received(Message::Text("ok".into())))
    );
    assert_eq!(
        conn.poll_event().unwrap().to_string(),
        "error: invalid UTF-8 at byte offset 2 (closing the connection)"
    );
    assert_eq!(conn.pending_output(), b"ok");
}

#[test]
fn eof_inside_a_message_is_one_error() {
    for protocol in [Protocol::Fixed, Protocol::Variable, Protocol::Text] {
        let wire = protocol.encode(1, "ação 🐰").unwrap();
        let cut = wire.len() - 1;
        let mut conn = conn(protocol, Reply::Echo);
        conn.handle_input(t0(), &wire[..cut]);
        let _ = std::iter::from_fn(|| conn.poll_event()).count();
        let n = conn.pending_output().len();
        conn.consume_output(t0(), n);
        conn.handle_eof(t0());
        let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
        assert_eq!(events.len(), 1, "{protocol}: {events:?}");
        assert!(
            matches!(
                &events[0],
                Event::PeerError {
                    error: DecodeError::UnexpectedEof { .. },
                    closes: true
                }
            ),
            "{protocol}: {events:?}"
        );
        assert!(conn.is_closed());
    }
}

#[test]
fn partial_output_consumption() {
    let mut conn = conn(Protocol::Fixed, Reply::Echo);
    let a = FixedPacket::new(1, "a").to_bytes();
    let b = FixedPacket::new(2, "b").to_bytes();
    conn.handle_input(t0(), &a);
    conn.consume_output(t0(), 10);
    assert_eq!(conn.pending_output(), &a[10..]);
    conn.handle_input(t0(), &b);
    let mut expect = a[10..].to_vec();
    expect.extend_from_slice(&b);
    assert_eq!(conn.pending_output(), &expect[..]);
    conn.consume_output(t0(), 1000); // capped
    assert!(!conn.wants_write());
}

#[test]
fn high_water_mark_stops_reading_until_output_drains() {
    let mut conn = serve(
        Protocol::Fixed,
        Reply::Echo,
        ConnectionConfig::default().with_high_water_mark(40),
    );
    conn.handle_input(t0(), &FixedPacket::new(1, "a").to_bytes());
    assert!(conn.wants_read(), "29 <= 40");
    conn.handle_input(t0(), &FixedPacket::new(2, "b").to_bytes());
    assert!(!conn.wants_read(), "58 > 40");
    assert!(conn.wants_write());
    conn.consume_output(t0(), 17);
    assert!(!conn.wants_read(), "41 > 40");
    conn.consume_output(t0(), 1);
    assert!(conn.wants_read(), "40 <= 40");
}

#[test]
fn datagram_service_in_each_mode() {
    let peer = "127.0.0.1:5005".parse().unwrap();
    let mut none = DatagramService::new(Reply::None);
    let h = none.handle_datagram(b" hi\n");
    assert_eq!(h.reply, None);
    assert_eq!(h.log_line(peer), "Message from 127.0.0.1:5005 ->  hi\n");
    let mut echo = DatagramService::new(Reply::Echo);
    assert_eq!(
        echo.handle_datagram(b" hi\n").reply.as_deref(),
        Some(&b" hi\n"[..])
    );
    assert_eq!(echo.handle_datagram(b"").reply.as_deref(), Some(&b""[..]));
    let mut upper = DatagramService::new(Reply::Upper);
    assert_eq!(
        upper.handle_datagram(b" x y\r\n").reply.as_deref(),
        Some(&b"X Y"[..])
    );
    let bad = upper.handle_datagram(b"a\xffb");
    assert_eq!(bad.reply, None);
    assert_eq!(
        bad.log_line(peer),
        "Dropped datagram from 127.0.0.1:5005: invalid UTF-8 at byte offset 1"
    );
    assert_eq!(
        upper.handle_datagram(b"still fine").reply.as_deref(),
        Some(&b"STILL FINE"[..])
    );
}

/// What the client sends for `text`, as the socket would take it.
fn send(client: &mut Client, text: &str) -> Vec<u8> {
    client.send_message(text).unwrap();
    let wire = client.pending_output().to_vec();
    client.consume_output(wire.len());
    wire
}

#[test]
fn client_numbers_packets_and_waits_for_replies() {
    let mut client = Client::new(Protocol::Variable);
    let one = send(&mut client, "a");
    let two = send(&mut client, "b");
    assert_eq!(&one[5..9], &[0, 0, 0, 1]);
    assert_eq!(&two[5..9], &[0, 0, 0, 2]);
    client.handle_input(&one);
    assert!(client.awaiting_reply());
    client.handle_input(&two[..3]);
    assert!(client.awaiting_reply());
    client.handle_input(&two[3..]);
    assert!(!client.awaiting_reply());
    assert_eq!(
        client.poll_event().unwrap().to_string(),
        r#"variable packet #1 v1 size=1 "a""#
    );

    let mut text = Client::new(Protocol::Text);
    let wire = send(&mut text, "Message 1 from client.");
    assert_eq!(wire.len(), 22);
    text.handle_input(&wire[..21]);
    assert!(text.awaiting_reply());
    text.handle_input(&wire[21..]);
    assert!(!text.awaiting_reply());
    text.handle_eof();
    assert!(text.is_closed());
}

#[test]
fn client_keeps_what_the_socket_did_not_take() {
    let mut client = Client::new(Protocol::Line);
    client.send_message("one").unwrap();
    client.send_message("two").unwrap();
    assert_eq!(client.pending_output(), b"one\ntwo\n");
    client.consume_output(2);
    assert_eq!(client.pending_output(), b"e\ntwo\n");
    // a line with an LF cannot be sent: nothing is added, no order used
    assert!(client.send_message("a\nb").is_err());
    assert_eq!(client.pending_output(), b"e\ntwo\n");
    // closed by the server, but not finished while output is left
    client.handle_eof();
    assert_eq!(client.poll_event(), Some(Event::PeerClosed));
    assert!(!client.is_closed());
    client.consume_output(usize::MAX);
    assert!(client.pending_output().is_empty());
    assert!(client.is_closed());
}

#[test]
fn client_holds_at_most_max_events_and_decodes_the_rest_as_they_are_polled() {
    let n = Client::MAX_EVENTS + 5;
    let mut client = Client::new(Protocol::Line);
    let mut echoes = Vec::new();
    for i in 0..n {
        echoes.extend(send(&mut client, &i.to_string()));
    }
    client.handle_input(&echoes);
    client.handle_eof();
    // the replies past the bound wait, undecoded, so one is still expected
    assert!(client.awaiting_reply());
    for i in 0..n {
        match client.poll_event() {
            Some(Event::Received(Message::Line(line))) => assert_eq!(line, i.to_string().as_str()),
            other => panic!("reply {i}: {other:?}"),
        }
    }
    assert!(!client.awaiting_reply());
    assert_eq!(client.poll_event(), Some(Event::PeerClosed));
    assert_eq!(client.poll_event(), None);
    assert!(client.is_closed());
}

#[test]
fn room_is_named_and_dissected_but_has_no_stream_form() {
    let room: Protocol = "room".parse().unwrap();
    assert_eq!(
        (room, room.to_string()),
        (Protocol::Room, "room".to_owned())
    );
    assert!(!Protocol::ALL.contains(&room) && Protocol::EVERY.contains(&room));
    let names: Vec<_> = Protocol::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(Protocol::NAMES, names);
    assert_eq!(Protocol::EVERY.len(), Protocol::ALL.len() + 1);
    for &p in Protocol::EVERY {
        assert_eq!(p.name().parse(), Ok(p));
        assert_eq!(p.on_stream(), p != Protocol::Room, "{p}");
        assert_eq!(
            p.on_datagram(),
            matches!(p, Protocol::Text | Protocol::Room),
            "{p}"
        );
    }
    let fields = room.dump_fields(b"3 rc lobby");
    assert_eq!(fields.len(), 3);
    assert!(room.encode(1, "hi").is_err());
    // a stream of §7 is refused byte for byte, and nothing is answered
    let mut c = conn(room, Reply::Echo);
    c.handle_input(t0(), b"1 hello bob");
    assert!(matches!(
        c.poll_event(),
        Some(Event::PeerError {
            error: DecodeError::FrameTooLarge { size: 11, max: 0 },
            ..
        })
    ));
    assert!(c.pending_output().is_empty());
}

#[test]
fn names_parse_and_print() {
    for &p in Protocol::ALL {
        assert_eq!(p.name().parse(), Ok(p));
    }
    for r in REPLIES {
        assert_eq!(r.to_string().parse(), Ok(r));
    }
    assert_eq!(
        "app".parse::<Reply>().unwrap_err().to_string(),
        r#"unknown reply "app" (expected one of: none, echo, upper, prefix)"#
    );
}

proptest! {
    #[test]
    fn any_input_any_split_never_panics(
        data in proptest::collection::vec(any::<u8>(), 0..200),
        cut in any::<prop::sample::Index>(),
        p in 0..4usize,
        r in 0..3usize,
    ) {
        let protocol = STREAM_PROTOCOLS[p];
        let reply = REPLIES[r].clone();
        let cut = cut.index(data.len() + 1);
        let mut conn = serve(protocol, reply, ConnectionConfig::default().with_high_water_mark(16));
        conn.handle_input(t0(), &data[..cut]);
        conn.handle_input(t0(), &data[cut..]);
        conn.handle_eof(t0());
        let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
        prop_assert!(!events.is_empty());
        let closes = events.iter().filter(|e| matches!(e, Event::PeerClosed) || e.closes()).count();
        prop_assert_eq!(closes, 1, "{:?}", events);
        let n = conn.pending_output().len();
        conn.consume_output(t0(), n);
        prop_assert!(conn.is_closed());
    }
}

#[cfg(feature = "json")]
#[test]
fn app_protocol_answers_from_the_search_table_at_every_split() {
    use sockwire::app::{AppRequest, AppResponse, ClientCodec};
    let mut wire = bytes::BytesMut::new();
    for r in [
        AppRequest::new("search", "morpheus"),
        AppRequest::new("double", "0123456789abc"),
    ] {
        sockwire::Encoder::encode(&mut ClientCodec::new(), r, &mut wire).unwrap();
    }
    let (whole, replies, other) = run(conn(Protocol::App, Reply::Upper), [&wire[..]]);
    assert_eq!(other, [Event::PeerClosed]);
    assert_eq!(whole.len(), 2);
    assert_eq!(whole[0].to_string(), r#"app request search "morpheus""#);
    for cut in 0..=wire.len() {
        let (a, b) = wire.split_at(cut);
        let (messages, out, _) = run(conn(Protocol::App, Reply::None), [a, b]);
        assert_eq!(messages, whole, "cut at {cut}");
        assert_eq!(out, replies, "cut at {cut}: the policy does not apply");
    }
    // the client side decodes the replies
    let mut client = Client::new(Protocol::App);
    let request = send(&mut client, "ring");
    let (_, reply, _) = run(conn(Protocol::App, Reply::Echo), [&request[..]]);
    client.handle_input(&reply);
    assert!(!client.awaiting_reply());
    assert_eq!(
        client.poll_event(),
        Some(Event::Received(Message::AppReply(AppResponse::json(
            "In the caves beneath the Misty Mountains. 💍"
        ))))
    );
    // a malformed header closes the connection
    let mut conn = conn(Protocol::App, Reply::Echo);
    conn.handle_input(t0(), b"\x00\x02[]");
    assert_eq!(
        conn.poll_event().unwrap().to_string(),
        "error: invalid application header: header is JSON but not an object (closing the connection)"
    );
    assert!(conn.is_closed());
}

#[test]
fn a_small_event_queue_loses_nothing_at_every_split() {
    for max_events in 1..=4 {
        let config = || ConnectionConfig::default().with_max_events(max_events);
        for protocol in STREAM_PROTOCOLS {
            let wire = three_messages(protocol);
            let (whole, ..) = run(conn(protocol, Reply::Echo), [&wire[..]]);
            for cut in 0..=wire.len() {
                let (a, b) = wire.split_at(cut);
                let (messages, out, other) = run(serve(protocol, Reply::Echo, config()), [a, b]);
                let at = format!("{protocol}, max_events {max_events}, cut at {cut}");
                assert_eq!(out, wire, "{at}");
                assert_eq!(joined(&messages), joined(&whole), "{at}");
                assert_eq!(other, [Event::PeerClosed], "{at}");
            }
        }
    }
}

#[test]
fn a_full_event_queue_holds_back_decoding_until_polled() {
    let config = || ConnectionConfig::default().with_max_events(3);
    let mut conn = serve(Protocol::Line, Reply::Echo, config());
    let wire: String = (0..10).map(|i| format!("line {i}\n")).collect();
    conn.handle_input(t0(), wire.as_bytes());
    // three decoded and answered; the rest waits, and so does reading
    assert_eq!(conn.pending_output(), b"line 0\nline 1\nline 2\n");
    assert_eq!(conn.messages_received(), 3);
    assert!(!conn.wants_read());
    // polling hands out the three, then decodes the next three
    let texts = |events: Vec<Ev>| -> Vec<String> {
        events
            .into_iter()
            .map(|e| match e {
                Event::Received(m) => joined(&[m]),
                other => other.to_string(),
            })
            .collect()
    };
    let first: Vec<Ev> = (0..4).map_while(|_| conn.poll_event()).collect();
    assert_eq!(texts(first), ["line 0", "line 1", "line 2", "line 3"]);
    assert_eq!(conn.messages_received(), 6);
    let rest: Vec<Ev> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert_eq!(rest.len(), 6);
    assert_eq!(conn.messages_received(), 10);
    assert!(conn.wants_read(), "drained");
    assert_eq!(conn.pending_output(), wire.as_bytes());
    // at the end of the stream too: the end comes after every message, and
    // the connection is not closed while messages wait
    let mut conn = serve(Protocol::Line, Reply::None, config());
    conn.handle_input(t0(), wire.as_bytes());
    conn.handle_eof(t0());
    assert!(conn.pending_output().is_empty());
    assert!(!conn.is_closed(), "seven lines still to decode");
    let all: Vec<Ev> = std::iter::from_fn(|| conn.poll_event()).collect();
    let mut want: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    want.push("closed the connection".into());
    assert_eq!(texts(all), want);
    assert!(conn.is_closed());
    // a bound of 0 is taken as 1
    let config = ConnectionConfig::default().with_max_events(0);
    let (messages, out, _) = run(serve(Protocol::Line, Reply::Echo, config), [&b"a\nb\n"[..]]);
    assert_eq!((messages.len(), &out[..]), (2, &b"a\nb\n"[..]));
}
