//! The example programs over real loopback sockets: each TCP server model
//! with each protocol, many clients at once, bad clients beside good ones,
//! a slow reader, the UDP server in each reply mode, and the clients
//! against servers written here.

mod common {
    pub mod examples;
}

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, UdpSocket};
use std::thread;

use common::examples::{LIMIT, Proc, connect, example, run_stdout_closed};
use sockwire::builtin::{Protocol, ReplyPolicy as Reply};
use sockwire::{FixedPacket, VariablePacket};

const SERVERS: [&str; 2] = ["tcp_threaded_server", "tcp_selector_server"];
const PROTOCOLS: [Protocol; 3] = [Protocol::Text, Protocol::Fixed, Protocol::Variable];

/// The wire bytes of `n` messages of client `id`.
fn messages(protocol: Protocol, id: usize, n: u32) -> Vec<u8> {
    (1..=n)
        .flat_map(|i| {
            protocol
                .encode(i, &format!("c{id} m{i} ação 🐰"))
                .unwrap()
                .to_vec()
        })
        .collect()
}

/// Sends `wire` in two writes, half-closes, and reads everything back
/// until the server closes.
fn exchange(addr: SocketAddr, wire: &[u8]) -> (Vec<u8>, SocketAddr) {
    let mut stream = connect(addr);
    let local = stream.local_addr().unwrap();
    let (a, b) = wire.split_at(wire.len() / 2);
    stream.write_all(a).unwrap();
    stream.write_all(b).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).expect("read the echo");
    (back, local)
}

#[test]
fn each_server_echoes_each_protocol_to_20_clients_at_once() {
    for server in SERVERS {
        for protocol in PROTOCOLS {
            let (mut proc, addr) = Proc::server(server, &["--protocol", protocol.name()]);
            let clients: Vec<_> = (0..20)
                .map(|id| {
                    thread::spawn(move || {
                        let wire = messages(protocol, id, 5);
                        let (back, local) = exchange(addr, &wire);
                        assert_eq!(back, wire, "{server} {protocol} client {id}");
                        local
                    })
                })
                .collect();
            let locals: Vec<SocketAddr> = clients.into_iter().map(|c| c.join().unwrap()).collect();
            // one log line per message, with the peer and decoded fields
            let first = format!("{} ", locals[0]);
            let line = proc.wait_for(&format!(
                "{first}{}",
                match protocol {
                    Protocol::Fixed => "fixed packet #5 v1 size=12 \"c0 m5 ação 🐰\"",
                    Protocol::Variable => "variable packet #5 v1 size=17 \"c0 m5 ação 🐰\"",
                    _ => "text \"",
                }
            ));
            assert!(line.starts_with(&first), "{line}");
            proc.wait_for(&format!("{first}closed the connection"));
            let (ok, out) = proc.terminate();
            assert!(ok, "{server} exit status");
            assert_eq!(out.last().map(String::as_str), Some("stopped"));
        }
    }
}

#[test]
fn servers_apply_each_reply_policy() {
    for server in SERVERS {
        let (_proc, addr) = Proc::server(server, &["--reply", "upper"]);
        assert_eq!(exchange(addr, b"Hello, world").0, b"HELLO, WORLD");
        let (_proc, addr) = Proc::server(server, &["--protocol", "fixed", "--reply", "upper"]);
        let back = exchange(addr, &FixedPacket::new(7, "hi").to_bytes()).0;
        assert_eq!(back, FixedPacket::new(7, "HI").to_bytes());
        let (_proc, addr) = Proc::server(server, &["--protocol", "variable", "--reply", "upper"]);
        let back = exchange(addr, &Protocol::Variable.encode(2, "hello").unwrap()).0;
        assert_eq!(back, Protocol::Variable.encode(2, "HELLO").unwrap());
        let (mut proc, addr) = Proc::server(server, &["--protocol", "fixed", "--reply", "none"]);
        let (back, local) = exchange(addr, &FixedPacket::new(1, "quiet").to_bytes());
        assert!(back.is_empty(), "reply none sends nothing");
        proc.wait_for(&format!("{local} fixed packet #1 v1 size=5 \"quiet\""));
    }
}

