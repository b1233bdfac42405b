//! The §6 application protocol over real loopback sockets: the `app_client`
//! example against a server made from our service, and both against real
//! Python peers (tests/python/), byte for byte. Python tests skip with a
//! note when `python3` is absent.
#![cfg(feature = "json")]

mod common {
    pub mod examples;
    pub mod hex;
    pub mod python;
}

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::examples::{Proc, example};
use common::hex::to_hex as hex;
use common::python::{python_command, python3};
use sockwire::app::{AppRequest, AppResponse, ClientCodec, ServerCodec};
use sockwire::builtin::SearchService;
use sockwire::{Decoder, Encoder};

const TIMEOUT: Duration = Duration::from_secs(10);

// ---- helpers ------------------------------------------------------------

fn client_bytes(requests: &[AppRequest]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for request in requests {
        ClientCodec::new().encode(request, &mut out).unwrap();
    }
    out.to_vec()
}

fn server_bytes(reply: &AppResponse) -> Vec<u8> {
    let mut out = BytesMut::new();
    ServerCodec::new().encode(reply, &mut out).unwrap();
    out.to_vec()
}

fn answer(request: &AppRequest) -> AppResponse {
    SearchService::new().respond(request)
}

/// A server made from our codec and service, on 127.0.0.1:0, serving
/// `connections` connections one after the other. Returns the bytes each
/// connection received.
fn rust_server(connections: usize) -> (SocketAddr, JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let handle = thread::spawn(move || {
        let deadline = Instant::now() + TIMEOUT;
        let mut received = Vec::new();
        while received.len() < connections && Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => received.push(serve(stream)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
        received
    });
    (addr, handle)
}

/// Answers every request of one connection in order until the peer closes.
fn serve(mut stream: TcpStream) -> Vec<u8> {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let mut codec = ServerCodec::new();
    let mut service = SearchService::new();
    let mut buf = BytesMut::new();
    let mut all = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).unwrap();
        all.extend_from_slice(&chunk[..n]);
        buf.extend_from_slice(&chunk[..n]);
        let mut out = BytesMut::new();
        loop {
            let request = if n == 0 {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match request.unwrap() {
                Some(request) => codec.encode(service.respond(&request), &mut out).unwrap(),
                None => break,
            }
        }
        stream.write_all(&out).unwrap();
        if n == 0 {
            return all;
        }
    }
}

fn run_app_client(addr: SocketAddr, action: &str, value: &str) -> Output {
    Command::new(example("app_client"))
        .args([
            "--timeout",
            "5",
            &addr.ip().to_string(),
            &addr.port().to_string(),
            action,
            value,
        ])
        .output()
        .unwrap()
}

fn python(script: &str) -> Command {
    let mut cmd = python_command(script);
    cmd.env("PYTHONUTF8", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

/// The Python server: started, its port read, its stdout lines collected.
struct PythonServer {
    proc: Proc,
    port: u16,
}

impl PythonServer {
    fn start(connections: usize) -> Self {
        let mut cmd = python("app_server.py");
        cmd.arg(connections.to_string());
        let mut proc = Proc::start(cmd);
        let first = proc.next_line().unwrap();
        let port = first.strip_prefix("LISTENING ").unwrap().parse().unwrap();
        PythonServer { proc, port }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for it to exit, and returns the rest of what it printed.
    fn finish(self) -> Vec<String> {
        let (ok, mut lines) = self.proc.exit_by_itself();
        assert!(ok, "python server: {lines:?}");
        lines.split_off(1)
    }
}

/// The client cases: request arguments, and what `app_client` prints.
fn cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("search", "morpheus", "Follow the white rabbit. 🐰"),
        (
            "search",
            "ring",
            "In the caves beneath the Misty Mountains. 💍",
        ),
        ("search", "🐶", "🐾 Playing ball! 🏐"),
        (
            "search",
            "neo \"the one\"",
            "No match for 'neo \"the one\"'.",
        ),
        (
            "double",
            "0123456789abc",
            "b'First 10 bytes of request: double0123'",
        ),
        ("", "", "b'First 10 bytes of request: '"),
        // The 10 bytes end inside the dog: quoted as bytes, not characters.
        (
            "ação",
            "x🐶",
            r"b'First 10 bytes of request: a\xc3\xa7\xc3\xa3ox\xf0\x9f\x90'",
        ),
    ]
}

// ---- app_client against our service -------------------------------------

#[test]
fn app_client_against_our_service_over_loopback() {
    let cases = cases();
    example("app_client"); // built before the server's accept deadline starts
    let (addr, server) = rust_server(cases.len());
    for (action, value, printed) in &cases {
        let out = run_app_client(addr, action, value);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("{printed}\n")
        );
        let kind = if *action == "search" {
            "text/json"
        } else {
            "binary/custom-server-binary-type"
        };
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("app_client: reply from {addr}: {kind}\n")
        );
    }
    let received = server.join().unwrap();
    assert_eq!(received.len(), cases.len());
    for ((action, value, _), got) in cases.iter().zip(received) {
        assert_eq!(got, client_bytes(&[AppRequest::new(action, value)]));
    }
}

#[test]
fn app_client_prints_help_and_fails_cleanly_without_a_server() {
    let out = Command::new(example("app_client"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for arg in ["<HOST>", "<PORT>", "<ACTION>", "<VALUE>"] {
        assert!(help.contains(arg), "{help}");
    }

    // A port nobody listens on: the OS gave it to us, and we let it go.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = run_app_client(addr, "search", "morpheus");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("app_client: "));
}

#[test]
fn app_client_reports_a_server_that_closes_without_replying() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut got = [0u8; 256];
        let n = stream.read(&mut got).unwrap();
        // Half a reply, then close.
        stream
            .write_all(&server_bytes(&AppResponse::json("x"))[..5])
            .unwrap();
        n
    });
    let out = run_app_client(addr, "search", "x");
    assert!(server.join().unwrap() > 0);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stream ended inside a message"), "{err}");
}

