//! The lab's own programs against sockwire's examples (the wire contract,
//! *Example programs*): the `ECHO: ` reply of `serverTCP.py` from every
//! server, `clientUDP.py` skipping empty lines, the one-shot §6 exchange of
//! `app-server.py` (`--close-after-reply`), a silent server reported in
//! words, and the §6 banner. Python peers (tests/python/lab_clients.py)
//! where the lab has a program; skipped, with a note, without python3.

mod common {
    pub mod examples;
    pub mod python;
}

use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use common::examples::{LIMIT, Proc, connect, exchange, tcp_servers};
use common::python::{python, python3};
use sockwire::builtin::Protocol;
use sockwire::{FixedPacket, VariablePacket};

fn lab_client(mode: &str, addr: SocketAddr, arg: &str) -> Proc {
    let port = addr.port().to_string();
    python("lab_clients.py", &[mode, "127.0.0.1", &port, arg])
}

#[test]
fn every_tcp_server_answers_echo_prefix_in_each_protocol() {
    for server in tcp_servers() {
        // §2, as the lab's clientTCP.py talks to serverTCP.py
        let (_proc, addr) = Proc::server(server, &["--reply", "prefix"]);
        if python3() {
            let (ok, out) = lab_client("tcp", addr, "Hello, world").finish();
            assert!(ok, "{server}: {out:?}");
            assert_eq!(out, ["reply b'ECHO: Hello, world'"], "{server}");
        }
        assert_eq!(exchange(addr, "ação".as_bytes()), "ECHO: ação".as_bytes());

        // §3 with a prefix of one's own: prefix, line, LF
        let args = ["--protocol", "line", "--reply", "prefix", "--prefix", ">> "];
        let (_proc, addr) = Proc::server(server, &args);
        assert_eq!(exchange(addr, b"hi\nyo\n"), b">> hi\n>> yo\n", "{server}");

        // §4: same version and order, the prefixed text as any §4 text
        let args = ["--protocol", "fixed", "--reply", "prefix"];
        let (_proc, addr) = Proc::server(server, &args);
        let back = exchange(addr, &FixedPacket::new(7, "hi").to_bytes());
        assert_eq!(back, FixedPacket::new(7, "ECHO: hi").to_bytes(), "{server}");
        assert_eq!(&back[9..], b"ECHO: hi------------");
        // 6 + 14 characters: the 20-byte cut falls inside the rabbit, so
        // the reply decodes to the text before it, and says it was cut
        let sent = FixedPacket::new(8, "abcdefghijklm🐰").to_bytes();
        let back = exchange(addr, &sent);
        let mut want = b"\x01\x00\x00\x00\x08\x00\x00\x00\x14ECHO: abcdefghijklm".to_vec();
        want.push(0xf0);
        assert_eq!(back, want, "{server}");
        let reply = FixedPacket::from_bytes(back.as_slice().try_into().unwrap());
        assert_eq!(
            (reply.text(), reply.is_truncated()),
            ("ECHO: abcdefghijklm", true)
        );

        // §5: same version and order, the prefix bytes before the payload
        let args = ["--protocol", "variable", "--reply", "prefix"];
        let (_proc, addr) = Proc::server(server, &args);
        let sent = Protocol::Variable.encode(2, "ação").unwrap();
        let back = exchange(addr, &sent);
        assert_eq!(
            back,
            Protocol::Variable.encode(2, "ECHO: ação").unwrap(),
            "{server}"
        );
        let versioned = VariablePacket::new(3, "x").with_version(9);
        let mut wire = bytes::BytesMut::new();
        sockwire::Encoder::encode(
            &mut sockwire::VariablePacketCodec::new(),
            versioned,
            &mut wire,
        )
        .unwrap();
        assert_eq!(
            exchange(addr, &wire),
            b"\x09\x00\x00\x00\x07\x00\x00\x00\x03ECHO: x"
        );
    }
}

#[test]
fn every_server_lists_the_new_flags_in_its_help() {
    let mut all = tcp_servers();
    all.push("udp_server");
    for server in all {
        let (ok, out) = Proc::spawn(server, &["--help"]).finish();
        assert!(ok, "{server}");
        let help = out.join("\n");
        let mut wants = vec!["--reply", "prefix", "--prefix <TEXT>", "ECHO: "];
        if server != "udp_server" {
            wants.extend(["--close-after-reply", "--quiet", "--idle-timeout"]);
            wants.extend(["--message-timeout", "--write-timeout", "--max-connections"]);
        }
        for want in wants {
            assert!(help.contains(want), "{server} --help lacks {want}:\n{help}");
        }
    }
}

