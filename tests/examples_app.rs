//! The §6 application protocol on both TCP server examples
//! (`--protocol app`): many clients at once, pipelined requests, a bad
//! client beside a good one, and the Python app client.

#![cfg(feature = "json")]

mod common {
    pub mod examples;
    pub mod python;
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;

use bytes::BytesMut;
use common::examples::{LIMIT, Proc, exchange};
use common::python::{python_command, python3};
use sockwire::Encoder;
use sockwire::app::{AppRequest, ClientCodec, ServerCodec};
use sockwire::builtin::SearchService;

const SERVERS: [&str; 2] = ["tcp_threaded_server", "tcp_selector_server"];

fn requests(id: usize) -> Vec<AppRequest> {
    vec![
        AppRequest::new("search", "morpheus"),
        AppRequest::new("search", "🐶"),
        AppRequest::new("search", &format!("client {id}")),
        AppRequest::new("double", "0123456789abc"),
    ]
}

/// What a client sends, and what the server must answer, byte for byte.
fn wire(requests: &[AppRequest]) -> (Vec<u8>, Vec<u8>) {
    let (mut sent, mut replies) = (BytesMut::new(), BytesMut::new());
    let mut search = SearchService::new();
    for r in requests {
        ClientCodec::new().encode(r, &mut sent).unwrap();
        ServerCodec::new()
            .encode(search.respond(r), &mut replies)
            .unwrap();
    }
    (sent.to_vec(), replies.to_vec())
}

#[test]
fn both_servers_answer_pipelined_requests_from_20_clients() {
    for server in SERVERS {
        let (mut proc, addr) = Proc::server(server, &["--protocol", "app"]);
        let clients: Vec<_> = (0..20)
            .map(|id| {
                thread::spawn(move || {
                    let (sent, expected) = wire(&requests(id));
                    assert_eq!(exchange(addr, &sent), expected, "{server} client {id}");
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        proc.wait_for("app request search \"morpheus\"");
        proc.wait_for("app request binary/custom-client-binary-type b'double0123456789abc'");
        let (ok, _) = proc.terminate();
        assert!(ok);
    }
}

#[test]
fn a_malformed_header_drops_only_that_connection() {
    for server in SERVERS {
        let (mut proc, addr) = Proc::server(server, &["--protocol", "app"]);
        let mut good = TcpStream::connect(addr).unwrap();
        good.set_read_timeout(Some(LIMIT)).unwrap();
        let (one, one_back) = wire(&[AppRequest::new("search", "ring")]);
        good.write_all(&one).unwrap();
        let mut back = vec![0; one_back.len()];
        good.read_exact(&mut back).unwrap();
        assert_eq!(back, one_back);

        let mut bad = TcpStream::connect(addr).unwrap();
        let bad_addr = bad.local_addr().unwrap();
        bad.set_read_timeout(Some(LIMIT)).unwrap();
        bad.write_all(b"\x00\x0d{\"byteorder\"}").unwrap();
        let mut rest = Vec::new();
        let _ = bad.read_to_end(&mut rest);
        assert!(rest.is_empty());
        let line = proc.wait_for(&format!("{bad_addr} error: invalid application header"));
        assert!(line.ends_with("(closing the connection)"), "{line}");

        good.write_all(&one).unwrap();
        good.read_exact(&mut back).unwrap();
        assert_eq!(back, one_back, "{server}: the good client is still served");
        let (ok, _) = proc.terminate();
        assert!(ok);
    }
}

#[test]
fn the_python_app_client_against_both_servers() {
    if !python3() {
        return;
    }
    for server in SERVERS {
        let (_proc, addr) = Proc::server(server, &["--protocol", "app"]);
        let mut cmd = python_command("app_client.py");
        cmd.args(["127.0.0.1", &addr.port().to_string()]).args([
            "search",
            "morpheus",
            "search",
            "ring",
            "find",
            "x",
            "double",
            "0123456789abc",
        ]);
        let (ok, out) = Proc::start(cmd).finish();
        assert!(ok, "{out:?}");
        let (sent, replies) = wire(&[
            AppRequest::new("search", "morpheus"),
            AppRequest::new("search", "ring"),
            AppRequest::new("find", "x"),
            AppRequest::new("double", "0123456789abc"),
        ]);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            out[0],
            format!("SENT {}", hex(&sent)),
            "Python sends what we encode"
        );
        let received: String = out
            .iter()
            .filter_map(|l| l.strip_prefix("RECEIVED "))
            .collect();
        assert_eq!(received, hex(&replies), "{server}: every reply byte");
        for want in [
            "RESULT Follow the white rabbit. 🐰",
            "RESULT In the caves beneath the Misty Mountains. 💍",
            "CONTENT b'First 10 bytes of request: findx'",
            "CONTENT b'First 10 bytes of request: double0123'",
        ] {
            assert!(
                out.iter().any(|l| l == want),
                "{server}: no {want:?} in {out:?}"
            );
        }
    }
}
