//! The room-chat client (§7) with a fake clock, alone and
//! against the server over the in-memory network.

mod common {
    pub mod net;
}

use std::time::{Duration, Instant};

use common::net::{Conditions, Network, SERVER, addr, events, name as n, sent};
use sockwire::room::{
    ClientConfig, ClientError, ClientEvent, Command, DropReason, ErrorCode, Name, Notification,
    Reply, Request, RoomClient, RoomServer,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alice(now: Instant) -> RoomClient {
    RoomClient::new(
        now,
        SERVER,
        Name::new("alice").unwrap(),
        ClientConfig::default(),
    )
}

#[test]
fn typed_lines_become_commands() {
    let r = |req| Ok(Command::Request(req));
    assert_eq!(Command::parse_line("$userlist"), r(Request::UserList));
    assert_eq!(Command::parse_line("$roomlist\r\n"), r(Request::RoomList));
    assert_eq!(
        Command::parse_line("$roomcreate lobby"),
        r(Request::CreateRoom(n("lobby")))
    );
    assert_eq!(
        Command::parse_line("$roomjoin lobby"),
        r(Request::JoinRoom(n("lobby")))
    );
    assert_eq!(Command::parse_line("$roomleave"), r(Request::LeaveRoom));
    assert_eq!(Command::parse_line("$poke bob"), r(Request::Poke(n("bob"))));
    assert_eq!(Command::parse_line("$kick"), r(Request::Kick));
    assert_eq!(Command::parse_line("$quit"), Ok(Command::Quit));
    assert_eq!(
        Command::parse_line("$msg bob see  you "),
        Ok(Command::Private {
            to: n("bob"),
            text: "see  you ".into()
        })
    );
    assert_eq!(
        Command::parse_line("hello all"),
        r(Request::Say("hello all".into()))
    );
    assert_eq!(Command::parse_line(""), r(Request::Say(String::new())));
    assert_eq!(
        Command::parse_line("$unknown x"),
        r(Request::Say("$unknown x".into()))
    );
    for bad in [
        "$roomcreate",
        "$roomjoin",
        "$roomjoin a b",
        "$roomcreate bad.name",
        "$poke",
        "$msg",
        "$msg bob",
        "$msg bad.name hi",
        "$userlist x",
        "$kick now",
        "$quit now",
    ] {
        assert!(
            matches!(
                Command::parse_line(bad),
                Err(ClientError::BadCommand { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn requests_go_one_at_a_time_and_replies_match_by_tag() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    assert_eq!(sent(&mut c), [(5005, "1 hi alice".to_owned())]);
    assert_eq!(c.handle_line(t0, "$roomcreate lobby"), Ok(Some(2)));
    assert_eq!(c.handle_line(t0, "$userlist"), Ok(Some(3)));
    assert_eq!(c.pending(), 3);
    // nothing more is sent until `hi` is answered
    assert_eq!(sent(&mut c), []);
    c.handle_datagram(t0 + ms(10), SERVER, b"1 ok");
    assert_eq!(sent(&mut c), [(5005, "2 rc lobby".to_owned())]);
    // a reply for a tag not in flight is dropped
    c.handle_datagram(t0 + ms(11), SERVER, b"3 ul alice");
    c.handle_datagram(t0 + ms(12), SERVER, b"2 ok");
    assert_eq!(sent(&mut c), [(5005, "3 ul".to_owned())]);
    c.handle_datagram(t0 + ms(13), SERVER, b"3 ul alice");
    // a duplicate reply is dropped
    c.handle_datagram(t0 + ms(14), SERVER, b"3 ul alice");
    assert_eq!(
        events(&mut c),
        [
            ClientEvent::Reply {
                tag: 1,
                request: Request::Hello(n("alice")),
                reply: Reply::Ok
            },
            ClientEvent::Dropped {
                from: SERVER,
                reason: DropReason::UnknownTag(3)
            },
            ClientEvent::Reply {
                tag: 2,
                request: Request::CreateRoom(n("lobby")),
                reply: Reply::Ok
            },
            ClientEvent::Reply {
                tag: 3,
                request: Request::UserList,
                reply: Reply::Users(vec![n("alice")])
            },
            ClientEvent::Dropped {
                from: SERVER,
                reason: DropReason::UnknownTag(3)
            },
        ]
    );
    assert_eq!(c.room(), Some(&n("lobby")));
    assert_eq!(c.pending(), 0);
}

#[test]
fn retransmits_every_500_ms_four_times_then_times_out() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    c.handle_line(t0, "$roomlist").unwrap();
    assert_eq!(sent(&mut c).len(), 1);
    for i in 1..=4 {
        let due = t0 + ms(500 * i);
        assert_eq!(c.poll_timeout(), Some(due));
        c.handle_timeout(due - ms(1));
        assert_eq!(sent(&mut c), [], "early at retry {i}");
        c.handle_timeout(due);
        assert_eq!(sent(&mut c), [(5005, "1 hi alice".to_owned())], "retry {i}");
    }
    assert_eq!(events(&mut c), []);
    c.handle_timeout(t0 + ms(2500));
    assert_eq!(
        events(&mut c),
        [ClientEvent::TimedOut {
            tag: 1,
            request: Request::Hello(n("alice"))
        }]
    );
    // the next request goes out at once, with a fresh 500 ms
    assert_eq!(sent(&mut c), [(5005, "2 rl".to_owned())]);
    assert_eq!(c.poll_timeout(), Some(t0 + ms(3000)));
    c.handle_datagram(t0 + ms(2600), SERVER, b"2 rl");
    assert_eq!(
        events(&mut c),
        [ClientEvent::Reply {
            tag: 2,
            request: Request::RoomList,
            reply: Reply::Rooms(vec![])
        }]
    );
}

#[test]
fn a_late_reply_to_an_earlier_send_still_completes_the_request() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    let _ = sent(&mut c);
    c.handle_timeout(t0 + ms(500));
    assert_eq!(sent(&mut c).len(), 1);
    c.handle_datagram(t0 + ms(700), SERVER, b"1 ok");
    assert_eq!(events(&mut c).len(), 1);
    c.handle_timeout(t0 + ms(1000));
    assert_eq!(sent(&mut c), []);
}

#[test]
fn keepalive_every_20_s_when_idle() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    let _ = sent(&mut c);
    c.handle_datagram(t0 + ms(5), SERVER, b"1 ok");
    assert_eq!(c.poll_timeout(), Some(t0 + ms(20_000)));
    c.handle_timeout(t0 + ms(19_999));
    assert_eq!(sent(&mut c), []);
    c.handle_timeout(t0 + ms(20_000));
    assert_eq!(sent(&mut c), [(5005, "2 ka".to_owned())]);
    c.handle_datagram(t0 + ms(20_010), SERVER, b"2 ok");
    assert_eq!(c.poll_timeout(), Some(t0 + ms(40_000)));
    // busy at the next one: no ka (the request under way keeps us alive)
    c.handle_line(t0 + ms(39_900), "$userlist").unwrap();
    let _ = sent(&mut c);
    c.handle_timeout(t0 + ms(40_000));
    assert_eq!(sent(&mut c), []);
    c.handle_datagram(t0 + ms(40_010), SERVER, b"3 ul alice");
    c.handle_timeout(t0 + ms(60_000));
    assert_eq!(sent(&mut c), [(5005, "4 ka".to_owned())]);
}

#[test]
fn pm_is_accepted_only_from_the_address_pa_gave() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    let bob = addr(2002);
    let mallory = addr(6666);
    c.handle_datagram(t0, SERVER, b"1 ok");
    // before any poke: dropped
    c.handle_datagram(t0, bob, b"0 pm bob hi");
    c.handle_line(t0, "$poke bob").unwrap();
    c.handle_datagram(t0, SERVER, b"2 pa bob 127.0.0.1:2002");
    c.handle_datagram(t0, bob, b"0 pm bob hi  there");
    // claims to be bob from another address: dropped
    c.handle_datagram(t0, mallory, b"0 pm bob you owe me");
    // bob's address claiming to be carol, who never poked: dropped
    c.handle_datagram(t0, bob, b"0 pm carol hi");
    // carol pokes us (unsolicited pa): now carol's pm is accepted
    c.handle_datagram(t0, SERVER, b"n1 pa carol 127.0.0.1:3003");
    c.handle_datagram(t0, addr(3003), b"0 pm carol hello");
    // server-only messages from a non-server address are dropped
    c.handle_datagram(t0, mallory, b"n2 pa mallory 127.0.0.1:6666");
    c.handle_datagram(t0, mallory, b"n2 kd lobby");
    let ev = events(&mut c);
    let private: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Private { from, text, .. } => Some((from.as_str(), text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(private, [("bob", "hi  there"), ("carol", "hello")]);
    let dropped: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Dropped { from, reason } => Some((from.port(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        dropped,
        [
            (2002, DropReason::Spoofed { user: n("bob") }),
            (6666, DropReason::Spoofed { user: n("bob") }),
            (2002, DropReason::Spoofed { user: n("carol") }),
            (6666, DropReason::NotFromServer),
            (6666, DropReason::NotFromServer),
        ]
    );
    assert_eq!(c.peer("mallory"), None);
    assert_eq!(c.peer("carol"), Some(addr(3003)));
    // every pm is answered: `ok` from a poked peer, else `er not-poked`
    let answers: Vec<_> = sent(&mut c)
        .into_iter()
        .filter(|(port, _)| *port != 5005)
        .collect();
    assert_eq!(
        answers,
        [
            (2002, "0 er not-poked".to_owned()),
            (2002, "0 ok".to_owned()),
            (6666, "0 er not-poked".to_owned()),
            (2002, "0 er not-poked".to_owned()),
            (3003, "0 ok".to_owned()),
        ]
    );
}

/// alice, registered, poked by bob at 127.0.0.1:2002; nothing left to
/// poll.
fn poked_by_bob(t0: Instant) -> RoomClient {
    let mut c = alice(t0);
    c.handle_datagram(t0, SERVER, b"1 ok");
    c.handle_datagram(t0, SERVER, b"n1 pa bob 127.0.0.1:2002");
    let _ = sent(&mut c);
    let _ = events(&mut c);
    c
}

#[test]
fn a_repeated_pm_is_answered_again_and_shown_once() {
    let t0 = Instant::now();
    let mut c = poked_by_bob(t0);
    let bob = addr(2002);
    c.handle_datagram(t0, bob, b"7 pm bob one");
    c.handle_datagram(t0, bob, b"7 pm bob one");
    c.handle_datagram(t0, bob, b"8 pm bob two");
    c.handle_datagram(t0, bob, b"7 pm bob one");
    assert_eq!(
        sent(&mut c),
        [
            (2002, "7 ok".to_owned()),
            (2002, "7 ok".to_owned()),
            (2002, "8 ok".to_owned()),
            (2002, "7 ok".to_owned()),
        ]
    );
    let shown: Vec<String> = events(&mut c).iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "[pm] bob: one",
            "(dropped from 127.0.0.1:2002: pm 7 again, shown already)",
            "[pm] bob: two",
            "(dropped from 127.0.0.1:2002: pm 7 again, shown already)",
        ]
    );
}

#[test]
fn a_pm_is_retransmitted_until_answered_and_reported_like_a_request() {
    let t0 = Instant::now();
    let mut c = poked_by_bob(t0);
    assert_eq!(c.handle_line(t0, "$msg bob one"), Ok(Some(2)));
    assert_eq!(c.handle_line(t0, "$msg bob two"), Ok(Some(3)));
    // one at a time, in order
    assert_eq!(sent(&mut c), [(2002, "2 pm alice one".to_owned())]);
    assert_eq!(c.pending_private(), 2);
    c.handle_timeout(t0 + ms(500));
    assert_eq!(sent(&mut c), [(2002, "2 pm alice one".to_owned())]);
    // an answer from another address does not count
    c.handle_datagram(t0 + ms(600), addr(6666), b"2 ok");
    assert_eq!(sent(&mut c), []);
    c.handle_datagram(t0 + ms(600), addr(2002), b"2 ok");
    assert_eq!(sent(&mut c), [(2002, "3 pm alice two".to_owned())]);
    // no answer: 4 retransmissions, then reported
    for i in 1..=4 {
        c.handle_timeout(t0 + ms(600 + 500 * i));
        assert_eq!(sent(&mut c), [(2002, "3 pm alice two".to_owned())]);
    }
    c.handle_timeout(t0 + ms(3100));
    assert_eq!(sent(&mut c), []);
    assert_eq!(c.pending_private(), 0);
    let shown: Vec<String> = events(&mut c).iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "(dropped from 127.0.0.1:6666: server message not from the server)",
            "ok (pm to bob)",
            "no reply from bob to pm (timed out), it may not have arrived: two",
        ]
    );
    // a peer that does not know us says so
    c.handle_line(t0 + ms(4000), "$msg bob three").unwrap();
    c.handle_datagram(t0 + ms(4001), addr(2002), b"4 er not-poked");
    let ev = events(&mut c);
    assert!(matches!(
        &ev[..],
        [ClientEvent::PrivateReply {
            tag: 4,
            reply: Reply::Error {
                code: ErrorCode::NotPoked,
                ..
            },
            ..
        }]
    ));
    assert_eq!(ev[0].to_string(), "error: not-poked (pm to bob)");
}

#[test]
fn private_messages_go_straight_to_the_poked_address() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    c.handle_datagram(t0, SERVER, b"1 ok");
    let _ = sent(&mut c);
    assert_eq!(
        c.handle_line(t0, "$msg bob hi"),
        Err(ClientError::NotPoked { user: n("bob") })
    );
    c.handle_datagram(t0, SERVER, b"n1 pa bob 127.0.0.1:2002");
    assert_eq!(sent(&mut c), [(5005, "n1 ak".to_owned())]);
    assert_eq!(c.handle_line(t0, "$msg bob hi  bob"), Ok(Some(2)));
    assert_eq!(sent(&mut c), [(2002, "2 pm alice hi  bob".to_owned())]);
    let long = format!("$msg bob {}", "x".repeat(4096));
    assert!(matches!(
        c.handle_line(t0, &long),
        Err(ClientError::TooLong { max: 4096, .. })
    ));
    let long = "x".repeat(4096);
    assert!(matches!(
        c.handle_line(t0, &long),
        Err(ClientError::TooLong { .. })
    ));
    assert_eq!(sent(&mut c), []);
}

#[test]
fn notifications_are_reported_and_kd_leaves_the_room() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    c.handle_datagram(t0, SERVER, b"1 ok");
    c.handle_line(t0, "$roomjoin lobby").unwrap();
    c.handle_datagram(t0, SERVER, b"2 ok");
    assert_eq!(c.room(), Some(&n("lobby")));
    let _ = events(&mut c);
    for wire in [
        &b"n1 jn lobby bob"[..],
        b"n2 ms lobby bob hi",
        b"n3 lv lobby bob",
        b"n4 kd lobby",
    ] {
        c.handle_datagram(t0, SERVER, wire);
    }
    assert_eq!(
        events(&mut c),
        [
            ClientEvent::Notice(Notification::Joined {
                room: n("lobby"),
                user: n("bob")
            }),
            ClientEvent::Notice(Notification::Said {
                room: n("lobby"),
                user: n("bob"),
                text: "hi".into()
            }),
            ClientEvent::Notice(Notification::Left {
                room: n("lobby"),
                user: n("bob")
            }),
            ClientEvent::Notice(Notification::Kicked { room: n("lobby") }),
        ]
    );
    assert_eq!(c.room(), None);
    c.handle_datagram(t0, SERVER, b"junk");
    assert!(matches!(
        events(&mut c)[..],
        [ClientEvent::Dropped {
            reason: DropReason::Malformed(_),
            ..
        }]
    ));
}

