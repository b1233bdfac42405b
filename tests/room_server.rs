//! The room-chat server (§7), datagram by datagram with a
//! fake clock: every op, every error reply, notifications, ownership,
//! expiry, the reply cache and the memory limits.

mod common {
    pub mod net;
}

use common::net::{ServerHarness, addr, out, sent};
use sockwire::room::{ErrorCode, Reply, Request, RoomServer, ServerConfig, ServerEvent, WireError};

const A: u16 = 1001;
const B: u16 = 1002;
const C: u16 = 1003;
const X: u16 = 1099;

fn harness() -> ServerHarness {
    ServerHarness::new(RoomServer::default())
}

/// alice, bob and carol registered.
fn three() -> ServerHarness {
    let mut h = harness();
    assert_eq!(h.ask(A, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(B, "1 hi bob"), "1 ok");
    assert_eq!(h.ask(C, "1 hi carol"), "1 ok");
    h
}

#[test]
fn hi_registers_renames_and_refuses_taken_or_bad_names() {
    let mut h = harness();
    assert_eq!(h.ask(A, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(B, "1 hi alice"), "1 er name-taken");
    assert_eq!(h.ask(B, "2 hi bad.name"), "2 er bad-name");
    assert_eq!(
        h.ask(B, &format!("3 hi {}", "x".repeat(33))),
        "3 er bad-name"
    );
    assert_eq!(h.ask(B, "4 hi bob"), "4 ok");
    // the same name again from the same address is fine
    assert_eq!(h.ask(B, "5 hi bob"), "5 ok");
    assert_eq!(h.ask(A, "2 hi alice2"), "2 ok");
    assert_eq!(h.ask(A, "3 ul"), "3 ul alice2 bob");
    // the old name is free again
    assert_eq!(h.ask(C, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(C, "2 ul"), "2 ul alice alice2 bob");
    assert_eq!(h.server.users().count(), 3);
}

#[test]
fn everything_but_hi_needs_registration() {
    let mut h = harness();
    let ops = [
        "ul", "rl", "rc r", "rj r", "rk", "ar bob", "kk", "ms hi", "ka", "by",
    ];
    for (tag, op) in ops.into_iter().enumerate() {
        let reply = h.ask(X, &format!("{tag} {op}"));
        assert_eq!(reply, format!("{tag} er not-registered"));
    }
    assert!(matches!(
        h.last_event(),
        ServerEvent::Handled {
            reply: Reply::Error {
                code: ErrorCode::NotRegistered,
                ..
            },
            ..
        }
    ));
    // an invalid name from an unregistered address: not-registered, but
    // for hi; structural errors are bad-request
    assert_eq!(h.ask(X, "20 rc bad.name"), "20 er not-registered");
    assert_eq!(h.ask(X, "21 ar bad.name"), "21 er not-registered");
    assert_eq!(h.ask(X, "22 hi bad.name"), "22 er bad-name");
    assert_eq!(h.ask(X, "23 zz"), "23 er bad-request");
}

#[test]
fn lists_are_sorted_and_bare_when_empty() {
    let mut h = harness();
    assert_eq!(h.ask(A, "1 hi zed"), "1 ok");
    assert_eq!(h.ask(A, "2 rl"), "2 rl");
    assert_eq!(h.ask(B, "1 hi Bob"), "1 ok");
    assert_eq!(h.ask(C, "1 hi amy"), "1 ok");
    // byte order: upper case first
    assert_eq!(h.ask(A, "3 ul"), "3 ul Bob amy zed");
    assert_eq!(h.ask(A, "4 rc room2"), "4 ok");
    assert_eq!(h.ask(B, "2 rc room1"), "2 ok");
    assert_eq!(h.ask(C, "2 rc A-room"), "2 ok");
    assert_eq!(h.ask(C, "3 rl"), "3 rl A-room room1 room2");
}

#[test]
fn rc_creates_owns_and_joins_and_refuses_existing_or_bad_names() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.server.room_members("lobby").unwrap().0.as_str(), "alice");
    assert_eq!(h.ask(B, "2 rc lobby"), "2 er room-exists");
    assert_eq!(h.ask(B, "3 rc lob.by"), "3 er bad-name");
    assert_eq!(h.ask(B, "4 rc"), "4 er bad-request");
    // creating another room leaves the current one (removed: it is empty)
    assert_eq!(h.ask(A, "3 rc other"), "3 ok");
    assert_eq!(h.ask(A, "4 rl"), "4 rl other");
}

#[test]
fn rj_joins_tells_members_and_leaves_the_old_room() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(
        h.send(B, "2 rj lobby"),
        out(&[(A, "n1 jn lobby bob"), (B, "2 ok")])
    );
    assert_eq!(
        h.send(C, "2 rj lobby"),
        out(&[
            (A, "n2 jn lobby carol"),
            (B, "n1 jn lobby carol"),
            (C, "2 ok")
        ])
    );
    assert_eq!(h.ask(C, "3 rj nowhere"), "3 er no-such-room");
    assert_eq!(h.ask(C, "4 rj no.where"), "4 er no-such-room");
    // joining the room you are in changes nothing
    assert_eq!(h.ask(C, "5 rj lobby"), "5 ok");
    assert_eq!(h.send(C, "6 rc side").len(), 3);
    let moved = h.send(B, "3 rj side");
    assert_eq!(
        moved,
        out(&[(A, "n4 lv lobby bob"), (C, "n1 jn side bob"), (B, "3 ok")])
    );
    let (owner, members) = h.server.room_members("lobby").unwrap();
    assert_eq!((owner.as_str(), members.len()), ("alice", 1));
}

