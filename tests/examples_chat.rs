//! End-to-end tests of the `udp_chat` and `tcp_chat` examples over
//! loopback: the built example binaries run with scripted stdin, every wait
//! bounded, every child killed when the test ends (`tests/common/examples.rs`).

mod common {
    pub mod examples;
    pub mod python;
}

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use common::examples::Proc;
use common::python::python3;

/// What `example args` prints, which must be a success.
fn help(name: &str, args: &[&str]) -> String {
    let (ok, out) = Proc::spawn(name, args).finish();
    assert!(ok, "{name} {args:?}: {out:?}");
    out.join("\n")
}

#[test]
fn both_examples_print_help_with_their_arguments() {
    let top = help("udp_chat", &["--help"]);
    assert!(top.contains("server") && top.contains("client"), "{top}");
    let server = help("udp_chat", &["server", "--help"]);
    assert!(
        server.contains("--bind") && server.contains("0.0.0.0:5005"),
        "{server}"
    );
    let client = help("udp_chat", &["client", "--help"]);
    assert!(
        client.contains("--server")
            && client.contains("127.0.0.1:5005")
            && client.contains("<USER>"),
        "{client}"
    );
    let tcp = help("tcp_chat", &["--help"]);
    assert!(tcp.contains("HOST|PORT") && tcp.contains("[PORT]"), "{tcp}");
}

