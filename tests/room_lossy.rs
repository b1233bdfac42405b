//! Room chat over a lossy in-memory network: datagrams are dropped,
//! duplicated (with half the loss rate) and reordered (20–40 ms each) from
//! a seeded RNG, over many seeds. The promise of §7, nothing lost while
//! both ends live: every line the server gets is shown exactly once to
//! every other member of the room, in the order it was said (the server
//! resends each notification until it is acknowledged); a line that never
//! reaches the server is reported as failed to its sender; a private
//! message is shown once or reported to its sender; only an overflow of a
//! receiver's queue at the server drops notifications, and then it is
//! told how many (`ls`). Each outcome is counted; nothing may be lost
//! silently or shown twice.
//!
//! Run with `--nocapture` to see the figures.

mod common {
    pub mod net;
    pub mod outcomes;
}

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::net::{Conditions, Network};
use common::outcomes::Outcomes;
use sockwire::room::{
    ClientConfig, ClientEvent, Notification, Reply, Request, RoomServer, ServerEvent, Tag,
};

const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;

/// Puts alice, bob and carol in room `lobby`, retrying through the
/// protocol (as a person would) until the server has them all there.
fn gather(net: &mut Network) {
    for _ in 0..30 {
        let members = net
            .server
            .room_members("lobby")
            .map(|(_, m)| m.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap_or_default();
        if members.len() == 3 {
            return;
        }
        for (i, name) in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")] {
            if members.iter().any(|m| m == name) || net.clients[i].pending() > 0 {
                continue;
            }
            let line = if members.is_empty() && i == ALICE {
                "$roomcreate lobby"
            } else {
                "$roomjoin lobby"
            };
            net.line(i, line);
        }
        net.settle(Duration::from_secs(20));
    }
    panic!("could not gather the room");
}

/// alice, bob and carol in room `lobby` on a network of `conditions`.
fn lobby(conditions: Conditions, seed: u64) -> Network {
    let mut net = Network::new(RoomServer::default(), conditions, seed);
    net.add_client(2001, "alice");
    net.add_client(2002, "bob");
    net.add_client(2003, "carol");
    gather(&mut net);
    net
}

/// Alice says `a` lines and bob `b`, about 20 a second each, interleaved;
/// then everyone says two closing lines (so that a gap at the end of the
/// counted lines is followed by something), and the network settles.
fn chat(loss: f64, seed: u64, a: usize, b: usize) -> Network {
    let mut net = lobby(Conditions::lossy(loss), seed);
    for k in 0..a.max(b) {
        if k < a {
            net.line(ALICE, &format!("a{k:03}"));
        }
        net.run_for(Duration::from_millis(25));
        if k < b {
            net.line(BOB, &format!("b{k:03}"));
        }
        net.run_for(Duration::from_millis(25));
    }
    net.settle(Duration::from_secs(600));
    for i in [ALICE, BOB, CAROL, ALICE, BOB, CAROL] {
        net.line(i, "end");
    }
    net.settle(Duration::from_secs(100));
    until_acknowledged(&mut net);
    net
}

/// Runs until the server has no notification in flight (or 500 s pass):
/// between two resends the network may be quiet.
fn until_acknowledged(net: &mut Network) {
    for _ in 0..100 {
        let unacked: usize = ["alice", "bob", "carol"]
            .iter()
            .filter_map(|u| net.server.unacknowledged(u))
            .sum();
        if unacked == 0 {
            return;
        }
        net.run_for(Duration::from_secs(5));
    }
}

/// How each counted line (`a…`, `b…`) of `sender` ended for the sender:
/// `Some(true)` answered `ok`, `Some(false)` reported failed.
fn sender_status(net: &Network, sender: usize) -> HashMap<String, bool> {
    let mut status = HashMap::new();
    for e in &net.client_events[sender] {
        match e {
            ClientEvent::Reply {
                request: Request::Say(text),
                reply,
                ..
            } => {
                status.insert(text.clone(), *reply == Reply::Ok);
            }
            ClientEvent::TimedOut {
                request: Request::Say(text),
                ..
            } => {
                status.insert(text.clone(), false);
            }
            _ => {}
        }
    }
    status
}