#[test]
fn rk_leaves_tells_the_rest_and_removes_empty_rooms() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rk"), "2 er not-in-room");
    assert_eq!(h.ask(A, "3 rc lobby"), "3 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    assert_eq!(
        h.send(B, "3 rk"),
        out(&[(A, "n2 lv lobby bob"), (B, "3 ok")])
    );
    assert_eq!(h.ask(B, "4 rk"), "4 er not-in-room");
    assert_eq!(h.ask(A, "4 rk"), "4 ok");
    assert_eq!(h.ask(A, "5 rl"), "5 rl");
}

#[test]
fn ownership_goes_to_the_longest_joined_member() {
    let mut h = three();
    let mut d = harness_with_four(&mut h);
    assert_eq!(d.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(d.send(C, "2 rj lobby").len(), 2); // carol joins before bob
    assert_eq!(d.send(B, "2 rj lobby").len(), 3);
    assert_eq!(d.send(4, "2 rj lobby").len(), 4);
    assert_eq!(d.ask(B, "3 kk"), "3 er not-owner");
    // alice leaves: carol (joined before bob) owns the room
    assert_eq!(d.send(A, "3 rk").len(), 4);
    assert_eq!(d.server.room_members("lobby").unwrap().0.as_str(), "carol");
    assert_eq!(d.ask(B, "4 kk"), "4 er not-owner");
    // carol quits: bob owns it
    assert_eq!(
        d.send(C, "3 by"),
        out(&[
            (B, "n3 lv lobby carol"),
            (4, "n2 lv lobby carol"),
            (C, "3 ok")
        ])
    );
    assert_eq!(d.server.room_members("lobby").unwrap().0.as_str(), "bob");
    let (_, members) = d.server.room_members("lobby").unwrap();
    assert_eq!(members, ["bob", "dave"]);
}

/// The harness `three()` made, plus dave at port 4.
fn harness_with_four(h: &mut ServerHarness) -> ServerHarness {
    let mut d = std::mem::replace(h, harness());
    assert_eq!(d.ask(4, "1 hi dave"), "1 ok");
    d
}

#[test]
fn ar_pokes_tell_both_sides() {
    let mut h = three();
    assert_eq!(
        h.send(A, "2 ar bob"),
        out(&[
            (B, "n1 pa alice 127.0.0.1:1001"),
            (A, "2 pa bob 127.0.0.1:1002"),
        ])
    );
    assert_eq!(h.ask(A, "3 ar nobody"), "3 er no-such-user");
    assert_eq!(h.ask(A, "4 ar no.body"), "4 er no-such-user");
    assert_eq!(h.ask(A, "5 ar"), "5 er bad-request");
}

#[test]
fn kk_kicks_every_other_member_owner_only() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 kk"), "2 er not-in-room");
    assert_eq!(h.ask(A, "3 rc lobby"), "3 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    assert_eq!(h.send(C, "2 rj lobby").len(), 3);
    assert_eq!(h.ask(C, "3 kk"), "3 er not-owner");
    assert_eq!(
        h.send(A, "4 kk"),
        out(&[
            (B, "n2 kd lobby"),
            (A, "n3 lv lobby bob"),
            (C, "n1 kd lobby"),
            (A, "n4 lv lobby carol"),
            (A, "4 ok"),
        ])
    );
    assert_eq!(h.ask(B, "3 ms hello?"), "3 er not-in-room");
    let (owner, members) = h.server.room_members("lobby").unwrap();
    assert_eq!((owner.as_str(), members.len()), ("alice", 1));
    // kicking an empty room is fine
    assert_eq!(h.ask(A, "5 kk"), "5 ok");
}

#[test]
fn ms_is_relayed_to_everyone_else_in_the_room() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 ms anyone?"), "2 er not-in-room");
    assert_eq!(h.ask(A, "3 rc lobby"), "3 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    assert_eq!(h.ask(C, "2 rc other"), "2 ok");
    assert_eq!(
        h.send(A, "4 ms hello  there "),
        out(&[(B, "n1 ms lobby alice hello  there "), (A, "4 ok")])
    );
    assert_eq!(
        h.send(B, "3 ms"),
        out(&[(A, "n2 ms lobby bob "), (B, "3 ok")])
    );
    // alone in a room: no relay
    assert_eq!(h.send(C, "3 ms echo"), out(&[(C, "3 ok")]));
}

#[test]
fn ms_whose_relay_would_be_too_long_is_refused() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    // fits as a request, not once room and user are added
    let text = "x".repeat(4096 - 5);
    let reply = h.ask(A, &format!("3 ms {text}"));
    assert!(reply.starts_with("3 er too-long"), "{reply}");
    // the longest that fits in the relay, whatever its sequence number,
    // goes through; one more byte does not
    let text = "x".repeat(4096 - "n4294967295 ms lobby alice ".len());
    assert!(
        h.ask(A, &format!("4 ms {text}x"))
            .starts_with("4 er too-long")
    );
    assert_eq!(h.send(A, format!("5 ms {text}")).len(), 2);
}

