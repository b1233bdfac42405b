//! The UDP examples with batched datagrams (`recvmmsg`/GRO in, `sendmmsg`
//! and GSO out) and without (`--no-batch`): the same replies, in the same
//! order per client, nothing lost, nothing doubled; `--quiet` logs only
//! what was dropped; the load generator verifies every echo.

mod common {
    pub mod examples;
}

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use common::examples::{LIMIT, Proc, example};

/// Both ways of moving datagrams: `[]` is batched (the default).
const MODES: [&[&str]; 2] = [&[], &["--no-batch"]];

/// Starts example `name` as a server with `args`; batched unless they say
/// `--no-batch` (`SOCKWIRE_NO_BATCH`, which reruns the other suites
/// unbatched, is not passed on).
fn server(name: &str, args: &[&str]) -> (Proc, SocketAddr) {
    let mut cmd = Command::new(example(name));
    cmd.env_remove("SOCKWIRE_NO_BATCH")
        .args(args)
        .args(["--bind", "127.0.0.1:0"]);
    Proc::listening(Proc::start(cmd))
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    socket
}

/// The `i`th datagram of a burst: runs of one size (which a batched server
/// answers with GSO), a shorter one ending a run, other sizes between,
/// and now and then an empty one.
fn burst_datagram(client: usize, i: usize) -> Vec<u8> {
    let len = match i % 10 {
        0..=5 => 24,
        6 => 9,
        7 => 0,
        _ => 100 + i,
    };
    let mut text = format!("c{client} #{i:04} ");
    text.extend(std::iter::repeat_n('x', len));
    text.truncate(len);
    text.into_bytes()
}

/// Reads `n` datagrams from `socket`; fails on a timeout.
fn read_n(socket: &UdpSocket, n: usize) -> Vec<(Vec<u8>, SocketAddr)> {
    let mut buf = vec![0u8; 65_536];
    (0..n)
        .map(|i| {
            let (len, from) = socket
                .recv_from(&mut buf)
                .unwrap_or_else(|e| panic!("reply {i} of {n}: {e}"));
            (buf[..len].to_vec(), from)
        })
        .collect()
}

#[test]
fn udp_server_answers_bursts_from_two_clients_in_order_in_both_modes() {
    for mode in MODES {
        let mut args = vec!["--reply", "upper", "--quiet"];
        args.extend_from_slice(mode);
        let (proc, addr) = server("udp_server", &args);
        let clients = [client(), client()];
        // ping-pong first: a batched server then waits before it reads,
        // and must still read the burst below in full
        for i in 0..3 {
            clients[0]
                .send_to(format!("ping {i}").as_bytes(), addr)
                .unwrap();
            let want = format!("PING {i}").into_bytes();
            assert_eq!(read_n(&clients[0], 1), [(want, addr)], "{mode:?}");
        }
        // few enough that no socket buffer overflows (UDP would drop)
        const N: usize = 60;
        // interleaved, faster than the server answers: batches form
        for i in 0..N {
            for (c, socket) in clients.iter().enumerate() {
                socket.send_to(&burst_datagram(c, i), addr).unwrap();
            }
        }
        for (c, socket) in clients.iter().enumerate() {
            let got = read_n(socket, N);
            for (i, (reply, from)) in got.iter().enumerate() {
                let sent = burst_datagram(c, i);
                let want = String::from_utf8(sent).unwrap().trim().to_uppercase();
                assert_eq!(*from, addr, "{mode:?}");
                assert_eq!(reply, want.as_bytes(), "{mode:?} client {c} reply {i}");
            }
            // and nothing more
            socket
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            assert!(socket.recv_from(&mut [0u8; 16]).is_err(), "{mode:?}");
        }
        let (ok, out) = proc.terminate();
        assert!(ok, "{out:?}");
        let banner = if mode.is_empty() {
            "batched: recvmmsg"
        } else {
            "one datagram per system call"
        };
        assert!(out[0].contains(banner), "{mode:?}: {out:?}");
        // --quiet: no line per message
        assert!(!out.iter().any(|l| l.contains("Message from")), "{out:?}");
    }
}

