//! The §8 machines (§8), datagram by datagram: the server's
//! answers and peer-list refreshes, byte for byte, and the client's
//! handshake, peer lists, chat lines and wait for `by`; the wire's codecs.
//! No sockets, no clock; the helpers that drain a machine
//! (`tests/common/net.rs`) and the kit's network work on any
//! [`DatagramMachine`].

mod common {
    pub mod net;
}

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::net::{ServerHarness, Tap, Wire, addr, events, name, out, sent_within};
use sockwire::room::Name;
use sockwire::room::lab::{
    LabAnswer, LabChat, LabClient, LabClientBound, LabClientCodec, LabClientConfig, LabClientError,
    LabClientEvent, LabDropReason, LabRequest, LabServer, LabServerCodec, LabServerConfig,
    LabServerEvent, LabWireError,
};
use sockwire::testing::{Faults, Network};
use sockwire::{DatagramDecoder, DatagramEncoder, DatagramMachine};

const A: u16 = 1001;
const B: u16 = 1002;
const C: u16 = 1003;
const X: u16 = 1099;
const SERVER: u16 = 5005;

/// Everything `machine` sends, as `(port, text)`, in order: each within
/// the 1,024-byte limit.
fn sent(machine: &mut impl DatagramMachine) -> Vec<(u16, String)> {
    sent_within(machine, LabRequest::MAX_LEN)
}

/// A server driven one datagram at a time: each gives one event, and
/// every datagram it sends is within the 1,024-byte limit.
type Harness = ServerHarness<LabServer>;

fn lab(config: LabServerConfig) -> Harness {
    ServerHarness::new(LabServer::new(config)).strict(LabRequest::MAX_LEN)
}

fn harness() -> Harness {
    lab(LabServerConfig::default())
}

/// alice, bob and carol registered.
fn three() -> Harness {
    let mut h = harness();
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(B, "hi bob"), ["hi bob"]);
    assert_eq!(h.answers(C, "hi carol"), ["hi carol"]);
    h
}

#[test]
fn hi_accepts_a_name_and_answers_the_bare_hi_when_taken() {
    let mut h = harness();
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(B, "hi alice"), ["hi"]);
    // the same name again from the same address is accepted again
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    // retry with another name, as the lab's client does
    assert_eq!(h.answers(B, "hi bob"), ["hi bob"]);
    // a registered address that says hi again is renamed
    assert_eq!(h.answers(A, "hi alice2"), ["hi alice2"]);
    assert_eq!(h.answers(C, "hi alice"), ["hi alice"]);
    let users: Vec<&str> = h.server.users().map(|n| n.as_str()).collect();
    assert_eq!(users, ["alice", "alice2", "bob"]);
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1003 alice: hi alice -> hi alice"
    );
}

#[test]
fn a_name_that_breaks_the_rules_gets_the_bare_hi() {
    let mut h = harness();
    assert_eq!(h.answers(A, "hi bad.name"), ["hi"]);
    assert_eq!(h.answers(A, &format!("hi {}", "x".repeat(33))), ["hi"]);
    assert!(matches!(
        h.last_event(),
        LabServerEvent::Refused {
            error: LabWireError::BadName { op: "hi", .. },
            answer: LabAnswer::NameRefused,
            ..
        }
    ));
    assert_eq!(h.server.users().count(), 0);
}

#[test]
fn a_full_server_refuses_new_names() {
    let mut h = lab(LabServerConfig::default().with_max_users(2));
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(B, "hi bob"), ["hi bob"]);
    assert_eq!(h.answers(C, "hi carol"), ["hi"]);
    // a rename is no new user
    assert_eq!(h.answers(B, "hi bobby"), ["hi bobby"]);
    assert_eq!(h.answers(A, "by"), ["by"]);
    assert_eq!(h.answers(C, "hi carol"), ["hi carol"]);
}