#[test]
fn ka_by_and_bad_requests() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 ka"), "2 ok");
    assert_eq!(h.ask(A, "3 zz"), "3 er bad-request");
    assert_eq!(h.ask(A, "4 ul x"), "4 er bad-request");
    assert_eq!(h.ask(A, "5"), "5 er bad-request");
    assert_eq!(h.ask(A, "6 "), "6 er bad-request");
    assert_eq!(h.ask(A, "7 ms \u{1F436}"), "7 er not-in-room");
    assert_eq!(h.ask(A, "8 rj \u{e9}"), "8 er no-such-room");
    assert!(matches!(
        h.last_event(),
        ServerEvent::Rejected {
            tag: 8,
            error: WireError::BadName { op: "rj", .. },
            ..
        }
    ));
    let mut bad_utf8 = b"9 ms ".to_vec();
    bad_utf8.push(0xff);
    assert_eq!(h.send(A, &bad_utf8), out(&[(A, "9 er bad-request")]));
    assert!(matches!(
        h.last_event(),
        ServerEvent::Rejected {
            tag: 9,
            error: WireError::InvalidUtf8 { offset: 5 },
            ..
        }
    ));
    assert_eq!(h.ask(A, "10 rc lobby"), "10 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    assert_eq!(
        h.send(B, "3 by"),
        out(&[(A, "n2 lv lobby bob"), (B, "3 ok")])
    );
    assert_eq!(h.ask(B, "4 ka"), "4 er not-registered");
    assert_eq!(h.ask(A, "11 ul"), "11 ul alice carol");
    // the last member quits: the room goes
    assert_eq!(h.ask(A, "12 by"), "12 ok");
    assert_eq!(h.ask(C, "2 rl"), "2 rl");
}

