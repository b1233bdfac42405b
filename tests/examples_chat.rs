//! End-to-end tests of the `udp_chat` and `tcp_chat` examples over
//! loopback: the built example binaries run with scripted stdin, every wait
//! bounded, every child killed when the test ends.
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/debug/examples/`); run the whole suite, or
//! `cargo build --examples` first when running this file alone.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo test` (which builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// A running example: stdin to write, stdout lines to wait for.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn spawn(name: &str, args: &[&str]) -> Proc {
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            name: format!("{name} {}", args.join(" ")),
            stdin: child.stdin.take(),
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line containing `needle`; returns it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "{}: no line with {needle:?} within {WAIT:?}; saw {:#?}",
                    self.name, self.seen
                ),
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit by itself.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // collect the rest of the output
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(line);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit: {:#?}",
                self.name,
                self.seen
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn help(name: &str, args: &[&str]) -> String {
    let out = Command::new(example(name)).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?}");
    String::from_utf8(out.stdout).unwrap()
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
    let line = server.expect("listening on 127.0.0.1:");
    let port = line.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

#[test]
fn udp_chat_two_clients_talk_in_a_room_and_privately() {
    let (mut server, port) = room_server();
    let addr = format!("127.0.0.1:{port}");
    let mut alice = Proc::spawn("udp_chat", &["client", "alice", "--server", &addr]);
    let mut bob = Proc::spawn("udp_chat", &["client", "bob", "--server", &addr]);
    alice.expect("ok (hi)");
    bob.expect("ok (hi)");
    alice.type_line("$roomcreate lobby");
    alice.expect("ok (rc)");
    bob.type_line("$roomjoin lobby");
    bob.expect("ok (rj)");
    alice.expect("* bob joined lobby");
    alice.type_line("$userlist");
    alice.expect("users: alice bob");
    bob.type_line("$roomlist");
    bob.expect("rooms: lobby");
    alice.type_line("hello  bob");
    bob.expect("[lobby] alice: hello  bob");
    alice.type_line("$poke bob");
    alice.expect("bob is at 127.0.0.1:");
    bob.expect("alice poked you from 127.0.0.1:");
    bob.type_line("$msg alice psst");
    alice.expect("[pm] bob: psst");
    bob.type_line("$roomjoin nowhere");
    bob.expect("error: no-such-room (rj)");
    bob.type_line("$roomjoin");
    bob.expect("error: $roomjoin: needs a room name");
    bob.type_line("$kick");
    bob.expect("error: not-owner (kk)");
    alice.type_line("$quit");
    alice.expect("ok (by)");
    alice.expect("bye");
    assert!(alice.wait().success());
    bob.expect("* alice left lobby");
    // bob owns the room now
    bob.type_line("$kick");
    bob.expect("ok (kk)");
    // end of input leaves as $quit does
    bob.close_stdin();
    bob.expect("bye");
    assert!(bob.wait().success());
    // one log line per datagram
    server.expect("alice: 2 rc lobby -> ok");
    server.expect("bob: 2 rj lobby -> ok");
    server.expect("alice: 4 ms hello  bob -> ok");
    server.expect("bob: 6 kk -> ok");
    server.expect("bob: 7 by -> ok");
    stop(&mut server, "room server stopped");
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
    server.expect("2 retransmitted");
    server.expect("rejected");
    // an unreadable tag: no reply, one log line
    sock.send(b"x ul").unwrap();
    server.expect("dropped");
    assert_eq!(ask(b"5 by"), "5 ok");
    stop(&mut server, "room server stopped");
}

/// Stops a server with SIGTERM (where `kill` exists) and checks it exits
/// cleanly; otherwise the drop kills it.
fn stop(proc: &mut Proc, last_line: &str) {
    if !cfg!(unix) {
        return;
    }
    let Ok(status) = Command::new("kill")
        .args(["-TERM", &proc.child.id().to_string()])
        .status()
    else {
        println!("note: no `kill` command, the server is killed instead");
        return;
    };
    assert!(status.success());
    proc.expect(last_line);
    assert!(proc.wait().success());
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
    a.expect("could not connect to 127.0.0.1:");
    a.expect(&format!("listening on 0.0.0.0:{port}"));
    let mut b = Proc::spawn("tcp_chat", &["127.0.0.1", &port]);
    b.expect(&format!("connected to 127.0.0.1:{port}"));
    a.expect("connected to 127.0.0.1:");
    b.type_line("hello from b");
    a.expect("peer> hello from b");
    a.type_line("hi  back");
    b.expect("peer> hi  back");
    a.type_line(":q");
    a.expect("closed the connection");
    assert!(a.wait().success());
    b.expect("peer closed the connection");
    assert!(b.wait().success());
    assert!(!b.seen.iter().any(|l| l.contains(":q")), "{:?}", b.seen);
}

#[test]
fn tcp_chat_listener_speaks_lines_byte_exact() {
    let port = free_port().to_string();
    let mut a = Proc::spawn("tcp_chat", &[&port]);
    a.expect(&format!("listening on 0.0.0.0:{port}"));
    let mut peer = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.expect("connected to 127.0.0.1:");
    peer.write_all(b"hello\r\nsplit ").unwrap();
    a.expect("peer> hello");
    peer.write_all("line é\n".as_bytes()).unwrap();
    a.expect("peer> split line é");
    a.type_line("yo");
    let mut got = [0; 3];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"yo\n");
    // the peer closes: reported, and the program exits 0
    peer.write_all(b"last words").unwrap();
    drop(peer);
    a.expect("peer> last words");
    a.expect("peer closed the connection");
    assert!(a.wait().success());
}

#[test]
fn tcp_chat_q_closes_without_sending_it() {
    let port = free_port().to_string();
    let mut a = Proc::spawn("tcp_chat", &[&port]);
    a.expect("listening on");
    let mut peer = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.expect("connected to");
    a.type_line("one");
    a.type_line(":q");
    let mut all = Vec::new();
    peer.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"one\n");
    a.expect("closed the connection");
    assert!(a.wait().success());
}

#[test]
fn udp_chat_server_answers_a_python_peer() {
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
    let out = match Command::new("python3")
        .args(["-c", script, &port.to_string()])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("note: python3 not available ({e}); skipping the Python peer");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "1 ok\n2 ok\n3 rl py-room\n4 ok\n5 ok\n"
    );
    server.expect("py: 4 ms héllo -> ok");
    stop(&mut server, "room server stopped");
}