#[test]
fn lists_come_one_datagram_per_entry_in_name_order_or_bare() {
    let mut h = harness();
    assert_eq!(h.answers(A, "hi zed"), ["hi zed"]);
    assert_eq!(h.answers(A, "rl"), ["rl"]);
    assert_eq!(h.answers(B, "hi Bob"), ["hi Bob"]);
    assert_eq!(h.answers(C, "hi amy"), ["hi amy"]);
    // byte order: upper case first
    assert_eq!(h.answers(A, "ul"), ["ul Bob", "ul amy", "ul zed"]);
    assert_eq!(h.answers(A, "rc room2"), ["rc room2"]);
    assert_eq!(h.answers(B, "rc room1"), ["rc room1"]);
    assert_eq!(h.answers(C, "rc A-room"), ["rc A-room"]);
    assert_eq!(h.answers(C, "rl"), ["rl A-room", "rl room1", "rl room2"]);
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1003 amy: rl -> rl A-room (+2 more)"
    );
}

#[test]
fn the_user_list_is_bare_when_the_last_user_left() {
    let mut h = harness();
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(A, "by"), ["by"]);
    // an unregistered address may say by (and is answered) but not ul
    assert_eq!(h.answers(A, "by"), ["by"]);
    assert_eq!(h.answers(A, "ul"), Vec::<String>::new());
    assert_eq!(h.answers(B, "hi bob"), ["hi bob"]);
    assert_eq!(h.answers(B, "ul"), ["ul bob"]);
    assert_eq!(h.answers(B, "by"), ["by"]);
    assert_eq!(h.server.users().count(), 0);
}

#[test]
fn rc_creates_without_joining_and_answers_the_bare_rc_if_it_exists() {
    let mut h = three();
    assert_eq!(h.answers(A, "rc lobby"), ["rc lobby"]);
    assert_eq!(h.server.room_members("lobby").unwrap(), Vec::<Name>::new());
    assert_eq!(h.answers(B, "rc lobby"), ["rc"]);
    assert_eq!(h.answers(B, "rc lob.by"), ["rc"]);
    let mut h = lab(LabServerConfig::default().with_max_rooms(1));
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(A, "rc one"), ["rc one"]);
    assert_eq!(h.answers(A, "rc two"), ["rc"]);
}

#[test]
fn rj_sends_every_member_its_peer_list() {
    let mut h = three();
    assert_eq!(h.answers(A, "rc lobby"), ["rc lobby"]);
    assert_eq!(h.answers(A, "rj nowhere"), ["rj"]);
    // alone in the room: the clear and no peer
    assert_eq!(h.send(A, "rj lobby"), out(&[(A, "rj __clear_peers__")]));
    assert_eq!(
        h.send(B, "rj lobby"),
        out(&[
            (A, "rj __clear_peers__"),
            (A, "rj 127.0.0.1 1002"),
            (B, "rj __clear_peers__"),
            (B, "rj 127.0.0.1 1001"),
        ])
    );
    assert_eq!(
        h.send(C, "rj lobby"),
        out(&[
            (A, "rj __clear_peers__"),
            (A, "rj 127.0.0.1 1002"),
            (A, "rj 127.0.0.1 1003"),
            (B, "rj __clear_peers__"),
            (B, "rj 127.0.0.1 1001"),
            (B, "rj 127.0.0.1 1003"),
            (C, "rj __clear_peers__"),
            (C, "rj 127.0.0.1 1001"),
            (C, "rj 127.0.0.1 1002"),
        ])
    );
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1003 carol: rj lobby -> rj __clear_peers__ (+2 more); peer lists to 3 members"
    );
    let members: Vec<String> = (h.server.room_members("lobby").unwrap())
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(members, ["alice", "bob", "carol"]);
}

#[test]
fn rj_to_another_room_refreshes_both_rooms() {
    let mut h = three();
    assert_eq!(h.answers(A, "rc one"), ["rc one"]);
    assert_eq!(h.answers(A, "rc two"), ["rc two"]);
    h.send(A, "rj one");
    h.send(B, "rj one");
    assert_eq!(
        h.send(B, "rj two"),
        out(&[(A, "rj __clear_peers__"), (B, "rj __clear_peers__")])
    );
    assert_eq!(
        h.send(C, "rj two"),
        out(&[
            (B, "rj __clear_peers__"),
            (B, "rj 127.0.0.1 1003"),
            (C, "rj __clear_peers__"),
            (C, "rj 127.0.0.1 1002"),
        ])
    );
    // joining the room one is in sends the lists again, nothing moves
    assert_eq!(
        h.send(C, "rj two"),
        out(&[
            (B, "rj __clear_peers__"),
            (B, "rj 127.0.0.1 1003"),
            (C, "rj __clear_peers__"),
            (C, "rj 127.0.0.1 1002"),
        ])
    );
}