#[test]
fn a_bad_client_drops_only_its_connection() {
    for server in SERVERS {
        let (mut proc, addr) = Proc::server(server, &["--protocol", "variable"]);
        let mut good = connect(addr);
        let one = Protocol::Variable.encode(1, "one").unwrap();
        good.write_all(&one).unwrap();
        let mut back = vec![0; one.len()];
        good.read_exact(&mut back).unwrap();
        assert_eq!(back, one);

        // a frame over the limit
        let mut bad = connect(addr);
        let bad_addr = bad.local_addr().unwrap();
        bad.write_all(b"\x01\xff\xff\xff\xff\x00\x00\x00\x01")
            .unwrap();
        let mut rest = Vec::new();
        let _ = bad.read_to_end(&mut rest); // closed (or reset)
        assert!(rest.is_empty());
        let line = proc.wait_for(&format!("{bad_addr} error: frame of 4294967295 bytes"));
        assert!(line.ends_with("(closing the connection)"), "{line}");

        // a client that leaves in the middle of a message: one line
        let mut half = connect(addr);
        let half_addr = half.local_addr().unwrap();
        half.write_all(&one[..5]).unwrap();
        drop(half);
        let line = proc.wait_for(&format!("{half_addr} "));
        let line = if line.ends_with("connected") {
            proc.wait_for(&format!("{half_addr} error"))
        } else {
            line
        };
        assert_eq!(
            line,
            format!(
                "{half_addr} error: stream ended inside a message (5 bytes of it were received) (closing the connection)"
            )
        );

        // garbage that is no protocol at all, on a text server
        let (mut text_proc, text_addr) = Proc::server(server, &[]);
        let (back, local) = exchange(text_addr, b"ok\xff\xfe");
        assert_eq!(back, b"ok", "the good part is echoed before closing");
        text_proc.wait_for(&format!("{local} error: invalid UTF-8 at byte offset 2"));

        // the good client is still served
        let two = Protocol::Variable.encode(2, "two").unwrap();
        good.write_all(&two).unwrap();
        good.read_exact(&mut back_buf(&two)).unwrap();
        let (ok, _) = proc.terminate();
        assert!(ok);
    }
}

fn back_buf(wire: &[u8]) -> Vec<u8> {
    vec![0; wire.len()]
}

#[test]
fn a_slow_reader_loses_nothing_and_stalls_no_one() {
    for server in SERVERS {
        let (proc, addr) = Proc::server(server, &["--protocol", "variable"]);
        // 16 MiB of packets (more than the socket buffers hold) written while
        // nobody reads the echo
        let payload = vec![b'x'; 4096];
        let wire: Vec<u8> = (1..=4096u32)
            .flat_map(|i| {
                let mut w = bytes::BytesMut::new();
                sockwire::Encoder::encode(
                    &mut sockwire::VariablePacketCodec::new(),
                    VariablePacket::from_payload(i, payload.clone()),
                    &mut w,
                )
                .unwrap();
                w.to_vec()
            })
            .collect();
        let slow = connect(addr);
        let mut writer = slow.try_clone().unwrap();
        let sent = wire.clone();
        let writing = thread::spawn(move || {
            writer.write_all(&sent).unwrap();
            writer.shutdown(Shutdown::Write).unwrap();
        });
        // meanwhile another client is served
        let quick = Protocol::Variable.encode(1, "not stalled").unwrap();
        assert_eq!(exchange(addr, &quick).0, quick, "{server}");
        // now read the slow client's echo, all of it, in order
        let mut back = Vec::with_capacity(wire.len());
        let mut slow = slow;
        slow.read_to_end(&mut back).unwrap();
        writing.join().unwrap();
        assert!(
            back == wire,
            "{server}: {} of {} bytes, equal prefix: {}",
            back.len(),
            wire.len(),
            wire.starts_with(&back)
        );
        let (ok, _) = proc.terminate();
        assert!(ok);
    }
}

