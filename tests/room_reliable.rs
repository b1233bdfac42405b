//! Reliable notifications (§7): `n<seq>` counted per client, acknowledged
//! with `n<seq> ak`, resent after 500 ms with the wait doubling up to 4 s
//! until acknowledged, 64 in flight and 1,024 waiting per client with an
//! overflow announced by `ls`; shown once each in order, a gap open 60 s
//! reported and the registration made again; re-registration on
//! `er not-registered`; and the driving loop's order made harmless.

mod common {
    pub mod net;
}

use std::time::{Duration, Instant};

use common::net::{SERVER, ServerHarness, addr, name as n, sent as drain};
use sockwire::room::{
    ClientConfig, ClientEvent, DropReason, Notification, Repeat, Request, RoomClient, RoomServer,
    ServerConfig, ServerEvent,
};

const A: u16 = 1001;
const B: u16 = 1002;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// alice owns `lobby`, bob is in it; bob's `jn` to alice is acknowledged.
fn pair(config: ServerConfig) -> ServerHarness {
    let mut h = ServerHarness::new(RoomServer::new(config));
    assert_eq!(h.ask(A, "1 hi alice"), "1 ok");
    assert_eq!(h.ask(B, "1 hi bob"), "1 ok");
    assert_eq!(h.ask(A, "2 rc lobby"), "2 ok");
    assert_eq!(
        h.send(B, "2 rj lobby"),
        [(A, "n1 jn lobby bob".to_owned()), (B, "2 ok".to_owned())]
    );
    assert_eq!(h.send(A, "n1 ak"), []);
    h
}

#[test]
fn server_counts_per_client_and_resends_with_backoff_until_acknowledged() {
    let mut h = pair(ServerConfig::default());
    assert_eq!(
        h.send(B, "3 ms one"),
        [
            (A, "n2 ms lobby bob one".to_owned()),
            (B, "3 ok".to_owned())
        ]
    );
    assert_eq!(
        h.send(A, "3 ms back"),
        [
            (B, "n1 ms lobby alice back".to_owned()),
            (A, "3 ok".to_owned())
        ]
    );
    assert_eq!(h.server.unacknowledged("alice"), Some(1));
    // not yet
    h.at(0.499);
    assert_eq!(drain(&mut h.server), []);
    // resent at 500 ms; bob acknowledges his, alice does not
    h.at(0.5);
    assert_eq!(
        drain(&mut h.server),
        [
            (A, "n2 ms lobby bob one".to_owned()),
            (B, "n1 ms lobby alice back".to_owned())
        ]
    );
    assert_eq!(h.send(B, "n1 ak"), []);
    assert!(
        matches!(h.last_event(), ServerEvent::Acked { seq: 1, user: Some(u), .. } if u == "bob")
    );
    // a duplicate ack, or one for nothing, changes nothing
    assert_eq!(h.send(B, "n1 ak"), []);
    assert_eq!(h.send(B, "n99 ak"), []);
    // then after 1 s, 2 s, 4 s, and every 4 s: never given up
    let mut at = 0.5;
    for wait in [1.0, 2.0, 4.0, 4.0, 4.0, 4.0] {
        h.at(at + wait - 0.001);
        assert_eq!(drain(&mut h.server), [], "before {}", at + wait);
        at += wait;
        h.at(at);
        assert_eq!(
            drain(&mut h.server),
            [(A, "n2 ms lobby bob one".to_owned())],
            "at {at}"
        );
        // alice keeps her registration alive
        h.send(A, format!("{} ka", 10 + at as u32));
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(1));
    assert_eq!(h.send(A, "n2 ak"), []);
    assert_eq!(h.server.unacknowledged("alice"), Some(0));
    h.at(at + 10.0);
    assert_eq!(drain(&mut h.server), []);
    // the next notification to alice carries the next number
    assert_eq!(
        h.send(B, "4 ms two")[0],
        (A, "n3 ms lobby bob two".to_owned())
    );
}