#[test]
fn over_long_datagrams_get_too_long_with_their_tag_or_zero() {
    let mut h = three();
    let long = format!("42 ms {}", "x".repeat(4096));
    assert_eq!(h.ask(A, &long), "42 er too-long");
    assert!(matches!(
        h.last_event(),
        ServerEvent::Rejected {
            tag: 42,
            error: WireError::TooLong {
                size: 4102,
                max: 4096
            },
            ..
        }
    ));
    let mut unreadable = vec![b'x'; 5000];
    unreadable[1] = b' ';
    assert_eq!(
        h.ask(X, std::str::from_utf8(&unreadable).unwrap()),
        "0 er too-long"
    );
    // not cached under tag 0: a real request with tag 0 is executed
    assert_eq!(h.ask(X, "0 hi xavier"), "0 ok");
    // exactly 4096 bytes is allowed
    let exact = format!("43 ms {}", "x".repeat(4096 - 6));
    assert_eq!(exact.len(), 4096);
    assert_eq!(h.ask(A, &exact), "43 er not-in-room");
}

#[test]
fn datagrams_whose_tag_cannot_be_read_are_dropped_and_logged() {
    let mut h = three();
    for wire in [
        &b""[..],
        b"ul",
        b"x ul",
        b"01 ul",
        b"-1 ul",
        b" 1 ul",
        b"99999999999 ul",
        b"\xff ul",
    ] {
        assert_eq!(h.send(A, wire), vec![], "{wire:?}");
        assert!(
            matches!(h.last_event(), ServerEvent::Dropped { from, .. } if *from == addr(A)),
            "{wire:?}: {:?}",
            h.last_event()
        );
    }
    // and the server goes on
    assert_eq!(h.ask(A, "2 ka"), "2 ok");
}

#[test]
fn one_event_per_datagram() {
    let mut h = three();
    let before = h.events.len();
    let _ = h.send(A, "2 rc lobby");
    let _ = h.send(B, "2 rj lobby");
    let _ = h.send(B, "2 rj lobby");
    let _ = h.send(B, "x");
    let _ = h.send(B, "3 zz");
    assert_eq!(h.events.len() - before, 5);
    assert!(matches!(
        &h.events[before],
        ServerEvent::Handled {
            tag: 2,
            request: Request::CreateRoom(_),
            reply: Reply::Ok,
            ..
        }
    ));
    assert!(matches!(
        &h.events[before + 2],
        ServerEvent::Retransmitted { tag: 2, .. }
    ));
    assert!(matches!(&h.events[before + 3], ServerEvent::Dropped { .. }));
    assert!(matches!(
        &h.events[before + 4],
        ServerEvent::Rejected { tag: 3, .. }
    ));
}

#[test]
fn a_retransmitted_request_gets_the_same_reply_and_is_not_executed_twice() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    // executing again would answer room-exists
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    assert_eq!(h.send(A, "3 ms once").len(), 2);
    // the retransmission is answered, not relayed again
    assert_eq!(h.send(A, "3 ms once"), out(&[(A, "3 ok")]));
    // even with a different body: same address and tag is a retransmission
    assert_eq!(h.send(A, "3 ms twice"), out(&[(A, "3 ok")]));
    // a new tag executes
    assert_eq!(h.send(A, "4 ms once").len(), 2);
    // errors are cached too
    assert_eq!(h.ask(C, "2 kk"), "2 er not-in-room");
    assert_eq!(h.send(C, "3 rj lobby").len(), 3);
    assert_eq!(h.ask(C, "3 rj lobby"), "3 ok");
    // a stale duplicate of a recent request (delivered after the next one)
    // is answered from the cache too
    assert_eq!(h.send(A, "3 ms once"), out(&[(A, "3 ok")]));
    // the cache is per address: another address with the same tag executes
    assert_eq!(h.send(B, "4 ms hi").len(), 3);
    // by, then a late duplicate of by: still ok, not not-registered
    assert_eq!(h.send(C, "4 by").len(), 3);
    assert_eq!(h.ask(C, "4 by"), "4 ok");
    // ... and a late duplicate of the request before it is not executed
    assert_eq!(h.ask(C, "3 rj lobby"), "3 ok");
    assert_eq!(h.ask(C, "5 ul"), "5 er not-registered");
}