// ---- against real Python peers ------------------------------------------

#[test]
fn app_client_against_the_python_server() {
    if !python3() {
        return;
    }
    let cases = cases();
    let server = PythonServer::start(cases.len());
    for (action, value, printed) in &cases {
        let out = run_app_client(server.addr(), action, value);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("{printed}\n")
        );
    }
    let lines = server.finish();
    let mut expected = Vec::new();
    for (action, value, _) in &cases {
        let request = AppRequest::new(action, value);
        expected.push(format!(
            "REQUEST {}",
            hex(&client_bytes(std::slice::from_ref(&request)))
        ));
        expected.push(format!("REPLY {}", hex(&server_bytes(&answer(&request)))));
        expected.push("CLOSED".to_owned());
    }
    assert_eq!(lines, expected);
}

#[test]
fn python_client_against_our_service_pipelined() {
    if !python3() {
        return;
    }
    let pairs: Vec<(&str, &str)> = vec![
        ("search", "morpheus"),
        ("search", "ring"),
        ("search", "🐶"),
        (
            "search",
            "va\"l\\ue/\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} \u{2028} ü 🐰",
        ),
        ("find", "morpheus"),
        ("", ""),
        ("ação", "it's \"q\" \u{1}"),
    ];
    let (addr, server) = rust_server(1);
    let mut cmd = python("app_client.py");
    cmd.args(["127.0.0.1", &addr.port().to_string()]);
    for (action, value) in &pairs {
        cmd.args([action, value]);
    }
    let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let waiter = thread::spawn(move || child.wait_with_output());
    let received = server.join().unwrap();
    let out = waiter.join().unwrap().unwrap();
    assert!(out.status.success(), "python client {pid}: {out:?}");

    let requests: Vec<AppRequest> = pairs.iter().map(|(a, v)| AppRequest::new(a, v)).collect();
    let sent = client_bytes(&requests);
    assert_eq!(received, std::slice::from_ref(&sent));
    let mut expected = format!("SENT {}\n", hex(&sent));
    for request in &requests {
        let reply = answer(request);
        expected += &format!("RECEIVED {}\n", hex(&server_bytes(&reply)));
        match &reply {
            AppResponse::Json { result } => expected += &format!("RESULT {result}\n"),
            AppResponse::Binary { .. } => expected += &format!("CONTENT {reply}\n"),
        }
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn python_json_dumps_matches_our_encoding() {
    if !python3() {
        return;
    }
    // Python writes each case's header and content with json.dumps(...,
    // ensure_ascii=False); we must write the same bytes.
    let strings = [
        "",
        "plain",
        "\"quotes\" and \\backslash\\ and /slash",
        "\n\r\t\u{8}\u{c}",
        "\u{1}\u{2}\u{1b}\u{1f} \u{7f}\u{80}\u{9f}",
        "ü ação 日本 \u{2028}\u{2029} \u{feff} 🐰🐶💍",
        "search",
    ];
    let script = r#"
import json, struct, sys
for line in sys.stdin:
    action, value = json.loads(line)
    content = json.dumps({"action": action, "value": value}, ensure_ascii=False).encode("utf-8")
    header = json.dumps({"byteorder": sys.byteorder, "content-type": value,
                         "content-encoding": action, "content-length": len(content),
                         "x-list": [1, -2, True, None, value], "x-obj": {"a": {}, "b": []}},
                        ensure_ascii=False).encode("utf-8")
    print(content.hex(), (struct.pack(">H", len(header)) + header).hex())
"#;
    let mut input = String::new();
    for a in strings {
        for v in strings {
            input += &serde_json::to_string(&(a, v)).unwrap();
            input += "\n";
        }
    }
    let mut child = Command::new("python3")
        .args(["-c", script])
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    for a in strings {
        for v in strings {
            let line = lines.next().unwrap();
            let (content_hex, header_hex) = line.split_once(' ').unwrap();
            let request = AppRequest::json(a, v).to_message();
            assert_eq!(hex(request.content()), content_hex, "{a:?} {v:?}");

            let message = sockwire::app::AppMessage::new(v, a, request.content().clone())
                .with_extra("x-list", serde_json::json!([1, -2, true, null, v]))
                .with_extra("x-obj", serde_json::json!({"a": {}, "b": []}));
            let mut wire = BytesMut::new();
            sockwire::app::AppCodec::new()
                .encode(&message, &mut wire)
                .unwrap();
            let header_len = wire.len() - request.content().len();
            assert_eq!(hex(&wire[..header_len]), header_hex, "{a:?} {v:?}");
        }
    }
    assert_eq!(lines.next(), None);
}

#[test]
fn python_repr_of_every_byte_matches_ours() {
    if !python3() {
        return;
    }
    let samples: Vec<Vec<u8>> = vec![
        (0..=255u8).collect(),
        b"it's".to_vec(),
        b"say \"hi\"".to_vec(),
        b"both ' and \"".to_vec(),
        Vec::new(),
    ];
    for sample in samples {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys; print(repr(bytes.fromhex(sys.argv[1])))",
                &hex(&sample),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let python = String::from_utf8(out.stdout).unwrap();
        assert_eq!(python.trim_end(), sockwire::app::python_bytes_repr(&sample));
    }
}
