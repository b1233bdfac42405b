//! Checks of the §8 machines (`sockwire::room::lab`) for
//! the `lab_room` fuzz target, replayed on stable by
//! `tests/fuzz_regressions.rs` through `checks.rs`.
//!
//! # Input format
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | the server's limits: users, rooms and members, 1 to 4 each |
//! | then, each step | one byte `b`: `b & 3` is who (client 0, 1, 2, or a stranger), `(b >> 2) & 7` what |
//!
//! | what | step |
//! |---|---|
//! | 0, 1 | a request from the vocabulary, from who to the server |
//! | 2 | raw bytes (length byte, then the bytes) from who to the server |
//! | 3 | at client `who % 3`: its start, with a name, the first time; a name again while it has none; else a line typed (a `$` command or a chat line) |
//! | 4 | each client's timer runs; then the network delivers everything in flight, at once |
//! | 5 | raw bytes to client `who % 3`, from the server's address or a stranger |
//! | 6 | the wire types alone: parse the raw bytes, format, parse again |
//! | 7 | a chat line from the vocabulary to client `who % 3` from who |
//!
//! The server must answer every datagram with exactly one event; send only
//! canonical §8 answers within 1,024 bytes; answer a malformed datagram
//! with nothing or, for an invalid name, the op's one "no"; send others
//! only peer-list refreshes (`rj __clear_peers__`, then peers that are not
//! the receiver); and keep its limits. A client must send only §8 requests
//! to the server and chat lines to its peers, and, its bye wait being
//! zero, be closed once its timer runs after `by` went out. A client not
//! yet started gets nothing: what is sent to it is lost.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockwire::Transmit;
use sockwire::room::Name;
use sockwire::room::lab::{
    LabAnswer, LabChat, LabClient, LabClientConfig, LabRequest, LabServer, LabServerConfig,
    LabServerEvent, LabWireError,
};

// The fuzz input cursor of the other targets (`checks.rs`).
use super::Script as Input;

const NAMES: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "lobby",
    "den",
    "a-b_9",
    "bad.name",
    "__clear_peers__",
];

const SERVER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    5005,
);

fn addr(who: u8) -> SocketAddr {
    SocketAddr::new(SERVER.ip(), 6000 + u16::from(who & 3))
}

/// A request from a small vocabulary, with varied spacing.
fn request(s: &mut Input<'_>) -> Vec<u8> {
    let op = s.pick(&["hi", "by", "ar", "ul", "rl", "rc", "rj", "rk", "zz"]);
    let b = s.byte();
    let mut text = op.to_owned();
    for _ in 0..(b & 3) {
        let sep = if b & 4 != 0 { " \t" } else { " " };
        text.push_str(sep);
        text.push_str(s.pick(NAMES));
    }
    if b & 8 != 0 {
        text.insert(0, ' ');
    }
    text.into_bytes()
}

/// A line a person types: a `$` command or a chat line.
fn line(s: &mut Input<'_>) -> String {
    let name = s.pick(NAMES);
    match s.byte() % 12 {
        0 => "$userlist".into(),
        1 => "$roomlist".into(),
        2 => format!("$roomcreate {name}"),
        3 => format!("$roomjoin {name}"),
        4 => "$roomleave".into(),
        5 => format!("$poke {name}"),
        6 => "$kick".into(),
        7 => "$quit".into(),
        8 => format!("$msg {name} psst"),
        9 => "x".repeat(1100),
        10 => "$roomjoin".into(),
        _ => "hello  all".into(),
    }
}