#[test]
fn server_keeps_64_in_flight_1024_waiting_and_announces_an_overflow() {
    let mut h = pair(ServerConfig::default());
    // 64 go out at once; the rest wait, in order, and nothing is dropped
    for k in 0..64 + 1024 {
        let out = h.send(B, format!("{} ms m{k}", k + 3));
        assert_eq!(out.len(), if k < 64 { 2 } else { 1 }, "m{k}");
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(64));
    assert_eq!(h.server.waiting("alice"), Some(1024));
    // resent: only the 64 in flight
    h.at(0.5);
    assert_eq!(drain(&mut h.server).len(), 64);
    // 10 more: the 10 oldest waiting are dropped
    for k in 0..10 {
        h.send(B, format!("{} ms x{k}", 2000 + k));
    }
    assert_eq!(h.server.waiting("alice"), Some(1024));
    // each ack lets the next one out: first the `ls`, in their place
    assert_eq!(h.send(A, "n2 ak"), [(A, "n66 ls 10".to_owned())]);
    assert!(matches!(
        h.last_event(),
        ServerEvent::Overflowed { seq: 66, count: 10, user, .. } if user == "alice"
    ));
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1001 alice: 10 waiting notifications dropped, n66 ls 10 sent"
    );
    // then the first not dropped: m64..m73 went, m74 is next
    assert_eq!(h.send(A, "n3 ak"), [(A, "n67 ms lobby bob m74".to_owned())]);
    // with no room to wait, all but those in flight are dropped
    let config = ServerConfig::default()
        .with_max_in_flight(2)
        .with_max_waiting(0);
    let mut h = pair(config);
    for k in 0..5 {
        h.send(B, format!("{} ms m{k}", k + 3));
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(2));
    assert_eq!(h.server.waiting("alice"), Some(0));
    assert_eq!(h.send(A, "n2 ak"), [(A, "n4 ls 3".to_owned())]);
}

#[test]
fn server_restarts_numbering_with_a_new_registration() {
    let mut h = pair(ServerConfig::default());
    h.send(B, "3 ms one");
    assert_eq!(h.send(A, "3 by").len(), 2); // `lv` to bob, `ok`
    assert_eq!(h.ask(A, "4 hi alice"), "4 ok");
    assert_eq!(h.send(A, "5 rj lobby").len(), 2); // `jn` to bob, `ok`
    assert_eq!(
        h.send(B, "4 ms two")[0],
        (A, "n1 ms lobby bob two".to_owned())
    );
    // every `hi` the server runs starts the count again, a rename too:
    // the client counts from 1 at each `hi` it sends
    assert_eq!(h.ask(A, "6 hi alicia"), "6 ok");
    assert_eq!(
        h.send(B, "5 ms three")[0],
        (A, "n1 ms lobby bob three".to_owned())
    );
}

fn client(now: Instant, config: ClientConfig) -> RoomClient {
    let mut c = RoomClient::new(now, SERVER, n("alice"), config);
    c.handle_datagram(now, SERVER, b"1 ok");
    let _ = sent(&mut c);
    let _ = events(&mut c);
    c
}

fn sent(c: &mut RoomClient) -> Vec<String> {
    std::iter::from_fn(|| c.poll_transmit())
        .map(|t| String::from_utf8(t.payload.to_vec()).unwrap())
        .collect()
}

fn events(c: &mut RoomClient) -> Vec<String> {
    std::iter::from_fn(|| c.poll_event())
        .map(|e| e.to_string())
        .collect()
}

fn said(seq: u32, text: &str) -> Vec<u8> {
    format!("n{seq} ms lobby bob {text}").into_bytes()
}

#[test]
fn client_acknowledges_every_copy_and_shows_each_once_in_order() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    c.handle_datagram(t0, SERVER, &said(2, "two"));
    c.handle_datagram(t0, SERVER, &said(3, "three"));
    assert_eq!(sent(&mut c), ["n2 ak", "n3 ak"]);
    // held back behind n1
    assert_eq!(events(&mut c), Vec::<String>::new());
    // the keep-alive comes first; the gap would wait 60 s
    assert_eq!(c.poll_timeout(), Some(t0 + ms(20_000)));
    c.handle_datagram(t0 + ms(100), SERVER, &said(1, "one"));
    c.handle_datagram(t0 + ms(100), SERVER, &said(2, "two"));
    assert_eq!(sent(&mut c), ["n1 ak", "n2 ak"]);
    assert_eq!(
        events(&mut c),
        [
            "[lobby] bob: one",
            "[lobby] bob: two",
            "[lobby] bob: three",
            "(dropped from 127.0.0.1:5005: notification n2 again, shown already)",
        ]
    );
    // from another address: not acknowledged, not shown
    c.handle_datagram(t0, addr(6666), &said(4, "spoof"));
    assert_eq!(sent(&mut c), Vec::<String>::new());
}