/// Counts the outcomes of `sender`'s lines at `receiver`.
fn outcomes(net: &Network, sender: usize, receiver: usize, prefix: &str, n: usize) -> Outcomes {
    let sender_name = ["alice", "bob", "carol"][sender];
    let status = sender_status(net, sender);
    // what the receiver was shown, in order
    let shown: Vec<&str> = net.client_events[receiver]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Notice(Notification::Said { user, text, .. })
                if user.as_str() == sender_name && text.starts_with(prefix) =>
            {
                Some(text.as_str())
            }
            _ => None,
        })
        .collect();
    // the sequence number each line went to the receiver under
    let to: SocketAddr = net.addrs[receiver];
    let mut seq_of: HashMap<String, u32> = HashMap::new();
    for (dest, datagram) in &net.server_sent {
        if *dest != to {
            continue;
        }
        let Some((tag, rest)) = datagram.split_once(' ') else {
            continue;
        };
        let Some(seq) = tag.strip_prefix('n').and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(text) = rest.strip_prefix(&format!("ms lobby {sender_name} ")) {
            seq_of.entry(text.to_owned()).or_insert(seq);
        }
    }
    let lost: Vec<(u32, u32)> = net.client_events[receiver]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Lost { first, count } => Some((*first, *count)),
            _ => None,
        })
        .collect();
    let mut o = Outcomes::default();
    let order: Vec<usize> = (shown.iter())
        .map(|text| {
            text.get(1..)
                .and_then(|d| d.parse().ok())
                .unwrap_or(usize::MAX)
        })
        .collect();
    o.count_order(&order);
    for k in 0..n {
        let text = format!("{prefix}{k:03}");
        let times = shown.iter().filter(|s| **s == text).count();
        let failed = status.get(&text) == Some(&false);
        o.count(times, failed, || {
            seq_of.get(&text).is_some_and(|&seq| {
                lost.iter()
                    .any(|&(first, count)| seq >= first && seq - first < count)
            })
        });
    }
    o
}

/// Runs `seeds` chats at `loss`, checks every promise, and returns the
/// outcome counts over every (line, receiver).
fn run(loss: f64, seeds: u64, a: usize, b: usize) -> Outcomes {
    let mut total = Outcomes::default();
    let mut retransmitted = 0;
    for seed in 0..seeds {
        let net = chat(loss, seed, a, b);
        let ctx = format!("loss {loss}, seed {seed}");
        let mut seed_total = Outcomes::default();
        for (sender, prefix, n) in [(ALICE, "a", a), (BOB, "b", b)] {
            for receiver in [ALICE, BOB, CAROL] {
                if receiver != sender {
                    seed_total += outcomes(&net, sender, receiver, prefix, n);
                }
            }
        }
        assert_eq!(seed_total.total(), 2 * (a + b), "{ctx}: {seed_total:?}");
        assert_eq!(seed_total.silently_lost, 0, "{ctx}: {seed_total:?}");
        // both ends live: the receivers lose nothing
        assert_eq!(seed_total.reported_lost, 0, "{ctx}: {seed_total:?}");
        assert_eq!(seed_total.duplicated, 0, "{ctx}: {seed_total:?}");
        assert_eq!(seed_total.out_of_order, 0, "{ctx}: {seed_total:?}");
        // the server executes each (address, tag) at most once
        let mut executed: HashMap<(SocketAddr, Tag), usize> = HashMap::new();
        for e in &net.server_events {
            match e {
                ServerEvent::Handled { from, tag, .. }
                | ServerEvent::Rejected { from, tag, .. } => {
                    *executed.entry((*from, *tag)).or_default() += 1;
                }
                ServerEvent::Retransmitted { .. } => retransmitted += 1,
                _ => {}
            }
        }
        for (key, count) in executed {
            assert_eq!(count, 1, "{ctx}: {key:?} executed {count} times");
        }
        total += seed_total;
    }
    println!(
        "loss {loss:.1}, {seeds} seeds, {} line-receiver pairs: {} delivered once in order, \
         {} failed (sender told), {} failed but shown (sender told, reply lost), \
         {} reported lost to the receiver, {} lost silently, {} shown twice, {} out of order \
         ({retransmitted} retransmissions answered from the cache)",
        total.total(),
        total.delivered,
        total.failed,
        total.failed_but_shown,
        total.reported_lost,
        total.silently_lost,
        total.duplicated,
        total.out_of_order,
    );
    total
}