#[test]
fn quit_sends_by_and_closes_on_its_reply_or_timeout() {
    let t0 = Instant::now();
    let mut c = alice(t0);
    c.handle_datagram(t0, SERVER, b"1 ok");
    let _ = sent(&mut c);
    assert_eq!(c.handle_line(t0, "$quit"), Ok(Some(2)));
    assert_eq!(sent(&mut c), [(5005, "2 by".to_owned())]);
    assert_eq!(c.handle_line(t0, "hello"), Err(ClientError::Closed));
    assert!(!c.is_closed());
    c.handle_datagram(t0, SERVER, b"2 ok");
    assert!(c.is_closed());
    assert_eq!(events(&mut c).last(), Some(&ClientEvent::Closed));
    assert_eq!(c.poll_timeout(), None);

    let mut c = alice(t0);
    c.handle_line(t0, "$quit").unwrap();
    for i in 1..=9 {
        c.handle_timeout(t0 + ms(500 * i));
        assert!(!c.is_closed());
    }
    c.handle_timeout(t0 + ms(5000));
    // finished, but the last retransmission is still to be sent
    assert!(!c.is_closed());
    let _ = sent(&mut c);
    assert!(c.is_closed());
    let ev = events(&mut c);
    assert_eq!(ev.len(), 3, "{ev:?}"); // hi and by timed out, closed
    assert_eq!(ev[2], ClientEvent::Closed);
}