/// Checks a server step: `datagram` came from `from`.
fn check_server(
    server: &mut LabServer,
    limits: &LabServerConfig,
    from: SocketAddr,
    datagram: &[u8],
    sent: &[Transmit],
) {
    let mut events = Vec::new();
    while let Some(e) = server.poll_event() {
        events.push(e);
    }
    assert_eq!(events.len(), 1, "{datagram:?}: {events:?}");
    let parsed = LabRequest::parse(datagram);
    let refreshing = matches!(
        parsed,
        Ok(LabRequest::JoinRoom(_) | LabRequest::LeaveRoom | LabRequest::Bye)
    );
    for t in sent {
        assert!(!t.payload.is_empty() && t.payload.len() <= LabRequest::MAX_LEN);
        let answer = LabAnswer::parse(&t.payload).expect("the server sends §8 answers");
        assert_eq!(answer.to_bytes(), t.payload, "canonical answer");
        if t.destination != from {
            assert!(refreshing, "{datagram:?} sent {answer:?} to another");
            assert!(matches!(answer, LabAnswer::ClearPeers | LabAnswer::Peer(_)));
        }
        if let LabAnswer::Peer(peer) = answer {
            assert_ne!(peer, t.destination, "a member is its own peer");
        }
    }
    // each receiver's refresh starts with the clear
    let receivers: BTreeSet<SocketAddr> = sent.iter().map(|t| t.destination).collect();
    for to in receivers {
        let mine: Vec<LabAnswer> = (sent.iter().filter(|t| t.destination == to))
            .filter_map(|t| LabAnswer::parse(&t.payload).ok())
            .collect();
        let refresh: Vec<&LabAnswer> = (mine.iter())
            .filter(|a| matches!(a, LabAnswer::ClearPeers | LabAnswer::Peer(_)))
            .collect();
        if let Some(first) = refresh.first() {
            assert_eq!(
                **first,
                LabAnswer::ClearPeers,
                "a refresh starts with the clear"
            );
        }
    }
    match (&parsed, events.first()) {
        (Ok(request), Some(LabServerEvent::Handled { request: r, .. }))
        | (Ok(request), Some(LabServerEvent::NotRegistered { request: r, .. })) => {
            assert_eq!(request, r);
        }
        (Err(LabWireError::BadName { .. }), Some(LabServerEvent::Refused { .. })) => {
            assert_eq!(sent.len(), 1);
            assert_eq!(sent.first().map(|t| t.destination), Some(from));
        }
        (Err(_), Some(LabServerEvent::Dropped { .. })) => assert!(sent.is_empty()),
        (_, event) => panic!("{datagram:?} gave {event:?}"),
    }
    if matches!(events.first(), Some(LabServerEvent::NotRegistered { .. })) {
        assert!(sent.is_empty());
    }
    // the limits and the directory's shape
    let users: Vec<Name> = server.users().cloned().collect();
    assert!(users.len() <= limits.max_users);
    assert!(users.windows(2).all(|w| w[0] < w[1]), "users sorted");
    let rooms: Vec<Name> = server.rooms().cloned().collect();
    assert!(rooms.len() <= limits.max_rooms);
    assert!(rooms.windows(2).all(|w| w[0] < w[1]), "rooms sorted");
    let mut seen = BTreeSet::new();
    for room in &rooms {
        let members = server.room_members(room).expect("a listed room");
        assert!(members.len() <= limits.max_members);
        for m in members {
            assert!(users.contains(&m), "member {m} is registered");
            assert!(seen.insert(m), "a user in one room at most");
        }
    }
}

fn drain_server(server: &mut LabServer) -> Vec<Transmit> {
    std::iter::from_fn(|| server.poll_transmit()).collect()
}

/// Checks what a client sent: requests to the server, chat lines to
/// peers it knew when it sent them.
fn check_client(client: &mut LabClient, peers: &[SocketAddr]) -> Vec<Transmit> {
    let sent: Vec<Transmit> = std::iter::from_fn(|| client.poll_transmit()).collect();
    for t in &sent {
        assert!(t.payload.len() <= LabRequest::MAX_LEN);
        if t.destination == SERVER {
            let request = LabRequest::parse(&t.payload).expect("a §8 request");
            assert_eq!(request.to_bytes(), t.payload);
        } else {
            let chat = LabChat::parse(&t.payload).expect("a chat line");
            assert_eq!(chat.to_bytes().ok().as_ref(), Some(&t.payload));
            assert!(peers.contains(&t.destination), "chat to a stranger");
        }
    }
    while client.poll_event().is_some() {}
    sent
}

/// Runs a client's timer at `now`: the bye wait (zero here) is due as soon
/// as `by` is sent, and once run the client is closed, with no timer left.
fn check_timer(client: &mut LabClient, now: Instant) {
    let due = client.poll_timeout();
    assert!(
        due.is_none_or(|t| t <= now),
        "a zero bye wait is due at once"
    );
    client.handle_timeout(now);
    assert_eq!(client.poll_timeout(), None);
    if due.is_some() {
        assert!(client.is_closed(), "closed, with `by` already sent");
    }
    while client.poll_event().is_some() {}
}

/// The wire types: what parses formats canonically and parses back.
fn check_wire(raw: &[u8]) {
    if let Ok(r) = LabRequest::parse(raw) {
        assert_eq!(LabRequest::parse(&r.to_bytes()), Ok(r.clone()));
        let text = std::str::from_utf8(raw).expect("a parsed request is UTF-8");
        let python_space = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
        let words: Vec<&str> = text.split(python_space).filter(|w| !w.is_empty()).collect();
        assert_eq!(
            words.join(" ").as_bytes(),
            r.to_bytes(),
            "canonical: one space"
        );
    }
    if let Ok(a) = LabAnswer::parse(raw) {
        assert_eq!(LabAnswer::parse(&a.to_bytes()), Ok(a));
    }
    if let Ok(c) = LabChat::parse(raw) {
        if let Ok(bytes) = c.to_bytes() {
            assert_eq!(LabChat::parse(&bytes), Ok(c));
        }
    }
}