#[test]
fn a_full_room_answers_the_bare_rj() {
    let mut h = lab(LabServerConfig::default().with_max_members(1));
    assert_eq!(h.answers(A, "hi alice"), ["hi alice"]);
    assert_eq!(h.answers(B, "hi bob"), ["hi bob"]);
    assert_eq!(h.answers(A, "rc lobby"), ["rc lobby"]);
    h.send(A, "rj lobby");
    assert_eq!(h.answers(B, "rj lobby"), ["rj"]);
}

#[test]
fn rk_and_by_refresh_those_who_stay_and_tell_the_leaver_nothing() {
    let mut h = three();
    assert_eq!(h.answers(A, "rc lobby"), ["rc lobby"]);
    h.send(A, "rj lobby");
    h.send(B, "rj lobby");
    h.send(C, "rj lobby");
    assert_eq!(
        h.send(B, "rk"),
        out(&[
            (A, "rj __clear_peers__"),
            (A, "rj 127.0.0.1 1003"),
            (C, "rj __clear_peers__"),
            (C, "rj 127.0.0.1 1001"),
        ])
    );
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1002 bob: rk -> nothing; peer lists to 2 members"
    );
    // not in a room: nothing at all
    assert_eq!(h.send(B, "rk"), out(&[]));
    assert_eq!(
        h.send(A, "by"),
        out(&[(C, "rj __clear_peers__"), (A, "by")])
    );
    // carol is the owner now and the last member: the room goes with her
    assert_eq!(h.send(C, "rk"), out(&[]));
    assert_eq!(h.answers(B, "rl"), ["rl"]);
}

#[test]
fn a_room_nobody_joined_goes_when_its_creator_says_by() {
    let mut h = three();
    assert_eq!(h.answers(A, "rc empty"), ["rc empty"]);
    assert_eq!(h.answers(A, "rc used"), ["rc used"]);
    h.send(B, "rj used");
    assert_eq!(h.answers(A, "by"), ["by"]);
    assert_eq!(h.answers(B, "rl"), ["rl used"]);
}

#[test]
fn ar_answers_the_address_or_the_bare_ar() {
    let mut h = three();
    assert_eq!(h.answers(A, "ar bob"), ["ar 127.0.0.1 1002"]);
    assert_eq!(h.answers(A, "ar nobody"), ["ar"]);
    assert_eq!(h.answers(A, "ar no.body"), ["ar"]);
    // the poked user hears nothing on §8
    assert_eq!(h.send(A, "ar carol"), out(&[(A, "ar 127.0.0.1 1003")]));
}

#[test]
fn malformed_datagrams_are_dropped_and_logged() {
    let mut h = three();
    let bad: [&[u8]; 9] = [
        b"",
        b"   ",
        b"zz",
        b"hi",
        b"hi a b",
        b"ul x",
        b"rj",
        b"\xff\xfe",
        b"msg alice> hi",
    ];
    for datagram in bad {
        assert_eq!(h.send(A, datagram), out(&[]), "{datagram:?}");
        assert!(
            matches!(h.last_event(), LabServerEvent::Dropped { .. }),
            "{datagram:?}: {:?}",
            h.last_event()
        );
    }
    let long = vec![b'x'; LabRequest::MAX_LEN + 1];
    assert_eq!(h.send(A, &long), out(&[]));
    assert!(matches!(
        h.last_event(),
        LabServerEvent::Dropped {
            error: LabWireError::TooLong {
                size: 1025,
                max: 1024
            },
            ..
        }
    ));
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1001: dropped (datagram of 1025 bytes exceeds the limit of 1024 bytes)"
    );
    // an unregistered address gets nothing but for hi and by
    for op in ["ul", "rl", "rc r", "rj r", "rk", "ar bob", "rc bad.name"] {
        assert_eq!(h.send(X, op), out(&[]), "{op}");
    }
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1099: dropped (rc: \"bad.name\" is not a valid name)"
    );
    // and the server keeps serving; whitespace runs are one separator
    assert_eq!(h.answers(A, " ul\t"), ["ul alice", "ul bob", "ul carol"]);
}

