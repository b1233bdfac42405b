//! The lab's wire (§8) over real loopback sockets, byte for
//! byte: Python peers written as the lab's programs are (tests/python:
//! `lab_room_server.py`, `lab_room_client.py`, socket and select) against
//! `udp_chat --wire lab`, server and client. Every datagram a Python peer
//! gets or the Python server receives is printed as the repr of its exact
//! bytes. Skipped, with a note, when python3 is absent.

mod common {
    pub mod examples;
    pub mod python;
}

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::examples::Proc;
use common::python::{python, python3};

/// The port right after `needle` in the next line that contains it.
fn port_after(proc: &mut Proc, needle: &str) -> u16 {
    let line = proc.next_with(needle);
    let port = (line.split_once(needle))
        .map(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p?.parse().ok());
    port.unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// A Python §8 client of the server on `port`, and its own port.
fn python_client(port: u16) -> (Proc, u16) {
    let mut proc = python("lab_room_client.py", &["127.0.0.1", &port.to_string()]);
    let own = port_after(&mut proc, "bound 127.0.0.1:");
    (proc, own)
}

/// Registers a Python client as `name`.
fn register(proc: &mut Proc, name: &str, server: u16) {
    proc.write_line(name);
    proc.next_with(&format!("recv 127.0.0.1:{server} b'hi {name}'"));
    proc.next_with(&format!("registered {name}"));
}

#[test]
fn python_lab_clients_against_sockwire_lab_server() {
    if !python3() {
        return;
    }
    let mut server = Proc::spawn(
        "udp_chat",
        &["server", "--wire", "lab", "--bind", "127.0.0.1:0"],
    );
    let port = port_after(&mut server, "lab room server listening on 127.0.0.1:");
    let from_server = |text: &str| format!("recv 127.0.0.1:{port} b'{text}'");

    let (mut alice, a) = python_client(port);
    register(&mut alice, "alice", port);
    let (mut bob, b) = python_client(port);
    bob.write_line("alice");
    bob.next_with(&from_server("hi"));
    bob.next_with("name taken");
    register(&mut bob, "bob", port);
    server.next_with(&format!("127.0.0.1:{b} (unregistered): hi alice -> hi"));
    server.next_with(&format!("127.0.0.1:{b} bob: hi bob -> hi bob"));

    alice.write_line("$userlist");
    alice.next_with(&from_server("ul alice"));
    alice.next_with(&from_server("ul bob"));
    alice.write_line("$roomlist");
    alice.next_with(&from_server("rl"));
    alice.write_line("$roomcreate lobby");
    alice.next_with(&from_server("rc lobby"));
    bob.write_line("$roomcreate lobby");
    bob.next_with(&from_server("rc"));
    alice.write_line("$roomlist");
    alice.next_with(&from_server("rl lobby"));

    alice.write_line("$roomjoin lobby");
    alice.next_with(&from_server("rj __clear_peers__"));
    bob.write_line("$roomjoin lobby");
    for (who, other) in [(&mut alice, b), (&mut bob, a)] {
        who.next_with(&from_server("rj __clear_peers__"));
        who.next_with(&from_server(&format!("rj 127.0.0.1 {other}")));
    }
    server.next_with(&format!(
        "127.0.0.1:{b} bob: rj lobby -> rj __clear_peers__ (+1 more); peer lists to 2 members"
    ));

    // chat lines go peer to peer
    alice.write_line("hello  bob");
    alice.next_with(&format!("sent 127.0.0.1:{b} b'msg alice> hello  bob'"));
    alice.next_with("sent to 1 peers");
    bob.next_with(&format!("recv 127.0.0.1:{a} b'msg alice> hello  bob'"));

    bob.write_line("$poke alice");
    bob.next_with(&from_server(&format!("ar 127.0.0.1 {a}")));
    alice.write_line("$poke nobody");
    alice.next_with(&from_server("ar"));

    // malformed datagrams are dropped and logged; the server goes on
    alice.write_line("$raw zz top");
    server.next_with(&format!("127.0.0.1:{a}: dropped (unknown word \"zz\")"));
    alice.write_line("$raw rj");
    server.next_with(&format!("127.0.0.1:{a}: dropped (rj with 0 arguments)"));

    // bob leaves: alice's peer list is refreshed, and she sends him nothing
    bob.write_line("$roomleave");
    alice.next_with(&from_server("rj __clear_peers__"));
    server.next_with(&format!(
        "127.0.0.1:{b} bob: rk -> nothing; peer list to 1 member"
    ));
    alice.write_line("anyone?");
    alice.next_with("sent to 0 peers");

    bob.write_line("$quit");
    bob.next_with(&from_server("by"));
    let (ok, _) = bob.finish();
    assert!(ok);
    alice.write_line("$userlist");
    alice.next_with(&from_server("ul alice"));
    alice.write_line("$quit");
    alice.next_with(&from_server("by"));
    let (ok, out) = alice.finish();
    assert!(ok);
    // every datagram alice got came from the server but the chat lines
    assert!(
        out.iter()
            .filter(|l| l.starts_with("recv "))
            .all(|l| l.starts_with(&format!("recv 127.0.0.1:{port} "))),
        "{out:?}"
    );
    let (ok, log) = server.terminate();
    assert!(ok, "{log:?}");
}

#[test]
fn sockwire_lab_clients_against_python_lab_server() {
    if !python3() {
        return;
    }
    let mut server = python("lab_room_server.py", &[]);
    let port = port_after(&mut server, "listening on 127.0.0.1:");
    let server_addr = format!("127.0.0.1:{port}");
    let client = |user: &str| {
        let args = ["client", user, "--server", &server_addr, "--wire", "lab"];
        let mut proc = Proc::spawn("udp_chat", &args);
        let own = port_after(&mut proc, "from 0.0.0.0:");
        (proc, own)
    };
    let got = |from: u16, text: &str| format!("recv 127.0.0.1:{from} b'{text}'");

    let (mut alice, a) = client("alice");
    alice.next_with("registered as alice");
    server.next_with(&got(a, "hi alice"));
    let (mut bob, b) = client("alice");
    bob.next_with("the name alice is taken");
    bob.next_with("your name");
    bob.write_line("bob");
    bob.next_with("registered as bob");
    server.next_with(&got(b, "hi alice"));
    server.next_with(&got(b, "hi bob"));

    alice.write_line("$roomcreate lobby");
    alice.next_with("room lobby created");
    server.next_with(&got(a, "rc lobby"));
    alice.write_line("$roomjoin lobby");
    alice.next_with("peers cleared");
    server.next_with(&got(a, "rj lobby"));
    bob.write_line("$roomjoin lobby");
    bob.next_with(&format!("peer 127.0.0.1:{a}"));
    alice.next_with(&format!("peer 127.0.0.1:{b}"));
    server.next_with(&got(b, "rj lobby"));

    // a Python client in the same room sees sockwire's chat lines exactly
    let (mut carol, c) = python_client(port);
    register(&mut carol, "carol", port);
    carol.write_line("$roomjoin lobby");
    carol.next_with(&got(port, &format!("rj 127.0.0.1 {b}")));
    alice.next_with(&format!("peer 127.0.0.1:{c}"));
    bob.next_with(&format!("peer 127.0.0.1:{c}"));

    alice.write_line("hello  all");
    carol.next_with(&got(a, "msg alice> hello  all"));
    bob.next_with("alice> hello  all");
    carol.write_line("hi from python");
    alice.next_with("carol> hi from python");
    bob.next_with("carol> hi from python");

    bob.write_line("$userlist");
    for user in ["alice", "bob", "carol"] {
        bob.next_with(&format!("user {user}"));
    }
    server.next_with(&got(b, "ul"));
    bob.write_line("$poke carol");
    bob.next_with(&format!("carol is at 127.0.0.1:{c}"));
    server.next_with(&got(b, "ar carol"));

    // bob leaves the room: alice's list no longer holds him
    bob.write_line("$roomleave");
    server.next_with(&got(b, "rk"));
    alice.next_with("peers cleared");
    alice.next_with(&format!("peer 127.0.0.1:{c}"));
    alice.write_line("second");
    carol.next_with(&got(a, "msg alice> second"));
    bob.write_line("$roomlist");
    bob.next_with("room lobby");
    assert!(
        !bob.seen.iter().any(|l| l.contains("alice> second")),
        "{:?}",
        bob.seen
    );

    for (proc, from) in [(alice, a), (bob, b)] {
        let mut proc = proc;
        proc.write_line("$quit");
        server.next_with(&got(from, "by"));
        let (ok, out) = proc.finish();
        assert!(ok, "{out:?}");
    }
    carol.write_line("$quit");
    let (ok, _) = carol.finish();
    assert!(ok);
}

/// A server that answers `hi` but never `by`: `$quit` sends `by`, waits
/// the client's bye wait (1 s), and the client leaves anyway, saying so.
#[test]
fn sockwire_lab_client_leaves_when_by_is_never_answered() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let args = ["client", "alice", "--server", &server, "--wire", "lab"];
    let mut client = Proc::spawn("udp_chat", &args);
    let mut buf = [0u8; 2048];
    let (n, from) = silent.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi alice");
    silent.send_to(b"hi alice", from).unwrap();
    client.next_with("registered as alice");
    client.write_line("$quit");
    let (n, again) = silent.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], again), (&b"by"[..], from));
    let sent_by = Instant::now();
    let (ok, out) = client.exit_by_itself();
    assert!(ok, "{out:?}");
    assert!(
        sent_by.elapsed() >= Duration::from_millis(900),
        "left before its bye wait"
    );
    assert!(
        out.iter()
            .any(|l| l == "no answer to by from the server; leaving anyway"),
        "{out:?}"
    );
}

#[test]
fn udp_chat_offers_both_wires_with_room_the_default() {
    for mode in ["server", "client"] {
        let (ok, out) = Proc::spawn("udp_chat", &[mode, "--help"]).finish();
        let help = out.join("\n");
        assert!(ok, "{help}");
        assert!(
            help.contains("--wire") && help.contains("room") && help.contains("lab"),
            "{help}"
        );
        assert!(help.contains("[default: room]"), "{help}");
    }
}
