//! Room-chat wire types (§7): golden datagrams, every parse
//! error, and round trips.

use proptest::prelude::*;
use sockwire::EncodeError;
// the crate's own test kit: every §7 message, edges included
use sockwire::room::{
    ClientBound, ErrorCode, Name, Notification, PrivateMessage, Reply, Request, ServerBound,
    WireError, read_tag,
};
use sockwire::testing::strategy::room::{client_bound, request};

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
}

#[test]
fn every_request_parses_and_formats_exactly() {
    let cases: Vec<(&[u8], Request)> = vec![
        (b"1 hi alice", Request::Hello(n("alice"))),
        (b"2 ul", Request::UserList),
        (b"3 rl", Request::RoomList),
        (b"4 rc lobby", Request::CreateRoom(n("lobby"))),
        (b"5 rj room-2_x", Request::JoinRoom(n("room-2_x"))),
        (b"6 rk", Request::LeaveRoom),
        (b"7 ar bob", Request::Poke(n("bob"))),
        (b"8 kk", Request::Kick),
        (b"9 ms hello  there ", Request::Say("hello  there ".into())),
        (b"10 ms ", Request::Say(String::new())),
        (b"11 ka", Request::KeepAlive),
        (b"4294967295 by", Request::Bye),
        (b"0 ms \xc3\xa9t\xc3\xa9", Request::Say("été".into())),
    ];
    for (wire, request) in cases {
        let parsed = ServerBound::parse(wire).unwrap();
        let tag = parsed.tag().unwrap();
        assert_eq!(
            parsed,
            ServerBound::Request { tag, request },
            "{}",
            String::from_utf8_lossy(wire)
        );
        assert_eq!(&parsed.to_bytes().unwrap()[..], wire);
    }
}

#[test]
fn empty_text_may_omit_its_space() {
    let parsed = ServerBound::parse(b"3 ms").unwrap();
    assert_eq!(
        parsed,
        ServerBound::Request {
            tag: 3,
            request: Request::Say(String::new())
        }
    );
    assert_eq!(&parsed.to_bytes().unwrap()[..], b"3 ms ");
}

#[test]
fn every_reply_notification_and_pm_parses_and_formats_exactly() {
    let addr = "127.0.0.1:5005".parse().unwrap();
    let v6 = "[::1]:40000".parse().unwrap();
    let cases: Vec<(&[u8], ClientBound)> = vec![
        (b"1 ok", reply(1, Reply::Ok)),
        (b"2 ul", reply(2, Reply::Users(vec![]))),
        (
            b"2 ul alice bob",
            reply(2, Reply::Users(vec![n("alice"), n("bob")])),
        ),
        (b"3 rl", reply(3, Reply::Rooms(vec![]))),
        (
            b"3 rl a b c",
            reply(3, Reply::Rooms(vec![n("a"), n("b"), n("c")])),
        ),
        (
            b"4 pa bob 127.0.0.1:5005",
            reply(
                4,
                Reply::Address {
                    user: n("bob"),
                    addr,
                },
            ),
        ),
        (
            b"4 pa bob [::1]:40000",
            reply(
                4,
                Reply::Address {
                    user: n("bob"),
                    addr: v6,
                },
            ),
        ),
        (
            b"5 er name-taken",
            reply(5, Reply::error(ErrorCode::NameTaken)),
        ),
        (
            b"5 er too-long it is  long",
            reply(
                5,
                Reply::Error {
                    code: ErrorCode::TooLong,
                    text: Some("it is  long".into()),
                },
            ),
        ),
        (
            b"5 er bad-request ",
            reply(
                5,
                Reply::Error {
                    code: ErrorCode::BadRequest,
                    text: Some(String::new()),
                },
            ),
        ),
        (b"0 er too-long", reply(0, Reply::error(ErrorCode::TooLong))),
        (
            b"6 er whatever-else",
            reply(6, Reply::error(ErrorCode::Other("whatever-else".into()))),
        ),
        (
            b"n1 ms lobby bob hi  all",
            notice(
                1,
                Notification::Said {
                    room: n("lobby"),
                    user: n("bob"),
                    text: "hi  all".into(),
                },
            ),
        ),
        (
            b"n2 pa bob 127.0.0.1:5005",
            notice(
                2,
                Notification::Poked {
                    user: n("bob"),
                    addr,
                },
            ),
        ),
        (
            b"n3 jn lobby bob",
            notice(
                3,
                Notification::Joined {
                    room: n("lobby"),
                    user: n("bob"),
                },
            ),
        ),
        (
            b"n40 lv lobby bob",
            notice(
                40,
                Notification::Left {
                    room: n("lobby"),
                    user: n("bob"),
                },
            ),
        ),
        (
            b"n4294967295 kd lobby",
            notice(4294967295, Notification::Kicked { room: n("lobby") }),
        ),
        (
            b"0 pm bob see you ",
            ClientBound::Private {
                tag: 0,
                message: PrivateMessage {
                    from: n("bob"),
                    text: "see you ".into(),
                },
            },
        ),
        (
            b"17 pm bob hi",
            ClientBound::Private {
                tag: 17,
                message: PrivateMessage {
                    from: n("bob"),
                    text: "hi".into(),
                },
            },
        ),
        (b"n9 ls 1", notice(9, Notification::Lost { count: 1 })),
        (
            b"n10 ls 4294967295",
            notice(10, Notification::Lost { count: u32::MAX }),
        ),
        (
            b"17 er not-poked",
            reply(17, Reply::error(ErrorCode::NotPoked)),
        ),
    ];
    for (wire, message) in cases {
        let parsed = ClientBound::parse(wire).unwrap();
        assert_eq!(parsed, message, "{}", String::from_utf8_lossy(wire));
        assert_eq!(&parsed.to_bytes().unwrap()[..], wire);
    }
}