#[test]
fn wire_types_round_trip_and_refuse_what_section_8_does_not_say() {
    for text in [
        "hi alice", "by", "ar bob", "ul", "rl", "rc lobby", "rj lobby", "rk",
    ] {
        let r = LabRequest::parse(text.as_bytes()).unwrap();
        assert_eq!(r.to_bytes(), text.as_bytes());
    }
    for text in [
        "hi alice",
        "hi",
        "by",
        "ar 127.0.0.1 5",
        "ar ::1 7",
        "ar",
        "ul bob",
        "ul",
        "rl r",
        "rl",
        "rc r",
        "rc",
        "rj",
        "rj __clear_peers__",
        "rj 10.0.0.1 65535",
    ] {
        let a = LabAnswer::parse(text.as_bytes()).unwrap();
        assert_eq!(a.to_bytes(), text.as_bytes());
    }
    // split as Python's str.split(): Unicode spaces and \x1c-\x1f too
    assert_eq!(
        LabRequest::parse("rj\x1flobby\u{3000}".as_bytes()),
        Ok(LabRequest::JoinRoom(name("lobby")))
    );
    assert_eq!(
        LabChat::parse("msg\x1cbob>\u{a0}hi".as_bytes()).map(|c| c.text),
        Ok("hi".to_owned())
    );
    assert!(LabChat::is_chat(b" msg x"));
    assert!(!LabChat::is_chat(b"msgs x"));
    assert!(LabAnswer::parse(b"rj 1.2.3.4 70000").is_err());
    assert!(LabAnswer::parse(b"rj lobby").is_err());
    assert!(LabAnswer::parse(b"rk").is_err());
    // the op word: one of each side's own, named when it is not
    let unknown = |word: &str| LabWireError::UnknownWord { word: word.into() };
    assert_eq!(LabAnswer::parse(b"rk lobby alice"), Err(unknown("rk")));
    assert_eq!(LabRequest::parse(b"xx lobby"), Err(unknown("xx")));
    assert_eq!(LabRequest::parse(b"HI alice"), Err(unknown("HI")));
    assert_eq!(LabRequest::parse(b" \t "), Err(LabWireError::Empty));
    assert_eq!(LabAnswer::parse(b""), Err(LabWireError::Empty));
    let chat = LabChat::parse(b"msg bob>").unwrap();
    assert_eq!((chat.from.as_str(), chat.text.as_str()), ("bob", ""));
    assert_eq!(LabChat::parse(b"msg bob hi"), Err(LabWireError::BadChat));
    assert_eq!(LabChat::parse(b"msg > hi"), Err(LabWireError::BadChat));
    let long = LabChat {
        from: "a".into(),
        text: "x".repeat(1024),
    };
    assert!(matches!(long.to_bytes(), Err(LabWireError::TooLong { .. })));
}

#[test]
fn the_codecs_decode_with_parse_and_encode_what_to_bytes_gives() {
    let mut server = LabServerCodec;
    let mut client = LabClientCodec;
    let datagram = |b: &'static [u8]| Bytes::from_static(b);
    assert_eq!(
        server.decode_datagram(datagram(b" rj\tlobby")),
        Ok(LabRequest::JoinRoom(name("lobby")))
    );
    assert_eq!(
        server.decode_datagram(datagram(b"rj a.b")),
        Err(LabWireError::BadName {
            op: "rj",
            name: "a.b".into()
        })
    );
    assert_eq!(
        client.decode_datagram(datagram(b"rj __clear_peers__")),
        Ok(LabClientBound::Answer(LabAnswer::ClearPeers))
    );
    let chat = LabChat {
        from: "bob".into(),
        text: " two  spaces".into(),
    };
    assert_eq!(
        client.decode_datagram(chat.to_bytes().unwrap()),
        Ok(LabClientBound::Chat(chat.clone()))
    );
    assert_eq!(
        client.decode_datagram(datagram(b"msg x")),
        Err(LabWireError::BadChat)
    );
    // one encoder: the codecs write what to_bytes gives, appending
    let mut out = BytesMut::from(&b"<"[..]);
    let answer = LabAnswer::Peer(addr(B));
    server.encode_datagram(&answer, &mut out).unwrap();
    assert_eq!(&out[1..], &answer.to_bytes()[..]);
    let mut out = BytesMut::new();
    let request = LabRequest::Poke(name("carol"));
    client.encode_datagram(&request, &mut out).unwrap();
    assert_eq!(&out[..], &request.to_bytes()[..]);
    out.clear();
    client.encode_datagram(&chat, &mut out).unwrap();
    assert_eq!(&out[..], b"msg bob>  two  spaces");
    // past 1,024 bytes: refused, and the buffer is as it was
    let long = LabAnswer::User("u".repeat(LabRequest::MAX_LEN));
    let long_chat = LabChat {
        from: "a".into(),
        text: "x".repeat(LabRequest::MAX_LEN),
    };
    let mut out = BytesMut::from(&b"kept"[..]);
    let too_long = |size| LabWireError::TooLong {
        size,
        max: LabRequest::MAX_LEN,
    };
    assert_eq!(server.encode_datagram(&long, &mut out), Err(too_long(1027)));
    assert_eq!(
        client.encode_datagram(&long_chat, &mut out),
        Err(too_long(1031))
    );
    assert_eq!(&out[..], b"kept");
    // exactly at the limit: sent
    let fits = LabChat {
        from: "a".into(),
        text: "x".repeat(LabRequest::MAX_LEN - 7),
    };
    client.encode_datagram(&fits, &mut out).unwrap();
    assert_eq!(out.len(), 4 + LabRequest::MAX_LEN);
}