#[test]
fn no_loss_but_reordering_delivers_everything() {
    let total = run(0.0, 50, 60, 30);
    assert_eq!(total.delivered, total.total());
}

#[test]
fn ten_percent_loss() {
    let total = run(0.1, 200, 60, 30);
    assert!(total.delivered > total.total() * 9 / 10, "{total:?}");
}

#[test]
fn thirty_percent_loss() {
    let total = run(0.3, 200, 60, 30);
    assert!(total.delivered > total.total() / 2, "{total:?}");
}

#[test]
fn fifty_percent_loss() {
    let total = run(0.5, 200, 60, 30);
    assert!(total.delivered > 0, "{total:?}");
}

/// What became of a paste at the two receivers.
#[derive(Debug, Default, Clone, Copy)]
struct Paste {
    /// Lines shown once, in order, to both receivers.
    whole_lines: usize,
    /// (line, receiver) pairs not shown.
    missing: usize,
    /// (line, receiver) pairs shown more than once.
    twice: usize,
    /// Lines shown out of order (per receiver).
    out_of_order: usize,
    /// `lost N` reports at the receivers.
    reported_lost: usize,
    /// Datagrams the network dropped, and copies it added.
    dropped: usize,
    /// Notifications the server sent again.
    resent: usize,
    /// Simulated seconds until everything settled.
    seconds: u64,
    /// Lines alice was told had no reply (timed out).
    sender_told: usize,
    /// Lines the server never got (so shown to nobody).
    never_executed: usize,
}

/// Alice pastes 1,000 lines at `loss`; bob and carol are in the room.
/// A `patient` alice retransmits each request until answered; with the
/// default 4 retransmissions a line all of whose 5 copies are dropped on
/// the way to the server is reported to alice instead.
fn paste(loss: f64, seed: u64, patient: bool) -> Paste {
    let mut net = Network::new(RoomServer::default(), Conditions::lossy(loss), seed);
    let retries = if patient { 1000 } else { 4 };
    let config = ClientConfig::default().with_max_retransmits(retries);
    net.add_client_with(2001, "alice", config);
    net.add_client(2002, "bob");
    net.add_client(2003, "carol");
    gather(&mut net);
    for k in 0..1000 {
        net.line(ALICE, &format!("a{k:03}"));
    }
    net.settle(Duration::from_secs(20_000));
    until_acknowledged(&mut net);
    let told = sender_status(&net, ALICE);
    let executed: std::collections::HashSet<&str> = net
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Handled {
                request: Request::Say(text),
                ..
            } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let mut p = Paste {
        dropped: net.dropped.len(),
        seconds: net.elapsed().as_secs(),
        sender_told: told.values().filter(|ok| !**ok).count(),
        ..Paste::default()
    };
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for (_, datagram) in &net.server_sent {
        if datagram.starts_with('n') && datagram.contains(" ms lobby alice a") {
            *copies.entry(datagram.as_str()).or_default() += 1;
        }
    }
    p.resent = copies.values().map(|c| c - 1).sum();
    let mut shown_by = Vec::new();
    for receiver in [BOB, CAROL] {
        let shown: Vec<usize> = net.client_events[receiver]
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Notice(Notification::Said { user, text, .. }) if user == "alice" => {
                    text.strip_prefix('a')?.parse().ok()
                }
                _ => None,
            })
            .collect();
        p.out_of_order += shown.windows(2).filter(|w| w[1] <= w[0]).count();
        p.reported_lost += net.client_events[receiver]
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    ClientEvent::Lost { .. } | ClientEvent::Notice(Notification::Lost { .. })
                )
            })
            .count();
        shown_by.push(shown);
    }
    for k in 0..1000 {
        let times: Vec<usize> = shown_by
            .iter()
            .map(|s| s.iter().filter(|&&x| x == k).count())
            .collect();
        let text = format!("a{k:03}");
        if !executed.contains(text.as_str()) {
            // never relayed: alice must have been told
            assert_eq!(told.get(&text), Some(&false), "seed {seed}: {text}");
            assert_eq!(times, [0, 0], "seed {seed}: {text}");
            p.never_executed += 1;
            continue;
        }
        p.missing += times.iter().filter(|&&t| t == 0).count();
        p.twice += times.iter().filter(|&&t| t > 1).count();
        if times.iter().all(|&t| t == 1) {
            p.whole_lines += 1;
        }
    }
    p
}