#[test]
fn the_request_queue_is_bounded() {
    let t0 = Instant::now();
    let mut config = ClientConfig::default();
    config.max_pending = 3;
    let mut c = RoomClient::new(t0, SERVER, n("alice"), config);
    c.handle_line(t0, "$userlist").unwrap();
    c.handle_line(t0, "$roomlist").unwrap();
    assert_eq!(
        c.handle_line(t0, "$roomlist"),
        Err(ClientError::TooManyPending { max: 3 })
    );
}

/// alice, bob, carol and the server on a perfect network.
fn chat() -> Network {
    let mut net = Network::new(RoomServer::default(), Conditions::perfect(), 1);
    net.add_client(2001, "alice");
    net.add_client(2002, "bob");
    net.add_client(2003, "carol");
    net.settle(ms(100));
    net
}

fn notices(net: &mut Network, i: usize) -> Vec<String> {
    net.take_events(i)
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Notice(n) => Some(n.to_string()),
            ClientEvent::Private { from, text, .. } => Some(format!("pm {from} {text}")),
            _ => None,
        })
        .collect()
}

#[test]
fn three_clients_chat_in_rooms() {
    let mut net = chat();
    net.line(0, "$roomcreate lobby");
    net.settle(ms(100));
    net.line(1, "$roomjoin lobby");
    net.settle(ms(100));
    net.line(2, "$roomjoin lobby");
    net.settle(ms(100));
    net.line(0, "hello all");
    net.settle(ms(100));
    net.line(2, "$roomcreate side");
    net.settle(ms(100));
    net.line(1, "just us now");
    net.settle(ms(100));
    assert_eq!(
        notices(&mut net, 0),
        [
            "jn lobby bob",
            "jn lobby carol",
            "lv lobby carol",
            "ms lobby bob just us now"
        ]
    );
    assert_eq!(
        notices(&mut net, 1),
        [
            "jn lobby carol",
            "ms lobby alice hello all",
            "lv lobby carol"
        ]
    );
    assert_eq!(notices(&mut net, 2), ["ms lobby alice hello all"]);
    assert_eq!(net.clients[2].room(), Some(&n("side")));
    net.line(1, "$roomlist");
    net.settle(ms(100));
    assert!(net.take_events(1).contains(&ClientEvent::Reply {
        tag: 4,
        request: Request::RoomList,
        reply: Reply::Rooms(vec![n("lobby"), n("side")])
    }));
}