/// Through tokio-util, as a `UdpFramed` would use them: a datagram in,
/// the answer out.
#[cfg(feature = "tokio-util")]
#[test]
fn the_codecs_frame_for_tokio() {
    use sockwire::tokio_adapter::TokioDatagramCodec;
    use tokio_util::codec::{Decoder, Encoder};

    let mut server = TokioDatagramCodec::new(LabServerCodec);
    let mut read = BytesMut::from(&b"ar bob"[..]);
    assert_eq!(
        server.decode(&mut read).unwrap(),
        Some(LabRequest::Poke(name("bob")))
    );
    let mut out = BytesMut::new();
    server
        .encode(&LabAnswer::Address(addr(B)), &mut out)
        .unwrap();
    assert_eq!(&out[..], b"ar 127.0.0.1 1002");
    let mut client = TokioDatagramCodec::new(LabClientCodec);
    let mut read = BytesMut::from(&b"msg bob> hi"[..]);
    assert!(matches!(
        client.decode(&mut read),
        Ok(Some(LabClientBound::Chat(_)))
    ));
    client.encode(&LabRequest::UserList, &mut out).unwrap();
    assert!(out.ends_with(b"ul"));
}

#[test]
fn configs_are_built_with_consuming_setters() {
    let server = LabServerConfig::default()
        .with_max_users(1)
        .with_max_rooms(2)
        .with_max_members(3)
        .with_max_events(4);
    assert_eq!(
        (
            server.max_users,
            server.max_rooms,
            server.max_members,
            server.max_events
        ),
        (1, 2, 3, 4)
    );
    let defaults = LabServerConfig::default();
    assert_eq!(
        (
            defaults.max_users,
            defaults.max_rooms,
            defaults.max_members,
            defaults.max_events
        ),
        (100, 100, 32, 1024)
    );
    let client = LabClientConfig::default()
        .with_max_peers(5)
        .with_max_events(6)
        .with_bye_wait(Duration::from_millis(7));
    assert_eq!(
        (client.max_peers, client.max_events, client.bye_wait),
        (5, 6, Duration::from_millis(7))
    );
    // the event queue keeps the newest max_events
    let mut h = lab(LabServerConfig::default().with_max_events(2));
    for wire in ["hi alice", "ul", "rl"] {
        h.server.handle_datagram(addr(A), wire.as_bytes());
    }
    let kept: Vec<String> = events(&mut h.server)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        kept,
        [
            "127.0.0.1:1001 alice: ul -> ul alice",
            "127.0.0.1:1001 alice: rl -> rl"
        ]
    );
}

// ---- the client ----

struct Client {
    client: LabClient,
    now: Instant,
}

impl Client {
    /// A client that said `hi alice` and got no answer yet.
    fn new() -> Self {
        Client::with(LabClientConfig::default())
    }

    fn with(config: LabClientConfig) -> Self {
        Client {
            client: LabClient::new(addr(SERVER), name("alice"), config),
            now: Instant::now(),
        }
    }

    fn sent(&mut self) -> Vec<(u16, String)> {
        sent(&mut self.client)
    }

    fn events(&mut self) -> Vec<LabClientEvent> {
        events(&mut self.client)
    }

