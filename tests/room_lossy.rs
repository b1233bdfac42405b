//! Room chat over a lossy in-memory network: datagrams are dropped,
//! duplicated and reordered from a seeded RNG. Every request completes
//! (reply or timeout) exactly once on the client, is executed at most once
//! by the server, and every `ms` is relayed at most once to each member.

mod room_harness;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use room_harness::{Conditions, Network};
use sockwire::room::{ClientEvent, Notification, Request, RoomServer, ServerEvent, Tag};

const SEEDS: u64 = 200;

fn scenario(loss: f64, seed: u64) -> Network {
    let mut net = Network::new(RoomServer::default(), Conditions::lossy(loss), seed);
    let alice = net.add_client(2001, "alice");
    let bob = net.add_client(2002, "bob");
    let carol = net.add_client(2003, "carol");
    let scripts: [(usize, &[&str]); 3] = [
        (
            alice,
            &[
                "$roomcreate lobby",
                "a1",
                "a2 two words",
                "a3",
                "$userlist",
                "a4",
            ],
        ),
        (
            bob,
            &[
                "$roomjoin lobby",
                "b1",
                "$roomjoin lobby",
                "b2",
                "$poke carol",
                "b3",
            ],
        ),
        (
            carol,
            &[
                "$roomcreate lobby",
                "$roomjoin lobby",
                "c1",
                "$roomlist",
                "c2",
                "$kick",
                "$quit",
            ],
        ),
    ];
    for (i, script) in scripts {
        for line in script {
            net.line(i, line);
        }
    }
    net.settle(Duration::from_secs(50));
    net
}

fn check(net: &Network, loss: f64, seed: u64) -> (usize, usize) {
    let ctx = format!("loss {loss}, seed {seed}");
    // the server executes each (address, tag) at most once
    let mut executed: HashMap<(SocketAddr, Tag), usize> = HashMap::new();
    let mut replies: HashMap<(SocketAddr, Tag), String> = HashMap::new();
    let mut created: HashMap<SocketAddr, usize> = HashMap::new();
    for e in &net.server_events {
        match e {
            ServerEvent::Handled {
                from,
                tag,
                request,
                reply,
                ..
            } => {
                *executed.entry((*from, *tag)).or_default() += 1;
                replies.insert((*from, *tag), reply.to_string());
                if matches!(request, Request::CreateRoom(_)) {
                    *created.entry(*from).or_default() += 1;
                }
            }
            ServerEvent::Rejected { from, tag, .. } => {
                *executed.entry((*from, *tag)).or_default() += 1;
            }
            _ => {}
        }
    }
    for (key, count) in &executed {
        assert_eq!(*count, 1, "{ctx}: {key:?} executed {count} times");
    }
    // alice and carol each ask once to create the room
    assert!(
        created.values().all(|&n| n == 1),
        "{ctx}: rooms created {created:?}"
    );
    // each client request completes exactly once: a reply or a timeout
    let mut timeouts = 0;
    for (i, events) in net.client_events.iter().enumerate() {
        let addr = net.addrs[i];
        let mut done: HashMap<Tag, usize> = HashMap::new();
        for e in events {
            match e {
                ClientEvent::Reply { tag, reply, .. } => {
                    *done.entry(*tag).or_default() += 1;
                    // the reply the client saw is the one the server sent
                    assert_eq!(
                        replies.get(&(addr, *tag)),
                        Some(&reply.to_string()),
                        "{ctx}: client {i} tag {tag}"
                    );
                }
                ClientEvent::TimedOut { tag, .. } => {
                    *done.entry(*tag).or_default() += 1;
                    timeouts += 1;
                }
                _ => {}
            }
        }
        assert!(
            done.values().all(|&n| n == 1),
            "{ctx}: client {i}: {done:?}"
        );
        let issued = net.clients[i].pending() + done.len();
        let expected = [7, 7, 8][i]; // hi + script (+ keep-alives below)
        assert!(issued >= expected, "{ctx}: client {i} completed {issued}");
        assert_eq!(net.clients[i].pending(), 0, "{ctx}: client {i} still busy");
    }
    // each `ms` reaches each member at most once from the server
    let mut relays: HashMap<&(SocketAddr, String), usize> = HashMap::new();
    for sent in net
        .server_sent
        .iter()
        .filter(|(_, s)| s.starts_with("0 ms "))
    {
        *relays.entry(sent).or_default() += 1;
    }
    for (relay, count) in relays {
        assert_eq!(count, 1, "{ctx}: {relay:?} relayed {count} times");
    }
    (executed.len(), timeouts)
}

fn run(loss: f64) -> (usize, usize) {
    let mut total = (0, 0);
    for seed in 0..SEEDS {
        let net = scenario(loss, seed);
        let (executed, timeouts) = check(&net, loss, seed);
        total.0 += executed;
        total.1 += timeouts;
    }
    println!(
        "loss {loss}: {} requests executed, {} timed out, {SEEDS} seeds",
        total.0, total.1
    );
    total
}

#[test]
fn no_loss_but_reordering() {
    let (_, timeouts) = run(0.0);
    assert_eq!(timeouts, 0);
    // and every relay arrives, once
    for seed in 0..SEEDS {
        let net = scenario(0.0, seed);
        let relayed = net
            .server_sent
            .iter()
            .filter(|(_, s)| s.starts_with("0 ms "))
            .count();
        let heard = net
            .client_events
            .iter()
            .flatten()
            .filter(|e| matches!(e, ClientEvent::Notice(Notification::Said { .. })))
            .count();
        assert_eq!(relayed, heard, "seed {seed}");
        assert!(relayed > 0, "seed {seed}");
    }
}

#[test]
fn ten_percent_loss() {
    let (executed, _) = run(0.1);
    assert!(executed > 0);
}

#[test]
fn thirty_percent_loss() {
    let (executed, timeouts) = run(0.3);
    assert!(executed > 0);
    // with 30% loss each way some requests exhaust their 4 retransmissions
    assert!(timeouts > 0);
}

#[test]
fn retransmission_and_duplicates_really_happen() {
    // the harness is not trivially perfect: at 30% loss the server sees
    // retransmissions and answers them from its cache
    let net = scenario(0.3, 1);
    let cached = net
        .server_events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Retransmitted { .. }))
        .count();
    assert!(cached > 0);
}