#[test]
fn udp_server_answers_echo_prefix() {
    let (proc, addr) = Proc::server("udp_server", &["--reply", "prefix"]);
    assert!(
        proc.seen[0].contains(r#"reply prefix "ECHO: ""#),
        "{:?}",
        proc.seen
    );
    if python3() {
        let (ok, out) = lab_client("udp", addr, "hello").finish();
        assert!(ok, "{out:?}");
        assert_eq!(out, ["reply b'ECHO: hello'"]);
    }
    let (_proc, addr) = Proc::server("udp_server", &["--reply", "prefix", "--prefix", "got "]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    socket.send_to(" ação ".as_bytes(), addr).unwrap();
    let mut buf = [0u8; 100];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], "got  ação ".as_bytes(), "the bytes as received");
    let (ok, _) = proc.terminate();
    assert!(ok);
}

#[test]
fn udp_client_skips_empty_lines() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    let addr = socket.local_addr().unwrap();
    let mut client = Proc::spawn("udp_client", &["--server", &addr.to_string()]);
    client.write_stdin("\n\r\nhello\n\n");
    let mut buf = [0u8; 100];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello", "the empty lines sent nothing");
    socket.send_to(b"HELLO", from).unwrap();
    let (ok, out) = client.finish();
    assert!(ok, "{out:?}");
    // nothing else came, and only the one line waited for a reply
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(
        socket.recv_from(&mut buf).is_err(),
        "a datagram for an empty line"
    );
    assert!(
        out.contains(&format!("Reply from {addr} -> HELLO")),
        "{out:?}"
    );
    assert!(!out.iter().any(|l| l.contains("no reply")), "{out:?}");
}

#[test]
fn close_after_reply_answers_one_request_then_closes() {
    for server in tcp_servers() {
        // any protocol: the reply, then EOF
        let (mut proc, addr) = Proc::server(server, &["--close-after-reply"]);
        let mut stream = connect(addr);
        stream.write_all(b"once").unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).expect("the server closes");
        assert_eq!(back, b"once", "{server}");
        proc.wait_for("closed after the reply (--close-after-reply)");
        // without the flag the connection stays open for a second request
        let (_proc, addr) = Proc::server(server, &[]);
        let mut stream = connect(addr);
        for word in ["one", "two"] {
            stream.write_all(word.as_bytes()).unwrap();
            let mut back = [0u8; 3];
            stream.read_exact(&mut back).unwrap();
            assert_eq!(&back, word.as_bytes(), "{server}");
        }
    }
}

#[test]
fn close_after_reply_answers_only_the_first_of_pipelined_requests() {
    for server in tcp_servers() {
        // two whole requests in one write, so most likely in one read: the
        // second is not answered (the lab's server reads one and closes)
        let (mut proc, addr) = Proc::server(server, &["--protocol", "line", "--close-after-reply"]);
        let mut stream = connect(addr);
        stream.write_all(b"one\ntwo\nthree\n").unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).expect("the server closes");
        assert_eq!(back, b"one\n", "{server}");
        proc.wait_for("closed after the reply (--close-after-reply)");
    }
}

#[cfg(feature = "json")]
#[test]
fn close_after_reply_serves_a_client_that_reads_until_eof() {
    if !python3() {
        return;
    }
    for server in tcp_servers() {
        let args = ["--protocol", "app", "--close-after-reply"];
        let (mut proc, addr) = Proc::server(server, &args);
        // like the tutorial's app-client.py: one request, read until closed
        let (ok, out) = lab_client("oneshot", addr, "morpheus").finish();
        assert!(ok, "{server}: {out:?}");
        let hex = out
            .iter()
            .find_map(|l| l.strip_prefix("hex "))
            .expect("the reply bytes");
        let text = String::from_utf8_lossy(&hex_bytes(hex)).into_owned();
        assert!(
            text.contains("Follow the white rabbit."),
            "{server}: {text}"
        );
        proc.wait_for(r#"app request search "morpheus""#);
        proc.wait_for("closed after the reply");
    }
}

#[cfg(feature = "json")]
fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[cfg(feature = "json")]
#[test]
fn app_client_reports_a_silent_server_in_words() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let client = Proc::spawn(
        "app_client",
        &["127.0.0.1", &port, "search", "morpheus", "--timeout", "1"],
    );
    // accepted, read, never answered
    let (held, _) = listener.accept().unwrap();
    let (ok, out) = client.finish();
    drop(held);
    assert!(!ok, "{out:?}");
    let line = out
        .iter()
        .find(|l| l.contains("app_client:"))
        .expect("a reason");
    assert!(
        line.contains("the server did not answer within the time limit (1 s"),
        "{line}"
    );
    assert!(!line.contains("os error"), "{line}");
}

#[cfg(feature = "json")]
#[test]
fn the_app_banner_does_not_claim_an_echo_reply() {
    for server in tcp_servers() {
        let (mut proc, _) = Proc::server(server, &["--protocol", "app"]);
        let banner = if server == "tokio_echo_server" {
            proc.next_line().expect("the banner's second line")
        } else {
            proc.seen[0].clone()
        };
        assert!(banner.contains("protocol app"), "{server}: {banner}");
        assert!(!banner.contains("reply echo"), "{server}: {banner}");
        assert!(banner.contains("§6 search table"), "{server}: {banner}");
    }
}
