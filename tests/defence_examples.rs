//! Every TCP server under load and attack, over loopback: the `load`
//! generator (and that it catches a wrong reply), a few thousand
//! connections, slow and never-reading clients beside a normal one,
//! resets mid-frame, garbage, an oversize claim, the connection cap and
//! the timeouts. After each attack a normal client must still get an exact
//! echo.

#![cfg(feature = "json")] // the `load` example and §6 need it

mod common {
    pub mod examples;
}

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use common::examples::{LIMIT, Proc, connect, tcp_servers};
use sockwire::builtin::Protocol;

/// A normal client: `n` messages, one at a time, each echo checked.
fn normal_client(addr: SocketAddr, protocol: Protocol, n: u32) {
    let mut stream = connect(addr);
    for i in 1..=n {
        let wire = protocol.encode(i, &format!("normal {i} ação")).unwrap();
        stream.write_all(&wire).unwrap();
        let mut back = vec![0; wire.len()];
        stream.read_exact(&mut back).expect("the echo");
        assert_eq!(back, &wire[..], "message {i}");
    }
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

/// Whether the server closed `stream` (EOF or reset) within [`LIMIT`].
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn run_load(addr: SocketAddr, extra: &[&str]) -> (bool, Vec<String>) {
    let server = addr.to_string();
    let mut args = vec!["--server", &server, "--quiet", "--timeout", "9"];
    args.extend_from_slice(extra);
    Proc::spawn("load", &args).finish()
}

#[test]
fn load_is_served_by_both_servers_in_every_protocol() {
    for server in tcp_servers() {
        for protocol in ["text", "line", "fixed", "variable", "app"] {
            let (proc, addr) = Proc::server(server, &["--protocol", protocol, "--quiet"]);
            let (ok, out) = run_load(
                addr,
                &[
                    "--protocol",
                    protocol,
                    "--connections",
                    "20",
                    "--messages",
                    "20",
                    "--pipeline",
                    "4",
                ],
            );
            let text = out.join("\n");
            assert!(ok, "{server} {protocol}:\n{text}");
            assert!(text.contains("completed 400/400 messages"), "{text}");
            assert!(text.contains("errors: 0"), "{text}");
            assert!(text.contains("latency: p50 "), "{text}");
            drop(proc);
        }
    }
}

#[test]
fn load_exits_non_zero_on_a_wrong_reply() {
    let (_proc, addr) = Proc::server(
        "tcp_selector_server",
        &["--protocol", "variable", "--reply", "upper", "--quiet"],
    );
    let (ok, out) = run_load(
        addr,
        &[
            "--protocol",
            "variable",
            "--connections",
            "3",
            "--messages",
            "5",
        ],
    );
    let text = out.join("\n");
    assert!(!ok, "load passed a wrong reply:\n{text}");
    assert!(text.contains("reply mismatch at byte "), "{text}");
    assert!(text.contains("errors: 3"), "{text}");
}

#[test]
fn load_exits_non_zero_when_the_server_closes() {
    let (_proc, addr) = Proc::server(
        "tcp_selector_server",
        &["--protocol", "fixed", "--max-connections", "0", "--quiet"],
    );
    let (ok, out) = run_load(
        addr,
        &[
            "--protocol",
            "fixed",
            "--connections",
            "2",
            "--messages",
            "2",
        ],
    );
    let text = out.join("\n");
    assert!(!ok, "{text}");
    assert!(text.contains("error: connection"), "{text}");
}

#[test]
fn the_selector_server_echoes_on_a_few_thousand_connections() {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let limit = hard.max(soft);
    // the server and the generator each need one descriptor per connection
    let wanted = 2000u64;
    let n = wanted.min(limit.saturating_sub(64));
    if n < wanted {
        eprintln!("note: open-file limit {limit}: scaling down to {n} connections");
    }
    let (proc, addr) = Proc::server(
        "tcp_selector_server",
        &["--protocol", "variable", "--quiet"],
    );
    let connections = n.to_string();
    let (ok, out) = run_load(
        addr,
        &[
            "--protocol",
            "variable",
            "--connections",
            &connections,
            "--messages",
            "5",
            "--payload",
            "64",
        ],
    );
    let text = out.join("\n");
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!(
            "completed {}/{} messages on {n} connections",
            n * 5,
            n * 5
        )),
        "{text}"
    );
    let (ok, log) = proc.terminate();
    assert!(ok);
    assert!(
        !log.iter().any(|l| l.contains("error")),
        "{}",
        log.join("\n")
    );
}