#[test]
fn quiet_udp_server_still_logs_a_dropped_datagram_and_serves_on() {
    for mode in MODES {
        let mut args = vec!["--quiet"];
        args.extend_from_slice(mode);
        let (mut proc, addr) = server("udp_server", &args);
        let socket = client();
        let local = socket.local_addr().unwrap();
        socket.send_to(b"bad \xff byte", addr).unwrap();
        proc.wait_for(&format!("Dropped datagram from {local}"));
        socket.send_to(b"fine", addr).unwrap();
        assert_eq!(read_n(&socket, 1), [(b"fine".to_vec(), addr)]);
        let (ok, out) = proc.terminate();
        assert!(ok, "{out:?}");
        assert!(!out.iter().any(|l| l.contains("Message from")), "{out:?}");
    }
}

#[test]
fn udp_server_logs_every_message_without_quiet_in_both_modes() {
    for mode in MODES {
        let (mut proc, addr) = server("udp_server", mode);
        let socket = client();
        let local = socket.local_addr().unwrap();
        for i in 0..20 {
            socket.send_to(format!("m{i}").as_bytes(), addr).unwrap();
        }
        read_n(&socket, 20);
        for i in 0..20 {
            proc.wait_for(&format!("Message from {local} -> m{i}"));
        }
    }
}

#[test]
fn load_verifies_every_udp_echo_batched_and_not() {
    for server_mode in MODES {
        let (proc, addr) = server("udp_server", &[&["--quiet"], server_mode].concat());
        for load_mode in MODES {
            let server = addr.to_string();
            let mut args = vec![
                "--protocol",
                "udp",
                "--server",
                &server,
                "--connections",
                "3",
                "--pipeline",
                "16",
                "--messages",
                "300",
                "--payload",
                "40",
                "--quiet",
                "--timeout",
                "60",
            ];
            args.extend_from_slice(load_mode);
            let (ok, out) = Proc::spawn("load", &args).finish();
            assert!(ok, "{server_mode:?} {load_mode:?}: {out:?}");
            assert!(
                out.iter()
                    .any(|l| l == "completed 900/900 messages on 3 connections in "
                        || l.starts_with("completed 900/900 messages")),
                "{out:?}"
            );
            assert!(out.iter().any(|l| l == "errors: 0"), "{out:?}");
        }
        let (ok, out) = proc.terminate();
        assert!(ok, "{out:?}");
    }
}

#[test]
fn load_counts_a_missing_echo_as_an_error() {
    // a socket that reads and never answers
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let args = [
        "--protocol",
        "udp",
        "--server",
        &server,
        "--connections",
        "1",
        "--pipeline",
        "2",
        "--messages",
        "2",
        "--loss-wait",
        "0.2",
        "--quiet",
        "--timeout",
        "20",
    ];
    let (ok, out) = Proc::spawn("load", &args).finish();
    assert!(!ok, "{out:?}");
    assert!(
        out.iter().any(|l| l.contains("no echo of message 1")),
        "{out:?}"
    );
    assert!(out.iter().any(|l| l == "errors: 2"), "{out:?}");
}

#[test]
fn load_reports_a_wrong_echo() {
    // a server that answers each datagram with its bytes reversed
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let worker = std::thread::spawn(move || {
        server.set_read_timeout(Some(LIMIT)).unwrap();
        let mut buf = [0u8; 1024];
        for _ in 0..4 {
            let Ok((n, from)) = server.recv_from(&mut buf) else {
                return;
            };
            let mut back = buf[..n].to_vec();
            back[n - 1] ^= 1; // the number is intact, a byte is not
            server.send_to(&back, from).unwrap();
        }
    });
    let args = [
        "--protocol",
        "udp",
        "--server",
        &addr,
        "--connections",
        "1",
        "--pipeline",
        "4",
        "--messages",
        "4",
        "--quiet",
        "--timeout",
        "20",
    ];
    let (ok, out) = Proc::spawn("load", &args).finish();
    worker.join().unwrap();
    assert!(!ok, "{out:?}");
    assert!(
        out.iter().any(|l| l.contains("echo of message 3 differs")),
        "{out:?}"
    );
}