/// Starts the room server on a free loopback port; returns it and the port.
fn room_server() -> (Proc, u16) {
    let mut server = Proc::spawn("udp_chat", &["server", "--bind", "127.0.0.1:0"]);
    let line = server.next_with("listening on 127.0.0.1:");
    let port = line.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

#[test]
fn udp_chat_two_clients_talk_in_a_room_and_privately() {
    let (mut server, port) = room_server();
    let addr = format!("127.0.0.1:{port}");
    let mut alice = Proc::spawn("udp_chat", &["client", "alice", "--server", &addr]);
    let mut bob = Proc::spawn("udp_chat", &["client", "bob", "--server", &addr]);
    alice.next_with("ok (hi)");
    bob.next_with("ok (hi)");
    alice.write_line("$roomcreate lobby");
    alice.next_with("ok (rc)");
    bob.write_line("$roomjoin lobby");
    bob.next_with("ok (rj)");
    alice.next_with("* bob joined lobby");
    alice.write_line("$userlist");
    alice.next_with("users: alice bob");
    bob.write_line("$roomlist");
    bob.next_with("rooms: lobby");
    alice.write_line("hello  bob");
    bob.next_with("[lobby] alice: hello  bob");
    alice.write_line("$poke bob");
    alice.next_with("bob is at 127.0.0.1:");
    bob.next_with("alice poked you from 127.0.0.1:");
    bob.write_line("$msg alice psst");
    alice.next_with("[pm] bob: psst");
    bob.next_with("ok (pm to alice)");
    bob.write_line("$roomjoin nowhere");
    bob.next_with("error: no-such-room (rj)");
    bob.write_line("$roomjoin");
    bob.next_with("error: $roomjoin: needs a room name");
    bob.write_line("$kick");
    bob.next_with("error: not-owner (kk)");
    alice.write_line("$quit");
    alice.next_with("ok (by)");
    alice.next_with("bye");
    exits_ok(alice);
    bob.next_with("* alice left lobby");
    // bob owns the room now
    bob.write_line("$kick");
    bob.next_with("ok (kk)");
    // end of input leaves as $quit does
    bob.close_stdin();
    bob.next_with("bye");
    exits_ok(bob);
    // one log line per datagram
    server.next_with("alice: 2 rc lobby -> ok");
    server.next_with("bob: 2 rj lobby -> ok");
    server.next_with("alice: 4 ms hello  bob -> ok");
    // bob's `pm` took tag 5
    server.next_with("bob: 7 kk -> ok");
    server.next_with("bob: 8 by -> ok");
    stop(server, "room server stopped");
}

#[test]
fn udp_chat_server_speaks_the_wire_protocol() {
    let (mut server, port) = room_server();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.connect(("127.0.0.1", port)).unwrap();
    let mut buf = [0; 4096];
    let mut ask = |wire: &[u8]| {
        sock.send(wire).unwrap();
        let n = sock.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    };
    assert_eq!(ask(b"1 ul"), "1 er not-registered");
    assert_eq!(ask(b"2 hi raw"), "2 ok");
    assert_eq!(ask(b"2 hi raw"), "2 ok");
    assert_eq!(ask(b"3 zz"), "3 er bad-request");
    assert_eq!(ask(&[b'x'; 5000]), "0 er too-long");
    assert_eq!(ask(b"4 ul"), "4 ul raw");
    server.next_with("2 retransmitted");
    server.next_with("rejected");
    // an unreadable tag: no reply, one log line
    sock.send(b"x ul").unwrap();
    server.next_with("dropped");
    assert_eq!(ask(b"5 by"), "5 ok");
    stop(server, "room server stopped");
}

/// Checks that `proc` exits by itself with status 0.
fn exits_ok(proc: Proc) {
    let (ok, seen) = proc.exit_by_itself();
    assert!(ok, "{seen:?}");
}

/// Stops a server with SIGTERM and checks that it exits cleanly, printing
/// `last_line` after what it printed before.
fn stop(proc: Proc, last_line: &str) {
    let before = proc.seen.len();
    let (ok, seen) = proc.terminate();
    assert!(ok, "{seen:?}");
    assert!(
        seen[before..].iter().any(|l| l.contains(last_line)),
        "no {last_line:?} in {seen:?}"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn tcp_chat_falls_back_to_listening_and_two_peers_chat() {
    let port = free_port().to_string();
    let mut a = Proc::spawn("tcp_chat", &["127.0.0.1", &port]);
    a.next_with("could not connect to 127.0.0.1:");
    a.next_with(&format!("listening on 0.0.0.0:{port}"));
    let mut b = Proc::spawn("tcp_chat", &["127.0.0.1", &port]);
    b.next_with(&format!("connected to 127.0.0.1:{port}"));
    a.next_with("connected to 127.0.0.1:");
    b.write_line("hello from b");
    a.next_with("peer> hello from b");
    a.write_line("hi  back");
    b.next_with("peer> hi  back");
    a.write_line(":q");
    a.next_with("closed the connection");
    exits_ok(a);
    b.next_with("peer closed the connection");
    let (ok, seen) = b.exit_by_itself();
    assert!(ok, "{seen:?}");
    assert!(!seen.iter().any(|l| l.contains(":q")), "{seen:?}");
}

#[test]
fn tcp_chat_listener_speaks_lines_byte_exact() {
    let port = free_port().to_string();
    let mut a = Proc::spawn("tcp_chat", &[&port]);
    a.next_with(&format!("listening on 0.0.0.0:{port}"));
    let mut peer = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.next_with("connected to 127.0.0.1:");
    peer.write_all(b"hello\r\nsplit ").unwrap();
    a.next_with("peer> hello");
    peer.write_all("line é\n".as_bytes()).unwrap();
    a.next_with("peer> split line é");
    a.write_line("yo");
    let mut got = [0; 3];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"yo\n");
    // the peer closes: reported, and the program exits 0
    peer.write_all(b"last words").unwrap();
    drop(peer);
    a.next_with("peer> last words");
    a.next_with("peer closed the connection");
    exits_ok(a);
}

#[test]
fn tcp_chat_q_closes_without_sending_it() {
    let port = free_port().to_string();
    let mut a = Proc::spawn("tcp_chat", &[&port]);
    a.next_with("listening on");
    let mut peer = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.next_with("connected to");
    a.write_line("one");
    a.write_line(":q");
    let mut all = Vec::new();
    peer.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"one\n");
    a.next_with("closed the connection");
    exits_ok(a);
}

#[test]
fn udp_chat_server_answers_a_python_peer() {
    if !python3() {
        return;
    }
    let (mut server, port) = room_server();
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
server = ("127.0.0.1", int(sys.argv[1]))
for tag, req in enumerate(["hi py", "rc py-room", "rl", "ms héllo", "by"], start=1):
    s.sendto(f"{tag} {req}".encode(), server)
    data, _ = s.recvfrom(4096)
    print(data.decode())
"#;
    let out = Command::new("python3")
        .args(["-c", script, &port.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "1 ok\n2 ok\n3 rl py-room\n4 ok\n5 ok\n"
    );
    server.next_with("py: 4 ms héllo -> ok");
    stop(server, "room server stopped");
}

/// Issue 17's reproduction: the client starts with nothing listening and
/// `$roomcreate lobby` is typed; the server starts 2.25 s later on that
/// port.
/// The client's `hi` was lost, so `rc` gets `er not-registered`: the client
/// registers again, says so, and the room is created.
#[test]
fn udp_chat_client_registers_again_when_its_hi_was_lost() {
    let port = {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut alice = Proc::spawn("udp_chat", &["client", "alice", "--server", &addr]);
    // `hi` goes out as the client starts, then at 0.5, 1, 1.5 and 2 s: the
    // server starts after the last copy, before `rc` (at 2.5 s) gives up
    alice.next_with("alice on");
    alice.write_line("$roomcreate lobby");
    std::thread::sleep(Duration::from_millis(2250));
    let mut server = Proc::spawn("udp_chat", &["server", "--bind", &addr]);
    server.next_with("listening on");
    alice.next_with("not registered with the server (it may have restarted): registering again as alice, then repeating rc");
    alice.next_with("ok (hi)");
    alice.next_with("ok (rc)");
    alice.write_line("$roomlist");
    alice.next_with("rooms: lobby");
    alice.close_stdin();
    alice.next_with("bye");
    exits_ok(alice);
    stop(server, "room server stopped");
}