    fn hear(&mut self, wire: &str) {
        self.client.handle_datagram(addr(SERVER), wire.as_bytes());
    }

    fn line(&mut self, line: &str) -> Result<(), LabClientError> {
        self.client.handle_line(self.now, line)
    }

    /// Registered as alice.
    fn alice() -> Self {
        let mut c = Client::new();
        c.hear("hi alice");
        c.sent();
        c.events();
        c
    }
}

#[test]
fn client_retries_a_taken_name() {
    let mut c = Client::new();
    assert_eq!(c.sent(), out(&[(SERVER, "hi alice")]));
    assert_eq!(c.line("hello"), Err(LabClientError::NotRegistered));
    c.hear("hi");
    assert_eq!(c.events(), [LabClientEvent::NameTaken(name("alice"))]);
    assert_eq!(c.client.name(), None);
    c.client.hello(name("alice2")).unwrap();
    assert_eq!(c.sent(), out(&[(SERVER, "hi alice2")]));
    c.hear("hi alice2");
    assert_eq!(c.events(), [LabClientEvent::Registered(name("alice2"))]);
    assert_eq!(c.client.name(), Some(&name("alice2")));
}

#[test]
fn client_sends_the_dollar_commands_as_section_8_requests() {
    let mut c = Client::alice();
    for (line, wire) in [
        ("$userlist", "ul"),
        ("$roomlist", "rl"),
        ("$roomcreate lobby", "rc lobby"),
        ("$roomjoin lobby", "rj lobby"),
        ("$roomleave", "rk"),
        ("$poke bob", "ar bob"),
        ("$quit", "by"),
    ] {
        c.line(line).unwrap();
        assert_eq!(c.sent(), out(&[(SERVER, wire)]), "{line}");
    }
    assert_eq!(c.line("$userlist"), Err(LabClientError::Closed));
    assert_eq!(c.client.hello(name("alice2")), Err(LabClientError::Closed));
    assert!(!c.client.is_closed());
    c.events();
    c.hear("by");
    assert_eq!(c.events(), [LabClientEvent::Closed { answered: true }]);
    assert!(c.client.is_closed());
    assert_eq!(c.client.poll_timeout(), None, "the bye wait is over");
    assert!(matches!(
        Client::alice().line("$roomjoin"),
        Err(LabClientError::BadCommand { .. })
    ));
}

#[test]
fn client_waits_for_by_until_its_deadline_then_closes() {
    let wait = Duration::from_millis(300);
    let mut c = Client::with(LabClientConfig::default().with_bye_wait(wait));
    c.hear("hi alice");
    c.events();
    c.sent();
    // no timer until $quit
    assert_eq!(c.client.poll_timeout(), None);
    c.client.handle_timeout(c.now + Duration::from_secs(3600));
    assert!(c.events().is_empty() && !c.client.is_closed());
    c.line("$quit").unwrap();
    assert_eq!(c.client.poll_timeout(), Some(c.now + wait));
    // the same timer through the trait a generic loop uses
    let due = DatagramMachine::poll_timeout(&c.client);
    assert_eq!(due, Some(c.now + wait));
    DatagramMachine::handle_timeout(&mut c.client, c.now + wait - Duration::from_millis(1));
    assert!(c.events().is_empty());
    // finished only once nothing is left to send: `by` still waits
    DatagramMachine::handle_timeout(&mut c.client, c.now + wait);
    assert_eq!(c.events(), [LabClientEvent::Closed { answered: false }]);
    assert!(!c.client.is_closed());
    assert_eq!(c.sent(), out(&[(SERVER, "by")]));
    assert!(c.client.is_closed());
    assert_eq!(c.client.poll_timeout(), None);
    // a late `by` changes nothing: the client closes once
    c.hear("by");
    assert_eq!(c.events(), []);
    assert_eq!(c.line("$userlist"), Err(LabClientError::Closed));
}

