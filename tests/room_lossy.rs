//! Room chat over a lossy in-memory network: datagrams are dropped,
//! duplicated (with half the loss rate) and reordered (20–40 ms each) from
//! a seeded RNG, over many seeds. The promise of PROTOCOLS.md §7: every
//! line a user says is either shown exactly once to every other member of
//! the room, in the order it was said, or reported as lost to the receiver
//! (`lost N messages from the server`) or as failed to the sender. Each
//! outcome is counted; nothing may be lost silently or shown twice.
//!
//! Run with `--nocapture` to see the counts per loss rate.

mod room_harness;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use room_harness::{Conditions, Network};
use sockwire::room::{
    ClientConfig, ClientEvent, Notification, Reply, Request, RoomServer, ServerConfig, ServerEvent,
    Tag,
};

const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;

/// What became of one line for one receiver.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Outcomes {
    /// Shown once, in order.
    delivered: usize,
    /// Not shown: the sender was told it failed (no reply, or an error).
    failed: usize,
    /// Shown, though the sender was told it failed (its reply was lost).
    failed_but_shown: usize,
    /// Not shown: the receiver was told `lost N messages`.
    reported_lost: usize,
    /// Not shown, and nobody told. Must stay 0.
    silently_lost: usize,
    /// Shown more than once. Must stay 0.
    duplicated: usize,
    /// Shown out of order. Must stay 0.
    out_of_order: usize,
}

impl std::ops::AddAssign for Outcomes {
    fn add_assign(&mut self, o: Self) {
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.failed_but_shown += o.failed_but_shown;
        self.reported_lost += o.reported_lost;
        self.silently_lost += o.silently_lost;
        self.duplicated += o.duplicated;
        self.out_of_order += o.out_of_order;
    }
}

impl Outcomes {
    fn total(&self) -> usize {
        self.delivered
            + self.failed
            + self.failed_but_shown
            + self.reported_lost
            + self.silently_lost
    }
}

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

/// Alice says `a` lines and bob `b`, about 20 a second each, interleaved;
/// then everyone says two closing lines (so that a gap at the end of the
/// counted lines is followed by something), and the network settles.
fn chat(loss: f64, seed: u64, a: usize, b: usize) -> Network {
    let mut net = Network::new(RoomServer::default(), Conditions::lossy(loss), seed);
    net.add_client(2001, "alice");
    net.add_client(2002, "bob");
    net.add_client(2003, "carol");
    gather(&mut net);
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
    // past the gap timeout and the last resends
    net.run_for(Duration::from_secs(5));
    net
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
    let mut last_index = None;
    for text in &shown {
        let k: usize = text
            .get(1..)
            .and_then(|d| d.parse().ok())
            .unwrap_or(usize::MAX);
        if last_index.is_some_and(|l| k <= l) {
            o.out_of_order += 1;
        }
        last_index = Some(k);
    }
    for k in 0..n {
        let text = format!("{prefix}{k:03}");
        let times = shown.iter().filter(|s| **s == text).count();
        let ok = status.get(&text).copied();
        match (times, ok) {
            (2.., _) => o.duplicated += 1,
            (1, Some(false)) => o.failed_but_shown += 1,
            (1, _) => o.delivered += 1,
            (0, Some(false)) => o.failed += 1,
            (0, _) => {
                let covered = seq_of.get(&text).is_some_and(|&seq| {
                    lost.iter()
                        .any(|&(first, count)| seq >= first && seq - first < count)
                });
                if covered {
                    o.reported_lost += 1;
                } else {
                    o.silently_lost += 1;
                }
            }
        }
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

/// Whether the network dropped every copy that could have brought alice's
/// line `text` to `receiver`: the 1 + `max_resends` copies of its
/// notification or, if the server never got the line, the
/// 1 + `max_retransmits` copies of alice's request. No protocol that keeps
/// PROTOCOLS.md §7's resend schedule can deliver such a line.
fn every_copy_dropped(net: &Network, receiver: usize, text: &str) -> bool {
    let to = net.addrs[receiver];
    let said = format!(" ms lobby alice {text}");
    let notice = net
        .server_sent
        .iter()
        .find(|(d, p)| *d == to && p.starts_with('n') && p.ends_with(&said))
        .map(|(_, p)| p.as_str());
    if let Some(notice) = notice {
        let sent = net
            .server_sent
            .iter()
            .filter(|(d, p)| *d == to && p == notice)
            .count();
        let dropped = net
            .dropped
            .iter()
            .filter(|(f, d, p)| *f == room_harness::SERVER && *d == to && p == notice.as_bytes())
            .count();
        return sent == 1 + ServerConfig::default().max_resends as usize && dropped == sent;
    }
    let handled = net
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Handled { request: Request::Say(t), .. } if t == text));
    let request = format!(" ms {text}");
    let dropped = net
        .dropped
        .iter()
        .filter(|(f, d, p)| {
            *f == net.addrs[ALICE] && *d == room_harness::SERVER && p.ends_with(request.as_bytes())
        })
        .count();
    !handled && dropped == 1 + ClientConfig::default().max_retransmits as usize
}

