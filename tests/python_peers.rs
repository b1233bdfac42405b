//! Real Python peers (socket, struct, selectors; scripts in tests/python)
//! against our servers, and our clients against a Python selectors server,
//! byte for byte. Skipped, with a note, when python3 is absent.

mod common {
    pub mod examples;
    pub mod python;
}

use common::examples::Proc;
use common::python::{python, python3};
use sockwire::builtin::Protocol;

const SERVERS: [&str; 2] = ["tcp_threaded_server", "tcp_selector_server"];

#[test]
fn python_clients_against_our_servers() {
    if !python3() {
        return;
    }
    for server in SERVERS {
        for protocol in ["text", "fixed", "variable"] {
            let (mut proc, addr) = Proc::server(server, &["--protocol", protocol]);
            let port = addr.port().to_string();
            let (ok, out) = python("peer_client.py", &["127.0.0.1", &port, protocol]).finish();
            assert!(ok, "{server} {protocol}: {out:?}");
            match protocol {
                "text" => {
                    assert!(
                        out.contains(&"text echo b'Hello, world'".to_owned()),
                        "{out:?}"
                    );
                    let closed = out
                        .iter()
                        .filter(|l| l.starts_with("closing connection"))
                        .count();
                    assert_eq!(closed, 3, "{out:?}");
                }
                "fixed" => {
                    proc.wait_for("fixed packet #2 v1 size=6 \"ação 🐰\"");
                    proc.wait_for(
                        "fixed packet #3 v1 size=36 \"a text longer than t\" (truncated)",
                    );
                    assert!(
                        out.contains(&"fixed echo (1, 2, 6, 'ação 🐰')".to_owned()),
                        "{out:?}"
                    );
                }
                _ => {
                    proc.wait_for("variable packet #2 v1 size=11 \"ação 🐰\"");
                    assert!(
                        out.contains(&"variable echo 1 11 2 ação 🐰".to_owned()),
                        "{out:?}"
                    );
                }
            }
            let (ok, _) = proc.terminate();
            assert!(ok);
        }
    }
}

#[test]
fn python_udp_client_against_our_udp_server() {
    if !python3() {
        return;
    }
    let (mut proc, addr) = Proc::server("udp_server", &["--reply", "upper"]);
    let (ok, out) = python(
        "peer_client.py",
        &["127.0.0.1", &addr.port().to_string(), "udp"],
    )
    .finish();
    assert!(ok, "{out:?}");
    assert_eq!(out, ["udp reply b'X Y'"]);
    proc.wait_for("Message from 127.0.0.1:");
}

#[test]
fn our_clients_against_a_python_selectors_server() {
    if !python3() {
        return;
    }
    for protocol in [Protocol::Text, Protocol::Fixed, Protocol::Variable] {
        let (mut server, addr) = Proc::listening(python("selectors_server.py", &[protocol.name()]));
        let mut client = Proc::spawn(
            "tcp_client",
            &["--server", &addr.to_string(), "--protocol", protocol.name()],
        );
        client.write_stdin("hi\nação 🐰\n");
        let (ok, out) = client.finish();
        assert!(ok, "{out:?}");
        let local = out[0]
            .split_whitespace()
            .nth(4)
            .expect("connected to ADDR from LOCAL");
        // the Python server saw exactly our encoding, and decoded it
        let mut wire = protocol.encode(1, "hi").unwrap().to_vec();
        wire.extend_from_slice(&protocol.encode(2, "ação 🐰").unwrap());
        let hex: String = wire.iter().map(|b| format!("{b:02x}")).collect();
        server.wait_for(&format!("closed {local} received {hex}"));
        match protocol {
            Protocol::Fixed => {
                server.wait_for("fixed 1 2 6 ação 🐰");
                assert!(out.contains(&r#"reply: fixed packet #2 v1 size=6 "ação 🐰""#.to_owned()));
            }
            Protocol::Variable => {
                server.wait_for("variable 1 2 11 ação 🐰");
                assert!(
                    out.contains(&r#"reply: variable packet #2 v1 size=11 "ação 🐰""#.to_owned())
                );
            }
            _ => assert!(
                out.contains(&r#"reply: text "ação 🐰""#.to_owned()),
                "{out:?}"
            ),
        }
    }
    let (mut server, addr) = Proc::listening(python("selectors_server.py", &["text"]));
    let (ok, out) = Proc::spawn(
        "multiconn_client",
        &["127.0.0.1", &addr.port().to_string(), "5"],
    )
    .finish();
    assert!(ok, "{out:?}");
    assert_eq!(
        out.iter()
            .filter(|l| l.ends_with("(44 bytes back)"))
            .count(),
        5
    );
    let hex: String = b"Message 1 from client.Message 2 from client."
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for _ in 0..5 {
        let line = server.wait_for(&format!("received {hex}"));
        server.seen.retain(|l| l != &line);
    }
}