#[test]
fn with_a_history_of_one_only_the_last_tag_is_cached() {
    let mut config = ServerConfig::default();
    config.reply_history = 1;
    let mut h = ServerHarness::new(RoomServer::new(config));
    assert_eq!(h.ask(A, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.ask(A, "3 ka"), "3 ok");
    assert_eq!(h.ask(A, "2 rc lobby"), "2 er room-exists");
}

#[test]
fn registrations_expire_after_60_s_of_silence_and_leave_their_rooms() {
    let mut h = three();
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(h.send(B, "2 rj lobby").len(), 2);
    // alice acknowledges bob's `jn`: nothing left to resend
    assert_eq!(h.send(A, "n1 ak"), vec![]);
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.clock.at(std::time::Duration::from_secs(60)))
    );
    h.at(30.0);
    assert_eq!(h.ask(B, "3 ka"), "3 ok");
    assert_eq!(h.ask(C, "2 ka"), "2 ok");
    h.at(59.999);
    assert_eq!(h.server.users().count(), 3);
    h.at(60.0);
    // alice expired: bob owns the room now and is told
    assert_eq!(
        h.server.users().map(|n| n.as_str()).collect::<Vec<_>>(),
        ["bob", "carol"]
    );
    assert!(
        matches!(h.last_event(), ServerEvent::Expired { user, addr: a } if user == "alice" && *a == addr(A))
    );
    let told: Vec<_> = std::iter::from_fn(|| h.server.poll_transmit()).collect();
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].destination, &told[0].payload[..]),
        (addr(B), &b"n1 lv lobby alice"[..])
    );
    assert_eq!(h.send(B, "n1 ak"), vec![]);
    assert_eq!(h.server.room_members("lobby").unwrap().0.as_str(), "bob");
    assert_eq!(h.ask(A, "3 ul"), "3 er not-registered");
    // any datagram keeps a registration alive, even a malformed one
    h.at(89.0);
    assert_eq!(h.send(B, "junk"), vec![]);
    h.at(90.0);
    assert_eq!(
        h.server.users().map(|n| n.as_str()).collect::<Vec<_>>(),
        ["bob"]
    );
    h.at(148.9);
    assert_eq!(h.server.users().count(), 1);
    h.at(149.0);
    assert_eq!(h.server.users().count(), 0);
    assert_eq!(h.server.rooms().count(), 0);
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn a_datagram_after_its_registration_expired_does_not_refresh_it() {
    let mut h = three();
    // no handle_timeout call: the sender's own registration is past its
    // expiry, so the datagram finds it gone; the others wait for the timer
    h.clock
        .advance_to(h.clock.at(std::time::Duration::from_secs(61)));
    assert_eq!(h.ask(A, "2 ul"), "2 er not-registered");
    assert!(matches!(
        h.events[h.events.len() - 2],
        ServerEvent::Expired { .. }
    ));
    assert_eq!(h.ask(A, "3 hi bob"), "3 er name-taken");
    h.at(61.0);
    assert_eq!(h.ask(A, "4 hi bob"), "4 ok");
}