/// Runs the paste over `seeds` seeds at `loss`: every line the server
/// got must arrive at both receivers once, in order, nothing reported
/// lost; with a `patient` sender, that is every line. Prints the figures.
fn paste_sweep(loss: f64, seeds: std::ops::Range<u64>, patient: bool) {
    let n = seeds.end - seeds.start;
    let (mut whole, mut dropped, mut resent, mut longest) = (0, 0, 0, 0);
    let (mut told, mut never) = (0, 0);
    for seed in seeds {
        let p = paste(loss, seed, patient);
        let relayed = 1000 - p.never_executed;
        assert_eq!(
            (
                p.whole_lines,
                p.missing,
                p.twice,
                p.out_of_order,
                p.reported_lost
            ),
            (relayed, 0, 0, 0, 0),
            "loss {loss}, seed {seed}: {p:?}"
        );
        if patient {
            assert_eq!(relayed, 1000, "loss {loss}, seed {seed}: {p:?}");
        }
        whole += usize::from(relayed == 1000);
        dropped += p.dropped;
        resent += p.resent;
        longest = longest.max(p.seconds);
        told += p.sender_told;
        never += p.never_executed;
    }
    let who = if patient {
        "a sender that retries until answered"
    } else {
        "the default sender (4 retransmissions)"
    };
    println!(
        "paste of 1,000 lines at {:.0}% loss, {who}: whole, in order, once at both receivers \
         in {whole} of {n} seeds; {never} lines never reached the server, and the sender was \
         told of those and {} more that did (reply lost); every line the server got was shown \
         once at both; the network dropped {dropped} datagrams, the server resent {resent} \
         notifications; longest run {longest} s simulated",
        loss * 100.0,
        told - never,
    );
}

/// A paste of 1,000 lines arrives whole, in order and once at both
/// receivers: 200 seeds at 10% loss, 50 at 30% and 50 at 50% (drop,
/// duplicate, reorder). With the default sender at 10%, a line whose 5
/// request copies were all dropped is reported to the sender; every
/// other line arrives.
#[test]
fn a_paste_of_1000_lines_arrives_whole_and_in_order() {
    paste_sweep(0.1, 1000..1200, true);
    paste_sweep(0.3, 2000..2050, true);
    paste_sweep(0.5, 3000..3050, true);
}

#[test]
fn a_paste_from_the_default_sender_loses_nothing_the_server_got() {
    paste_sweep(0.1, 4000..4100, false);
}