#[test]
fn slow_clients_do_not_delay_a_normal_one() {
    for server in tcp_servers() {
        let (proc, addr) = Proc::server(server, &["--protocol", "fixed", "--quiet"]);
        let finished = Arc::new(AtomicUsize::new(0));
        let slow: Vec<_> = (0..4)
            .map(|id| {
                let finished = Arc::clone(&finished);
                thread::spawn(move || {
                    let mut stream = connect(addr);
                    let wire: Vec<u8> = (1..=3)
                        .flat_map(|i| Protocol::Fixed.encode(i, &format!("slow {id}")).unwrap())
                        .collect();
                    for byte in &wire {
                        stream.write_all(std::slice::from_ref(byte)).unwrap();
                        thread::sleep(Duration::from_millis(10));
                    }
                    let mut back = vec![0; wire.len()];
                    stream.read_exact(&mut back).unwrap();
                    assert_eq!(back, wire, "slow client {id}");
                    finished.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(30)); // the slow ones are mid-message
        normal_client(addr, Protocol::Fixed, 10);
        // served while every slow client still had most of its bytes to send
        assert_eq!(finished.load(Ordering::SeqCst), 0, "{server}");
        for s in slow {
            s.join().unwrap();
        }
        drop(proc);
    }
}

#[test]
fn a_client_that_never_reads_is_stopped_and_others_are_served() {
    for server in tcp_servers() {
        let (proc, addr) = Proc::server(server, &["--protocol", "variable", "--quiet"]);
        let mut hog = connect(addr);
        hog.set_write_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let packet = Protocol::Variable.encode(1, &"h".repeat(60_000)).unwrap();
        let mut sent = 0usize;
        let stalled = loop {
            let at = sent % packet.len();
            match hog.write(&packet[at..]) {
                Ok(n) => sent += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break true;
                }
                Err(e) => panic!("{server}: hog write: {e}"),
            }
            if sent > 256 * 1024 * 1024 {
                break false;
            }
        };
        assert!(
            stalled,
            "{server} kept reading {sent} bytes from a client that never reads"
        );
        normal_client(addr, Protocol::Variable, 5);
        // the hog reads at last, and finishes its last packet: every byte
        // it sent comes back, unaltered
        let reader = hog.try_clone().unwrap();
        let back = thread::spawn(move || {
            let mut reader = reader;
            let mut back = Vec::new();
            reader.read_to_end(&mut back).map(|_| back)
        });
        hog.set_write_timeout(Some(LIMIT)).unwrap();
        let at = sent % packet.len();
        if at > 0 {
            hog.write_all(&packet[at..]).unwrap();
            sent += packet.len() - at;
        }
        hog.shutdown(Shutdown::Write).unwrap();
        let back = back.join().unwrap().expect("the hog's echo");
        assert_eq!(back.len(), sent, "{server}");
        for chunk in back.chunks(packet.len()) {
            assert_eq!(chunk, &packet[..]);
        }
        drop(proc);
    }
}

#[test]
fn resets_garbage_and_oversize_claims_end_only_their_connection() {
    for server in tcp_servers() {
        for protocol in [Protocol::Variable, Protocol::App] {
            let (proc, addr) = Proc::server(server, &["--protocol", protocol.name(), "--quiet"]);
            // a reset mid-frame: unread echo in our buffer makes the close a RST
            let mut reset = connect(addr);
            let wire = protocol.encode(1, "reset me").unwrap();
            reset.write_all(&wire).unwrap();
            thread::sleep(Duration::from_millis(50));
            reset.write_all(&wire[..wire.len() / 2]).unwrap();
            drop(reset);
            // garbage
            let mut garbage = connect(addr);
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            // more than the largest §6 header a u16 can claim
            let junk: Vec<u8> = (0..70_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = garbage.write_all(&junk);
            assert!(
                closed_by_server(&mut garbage),
                "{server} {protocol}: garbage"
            );
            // an oversize claim
            let mut claim = connect(addr);
            let header: Vec<u8> = match protocol {
                Protocol::App => {
                    let json = br#"{"byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 4000000000}"#;
                    let mut h = (json.len() as u16).to_be_bytes().to_vec();
                    h.extend_from_slice(json);
                    h
                }
                _ => [&[1u8][..], &u32::MAX.to_be_bytes(), &1u32.to_be_bytes()].concat(),
            };
            claim.write_all(&header).unwrap();
            assert!(
                closed_by_server(&mut claim),
                "{server} {protocol}: oversize claim"
            );
            if protocol == Protocol::Variable {
                normal_client(addr, protocol, 3);
            } else {
                // §6: the search reply, byte for byte
                let mut app = connect(addr);
                app.write_all(&protocol.encode(1, "ring").unwrap()).unwrap();
                app.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                app.read_to_end(&mut back).unwrap();
                assert!(
                    String::from_utf8_lossy(&back).contains("Misty Mountains"),
                    "{back:?}"
                );
            }
            let (ok, log) = proc.terminate();
            assert!(ok);
            let log = log.join("\n");
            let too_large = if protocol == Protocol::App {
                "4000000000"
            } else {
                "4294967295"
            };
            assert!(
                log.contains(too_large),
                "{server} {protocol}: no reason logged:\n{log}"
            );
            // the std servers log `error: ...`, the tokio one `dropped: ...`
            assert!(log.contains("error") || log.contains("dropped"), "{log}");
        }
    }
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    for server in tcp_servers() {
        let (mut proc, addr) =
            Proc::server(server, &["--protocol", "line", "--max-connections", "2"]);
        let mut a = connect(addr);
        let mut b = connect(addr);
        for s in [&mut a, &mut b] {
            s.write_all(b"in\n").unwrap();
            let mut back = [0; 3];
            s.read_exact(&mut back).unwrap();
            assert_eq!(&back, b"in\n");
        }
        let mut c = connect(addr);
        assert!(
            closed_by_server(&mut c),
            "{server}: the third was not closed"
        );
        proc.wait_for("refused: 2 connections open (--max-connections 2)");
        // one leaves: a new one is served
        drop(a);
        proc.wait_for("closed the connection");
        thread::sleep(Duration::from_millis(50)); // the threaded server reaps its thread
        normal_client(addr, Protocol::Line, 2);
        drop(b);
        drop(proc);
    }
}

#[test]
fn idle_and_message_timeouts_close_only_their_connection() {
    for server in tcp_servers() {
        let (mut proc, addr) = Proc::server(
            server,
            &[
                "--protocol",
                "fixed",
                "--idle-timeout",
                "0.5",
                "--message-timeout",
                "0.3",
            ],
        );
        let mut idle = connect(addr);
        let mut partial = connect(addr);
        partial
            .write_all(&Protocol::Fixed.encode(1, "half").unwrap()[..10])
            .unwrap();
        assert!(closed_by_server(&mut partial), "{server}: message timeout");
        proc.wait_for("message not complete after 0.3s (10 bytes of it received; message timeout)");
        assert!(closed_by_server(&mut idle), "{server}: idle timeout");
        proc.wait_for("idle for 0.5s (idle timeout)");
        normal_client(addr, Protocol::Fixed, 3);
        drop(proc);
    }
}

/// The server's resident memory in KiB (`None` without `/proc`).
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn an_idle_connection_costs_the_selector_server_under_4_kib() {
    let n = 1000;
    let (mut proc, addr) = Proc::server("tcp_selector_server", &["--protocol", "text", "--quiet"]);
    let Some(before) = vm_rss_kib(proc.id()) else {
        eprintln!("note: no /proc/PID/status here, skipping the memory measure");
        return;
    };
    let payload = vec![b'x'; 1000];
    let idle: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(&payload).unwrap();
            let mut back = vec![0; payload.len()];
            s.read_exact(&mut back).unwrap();
            assert_eq!(back, payload);
            s
        })
        .collect();
    let after = vm_rss_kib(proc.id()).unwrap();
    let per_connection = (after.saturating_sub(before)) * 1024 / n;
    eprintln!("{n} idle connections: VmRSS {before} KiB -> {after} KiB, {per_connection} B each");
    assert!(
        per_connection < 4096,
        "{per_connection} bytes per idle connection"
    );
    drop(idle);
    proc.wait_for("closed the connection");
}

#[test]
fn quiet_logs_connections_but_no_messages() {
    for server in tcp_servers() {
        let (mut proc, addr) = Proc::server(server, &["--protocol", "line", "--quiet"]);
        normal_client(addr, Protocol::Line, 3);
        proc.wait_for("closed the connection");
        let (ok, log) = proc.terminate();
        assert!(ok, "{server}");
        assert!(log.iter().any(|l| l.ends_with(" connected")), "{log:?}");
        assert!(
            !log.iter().any(|l| l.contains("normal 1")),
            "{server}: {log:?}"
        );
    }
}
