//! §1 server-mode cases: one datagram per message, the largest datagram,
//! an empty one, UTF-8, many clients, and invalid UTF-8 (last: a server
//! that dies on it fails no other case).

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::Duration;

use sockwire::TextDatagramCodec;

use super::Target;
use super::case::{Ctx, Outcome, Section, Verdict};
use super::stream::UTF8_TEXT;

/// A client socket connected to the server, with the case's timeout.
pub fn socket(addr: SocketAddr, timeout: Duration) -> Result<UdpSocket, String> {
    let bind = super::common::any_addr_for(addr);
    let sock = UdpSocket::bind(bind).map_err(|e| format!("cannot bind a UDP socket: {e}"))?;
    sock.connect(addr)
        .map_err(|e| format!("cannot connect a UDP socket to {addr}: {e}"))?;
    sock.set_read_timeout(Some(timeout))
        .map_err(|e| format!("cannot set a timeout: {e}"))?;
    Ok(sock)
}

/// The next datagram within `wait`: `Ok(None)` when none came.
pub fn recv(sock: &UdpSocket, wait: Duration) -> Result<Option<Vec<u8>>, String> {
    let _ = sock.set_read_timeout(Some(wait));
    let mut buf = vec![0; 65_536];
    match sock.recv(&mut buf) {
        Ok(n) => Ok(Some(buf[..n].to_vec())),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            Err("the server's port is closed (ICMP port unreachable): did it die?".into())
        }
        Err(e) => Err(format!("receiving failed: {e}")),
    }
}

/// Exit 2 when a datagram to `addr` is refused (nothing listening).
pub fn preflight(target: Target, addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let sock = socket(addr, timeout)?;
    let hello: &[u8] = match target {
        Target::Room => b"0 ka",
        Target::Lab => b"ul",
        _ => b"probe: is anyone there?",
    };
    sock.send(hello)
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    match recv(&sock, timeout.min(Duration::from_millis(500))) {
        Err(e) if e.contains("port is closed") => Err(format!(
            "nothing is listening on UDP {addr} (port unreachable)"
        )),
        _ => Ok(()),
    }
}