#[test]
fn a_gap_open_60_s_is_reported_and_the_client_registers_again_and_rejoins() {
    let t0 = Instant::now();
    let config = ClientConfig::default().with_keepalive_every(Duration::from_secs(25));
    let mut c = client(t0, config);
    c.handle_line(t0, "$roomjoin lobby").unwrap();
    c.handle_datagram(t0, SERVER, b"2 ok");
    c.handle_datagram(t0, SERVER, &said(1, "one"));
    c.handle_datagram(t0 + ms(10), SERVER, &said(4, "four"));
    c.handle_datagram(t0 + ms(500), SERVER, &said(5, "five"));
    let _ = sent(&mut c);
    assert_eq!(events(&mut c), ["ok (rj)", "[lobby] bob: one"]);
    // the keep-alives go on meanwhile
    c.handle_timeout(t0 + ms(25_000));
    assert_eq!(sent(&mut c), ["3 ka"]);
    c.handle_datagram(t0 + ms(25_001), SERVER, b"3 ok");
    c.handle_timeout(t0 + ms(50_000));
    assert_eq!(sent(&mut c), ["4 ka"]);
    c.handle_datagram(t0 + ms(50_001), SERVER, b"4 ok");
    let _ = events(&mut c);
    c.handle_timeout(t0 + ms(60_009));
    assert_eq!(events(&mut c), Vec::<String>::new());
    c.handle_timeout(t0 + ms(60_010));
    assert_eq!(
        events(&mut c),
        [
            "lost 2 messages from the server",
            "[lobby] bob: four",
            "[lobby] bob: five",
            "a gap in the server's messages stayed open (it may have restarted): \
             registering again as alice, rejoining lobby",
        ]
    );
    assert_eq!(
        ClientEvent::Lost { first: 2, count: 2 }.to_string(),
        "lost 2 messages from the server"
    );
    assert_eq!(sent(&mut c), ["5 hi alice"]);
    // the new registration counts from n1
    c.handle_datagram(t0 + ms(60_020), SERVER, b"5 ok");
    assert_eq!(sent(&mut c), ["6 rj lobby"]);
    c.handle_datagram(t0 + ms(60_030), SERVER, &said(1, "again"));
    c.handle_datagram(t0 + ms(60_030), SERVER, b"6 ok");
    assert_eq!(sent(&mut c), ["n1 ak"]);
    assert_eq!(events(&mut c), ["ok (hi)", "[lobby] bob: again", "ok (rj)"]);
    assert_eq!(c.room(), Some(&n("lobby")));
}

#[test]
fn ls_is_shown_in_words_in_its_place() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    c.handle_datagram(t0, SERVER, &said(1, "one"));
    c.handle_datagram(t0, SERVER, b"n3 ms lobby bob three");
    c.handle_datagram(t0, SERVER, b"n2 ls 40");
    assert_eq!(sent(&mut c), ["n1 ak", "n3 ak", "n2 ak"]);
    assert_eq!(
        events(&mut c),
        [
            "[lobby] bob: one",
            "lost 40 messages from the server",
            "[lobby] bob: three"
        ]
    );
    c.handle_datagram(t0, SERVER, b"n4 ls 1");
    assert_eq!(events(&mut c), ["lost 1 message from the server"]);
}

#[test]
fn client_holds_at_most_64_back() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    for seq in 2..=65 {
        c.handle_datagram(t0, SERVER, &said(seq, &seq.to_string()));
    }
    assert_eq!(events(&mut c), Vec::<String>::new());
    // the 65th held back skips the gap at once
    c.handle_datagram(t0, SERVER, &said(67, "67"));
    let shown = events(&mut c);
    assert_eq!(shown.len(), 1 + 64);
    assert_eq!(shown[0], "lost 1 message from the server");
    assert_eq!(shown[64], "[lobby] bob: 65");
    // 67 is held behind the missing 66
    c.handle_datagram(t0, SERVER, &said(66, "66"));
    assert_eq!(events(&mut c), ["[lobby] bob: 66", "[lobby] bob: 67"]);
    // full again, and one that fills part of the first gap: the rest of
    // the gap before it is lost, it is shown
    for seq in 70..134 {
        c.handle_datagram(t0, SERVER, &said(seq, &seq.to_string()));
    }
    c.handle_datagram(t0, SERVER, &said(69, "69"));
    let shown = events(&mut c);
    assert_eq!(shown[0], "lost 1 message from the server");
    assert_eq!(shown[1], "[lobby] bob: 69");
    assert_eq!(shown.len(), 2 + 64);
}