/// A paste of 1,000 lines at 10% loss: kept in order, sent whole, each
/// line shown once or reported.
///
/// Whole in every run is more than §7 can promise: a line is missed only
/// when all 5 copies of one datagram are dropped (its notification to one
/// receiver, sent once and resent 4 times; or alice's request, sent once
/// and retransmitted 4 times), 0.1⁵ = 1e-5 each. A paste sends about
/// 2,000 notifications and 1,000 requests, so about 3% of pastes miss a
/// line (measured over 2,300 other seeds: 3.2%, and every missed line had all 5
/// copies dropped). So each seed checks that every line not shown was
/// reported, and was beyond any resend (every copy dropped), and the seeds
/// together stay near that floor.
#[test]
fn a_paste_of_1000_lines_arrives_whole_and_in_order() {
    let mut whole = 0;
    let seeds = 40;
    for seed in 0..seeds {
        let mut net = Network::new(RoomServer::default(), Conditions::lossy(0.1), 1000 + seed);
        net.add_client(2001, "alice");
        net.add_client(2002, "bob");
        net.add_client(2003, "carol");
        gather(&mut net);
        for k in 0..1000 {
            net.line(ALICE, &format!("a{k:03}"));
        }
        net.settle(Duration::from_secs(3000));
        for i in [BOB, CAROL, ALICE, BOB, CAROL] {
            net.line(i, "end");
        }
        net.settle(Duration::from_secs(100));
        net.run_for(Duration::from_secs(5));
        let mut o = outcomes(&net, ALICE, BOB, "a", 1000);
        o += outcomes(&net, ALICE, CAROL, "a", 1000);
        println!("paste, seed {seed}: {o:?}");
        assert_eq!(o.silently_lost + o.duplicated + o.out_of_order, 0, "{o:?}");
        for receiver in [BOB, CAROL] {
            let shown: std::collections::HashSet<&str> = net.client_events[receiver]
                .iter()
                .filter_map(|e| match e {
                    ClientEvent::Notice(Notification::Said { text, .. }) => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            for k in 0..1000 {
                let text = format!("a{k:03}");
                assert!(
                    shown.contains(text.as_str()) || every_copy_dropped(&net, receiver, &text),
                    "seed {seed}: {text} missed by {receiver} though a copy got through"
                );
            }
        }
        // shown to both, or reported; all but a rare line arrive
        assert!(o.delivered + o.failed_but_shown >= 1996, "{o:?}");
        if o.delivered + o.failed_but_shown == 2000 {
            whole += 1;
        }
    }
    println!(
        "paste of 1,000 lines at 10% loss: shown whole and in order to both receivers \
         in {whole} of {seeds} runs (the rest: a line all of whose copies were dropped)"
    );
    // about 3% of runs miss a line (1.3 of 40 expected; 5 or more at that
    // rate happens once in 100 test suites, 8 times likelier is ~10)
    assert!(seeds - whole <= 5, "{whole} of {seeds}");
}

/// The server restarts in the middle of a chat: each client's next request
/// gets `er not-registered`; it registers again, repeats the request, says
/// so, and the chat goes on (the rooms are gone, so they are made again).
#[test]
fn a_server_restart_is_survived() {
    for (loss, seeds) in [(0.0, 1), (0.1, 30)] {
        for seed in 0..seeds {
            let ctx = format!("loss {loss} seed {seed}");
            let mut net = Network::new(RoomServer::default(), Conditions::lossy(loss), seed);
            net.add_client(2001, "alice");
            net.add_client(2002, "bob");
            net.add_client(2003, "carol");
            gather(&mut net);
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

/// The reproduction: a client starts with no server listening and
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