/// The inference exchange: one datagram, the first reply (empty: none
/// within the timeout, at most 1 s).
pub fn first_exchange(addr: SocketAddr, timeout: Duration, datagram: &[u8]) -> Vec<u8> {
    let Ok(sock) = socket(addr, timeout) else {
        return Vec::new();
    };
    if sock.send(datagram).is_err() {
        return Vec::new();
    }
    recv(&sock, timeout.min(Duration::from_secs(1)))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Sends each datagram and checks that the replies the policy computes
/// come back, in order (and, when none is due, that nothing comes).
fn exchange(ctx: &Ctx, sock: &UdpSocket, texts: &[&str]) -> Outcome {
    let mut sent = Vec::new();
    let mut expected = Vec::new();
    let mut got = Vec::new();
    let mut due = Vec::new();
    for t in texts {
        if let Err(e) = sock.send(t.as_bytes()) {
            return Outcome::fail(format!("cannot send: {e}"));
        }
        sent.extend_from_slice(t.as_bytes());
        if let Some(r) = ctx
            .reply
            .datagram(t)
            .filter(|r| r.len() <= TextDatagramCodec::MAX_LEN)
        {
            expected.extend_from_slice(&r);
            due.push(r.to_vec());
        }
    }
    for (i, want) in due.iter().enumerate() {
        match recv(sock, ctx.timeout) {
            Ok(Some(d)) => {
                got.extend_from_slice(&d);
                if &d != want {
                    return Outcome::fail(format!("reply {} is wrong", i + 1))
                        .with_bytes(&sent, &expected, &got);
                }
            }
            Ok(None) => {
                return Outcome::fail(format!(
                    "reply {} did not come within {:.1} s",
                    i + 1,
                    ctx.timeout.as_secs_f64()
                ))
                .with_bytes(&sent, &expected, &got);
            }
            Err(e) => return Outcome::fail(e).with_bytes(&sent, &expected, &got),
        }
    }
    match recv(
        sock,
        if due.is_empty() {
            ctx.quiet()
        } else {
            Duration::from_millis(20)
        },
    ) {
        Ok(Some(d)) => {
            got.extend_from_slice(&d);
            Outcome::fail("a datagram came that no message explains")
                .with_bytes(&sent, &expected, &got)
        }
        Err(e) => Outcome::fail(e).with_bytes(&sent, &expected, &got),
        _ if due.is_empty() => Outcome::pass("nothing came back, as `none` answers"),
        _ => Outcome::pass(format!("{} replies, each right", due.len())),
    }
}

/// A case on one fresh socket.
fn on_socket(ctx: &Ctx, f: impl FnOnce(&UdpSocket) -> Outcome) -> Outcome {
    match socket(ctx.addr, ctx.timeout) {
        Ok(sock) => f(&sock),
        Err(e) => Outcome::fail(e),
    }
}

/// Every §1 case.
pub fn cases() -> Section {
    let mut s = Section::new(1);
    s.case("one datagram, one reply", |ctx| {
        on_socket(ctx, |sock| exchange(ctx, sock, &["hello, probe"]))
    });
    s.case("ten datagrams in a row, each its own message", |ctx| {
        let texts: Vec<String> = (1..=10).map(|i| format!("datagram {i}")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        on_socket(ctx, |sock| exchange(ctx, sock, &refs))
    });
    s.case("the largest datagram (65,507 bytes)", |ctx| {
        let room = match &ctx.reply {
            sockwire::builtin::ReplyPolicy::Prefix(p) => p.len(),
            _ => 0,
        };
        let text = "u".repeat(TextDatagramCodec::MAX_LEN - room);
        on_socket(ctx, |sock| exchange(ctx, sock, &[&text]))
    });
    s.case("an empty datagram is an empty message", |ctx| {
        on_socket(ctx, |sock| exchange(ctx, sock, &[""]))
    });
    s.case("multi-byte UTF-8 text", |ctx| {
        on_socket(ctx, |sock| exchange(ctx, sock, &[UTF8_TEXT]))
    });
    s.case("whitespace around the text (upper strips it)", |ctx| {
        on_socket(ctx, |sock| exchange(ctx, sock, &[" x y\r\n"]))
    });
    s.case("ten clients at once, three datagrams each", |ctx| {
        let outcomes: Vec<Outcome> = thread::scope(|scope| {
            let handles: Vec<_> = (0..10)
                .map(|c| {
                    scope.spawn(move || {
                        let texts: Vec<String> = (1..=3)
                            .map(|i| format!("client {c} datagram {i}"))
                            .collect();
                        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                        on_socket(ctx, |sock| exchange(ctx, sock, &refs))
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        outcomes
            .into_iter()
            .find(|o| o.verdict != Verdict::Pass)
            .unwrap_or_else(|| Outcome::pass("each of 10 clients got its own replies"))
    });
    s.case(
        "invalid UTF-8 is dropped, and the server goes on",
        invalid_utf8,
    );
    s
}

fn invalid_utf8(ctx: &Ctx) -> Outcome {
    on_socket(ctx, |sock| {
        let bad = b"bad \xff\xfe";
        if let Err(e) = sock.send(bad) {
            return Outcome::fail(format!("cannot send: {e}"));
        }
        thread::sleep(Duration::from_millis(20));
        let after = exchange(ctx, sock, &["after the invalid one"]);
        let mut o =
            match after.verdict {
                Verdict::Pass if ctx.reply.datagram("x").is_none() => Outcome::pass(
                    "nothing came back (reply none: whether the server goes on cannot be seen)",
                ),
                Verdict::Pass => Outcome::pass("dropped it, and answered the next datagram"),
                _ if super::stream::find(&after.got.to_ascii_uppercase(), b"BAD").is_some() => {
                    Outcome::new(
                        Verdict::NonStrict,
                        "answered a datagram that is not UTF-8 (the contract drops it)",
                    )
                    .with_bytes(&after.sent, &after.expected, &after.got)
                }
                _ => Outcome::fail(format!("after the invalid datagram: {}", after.detail))
                    .with_bytes(&after.sent, &after.expected, &after.got),
            };
        let mut sent = bad.to_vec();
        sent.extend_from_slice(&o.sent);
        o.sent = sent;
        o
    })
}