#[test]
fn client_waits_no_longer_than_its_deadline_and_no_shorter() {
    let mut c = Client::alice();
    let wait = LabClientConfig::default().bye_wait;
    assert_eq!(wait, Duration::from_secs(1));
    // quitting before the name was accepted still says `by`
    let mut early = Client::new();
    early.sent();
    early.line("$quit").unwrap();
    assert_eq!(early.sent(), out(&[(SERVER, "by")]));
    c.line("$quit").unwrap();
    c.sent();
    c.client
        .handle_timeout(c.now + wait - Duration::from_millis(1));
    assert!(c.events().is_empty());
    c.client.handle_timeout(c.now + wait);
    assert_eq!(c.events(), [LabClientEvent::Closed { answered: false }]);
    assert_eq!(
        LabClientEvent::Closed { answered: false }.to_string(),
        "no answer to by from the server; leaving anyway"
    );
    assert_eq!(LabClientEvent::Closed { answered: true }.to_string(), "bye");
    // a wait too long to count: no deadline, but quitting all the same
    let mut patient = Client::with(LabClientConfig::default().with_bye_wait(Duration::MAX));
    patient.line("$quit").unwrap();
    assert_eq!(patient.client.poll_timeout(), None);
    assert_eq!(patient.line("$roomlist"), Err(LabClientError::Closed));
    patient.hear("by");
    assert!(
        patient
            .events()
            .contains(&LabClientEvent::Closed { answered: true })
    );
}

#[test]
fn client_shows_lists_entry_by_entry() {
    let mut c = Client::alice();
    c.line("$userlist").unwrap();
    c.hear("ul alice");
    c.hear("ul bob");
    c.line("$roomlist").unwrap();
    c.hear("rl");
    let shown: Vec<String> = c.events().iter().map(|e| e.to_string()).collect();
    assert_eq!(shown, ["user alice", "user bob", "no rooms"]);
}

#[test]
fn client_chats_with_its_room_peers_and_stops_when_one_leaves() {
    let mut c = Client::alice();
    assert_eq!(c.line("hello"), Err(LabClientError::NoPeers));
    c.line("$roomjoin lobby").unwrap();
    c.sent();
    for wire in [
        "rj __clear_peers__",
        "rj 127.0.0.1 1002",
        "rj 127.0.0.1 1003",
    ] {
        c.hear(wire);
    }
    assert_eq!(c.client.room(), Some(&name("lobby")));
    assert_eq!(c.client.peers(), [addr(B), addr(C)]);
    c.line("hi  all").unwrap();
    assert_eq!(
        c.sent(),
        out(&[(B, "msg alice> hi  all"), (C, "msg alice> hi  all")])
    );
    // bob leaves: the server refreshes those who stay
    c.hear("rj __clear_peers__");
    c.hear("rj 127.0.0.1 1003");
    c.line("still here").unwrap();
    assert_eq!(c.sent(), out(&[(C, "msg alice> still here")]));
    // a chat line from a peer is shown; from a stranger, dropped
    c.events();
    c.client.handle_datagram(addr(C), b"msg carol> hey there");
    c.client.handle_datagram(addr(X), b"msg eve> psst");
    let events = c.events();
    assert_eq!(
        events.first().map(ToString::to_string).as_deref(),
        Some("carol> hey there")
    );
    assert!(matches!(
        events.get(1),
        Some(LabClientEvent::Dropped {
            reason: LabDropReason::UnknownPeer,
            ..
        })
    ));
    // leaving forgets the room's peers at once
    c.line("$roomleave").unwrap();
    assert_eq!(c.sent(), out(&[(SERVER, "rk")]));
    assert_eq!(c.client.peers(), []);
    assert_eq!(c.client.room(), None);
}

#[test]
fn client_pokes_and_a_lone_client_takes_up_whoever_writes() {
    let mut c = Client::alice();
    c.line("$poke bob").unwrap();
    c.line("$poke nobody").unwrap();
    c.hear("ar 127.0.0.1 1002");
    c.hear("ar");
    assert_eq!(
        c.events(),
        [
            LabClientEvent::Poked {
                user: name("bob"),
                addr: addr(B)
            },
            LabClientEvent::NoSuchUser(name("nobody")),
        ]
    );
    c.sent();
    c.line("$msg bob psst").unwrap();
    assert_eq!(c.sent(), out(&[(B, "msg alice> psst")]));
    assert_eq!(
        c.line("$msg carol psst"),
        Err(LabClientError::NotPoked {
            user: "carol".into()
        })
    );
    // $kick forgets every peer, with nothing on the wire
    c.line("$kick").unwrap();
    assert_eq!(c.sent(), out(&[]));
    assert_eq!(c.client.peers(), []);
    // knowing no peer, a chat line from anyone is shown and its sender kept
    c.events();
    c.client.handle_datagram(addr(C), b"msg carol> hi alice");
    assert_eq!(c.events().len(), 1);
    c.line("hi carol").unwrap();
    assert_eq!(c.sent(), out(&[(C, "msg alice> hi carol")]));
}