#[test]
fn udp_server_in_each_reply_mode() {
    for name in Reply::NAMES {
        let reply: Reply = name.parse().unwrap();
        let (mut proc, addr) = Proc::server("udp_server", &["--reply", name]);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = socket.local_addr().unwrap();
        socket.set_read_timeout(Some(LIMIT)).unwrap();
        socket.send_to(b"  hello, world ", addr).unwrap();
        proc.wait_for(&format!("Message from {local} ->   hello, world "));
        let mut buf = [0u8; 100];
        match reply {
            Reply::None => {
                socket
                    .set_read_timeout(Some(std::time::Duration::from_millis(200)))
                    .unwrap();
                let err = socket.recv_from(&mut buf).unwrap_err();
                assert!(matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ));
                socket.set_read_timeout(Some(LIMIT)).unwrap();
            }
            Reply::Echo => {
                let (n, from) = socket.recv_from(&mut buf).unwrap();
                assert_eq!((&buf[..n], from), (&b"  hello, world "[..], addr));
            }
            Reply::Prefix(_) => {
                let (n, _) = socket.recv_from(&mut buf).unwrap();
                assert_eq!(&buf[..n], b"ECHO:   hello, world ");
            }
            _ => {
                let (n, _) = socket.recv_from(&mut buf).unwrap();
                assert_eq!(&buf[..n], b"HELLO, WORLD");
            }
        }
        // a bad datagram is dropped and logged; the next one is served
        socket.send_to(b"a\xffb", addr).unwrap();
        proc.wait_for(&format!(
            "Dropped datagram from {local}: invalid UTF-8 at byte offset 1"
        ));
        socket.send_to(b"ok", addr).unwrap();
        proc.wait_for(&format!("Message from {local} -> ok"));
        if reply != Reply::None {
            let (n, _) = socket.recv_from(&mut buf).unwrap();
            let want: &[u8] = match reply {
                Reply::Echo => b"ok",
                Reply::Prefix(_) => b"ECHO: ok",
                _ => b"OK",
            };
            assert_eq!(&buf[..n], want);
        }
        let (ok, out) = proc.terminate();
        assert!(ok);
        assert_eq!(out.last().map(String::as_str), Some("stopped"));
    }
}