#[test]
fn ownership_passes_on_and_the_new_owner_can_kick() {
    let mut net = chat();
    for (i, line) in [
        (0, "$roomcreate lobby"),
        (1, "$roomjoin lobby"),
        (2, "$roomjoin lobby"),
    ] {
        net.line(i, line);
        net.settle(ms(100));
    }
    net.line(1, "$kick");
    net.settle(ms(100));
    assert!(net.take_events(1).iter().any(|e| matches!(
        e,
        ClientEvent::Reply { request: Request::Kick, reply: Reply::Error { code, .. }, .. }
            if code.as_str() == "not-owner"
    )));
    net.line(0, "$quit");
    net.settle(ms(100));
    assert!(net.clients[0].is_closed());
    net.line(1, "$kick");
    net.settle(ms(100));
    assert_eq!(notices(&mut net, 2), ["lv lobby alice", "kd lobby"]);
    assert_eq!(net.clients[2].room(), None);
    assert_eq!(notices(&mut net, 1), ["lv lobby alice", "lv lobby carol"]);
    let (owner, members) = net.server.room_members("lobby").unwrap();
    assert_eq!((owner.as_str(), members.len()), ("bob", 1));
}

#[test]
fn pokes_let_two_clients_talk_directly() {
    let mut net = chat();
    net.line(0, "$poke bob");
    net.settle(ms(100));
    assert_eq!(net.clients[0].peer("bob"), Some(addr(2002)));
    assert_eq!(net.clients[1].peer("alice"), Some(addr(2001)));
    net.line(0, "$msg bob psst");
    net.line(1, "$msg alice hi back");
    net.settle(ms(100));
    assert_eq!(
        notices(&mut net, 1),
        ["pa alice 127.0.0.1:2001", "pm alice psst"]
    );
    assert_eq!(notices(&mut net, 0), ["pm bob hi back"]);
    // carol was not poked: her pm to bob is refused locally
    assert!(matches!(
        net.clients[2].handle_line(net.clock.now(), "$msg bob hi"),
        Err(ClientError::NotPoked { .. })
    ));
    // a forged pm from carol's address is dropped by bob
    net.inject(addr(2003), addr(2002), b"0 pm alice trust me");
    assert!(net.take_events(1).iter().any(|e| matches!(
        e,
        ClientEvent::Dropped {
            reason: DropReason::Spoofed { .. },
            ..
        }
    )));
}

