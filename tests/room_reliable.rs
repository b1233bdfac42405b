//! Reliable notifications (PROTOCOLS.md §7): `n<seq>` counted per client,
//! acknowledged with `n<seq> ak`, resent every 500 ms up to 4 times, shown
//! once each in order, gaps skipped and reported after 3 s, bounded at 64
//! both sides; re-registration on `er not-registered`; and the driving
//! loop's order made harmless.

mod room_harness;

use std::time::{Duration, Instant};

use room_harness::{SERVER, ServerHarness, addr};
use sockwire::room::{
    ClientConfig, ClientEvent, DropReason, Name, Notification, Request, RoomClient, RoomServer,
    ServerConfig, ServerEvent,
};

const A: u16 = 1001;
const B: u16 = 1002;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
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

fn drain(h: &mut ServerHarness) -> Vec<(u16, String)> {
    std::iter::from_fn(|| h.server.poll_transmit())
        .map(|t| {
            (
                t.destination.port(),
                String::from_utf8(t.payload.to_vec()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn server_counts_per_client_and_resends_until_acknowledged() {
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
    assert_eq!(drain(&mut h), []);
    // resent at 500 ms; bob acknowledges his, alice does not
    h.at(0.5);
    assert_eq!(
        drain(&mut h),
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
    for (i, at) in [1.0, 1.5, 2.0].into_iter().enumerate() {
        h.at(at);
        assert_eq!(
            drain(&mut h),
            [(A, "n2 ms lobby bob one".to_owned())],
            "resend {i}"
        );
    }
    // four resends, then the server gives up
    h.at(2.5);
    assert_eq!(drain(&mut h), []);
    assert!(matches!(h.last_event(), ServerEvent::GaveUp { seq: 2, user, .. } if user == "alice"));
    assert_eq!(h.server.unacknowledged("alice"), Some(0));
    assert_eq!(
        h.last_event().to_string(),
        "127.0.0.1:1001 alice: n2 not acknowledged, given up"
    );
    // the next notification to alice carries the next number
    assert_eq!(
        h.send(B, "4 ms two")[0],
        (A, "n3 ms lobby bob two".to_owned())
    );
}

#[test]
fn server_keeps_at_most_64_unacknowledged_per_client() {
    let mut h = pair(ServerConfig::default());
    for k in 0..70 {
        let out = h.send(B, format!("{} ms m{k}", k + 3));
        assert_eq!(out.len(), 2);
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(64));
    let gave_up = h
        .events
        .iter()
        .filter(|e| matches!(e, ServerEvent::GaveUp { .. }))
        .count();
    assert_eq!(gave_up, 6);
    // resent: only the 64 kept
    h.at(0.5);
    assert_eq!(drain(&mut h).len(), 64);
    let config = ServerConfig::default().max_unacked(2).clone();
    let mut h = pair(config);
    for k in 0..5 {
        h.send(B, format!("{} ms m{k}", k + 3));
    }
    assert_eq!(h.server.unacknowledged("alice"), Some(2));
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
    // a rename keeps the count
    assert_eq!(h.ask(A, "6 hi alicia"), "6 ok");
    assert_eq!(
        h.send(B, "5 ms three")[0],
        (A, "n2 ms lobby bob three".to_owned())
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
    assert_eq!(c.poll_timeout(), Some(t0 + ms(3000)));
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
fn client_skips_a_gap_after_3_s_and_says_how_many_were_lost() {
    let t0 = Instant::now();
    let mut c = client(t0, ClientConfig::default());
    c.handle_datagram(t0, SERVER, &said(1, "one"));
    c.handle_datagram(t0 + ms(10), SERVER, &said(4, "four"));
    c.handle_datagram(t0 + ms(500), SERVER, &said(5, "five"));
    let _ = sent(&mut c);
    assert_eq!(events(&mut c), ["[lobby] bob: one"]);
    c.handle_timeout(t0 + ms(3009));
    assert_eq!(events(&mut c), Vec::<String>::new());
    c.handle_timeout(t0 + ms(3010));
    let lost = std::iter::once(ClientEvent::Lost { first: 2, count: 2 });
    assert_eq!(
        events(&mut c),
        lost.map(|e| e.to_string())
            .chain(["[lobby] bob: four".into(), "[lobby] bob: five".into()])
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ClientEvent::Lost { first: 2, count: 2 }.to_string(),
        "lost 2 messages from the server"
    );
    // a late copy of a skipped one is a duplicate now
    c.handle_datagram(t0 + ms(3100), SERVER, &said(3, "three"));
    assert_eq!(sent(&mut c), ["n3 ak"]);
    assert!(events(&mut c)[0].contains("n3 again"));
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
            tag: 5,
            retry_tag: 7,
            request: Request::LeaveRoom,
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