/// The server restarts in the middle of a chat: each client's next request
/// gets `er not-registered`; it registers again, repeats the request, says
/// so, and the chat goes on (the rooms are gone, so they are made again).
#[test]
fn a_server_restart_is_survived() {
    for (loss, seeds) in [(0.0, 1), (0.1, 30)] {
        for seed in 0..seeds {
            let ctx = format!("loss {loss} seed {seed}");
            let mut net = lobby(Conditions::lossy(loss), seed);
            net.line(ALICE, "before");
            net.settle(Duration::from_secs(30));
            net.restart_server(RoomServer::default());
            net.line(ALICE, "$roomcreate lobby");
            net.settle(Duration::from_secs(30));
            for i in [BOB, CAROL] {
                net.line(i, "$roomjoin lobby");
            }
            net.settle(Duration::from_secs(30));
            gather(&mut net);
            net.line(ALICE, "after");
            net.settle(Duration::from_secs(30));
            net.run_for(Duration::from_secs(5));
            for i in [ALICE, BOB, CAROL] {
                let told = net.client_events[i]
                    .iter()
                    .filter(|e| matches!(e, ClientEvent::Reregistering { .. }))
                    .count();
                assert!(told >= 1, "{ctx}: client {i} did not register again");
            }
            for i in [BOB, CAROL] {
                let heard: Vec<&str> = net.client_events[i]
                    .iter()
                    .filter_map(|e| match e {
                        ClientEvent::Notice(Notification::Said { text, .. }) => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                // "before" may be reported lost at 10%; "after" comes
                // under the new registration's sequence numbers, from n1
                assert!(
                    heard.contains(&"after") || loss > 0.0,
                    "{ctx}: {i} heard {heard:?}"
                );
                assert!(
                    heard.iter().filter(|t| **t == "after").count() <= 1,
                    "{ctx}"
                );
            }
            let shown = net.client_events[ALICE]
                .iter()
                .filter(|e| e.to_string().starts_with("not registered with the server"))
                .count();
            assert!(shown >= 1, "{ctx}");
        }
    }
}

/// A client starts with no server listening and
/// `$roomcreate lobby` is typed; the server comes up 2.2 s later, after
/// every copy of `hi` was lost. The `hi` times out, `rc` gets
/// `er not-registered`, and the client registers again and creates the
/// room instead of failing every later command.
#[test]
fn a_lost_hi_is_recovered() {
    let mut net = Network::new(RoomServer::default(), Conditions::perfect(), 7);
    net.server_up = false;
    net.add_client(2001, "alice");
    net.line(ALICE, "$roomcreate lobby");
    net.run_for(Duration::from_millis(2200));
    net.server_up = true;
    net.settle(Duration::from_secs(30));
    let events: Vec<String> = net.client_events[ALICE]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        events,
        [
            "no reply from the server to hi (timed out)",
            "not registered with the server (it may have restarted): \
             registering again as alice, then repeating rc",
            "ok (hi)",
            "ok (rc)",
        ]
    );
    assert_eq!(net.clients[ALICE].room().map(|r| r.as_str()), Some("lobby"));
    net.line(ALICE, "$userlist");
    net.settle(Duration::from_secs(5));
    assert_eq!(
        net.take_events(ALICE)
            .last()
            .map(ToString::to_string)
            .as_deref(),
        Some("users: alice")
    );
}

/// The tail case: the last notification before a quiet spell loses its
/// first 8 copies (the first send and 7 resends, 0.5 + 1 + 2 + 4 × 4 s).
/// The server keeps resending, so the ninth copy brings it.
#[test]
fn the_last_notification_arrives_though_its_first_8_copies_are_lost() {
    let mut net = lobby(Conditions::perfect(), 1);
    net.line(ALICE, "first");
    net.settle(Duration::from_secs(5));
    let bob = net.addrs[BOB];
    let mut copies = 0;
    net.drop_rule = Some(Box::new(move |_, to, payload| {
        let last = to == bob && payload.ends_with(b" ms lobby alice last");
        copies += usize::from(last);
        last && copies <= 8
    }));
    net.line(ALICE, "last");
    net.settle(Duration::from_secs(5));
    net.run_for(Duration::from_secs(60));
    let dropped = net.dropped.len();
    let heard: Vec<String> = net.client_events[BOB]
        .iter()
        .filter(|e| matches!(e, ClientEvent::Notice(_) | ClientEvent::Lost { .. }))
        .map(ToString::to_string)
        .collect();
    println!("tail case: {dropped} copies of bob's last notification dropped; bob saw {heard:?}");
    assert_eq!(dropped, 8);
    assert_eq!(
        &heard[heard.len() - 2..],
        ["[lobby] alice: first", "[lobby] alice: last"]
    );
    assert_eq!(net.server.unacknowledged("bob"), Some(0));
    // carol got it at once
    assert!(
        net.client_events[CAROL]
            .iter()
            .any(|e| e.to_string() == "[lobby] alice: last")
    );
}

/// Private messages at 30% loss (drop, duplicate, reorder): alice and bob
/// poke each other and each send 100; every one is shown once to the
/// other, or reported to its sender (no answer); none is lost silently or
/// shown twice.
#[test]
fn private_messages_at_30_percent_loss_are_delivered_once_or_reported() {
    let (mut sent, mut shown, mut reported, mut shown_and_reported) = (0, 0, 0, 0);
    let mut dropped = 0;
    for seed in 0..20 {
        let mut net = Network::new(RoomServer::default(), Conditions::lossy(0.3), 500 + seed);
        net.add_client(2001, "alice");
        net.add_client(2002, "bob");
        for (i, other) in [(ALICE, "bob"), (BOB, "alice")] {
            while net.clients[i].peer(other).is_none() {
                net.settle(Duration::from_secs(30));
                net.line(i, &format!("$poke {other}"));
                net.settle(Duration::from_secs(30));
            }
        }
        for k in 0..100 {
            net.line(ALICE, &format!("$msg bob a{k}"));
            net.line(BOB, &format!("$msg alice b{k}"));
            net.run_for(Duration::from_millis(50));
        }
        net.settle(Duration::from_secs(600));
        net.run_for(Duration::from_secs(5));
        dropped += net.dropped.len();
        for (sender, receiver, prefix) in [(ALICE, BOB, "a"), (BOB, ALICE, "b")] {
            let failed: Vec<&str> = net.client_events[sender]
                .iter()
                .filter_map(|e| match e {
                    ClientEvent::PrivateTimedOut { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            let answered = net.client_events[sender]
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        ClientEvent::PrivateReply {
                            reply: Reply::Ok,
                            ..
                        }
                    )
                })
                .count();
            for k in 0..100 {
                let text = format!("{prefix}{k}");
                let times = net.client_events[receiver]
                    .iter()
                    .filter(|e| matches!(e, ClientEvent::Private { text: t, .. } if *t == text))
                    .count();
                let told = failed.contains(&text.as_str());
                assert!(times <= 1, "seed {seed}: {text} shown {times} times");
                assert!(times == 1 || told, "seed {seed}: {text} lost silently");
                sent += 1;
                shown += times;
                reported += usize::from(told);
                shown_and_reported += usize::from(told && times == 1);
            }
            assert_eq!(
                answered + failed.len(),
                100,
                "seed {seed}: each pm ends once"
            );
        }
    }
    println!(
        "pm at 30% loss, 20 seeds: {sent} private messages, {shown} shown once, \
         {reported} reported to the sender as unanswered ({shown_and_reported} of those \
         shown all the same: the answers were lost), 0 lost silently, 0 shown twice; \
         the network dropped {dropped} datagrams"
    );
    assert_eq!(sent, 4000);
}

/// The counts of every `ls` the server sent.
fn overflows(net: &Network) -> Vec<u32> {
    net.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Overflowed { count, .. } => Some(*count),
            _ => None,
        })
        .collect()
}