fn reply(tag: u32, reply: Reply) -> ClientBound {
    ClientBound::Reply { tag, reply }
}

#[test]
fn every_error_code_round_trips() {
    for code in [
        "not-registered",
        "bad-request",
        "too-long",
        "name-taken",
        "bad-name",
        "room-exists",
        "no-such-room",
        "not-in-room",
        "no-such-user",
        "not-owner",
        "server-full",
        "too-many-rooms",
        "room-full",
        "not-poked",
    ] {
        let wire = format!("9 er {code}");
        let parsed = ClientBound::parse(wire.as_bytes()).unwrap();
        let ClientBound::Reply {
            reply: Reply::Error {
                code: parsed_code, ..
            },
            ..
        } = &parsed
        else {
            panic!("{parsed:?}");
        };
        assert!(!matches!(parsed_code, ErrorCode::Other(_)), "{code}");
        assert_eq!(parsed_code.as_str(), code);
        assert_eq!(&parsed.to_bytes().unwrap()[..], wire.as_bytes());
    }
}

#[test]
fn names_are_1_to_32_of_the_allowed_characters() {
    assert!(Name::new(&"a".repeat(32)).is_ok());
    assert!(Name::new(&"a".repeat(33)).is_err());
    assert!(Name::new("").is_err());
    assert!(Name::new("AZaz09_-").is_ok());
    for bad in ["a b", "a.b", "é", "a\n", "a:b", "a/b"] {
        assert!(Name::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn tags_must_be_canonical_decimal_u32() {
    assert_eq!(read_tag(b"0 ul"), Some(0));
    assert_eq!(read_tag(b"4294967295 ul"), Some(u32::MAX));
    assert_eq!(read_tag(b"4294967296 ul"), None);
    assert_eq!(read_tag(b"01 ul"), None);
    assert_eq!(read_tag(b"+1 ul"), None);
    assert_eq!(read_tag(b"-1 ul"), None);
    assert_eq!(read_tag(b" 1 ul"), None);
    assert_eq!(read_tag(b""), None);
    assert_eq!(read_tag(b"ul"), None);
    assert_eq!(read_tag(b"1\xff ul"), None);
    // readable even when what follows is not valid
    assert_eq!(read_tag(b"12 \xff\xfe"), Some(12));
    assert_eq!(read_tag(b"12"), Some(12));
}

#[test]
fn malformed_requests_say_what_is_wrong() {
    let err = |wire: &[u8]| ServerBound::parse(wire).unwrap_err();
    assert_eq!(err(b"x ul"), WireError::BadTag { field: "x".into() });
    assert_eq!(err(b"12"), WireError::MissingOp);
    assert_eq!(err(b"12 "), WireError::MissingOp);
    assert_eq!(err(b"12  ul"), WireError::MissingOp);
    assert_eq!(err(b"12 zz"), WireError::UnknownOp { op: "zz".into() });
    assert_eq!(err(b"12 ok"), WireError::UnknownOp { op: "ok".into() });
    assert_eq!(
        err(b"12 hi"),
        WireError::MissingArgument {
            op: "hi",
            field: "user"
        }
    );
    assert_eq!(
        err(b"12 rc "),
        WireError::MissingArgument {
            op: "rc",
            field: "room"
        }
    );
    assert_eq!(err(b"12 ul x"), WireError::UnexpectedArgument { op: "ul" });
    assert_eq!(err(b"12 ka "), WireError::UnexpectedArgument { op: "ka" });
    assert_eq!(
        err(b"12 hi a b"),
        WireError::UnexpectedArgument { op: "hi" }
    );
    assert_eq!(
        err(b"12 hi a.b"),
        WireError::BadName {
            op: "hi",
            name: "a.b".into()
        }
    );
    assert_eq!(err(b"12 rj \xff"), WireError::InvalidUtf8 { offset: 6 });
    let long = format!("1 ms {}", "x".repeat(ServerBound::MAX_LEN));
    assert_eq!(
        err(long.as_bytes()),
        WireError::TooLong {
            size: ServerBound::MAX_LEN + 5,
            max: ServerBound::MAX_LEN
        }
    );
}

#[test]
fn malformed_client_bound_datagrams_say_what_is_wrong() {
    let err = |wire: &[u8]| ClientBound::parse(wire).unwrap_err();
    // a notification needs `n<seq>`; `n<seq>` is only for notifications
    assert_eq!(
        err(b"0 ms lobby bob hi"),
        WireError::WrongTag { op: "ms", tag: 0 }
    );
    assert_eq!(
        err(b"0 pa bob 127.0.0.1:5005"),
        WireError::WrongTag { op: "pa", tag: 0 }
    );
    assert_eq!(
        err(b"n1 ok"),
        WireError::NotANotification {
            op: "ok".into(),
            seq: 1
        }
    );
    assert_eq!(
        err(b"n1 pm bob hi"),
        WireError::NotANotification {
            op: "pm".into(),
            seq: 1
        }
    );
    assert!(matches!(err(b"n01 kd lobby"), WireError::BadTag { .. }));
    assert!(matches!(err(b"n kd lobby"), WireError::BadTag { .. }));
    assert!(matches!(err(b"n-1 kd lobby"), WireError::BadTag { .. }));
    assert_eq!(
        err(b"3 ms lobby bob hi"),
        WireError::WrongTag { op: "ms", tag: 3 }
    );
    assert_eq!(err(b"3 ls 2"), WireError::WrongTag { op: "ls", tag: 3 });
    for bad in [
        &b"n3 ls 0"[..],
        b"n3 ls 01",
        b"n3 ls -1",
        b"n3 ls x",
        b"n3 ls 4294967296",
    ] {
        assert!(
            matches!(err(bad), WireError::BadCount { op: "ls", .. }),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(
        err(b"n3 ls"),
        WireError::MissingArgument {
            op: "ls",
            field: "count"
        }
    );
    assert_eq!(
        err(b"n3 ls 2 3"),
        WireError::UnexpectedArgument { op: "ls" }
    );
    assert_eq!(err(b"3 kd lobby"), WireError::WrongTag { op: "kd", tag: 3 });
    assert_eq!(err(b"0 zz"), WireError::UnknownOp { op: "zz".into() });
    assert_eq!(
        err(b"3 ul bob alice!"),
        WireError::BadName {
            op: "ul",
            name: "alice!".into()
        }
    );
    assert_eq!(
        err(b"3 ul bob "),
        WireError::MissingArgument {
            op: "ul",
            field: "name"
        }
    );
    assert_eq!(
        err(b"3 pa bob nowhere"),
        WireError::BadAddress {
            op: "pa",
            field: "nowhere".into()
        }
    );
    assert_eq!(
        err(b"3 pa bob"),
        WireError::MissingArgument {
            op: "pa",
            field: "address"
        }
    );
    assert_eq!(
        err(b"3 er"),
        WireError::MissingArgument {
            op: "er",
            field: "code"
        }
    );
    assert_eq!(
        err(b"n1 kd"),
        WireError::MissingArgument {
            op: "kd",
            field: "room"
        }
    );
    assert_eq!(
        err(b"n1 jn lobby"),
        WireError::MissingArgument {
            op: "jn",
            field: "user"
        }
    );
    assert_eq!(
        err(b"n1 lv lobby bob x"),
        WireError::UnexpectedArgument { op: "lv" }
    );
    assert_eq!(
        err(b"0 pm"),
        WireError::MissingArgument {
            op: "pm",
            field: "user"
        }
    );
    assert_eq!(err(b"3 ok x"), WireError::UnexpectedArgument { op: "ok" });
}

#[test]
fn encoding_refuses_what_cannot_be_read_back() {
    let long = ServerBound::Request {
        tag: 1,
        request: Request::Say("x".repeat(ServerBound::MAX_LEN)),
    };
    assert!(matches!(long.to_bytes(), Err(EncodeError::TooLarge { max, .. }) if max == 4096));
    // What `dst` held stays; nothing of the refused datagram is left in it.
    let mut dst = bytes::BytesMut::from(&b"earlier"[..]);
    assert!(long.encode(&mut dst).is_err());
    assert_eq!(&dst[..], b"earlier");
    let notice = ClientBound::Notice {
        seq: 7,
        notification: Notification::Said {
            room: Name::new("lobby").unwrap(),
            user: Name::new("alice").unwrap(),
            text: "y".repeat(ClientBound::MAX_LEN),
        },
    };
    assert!(
        matches!(notice.encode(&mut dst), Err(EncodeError::TooLarge { max, .. }) if max == 4096)
    );
    assert_eq!(&dst[..], b"earlier");
    // exactly at the limit is fine
    let exact = ServerBound::Request {
        tag: 1,
        request: Request::Say("x".repeat(ServerBound::MAX_LEN - 5)),
    };
    assert_eq!(exact.to_bytes().unwrap().len(), ServerBound::MAX_LEN);
    let pa0 = reply(
        0,
        Reply::Address {
            user: n("bob"),
            addr: "127.0.0.1:1".parse().unwrap(),
        },
    );
    assert!(matches!(
        pa0.to_bytes(),
        Err(EncodeError::Unrepresentable { .. })
    ));
    let spaced = reply(1, Reply::error(ErrorCode::Other("a b".into())));
    assert!(matches!(
        spaced.to_bytes(),
        Err(EncodeError::Unrepresentable { .. })
    ));
    let empty = reply(1, Reply::error(ErrorCode::Other(String::new())));
    assert!(empty.to_bytes().is_err());
}

proptest! {
    #[test]
    fn requests_round_trip(tag in any::<u32>(), request in request()) {
        let sb = ServerBound::Request { tag, request };
        let wire = sb.to_bytes().unwrap();
        let back = ServerBound::parse(&wire).unwrap();
        prop_assert_eq!(&back, &sb);
        prop_assert_eq!(back.to_bytes().unwrap(), wire);
    }

    #[test]
    fn acks_round_trip(seq in any::<u32>()) {
        let ack = ServerBound::Ack { seq };
        let wire = ack.to_bytes().unwrap();
        let expected = format!("n{seq} ak");
        prop_assert_eq!(&wire[..], expected.as_bytes());
        prop_assert_eq!(ack.tag(), None);
        prop_assert_eq!(ServerBound::parse(&wire).unwrap(), ack);
    }

    #[test]
    fn client_bound_round_trips(message in client_bound()) {
        let wire = message.to_bytes().unwrap();
        let back = ClientBound::parse(&wire).unwrap();
        prop_assert_eq!(&back, &message);
        prop_assert_eq!(back.to_bytes().unwrap(), wire);
    }

    /// Whatever the parsers accept formats back to the same bytes (the one
    /// leniency, `ms`/`pm` without the space before an empty text, aside).
    #[test]
    fn accepted_datagrams_format_back_exactly(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "n?(0|[1-9][0-9]{0,2}) (hi|ul|rl|rc|rj|rk|ar|kk|ms|ka|by|ok|pa|er|jn|lv|kd|ls|pm|ak)( [a-z0-9.:]{0,6}){0,3}"
                .prop_map(String::into_bytes),
        ]
    ) {
        // formatted back: the same bytes, or (an empty `ms`/`pm` text
        // that came without its space) the same plus a space
        let same = |formatted: &[u8], empty_text: bool| {
            formatted == &bytes[..]
                || (empty_text && formatted.strip_suffix(b" ") == Some(&bytes[..]))
        };
        if let Ok(sb) = ServerBound::parse(&bytes) {
            let empty = matches!(&sb, ServerBound::Request { request: Request::Say(text), .. } if text.is_empty());
            prop_assert!(same(&sb.to_bytes().unwrap(), empty));
        }
        if let Ok(cb) = ClientBound::parse(&bytes) {
            let empty = matches!(&cb,
                ClientBound::Notice { notification: Notification::Said { text, .. }, .. }
                | ClientBound::Private { message: PrivateMessage { text, .. }, .. } if text.is_empty());
            prop_assert!(same(&cb.to_bytes().unwrap(), empty));
        }
    }
}

#[test]
fn only_canonical_addresses_parse() {
    // Each of these reads as a valid address but formats differently, so
    // the datagram would not format back to its own bytes (found by fuzz
    // target room_wire: `0 pa bob [::0]:5006`).
    for addr in [
        "[::0]:5006",
        "[0:0::1]:5006",
        "[::FFFF:1.2.3.4]:5006",
        "1.2.3.4:05006",
    ] {
        let datagram = format!("n1 pa bob {addr}");
        let parsed = ClientBound::parse(datagram.as_bytes());
        if let Ok(message) = &parsed {
            panic!(
                "{datagram:?} parses, formatting as {:?}",
                message.to_bytes()
            );
        }
        assert_eq!(
            parsed,
            Err(WireError::BadAddress {
                op: "pa",
                field: addr.into()
            })
        );
    }
    for addr in [
        "[::]:5006",
        "[::1]:5006",
        "[::ffff:1.2.3.4]:5006",
        "127.0.0.1:5006",
    ] {
        let datagram = format!("4 pa bob {addr}");
        let message = ClientBound::parse(datagram.as_bytes()).expect("a canonical address");
        assert_eq!(
            &message.to_bytes().expect("formats")[..],
            datagram.as_bytes()
        );
    }
}

fn notice(seq: u32, notification: Notification) -> ClientBound {
    ClientBound::Notice { seq, notification }
}

#[test]
fn acks_are_strict() {
    assert_eq!(
        ServerBound::parse(b"n7 ak"),
        Ok(ServerBound::Ack { seq: 7 })
    );
    assert_eq!(
        ServerBound::parse(b"n7 ak x"),
        Err(WireError::UnexpectedArgument { op: "ak" })
    );
    assert_eq!(
        ServerBound::parse(b"n7 ul"),
        Err(WireError::NotANotification {
            op: "ul".into(),
            seq: 7
        })
    );
    assert_eq!(
        ServerBound::parse(b"7 ak"),
        Err(WireError::UnknownOp { op: "ak".into() })
    );
    assert_eq!(sockwire::room::read_tag(b"n7 ak"), None);
}

/// The wire as datagram codecs: the same bytes as `parse` and `encode`,
/// and an encoding refused leaves the buffer as it was.
#[test]
fn the_datagram_codecs_are_the_parsers_and_encoders() {
    use bytes::{Bytes, BytesMut};
    use sockwire::room::{ClientBoundCodec, ServerBoundCodec};
    use sockwire::{DatagramDecoder, DatagramEncoder};

    for wire in [&b"7 rc lobby"[..], b"n3 ak", b"0 ms ", b"4294967295 by"] {
        let decoded = ServerBoundCodec.decode_datagram(Bytes::copy_from_slice(wire));
        assert_eq!(decoded, ServerBound::parse(wire));
        let mut out = BytesMut::new();
        ServerBoundCodec
            .encode_datagram(decoded.unwrap(), &mut out)
            .unwrap();
        assert_eq!(&out[..], wire);
    }
    for wire in [
        &b"7 ok"[..],
        b"n9 ls 12",
        b"12 pm bob hi",
        b"5 er not-poked",
    ] {
        let decoded = ClientBoundCodec.decode_datagram(Bytes::copy_from_slice(wire));
        assert_eq!(decoded, ClientBound::parse(wire));
        let mut out = BytesMut::new();
        ClientBoundCodec
            .encode_datagram(decoded.unwrap(), &mut out)
            .unwrap();
        assert_eq!(&out[..], wire);
    }
    assert!(
        ServerBoundCodec
            .decode_datagram(Bytes::from_static(b"x ul"))
            .is_err()
    );
    assert!(
        ClientBoundCodec
            .decode_datagram(Bytes::from_static(b"n1 ok"))
            .is_err()
    );
    let too_long = ServerBound::Request {
        tag: 1,
        request: Request::Say("x".repeat(5000)),
    };
    let mut out = BytesMut::from(&b"kept"[..]);
    assert!(
        ServerBoundCodec
            .encode_datagram(too_long, &mut out)
            .is_err()
    );
    assert_eq!(&out[..], b"kept");
}