#[test]
fn limits_on_users_rooms_members_and_cache_are_enforced() {
    let mut config = ServerConfig::default();
    config.max_users = 3;
    config.max_rooms = 2;
    config.max_members = 2;
    config.max_cached_replies = 4;
    let mut h = ServerHarness::new(RoomServer::new(config));
    assert_eq!(h.ask(A, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(B, "1 hi bob"), "1 ok");
    assert_eq!(h.ask(C, "1 hi carol"), "1 ok");
    assert_eq!(h.ask(4, "1 hi dave"), "1 er server-full");
    // renaming is not a new user
    assert_eq!(h.ask(C, "2 hi carla"), "2 ok");
    assert_eq!(h.ask(A, "2 rc r1"), "2 ok");
    assert_eq!(h.ask(B, "2 rc r2"), "2 ok");
    assert_eq!(h.ask(C, "3 rc r3"), "3 er too-many-rooms");
    // bob alone in r2 may replace it with r3
    assert_eq!(h.ask(B, "3 rc r3"), "3 ok");
    assert_eq!(h.send(C, "4 rj r1").len(), 2);
    assert_eq!(h.ask(B, "4 rj r1"), "4 er room-full");
    // a quitting user frees a slot
    assert_eq!(h.send(C, "5 by").len(), 2);
    assert_eq!(h.ask(4, "2 hi dave"), "2 ok");
    // the reply cache for unregistered addresses is bounded
    for port in 2000..2100 {
        assert_eq!(h.ask(port, "1 ul"), "1 er not-registered");
        assert!(h.server.cached_replies() <= 4);
    }
    assert_eq!(h.server.cached_replies(), 4);
    // the newest ones are still cached, the oldest forgotten
    assert_eq!(h.ask(2099, "1 hi x"), "1 er not-registered");
    assert!(matches!(h.last_event(), ServerEvent::Retransmitted { .. }));
    assert_eq!(h.ask(2000, "1 hi x"), "1 er server-full");
}

#[test]
fn lists_longer_than_a_datagram_are_cut() {
    let mut config = ServerConfig::default();
    config.max_users = 500;
    let mut h = ServerHarness::new(RoomServer::new(config));
    for i in 0..200u16 {
        let name = format!("{i:03}{}", "u".repeat(29));
        assert_eq!(h.ask(3000 + i, &format!("1 hi {name}")), "1 ok");
    }
    let list = h.ask(3000, "4294967295 ul");
    assert!(list.len() <= 4096);
    let names: Vec<&str> = list.split(' ').skip(2).collect();
    assert_eq!(names.len(), (4096 - 13) / 33);
    assert!(names.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn the_event_queue_is_bounded() {
    let mut config = ServerConfig::default();
    config.max_events = 3;
    let mut server = RoomServer::new(config);
    let now = std::time::Instant::now();
    for i in 0..10 {
        server.handle_datagram(now, addr(A), format!("{i} ka").as_bytes());
    }
    let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
    assert_eq!(events.len(), 3);
    assert!(matches!(events[2], ServerEvent::Handled { tag: 9, .. }));
}

#[test]
fn a_poke_with_tag_0_is_refused_and_pokes_nobody() {
    let mut h = three();
    // Its `pa` reply would read as a notification; it used to go out as an
    // empty datagram (found by fuzz target room_server).
    assert_eq!(h.send(A, "0 ar bob"), out(&[(A, "0 er bad-request")]));
    assert!(matches!(
        h.last_event(),
        ServerEvent::Rejected {
            error: WireError::WrongTag { op: "ar", tag: 0 },
            ..
        }
    ));
    assert!(
        h.send(A, "5 ar bob")
            .contains(&(A, format!("5 pa bob {}", addr(B)))),
        "a poke with a non-zero tag still works"
    );
}

#[test]
fn hi_from_a_registered_address_starts_its_notifications_again_at_n1() {
    // A client that registers again (after a gap it gave up on, or
    // restarted on the same port) counts notifications from 1 at its `hi`:
    // the server must too, or every later notification waits behind a gap
    // the client can never fill.
    let mut h = three();
    for (port, request) in [(A, "2 rc lobby"), (B, "2 rj lobby"), (C, "2 rj lobby")] {
        h.send(port, request);
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(2)); // n1, n2: `jn`s
    // alice, having acknowledged nothing, registers again
    assert_eq!(h.ask(A, "3 hi alice"), "3 ok");
    assert_eq!(
        h.send(B, "3 ms hello"),
        out(&[
            (A, "n1 ms lobby bob hello"),
            (C, "n1 ms lobby bob hello"),
            (B, "3 ok")
        ])
    );
    // only the new count's notification is resent to alice, not the old
    h.at(0.6);
    let resent = sent(&mut h.server);
    let to_alice: Vec<&str> = resent
        .iter()
        .filter(|(port, _)| *port == A)
        .map(|(_, d)| d.as_str())
        .collect();
    assert_eq!(to_alice, ["n1 ms lobby bob hello"], "{resent:?}");
}