/// A raw echo server for one connection at a time, recording what each
/// connection sent. Returns its address and a handle that yields the
/// recordings once `n` connections ended.
fn recording_echo_server(n: usize) -> (SocketAddr, thread::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let conns: Vec<_> = (0..n)
            .map(|_| {
                let (mut s, _) = listener.accept().unwrap();
                s.set_read_timeout(Some(LIMIT)).unwrap();
                thread::spawn(move || {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return seen,
                            Ok(k) => {
                                seen.extend_from_slice(&buf[..k]);
                                if s.write_all(&buf[..k]).is_err() {
                                    return seen;
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        conns.into_iter().map(|c| c.join().unwrap()).collect()
    });
    (addr, handle)
}

#[test]
fn tcp_client_sends_numbered_messages_and_prints_the_echo() {
    for protocol in PROTOCOLS {
        let (addr, server) = recording_echo_server(1);
        let mut client = Proc::spawn(
            "tcp_client",
            &["--server", &addr.to_string(), "--protocol", protocol.name()],
        );
        client.write_stdin("hi\nação\n");
        let (ok, out) = client.finish();
        assert!(ok, "{out:?}");
        let got = server.join().unwrap();
        let mut expected = protocol.encode(1, "hi").unwrap().to_vec();
        expected.extend_from_slice(&protocol.encode(2, "ação").unwrap());
        assert_eq!(got, [expected], "{protocol}");
        let replies: Vec<_> = out.iter().filter(|l| l.starts_with("reply: ")).collect();
        let want = match protocol {
            Protocol::Text => vec![r#"reply: text "hi""#, r#"reply: text "ação""#],
            Protocol::Fixed => vec![
                r#"reply: fixed packet #1 v1 size=2 "hi""#,
                r#"reply: fixed packet #2 v1 size=4 "ação""#,
            ],
            _ => vec![
                r#"reply: variable packet #1 v1 size=2 "hi""#,
                r#"reply: variable packet #2 v1 size=6 "ação""#,
            ],
        };
        assert_eq!(replies, want, "{out:?}");
    }
}

#[test]
fn multiconn_client_gets_44_bytes_on_each_connection() {
    let (addr, server) = recording_echo_server(4);
    let client = Proc::spawn(
        "multiconn_client",
        &["127.0.0.1", &addr.port().to_string(), "4"],
    );
    let (ok, out) = client.finish();
    assert!(ok, "{out:?}");
    for got in server.join().unwrap() {
        assert_eq!(got, b"Message 1 from client.Message 2 from client.");
    }
    for id in 1..=4 {
        assert!(
            out.contains(&format!("closing connection {id} (44 bytes back)")),
            "{out:?}"
        );
    }
}

#[test]
fn multiconn_client_against_both_servers() {
    for server in SERVERS {
        let (mut proc, addr) = Proc::server(server, &[]);
        let client = Proc::spawn(
            "multiconn_client",
            &["127.0.0.1", &addr.port().to_string(), "10"],
        );
        let (ok, out) = client.finish();
        assert!(ok, "{out:?}");
        assert_eq!(
            out.iter()
                .filter(|l| l.ends_with("(44 bytes back)"))
                .count(),
            10
        );
        proc.wait_for("closed the connection");
    }
}

#[test]
fn udp_client_prints_replies_and_silence() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    let addr = socket.local_addr().unwrap();
    let mut client = Proc::spawn("udp_client", &["--server", &addr.to_string()]);
    client.write_stdin("hello\nignore me\n");
    let mut buf = [0u8; 100];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello", "no newline on the wire");
    socket.send_to(b"HELLO", from).unwrap();
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ignore me");
    let (ok, out) = client.finish();
    assert!(ok);
    assert!(
        out.contains(&format!("Reply from {addr} -> HELLO")),
        "{out:?}"
    );
    assert!(out.contains(&"no reply within 1 s".to_owned()), "{out:?}");
}

#[test]
fn every_example_prints_help() {
    for (name, wants) in [
        ("udp_server", &["--bind", "--reply"][..]),
        ("udp_client", &["--server"]),
        (
            "tcp_threaded_server",
            &["--bind", "--protocol", "--reply", "fixed"],
        ),
        (
            "tcp_selector_server",
            &["--bind", "--protocol", "--reply", "variable"],
        ),
        ("tcp_client", &["--server", "--protocol"]),
        ("multiconn_client", &["HOST", "PORT", "NUM_CONNECTIONS"]),
        ("tour", &[]),
    ] {
        let (ok, out) = Proc::spawn(name, &["--help"]).finish();
        assert!(ok, "{name}");
        let text = out.join("\n");
        for want in wants {
            assert!(text.contains(want), "{name} --help lacks {want}:\n{text}");
        }
    }
}

#[test]
fn the_tour_runs_every_section_and_ends_by_itself() {
    let (ok, out) = Proc::spawn("tour", &[]).finish();
    assert!(ok, "{out:?}");
    for title in [
        "§1 Text datagram (UDP)",
        "§2 Text stream (TCP)",
        "§3 Line (TCP chat)",
        "§4 Fixed packet (TCP)",
        "§5 Variable packet (TCP)",
    ] {
        assert!(out.iter().any(|l| l == title), "no {title}");
    }
    // sections get added (§6, §7): the count is whatever ran
    let sections = out.iter().filter(|l| l.starts_with('§')).count();
    assert!(sections >= 5);
    assert_eq!(
        out.last(),
        Some(&format!("tour complete: {sections} sections"))
    );
    let text = out.join("\n");
    for row in [
        // the §4 packet, field by field
        "0005  00 00 00 02                                      size     2 characters",
        "000b  2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d 2d  padding  18 × '-'",
        // §5: size before order
        "0001  00 00 00 05                                      size     5 bytes",
        "0009  48 45 4c 4c 4f                                   payload  \"HELLO\"",
        "(the server holds 1 byte of an unfinished message)",
        "error: frame of 2097152 bytes exceeds the limit of 1048576 bytes (closing the connection)",
        // §7: a notification relayed to the other member
        "bob prints: [lobby] alice: hello, room",
        // §7: a private message and its answer
        "alice prints: [pm] bob: psst",
        "bob prints: ok (pm to alice)",
    ] {
        assert!(text.contains(row), "no {row:?} in:\n{text}");
    }
    // the client's ephemeral port shows in the direction lines
    let client = out
        .iter()
        .find_map(|l| l.strip_prefix("client connected from 127.0.0.1:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a client address");
    assert!(text.contains(&format!("client 127.0.0.1:{client} -> server 127.0.0.1:")));
}

#[test]
fn servers_stop_on_ctrl_c_with_clients_connected() {
    for server in SERVERS {
        let (mut proc, addr) = Proc::server(server, &[]);
        let mut idle = connect(addr);
        idle.write_all(b"hi").unwrap();
        let mut back = [0u8; 2];
        idle.read_exact(&mut back).unwrap();
        proc.wait_for("text \"hi\"");
        let (ok, out) = proc.interrupt();
        assert!(ok, "{server}: {out:?}");
        assert!(
            out.contains(&"shutting down, open connections: 1".to_owned()),
            "{out:?}"
        );
        assert_eq!(out.last().map(String::as_str), Some("stopped"));
        // the connection was closed by the server
        let mut rest = Vec::new();
        let _ = idle.read_to_end(&mut rest);
        assert!(rest.is_empty());
    }
    let (proc, _) = Proc::server("udp_server", &[]);
    let (ok, out) = proc.interrupt();
    assert!(ok);
    assert_eq!(out.last().map(String::as_str), Some("stopped"));
}

/// The note a server writes on stderr (once) when its log cannot be
/// written.
const LOG_GONE: &str = "cannot write the log to stdout";

#[test]
fn tcp_servers_serve_on_when_their_stdout_is_closed() {
    let mut servers = SERVERS.to_vec();
    if cfg!(feature = "tokio-util") {
        servers.push("tokio_echo_server");
    }
    for server in servers {
        // as `server | head -1`: every log line after the first fails
        let (mut proc, addr) = Proc::server_stdout_closed(server, &["--protocol", "variable"]);
        // one after the other: each connection is logged (connected,
        // messages, close) into the closed pipe before the next
        for id in 0..3 {
            let wire = messages(Protocol::Variable, id, 2);
            let (back, _) = exchange(addr, &wire);
            assert_eq!(back, wire, "{server} client {id}, stdout closed");
        }
        assert!(proc.running(), "{server} exited with its stdout closed");
        let (ok, out) = proc.terminate();
        assert!(ok, "{server} exit status: {out:?}");
        let notes = out.iter().filter(|l| l.contains(LOG_GONE)).count();
        assert_eq!(notes, 1, "{server} notes the lost log once: {out:?}");
        assert!(!out.iter().any(|l| l.contains("panicked")), "{out:?}");
    }
}

#[test]
fn udp_server_serves_on_when_its_stdout_is_closed() {
    let (mut proc, addr) = Proc::server_stdout_closed("udp_server", &["--reply", "upper"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 100];
    for text in ["hello", "world", "again"] {
        socket.send_to(text.as_bytes(), addr).unwrap();
        let (n, from) = socket.recv_from(&mut buf).expect("a reply");
        assert_eq!((&buf[..n], from), (text.to_uppercase().as_bytes(), addr));
    }
    assert!(proc.running(), "udp_server exited with its stdout closed");
    let (ok, out) = proc.terminate();
    assert!(ok, "{out:?}");
    assert_eq!(out.iter().filter(|l| l.contains(LOG_GONE)).count(), 1);
}

#[test]
fn one_shot_examples_exit_quietly_with_success_when_their_stdout_is_closed() {
    // tcp_client writes `connected to ...` first, to the closed pipe
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let mut cmd = std::process::Command::new(example("tcp_client"));
    cmd.args(["--server", &server]);
    let (status, stderr) = run_stdout_closed(cmd, b"hello\n");
    assert!(
        status.is_some_and(|s| s.success()),
        "tcp_client: {status:?} {stderr}"
    );
    assert_eq!(stderr, "", "tcp_client says nothing");

    let cmd = std::process::Command::new(example("tour"));
    let (status, stderr) = run_stdout_closed(cmd, b"");
    assert!(
        status.is_some_and(|s| s.success()),
        "tour: {status:?} {stderr}"
    );
    assert_eq!(stderr, "", "tour says nothing");
}