/// A receiver whose acknowledgements never reach the server (it stays
/// registered: its keep-alives do) while alice says 1,200 lines: 64 are in
/// flight to it, 1,024 wait, and the 112 oldest waiting are dropped. When
/// its acknowledgements get through again it is shown the 64, then
/// `lost 112 messages from the server`, then the 1,024, in order. bob, who
/// acknowledges, loses nothing.
#[test]
fn a_receiver_that_never_acknowledges_gets_ls_and_the_others_lose_nothing() {
    let mut net = lobby(Conditions::perfect(), 3);
    let carol = net.addrs[CAROL];
    let deaf = std::rc::Rc::new(std::cell::Cell::new(true));
    let rule = std::rc::Rc::clone(&deaf);
    net.drop_rule = Some(Box::new(move |from, _, payload| {
        rule.get() && from == carol && payload.ends_with(b" ak")
    }));
    for k in 0..1200 {
        net.line(ALICE, &format!("a{k:04}"));
    }
    net.settle(Duration::from_secs(600));
    assert_eq!(net.server.unacknowledged("carol"), Some(64));
    assert_eq!(net.server.waiting("carol"), Some(1024));
    let overflowed = overflows(&net);
    // announced when its turn comes: not yet
    assert!(overflowed.is_empty());
    deaf.set(false);
    net.run_for(Duration::from_secs(300));
    let acks_dropped = net.dropped.len();
    let seen: Vec<String> = net.client_events[CAROL]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Notice(Notification::Said { text, .. }) => Some(text.clone()),
            ClientEvent::Notice(Notification::Lost { count }) => Some(format!("lost {count}")),
            ClientEvent::Lost { count, .. } => Some(format!("gap {count}")),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..64)
        .map(|k| format!("a{k:04}"))
        .chain(["lost 112".to_owned()])
        .chain((176..1200).map(|k| format!("a{k:04}")))
        .collect();
    assert_eq!(seen, expected);
    let bob_seen: Vec<String> = net.client_events[BOB]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Notice(Notification::Said { text, .. }) => Some(text.clone()),
            ClientEvent::Notice(Notification::Lost { .. }) | ClientEvent::Lost { .. } => {
                Some("lost".to_owned())
            }
            _ => None,
        })
        .collect();
    let all: Vec<String> = (0..1200).map(|k| format!("a{k:04}")).collect();
    assert_eq!(bob_seen, all);
    let overflowed = overflows(&net);
    assert_eq!(overflowed, [112]);
    let line = net.client_events[CAROL]
        .iter()
        .find(|e| matches!(e, ClientEvent::Notice(Notification::Lost { .. })))
        .map(ToString::to_string);
    assert_eq!(line.as_deref(), Some("lost 112 messages from the server"));
    println!(
        "a receiver whose {acks_dropped} acknowledgements were dropped: 1,200 lines said, \
         {} shown to it, `ls 112` in place of the rest; the other receiver was shown all 1,200",
        seen.len() - 1
    );
}