#[test]
fn not_registered_registers_again_and_repeats_the_request_once() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    // a held-back notification of the old registration
    c.handle_datagram(t0, SERVER, &said(3, "old"));
    c.handle_line(t0, "$roomcreate lobby").unwrap();
    assert_eq!(sent(&mut c), ["n3 ak", "2 rc lobby"]);
    c.handle_datagram(t0, SERVER, b"2 er not-registered");
    assert_eq!(sent(&mut c), ["3 hi alice"]);
    assert_eq!(
        events(&mut c),
        [
            "lost 2 messages from the server",
            "[lobby] bob: old",
            "not registered with the server (it may have restarted): \
             registering again as alice, then repeating rc",
        ]
    );
    c.handle_datagram(t0, SERVER, b"3 ok");
    assert_eq!(sent(&mut c), ["4 rc lobby"]);
    // the new registration counts from n1
    c.handle_datagram(t0, SERVER, &said(1, "new"));
    c.handle_datagram(t0, SERVER, b"4 ok");
    assert_eq!(sent(&mut c), ["n1 ak"]);
    assert_eq!(events(&mut c), ["ok (hi)", "[lobby] bob: new", "ok (rc)"]);
    assert_eq!(c.room(), Some(&n("lobby")));
    // a request repeated once already is not repeated again
    c.handle_line(t0, "$roomleave").unwrap();
    c.handle_datagram(t0, SERVER, b"5 er not-registered");
    c.handle_datagram(t0, SERVER, b"6 ok");
    c.handle_datagram(t0, SERVER, b"7 er not-registered");
    assert_eq!(sent(&mut c), ["5 rk", "6 hi alice", "7 rk"]);
    let ev: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(matches!(
        &ev[0],
        ClientEvent::Reregistering {
            repeat: Some(Repeat {
                tag: 5,
                retry_tag: 7,
                request: Request::LeaveRoom,
            }),
            room: None,
            ..
        }
    ));
    assert_eq!(ev[2].to_string(), "error: not-registered (rk)");
    assert_eq!(ev.len(), 3);
}

#[test]
fn a_paste_queues_in_order_one_request_at_a_time() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    for k in 0..1000 {
        c.handle_line(t0, &format!("line {k}")).unwrap();
    }
    assert_eq!(c.pending(), 1000);
    assert_eq!(sent(&mut c), ["2 ms line 0"]);
    for k in 0..1000u32 {
        c.handle_datagram(t0, SERVER, format!("{} ok", k + 2).as_bytes());
        let next = sent(&mut c);
        if k < 999 {
            assert_eq!(next, [format!("{} ms line {}", k + 3, k + 1)]);
        } else {
            assert!(next.is_empty());
        }
    }
    assert_eq!(c.pending(), 0);
}

#[test]
fn queued_output_makes_the_timeout_due_so_a_wrong_loop_order_is_harmless() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    // nothing queued: the next timer is the keep-alive
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(20)));
    // a bot reacts to an event after its loop already sent: the request
    // waits in the queue, and the loop's wait ends at once
    c.handle_line(t0 + ms(5), "$userlist").unwrap();
    assert_eq!(c.poll_timeout(), Some(t0 + ms(5)));
    c.handle_timeout(t0 + ms(6));
    assert_eq!(sent(&mut c), ["2 ul"]);
    assert_eq!(c.poll_timeout(), Some(t0 + ms(505)));
    // the server too
    let mut server = RoomServer::default();
    server.handle_datagram(t0, addr(A), b"1 hi alice");
    assert_eq!(server.poll_timeout(), Some(t0));
    while server.poll_transmit().is_some() {}
    assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(60)));
}

#[test]
fn dropped_duplicates_name_their_sequence_number() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    c.handle_datagram(t0, SERVER, &said(1, "one"));
    c.handle_datagram(t0, SERVER, &said(1, "one"));
    let ev: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(matches!(
        &ev[1],
        ClientEvent::Dropped {
            reason: DropReason::Duplicate(1),
            ..
        }
    ));
    assert!(matches!(
        &ev[0],
        ClientEvent::Notice(Notification::Said { .. })
    ));
}