#[test]
fn client_drops_what_is_malformed_or_not_from_the_server() {
    let mut c = Client::alice();
    c.client.handle_datagram(addr(X), b"ul mallory");
    c.hear("zz");
    c.hear("rj 1.2.3.4");
    c.client.handle_datagram(addr(X), b"msg");
    let reasons: Vec<LabDropReason> = c
        .events()
        .into_iter()
        .map(|e| match e {
            LabClientEvent::Dropped { reason, .. } => reason,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons.len(), 4);
    assert_eq!(reasons[0], LabDropReason::NotFromServer);
    assert!(
        reasons[1..]
            .iter()
            .all(|r| matches!(r, LabDropReason::Malformed(_)))
    );
    let long = format!("x{}", "y".repeat(LabRequest::MAX_LEN));
    c.client.handle_datagram(addr(SERVER), long.as_bytes());
    assert!(matches!(
        c.events().as_slice(),
        [LabClientEvent::Dropped { .. }]
    ));
    c.line("$poke bob").unwrap();
    c.hear("ar 127.0.0.1 1002");
    c.events();
    assert!(matches!(
        c.line(&"x".repeat(LabRequest::MAX_LEN)),
        Err(LabClientError::TooLong { .. })
    ));
}

/// Two §8 clients and the server on the kit's network, without faults,
/// recording every datagram.
struct Net {
    net: Network,
    heard: [Vec<String>; 2],
    wire: Wire,
}

/// The clients' ports: alice's, bob's.
const CLIENTS: [u16; 2] = [A, B];

impl Net {
    /// alice and bob, registering.
    fn new() -> Self {
        let wire = Wire::default();
        let mut net = Network::new(Instant::now(), Faults::default(), 0);
        net.add(addr(SERVER), Tap::new(LabServer::default(), SERVER, &wire));
        for (port, user) in CLIENTS.into_iter().zip(["alice", "bob"]) {
            let client = LabClient::new(addr(SERVER), name(user), LabClientConfig::default());
            net.add(addr(port), Tap::new(client, port, &wire));
        }
        Net {
            net,
            heard: [Vec::new(), Vec::new()],
            wire,
        }
    }

    fn client(&mut self, i: usize) -> &mut LabClient {
        let tap = self.net.machine_mut::<Tap<LabClient>>(addr(CLIENTS[i]));
        &mut tap.unwrap().machine
    }

    fn line(&mut self, i: usize, line: &str) -> Result<(), LabClientError> {
        let now = self.net.now();
        let r = self.client(i).handle_line(now, line);
        self.run();
        r
    }

    fn run(&mut self) {
        self.net.run_until_idle().unwrap();
        for (i, port) in CLIENTS.into_iter().enumerate() {
            for e in self.net.take_events::<Tap<LabClient>>(addr(port)) {
                if let LabClientEvent::Chat { .. } = e {
                    self.heard[i].push(e.to_string());
                }
            }
        }
    }
}

/// They chat through a room; one leaves and the other stops sending to
/// it.
#[test]
fn two_clients_chat_through_a_room_until_one_leaves() {
    let mut net = Net::new();
    net.run();
    assert_eq!(net.client(1).name(), Some(&name("bob")));
    net.line(0, "$roomcreate lobby").unwrap();
    net.line(0, "$roomjoin lobby").unwrap();
    net.line(1, "$roomjoin lobby").unwrap();
    net.line(0, "hi bob").unwrap();
    net.line(1, "hi alice").unwrap();
    assert_eq!(net.heard[0], ["bob> hi alice"]);
    assert_eq!(net.heard[1], ["alice> hi bob"]);
    net.line(1, "$roomleave").unwrap();
    assert_eq!(net.client(0).peers(), []);
    assert_eq!(net.line(0, "anyone?"), Err(LabClientError::NoPeers));
    let wire = net.wire.borrow();
    let to_bob_after_leave = (wire.iter())
        .skip_while(|(from, _, text)| !(*from == B && text == "rk"))
        .filter(|(from, to, _)| *from == A && *to == B)
        .count();
    assert_eq!(to_bob_after_leave, 0, "{wire:?}");
}