/// §8 server and three clients on a network that delivers when told to.
pub fn lab_room(data: &[u8]) {
    let mut s = Input(data);
    let c = s.byte();
    let limits = LabServerConfig::default()
        .with_max_users(1 + usize::from(c & 3))
        .with_max_rooms(1 + usize::from((c >> 2) & 3))
        .with_max_members(1 + usize::from((c >> 4) & 3));
    let mut server = LabServer::new(limits.clone());
    let now = Instant::now();
    // each client starts at its first step 3, with the name picked there
    let mut clients: [Option<LabClient>; 3] = [None, None, None];
    let client_config = LabClientConfig::default()
        .with_max_peers(4)
        .with_bye_wait(Duration::ZERO);
    let mut names = 0;
    // (from, transmit) in flight
    let mut flight: Vec<(SocketAddr, Transmit)> = Vec::new();
    let mut steps = 0;
    while !s.0.is_empty() && steps < 256 {
        steps += 1;
        let b = s.byte();
        let who = b & 3;
        let from = addr(who);
        match (b >> 2) & 7 {
            kind @ 0..=2 => {
                let datagram = if kind == 2 {
                    let n = usize::from(s.byte());
                    s.bytes(n).to_vec()
                } else {
                    request(&mut s)
                };
                server.handle_datagram(from, &datagram);
                let sent = drain_server(&mut server);
                check_server(&mut server, &limits, from, &datagram, &sent);
                flight.extend(sent.into_iter().map(|t| (SERVER, t)));
            }
            3 => {
                let i = usize::from(who % 3);
                let Some(slot) = clients.get_mut(i) else {
                    continue;
                };
                let client = match slot {
                    Some(client) if client.name().is_none() && names < 8 => {
                        names += 1;
                        if let Ok(name) = Name::new(s.pick(NAMES)) {
                            let _ = client.hello(name);
                        }
                        client
                    }
                    Some(client) => {
                        let typed = line(&mut s);
                        let _ = client.handle_line(now, &typed);
                        client
                    }
                    None => {
                        names += 1;
                        let Ok(name) = Name::new(s.pick(NAMES)) else {
                            continue;
                        };
                        slot.insert(LabClient::new(SERVER, name, client_config.clone()))
                    }
                };
                let peers = client.peers();
                let sent = check_client(client, &peers);
                flight.extend(sent.into_iter().map(|t| (addr(who % 3), t)));
            }
            4 => {
                // the clock first: a client waiting for `by` closes (and
                // ignores the `by` delivered next)
                for client in clients.iter_mut().flatten() {
                    check_timer(client, now);
                }
                // deliver until quiet (bounded)
                for _ in 0..8 {
                    if flight.is_empty() {
                        break;
                    }
                    for (src, t) in std::mem::take(&mut flight) {
                        if t.destination == SERVER {
                            server.handle_datagram(src, &t.payload);
                            let sent = drain_server(&mut server);
                            check_server(&mut server, &limits, src, &t.payload, &sent);
                            flight.extend(sent.into_iter().map(|t| (SERVER, t)));
                        } else if let Some(client) = (0..3u8)
                            .position(|i| addr(i) == t.destination)
                            .and_then(|i| clients.get_mut(i)?.as_mut())
                        {
                            client.handle_datagram(src, &t.payload);
                            let peers = client.peers();
                            let own = t.destination;
                            let sent = check_client(client, &peers);
                            flight.extend(sent.into_iter().map(|t| (own, t)));
                        }
                    }
                }
            }
            5 => {
                let n = usize::from(s.byte());
                let raw = s.bytes(n);
                let src = if b & 0x20 != 0 { SERVER } else { addr(3) };
                if let Some(client) = clients
                    .get_mut(usize::from(who % 3))
                    .and_then(Option::as_mut)
                {
                    client.handle_datagram(src, raw);
                    let peers = client.peers();
                    let sent = check_client(client, &peers);
                    assert!(sent.is_empty(), "a received datagram made a client send");
                }
            }
            6 => {
                let n = usize::from(s.byte());
                check_wire(s.bytes(n));
            }
            _ => {
                let text = if s.byte() & 1 == 0 { "hi there" } else { "" };
                let chat = format!("msg {}> {text}", s.pick(NAMES));
                if let Some(client) = clients
                    .get_mut(usize::from(who % 3))
                    .and_then(Option::as_mut)
                {
                    client.handle_datagram(from, chat.as_bytes());
                    let peers = client.peers();
                    let sent = check_client(client, &peers);
                    assert!(sent.is_empty());
                }
            }
        }
    }
}