/// The server restarts and nobody types: each client's next keep-alive
/// gets `er not-registered`; it registers again, rejoins `lobby` (the
/// first to ask makes it again), tells its user, and the chat goes on.
#[test]
fn after_a_restart_each_client_rejoins_its_room_by_itself() {
    for (loss, seeds) in [(0.0, 1), (0.1, 20)] {
        for seed in 0..seeds {
            let ctx = format!("loss {loss} seed {seed}");
            let mut net = lobby(Conditions::lossy(loss), seed);
            net.restart_server(RoomServer::default());
            net.run_for(Duration::from_secs(45));
            net.settle(Duration::from_secs(30));
            let members = net
                .server
                .room_members("lobby")
                .map(|(_, m)| m.len())
                .unwrap_or(0);
            assert_eq!(members, 3, "{ctx}");
            for i in [ALICE, BOB, CAROL] {
                assert_eq!(
                    net.clients[i].room().map(|r| r.as_str()),
                    Some("lobby"),
                    "{ctx}"
                );
                let told = net.client_events[i].iter().any(|e| {
                    matches!(e, ClientEvent::Reregistering { room: Some(r), .. } if r == "lobby")
                        && e.to_string().contains("registering again as")
                        && e.to_string().contains("rejoining lobby")
                });
                assert!(told, "{ctx}: client {i} was not told");
            }
            net.line(ALICE, "after");
            net.settle(Duration::from_secs(30));
            net.run_for(Duration::from_secs(10));
            for i in [BOB, CAROL] {
                let heard = net.client_events[i]
                    .iter()
                    .filter(|e| e.to_string() == "[lobby] alice: after")
                    .count();
                assert_eq!(heard, 1, "{ctx}: client {i}");
            }
        }
    }
}