#[test]
fn live_clients_stay_registered_and_silent_ones_expire() {
    let mut net = chat();
    net.line(0, "$roomcreate lobby");
    net.settle(ms(100));
    // a peer that registers, joins and then goes silent
    let ghost = addr(2999);
    net.inject(ghost, SERVER, b"1 hi ghost");
    net.inject(ghost, SERVER, b"2 rj lobby");
    net.run_for(Duration::from_secs(59));
    assert_eq!(net.server.users().count(), 4);
    net.run_for(Duration::from_secs(2));
    assert_eq!(net.server.users().count(), 3);
    assert_eq!(notices(&mut net, 0), ["jn lobby ghost", "lv lobby ghost"]);
    // ten minutes of keep-alives
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.server.users().count(), 3);
    let kas = net
        .server_events
        .iter()
        .filter(|e| {
            matches!(
                e,
                sockwire::room::ServerEvent::Handled {
                    request: Request::KeepAlive,
                    ..
                }
            )
        })
        .count();
    // each of 3 clients, every 20 s for 661 s
    assert_eq!(kas, 3 * 33);
}

#[test]
fn a_hi_command_renames_the_client() {
    let mut net = chat();
    net.clients[0]
        .command(
            net.clock.now(),
            Command::Request(Request::Hello(n("alicia"))),
        )
        .unwrap();
    net.settle(ms(100));
    assert_eq!(net.clients[0].user(), &n("alicia"));
    net.line(1, "$poke alicia");
    net.settle(ms(100));
    assert_eq!(net.clients[1].peer("alicia"), Some(addr(2001)));
    // the private message now carries the new name
    net.line(1, "$msg alicia hi");
    net.settle(ms(100));
    net.clients[0]
        .handle_line(net.clock.now(), "$msg bob hi back")
        .unwrap();
    net.settle(ms(100));
    assert!(notices(&mut net, 1).contains(&"pm alicia hi back".to_owned()));
}

#[test]
fn the_first_tag_is_configurable_and_tags_skip_zero() {
    let t0 = Instant::now();
    let config = ClientConfig::default().with_first_tag(u32::MAX);
    let mut c = RoomClient::new(t0, SERVER, n("alice"), config);
    assert_eq!(sent(&mut c), [(5005, "4294967295 hi alice".to_owned())]);
    c.handle_datagram(t0, SERVER, b"4294967295 ok");
    // the count wraps past u32::MAX to 1, never 0 (tag 0 is for errors
    // about an unreadable tag)
    assert_eq!(c.handle_line(t0, "$userlist"), Ok(Some(1)));
    assert_eq!(sent(&mut c), [(5005, "1 ul".to_owned())]);
    // 0 counts as 1
    let mut c = RoomClient::new(
        t0,
        SERVER,
        n("bob"),
        ClientConfig::default().with_first_tag(0),
    );
    assert_eq!(sent(&mut c), [(5005, "1 hi bob".to_owned())]);
}