/// Runs `load --protocol room` against `addr`; its output.
fn room_load(
    addr: SocketAddr,
    users: usize,
    rooms: usize,
    lines: u32,
    extra: &[&str],
) -> Vec<String> {
    let server = addr.to_string();
    let (users, rooms, lines) = (users.to_string(), rooms.to_string(), lines.to_string());
    let mut args = vec![
        "--protocol",
        "room",
        "--server",
        &server,
        "--connections",
        &users,
        "--rooms",
        &rooms,
        "--messages",
        &lines,
        "--quiet",
        "--timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    let (ok, out) = Proc::spawn("load", &args).finish();
    assert!(ok, "{out:?}");
    out
}

#[test]
fn room_server_fans_out_and_every_notification_is_acknowledged_in_both_modes() {
    for mode in MODES {
        let mut args = vec!["server", "--quiet", "--max-members", "40"];
        args.extend_from_slice(mode);
        let mut cmd = Command::new(example("udp_chat"));
        cmd.env_remove("SOCKWIRE_NO_BATCH")
            .args(&args)
            .args(["--bind", "127.0.0.1:0"]);
        let mut proc = Proc::start(cmd);
        let line = proc.wait_for("room server listening on 127.0.0.1:");
        let addr: SocketAddr = line.rsplit(' ').next().unwrap().parse().unwrap();
        let how = proc.wait_for("datagrams: ");
        let banner = if mode.is_empty() {
            "batched: recvmmsg"
        } else {
            "one datagram per"
        };
        assert!(how.contains(banner), "{mode:?}: {how}");
        // one room of 40 (each line is 39 notifications), then 30 users
        // in 3 rooms; the load checks every text, order and count
        let out = room_load(addr, 40, 1, 4, &[]);
        assert!(
            out.iter().any(|l| l.starts_with("completed 6240/6240 ")),
            "{out:?}"
        );
        let out = room_load(addr, 30, 3, 5, &["--no-batch"]);
        assert!(
            out.iter().any(|l| l.starts_with("completed 1350/1350 ")),
            "{out:?}"
        );
        assert!(out.iter().any(|l| l == "errors: 0"), "{out:?}");
        let (ok, log) = proc.terminate();
        assert!(ok, "{log:?}");
        // --quiet: none of the thousands of requests and acknowledgements
        let routine = log
            .iter()
            .filter(|l| l.contains(" ms ") || l.contains(" ak"))
            .count();
        assert_eq!(routine, 0, "{mode:?}: {log:?}");
    }
}

#[test]
fn room_server_logs_each_request_without_quiet() {
    let mut cmd = Command::new(example("udp_chat"));
    cmd.args(["server", "--bind", "127.0.0.1:0"]);
    let mut proc = Proc::start(cmd);
    let line = proc.wait_for("room server listening on 127.0.0.1:");
    let addr: SocketAddr = line.rsplit(' ').next().unwrap().parse().unwrap();
    room_load(addr, 3, 1, 2, &[]);
    // the last line said by the third user, as the server logged it
    proc.wait_for(" 2 ");
    let (ok, log) = proc.terminate();
    assert!(ok);
    assert!(log.len() > 3 * 2, "{log:?}");
}

#[test]
fn room_load_fails_against_a_server_that_does_not_fan_out() {
    // an echo server answers `1 hi NAME` with itself: no room, no line
    // heard; the load must say so, not report a rate
    let (proc, addr) = server("udp_server", &["--quiet"]);
    let server = addr.to_string();
    let args = [
        "--protocol",
        "room",
        "--server",
        &server,
        "--connections",
        "3",
        "--messages",
        "2",
        "--quiet",
        "--timeout",
        "3",
    ];
    let (ok, out) = Proc::spawn("load", &args).finish();
    assert!(!ok, "{out:?}");
    assert!(
        out.iter().any(|l| l.contains("timed out after 3 s")),
        "{out:?}"
    );
    assert!(!out.iter().any(|l| l == "errors: 0"), "{out:?}");
    drop(proc);
}
